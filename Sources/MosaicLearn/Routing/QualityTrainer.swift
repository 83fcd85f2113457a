import Foundation
import MosaicCore
import MosaicLinalg
import MosaicRouting

/// A prompt with the correctness of a strong and a weak model's answers.
public struct QualityExample: Sendable, Equatable {
    public var promptID: String
    public var prompt: String
    public var strongCorrect: Bool
    public var weakCorrect: Bool
    /// Request context as tags (`subject:college_physics`); group priors read them.
    public var tags: [String]

    public init(promptID: String, prompt: String, strongCorrect: Bool, weakCorrect: Bool, tags: [String] = []) {
        self.promptID = promptID
        self.prompt = prompt
        self.strongCorrect = strongCorrect
        self.weakCorrect = weakCorrect
        self.tags = tags
    }

    /// The label: the weak model loses nothing (it is right, or the strong one is wrong too).
    public var weakGoodEnough: Bool { weakCorrect || !strongCorrect }

    /// Weak minus strong correctness: 1, 0 or −1.
    public var weakAdvantage: Double { (weakCorrect ? 1 : 0) - (strongCorrect ? 1 : 0) }

    /// Held out when a stable hash of the prompt id is 0 mod 5: a split that never changes and
    /// that no prompt of the training part can leak into.
    public var isHeldOut: Bool {
        var h = StableHash(seed: 0x686F_6C64)
        h.combine(promptID)
        return UInt64(bitPattern: h.value) % 5 == 0
    }

    /// The value of the tag `field:value`, if any.
    public func group(_ field: String) -> String? {
        for t in tags where t.hasPrefix(field + ":") { return String(t.dropFirst(field.count + 1)) }
        return nil
    }

    /// The request a router sees for this prompt (about four characters a token).
    public var features: RequestFeatures {
        RequestFeatures(inputTokens: RouteRequest.estimatedTokens(of: prompt), text: prompt, tags: tags)
    }
}

/// Trains "the weak model is good enough" from per-prompt correctness into a
/// ``QualityScorer`` (see there for what it combines), and measures it with RouteLLM's metrics
/// on the held-out fifth (by prompt-id hash) it never sees.
///
/// Everything is fitted on the training rows only: the TF-IDF vocabularies and idf, the
/// truncated SVD, the kNN references, the group priors (``GroupShrinkage``), the structure
/// scaling, and the two heads (ridge regressions of the weak advantage). The heads are fitted on out-of-fold inputs: for the
/// known-group head, random folds (a row's prior and neighbours come from the other folds);
/// for the unknown-group head, leave-groups-out folds (whole groups held out, priors replaced by
/// the global mean), so that it learns what transfers to a domain it has never seen.
public struct QualityTrainer: Sendable {
    public struct Configuration: Sendable {
        public var wordNgrams = 1...2
        public var charNgrams = 3...5
        /// Most frequent terms kept per vectorizer.
        public var maxTerms = 10000
        public var minDocumentFrequency = 2
        public var sublinearTF = true
        public var dimensions = 48
        public var neighbors = 40
        public var bandwidth = 0.1
        public var priorStrength = 2.0
        /// At most this many training prompts are kept as kNN references (a seeded sample).
        public var maxReferences = 4000
        /// The tag field whose values are groups (a correctness file's `subject`).
        public var groupField = "subject"
        public var folds = 5
        /// The heads' ridge penalty α (the schema-1 length head's logistic C).
        public var c = 1.0
        public var seed: UInt64 = 14
        /// Standardised structure values are clipped to ±this, so a prompt with an extreme
        /// share of symbols or digits cannot dominate a head; softly
        /// (``QualityScorer/clipped(_:to:soft:)``), so that they keep their order.
        public var structureClip = 4.0
        /// Choose the unknown-group head's inputs by leave-groups-out APGR too (false: prompt
        /// length alone, the candidates' scores still recorded). Rows without groups always
        /// choose (their folds are random, and the one head serves every prompt). Off by default: on RouteLLM's
        /// MMLU split, nested leave-subjects-out CV showed every CV-chosen richer head ranking
        /// unseen subjects worse than length alone (0.55 against 0.58 APGR): with ~45 training
        /// subjects the choice follows noise.
        public var selectUnknownGroupHead = false
        /// The text ridge's penalty α (``SparseRidge`` on the TF-IDF columns); nil leaves the
        /// text ridge out (the scorer then has no ``QualityScorer/textWeights``).
        public var textAlpha: Double? = 20
        /// The per-group text ridges' penalty α (``QualityScorer/GroupText``; nil leaves them
        /// out): for each group, a ridge on the same TF-IDF columns of what the text ridge
        /// leaves in that group's rows. Only with groups and the text ridge.
        public var groupTextAlpha: Double? = 10
        /// The share of each group's nonzero weights kept (the largest in magnitude): on
        /// RouteLLM's MMLU split keeping a fifth scored as well as keeping all (random-prompt
        /// CV) at a fifth of the file size.
        public var groupTextKeep = 0.2
        /// The difficulty ridge's penalty α (nil leaves the difficulty inputs out): a group prior
        /// and a text ridge of the two models' mean correctness, entered as d and d² so that a
        /// head can put the weak model's loss at middling difficulty (``QualityScorer/difficulty``).
        /// Only with groups and the text ridge; a head uses it only when its cross-validation
        /// chooses it.
        public var difficultyAlpha: Double? = 20
        /// How many fold assignments the known-group head's out-of-fold inputs are computed
        /// with (repeated cross-fitting; only with groups): its inputs are chosen by their mean
        /// cross-validated APGR over the assignments and it is fitted on all of them stacked (the
        /// penalty scaled by their number), so that neither follows one fold draw, nor so the
        /// rows' order. Each assignment costs another round of out-of-fold fits.
        public var crossFitRepeats = 1
        public init() {}
    }

