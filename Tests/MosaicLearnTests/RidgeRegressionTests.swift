import Foundation
import MosaicCore
import MosaicLearn
import MosaicLinalg
import Testing

@Suite struct RidgeRegressionTests {
    // One column x = 1…4, y = [2, 4, 5, 8]: centred Σxc² = 5, Σxc·yc = 9.5, x̄ = 2.5, ȳ = 4.75.
    let x = Matrix(rows: 4, columns: 1, columnMajor: [1, 2, 3, 4])
    let y: [Double] = [2, 4, 5, 8]

    @Test func leastSquaresByHand() throws {
        let fit = try LeastSquares().fit(x, y)
        #expect(abs(fit.model.coefficients[0] - 1.9) < 1e-14)
        #expect(abs(fit.model.intercept) < 1e-14)
        #expect(fit.solver == .cholesky)
        #expect(fit.conditionNumber == 1)
    }

    @Test func ridgeByHandWithUnpenalisedIntercept() throws {
        let fit = try RidgeRegression(alpha: 1).fit(x, y)
        #expect(abs(fit.model.coefficients[0] - 9.5 / 6) < 1e-14)
        #expect(abs(fit.model.intercept - (4.75 - 2.5 * 9.5 / 6)) < 1e-14)
    }

    @Test func withoutIntercept() throws {
        // Through the origin: β = Σxy / (Σx² + α) with Σxy = 57 and Σx² = 30.
        let fit = try RidgeRegression(alpha: 2, fitIntercept: false).fit(x, y)
        #expect(fit.model.intercept == 0)
        #expect(abs(fit.model.coefficients[0] - 57.0 / 32) < 1e-14)
    }

    @Test func weightOfTwoEqualsADuplicatedRow() throws {
        let weighted = try RidgeRegression(alpha: 0.5).fit(x, y, sampleWeights: [2, 1, 1, 1])
        let duplicated = try RidgeRegression(alpha: 0.5).fit(Matrix(rows: 5, columns: 1, columnMajor: [1, 1, 2, 3, 4]), [2, 2, 4, 5, 8])
        #expect(abs(weighted.model.coefficients[0] - duplicated.model.coefficients[0]) < 1e-14)
        #expect(abs(weighted.model.intercept - duplicated.model.intercept) < 1e-14)
    }

