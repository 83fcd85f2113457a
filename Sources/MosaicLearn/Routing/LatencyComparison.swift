import MosaicCore
import MosaicRouting

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The routing model's latency, tail and failure heads beside the baselines a router could use
/// instead, on measurements split by time.
///
/// Everything is fitted on the rows before the split instant and scored on the rows at or after
/// it. The methods:
///
/// - `head`: the per-provider heads ``RoutingTrainer`` fits (ridge on ln ms, pinball-loss tail,
///   logistic failure) with its default features; `head_model_region` adds the model×region
///   one-hot (``FeatureSpecBuilder/modelByRegion``).
/// - `head_online`: `head_model_region` plus an exponentially weighted mean of its ln-ms
///   residuals per key, updated after every time step of the test period (what a router could
///   learn from outcomes).
/// - `head_adapt`: `head` corrected per provider exactly as the router's `model_utility` does
///   with `adapt` set to ``Configuration/residualAlpha`` (``LatencyCorrection``: an EWMA of
///   observed ÷ predicted mean latency, fading back to 1 with ``Configuration/adaptHalfLife``).
/// - `ewma`: per key, an exponentially weighted mean and variance of ln ms, updated causally
///   through the test period; the tail is mean + z·sd.
/// - `median`: per key, the median and the tail quantile of ln ms over the training period.
///
/// The key is provider/model (or provider/model@region with ``Configuration/baselinesByRegion``).
/// Rows measured at the same instant are predicted before any of them updates an online method.
/// Every method is scored on the same rows: successful test rows whose key has a training
/// latency and whose provider has a head.
public struct LatencyComparison: Sendable {
    public struct Configuration: Sendable {
        /// Weight of the newest observation in the EWMA baseline (the router's `latency_ewma` default).
        public var ewmaAlpha = 0.3
        /// Weight of the newest residual in `head_online`.
        public var residualAlpha = 0.1
        public var tailQuantile = 0.95
        /// The half-life of `head_adapt`'s correction without a measurement, µs (the router's
        /// `adapt_half_life`).
        public var adaptHalfLife: Int64 = LatencyCorrection.defaultHalfLife
        /// Key the baselines (and the online correction) by provider/model@region.
        public var baselinesByRegion = false
        public var trainer = RoutingTrainer.Configuration()
        public init() {}
    }

    /// A method's latency scores on ln(ms).
    public struct LatencyScore: Sendable, Codable, Equatable {
        public var method: String
        public var rows: Int
        /// Mean absolute error of the point prediction of ln ms.
        public var maeLog: Double
        public var rmseLog: Double
        /// Mean of prediction − actual (positive: predicts too slow).
        public var biasLog: Double
        /// Share of rows at or under the predicted tail quantile.
        public var tailCoverage: Double
        public var tailPinballLoss: Double
    }

    /// A method's failure-probability scores.
    public struct FailureScore: Sendable, Codable, Equatable {
        public var method: String
        public var rows: Int
        public var failures: Int
        public var logLoss: Double
        public var brier: Double
        /// Nil when the rows have only one class.
        public var auc: Double?
    }

    public struct Result: Sendable, Codable, Equatable {
        public var splitAt: String
        public var trainRows: Int
        public var testRows: Int
        public var trainFailures: Int
        public var testFailures: Int
        /// Successful test rows every method scores.
        public var evaluatedRows: Int
        /// Successful test rows left out: their key has no training latency, or their provider no head.
        public var unseenRows: Int
        /// Providers whose heads could not be fitted, with the reason (their rows are not scored).
        public var unfitted: [String: String]
        public var latency: [LatencyScore]
        /// Empty when the scored test rows have no failure.
        public var failure: [FailureScore]
    }

    public static let methods = ["head", "head_model_region", "head_online", "head_adapt", "ewma", "median"]

    public var configuration: Configuration

    public init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// The instant that leaves the newest `testFraction` of the rows (by time) for the test:
    /// the timestamp of the first test row, so rows measured together stay together.
    public static func splitInstant(_ observations: [LatencyObservation], testFraction: Double) -> Int64? {
        let times = observations.map(\.timestamp).sorted()
        guard !times.isEmpty else { return nil }
        let k = min(times.count - 1, max(0, Int((Double(times.count) * (1 - testFraction)).rounded(.down))))
        return times[k]
    }

