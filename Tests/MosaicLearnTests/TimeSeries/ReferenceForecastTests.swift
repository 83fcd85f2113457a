import Foundation
import MosaicLearn
import MosaicTestSupport
import Testing

/// Agreement with `../shared/reference/ref_forecast.py` on its synthetic hourly series: the
/// regenerated series matches the published checksum, seasonal naive matches statsforecast's
/// numbers exactly, and the fitted models beat the reference's seasonal naive.
extension TimeSeriesTests {
    @Suite struct ReferenceForecastTests {
        static let resultsFile = "reference/results/forecast.json"

        @Test func syntheticSeriesMatchesThePublishedChecksum() throws {
            let y = ForecastTestData.syntheticSeries()
            #expect(y.count == 1344)
            #expect(Array(y.prefix(5)) == ForecastTestData.syntheticFirstValues)
            #expect(y.reduce(0, +) == ForecastTestData.syntheticSum)
            #expect(try ReferenceData.sha256(ForecastTestData.littleEndianBytes(y)) == ForecastTestData.syntheticSHA256)
        }

        @Test(.enabled(if: SharedData.path(resultsFile) != nil, Comment(rawValue: SharedData.missing(resultsFile) ?? "")))
        func seasonalNaiveMatchesStatsforecast() throws {
            let (train, test) = ForecastTestData.syntheticSplit
            #expect(train.count == 1075 && test.count == 269)
            for period in [168, 24] {
                let reference = try #require(ForecastTestData.referenceModel("SeasonalNaive_\(period)"))
                let f = try SeasonalNaive(period: period).fit(train).forecast(horizon: test.count, levels: []).mean
                let mase = ForecastMetrics.mase(actual: test, forecast: f, training: train, period: 24)
                let smape = ForecastMetrics.smape(actual: test, forecast: f)
                #expect(abs(mase - (reference["MASE"] as! Double)) < 1e-12)
                #expect(abs(smape - (reference["sMAPE"] as! Double)) < 1e-10)
                #expect(abs(Metrics.rmse(test, f) - (reference["RMSE"] as! Double)) < 1e-9)
                #expect(Array(f.prefix(3)) == (reference["forecast_head"] as! [Double]))
            }
        }

        /// The series is a product of a trend, a daily cycle and a weekend factor, so on the log
        /// scale harmonic regression with a trend, daily Fourier terms and a weekend flag
        /// represents it exactly. It should beat statsforecast's best model on it, MSTL([24,
        /// 168]) with MASE 0.298 (SeasonalNaive(168): 0.396).
        @Test func harmonicRegressionBeatsTheReferenceModels() throws {
            let (train, test) = ForecastTestData.syntheticSplit
            let model = HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 6)], trend: true,
                                           weekend: .init(firstWeekday: 0, periodsPerDay: 24), maxAROrder: 3,
                                           logTransform: true)
            let f = try model.fit(train).forecast(horizon: test.count, levels: [80])
            let mase = ForecastMetrics.mase(actual: test, forecast: f.mean, training: train, period: 24)
            let coverage = ForecastMetrics.coverage(actual: test, interval: f.intervals[0])
            print("synthetic series: harmonic regression MASE \(mase), sMAPE \(ForecastMetrics.smape(actual: test, forecast: f.mean)), 80% coverage \(coverage)")
            #expect(mase < 0.298)
            #expect(coverage > 0.75 && coverage < 0.95)
        }

        /// statsforecast's AutoETS(ZZA) picks ETS(A,N,A) here with MASE 1.386: ours, fitted by a
        /// different optimiser and initialisation, should land in the same region.
        @Test func additiveSeasonalETSIsInTheReferenceRegion() throws {
            let (train, test) = ForecastTestData.syntheticSplit
            let fit = try ETS(seasonality: .additive, period: 24).fit(train)
            let mase = ForecastMetrics.mase(actual: test, forecast: fit.forecast(horizon: test.count, levels: []).mean,
                                            training: train, period: 24)
            print("synthetic series: ETS(A,N,A) MASE \(mase) (statsforecast 1.3856), alpha \(fit.parameters.alpha), gamma \(fit.parameters.gamma)")
            #expect(mase < 1.6)
        }
    }
}
