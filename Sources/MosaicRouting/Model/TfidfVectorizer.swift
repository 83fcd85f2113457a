#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fitted TF-IDF vectorizer with scikit-learn's `TfidfVectorizer` conventions, so that a
/// vocabulary and idf fitted in training encode a prompt at route time exactly as in training.
///
/// - `word` analyzer: the lower-cased text's runs of two or more word characters (letters,
///   digits, `_`; sklearn's token pattern `(?u)\b\w\w+\b`), then word n-grams joined by one
///   space, shortest first.
/// - `char` analyzer: the lower-cased text with every run of two or more whitespace characters
///   replaced by one space, then every n-gram of characters (Unicode scalars).
/// - Term frequency is the count in the text, `1 + ln(count)` when `sublinearTF`; each term is
///   weighted by its idf (`ln((1 + n) / (1 + df)) + 1` with `smooth_idf`, fitted on the
///   training texts), and the vector is scaled to unit Euclidean length.
///
/// Terms are looked up by a 64-bit hash of their characters (computed without building
/// strings); the file keeps the terms themselves.
///
/// A text is read up to its first ``maxScalars`` Unicode scalars, in fitting as in
/// transforming, so that one huge prompt (a long-context request of megabytes) cannot hold a
/// router's event loop; scikit-learn reads every character, so the two agree on texts up to
/// that length.
public struct TfidfVectorizer: Sendable, Codable, Equatable {
    /// The most Unicode scalars of a text that are analysed.
    public static let maxScalars = 65_536

    public enum Analyzer: String, Sendable, Codable { case word, char }

    public var analyzer: Analyzer
    public var ngramMin: Int
    public var ngramMax: Int
    public var sublinearTF: Bool
    /// The vocabulary; a term's column is its index.
    public var terms: [String]
    /// The idf of each term.
    public var idf: [Double]
    /// Term hash → column (rebuilt from `terms` when decoded).
    @usableFromInline var index: [UInt64: Int32] = [:]

    enum CodingKeys: String, CodingKey { case analyzer, ngramMin, ngramMax, sublinearTF, terms, idf }

    public init(analyzer: Analyzer, ngramMin: Int, ngramMax: Int, sublinearTF: Bool, terms: [String], idf: [Double]) {
        self.analyzer = analyzer
        self.ngramMin = ngramMin
        self.ngramMax = ngramMax
        self.sublinearTF = sublinearTF
        self.terms = terms
        self.idf = idf
        rebuildIndex()
    }

