/// Split-conformal prediction intervals from rolling-origin forecast errors, with a smooth
/// growth over the horizon.
///
/// From the errors `e[o][k]` (origin o, zero-based step k; NaN where the actual value was not
/// scored) the width profile `g(k) = a + b·√(k + 1)` is fitted by least squares to `|e|`
/// (b ≥ 0, a ≥ 0; through the origin when a would be negative). The conformity scores are
/// `|e| / g(k)`, sorted. The interval at level L and step k is `mean ± q·g(k)`, where q is the
/// ⌈(N + 1)·L/100⌉-th smallest of the N scores (the largest when that exceeds N): the
/// split-conformal quantile, so that a new error, exchangeable with the cross-validation ones,
/// falls inside with probability at least L %.
public struct ConformalIntervals: Codable, Equatable, Sendable {
    /// The profile's intercept a, in the series' units.
    public let intercept: Double
    /// The profile's slope b on √(k + 1).
    public let slope: Double
    /// The conformity scores |e| / g(k), ascending.
    public let scores: [Double]

    /// The fewest finite errors to calibrate on.
    public static let minimumErrors = 20

    /// Fits the profile and the scores; nil with fewer than ``minimumErrors`` finite errors.
    ///
    /// - Complexity: O(N log N) for N errors.
    public init?(errors: [[Double]]) {
        var points: [(x: Double, e: Double)] = []
        for path in errors {
            for (k, e) in path.enumerated() where e.isFinite { points.append(((Double(k) + 1).squareRoot(), abs(e))) }
        }
        guard points.count >= ConformalIntervals.minimumErrors else { return nil }
        let n = Double(points.count)
        let mx = points.reduce(0) { $0 + $1.x } / n, me = points.reduce(0) { $0 + $1.e } / n
        var sxx = 0.0, sxe = 0.0
        for p in points { sxx += (p.x - mx) * (p.x - mx); sxe += (p.x - mx) * (p.e - me) }
        var b = sxx > 0 ? max(0, sxe / sxx) : 0
        var a = me - b * mx
        if a < 0 {
            let sx2 = points.reduce(0) { $0 + $1.x * $1.x }, sxe0 = points.reduce(0) { $0 + $1.x * $1.e }
            a = 0
            b = sx2 > 0 ? sxe0 / sx2 : 0
        }
        if !(a + b > 0) { a = 1; b = 0 }  // every error 0: zero-width intervals
        intercept = a
        slope = b
        scores = points.map { $0.e / (a + b * $0.x) }.sorted()
    }

    /// The width profile g(k) at zero-based step k.
    public func scale(step k: Int) -> Double { intercept + slope * (Double(k) + 1).squareRoot() }

    /// The conformal quantile of the scores for `level` percent.
    public func quantile(level: Double) -> Double {
        let n = scores.count
        let rank = Int((Double(n + 1) * level / 100).rounded(.up))
        return scores[min(max(rank, 1), n) - 1]
    }

    /// Intervals `mean ± q(level)·g(k)` around `mean`.
    public func intervals(mean: [Double], levels: [Double]) -> [Forecast.Interval] {
        levels.map { level in
            let q = quantile(level: level)
            let half = mean.indices.map { q * scale(step: $0) }
            return Forecast.Interval(level: level, lower: zip(mean, half).map { $0 - $1 }, upper: zip(mean, half).map { $0 + $1 })
        }
    }
}
