import Foundation
import MosaicLearn
import MosaicTestSupport
import Testing

@Suite("AnomalyDetector")
struct AnomalyDetectorTests {
    @Test func normalQuantilesMatchKnownValues() {
        #expect(abs(NormalDistribution.quantile(0.975) - 1.959963984540054) < 1e-12)
        #expect(abs(NormalDistribution.quantile(0.995) - 2.5758293035489) < 1e-12)
        #expect(abs(NormalDistribution.quantile(0.9) - 1.2815515655446004) < 1e-12)
        #expect(abs(NormalDistribution.quantile(0.001) + 3.090232306167813) < 1e-11)
        #expect(abs(NormalDistribution.cdf(NormalDistribution.quantile(0.3)) - 0.3) < 1e-14)
    }

    @Test func flagsPointsOutsideTheOneStepInterval() {
        let values: [Double] = [10, 10, 10, 30, 10, -20]
        let predictions: [Double] = [.nan, 10, 11, 10, 10, 10]
        let a = AnomalyDetector.detect(values: values, oneStepPredictions: predictions, residualScale: 2, level: 95)
        #expect(a.map(\.index) == [3, 5])
        #expect(abs(a[0].score - 10) < 1e-12)
        #expect(abs(a[0].upper - (10 + 1.959963984540054 * 2)) < 1e-9)
        #expect(AnomalyDetector.detect(values: values, oneStepPredictions: predictions, residualScale: 0).isEmpty)
    }

    /// A fit that reproduces a noise-free series leaves residuals of rounding size; against
    /// those, points equal to their forecast to twelve digits were flagged 3 deviations away.
    /// The scale's floor (1e-9 of the mean level) keeps them, and still flags a real spike.
    @Test func roundingSizedResidualsFlagNothing() {
        let values = (0..<96).map { (k: Int) -> Double in 100 + 20 * sin(Double(k) * Double.pi / 12) }
        var predictions = values.enumerated().map { $0.element + ($0.offset % 3 == 0 ? 3e-13 : -2e-13) }
        predictions[0] = .nan
        #expect(AnomalyDetector.detect(values: values, oneStepPredictions: predictions, residualScale: 1e-13).isEmpty)
        var spiked = values
        spiked[50] += 1e-3
        let a = AnomalyDetector.detect(values: spiked, oneStepPredictions: predictions, residualScale: 1e-13)
        #expect(a.map(\.index) == [50])
        let floor = 1e-9 * spiked.reduce(0, +) / 96
        #expect(abs(a[0].score * floor / 1e-3 - 1) < 1e-6, "scored against the floor")
    }

    @Test func windowsScoreLikeNAB() {
        let s = AnomalyDetector.score(flags: [5, 6, 50, 100], windows: [(0, 10), (40, 60), (200, 300)])
        #expect(s.truePositives == 3)
        #expect(s.falsePositives == 1)
        #expect(s.windowsFound == 2)
        #expect(abs(s.precision - 0.75) < 1e-15)
        #expect(abs(s.recall - 2.0 / 3) < 1e-15)
    }
}
