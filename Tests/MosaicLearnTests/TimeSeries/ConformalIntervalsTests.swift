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

        /// A daily cycle between 10 and 190 and its errors, whose spread grows as the level to
        /// the power `gamma`: ½ as for counts (Poisson), 0 for the same spread at every hour.
        static func levelPaths(origins: Int, gamma: Double, random: inout SeededRandom) -> (forecasts: [[Double]], errors: [[Double]]) {
            let forecast = (0..<48).map { k in 100 - 90 * cos(2 * Double.pi * Double(k) / 24) }
            let errors = (0..<origins).map { _ in forecast.map { f in 10 * pow(f / 100, gamma) * random.normal() } }
            return (Array(repeating: forecast, count: origins), errors)
        }

        @Test func widthsFollowTheLevelWhereTheErrorsDo() throws {
            var random = SeededRandom(seed: 8)
            let calibration = Self.levelPaths(origins: 4, gamma: 0.5, random: &random)
            let scaled = try #require(ConformalIntervals(errors: calibration.errors, forecasts: calibration.forecasts))
            let flat = try #require(ConformalIntervals(errors: calibration.errors))
            #expect(scaled.levelExponent == 0.5)
            #expect(flat.levelExponent == nil)
            // On fresh errors the level-scaled 80 % interval covers about 80 % at the troughs
            // and at the peaks alike; one width over-covers the troughs and under-covers the
            // peaks, and is wider on average.
            let fresh = Self.levelPaths(origins: 200, gamma: 0.5, random: &random)
            func check(_ c: ConformalIntervals) -> (low: Double, high: Double, width: Double) {
                var inside = [0, 0], count = [0, 0], width = 0.0
                for (f, e) in zip(fresh.forecasts, fresh.errors) {
                    let i = c.intervals(mean: f, levels: [80])[0]
                    for k in f.indices {
                        let half = f[k] < 100 ? 0 : 1
                        count[half] += 1
                        width += i.upper[k] - i.lower[k]
                        if i.lower[k] <= f[k] + e[k] && f[k] + e[k] <= i.upper[k] { inside[half] += 1 }
                    }
                }
                return (Double(inside[0]) / Double(count[0]), Double(inside[1]) / Double(count[1]), width / Double(count[0] + count[1]))
            }
            let s = check(scaled), o = check(flat)
            #expect(s.low > 0.72 && s.low < 0.88 && s.high > 0.72 && s.high < 0.88, "level-scaled: \(s)")
            #expect(o.low - o.high > 0.1, "one width: \(o)")
            #expect(s.width < o.width, "mean width \(s.width) against \(o.width)")
        }

        @Test func oneWidthIsKeptWhereTheErrorsDoNotFollowTheLevel() throws {
            var random = SeededRandom(seed: 9)
            let calibration = Self.levelPaths(origins: 4, gamma: 0, random: &random)
            let c = try #require(ConformalIntervals(errors: calibration.errors, forecasts: calibration.forecasts))
            #expect(c.levelExponent == nil)
            // Weights of a path average about 1, and a forecast of 0 keeps a tenth of the mean's width.
            let w = ConformalIntervals.weights([0, 100, 200], exponent: 1)
            #expect(abs(w[0] - 10.0 / 110) < 1e-12 && abs(w[1] - 1) < 1e-12 && abs(w[2] - 210.0 / 110) < 1e-12)
            #expect(ConformalIntervals.weights([-5, 0], exponent: 1) == [1, 1])
        }

        @Test func filesWithoutALevelExponentKeepOneWidth() throws {
            var random = SeededRandom(seed: 10)
            let calibration = Self.levelPaths(origins: 4, gamma: 1, random: &random)
            let scaled = try #require(ConformalIntervals(errors: calibration.errors, forecasts: calibration.forecasts))
            var json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(scaled)) as? [String: Any])
            #expect(json["levelExponent"] as? Double == 0.5)
            json["levelExponent"] = nil
            let old = try JSONDecoder().decode(ConformalIntervals.self, from: JSONSerialization.data(withJSONObject: json))
            #expect(old.levelExponent == nil)
            let i = old.intervals(mean: [10, 190], levels: [80])[0]
            for k in 0..<2 { #expect(abs((i.upper[k] - i.lower[k]) - 2 * old.quantile(level: 80) * old.scale(step: k)) < 1e-9) }
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
            #expect(errors.errors == [[-10, -10], [-1, -1], [-1, -1], [-1, -1]])
            #expect(errors.forecasts == [[10, 10], [1, 1], [1, 1], [1, 1]])
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
