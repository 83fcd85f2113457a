/// Forecast accuracy exactly as the M4 competition defines it (Makridakis, Spiliotis &
/// Assimakopoulos 2020; the organisers' R code in `Mcompetitions/M4-methods`), and interval
/// coverage.
///
/// Per series: sMAPE and MASE below. Over a set of series: the mean sMAPE and mean MASE, and
/// OWA = ½(sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) computed from those means (not averaged
/// per series), with Naive2 from ``naive2(_:period:horizon:)``. ``Summary`` accumulates all three.
public enum ForecastMetrics {
    /// sMAPE in percent, `200/h · Σ |yₖ − fₖ| / (|yₖ| + |fₖ|)`. A term with `yₖ = fₖ = 0`
    /// counts as 0 (M4's data has no zeros; this keeps zero-count series finite).
    ///
    /// - Precondition: equal, non-zero counts.
    /// - Complexity: O(h).
    public static func smape(actual y: [Double], forecast f: [Double]) -> Double {
        precondition(y.count == f.count && !y.isEmpty, "smape: \(y.count) actual values against \(f.count) forecasts")
        var sum = 0.0
        for k in y.indices {
            let denominator = abs(y[k]) + abs(f[k])
            if denominator > 0 { sum += abs(y[k] - f[k]) / denominator }
        }
        return 200 * sum / Double(y.count)
    }

    /// The MASE denominator: the in-sample seasonal-naive MAE `1/(n − m) · Σ_{t≥m} |yₜ − yₜ₋ₘ|`
    /// of the training series (zero-based t). A missing value (NaN) leaves out the pairs it is
    /// in: the mean is over the pairs whose two values are known (NaN when there are none).
    /// Filling the gaps first would invent the differences: across a multi-day gap a straight
    /// line's differences are near 0, and the scale shrank with them.
    ///
    /// - Precondition: `training.count > period >= 1`.
    /// - Complexity: O(n).
    public static func maseScale(_ training: [Double], period m: Int) -> Double {
        precondition(m >= 1 && training.count > m, "maseScale needs more than \(m) training values, got \(training.count)")
        var sum = 0.0, pairs = 0
        for t in m..<training.count {
            let d = abs(training[t] - training[t - m])
            if d.isNaN { continue }
            sum += d
            pairs += 1
        }
        return pairs == 0 ? .nan : sum / Double(pairs)
    }

    /// MASE: `mean|yₖ − fₖ| / maseScale(training, period)`; +∞ when the scale is 0 and the
    /// error is not (NaN when both are 0, or when no training pair is known: `mosaic forecast
    /// --holdout` then prints no MASE).
    ///
    /// - Complexity: O(n + h).
    public static func mase(actual y: [Double], forecast f: [Double], training: [Double], period m: Int) -> Double {
        precondition(y.count == f.count && !y.isEmpty, "mase: \(y.count) actual values against \(f.count) forecasts")
        var mae = 0.0
        for k in y.indices { mae += abs(y[k] - f[k]) }
        return mae / Double(y.count) / maseScale(training, period: m)
    }

    /// OWA from a method's mean sMAPE and MASE and Naive2's on the same series.
    public static func owa(smape: Double, mase: Double, naive2Smape: Double, naive2Mase: Double) -> Double {
        0.5 * (smape / naive2Smape + mase / naive2Mase)
    }

    /// The share of actual values inside `[lower, upper]` (bounds included), in [0, 1].
    ///
    /// - Precondition: one bound per actual value.
    public static func coverage(actual y: [Double], interval: Forecast.Interval) -> Double {
        precondition(y.count == interval.lower.count && y.count == interval.upper.count,
                     "coverage: \(y.count) actual values against \(interval.lower.count) bounds")
        if y.isEmpty { return .nan }
        var inside = 0
        for k in y.indices where y[k] >= interval.lower[k] && y[k] <= interval.upper[k] { inside += 1 }
        return Double(inside) / Double(y.count)
    }

    /// M4's mean scaled interval score of an interval at level L (α = 1 − L/100):
    /// `1/h · Σ [(Uₖ − Lₖ) + 2/α·(Lₖ − yₖ)·1{yₖ < Lₖ} + 2/α·(yₖ − Uₖ)·1{yₖ > Uₖ}]` over
    /// ``maseScale(_:period:)``. It rewards narrow intervals and charges misses, so at the same
    /// coverage the sharper interval scores lower. M4 scored the 95 % interval.
    ///
    /// - Precondition: one bound per actual value; `training.count > period`.
    /// - Complexity: O(n + h).
    public static func msis(actual y: [Double], interval: Forecast.Interval, training: [Double], period m: Int) -> Double {
        msis(actual: y, interval: interval, scale: maseScale(training, period: m))
    }

    /// ``msis(actual:interval:training:period:)`` over a given scale (for a training part with
    /// missing values, whose scale is taken over its known pairs).
    public static func msis(actual y: [Double], interval: Forecast.Interval, scale: Double) -> Double {
        precondition(y.count == interval.lower.count && y.count == interval.upper.count && !y.isEmpty,
                     "msis: \(y.count) actual values against \(interval.lower.count) bounds")
        let penalty = 2 / (1 - interval.level / 100)
        var sum = 0.0
        for k in y.indices {
            let lower = interval.lower[k], upper = interval.upper[k]
            sum += upper - lower + penalty * (max(lower - y[k], 0) + max(y[k] - upper, 0))
        }
        return sum / Double(y.count) / scale
    }

    /// Running M4 scores over a set of series: a method's mean sMAPE and MASE, Naive2's on the
    /// same series, and the OWA.
    public struct Summary: Sendable, Equatable {
        /// The seasonal period m of the MASE scale and of Naive2.
        public let period: Int
        public private(set) var count = 0
        private var smapeSum = 0.0, maseSum = 0.0, naive2SmapeSum = 0.0, naive2MaseSum = 0.0

        public init(period: Int) { self.period = period }

        /// Adds one series: its training part, the actual future values and the forecasts.
        ///
        /// - Complexity: O(n·m) for Naive2's decomposition.
        public mutating func add(training: [Double], actual: [Double], forecast: [Double]) {
            let benchmark = ForecastMetrics.naive2(training, period: period, horizon: actual.count)
            smapeSum += ForecastMetrics.smape(actual: actual, forecast: forecast)
            maseSum += ForecastMetrics.mase(actual: actual, forecast: forecast, training: training, period: period)
            naive2SmapeSum += ForecastMetrics.smape(actual: actual, forecast: benchmark)
            naive2MaseSum += ForecastMetrics.mase(actual: actual, forecast: benchmark, training: training, period: period)
            count += 1
        }

        /// The mean sMAPE (percent) over the series added.
        public var smape: Double { smapeSum / Double(count) }
        /// The mean MASE over the series added.
        public var mase: Double { maseSum / Double(count) }
        /// Naive2's mean sMAPE on the same series.
        public var naive2Smape: Double { naive2SmapeSum / Double(count) }
        /// Naive2's mean MASE on the same series.
        public var naive2Mase: Double { naive2MaseSum / Double(count) }
        /// ½(sMAPE/sMAPE_Naive2 + MASE/MASE_Naive2).
        public var owa: Double { ForecastMetrics.owa(smape: smape, mase: mase, naive2Smape: naive2Smape, naive2Mase: naive2Mase) }
    }
}
