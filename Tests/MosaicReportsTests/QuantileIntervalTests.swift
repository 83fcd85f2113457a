import Foundation
@testable import MosaicReports
import Testing

/// The latency report's percentile intervals against scipy: `quantile_test(x, p=p)
/// .confidence_interval(0.95)` on x = 1 … n gives the orders below (0-based; nil: unbounded),
/// computed with scipy 1.x (`binom.cdf`, checked against `quantile_test` up to n = 1,000).
/// The normal approximation these replaced, clamped to the sample, covered a p95 56% of the
/// time at n = 20 and called one request against one "significant".
@Suite struct QuantileIntervalTests {
    static let scipy: [(n: Int, p: Double, low: Int?, high: Int?)] = [
        (1, 0.5, nil, nil), (1, 0.95, nil, nil), (1, 0.99, 0, nil), (2, 0.5, nil, nil), (2, 0.95, 0, nil),
        (2, 0.99, 1, nil), (7, 0.5, 0, 6), (7, 0.95, 4, nil), (7, 0.99, 5, nil), (20, 0.5, 5, 14),
        (20, 0.95, 16, nil), (20, 0.99, 18, nil), (39, 0.5, 12, 26), (39, 0.95, 33, nil), (39, 0.99, 36, nil),
        (72, 0.5, 27, 44), (72, 0.95, 63, 71), (72, 0.99, 68, nil), (73, 0.5, 27, 45), (73, 0.95, 64, 72),
        (73, 0.99, 69, nil), (100, 0.5, 39, 60), (100, 0.95, 89, 99), (100, 0.99, 96, nil),
        (299, 0.5, 132, 166), (299, 0.95, 275, 291), (299, 0.99, 291, nil), (300, 0.5, 132, 167),
        (300, 0.95, 276, 292), (300, 0.99, 292, nil), (1000, 0.5, 468, 531), (1000, 0.95, 935, 963),
        (1000, 0.99, 982, 996), (400_000, 0.5, 199_379, 200_620), (400_000, 0.95, 379_728, 380_270),
        (400_000, 0.99, 395_875, 396_123),
    ]

    @Test func ordersEqualScipysExactInterval() {
        for c in Self.scipy {
            let o = QuantileEstimate.orders(n: c.n, p: c.p)
            #expect(o.low == c.low && o.high == c.high, "n \(c.n), p \(c.p): \(String(describing: o)), scipy \(String(describing: (c.low, c.high)))")
        }
    }

    /// Too few values leave an end unbounded, and a comparison of that percentile no verdict.
    @Test func tooFewValuesGiveAnUnboundedEnd() {
        let one = QuantileEstimate(sorted: [100], 0.95)
        #expect(one.value == 100 && one.low == -.infinity && one.high == .infinity)
        #expect(!one.standardError.isFinite)
        let twenty = QuantileEstimate(sorted: (1...20).map(Double.init), 0.95)
        #expect(twenty.low == 17 && twenty.high == .infinity)
        let hundred = QuantileEstimate(sorted: (1...100).map(Double.init), 0.95)
        #expect(hundred.low == 90 && hundred.high == 100)
    }
}

/// The before/after comparison names the providers it leaves out: one with successful
/// requests in one window only has nothing to be compared with (they went unmentioned).
@Suite struct LatencyComparisonNoteTests {
    @Test func providersInOneWindowOnlyAreNamed() {
        var after = ReportFixtures.latencyData(label: "week 2", shift: 1.1)
        // Week 2 has no github-actions request: its rows become openai's.
        after.provider = after.provider.map { $0 == 2 ? 1 : $0 }
        let report = LatencyReport(data: ReportFixtures.latencyData(label: "fixture", shift: 1),
                                   comparison: .periods(before: ReportFixtures.latencyData(label: "week 1", shift: 1), after: after)).report()
        let texts = report.sections.flatMap(\.blocks).compactMap { block -> String? in
            if case .text(let t) = block { return t }
            return nil
        }
        #expect(texts.contains("Not compared, with successful requests in one window only: github-actions (before only)."), "\(texts)")
        let compared = report.tables.first { $0.id == "comparison" }.map { $0.values("group") } ?? []
        #expect(!compared.contains(.text("github-actions")) && compared.contains(.text("openai")))
    }
}
