import MosaicRouting

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rows of a sparse matrix in compressed form (CSR): row `i`'s nonzeros are
/// `columns[offsets[i]..<offsets[i+1]]` with `values` alike.
public struct SparseRows: Sendable, Equatable {
    public var width: Int
    public var offsets: [Int] = [0]
    public var columns: [Int32] = []
    public var values: [Double] = []

    public init(width: Int) { self.width = width }

    public var count: Int { offsets.count - 1 }

    public mutating func append(_ row: [(column: Int, value: Double)], columnOffset: Int = 0, scale: Double = 1) {
        for (c, v) in row {
            columns.append(Int32(c + columnOffset))
            values.append(v * scale)
        }
    }

    public mutating func endRow() { offsets.append(columns.count) }

    /// Calls `body` with the row offsets, column indices and values as buffers: the view the
    /// products' inner loops read, without bounds checks.
    func withUnsafeParts<R>(
        _ body: (UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Double>) throws -> R
    ) rethrows -> R {
        try offsets.withUnsafeBufferPointer { off in
            try columns.withUnsafeBufferPointer { cols in
                try values.withUnsafeBufferPointer { vals in try body(off, cols, vals) }
            }
        }
    }

    /// The rows `rows`, in that order.
    public func subset(_ rows: [Int]) -> SparseRows {
        var out = SparseRows(width: width)
        out.offsets.reserveCapacity(rows.count + 1)
        for i in rows {
            out.columns.append(contentsOf: columns[offsets[i]..<offsets[i + 1]])
            out.values.append(contentsOf: values[offsets[i]..<offsets[i + 1]])
            out.endRow()
        }
        return out
    }

    /// The dense row `i`.
    public func row(_ i: Int) -> [Double] {
        var out = [Double](repeating: 0, count: width)
        for p in offsets[i]..<offsets[i + 1] { out[Int(columns[p])] = values[p] }
        return out
    }
}

extension TfidfVectorizer {
    /// Fits a vocabulary and idf on `texts` (scikit-learn's `TfidfVectorizer(analyzer:,
    /// ngram_range:, min_df:, max_features:, sublinear_tf:, smooth_idf=True, norm="l2")`).
    ///
    /// Terms in fewer than `minDocumentFrequency` texts are dropped; of the rest the
    /// `maxFeatures` with the highest total count are kept (ties: the alphabetically first);
    /// the vocabulary is sorted alphabetically (by Unicode scalars) like sklearn's.
    ///
    /// - Complexity: O(total text length × n-gram range).
    public static func fit(_ texts: [String], analyzer: Analyzer, ngramMin: Int, ngramMax: Int, sublinearTF: Bool,
                           minDocumentFrequency: Int = 1, maxFeatures: Int? = nil) -> TfidfVectorizer {
        var df: [UInt64: Int] = [:]
        var total: [UInt64: Int] = [:]
        var spelled: [UInt64: String] = [:]
        var seen = Set<UInt64>()
        for t in texts {
            seen.removeAll(keepingCapacity: true)
            forEachTerm(t, analyzer: analyzer, ngramMin: ngramMin, ngramMax: ngramMax) { h, spell in
                total[h, default: 0] += 1
                if seen.insert(h).inserted {
                    df[h, default: 0] += 1
                    if spelled[h] == nil { spelled[h] = spell() }
                }
            }
        }
        var kept = df.filter { $0.value >= minDocumentFrequency }.map { (hash: $0.key, term: spelled[$0.key]!, total: total[$0.key]!) }
        if let m = maxFeatures, kept.count > m {
            kept.sort { $0.total != $1.total ? $0.total > $1.total : Self.scalarLess($0.term, $1.term) }
            kept = Array(kept.prefix(m))
        }
        kept.sort { Self.scalarLess($0.term, $1.term) }
        let n = Double(texts.count)
        return TfidfVectorizer(analyzer: analyzer, ngramMin: ngramMin, ngramMax: ngramMax, sublinearTF: sublinearTF,
                               terms: kept.map(\.term),
                               idf: kept.map { log((1 + n) / (1 + Double(df[$0.hash]!))) + 1 })
    }

    /// Python's string order: by Unicode scalar values.
    static func scalarLess(_ a: String, _ b: String) -> Bool {
        var i = a.unicodeScalars.makeIterator(), j = b.unicodeScalars.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case let (x?, y?): if x != y { return x.value < y.value }
            }
        }
    }
}

extension Array where Element == TfidfVectorizer {
    /// The rows of every text under all vectorizers side by side, each block scaled by
    /// `1/√count` so a row has unit length (as ``QualityScorer/embed(_:into:)`` reads them).
    public func transform(_ texts: [String]) -> SparseRows {
        var rows = SparseRows(width: reduce(0) { $0 + $1.width })
        let share = 1 / Double(Swift.max(1, count)).squareRoot()
        for t in texts {
            var offset = 0
            for v in self {
                rows.append(v.transform(t), columnOffset: offset, scale: share)
                offset += v.width
            }
            rows.endRow()
        }
        return rows
    }
}
