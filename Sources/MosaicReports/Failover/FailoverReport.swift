import Foundation
import MosaicCore
import MosaicSim

/// The failover report: for a simulated outage scenario, the error rate during each outage,
/// the failover success rate, time to detect, to fail over and to recover, the extra cost,
/// the SLO error budget burned, and the N−1 ranking of providers from a sweep.
public struct FailoverReport: Sendable {
    public var simulation: SimulationSummary?
    /// The same scenario without the outage, for the extra cost.
    public var baseline: SimulationSummary?
    public var sweep: OutageSweep?
    /// The availability target the simulator's error budget uses.
    public var availabilityTarget: Double

    public init(simulation: SimulationSummary?, baseline: SimulationSummary? = nil, sweep: OutageSweep? = nil, availabilityTarget: Double = 0.999) {
        self.simulation = simulation
        self.baseline = baseline
        self.sweep = sweep
        self.availabilityTarget = availabilityTarget
    }

    func est(_ e: Estimate, _ places: Int, scale: Double = 1, suffix: String = "") -> String {
        guard e.mean.isFinite else { return "–" }
        let m = NumberFormat.fixed(e.mean * scale, places: places)
        guard e.halfWidth.isFinite else { return m + suffix }
        return "\(m) ± \(NumberFormat.fixed(e.halfWidth * scale, places: places))\(suffix)"
    }

    /// Mean and 95% interval, the interval's ends clipped to what the metric can be (`within`,
    /// after scaling), as `mosaic simulate` prints them: a t interval of a few replications can
    /// reach below 0 or past 100%, which no run can.
    func estCells(_ e: Estimate, _ places: Int, scale: Double = 1, within range: ClosedRange<Double> = -.infinity ... .infinity) -> [Cell] {
        [.number(e.mean * scale, places: places),
         .number(e.halfWidth.isFinite ? max(e.low * scale, range.lowerBound) : nil, places: places),
         .number(e.halfWidth.isFinite ? min(e.high * scale, range.upperBound) : nil, places: places)]
    }

    /// A share in percent, and a count, time or cost.
    static let percent = 0.0 ... 100.0, nonNegative = 0.0 ... Double.infinity

    func estColumns(_ name: String, _ label: String) -> [ReportTable.Column] {
        [.init(name, label, numeric: true), .init(name + "_low", "95% CI low", numeric: true), .init(name + "_high", "95% CI high", numeric: true)]
    }

    public func report(name: String = "failover") -> Report {
        var r = Report(name: name, title: "Failover report",
                       subtitle: "What a simulated outage does to errors, latency, cost and the SLO error budget, and which single provider outage hurts most.")
        if let s = simulation {
            r.inputs += [("Simulation", "`\(s.scenario)`: \(NumberFormat.fixed(s.durationSeconds / 3600, places: 2)) h, \(s.replications) replications, seed \(s.seed)"),
                         ("Policy", "\(s.policy) (\(s.strategy))")]
        }
        if let b = baseline { r.inputs.append(("Baseline", "`\(b.scenario)`: \(b.replications) replications")) }
        if let w = sweep { r.inputs.append(("N−1 sweep", "each provider down for \(NumberFormat.fixed(w.duration / 60, places: 0)) min from \(NumberFormat.fixed(w.start / 3600, places: 2)) h, \(w.replications) replications")) }
        r.inputs.append(("Availability target", NumberFormat.fixed(availabilityTarget * 100, places: 2) + "% (error budget = \(NumberFormat.fixed((1 - availabilityTarget) * 100, places: 2))% of requests)"))
        if let s = simulation { r.sections += outageSections(s) }
        if let w = sweep { r.sections.append(ranking(w)) }
        if simulation == nil && sweep == nil {
            r.sections.append(ReportSection("No input", [.text("Give a simulation result (`mosaic simulate SCENARIO --out FILE`) and/or an N−1 sweep (`--sweep --out FILE`).")]))
        }
        r.sections.append(ReportSection("Definitions", [.list([
            "Every figure is a mean over replications ± the half-width of its 95% t interval.",
            "Error rate during the outage: failed ÷ requests arriving while the provider was down.",
            "Failover success rate: requests that hit the failed provider and were saved by failover ÷ (saved + failed), from the replication means.",
            "Time to detect: from the outage start to the router marking the provider unhealthy (breaker open or ejected). Time to fail over: to the first request served elsewhere.",
            "Time to recover: from the outage end to the first minute after which the error rate stays at or below its pre-outage level (mean + 3 sd of the 30 minutes before) for 5 minutes, on the pooled per-interval series.",
            "Error budget burned: failed requests during the outage ÷ the run's error budget, (1 − target) × requests; 100% is the whole budget of the simulated window.",
        ])]))
        return r
    }

