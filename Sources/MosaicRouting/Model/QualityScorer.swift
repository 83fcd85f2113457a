import Foundation

/// The quality head that generalises: P(the weak model is good enough) for a prompt and its
/// request context, evaluated at route time from what training stored in the model file.
///
/// The score combines, through a linear head fitted on out-of-fold values:
/// - **group priors**: for each context field (a correctness file's subject, a request's tags,
///   operation or tenant) the group's mean weak-model advantage (weak − strong correctness,
///   in −1…1), shrunk toward the global mean by empirical Bayes; an unseen group gets the
///   global mean;
/// - **kNN**: the similarity-weighted mean advantage of the nearest training prompts in an LSA
///   embedding (TF-IDF over word and character n-grams, projected by a truncated SVD, unit
///   length), pulled toward the group prior by `priorStrength` pseudo-neighbours: a prompt far
///   from every training prompt scores the prior;
/// - **structure**: ``PromptStructure`` (length, digits, symbols, code, question form),
///   standardised;
/// - the LSA embedding itself;
/// - **text** (model file schema 4 on; nil before): a ridge regression of
///   the weak advantage's deviation from the group prior on the TF-IDF columns themselves
///   (``textWeights``), so wording that marks a prompt as harder or easier than its subject's
///   mean moves it;
/// - **group text** (schema 5 on; nil before): per value of one context field (a subject), a
///   second ridge on the same columns, of what the first leaves in that group's own rows
///   (``groupText``): wording that is hard within one subject need not be hard in another.
///   Its value adds to the text input.
/// - **difficulty** (schema 6 on; nil before): the same prior-plus-text-ridge estimate of the
///   mean correctness of the two models, (strong + weak) / 2, entered as d and d² (centred):
///   the weak model's loss peaks at middling difficulty (both models are right on easy items
///   and both wrong on the hardest), which a head linear in its inputs cannot otherwise express.
///
/// The heads are linear estimates of the expected weak advantage (ridge regression); two heads
/// share that input: `knownGroupHead` when a group prior applies to the request,
/// `unknownGroupHead` (fitted on leave-groups-out values, so it has learned to do without
/// priors) otherwise.
public struct QualityScorer: Sendable, Codable, Equatable {
    /// Shrunk mean weak-model advantage per value of one context field.
    public struct GroupPrior: Sendable, Codable, Equatable {
        /// `operation`, `tenant`, `tag` (any tag), or a name whose values are tags `name:value`
        /// (a correctness file's `subject` column becomes the tag `subject:<value>`).
        public var field: String
        public var advantage: [String: Double]
        public var rows: [String: Int]
        public init(field: String, advantage: [String: Double], rows: [String: Int]) {
            self.field = field
            self.advantage = advantage
            self.rows = rows
        }

        /// The request's value of this field when the table knows it.
        @inlinable
        public func value(of r: RequestFeatures) -> Double? { QualityScorer.lookup(field, r, in: advantage) }
    }

    /// The entry of `table` for the request's value of a context field: `operation`, `tenant`,
    /// `tag` (any of its tags), or a name whose values are tags `name:value`.
    @inlinable
    public static func lookup<Value>(_ field: String, _ r: RequestFeatures, in table: [String: Value]) -> Value? {
        switch field {
        case "operation": return table[r.operation]
        case "tenant": return table[r.tenant]
        case "tag":
            for t in r.tags { if let a = table[t] { return a } }
            return nil
        default:
            for t in r.tags where t.count > field.count && t.hasPrefix(field) {
                let rest = t.dropFirst(field.count)
                if rest.first == ":", let a = table[String(rest.dropFirst())] { return a }
            }
            return nil
        }
    }

