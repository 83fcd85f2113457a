import Foundation
import MosaicCore
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

    /// Repeated cross-fitting: a candidate scores the mean over the fold assignments, each on
    /// its own folds, and the chosen head is fitted on the assignments' inputs stacked with the
    /// penalty scaled by their number (so two copies of one assignment fit what it fits alone).
    @Test func repeatedAssignmentsScoreTheirMeanAndFitOnTheStack() throws {
        var random = SeededRandom(seed: 3)
        let n = 60
        let strong = (0..<n).map { _ in random.bernoulli(0.8) }
        let weak = (0..<n).map { i in strong[i] ? random.bernoulli(0.7) : random.bernoulli(0.2) }
        let y = zip(strong, weak).map { ($1 ? 1.0 : 0) - ($0 ? 1 : 0) }
        func input(noise: Double) -> Matrix {
            var x = Matrix(rows: n, columns: 2)
            for i in 0..<n {
                x[i, 0] = y[i] + noise * random.normal()
                x[i, 1] = random.normal()
            }
            return x
        }
        let a = (input(noise: 1), (0..<n).map { $0 % 3 }), b = (input(noise: 2), (0..<n).map { ($0 / 7) % 3 })
        let candidates = [QualityTrainer.Candidate(name: "first", columns: [0]), QualityTrainer.Candidate(name: "both", columns: [0, 1])]
        let trainer = QualityTrainer()
        let alone = try [a, b].map { try trainer.selectHead($0.0, y: y, strong: strong, weak: weak, fold: $0.1, candidates: candidates) }
        let both = try trainer.selectHead([a, b], y: y, strong: strong, weak: weak, candidates: candidates)
        for c in 0..<2 {
            #expect(abs(both.scores[c].apgr - (alone[0].scores[c].apgr + alone[1].scores[c].apgr) / 2) < 1e-12, "\(both.scores) \(alone.map(\.scores))")
        }
        let twice = try trainer.selectHead([a, a], y: y, strong: strong, weak: weak, candidates: candidates)
        #expect(twice.name == alone[0].name)
        #expect(abs(twice.head.intercept - alone[0].head.intercept) < 1e-9)
        for (u, v) in zip(twice.head.coefficients, alone[0].head.coefficients) { #expect(abs(u - v) < 1e-9, "\(twice.head) \(alone[0].head)") }
        // Two different assignments give a head between theirs, not either one.
        #expect(both.head.coefficients != alone[0].head.coefficients && both.head.coefficients != alone[1].head.coefficients)
    }
}
