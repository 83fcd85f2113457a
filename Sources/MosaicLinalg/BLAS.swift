import CLapack

/// Thin wrappers over OpenBLAS's CBLAS for ``Matrix`` and `[Double]`.
///
/// Each wrapper checks shapes (throwing ``LinalgError/dimensionMismatch(_:)`` where the
/// signature throws, a precondition otherwise), then hands the storage to CBLAS without
/// copying. None checks for NaN: BLAS propagates it, and callers that must reject it check
/// once at their boundary.
public enum BLAS {
    /// `alpha · op(A) · op(B)` with `op` the identity or the transpose (`dgemm`).
    ///
    /// - Complexity: O(m · n · k) for an `m × k` times `k × n` product, in BLAS.
    /// - Throws: ``LinalgError/dimensionMismatch(_:)`` when the inner dimensions differ.
    public static func gemm(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false,
                            alpha: Double = 1) throws(LinalgError) -> Matrix {
        let (m, k) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
        let (kb, n) = transposeB ? (b.columns, b.rows) : (b.rows, b.columns)
        guard k == kb else {
            throw .dimensionMismatch("gemm: op(A) is \(m) × \(k) but op(B) is \(kb) × \(n)")
        }
        var c = Matrix(rows: m, columns: n)
        if m == 0 || n == 0 || k == 0 { return c }
        let (lda, ldb, ldc) = (leading(a), leading(b), leading(c))
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    cblas_dgemm(CblasColMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                blasInt(m), blasInt(n), blasInt(k), alpha,
                                pa.baseAddress, lda, pb.baseAddress, ldb, 0, pc.baseAddress, ldc)
                }
            }
        }
        return c
    }

    /// The Gram matrix `XᵀX` (`dsyrk` on the lower triangle, then mirrored so the result is
    /// the full symmetric matrix).
    ///
    /// - Complexity: O(n · p²) for an `n × p` matrix, in BLAS; about half the work of `gemm`.
    public static func gram(_ x: Matrix) -> Matrix {
        let p = x.columns
        var c = Matrix(rows: p, columns: p)
        if p == 0 || x.rows == 0 { return c }
        x.storage.withUnsafeBufferPointer { px in
            c.storage.withUnsafeMutableBufferPointer { pc in
                cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, blasInt(p), blasInt(x.rows), 1,
                            px.baseAddress, leading(x), 0, pc.baseAddress, blasInt(p))
            }
        }
        mirrorLowerToUpper(&c)
        return c
    }

    /// `op(A) · x` with `op` the identity or the transpose (`dgemv`).
    ///
    /// - Complexity: O(rows · columns), one pass over `A`.
    /// - Throws: ``LinalgError/dimensionMismatch(_:)`` when `x` does not have as many values
    ///   as `op(A)` has columns.
    public static func gemv(_ a: Matrix, _ x: [Double], transpose: Bool = false) throws(LinalgError) -> [Double] {
        let (m, n) = transpose ? (a.columns, a.rows) : (a.rows, a.columns)
        guard x.count == n else {
            throw .dimensionMismatch("gemv: op(A) is \(m) × \(n) but x has \(x.count) values")
        }
        var y = [Double](repeating: 0, count: m)
        gemv(a, x, into: &y, transpose: transpose)
        return y
    }

    /// `y ← alpha · op(A) · x + beta · y` in place (`dgemv`), for loops that reuse one buffer.
    ///
    /// - Complexity: O(rows · columns).
    /// - Precondition: `x.count` and `y.count` fit `op(A)`.
    public static func gemv(_ a: Matrix, _ x: [Double], into y: inout [Double], transpose: Bool = false,
                            alpha: Double = 1, beta: Double = 0) {
        let (m, n) = transpose ? (a.columns, a.rows) : (a.rows, a.columns)
        precondition(x.count == n && y.count == m, "gemv: op(A) is \(m) × \(n), x has \(x.count), y has \(y.count)")
        if m == 0 { return }
        if n == 0 {
            if beta != 1 { for i in 0..<m { y[i] = beta == 0 ? 0 : beta * y[i] } }
            return
        }
        a.storage.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    cblas_dgemv(CblasColMajor, transpose ? CblasTrans : CblasNoTrans, blasInt(a.rows), blasInt(a.columns),
                                alpha, pa.baseAddress, leading(a), px.baseAddress, 1, beta, py.baseAddress, 1)
                }
            }
        }
    }

    /// The dot product `xᵀy` (`ddot`).
    ///
    /// - Complexity: O(n).
    /// - Precondition: `x.count == y.count`.
    public static func dot(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "dot: \(x.count) values against \(y.count)")
        if x.isEmpty { return 0 }
        return x.withUnsafeBufferPointer { px in
            y.withUnsafeBufferPointer { py in cblas_ddot(blasInt(x.count), px.baseAddress, 1, py.baseAddress, 1) }
        }
    }

    /// `y ← alpha · x + y` (`daxpy`).
    ///
    /// - Complexity: O(n).
    /// - Precondition: `x.count == y.count`.
    public static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        precondition(x.count == y.count, "axpy: \(x.count) values against \(y.count)")
        if x.isEmpty { return }
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                cblas_daxpy(blasInt(px.count), alpha, px.baseAddress, 1, py.baseAddress, 1)
            }
        }
    }
}

// MARK: - OpenBLAS runtime

extension BLAS {
    /// The number of threads OpenBLAS uses for one call (`openblas_get_num_threads`). It starts
    /// from `OPENBLAS_NUM_THREADS` (or the core count) when the library loads.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses (`openblas_set_num_threads`), for the whole
    /// process. Benchmarks pin it to 1 to compare like with like.
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "thread count must be at least 1")
        openblas_set_num_threads(Int32(count))
    }

    /// The CPU kernel OpenBLAS picked at load time (`openblas_get_corename`), e.g. "Haswell".
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's build configuration string (`openblas_get_config`).
    public static var configuration: String { String(cString: openblas_get_config()) }
}

// MARK: - Helpers

@inline(__always) func blasInt(_ n: Int) -> Int32 { Int32(truncatingIfNeeded: n) }

/// The leading dimension of a column-major matrix: its row count, at least 1 as BLAS requires.
@inline(__always) func leading(_ m: Matrix) -> Int32 { Int32(truncatingIfNeeded: max(1, m.rows)) }

/// Copies the lower triangle of a square matrix onto its upper triangle.
func mirrorLowerToUpper(_ c: inout Matrix) {
    let p = c.rows
    c.storage.withUnsafeMutableBufferPointer { s in
        for j in 0..<p {
            for i in (j + 1)..<p { s[i * p + j] = s[j * p + i] }
        }
    }
}
