import Foundation

/// The public datasets and reference values the numeric checks compare against.
///
/// The small files those checks need are copied, unchanged, into `Tests/Fixtures/shared/` (same
/// relative paths as in the project's `../shared`, each with its PROVENANCE), so a bare clone runs
/// every numeric comparison. Larger optional data stays in `../shared`: a test that needs it skips
/// with a message naming what is missing.
public enum SharedData {
    /// The package root, found from this source file's location.
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The in-repository copies: `Tests/Fixtures/shared`.
    public static let fixtures: String = packageRoot + "/Tests/Fixtures/shared"

    /// `../shared` beside the package root (or `$MOSAIC_SHARED` when set).
    public static let root: String = {
        if let p = ProcessInfo.processInfo.environment["MOSAIC_SHARED"], !p.isEmpty { return p }
        return URL(fileURLWithPath: packageRoot).deletingLastPathComponent().appendingPathComponent("shared").path
    }()

    /// The path of a file: the repository's copy when there is one, else the one under `../shared`,
    /// else nil.
    public static func path(_ relative: String) -> String? {
        for base in [fixtures, root] {
            let p = base + "/" + relative
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }

    /// The folder holding `relative`, for scripts that import their neighbours.
    public static func directory(of relative: String) -> String? {
        path(relative).map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
    }

    /// Why a test that needs `relative` is skipped, or nil when the file is there.
    public static func missing(_ relative: String) -> String? {
        path(relative) == nil
            ? "\(root)/\(relative) is absent; this test needs the optional data in ../shared" : nil
    }
}
