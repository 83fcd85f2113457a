import Foundation
import MosaicCore
import MosaicLearn
import MosaicTestSupport
import Testing

extension TimeSeriesTests {
    @Suite struct ForecastMetricsTests {
        @Test func smapeAndMaseByHand() {
            // |y − f| = 10 and 20 over |y| + |f| = 190 and 220.
            let s = ForecastMetrics.smape(actual: [100, 120], forecast: [90, 100])
            #expect(abs(s - 100 * (10.0 / 190 + 20.0 / 220)) < 1e-12)
            #expect(ForecastMetrics.smape(actual: [0, 2], forecast: [0, 2]) == 0)
            let training = [1.0, 2, 4, 3, 5, 8]  // lag-2 differences 3, 1, 1, 5: scale 2.5
            #expect(ForecastMetrics.maseScale(training, period: 2) == 2.5)
            #expect(ForecastMetrics.mase(actual: [10, 10], forecast: [9, 12], training: training, period: 2) == 1.5 / 2.5)
            #expect(ForecastMetrics.owa(smape: 9, mase: 1, naive2Smape: 18, naive2Mase: 4) == 0.375)
        }

        @Test func maseScaleLeavesOutThePairsOfAMissingValue() {
            // Known lag-2 pairs: (2, 3) and (3, 8), differences 1 and 5; the two pairs that hold
            // the missing value are left out, not filled: numpy's nanmean(|y[2:] − y[:-2]|) is 3,
            // and utilsforecast 0.2.17's `mase` gives 1 for the forecast below.
            let training = [1.0, 2, .nan, 3, 5, 8]
            #expect(ForecastMetrics.maseScale(training, period: 2) == 3)
            #expect(ForecastMetrics.mase(actual: [10], forecast: [7], training: training, period: 2) == 1)
            #expect(ForecastMetrics.maseScale([1, .nan, 2], period: 1).isNaN)  // no known pair
        }

        @Test func msisByHand() {
            // 95 %: 2/α = 40. Widths 2, 2, 2; the second value misses above by 1, the third below
            // by 0.5: (2 + 2 + 40 + 2 + 20) / 3 = 22, over the scale 2.5.
            let interval = Forecast.Interval(level: 95, lower: [0, 0, 0], upper: [2, 2, 2])
            let training = [1.0, 2, 4, 3, 5, 8]
            let msis = ForecastMetrics.msis(actual: [1, 3, -0.5], interval: interval, training: training, period: 2)
            #expect(abs(msis - 22.0 / 2.5) < 1e-12)
            // At 80 % a miss costs 2/0.2 = 10 per unit.
            let i80 = Forecast.Interval(level: 80, lower: [0], upper: [2])
            #expect(abs(ForecastMetrics.msis(actual: [3], interval: i80, training: training, period: 2) - 12.0 / 2.5) < 1e-12)
        }

        @Test func coverageCountsBoundsAsInside() {
            let interval = Forecast.Interval(level: 80, lower: [0, 0, 0, 0], upper: [1, 1, 1, 1])
            #expect(ForecastMetrics.coverage(actual: [0, 1, 0.5, 2], interval: interval) == 0.75)
        }

        @Test func seasonalityTestFollowsTheM4Rule() {
            let seasonal = (0..<300).map { 10 + sin(2 * Double.pi * Double($0) / 24) }
            #expect(ForecastMetrics.isSeasonal(seasonal, period: 24))
            #expect(!ForecastMetrics.isSeasonal(Array(seasonal.prefix(71)), period: 24))  // n < 3m
            // R's acf stops at lag ⌊10 log₁₀ n⌋ = 23 < 24 for n = 250: the test says no.
            #expect(!ForecastMetrics.isSeasonal(Array(seasonal.prefix(250)), period: 24))
            #expect(ForecastMetrics.isSeasonal(Array(seasonal.prefix(252)), period: 24))
            // A two-sided test at 1.645 standard errors flags about 10 % of white-noise series.
            var random = SeededRandom(seed: 3)
            let flagged = (0..<200).filter { _ in
                ForecastMetrics.isSeasonal((0..<300).map { _ in random.normal() }, period: 24)
            }.count
            #expect(flagged >= 8 && flagged <= 32, "\(flagged) of 200 white-noise series flagged")
            #expect(!ForecastMetrics.isSeasonal(seasonal, period: 1))
        }

        @Test func naive2ReseasonalisesTheLastAdjustedValue() {
            let indices = [0.5, 1.5, 1.0, 1.0]  // mean 1
            let y = (0..<40).map { 100 * indices[$0 % 4] }
            let f = ForecastMetrics.naive2(y, period: 4, horizon: 6)
            for k in 0..<6 { #expect(abs(f[k] - 100 * indices[(40 + k) % 4]) < 1e-9) }
            #expect(ForecastMetrics.naive2([1, 2, 3], period: 4, horizon: 2) == [3, 3])  // too short: naive
        }

        /// Validates the scorer on all 414 M4 hourly series against the organisers' published
        /// numbers: seasonal naive, naive and Naive2 (which exercises the seasonality test and
        /// the decomposition), each to 0.001.
        @Test(.enabled(if: ForecastTestData.m4Present, Comment(rawValue: ForecastTestData.m4Absent)))
        func m4ScorerReproducesThePublishedBenchmarks() throws {
            let train = try ForecastTestData.loadM4(ForecastTestData.m4Train)
            let test = try ForecastTestData.loadM4(ForecastTestData.m4Test)
            try #require(train.count == 414 && test.count == 414 && test.allSatisfy { $0.count == 48 })
            var seasonalNaive = ForecastMetrics.Summary(period: 24)
            var naive = ForecastMetrics.Summary(period: 24)
            for (y, actual) in zip(train, test) {
                seasonalNaive.add(training: y, actual: actual,
                                  forecast: try SeasonalNaive(period: 24).fit(y).forecast(horizon: 48, levels: []).mean)
                naive.add(training: y, actual: actual, forecast: try Naive().fit(y).forecast(horizon: 48, levels: []).mean)
            }
            let published = try ForecastTestData.publishedAccuracy(method: "sNaive (M4 benchmark)")
            let publishedNaive = try ForecastTestData.publishedAccuracy(method: "Naive (M4 benchmark)")
            let publishedNaive2 = try ForecastTestData.publishedAccuracy(method: "Naive2 (M4 benchmark)")
            #expect(published.smape == 13.912 && published.mase == 1.193)
            print("M4 hourly seasonal naive: sMAPE \(seasonalNaive.smape), MASE \(seasonalNaive.mase), OWA \(seasonalNaive.owa); Naive2 \(seasonalNaive.naive2Smape), \(seasonalNaive.naive2Mase)")
            #expect(abs(seasonalNaive.smape - published.smape) <= 0.001)
            #expect(abs(seasonalNaive.mase - published.mase) <= 0.001)
            #expect(abs(seasonalNaive.owa - published.owa) <= 0.001)
            #expect(abs(naive.smape - publishedNaive.smape) <= 0.001)
            #expect(abs(naive.mase - publishedNaive.mase) <= 0.001)
            #expect(abs(seasonalNaive.naive2Smape - publishedNaive2.smape) <= 0.001)
            #expect(abs(seasonalNaive.naive2Mase - publishedNaive2.mase) <= 0.001)
        }
    }
}
