import Foundation
import MosaicCore
import MosaicRouting
@testable import MosaicSim
import Testing

/// End-to-end runs of small scenarios through the kernel, the router and the statistics.
@Suite("Scenario runs")
struct ScenarioRunTests {
    static let pool = ["openai", "anthropic", "cohere", "ollama"]

    static func policy(_ strategy: Strategy = .roundRobin, fallbacks: [String: [String]] = [:]) -> RoutingPolicy {
        RoutingPolicy(name: "test", providers: pool, strategy: strategy,
                      breaker: CircuitBreaker.Configuration(consecutiveFailures: 5, baseOpenDuration: 10 * RoutingTime.second,
                                                            maxOpenDuration: 60 * RoutingTime.second, slowStartDuration: 0),
                      fallbacks: fallbacks,
                      costs: ["openai": ProviderCost(inputPerMillion: Money("2.50")!, outputPerMillion: Money("10.00")!),
                              "anthropic": ProviderCost(inputPerMillion: Money("3.00")!, outputPerMillion: Money("15.00")!),
                              "cohere": ProviderCost(inputPerMillion: Money("2.50")!, outputPerMillion: Money("10.00")!)])
    }

    static func scenario(duration: Double = 1_800, rate: Double = 10, events: [ScenarioEvent] = []) -> Scenario {
        Scenario(name: "t", seed: 7, start: 1_780_000_000_000_000, duration: duration, replications: 2,
                 traffic: .poisson(rate: rate, profile: nil, bursts: nil),
                 mix: RequestMix(tenants: ["a": 1, "b": 1], sloMs: 10_000),
                 providers: pool.map { ProviderSpec(id: $0, concurrency: 16, queueLimit: 100,
                                                    service: .lognormal(medianMs: 800, sigma: 0.5), errorRate: 0.01) },
                 events: events, client: ClientSpec(timeout: 20, failover: true), seriesInterval: 60)
    }

    static func simulator(_ s: Scenario, _ p: RoutingPolicy = policy()) throws -> Simulator {
        try Simulator(scenario: s, catalog: .default, policy: p, arrivals: .poisson(rate: 10, profile: nil, bursts: nil))
    }

    @Test func sameSeedSameBytesWhateverTheThreads() throws {
        let sim = try Self.simulator(Self.scenario())
        let one = try sim.run(replications: 3, parallelism: 1).json()
        let two = try sim.run(replications: 3, parallelism: 2).json()
        #expect(one == two)
    }

    @Test func countsAddUpAndCostsAreExact() throws {
        let sim = try Self.simulator(Self.scenario())
        let r = sim.replicate(0)
        #expect(abs(Double(r.requests) - 18_000) < 5 * 18_000.squareRoot())
        #expect(r.successes + r.errors + r.timeouts + r.unroutable + r.rejectedByQuota + r.unfinished == r.requests)
        #expect(r.unfinished >= 0 && r.unfinished < 200, "only the last seconds are in flight at the end")
        #expect(r.providers.map(\.cost).sum() == r.cost)
        #expect(r.costByTenant.values.sum() == r.cost)
        #expect(r.providers.map(\.attempts).reduce(0, +) == r.attempts)
        // Round-robin spreads attempts evenly.
        for p in r.providers { #expect(abs(Double(p.attempts) / Double(r.attempts) - 0.25) < 0.02) }
        // 1% errors, each retried or failed over: almost every request succeeds.
        #expect(Double(r.successes) / Double(r.finished) > 0.999)
    }

    @Test func costsBeyondExactMoneyAreRefusedNotACrash() throws {
        // Requests of 2³¹ prompt and output tokens at the policy's price cap, every price then
        // raised ×1000, with a budget tag: about 4.3 × 10¹⁰ USD a request, so the exact sums
        // leave Money's range (±1.7 × 10¹⁴) after some 4,000 successes. That was a trap (a
        // crash of `mosaic simulate`); now the replication is marked and `checkCosts` refuses it.
        let cap = RoutingPolicy.maximumPrice
        var p = Self.policy()
        p.costs = Dictionary(uniqueKeysWithValues: Self.pool.map { ($0, ProviderCost(inputPerMillion: cap, outputPerMillion: cap, perRequest: cap)) })
        p.budgets = ["team": BudgetPolicy(limit: Money(whole: 100_000_000_000_000), period: .day)]
        var s = Self.scenario(duration: 1_200, events: Self.pool.map {
            ScenarioEvent(kind: .priceChange(factor: 1_000), provider: $0, start: 0, duration: nil)
        })
        s.mix.promptTokens = LogNormal(median: 1e10, sigma: 0)
        s.mix.outputTokens = LogNormal(median: 1e10, sigma: 0)
        s.mix.budgetTag = "team"
        let sim = try Self.simulator(s, p)
        let results = sim.runReplications(1, parallelism: 1)
        let r = try #require(results.first)
        #expect(r.costOverflow)
        #expect(r.successes > 4_000)
        #expect(r.providers.map(\.cost).sum() == r.cost, "the sums stop together, at the last exact one")
        #expect(throws: SimulationError.self) { try sim.checkCosts(results) }
        do { try sim.checkCosts(results) } catch {
            #expect(error.description.hasPrefix("replication 1: the simulated cost exceeds what an exact amount holds"))
        }
        // Ordinary prices leave nothing to refuse.
        let ordinary = try Self.simulator(Self.scenario(duration: 600)).runReplications(1, parallelism: 1)
        #expect(!ordinary[0].costOverflow)
        try Self.simulator(Self.scenario(duration: 600)).checkCosts(ordinary)
    }

    @Test func aLoadModelsRatesAreBoundedLikeTheFile() throws {
        // Forecast rates × scale are only known once the model is read: the same bound holds.
        let s = Self.scenario(duration: 3_600)
        #expect(throws: SimulationError.self) {
            try Simulator(scenario: s, catalog: .default, policy: Self.policy(), arrivals: .piecewise(interval: 3_600, rates: [10, 1e300]))
        }
        do {
            _ = try Simulator(scenario: s, catalog: .default, policy: Self.policy(), arrivals: .piecewise(interval: 3_600, rates: [10, 1e300]))
        } catch {
            #expect(error.description.hasPrefix("traffic.scale: the peak arrival rate (1e+300 requests/s) over the duration (1h)"), "\(error)")
        }
        _ = try Simulator(scenario: s, catalog: .default, policy: Self.policy(), arrivals: .piecewise(interval: 3_600, rates: [10, 277_777]))
    }

