import MosaicCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a numeric field is transformed before it is standardised.
public enum NumericTransform: String, Sendable, Codable {
    case identity
    /// log(1 + x): for heavy-tailed counts such as tokens.
    case log1p
}

/// One block of columns of an encoded request.
///
/// - `oneHot`: one column per vocabulary value, 1 for the request's value; a value not seen in
///   training encodes as all zeros (the model's baseline).
/// - `numeric`: `(transform(x) − mean) / scale`.
/// - `cyclic`: `sin` and `cos` of `2πk·x/period` for k = 1…harmonics (hour of day, weekday).
/// - `interaction`: the product of two `numeric` features' encoded values (`factors` are their
///   indexes in ``FeatureSpec/features``).
/// - `hashedText`: a bag of words and word pairs of the text, hashed into `buckets` columns,
///   `log(1 + count)`, then scaled to unit length.
public struct Feature: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case oneHot, numeric, cyclic, interaction, hashedText
    }

    public var kind: Kind
    public var field: RequestField
    public var vocabulary: [String]?
    public var transform: NumericTransform?
    public var mean: Double?
    public var scale: Double?
    public var period: Double?
    public var harmonics: Int?
    public var factors: [Int]?
    public var buckets: Int?

    /// Columns this feature produces.
    public var width: Int {
        switch kind {
        case .oneHot: return vocabulary?.count ?? 0
        case .numeric, .interaction: return 1
        case .cyclic: return 2 * (harmonics ?? 1)
        case .hashedText: return buckets ?? 0
        }
    }

    public static func oneHot(_ field: RequestField, vocabulary: [String]) -> Feature {
        Feature(kind: .oneHot, field: field, vocabulary: vocabulary)
    }

    public static func numeric(_ field: RequestField, transform: NumericTransform, mean: Double, scale: Double) -> Feature {
        Feature(kind: .numeric, field: field, transform: transform, mean: mean, scale: scale)
    }

    public static func cyclic(_ field: RequestField, period: Double, harmonics: Int) -> Feature {
        Feature(kind: .cyclic, field: field, period: period, harmonics: harmonics)
    }

    public static func interaction(_ a: Int, _ b: Int) -> Feature {
        Feature(kind: .interaction, field: .inputTokens, factors: [a, b])
    }

    public static func hashedText(buckets: Int) -> Feature {
        Feature(kind: .hashedText, field: .text, buckets: buckets)
    }
}

/// Why a feature specification cannot be used.
public enum FeatureSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(feature: Int, reason: String)

    public var description: String {
        switch self {
        case let .invalid(i, reason): return "feature \(i): \(reason)"
        }
    }
}

/// The columns a model sees, in order, with everything needed to encode a request exactly as
/// in training: category vocabularies, transforms and scaling, hashing. It is part of every
/// model file.
public struct FeatureSpec: Sendable, Codable, Equatable {
    public var features: [Feature]

    public init(features: [Feature]) throws(FeatureSpecError) {
        self.features = features
        try validate()
    }

    /// The number of encoded columns.
    public var width: Int { features.reduce(0) { $0 + $1.width } }

    /// Checks what decoding cannot: scales positive, factors pointing at earlier numeric
    /// features, sizes positive.
    public func validate() throws(FeatureSpecError) {
        for (i, f) in features.enumerated() {
            switch f.kind {
            case .oneHot:
                guard let v = f.vocabulary else { throw .invalid(feature: i, reason: "one-hot without a vocabulary") }
                if Set(v).count != v.count { throw .invalid(feature: i, reason: "vocabulary has duplicates") }
            case .numeric:
                guard f.transform != nil, let m = f.mean, let s = f.scale, m.isFinite, s.isFinite, s > 0 else {
                    throw .invalid(feature: i, reason: "numeric feature needs a transform, a finite mean and a positive scale")
                }
            case .cyclic:
                guard let p = f.period, p > 0, let h = f.harmonics, h >= 1 else {
                    throw .invalid(feature: i, reason: "cyclic feature needs a positive period and harmonics ≥ 1")
                }
            case .interaction:
                guard let fs = f.factors, fs.count == 2, fs.allSatisfy({ $0 >= 0 && $0 < i && features[$0].kind == .numeric }) else {
                    throw .invalid(feature: i, reason: "interaction needs two earlier numeric features")
                }
            case .hashedText:
                guard let b = f.buckets, b > 0 else { throw .invalid(feature: i, reason: "hashed text needs buckets > 0") }
            }
        }
    }

