import Foundation
import MosaicCore
import MosaicLearn
import Testing

extension TimeSeriesTests {
    @Suite struct HarmonicRegressionTests {
        /// 5 + 0.01t + 3cos(ωt) − 2sin(ωt) + 1.5cos(2ωt), ω = 2π/24.
        static func knownMean(_ t: Int) -> Double {
            let w = 2 * Double.pi * Double(t) / 24
            return 5 + 0.01 * Double(t) + 3 * cos(w) - 2 * sin(w) + 1.5 * cos(2 * w)
        }

        @Test func recoversKnownFourierCoefficients() throws {
            var random = SeededRandom(seed: 8)
            let y = (0..<480).map { Self.knownMean($0) + 0.1 * random.normal() }
            let model = HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 2)], trend: true, maxAROrder: 0)
            let fit = try model.fit(y)
            // Columns: trend, cos ωt, sin ωt, cos 2ωt, sin 2ωt.
            let expected = [0.01, 3, -2, 1.5, 0]
            #expect(fit.regression.coefficients.count == 5)
            for (got, want) in zip(fit.regression.coefficients, expected) { #expect(abs(got - want) < 0.02) }
            #expect(abs(fit.regression.intercept - 5) < 0.05)
            #expect(fit.arLags.isEmpty)
            let f = fit.forecast(horizon: 24, levels: [])
            for k in 0..<24 { #expect(abs(f.mean[k] - Self.knownMean(480 + k)) < 0.05) }
        }

        @Test func aiccChoosesTheNumberOfHarmonics() throws {
            var random = SeededRandom(seed: 9)
            let y = (0..<480).map { Self.knownMean($0) + 0.3 * random.normal() }
            let fit = try HarmonicRegression(seasonalities: [.init(period: 24)], trend: true, maxAROrder: 0).fit(y)
            #expect(fit.seasonalities[0].harmonics == 2)
        }

        @Test func autoregressiveErrorsAreEstimatedAndPropagated() throws {
            let y = ForecastTestData.withAR1Errors(count: 1_000, phi: 0.7, sigma: 1, seed: 12) { Self.knownMean($0) }
            let fit = try HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 2)], maxAROrder: 3).fit(y)
            #expect(fit.arLags.first == 1)
            #expect(abs(fit.arCoefficients[0] - 0.7) < 0.08)
            #expect(abs(fit.innovationScale - 1) < 0.08)
            // Step-h standard deviation σ√(Σ_{j<h} ψⱼ²); for AR(1), ψⱼ = φʲ.
            if fit.arLags == [1] {
                let phi = fit.arCoefficients[0]
                let f = fit.forecast(horizon: 6, levels: [80])
                let z = 1.2815515655446004
                for h in 1...6 {
                    let variance = (0..<h).reduce(0.0) { $0 + pow(phi, 2 * Double($1)) }
                    #expect(abs((f.intervals[0].upper[h - 1] - f.mean[h - 1]) - z * fit.innovationScale * variance.squareRoot()) < 1e-9)
                }
            }
        }

        @Test func weekendFlagFollowsTheCalendar() throws {
            var random = SeededRandom(seed: 13)
            // The series starts on a Wednesday at 06:00; weekends add 4.
            let calendar = HarmonicRegression.Weekend(firstWeekday: 2, periodsPerDay: 24, firstPeriodOfDay: 6)
            #expect(!calendar.isWeekend(0) && calendar.isWeekend(24 * 3 - 6) && !calendar.isWeekend(24 * 5 - 6))
            let y = (0..<(24 * 28)).map { 10 + (calendar.isWeekend($0) ? 4 : 0) + 0.2 * random.normal() }
            let fit = try HarmonicRegression(seasonalities: [], trend: false, weekend: calendar, maxAROrder: 0).fit(y)
            #expect(abs(fit.regression.coefficients[0] - 4) < 0.05)
            let f = fit.forecast(horizon: 48, levels: [])
            for k in 0..<48 { #expect(abs(f.mean[k] - (calendar.isWeekend(24 * 28 + k) ? 14 : 10)) < 0.1) }
        }

        @Test func logTransformForecastsTheMedian() throws {
            var random = SeededRandom(seed: 14)
            let y = (0..<240).map { t in exp(3 + 0.5 * sin(2 * Double.pi * Double(t) / 24) + 0.05 * random.normal()) }
            let fit = try HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 1)], trend: false,
                                             maxAROrder: 0, logTransform: true).fit(y)
            let f = fit.forecast(horizon: 24, levels: [95])
            for k in 0..<24 {
                let median = exp(3 + 0.5 * sin(2 * Double.pi * Double(240 + k) / 24))
                #expect(abs(f.mean[k] / median - 1) < 0.02)
                #expect(f.intervals[0].lower[k] > 0 && f.intervals[0].lower[k] < f.mean[k] && f.mean[k] < f.intervals[0].upper[k])
            }
        }

        @Test func intervalsCoverEightyPercentOnSimulatedSeries() throws {
            var inside = 0, total = 0
            for seed in 0..<120 {
                let y = ForecastTestData.withAR1Errors(count: 360, phi: 0.6, sigma: 1, seed: UInt64(700 + seed)) { Self.knownMean($0) }
                let fit = try HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 2)], trend: true,
                                                 maxAROrder: 3).fit(Array(y.prefix(336)))
                let interval = fit.forecast(horizon: 24, levels: [80]).intervals[0]
                for k in 0..<24 where y[336 + k] >= interval.lower[k] && y[336 + k] <= interval.upper[k] { inside += 1 }
                total += 24
            }
            let coverage = Double(inside) / Double(total)
            #expect(coverage >= 0.75 && coverage <= 0.85, "80% intervals covered \(coverage)")
        }

        @Test func fittedModelRoundTripsThroughJSON() throws {
            let y = ForecastTestData.withAR1Errors(count: 400, phi: 0.5, sigma: 1, seed: 15) { Self.knownMean($0) }
            let model = HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 3), .init(period: 168, harmonics: 1)],
                                           weekend: .init(firstWeekday: 0, periodsPerDay: 24), seasonalARPeriods: [24])
            let fit = try model.fit(y)
            let decoded = try JSONDecoder().decode(HarmonicRegression.Fitted.self, from: JSONEncoder().encode(fit))
            #expect(decoded == fit)
            #expect(decoded.forecast(horizon: 30, levels: [80]) == fit.forecast(horizon: 30, levels: [80]))
            // One-step predictions start once the longest AR lag (25) has history; NaN before,
            // which the JSON round trip keeps (as null).
            #expect(fit.fittedValues.prefix(25).allSatisfy { $0.isNaN })
            #expect(fit.fittedValues.dropFirst(25).allSatisfy { $0.isFinite })
        }
    }
}