    public var configuration: Configuration
    /// Told what the fit is doing as it goes (`fit 1 of 2 (four fifths): truncated SVD`), for a
    /// progress line; nil says nothing. Called on the thread that fits.
    public var progress: (@Sendable (String) -> Void)?

    public init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// This trainer, its progress messages led by `prefix` (which fit of several they belong to).
    func reporting(_ prefix: String) -> QualityTrainer {
        var t = self
        if let progress { t.progress = { progress(prefix + $0) } }
        return t
    }

    /// The schema-1 head kept beside the scorer: prompt length alone.
    static func lengthSpec() throws(LearnError) -> FeatureSpec {
        do { return try FeatureSpec(features: [.numeric(.inputTokens, transform: .log1p, mean: 5, scale: 1.5)]) } catch {
            throw .dimensionMismatch("\(error)")
        }
    }

    /// Fits on the rows whose id does not hash to the held-out fifth, measures on that fifth, then
    /// refits on every row for the exported model (which keeps the holdout metrics).
    public func train(_ examples: [QualityExample], dataset: String, labelStrong: String, labelWeak: String,
                      strong: QualityModel.Target, weak: QualityModel.Target) throws(LearnError) -> QualityModel {
        try trainBesideBaselines(examples, dataset: dataset, labelStrong: labelStrong, labelWeak: labelWeak, strong: strong, weak: weak).model
    }

    /// ``train(_:dataset:labelStrong:labelWeak:strong:weak:)``, and the model it measured on the
    /// held-out fifth beside the baselines there: the comparison ``holdout(_:)`` makes, from the
    /// same fit.
    public func trainBesideBaselines(_ examples: [QualityExample], dataset: String, labelStrong: String, labelWeak: String,
                                     strong: QualityModel.Target, weak: QualityModel.Target) throws(LearnError)
        -> (model: QualityModel, heldOut: QualityComparison) {
        let train = examples.filter { !$0.isHeldOut }
        let test = examples.filter(\.isHeldOut)
        guard !train.isEmpty, !test.isEmpty else { throw .heldOutSplit(heldOut: test.count, total: examples.count) }
        let heldOutModel = try reporting("fit 1 of 2 (four fifths): ")
            .model(train, dataset: dataset, labelStrong: labelStrong, labelWeak: labelWeak, strong: strong, weak: weak)
        let metrics = Self.evaluate(heldOutModel, on: test,
                                    split: "held out: prompts whose id hashes to 0 mod 5 (\(test.count) of \(examples.count)); trained on the other \(train.count), then refitted on all")
        var final = try reporting("fit 2 of 2 (all rows): ")
            .model(examples, dataset: dataset, labelStrong: labelStrong, labelWeak: labelWeak, strong: strong, weak: weak)
        final.metrics = metrics
        return (final, QualityComparison(scorer: heldOutModel.scorer, examples: test))
    }

    func model(_ rows: [QualityExample], dataset: String, labelStrong: String, labelWeak: String,
               strong: QualityModel.Target, weak: QualityModel.Target) throws(LearnError) -> QualityModel {
        let spec = try Self.lengthSpec()
        var x = Matrix(rows: rows.count, columns: 1)
        var scratch: [Double] = []
        for (i, r) in rows.enumerated() {
            spec.encode(r.features, into: &scratch)
            x[i, 0] = scratch[0]
        }
        let labels = rows.map(\.weakGoodEnough)
        guard labels.contains(true), labels.contains(false) else { throw Self.nothingToRoute(rows) }
        let length = try LogisticRegression(c: configuration.c).fit(x, labels).model
        return QualityModel(dataset: dataset, labelStrong: labelStrong, labelWeak: labelWeak, strong: strong, weak: weak,
                            featureSpec: spec, head: LinearHead(intercept: length.intercept, coefficients: length.coefficients),
                            scorer: try fitScorer(rows),
                            metrics: .init(testRows: 0, split: "", strongAccuracy: 0, weakAccuracy: 0, apgr: nil, randomAPGR: 0.5,
                                           cpt50: nil, cpt80: nil, logLoss: 0, auc: nil))
    }

