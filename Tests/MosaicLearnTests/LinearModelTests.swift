import Foundation
import MosaicLearn
import MosaicLinalg
import Testing

@Suite struct LinearModelTests {
    let model = LinearModel(intercept: 1, coefficients: [2, -3])

    @Test func predictsRowsAndMatrices() throws {
        let x = Matrix(rows: 3, columns: 2, rowMajor: [0, 0, 1, 1, 2, -1])
        #expect(try model.predict(x) == [1, 0, 8])
        #expect(model.predict(row: [2, -1]) == 8)
    }

    @Test func rejectsWrongWidth() {
        #expect(throws: LearnError.dimensionMismatch("the model has 2 coefficients but X has 3 columns")) {
            try model.predict(Matrix(rows: 1, columns: 3))
        }
    }

    @Test func emptyMatrixPredictsNothing() throws {
        #expect(try model.predict(Matrix(rows: 0, columns: 2)) == [])
    }

    @Test func roundTripsThroughJSON() throws {
        let data = try JSONEncoder().encode(model)
        #expect(try JSONDecoder().decode(LinearModel.self, from: data) == model)
    }
}
