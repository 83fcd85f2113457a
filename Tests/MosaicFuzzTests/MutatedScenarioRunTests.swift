import Foundation
import MosaicCore
import MosaicFuzzTargets
import MosaicRouting
import MosaicSim
import Testing

/// The scenario reader's checks are what stands between a file and the simulator: mutations of
/// the example scenario that the reader accepts must also run. Each is cut to two simulated
/// minutes of at most 5 requests/s (the traffic's shape kept), so the pass stays short; what it
/// looks for is a crash in setting up or running a replication, such as the overflow of
/// `concurrency + queue_limit` it found (`queue_limit: 9223372036854775807`).
@Suite struct MutatedScenarioRunTests {
    @Test func acceptedMutationsOfTheExampleRun() throws {
        let policy = try RoutingPolicy(yaml: RoutingPolicy.exampleYAML, source: "example-policy.yaml", catalog: .default)
        let seed = Array(Scenario.exampleYAML.utf8)
        var random = SeededRandom(seed: 0x5ce7).stream("scenario-runs")
        var ran = 0
        for _ in 0..<300 {
            let bytes = FuzzMutator.mutate(seed, &random)
            guard var s = try? Scenario(yaml: String(decoding: bytes, as: UTF8.self), source: "scenario.yaml", catalog: .default),
                  case .poisson(let rate, let profile, let bursts) = s.traffic else { continue }
            s.duration = min(s.duration, 120)
            s.warmup = min(s.warmup, s.duration / 2)
            s.seriesInterval = min(s.seriesInterval, s.duration)
            let peak = profile?.max() ?? 1
            let shape = profile.map { p in p.map { $0 / peak } }
            let arrivals = ArrivalProcess.poisson(rate: min(rate, 5), profile: shape, bursts: bursts.map { b in
                var b = b
                b.factor = min(b.factor, 3)
                return b
            })
            guard let sim = try? Simulator(scenario: s, catalog: .default, policy: policy, arrivals: arrivals) else { continue }
            let results = sim.runReplications(1, parallelism: 1)
            #expect(results.count == 1)
            ran += 1
        }
        #expect(ran > 30, "only \(ran) of 300 mutations were accepted and run")
    }
}