    /// Correctness with one side only: every prompt needs the strong model, or none does.
    static func nothingToRoute(_ rows: [QualityExample]) -> LearnError {
        let n = Double(max(1, rows.count))
        return .nothingToRoute(rows: rows.count, strongAccuracy: Double(rows.filter(\.strongCorrect).count) / n,
                               weakAccuracy: Double(rows.filter(\.weakCorrect).count) / n)
    }

    // MARK: The scorer

    /// Fits a ``QualityScorer`` on `rows` (and nothing else).
    public func fitScorer(_ rows: [QualityExample]) throws(LearnError) -> QualityScorer {
        let cfg = configuration
        guard rows.count >= 2 * cfg.folds else { throw .tooFewPrompts(count: rows.count, minimum: 2 * cfg.folds) }
        let labels = rows.map(\.weakGoodEnough)
        guard labels.contains(true), labels.contains(false) else { throw Self.nothingToRoute(rows) }
        let texts = rows.map(\.prompt)
        progress?("TF-IDF vocabularies")
        let vectorizers = [
            TfidfVectorizer.fit(texts, analyzer: .word, ngramMin: cfg.wordNgrams.lowerBound, ngramMax: cfg.wordNgrams.upperBound,
                                sublinearTF: cfg.sublinearTF, minDocumentFrequency: cfg.minDocumentFrequency, maxFeatures: cfg.maxTerms),
            TfidfVectorizer.fit(texts, analyzer: .char, ngramMin: cfg.charNgrams.lowerBound, ngramMax: cfg.charNgrams.upperBound,
                                sublinearTF: cfg.sublinearTF, minDocumentFrequency: cfg.minDocumentFrequency, maxFeatures: cfg.maxTerms),
        ]
        let x = vectorizers.transform(texts)
        guard x.width >= 2 else { throw .invalidConfiguration("the prompts have fewer than 2 terms in common") }
        progress?("truncated SVD")
        var svd = TruncatedSVD(components: min(cfg.dimensions, x.width, rows.count))
        svd.seed = cfg.seed
        var fit = try svd.fit(x)
        // 16 bits a value (``PackedRows``) are plenty for an embedding and keep the model file
        // small; the embeddings below come from the stored values, as at route time.
        fit.components = PackedRows.quantized(fit.components, columns: x.width)
        let k = svd.components
        let embedding = Self.embed(x, fit.components, k: k)
        let y = rows.map(\.weakAdvantage)

        let s = PromptStructure.names.count
        let (structure, mean, scale) = Self.structure(of: rows)

        // References: a seeded sample of the rows, in row order.
        var random = SeededRandom(seed: cfg.seed ^ 0x7265_6673)
        var references = Array(0..<rows.count)
        if references.count > cfg.maxReferences {
            references.shuffle(using: &random)
            references = Array(references.prefix(cfg.maxReferences)).sorted()
        }

        let groups = rows.map { $0.group(cfg.groupField) }
        let hasGroups = groups.contains { $0 != nil }
        let layout = Layout(groups: hasGroups ? 1 : 0, structure: s, dimensions: k, text: cfg.textAlpha != nil,
                            difficulty: hasGroups && cfg.textAlpha != nil && cfg.difficultyAlpha != nil)
        // The mean correctness (strong + weak) / 2 the difficulty inputs estimate.
        let correctness = rows.map { (($0.strongCorrect ? 1 : 0) + ($0.weakCorrect ? 1 : 0)) / 2.0 }

        // Out-of-fold head inputs, for each fold assignment of the known-group head (the first
        // also gives the unknown-group head's folds to rows without a group).
        var fold = [Int](repeating: 0, count: rows.count)
        var order = Array(0..<rows.count)
        let clip = cfg.structureClip
        var assignments: [(input: Matrix, fold: [Int])] = []
        var difficultyCentre = 0.0
        let repeats = hasGroups ? max(1, cfg.crossFitRepeats) : 1
        for r in 0..<repeats {
            order.shuffle(using: &random)
            for (p, i) in order.enumerated() { fold[i] = p % cfg.folds }
            progress?("out-of-fold inputs (\(cfg.folds) folds" + (repeats > 1 ? ", assignment \(r + 1) of \(repeats))" : ")"))
            var input = try outOfFold(fold: fold, priorsVisible: true, groups: groups, y: y, embedding: embedding, k: k,
                                      references: references, structure: structure, mean: mean, scale: scale, layout: layout,
                                      text: x, correctness: correctness)
            if layout.difficulty {
                // Every assignment centred as the first, which the scorer stores.
                let centre = Self.centreDifficulty(&input, column: layout.textColumn + 1, on: r == 0 ? nil : difficultyCentre)
                if r == 0 { difficultyCentre = centre }
            }
            assignments.append((input, fold))
        }
        fold = assignments[0].fold
        let groupFold = hasGroups ? Self.groupFolds(groups, folds: cfg.folds, seed: cfg.seed, fallback: fold) : fold
        // With groups, the exported text ridge is fitted on deviations from the group prior, which
        // an unseen group does not have: the unknown-group head is not offered it (its column stays 0).
        progress?("inputs for unseen groups (\(cfg.folds) folds)")
        let unknownInput = try outOfFold(fold: groupFold, priorsVisible: false, groups: groups, y: y, embedding: embedding, k: k,
                                         references: references, structure: structure, mean: mean, scale: scale, layout: layout,
                                         text: hasGroups ? nil : x, correctness: nil)
        // The heads estimate the expected weak advantage E[weak − strong] (ridge regression):
        // that, not P(weak good enough), orders prompts for RouteLLM's metrics (a prompt both
        // models fail is "good enough" for the weak one, yet says nothing about the gap).
        // Each head's inputs are chosen among candidates (simplest first; a later one must score
        // strictly higher) by cross-validated APGR on the same folds: across whole groups for
        // the unknown-group head, so that it keeps only what transferred to unseen subjects.
        let strong = rows.map(\.strongCorrect), weak = rows.map(\.weakCorrect)
        progress?("choosing the heads")
        let candidates = Self.candidates(layout)
        let unknown = try selectHead(unknownInput, y: y, strong: strong, weak: weak, fold: groupFold, candidates: candidates.unknown,
                                     choose: cfg.selectUnknownGroupHead || !hasGroups)
        let known = hasGroups
            ? try selectHead(assignments, y: y, strong: strong, weak: weak, candidates: candidates.known)
            : unknown
        let unknownHead = unknown.head, knownHead = known.head

        var priors: [QualityScorer.GroupPrior] = []
        var global = y.reduce(0, +) / Double(y.count)
        if hasGroups {
            let shrink = GroupShrinkage(groups: groups, values: y, rows: 0..<rows.count)
            priors.append(.init(field: cfg.groupField, advantage: shrink.means, rows: shrink.counts))
            global = shrink.global
        }
        // The text ridge on every row: the weak advantage's deviation from its (shrunk) group prior.
        progress?("text ridges")
        var textWeights: [Double]?
        var groupText: QualityScorer.GroupText?
        if let alpha = cfg.textAlpha {
            let base = priors.first.map { p in (0..<rows.count).map { i in groups[i].flatMap { p.advantage[$0] } ?? global } }
                ?? [Double](repeating: global, count: rows.count)
            let all = Array(0..<rows.count)
            let w = PackedRows.quantized(try Self.textRidge(x, rows: all, y: y, base: base, alpha: alpha), columns: x.width)
            textWeights = w
            if hasGroups, let groupAlpha = cfg.groupTextAlpha {
                let residual = Self.textResidual(x, rows: all, y: y, base: base, weights: w)
                groupText = .init(field: cfg.groupField, alpha: groupAlpha,
                                  weights: try Self.groupTextRidges(x, rows: all, residual: residual, groups: groups, alpha: groupAlpha,
                                                                    keep: cfg.groupTextKeep))
            }
        }
        var difficulty: QualityScorer.Difficulty?
        if layout.difficulty, let alpha = cfg.difficultyAlpha {
            let shrink = GroupShrinkage(groups: groups, values: correctness, rows: 0..<rows.count)
            let base = groups.map(shrink.mean)
            let w = try Self.textRidge(x, rows: Array(0..<rows.count), y: correctness, base: base, alpha: alpha)
            difficulty = .init(field: cfg.groupField, correctness: shrink.means, global: shrink.global,
                               weights: PackedRows.quantized(w, columns: w.count), centre: difficultyCentre)
        }
        var refValues = [Double](repeating: 0, count: references.count * k)
        for (r, i) in references.enumerated() { for j in 0..<k { refValues[r * k + j] = embedding[i * k + j] } }
        refValues = PackedRows.quantized(refValues, columns: k)
        return QualityScorer(
            vectorizers: vectorizers, dimensions: k, components: fit.components, references: refValues,
            referenceAdvantage: references.map { y[$0] }, neighbors: cfg.neighbors, bandwidth: cfg.bandwidth,
            priorStrength: cfg.priorStrength, groups: priors, globalAdvantage: global, structureMean: mean, structureScale: scale,
            knownGroupHead: knownHead, unknownGroupHead: unknownHead, structureClip: clip, structureSoftClip: true,
            selection: .init(knownGroup: known.name, unknownGroup: unknown.name, knownGroupCandidates: hasGroups ? known.scores : [],
                             unknownGroupCandidates: unknown.scores),
            textWeights: textWeights, groupText: groupText, difficulty: difficulty)
    }

