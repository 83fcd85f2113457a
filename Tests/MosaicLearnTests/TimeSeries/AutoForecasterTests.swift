import Foundation
import MosaicCore
import MosaicLearn
import Synchronization
import Testing

extension TimeSeriesTests {
    @Suite struct AutoForecasterTests {
        /// A daily cycle (m = 24) with AR(1) noise, 20 days.
        static let series = ForecastTestData.withAR1Errors(count: 480, phi: 0.5, sigma: 2, seed: 31) { t in
            100 + 30 * sin(2 * Double.pi * Double(t) / 24) + 10 * cos(4 * Double.pi * Double(t) / 24)
        }

        /// Cheap candidates, so the tests stay fast in debug builds.
        static let candidates: [AnyForecaster] = [
            .seasonalNaive(SeasonalNaive(period: 24)),
            .ets(ETS(seasonality: .additive, period: 24)),
            .harmonicRegression(HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 3)], trend: false,
                                                   seasonalARPeriods: [24])),
            .harmonicRegression(HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 6)], trend: false)),
        ]

        @Test func scoresEveryCandidateAndKeepsTheBest() throws {
            let auto = AutoForecaster(period: 24, horizon: 24, candidates: Self.candidates, combination: false)
            let fit = try auto.fit(Self.series)
            #expect(fit.scores.count == Self.candidates.count)
            #expect(fit.scores.allSatisfy { $0.mase != nil })
            let best = fit.scores.min { $0.mase! < $1.mase! }!
            #expect(fit.chosen == [best.name])
            #expect(fit.members.count == 1 && !fit.isCombination)
            #expect(fit.chosen[0].hasPrefix("HarmonicRegression"))  // the model that generated the data
            #expect(fit.modelForecast(horizon: 24, levels: [80]) == fit.members[0].forecast(horizon: 24, levels: [80]))
            #expect(fit.forecast(horizon: 24, levels: [80]).mean == fit.members[0].forecast(horizon: 24, levels: []).mean)
        }

        @Test func combinationAveragesItsMembers() throws {
            // A daily pattern plus white noise: seasonal naive with periods 24, 48 and 72 make
            // independent errors of equal size, so their mean scores better than any of them.
            var random = SeededRandom(seed: 32)
            let y = (0..<480).map { 50 + 20 * sin(2 * Double.pi * Double($0) / 24) + 3 * random.normal() }
            let candidates: [AnyForecaster] = [24, 48, 72].map { .seasonalNaive(SeasonalNaive(period: $0)) }
            let fit = try AutoForecaster(period: 24, horizon: 24, candidates: candidates).fit(y)
            #expect(fit.isCombination)
            #expect(fit.scores.filter { $0.members.count > 1 }.count == 2)  // best 2 and best 3
            let chosenScore = fit.scores.first { $0.members == fit.chosen }!.mase!
            #expect(fit.scores.compactMap(\.mase).allSatisfy { chosenScore <= $0 })
            let f = fit.modelForecast(horizon: 30, levels: [80])
            #expect(fit.forecast(horizon: 30, levels: [80]).mean == f.mean)
            let parts = fit.members.map { $0.forecast(horizon: 30, levels: [80]) }
            for k in 0..<30 {
                let mean = parts.reduce(0) { $0 + $1.mean[k] } / Double(parts.count)
                let lower = parts.reduce(0) { $0 + $1.intervals[0].lower[k] } / Double(parts.count)
                let upper = parts.reduce(0) { $0 + $1.intervals[0].upper[k] } / Double(parts.count)
                #expect(abs(f.mean[k] - mean) < 1e-9)
                #expect(abs(f.intervals[0].lower[k] - lower) < 1e-9 && abs(f.intervals[0].upper[k] - upper) < 1e-9)
            }
            let fitted = fit.members.map(\.fittedValues)
            #expect(fit.fittedValues[100] == fitted.reduce(0) { $0 + $1[100] } / Double(fitted.count))
            #expect(fit.fittedValues[30].isNaN)  // SeasonalNaive(72) has no prediction yet
        }

        @Test func constantSeriesNeedsNoCrossValidation() throws {
            let fit = try AutoForecaster(period: 24, horizon: 48).fit([Double](repeating: 0, count: 200))
            #expect(fit.scores.isEmpty)
            #expect(fit.chosen == ["SeasonalNaive(24)"])
            let f = fit.forecast(horizon: 48, levels: [95])
            #expect(f.mean.allSatisfy { $0 == 0 })
            #expect(f.intervals[0].lower == f.mean && f.intervals[0].upper == f.mean)
        }

        @Test func tooShortToScoreKeepsTheFirstCandidateThatFits() throws {
            let y = Array(Self.series.prefix(60))  // 60 − 3·48 < 1: no origin
            let fit = try AutoForecaster(period: 24, horizon: 48, candidates: Self.candidates).fit(y)
            #expect(fit.scores.allSatisfy { $0.mase == nil })
            #expect(fit.chosen == ["SeasonalNaive(24)"])
            #expect(throws: LearnError.self) { try AutoForecaster(period: 24, horizon: 48).fit(Array(y.prefix(24))) }
        }

        @Test func parallelFitsEqualSequentialOnes() throws {
            let auto = AutoForecaster(period: 24, horizon: 24, candidates: Self.candidates)
            let many = (0..<4).map { i in Self.series.map { $0 + Double(i) * 5 } } + [[1, 2, 3]]
            let sequential = auto.fit(many, concurrently: false)
            let parallel = auto.fit(many, concurrently: true)
            #expect(sequential.count == 5 && parallel.count == 5)
            for (a, b) in zip(sequential, parallel) {
                switch (a, b) {
                case (.success(let x), .success(let y)): #expect(x == y)
                case (.failure(let x), .failure(let y)): #expect(x == y)
                default: Issue.record("sequential and parallel results differ")
                }
            }
            if case .success = sequential[4] { Issue.record("a 3-value series cannot be fitted with period 24") }
        }

        /// Progress counts a fit's steps (each candidate on the whole series, then at the
        /// origins) and, for several series, the series fitted; it does not change the fit.
        @Test func progressCountsStepsAndSeries() throws {
            let auto = AutoForecaster(period: 24, horizon: 24, candidates: Self.candidates)
            var seen: [(Int, Int)] = []
            let fit = try auto.fit(Self.series) { seen.append(($0, $1)) }
            #expect(seen.map(\.0) == Array(1...8) && seen.allSatisfy { $0.1 == 8 })
            #expect(fit == (try auto.fit(Self.series)))

            let counts = Mutex<[Int]>([])
            let many = (0..<3).map { i in Self.series.map { $0 + Double(i) } }
            _ = auto.fit(many, concurrently: true) { done, total in
                #expect(total == 3)
                counts.withLock { $0.append(done) }
            }
            #expect(counts.withLock { $0.sorted() } == [1, 2, 3])
            let single = Mutex(0)
            _ = auto.fit([Self.series], concurrently: true) { done, _ in single.withLock { $0 = max($0, done) } }
            #expect(single.withLock { $0 } == 8, "one series reports its steps")
        }

        @Test func defaultCandidatesIncludeETSAndWeeklyLags() {
            let names = AutoForecaster(period: 24, horizon: 48).candidates.map(\.name)
            #expect(names.contains("SeasonalNaive(24)") && names.contains("ETS.auto(24)"))
            #expect(names.filter { $0.hasPrefix("HarmonicRegression") && $0.contains("24,168") }.count == 3)
            #expect(names.contains("MSTL(24,168), fast"))
            #expect(AutoForecaster(period: 24, horizon: 48).origins == 4)  // 4 × 48 hours cover the week
        }

        @Test func originsTooShortToSeeTheWeekAreLeftOut() {
            let auto = AutoForecaster(period: 24, horizon: 48)
            #expect(auto.minimumTrain == 169)  // a week and an hour: MSTL's weekly component
            func cuts(_ n: Int, _ a: AutoForecaster = auto) -> [Int] {
                a.crossValidationForecasts(Self.series.count >= n ? Array(Self.series.prefix(n)) : []).cuts
            }
            #expect(cuts(408) == [216, 264, 312, 360])  // 17 days: every origin has the week
            #expect(cuts(360) == [216, 264, 312])
            #expect(cuts(264) == [216])
            #expect(cuts(200) == [8, 56, 104, 152])  // none has it: all are kept
            var every = auto
            every.minimumTrain = 1
            #expect(cuts(264, every) == [72, 120, 168, 216])
        }

        /// Two weeks of office traffic (weekends at 30 %) end on a Sunday: the forecast for the
        /// Monday must be a weekday's. MSTL sees the week from 169 values, and the origins before
        /// that are left out; when MSTL needed two weeks and every origin counted, the choice
        /// followed the weekend into Monday.
        @Test func twoWeeksAreEnoughToForecastAMondayAfterAWeekend() throws {
            var random = SeededRandom(seed: 33)
            let y = (0..<336).map { t -> Double in
                let weekday = (t / 24) % 7 < 5
                return (weekday ? 1 : 0.3) * (100 + 60 * sin(2 * Double.pi * Double(t - 6) / 24)) + 4 * random.normal()
            }
            let fit = try AutoForecaster(period: 24, horizon: 48).fit(y)
            #expect(fit.chosen.contains("MSTL(24,168), fast"))
            let monday = fit.forecast(horizon: 24, levels: []).mean
            let lastMonday = Array(y[168..<192])
            let error = zip(monday, lastMonday).map { abs($0 - $1) }.reduce(0, +) / 24
            let sunday = zip(Array(y[312..<336]), lastMonday).map { abs($0 - $1) }.reduce(0, +) / 24
            #expect(error < 0.25 * sunday, "Monday forecast off by \(error) an hour; Sunday differs by \(sunday)")
            // Three origins of four were left: the intervals are at least the model's own.
            #expect(fit.widenedToModels == true)
            let f = fit.forecast(horizon: 48, levels: [80, 95])
            let own = fit.modelForecast(horizon: 48, levels: [80, 95])
            for i in 0..<2 {
                #expect(zip(f.intervals[i].lower, own.intervals[i].lower).allSatisfy { $0 <= Swift.max($1, 0) })
                #expect(zip(f.intervals[i].upper, own.intervals[i].upper).allSatisfy { $0 >= $1 })
            }
            let long = try AutoForecaster(period: 24, horizon: 48).fit(y + y.prefix(168))  // three weeks
            #expect(long.widenedToModels == nil)
        }

        @Test func aSeriesThatIsNeverNegativeIsNeverForecastNegative() throws {
            let auto = AutoForecaster(period: 24, horizon: 24, candidates: Self.candidates)
            // Troughs cut at 0 for a few hours a day, as night-time request counts are.
            let counts = Self.series.map { max(0, $0 - 75) }
            let fit = try auto.fit(counts)
            #expect(fit.floor == 0)
            let f = fit.forecast(horizon: 24, levels: [80, 95])
            let raw = fit.modelForecast(horizon: 24, levels: [])
            let bounds = try #require(fit.conformal).intervals(mean: raw.mean, levels: [80, 95])
            #expect(bounds.contains { $0.lower.contains { $0 < 0 } }, "the test needs a bound below 0")
            #expect(f.mean == raw.mean.map { max(0, $0) })
            for (i, b) in bounds.enumerated() {
                #expect(f.intervals[i].lower == b.lower.map { max(0, $0) })
                #expect(f.intervals[i].upper == b.upper.map { max(0, $0) })
            }

            // A series with negative values is left as the models forecast it, and so is a model
            // file written before the floor existed.
            let signed = try auto.fit(Self.series.map { $0 - 100 })
            #expect(signed.floor == nil)
            let s = signed.forecast(horizon: 24, levels: [80])
            #expect(s.mean == signed.modelForecast(horizon: 24, levels: []).mean && s.mean.contains { $0 < 0 })
            var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(fit)) as! [String: Any]
            #expect(json.removeValue(forKey: "floor") != nil)
            let old = try JSONDecoder().decode(AutoForecaster.Fitted.self, from: JSONSerialization.data(withJSONObject: json))
            #expect(old.floor == nil)
            #expect(old.forecast(horizon: 24, levels: []).mean == raw.mean)
        }

        @Test func fittedModelRoundTripsThroughJSON() throws {
            let fit = try AutoForecaster(period: 24, horizon: 24, candidates: Self.candidates).fit(Self.series)
            let data = try JSONEncoder().encode(fit)
            let decoded = try JSONDecoder().decode(AutoForecaster.Fitted.self, from: data)
            #expect(decoded == fit)
            #expect(decoded.forecast(horizon: 24, levels: [80, 95]) == fit.forecast(horizon: 24, levels: [80, 95]))
        }
    }
}
