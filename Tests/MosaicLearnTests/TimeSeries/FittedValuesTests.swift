import Foundation
import MosaicCore
import MosaicLearn
import MosaicTestSupport
import Testing

extension TimeSeriesTests {
    /// One-step predictions exist only where a model has the history it needs; anomaly flags
    /// rely on that.
    @Suite("Fitted values")
    struct FittedValuesTests {
        @Test func harmonicRegressionHasNoPredictionBeforeItsLongestLag() throws {
            let y = ForecastTestData.withAR1Errors(count: 24 * 14, phi: 0.5, sigma: 1, seed: 3) { t in
                100 + 10 * sin(2 * Double.pi * Double(t) / 24)
            }
            let fitted = try HarmonicRegression(seasonalities: [.init(period: 24, harmonics: 2)], maxAROrder: 1,
                                                seasonalARPeriods: [24]).fit(y)
            let v = fitted.fittedValues
            #expect(v.count == y.count)
            #expect(v[0..<25].allSatisfy { $0.isNaN })   // lags 1, 23, 24, 25: nothing before index 25
            #expect(v[25...].allSatisfy { $0.isFinite })
            #expect(AnomalyDetector.detect(values: y, oneStepPredictions: v, residualScale: fitted.residualScale, level: 99)
                .allSatisfy { $0.index >= 25 })
        }

        /// NAB's nyc_taxi with a daily period of 48: multiplicative seasonality from the
        /// heuristic start leaves the positive range; that is an error, never a model.
        @Test(.enabled(if: SharedData.path("datasets/nab-traffic/data/realKnownCause/nyc_taxi.csv") != nil,
                       "../shared/datasets/nab-traffic is absent"))
        func anETSThatCannotStartIsAnErrorNotAModel() throws {
            let path = SharedData.path("datasets/nab-traffic/data/realKnownCause/nyc_taxi.csv")!
            let values = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
                .compactMap { $0.split(separator: ",").last.flatMap { Double($0) } }
            let y = Array(values.dropLast(48))
            do {
                let f = try ETS(trend: .additive, seasonality: .multiplicative, period: 48).fit(y)
                // If a start works on this machine, the model must at least be usable.
                #expect(f.residualScale.isFinite)
                #expect(f.forecast(horizon: 2, levels: [80]).intervals[0].lower.allSatisfy { $0.isFinite })
            } catch {
                #expect("\(error)".contains("cannot be fitted to this series"))
            }
        }
    }
}
