import Foundation
import MosaicLearn
import Testing

/// Bad input, the same for every forecaster: empty, non-finite (the error names the index),
/// too short (the error names the minimum), constant, and values the model cannot take.
extension TimeSeriesTests {
    @Suite struct SeriesInputTests {
        static let forecasters: [AnyForecaster] = [
            .naive(Naive()),
            .seasonalNaive(SeasonalNaive(period: 24)),
            .ets(.auto(period: 24)),
            .ets(ETS(trend: .additiveDamped, seasonality: .multiplicative, period: 24)),
            .harmonicRegression(HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 3)], seasonalARPeriods: [24, 168])),
        ]

        /// The `LearnError` that `body` throws, or nil.
        static func message(_ body: () throws -> Void) -> LearnError? {
            do { try body(); return nil } catch { return error as? LearnError }
        }

        @Test func emptySeriesIsAnError() {
            for f in Self.forecasters { #expect(Self.message { _ = try f.fit([]) } == .emptyTrainingSet) }
        }

        @Test func nonFiniteValuesAreNamedByIndex() {
            var y = (0..<400).map { 10 + Double($0 % 24) }
            y[137] = .nan
            for f in Self.forecasters {
                guard case .nonFinite(let m) = Self.message({ _ = try f.fit(y) }) else { Issue.record("\(f.name) accepted NaN"); continue }
                #expect(m.contains("index 137") && m.contains("nan"))
            }
            y[137] = .infinity
            guard case .nonFinite(let m) = Self.message({ _ = try AutoForecaster(period: 24, horizon: 48).fit(y) }) else {
                Issue.record("AutoForecaster accepted infinity"); return
            }
            #expect(m.contains("index 137"))
        }

        @Test func shortSeriesNameTheMinimum() {
            let y = [1.0, 2, 3]
            guard case .seriesTooShort(_, let minimum, let count) = Self.message({ _ = try SeasonalNaive(period: 24).fit(y) }) else {
                Issue.record("seasonal naive accepted 3 values"); return
            }
            #expect(minimum == 25 && count == 3)
            // Said plainly, not as a "dimension mismatch" (what `mosaic forecast` printed for a short file).
            #expect(Self.message({ _ = try SeasonalNaive(period: 24).fit(y) })?.description
                == "the series is too short: the seasonal naive forecast with period 24 needs at least 25 values; it has 3")
            guard case .seriesTooShort(let e, let least, _) = Self.message({ _ = try ETS(seasonality: .additive, period: 24).fit(Array(repeating: 1, count: 40) + [2]) }) else {
                Issue.record("seasonal ETS accepted 41 values"); return
            }
            #expect(e.contains("ETS(A,N,A)") && least == 48)
            #expect(Self.message { _ = try Naive().fit([1]) } != nil)
            #expect(Self.message { _ = try HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 10)]).fit(y) } != nil)
            // ETS.auto falls back to the non-seasonal models when the series is too short for a season.
            let fit = try? ETS.auto(period: 24).fit((0..<30).map { Double($0 % 5) })
            #expect(fit?.specification.seasonality == ETS.Seasonality.none)
        }

        @Test func allZeroSeriesForecastZeroWithZeroWidthIntervals() throws {
            let y = [Double](repeating: 0, count: 400)
            for f in Self.forecasters + [.harmonicRegression(HarmonicRegression(seasonalities: [.init(period: 24)]))] {
                if case .ets(let e) = f, e.candidates == [.init(trend: .additiveDamped, seasonality: .multiplicative)] {
                    // Asked for explicitly, multiplicative seasonality still needs positive values.
                    #expect(Self.message { _ = try f.fit(y) } != nil)
                    continue
                }
                let forecast = try f.fit(y).forecast(horizon: 30, levels: [80, 95])
                #expect(forecast.mean.allSatisfy { $0 == 0 }, "\(f.name)")
                for interval in forecast.intervals { #expect(interval.lower == forecast.mean && interval.upper == forecast.mean) }
                #expect(try f.fit(y).residualScale == 0)
            }
        }

        @Test func multiplicativeSeasonalityNeedsPositiveValues() throws {
            var y = (0..<200).map { 50 + 20 * sin(Double($0) / 3) }
            y[60] = -1
            let explicit = Self.message { _ = try ETS(seasonality: .multiplicative, period: 24).fit(y) }
            guard case .invalidConfiguration(let m) = explicit else { Issue.record("accepted a negative value"); return }
            #expect(m.contains("index 60") && m.contains("strictly positive"))
            let auto = try ETS.auto(period: 24).fit(y)
            #expect(auto.specification.seasonality != .multiplicative)
            #expect(auto.candidates.count == 6)  // the three multiplicative ones are not candidates
            y[60] = 0
            #expect(Self.message { _ = try HarmonicRegression(seasonalities: [], logTransform: true).fit(y) } != nil)
        }

        @Test func badConfigurationsAreErrors() {
            let y = (0..<300).map { Double($0 % 24) }
            #expect(Self.message { _ = try HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 13)]).fit(y) } != nil)
            #expect(Self.message { _ = try HarmonicRegression(seasonalities: [.init(period: 1, harmonics: 0)]).fit(y) } != nil)
            #expect(Self.message { _ = try SeasonalNaive(period: 0).fit(y) } != nil)
            #expect(Self.message { _ = try AutoForecaster(period: 24, horizon: 0).fit(y) } != nil)
        }
    }
}
