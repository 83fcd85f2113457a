#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small numeric helpers shared by the forecasters.
enum ForecastMath {
    /// The standard normal quantile `Φ⁻¹(p)` by Wichura's algorithm AS 241 (PPND16), accurate
    /// to about 1e-16 relative; the same algorithm as R's `qnorm`.
    ///
    /// - Precondition: `0 < p < 1`.
    static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "normal quantile needs 0 < p < 1, got \(p)")
        let q = p - 0.5
        if abs(q) <= 0.425 {
            let r = 0.180625 - q * q
            let num = (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r
                + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                + 133.14166789178437745) * r + 3.387132872796366608)
            let den = (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r
                + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
                + 42.313330701600911252) * r + 1.0)
            return q * num / den
        }
        var r = (-log(q < 0 ? p : 1 - p)).squareRoot()
        let value: Double
        if r <= 5 {
            r -= 1.6
            value = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
                + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
                / (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
                    + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                    + 2.05319162663775882187) * r + 1.0)
        } else {
            r -= 5
            value = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
                + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
                / (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
                    + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                    + 0.59983220655588793769) * r + 1.0)
        }
        return q < 0 ? -value : value
    }

    /// The `z` of a central interval at `level` percent: `Φ⁻¹(½ + level/200)`.
    ///
    /// - Precondition: `0 < level < 100`.
    static func normalQuantile(forLevel level: Double) -> Double {
        precondition(level > 0 && level < 100, "interval level is a percentage in (0, 100), got \(level)")
        return normalQuantile(0.5 + level / 200)
    }

    /// The `p`-quantile of sorted values with linear interpolation between order statistics
    /// (Hyndman–Fan type 7, numpy's default).
    static func quantile(sorted v: [Double], _ p: Double) -> Double {
        precondition(!v.isEmpty, "quantile of no values")
        let h = Double(v.count - 1) * p
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, v.count - 1)
        return v[lo] + (h - Double(lo)) * (v[hi] - v[lo])
    }

    /// `√(Σ eᵢ² / (count − dof))` over the finite residuals; 0 when there are none left.
    static func residualScale(_ residuals: [Double], degreesOfFreedomUsed dof: Int = 0) -> Double {
        var sum = 0.0
        var count = 0
        for e in residuals where e.isFinite { sum += e * e; count += 1 }
        let denominator = count - dof
        return denominator > 0 ? (sum / Double(denominator)).squareRoot() : 0
    }

    /// `AICc = −2 log L + 2k + 2k(k + 1)/(n − k − 1)` with the Gaussian concentrated
    /// likelihood `−2 log L = n (log(2π · SSE/n) + 1)`; nil when `n ≤ k + 1` or `SSE` is 0.
    static func aicc(sse: Double, count n: Int, parameters k: Int) -> Double? {
        guard n > k + 1, sse > 0, sse.isFinite else { return nil }
        let nd = Double(n), kd = Double(k)
        let minus2LogL = nd * (log(2 * Double.pi * sse / nd) + 1)
        return minus2LogL + 2 * kd + 2 * kd * (kd + 1) / (nd - kd - 1)
    }
}

/// A `[Double]` that encodes NaN as `null`, so that fitted values with undefined entries
/// survive `JSONEncoder`'s default strategy, and that compares NaN equal to NaN (a decoded
/// model equals the one encoded).
@propertyWrapper
public struct NaNAsNull: Sendable, Codable, Equatable {
    public var wrappedValue: [Double]

    public init(wrappedValue: [Double]) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = try container.decode([Double?].self).map { $0 ?? .nan }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.map { $0.isNaN ? nil : $0 })
    }

    public static func == (a: NaNAsNull, b: NaNAsNull) -> Bool {
        a.wrappedValue.count == b.wrappedValue.count
            && zip(a.wrappedValue, b.wrappedValue).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }
}
