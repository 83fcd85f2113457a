/// Weights on a few columns of a wide vector: ascending column indices and their values.
///
/// In a model file the indices are a plain array and the values ``PackedRows`` (one row), so a
/// trainer that puts them on that grid (``PackedRows/quantized(_:columns:)``) round-trips
/// them exactly.
public struct SparseWeights: Sendable, Codable, Equatable {
    public var indices: [Int]
    public var values: [Double]

    public init(indices: [Int], values: [Double]) {
        self.indices = indices
        self.values = values
    }

    /// The weight of `column` (0 where none is stored).
    ///
    /// - Complexity: O(log count).
    @inlinable
    public func weight(_ column: Int) -> Double {
        var lo = 0, hi = indices.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if indices[mid] < column { lo = mid + 1 } else { hi = mid }
        }
        return lo < indices.count && indices[lo] == column ? values[lo] : 0
    }

    /// Why these weights cannot serve a vector of `width` columns, or nil.
    public func problem(width: Int) -> String? {
        if indices.count != values.count { return "\(indices.count) indices for \(values.count) values" }
        var last = -1
        for i in indices {
            if i <= last || i >= width { return "indices must ascend within 0..<\(width), found \(i) after \(last)" }
            last = i
        }
        return values.allSatisfy(\.isFinite) ? nil : "non-finite weight"
    }

    enum CodingKeys: String, CodingKey { case indices, values }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        indices = try c.decode([Int].self, forKey: .indices)
        if let plain = try? c.decode([Double].self, forKey: .values) {
            values = plain
        } else {
            let packed = try c.decode(PackedRows.self, forKey: .values)
            guard packed.rows == 1, let v = packed.values() else {
                throw DecodingError.dataCorruptedError(forKey: .values, in: c, debugDescription: "packed values do not decode to one row")
            }
            values = v
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(indices, forKey: .indices)
        if values.isEmpty { try c.encode(values, forKey: .values) } else { try c.encode(PackedRows(values, columns: values.count), forKey: .values) }
    }
}
