import Foundation
@testable import MosaicReports
import Testing

/// ``SimulationFiles``: the JSON `mosaic simulate … --out` writes, read back for the reports,
/// and each kind refused with its own message when the file holds another.
@Suite struct SimulationFilesTests {
    /// A `--compare` file (4 paired replications) feeds the latency report's before-and-after
    /// table: each row's means and the paired interval of B − A as written.
    @Test func aPairedComparisonFeedsTheLatencyReport() throws {
        let c = try SimulationFiles.comparison(ReportFixtures.fixture("comparison.json"))
        #expect(c.a == "anthropic-outage-at-peak" && c.b == "bigger-cache" && c.replications == 4 && c.rows.count == 11)
        let table = try #require(LatencyReport(data: nil, comparison: .paired(c)).report().tables.first { $0.id == "comparison" })
        let metrics = table.values("metric")
        let p95 = try #require(metrics.firstIndex(of: .text("latency p95 ms")))
        #expect(table.values("difference")[p95] == .number(-1788.928))
        #expect(table.values("difference_low")[p95] == .number(-1788.928 - 261.10623293691884))
        #expect(table.values("difference_high")[p95] == .number(-1788.928 + 261.10623293691884))
        #expect(table.values("significant")[p95] == .text("yes"))
        // The same requests on common random numbers: a difference of exactly 0, not significant.
        let requests = try #require(metrics.firstIndex(of: .text("requests")))
        #expect(table.values("difference")[requests] == .number(0) && table.values("significant")[requests] == .text("no"))
    }

    /// Two summaries compared as independent runs: the difference of the means ± the root sum
    /// of squares of the two half-widths. The fixture against itself: p95 7,798.783 ms ±
    /// 236.259 each side, a difference of 0 ± √2 · 236.259, not significant.
    @Test func twoSimulationsAreComparedAsIndependentRuns() throws {
        let s = try SimulationFiles.summary(ReportFixtures.fixture("outage-simulation.json"))
        let table = try #require(LatencyReport(data: nil, comparison: .simulations(before: s, after: s)).report().tables.first { $0.id == "comparison" })
        let metrics = table.values("metric")
        #expect(metrics.count == 6)
        let p95 = try #require(metrics.firstIndex(of: .text("latency p95 ms")))
        let h = 2.0.squareRoot() * 236.2591723099063
        #expect(table.values("before")[p95] == .number(7798.783) && table.values("after")[p95] == .number(7798.783))
        #expect(table.values("difference")[p95] == .number(0))
        guard case .number(let low) = table.values("difference_low")[p95], case .number(let high) = table.values("difference_high")[p95] else {
            Issue.record("no difference interval"); return
        }
        #expect(abs(low + h) < 1e-9 && abs(high - h) < 1e-9)
        #expect(table.values("significant")[p95] == .text("no"))
    }

    @Test func eachKindRefusesTheOthersAndAMissingFile() {
        let summary = ReportFixtures.fixture("outage-simulation.json"), comparison = ReportFixtures.fixture("comparison.json")
        func reason(_ read: () throws -> Void) -> String {
            do { try read() } catch let ReportError.cannotRead(_, reason) { return reason } catch { return "\(error)" }
            return "read"
        }
        #expect(reason { _ = try SimulationFiles.comparison(summary) }.hasPrefix("not a comparison (`mosaic simulate --compare A B --out FILE`): "))
        #expect(reason { _ = try SimulationFiles.summary(comparison) }.hasPrefix("not a simulation summary (`mosaic simulate SCENARIO --out FILE`): "))
        #expect(reason { _ = try SimulationFiles.sweep(summary) }.hasPrefix("not an N−1 sweep (`mosaic simulate SCENARIO --sweep --out FILE`): "))
        #expect(reason { _ = try SimulationFiles.summary(summary + ".missing") } == "no such file, or it is not readable")
    }
}
