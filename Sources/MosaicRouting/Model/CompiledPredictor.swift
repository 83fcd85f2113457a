import MosaicCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The routing model's per-provider heads, compiled for the router's hot path.
///
/// ``ProviderModel/predict(_:scratch:)`` encodes a request into a dense vector and takes three
/// dot products over it. Most of that vector is one-hot zeros, and the request's numeric and
/// cyclic transforms are the same for every provider. A compiled predictor therefore evaluates
/// the three heads sparsely, block by block (a one-hot block adds the matching column's three
/// coefficients; a numeric or cyclic block multiplies), reading request-level values that a
/// ``CompiledPredictor/RequestValues`` computed once per decision. The result equals
/// `ProviderModel.predict` up to floating-point summation order (a test checks 1e-12).
///
/// Hashed-text features are not compiled (``isCompilable`` is false); such heads use the
/// dense path.
public final class CompiledPredictor: Sendable {
    /// A block of columns, in plain numbers so reading it retains nothing.
    @usableFromInline struct Block: Sendable {
        @usableFromInline enum Kind: UInt8, Sendable { case oneHotText, oneHotInt, numeric, cyclic, interaction }
        @usableFromInline var kind: Kind
        @usableFromInline var field: RequestField
        @usableFromInline var offset: Int
        @usableFromInline var width: Int
        /// Index into the vocabularies (one-hot text) or the integer vocabularies (one-hot int).
        @usableFromInline var vocabulary: Int
        /// Numeric: the request value slot; cyclic: the first of `2·harmonics` slots.
        @usableFromInline var slot: Int
        @usableFromInline var mean: Double
        @usableFromInline var scale: Double
        /// Interaction: the blocks of the two factors.
        @usableFromInline var factorA: Int
        @usableFromInline var factorB: Int
    }

    @usableFromInline let blocks: [Block]
    @usableFromInline let vocabularies: [[String]]
    @usableFromInline let intVocabularies: [[Int]]
    /// Coefficients interleaved per column: mean log-latency, tail, failure logit.
    @usableFromInline let weights: [Double]
    @usableFromInline let intercepts: (Double, Double, Double)
    @usableFromInline let halfVariance: Double

    /// Whether a head can be compiled (it has no hashed-text feature).
    public static func isCompilable(_ m: ProviderModel) -> Bool {
        !m.featureSpec.features.contains { $0.kind == .hashedText }
    }

    /// Compiles `model`, registering the request values it needs in `layout`.
    ///
    /// - Returns: nil when the model has a hashed-text feature.
    public init?(_ model: ProviderModel, layout: inout RequestValues.Layout) {
        // (a class: calling it reads its arrays in place instead of copying them)
        guard Self.isCompilable(model) else { return nil }
        var blocks: [Block] = []
        var vocabularies: [[String]] = []
        var intVocabularies: [[Int]] = []
        var offset = 0
        for f in model.featureSpec.features {
            var b = Block(kind: .numeric, field: f.field, offset: offset, width: f.width, vocabulary: -1, slot: -1,
                          mean: f.mean ?? 0, scale: f.scale ?? 1, factorA: -1, factorB: -1)
            switch f.kind {
            case .oneHot:
                let vocab = f.vocabulary ?? []
                if f.field == .hourOfDay || f.field == .dayOfWeek || f.field == .inputTokens || f.field == .outputTokens {
                    // Categories of integer fields are decimal integers; anything else never matches.
                    b.kind = .oneHotInt
                    b.vocabulary = intVocabularies.count
                    intVocabularies.append(vocab.map { Int($0) ?? Int.min })
                } else {
                    b.kind = .oneHotText
                    b.vocabulary = vocabularies.count
                    vocabularies.append(vocab)
                }
            case .numeric:
                b.kind = .numeric
                b.slot = layout.numericSlot(f.field, f.transform ?? .identity)
            case .cyclic:
                b.kind = .cyclic
                b.slot = layout.cyclicSlot(f.field, period: f.period ?? 1, harmonics: f.harmonics ?? 1)
            case .interaction:
                b.kind = .interaction
                let fs = f.factors ?? [0, 0]
                b.factorA = fs[0]
                b.factorB = fs[1]
            case .hashedText:
                return nil
            }
            blocks.append(b)
            offset += f.width
        }
        var w = [Double](repeating: 0, count: 3 * offset)
        for c in 0..<offset {
            w[3 * c] = model.logLatency.coefficients[c]
            w[3 * c + 1] = model.logLatencyTail.coefficients[c]
            w[3 * c + 2] = model.failure.coefficients[c]
        }
        self.blocks = blocks
        self.vocabularies = vocabularies
        self.intVocabularies = intVocabularies
        weights = w
        intercepts = (model.logLatency.intercept, model.logLatencyTail.intercept, model.failure.intercept)
        halfVariance = model.logLatencyResidualVariance / 2
    }

