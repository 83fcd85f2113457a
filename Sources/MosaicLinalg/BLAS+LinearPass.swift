import CLapack

extension BLAS {
    /// One pass over `X` for a generalised linear model: for each block of rows, the linear
    /// predictor `η = X_B·w + b` (`dgemv`), then `residual(rows, η)` turns `η` into residuals
    /// `r` in place, then `gradient += X_Bᵀ·r` (`dgemv` again, on the block still in cache).
    ///
    /// Loss-and-gradient evaluations of logistic (or Poisson, …) regression need both `Xw` and
    /// `Xᵀr`; done as two whole-matrix `gemv` calls they read `X` from memory twice, while this
    /// reads it once. Blocks are about 1 MiB of `X`, so the second product hits the cache.
    ///
    /// - Parameters:
    ///   - x: The `n × p` data.
    ///   - w: `p` coefficients.
    ///   - b: The intercept added to every `η`.
    ///   - gradient: `p` values, accumulated into (not cleared).
    ///   - residual: Called once per block, in row order, with the block's row range and a
    ///     buffer holding `η` for those rows; it must overwrite the buffer with `r`.
    /// - Complexity: O(n · p), one read of `X`.
    /// - Precondition: `w.count == p` and `gradient.count == p`.
    public static func linearPass(_ x: Matrix, coefficients w: [Double], intercept b: Double,
                                  accumulating gradient: inout [Double],
                                  residual: (Range<Int>, UnsafeMutableBufferPointer<Double>) -> Void) {
        let n = x.rows, p = x.columns
        precondition(w.count == p && gradient.count == p, "linearPass: \(w.count) coefficients and \(gradient.count) gradient values for \(p) columns")
        if n == 0 { return }
        let blockRows = min(n, max(256, (1 << 17) / max(1, p)))
        var eta = [Double](repeating: 0, count: blockRows)
        x.storage.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                gradient.withUnsafeMutableBufferPointer { pg in
                    eta.withUnsafeMutableBufferPointer { e in
                        var start = 0
                        while start < n {
                            let rows = min(blockRows, n - start)
                            let block = UnsafeMutableBufferPointer(rebasing: e[0..<rows])
                            for i in 0..<rows { block[i] = b }
                            if p > 0 {
                                cblas_dgemv(CblasColMajor, CblasNoTrans, blasInt(rows), blasInt(p), 1,
                                            px.baseAddress! + start, blasInt(n), pw.baseAddress, 1, 1, block.baseAddress, 1)
                            }
                            residual(start..<(start + rows), block)
                            if p > 0 {
                                cblas_dgemv(CblasColMajor, CblasTrans, blasInt(rows), blasInt(p), 1,
                                            px.baseAddress! + start, blasInt(n), block.baseAddress, 1, 1, pg.baseAddress, 1)
                            }
                            start += rows
                        }
                    }
                }
            }
        }
    }
}
