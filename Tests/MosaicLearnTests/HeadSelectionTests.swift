import Foundation
@testable import MosaicLearn
import MosaicLinalg
import Testing

/// The heads' inner cross-validation scores a candidate only on folds with a gap to recover, as
/// the comparison tables do: a fold where the weak model is right more often adds nothing.
@Suite("Head selection")
struct HeadSelectionTests {
    @Test func aFoldWithoutAGapIsLeftOutOfTheScore() throws {
        // Fold 0 has a gap: the strong model alone is right on the prompts with input 1. Fold 1
        // has none: the weak model alone is right on one prompt. (Counting fold 1 too, as the
        // rule "the accuracies differ" did, scores 0.5625 instead of fold 0's 0.25.)
        let inputs: [Double] = [1, 1, 0, 0, 1, 0, 0, 0]
        let strong = [true, true, true, true, false, true, true, true]
        let weak = [false, false, true, true, true, true, true, true]
        let fold = [0, 0, 0, 0, 1, 1, 1, 1]
        var x = Matrix(rows: inputs.count, columns: 1)
        for (i, v) in inputs.enumerated() { x[i, 0] = v }
        let y = zip(strong, weak).map { ($1 ? 1.0 : 0) - ($0 ? 1 : 0) }
        let candidate = QualityTrainer.Candidate(name: "input", columns: [0])
        let scored = try QualityTrainer().selectHead(x, y: y, strong: strong, weak: weak, fold: fold, candidates: [candidate])
        // Fold 0's APGR by hand: the head's ridge (α = 1) fitted on fold 1, scored on fold 0.
        var ridge = RidgeRegression()
        ridge.alpha = QualityTrainer.Configuration().c
        var train = Matrix(rows: 4, columns: 1)
        for r in 0..<4 { train[r, 0] = inputs[4 + r] }
        let fit = try ridge.fit(train, Array(y[4...])).model
        let fold0 = RouterEvaluation(strongCorrect: Array(strong[..<4]), weakCorrect: Array(weak[..<4]),
                                     weakScore: inputs[..<4].map { fit.intercept + fit.coefficients[0] * $0 })
        let fold1 = RouterEvaluation(strongCorrect: Array(strong[4...]), weakCorrect: Array(weak[4...]), weakScore: [0, 0, 0, 0])
        #expect(fold0.hasGap && !fold1.hasGap, "\(fold0.apgr) \(fold1.apgr)")
        #expect(scored.scores.count == 1 && scored.scores[0].apgr == fold0.apgr, "\(scored.scores) against fold 0's \(fold0.apgr)")
    }
}
