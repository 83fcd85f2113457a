import Foundation
import MosaicLinalg
import MosaicTestSupport

/// The regression dataset of `../shared/reference/ref_regression.py`, regenerated bit for bit.
///
/// The generator is counter-based splitmix64 (README section "Portable generator"):
/// `u(s, k) = (mix(42 + s·2⁴⁰ + (k+1)·0x9E3779B97F4A7C15) >> 11) · 2⁻⁵³`, with stream 0 for X,
/// 1 for the noise and 2 for the logistic uniforms. The dot products `X·β` and `X·w` are
/// summed the way numpy's `X @ beta` does on OpenBLAS's Haswell `dgemv_t` kernel: four lanes
/// (`j mod 4`), each a chain of fused multiply-adds in `j` order, then `(l0 + l2) + (l1 + l3)`.
/// Only that order reproduces the published sha256 of `y`.
struct ReferenceData {
    static let features = 32
    let rows: Int
    /// Column-major `rows × 32`.
    let x: Matrix
    /// Row-major copy of X, little-endian bytes as the published `.f64` file.
    let xRowMajor: [Double]
    let y: [Double]
    let ybin: [Bool]

    static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func uniform(stream s: UInt64, _ k: UInt64) -> Double {
        let bits = mix(42 &+ s &* (1 << 40) &+ (k &+ 1) &* 0x9E37_79B9_7F4A_7C15)
        return Double(bits >> 11) * 0x1p-53
    }

    /// The four-lane FMA dot product of numpy/OpenBLAS (see the type's discussion).
    static func dot(_ row: UnsafeBufferPointer<Double>, _ b: [Double]) -> Double {
        var lane = (0.0, 0.0, 0.0, 0.0)
        var j = 0
        while j < row.count {
            lane.0 = lane.0.addingProduct(row[j], b[j])
            lane.1 = lane.1.addingProduct(row[j + 1], b[j + 1])
            lane.2 = lane.2.addingProduct(row[j + 2], b[j + 2])
            lane.3 = lane.3.addingProduct(row[j + 3], b[j + 3])
            j += 4
        }
        return (lane.0 + lane.2) + (lane.1 + lane.3)
    }

    static let beta = (0..<features).map { Double(($0 % 9) - 4) * 0.125 }
    static let w = (0..<features).map { Double(($0 % 5) - 2) * 0.25 }

    init(rows n: Int) {
        let d = ReferenceData.features
        var rowMajor = [Double](repeating: 0, count: n * d)
        var columnMajor = [Double](repeating: 0, count: n * d)
        var y = [Double](repeating: 0, count: n)
        var ybin = [Bool](repeating: false, count: n)
        let sqrt3 = 3.0.squareRoot()
        rowMajor.withUnsafeMutableBufferPointer { xr in
            columnMajor.withUnsafeMutableBufferPointer { xc in
                for i in 0..<n {
                    for j in 0..<d {
                        let v = 2 * ReferenceData.uniform(stream: 0, UInt64(i * d + j)) - 1
                        xr[i * d + j] = v
                        xc[j * n + i] = v
                    }
                    let row = UnsafeBufferPointer(rebasing: xr[(i * d)..<(i * d + d)])
                    let k = UInt64(4 * i)
                    let noise = (((ReferenceData.uniform(stream: 1, k) + ReferenceData.uniform(stream: 1, k + 1))
                        + ReferenceData.uniform(stream: 1, k + 2)) + ReferenceData.uniform(stream: 1, k + 3) - 2) * sqrt3
                    y[i] = 0.5 + ReferenceData.dot(row, ReferenceData.beta) + 0.5 * noise
                    let eta = -0.25 + ReferenceData.dot(row, ReferenceData.w)
                    ybin[i] = ReferenceData.uniform(stream: 2, UInt64(i)) < 1 / (1 + exp(-eta))
                }
            }
        }
        self.rows = n
        self.x = Matrix(rows: n, columns: d, columnMajor: columnMajor)
        self.xRowMajor = rowMajor
        self.y = y
        self.ybin = ybin
    }

    /// The 100,000-row cross-check set, generated once per test process.
    static let crossCheck = ReferenceData(rows: 100_000)

    // MARK: Checksums

    /// sha256 of raw bytes, through `/usr/bin/sha256sum` (there is no CryptoKit on Linux).
    static func sha256(_ bytes: [UInt8]) throws -> String {
        let dir = TemporaryDirectory("mosaic-sha")
        let path = dir.write("data.bin", bytes: bytes)
        let out = try ChildProcess.run("/usr/bin/sha256sum", [path])
        return String(out.stdout.prefix(64))
    }

    static func littleEndianBytes(_ values: [Double]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// The published checksums, by file name, from `regression_100k.sha256`.
    static func publishedChecksums() throws -> [String: String] {
        guard let path = SharedData.path("reference/data/regression_100k.sha256") else { return [:] }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var sums: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 2 { sums[String(parts[1])] = String(parts[0]) }
        }
        return sums
    }

    /// The reference coefficients (intercept first), keyed like the JSON.
    static func referenceCoefficients() throws -> [String: [Double]] {
        guard let path = SharedData.path("reference/data/regression_100k_coefficients.json") else { return [:] }
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
        var out: [String: [Double]] = [:]
        for key in ["lstsq_intercept_then_coef", "ridge_alpha1_intercept_then_coef", "logistic_C1_intercept_then_coef"] {
            out[key] = (object[key] as? [String] ?? []).compactMap(Double.init)
        }
        return out
    }
}
