import Foundation
import Histogram
import MosaicCore
import MosaicRouting

/// Replications summarised: every figure as a mean with its 95% confidence interval over
/// replications, per provider, per outage and per interval. Encodes to deterministic JSON
/// (sorted keys), so the same scenario and seed give the same bytes.
public struct SimulationSummary: Sendable, Codable, Equatable, SimulationResult {
    public struct Overall: Sendable, Codable, Equatable {
        public var requests: Estimate
        /// Requests still in flight at the end (excluded from the rates).
        public var unfinished: Estimate
        public var successRate: Estimate
        public var errorRate: Estimate
        public var timeoutRate: Estimate
        public var unroutableRate: Estimate
        public var quotaRejectedRate: Estimate
        public var sloAttainment: Estimate?
        public var cacheHitRate: Estimate
        public var throughputPerSecond: Estimate
        public var latencyMeanMs: Estimate
        public var latencyP50Ms: Estimate
        public var latencyP95Ms: Estimate
        public var latencyP99Ms: Estimate
        public var attemptsPerRequest: Estimate
        public var retries: Estimate
        public var retriesDenied: Estimate
        public var failovers: Estimate
        public var costUSD: Estimate
        /// The exact cost of each replication (decimal text, in replication order).
        public var costExact: [String]
        public var costPerThousandRequestsUSD: Estimate
    }

    public struct ProviderSummary: Sendable, Codable, Equatable {
        public var provider: String
        public var attempts: Estimate
        public var share: Estimate
        public var successes: Estimate
        public var errorRate: Estimate
        public var timeouts: Estimate
        public var rejectedQueueFull: Estimate
        public var refusedWhileDown: Estimate
        public var latencyP50Ms: Estimate
        public var latencyP99Ms: Estimate
        public var utilisation: Estimate
        public var meanQueue: Estimate
        public var maxQueue: Int
        public var costUSD: Estimate
        public var breakerTrips: Estimate
        public var breakerTransitions: Estimate
        public var ejections: Estimate
    }

    public struct OutageSummary: Sendable, Codable, Equatable {
        public var label: String
        public var start: Double
        public var end: Double
        public var timeToDetectSeconds: Estimate
        /// Replications in which the router detected the outage.
        public var detectedIn: Int
        public var timeToFailoverSeconds: Estimate
        public var requests: Estimate
        public var failed: Estimate
        public var errorRateDuring: Estimate
        public var recoveredByFailover: Estimate
        public var errorBudgetBurned: Estimate
    }

    public struct SeriesPoint: Sendable, Codable, Equatable {
        public var start: Double
        public var arrivals: Double
        public var successes: Double
        public var failures: Double
        public var errorRate: Double
        public var latencyMeanMs: Double?
        public var latencyP95Ms: Double?
    }

    public struct TenantCost: Sendable, Codable, Equatable {
        public var tenant: String
        public var costUSD: Estimate
    }

    public var scenario: String
    public var policy: String
    public var strategy: String
    public var seed: UInt64
    public var replications: Int
    public var durationSeconds: Double
    public var warmupSeconds: Double
    public var overall: Overall
    public var providers: [ProviderSummary]
    public var tenants: [TenantCost]
    public var outages: [OutageSummary]
    public var series: [SeriesPoint]
    public var eventsPerReplication: Estimate