    struct Fitted {
        var spec: FeatureSpec
        var heads: RoutingTrainer.Heads
    }

    func key(_ o: LatencyObservation) -> String {
        configuration.baselinesByRegion ? "\(o.provider)/\(o.model)@\(o.region)" : "\(o.provider)/\(o.model)"
    }

    static func features(_ o: LatencyObservation) -> RequestFeatures {
        RequestFeatures(region: o.region, model: o.model, outputTokens: o.outputTokens, timestamp: o.timestamp)
    }

    static func timed(_ o: LatencyObservation) -> Double? {
        guard o.ok, let l = o.latencyMs, l > 0, l.isFinite else { return nil }
        return log(l)
    }

    /// Per provider, the heads fitted on its training rows (providers with too few rows have none).
    func fitHeads(_ train: [LatencyObservation], modelByRegion: Bool, failed: inout [String: String]) throws(LearnError) -> [String: Fitted] {
        var config = configuration.trainer
        config.tailQuantile = configuration.tailQuantile
        config.features.modelByRegion = modelByRegion
        let trainer = RoutingTrainer(configuration: config)
        var byProvider: [String: [RoutingTrainer.Row]] = [:]
        for o in train {
            byProvider[o.provider, default: []].append(.init(features: Self.features(o), latencyMs: o.latencyMs, ok: o.ok))
        }
        var fitted: [String: Fitted] = [:]
        for provider in byProvider.keys.sorted() {
            let rows = byProvider[provider]!
            let timed = rows.filter { $0.ok && ($0.latencyMs ?? 0) > 0 }.count
            guard rows.count >= config.minimumRows, timed >= config.minimumRows else { continue }
            let spec = try config.features.build(rows.map(\.features))
            // A provider whose heads cannot be fitted is left out (its rows are not scored), not fatal.
            do { fitted[provider] = Fitted(spec: spec, heads: try trainer.fitHeads(rows, spec: spec)) } catch {
                failed[provider] = (modelByRegion ? "model×region head: " : "head: ") + error.description
            }
        }
        return fitted
    }

