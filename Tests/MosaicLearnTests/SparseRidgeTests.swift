import Foundation
import MosaicLearn
import MosaicTestSupport
import Testing

/// The text ridge's solver against scikit-learn's `Ridge(fit_intercept=False, solver="cholesky")`
/// on TF-IDF rows of a fixed corpus (Tests/Fixtures/quality/sparse_ridge_reference.json, its
/// generating script and PROVENANCE.md).
@Suite("SparseRidge")
struct SparseRidgeTests {
    struct Reference: Decodable {
        struct Fit: Decodable {
            var alpha: Double
            var coef: [Double]
        }
        var width: Int
        var rows: [[[Double]]]
        var y: [Double]
        var fits: [Fit]
    }

    static func reference() throws -> (x: SparseRows, ref: Reference) {
        let path = SharedData.packageRoot + "/Tests/Fixtures/quality/sparse_ridge_reference.json"
        let data = try #require(FileManager.default.contents(atPath: path), "missing \(path)")
        let ref = try JSONDecoder().decode(Reference.self, from: data)
        var x = SparseRows(width: ref.width)
        for row in ref.rows {
            x.append(row.map { (column: Int($0[0]), value: $0[1]) })
            x.endRow()
        }
        return (x, ref)
    }

    @Test func weightsEqualScikitLearn() throws {
        let (x, ref) = try Self.reference()
        for fit in ref.fits {
            let w = try SparseRidge(alpha: fit.alpha).fit(x, ref.y)
            try #require(w.count == fit.coef.count)
            // CG stops at a relative residual of 1e-10; the weights are at most 0.24 here.
            let worst = zip(w, fit.coef).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-8, "alpha \(fit.alpha): largest difference \(worst)")
        }
    }

    @Test func productsMatchTheDenseRows() throws {
        let (x, _) = try Self.reference()
        let v = (0..<x.width).map { Double($0 % 7) - 3 }
        let u = (0..<x.count).map { Double($0) - 5.5 }
        let xv = SparseRidge.times(x, v), xtu = SparseRidge.transposeTimes(x, u)
        for i in 0..<x.count {
            let dense = x.row(i)
            let expected = zip(dense, v).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs(xv[i] - expected) < 1e-12)
        }
        for j in stride(from: 0, to: x.width, by: 97) {
            let expected = (0..<x.count).reduce(0.0) { $0 + x.row($1)[j] * u[$1] }
            #expect(abs(xtu[j] - expected) < 1e-12)
        }
        // A subset keeps the chosen rows in the chosen order.
        let s = x.subset([3, 0])
        #expect(s.count == 2 && s.row(0) == x.row(3) && s.row(1) == x.row(0))
    }

    @Test func badInputIsRefused() throws {
        let (x, ref) = try Self.reference()
        #expect(throws: LearnError.self) { try SparseRidge(alpha: 0).fit(x, ref.y) }
        #expect(throws: LearnError.self) { try SparseRidge(alpha: 1).fit(x, Array(ref.y.dropLast())) }
        #expect(throws: LearnError.self) { try SparseRidge(alpha: 1).fit(x, ref.y.map { _ in .nan }) }
        // A zero target gives zero weights.
        #expect(try SparseRidge(alpha: 1).fit(x, ref.y.map { _ in 0 }).allSatisfy { $0 == 0 })
    }
}
