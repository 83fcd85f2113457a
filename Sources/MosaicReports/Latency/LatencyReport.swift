import Foundation
import MosaicCore
import MosaicSim

/// The latency report: p50/p90/p95/p99 of successful requests by provider, model, region and
/// hour of day, latency CDFs, and before/after comparisons (two periods of the request log,
/// or two simulations) with 95% confidence intervals.
public struct LatencyReport: Sendable {
    public enum Comparison: Sendable {
        /// Two windows of the request log.
        case periods(before: LatencyData, after: LatencyData)
        /// Two simulation summaries (independent runs).
        case simulations(before: SimulationSummary, after: SimulationSummary)
        /// `mosaic simulate --compare`: paired differences on common random numbers.
        case paired(MosaicSim.Comparison)
    }

    public var data: LatencyData?
    public var comparison: Comparison?

    public init(data: LatencyData?, comparison: Comparison? = nil) {
        self.data = data
        self.comparison = comparison
    }

    static let levels: [(String, Double)] = [("p50", 0.50), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99)]

    public func report(name: String = "latency") -> Report {
        var r = Report(name: name, title: "Latency report",
                       subtitle: "Percentiles of successful requests by provider, model, region and hour of day, and before/after comparisons with 95% confidence intervals.")
        if let d = data {
            r.inputs.append(("Request log", "\(d.label): \(NumberFormat.grouped(d.count)) successful requests with a latency"))
        }
        switch comparison {
        case .periods(let a, let b)?: r.inputs.append(("Comparison", "\(a.label) → \(b.label)"))
        case .simulations(let a, let b)?: r.inputs.append(("Comparison", "simulation `\(a.scenario)` → `\(b.scenario)`"))
        case .paired(let c)?: r.inputs.append(("Comparison", "simulation `\(c.a)` → `\(c.b)` (paired)"))
        case nil: break
        }
        if let d = data, d.count > 0 {
            r.sections += requestLogSections(d)
        } else if data != nil {
            r.sections.append(ReportSection("Request log", [.text("No successful request with a latency in the window.")]))
        }
        if let comparison { r.sections.append(compare(comparison)) }
        r.sections.append(ReportSection("Method", [.list([
            "Percentiles use numpy's linear interpolation over successful requests (status ok) with a recorded latency; hours are UTC.",
            "Request-log intervals are distribution-free and exact: the order statistics between which the percentile lies with 95% probability (binomial, 2.5% a side); with too few requests an end is unbounded (–) and a before/after comparison of that percentile gives no verdict.",
            "Differences between two periods or two independent simulations: the difference of the estimates ± 1.96·√(se₁² + se₂²), each se taken from its interval. Paired simulation comparisons (`mosaic simulate --compare`) use the replication-paired t interval of B − A.",
        ])]))
        return r
    }

    func table(id: String, title: String, key: String, label: String, groups: [(String, [Double])], ci: Bool) -> ReportTable {
        var cols: [ReportTable.Column] = [.init(key, label), .init("requests", "Requests", numeric: true)]
        for (n, _) in Self.levels { cols.append(.init("\(n)_ms", "\(n) (ms)", numeric: true)) }
        if ci { cols += [.init("p95_low_ms", "p95 95% CI low", numeric: true), .init("p95_high_ms", "p95 95% CI high", numeric: true)] }
        var t = ReportTable(id: id, title: title, columns: cols)
        for (g, xs) in groups {
            var row: [Cell] = [.text(g), .int(xs.count)]
            for (_, p) in Self.levels { row.append(.number(Quantiles.linear(sorted: xs, p), places: 0)) }
            if ci {
                let q = QuantileEstimate(sorted: xs, 0.95)
                row += [.number(q.low, places: 0), .number(q.high, places: 0)]
            }
            t.append(row)
        }
        return t
    }

    func requestLogSections(_ d: LatencyData) -> [ReportSection] {
        let byProvider = d.sortedGroups { d.provider[$0] }.map { (d.providers[Int($0.key)], $0.value) }.sorted { $0.0 < $1.0 }
        let byModel = d.sortedGroups { Int(d.provider[$0]) << 16 | Int(d.model[$0]) }
            .map { ("\(d.providers[$0.key >> 16]) / \(d.models[$0.key & 0xFFFF])", $0.value) }.sorted { $0.0 < $1.0 }
        let byRegion = d.sortedGroups { d.region[$0] }.map { (d.regions[Int($0.key)], $0.value) }.sorted { $0.0 < $1.0 }
        let byHour = d.sortedGroups { d.hour[$0] }.sorted { $0.key < $1.key }.map { (String(format: "%02d:00", Int($0.key)), $0.value) }
        let providerHour = d.sortedGroups { Int(d.provider[$0]) * 24 + Int(d.hour[$0]) }

        // CDFs: 201 points per provider.
        let cdf = Chart(id: "cdf", title: "Latency CDF by provider", kind: .lines(
            x: Axis("Latency", unit: "ms", scale: .log), y: Axis("Share of requests at or below", unit: "%", labels: .percent),
            series: byProvider.map { name, xs in
                Series(name, (0...200).map { i in Series.Point(Quantiles.linear(sorted: xs, Double(i) / 200), Double(i) / 200) })
            }), caption: "Successful requests; the x axis is logarithmic so that fast API calls and long CI builds fit on one chart.")
        let hourChart = Chart(id: "p95-by-hour", title: "p95 latency by hour of day", kind: .lines(
            x: Axis("Hour of day", unit: "UTC", labels: .hourOfDay), y: Axis("p95 latency", unit: "ms", scale: .log),
            series: byProvider.map { name, _ in
                let p = d.providers.firstIndex(of: name)!
                return Series(name, (0..<24).compactMap { h in
                    guard let xs = providerHour[p * 24 + h], xs.count >= 20 else { return nil }
                    return Series.Point(Double(h), Quantiles.linear(sorted: xs, 0.95))
                })
            }), caption: "Hours with fewer than 20 successful requests of a provider are left out.")
        return [
            ReportSection("By provider", [.chart(cdf), .table(table(id: "by-provider", title: "Latency by provider", key: "provider", label: "Provider", groups: byProvider, ci: true))]),
            ReportSection("By model", [.table(table(id: "by-model", title: "Latency by provider and model", key: "model", label: "Provider / model", groups: byModel, ci: true))]),
            ReportSection("By region", [.table(table(id: "by-region", title: "Latency by region", key: "region", label: "Region", groups: byRegion, ci: true))]),
            ReportSection("By hour of day", [.chart(hourChart), .table(table(id: "by-hour", title: "Latency by hour of day (UTC), all providers", key: "hour", label: "Hour", groups: byHour, ci: false))]),
        ]
    }

    func compare(_ c: Comparison) -> ReportSection {
        var t = ReportTable(id: "comparison", title: "Before and after", columns: [
            .init("group", "Group"), .init("metric", "Metric"), .init("before", "Before", numeric: true),
            .init("before_ci", "Before 95% CI"), .init("after", "After", numeric: true), .init("after_ci", "After 95% CI"),
            .init("difference", "After − before", numeric: true), .init("difference_low", "Difference CI low", numeric: true),
            .init("difference_high", "Difference CI high", numeric: true), .init("significant", "Significant"),
        ], note: "Significant: the 95% interval of the difference excludes zero.")
        func ci(_ lo: Double, _ hi: Double, _ places: Int) -> Cell {
            guard lo.isFinite, hi.isFinite else { return .empty }
            return .text("\(NumberFormat.fixed(lo, places: places)) … \(NumberFormat.fixed(hi, places: places))")
        }
        func add(_ group: String, _ metric: String, before: (Double, Double, Double), after: (Double, Double, Double),
                 diff: (Double, Double, Double), places: Int) {
            let sig = diff.1.isFinite && diff.2.isFinite ? (diff.1 > 0 || diff.2 < 0 ? "yes" : "no") : "–"
            t.append([.text(group), .text(metric), .number(before.0, places: places), ci(before.1, before.2, places),
                      .number(after.0, places: places), ci(after.1, after.2, places), .number(diff.0, places: places),
                      .number(diff.1, places: places), .number(diff.2, places: places), .text(sig)])
        }
        var blocks: [ReportBlock] = []
        switch c {
        case let .periods(a, b):
            let ga = a.sortedGroups { a.provider[$0] }, gb = b.sortedGroups { b.provider[$0] }
            let names = Set(ga.keys.map { a.providers[Int($0)] }).intersection(gb.keys.map { b.providers[Int($0)] }).sorted()
            for name in names {
                let xa = ga[UInt16(a.providers.firstIndex(of: name)!)]!, xb = gb[UInt16(b.providers.firstIndex(of: name)!)]!
                for (label, p) in Self.levels where p != 0.90 {
                    let qa = QuantileEstimate(sorted: xa, p), qb = QuantileEstimate(sorted: xb, p)
                    let d = qb.value - qa.value
                    let h = 1.96 * (qa.standardError * qa.standardError + qb.standardError * qb.standardError).squareRoot()
                    add(name, "\(label) ms", before: (qa.value, qa.low, qa.high), after: (qb.value, qb.low, qb.high), diff: (d, d - h, d + h), places: 0)
                }
            }
            blocks.append(.text("Request log: \(a.label) (\(NumberFormat.grouped(a.count)) requests) against \(b.label) (\(NumberFormat.grouped(b.count)) requests), per provider."))
            // A provider with successful requests in one window only has nothing to compare with.
            let onlyBefore = Set(ga.keys.map { a.providers[Int($0)] }).subtracting(names).sorted()
            let onlyAfter = Set(gb.keys.map { b.providers[Int($0)] }).subtracting(names).sorted()
            let alone = onlyBefore.map { "\($0) (before only)" } + onlyAfter.map { "\($0) (after only)" }
            if !alone.isEmpty {
                blocks.append(.text("Not compared, with successful requests in one window only: \(alone.joined(separator: ", "))."))
            }
        case let .simulations(a, b):
            func est(_ e: Estimate) -> (Double, Double, Double) { (e.mean, e.low, e.high) }
            let metrics: [(String, KeyPath<SimulationSummary.Overall, Estimate>, Int)] = [
                ("latency p50 ms", \.latencyP50Ms, 0), ("latency p95 ms", \.latencyP95Ms, 0), ("latency p99 ms", \.latencyP99Ms, 0),
                ("latency mean ms", \.latencyMeanMs, 0), ("error rate", \.errorRate, 4), ("cost USD", \.costUSD, 2),
            ]
            for (label, kp, places) in metrics {
                let ea = a.overall[keyPath: kp], eb = b.overall[keyPath: kp]
                let d = eb.mean - ea.mean
                let h = (ea.halfWidth * ea.halfWidth + eb.halfWidth * eb.halfWidth).squareRoot()
                add("overall", label, before: est(ea), after: est(eb), diff: (d, d - h, d + h), places: places)
            }
            blocks.append(.text("Simulation `\(a.scenario)` (\(a.replications) replications) against `\(b.scenario)` (\(b.replications) replications); intervals are over replications, and the difference treats the runs as independent."))
            let chart = Chart(id: "sim-p95", title: "p95 latency per interval: before and after", kind: .lines(
                x: Axis("Time from the start", unit: "h:mm", labels: .offsetSeconds), y: Axis("p95 latency", unit: "ms"),
                series: [Series("Before: \(a.scenario)", a.series.compactMap { p in p.latencyP95Ms.map { .init(p.start, $0) } }, dashed: true),
                         Series("After: \(b.scenario)", b.series.compactMap { p in p.latencyP95Ms.map { .init(p.start, $0) } })]),
                caption: "Pooled over replications, one point per series interval.")
            blocks.append(.chart(chart))
        case let .paired(cmp):
            for row in cmp.rows {
                let places = row.metric.contains("rate") ? 4 : (row.metric.contains("usd") ? 2 : 0)
                add("overall", row.metric.replacingOccurrences(of: "_", with: " "), before: (row.a.mean, row.a.low, row.a.high),
                    after: (row.b.mean, row.b.low, row.b.high), diff: (row.difference.mean, row.difference.low, row.difference.high), places: places)
            }
            blocks.append(.text("Simulation `\(cmp.a)` against `\(cmp.b)` on common random numbers, \(cmp.replications) paired replications: the difference interval is the paired t interval of B − A."))
        }
        blocks.insert(.table(t), at: blocks.count > 1 ? 1 : blocks.count)
        return ReportSection("Before and after", blocks)
    }
}
