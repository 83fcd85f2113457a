import Foundation
import MosaicCore
import MosaicRouting
@testable import MosaicSim
import Testing

/// Arrivals generated ahead on a second thread are the arrivals the kernel would draw itself.
@Suite("Arrival pipeline")
struct ArrivalPipelineTests {
    static func scenario(traffic: TrafficSpec, cache: CacheSpec?, duration: Double = 900) -> Scenario {
        Scenario(name: "pipeline", seed: 11, start: 1_780_000_000_000_000, duration: duration, replications: 1,
                 traffic: traffic,
                 mix: RequestMix(tenants: ["a": 2, "b": 1, "c": 1], operations: ["chat": 3, "embed": 1],
                                 tags: ["batch": 0.3, "strict-privacy": 0.1], compliance: [.gdpr: 0.2], sloMs: 10_000),
                 providers: ScenarioRunTests.pool.map {
                     ProviderSpec(id: $0, concurrency: 8, queueLimit: 40, service: .lognormal(medianMs: 900, sigma: 0.6), errorRate: 0.02)
                 },
                 events: [ScenarioEvent(kind: .outage, provider: "cohere", start: 300, duration: 200)],
                 client: ClientSpec(timeout: 5, failover: true), cache: cache, seriesInterval: 60)
    }

    static func run(_ s: Scenario, _ arrivals: ArrivalProcess, pipelined: Bool, replication: Int = 0) throws -> ReplicationResult {
        let sim = try Simulator(scenario: s, catalog: .default,
                                policy: ScenarioRunTests.policy(.powerOfTwoChoices, fallbacks: ["cohere": ["openai"]]),
                                arrivals: arrivals)
        return sim.replicate(replication, pipelineArrivals: pipelined)
    }

    /// Token draws past `Int32.max` (`prompt_tokens: {median: 1500, sigma: 60}` reaches them)
    /// are `Int32.max`; the conversion trapped for draws past `Int.max`. Smaller draws round.
    @Test func tokenDrawsSaturateInsteadOfTrapping() {
        #expect(ArrivalSource.tokenCount(1e300) == Int32.max)
        #expect(ArrivalSource.tokenCount(.infinity) == Int32.max)
        #expect(ArrivalSource.tokenCount(Double(Int32.max) + 10) == Int32.max)
        #expect(ArrivalSource.tokenCount(1499.5) == 1500)
        #expect(ArrivalSource.tokenCount(0.2) == 0)
        var s = Self.scenario(traffic: .poisson(rate: 20, profile: nil, bursts: nil), cache: nil, duration: 60)
        s.mix.promptTokens = LogNormal(median: 1500, sigma: 60)
        let r = try? Self.run(s, .poisson(rate: 20, profile: nil, bursts: nil), pipelined: false)
        #expect((r?.requests ?? 0) > 0)
    }

    @Test func poissonWithAProfileAndACacheGivesTheSameResult() throws {
        var profile = [Double](repeating: 0.5, count: 24)
        profile[9] = 1.5
        let traffic = TrafficSpec.poisson(rate: 30, profile: profile, bursts: nil)
        let arrivals = ArrivalProcess.poisson(rate: 30, profile: profile, bursts: nil)
        for cache in [nil, CacheSpec.hitRatio(ratio: 0.2, latencyMs: 5),
                      CacheSpec.lru(capacity: 50, ttl: 60, keySpace: 400, zipfS: 1.1, latencyMs: 5)] {
            let s = Self.scenario(traffic: traffic, cache: cache)
            let inline = try Self.run(s, arrivals, pipelined: false)
            let ahead = try Self.run(s, arrivals, pipelined: true)
            #expect(inline.requests > 10_000, "enough arrivals to cross several blocks of the ring")
            #expect(inline == ahead)
            if cache != nil { #expect(inline.cacheHits > 0) }
        }
    }

    @Test func piecewiseRatesGiveTheSameResult() throws {
        let rates: [Double] = [5, 40, 0, 25, 60, 10]
        let arrivals = ArrivalProcess.piecewise(interval: 150, rates: rates)
        let s = Self.scenario(traffic: .loadModel(path: "forecast.json", series: nil, scale: 1), cache: nil)
        for r in 0..<2 {
            #expect(try Self.run(s, arrivals, pipelined: false, replication: r) == Self.run(s, arrivals, pipelined: true, replication: r))
        }
    }

    @Test func aRunShorterThanOneBlockEndsCleanly() throws {
        let arrivals = ArrivalProcess.poisson(rate: 3, profile: nil, bursts: nil)
        let s = Self.scenario(traffic: .poisson(rate: 3, profile: nil, bursts: nil), cache: nil, duration: 60)
        let ahead = try Self.run(s, arrivals, pipelined: true)
        #expect(ahead.requests > 100 && ahead.requests < ArrivalPipeline.blockSize)
        #expect(ahead == (try Self.run(s, arrivals, pipelined: false)))
    }
}
