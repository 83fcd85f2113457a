import Foundation
import MosaicCore
@testable import MosaicLearn
import MosaicLinalg
import MosaicRouting
import Testing

/// The fitted routing heads do not depend on how the machine rounds: the same data in another
/// row order or perturbed at 1e-12 gives coefficients and predictions that agree to 1e-6. This is
/// what a machine with another CPU (and so another BLAS kernel) does to a fit, reproduced on one
/// machine. One against two OpenBLAS threads is `ReproducibilityTests` (CLI),
/// in child processes: OpenBLAS's thread count is process-wide, and its thread pool must not be
/// resized under the other suites' concurrent calls.
@Suite struct FitReproducibilityTests {
    static let tolerance = 1e-6

    /// A routing-shaped design: one-hot model and tenant, standardised log tokens and their
    /// product, hour harmonics; log latency heteroscedastic in the tokens, failures by tenant.
    static func design(rows n: Int, seed: UInt64) -> (x: Matrix, logLatency: [Double], failed: [Bool]) {
        var random = SeededRandom(seed: seed)
        let p = 12
        var x = Matrix(rows: n, columns: p)
        var y = [Double](repeating: 0, count: n), failed = [Bool](repeating: false, count: n)
        for i in 0..<n {
            let model = Int(random.uniform() * 3), tenant = Int(random.uniform() * 4)
            let input = (random.lognormal(mu: 6, sigma: 1).rounded() + 1).squareRoot() / 20
            let output = log1p(random.lognormal(mu: 4, sigma: 0.8).rounded())
            let hour = random.uniform() * 24
            if model < 2 { x[i, model] = 1 }
            if tenant < 3 { x[i, 2 + tenant] = 1 }
            x[i, 5] = input
            x[i, 6] = output - 4
            x[i, 7] = x[i, 5] * x[i, 6]
            x[i, 8] = sin(2 * .pi * hour / 24)
            x[i, 9] = cos(2 * .pi * hour / 24)
            x[i, 10] = sin(4 * .pi * hour / 24)
            x[i, 11] = cos(4 * .pi * hour / 24)
            let scale = 0.2 + 0.1 * abs(x[i, 6])
            y[i] = 6 + 0.7 * x[i, 0] - 0.3 * x[i, 1] + 0.4 * x[i, 5] + 0.3 * x[i, 6] + 0.1 * x[i, 8]
                + scale * random.normal()
            failed[i] = random.bernoulli(tenant == 0 ? 0.2 : 0.02)
        }
        return (x, y, failed)
    }

    /// The three heads' parameters (intercept first) as the trainer fits them.
    static func fitHeads(_ x: Matrix, _ y: [Double], _ failed: [Bool]) throws -> [[Double]] {
        var ridge = RidgeRegression()
        ridge.alpha = 1
        let latency = try ridge.fit(x, y).model
        let tail = try QuantileRegression(quantile: 0.95).solve(x, y)
        #expect(tail.optimalityGap < 1e-4, "the quantile fit's gap is \(tail.optimalityGap)")
        let failure = try LogisticRegression().fit(x, failed).model
        return [latency, tail.model, failure].map { [$0.intercept] + $0.coefficients }
    }

    static func predictions(_ heads: [[Double]], _ x: Matrix) -> [[Double]] {
        heads.map { h in (0..<x.rows).map { i in (0..<x.columns).reduce(h[0]) { $0 + h[$1 + 1] * x[i, $1] } } }
    }

    /// The largest difference relative to max(1, |reference|); records an issue above tolerance.
    @discardableResult
    static func agree(_ a: [[Double]], _ b: [[Double]], _ what: String) -> Double {
        var worst = 0.0
        for (head, (u, v)) in zip(["latency", "tail", "failure"], zip(a, b)) {
            for (j, (s, t)) in zip(u, v).enumerated() {
                let d = abs(s - t) / max(1, abs(t))
                worst = max(worst, d)
                #expect(d <= tolerance, "\(what): \(head) parameter \(j) is \(s) against \(t) (relative \(d))")
            }
        }
        return worst
    }

    static func compare(_ base: (x: Matrix, logLatency: [Double], failed: [Bool]), _ other: [[Double]], _ what: String) throws {
        let reference = try fitHeads(base.x, base.logLatency, base.failed)
        let c = agree(other, reference, "\(what), coefficients")
        let p = agree(predictions(other, base.x), predictions(reference, base.x), "\(what), predictions")
        print("fit reproducibility, \(what): coefficients within \(c), predictions within \(p)")
    }

    @Test func rowOrderDoesNotMove() throws {
        let d = Self.design(rows: 6_000, seed: 71)
        var order = Array(0..<d.x.rows)
        var random = SeededRandom(seed: 72)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(random.uniform() * Double(i + 1))) }
        let permuted = try Self.fitHeads(d.x.rows(order), order.map { d.logLatency[$0] }, order.map { d.failed[$0] })
        try Self.compare(d, permuted, "row permutation")
    }

    @Test func aPerturbationAt1e12DoesNotMove() throws {
        let d = Self.design(rows: 6_000, seed: 73)
        var random = SeededRandom(seed: 74)
        var x = d.x
        for i in 0..<x.rows { for j in 0..<x.columns { x[i, j] *= 1 + 1e-12 * (2 * random.uniform() - 1) } }
        let y = d.logLatency.map { $0 * (1 + 1e-12 * (2 * random.uniform() - 1)) }
        try Self.compare(d, try Self.fitHeads(x, y, d.failed), "1e-12 perturbation")
    }

    /// The whole trainer, end to end: latencies perturbed at 1e-12 give the same exported heads.
    @Test func theRoutingTrainerIsStableUnderPerturbation() throws {
        let rows = RoutingTrainerTests.rows(6_000)
        var random = SeededRandom(seed: 76)
        let perturbed = rows.map { r -> RoutingTrainer.Row in
            var r = r
            r.latencyMs = r.latencyMs.map { $0 * (1 + 1e-12 * (2 * random.uniform() - 1)) }
            return r
        }
        let window = (RoutingTrainerTests.start, RoutingTrainerTests.start + 1)
        let a = try #require(try RoutingTrainer().train(byProvider: ["p": rows], window: window, version: 1, createdAt: "t").model.provider("p"))
        let b = try #require(try RoutingTrainer().train(byProvider: ["p": perturbed], window: window, version: 1, createdAt: "t").model.provider("p"))
        let heads = { (p: ProviderModel) in [p.logLatency, p.logLatencyTail, p.failure].map { [$0.intercept] + $0.coefficients } }
        Self.agree(heads(b), heads(a), "trainer, 1e-12 perturbation")
        let solver = try #require(a.solver)
        #expect(solver.tailOptimalityGap < 1e-4 && solver.failureConverged)
        var scratch: [Double] = []
        for r in rows.prefix(200) {
            let u = a.predict(r.features, scratch: &scratch), v = b.predict(r.features, scratch: &scratch)
            for (s, t) in [(u.expectedLatencyMs, v.expectedLatencyMs), (u.tailLatencyMs, v.tailLatencyMs),
                           (u.failureProbability, v.failureProbability)] {
                #expect(abs(s - t) <= Self.tolerance * max(1, abs(t)), "prediction \(s) against \(t)")
            }
        }
    }
}
