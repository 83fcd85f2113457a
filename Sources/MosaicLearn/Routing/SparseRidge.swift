/// Ridge regression on sparse rows without an intercept: the `w` minimising
/// `‖X w − y‖² + α ‖w‖²` (scikit-learn's `Ridge(alpha: α, fit_intercept=False)`), by conjugate
/// gradients on the normal equations `(XᵀX + α I) w = Xᵀ y`.
///
/// The normal matrix is never formed (a TF-IDF vocabulary of 8,000 terms would make it 8,000²);
/// each iteration is one pass over the nonzeros for `X p` and one for `Xᵀ (X p)`. With `α > 0`
/// the system is symmetric positive definite and CG converges; the relative residual
/// `‖Xᵀy − (XᵀX + αI) w‖ / ‖Xᵀy‖` stops it at `tolerance`.
public struct SparseRidge: Sendable {
    public var alpha: Double
    public var tolerance = 1e-10
    public var maxIterations = 1000

    public init(alpha: Double) { self.alpha = alpha }

    /// The weights (one per column of `x`).
    ///
    /// - Throws: ``LearnError/invalidConfiguration(_:)`` when α ≤ 0, a dimension mismatch, a
    ///   non-finite target, or ``LearnError/didNotConverge(iterations:)``.
    /// - Complexity: O(iterations · nonzeros).
    public func fit(_ x: SparseRows, _ y: [Double]) throws(LearnError) -> [Double] {
        guard alpha > 0 else { throw .invalidConfiguration("sparse ridge needs alpha > 0, got \(alpha)") }
        guard y.count == x.count else { throw .dimensionMismatch("\(x.count) rows, \(y.count) targets") }
        guard y.allSatisfy(\.isFinite) else { throw .nonFinite("ridge target") }
        let d = x.width
        var w = [Double](repeating: 0, count: d)
        var r = Self.transposeTimes(x, y)               // Xᵀy − A·0
        let bNorm = Self.dot(r, r).squareRoot()
        guard bNorm > 0 else { return w }
        var p = r
        var rr = Self.dot(r, r)
        for _ in 0..<maxIterations {
            var ap = Self.transposeTimes(x, Self.times(x, p))
            for j in 0..<d { ap[j] += alpha * p[j] }
            let step = rr / Self.dot(p, ap)
            for j in 0..<d {
                w[j] += step * p[j]
                r[j] -= step * ap[j]
            }
            let next = Self.dot(r, r)
            if next.squareRoot() <= tolerance * bNorm { return w }
            let beta = next / rr
            rr = next
            for j in 0..<d { p[j] = r[j] + beta * p[j] }
        }
        throw .didNotConverge(iterations: maxIterations)
    }

    /// `X v`.
    ///
    /// - Complexity: O(nonzeros).
    public static func times(_ x: SparseRows, _ v: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        x.withUnsafeParts { off, cols, vals in
            v.withUnsafeBufferPointer { vs in
                for i in 0..<x.count {
                    var s = 0.0
                    for q in off[i]..<off[i + 1] { s += vals[q] * vs[Int(cols[q])] }
                    out[i] = s
                }
            }
        }
        return out
    }

    /// `Xᵀ u`.
    ///
    /// - Complexity: O(nonzeros).
    public static func transposeTimes(_ x: SparseRows, _ u: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: x.width)
        x.withUnsafeParts { off, cols, vals in
            out.withUnsafeMutableBufferPointer { os in
                for i in 0..<x.count {
                    let ui = u[i]
                    for q in off[i]..<off[i + 1] { os[Int(cols[q])] += vals[q] * ui }
                }
            }
        }
        return out
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for j in 0..<a.count { s += a[j] * b[j] }
        return s
    }
}
