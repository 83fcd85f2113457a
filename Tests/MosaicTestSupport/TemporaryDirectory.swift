import Foundation

/// A fresh folder under the system's temporary directory, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "mosaic-test") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the folder.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes text to a file inside the folder and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let p = file(name)
        try! Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// Makes a FIFO (named pipe) inside the folder and returns its path; a thread of its own
    /// writes `text` into it once a reader opens it, then closes it (the reader's end of file).
    /// Each open of the path for reading gets the text once more, `times` times in all.
    @discardableResult
    public func fifo(_ name: String, feeding text: String, times: Int = 1) -> String {
        fifo(name, feeding: Data(text.utf8), times: times)
    }

    /// ``fifo(_:feeding:times:)`` with raw bytes (a gzip stream, say).
    @discardableResult
    public func fifo(_ name: String, feeding bytes: Data, times: Int = 1) -> String {
        let p = file(name)
        precondition(mkfifo(p, 0o600) == 0, "mkfifo \(p): \(String(cString: strerror(errno)))")
        Thread.detachNewThread {
            for _ in 0..<times {
                guard let handle = FileHandle(forWritingAtPath: p) else { return }
                try? handle.write(contentsOf: bytes)
                try? handle.close()
            }
        }
        return p
    }

    /// Writes raw bytes to a file inside the folder and returns its path.
    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) -> String {
        let p = file(name)
        try! Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }
}
