import Foundation
import MosaicRouting
import MosaicTestSupport
import Testing

/// `mosaic train routing` gives the same model, to 1e-6 in every coefficient and prediction,
/// with one and with two OpenBLAS threads: the thread count changes how BLAS splits and orders
/// its sums, as another CPU's kernel does. (Row order and 1e-12 perturbations are
/// `FitReproducibilityTests`.) Child processes, because the thread count is process-wide.
@Suite struct ReproducibilityTests {
    @Test func oneAndTwoBLASThreadsTrainTheSameModel() throws {
        let tmp = TemporaryDirectory("threads")
        let db = tmp.file("m.sqlite")
        let g = try MosaicBinary.run(["generate", "--days", "1", "--seed", "11", "--out", tmp.file("data")])
        #expect(g.status == 0, "stderr: \(g.stderr)")
        _ = try MosaicBinary.run(["prices", "import", tmp.file("data/prices.json"), "--db", db])
        let ingest = try MosaicBinary.run(["ingest", "requests", tmp.file("data/requests.csv"), "--db", db])
        #expect(ingest.status == 0, "stderr: \(ingest.stderr)")
        var models: [RoutingModel] = []
        for threads in ["1", "2"] {
            let out = tmp.file("router-\(threads).json")
            let r = try MosaicBinary.run(["train", "routing", "--db", db, "--out", out], environment: ["OPENBLAS_NUM_THREADS": threads])
            #expect(r.status == 0, "stderr: \(r.stderr)")
            models.append(try RoutingModel.decode(try Data(contentsOf: URL(fileURLWithPath: out))))
        }
        let (one, two) = (models[0], models[1])
        #expect(one.providers.map(\.provider) == two.providers.map(\.provider))
        var worst = 0.0
        var scratch: [Double] = []
        for (a, b) in zip(one.providers, two.providers) {
            let solver = try #require(a.solver)
            #expect(solver.tailOptimalityGap < 1e-4, "\(a.provider): gap \(solver.tailOptimalityGap)")
            for (head, u, v) in [("latency", a.logLatency, b.logLatency), ("tail", a.logLatencyTail, b.logLatencyTail),
                                 ("failure", a.failure, b.failure)] {
                for (j, (s, t)) in zip([u.intercept] + u.coefficients, [v.intercept] + v.coefficients).enumerated() {
                    let d = abs(s - t) / max(1, abs(t))
                    worst = max(worst, d)
                    #expect(d <= 1e-6, "\(a.provider) \(head) parameter \(j): \(s) with 1 thread, \(t) with 2")
                }
            }
            for tokens in [100, 2_000, 50_000] {
                let f = RequestFeatures(tenant: "acme", model: a.models.first ?? "", inputTokens: tokens, outputTokens: tokens / 5,
                                        timestamp: 1_791_000_000_000_000)
                let p = a.predict(f, scratch: &scratch), q = b.predict(f, scratch: &scratch)
                for (s, t) in [(p.expectedLatencyMs, q.expectedLatencyMs), (p.tailLatencyMs, q.tailLatencyMs),
                               (p.failureProbability, q.failureProbability)] {
                    #expect(abs(s - t) <= 1e-6 * max(1, abs(t)), "\(a.provider): prediction \(s) with 1 thread, \(t) with 2")
                }
            }
        }
        print("1 against 2 BLAS threads: coefficients within \(worst) (relative)")
    }
}
