import CLapack

/// Thin wrappers over LAPACKE (column-major) for the dense problems Mosaic's trainers and reports need:
/// symmetric positive definite solves, least squares by QR or SVD, symmetric eigenproblems, and the
/// eigenvalues of a general matrix (the roots of a polynomial from its companion matrix).
///
/// Every routine checks shapes and finiteness first (throwing ``LinalgError``), then runs
/// LAPACK on a buffer it owns. Arguments are `consuming`: pass a value you no longer need
/// (a temporary, or the variable's last use) and LAPACK works in its storage without a copy;
/// otherwise Swift copies it first and your value is unchanged.
public enum LAPACK {
    /// Solves `A X = B` for symmetric positive definite `A` by Cholesky factorisation
    /// (`dpotrf`, `dpotrs`), with LAPACK's estimate of the reciprocal condition number of `A`
    /// in the 1-norm (`dlansy` + `dpocon`).
    ///
    /// Only the lower triangle of `A` is read; the upper one is assumed to mirror it.
    ///
    /// - Parameters:
    ///   - a: An `n × n` symmetric positive definite matrix.
    ///   - b: An `n × k` right-hand side.
    /// - Returns: `x`, the `n × k` solution, and `rcond` in (0, 1]: about 1/κ₁(A). A solution
    ///   loses roughly `log10(1/rcond)` of the 16 significant digits.
    /// - Complexity: O(n³/3 + n² k).
    /// - Throws: ``LinalgError/dimensionMismatch(_:)`` for non-square `A` or a `B` with another
    ///   row count; ``LinalgError/nonFinite(_:)``; ``LinalgError/notPositiveDefinite(order:)``
    ///   when the factorisation breaks down; ``LinalgError/singular(_:)`` when `rcond` is below
    ///   machine epsilon (the solution would have no correct digit).
    public static func choleskySolve(_ a: consuming Matrix, _ b: consuming Matrix) throws(LinalgError) -> (x: Matrix, rcond: Double) {
        let n = a.rows
        guard a.columns == n else { throw .dimensionMismatch("choleskySolve: A is \(a.rows) × \(a.columns), not square") }
        guard b.rows == n else { throw .dimensionMismatch("choleskySolve: A is \(n) × \(n) but B is \(b.rows) × \(b.columns)") }
        try LinalgError.checkFinite(a, "A")
        try LinalgError.checkFinite(b, "B")
        if n == 0 { return (b, 1) }
        var factor = a
        var x = b
        var rcond = 0.0
        let info: (String, Int32) = factor.storage.withUnsafeMutableBufferPointer { pa in
            let anorm = LAPACKE_dlansy(LAPACK_COL_MAJOR, char("1"), char("L"), blasInt(n), pa.baseAddress, blasInt(n))
            let f = LAPACKE_dpotrf(LAPACK_COL_MAJOR, char("L"), blasInt(n), pa.baseAddress, blasInt(n))
            if f != 0 { return ("dpotrf", f) }
            let c = LAPACKE_dpocon(LAPACK_COL_MAJOR, char("L"), blasInt(n), pa.baseAddress, blasInt(n), anorm, &rcond)
            if c != 0 { return ("dpocon", c) }
            if x.columns == 0 { return ("", 0) }
            let s = x.storage.withUnsafeMutableBufferPointer { pb in
                LAPACKE_dpotrs(LAPACK_COL_MAJOR, char("L"), blasInt(n), blasInt(x.columns), pa.baseAddress, blasInt(n),
                               pb.baseAddress, blasInt(n))
            }
            return ("dpotrs", s)
        }
        if info.1 > 0 && info.0 == "dpotrf" { throw .notPositiveDefinite(order: Int(info.1)) }
        if info.1 != 0 { throw .lapack(function: info.0, info: info.1) }
        if !(rcond >= Double.ulpOfOne) {
            throw .singular("choleskySolve: reciprocal condition number \(rcond) is below machine epsilon")
        }
        return (x, rcond)
    }

