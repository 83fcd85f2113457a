import Foundation
@testable import MosaicLearn
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
        struct GroupFits: Decodable {
            var text_alpha: Double
            var group_alpha: Double
            var residual: [Double]
            var coef: [String: [Double]]
        }
        var groups: [String]
        var group_fits: GroupFits
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

    /// The quality scorer's per-group text ridges: the text ridge, then per group a ridge of what
    /// it leaves on that group's rows (scikit-learn, two stages, in the fixture).
    @Test func groupRidgesEqualScikitLearnPerGroup() throws {
        let (x, ref) = try Self.reference()
        let g = ref.group_fits
        let all = Array(0..<x.count)
        let w = try SparseRidge(alpha: g.text_alpha).fit(x, ref.y)
        // y is centred already and the base is 0, so the residual is y − X w.
        let residual = QualityTrainer.textResidual(x, rows: all, y: ref.y, base: ref.y.map { _ in 0 }, weights: w)
        #expect(zip(residual, g.residual).allSatisfy { abs($0 - $1) < 1e-8 })
        let fitted = try QualityTrainer.groupTextRidges(x, rows: all, residual: residual, groups: ref.groups, alpha: g.group_alpha, keep: 1)
        #expect(Set(fitted.keys) == Set(g.coef.keys))
        for (name, coef) in g.coef {
            let sparse = try #require(fitted[name])
            // Every nonzero scikit-learn weight is kept (keep 1), on the 16-bit grid of the
            // group's largest weight: within 2⁻¹⁵ of it, plus CG's 1e-8.
            let largest = coef.map(abs).max()!
            let worst = coef.indices.map { abs(sparse.weight($0) - coef[$0]) }.max()!
            #expect(worst <= largest / 32768 + 1e-8, "group \(name): largest difference \(worst)")
            #expect(sparse.indices == coef.indices.filter { abs(coef[$0]) > 1e-12 })
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
