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

    public init(promptID: String, prompt: String, strongCorrect: Bool, weakCorrect: Bool) {
        self.promptID = promptID
        self.prompt = prompt
        self.strongCorrect = strongCorrect
        self.weakCorrect = weakCorrect
    }

    /// The label: the weak model loses nothing (it is right, or the strong one is wrong too).
    public var weakGoodEnough: Bool { weakCorrect || !strongCorrect }

    /// Held out when a stable hash of the prompt id is 0 mod 5: a split that never changes and
    /// that no prompt of the training part can leak into.
    public var isHeldOut: Bool {
        var h = StableHash(seed: 0x686F_6C64)
        h.combine(promptID)
        return UInt64(bitPattern: h.value) % 5 == 0
    }

    /// The request a router sees for this prompt (about four characters a token).
    public var features: RequestFeatures {
        RequestFeatures(inputTokens: prompt.utf8.count / 4, text: prompt)
    }
}

/// Trains "the weak model is good enough" from per-prompt correctness: logistic regression on
/// hashed words and word pairs of the prompt and its length, evaluated with RouteLLM's metrics
/// on the held-out fifth (by prompt-id hash) the model never sees.
public struct QualityTrainer: Sendable {
    public var textBuckets = 2048
    public var c = 1.0

    public init() {}

    public func spec() throws(LearnError) -> FeatureSpec {
        do {
            return try FeatureSpec(features: [
                .hashedText(buckets: textBuckets),
                // Prompt length: log1p(tokens), scaled to roughly unit range.
                .numeric(.inputTokens, transform: .log1p, mean: 5, scale: 1.5),
            ])
        } catch { throw .dimensionMismatch("\(error)") }
    }

    public func train(_ examples: [QualityExample], dataset: String, labelStrong: String, labelWeak: String,
                      strong: QualityModel.Target, weak: QualityModel.Target) throws(LearnError) -> QualityModel {
        let train = examples.filter { !$0.isHeldOut }
        let test = examples.filter(\.isHeldOut)
        guard !train.isEmpty, !test.isEmpty else { throw .emptyTrainingSet }
        let spec = try spec()
        var logistic = LogisticRegression()
        logistic.c = c
        let fit = try logistic.fit(Self.design(train, spec), train.map(\.weakGoodEnough))
        let head = LinearHead(intercept: fit.model.intercept, coefficients: fit.model.coefficients)
        var model = QualityModel(
            dataset: dataset, labelStrong: labelStrong, labelWeak: labelWeak, strong: strong, weak: weak,
            featureSpec: spec, head: head,
            metrics: .init(testRows: 0, split: "", strongAccuracy: 0, weakAccuracy: 0, apgr: 0, randomAPGR: 0.5,
                           cpt50: 0, cpt80: 0, logLoss: 0, auc: nil))
        model.metrics = Self.evaluate(model, on: test,
                                      split: "held out: prompts whose id hashes to 0 mod 5 (\(test.count) of \(examples.count)); trained on the other \(train.count)")
        return model
    }

    static func design(_ rows: [QualityExample], _ spec: FeatureSpec) -> Matrix {
        let d = spec.width
        var x = Matrix(rows: rows.count, columns: d)
        var scratch = [Double](repeating: 0, count: d)
        for (i, r) in rows.enumerated() {
            spec.encode(r.features, into: &scratch)
            for j in 0..<d where scratch[j] != 0 { x[i, j] = scratch[j] }
        }
        return x
    }

    /// RouteLLM's metrics of a quality model on examples.
    public static func evaluate(_ model: QualityModel, on rows: [QualityExample], split: String) -> QualityModel.Metrics {
        var scratch: [Double] = []
        let scores = rows.map { model.weakGoodEnough($0.features, scratch: &scratch) }
        let eval = RouterEvaluation(strongCorrect: rows.map(\.strongCorrect), weakCorrect: rows.map(\.weakCorrect),
                                    weakScore: scores)
        let labels = rows.map(\.weakGoodEnough)
        let hasBoth = labels.contains(true) && labels.contains(false)
        return .init(testRows: rows.count, split: split, strongAccuracy: eval.strongAccuracy, weakAccuracy: eval.weakAccuracy,
                     apgr: eval.apgr, randomAPGR: 0.5, cpt50: eval.cpt50, cpt80: eval.cpt80,
                     logLoss: rows.isEmpty ? 0 : Metrics.logLoss(y: labels, p: scores),
                     auc: hasBoth ? Metrics.auc(y: labels, score: scores) : nil)
    }
}
