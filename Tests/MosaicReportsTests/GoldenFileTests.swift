import Foundation
import MosaicCore
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

    /// Doubles carry 12 significant digits: the arithmetic's noise past them goes, and every value
    /// reads back within half a unit of its 12th digit.
    @Test func doublesCarryTwelveSignificantDigitsWithoutTheArithmeticsNoise() throws {
        #expect(NumberFormat.exact(1 - 0.8) == "0.2")
        #expect(NumberFormat.exact(0.1 + 0.2) == "0.3")
        #expect(NumberFormat.exact(10078.206999999999) == "10078.207")
        #expect(NumberFormat.exact(4.499999999995907) == "4.5")
        #expect(NumberFormat.exact(32636.25) == "32636.25")
        #expect(NumberFormat.exact(-3198.9760000000006) == "-3198.976")
        #expect(NumberFormat.exact(12) == "12")
        #expect(NumberFormat.exact(.nan) == nil && NumberFormat.exact(.infinity) == nil)
        #expect(NumberFormat.exact(160.123456789003) == "160.123456789")
        var generator = SeededRandom(seed: 12)
        for _ in 0..<10_000 {
            let bits = generator.next()
            let v = Double(bitPattern: bits & 0x7FEF_FFFF_FFFF_FFFF) * (bits & 1 == 0 ? 1 : -1)
            let text = try #require(NumberFormat.exact(v))
            let back = try #require(Double(text), "\(v) → \(text)")
            #expect(abs(back - v) <= abs(v) * 5e-12, "\(v) → \(text)")
        }
    }
}
