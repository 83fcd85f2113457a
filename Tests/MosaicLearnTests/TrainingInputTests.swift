import MosaicLearn
import MosaicLinalg
import Testing

/// Bad input is reported the same way by every trainer.
@Suite struct TrainingInputTests {
    let x = Matrix(rows: 3, columns: 2, rowMajor: [1, 2, 3, 4, 5, 7])
    let y: [Double] = [1, 2, 3]

    @Test func emptyTrainingSet() {
        let empty = Matrix(rows: 0, columns: 2)
        #expect(throws: LearnError.emptyTrainingSet) { try RidgeRegression().fit(empty, []) }
        #expect(throws: LearnError.emptyTrainingSet) { try LeastSquares().fit(empty, []) }
        #expect(throws: LearnError.emptyTrainingSet) { try LogisticRegression().fit(empty, []) }
        #expect(throws: LearnError.emptyTrainingSet) { try QuantileRegression().fit(empty, []) }
    }

    @Test func lengthMismatch() {
        let message = LearnError.dimensionMismatch("y has 2 values but X has 3 rows")
        #expect(throws: message) { try RidgeRegression().fit(x, [1, 2]) }
        #expect(throws: message) { try LogisticRegression().fit(x, [true, false]) }
        #expect(throws: message) { try QuantileRegression().fit(x, [1, 2]) }
    }

    @Test func noColumns() {
        #expect(throws: LearnError.dimensionMismatch("X has 3 rows but no columns")) {
            try RidgeRegression().fit(Matrix(rows: 3, columns: 0), y)
        }
    }

    @Test func nonFiniteNamesRowAndColumn() {
        var bad = x
        bad[2, 1] = .nan
        let expected = LearnError.nonFinite("X row 2, column 1 is nan")
        #expect(throws: expected) { try RidgeRegression().fit(bad, y) }
        #expect(throws: expected) { try LogisticRegression().fit(bad, [true, false, true]) }
        #expect(throws: expected) { try QuantileRegression().fit(bad, y) }
        #expect(throws: LearnError.nonFinite("y row 1 is inf")) { try RidgeRegression().fit(x, [1, .infinity, 3]) }
        #expect(throws: LearnError.nonFinite("y row 0 is -inf")) { try QuantileRegression().fit(x, [-.infinity, 1, 3]) }
    }

    @Test func badSampleWeights() {
        #expect(throws: LearnError.dimensionMismatch("2 sample weights for 3 rows")) {
            try RidgeRegression().fit(x, y, sampleWeights: [1, 1])
        }
        #expect(throws: LearnError.invalidConfiguration("sample weight 1 is negative (-1.0)")) {
            try RidgeRegression().fit(x, y, sampleWeights: [1, -1, 1])
        }
        #expect(throws: LearnError.invalidConfiguration("sample weights sum to zero")) {
            try LogisticRegression().fit(x, [true, false, true], sampleWeights: [0, 0, 0])
        }
        #expect(throws: LearnError.nonFinite("sample weight 2 is nan")) {
            try RidgeRegression().fit(x, y, sampleWeights: [1, 1, .nan])
        }
    }

    @Test func errorsDescribeThemselves() {
        #expect(LearnError.moreFeaturesThanRows(rows: 3, features: 5).description.contains("5 parameters but only 3 rows"))
        #expect(LearnError.linalg(.notPositiveDefinite(order: 2)).description.contains("order 2"))
        #expect(LearnError.constantColumn(index: 4).description.contains("column 4"))
    }
}
