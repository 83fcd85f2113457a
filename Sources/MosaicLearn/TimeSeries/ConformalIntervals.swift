import Foundation

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
///
/// **Level scaling.** Traffic varies more where there is more of it: an hour at the daily peak
/// errs by more requests than an hour at night. With the forecasts behind the errors
/// (``init(errors:forecasts:)``, for a series that is never negative), each error is divided by
/// a weight `w = ((f⁺ + L̄/10) / (1.1·L̄))^β` of its forecast f against its path's mean level L̄
/// (so a path's weights are about 1 on average, and a forecast of 0 is not given a zero width),
/// and the intervals are `mean ± q·g(k)·w`. The exponent β is chosen between 0 (the same width
/// at every level) and ½ (the spread of counts, which grows as the square root of the level) by
/// leaving each origin out in turn: calibrated on the others, which β gives the held-out
/// origin's errors the lowest 80 % and 95 % interval score (Winkler's: width plus 2/α times any
/// miss). Ties keep β = 0. (β = 1, widths proportional to the level, was tried as a third
/// choice: it scored better on M4 Hourly's training data and worse on the real traffic series
/// of `ForecastBenchmark --dev-only --stress`, and covered the night hours of NAB's taxi
/// series less.)
public struct ConformalIntervals: Codable, Equatable, Sendable {
    /// The profile's intercept a, in the series' units.
    public let intercept: Double
    /// The profile's slope b on √(k + 1).
    public let slope: Double
    /// The conformity scores |e| / (g(k)·w), ascending.
    public let scores: [Double]
    /// The level exponent β of the weights (see the type's discussion); nil, as in model files
    /// written before level scaling, means 0: the same width at every level.
    public let levelExponent: Double?

    /// The fewest finite errors to calibrate on.
    public static let minimumErrors = 20
    /// The level exponents β tried by ``init(errors:forecasts:)``, in order of preference.
    public static let levelExponents: [Double] = [0, 0.5]

    /// Fits the profile and the scores with the same width at every level; nil with fewer than
    /// ``minimumErrors`` finite errors.
    ///
    /// - Complexity: O(N log N) for N errors.
    public init?(errors: [[Double]]) {
        self.init(errors: errors, weights: nil, levelExponent: nil)
    }

    /// Fits the profile and the scores with the level exponent chosen by leaving each origin
    /// out (see the type's discussion). `forecasts[o][k]` is the forecast behind `errors[o][k]`;
    /// they must not be negative where the series cannot be. Nil with fewer than
    /// ``minimumErrors`` finite errors.
    ///
    /// - Complexity: O(B · O · N log N) for B exponents, O origins and N errors.
    public init?(errors: [[Double]], forecasts: [[Double]]) {
        precondition(errors.count == forecasts.count, "one forecast path per error path")
        let beta = ConformalIntervals.chooseExponent(errors: errors, forecasts: forecasts)
        self.init(errors: errors, weights: beta > 0 ? forecasts.map { Self.weights($0, exponent: beta) } : nil,
                  levelExponent: beta > 0 ? beta : nil)
    }

    /// The weights `((f⁺ + L̄/10) / (1.1·L̄))^β` of a forecast path; all 1 when β is 0 or the
    /// path's mean level L̄ (of the forecasts raised to 0) is not positive.
    public static func weights(_ forecast: [Double], exponent beta: Double) -> [Double] {
        let level = forecast.reduce(0) { $0 + max($1, 0) } / Double(max(forecast.count, 1))
        guard beta > 0, level > 0, level.isFinite else { return forecast.map { _ in 1 } }
        return forecast.map { f in pow((max(f, 0) + level / 10) / (1.1 * level), beta) }
    }

    /// The β of ``levelExponents`` whose intervals, calibrated without each origin in turn,
    /// give the held-out origins' errors the lowest summed 80 % and 95 % interval score; 0 when
    /// fewer than two origins can be held out.
    static func chooseExponent(errors: [[Double]], forecasts: [[Double]]) -> Double {
        var best = (beta: 0.0, score: Double.infinity)
        for beta in levelExponents {
            let w = forecasts.map { weights($0, exponent: beta) }
            var total = 0.0, heldOut = 0
            for o in errors.indices where errors[o].contains(where: \.isFinite) {
                let others = errors.indices.filter { $0 != o }
                guard let c = ConformalIntervals(errors: others.map { errors[$0] }, weights: others.map { w[$0] },
                                                 levelExponent: nil) else { continue }
                heldOut += 1
                for level in [80.0, 95] {
                    let q = c.quantile(level: level), alpha = 1 - level / 100
                    for (k, e) in errors[o].enumerated() where e.isFinite {
                        let half = q * c.scale(step: k) * w[o][k]
                        total += 2 * half + 2 / alpha * max(abs(e) - half, 0)
                    }
                }
            }
            guard heldOut >= 2 else { return 0 }
            if total < best.score { best = (beta, total) }
        }
        return best.beta
    }

    /// Fits the profile and scores of the errors divided by `weights` (nil: all 1).
    init?(errors: [[Double]], weights: [[Double]]?, levelExponent: Double?) {
        var points: [(x: Double, e: Double)] = []
        for (o, path) in errors.enumerated() {
            for (k, e) in path.enumerated() where e.isFinite {
                points.append(((Double(k) + 1).squareRoot(), abs(e) / (weights?[o][k] ?? 1)))
            }
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
        self.levelExponent = levelExponent
    }

    /// The width profile g(k) at zero-based step k.
    public func scale(step k: Int) -> Double { intercept + slope * (Double(k) + 1).squareRoot() }

    /// The conformal quantile of the scores for `level` percent.
    public func quantile(level: Double) -> Double {
        let n = scores.count
        let rank = Int((Double(n + 1) * level / 100).rounded(.up))
        return scores[min(max(rank, 1), n) - 1]
    }

    /// Intervals `mean ± q(level)·g(k)·w(k)` around `mean`, with the weights of `mean` for the
    /// level exponent (all 1 without one).
    public func intervals(mean: [Double], levels: [Double]) -> [Forecast.Interval] {
        let w = Self.weights(mean, exponent: levelExponent ?? 0)
        return levels.map { level in
            let q = quantile(level: level)
            let half = mean.indices.map { q * scale(step: $0) * w[$0] }
            return Forecast.Interval(level: level, lower: zip(mean, half).map { $0 - $1 }, upper: zip(mean, half).map { $0 + $1 })
        }
    }
}
