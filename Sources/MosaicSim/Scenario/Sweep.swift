import Foundation
import MosaicCore

/// The N−1 sweep: each provider in turn is taken down at the busiest hour, on the same random
/// numbers as the baseline, and the damage is ranked.
public struct OutageSweep: Sendable, Codable, Equatable, SimulationResult {
    public struct Row: Sendable, Codable, Equatable {
        public var provider: String
        /// Extra failed requests against the baseline (paired by replication).
        public var extraFailed: Estimate
        public var errorRate: Estimate
        public var extraLatencyP99Ms: Estimate
        public var extraCostUSD: Estimate
        public var timeToDetectSeconds: Estimate
        public var errorBudgetBurned: Estimate
    }
    /// When the outages start (seconds from the scenario start) and how long they last.
    public var start: Double
    public var duration: Double
    public var replications: Int
    public var baselineFailed: Estimate
    /// Worst first.
    public var rows: [Row]
}

extension Simulator {
    /// The start of the busiest whole hour of expected arrivals (seconds from the start) such
    /// that an outage of `duration` still ends within the scenario.
    public func busiestHour(fitting duration: Double) -> Double {
        let latest = max(0, scenario.duration - duration)
        var best = 0.0, bestRate = -1.0
        var t = 0.0
        while t <= latest {
            let expected = arrivalsIn(t, min(t + 3_600, scenario.duration))
            if expected > bestRate { bestRate = expected; best = t }
            t += 3_600
        }
        return best
    }

    func arrivalsIn(_ a: Double, _ b: Double) -> Double {
        switch arrivals {
        case .recorded(let requests, _, _):
            return Double(requests.lazy.filter { $0.time >= a && $0.time < b }.count)
        default:
            var total = 0.0, t = a
            while t < b {
                let dt = min(60, b - t)
                total += arrivals.baseRate(at: t, start: scenario.start) * dt
                t += dt
            }
            return total
        }
    }

    /// Takes each provider down for `duration` seconds at the busiest hour and ranks the damage.
    public func sweep(duration: Double, replications: Int, parallelism: Int = ProcessInfo.processInfo.activeProcessorCount,
                      progress: (@Sendable (String) -> Void)? = nil) throws(SimulationError) -> OutageSweep {
        let start = busiestHour(fitting: duration)
        progress?("baseline")
        let baseline = runReplications(replications, parallelism: parallelism)
        try checkCosts(baseline)
        var rows: [OutageSweep.Row] = []
        for p in scenario.providers {
            progress?(p.id)
            var s = scenario
            s.events.append(ScenarioEvent(kind: .outage, provider: p.id, start: start, duration: duration))
            let sim = try Simulator(scenario: s, catalog: catalog, policy: policy, model: model, arrivals: arrivals,
                                    availabilityTarget: availabilityTarget)
            let results = sim.runReplications(replications, parallelism: parallelism)
            try sim.checkCosts(results)
            let o = results[0].outages.count - 1
            func failed(_ r: ReplicationResult) -> Double { Double(r.finished - r.successes) }
            rows.append(OutageSweep.Row(
                provider: p.id,
                extraFailed: Estimate(zip(results, baseline).map { failed($0) - failed($1) }),
                errorRate: Estimate(results.map(\.errorRate)),
                extraLatencyP99Ms: Estimate(zip(results, baseline).map {
                    ($0.latency.milliseconds(atPercentile: 99) ?? .nan) - ($1.latency.milliseconds(atPercentile: 99) ?? .nan)
                }),
                extraCostUSD: Estimate(zip(results, baseline).map { $0.cost.doubleValue - $1.cost.doubleValue }),
                timeToDetectSeconds: Estimate(results.compactMap { $0.outages[o].timeToDetect }),
                errorBudgetBurned: Estimate(results.map { $0.outages[o].errorBudgetBurned })))
        }
        rows.sort { ($0.extraFailed.mean, $0.extraLatencyP99Ms.mean, $1.provider) > ($1.extraFailed.mean, $1.extraLatencyP99Ms.mean, $0.provider) }
        return OutageSweep(start: start, duration: duration, replications: replications,
                           baselineFailed: Estimate(baseline.map { Double($0.finished - $0.successes) }), rows: rows)
    }
}
