extension Matrix {
    /// The rows at `indices`, in that order (a gather; indices may repeat).
    ///
    /// Used to cut training and test sets out of one design matrix (see `Validation` in
    /// MosaicLearn).
    ///
    /// - Complexity: O(indices.count · columns): one pass per column, reading at random
    ///   within a column and writing contiguously.
    /// - Precondition: every index is in `0..<rows`.
    public func rows(_ indices: [Int]) -> Matrix {
        let n = rows, m = indices.count
        if let bad = indices.first(where: { $0 < 0 || $0 >= n }) {
            preconditionFailure("row index \(bad) out of range 0..<\(n)")
        }
        if m * columns == 0 { return Matrix(rows: m, columns: columns) }
        let out = [Double](unsafeUninitializedCapacity: m * columns) { buffer, initialized in
            storage.withUnsafeBufferPointer { src in
                indices.withUnsafeBufferPointer { idx in
                    for j in 0..<columns {
                        let column = src.baseAddress! + j * n
                        let target = buffer.baseAddress! + j * m
                        for k in 0..<m { target[k] = column[idx[k]] }
                    }
                }
            }
            initialized = m * columns
        }
        return Matrix(rows: m, columns: columns, columnMajor: out)
    }

    /// The contiguous block of rows `range`.
    ///
    /// - Complexity: O(range.count · columns), one contiguous copy per column.
    /// - Precondition: `range` lies within `0..<rows`.
    public func rows(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "row range \(range) out of 0..<\(rows)")
        let n = rows, m = range.count
        var out: [Double] = []
        out.reserveCapacity(m * columns)
        for j in 0..<columns {
            out.append(contentsOf: storage[(j * n + range.lowerBound)..<(j * n + range.upperBound)])
        }
        return Matrix(rows: m, columns: columns, columnMajor: out)
    }
}
