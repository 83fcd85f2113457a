import Foundation

/// The project's `../shared` folder (public datasets and reference values), which is never
/// committed: tests that need it skip with a message naming what is missing.
public enum SharedData {
    /// The package root, found from this source file's location.
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `../shared` beside the package root (or `$MOSAIC_SHARED` when set).
    public static let root: String = {
        if let p = ProcessInfo.processInfo.environment["MOSAIC_SHARED"], !p.isEmpty { return p }
        return URL(fileURLWithPath: packageRoot).deletingLastPathComponent().appendingPathComponent("shared").path
    }()

    /// The path of a file under `../shared`, or nil when it is not there.
    public static func path(_ relative: String) -> String? {
        let p = root + "/" + relative
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    /// Why a test that needs `relative` is skipped, or nil when the file is there.
    public static func missing(_ relative: String) -> String? {
        path(relative) == nil ? "\(root)/\(relative) is absent; this test needs ../shared (CI has it)" : nil
    }
}
