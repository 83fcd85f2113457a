import Foundation
import MosaicCore
import MosaicRouting
@testable import MosaicSim
import Testing

/// A request's first attempt takes its service-time and error draws from the `first-attempt`
/// stream, drawn with the arrival (ahead, on the arrival thread, when arrivals are pipelined);
/// later attempts draw from the `service` stream. These runs check that the service times and
/// errors still have the distributions the scenario states.
@Suite("First-attempt draws")
struct FirstAttemptDrawTests {
    /// No queueing (concurrency far above the load) and no timeouts, so every attempt's latency
    /// is its service time; round robin spreads about 30,000 attempts over each provider.
    static func run(pipelined: Bool) throws -> ReplicationResult {
        let services: [ServiceTime] = [.lognormal(medianMs: 1_000, sigma: 0.5), .exponential(meanMs: 800),
                                       .lognormal(medianMs: 1_500, sigma: 0.8), .empirical(quantilesMs: [100, 300, 900])]
        let s = Scenario(name: "first-attempt", seed: 19, start: 1_780_000_000_000_000, duration: 600, replications: 1,
                         traffic: .poisson(rate: 200, profile: nil, bursts: nil),
                         mix: RequestMix(tenants: ["a": 1], sloMs: 10_000),
                         providers: zip(ScenarioRunTests.pool, services).map {
                             ProviderSpec(id: $0, concurrency: 10_000, queueLimit: 0, service: $1, errorRate: 0.05)
                         },
                         client: ClientSpec(timeout: 3_600, failover: true), seriesInterval: 60)
        // Nothing trips, ejects or rate-limits: every provider keeps its quarter of the load.
        let policy = RoutingPolicy(name: "first-attempt", providers: ScenarioRunTests.pool, strategy: .roundRobin,
                                   breaker: CircuitBreaker.Configuration(consecutiveFailures: 1_000_000,
                                                                         baseOpenDuration: RoutingTime.second),
                                   outliers: OutlierEjection(enabled: false),
                                   rateLimits: ["openai": [], "anthropic": [], "cohere": [], "ollama": []])
        let sim = try Simulator(scenario: s, catalog: .default, policy: policy,
                                arrivals: .poisson(rate: 200, profile: nil, bursts: nil))
        return sim.replicate(0, pipelineArrivals: pipelined)
    }

    /// Standard normal quantiles at 10%, 25%, 50%, 75% and 90% (scipy.stats.norm.ppf).
    static let percentiles: [(p: Double, z: Double)] = [(10, -1.2815515655446004), (25, -0.6744897501960817), (50, 0),
                                                        (75, 0.6744897501960817), (90, 1.2815515655446004)]

    @Test func serviceTimesAndErrorsKeepTheirDistributions() throws {
        let r = try Self.run(pipelined: true)
        #expect(r.timeouts == 0 && r.providers.allSatisfy { $0.timeouts == 0 && $0.maxQueue == 0 })
        for p in r.providers {
            #expect(p.successes > 25_000)
            let ms = { (q: Double) in Double(p.latency.valueAtPercentile(q)) / 1_000 }
            // Percentiles of ~28,000 successes: the standard error of each is under 1.1% of it
            // (asymptotic sd of a sample quantile, sqrt(p(1−p)/n)/f), so 4% is about 4 of them.
            for (q, z) in Self.percentiles {
                let expected: Double
                switch p.provider {
                case "openai": expected = 1_000 * exp(0.5 * z)
                case "anthropic": expected = -800 * log1p(-q / 100)
                case "cohere": expected = 1_500 * exp(0.8 * z)
                default: expected = q <= 50 ? 100 + 200 * q / 50 : 300 + 600 * (q - 50) / 50   // linear between quantiles
                }
                #expect(abs(ms(q) / expected - 1) < 0.04, "\(p.provider) p\(q): \(ms(q)) ms, expected \(expected) ms")
            }
            // 5% errors: the standard error of the fraction is 0.0013 at 30,000 attempts.
            let errorRate = Double(p.errors) / Double(p.attempts)
            #expect(abs(errorRate - 0.05) < 0.005, "\(p.provider): error fraction \(errorRate)")
        }
        // Failed first attempts fail over: the second attempts draw from the service stream.
        #expect(r.failovers > 5_000)
    }

    @Test func theDrawsAreTheSameInlineAndAhead() throws {
        #expect(try Self.run(pipelined: false) == Self.run(pipelined: true))
    }
}
