import MosaicCore
import MosaicRouting

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A quality model's routers beside the baselines, with RouteLLM's metrics.
///
/// Routers: the model (its ensemble score), its kNN part alone, its group prior alone; the
/// baselines: random (its expected APGR 0.5 and CPT 50% / 80%), prompt length (longer prompts to
/// the strong model; fixed, not fitted), and the oracle (strong exactly where only it is
/// right). Ties in a score (a group prior, equal lengths) count at their expected value under
/// random tie-breaking (see ``RouterEvaluation``), not by file order.
public struct QualityComparison: Sendable, Equatable {
    public struct Row: Sendable, Equatable, Codable {
        public var router: String
        public var apgr: Double
        public var cpt50: Double
        public var cpt80: Double
        /// The sample standard deviation of APGR and CPT50 over the parts of a ``mean(_:)``
        /// (nil for a single comparison): how much of a difference between routers is fold noise.
        public var apgrSD: Double?
        public var cpt50SD: Double?
        public init(router: String, apgr: Double, cpt50: Double, cpt80: Double, apgrSD: Double? = nil, cpt50SD: Double? = nil) {
            self.router = router
            self.apgr = apgr
            self.cpt50 = cpt50
            self.cpt80 = cpt80
            self.apgrSD = apgrSD
            self.cpt50SD = cpt50SD
        }
    }

    public var rows: [Row]
    public var prompts: Int
    /// The share of the prompts each model answered correctly.
    public var strongAccuracy: Double
    public var weakAccuracy: Double
    /// The strong model's accuracy less the weak one's. When it is not positive there is no gap
    /// to recover: every router's APGR and CPT are NaN (not defined), the baselines' too.
    public var gap: Double { strongAccuracy - weakAccuracy }

    public static let routers = ["model", "model kNN only", "group prior", "prompt length", "random (expected)", "oracle"]

    /// Compares on `examples`; without a scorer only the baselines are filled (model rows are NaN).
    public init(scorer: QualityScorer?, examples: [QualityExample]) {
        prompts = examples.count
        let strong = examples.map(\.strongCorrect), weak = examples.map(\.weakCorrect)
        strongAccuracy = examples.isEmpty ? 0 : Double(strong.count { $0 }) / Double(examples.count)
        weakAccuracy = examples.isEmpty ? 0 : Double(weak.count { $0 }) / Double(examples.count)
        guard strongAccuracy > weakAccuracy else {
            rows = Self.routers.map { Row(router: $0, apgr: .nan, cpt50: .nan, cpt80: .nan) }
            return
        }
        func row(_ name: String, _ scores: [Double]) -> Row {
            // Ties (a group prior within a group, prompts of equal length) count at their expected value.
            let e = RouterEvaluation(strongCorrect: strong, weakCorrect: weak, weakScore: scores)
            return Row(router: name, apgr: e.apgr, cpt50: e.cpt50, cpt80: e.cpt80)
        }
        var out: [Row] = []
        if let scorer {
            var x: [Double] = [], emb: [Double] = [], s: [Double] = []
            var model: [Double] = [], knn: [Double] = [], prior: [Double] = []
            for e in examples {
                let f = e.features
                _ = scorer.input(f, into: &x, embedding: &emb, structure: &s)
                model.append(scorer.weakGoodEnough(f))
                knn.append(x[scorer.groups.count])
                prior.append(scorer.priors(f).fallback)
            }
            out.append(row("model", model))
            out.append(row("model kNN only", knn))
            out.append(row("group prior", prior))
        } else {
            for name in Self.routers.prefix(3) { out.append(Row(router: name, apgr: .nan, cpt50: .nan, cpt80: .nan)) }
        }
        out.append(row("prompt length", examples.map { -log1p(Double($0.prompt.unicodeScalars.count)) }))
        out.append(Row(router: "random (expected)", apgr: 0.5, cpt50: 0.5, cpt80: 0.8))
        out.append(row("oracle", examples.map { $0.strongCorrect && !$0.weakCorrect ? 0 : ($0.weakCorrect && !$0.strongCorrect ? 2 : 1) }))
        rows = out
    }

