/// Partial pooling of group means (normal–normal empirical Bayes, method of moments).
///
/// Group `g` has `nᵍ` values with mean `ȳᵍ`. With the pooled within-group variance
/// `σ² = Σ (y − ȳᵍ)² / (N − G)` and the between-group variance
/// `τ² = max(0, s²(ȳ) − mean(σ²/nᵍ))` (`s²(ȳ)` the sample variance of the G group means),
/// the shrunk mean is `μ + τ² / (τ² + σ²/nᵍ) · (ȳᵍ − μ)`, with `μ` the mean of all values.
/// A small group, or groups that differ no more than noise would make them (`τ² = 0`), get
/// (close to) the global mean.
public struct GroupShrinkage: Sendable, Equatable {
    public var global: Double
    public var withinVariance: Double
    public var betweenVariance: Double
    public var means: [String: Double]
    public var counts: [String: Int]

    /// Fits on (group, value) pairs.
    public init(groups: [String], values: [Double]) {
        precondition(groups.count == values.count)
        var sum: [String: Double] = [:], count: [String: Int] = [:]
        for (g, y) in zip(groups, values) {
            sum[g, default: 0] += y
            count[g, default: 0] += 1
        }
        let n = values.count
        global = n == 0 ? 0 : values.reduce(0, +) / Double(n)
        var raw: [String: Double] = [:]
        for (g, s) in sum { raw[g] = s / Double(count[g]!) }
        var ss = 0.0
        for (g, y) in zip(groups, values) { ss += (y - raw[g]!) * (y - raw[g]!) }
        let groupCount = raw.count
        let within = n > groupCount ? ss / Double(n - groupCount) : 0
        withinVariance = within
        if groupCount >= 2 {
            // Sums in a fixed (sorted) order, so the same data gives the same bits.
            let names = raw.keys.sorted()
            let m = names.reduce(0) { $0 + raw[$1]! } / Double(groupCount)
            let spread = names.reduce(0) { $0 + (raw[$1]! - m) * (raw[$1]! - m) } / Double(groupCount - 1)
            let noise = names.reduce(0) { $0 + within / Double(count[$1]!) } / Double(groupCount)
            betweenVariance = max(0, spread - noise)
        } else {
            betweenVariance = 0
        }
        counts = count
        var shrunk: [String: Double] = [:]
        for (g, y) in raw {
            let v = withinVariance / Double(count[g]!)
            let b = betweenVariance + v > 0 ? betweenVariance / (betweenVariance + v) : 0
            shrunk[g] = global + b * (y - global)
        }
        means = shrunk
    }

    /// Fits on those of `rows` that have a group: row `i` is `(groups[i], values[i])`.
    public init(groups: [String?], values: [Double], rows: some Sequence<Int>) {
        let named = rows.filter { groups[$0] != nil }
        self.init(groups: named.map { groups[$0]! }, values: named.map { values[$0] })
    }

    /// The shrunk mean of a group, or the global mean for a group not seen.
    public func mean(_ group: String?) -> Double { group.flatMap { means[$0] } ?? global }
}
