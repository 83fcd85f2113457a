import Foundation
import MosaicCore
import MosaicLearn
import Testing

extension TimeSeriesTests {
    @Suite struct SeriesHygieneTests {
        /// Hourly traffic: daily and weekly cycles, multiplicative noise; `weeks` weeks.
        static func traffic(weeks: Int, level: Double = 1000, seed: UInt64) -> [Double] {
            var random = SeededRandom(seed: seed)
            return (0..<(weeks * 168)).map { t in
                Self.profile(t) * level * (1 + 0.05 * random.normal())
            }
        }

        /// The noise-free shape (mean about 1).
        static func profile(_ t: Int) -> Double {
            let daily = 1 + 0.5 * sin(2 * Double.pi * Double(t - 8) / 24)
            let weekend = (t / 24) % 7 >= 5 ? 0.7 : 1.0
            return daily * weekend
        }

        /// A 3-day shutdown (zeros) in week 3 of 5.
        static let shutdown = 2 * 168 + 30..<(2 * 168 + 30 + 72)

        @Test func aShutdownIsFoundAndReplacedFromTheProfile() {
            var y = Self.traffic(weeks: 5, seed: 7)
            let clean = y
            for t in Self.shutdown { y[t] = 0 }
            let report = SeriesHygiene(period: 24, secondaryPeriod: 168).clean(y)
            #expect(report.outages == [[Self.shutdown.lowerBound, Self.shutdown.upperBound]])
            #expect(report.levelShiftAt == nil)
            #expect(report.replaced.filter { $0 }.count == Self.shutdown.count)
            // The replacement is close to what the traffic would have been.
            let error = Self.shutdown.map { abs(report.values[$0] - clean[$0]) / clean[$0] }.reduce(0, +) / Double(Self.shutdown.count)
            #expect(error < 0.1, "mean relative error of the replaced values \(error)")
            // Untouched elsewhere.
            #expect((0..<y.count).filter { !Self.shutdown.contains($0) }.allSatisfy { report.values[$0] == y[$0] })
        }

        @Test func missingValuesAreReplaced() {
            var y = Self.traffic(weeks: 3, seed: 8)
            for t in [5, 100, 101, 300] { y[t] = .nan }
            let report = SeriesHygiene(period: 24, secondaryPeriod: 168).clean(y)
            #expect(report.values.allSatisfy { $0.isFinite })
            #expect(report.replaced.enumerated().filter(\.element).map(\.offset) == [5, 100, 101, 300])
        }

        @Test func aRunAtTheEndIsThePresentNotAnOutage() {
            var y = Self.traffic(weeks: 3, seed: 9)
            for t in (y.count - 10)..<y.count { y[t] = 0 }
            let report = SeriesHygiene(period: 24).clean(y)
            #expect(report.outages.isEmpty && report.values == y)
        }

        @Test func quietNightsAreNotOutages() {
            // Night values near zero every day belong to the profile: nothing is replaced.
            var random = SeededRandom(seed: 10)
            let y = (0..<(3 * 168)).map { t in (t % 24 < 6 ? 0.0 : 100.0) + 5 * abs(random.normal()) }
            #expect(SeriesHygiene(period: 24, secondaryPeriod: 168).clean(y).isClean)
        }

        @Test func aLevelShiftAcrossAnOutageIsRecognised() {
            var y = Self.traffic(weeks: 5, seed: 11)
            for t in Self.shutdown.upperBound..<y.count { y[t] *= 1.6 }
            for t in Self.shutdown { y[t] = 0 }
            let report = SeriesHygiene(period: 24, secondaryPeriod: 168).clean(y)
            #expect(report.levelShiftAt == Self.shutdown.upperBound)
            let factor = try! #require(report.levelShiftFactor)
            #expect(abs(factor - 1.6) < 0.1, "factor \(factor)")
            // Before the outage the series now sits at the new level.
            let before = (0..<Self.shutdown.lowerBound).map { report.values[$0] / Self.profile($0) }.reduce(0, +) / Double(Self.shutdown.lowerBound)
            #expect(abs(before / 1600 - 1) < 0.05)
        }

        @Test func forecastsAfterTheShutdownAreGoodAndTheProfileIsNotBent() throws {
            // 4 weeks, the shutdown in week 3, then 48 hours to forecast.
            var random = SeededRandom(seed: 12)
            let n = 4 * 168 + 48
            let truth = (0..<n).map { Self.profile($0) * 1000 * (1 + 0.05 * random.normal()) }
            var y = truth
            for t in Self.shutdown { y[t] = 0 }
            let train = Array(y.prefix(n - 48)), actual = Array(truth.suffix(48))
            let candidates: [AnyForecaster] = [
                .seasonalNaive(SeasonalNaive(period: 24)),
                .harmonicRegression(HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 3)], trend: false,
                                                       seasonalARPeriods: [24, 168])),
                .mstl(MSTL.candidate(periods: [24, 168])),
            ]
            let cleanFit = try AutoForecaster(period: 24, horizon: 48, candidates: candidates).fit(Array(truth.prefix(n - 48)))
            let fit = try AutoForecaster(period: 24, horizon: 48, candidates: candidates).fit(train)
            #expect(fit.outages == [[Self.shutdown.lowerBound, Self.shutdown.upperBound]])
            let f = fit.forecast(horizon: 48, levels: [80]).mean
            let g = cleanFit.forecast(horizon: 48, levels: [80]).mean
            let mase = ForecastMetrics.mase(actual: actual, forecast: f, training: Array(truth.prefix(n - 48)), period: 24)
            #expect(mase < 1.0, "MASE after the shutdown \(mase)")
            // The shutdown does not bend the forecast: close to the one fitted without it.
            let drift = zip(f, g).map { abs($0 - $1) }.reduce(0, +) / zip(g, g).map { abs($0.0) }.reduce(0, +)
            #expect(drift < 0.05, "relative difference to the clean fit \(drift)")
            // Without hygiene the zeros pull the forecast down.
            let raw = try AutoForecaster(period: 24, horizon: 48, candidates: candidates, hygiene: false).fit(train)
            let rawMase = ForecastMetrics.mase(actual: actual, forecast: raw.forecast(horizon: 48, levels: []).mean,
                                               training: Array(truth.prefix(n - 48)), period: 24)
            #expect(mase <= rawMase)
        }

        @Test func autoForecasterTakesMissingValues() throws {
            var y = Self.traffic(weeks: 3, seed: 13)
            y[200] = .nan
            y[201] = .nan
            let fit = try AutoForecaster(period: 24, horizon: 24, candidates: [.seasonalNaive(SeasonalNaive(period: 24))]).fit(y)
            #expect(fit.outages == [[200, 202]])
            #expect(fit.forecast(horizon: 24, levels: [95]).mean.allSatisfy { $0.isFinite })
            #expect(throws: LearnError.self) {
                try AutoForecaster(period: 24, horizon: 24, hygiene: false).fit(y)
            }
        }
    }
}