    /// The ``PromptStructure`` values of `rows` (row-major, one row a prompt), and each column's
    /// mean and standard deviation on these rows (1 for a constant column), which standardise them.
    static func structure(of rows: [QualityExample]) -> (values: [Double], mean: [Double], scale: [Double]) {
        let s = PromptStructure.names.count
        var structure = [Double](repeating: 0, count: rows.count * s)
        var scratch: [Double] = []
        for (i, r) in rows.enumerated() {
            PromptStructure.values(r.prompt, into: &scratch)
            for j in 0..<s { structure[i * s + j] = scratch[j] }
        }
        var mean = [Double](repeating: 0, count: s), scale = [Double](repeating: 1, count: s)
        for j in 0..<s {
            var m = 0.0, v = 0.0
            for i in 0..<rows.count { m += structure[i * s + j] }
            m /= Double(rows.count)
            for i in 0..<rows.count { v += (structure[i * s + j] - m) * (structure[i * s + j] - m) }
            v /= Double(rows.count)
            mean[j] = m
            scale[j] = v > 1e-12 ? v.squareRoot() : 1
        }
        return (structure, mean, scale)
    }

    /// Centres the out-of-fold difficulty estimates in `column` on their mean and puts their
    /// square in the next column; returns the mean (the scorer's ``QualityScorer/Difficulty/centre``).
    static func centreDifficulty(_ input: inout Matrix, column: Int, on given: Double? = nil) -> Double {
        let n = input.rows
        let centre = given ?? (0..<n).reduce(0) { $0 + input[$1, column] } / Double(max(1, n))
        for i in 0..<n {
            let d = input[i, column] - centre
            input[i, column] = d
            input[i, column + 1] = d * d
        }
        return centre
    }

