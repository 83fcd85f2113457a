#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point outside the prediction interval of its one-step-ahead forecast.
public struct Anomaly: Sendable, Codable, Equatable {
    public var index: Int
    public var value: Double
    public var expected: Double
    public var lower: Double
    public var upper: Double
    /// |value − expected| / σ: how many one-step standard deviations away the point is.
    public var score: Double
}

/// Flags points that a forecaster's one-step-ahead prediction interval does not cover.
///
/// With one-step predictions ŷₜ and residual scale σ, the interval at `level` (e.g. 99) is
/// ŷₜ ± z·σ with z the standard normal quantile of ½ + level/200; points outside it are flagged
/// with score |yₜ − ŷₜ|/σ. Points without a prediction (NaN: the first season, say) are never
/// flagged.
///
/// σ is at least ``relativeNoiseFloor`` times the series' mean absolute value: a fit that
/// reproduces a noise-free series leaves residuals of rounding size (1e-13 of the level), and
/// against those every point would otherwise be "many deviations" away while equal to its
/// forecast to twelve digits.
public enum AnomalyDetector {
    /// The smallest residual scale, relative to the mean absolute value, taken as variation
    /// rather than floating-point rounding.
    public static let relativeNoiseFloor = 1e-9

    public static func detect(values: [Double], oneStepPredictions: [Double], residualScale: Double,
                              level: Double = 99) -> [Anomaly] {
        precondition(values.count == oneStepPredictions.count, "one prediction per value")
        precondition(level > 0 && level < 100, "level is a percentage in (0, 100)")
        guard residualScale > 0, residualScale.isFinite else { return [] }
        let finite = values.lazy.filter(\.isFinite)
        let meanAbs = finite.isEmpty ? 0 : finite.reduce(0) { $0 + abs($1) } / Double(finite.count)
        let residualScale = max(residualScale, relativeNoiseFloor * meanAbs)
        let z = NormalDistribution.quantile(0.5 + level / 200)
        var out: [Anomaly] = []
        for i in values.indices {
            let f = oneStepPredictions[i]
            guard f.isFinite else { continue }
            let lower = f - z * residualScale, upper = f + z * residualScale
            if values[i] < lower || values[i] > upper {
                out.append(Anomaly(index: i, value: values[i], expected: f, lower: lower, upper: upper,
                                   score: abs(values[i] - f) / residualScale))
            }
        }
        return out
    }

    /// Precision and recall of flagged instants against labelled anomaly windows, NAB style: a
    /// flag inside a window is a true positive (several flags in one window count once for
    /// recall), a flag outside every window a false positive.
    public static func score(flags: [Int64], windows: [(start: Int64, end: Int64)]) -> (precision: Double, recall: Double, truePositives: Int, falsePositives: Int, windowsFound: Int) {
        var tp = 0, fp = 0
        var found = Set<Int>()
        for t in flags {
            if let w = windows.firstIndex(where: { t >= $0.start && t <= $0.end }) {
                tp += 1
                found.insert(w)
            } else {
                fp += 1
            }
        }
        let precision = flags.isEmpty ? 0 : Double(tp) / Double(flags.count)
        let recall = windows.isEmpty ? 0 : Double(found.count) / Double(windows.count)
        return (precision, recall, tp, fp, found.count)
    }
}

/// The standard normal distribution.
public enum NormalDistribution {
    /// The p-quantile (inverse CDF), 0 < p < 1: Acklam's rational approximation refined by one
    /// Halley step, accurate to about 1e-15.
    public static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1)
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
                 -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
                 -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
                 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        // One Halley step on Φ(x) − p.
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }

    /// Φ(x).
    public static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
}
