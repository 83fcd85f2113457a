import Foundation
import MosaicCore
import MosaicLearn
import Testing

extension TimeSeriesTests {
    @Suite struct ETSTests {
        @Test func holtForecastsALinearTrendExactly() throws {
            let y = (0..<60).map { 5 + 2 * Double($0) }
            let fit = try ETS(trend: .additive).fit(y)
            let f = fit.forecast(horizon: 10, levels: [])
            for k in 0..<10 { #expect(abs(f.mean[k] - (5 + 2 * Double(60 + k))) < 1e-6) }
            // The initial state sits one step before the first value: ℓ₀ + b₀ = y₀.
            #expect(abs(fit.initialState.level - 3) < 1e-6 && abs(fit.initialState.trend - 2) < 1e-6)
        }

        @Test func holtFollowsANoisyTrend() throws {
            var random = SeededRandom(seed: 11)
            let y = (0..<200).map { 50 + 0.5 * Double($0) + random.normal() }
            let fit = try ETS(trend: .additive).fit(y)
            let f = fit.forecast(horizon: 24, levels: [])
            #expect(abs(fit.finalState.trend - 0.5) < 0.05)
            for k in 0..<24 { #expect(abs(f.mean[k] - (50 + 0.5 * Double(200 + k))) < 2.5 + 0.05 * Double(k)) }
        }

        @Test func simpleSmoothingRecoversAlpha() throws {
            let y = ForecastTestData.localLevel(count: 600, alpha: 0.3, sigma: 1, level: 20, seed: 5)
            let fit = try ETS().fit(y)
            #expect(abs(fit.parameters.alpha - 0.3) < 0.08)
            #expect(abs(fit.residualScale - 1) < 0.1)
            // The closed-form variance of ETS(A,N,N): σ²(1 + (h − 1)α²).
            let f = fit.forecast(horizon: 5, levels: [80])
            let z = 1.2815515655446004
            for h in 1...5 {
                let sd = fit.residualScale * (1 + Double(h - 1) * fit.parameters.alpha * fit.parameters.alpha).squareRoot()
                #expect(abs(f.intervals[0].upper[h - 1] - f.mean[h - 1] - z * sd) < 1e-9)
            }
        }

        @Test func additiveSeasonalModelLearnsThePattern() throws {
            let pattern = [5.0, -3, 8, -10]
            let y = ForecastTestData.seasonalLocalLevel(count: 240, pattern: pattern, alpha: 0.1, gamma: 0.05, sigma: 0.5, seed: 9)
            let fit = try ETS(seasonality: .additive, period: 4).fit(y)
            let f = fit.forecast(horizon: 8, levels: [])
            // Consecutive steps differ by the pattern's steps, up to the drift of the states.
            for k in 1..<8 {
                let expected = pattern[(240 + k) % 4] - pattern[(240 + k - 1) % 4]
                #expect(abs((f.mean[k] - f.mean[k - 1]) - expected) < 2.5)
            }
            #expect(abs(fit.finalState.seasonal.reduce(0, +)) < 3)
        }

        @Test func autoPicksTheSeasonalModelAndRecordsEveryCandidate() throws {
            let pattern = (0..<12).map { 10 * sin(2 * Double.pi * Double($0) / 12) }
            let y = ForecastTestData.seasonalLocalLevel(count: 240, pattern: pattern, alpha: 0.2, gamma: 0.05, sigma: 1, seed: 3)
            let fit = try ETS.auto(period: 12).fit(y)
            #expect(fit.specification.seasonality != .none)
            #expect(fit.candidates.count == 9)
            let best = fit.candidates.compactMap(\.aicc).min()
            #expect(fit.aicc == best)
        }

        @Test func autoPrefersNoSeasonOnWhiteNoise() throws {
            var random = SeededRandom(seed: 21)
            let y = (0..<300).map { _ in 10 + random.normal() }
            let fit = try ETS.auto(period: 12).fit(y)
            #expect(fit.specification.seasonality == .none)
        }

        @Test func multiplicativeSeasonIntervalsAreSimulatedDeterministically() throws {
            var random = SeededRandom(seed: 4)
            let y = (0..<192).map { t in
                (100 + Double(t) * 0.2) * (1 + 0.5 * sin(2 * Double.pi * Double(t) / 24)) + 2 * random.normal()
            }
            let fit = try ETS(seasonality: .multiplicative, period: 24).fit(y)
            let a = fit.forecast(horizon: 48, levels: [80, 95])
            let b = fit.forecast(horizon: 48, levels: [80, 95])
            #expect(a == b)
            for k in 0..<48 {
                #expect(a.intervals[1].lower[k] < a.intervals[0].lower[k] && a.intervals[0].lower[k] < a.mean[k])
                #expect(a.mean[k] < a.intervals[0].upper[k] && a.intervals[0].upper[k] < a.intervals[1].upper[k])
            }
            #expect(abs(a.mean[0] - y[168]) < 25)  // one day on, same phase
        }

        @Test func intervalsCoverEightyPercentOnSimulatedSeries() throws {
            var inside = 0, total = 0
            for seed in 0..<150 {
                let y = ForecastTestData.localLevel(count: 130, alpha: 0.4, sigma: 2, level: 50, seed: UInt64(1000 + seed))
                let fit = try ETS().fit(Array(y.prefix(120)))
                let interval = fit.forecast(horizon: 10, levels: [80]).intervals[0]
                for k in 0..<10 where y[120 + k] >= interval.lower[k] && y[120 + k] <= interval.upper[k] { inside += 1 }
                total += 10
            }
            for seed in 0..<100 {
                let y = ForecastTestData.seasonalLocalLevel(count: 106, pattern: [4, -1, -6, 3], alpha: 0.2, gamma: 0.1,
                                                            sigma: 1, seed: UInt64(5000 + seed))
                let fit = try ETS(seasonality: .additive, period: 4).fit(Array(y.prefix(100)))
                let interval = fit.forecast(horizon: 6, levels: [80]).intervals[0]
                for k in 0..<6 where y[100 + k] >= interval.lower[k] && y[100 + k] <= interval.upper[k] { inside += 1 }
                total += 6
            }
            let coverage = Double(inside) / Double(total)
            #expect(coverage >= 0.75 && coverage <= 0.85, "80% intervals covered \(coverage)")
        }

        @Test func fittedModelRoundTripsThroughJSON() throws {
            let y = ForecastTestData.seasonalLocalLevel(count: 80, pattern: [1, -1, 2, -2], alpha: 0.2, gamma: 0.1, sigma: 0.3, seed: 2)
            let fit = try ETS(trend: .additiveDamped, seasonality: .additive, period: 4).fit(y)
            let decoded = try JSONDecoder().decode(ETS.Fitted.self, from: JSONEncoder().encode(fit))
            #expect(decoded == fit)
            #expect(decoded.forecast(horizon: 5, levels: [90]) == fit.forecast(horizon: 5, levels: [90]))
        }
    }
}