    /// The ridge weights of `y − base` (centred on `rows`) on the TF-IDF rows `rows` of `x`.
    static func textRidge(_ x: SparseRows, rows: [Int], y: [Double], base: [Double], alpha: Double) throws(LearnError) -> [Double] {
        let target = rows.map { y[$0] - base[$0] }
        let centre = target.reduce(0, +) / Double(max(1, target.count))
        return try SparseRidge(alpha: alpha).fit(x.subset(rows), target.map { $0 - centre })
    }

    /// `y − base − w · x` on `rows`, centred as ``textRidge(_:rows:y:base:alpha:)`` centres its
    /// target (0 elsewhere): what the text ridge `w` leaves.
    static func textResidual(_ x: SparseRows, rows: [Int], y: [Double], base: [Double], weights w: [Double]) -> [Double] {
        let centre = rows.reduce(0) { $0 + y[$1] - base[$1] } / Double(max(1, rows.count))
        let fitted = SparseRidge.times(x.subset(rows), w)
        var out = [Double](repeating: 0, count: y.count)
        for (r, i) in rows.enumerated() { out[i] = y[i] - base[i] - centre - fitted[r] }
        return out
    }

    /// For each group among `rows`, the ridge (no intercept, penalty `alpha`) of `residual` on
    /// that group's TF-IDF rows, keeping the `keep` share of its nonzero weights largest in
    /// magnitude (ties: the lower column), on the ``PackedRows`` grid.
    static func groupTextRidges(_ x: SparseRows, rows: [Int], residual: [Double], groups: [String?], alpha: Double,
                                keep: Double) throws(LearnError) -> [String: SparseWeights] {
        var members: [String: [Int]] = [:]
        for i in rows { if let g = groups[i] { members[g, default: []].append(i) } }
        var out: [String: SparseWeights] = [:]
        for (g, m) in members {
            let w = try SparseRidge(alpha: alpha).fit(x.subset(m), m.map { residual[$0] })
            var nonzero = w.indices.filter { w[$0] != 0 }
            nonzero.sort { abs(w[$0]) != abs(w[$1]) ? abs(w[$0]) > abs(w[$1]) : $0 < $1 }
            let kept = nonzero.prefix(Int((keep * Double(nonzero.count)).rounded(.up))).sorted()
            let values = kept.isEmpty ? [] : PackedRows.quantized(kept.map { w[$0] }, columns: kept.count)
            out[g] = SparseWeights(indices: kept, values: values)
        }
        return out
    }

    /// A head's candidate inputs: a name and columns of the stacked input.
    struct Candidate {
        var name: String
        var columns: [Int]
    }

