import CLapack

extension BLAS {
    /// The weighted, shifted Gram matrix of `Z = [X | extra]`:
    /// `Σᵢ wᵢ (zᵢ − c)(zᵢ − c)ᵀ`, where `zᵢ` is row `i` of `X` followed by `extra[i]`.
    ///
    /// This is the one pass a linear-model trainer needs: with `c` the (weighted) column means
    /// and `extra = y`, the top-left block is the centred `XᵀWX`, the last column is the
    /// centred `XᵀWy` and the corner is `yᵀWy`; with `extra` all ones and weights `pᵢ(1−pᵢ)`
    /// it is a logistic Hessian with its intercept row. Rows are centred and scaled by `√wᵢ`
    /// a block at a time (about 1 MiB of scratch) and accumulated with `dsyrk`, so `X` is
    /// never copied whole and centring does not lose precision to cancellation the way
    /// `XᵀX − n·mmᵀ` does.
    ///
    /// - Parameters:
    ///   - x: The `n × p` data.
    ///   - extra: An optional `(p+1)`-th column of `n` values.
    ///   - centre: Values subtracted from each column (`p` values, or `p + 1` with `extra`);
    ///     nil subtracts nothing.
    ///   - rowWeights: Non-negative weights, one per row; nil means all 1.
    ///   - rowRanges: Sum over these rows only (e.g. evenly spaced chunks for a subsampled
    ///     Hessian); nil means all rows.
    /// - Returns: The full symmetric `q × q` matrix, `q = p` or `p + 1`.
    /// - Complexity: O(m · q²) in `dsyrk` plus one O(m · q) pass to centre and scale, `m` the
    ///   number of rows summed.
    /// - Precondition: the counts fit `x`; the ranges lie within `0..<n`; weights are not
    ///   negative (checked in debug builds).
    public static func gram(_ x: Matrix, appending extra: [Double]?, subtracting centre: [Double]? = nil,
                            rowWeights: [Double]? = nil, rowRanges: [Range<Int>]? = nil) -> Matrix {
        let n = x.rows, p = x.columns
        let q = p + (extra == nil ? 0 : 1)
        precondition(extra == nil || extra!.count == n, "gram: extra column has \(extra!.count) values for \(n) rows")
        precondition(centre == nil || centre!.count == q, "gram: centre has \(centre!.count) values for \(q) columns")
        precondition(rowWeights == nil || rowWeights!.count == n, "gram: \(rowWeights!.count) weights for \(n) rows")
        assert(rowWeights?.allSatisfy { $0 >= 0 } ?? true, "gram: negative row weight")
        precondition(rowRanges?.allSatisfy { $0.lowerBound >= 0 && $0.upperBound <= n } ?? true, "gram: row range outside 0..<\(n)")
        if extra == nil && centre == nil && rowWeights == nil && rowRanges == nil { return gram(x) }

        var c = Matrix(rows: q, columns: q)
        if n == 0 || q == 0 { return c }
        let ranges = rowRanges ?? [0..<n]
        let blockRows = min(max(1, ranges.map(\.count).max() ?? 0), max(64, (1 << 17) / q))  // ≤ 1 MiB of scratch
        var scratch = [Double](repeating: 0, count: blockRows * q)
        var root = [Double](repeating: 1, count: blockRows)
        let shift = centre ?? [Double](repeating: 0, count: q)
        let none: [Double] = []

        x.storage.withUnsafeBufferPointer { px in
        (extra ?? none).withUnsafeBufferPointer { pe in
        (rowWeights ?? none).withUnsafeBufferPointer { pw in
        scratch.withUnsafeMutableBufferPointer { s in
        root.withUnsafeMutableBufferPointer { r in
        c.storage.withUnsafeMutableBufferPointer { pc in
            for range in ranges {
                var start = range.lowerBound
                while start < range.upperBound {
                    let b = min(blockRows, range.upperBound - start)
                    if !pw.isEmpty {
                        for i in 0..<b { r[i] = pw[start + i].squareRoot() }
                    }
                    for j in 0..<q {
                        let source = j < p ? px.baseAddress! + j * n + start : pe.baseAddress! + start
                        let target = s.baseAddress! + j * b
                        let m = shift[j]
                        if pw.isEmpty {
                            for i in 0..<b { target[i] = source[i] - m }
                        } else {
                            for i in 0..<b { target[i] = (source[i] - m) * r[i] }
                        }
                    }
                    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, blasInt(q), blasInt(b), 1,
                                s.baseAddress, blasInt(b), 1, pc.baseAddress, blasInt(q))
                    start += b
                }
            }
        }}}}}}
        mirrorLowerToUpper(&c)
        return c
    }
}
