// Scenario-replay benchmark: one simulated day at 1,000 requests/second (86.4 million requests)
// across 4 providers, with a 2-hour outage of one of them and failover, through the same router
// the online service runs.
//
//   swift build -c release --product ReplayBenchmark && .build/release/ReplayBenchmark [--hours 24] [--rate 1000]
//
// Goal (issues 7 and 18): under 60 s on 2 cores with peak memory under 1 GB: statistics are
// streamed (HdrHistograms and per-minute counters), nothing is kept per request once it has
// finished. One replication runs the kernel on one thread; the second core generates its
// arrivals, their request mix and their first attempts' random draws ahead of it.
import BenchmarkSupport
import Foundation
import MosaicCore
import MosaicRouting
import MosaicSim

#if canImport(Glibc)
import Glibc
#endif

let options = BenchmarkOptions("ReplayBenchmark", values: ["--hours", "--rate"], usage: "[--hours H] [--rate R]")
let hours = options.double("--hours", 24)
let rate = options.double("--rate", 1_000)

let pool = ["openai", "anthropic", "cohere", "ollama"]
let policy = RoutingPolicy(
    name: "replay-bench", providers: pool, strategy: .powerOfTwoChoices,
    breaker: CircuitBreaker.Configuration(consecutiveFailures: 5, baseOpenDuration: 5 * RoutingTime.second),
    // Enterprise limits well above this load (the catalog's defaults would cap OpenAI at
    // 10,000/minute and push the rest onto Ollama).
    rateLimits: ["openai": [], "anthropic": [], "cohere": []],
    fallbacks: ["openai": ["anthropic", "ollama"], "anthropic": ["openai", "ollama"], "cohere": ["openai", "ollama"]],
    costs: ["openai": ProviderCost(inputPerMillion: Money("2.50")!, outputPerMillion: Money("10.00")!),
            "anthropic": ProviderCost(inputPerMillion: Money("3.00")!, outputPerMillion: Money("15.00")!),
            "cohere": ProviderCost(inputPerMillion: Money("2.50")!, outputPerMillion: Money("10.00")!)])
let duration = hours * 3_600
let scenario = Scenario(
    name: "replay-benchmark", seed: 2026, start: 1_791_763_200_000_000, duration: duration, replications: 1,
    traffic: .poisson(rate: rate, profile: nil, bursts: nil),
    mix: RequestMix(tenants: ["acme": 0.6, "globex": 0.4], sloMs: 20_000),
    providers: [
        ProviderSpec(id: "openai", concurrency: 1_500, queueLimit: 5_000, service: .lognormal(medianMs: 1_200, sigma: 0.5), errorRate: 0.01),
        ProviderSpec(id: "anthropic", concurrency: 1_500, queueLimit: 5_000, service: .lognormal(medianMs: 1_500, sigma: 0.5), errorRate: 0.015),
        ProviderSpec(id: "cohere", concurrency: 1_000, queueLimit: 5_000, service: .lognormal(medianMs: 1_300, sigma: 0.5), errorRate: 0.02),
        ProviderSpec(id: "ollama", concurrency: 1_000, queueLimit: 5_000, service: .lognormal(medianMs: 1_800, sigma: 0.6), errorRate: 0.01),
    ],
    events: [ScenarioEvent(kind: .outage, provider: "anthropic", start: min(14 * 3_600, duration / 2), duration: min(2 * 3_600, duration / 4))],
    client: ClientSpec(timeout: 30, failover: true), seriesInterval: 60)

let sim = try Simulator(scenario: scenario, catalog: .default, policy: policy,
                        arrivals: .poisson(rate: rate, profile: nil, bursts: nil))
let started = DispatchTime.now()
let r = sim.replicate(0)
let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
let o = r.outages[0]
print("replay: \(Int(hours)) h at \(Int(rate)) requests/s across 4 providers (p2c, fallbacks), anthropic down \(Int(o.start / 3_600))h–\(Int(o.end / 3_600))h")
print(String(format: "  %@ requests, %@ events in %.1f s: %.2f M requests/s, %.2f M events/s; peak RSS %.0f MB",
             r.requests.formatted(), r.events.formatted(), seconds, Double(r.requests) / seconds / 1e6,
             Double(r.events) / seconds / 1e6, Double(Bench.peakRSSBytes()) / 1_048_576))
print(String(format: "  success %.4f%%, failovers %@, outage detected after %.2f s, failed during outage %@ of %@",
             100 * Double(r.successes) / Double(max(1, r.finished)), r.failovers.formatted(), o.timeToDetect ?? .nan,
             o.failed.formatted(), o.requests.formatted()))
print(String(format: "  goal: under 60 s (%.2f× of it) and under 1 GB", seconds / 60))
print("  outcome: ok \(r.successes), errors \(r.errors), timeouts \(r.timeouts), unroutable \(r.unroutable), quota \(r.rejectedByQuota), retries \(r.retries), denied \(r.retriesDenied)")
for p in r.providers {
    print("  \(p.provider): attempts \(p.attempts) ok \(p.successes) err \(p.errors) timeouts \(p.timeouts) rejected \(p.rejected) down \(p.refusedDown) trips \(p.breakerTrips) util \(String(format: "%.2f", p.utilisation))")
}

/// A digest of everything the replication measured except its event count (which depends on
/// how the model schedules, not on what happened): counters, costs, per-minute series, latency
/// histograms, outages. Two runs on the same seed must print the same digest, whatever changed
/// in the simulator's speed.
func digest(_ r: ReplicationResult) -> String {
    var h = StableHash()
    func add(_ x: Int) { h.combine(Int64(x)) }
    func add(_ x: Double) { h.combine(x.bitPattern) }
    func add(_ m: Money) { h.combine(String(describing: m.units)) }
    func add(_ hist: LatencyHistogram) {
        add(Int(hist.totalCount))
        for p in [0.0, 10, 50, 90, 99, 99.9, 99.99, 100] { add(Int(hist.valueAtPercentile(p))) }
    }
    for x in [r.requests, r.successes, r.errors, r.timeouts, r.unroutable, r.rejectedByQuota, r.cacheHits, r.attempts,
              r.retries, r.retriesDenied, r.failovers, r.withinSLO] { add(x) }
    add(r.latency)
    add(r.cost)
    for (tenant, cost) in r.costByTenant.sorted(by: { $0.key < $1.key }) { h.combine(tenant); add(cost) }
    for p in r.providers {
        h.combine(p.provider)
        for x in [p.attempts, p.successes, p.errors, p.timeouts, p.rejected, p.refusedDown, p.maxQueue, p.breakerTrips,
                  p.breakerTransitions, p.ejections] { add(x) }
        add(p.cost); add(p.latency); add(p.utilisation); add(p.meanQueue)
    }
    for o in r.outages {
        add(o.requests); add(o.failed); add(o.recoveredByFailover); add(o.timeToDetect ?? -1); add(o.timeToFailover ?? -1)
    }
    for i in r.series.arrivals.indices {
        add(r.series.arrivals[i]); add(r.series.successes[i]); add(r.series.failures[i]); add(r.series.latencySumMs[i])
        for b in r.series.latencyBuckets[i] { add(Int(b)) }
    }
    add(r.simulatedSeconds)
    return String(UInt64(bitPattern: h.value), radix: 16)
}
print("  result digest \(digest(r)) (equal digests: equal results, the event count aside)")
