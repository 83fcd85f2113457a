import Foundation
import MosaicCore
import MosaicTestSupport
import Testing

/// The namespace of the forecasting suites, so that `swift test --filter TimeSeries` selects
/// them all (their identifiers read `MosaicLearnTests.TimeSeriesTests/…`).
enum TimeSeriesTests {}

/// Series for the forecasting tests: the portable synthetic series of
/// `../shared/reference/ref_forecast.py`, regenerated bit for bit; simulated series with known
/// parameters; and the M4 hourly data.
enum ForecastTestData {
    // MARK: - The reference generator (splitmix64, stream 3)

    /// `u(3, k)` of the reference README: `(mix(42 + 3·2⁴⁰ + (k + 1)·0x9E3779B97F4A7C15) >> 11) · 2⁻⁵³`.
    static func uniform(stream s: UInt64, _ k: UInt64) -> Double {
        ReferenceData.uniform(stream: s, k)
    }

    /// The synthetic hourly series of `ref_forecast.py` (8 weeks = 1344 values by default):
    /// `mean_t = 1000 (1 + 0.02 t/168)(1 + 0.45 sin(2π(t − 8)/24)) (0.65 on weekend days)`,
    /// `z_t` an Irwin–Hall(4) unit-variance draw from `u(3, 4t … 4t + 3)`,
    /// `y_t = max(0, ⌊mean_t + 1.5 √mean_t z_t + 0.5⌋)`, evaluated in numpy's order.
    static func syntheticSeries(weeks: Int = 8) -> [Int64] {
        let n = 24 * 7 * weeks
        let sqrt3 = 3.0.squareRoot()
        return (0..<n).map { t in
            let day = (t / 24) % 7
            let weekend = day == 5 || day == 6
            let mean = 1000.0 * (1.0 + 0.02 * Double(t) / 168.0) * (1.0 + 0.45 * sin(2.0 * Double.pi * Double(t - 8) / 24.0))
                * (weekend ? 0.65 : 1.0)
            let k = UInt64(4 * t)
            let z = (((uniform(stream: 3, k) + uniform(stream: 3, k + 1)) + uniform(stream: 3, k + 2))
                + uniform(stream: 3, k + 3) - 2.0) * sqrt3
            return Int64(max(0, (mean + 1.5 * mean.squareRoot() * z + 0.5).rounded(.down)))
        }
    }

    /// Published in the reference README: sha256 over little-endian int64, first values, sum.
    static let syntheticSHA256 = "38400baecb5e378d3780b4a00e9ff54680c9b7baa77c6a81fe229f6026c6decb"
    static let syntheticFirstValues: [Int64] = [613, 506, 575, 577, 662]
    static let syntheticSum: Int64 = 1_306_096

    /// Little-endian bytes of int64 values, as numpy's `astype("<i8").tobytes()`.
    static func littleEndianBytes(_ values: [Int64]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 8)
        for v in values { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// The synthetic series as doubles, split as the reference splits it: the first
    /// `⌊0.8 n⌋` values train, the rest (h = 269) test.
    static var syntheticSplit: (train: [Double], test: [Double]) {
        let y = syntheticSeries().map(Double.init)
        let cut = Int((0.8 * Double(y.count)).rounded(.down))
        return (Array(y[0..<cut]), Array(y[cut...]))
    }

    /// The statsforecast results of `results/forecast.json` for one model, or nil.
    static func referenceModel(_ name: String) -> [String: Any]? {
        guard let path = SharedData.path("reference/results/forecast.json"),
              let data = FileManager.default.contents(atPath: path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let synthetic = json["synthetic"] as? [String: Any],
              let models = synthetic["models"] as? [String: Any] else { return nil }
        return models[name] as? [String: Any]
    }

    // MARK: - Simulated series

    /// ETS(A,N,N): `yₜ = ℓₜ₋₁ + εₜ`, `ℓₜ = ℓₜ₋₁ + α εₜ`, ε ~ N(0, σ²).
    static func localLevel(count n: Int, alpha: Double, sigma: Double, level: Double, seed: UInt64) -> [Double] {
        var random = SeededRandom(seed: seed)
        var l = level
        return (0..<n).map { _ in
            let e = sigma * random.normal()
            let y = l + e
            l += alpha * e
            return y
        }
    }

    /// ETS(A,N,A) with period m: `yₜ = ℓ + s + ε`, `ℓ += αε`, `s += γε`.
    static func seasonalLocalLevel(count n: Int, pattern: [Double], alpha: Double, gamma: Double, sigma: Double,
                                   seed: UInt64) -> [Double] {
        var random = SeededRandom(seed: seed)
        var l = 100.0
        var s = pattern
        return (0..<n).map { t in
            let j = t % s.count
            let e = sigma * random.normal()
            let y = l + s[j] + e
            l += alpha * e
            s[j] += gamma * e
            return y
        }
    }

    /// `mean(t) + uₜ` with AR(1) errors `uₜ = φ uₜ₋₁ + εₜ` started from its stationary law.
    static func withAR1Errors(count n: Int, phi: Double, sigma: Double, seed: UInt64, mean: (Int) -> Double) -> [Double] {
        var random = SeededRandom(seed: seed)
        var u = sigma / (1 - phi * phi).squareRoot() * random.normal()
        return (0..<n).map { t in
            if t > 0 { u = phi * u + sigma * random.normal() }
            return mean(t) + u
        }
    }

    // MARK: - M4 hourly

    static let m4Train = "datasets/m4-hourly/Hourly-train.csv"
    static let m4Test = "datasets/m4-hourly/Hourly-test.csv"
    static let m4Published = "datasets/m4-hourly/m4_hourly_published_accuracy.csv"
    static var m4Absent: String { [m4Train, m4Test, m4Published].compactMap(SharedData.missing).joined(separator: "; ") }
    static var m4Present: Bool { m4Absent.isEmpty }

    /// The M4 organisers' wide CSV: a header row, then an id and the values of each series,
    /// padded with empty fields.
    static func loadM4(_ relative: String) throws -> [[Double]] {
        let path = try #require(SharedData.path(relative))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).dropFirst().map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).dropFirst().compactMap { field in
                let trimmed = field.filter { $0 != "\"" }
                return trimmed.isEmpty ? nil : Double(trimmed)
            }
        }
    }

    /// One row of the published accuracy table (`method` matched exactly): sMAPE, MASE, OWA.
    static func publishedAccuracy(method: String) throws -> (smape: Double, mase: Double, owa: Double) {
        let path = try #require(SharedData.path(m4Published))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = csvFields(String(line))
            if fields.count >= 6, fields[1] == method, let s = Double(fields[3]), let m = Double(fields[4]),
               let o = Double(fields[5]) {
                return (s, m, o)
            }
        }
        throw CSVRowMissing(method: method)
    }

    struct CSVRowMissing: Error { var method: String }

    /// Splits one CSV line, honouring double quotes.
    static func csvFields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        for ch in line {
            if ch == "\"" { quoted.toggle() } else if ch == "," && !quoted { fields.append(current); current = "" } else { current.append(ch) }
        }
        fields.append(current)
        return fields
    }
}
