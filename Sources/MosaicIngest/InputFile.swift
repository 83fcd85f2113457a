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
///
/// A pipe, FIFO or device (`<(zcat log.gz)`, `/dev/stdin`, `mkfifo`) is a stream: it has no
/// size and reads once, as plain text (one that starts with gzip's magic is an error saying
/// so; ``copyStandardInput()`` copies one to a file, which then reads decompressed). A reader
/// that looks at a file's start before the real read (to tell its format) does so in
/// ``sniffing(_:_:)``, which keeps a stream open with the bytes it took, so the next
/// `InputFile(path:)` of that path reads them again and then the rest of the stream.
final class InputFile {
    let path: String
    private let fd: Int32
    /// zlib's stream over `fd` when the file is gzip-compressed (it then owns `fd`).
    private let gz: gzFile?
    /// Whether the file is a pipe, FIFO or device rather than a regular file.
    private let isStream: Bool
    /// Bytes a sniff took from this stream, read again before the rest of it.
    private var pushedBack: [UInt8] = []
    private var pushedBackRead = 0
    /// While a sniff reads this stream: every byte `read` returned, to be read again.
    private var sniffed: [UInt8]?
    /// Whether nothing has been read from this stream yet (its first bytes are checked for
    /// gzip's magic, which a stream cannot be reopened to decompress; ``copyStandardInput()``,
    /// whose copy is a file, leaves them unchecked).
    private var atStreamStart: Bool

    convenience init(path: String) throws(IngestError) {
        if let held = Streams.shared.take(path) {
            self.init(stream: held.fd, name: path, pushedBack: held.bytes)
        } else {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw .file(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
            try self.init(descriptor: fd, name: path)
        }
        if isStream && Streams.shared.isSniffing(path) { sniffed = [] }
    }

    /// The file open as `fd` (which it then owns), named `name` in messages. A pipe cannot be
    /// read from its start again, so it is read as plain text.
    private init(descriptor fd: Int32, name: String) throws(IngestError) {
        path = name
        self.fd = fd
        var st = stat()
        isStream = fstat(fd, &st) == 0 && st.st_mode & S_IFMT != S_IFREG
        atStreamStart = isStream
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

    /// A stream a sniff held open, with the bytes it took.
    private init(stream fd: Int32, name: String, pushedBack: [UInt8]) {
        path = name
        self.fd = fd
        gz = nil
        isStream = true
        atStreamStart = false
        self.pushedBack = pushedBack
    }

    deinit {
        if let sniffed {
            Streams.shared.hold(path, fd: fd, bytes: sniffed + pushedBack[pushedBackRead...])
        } else if let gz {
            gzclose(gz)
        } else {
            close(fd)
        }
    }

    /// Runs `body`, which reads the start of the file at `path` (to tell its format), and
    /// leaves the file to be read again from its start: a regular file opens again; a stream
    /// that `body` read is held open with the bytes it took, for the next `InputFile(path:)`.
    static func sniffing<T>(_ path: String, _ body: () throws(IngestError) -> T) throws(IngestError) -> T {
        Streams.shared.setSniffing(path, true)
        defer { Streams.shared.setSniffing(path, false) }
        return try body()
    }

    /// The streams ``sniffing(_:_:)`` looked at and holds for their reader, by path.
    private final class Streams: @unchecked Sendable {
        static let shared = Streams()
        private let lock = NSLock()
        private var held: [String: (fd: Int32, bytes: [UInt8])] = [:]
        private var sniffing: Set<String> = []

        func take(_ path: String) -> (fd: Int32, bytes: [UInt8])? { lock.withLock { held.removeValue(forKey: path) } }
        func hold(_ path: String, fd: Int32, bytes: [UInt8]) {
            let replaced = lock.withLock { held.updateValue((fd, bytes), forKey: path) }
            if let replaced { close(replaced.fd) }
        }
        func isSniffing(_ path: String) -> Bool { lock.withLock { sniffing.contains(path) } }
        func setSniffing(_ path: String, _ on: Bool) {
            lock.withLock { _ = on ? sniffing.insert(path).inserted : sniffing.remove(path) != nil }
        }
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
        if pushedBackRead < pushedBack.count {
            let n = min(count, pushedBack.count - pushedBackRead)
            pushedBack.withUnsafeBytes { into.copyMemory(from: $0.baseAddress! + pushedBackRead, byteCount: n) }
            pushedBackRead += n
            sniffed?.append(contentsOf: UnsafeRawBufferPointer(start: into, count: n))
            return n
        }
        while true {
            let got = systemRead(fd, into, count)
            if got >= 0 {
                if atStreamStart {
                    atStreamStart = false
                    // Read as text, a compressed stream was "cannot tell the format from the
                    // first line '\u{1F}\u{8B}…'", its bytes printed to the terminal.
                    if got >= 2, into.load(as: UInt8.self) == 0x1F, into.load(fromByteOffset: 1, as: UInt8.self) == 0x8B {
                        throw .file(path: path, reason: "is gzip-compressed, and a pipe is read as plain text; "
                                    + "decompress it before the pipe (zcat FILE | mosaic …) or give the file itself")
                    }
                }
                sniffed?.append(contentsOf: UnsafeRawBufferPointer(start: into, count: got))
                return got
            }
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
        let head = try sniffing(path) { () throws(IngestError) in try InputFile(path: path).bytes(upTo: 4096) }
        var i = head.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while i < head.count, [9, 10, 13, 32].contains(head[i]) { i += 1 }
        return i < head.count && (head[i] == UInt8(ascii: "[") || head[i] == UInt8(ascii: "{"))
    }

    /// Copies standard input (decompressed, when it is a gzip file redirected with `<`) to a new
    /// scratch file, whose path it returns (the caller removes it).
    static func copyStandardInput() throws(IngestError) -> String {
        let input = try InputFile(descriptor: dup(0), name: "<stdin>")
        // Copied as it comes: a gzip stream piped in is decompressed when the copy is read.
        input.atStreamStart = false
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

    /// The size in bytes of the file at `path`, which must exist, be a file and not be empty;
    /// 0 for a pipe, FIFO or device, whose size is unknown until it is read (an empty one then
    /// reads as a file without a header).
    ///
    /// - Parameter expected: what an empty file should have held, for its error
    ///   ("a header line and rows").
    /// - Throws: ``IngestError/file(path:reason:)`` naming what is wrong.
    static func nonEmptySize(_ path: String, expected: String) throws(IngestError) -> Int64 {
        var st = stat()
        if stat(path, &st) != 0 {
            throw .file(path: path, reason: errno == ENOENT ? "no such file" : "cannot open: \(String(cString: strerror(errno)))")
        }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: throw .file(path: path, reason: "is a directory, not a file")
        case S_IFREG:
            if st.st_size == 0 { throw .file(path: path, reason: "the file is empty (expected \(expected))") }
            return Int64(st.st_size)
        default: return 0
        }
    }
}
