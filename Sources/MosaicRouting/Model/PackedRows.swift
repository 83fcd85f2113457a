import Foundation

/// A row-major matrix stored compactly in a model file: each row as 16-bit integers times a
/// power of two, the integers base64-encoded (little-endian).
///
/// Values on the grid ``quantized(_:columns:)`` produces round-trip exactly: the scale of a row
/// is `2^e` with `e` the smallest exponent such that the row's largest magnitude fits in
/// ±32767·2^e, so `q · 2^e` is exact in a `Double` and encoding the decoded values gives the
/// same integers and the same exponents. The relative precision is 2⁻¹⁵ of the row's largest
/// magnitude.
public struct PackedRows: Sendable, Codable, Equatable {
    public var rows: Int
    public var columns: Int
    /// Each row's scale exponent `e` (the row is `q · 2^e`).
    public var exponents: [Int]
    /// `rows × columns` little-endian `Int16`, base64.
    public var int16: String

    static let limit = 32767.0

    /// The smallest `e` with `maxMagnitude ≤ 32767 · 2^e` (0 for an all-zero row).
    static func exponent(_ maxMagnitude: Double) -> Int {
        guard maxMagnitude > 0, maxMagnitude.isFinite else { return 0 }
        var e = Int((maxMagnitude / limit).exponent)   // 2^e ≤ m/32767 < 2^(e+1)
        while maxMagnitude > limit * Double(sign: .plus, exponent: e, significand: 1) { e += 1 }
        while e > -1074, maxMagnitude <= limit * Double(sign: .plus, exponent: e - 1, significand: 1) { e -= 1 }
        return e
    }

    /// Packs `values` (`rows × columns`, row-major; the count must be a multiple of `columns`).
    public init(_ values: [Double], columns: Int) {
        precondition(columns > 0 && values.count % columns == 0, "PackedRows: \(values.count) values for \(columns) columns")
        self.columns = columns
        rows = values.count / columns
        var exps: [Int] = []
        exps.reserveCapacity(rows)
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 2)
        for r in 0..<rows {
            var m = 0.0
            for c in 0..<columns { m = max(m, abs(values[r * columns + c])) }
            let e = Self.exponent(m)
            exps.append(e)
            let scale = Double(sign: .plus, exponent: e, significand: 1)
            for c in 0..<columns {
                let q = Int16(max(-Self.limit, min(Self.limit, (values[r * columns + c] / scale).rounded())))
                let u = UInt16(bitPattern: q)
                bytes.append(UInt8(u & 0xFF))
                bytes.append(UInt8(u >> 8))
            }
        }
        exponents = exps
        int16 = Data(bytes).base64EncodedString()
    }

    /// The values, or nil when the payload does not decode to `rows × columns` integers.
    public func values() -> [Double]? {
        guard rows >= 0, columns > 0, exponents.count == rows, let data = Data(base64Encoded: int16),
              data.count == rows * columns * 2 else { return nil }
        var out = [Double](repeating: 0, count: rows * columns)
        data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
            for r in 0..<rows {
                let scale = Double(sign: .plus, exponent: exponents[r], significand: 1)
                for c in 0..<columns {
                    let i = r * columns + c
                    let u = UInt16(b[2 * i]) | UInt16(b[2 * i + 1]) << 8
                    out[i] = Double(Int16(bitPattern: u)) * scale
                }
            }
        }
        return out
    }

    /// `values` moved onto the grid this format stores exactly (what a packed file holds).
    public static func quantized(_ values: [Double], columns: Int) -> [Double] {
        PackedRows(values, columns: columns).values() ?? values
    }
}