    @Test func recoversANoiselessModel() throws {
        let x = TestData.features(rows: 200, columns: 5, seed: 1)
        let beta: [Double] = [1, -2, 0.5, 0, 3]
        let y = TestData.linearTarget(x, intercept: -4, beta: beta, noise: 0, seed: 2)
        let fit = try LeastSquares().fit(x, y)
        #expect(abs(fit.model.intercept + 4) < 1e-12)
        for j in 0..<5 { #expect(abs(fit.model.coefficients[j] - beta[j]) < 1e-12) }
    }

    @Test func constantColumnGetsZeroWithPenalty() throws {
        var x = TestData.features(rows: 50, columns: 3, seed: 3)
        for i in 0..<50 { x[i, 1] = 7 }
        let y = TestData.linearTarget(x, intercept: 1, beta: [2, 0, -1], noise: 0.1, seed: 4)
        let fit = try RidgeRegression(alpha: 1).fit(x, y)
        #expect(fit.solver == .cholesky)
        #expect(fit.model.coefficients[1] == 0)
    }

    @Test func constantColumnFallsBackToSVDWithoutPenalty() throws {
        var x = TestData.features(rows: 50, columns: 3, seed: 3)
        for i in 0..<50 { x[i, 1] = 7 }
        let y = TestData.linearTarget(x, intercept: 1, beta: [2, 0, -1], noise: 0, seed: 4)
        let fit = try LeastSquares().fit(x, y)
        #expect(fit.solver == .svd)
        #expect(fit.conditionNumber == .greatestFiniteMagnitude)
        #expect(abs(fit.model.coefficients[1]) < 1e-12)
        #expect(abs(fit.model.coefficients[0] - 2) < 1e-12 && abs(fit.model.coefficients[2] + 1) < 1e-12)
        #expect(abs(fit.model.intercept - 1) < 1e-12)
    }

    @Test func collinearColumnsGetTheMinimumNormSplit() throws {
        // x₂ = 2·x₀ exactly and y = 3·x₀: the minimum-norm solution of β₀ + 2β₂ = 3 is (0.6, 1.2).
        var x = TestData.features(rows: 40, columns: 3, seed: 5)
        for i in 0..<40 { x[i, 2] = 2 * x[i, 0] }
        let y = (0..<40).map { 3 * x[$0, 0] + 0.5 * x[$0, 1] }
        let fit = try LeastSquares().fit(x, y)
        #expect(fit.solver == .svd)
        #expect(abs(fit.model.coefficients[0] - 0.6) < 1e-10)
        #expect(abs(fit.model.coefficients[1] - 0.5) < 1e-10)
        #expect(abs(fit.model.coefficients[2] - 1.2) < 1e-10)
    }

    @Test func illConditionedRidgeFallsBackToQR() throws {
        // x₁ = x₀ + 1e-7·δ and a tiny alpha: the normal equations are too ill-conditioned.
        var x = TestData.features(rows: 300, columns: 2, seed: 6)
        let delta = TestData.features(rows: 300, columns: 1, seed: 7)
        for i in 0..<300 { x[i, 1] = x[i, 0] + 1e-7 * delta[i, 0] }
        let y = TestData.linearTarget(x, intercept: 0.5, beta: [1, 1], noise: 0.01, seed: 8)
        let alpha = 1e-9
        let fit = try RidgeRegression(alpha: alpha).fit(x, y)
        #expect(fit.solver == .qr)
        #expect(fit.conditionNumber > 1e10)
        // Independent answer: the SVD of the augmented centred system [Xc; √α I] β = [yc; 0].
        let means = (0..<2).map { j in (0..<300).reduce(0) { $0 + x[$1, j] } / 300 }
        let yMean = y.reduce(0, +) / 300
        var a = Matrix(rows: 302, columns: 2)
        for j in 0..<2 {
            for i in 0..<300 { a[i, j] = x[i, j] - means[j] }
            a[300 + j, j] = alpha.squareRoot()
        }
        let b = y.map { $0 - yMean } + [0, 0]
        let expected = try LAPACK.leastSquaresSVD(a, b).x
        for j in 0..<2 {
            #expect(abs(fit.model.coefficients[j] - expected[j]) < 1e-6 * abs(expected[j]))
        }
    }

    @Test func moreFeaturesThanRows() throws {
        let x = TestData.features(rows: 5, columns: 10, seed: 9)
        let y: [Double] = [1, 2, 3, 4, 5]
        #expect(throws: LearnError.moreFeaturesThanRows(rows: 5, features: 11)) { try LeastSquares().fit(x, y) }
        let fit = try RidgeRegression(alpha: 1).fit(x, y)
        #expect(fit.solver == .cholesky)
        #expect(try fit.model.predict(x).allSatisfy { $0.isFinite })
    }

    @Test func rejectsNegativeAlpha() {
        #expect(throws: LearnError.self) { try RidgeRegression(alpha: -1).fit(x, y) }
        #expect(throws: LearnError.self) { try RidgeRegression(alpha: .nan).fit(x, y) }
    }

    @Test func fitRoundTripsThroughJSON() throws {
        let fit = try RidgeRegression(alpha: 1).fit(x, y)
        let decoded = try JSONDecoder().decode(RidgeRegression.Fit.self, from: JSONEncoder().encode(fit))
        #expect(decoded == fit)
    }

    static let sklearnRidge = #"""
        import json, sys
        import numpy as np
        from sklearn.linear_model import Ridge
        d = json.loads(sys.argv[1])
        m = Ridge(alpha=d["alpha"], solver="cholesky").fit(np.array(d["x"]), np.array(d["y"]), sample_weight=np.array(d["w"]))
        print(repr(float(m.intercept_)), *[repr(float(c)) for c in m.coef_])
        """#

    @Test(.enabled(if: TestData.hasSklearn, "python3 with scikit-learn is not installed"))
    func weightedRidgeMatchesSklearn() throws {
        let x = TestData.features(rows: 150, columns: 4, seed: 10)
        let y = TestData.linearTarget(x, intercept: 2, beta: [1, -1, 0.5, 3], noise: 0.3, seed: 11)
        var random = SeededRandom(seed: 12)
        let w = (0..<150).map { _ in random.uniform() * 3 }
        let fit = try RidgeRegression(alpha: 2.5).fit(x, y, sampleWeights: w)
        let ref = try TestData.python(Self.sklearnRidge, ["x": TestData.rowsOf(x), "y": y, "w": w, "alpha": 2.5])
        let mine = [fit.model.intercept] + fit.model.coefficients
        try #require(ref.count == mine.count)
        for k in mine.indices { #expect(abs(mine[k] - ref[k]) < 1e-10 * max(1, abs(ref[k]))) }
    }
}