    /// Fits on the rows before `splitAt` and scores every method on the rest.
    ///
    /// - Complexity: O(n log n) plus the head fits.
    public func run(_ observations: [LatencyObservation], splitAt: Int64) throws(LearnError) -> Result {
        guard (0.5..<1).contains(configuration.tailQuantile) else {
            throw .invalidConfiguration("tail quantile \(configuration.tailQuantile) is not in [0.5, 1)")
        }
        guard configuration.ewmaAlpha > 0 && configuration.ewmaAlpha <= 1,
              configuration.residualAlpha > 0 && configuration.residualAlpha <= 1 else {
            throw .invalidConfiguration("EWMA weights must be in (0, 1]")
        }
        guard configuration.adaptHalfLife > 0 else { throw .invalidConfiguration("the correction's half-life must be above 0") }
        // Time order; ties keep the input order.
        let order = observations.indices.sorted {
            observations[$0].timestamp != observations[$1].timestamp
                ? observations[$0].timestamp < observations[$1].timestamp : $0 < $1
        }
        let rows = order.map { observations[$0] }
        let train = rows.filter { $0.timestamp < splitAt }
        let testStart = train.count
        guard !train.isEmpty else { throw .emptyTrainingSet }
        guard testStart < rows.count else { throw .invalidConfiguration("no rows at or after the split instant") }

        var failedFits: [String: String] = [:]
        let plain = try fitHeads(train, modelByRegion: false, failed: &failedFits)
        let byRegion = try fitHeads(train, modelByRegion: true, failed: &failedFits)

        let (medians, trainCounts) = trainingStatistics(train)
        let trainFailures = train.filter { !$0.ok }.count
        let globalRate = (Double(trainFailures) + 0.5) / (Double(train.count) + 1)

        let z = ForecastMath.normalQuantile(configuration.tailQuantile)
        let a = configuration.ewmaAlpha, ar = configuration.residualAlpha
        // Online state per key: EWMA mean and variance of ln ms, EWMA failure rate, head residual.
        var ewma: [String: (mean: Double, variance: Double)] = [:]
        var ewmaFailure: [String: Double] = [:]
        var residual: [String: Double] = [:]
        var corrections: [String: LatencyCorrection] = [:]  // per provider, as the router keeps them

        // Predictions for scored rows, per method: point, tail; failure probability per test row.
        let methodCount = Self.methods.count
        var point = [[Double]](repeating: [], count: methodCount)
        var tail = [[Double]](repeating: [], count: methodCount)
        var actual: [Double] = []
        var failureP = [[Double]](repeating: [], count: 4)  // head, head_model_region, ewma, train rate
        var failed: [Bool] = []
        var unseen = 0
        var scratch: [Double] = []

        func predict(_ f: Fitted, _ o: LatencyObservation) -> (mu: Double, tail: Double, p: Double) {
            f.spec.encode(Self.features(o), into: &scratch)
            let mu = f.heads.latency.evaluate(scratch)
            let t = max(mu, f.heads.tail.evaluate(scratch))
            let zf = f.heads.failure.evaluate(scratch)
            return (mu, t, 1 / (1 + exp(-zf)))
        }

        var i = 0
        while i < rows.count {
            var j = i
            while j < rows.count && rows[j].timestamp == rows[i].timestamp { j += 1 }
            // Predict this instant's test rows from the state before it.
            if i >= testStart {
                for o in rows[i..<j] {
                    let k = key(o)
                    guard let hp = plain[o.provider], let hr = byRegion[o.provider], let med = medians[k] else {
                        if Self.timed(o) != nil { unseen += 1 }
                        continue
                    }
                    let p0 = predict(hp, o), p1 = predict(hr, o)
                    failureP[0].append(p0.p)
                    failureP[1].append(p1.p)
                    failureP[2].append(ewmaFailure[k] ?? globalRate)
                    let c = trainCounts[k] ?? (0, 0)
                    failureP[3].append((Double(c.failures) + 0.5) / (Double(c.rows) + 1))
                    failed.append(!o.ok)
                    guard let y = Self.timed(o) else { continue }
                    let r = residual[k] ?? 0
                    let adjust = log(corrections[o.provider]?.factor(now: o.timestamp) ?? 1)
                    let e = ewma[k] ?? (med.median, 0)
                    let values: [(Double, Double)] = [
                        (p0.mu, p0.tail), (p1.mu, p1.tail), (p1.mu + r, p1.tail + r), (p0.mu + adjust, p0.tail + adjust),
                        (e.mean, e.mean + z * e.variance.squareRoot()), (med.median, med.tail),
                    ]
                    for (m, v) in values.enumerated() {
                        point[m].append(v.0)
                        tail[m].append(v.1)
                    }
                    actual.append(y)
                }
            }
            // Then learn from it.
            for o in rows[i..<j] {
                let k = key(o)
                let f = o.ok ? 0.0 : 1.0
                ewmaFailure[k] = (ewmaFailure[k] ?? globalRate) + a * (f - (ewmaFailure[k] ?? globalRate))
                guard let y = Self.timed(o) else { continue }
                if let e = ewma[k] {
                    let d = y - e.mean
                    ewma[k] = (e.mean + a * d, (1 - a) * (e.variance + a * d * d))
                } else {
                    ewma[k] = (y, 0)
                }
                if let hr = byRegion[o.provider] {
                    let mu = predict(hr, o).mu
                    residual[k] = (residual[k] ?? 0) + ar * ((y - mu) - (residual[k] ?? 0))
                }
                if let hp = plain[o.provider] {
                    // The router's ticket carries the head's mean, exp(μ + σ²/2).
                    let predicted = exp(predict(hp, o).mu + hp.heads.residualVariance / 2)
                    corrections[o.provider, default: LatencyCorrection(halfLife: configuration.adaptHalfLife)]
                        .note(observedMs: exp(y), predictedMs: predicted, alpha: ar, now: o.timestamp)
                }
            }
            i = j
        }

        let test = rows[testStart...]
        return Result(splitAt: Timestamp.format(splitAt), trainRows: train.count, testRows: test.count,
                      trainFailures: trainFailures, testFailures: test.filter { !$0.ok }.count,
                      evaluatedRows: actual.count, unseenRows: unseen, unfitted: failedFits,
                      latency: latencyScores(actual: actual, point: point, tail: tail),
                      failure: Self.failureScores(failed: failed, probabilities: failureP))
    }

