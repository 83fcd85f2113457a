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

    @Test func windowsScoreLikeNAB() {
        let s = AnomalyDetector.score(flags: [5, 6, 50, 100], windows: [(0, 10), (40, 60), (200, 300)])
        #expect(s.truePositives == 3)
        #expect(s.falsePositives == 1)
        #expect(s.windowsFound == 2)
        #expect(abs(s.precision - 0.75) < 1e-15)
        #expect(abs(s.recall - 2.0 / 3) < 1e-15)
    }
}