    public init(scenario: Scenario, policy: RoutingPolicy, results: [ReplicationResult]) {
        func est(_ f: (ReplicationResult) -> Double) -> Estimate { Estimate(results.map(f)) }
        func rate(_ n: Int, _ d: Int) -> Double { d > 0 ? Double(n) / Double(d) : 0 }
        self.scenario = scenario.name
        self.policy = policy.name
        strategy = policy.strategy.name
        seed = scenario.seed
        replications = results.count
        durationSeconds = scenario.duration
        warmupSeconds = scenario.warmup
        overall = Overall(
            requests: est { Double($0.requests) },
            unfinished: est { Double($0.unfinished) },
            successRate: est { rate($0.successes, $0.finished) },
            errorRate: est { $0.errorRate },
            timeoutRate: est { $0.timeoutRate },
            unroutableRate: est { rate($0.unroutable, $0.finished) },
            quotaRejectedRate: est { rate($0.rejectedByQuota, $0.finished) },
            sloAttainment: scenario.mix.sloMs == nil ? nil : est { rate($0.withinSLO, $0.finished) },
            cacheHitRate: est { rate($0.cacheHits, $0.requests) },
            throughputPerSecond: est { $0.throughput },
            latencyMeanMs: est { $0.latency.totalCount > 0 ? $0.latency.mean / 1_000 : .nan },
            latencyP50Ms: est { $0.latency.milliseconds(atPercentile: 50) ?? .nan },
            latencyP95Ms: est { $0.latency.milliseconds(atPercentile: 95) ?? .nan },
            latencyP99Ms: est { $0.latency.milliseconds(atPercentile: 99) ?? .nan },
            attemptsPerRequest: est { rate($0.attempts, $0.requests) },
            retries: est { Double($0.retries) },
            retriesDenied: est { Double($0.retriesDenied) },
            failovers: est { Double($0.failovers) },
            costUSD: est { $0.cost.doubleValue },
            costExact: results.map { $0.cost.description },
            costPerThousandRequestsUSD: est { $0.requests > 0 ? $0.cost.doubleValue * 1_000 / Double($0.requests) : 0 })
        let names = results.first?.providers.map(\.provider) ?? []
        providers = names.indices.map { i in
            func pe(_ f: (ProviderResult) -> Double) -> Estimate { Estimate(results.map { f($0.providers[i]) }) }
            return ProviderSummary(
                provider: names[i],
                attempts: pe { Double($0.attempts) },
                share: est { r in rate(r.providers[i].attempts, r.attempts) },
                successes: pe { Double($0.successes) },
                errorRate: pe { p in
                    // Of the attempts that ended: one still running at the end is not a failure.
                    let ended = p.successes + p.errors + p.timeouts + p.rejected
                    return ended > 0 ? Double(ended - p.successes) / Double(ended) : .nan
                },
                timeouts: pe { Double($0.timeouts) },
                rejectedQueueFull: pe { Double($0.rejected) },
                refusedWhileDown: pe { Double($0.refusedDown) },
                latencyP50Ms: pe { $0.latency.milliseconds(atPercentile: 50) ?? .nan },
                latencyP99Ms: pe { $0.latency.milliseconds(atPercentile: 99) ?? .nan },
                utilisation: pe { $0.utilisation },
                meanQueue: pe { $0.meanQueue },
                maxQueue: results.map { $0.providers[i].maxQueue }.max() ?? 0,
                costUSD: pe { $0.cost.doubleValue },
                breakerTrips: pe { Double($0.breakerTrips) },
                breakerTransitions: pe { Double($0.breakerTransitions) },
                ejections: pe { Double($0.ejections) })
        }
        let tenantNames = Set(results.flatMap { $0.costByTenant.keys }).sorted()
        tenants = tenantNames.map { t in TenantCost(tenant: t, costUSD: est { ($0.costByTenant[t] ?? .zero).doubleValue }) }
        let outageCount = results.first?.outages.count ?? 0
        outages = (0..<outageCount).map { o in
            let first = results[0].outages[o]
            return OutageSummary(
                label: first.label, start: first.start, end: first.end,
                timeToDetectSeconds: Estimate(results.compactMap { $0.outages[o].timeToDetect }),
                detectedIn: results.filter { $0.outages[o].timeToDetect != nil }.count,
                timeToFailoverSeconds: Estimate(results.compactMap { $0.outages[o].timeToFailover }),
                requests: est { Double($0.outages[o].requests) },
                failed: est { Double($0.outages[o].failed) },
                errorRateDuring: est { rate($0.outages[o].failed, $0.outages[o].requests) },
                recoveredByFailover: est { Double($0.outages[o].recoveredByFailover) },
                errorBudgetBurned: est { $0.outages[o].errorBudgetBurned })
        }
        let count = results.first?.series.arrivals.count ?? 0
        let n = Double(max(1, results.count))
        series = (0..<count).map { i in
            let arrivals = results.reduce(0) { $0 + $1.series.arrivals[i] }
            let ok = results.reduce(0) { $0 + $1.series.successes[i] }
            let failed = results.reduce(0) { $0 + $1.series.failures[i] }
            let latencySum = results.reduce(0.0) { $0 + $1.series.latencySumMs[i] }
            var merged = IntervalSeries(interval: scenario.seriesInterval, count: 1)
            for r in results { for k in 0..<IntervalSeries.bucketCount { merged.latencyBuckets[0][k] += r.series.latencyBuckets[i][k] } }
            return SeriesPoint(start: Double(i) * scenario.seriesInterval, arrivals: Double(arrivals) / n,
                               successes: Double(ok) / n, failures: Double(failed) / n,
                               errorRate: ok + failed > 0 ? Double(failed) / Double(ok + failed) : 0,
                               latencyMeanMs: ok > 0 ? latencySum / Double(ok) : nil,
                               latencyP95Ms: merged.percentileMs(95, interval: 0))
        }
        eventsPerReplication = est { Double($0.events) }
    }
}

/// The difference between two runs on common random numbers: B − A per replication.
public struct Comparison: Sendable, Codable, Equatable, SimulationResult {
    public struct Row: Sendable, Codable, Equatable {
        public var metric: String
        public var a: Estimate
        public var b: Estimate
        /// B − A, paired by replication.
        public var difference: Estimate
    }
    public var a: String
    public var b: String
    public var replications: Int
    public var rows: [Row]

    public init(a: (name: String, results: [ReplicationResult]), b: (name: String, results: [ReplicationResult])) {
        self.a = a.name
        self.b = b.name
        replications = min(a.results.count, b.results.count)
        let metrics: [(String, (ReplicationResult) -> Double)] = [
            ("requests", { Double($0.requests) }),
            ("success_rate", { $0.finished > 0 ? Double($0.successes) / Double($0.finished) : 0 }),
            ("error_rate", { $0.errorRate }),
            ("timeout_rate", { $0.timeoutRate }),
            ("latency_p50_ms", { $0.latency.milliseconds(atPercentile: 50) ?? .nan }),
            ("latency_p95_ms", { $0.latency.milliseconds(atPercentile: 95) ?? .nan }),
            ("latency_p99_ms", { $0.latency.milliseconds(atPercentile: 99) ?? .nan }),
            ("retries", { Double($0.retries) }),
            ("failovers", { Double($0.failovers) }),
            ("cost_usd", { $0.cost.doubleValue }),
            ("cost_per_1k_requests_usd", { $0.requests > 0 ? $0.cost.doubleValue * 1_000 / Double($0.requests) : 0 }),
        ]
        let n = replications
        rows = metrics.map { name, f in
            let xa = a.results.prefix(n).map(f), xb = b.results.prefix(n).map(f)
            return Row(metric: name, a: Estimate(xa), b: Estimate(xb), difference: Estimate(zip(xb, xa).map { $0 - $1 }))
        }
    }
}