    /// Least squares `min ‖A x − b‖₂` (or, when `A` has fewer rows than columns, the
    /// minimum-norm solution of `A x = b`) by Householder QR (`dgels`).
    ///
    /// - Parameters:
    ///   - a: An `m × n` matrix of full rank.
    ///   - b: `m` values.
    /// - Returns: The `n` coefficients.
    /// - Complexity: O(m n²) for m ≥ n.
    /// - Throws: ``LinalgError/dimensionMismatch(_:)``, ``LinalgError/nonFinite(_:)``, and
    ///   ``LinalgError/singular(_:)`` when `A` is exactly rank-deficient (use
    ///   ``leastSquaresSVD(_:_:rcond:)`` for those). Nearly rank-deficient matrices are solved
    ///   without complaint and with the accuracy that allows.
    public static func leastSquaresQR(_ a: consuming Matrix, _ b: [Double]) throws(LinalgError) -> [Double] {
        let m = a.rows, n = a.columns
        guard b.count == m else { throw .dimensionMismatch("leastSquaresQR: A is \(m) × \(n) but b has \(b.count) values") }
        try LinalgError.checkFinite(a, "A")
        try LinalgError.checkFinite(b, "b")
        if n == 0 { return [] }
        if m == 0 { return [Double](repeating: 0, count: n) }
        var work = a
        var rhs = b
        if n > m { rhs += [Double](repeating: 0, count: n - m) }
        let ldb = max(m, n)
        let info = work.storage.withUnsafeMutableBufferPointer { pa in
            rhs.withUnsafeMutableBufferPointer { pb in
                LAPACKE_dgels(LAPACK_COL_MAJOR, char("N"), blasInt(m), blasInt(n), 1, pa.baseAddress, blasInt(m),
                              pb.baseAddress, blasInt(ldb))
            }
        }
        if info > 0 {
            throw .singular("leastSquaresQR: diagonal element \(info) of the triangular factor is zero, so A (\(m) × \(n)) is rank-deficient; use leastSquaresSVD")
        }
        if info < 0 { throw .lapack(function: "dgels", info: info) }
        return Array(rhs.prefix(n))
    }

    /// Minimum-norm least squares `min ‖A x − b‖₂` by the SVD (`dgelsd`, divide and conquer),
    /// which also handles rank-deficient `A`.
    ///
    /// - Parameters:
    ///   - a: An `m × n` matrix of any rank.
    ///   - b: `m` values.
    ///   - rcond: Singular values `sᵢ ≤ rcond · s₁` count as zero. A negative value means
    ///     machine epsilon (LAPACK's convention); numpy's `lstsq(rcond=None)` uses
    ///     `eps · max(m, n)`.
    /// - Returns: The `n` coefficients, the effective rank and the `min(m, n)` singular values
    ///   in decreasing order.
    /// - Complexity: O(m n²) for m ≥ n.
    /// - Throws: ``LinalgError/dimensionMismatch(_:)``, ``LinalgError/nonFinite(_:)``, and
    ///   ``LinalgError/lapack(function:info:)`` when the SVD does not converge.
    public static func leastSquaresSVD(_ a: consuming Matrix, _ b: [Double], rcond: Double = -1) throws(LinalgError)
        -> (x: [Double], rank: Int, singularValues: [Double]) {
        let m = a.rows, n = a.columns
        guard b.count == m else { throw .dimensionMismatch("leastSquaresSVD: A is \(m) × \(n) but b has \(b.count) values") }
        try LinalgError.checkFinite(a, "A")
        try LinalgError.checkFinite(b, "b")
        if n == 0 { return ([], 0, []) }
        if m == 0 { return ([Double](repeating: 0, count: n), 0, []) }
        var work = a
        var rhs = b
        if n > m { rhs += [Double](repeating: 0, count: n - m) }
        var s = [Double](repeating: 0, count: min(m, n))
        var rank: Int32 = 0
        let info = work.storage.withUnsafeMutableBufferPointer { pa in
            rhs.withUnsafeMutableBufferPointer { pb in
                s.withUnsafeMutableBufferPointer { ps in
                    LAPACKE_dgelsd(LAPACK_COL_MAJOR, blasInt(m), blasInt(n), 1, pa.baseAddress, blasInt(m),
                                   pb.baseAddress, blasInt(max(m, n)), ps.baseAddress, rcond, &rank)
                }
            }
        }
        if info != 0 { throw .lapack(function: "dgelsd", info: info) }
        return (Array(rhs.prefix(n)), Int(rank), s)
    }