    /// The candidates, simplest first: for the unknown-group head prompt length alone, length and
    /// digit share, all structure, kNN and structure, everything; for the known-group head the
    /// prior, prior and kNN, those and length and digits, those and all structure, the text
    /// candidates, prior + text + length + difficulty, everything.
    static func candidates(_ layout: Layout) -> (known: [Candidate], unknown: [Candidate]) {
        let g = layout.groups, knn = g, st = g + 1
        let length = st + (PromptStructure.names.firstIndex(of: "log1p_characters") ?? 0)
        let digits = st + (PromptStructure.names.firstIndex(of: "digit_share") ?? 3)
        let structure = Array(st..<(st + layout.structure))
        let text = layout.textColumn
        var unknown = [
            Candidate(name: "length", columns: [length]),
            Candidate(name: "length+digits", columns: [length, digits]),
            Candidate(name: "structure", columns: structure),
            Candidate(name: "kNN+structure", columns: [knn] + structure),
        ]
        guard g > 0 else {
            if layout.text { unknown.append(Candidate(name: "length+text", columns: [length, text])) }
            unknown.append(Candidate(name: "all", columns: Array(0..<layout.width)))
            return (unknown, unknown)
        }
        // With groups the unknown-group head never sees the text column (see fitScorer).
        unknown.append(Candidate(name: "all", columns: Array(0..<(layout.text ? text : layout.width))))
        var known = [
            Candidate(name: "prior", columns: [0]),
            Candidate(name: "prior+kNN", columns: [0, knn]),
            Candidate(name: "prior+kNN+length+digits", columns: [0, knn, length, digits]),
            Candidate(name: "prior+kNN+structure", columns: [0, knn] + structure),
        ]
        if layout.text {
            known += [
                Candidate(name: "prior+text", columns: [0, text]),
                Candidate(name: "prior+text+length", columns: [0, text, length]),
                Candidate(name: "prior+kNN+text+length+digits", columns: [0, knn, text, length, digits]),
            ]
        }
        if layout.difficulty {
            known.append(Candidate(name: "prior+text+length+difficulty", columns: [0, text, length, text + 1, text + 2]))
        }
        known.append(Candidate(name: "all", columns: Array(0..<layout.width)))
        return (known, unknown)
    }

    /// Chooses a head's inputs by `fold`-wise cross-validated APGR of a ridge regression on each
    /// candidate's columns (the first candidate when `choose` is false), then fits it on every
    /// row (coefficients of the other columns are zero). Every candidate's score is returned.
    func selectHead(_ input: Matrix, y: [Double], strong: [Bool], weak: [Bool], fold: [Int],
                    candidates: [Candidate], choose: Bool = true) throws(LearnError) -> (head: LinearHead, name: String, scores: [QualityScorer.Selection.Candidate]) {
        try selectHead([(input, fold)], y: y, strong: strong, weak: weak, candidates: candidates, choose: choose)
    }

    /// The same over several fold assignments (repeated cross-fitting): each holds the
    /// out-of-fold inputs computed with its folds, and is scored on those folds. A candidate's
    /// score is its mean over the assignments, and the chosen head is fitted on every row of
    /// each stacked, with the penalty scaled by their number, so that neither the choice nor
    /// the coefficients follow the noise of one assignment.
    func selectHead(_ assignments: [(input: Matrix, fold: [Int])], y: [Double], strong: [Bool], weak: [Bool],
                    candidates: [Candidate], choose: Bool = true) throws(LearnError) -> (head: LinearHead, name: String, scores: [QualityScorer.Selection.Candidate]) {
        var ridge = RidgeRegression()
        ridge.alpha = configuration.c
        func sub(_ rows: [Int], _ columns: [Int], of inputs: [Matrix]) -> Matrix {
            var m = Matrix(rows: rows.count * inputs.count, columns: columns.count)
            for (b, block) in inputs.enumerated() {
                for (r, i) in rows.enumerated() { for (c, j) in columns.enumerated() { m[b * rows.count + r, c] = block[i, j] } }
            }
            return m
        }
        let n = y.count
        // Each assignment's folds as (input, train rows, test rows), found once for every candidate.
        let splits = assignments.flatMap { input, fold in
            Set(fold).sorted().map { f in (input, train: (0..<n).filter { fold[$0] != f }, test: (0..<n).filter { fold[$0] == f }) }
        }.filter { !$0.test.isEmpty && !$0.train.isEmpty }
        var scores: [QualityScorer.Selection.Candidate] = []
        var best = 0
        for (ci, cand) in candidates.enumerated() {
            var total = 0.0, parts = 0
            for (input, train, test) in splits {
                let model = try ridge.fit(sub(train, cand.columns, of: [input]), train.map { y[$0] }).model
                let x = sub(test, cand.columns, of: [input])
                let predicted = (0..<test.count).map { r in
                    (0..<cand.columns.count).reduce(model.intercept) { $0 + model.coefficients[$1] * x[r, $1] }
                }
                let e = RouterEvaluation(strongCorrect: test.map { strong[$0] }, weakCorrect: test.map { weak[$0] }, weakScore: predicted)
                if e.hasGap { total += e.apgr; parts += 1 }
            }
            let apgr = parts > 0 ? total / Double(parts) : 0.5
            scores.append(.init(name: cand.name, apgr: apgr))
            if choose, apgr > scores[best].apgr { best = ci }
        }
        let chosen = candidates[best]
        ridge.alpha = configuration.c * Double(assignments.count)
        let model = try ridge.fit(sub(Array(0..<n), chosen.columns, of: assignments.map(\.input)),
                                  Array(repeatElement(y, count: assignments.count).joined())).model
        var coefficients = [Double](repeating: 0, count: assignments[0].input.columns)
        for (c, j) in chosen.columns.enumerated() { coefficients[j] = model.coefficients[c] }
        return (LinearHead(intercept: model.intercept, coefficients: coefficients), chosen.name, scores)
    }

