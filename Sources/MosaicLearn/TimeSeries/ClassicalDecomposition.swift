/// Classical seasonal decomposition by a centred moving average, computed the way R's
/// `decompose()` computes it (the M4 benchmarks' Naive2 uses R's, and ETS's heuristic initial
/// state uses the same idea).
enum ClassicalDecomposition {
    /// The centred moving average of R's `filter(x, w, sides = 2)` with
    /// `w = c(0.5, rep(1, m − 1), 0.5)/m` for even `m` (the 2×m average) and `rep(1, m)/m` for
    /// odd `m`: value `t` averages `y[t − ⌊m/2⌋ … t + ⌊m/2⌋]`, NaN where that window leaves the
    /// series.
    ///
    /// - Complexity: O(n·m).
    static func centredMovingAverage(_ y: [Double], period m: Int) -> [Double] {
        let n = y.count
        let half = m / 2
        var weights = [Double](repeating: 1 / Double(m), count: m % 2 == 0 ? m + 1 : m)
        if m % 2 == 0 { weights[0] = 0.5 / Double(m); weights[m] = 0.5 / Double(m) }
        var out = [Double](repeating: .nan, count: n)
        guard n > 2 * half else { return out }
        for t in half..<(n - half) {
            // R sums from the newest value in the window to the oldest.
            var sum = 0.0
            for j in 0..<weights.count { sum += weights[j] * y[t + half - j] }
            out[t] = sum
        }
        return out
    }

    /// The seasonal figure of R's `decompose(type = "additive" | "multiplicative")`: for each
    /// position `j` in the cycle (time `t` has position `t mod m`, counting from the first
    /// value), the mean over the cycles of `y / trend` (multiplicative) or `y − trend`
    /// (additive) where the centred moving average is defined; then divided by its mean
    /// (multiplicative) or centred on 0 (additive).
    ///
    /// - Precondition: `y.count >= 2m` (so that every position has a value); `m >= 2`.
    /// - Complexity: O(n·m).
    static func seasonalIndices(_ y: [Double], period m: Int, multiplicative: Bool) -> [Double] {
        precondition(m >= 2 && y.count >= 2 * m, "classical decomposition needs two full periods")
        let trend = centredMovingAverage(y, period: m)
        var sums = [Double](repeating: 0, count: m)
        var counts = [Int](repeating: 0, count: m)
        for t in y.indices where !trend[t].isNaN {
            let detrended = multiplicative ? y[t] / trend[t] : y[t] - trend[t]
            if detrended.isNaN { continue }
            sums[t % m] += detrended
            counts[t % m] += 1
        }
        var figure = (0..<m).map { counts[$0] > 0 ? sums[$0] / Double(counts[$0]) : (multiplicative ? 1 : 0) }
        let mean = figure.reduce(0, +) / Double(m)
        for j in 0..<m { figure[j] = multiplicative ? figure[j] / mean : figure[j] - mean }
        return figure
    }
}