    /// The prediction for the request whose values are in `v`. Allocation-free.
    @inlinable
    public func predict(_ r: RouteRequest, _ v: RequestValues) -> Prediction {
        var mu = intercepts.0, tail = intercepts.1, z = intercepts.2
        blocks.withUnsafeBufferPointer { bs in
            weights.withUnsafeBufferPointer { w in
                v.values.withUnsafeBufferPointer { x in
                    for bi in 0..<bs.count {
                        let kind = bs[bi].kind
                        let o = bs[bi].offset
                        switch kind {
                        case .oneHotText:
                            if let k = Self.index(of: bs[bi].field, in: r, vocabulary: vocabularies, bs[bi].vocabulary) {
                                let c = 3 * (o + k)
                                mu += w[c]; tail += w[c + 1]; z += w[c + 2]
                            }
                        case .oneHotInt:
                            let value = v.integer(bs[bi].field, r)
                            let vocab = bs[bi].vocabulary
                            if let k = intVocabularies[vocab].firstIndex(of: value) {
                                let c = 3 * (o + k)
                                mu += w[c]; tail += w[c + 1]; z += w[c + 2]
                            }
                        case .numeric:
                            let e = (x[bs[bi].slot] - bs[bi].mean) / bs[bi].scale
                            let c = 3 * o
                            mu += w[c] * e; tail += w[c + 1] * e; z += w[c + 2] * e
                        case .cyclic:
                            let s = bs[bi].slot
                            for j in 0..<bs[bi].width {
                                let e = x[s + j]
                                let c = 3 * (o + j)
                                mu += w[c] * e; tail += w[c + 1] * e; z += w[c + 2] * e
                            }
                        case .interaction:
                            let a = bs[bs[bi].factorA], b = bs[bs[bi].factorB]
                            let e = (x[a.slot] - a.mean) / a.scale * ((x[b.slot] - b.mean) / b.scale)
                            let c = 3 * o
                            mu += w[c] * e; tail += w[c + 1] * e; z += w[c + 2] * e
                        }
                    }
                }
            }
        }
        return Prediction(expectedLatencyMs: exp(mu + halfVariance), tailLatencyMs: exp(max(tail, mu)),
                          failureProbability: logistic(z))
    }

    @inlinable
    static func index(of field: RequestField, in r: RouteRequest, vocabulary: [[String]], _ i: Int) -> Int? {
        switch field {
        case .tenant: return vocabulary[i].firstIndex(of: r.tenant)
        case .operation: return vocabulary[i].firstIndex(of: r.operation)
        case .region: return vocabulary[i].firstIndex(of: r.region)
        case .model: return vocabulary[i].firstIndex(of: r.modelFamily)
        case .modelRegion: return vocabulary[i].firstIndex(of: r.modelFamily + "@" + r.region)
        case .text: return r.text.flatMap { vocabulary[i].firstIndex(of: $0) }
        default: return nil
        }
    }

    /// The request-level numbers every compiled head reads: transformed numeric fields and
    /// the sines and cosines of cyclic ones, computed once per request.
    public struct RequestValues: Sendable {
        /// Which values to compute, shared by every head of a router.
        public struct Layout: Sendable {
            @usableFromInline enum Item: Sendable, Equatable {
                case numeric(RequestField, NumericTransform)
                case cyclic(RequestField, period: Double, harmonics: Int)
            }
            @usableFromInline var items: [(item: Item, slot: Int)] = []
            @usableFromInline var count = 0

            public init() {}

            mutating func numericSlot(_ f: RequestField, _ t: NumericTransform) -> Int {
                slot(for: .numeric(f, t), width: 1)
            }

            mutating func cyclicSlot(_ f: RequestField, period: Double, harmonics: Int) -> Int {
                slot(for: .cyclic(f, period: period, harmonics: harmonics), width: 2 * harmonics)
            }

            mutating func slot(for item: Item, width: Int) -> Int {
                if let existing = items.first(where: { $0.item == item }) { return existing.slot }
                items.append((item, count))
                count += width
                return count - width
            }
        }

        public let layout: Layout
        @usableFromInline var values: [Double]
        @usableFromInline var hour = 0
        @usableFromInline var weekday = 0

        public init(layout: Layout) {
            self.layout = layout
            values = [Double](repeating: 0, count: layout.count)
        }

        /// Computes the values for a request. Allocation-free.
        public mutating func load(_ r: RouteRequest) {
            let features = RequestFeatures(tenant: "", operation: "", region: "", model: "",
                                           inputTokens: r.promptTokens, outputTokens: r.expectedOutputTokens,
                                           timestamp: r.timestamp)
            (hour, weekday) = Timestamp.hourAndWeekday(r.timestamp)
            for (item, slot) in layout.items {
                switch item {
                case .numeric(let f, let t):
                    let x = f.number(of: features)
                    values[slot] = t == .log1p ? log1p(max(0, x)) : x
                case .cyclic(let f, let period, let harmonics):
                    let x = f.number(of: features)
                    for k in 0..<harmonics {
                        let angle = 2 * Double.pi * Double(k + 1) * x / period
                        values[slot + 2 * k] = sin(angle)
                        values[slot + 2 * k + 1] = cos(angle)
                    }
                }
            }
        }

        @inlinable
        func integer(_ f: RequestField, _ r: RouteRequest) -> Int {
            switch f {
            case .hourOfDay: return hour
            case .dayOfWeek: return weekday
            case .inputTokens: return r.promptTokens
            case .outputTokens: return r.expectedOutputTokens
            default: return Int.min
            }
        }
    }
}