    /// Per-group text ridges: for each value of `field`, weights on the TF-IDF columns (the
    /// same columns as ``QualityScorer/textWeights``) fitted with penalty `alpha` to what the
    /// text ridge leaves in that group's rows, keeping the largest in magnitude.
    public struct GroupText: Sendable, Codable, Equatable {
        public var field: String
        public var alpha: Double
        public var weights: [String: SparseWeights]
        public init(field: String, alpha: Double, weights: [String: SparseWeights]) {
            self.field = field
            self.alpha = alpha
            self.weights = weights
        }
    }

    /// An item's difficulty: a group prior and a text ridge of the two models' mean correctness.
    public struct Difficulty: Sendable, Codable, Equatable {
        /// The context field of ``correctness`` (as ``GroupPrior/field``).
        public var field: String
        /// Each group's mean correctness (strong + weak) / 2, shrunk toward ``global``.
        public var correctness: [String: Double]
        public var global: Double
        /// One weight per TF-IDF column (as ``QualityScorer/textWeights``): the ridge of the mean
        /// correctness's deviation from its group prior.
        public var weights: [Double]
        /// Subtracted from the estimate before it and its square enter the head.
        public var centre: Double

        public init(field: String, correctness: [String: Double], global: Double, weights: [Double], centre: Double) {
            self.field = field
            self.correctness = correctness
            self.global = global
            self.weights = weights
            self.centre = centre
        }

        enum CodingKeys: String, CodingKey { case field, correctness, global, weights, centre }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            field = try c.decode(String.self, forKey: .field)
            correctness = try c.decode([String: Double].self, forKey: .correctness)
            global = try c.decode(Double.self, forKey: .global)
            weights = try QualityScorer.decodeMatrix(c, .weights)
            centre = try c.decode(Double.self, forKey: .centre)
        }