    @Test func priceFactorsScaleThroughAWideProduct() {
        // 1 USD × 0.123456789012345 once overflowed Int128 (10²⁴ × 123456789012345 × …).
        let (num, den) = ScenarioModel.fraction(0.123456789012345)
        let hundred = Money(whole: 100)
        #expect(ScenarioModel.scaled(hundred, num, den) == Money("12.3456789012345"))
        #expect(ScenarioModel.scaled(Money(units: .max), 3, 2) == nil)
        #expect(ScenarioModel.scaled(Money(units: .max), 1, 2) == Money(units: Int128.max / 2))
    }

    @Test func anOutageIsDetectedAndFailedOver() throws {
        let outage = ScenarioEvent(kind: .outage, provider: "anthropic", start: 600, duration: 600)
        let sim = try Self.simulator(Self.scenario(events: [outage]), Self.policy(fallbacks: ["anthropic": ["openai"]]))
        let r = sim.replicate(0)
        let o = try #require(r.outages.first)
        let detect = try #require(o.timeToDetect)
        #expect(detect < 5, "five consecutive failures at 2.5 requests/s to anthropic trip its breaker within seconds")
        #expect(o.timeToFailover != nil)
        #expect(r.failovers > 0)
        #expect(o.requests > 5_000)
        #expect(Double(o.failed) / Double(o.requests) < 0.01, "failover saves almost every request")
        let anthropic = try #require(r.providers.first { $0.provider == "anthropic" })
        #expect(anthropic.refusedDown > 0)
        #expect(anthropic.breakerTrips >= 1)
    }

    @Test func withoutFailoverOrRetriesTheOutageCosts() throws {
        let outage = ScenarioEvent(kind: .outage, provider: "anthropic", start: 600, duration: 600)
        var s = Self.scenario(events: [outage])
        s.client.failover = false
        var p = Self.policy()
        p.retry = RoutingRetryPolicy(maxAttempts: 1)
        let r = try Self.simulator(s, p).replicate(0)
        #expect(r.outages[0].failed > 0)
        #expect(r.retries == 0 && r.failovers == 0)
    }

    @Test func comparisonOnCommonRandomNumbers() throws {
        let a = try Self.simulator(Self.scenario())
        let b = try Self.simulator(Self.scenario(), Self.policy(.costFirst))
        let cmp = Comparison(a: ("rr", a.runReplications(3)), b: ("cost", b.runReplications(3)))
        let requests = try #require(cmp.rows.first { $0.metric == "requests" })
        #expect(requests.difference.mean == 0, "the same arrivals on both sides")
        let cost = try #require(cmp.rows.first { $0.metric == "cost_usd" })
        #expect(cost.difference.mean < 0, "cost-first sends traffic to free ollama")
    }

    @Test func cacheHitsCostNothingAndAreFast() throws {
        var s = Self.scenario(duration: 600)
        s.cache = .hitRatio(ratio: 0.4, latencyMs: 5)
        let r = try Self.simulator(s).replicate(0)
        #expect(abs(Double(r.cacheHits) / Double(r.requests) - 0.4) < 0.03)
        #expect(r.latency.milliseconds(atPercentile: 30)! < 10, "40% of requests answered from the cache in 5 ms")

        // A key-based LRU: a small, skewed key space hits often; the hit rate is below the ratio of
        // repeated keys because entries expire.
        var lru = Self.scenario(duration: 600)
        lru.cache = .lru(capacity: 100, ttl: 60, keySpace: 1_000, zipfS: 1.2, latencyMs: 5)
        let l = try Self.simulator(lru).replicate(0)
        #expect(l.cacheHits > l.requests / 10)
        #expect(l.cacheHits < l.requests * 9 / 10)
        var cold = lru
        cold.cache = .lru(capacity: 100, ttl: 0.001, keySpace: 1_000, zipfS: 1.2, latencyMs: 5)
        #expect(try Self.simulator(cold).replicate(0).cacheHits < l.cacheHits / 10, "a tiny TTL expires nearly every entry")
    }

