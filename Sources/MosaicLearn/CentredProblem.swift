import MosaicLinalg

/// A weighted least-squares problem after centring: `√W(X − 1x̄ᵀ) β ≈ √W(y − ȳ)`.
///
/// The pure mathematics behind ``RidgeRegression``: the normal equations from one blocked
/// Gram pass, and the explicit (augmented) design for the orthogonal fallbacks.
struct CentredProblem {
    let x: Matrix
    let y: [Double]
    let xMean: [Double]
    let yMean: Double
    let weights: [Double]?

    /// `(XcᵀWXc + αI, XcᵀWyc)` from a single `dsyrk` pass over `[X | y]` centred in blocks.
    /// O(n·p²).
    func normalEquations(alpha: Double) -> (Matrix, [Double]) {
        let p = x.columns
        let g = BLAS.gram(x, appending: y, subtracting: xMean + [yMean], rowWeights: weights)
        var a = Matrix(rows: p, columns: p)
        var b = [Double](repeating: 0, count: p)
        g.storage.withUnsafeBufferPointer { gs in
            a.storage.withUnsafeMutableBufferPointer { s in
                for j in 0..<p {
                    for i in 0..<p { s[j * p + i] = gs[j * (p + 1) + i] }
                    s[j * p + j] += alpha
                    b[j] = gs[p * (p + 1) + j]
                }
            }
        }
        return (a, b)
    }

    /// The centred, row-scaled design `√W·Xc` (with `√α·I` stacked below when `alpha > 0`) and
    /// its target `√W·yc` (padded with zeros). Copies `X` once: O(n·p).
    func design(alpha: Double) -> (Matrix, [Double]) {
        let n = x.rows, p = x.columns
        let extra = alpha > 0 ? p : 0
        let m = n + extra
        let root = weights?.map { $0.squareRoot() }
        var a = Matrix(rows: m, columns: p)
        var target = [Double](repeating: 0, count: m)
        x.storage.withUnsafeBufferPointer { src in
            a.storage.withUnsafeMutableBufferPointer { dst in
                for j in 0..<p {
                    let mean = xMean[j]
                    if let root {
                        for i in 0..<n { dst[j * m + i] = (src[j * n + i] - mean) * root[i] }
                    } else {
                        for i in 0..<n { dst[j * m + i] = src[j * n + i] - mean }
                    }
                    if extra > 0 { dst[j * m + n + j] = alpha.squareRoot() }
                }
            }
        }
        for i in 0..<n { target[i] = (y[i] - yMean) * (root?[i] ?? 1) }
        return (a, target)
    }

    /// `(s_max / s_min)²`, the 2-norm condition number of `AᵀA` from the singular values of `A`;
    /// the largest finite double when `A` is singular.
    static func conditionNumber(singularValues s: [Double]) -> Double {
        guard let largest = s.max(), let smallest = s.min(), smallest > 0 else { return .greatestFiniteMagnitude }
        let ratio = largest / smallest
        return min(ratio * ratio, .greatestFiniteMagnitude)
    }
}
