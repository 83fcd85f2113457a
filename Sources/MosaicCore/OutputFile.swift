import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a command's output file whole or not at all, without replacing what is not a file.
///
/// - A path that is missing or a regular file is written to a temporary file beside it, which
///   is then renamed over it: a full disk or a kill leaves the old file (or none), never part
///   of the new one. A file that was there keeps its permissions.
/// - A symbolic link is followed (through every link of a chain) and its target written so;
///   the link stays a link.
/// - A character device or FIFO (`/dev/null`, `/dev/stdout`, a named pipe) is written in place:
///   renaming over it replaced the device node with a regular file, and a write that fails
///   there (`/dev/full`: no space left on device) is an error.
/// - A folder is an error.
public enum OutputFile {
    /// A write that failed: the path written (a link's target, a temporary file's final name)
    /// and why, in the system's words.
    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Writes `bytes` to `path` as the type describes.
    public static func write(_ bytes: some DataProtocol, to path: String) throws(Failure) {
        do {
            try write(to: path) { target in try fill(target, with: bytes, naming: path) }
        } catch let e as Failure {
            throw e
        } catch {
            throw Failure(path: path, reason: "\(error)")
        }
    }

    /// Writes a set of files all or none: every regular file is first written in full to a
    /// temporary file beside it, and only when all of them are written are they renamed into
    /// place (a full disk or a path that cannot be written leaves every old file as it was, and
    /// no temporary file behind). Devices and FIFOs among them are written in place, last.
    public static func write(_ files: [(path: String, bytes: Data)]) throws(Failure) {
        var staged: [(temporary: String, target: String)] = []
        var inPlace: [(path: String, bytes: Data)] = []
        func discard() { for s in staged { _ = unlink(s.temporary) } }
        do throws(Failure) {
            for (path, bytes) in files {
                let target = try resolve(path)
                guard target.replace else {
                    inPlace.append((target.path, bytes))
                    continue
                }
                let temporary = try createTemporary(beside: target.path, mode: target.mode)
                staged.append((temporary, target.path))
                try fill(temporary, with: bytes, naming: target.path)
            }
        } catch {
            discard()
            throw error
        }
        for (k, s) in staged.enumerated() where rename(s.temporary, s.target) != 0 {
            let failure = Failure(path: s.target, reason: errnoText())
            for rest in staged[k...] { _ = unlink(rest.temporary) }
            throw failure
        }
        for (path, bytes) in inPlace { try write(bytes, to: path) }
    }

    /// Runs `body` with the path to write, then puts its file in place: for a missing or regular
    /// file `body` writes a temporary file beside `path` (empty, already created), renamed over
    /// the final path once `body` returns and removed when it throws; for a device or FIFO it
    /// writes the path itself. For writers that open the file themselves and stream into it.
    ///
    /// - Throws: ``Failure`` when the path cannot be resolved or the file cannot be put in place,
    ///   and whatever `body` throws.
    public static func write(to path: String, _ body: (_ path: String) throws -> Void) throws {
        let target = try resolve(path)
        guard target.replace else { return try body(target.path) }
        let temporary = try createTemporary(beside: target.path, mode: target.mode)
        do {
            try body(temporary)
            if rename(temporary, target.path) != 0 { throw Failure(path: target.path, reason: errnoText()) }
        } catch {
            _ = unlink(temporary)
            throw error
        }
    }

    /// Where `path` leads: the last target of its chain of links, and whether that target is
    /// replaced by renaming (missing or a regular file, with the mode it has) or written in place.
    static func resolve(_ path: String) throws(Failure) -> (path: String, replace: Bool, mode: mode_t?) {
        var current = path
        for _ in 0..<40 {  // Linux's own limit on a chain of links
            var st = stat()
            if lstat(current, &st) != 0 {
                if errno == ENOENT { return (current, true, nil) }
                throw Failure(path: current, reason: errnoText())
            }
            switch st.st_mode & S_IFMT {
            case S_IFREG: return (current, true, st.st_mode & 0o7777)
            case S_IFDIR: throw Failure(path: current, reason: "is a folder")
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(current, &buffer, buffer.count - 1)
                if n < 0 { throw Failure(path: current, reason: errnoText()) }
                let link = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let folder = (current as NSString).deletingLastPathComponent
                current = link.hasPrefix("/") || folder.isEmpty ? link : (folder as NSString).appendingPathComponent(link)
            default: return (current, false, nil)  // a device, FIFO or socket
            }
        }
        throw Failure(path: path, reason: String(cString: strerror(ELOOP)).lowercased())
    }

    /// Creates an empty hidden file beside `path` (`.name.tmp-…`, in the same folder so that
    /// the rename stays on one file system), with `mode` when given, else the umask's default.
    static func createTemporary(beside path: String, mode: mode_t?) throws(Failure) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        let name = ".\((path as NSString).lastPathComponent).tmp-\(getpid())-"
        for _ in 0..<16 {
            let candidate = (folder.isEmpty ? "" : folder + "/") + name + String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd < 0 {
                if errno == EEXIST { continue }
                throw Failure(path: path, reason: errnoText())
            }
            if let mode { _ = fchmod(fd, mode) }
            _ = close(fd)
            return candidate
        }
        throw Failure(path: path, reason: "no free temporary name beside it")
    }

    /// Writes `bytes` over the existing file at `file` (a temporary, a device or a FIFO);
    /// failures name `path`, the file the user asked for.
    static func fill(_ file: String, with bytes: some DataProtocol, naming path: String) throws(Failure) {
        let fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC)
        if fd < 0 { throw Failure(path: path, reason: errnoText()) }
        do { try writeAll(fd, bytes, path: path) } catch {
            _ = close(fd)
            throw error
        }
        if close(fd) != 0 { throw Failure(path: path, reason: errnoText()) }
    }

    /// Writes every byte, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: some DataProtocol, path: String) throws(Failure) {
        for region in bytes.regions {
            let failed = region.withUnsafeBytes { raw -> Int32? in
                var offset = 0
                while offset < raw.count {
                    let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return errno
                    }
                    offset += n
                }
                return nil
            }
            if let failed { throw Failure(path: path, reason: String(cString: strerror(failed)).lowercased()) }
        }
    }

    /// The last system error (`errno`) in words, lower case, as every failure here says it.
    public static func errnoText() -> String { String(cString: strerror(errno)).lowercased() }
}

@inline(__always)
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
