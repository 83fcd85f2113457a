import MosaicCore
import MosaicLearn
import Testing

@Suite("RouterEvaluation (RouteLLM metrics)")
struct RouterEvaluationTests {
    /// Four prompts: the weak model fails on 0 and 1, the strong one is right on 0, 1, 2.
    static let strong = [true, true, true, false]
    static let weak = [false, false, true, false]

    @Test func handComputedCurve() {
        // The router trusts the weak model least with prompts 1, 0, 3, 2 (in that order).
        let e = RouterEvaluation(strongCorrect: Self.strong, weakCorrect: Self.weak, weakScore: [0.2, 0.1, 0.9, 0.5])
        #expect(e.strongAccuracy == 0.75)
        #expect(e.weakAccuracy == 0.25)
        // Sending 1, then 0, recovers the whole gap at 50% strong calls.
        #expect(e.curve == [0, 0.5, 1, 1, 1])
        #expect(abs(e.apgr - (0.25 + 0.75 + 1 + 1) / 4) < 1e-15)
        #expect(e.cpt50 == 0.25)
        #expect(e.cpt80 == 0.5)
    }

    @Test func theWorstOrderRecoversLate() {
        let e = RouterEvaluation(strongCorrect: Self.strong, weakCorrect: Self.weak, weakScore: [0.8, 0.9, 0.1, 0.2])
        #expect(e.curve == [0, 0, 0, 0.5, 1])
        #expect(e.cpt80 == 1)
    }

    @Test func tiesCountAtTheirExpectedValue() {
        // A router that cannot tell the prompts apart is a random router, whatever their order.
        let flat = RouterEvaluation(strongCorrect: Self.strong, weakCorrect: Self.weak, weakScore: [0.5, 0.5, 0.5, 0.5])
        #expect(flat.curve == [0, 0.25, 0.5, 0.75, 1])
        #expect(abs(flat.apgr - 0.5) < 1e-15)
        #expect(flat.cpt50 == 0.5)
        #expect(flat.cpt80 == 1)
        // Prompt 1 first, then 0 and 3 tied (one recovers half the gap, the other nothing), then 2.
        let e = RouterEvaluation(strongCorrect: Self.strong, weakCorrect: Self.weak, weakScore: [0.4, 0.1, 0.9, 0.4])
        #expect(e.curve == [0, 0.5, 0.75, 1, 1])
        #expect(abs(e.apgr - (0.25 + 0.625 + 0.875 + 1) / 4) < 1e-15)
        #expect(e.cpt50 == 0.25)
        #expect(e.cpt80 == 0.75)
        // The same tie in the other order of indices gives the same figures.
        let swapped = RouterEvaluation(strongCorrect: [false, true, true, true], weakCorrect: [false, false, true, false],
                                       weakScore: [0.4, 0.1, 0.9, 0.4])
        #expect(swapped.curve == e.curve)
    }

    /// Half the gap is recovered exactly in the middle of a run of tied scores: 1 of 5 before
    /// the run, 3 after its 20 prompts, so 15 prompts in, 1/5 + 2/5 · 15/20 = 1/2. In doubles
    /// that read 0.49999999999999994 and CPT50 came one prompt late (an audit against exact
    /// fractions; the oracle's CPT50 on the shipped MMLU sample read 6.7455% for 6.7017%).
    @Test func cptIsExactInsideATie() {
        // Prompt 0 (score 0): only the strong model right. Then 20 tied at 0.5, two of them
        // only-strong; then two only-strong at 0.9.
        var strong = [true], weak = [false], score = [0.0]
        for i in 0..<20 {
            strong.append(true)
            weak.append(i >= 2)
            score.append(0.5)
        }
        strong += [true, true]
        weak += [false, false]
        score += [0.9, 0.9]
        let e = RouterEvaluation(strongCorrect: strong, weakCorrect: weak, weakScore: score)
        #expect(e.cpt50 == 16.0 / 23.0)
        #expect(abs(e.curve[16] - 0.5) < 1e-15)
    }

    @Test func randomScoresAverageOneHalf() {
        var random = SeededRandom(seed: 9)
        let n = 400
        let strong = (0..<n).map { _ in random.bernoulli(0.8) }
        let weak = strong.map { $0 && random.bernoulli(0.8) }
        var total = 0.0
        let trials = 200
        for _ in 0..<trials {
            total += RouterEvaluation(strongCorrect: strong, weakCorrect: weak, weakScore: (0..<n).map { _ in random.uniform() }).apgr
        }
        #expect(abs(total / Double(trials) - 0.5) < 0.02)
    }

    @Test func anOracleBeatsRandom() {
        var random = SeededRandom(seed: 10)
        let n = 500
        let strong = (0..<n).map { _ in random.bernoulli(0.8) }
        let weak = strong.map { $0 && random.bernoulli(0.7) }
        let oracle = (0..<n).map { (weak[$0] || !strong[$0]) ? 1.0 : 0.0 }
        #expect(RouterEvaluation(strongCorrect: strong, weakCorrect: weak, weakScore: oracle).apgr > 0.8)
    }
}
