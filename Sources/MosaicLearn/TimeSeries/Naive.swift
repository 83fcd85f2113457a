/// The naive (random walk) forecast: every future value equals the last one.
///
/// **Intervals.** With σ the root mean square of the one-step residuals `yₜ − yₜ₋₁`
/// (divided by their count, n − 1), the h-step standard deviation is `σ√h` (the random
/// walk's variance grows linearly).
///
/// **Input.** At least 2 values (one residual). A constant series (all zeros, say) forecasts
/// the constant with zero-width intervals.
public struct Naive: Forecaster, Codable, Hashable {
    public init() {}

    /// The fewest values `fit` accepts.
    public static let minimumCount = 2

    /// A fitted naive model: the last value and the residual scale.
    public struct Fitted: FittedForecaster, Equatable {
        /// The last training value, which every step forecasts.
        public let last: Double
        public let residualScale: Double
        @NaNAsNull public var fittedValues: [Double]

        /// Point forecast `last`, standard deviation `σ√h` at step h.
        ///
        /// - Complexity: O(horizon · levels).
        public func forecast(horizon: Int, levels: [Double]) -> Forecast {
            precondition(horizon >= 0, "horizon must be ≥ 0, got \(horizon)")
            let sd = (0..<horizon).map { residualScale * Double($0 + 1).squareRoot() }
            return .normal(mean: [Double](repeating: last, count: horizon), standardDeviations: sd, levels: levels)
        }
    }

    /// Fits the model. O(n).
    ///
    /// - Throws: See ``Forecaster/fit(_:)``; the minimum length is 2.
    public func fit(_ y: [Double]) throws(LearnError) -> Fitted {
        try SeriesInput.check(y, minimum: Naive.minimumCount, model: "the naive forecast")
        let fitted = [Double.nan] + y.dropLast()
        let residuals = zip(y, fitted).map { $0 - $1 }
        return Fitted(last: y[y.count - 1], residualScale: ForecastMath.residualScale(residuals), fittedValues: fitted)
    }
}
