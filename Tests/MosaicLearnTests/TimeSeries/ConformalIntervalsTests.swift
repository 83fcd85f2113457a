import Foundation
import MosaicCore
@testable import MosaicLearn
import Testing

extension TimeSeriesTests {
    @Suite struct ConformalIntervalsTests {
        /// Errors whose spread grows like √k, as forecast errors do.
        static func errors(origins: Int, horizon: Int, random: inout SeededRandom) -> [[Double]] {
            (0..<origins).map { _ in (0..<horizon).map { k in 10 * (1 + 0.3 * Double(k + 1).squareRoot()) * random.normal() } }
        }

        @Test func coverageHoldsOnFreshErrors() throws {
            var random = SeededRandom(seed: 41)
            let c = try #require(ConformalIntervals(errors: Self.errors(origins: 4, horizon: 48, random: &random)))
            #expect(c.slope > 0)
            var inside: [Double: Int] = [80: 0, 95: 0]
            let fresh = Self.errors(origins: 200, horizon: 48, random: &random)
            for path in fresh {
                let zero = [Double](repeating: 0, count: 48)
                for interval in c.intervals(mean: zero, levels: [80, 95]) {
                    for k in 0..<48 where interval.lower[k] <= path[k] && path[k] <= interval.upper[k] { inside[interval.level]! += 1 }
                }
            }
            let total = Double(200 * 48)
            let c80 = Double(inside[80]!) / total, c95 = Double(inside[95]!) / total
            #expect(c80 > 0.72 && c80 < 0.88, "80 % coverage \(c80)")
            #expect(c95 > 0.91 && c95 < 0.99, "95 % coverage \(c95)")
        }

        @Test func tooFewErrorsGiveNone() {
            #expect(ConformalIntervals(errors: [[1, 2, 3], [.nan, 4]]) == nil)
        }

        @Test func autoForecasterIntervalsCoverSimulatedSeries() throws {
            // 40 seeded series (daily cycle plus AR(1) noise), each forecast 48 steps ahead.
            let candidates: [AnyForecaster] = [
                .seasonalNaive(SeasonalNaive(period: 24)),
                .harmonicRegression(HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 3)], trend: false,
                                                       seasonalARPeriods: [24])),
            ]
            var inside: [Double: Int] = [80: 0, 95: 0]
            var total = 0
            for seed in 0..<40 {
                let y = ForecastTestData.withAR1Errors(count: 600 + 48, phi: 0.6, sigma: 5, seed: UInt64(500 + seed)) { t in
                    100 + 30 * sin(2 * Double.pi * Double(t) / 24)
                }
                let fit = try AutoForecaster(period: 24, horizon: 48, candidates: candidates).fit(Array(y.prefix(600)))
                #expect(fit.conformal != nil)
                let f = fit.forecast(horizon: 48, levels: [80, 95])
                for interval in f.intervals {
                    for k in 0..<48 where interval.lower[k] <= y[600 + k] && y[600 + k] <= interval.upper[k] { inside[interval.level]! += 1 }
                }
                total += 48
            }
            let c80 = Double(inside[80]!) / Double(total), c95 = Double(inside[95]!) / Double(total)
            #expect(c80 > 0.7 && c80 < 0.9, "80 % coverage \(c80)")
            #expect(c95 > 0.88 && c95 < 0.99, "95 % coverage \(c95)")
        }

        @Test func eachOriginIsCalibratedOnTheChoiceMadeWithoutIt() {
            // Candidate 0 is exact at origins 1–3 and 10 off at origin 0 (mean 2.5); candidate 1
            // is 1 off everywhere (mean 1), so candidate 1 wins on all four origins. Without
            // origin 0, candidate 0 would have won (0 < 1) and erred by 10 there; without any
            // other origin, candidate 1 still wins. The winner's own errors would be all 1s.
            let plan = ForecastCrossValidation.Plan(cuts: [0, 2, 4, 6])
            let actual = [Double](repeating: 0, count: 8)
            let scales = [1.0, 1, 1, 1]
            let paths: [[[Double]]?] = [[[10, 10], [0, 0], [0, 0], [0, 0]], [[1, 1], [1, 1], [1, 1], [1, 1]]]
            let winner = ForecastCrossValidation.rank(paths: paths, names: ["a", "b"], actual: actual, plan: plan, scales: scales,
                                                      combination: false, maxCombined: 2).best
            #expect(winner == [1])
            let errors = ForecastCrossValidation.selectionErrors(paths: paths, actual: actual, plan: plan, scales: scales,
                                                                 combination: false, maxCombined: 2, fallback: [1], horizon: 2)
            #expect(errors == [[-10, -10], [-1, -1], [-1, -1], [-1, -1]])
        }

        @Test func crossValidationSeesNothingAfterItsOrigins() throws {
            // Changing every value after an origin leaves that origin's forecasts unchanged.
            var y = ForecastTestData.withAR1Errors(count: 700, phi: 0.5, sigma: 3, seed: 77) { t in
                50 + 10 * sin(2 * Double.pi * Double(t) / 24)
            }
            y[650] = .nan
            let auto = AutoForecaster(period: 24, horizon: 48, candidates: [
                .seasonalNaive(SeasonalNaive(period: 24)), .ets(.auto(period: 24)),
                .mstl(MSTL.candidate(periods: [24, 168])),
            ])
            let base = auto.crossValidationForecasts(y)
            #expect(base.cuts.count == 4)
            for (o, cut) in base.cuts.enumerated() {
                var altered = y
                for t in cut..<y.count { altered[t] = altered[t] * 3 + 17 }
                let other = auto.crossValidationForecasts(altered)
                for c in base.paths.indices {
                    let a = try #require(base.paths[c]), b = try #require(other.paths[c])
                    #expect(a[o] == b[o], "candidate \(c) at origin \(o) changed")
                }
            }
        }
    }
}