    /// Eigenvalues and orthonormal eigenvectors of a symmetric matrix (`dsyevd`, divide and
    /// conquer). Only the lower triangle is read.
    ///
    /// - Returns: The `n` eigenvalues in ascending order, and the `n × n` matrix whose column
    ///   `k` is a unit eigenvector for `values[k]` (its sign is LAPACK's choice).
    /// - Complexity: O(n³).
    /// - Throws: ``LinalgError/dimensionMismatch(_:)`` for a non-square matrix,
    ///   ``LinalgError/nonFinite(_:)``, ``LinalgError/lapack(function:info:)`` when the
    ///   iteration does not converge.
    public static func symmetricEigen(_ a: consuming Matrix) throws(LinalgError) -> (values: [Double], vectors: Matrix) {
        let n = a.rows
        guard a.columns == n else { throw .dimensionMismatch("symmetricEigen: A is \(a.rows) × \(a.columns), not square") }
        try LinalgError.checkFinite(a, "A")
        if n == 0 { return ([], a) }
        var vectors = a
        var values = [Double](repeating: 0, count: n)
        let info = vectors.storage.withUnsafeMutableBufferPointer { pa in
            values.withUnsafeMutableBufferPointer { pw in
                LAPACKE_dsyevd(LAPACK_COL_MAJOR, char("V"), char("L"), blasInt(n), pa.baseAddress, blasInt(n), pw.baseAddress)
            }
        }
        if info != 0 { throw .lapack(function: "dsyevd", info: info) }
        return (values, vectors)
    }

    /// Eigenvalues of a general real square matrix (`dgeev` without eigenvectors; LAPACK
    /// balances the matrix first). A complex pair comes out as two entries with conjugate
    /// imaginary parts, the positive one first.
    ///
    /// - Returns: The real and imaginary parts of the `n` eigenvalues, in LAPACK's order.
    /// - Complexity: O(n³).
    /// - Throws: ``LinalgError/dimensionMismatch(_:)`` for a non-square matrix,
    ///   ``LinalgError/nonFinite(_:)``, ``LinalgError/lapack(function:info:)`` when the QR
    ///   iteration does not converge.
    public static func eigenvalues(_ a: consuming Matrix) throws(LinalgError) -> (real: [Double], imaginary: [Double]) {
        let n = a.rows
        guard a.columns == n else { throw .dimensionMismatch("eigenvalues: A is \(a.rows) × \(a.columns), not square") }
        try LinalgError.checkFinite(a, "A")
        if n == 0 { return ([], []) }
        var work = a
        var re = [Double](repeating: 0, count: n), im = [Double](repeating: 0, count: n)
        let info = work.storage.withUnsafeMutableBufferPointer { pa in
            re.withUnsafeMutableBufferPointer { pr in
                im.withUnsafeMutableBufferPointer { pi in
                    LAPACKE_dgeev(LAPACK_COL_MAJOR, char("N"), char("N"), blasInt(n), pa.baseAddress, blasInt(n),
                                  pr.baseAddress, pi.baseAddress, nil, 1, nil, 1)
                }
            }
        }
        if info != 0 { throw .lapack(function: "dgeev", info: info) }
        return (re, im)
    }
}

/// A LAPACK character argument ("L", "N", "V", "1").
@inline(__always) func char(_ s: Unicode.Scalar) -> CChar { CChar(truncatingIfNeeded: s.value) }