    @Test func degradationSlowsAndFailsThenRecovers() throws {
        let degrade = ScenarioEvent(kind: .degradation(latencyFactor: 5, errorRate: 0.5), provider: "openai", start: 300, duration: 300)
        var s = Self.scenario(duration: 1_200, events: [degrade])
        s.client.failover = false
        var p = Self.policy()
        p.retry = RoutingRetryPolicy(maxAttempts: 1)
        p.breaker = CircuitBreaker.Configuration(consecutiveFailures: 0, failureRateThreshold: 2)   // never trips
        let r = try Self.simulator(s, p).replicate(0)
        let openai = try #require(r.providers.first { $0.provider == "openai" })
        let others = r.providers.filter { $0.provider != "openai" }
        let openaiErrors = Double(openai.errors) / Double(openai.attempts)
        #expect(openaiErrors > 0.1 && openaiErrors < 0.2, "50% errors for a quarter of the run, 1% otherwise: \(openaiErrors)")
        for o in others { #expect(Double(o.errors) / Double(o.attempts) < 0.03) }
        #expect(openai.latency.milliseconds(atPercentile: 99)! > others.map { $0.latency.milliseconds(atPercentile: 99)! }.max()!)
        // In the per-minute series the failures sit inside the event's window.
        let inside = r.series.failures[5..<10].reduce(0, +), outside = r.series.failures[12..<20].reduce(0, +)
        #expect(inside > 5 * max(1, outside))
    }

    @Test func priceChangeRaisesCostExactlyByTheFactor() throws {
        var p = Self.policy()
        p.providers = ["openai", "anthropic", "cohere", "ollama"]
        let base = try Self.simulator(Self.scenario(duration: 600), p).replicate(0)
        let change = ScenarioEvent(kind: .priceChange(factor: 1.5), provider: "openai", start: 0, duration: nil)
        let up = try Self.simulator(Self.scenario(duration: 600, events: [change]), p).replicate(0)
        let a = try #require(base.providers.first { $0.provider == "openai" }).cost
        let b = try #require(up.providers.first { $0.provider == "openai" }).cost
        // Same arrivals, same routing (cost is not in round-robin's key): exactly 1.5× (to 10⁻²⁴).
        #expect(abs(Int(truncatingIfNeeded: (b.units - a.units * 3 / 2))) <= 1_000)
        #expect(up.providers.first { $0.provider == "anthropic" }!.cost == base.providers.first { $0.provider == "anthropic" }!.cost)
    }

    @Test func regionalOutageTakesDownProvidersServingOnlyThatRegion() throws {
        // anthropic serves only us, openai us and eu: a us outage takes down anthropic alone (and
        // cohere: us and ca? no — it lists ca too, so it stays up).
        let outage = ScenarioEvent(kind: .regionalOutage(region: "us"), provider: nil, start: 300, duration: 300)
        let r = try Self.simulator(Self.scenario(duration: 900, events: [outage])).replicate(0)
        let down = r.providers.filter { $0.refusedDown > 0 }.map(\.provider)
        #expect(down == ["anthropic"])
        #expect(r.outages.first?.label == "region us down")
    }

    @Test func replayedRequestsArriveWhenRecorded() throws {
        let requests = (0..<1_000).map { SimRequest(time: Double($0) * 0.5, tenant: UInt16($0 % 2), operation: 0,
                                                     promptTokens: 100, outputTokens: 10) }
        let s = Self.scenario(duration: 600)
        let sim = try Simulator(scenario: s, catalog: .default, policy: Self.policy(),
                                arrivals: .recorded(requests: requests, tenants: ["x", "y"], operations: ["chat"]))
        let r = sim.replicate(0)
        #expect(r.requests == 1_000)
        #expect(r.series.arrivals[0] == 120 && r.series.arrivals[8] == 40)
        #expect(Set(r.costByTenant.keys) == ["x", "y"])
    }

    @Test func piecewiseRatesFollowTheForecast() throws {
        let sim = try Simulator(scenario: Self.scenario(duration: 1_200), catalog: .default, policy: Self.policy(),
                                arrivals: .piecewise(interval: 600, rates: [2, 20]))
        let r = sim.replicate(0)
        let first = r.series.arrivals[0..<10].reduce(0, +), second = r.series.arrivals[10..<20].reduce(0, +)
        #expect(abs(Double(first) - 1_200) < 5 * 1_200.squareRoot())
        #expect(abs(Double(second) - 12_000) < 5 * 12_000.squareRoot())
    }

    @Test func mismatchedPoolsAreRefusedBeforeRunning() throws {
        var s = Self.scenario()
        s.providers.removeLast()
        #expect(throws: SimulationError.self) { try Self.simulator(s) }
        var p = Self.policy()
        p.providers.removeLast()
        #expect(throws: SimulationError.self) { try Self.simulator(Self.scenario(), p) }
    }
}
