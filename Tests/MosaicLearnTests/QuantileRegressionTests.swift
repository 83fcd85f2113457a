import Foundation
import MosaicCore
import MosaicLearn
import MosaicLinalg
import Testing

@Suite struct QuantileRegressionTests {
    /// y = 1 + 2x + (0.5 + x)·ε with x ~ U[0, 1), ε ~ N(0, 1): the true τ-quantile line is
    /// (1 + 0.5·z_τ) + (2 + z_τ)·x, z_τ the standard normal quantile.
    static func heteroscedastic(rows n: Int, seed: UInt64) -> (Matrix, [Double]) {
        var random = SeededRandom(seed: seed)
        var x = Matrix(rows: n, columns: 1)
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let xi = random.uniform()
            x[i, 0] = xi
            y[i] = 1 + 2 * xi + (0.5 + xi) * random.normal()
        }
        return (x, y)
    }

    @Test func p90LineCoversNinetyPercentAndMatchesTheTruth() throws {
        let (x, y) = Self.heteroscedastic(rows: 20_000, seed: 40)
        let z90 = 1.2815515655446004
        var q = QuantileRegression(quantile: 0.9)
        q.alpha = 0
        let model = try q.fit(x, y)
        let fitted = try model.predict(x)
        let coverage = Double(zip(y, fitted).filter { $0 <= $1 }.count) / Double(y.count)
        #expect(abs(coverage - 0.9) < 0.005)
        #expect(abs(model.intercept - (1 + 0.5 * z90)) < 0.05)
        #expect(abs(model.coefficients[0] - (2 + z90)) < 0.1)
        // It beats the truth on its own objective (it is the minimiser on this sample).
        let truth = LinearModel(intercept: 1 + 0.5 * z90, coefficients: [2 + z90])
        #expect(Metrics.pinballLoss(y, fitted, quantile: 0.9) <= Metrics.pinballLoss(y, try truth.predict(x), quantile: 0.9))
    }

    static let sklearnQuantile = #"""
        import json, sys
        import numpy as np
        from sklearn.linear_model import QuantileRegressor
        d = json.loads(sys.argv[1])
        x, y = np.array(d["x"]), np.array(d["y"])
        m = QuantileRegressor(quantile=d["q"], alpha=0, solver="highs").fit(x, y)
        r = y - m.predict(x)
        loss = np.mean(np.maximum(d["q"] * r, (d["q"] - 1) * r))
        print(repr(float(m.intercept_)), *[repr(float(c)) for c in m.coef_], repr(float(loss)))
        """#

    /// Against the exact linear-programming solution (scikit-learn's `QuantileRegressor`, HiGHS).
    @Test(.enabled(if: TestData.hasSklearn, "python3 with scikit-learn is not installed"))
    func matchesTheExactLinearProgram() throws {
        let (x1, y) = Self.heteroscedastic(rows: 1_500, seed: 47)
        var x = Matrix(rows: 1_500, columns: 2)
        for i in 0..<1_500 { x[i, 0] = x1[i, 0]; x[i, 1] = x1[i, 0] * x1[i, 0] }
        var q = QuantileRegression(quantile: 0.9)
        q.alpha = 0
        let model = try q.fit(x, y)
        let loss = Metrics.pinballLoss(y, try model.predict(x), quantile: 0.9)
        let ref = try TestData.python(Self.sklearnQuantile, ["x": TestData.rowsOf(x), "y": y, "q": 0.9])
        try #require(ref.count == 4)
        print("quantile regression: pinball loss \(loss) vs exact LP \(ref[3])")
        // Within the smoothing's bound of the exact vertex's loss, and close to its coefficients.
        #expect(loss <= ref[3] * (1 + 1e-5))
        #expect(abs(model.intercept - ref[0]) < 1e-2)
        for j in 0..<2 { #expect(abs(model.coefficients[j] - ref[j + 1]) < 5e-2) }
    }

    /// The solver's answer is a unique point, reached to rounding: its duality gap against the
    /// exact problem is small, and no point near it in any direction is lower by more than that.
    @Test func theDualityGapBoundsTheDistanceToTheOptimum() throws {
        let (x1, y) = Self.heteroscedastic(rows: 3_000, seed: 48)
        var x = Matrix(rows: 3_000, columns: 2)
        for i in 0..<3_000 { x[i, 0] = x1[i, 0]; x[i, 1] = x1[i, 0] * x1[i, 0] }
        let q = QuantileRegression(quantile: 0.9, alpha: 1e-4)
        let fit = try q.solve(x, y)
        #expect(fit.optimalityGap < 1e-4, "gap \(fit.optimalityGap)")
        func objective(_ m: LinearModel) throws -> Double {
            Metrics.pinballLoss(y, try m.predict(x), quantile: 0.9) + 0.5 * 1e-4 * m.coefficients.reduce(0) { $0 + $1 * $1 }
        }
        let best = try objective(fit.model)
        var random = SeededRandom(seed: 49)
        for _ in 0..<16 {
            let d = (0..<3).map { _ in random.normal() }
            for step in [1e-5, 1e-3, 1e-1] {
                let m = LinearModel(intercept: fit.model.intercept + step * d[0],
                                    coefficients: [fit.model.coefficients[0] + step * d[1], fit.model.coefficients[1] + step * d[2]])
                #expect(try objective(m) >= best * (1 - fit.optimalityGap), "a step of \(step) lowers the objective beyond the gap")
            }
        }
    }

    /// When τ·n is a whole number the exact optimal intercepts form an interval; the smoothed
    /// problem has one optimum, its midpoint (by symmetry here).
    @Test func theInterceptIsCanonicalWhenTheOptimumIsAnInterval() throws {
        let x = Matrix(rows: 20, columns: 1, repeating: 1)
        let y = (1...20).map(Double.init).reversed().map { $0 }
        let fit = try QuantileRegression(quantile: 0.5, alpha: 1e-4).solve(x, y)
        #expect(abs(fit.model.intercept - 10.5) < 1e-9, "\(fit.model.intercept)")
        #expect(abs(fit.model.coefficients[0]) < 1e-9)
        let odd = try QuantileRegression(quantile: 0.5, alpha: 1e-4).solve(x.rows(0..<19), Array(y.prefix(19)))
        #expect(abs(odd.model.intercept - 11) < 1e-6, "\(odd.model.intercept)")
    }

    @Test func medianLineOnSymmetricNoiseIsCloseToLeastSquares() throws {
        let x = TestData.features(rows: 5_000, columns: 2, seed: 41)
        let y = TestData.linearTarget(x, intercept: 3, beta: [1, -2], noise: 0.5, seed: 42)
        let median = try QuantileRegression(quantile: 0.5).fit(x, y)
        let ls = try LeastSquares().fit(x, y).model
        #expect(abs(median.intercept - ls.intercept) < 0.03)
        for j in 0..<2 { #expect(abs(median.coefficients[j] - ls.coefficients[j]) < 0.05) }
    }

    @Test func constantColumnNeedsAPenalty() throws {
        var x = TestData.features(rows: 200, columns: 2, seed: 43)
        for i in 0..<200 { x[i, 0] = 1 }
        let y = TestData.linearTarget(x, intercept: 0, beta: [0, 1], noise: 0.1, seed: 44)
        var q = QuantileRegression(quantile: 0.8)
        q.alpha = 0
        #expect(throws: LearnError.constantColumn(index: 0)) { try q.fit(x, y) }
        q.alpha = 1e-4
        let model = try q.fit(x, y)
        #expect(abs(model.coefficients[0]) < 1e-6)  // zero up to rounding in Xᵀv − x̄·Σv
    }

    @Test func moreFeaturesThanRowsNeedsAPenalty() throws {
        let x = TestData.features(rows: 4, columns: 6, seed: 45)
        var q = QuantileRegression()
        q.alpha = 0
        #expect(throws: LearnError.moreFeaturesThanRows(rows: 4, features: 7)) { try q.fit(x, [1, 2, 3, 4]) }
    }

    /// A cut-short MM approach still ends at the same optimum: Newton finishes from wherever
    /// MM stopped (the thefastest.ai data had small providers whose MM phase ran out of steps).
    @Test func aShortApproachReachesTheSameOptimum() throws {
        let (x, y) = Self.heteroscedastic(rows: 2_000, seed: 46)
        let full = try QuantileRegression(quantile: 0.95).solve(x, y)
        var q = QuantileRegression(quantile: 0.95)
        q.maxIterations = 1
        q.tolerance = 0
        let short = try q.solve(x, y)
        for (a, b) in zip(short.model.coefficients + [short.model.intercept], full.model.coefficients + [full.model.intercept]) {
            #expect(abs(a - b) <= 1e-6 * max(1, abs(b)), "\(a) vs \(b)")
        }
        #expect(short.optimalityGap < 1e-4)
    }

    @Test func invalidQuantile() {
        let x = Matrix(rows: 3, columns: 1, columnMajor: [1, 2, 3])
        #expect(throws: LearnError.self) { try QuantileRegression(quantile: 1).fit(x, [1, 2, 3]) }
        #expect(throws: LearnError.self) { try QuantileRegression(quantile: 0.5, alpha: -1).fit(x, [1, 2, 3]) }
    }
}
