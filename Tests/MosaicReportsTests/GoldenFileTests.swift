import Foundation
@testable import MosaicReports
import MosaicTestSupport
import Testing

/// The rendered Markdown, CSV and JSON of the four fixture reports against committed golden
/// files (`Golden/`). Run with `MOSAIC_UPDATE_GOLDEN=1` to rewrite them after a deliberate
/// change, and review the diff.
///
/// Every number is compared exactly (`GoldenComparison.exact`): the fixtures are fixed inputs and
/// no fitted model is involved, so money, counts and statistics are the same on every machine.
/// A failure names the file, line and column of the number that moved.
@Suite struct GoldenFileTests {
    static let update = ProcessInfo.processInfo.environment["MOSAIC_UPDATE_GOLDEN"] == "1"

    @Test(arguments: ["roi", "cost", "latency", "failover"])
    func renderedFilesMatchTheGoldenFiles(_ name: String) throws {
        let report = try #require(try ReportFixtures.all().first { $0.name == name })
        let files = ReportWriter.files(report, formats: [.md, .csv, .json])
        #expect(files.count >= 3)
        for (file, contents) in files where !file.hasSuffix(".svg") {
            let path = ReportFixtures.goldenFolder + "/" + file
            if Self.update {
                try FileManager.default.createDirectory(atPath: ReportFixtures.goldenFolder, withIntermediateDirectories: true)
                try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
                continue
            }
            let golden = try #require(FileManager.default.contents(atPath: path), "missing golden file \(path); run with MOSAIC_UPDATE_GOLDEN=1")
            let expected = String(decoding: golden, as: UTF8.self)
            for problem in GoldenComparison.exact.differences(actual: contents, expected: expected, label: file).prefix(5) {
                Issue.record("\(problem)")
            }
        }
    }

    @Test func sameInputsGiveByteIdenticalFiles() throws {
        for report in try ReportFixtures.all() {
            let a = ReportWriter.files(report)
            let again = try ReportFixtures.all().first { $0.name == report.name }!
            let b = ReportWriter.files(again)
            #expect(a.map(\.name) == b.map(\.name))
            #expect(a.map(\.contents) == b.map(\.contents), "\(report.name) differs between two renderings")
        }
    }

    @Test func csvCarriesEveryDigitAndJSONKeepsMoneyAsText() throws {
        let cost = ReportFixtures.cost()
        let csv = DataRenderer.csv(try #require(cost.table("reconciliation")))
        #expect(csv.contains("160.123456789003"), "\(csv)")
        let json = DataRenderer.json(cost)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let tables = try #require(object["tables"] as? [[String: Any]])
        let rec = try #require(tables.first { $0["id"] as? String == "reconciliation" })
        let rows = try #require(rec["rows"] as? [[String: Any]])
        #expect(rows.first?["billed_total"] as? String == "160.123456789003")
        #expect(rows.allSatisfy { $0["matches"] as? Bool == true })
    }
}
