import Foundation
import MosaicCore
import MosaicRouting

/// A load-prediction model file: versioned, self-describing JSON in the same shape as the
/// routing model's (schema version, kind, version, creation time, training window, rows,
/// fingerprint), holding per series the fitted forecaster (chosen by rolling-origin
/// cross-validation, with the scores) and the forecast it made for the horizon, with intervals.
public struct LoadModel: Sendable, Codable, Equatable {
    public static let currentSchemaVersion = 1

    /// One forecast series (a provider's request count, say).
    public struct Series: Sendable, Codable, Equatable {
        public var group: String
        /// The training points' first timestamp, µs; point k is at `start + k·interval`.
        public var start: Int64
        public var points: Int
        public var fitted: AutoForecaster.Fitted
        /// The first forecast step's timestamp, µs.
        public var forecastStart: Int64
        public var forecast: Forecast
    }

    public var schemaVersion: Int
    public var kind: String
    public var version: Int
    public var createdAt: String
    /// What was counted: `requests` from the store, or `value` from a series file.
    public var metric: String
    /// How the store's requests were grouped (provider, tenant, …) or the series file's name.
    public var grouping: String
    /// The spacing, µs, and as text (`1h`).
    public var interval: Int64
    public var intervalText: String
    public var seasonalPeriod: Int
    public var horizon: Int
    public var levels: [Double]
    public var trainingWindow: RoutingWindow
    public var dataFingerprint: String
    public var series: [Series]

    /// The training window as RFC 3339 text.
    public struct RoutingWindow: Sendable, Codable, Equatable {
        public var from: String
        public var to: String
    }

    /// Reads and checks a file's bytes.
    public static func decode(_ data: Data) throws(ModelFileError) -> LoadModel {
        try ModelFileError.checkHeader(data, kind: "load", schemaVersion: currentSchemaVersion)
        let model: LoadModel
        do { model = try JSONDecoder().decode(LoadModel.self, from: data) } catch { throw .invalid(DecodingError.message(for: error, in: data)) }
        guard model.interval > 0, model.horizon >= 0, !model.series.isEmpty else {
            throw .invalid("needs a positive interval and at least one series")
        }
        for s in model.series where s.forecast.mean.count != model.horizon {
            throw .invalid("\(s.group): \(s.forecast.mean.count) forecast steps for horizon \(model.horizon)")
        }
        return model
    }

    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }
}

/// Fits a load model: one AutoForecaster per series.
public struct LoadTrainer: Sendable {
    public var horizon: Int
    public var levels: [Double]

    public init(horizon: Int = 48, levels: [Double] = [80, 95]) {
        self.horizon = horizon
        self.levels = levels
    }

    /// The seasonal period for a spacing: one day of steps (a week of days for daily data).
    public static func seasonalPeriod(interval: Int64) -> Int {
        let day = Timestamp.microsPerDay
        if interval >= day { return 7 }
        return max(1, Int(day / interval))
    }

    /// The longer cycle: a week of steps when the spacing is under a day and a week has at most
    /// 2,016 steps (5-minute data); none otherwise.
    public static func weeklyPeriod(interval: Int64) -> Int? {
        guard interval < Timestamp.microsPerDay else { return nil }
        let week = Int(7 * Timestamp.microsPerDay / interval)
        return week <= 2016 ? week : nil
    }

    /// The forecaster a load model fits to series of this spacing: ``seasonalPeriod(interval:)``
    /// is its period, ``weeklyPeriod(interval:)`` its longer cycle.
    public static func forecaster(interval: Int64, horizon: Int) -> AutoForecaster {
        AutoForecaster(period: seasonalPeriod(interval: interval), horizon: horizon,
                       secondaryPeriod: weeklyPeriod(interval: interval))
    }

    /// Fits every series (concurrently) and forecasts `horizon` steps past its end;
    /// `progress` as ``AutoForecaster/fit(_:concurrently:progress:)``'s.
    public func train(series: [(group: String, start: Int64, values: [Double])], interval: Int64, intervalText: String,
                      metric: String, grouping: String, version: Int, createdAt: String,
                      progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) throws(LearnError) -> LoadModel {
        guard !series.isEmpty else { throw .emptyTrainingSet }
        let auto = Self.forecaster(interval: interval, horizon: horizon)
        let m = auto.period
        let results = auto.fit(series.map(\.values), concurrently: true, progress: progress)
        var out: [LoadModel.Series] = []
        var fingerprint = StableHash(seed: 0x6C6F_6164)
        for (s, r) in zip(series, results) {
            let fitted: AutoForecaster.Fitted
            switch r {
            case .success(let f): fitted = f
            case .failure(let e):
                throw .series(name: s.group, points: s.values.count, e)
            }
            fingerprint.combine(s.group)
            fingerprint.combine(s.start)
            for v in s.values { fingerprint.combine(v.bitPattern) }
            out.append(.init(group: s.group, start: s.start, points: s.values.count, fitted: fitted,
                             forecastStart: s.start + Int64(s.values.count) * interval,
                             forecast: fitted.forecast(horizon: horizon, levels: levels)))
        }
        let from = series.map(\.start).min()!
        let to = series.map { $0.start + Int64($0.values.count) * interval }.max()!
        return LoadModel(schemaVersion: LoadModel.currentSchemaVersion, kind: "load", version: version, createdAt: createdAt,
                         metric: metric, grouping: grouping, interval: interval, intervalText: intervalText,
                         seasonalPeriod: m, horizon: horizon, levels: levels,
                         trainingWindow: .init(from: Timestamp.format(from), to: Timestamp.format(to)),
                         dataFingerprint: String(UInt64(bitPattern: fingerprint.value), radix: 16), series: out)
    }
}