    struct Layout {
        var groups: Int
        var structure: Int
        var dimensions: Int
        /// A column for the text ridge after the embedding.
        var text = false
        /// Two columns after the text ridge's: the difficulty d − centre and its square.
        var difficulty = false
        var textColumn: Int { groups + 1 + structure + dimensions }
        var width: Int { textColumn + (text ? 1 : 0) + (difficulty ? 2 : 0) }
    }

    /// Unit rows of `X Cᵀ` (n × k, row-major).
    static func embed(_ x: SparseRows, _ components: [Double], k: Int) -> [Double] {
        // C (k × D) row-major has the same storage as Cᵀ (D × k) column-major.
        let ct = Matrix(rows: x.width, columns: k, columnMajor: components)
        var e = TruncatedSVD.times(x, ct).transposed().storage   // row-major n × k
        e.withUnsafeMutableBufferPointer { p in
            for i in 0..<x.count {
                var norm = 0.0
                for j in 0..<k { norm += p[i * k + j] * p[i * k + j] }
                if norm > 0 {
                    let inv = 1 / norm.squareRoot()
                    for j in 0..<k { p[i * k + j] *= inv }
                }
            }
        }
        return e
    }

    /// Folds that hold out whole groups (groups dealt to folds in a seeded order); rows without
    /// a group keep their `fallback` fold.
    static func groupFolds(_ groups: [String?], folds: Int, seed: UInt64, fallback: [Int]) -> [Int] {
        var names = Array(Set(groups.compactMap { $0 })).sorted()
        var random = SeededRandom(seed: seed ^ 0x6772_6F75)
        names.shuffle(using: &random)
        var foldOf: [String: Int] = [:]
        for (p, g) in names.enumerated() { foldOf[g] = p % folds }
        return groups.enumerated().map { i, g in g.flatMap { foldOf[$0] } ?? fallback[i] }
    }