    /// Encodes a request into `out` (resized to ``width``). After the first call with a given
    /// array, encoding allocates nothing except for hashed text.
    ///
    /// - Complexity: O(width + text length).
    public func encode(_ r: RequestFeatures, into out: inout [Double]) {
        if out.count != width { out = [Double](repeating: 0, count: width) }
        var offset = 0
        for f in features {
            let w = f.width
            switch f.kind {
            case .oneHot:
                for k in 0..<w { out[offset + k] = 0 }
                let value = f.field.category(of: r)
                if let vocab = f.vocabulary, let k = vocab.firstIndex(of: value) { out[offset + k] = 1 }
            case .numeric:
                out[offset] = FeatureSpec.numeric(f, f.field.number(of: r))
            case .cyclic:
                let x = f.field.number(of: r), p = f.period ?? 1
                for k in 0..<(f.harmonics ?? 1) {
                    let angle = 2 * Double.pi * Double(k + 1) * x / p
                    out[offset + 2 * k] = sin(angle)
                    out[offset + 2 * k + 1] = cos(angle)
                }
            case .interaction:
                let fs = f.factors ?? [0, 0]
                let a = features[fs[0]], b = features[fs[1]]
                out[offset] = FeatureSpec.numeric(a, a.field.number(of: r)) * FeatureSpec.numeric(b, b.field.number(of: r))
            case .hashedText:
                for k in 0..<w { out[offset + k] = 0 }
                TextHashing.accumulate(r.text ?? "", buckets: w) { out[offset + $0] += 1 }
                var norm = 0.0
                for k in 0..<w where out[offset + k] > 0 {
                    out[offset + k] = log1p(out[offset + k])
                    norm += out[offset + k] * out[offset + k]
                }
                if norm > 0 {
                    let inv = 1 / norm.squareRoot()
                    for k in 0..<w where out[offset + k] != 0 { out[offset + k] *= inv }
                }
            }
            offset += w
        }
    }

    /// Encodes one request into a new array.
    public func encode(_ r: RequestFeatures) -> [Double] {
        var out: [Double] = []
        encode(r, into: &out)
        return out
    }

    @inline(__always)
    static func numeric(_ f: Feature, _ x: Double) -> Double {
        let t = f.transform == .log1p ? log1p(max(0, x)) : x
        return (t - (f.mean ?? 0)) / (f.scale ?? 1)
    }
}

/// Words and word pairs of a text, hashed: lower-cased runs of letters and digits.
public enum TextHashing {
    /// Calls `add` with the bucket of every word and every pair of adjacent words.
    public static func accumulate(_ text: String, buckets: Int, _ add: (Int) -> Void) {
        var previous: UInt64?
        var word = StableHash(seed: 0x7465_7874)
        var length = 0
        func flush() {
            guard length > 0 else { return }
            let h = UInt64(bitPattern: word.value)
            add(Int(h % UInt64(buckets)))
            if let p = previous {
                var pair = StableHash(seed: 0x7061_6972)
                pair.combine(p)
                pair.combine(h)
                add(Int(UInt64(bitPattern: pair.value) % UInt64(buckets)))
            }
            previous = h
            word = StableHash(seed: 0x7465_7874)
            length = 0
        }
        for u in text.utf8 {
            let c: UInt8
            switch u {
            case 65...90: c = u + 32
            case 97...122, 48...57: c = u
            default:
                if u >= 0x80 { c = u } else { flush(); continue }
            }
            word.combine(UInt64(c))
            length += 1
        }
        flush()
    }
}
