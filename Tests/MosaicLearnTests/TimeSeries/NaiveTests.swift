import Foundation
import MosaicLearn
import Testing

extension TimeSeriesTests {
    @Suite struct NaiveTests {
        @Test func naiveRepeatsTheLastValueWithRandomWalkIntervals() throws {
            let y = [1.0, 3, 2, 5]
            let fit = try Naive().fit(y)
            let sigma = ((4.0 + 1 + 9) / 3).squareRoot()  // residuals 2, −1, 3
            #expect(abs(fit.residualScale - sigma) < 1e-12)
            #expect(fit.fittedValues[0].isNaN)
            #expect(Array(fit.fittedValues.dropFirst()) == [1, 3, 2])
            let f = fit.forecast(horizon: 4, levels: [80, 95])
            #expect(f.mean == [5, 5, 5, 5])
            let z80 = 1.2815515655446004
            for h in 1...4 {
                let half = z80 * sigma * Double(h).squareRoot()
                #expect(abs(f.intervals[0].upper[h - 1] - (5 + half)) < 1e-12)
                #expect(abs(f.intervals[0].lower[h - 1] - (5 - half)) < 1e-12)
            }
            #expect(abs(f.intervals[1].upper[0] - (5 + 1.959963984540054 * sigma)) < 1e-12)
            #expect(f.interval(level: 95) == f.intervals[1])
        }

        @Test func seasonalNaiveForecastsAPureSeasonalSeriesExactly() throws {
            let pattern = [3.0, 7, 1, 9, 4, 4, 2]
            let y = (0..<50).map { pattern[$0 % 7] }  // ends mid-cycle: position 50 % 7 = 1 comes next
            let fit = try SeasonalNaive(period: 7).fit(y)
            let f = fit.forecast(horizon: 20, levels: [80])
            #expect(f.mean == (50..<70).map { pattern[$0 % 7] })
            #expect(fit.residualScale == 0)
            #expect(f.intervals[0].lower == f.mean && f.intervals[0].upper == f.mean)
            #expect(fit.fittedValues.prefix(7).allSatisfy { $0.isNaN })
            #expect(Array(fit.fittedValues.dropFirst(7)) == Array(y.dropFirst(7)))
        }

        @Test func seasonalNaiveIntervalsGrowOncePerSeason() throws {
            let y = (0..<40).map { (t: Int) -> Double in Double(t % 4 + (t / 4) % 2) }  // residuals ±1
            let fit = try SeasonalNaive(period: 4).fit(y)
            #expect(abs(fit.residualScale - 1) < 1e-12)
            let f = fit.forecast(horizon: 12, levels: [80])
            let z = 1.2815515655446004
            for h in 1...12 {
                let expected = z * (Double((h - 1) / 4 + 1)).squareRoot()
                #expect(abs((f.intervals[0].upper[h - 1] - f.mean[h - 1]) - expected) < 1e-12)
            }
        }

        @Test func fittedModelsRoundTripThroughJSON() throws {
            let fit = try SeasonalNaive(period: 3).fit([1, 2, 3, 2, 3, 4, 3, 4])
            let data = try JSONEncoder().encode(fit)
            #expect(String(decoding: data, as: UTF8.self).contains("null"))  // NaN fitted values
            #expect(try JSONDecoder().decode(SeasonalNaive.Fitted.self, from: data) == fit)
            let naive = try Naive().fit([4, 2])
            #expect(try JSONDecoder().decode(Naive.Fitted.self, from: JSONEncoder().encode(naive)) == naive)
        }
    }
}
