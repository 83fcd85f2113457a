/// The seasonal naive forecast: every future value equals the value one season earlier.
///
/// **Intervals.** With σ the root mean square of the one-step residuals `yₜ − yₜ₋ₘ`
/// (divided by their count, n − m), the h-step standard deviation is `σ√(⌊(h − 1)/m⌋ + 1)`:
/// it grows once per completed season.
///
/// **Input.** At least `period + 1` values (one residual). A constant series forecasts the
/// constant with zero-width intervals.
public struct SeasonalNaive: Forecaster, Codable, Hashable {
    /// The seasonal period m (24 for hourly data with a daily cycle), at least 1.
    public var period: Int

    public init(period: Int) { self.period = period }

    /// The fewest values `fit` accepts: `period + 1`.
    public var minimumCount: Int { period + 1 }

    /// A fitted seasonal naive model: the last season and the residual scale.
    public struct Fitted: FittedForecaster, Equatable {
        /// The seasonal period m.
        public let period: Int
        /// The last m training values, oldest first; step h forecasts `lastSeason[(h − 1) mod m]`.
        public let lastSeason: [Double]
        public let residualScale: Double
        @NaNAsNull public var fittedValues: [Double]

        /// Point forecasts from the last season, standard deviation `σ√(⌊(h − 1)/m⌋ + 1)`.
        ///
        /// - Complexity: O(horizon · levels).
        public func forecast(horizon: Int, levels: [Double]) -> Forecast {
            precondition(horizon >= 0, "horizon must be ≥ 0, got \(horizon)")
            let mean = (0..<horizon).map { lastSeason[$0 % period] }
            let sd = (0..<horizon).map { residualScale * Double($0 / period + 1).squareRoot() }
            return .normal(mean: mean, standardDeviations: sd, levels: levels)
        }
    }

    /// Fits the model. O(n).
    ///
    /// - Throws: See ``Forecaster/fit(_:)``; the minimum length is `period + 1`.
    public func fit(_ y: [Double]) throws(LearnError) -> Fitted {
        try SeriesInput.checkPeriod(period)
        try SeriesInput.check(y, minimum: minimumCount, model: "the seasonal naive forecast with period \(period)")
        let m = period
        let fitted = [Double](repeating: .nan, count: m) + y.dropLast(m)
        let residuals = zip(y, fitted).map { $0 - $1 }
        return Fitted(period: m, lastSeason: Array(y.suffix(m)), residualScale: ForecastMath.residualScale(residuals),
                      fittedValues: fitted)
    }
}
