import MosaicLinalg

/// Checks shared by every trainer, so each reports bad input the same way.
enum TrainingInput {
    /// Rejects an empty or column-less `x` and a `y` of another length. O(1).
    static func checkShape(_ x: Matrix, targets count: Int) throws(LearnError) {
        guard x.rows > 0 else { throw .emptyTrainingSet }
        guard x.columns > 0 else { throw .dimensionMismatch("X has \(x.rows) rows but no columns") }
        guard count == x.rows else {
            throw .dimensionMismatch("y has \(count) values but X has \(x.rows) rows")
        }
    }

    /// Rejects NaN or infinity in `x`, naming the row and column. O(n·p), one pass at memory speed.
    ///
    /// Trainers whose first pass over `X` is a product with a finite vector (column sums, a
    /// gradient) skip this scan: NaN and infinity always reach such a product, so they call it
    /// only when the product is not finite, to name the cell.
    static func checkFinite(_ x: Matrix) throws(LearnError) {
        if let (i, j) = x.firstNonFiniteElement {
            throw .nonFinite("X row \(i), column \(j) is \(x[i, j])")
        }
    }

    /// Shape, then `y`, then `X` finite.
    static func check(_ x: Matrix, _ y: [Double]) throws(LearnError) {
        try checkShape(x, targets: y.count)
        try checkFinite(y, "y")
        try checkFinite(x)
    }

    /// NaN or infinity in a vector, naming the index.
    static func checkFinite(_ v: [Double], _ name: String) throws(LearnError) {
        for (i, value) in v.enumerated() where !value.isFinite {
            throw .nonFinite("\(name) row \(i) is \(value)")
        }
    }

    /// Sample weights: one per row, finite, non-negative, with a positive sum. Returns the sum.
    static func checkWeights(_ w: [Double], rows: Int) throws(LearnError) -> Double {
        guard w.count == rows else {
            throw .dimensionMismatch("\(w.count) sample weights for \(rows) rows")
        }
        var sum = 0.0
        for (i, value) in w.enumerated() {
            guard value.isFinite else { throw .nonFinite("sample weight \(i) is \(value)") }
            guard value >= 0 else { throw .invalidConfiguration("sample weight \(i) is negative (\(value))") }
            sum += value
        }
        guard sum > 0 else { throw .invalidConfiguration("sample weights sum to zero") }
        return sum
    }

    /// Weighted column means of `x` (`Xᵀw / Σw`, one `dgemv`), or plain means when `w` is nil.
    static func columnMeans(_ x: Matrix, weights w: [Double]?, weightSum: Double) -> [Double] {
        var means = [Double](repeating: 0, count: x.columns)
        let weights = w ?? [Double](repeating: 1, count: x.rows)
        BLAS.gemv(x, weights, into: &means, transpose: true)
        return means.map { $0 / weightSum }  // a constant column's mean comes out exact
    }

    /// The weighted mean of `y`.
    static func mean(_ y: [Double], weights w: [Double]?, weightSum: Double) -> Double {
        guard let w else { return y.reduce(0, +) / weightSum }
        return BLAS.dot(y, w) / weightSum
    }
}
