import Foundation
import MosaicCore
import MosaicRouting
@testable import MosaicSim
import Testing

/// Whole scenarios against closed forms, for what an independent audit (SimPy and queueing
/// formulas against `mosaic simulate`) found wrong: bursts shorter than the gap between
/// arrivals, a retry refused by a quota, time averages over the warm-up, and attempts still
/// running at the end counted as errors. Each figure is a mean over seeded replications; the
/// tolerances are about five standard errors, and each bug moved its figure far past them.
@Suite("Scenario runs against closed forms")
struct ScenarioReferenceTests {
    static let policy = """
        version: 1
        name: reference
        providers: [ollama]
        strategy: {kind: round_robin}
        filters: {health: false}
        outliers: {enabled: false}

        """

    /// A scenario of one provider, ollama (`service` is the rest of its entry), without failover.
    static func scenario(_ name: String, duration: String = "1h", header: String = "", traffic: String, service: String) -> String {
        """
        version: 1
        name: \(name)
        seed: 11
        duration: \(duration)
        \(header)traffic: \(traffic)
        providers:
          - {id: ollama, \(service)}
        client: {timeout: 1h, failover: false}
        """
    }

    static func run(_ yaml: String, policy: String = policy, replications: Int) throws -> (Simulator, [ReplicationResult]) {
        let s = try Scenario(yaml: yaml, source: "reference.yaml", catalog: .default)
        let p = try RoutingPolicy(yaml: policy, source: "policy.yaml", catalog: .default)
        guard case let .poisson(rate, profile, bursts) = s.traffic else { throw SimulationError("not Poisson") }
        let sim = try Simulator(scenario: s, catalog: .default, policy: p,
                                arrivals: .poisson(rate: rate, profile: profile, bursts: bursts))
        return (sim, sim.runReplications(replications, parallelism: 1))
    }

    /// Four servers, exponential service of mean 1 s, no errors.
    static let mm4 = "concurrency: 4, service: {kind: exponential, mean: 1s}, error_rate: 0"

    static func mean(_ xs: [Int]) -> Double { Double(xs.reduce(0, +)) / Double(xs.count) }

    /// A two-state Markov-modulated Poisson process that starts off: rate λ off and λf on, off
    /// for a mean E, on for a mean D. With a = 1/E and b = 1/D, P(on at t) = a/(a+b)·(1 − e^−(a+b)t),
    /// so E[N(T)] = λT + λ(f − 1)·a/(a+b)·(T − (1 − e^−(a+b)T)/(a+b)): 10,077.1 here. Bursts of
    /// 2 s against a mean gap of 1 s: keeping the arrival drawn before a burst began lost about
    /// f − 1 arrivals a burst (8,104 a replication over ten).
    @Test func shortBurstsGiveTheMarkovModulatedCount() throws {
        let (_, results) = try Self.run(Self.scenario(
            "bursts", traffic: "{kind: poisson, rate: 1, bursts: {factor: 10, mean_duration: 2s, every: 8s}}",
            service: "concurrency: 100000, service: {kind: lognormal, median: 10ms, sigma: 0}, error_rate: 0"), replications: 20)
        let lambda = 1.0, f = 10.0, a = 1 / 8.0, b = 1 / 2.0, T = 3_600.0
        let expected = lambda * T + lambda * (f - 1) * a / (a + b) * (T - (1 - exp(-(a + b) * T)) / (a + b))
        let got = Self.mean(results.map(\.requests))
        // One replication's count varies with its time in bursts: the on-time's variance is about
        // 2ab·T/(a+b)³ = 1,843 s², so the count's standard deviation is about
        // √(10,077 + (λ(f − 1))²·1,843) ≈ 400, and the mean of twenty's about 90.
        #expect(abs(got - expected) < 400, "mean arrivals \(got), expected \(expected)")
    }

    /// A retry that a tenant quota refuses ends the request; its retry-budget slot must come
    /// back. It did not: after three such retries (the budget's minimum), every later retry was
    /// denied (1,004 denied against 180 retried). With 0.4 failed attempts a second, each retry
    /// in flight for about 0.2 s, the budget of 3 concurrent retries is almost never full.
    @Test func aRetryRefusedByTheQuotaGivesItsBudgetSlotBack() throws {
        let (_, results) = try Self.run(Self.scenario(
            "quota-retry", traffic: "{kind: poisson, rate: 2}",
            service: "concurrency: 1000, service: {kind: exponential, mean: 100ms}, error_rate: 0.2"), policy: Self.policy + """
            retry: {max_attempts: 3, base_backoff: 100ms, budget: {ratio: 0, minimum: 3}}
            tenants:
              "*": {quota: {requests: 100, per: minute}}

            """, replications: 2)
        for r in results {
            #expect(r.rejectedByQuota > 0, "the quota binds (120 a minute against 100)")
            #expect(r.retries > 1_000)
            #expect(r.retriesDenied * 100 < r.retries, "retries \(r.retries), denied \(r.retriesDenied)")
        }
    }

    /// No traffic in the first hour (the warm-up), then M/M/4 at ρ = 0.8 (λ = 3.2/s, mean
    /// service 1 s): utilisation 0.8 and Erlang C's mean queue length
    /// L_q = C(4, 3.2)·ρ/(1 − ρ) = 2.386. Averaged from time 0 they read half of that.
    @Test func timeAveragesLeaveOutTheWarmup() throws {
        let profile = "[0" + String(repeating: ", 1", count: 23) + "]"
        let (_, results) = try Self.run(Self.scenario(
            "warmup", duration: "2h", header: "start: 2026-10-12T00:00:00Z\nwarmup: 1h\n",
            traffic: "{kind: poisson, rate: 3.2, profile: \(profile)}", service: Self.mm4), replications: 4)
        let utilisation = results.map(\.providers[0].utilisation).reduce(0, +) / Double(results.count)
        let queue = results.map(\.providers[0].meanQueue).reduce(0, +) / Double(results.count)
        #expect(abs(utilisation - 0.8) < 0.04, "utilisation \(utilisation)")
        #expect(abs(queue - 2.386) < 0.8, "mean queue \(queue)")
    }

    /// With no errors, the error rate is 0, though attempts are still running when the run ends.
    @Test func attemptsRunningAtTheEndAreNotErrors() throws {
        let (sim, results) = try Self.run(Self.scenario(
            "in-flight", duration: "10m", traffic: "{kind: poisson, rate: 3.2}", service: Self.mm4), replications: 3)
        #expect(results.contains { $0.unfinished > 0 })
        let summary = SimulationSummary(scenario: sim.scenario, policy: sim.policy, results: results)
        #expect(summary.providers[0].errorRate.mean == 0)
    }
}
