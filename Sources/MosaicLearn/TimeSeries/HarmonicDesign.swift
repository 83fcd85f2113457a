#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MosaicLinalg

/// The regressors of ``HarmonicRegression`` for a run of time indices, as pure functions.
///
/// Columns, in order: the time index `t` (when there is a trend); for each seasonality with
/// period P and K harmonics, `cos(2πkt/P)` and `sin(2πkt/P)` for k = 1…K (the sine is left out
/// when `2k = P`, where it is identically 0); the weekend flag (when a calendar is given).
/// The intercept is not a column: ``LeastSquares`` fits it.
enum HarmonicDesign {
    /// The number of columns for these settings.
    static func columnCount(_ seasonalities: [HarmonicRegression.Seasonality], harmonics: [Int], trend: Bool,
                            weekend: Bool) -> Int {
        var count = (trend ? 1 : 0) + (weekend ? 1 : 0)
        for (s, k) in zip(seasonalities, harmonics) {
            for j in stride(from: 1, through: k, by: 1) { count += hasSine(period: s.period, harmonic: j) ? 2 : 1 }
        }
        return count
    }

    /// Whether harmonic `k` of `period` has a non-zero sine (not when `2k = P`).
    static func hasSine(period: Double, harmonic k: Int) -> Bool { 2 * Double(k) != period }

    /// The `count × columns` design for times `start ..< start + count`.
    ///
    /// - Complexity: O(count · columns).
    static func matrix(start: Int, count: Int, seasonalities: [HarmonicRegression.Seasonality], harmonics: [Int],
                       trend: Bool, weekend: HarmonicRegression.Weekend?) -> Matrix {
        let columns = columnCount(seasonalities, harmonics: harmonics, trend: trend, weekend: weekend != nil)
        var storage = [Double](repeating: 0, count: count * columns)
        var column = 0
        if trend {
            for i in 0..<count { storage[i] = Double(start + i) }
            column += 1
        }
        for (s, k) in zip(seasonalities, harmonics) {
            // An integer period repeats its phases: tabulate one cycle, index by (t·j) mod P.
            let integral = s.period == s.period.rounded() ? Int(s.period) : nil
            let table = integral.map { p in (0..<p).map { 2 * Double.pi * Double($0) / Double(p) } }
            let cosines = table?.map { cos($0) }, sines = table?.map { sin($0) }
            for j in stride(from: 1, through: k, by: 1) {
                let sine = hasSine(period: s.period, harmonic: j)
                for i in 0..<count {
                    let c: Double, sn: Double
                    if let p = integral, let cosines, let sines {
                        let r = ((start + i) % p) * j % p
                        c = cosines[r]
                        sn = sines[r]
                    } else {
                        let phase = (Double(start + i) * Double(j)).truncatingRemainder(dividingBy: s.period)
                        let angle = 2 * Double.pi * phase / s.period
                        c = cos(angle)
                        sn = sin(angle)
                    }
                    storage[column * count + i] = c
                    if sine { storage[(column + 1) * count + i] = sn }
                }
                column += sine ? 2 : 1
            }
        }
        if let weekend {
            for i in 0..<count { storage[column * count + i] = weekend.isWeekend(start + i) ? 1 : 0 }
            column += 1
        }
        return Matrix(rows: count, columns: columns, columnMajor: storage)
    }
}