    /// Per key, the median and the tail quantile of ln ms over the `train` rows, and their
    /// failures and rows (what the `median` and `train_rate` baselines predict).
    func trainingStatistics(_ train: [LatencyObservation])
        -> (medians: [String: (median: Double, tail: Double)], counts: [String: (failures: Int, rows: Int)]) {
        var logs: [String: [Double]] = [:]
        var counts: [String: (failures: Int, rows: Int)] = [:]
        for o in train {
            let k = key(o)
            if let y = Self.timed(o) { logs[k, default: []].append(y) }
            let c = counts[k] ?? (0, 0)
            counts[k] = (c.failures + (o.ok ? 0 : 1), c.rows + 1)
        }
        var medians: [String: (median: Double, tail: Double)] = [:]
        for (k, v) in logs {
            let s = v.sorted()
            medians[k] = (Quantiles.linear(sorted: s, 0.5), Quantiles.linear(sorted: s, configuration.tailQuantile))
        }
        return (medians, counts)
    }

    /// Each of ``methods``' scores, from its `point` and `tail` predictions of the `actual` ln ms
    /// (one array a method, in ``methods``' order); none without rows.
    func latencyScores(actual: [Double], point: [[Double]], tail: [[Double]]) -> [LatencyScore] {
        guard !actual.isEmpty else { return [] }
        return Self.methods.enumerated().map { m, name in
            let covered = zip(actual, tail[m]).filter { $0 <= $1 }.count
            var bias = 0.0
            for (p, y) in zip(point[m], actual) { bias += p - y }
            return LatencyScore(
                method: name, rows: actual.count, maeLog: Metrics.mae(actual, point[m]), rmseLog: Metrics.rmse(actual, point[m]),
                biasLog: bias / Double(actual.count), tailCoverage: Double(covered) / Double(actual.count),
                tailPinballLoss: Metrics.pinballLoss(actual, tail[m], quantile: configuration.tailQuantile))
        }
    }

    /// The failure scores of the heads and baselines (`probabilities`: head, head_model_region,
    /// ewma, train rate, each one a row of `failed`); none when no scored row failed.
    static func failureScores(failed: [Bool], probabilities: [[Double]]) -> [FailureScore] {
        let failures = failed.filter { $0 }.count
        guard failures > 0 else { return [] }
        return ["head", "head_model_region", "ewma", "train_rate"].enumerated().map { m, name in
            FailureScore(
                method: name, rows: failed.count, failures: failures, logLoss: Metrics.logLoss(y: failed, p: probabilities[m]),
                brier: Metrics.brier(y: failed, p: probabilities[m]),
                auc: failures < failed.count ? Metrics.auc(y: failed, score: probabilities[m]) : nil)
        }
    }

    /// Rolling-origin cross-validation inside the rows before `splitAt`: they are cut by time
    /// into `folds + 1` blocks of about equal size, and fold k trains on blocks 0..<k and scores
    /// block k. Rows at or after `splitAt` are never read.
    public func crossValidate(_ observations: [LatencyObservation], before splitAt: Int64, folds: Int) throws(LearnError) -> [Result] {
        guard folds >= 1 else { throw .invalidConfiguration("cross-validation needs at least 1 fold") }
        let inside = observations.filter { $0.timestamp < splitAt }
        let times = inside.map(\.timestamp).sorted()
        guard times.count > folds + 1 else { throw .emptyTrainingSet }
        var origins: [Int64] = []
        for k in 1...folds {
            let t = times[times.count * k / (folds + 1)]
            if origins.last.map({ t > $0 }) ?? (t > times[0]) { origins.append(t) }
        }
        var results: [Result] = []
        for (k, origin) in origins.enumerated() {
            let end = k + 1 < origins.count ? origins[k + 1] : splitAt
            results.append(try run(inside.filter { $0.timestamp < end }, splitAt: origin))
        }
        return results
    }
}
