/// One forecast path: the point forecast for each of `h` future steps and, for each requested
/// confidence level, a central prediction interval.
///
/// Step `k` (zero-based) is the forecast for the value `k + 1` periods after the last training
/// value. Every array has `h` values.
public struct Forecast: Sendable, Codable, Equatable {
    /// The point forecasts (the conditional mean, or the median on a log scale; each model says).
    public var mean: [Double]
    /// One interval per requested level, in the order the levels were requested.
    public var intervals: [Interval]

    /// A central prediction interval: `lower` and `upper` are the `½ − level/200` and
    /// `½ + level/200` quantiles of the forecast distribution at each step.
    public struct Interval: Sendable, Codable, Equatable {
        /// The coverage in percent, in (0, 100): 80 or 95, say.
        public var level: Double
        /// The lower bounds, one per step.
        public var lower: [Double]
        /// The upper bounds, one per step.
        public var upper: [Double]

        public init(level: Double, lower: [Double], upper: [Double]) {
            self.level = level
            self.lower = lower
            self.upper = upper
        }
    }

    public init(mean: [Double], intervals: [Interval]) {
        self.mean = mean
        self.intervals = intervals
    }

    /// The number of steps.
    public var horizon: Int { mean.count }

    /// The interval at `level`, or nil when it was not requested.
    public func interval(level: Double) -> Interval? { intervals.first { $0.level == level } }
}

/// A forecasting method's configuration (statsforecast's "model" before `fit`).
///
/// Configurations are plain values; `fit` never mutates them and returns an immutable
/// ``FittedForecaster``. Every implementation expects a *regular* series: equally spaced
/// values, oldest first, with no gaps. Filling gaps or aggregating irregular events into
/// buckets is the caller's job.
public protocol Forecaster: Sendable {
    /// What `fit` returns.
    associatedtype Fitted: FittedForecaster

    /// Fits the method to `y`.
    ///
    /// - Parameter y: The series, oldest first, every value finite.
    /// - Throws: ``LearnError/emptyTrainingSet`` for an empty series,
    ///   ``LearnError/nonFinite(_:)`` naming the first NaN or infinity,
    ///   ``LearnError/dimensionMismatch(_:)`` when the series is shorter than the method needs
    ///   (the message gives the minimum), ``LearnError/invalidConfiguration(_:)`` for settings
    ///   the series cannot support (multiplicative seasonality or a log transform on values
    ///   ≤ 0, a period below 1).
    func fit(_ y: [Double]) throws(LearnError) -> Fitted
}

/// A fitted forecasting model: immutable, `Codable` (it is what goes into a model file).
public protocol FittedForecaster: Sendable, Codable {
    /// Forecasts `horizon` steps past the end of the training series.
    ///
    /// - Parameters:
    ///   - horizon: The number of steps, at least 0.
    ///   - levels: Interval levels in percent, each in (0, 100); empty for point forecasts only.
    func forecast(horizon: Int, levels: [Double]) -> Forecast

    /// One-step-ahead in-sample predictions, one per training value; NaN where the model has
    /// no prediction yet (the first season of a seasonal naive model, say). Used for anomaly
    /// flags.
    var fittedValues: [Double] { get }

    /// The standard deviation of the one-step residuals, in the series' units (each model says
    /// how it counts degrees of freedom). 0 for a constant series.
    var residualScale: Double { get }
}

extension Forecast {
    /// Point forecasts with normal intervals `mean ± z·sd` at each step.
    ///
    /// - Precondition: `mean.count == standardDeviations.count`; levels in (0, 100).
    static func normal(mean: [Double], standardDeviations sd: [Double], levels: [Double]) -> Forecast {
        precondition(mean.count == sd.count, "one standard deviation per step")
        let intervals = levels.map { level -> Interval in
            let z = ForecastMath.normalQuantile(forLevel: level)
            return Interval(level: level,
                            lower: zip(mean, sd).map { $0 - z * $1 },
                            upper: zip(mean, sd).map { $0 + z * $1 })
        }
        return Forecast(mean: mean, intervals: intervals)
    }
}