    /// Decodes the stored fields through ``init(analyzer:ngramMin:ngramMax:sublinearTF:terms:idf:)``,
    /// which rebuilds the term index.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(analyzer: try c.decode(Analyzer.self, forKey: .analyzer), ngramMin: try c.decode(Int.self, forKey: .ngramMin),
                  ngramMax: try c.decode(Int.self, forKey: .ngramMax), sublinearTF: try c.decode(Bool.self, forKey: .sublinearTF),
                  terms: try c.decode([String].self, forKey: .terms), idf: try c.decode([Double].self, forKey: .idf))
    }

    public static func == (a: TfidfVectorizer, b: TfidfVectorizer) -> Bool {
        a.analyzer == b.analyzer && a.ngramMin == b.ngramMin && a.ngramMax == b.ngramMax
            && a.sublinearTF == b.sublinearTF && a.terms == b.terms && a.idf == b.idf
    }

    mutating func rebuildIndex() {
        index = [:]
        index.reserveCapacity(terms.count)
        for (i, t) in terms.enumerated() {
            let h = Self.termHash(t)
            if index[h] == nil { index[h] = Int32(i) }
        }
    }

    /// The number of columns.
    public var width: Int { terms.count }

    /// Why a vectorizer cannot be used, or nil.
    public var problem: String? {
        if ngramMin < 1 || ngramMax < ngramMin { return "n-gram range \(ngramMin)…\(ngramMax) is invalid" }
        if terms.count != idf.count { return "\(terms.count) terms but \(idf.count) idf values" }
        if !idf.allSatisfy({ $0.isFinite && $0 > 0 }) { return "idf values must be finite and positive" }
        if index.count != terms.count { return "the vocabulary has duplicate terms" }
        return nil
    }

    // MARK: Analysis

    /// The hash of a term's characters (as the analyzers hash them while scanning).
    public static func termHash(_ term: String) -> UInt64 {
        var h = FNV()
        for s in term.unicodeScalars { h.add(s) }
        return h.value
    }

    @usableFromInline struct FNV {
        @usableFromInline var value: UInt64 = 0xcbf2_9ce4_8422_2325
        @inlinable init() {}
        @inlinable mutating func add(_ s: Unicode.Scalar) {
            var v = s.value
            // Little-endian bytes of the scalar value, only as many as it needs.
            repeat {
                value = (value ^ UInt64(v & 0xFF)) &* 0x0000_0100_0000_01B3
                v >>= 8
            } while v != 0
        }
    }

    static func isWordCharacter(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 48...57, 65...90, 97...122, 95: return true
        case 0..<128: return false
        default: return s.properties.isAlphabetic || s.properties.numericType != nil
        }
    }

    @inline(__always) static func isSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 9...13, 32: return true
        case 0..<128: return false
        default: return s.properties.isWhitespace
        }
    }

    /// The text's first ``maxScalars`` scalars, lower-cased.
    static func lowered(_ text: String) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(min(text.utf8.count, maxScalars))
        for s in text.unicodeScalars.prefix(maxScalars) {
            if s.value >= 65 && s.value <= 90 {
                out.append(Unicode.Scalar(s.value + 32)!)
            } else if s.value < 128 {
                out.append(s)
            } else {
                out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    /// Calls `visit` with the hash of every n-gram of `text`, in sklearn's order.
    public func forEachTerm(_ text: String, _ visit: (UInt64) -> Void) {
        Self.forEachTerm(text, analyzer: analyzer, ngramMin: ngramMin, ngramMax: ngramMax) { h, _ in visit(h) }
    }

    /// Calls `visit` with the hash of every n-gram of `text` and a closure that spells it.
    public static func forEachTerm(_ text: String, analyzer: Analyzer, ngramMin: Int, ngramMax: Int,
                                   _ visit: (UInt64, () -> String) -> Void) {
        let s = lowered(text)
        switch analyzer {
        case .word:
            var tokens: [Range<Int>] = []
            var start = -1
            for i in 0...s.count {
                let w = i < s.count && isWordCharacter(s[i])
                if w && start < 0 { start = i }
                if !w && start >= 0 {
                    if i - start >= 2 { tokens.append(start..<i) }
                    start = -1
                }
            }
            for n in ngramMin...max(ngramMin, ngramMax) where n <= tokens.count {
                for k in 0...(tokens.count - n) {
                    var h = FNV()
                    for j in k..<(k + n) {
                        if j > k { h.add(" ") }
                        for i in tokens[j] { h.add(s[i]) }
                    }
                    visit(h.value) {
                        var t = String.UnicodeScalarView()
                        for j in k..<(k + n) {
                            if j > k { t.append(" ") }
                            t.append(contentsOf: s[tokens[j]])
                        }
                        return String(t)
                    }
                }
            }
        case .char:
            // Runs of two or more whitespace characters become one space (sklearn's `\s\s+`).
            var c: [Unicode.Scalar] = []
            c.reserveCapacity(s.count)
            var i = 0
            while i < s.count {
                if isSpace(s[i]), i + 1 < s.count, isSpace(s[i + 1]) {
                    var j = i
                    while j < s.count && isSpace(s[j]) { j += 1 }
                    c.append(" ")
                    i = j
                } else {
                    c.append(s[i])
                    i += 1
                }
            }
            for n in ngramMin...max(ngramMin, ngramMax) where n <= c.count {
                for k in 0...(c.count - n) {
                    var h = FNV()
                    for j in k..<(k + n) { h.add(c[j]) }
                    visit(h.value) {
                        var t = String.UnicodeScalarView()
                        t.append(contentsOf: c[k..<(k + n)])
                        return String(t)
                    }
                }
            }
        }
    }

    // MARK: Transform

    /// The unit-length TF-IDF vector of `text` as sorted (column, value) pairs; empty when no
    /// term of the vocabulary occurs.
    ///
    /// - Complexity: O(text length × n-gram range).
    public func transform(_ text: String) -> [(column: Int, value: Double)] {
        var counts: [Int32: Double] = [:]
        forEachTerm(text) { h in
            if let c = index[h] { counts[c, default: 0] += 1 }
        }
        var out = counts.map { (column: Int($0.key), value: $0.value) }.sorted { $0.column < $1.column }
        var norm = 0.0
        for i in out.indices {
            let tf = sublinearTF ? 1 + log(out[i].value) : out[i].value
            out[i].value = tf * idf[out[i].column]
            norm += out[i].value * out[i].value
        }
        if norm > 0 {
            let inv = 1 / norm.squareRoot()
            for i in out.indices { out[i].value *= inv }
        }
        return out
    }
}
