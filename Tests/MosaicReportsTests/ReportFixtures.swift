import Foundation
import MosaicCore
@testable import MosaicReports
import MosaicSim
@testable import MosaicStore
import MosaicTestSupport

/// Small, fixed inputs for the four reports, so that their rendered files can be compared
/// with committed golden files and checked for chart rules without a store.
enum ReportFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static func fixture(_ name: String) -> String { folder.appendingPathComponent("Fixtures/\(name)").path }
    static let goldenFolder = folder.appendingPathComponent("Golden").path

    /// The design documents' case: 150,000 up front, 415,000 a year, five years, 8%, monthly.
    static func roi() throws -> Report {
        try ROIReport(ROIInputs(upfront: Money(whole: 150_000), runningPerMonth: Money(whole: 2_500),
                                savings: .perYear(Money(whole: 415_000)), months: 60, annualRate: 0.08)).report()
    }

    /// Two weeks of hourly request cells for three providers, two tenants, and a billing
    /// table with two periods, tagged and untagged lines.
    static func costData() -> CostData {
        var cells: [CostData.RequestCell] = []
        let start: Int64 = 494_472  // 2026-05-04T00:00Z in hours (a Monday)
        for h in start..<(start + 14 * 24) {
            let hourOfDay = Int(h % 24)
            let busy = 1 + (hourOfDay >= 8 && hourOfDay < 20 ? 2 : 0)
            for (p, model, price) in [("openai", "gpt-4o", "0.0125"), ("anthropic", "claude-sonnet-4-5", "0.01875"), ("github", "api", "0")] {
                for tenant in ["acme", "globex"] {
                    var n = busy * (tenant == "acme" ? 30 : 12) + Int(h % 7)
                    if p == "openai" && h == start + 9 * 24 + 13 { n *= 40 }  // a spike on day 10
                    let cost = try! Money(parsing: price) * n
                    cells.append(.init(hour: h, provider: p, model: model, tenant: tenant, requests: n, failures: n / 50,
                                       inputTokens: p == "github" ? 0 : n * 1_200, outputTokens: p == "github" ? 0 : n * 300,
                                       cost: cost, unpriced: 0))
                }
            }
        }
        func m(_ s: String) -> Money { try! Money(parsing: s) }
        let billing: [CostData.BillingCell] = [
            .init(period: "2026-04-01 … 2026-04-30", currency: "USD", provider: "Acme Cloud", service: "Compute", team: "core", tenant: nil,
                  category: "Usage", billed: m("100.123456789012"), effective: m("90"), list: m("120"), lines: 3),
            .init(period: "2026-04-01 … 2026-04-30", currency: "USD", provider: "Acme Cloud", service: "Compute", team: "web", tenant: nil,
                  category: "Usage", billed: m("50.000000000001"), effective: m("45"), list: m("60"), lines: 2),
            .init(period: "2026-04-01 … 2026-04-30", currency: "USD", provider: "Acme Cloud", service: "Storage", team: nil, tenant: nil,
                  category: "Usage", billed: m("9.99999999999"), effective: m("9.99999999999"), list: nil, lines: 4),
            .init(period: "2026-05-01 … 2026-05-31", currency: "USD", provider: "Acme Cloud", service: "Compute", team: "core", tenant: nil,
                  category: "Usage", billed: m("101"), effective: m("91"), list: m("121"), lines: 3),
            .init(period: "2026-05-01 … 2026-05-31", currency: "USD", provider: "Acme Cloud", service: "Support", team: nil, tenant: nil,
                  category: "Adjustment", billed: m("-1.5"), effective: m("-1.5"), list: nil, lines: 1),
        ]
        let totals = ["2026-04-01 … 2026-04-30", "2026-05-01 … 2026-05-31"].map { p in
            CostData.PeriodTotal(period: p, currency: "USD", billed: billing.filter { $0.period == p }.map(\.billed).sum(),
                                 lines: billing.filter { $0.period == p }.map(\.lines).reduce(0, +))
        }
        return CostData(requests: cells, billing: billing, billingTotals: totals, from: start * 3_600_000_000, to: (start + 14 * 24) * 3_600_000_000)
    }

    static func costForecast() -> CostForecast {
        let start: Int64 = (494_472 + 14 * 24) * 3_600_000_000
        return CostForecast(source: "models/load-fixture.json", series: ["anthropic", "github", "openai"].map { g in
            let mean = (0..<24).map { Double(60 + ($0 >= 8 && $0 < 20 ? 120 : 0)) }
            return .init(group: g, start: start, interval: 3_600_000_000, mean: mean, lower95: mean.map { $0 * 0.6 }, upper95: mean.map { $0 * 1.5 })
        })
    }

    static func cost() -> Report { CostReport(data: costData(), period: .week, forecast: costForecast()).report() }

    /// Latencies drawn from a fixed seeded stream: three providers, two regions, every hour.
    static func latencyData(label: String, shift: Double) -> LatencyData {
        var rng = SplitMix(seed: 7)
        var d = LatencyData(label: label, providers: ["anthropic", "openai", "github-actions"], models: ["claude", "gpt-4o", "build"],
                            regions: ["eu", "us"], provider: [], model: [], region: [], hour: [], latencyMs: [])
        for i in 0..<6_000 {
            let p = UInt16(i % 3)
            let base = [3_000.0, 2_000.0, 300_000.0][Int(p)] * shift
            // Lognormal via Box-Muller.
            let u1 = max(rng.next(), 1e-12), u2 = rng.next()
            let z = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
            d.provider.append(p)
            d.model.append(p)
            d.region.append(UInt16(i % 2))
            d.hour.append(UInt8(i % 24))
            d.latencyMs.append((base * exp(0.5 * z)).rounded())
        }
        return d
    }

    static func latency() -> Report {
        LatencyReport(data: latencyData(label: "fixture", shift: 1),
                      comparison: .periods(before: latencyData(label: "week 1", shift: 1), after: latencyData(label: "week 2", shift: 1.1))).report()
    }

    static func failover() throws -> Report {
        FailoverReport(simulation: try SimulationFiles.summary(fixture("outage-simulation.json")),
                       sweep: try SimulationFiles.sweep(fixture("outage-sweep.json"))).report()
    }

    static func all() throws -> [Report] { [try roi(), cost(), latency(), try failover()] }
}

/// A deterministic uniform generator for fixtures (splitmix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) * 0x1p-53
    }
}
