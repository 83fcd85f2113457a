import Foundation
import MosaicCore
import MosaicLearn
import MosaicLinalg
import Testing

@Suite struct LogisticRegressionTests {
    @Test func probabilityIsStable() {
        #expect(LogisticRegression.probability(0) == 0.5)
        #expect(LogisticRegression.probability(800) == 1)
        #expect(LogisticRegression.probability(-800) == 0)
        #expect(abs(LogisticRegression.probability(-40) - exp(-40)) < 1e-30)
        #expect(abs(LogisticRegression.probability(2) + LogisticRegression.probability(-2) - 1) < 1e-15)
    }

    /// At the optimum the gradient of ½‖w‖² + C·Σ logloss vanishes: w = C·Xᵀ(y − p) and Σ(y − p) = 0.
    @Test func stationarityAtTheOptimum() throws {
        let x = TestData.features(rows: 400, columns: 3, seed: 20)
        let y = TestData.logisticLabels(x, intercept: 0.3, w: [1.5, -2, 0], seed: 21)
        let c = 0.7
        let fit = try LogisticRegression(c: c).fit(x, y)
        #expect(fit.converged)
        let p = try fit.probabilities(x)
        let r = zip(y, p).map { ($0 ? 1 : 0) - $1 }
        #expect(abs(r.reduce(0, +)) < 1e-8 * 400)
        let xtr = try BLAS.gemv(x, r, transpose: true)
        for j in 0..<3 { #expect(abs(fit.model.coefficients[j] - c * xtr[j]) < 1e-8 * 400 * c) }
    }

    /// Above 100,000 rows the Hessian is subsampled; the exact gradient still drives the fit to
    /// the optimum.
    @Test func subsampledHessianStillReachesTheOptimum() throws {
        let n = 150_000
        let x = TestData.features(rows: n, columns: 3, seed: 32)
        let y = TestData.logisticLabels(x, intercept: -0.5, w: [2, -1, 0.5], seed: 33)
        var logistic = LogisticRegression(c: 0.01)
        logistic.tolerance = 1e-11
        let fit = try logistic.fit(x, y)
        #expect(fit.converged)
        let p = try fit.probabilities(x)
        let r = zip(y, p).map { ($0 ? 1 : 0) - $1 }
        let xtr = try BLAS.gemv(x, r, transpose: true)
        for j in 0..<3 { #expect(abs(fit.model.coefficients[j] - 0.01 * xtr[j]) < 1e-8) }
        #expect(abs(r.reduce(0, +)) < 1e-6)
    }

    @Test func classWeightsEqualLabelDependentSampleWeights() throws {
        let x = TestData.features(rows: 300, columns: 2, seed: 22)
        let y = TestData.logisticLabels(x, intercept: -1, w: [2, 1], seed: 23)
        var weighted = LogisticRegression()
        weighted.classWeights = (negative: 0.5, positive: 3)
        let a = try weighted.fit(x, y)
        let b = try LogisticRegression().fit(x, y, sampleWeights: y.map { $0 ? 3 : 0.5 })
        for j in 0..<2 { #expect(abs(a.model.coefficients[j] - b.model.coefficients[j]) < 1e-12) }
        #expect(abs(a.model.intercept - b.model.intercept) < 1e-12)
    }

    @Test func separableDataStaysFinite() throws {
        let x = Matrix(rows: 6, columns: 1, columnMajor: [-3, -2, -1, 1, 2, 3])
        let fit = try LogisticRegression(c: 100).fit(x, [false, false, false, true, true, true])
        #expect(fit.converged)
        #expect(fit.model.coefficients[0].isFinite && fit.model.coefficients[0] > 1)
    }

    @Test func constantColumnAndMoreFeaturesThanRowsAreAllowed() throws {
        var x = TestData.features(rows: 8, columns: 12, seed: 24)
        for i in 0..<8 { x[i, 3] = 5 }
        let fit = try LogisticRegression().fit(x, [true, false, true, true, false, false, true, false])
        #expect(fit.converged)
        #expect(fit.model.coefficients.allSatisfy { $0.isFinite })
    }

    @Test func singleClassIsAnError() {
        let x = Matrix(rows: 3, columns: 1, columnMajor: [1, 2, 3])
        #expect(throws: LearnError.singleClass(label: true)) { try LogisticRegression().fit(x, [true, true, true]) }
        #expect(throws: LearnError.singleClass(label: false)) { try LogisticRegression().fit(x, [false, false, false]) }
    }

    @Test func badConfiguration() {
        let x = Matrix(rows: 2, columns: 1, columnMajor: [1, 2])
        #expect(throws: LearnError.self) { try LogisticRegression(c: 0).fit(x, [true, false]) }
        #expect(throws: LearnError.self) { try LogisticRegression(c: 1, classWeights: (negative: -1, positive: 1)).fit(x, [true, false]) }
    }

    @Test func iterationLimitIsReportedNotThrown() throws {
        let x = TestData.features(rows: 200, columns: 3, seed: 25)
        let y = TestData.logisticLabels(x, intercept: 0, w: [3, -3, 1], seed: 26)
        var one = LogisticRegression()
        one.maxIterations = 1
        let fit = try one.fit(x, y)
        #expect(!fit.converged && fit.iterations == 1)
    }

    @Test func fitRoundTripsThroughJSON() throws {
        let x = TestData.features(rows: 50, columns: 2, seed: 27)
        let fit = try LogisticRegression().fit(x, TestData.logisticLabels(x, intercept: 0, w: [1, 1], seed: 28))
        #expect(try JSONDecoder().decode(LogisticRegression.Fit.self, from: JSONEncoder().encode(fit)) == fit)
    }

    static let sklearnLogistic = #"""
        import json, sys, warnings
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        d = json.loads(sys.argv[1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = LogisticRegression(C=d["c"], solver="lbfgs", tol=1e-12, max_iter=10000,
                                   class_weight={0: d["cw"][0], 1: d["cw"][1]})
            m.fit(np.array(d["x"]), np.array(d["y"]), sample_weight=np.array(d["w"]))
        print(repr(float(m.intercept_[0])), *[repr(float(c)) for c in m.coef_[0]])
        """#

    @Test(.enabled(if: TestData.hasSklearn, "python3 with scikit-learn is not installed"))
    func weightedFitMatchesSklearnLbfgs() throws {
        let x = TestData.features(rows: 250, columns: 4, seed: 29)
        let y = TestData.logisticLabels(x, intercept: 0.5, w: [1, -2, 0.5, 0], seed: 30)
        var random = SeededRandom(seed: 31)
        let w = (0..<250).map { _ in 0.2 + random.uniform() * 2 }
        var logistic = LogisticRegression(c: 0.3, classWeights: (negative: 1.5, positive: 0.8))
        logistic.tolerance = 1e-12
        let fit = try logistic.fit(x, y, sampleWeights: w)
        let ref = try TestData.python(Self.sklearnLogistic, ["x": TestData.rowsOf(x), "y": y.map { $0 ? 1 : 0 }, "w": w,
                                                             "c": 0.3, "cw": [1.5, 0.8]])
        let mine = [fit.model.intercept] + fit.model.coefficients
        try #require(ref.count == mine.count)
        for k in mine.indices { #expect(abs(mine[k] - ref[k]) < 1e-6) }
    }
}
