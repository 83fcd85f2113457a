import CZlib
import Foundation

#if canImport(Glibc)
private let systemRead = Glibc.read
#elseif canImport(Darwin)
private let systemRead = Darwin.read
#endif

/// A file the streaming readers (``CSVReader``, ``LineReader``) read: plain, or gzip-compressed
/// (its first two bytes are gzip's magic, 1f 8b, whatever its name), which reads decompressed,
/// so that a rotated log (`access.log.gz`) or a compressed export reads without a `gunzip`
/// first. A damaged or cut-off gzip stream is an error naming the file.
final class InputFile {
    let path: String
    private let fd: Int32
    /// zlib's stream over `fd` when the file is gzip-compressed (it then owns `fd`).
    private let gz: gzFile?

    convenience init(path: String) throws(IngestError) {
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw .file(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        try self.init(descriptor: fd, name: path)
    }

    /// The file open as `fd` (which it then owns), named `name` in messages. A pipe cannot be
    /// read from its start again, so it is read as plain text.
    private init(descriptor fd: Int32, name: String) throws(IngestError) {
        path = name
        self.fd = fd
        var magic: (UInt8, UInt8) = (0, 0)
        let got = withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, 0) }
        guard got == 2, magic == (0x1F, 0x8B) else {
            gz = nil
            return
        }
        guard let stream = gzdopen(fd, "rb") else {
            close(fd)
            throw .file(path: path, reason: "cannot open the gzip stream")
        }
        gzbuffer(stream, 1 << 17)
        gz = stream
    }

    deinit {
        if let gz { gzclose(gz) } else { close(fd) }
    }

    /// Reads at most `count` bytes to `into`; 0 at the end of the file.
    func read(into: UnsafeMutableRawPointer, count: Int) throws(IngestError) -> Int {
        if let gz {
            let got = gzread(gz, into, UInt32(min(count, Int(Int32.max))))
            // zlib returns what it has of a stream that stops short, and only then the error:
            // a cut-off file must not read as a shorter whole one.
            var code: Int32 = 0
            if got <= 0, let message = gzerror(gz, &code), code != Z_OK {
                // zlib names the stream `<fd:N>`; the error names the file.
                var text = String(cString: message)
                if text.hasPrefix("<fd:"), let colon = text.firstRange(of: ": ") { text = String(text[colon.upperBound...]) }
                throw .file(path: path, reason: "the gzip stream is damaged: \(text)")
            }
            return Int(max(got, 0))
        }
        while true {
            let got = systemRead(fd, into, count)
            if got >= 0 { return got }
            if errno != EINTR { throw .file(path: path, reason: "read failed: \(String(cString: strerror(errno)))") }
        }
    }

    /// How far into the file, in its own (compressed, when it is) bytes, the reading has come:
    /// for progress against the file's size. `decompressed` is the plain bytes consumed.
    func progress(decompressed: Int64) -> Int64 {
        guard let gz else { return decompressed }
        return Int64(gzoffset(gz))
    }

    /// The next bytes of the (decompressed) file, up to `count`; fewer only at its end.
    func bytes(upTo count: Int) throws(IngestError) -> [UInt8] {
        var bytes: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: min(count, 1 << 16), alignment: 1)
        defer { chunk.deallocate() }
        while bytes.count < count {
            let got = try read(into: chunk.baseAddress!, count: min(chunk.count, count - bytes.count))
            if got == 0 { break }
            bytes.append(contentsOf: chunk[..<got])
        }
        return bytes
    }

    /// The whole (decompressed) file, or an error when it holds more than `most` bytes.
    func readAll(most: Int) throws(IngestError) -> [UInt8] {
        let bytes = try bytes(upTo: most + 1)
        guard bytes.count <= most else {
            throw .file(path: path, reason: "the file holds more than \(most >> 20) MiB, more than is read whole")
        }
        return bytes
    }

    /// Whether the file's text (decompressed) starts, after a byte-order mark and white space,
    /// with `[` or `{`: a JSON document or JSON Lines.
    static func startsLikeJSON(_ path: String) throws(IngestError) -> Bool {
        let head = try InputFile(path: path).bytes(upTo: 4096)
        var i = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while i < head.count, [9, 10, 13, 32].contains(head[i]) { i += 1 }
        return i < head.count && (head[i] == UInt8(ascii: "[") || head[i] == UInt8(ascii: "{"))
    }

    /// Copies standard input (decompressed, when it is a gzip file redirected with `<`) to a new
    /// scratch file, whose path it returns (the caller removes it).
    static func copyStandardInput() throws(IngestError) -> String {
        let input = try InputFile(descriptor: dup(0), name: "<stdin>")
        let path = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("mosaic-stdin-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let out = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if out < 0 { throw .file(path: path, reason: "cannot write a scratch copy of standard input: \(String(cString: strerror(errno)))") }
        defer { close(out) }
        do throws(IngestError) {
            while true {
                let chunk = try input.bytes(upTo: 1 << 20)
                if chunk.isEmpty { return path }
                // The write's error number, or nil when all of the chunk was written.
                let failure: Int32? = chunk.withUnsafeBytes { b in
                    var done = 0
                    while done < b.count {
                        let n = write(out, b.baseAddress! + done, b.count - done)
                        if n < 0 && errno == EINTR { continue }
                        if n <= 0 { return errno }
                        done += n
                    }
                    return nil
                }
                if let failure {
                    throw IngestError.file(path: path, reason: "cannot write a scratch copy of standard input: \(String(cString: strerror(failure)))")
                }
            }
        } catch {
            unlink(path)
            throw error
        }
    }

    /// The size in bytes of the file at `path`, which must exist, be a file and not be empty.
    ///
    /// - Parameter expected: what an empty file should have held, for its error
    ///   ("a header line and rows").
    /// - Throws: ``IngestError/file(path:reason:)`` naming what is wrong.
    static func nonEmptySize(_ path: String, expected: String) throws(IngestError) -> Int64 {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .file(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw .file(path: path, reason: "is a directory, not a file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        if size == 0 { throw .file(path: path, reason: "the file is empty (expected \(expected))") }
        return size
    }
}
