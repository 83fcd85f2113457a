import Foundation
import MosaicTestSupport
import Testing

/// The copies in `Tests/Fixtures/shared` stay byte-for-byte equal to the originals in `../shared`,
/// so the numeric checks a clone runs are the ones the README's claims rest on.
@Suite("Shared fixtures")
struct SharedFixtureTests {
    static var sharedPresent: Bool { FileManager.default.fileExists(atPath: SharedData.root + "/reference") }

    /// Every file, relative to `Tests/Fixtures/shared`, without the folder's own README.
    static func copies() throws -> [String] {
        let base = URL(fileURLWithPath: SharedData.fixtures)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var files: [String] = []
        for case let url as URL in walker where try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true {
            let relative = String(url.standardizedFileURL.path.dropFirst(base.standardizedFileURL.path.count + 1))
            if relative != "README.md" { files.append(relative) }
        }
        return files.sorted()
    }

    @Test("the numeric checks' reference files are in the repository")
    func referenceFilesAreCopied() throws {
        let files = try Self.copies()
        for needed in ["reference/results/forecast.json", "reference/results/queueing.json", "reference/results/roi.json",
                       "reference/data/regression_100k_coefficients.json", "datasets/m4-hourly/Hourly-train.csv",
                       "datasets/focus-billing-sample/focus_sample.csv",
                       "datasets/litellm-model-prices/model_prices_and_context_window.json"] {
            #expect(files.contains(needed), "Tests/Fixtures/shared/\(needed) is missing")
        }
        for folder in Set(files.filter { $0.hasPrefix("datasets/") }.map { $0.split(separator: "/").prefix(2).joined(separator: "/") }) {
            #expect(files.contains(folder + "/PROVENANCE.md"), "\(folder) has no PROVENANCE.md")
        }
    }

    @Test("every copy equals its original in ../shared", .enabled(if: sharedPresent, "../shared is absent"))
    func copiesEqualOriginals() throws {
        for relative in try Self.copies() {
            let copy = try Data(contentsOf: URL(fileURLWithPath: SharedData.fixtures + "/" + relative))
            let original = FileManager.default.contents(atPath: SharedData.root + "/" + relative)
            // A folder's own note on where its copies came from has no original.
            if original == nil && relative.hasSuffix("/PROVENANCE.md") { continue }
            #expect(original != nil, "\(relative) is not in \(SharedData.root)")
            #expect(original == nil || copy == original!, "Tests/Fixtures/shared/\(relative) differs from \(SharedData.root)/\(relative)")
        }
    }
}