        /// Writes the weights as ``PackedRows`` (the trainer puts them on that grid).
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(field, forKey: .field)
            try c.encode(correctness, forKey: .correctness)
            try c.encode(global, forKey: .global)
            try c.encode(PackedRows(weights, columns: max(1, weights.count)), forKey: .weights)
            try c.encode(centre, forKey: .centre)
        }

        /// The two head inputs, d − centre and its square, for a request whose text ridge value
        /// (the weights' dot product with its TF-IDF row) is `text`.
        @inlinable
        public func inputs(_ r: RequestFeatures, text: Double) -> (Double, Double) {
            let d = (QualityScorer.lookup(field, r, in: correctness) ?? global) - global + text - centre
            return (d, d * d)
        }
    }

    public var vectorizers: [TfidfVectorizer]
    /// LSA dimensions `k`.
    public var dimensions: Int
    /// `k × D` row-major: the truncated SVD's right singular vectors over the concatenated
    /// TF-IDF columns (`D` the vectorizers' total width).
    public var components: [Double]
    /// `n × k` row-major unit embeddings of the reference prompts.
    public var references: [Double]
    /// Each reference's weak advantage (−1, 0 or 1).
    public var referenceAdvantage: [Double]
    public var neighbors: Int
    /// Similarity weight `exp((cos − 1) / bandwidth)`.
    public var bandwidth: Double
    /// Pseudo-neighbours at the prior.
    public var priorStrength: Double
    public var groups: [GroupPrior]
    public var globalAdvantage: Double
    public var structureMean: [Double]
    public var structureScale: [Double]
    public var knownGroupHead: LinearHead
    public var unknownGroupHead: LinearHead
    /// Standardised structure values are clipped to ±this (nil: not clipped, as in files
    /// written before it existed), so one extreme prompt cannot dominate a head.
    public var structureClip: Double?
    /// Whether that clip is soft (``clipped(_:to:soft:)``): past ±clip values approach
    /// ±(clip + 1) instead of stopping there, so that they keep their order and a head of prompt
    /// length still ranks prompts longer than any it was fitted on (a hard clip ties them all).
    /// nil: hard, as in files written before 2026-12-06.
    public var structureSoftClip: Bool?
    /// How each head's inputs were chosen (nil in files written before the choice existed).
    public var selection: Selection?
    /// One weight per TF-IDF column (the vectorizers side by side, each block scaled by
    /// `1/√count` as in ``embed(_:into:)``): the text ridge, whose value `w · x` is the last
    /// head input. Nil in files written before it existed (their inputs stop at the embedding).
    public var textWeights: [Double]?
    /// Per-group text ridges added to the text input (nil in files written before they existed,
    /// or without groups).
    public var groupText: GroupText?
    /// The difficulty inputs, the last two (nil in files written before they existed, or
    /// without groups and text).
    public var difficulty: Difficulty?

    /// The inputs each head uses, chosen among candidates by cross-validated APGR, with every
    /// candidate's score: the record of why the file's heads look as they do.
    public struct Selection: Sendable, Codable, Equatable {
        public struct Candidate: Sendable, Codable, Equatable {
            public var name: String
            public var apgr: Double
            public init(name: String, apgr: Double) {
                self.name = name
                self.apgr = apgr
            }
        }

        public var knownGroup: String
        public var unknownGroup: String
        /// Random-prompt folds: the known-group head's candidates.
        public var knownGroupCandidates: [Candidate]
        /// Leave-groups-out folds: the unknown-group head's candidates.
        public var unknownGroupCandidates: [Candidate]
        public init(knownGroup: String, unknownGroup: String, knownGroupCandidates: [Candidate], unknownGroupCandidates: [Candidate]) {
            self.knownGroup = knownGroup
            self.unknownGroup = unknownGroup
            self.knownGroupCandidates = knownGroupCandidates
            self.unknownGroupCandidates = unknownGroupCandidates
        }
    }

    public init(vectorizers: [TfidfVectorizer], dimensions: Int, components: [Double], references: [Double],
                referenceAdvantage: [Double], neighbors: Int, bandwidth: Double, priorStrength: Double,
                groups: [GroupPrior], globalAdvantage: Double, structureMean: [Double], structureScale: [Double],
                knownGroupHead: LinearHead, unknownGroupHead: LinearHead, structureClip: Double? = nil,
                structureSoftClip: Bool? = nil, selection: Selection? = nil, textWeights: [Double]? = nil,
                groupText: GroupText? = nil, difficulty: Difficulty? = nil) {
        self.vectorizers = vectorizers
        self.dimensions = dimensions
        self.components = components
        self.references = references
        self.referenceAdvantage = referenceAdvantage
        self.neighbors = neighbors
        self.bandwidth = bandwidth
        self.priorStrength = priorStrength
        self.groups = groups
        self.globalAdvantage = globalAdvantage
        self.structureMean = structureMean
        self.structureScale = structureScale
        self.knownGroupHead = knownGroupHead
        self.unknownGroupHead = unknownGroupHead
        self.structureClip = structureClip
        self.structureSoftClip = structureSoftClip
        self.selection = selection
        self.textWeights = textWeights
        self.groupText = groupText
        self.difficulty = difficulty
    }

    // MARK: File form

    enum CodingKeys: String, CodingKey {
        case vectorizers, dimensions, components, references, referenceAdvantage, neighbors, bandwidth, priorStrength, groups,
             globalAdvantage, structureMean, structureScale, knownGroupHead, unknownGroupHead, structureClip, structureSoftClip,
             selection, textWeights, groupText, difficulty
    }

    /// A matrix as a plain array (older files) or as ``PackedRows``.
    static func decodeMatrix<Key: CodingKey>(_ c: KeyedDecodingContainer<Key>, _ key: Key) throws -> [Double] {
        if let plain = try? c.decode([Double].self, forKey: key) { return plain }
        let packed = try c.decode(PackedRows.self, forKey: key)
        guard let v = packed.values() else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "packed values do not decode to \(packed.rows) × \(packed.columns)")
        }
        return v
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vectorizers = try c.decode([TfidfVectorizer].self, forKey: .vectorizers)
        dimensions = try c.decode(Int.self, forKey: .dimensions)
        components = try Self.decodeMatrix(c, .components)
        references = try Self.decodeMatrix(c, .references)
        referenceAdvantage = try c.decode([Double].self, forKey: .referenceAdvantage)
        neighbors = try c.decode(Int.self, forKey: .neighbors)
        bandwidth = try c.decode(Double.self, forKey: .bandwidth)
        priorStrength = try c.decode(Double.self, forKey: .priorStrength)
        groups = try c.decode([GroupPrior].self, forKey: .groups)
        globalAdvantage = try c.decode(Double.self, forKey: .globalAdvantage)
        structureMean = try c.decode([Double].self, forKey: .structureMean)
        structureScale = try c.decode([Double].self, forKey: .structureScale)
        knownGroupHead = try c.decode(LinearHead.self, forKey: .knownGroupHead)
        unknownGroupHead = try c.decode(LinearHead.self, forKey: .unknownGroupHead)
        structureClip = try c.decodeIfPresent(Double.self, forKey: .structureClip)
        structureSoftClip = try c.decodeIfPresent(Bool.self, forKey: .structureSoftClip)
        selection = try c.decodeIfPresent(Selection.self, forKey: .selection)
        textWeights = c.contains(.textWeights) ? try Self.decodeMatrix(c, .textWeights) : nil
        groupText = try c.decodeIfPresent(GroupText.self, forKey: .groupText)
        difficulty = try c.decodeIfPresent(Difficulty.self, forKey: .difficulty)
    }

    /// Writes the SVD components (one row per dimension) and the reference embeddings (one row
    /// per reference) as ``PackedRows``: values the trainer put on that grid round-trip
    /// exactly, at about a sixth of the JSON size.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vectorizers, forKey: .vectorizers)
        try c.encode(dimensions, forKey: .dimensions)
        // A malformed scorer (see ``problem``) keeps plain arrays, so that it still writes.
        func matrix(_ v: [Double], columns: Int, _ key: CodingKeys) throws {
            if columns > 0, v.count % columns == 0 { try c.encode(PackedRows(v, columns: columns), forKey: key) } else { try c.encode(v, forKey: key) }
        }
        try matrix(components, columns: dimensions > 0 && components.count % dimensions == 0 ? components.count / dimensions : 0, .components)
        try matrix(references, columns: dimensions, .references)
        try c.encode(referenceAdvantage, forKey: .referenceAdvantage)
        try c.encode(neighbors, forKey: .neighbors)
        try c.encode(bandwidth, forKey: .bandwidth)
        try c.encode(priorStrength, forKey: .priorStrength)
        try c.encode(groups, forKey: .groups)
        try c.encode(globalAdvantage, forKey: .globalAdvantage)
        try c.encode(structureMean, forKey: .structureMean)
        try c.encode(structureScale, forKey: .structureScale)
        try c.encode(knownGroupHead, forKey: .knownGroupHead)
        try c.encode(unknownGroupHead, forKey: .unknownGroupHead)
        try c.encodeIfPresent(structureClip, forKey: .structureClip)
        try c.encodeIfPresent(structureSoftClip, forKey: .structureSoftClip)
        try c.encodeIfPresent(selection, forKey: .selection)
        if let w = textWeights { try matrix(w, columns: w.count, .textWeights) }
        try c.encodeIfPresent(groupText, forKey: .groupText)
        try c.encodeIfPresent(difficulty, forKey: .difficulty)
    }

    /// A standardised value `z` kept within the clip `c`: hard, `±c` past it; soft,
    /// ``softClamp(_:_:_:width:)`` to ±(c + 1) with a knee at ±c, so that order is kept.
    @inlinable
    public static func clipped(_ z: Double, to c: Double, soft: Bool) -> Double {
        soft ? softClamp(z, -(c + 1), c + 1, width: 1) : max(-c, min(c, z))
    }

    /// `x` kept inside `lower…upper` without ties: unchanged from `lower + width` to
    /// `upper − width`, and past those knees approaching the bound (`upper − width·e^((knee − x)/width)`),
    /// with slope 1 at the knee and strictly rising, so that values past it keep their order.
    @inlinable
    public static func softClamp(_ x: Double, _ lower: Double, _ upper: Double, width: Double) -> Double {
        if x > upper - width { return upper - width * exp((upper - width - x) / width) }
        if x < lower + width { return lower + width * exp((x - lower - width) / width) }
        return x
    }

    /// The total TF-IDF width `D`.
    public var vocabularyWidth: Int { vectorizers.reduce(0) { $0 + $1.width } }

    /// The stacked input's width: groups, kNN, structure, embedding, text when the file has
    /// ``textWeights``, and two for ``difficulty``.
    public var inputWidth: Int { textColumn + (textWeights == nil ? 0 : 1) + (difficulty == nil ? 0 : 2) }

    /// The text input's column (the first after the embedding; the difficulty inputs follow it).
    public var textColumn: Int { groups.count + 1 + PromptStructure.names.count + dimensions }

    /// Why the scorer cannot be used, or nil.
    public var problem: String? {
        for (i, v) in vectorizers.enumerated() { if let p = v.problem { return "vectorizer \(i): \(p)" } }
        let d = vocabularyWidth, k = dimensions
        if k < 1 || components.count != k * d { return "\(components.count) components for \(k) dimensions × \(d) terms" }
        if references.count != referenceAdvantage.count * k { return "\(references.count) reference values for \(referenceAdvantage.count) references × \(k)" }
        if neighbors < 1 || !(bandwidth > 0) || !(priorStrength >= 0) { return "kNN needs neighbors ≥ 1, bandwidth > 0, prior strength ≥ 0" }
        let s = PromptStructure.names.count
        if structureMean.count != s || structureScale.count != s || !structureScale.allSatisfy({ $0 > 0 && $0.isFinite }) {
            return "structure scaling needs \(s) means and positive scales"
        }
        for (name, h) in [("knownGroupHead", knownGroupHead), ("unknownGroupHead", unknownGroupHead)] {
            if h.coefficients.count != inputWidth { return "\(name): \(h.coefficients.count) coefficients for \(inputWidth) inputs" }
            if !h.intercept.isFinite || !h.coefficients.allSatisfy(\.isFinite) { return "\(name): non-finite coefficient" }
        }
        if let clip = structureClip, !(clip > 0) { return "structure clip \(clip) is not positive" }
        if let w = textWeights, w.count != d || !w.allSatisfy(\.isFinite) {
            return "\(w.count) text weights for \(d) terms (all must be finite)"
        }
        if let g = groupText {
            if textWeights == nil { return "group text weights without text weights" }
            if !(g.alpha > 0) { return "group text alpha \(g.alpha) is not positive" }
            for (name, w) in g.weights.sorted(by: { $0.key < $1.key }) {
                if let p = w.problem(width: d) { return "group text \(g.field):\(name): \(p)" }
            }
        }
        if let f = difficulty {
            if textWeights == nil { return "difficulty without text weights" }
            if f.weights.count != d || !f.weights.allSatisfy(\.isFinite) { return "\(f.weights.count) difficulty weights for \(d) terms (all must be finite)" }
            if !f.global.isFinite || !f.centre.isFinite || !f.correctness.values.allSatisfy(\.isFinite) { return "non-finite difficulty value" }
        }
        if !components.allSatisfy(\.isFinite) || !references.allSatisfy(\.isFinite) || !globalAdvantage.isFinite {
            return "non-finite embedding value"
        }
        return nil
    }

    // MARK: Parts

    /// The unit LSA embedding of a text (zeros when no vocabulary term occurs).
    ///
    /// - Complexity: O(text length + k · nonzero terms).
    public func embed(_ text: String, into e: inout [Double]) {
        _ = embedAndText(text, into: &e, withText: false, group: nil)
    }

    /// ``embed(_:into:)`` and, when `withText`, ``textAdvantage(_:group:)`` and the difficulty
    /// ridge's value from one pass of the vectorizers over the text (route time tokenizes a
    /// prompt once).
    func embedAndText(_ text: String, into e: inout [Double], withText: Bool, group: SparseWeights?) -> (text: Double, difficulty: Double) {
        var textSum = 0.0, difficultySum = 0.0
        let difficultyWeights = withText ? difficulty?.weights : nil
        if e.count != dimensions { e = [Double](repeating: 0, count: dimensions) }
        for j in 0..<dimensions { e[j] = 0 }
        let d = vocabularyWidth
        var offset = 0
        let share = 1 / Double(max(1, vectorizers.count)).squareRoot()
        components.withUnsafeBufferPointer { c in
            for v in vectorizers {
                for (col, x) in v.transform(text) {
                    let w = x * share
                    for j in 0..<dimensions { e[j] += w * c[j * d + offset + col] }
                    if withText, let t = textWeights { textSum += w * (t[offset + col] + (group?.weight(offset + col) ?? 0)) }
                    if let f = difficultyWeights { difficultySum += w * f[offset + col] }
                }
                offset += v.width
            }
        }
        var norm = 0.0
        for j in 0..<dimensions { norm += e[j] * e[j] }
        if norm > 0 {
            let inv = 1 / norm.squareRoot()
            for j in 0..<dimensions { e[j] *= inv }
        }
        return (textSum, difficultySum)
    }

    /// The text ridge's value `w · x` for a text (0 without ``textWeights``), plus the group
    /// text ridge of `group` (a value of ``GroupText/field``) when the file has one: its
    /// estimate of how far the prompt's weak advantage lies from its group prior.
    ///
    /// - Complexity: O(text length + nonzero terms · log group weights).
    public func textAdvantage(_ text: String, group: String? = nil) -> Double {
        guard let w = textWeights else { return 0 }
        return dot(text, w, group: group.flatMap { groupText?.weights[$0] })
    }

    /// The two models' mean correctness (strong + weak) / 2 that ``difficulty`` estimates for a
    /// request: its group's shrunk mean plus the difficulty ridge's value for its text; nil
    /// without ``difficulty``.
    public func difficultyEstimate(_ r: RequestFeatures) -> Double? {
        guard let f = difficulty else { return nil }
        return (QualityScorer.lookup(f.field, r, in: f.correctness) ?? f.global) + dot(r.text ?? "", f.weights)
    }

    /// `w · x` (plus `group`'s weights) over the text's TF-IDF row `x`.
    func dot(_ text: String, _ w: [Double], group: SparseWeights? = nil) -> Double {
        let share = 1 / Double(max(1, vectorizers.count)).squareRoot()
        var offset = 0, sum = 0.0
        for v in vectorizers {
            for (col, x) in v.transform(text) { sum += x * share * (w[offset + col] + (group?.weight(offset + col) ?? 0)) }
            offset += v.width
        }
        return sum
    }

    /// The kNN advantage of an embedding, pulled toward `prior` (exactly `prior` for a zero
    /// embedding).
    ///
    /// - Complexity: O(references · k).
    public func neighbourAdvantage(_ e: [Double], prior: Double) -> Double {
        let n = referenceAdvantage.count, k = dimensions
        // No reference, or no vocabulary term in the prompt (a zero embedding): only the prior.
        guard n > 0, e.contains(where: { $0 != 0 }) else { return prior }
        let top = min(neighbors, n)
        // The `top` largest similarities, kept sorted descending in a small array.
        var best = [Double](repeating: -.infinity, count: top)
        var bestIndex = [Int](repeating: -1, count: top)
        references.withUnsafeBufferPointer { r in
            e.withUnsafeBufferPointer { x in
                for i in 0..<n {
                    var s = 0.0
                    for j in 0..<k { s += r[i * k + j] * x[j] }
                    if s > best[top - 1] {
                        var p = top - 1
                        while p > 0 && best[p - 1] < s { best[p] = best[p - 1]; bestIndex[p] = bestIndex[p - 1]; p -= 1 }
                        best[p] = s
                        bestIndex[p] = i
                    }
                }
            }
        }
        return Self.blend(similarities: best, targets: bestIndex.map { $0 >= 0 ? referenceAdvantage[$0] : 0 },
                          bandwidth: bandwidth, priorStrength: priorStrength, prior: prior)
    }

    /// `(Σ wᵢ yᵢ + m · prior) / (Σ wᵢ + m)` with `wᵢ = exp((simᵢ − 1) / bandwidth)`.
    @inlinable
    public static func blend(similarities: [Double], targets: [Double], bandwidth: Double, priorStrength: Double,
                             prior: Double) -> Double {
        var sw = priorStrength, sy = priorStrength * prior
        for i in 0..<similarities.count where similarities[i].isFinite {
            let w = exp((similarities[i] - 1) / bandwidth)
            sw += w
            sy += w * targets[i]
        }
        return sw > 0 ? sy / sw : prior
    }

    /// The group priors of a request (nil where the field's value is unknown) and the prior
    /// the kNN falls back to (the first known group's, else the global mean).
    public func priors(_ r: RequestFeatures) -> (values: [Double?], fallback: Double) {
        let values = groups.map { $0.value(of: r) }
        return (values, values.lazy.compactMap { $0 }.first ?? globalAdvantage)
    }

    /// Whether a group prior applies to the request (else it is scored as one of an unseen
    /// group, by ``unknownGroupHead``).
    public func knowsGroup(of r: RequestFeatures) -> Bool { groups.contains { $0.value(of: r) != nil } }

    /// Fills `input` with the stacked head input; returns whether a group prior applied.
    public func input(_ r: RequestFeatures, into input: inout [Double], embedding e: inout [Double],
                      structure s: inout [Double]) -> Bool {
        if input.count != inputWidth { input = [Double](repeating: 0, count: inputWidth) }
        let (values, fallback) = priors(r)
        // Priors and kNN enter as deviations from the global mean (as in training, where each
        // fold's own global mean is subtracted, so fold-level base rates cannot leak in).
        for (i, v) in values.enumerated() { input[i] = (v ?? globalAdvantage) - globalAdvantage }
        let text = r.text ?? ""
        let group = groupText.flatMap { QualityScorer.lookup($0.field, r, in: $0.weights) }
        let sums = embedAndText(text, into: &e, withText: textWeights != nil, group: group)
        let g = groups.count
        input[g] = neighbourAdvantage(e, prior: fallback) - globalAdvantage
        PromptStructure.values(text, into: &s)
        let clip = structureClip ?? .infinity, soft = structureSoftClip ?? false
        for j in 0..<s.count { input[g + 1 + j] = Self.clipped((s[j] - structureMean[j]) / structureScale[j], to: clip, soft: soft) }
        let o = g + 1 + s.count
        for j in 0..<dimensions { input[o + j] = e[j] }
        if textWeights != nil { input[o + dimensions] = sums.text }
        if let f = difficulty { (input[o + dimensions + 1], input[o + dimensions + 2]) = f.inputs(r, text: sums.difficulty) }
        return values.contains { $0 != nil }
    }

    /// P(the weak model is good enough) for a request with text.
    public func weakGoodEnough(_ r: RequestFeatures) -> Double {
        var x: [Double] = [], e: [Double] = [], s: [Double] = []
        let known = input(r, into: &x, embedding: &e, structure: &s)
        // The head estimates the expected weak advantage a = E[weak − strong] ∈ −1…1; the weak
        // model is good enough unless the strong one wins, so P ≈ 1 + a, kept inside
        // 0.001…0.999 softly: a hard clamp tied the prompts past it (4.5% of MMLU's held-out
        // fifth at 0.999), which a router ranking by P could not tell apart.
        let a = (known ? knownGroupHead : unknownGroupHead).evaluate(x)
        return Self.softClamp(1 + a, 0.001, 0.999, width: 0.009)
    }
}
