/// Sample quantiles.
public enum Quantiles {
    /// The `p`-quantile (0...1) of sorted values by linear interpolation between closest
    /// ranks: numpy's default (`method="linear"`), R's type 7. NaN for an empty sample.
    ///
    /// - Complexity: O(1); `sorted` must be in ascending order.
    public static func linear(sorted: [Double], _ p: Double) -> Double {
        precondition((0...1).contains(p), "p must be in 0...1")
        guard !sorted.isEmpty else { return .nan }
        let h = Double(sorted.count - 1) * p
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }
}
