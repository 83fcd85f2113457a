import Foundation

/// Checks on an input file before it is opened for reading.
enum InputFile {
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