    /// The head inputs of every row computed from the other folds only.
    func outOfFold(fold: [Int], priorsVisible: Bool, groups: [String?], y: [Double], embedding: [Double], k: Int,
                   references: [Int], structure: [Double], mean: [Double], scale: [Double],
                   layout: Layout, text: SparseRows?, correctness: [Double]?) throws(LearnError) -> Matrix {
        let cfg = configuration
        let n = y.count
        var input = Matrix(rows: n, columns: layout.width)
        for f in 0..<cfg.folds {
            let test = (0..<n).filter { fold[$0] == f }
            if test.isEmpty { continue }
            let train = (0..<n).filter { fold[$0] != f }
            let named = train.filter { groups[$0] != nil }
            let shrink = GroupShrinkage(groups: groups, values: y, rows: named)
            let global = train.reduce(0) { $0 + y[$1] } / Double(max(1, train.count))
            let refs = references.filter { fold[$0] != f }
            // The text ridge of this fold, on deviations from the prior each row gets here.
            var textWeights: [Double]?
            // The difficulty of this fold: the correctness prior and the ridge of the deviation from it.
            var difficulty: (shrink: GroupShrinkage, weights: [Double])?
            var groupWeights: [String: SparseWeights] = [:]
            if let x = text, let alpha = cfg.textAlpha {
                var base = [Double](repeating: named.isEmpty ? global : shrink.global, count: n)
                if priorsVisible, layout.groups > 0 { for i in train { if let g = groups[i] { base[i] = shrink.mean(g) } } }
                let w = try Self.textRidge(x, rows: train, y: y, base: base, alpha: alpha)
                textWeights = w
                // The group text ridges of this fold, as fitScorer fits them on every row.
                if priorsVisible, layout.groups > 0, let groupAlpha = cfg.groupTextAlpha {
                    groupWeights = try Self.groupTextRidges(x, rows: train, residual: Self.textResidual(x, rows: train, y: y, base: base, weights: w),
                                                            groups: groups, alpha: groupAlpha, keep: cfg.groupTextKeep)
                }
                if priorsVisible, layout.difficulty, let m = correctness, let alpha = cfg.difficultyAlpha {
                    let cs = GroupShrinkage(groups: groups, values: m, rows: named)
                    difficulty = (cs, try Self.textRidge(x, rows: train, y: m, base: groups.map(cs.mean), alpha: alpha))
                }
            }
            // Cosine similarities test × refs through GEMM.
            var a = Matrix(rows: test.count, columns: k), b = Matrix(rows: refs.count, columns: k)
            for (r, i) in test.enumerated() { for j in 0..<k { a[r, j] = embedding[i * k + j] } }
            for (r, i) in refs.enumerated() { for j in 0..<k { b[r, j] = embedding[i * k + j] } }
            let sims: Matrix
            do { sims = try BLAS.gemm(a, b, transposeB: true) } catch { throw .linalg(error) }
            let top = min(cfg.neighbors, refs.count)
            var best = [Double](repeating: 0, count: top), bestY = [Double](repeating: 0, count: top)
            for (r, i) in test.enumerated() {
                let prior: Double
                if priorsVisible, layout.groups > 0 {
                    prior = groups[i].flatMap { shrink.means[$0] } ?? (named.isEmpty ? global : shrink.global)
                } else {
                    prior = named.isEmpty ? global : shrink.global
                }
                for p in 0..<top { best[p] = -.infinity; bestY[p] = 0 }
                for c in 0..<refs.count {
                    let s = sims[r, c]
                    if top > 0 && s > best[top - 1] {
                        var p = top - 1
                        while p > 0 && best[p - 1] < s { best[p] = best[p - 1]; bestY[p] = bestY[p - 1]; p -= 1 }
                        best[p] = s
                        bestY[p] = y[refs[c]]
                    }
                }
                // Deviations from this fold's global mean (see QualityScorer.input).
                let base = named.isEmpty ? global : shrink.global
                var col = 0
                if layout.groups > 0 { input[i, 0] = prior - base; col = 1 }
                let empty = !(0..<k).contains { embedding[i * k + $0] != 0 }
                input[i, col] = (top == 0 || empty ? prior : QualityScorer.blend(similarities: best, targets: bestY, bandwidth: cfg.bandwidth,
                                                                             priorStrength: cfg.priorStrength, prior: prior)) - base
                col += 1
                for j in 0..<layout.structure {
                    input[i, col + j] = QualityScorer.clipped((structure[i * layout.structure + j] - mean[j]) / scale[j], to: cfg.structureClip, soft: true)
                }
                col += layout.structure
                for j in 0..<k { input[i, col + j] = embedding[i * k + j] }
                if let x = text, let w = textWeights {
                    let own = groups[i].flatMap { groupWeights[$0] }
                    var v = 0.0, dv = 0.0
                    for q in x.offsets[i]..<x.offsets[i + 1] {
                        let c = Int(x.columns[q])
                        v += x.values[q] * (w[c] + (own?.weight(c) ?? 0))
                        if let f = difficulty { dv += x.values[q] * f.weights[c] }
                    }
                    input[i, col + k] = v
                    // The raw estimate; centreDifficulty centres it and adds its square.
                    if let f = difficulty { input[i, col + k + 1] = f.shrink.mean(groups[i]) - f.shrink.global + dv }
                }
            }
        }
        return input
    }

    // MARK: Evaluation

    /// RouteLLM's metrics of a quality model on examples.
    public static func evaluate(_ model: QualityModel, on rows: [QualityExample], split: String) -> QualityModel.Metrics {
        var scratch: [Double] = []
        let scores = rows.map { model.weakGoodEnough($0.features, scratch: &scratch) }
        let eval = RouterEvaluation(strongCorrect: rows.map(\.strongCorrect), weakCorrect: rows.map(\.weakCorrect),
                                    weakScore: scores)
        let labels = rows.map(\.weakGoodEnough)
        let hasBoth = labels.contains(true) && labels.contains(false)
        // Without a gap to recover no router's APGR or CPT is defined.
        let gap = eval.hasGap
        return .init(testRows: rows.count, split: split, strongAccuracy: eval.strongAccuracy, weakAccuracy: eval.weakAccuracy,
                     apgr: gap ? eval.apgr : nil, randomAPGR: 0.5, cpt50: gap ? eval.cpt50 : nil, cpt80: gap ? eval.cpt80 : nil,
                     logLoss: rows.isEmpty ? 0 : Metrics.logLoss(y: labels, p: scores),
                     auc: hasBoth ? Metrics.auc(y: labels, score: scores) : nil)
    }
}
