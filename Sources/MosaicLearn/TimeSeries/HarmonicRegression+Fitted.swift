#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MosaicLinalg

extension HarmonicRegression {
    /// A fitted harmonic regression: the regression, the error autoregression and the last
    /// residuals it continues from.
    public struct Fitted: FittedForecaster, Equatable {
        /// The seasonalities, with the harmonics actually used.
        public let seasonalities: [Seasonality]
        public let trend: Bool
        public let weekend: Weekend?
        public let logTransform: Bool
        /// The number of training values (the next time index).
        public let count: Int
        /// Intercept and coefficients over ``HarmonicDesign``'s columns (trend, cos/sin pairs,
        /// weekend), on the log scale with ``logTransform``.
        public let regression: LinearModel
        /// The error autoregression's lags and coefficients (empty: white noise).
        public let arLags: [Int]
        public let arCoefficients: [Double]
        /// The last `max(arLags)` regression residuals, oldest first.
        public let lastResiduals: [Double]
        /// The innovations' standard deviation on the model scale (log scale with
        /// ``logTransform``): AR sum of squares over (innovations − AR lags − regressors).
        public let innovationScale: Double
        /// The one-step residuals' standard deviation in the series' units, after the largest
        /// AR lag, divided by (count − AR lags − regressors).
        public let residualScale: Double
        /// The error autoregression's AICc on its common sample (nil for a constant series).
        public let aicc: Double?
        /// One-step predictions: regression plus AR, with residuals before the first value
        /// taken as 0 (their expectation), so every value is defined.
        @NaNAsNull public private(set) var fittedValues: [Double]

        /// The regression plus the AR continuation of the residuals; normal intervals with the
        /// AR's error propagation `σ² Σ_{j<h} ψⱼ²` (exponentiated with ``logTransform``).
        ///
        /// - Complexity: O(h · (regressors + AR lags)).
        public func forecast(horizon h: Int, levels: [Double]) -> Forecast {
            precondition(h >= 0, "horizon must be ≥ 0, got \(h)")
            if h == 0 { return Forecast(mean: [], intervals: levels.map { .init(level: $0, lower: [], upper: []) }) }
            let x = HarmonicDesign.matrix(start: count, count: h, seasonalities: seasonalities,
                                          harmonics: seasonalities.map { $0.harmonics ?? 0 }, trend: trend, weekend: weekend)
            var mean = (try? regression.predict(x)) ?? [Double](repeating: regression.intercept, count: h)
            let errors = Autoregression.extend(lastResiduals, lags: arLags, coefficients: arCoefficients, count: h)
            for k in 0..<h { mean[k] += errors[k] }
            let psi = Autoregression.psiWeights(lags: arLags, coefficients: arCoefficients, count: h)
            var sd = [Double](repeating: 0, count: h)
            var cumulative = 0.0
            for k in 0..<h { cumulative += psi[k] * psi[k]; sd[k] = innovationScale * cumulative.squareRoot() }
            let normal = Forecast.normal(mean: mean, standardDeviations: sd, levels: levels)
            guard logTransform else { return normal }
            return Forecast(mean: normal.mean.map { exp($0) },
                            intervals: normal.intervals.map { .init(level: $0.level, lower: $0.lower.map { exp($0) },
                                                                     upper: $0.upper.map { exp($0) }) })
        }

        /// Assembles the fitted value from the two least-squares stages.
        static func make(configuration c: HarmonicRegression, harmonics: [Int], y: [Double], z: [Double],
                         regression: LinearModel, regressionMean: [Double], residuals: [Double],
                         ar: Autoregression.Fit) -> Fitted {
            let n = y.count
            let arPart = Autoregression.oneStepPredictions(residuals, lags: ar.lags, coefficients: ar.coefficients)
            var fitted = (0..<n).map { regressionMean[$0] + arPart[$0] }
            if c.logTransform { fitted = fitted.map { exp($0) } }
            let maxLag = ar.lags.max() ?? 0
            let regressors = regression.coefficients.count + 1
            let oneStep = (maxLag..<n).map { y[$0] - fitted[$0] }
            let innovationDof = max(1, ar.count - ar.lags.count - regressors)
            return Fitted(seasonalities: zip(c.seasonalities, harmonics).map { Seasonality(period: $0.period, harmonics: $1) },
                          trend: c.trend, weekend: c.weekend, logTransform: c.logTransform, count: n,
                          regression: regression, arLags: ar.lags, arCoefficients: ar.coefficients,
                          lastResiduals: Array(residuals.suffix(maxLag)),
                          innovationScale: (ar.sse / Double(innovationDof)).squareRoot(),
                          residualScale: ForecastMath.residualScale(oneStep, degreesOfFreedomUsed: ar.lags.count + regressors),
                          aicc: ar.aicc, fittedValues: (0..<n).map { $0 < maxLag ? .nan : fitted[$0] })
        }

        /// The constant at every step, no AR, σ = 0.
        static func constant(_ y: [Double], configuration c: HarmonicRegression, harmonics: [Int]) -> Fitted {
            let level = c.logTransform ? log(y[0]) : y[0]
            let columns = HarmonicDesign.columnCount(c.seasonalities, harmonics: harmonics, trend: c.trend,
                                                     weekend: c.weekend != nil)
            return Fitted(seasonalities: zip(c.seasonalities, harmonics).map { Seasonality(period: $0.period, harmonics: $1) },
                          trend: c.trend, weekend: c.weekend, logTransform: c.logTransform, count: y.count,
                          regression: LinearModel(intercept: level, coefficients: [Double](repeating: 0, count: columns)),
                          arLags: [], arCoefficients: [], lastResiduals: [], innovationScale: 0, residualScale: 0,
                          aicc: nil, fittedValues: [Double](repeating: y[0], count: y.count))
        }
    }
}