    init(rows: [Row], prompts: Int, strongAccuracy: Double, weakAccuracy: Double) {
        self.rows = rows
        self.prompts = prompts
        self.strongAccuracy = strongAccuracy
        self.weakAccuracy = weakAccuracy
    }

    /// The mean of each router's metrics over several comparisons (e.g. cross-validation folds),
    /// with the standard deviation of APGR and CPT50 over them (when there are at least two).
    /// A part without a gap to recover (its metrics NaN) is left out of the means.
    public static func mean(_ parts: [QualityComparison]) -> QualityComparison {
        guard let first = parts.first else { return QualityComparison(rows: [], prompts: 0, strongAccuracy: 0, weakAccuracy: 0) }
        let defined = parts.filter { $0.gap > 0 }
        func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
        func sd(_ values: [Double]) -> Double? {
            guard values.count >= 2 else { return nil }
            let m = mean(values)
            return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
        }
        let rows = first.rows.indices.map { i in
            let r = defined.map { $0.rows[i] }
            return Row(router: first.rows[i].router, apgr: mean(r.map(\.apgr)), cpt50: mean(r.map(\.cpt50)), cpt80: mean(r.map(\.cpt80)),
                       apgrSD: sd(r.map(\.apgr)), cpt50SD: sd(r.map(\.cpt50)))
        }
        let prompts = parts.reduce(0) { $0 + $1.prompts }
        func pooled(_ accuracy: (QualityComparison) -> Double) -> Double {
            parts.reduce(0) { $0 + accuracy($1) * Double($1.prompts) } / Double(max(prompts, 1))
        }
        return QualityComparison(rows: rows, prompts: prompts, strongAccuracy: pooled(\.strongAccuracy), weakAccuracy: pooled(\.weakAccuracy))
    }
}

extension QualityTrainer {
    /// How the rows are split for ``crossValidate(_:folds:holdingOutGroups:)``.
    public enum Split: String, Sendable { case groups, prompts }

    /// K-fold cross-validation: for each fold the whole scorer is fitted on the other folds and
    /// compared on it; the result is the mean over folds.
    ///
    /// - Parameter split: `.groups` holds out whole groups (leave-subjects-out: the held-out
    ///   subjects are unknown to the model, as an unseen domain would be); `.prompts` holds out
    ///   random prompts.
    public func crossValidate(_ rows: [QualityExample], folds: Int, split: Split) throws(LearnError) -> QualityComparison {
        var random = SeededRandom(seed: configuration.seed ^ 0x6376)
        var order = Array(0..<rows.count)
        order.shuffle(using: &random)
        var promptFold = [Int](repeating: 0, count: rows.count)
        for (p, i) in order.enumerated() { promptFold[i] = p % folds }
        let fold = split == .groups
            ? Self.groupFolds(rows.map { $0.group(configuration.groupField) }, folds: folds, seed: configuration.seed ^ 0x6376,
                              fallback: promptFold)
            : promptFold
        var parts: [QualityComparison] = []
        for f in 0..<folds {
            let train = (0..<rows.count).filter { fold[$0] != f }.map { rows[$0] }
            let test = (0..<rows.count).filter { fold[$0] == f }.map { rows[$0] }
            if test.isEmpty { continue }
            let name = split == .groups ? "leave-groups-out" : "random-prompt"
            parts.append(QualityComparison(scorer: try reporting("\(name) fold \(f + 1) of \(folds): ").fitScorer(train), examples: test))
        }
        return QualityComparison.mean(parts)
    }

    /// The scorer fitted on the rows outside the held-out fifth, compared on that fifth.
    public func holdout(_ rows: [QualityExample]) throws(LearnError) -> QualityComparison {
        QualityComparison(scorer: try heldOutScorer(rows), examples: rows.filter(\.isHeldOut))
    }

    /// The scorer fitted on the rows outside the held-out fifth (what ``train(_:dataset:labelStrong:labelWeak:strong:weak:)``
    /// measures on that fifth).
    public func heldOutScorer(_ rows: [QualityExample]) throws(LearnError) -> QualityScorer {
        try fitScorer(rows.filter { !$0.isHeldOut })
    }
}
