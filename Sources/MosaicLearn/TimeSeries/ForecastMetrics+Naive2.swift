#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// M4's Naive2 benchmark and the seasonality test behind it, replicating the organisers' R
/// code (`Benchmarks and Evaluation.R`: `SeasonalityTest` and the Naive2 branch of
/// `Benchmarks`), which produced the published Naive2 scores that OWA divides by.
///
/// The rule, exactly:
/// 1. Not seasonal when `m ≤ 1` or `n < 3m`.
/// 2. Otherwise the sample autocorrelations `rₖ` of R's `acf` (mean removed, sums over the
///    overlapping pairs divided by the lag-0 sum) up to R's default maximum lag
///    `⌊10 log₁₀ n⌋`; when that is below m, `r_m` is missing and the series is not seasonal.
/// 3. Seasonal when `|r_m| > 1.645 · √((1 + 2 Σ_{k=1}^{m−1} rₖ²) / n)` (the 90 % test; the
///    R code squares `r₁` too, unlike the Python port in `ML_benchmarks.py`, whose moving
///    average also switches on the series' length parity instead of m's; both quirks are the
///    Python port's, and the published Naive2 scores come from the R code).
/// 4. If seasonal, R's `decompose(type = "multiplicative")`: a centred 2×m moving average
///    (m for odd m), seasonal indices as the per-position means of `y / trend`, divided by their
///    mean (``ClassicalDecomposition``); the index of time t is that of position `t mod m`.
/// 5. Naive2 forecasts the last seasonally adjusted value, reseasonalised:
///    `f_k = (y_{n−1} / S_{(n−1) mod m}) · S_{(n−1+k) mod m}`, k = 1…h; without seasonality,
///    the last value.
extension ForecastMetrics {
    /// M4's seasonality test (see the extension's discussion).
    ///
    /// - Complexity: O(n·m).
    public static func isSeasonal(_ y: [Double], period m: Int) -> Bool {
        let n = y.count
        guard m > 1, n >= 3 * m else { return false }
        let maxLag = Int((10 * log10(Double(n))).rounded(.down))
        guard maxLag >= m else { return false }
        let mean = y.reduce(0, +) / Double(n)
        let centred = y.map { $0 - mean }
        let c0 = centred.reduce(0) { $0 + $1 * $1 }
        guard c0 > 0 else { return false }
        func r(_ k: Int) -> Double {
            var s = 0.0
            for t in 0..<(n - k) { s += centred[t] * centred[t + k] }
            return s / c0
        }
        var sumSquares = 0.0
        for k in 1..<m { let v = r(k); sumSquares += v * v }
        let limit = 1.645 / Double(n).squareRoot() * (1 + 2 * sumSquares).squareRoot()
        return abs(r(m)) > limit
    }

    /// The M4 Naive2 forecast (see the extension's discussion).
    ///
    /// - Precondition: `y` is not empty; `horizon >= 0`.
    /// - Complexity: O(n·m + h).
    public static func naive2(_ y: [Double], period m: Int, horizon h: Int) -> [Double] {
        precondition(!y.isEmpty && h >= 0, "naive2 needs a non-empty series and horizon ≥ 0")
        let n = y.count
        guard isSeasonal(y, period: m) else { return [Double](repeating: y[n - 1], count: h) }
        let indices = ClassicalDecomposition.seasonalIndices(y, period: m, multiplicative: true)
        let adjusted = y[n - 1] / indices[(n - 1) % m]
        return (1...max(h, 1)).prefix(h).map { adjusted * indices[(n - 1 + $0) % m] }
    }
}