    /// Scenario cost minus baseline cost: paired by replication (the exact per-replication
    /// costs, same seed and count: common random numbers), otherwise as independent runs.
    func extraCost(_ s: SimulationSummary, _ b: SimulationSummary) -> Estimate {
        let a = s.overall.costExact.compactMap { try? Money(parsing: $0) }, c = b.overall.costExact.compactMap { try? Money(parsing: $0) }
        if s.seed == b.seed, a.count == c.count, a.count == s.replications, !a.isEmpty {
            return Estimate(zip(a, c).map { ($0 - $1).doubleValue })
        }
        var e = Estimate([s.overall.costUSD.mean - b.overall.costUSD.mean])
        e.halfWidth = (s.overall.costUSD.halfWidth * s.overall.costUSD.halfWidth + b.overall.costUSD.halfWidth * b.overall.costUSD.halfWidth).squareRoot()
        e.n = min(s.replications, b.replications)
        return e
    }

    /// Minutes after `end` until the error rate stays at its pre-outage level for 5 intervals.
    func recovery(_ s: SimulationSummary, start: Double, end: Double) -> Double? {
        let pts = s.series
        guard pts.count > 2 else { return nil }
        let interval = pts[1].start - pts[0].start
        let before = pts.filter { $0.start >= start - 1800 && $0.start + interval <= start && $0.arrivals > 0 }.map(\.errorRate)
        guard !before.isEmpty else { return nil }
        let mean = before.reduce(0, +) / Double(before.count)
        let sd = (before.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, before.count - 1))).squareRoot()
        let threshold = mean + 3 * sd
        let after = pts.filter { $0.start >= end }
        let need = 5
        var i = 0
        while i + need <= after.count {
            if after[i..<(i + need)].allSatisfy({ $0.errorRate <= threshold }) { return after[i].start - end }
            i += 1
        }
        return nil
    }

    func outageSections(_ s: SimulationSummary) -> [ReportSection] {
        guard !s.outages.isEmpty else {
            return [ReportSection("Outages", [.text("The scenario `\(s.scenario)` has no outage event; add one (`events: [{kind: outage, provider: …, start: …, duration: …}]`).")])]
        }
        var sections: [ReportSection] = []
        var t = ReportTable(id: "outages", title: "Outages", columns:
            [.init("outage", "Outage"), .init("from_h", "From (h)", numeric: true), .init("to_h", "To (h)", numeric: true)]
            + estColumns("error_rate_pct", "Error rate during (%)") + [.init("failover_success_pct", "Failover success (%)", numeric: true)]
            + estColumns("time_to_detect_s", "Time to detect (s)") + estColumns("time_to_failover_s", "Time to fail over (s)")
            + [.init("time_to_recover_s", "Time to recover (s)", numeric: true), .init("detected_in", "Detected in (runs)", numeric: true)]
            + estColumns("error_budget_burned_pct", "Error budget burned (%)"))
        var figures: [KeyFigure] = []
        for o in s.outages {
            let saved = o.recoveredByFailover.mean, failed = o.failed.mean
            let success = saved + failed > 0 ? saved / (saved + failed) : nil
            let recover = recovery(s, start: o.start, end: o.end)
            t.append([.text(o.label), .number(o.start / 3600, places: 2), .number(o.end / 3600, places: 2)]
                     + estCells(o.errorRateDuring, 3, scale: 100, within: Self.percent) + [.percent(success, places: 2)]
                     + estCells(o.timeToDetectSeconds, 1, within: Self.nonNegative) + estCells(o.timeToFailoverSeconds, 1, within: Self.nonNegative)
                     + [.number(recover, places: 0), .text("\(o.detectedIn) of \(s.replications)")]
                     + estCells(o.errorBudgetBurned, 1, scale: 100, within: Self.nonNegative))
            if figures.isEmpty {
                figures = [
                    KeyFigure("Error rate during the outage", est(o.errorRateDuring, 3, scale: 100, suffix: "%"), note: o.label),
                    KeyFigure("Failover success", success.map { NumberFormat.fixed($0 * 100, places: 2) + "%" } ?? "–",
                              note: "\(NumberFormat.fixed(saved, places: 0)) saved, \(NumberFormat.fixed(failed, places: 0)) failed per run"),
                    KeyFigure("Time to detect", est(o.timeToDetectSeconds, 1, suffix: " s")),
                    KeyFigure("Time to fail over", est(o.timeToFailoverSeconds, 1, suffix: " s")),
                    KeyFigure("Time to recover", recover.map { NumberFormat.fixed($0, places: 0) + " s after the outage ends" } ?? "not within the run"),
                    KeyFigure("Error budget burned", est(o.errorBudgetBurned, 1, scale: 100, suffix: "%"), note: "of the simulated window's budget"),
                ]
                if let b = baseline {
                    figures.append(KeyFigure("Extra cost", "USD " + est(extraCost(s, b), 2), note: "against `\(b.scenario)`, paired by replication when the seeds match"))
                } else {
                    figures.append(KeyFigure("Extra cost", "–", note: "give --baseline (the scenario without the outage) to measure it"))
                }
            }
        }
        sections.append(ReportSection("The outage", [.figures(figures), .table(t)]))

        var overall = ReportTable(id: "overall", title: "Whole run", columns:
            [.init("metric", "Metric")] + estColumns("scenario", "Scenario") + (baseline == nil ? [] : estColumns("baseline", "Baseline") + [.init("difference", "Difference", numeric: true)]))
        let metrics: [(String, KeyPath<SimulationSummary.Overall, Estimate>, Int, Double)] = [
            ("Requests", \.requests, 0, 1), ("Error rate (%)", \.errorRate, 3, 100), ("Timeout rate (%)", \.timeoutRate, 3, 100),
            ("Latency p50 (ms)", \.latencyP50Ms, 0, 1), ("Latency p95 (ms)", \.latencyP95Ms, 0, 1), ("Latency p99 (ms)", \.latencyP99Ms, 0, 1),
            ("Failovers", \.failovers, 0, 1), ("Retries", \.retries, 0, 1), ("Cost (USD)", \.costUSD, 2, 1),
            ("Cost per 1k requests (USD)", \.costPerThousandRequestsUSD, 4, 1),
        ]
        for (label, kp, places, scale) in metrics {
            // Counts, times and costs (≥ 0), and rates (0–100%).
            let range = scale == 100 ? Self.percent : Self.nonNegative
            var row: [Cell] = [.text(label)] + estCells(s.overall[keyPath: kp], places, scale: scale, within: range)
            if let b = baseline {
                row += estCells(b.overall[keyPath: kp], places, scale: scale, within: range)
                row.append(.number((s.overall[keyPath: kp].mean - b.overall[keyPath: kp].mean) * scale, places: places))
            }
            overall.append(row)
        }
        var providers = ReportTable(id: "providers", title: "Per provider", columns:
            [.init("provider", "Provider")] + estColumns("share_pct", "Share of attempts (%)") + estColumns("error_rate_pct", "Error rate (%)")
            + estColumns("p99_ms", "p99 (ms)") + estColumns("cost_usd", "Cost (USD)") + [.init("breaker_trips", "Breaker trips", numeric: true)])
        for p in s.providers {
            providers.append([.text(p.provider)] + estCells(p.share, 2, scale: 100, within: Self.percent)
                             + estCells(p.errorRate, 3, scale: 100, within: Self.percent)
                             + estCells(p.latencyP99Ms, 0, within: Self.nonNegative) + estCells(p.costUSD, 2, within: Self.nonNegative)
                             + [.number(p.breakerTrips.mean, places: 1)])
        }
        let interval = s.series.count > 1 ? s.series[1].start - s.series[0].start : 60
        let errChart = Chart(id: "error-rate", title: "Error rate over the run", kind: .lines(
            x: Axis("Time from the start", unit: "h:mm", labels: .offsetSeconds), y: Axis("Error rate", unit: "%", labels: .percent),
            series: [Series("Error rate", s.series.filter { $0.arrivals > 0 }.map { .init($0.start, $0.errorRate) })]),
            caption: s.outages.map { "\($0.label) from \(SVGRenderer.label($0.start, .offsetSeconds, step: 60)) to \(SVGRenderer.label($0.end, .offsetSeconds, step: 60))" }.joined(separator: "; ")
                + ". One point per \(NumberFormat.fixed(interval, places: 0)) s interval, pooled over replications.")
        let latChart = Chart(id: "latency", title: "p95 latency over the run", kind: .lines(
            x: Axis("Time from the start", unit: "h:mm", labels: .offsetSeconds), y: Axis("p95 latency", unit: "ms"),
            series: [Series("p95 latency", s.series.compactMap { p in p.latencyP95Ms.map { .init(p.start, $0) } })]),
            caption: "Successful requests per interval, pooled over replications.")
        sections.append(ReportSection("Over time", [.chart(errChart), .chart(latChart)]))
        sections.append(ReportSection("Whole run", [.table(overall), .table(providers)]))
        return sections
    }

    func ranking(_ w: OutageSweep) -> ReportSection {
        var t = ReportTable(id: "n-minus-1", title: "N−1 ranking: each provider down in turn, worst first", columns:
            [.init("rank", "Rank", numeric: true), .init("provider", "Provider")] + estColumns("extra_failed", "Extra failed requests")
            + estColumns("error_rate_pct", "Error rate (%)") + estColumns("extra_p99_ms", "Extra p99 (ms)")
            + estColumns("extra_cost_usd", "Extra cost (USD)") + estColumns("time_to_detect_s", "Time to detect (s)")
            + estColumns("error_budget_burned_pct", "Error budget burned (%)"),
            note: "Each provider is taken down for \(NumberFormat.fixed(w.duration / 60, places: 0)) minutes at the busiest hour on the same random numbers as the baseline (\(est(w.baselineFailed, 1)) failed requests); extras are paired differences.")
        for (i, row) in w.rows.enumerated() {
            t.append([.int(i + 1), .text(row.provider)] + estCells(row.extraFailed, 0) + estCells(row.errorRate, 3, scale: 100, within: Self.percent)
                     + estCells(row.extraLatencyP99Ms, 0) + estCells(row.extraCostUSD, 2) + estCells(row.timeToDetectSeconds, 1, within: Self.nonNegative)
                     + estCells(row.errorBudgetBurned, 1, scale: 100, within: Self.nonNegative))
        }
        let chart = Chart(id: "n-minus-1", title: "Extra failed requests when each provider is down", kind: .stackedBars(
            categories: w.rows.map(\.provider), x: Axis("Provider taken down", unit: ""), y: Axis("Extra failed requests", unit: "requests per run"),
            series: [Series("Extra failed requests", values: w.rows.map { max(0, $0.extraFailed.mean) })]),
            caption: "Worst first; the table gives the 95% intervals.")
        return ReportSection("N−1 ranking", [.text(w.rows.first.map { "The worst single outage is **\($0.provider)**: \(est($0.extraFailed, 0)) extra failed requests per run." } ?? "The sweep has no rows."),
                                             .chart(chart), .table(t)])
    }
}
