import Foundation
import MosaicCore
import MosaicLinalg
import MosaicRouting

/// Trains a routing model from logged requests: per provider, the expected latency, a tail
/// latency quantile and the failure probability, each a linear model of the request's
/// features (cost is never learned: it is computed exactly from prices).
///
/// For each provider the rows (oldest first) are split in time: the first
/// `1 − testFraction` train, the rest test. Features are learned on the training part, the
/// heads fitted, and the holdout metrics computed on the test part; then the feature
/// specification and heads are refitted on all rows for the exported model, which keeps the
/// holdout metrics.
///
/// - Latency: ridge regression of ln(latency ms) over successful requests with a latency.
/// - Tail: quantile regression (pinball loss) of ln(latency ms) at `tailQuantile`.
/// - Failure: L2-regularised logistic regression of `status ≠ ok` over all requests, without
///   the output-token features (a failed request has no output, so they would leak the label);
///   when a provider's rows have no failures (or only failures) the head is the constant logit
///   of the smoothed rate `(failures + 0.5) / (rows + 1)`. The provider's outages are left out
///   of this fit (``outageRows(_:)``): the head is the probability that a request fails while
///   the provider is up, which the request's features can speak to; an outage is the breakers'
///   business, and fitted as a failure pattern it becomes a time-of-day effect that repeats it
///   every day (one 2-hour outage in a day of traffic made a head predict 69% failures at that
///   hour of every later day).
public struct RoutingTrainer: Sendable {
    public struct Configuration: Sendable {
        public var tailQuantile = 0.95
        public var ridgeAlpha = 1.0
        public var logisticC = 1.0
        public var testFraction = 0.2
        /// Providers with fewer rows (or fewer successful rows with a latency) are left out.
        public var minimumRows = 30
        /// Larger providers are thinned to this many rows, evenly in time.
        public var maximumRowsPerProvider = 400_000
        public var features = FeatureSpecBuilder()
        public init() {}
    }

    /// A logged request as the trainer sees it.
    public struct Row: Sendable {
        public var features: RequestFeatures
        public var latencyMs: Double?
        public var ok: Bool
        public init(features: RequestFeatures, latencyMs: Double?, ok: Bool) {
            self.features = features
            self.latencyMs = latencyMs
            self.ok = ok
        }
    }

    public struct Output: Sendable {
        public var model: RoutingModel
        /// Providers left out, with the reason.
        public var skipped: [(provider: String, reason: String)]
    }

    public var configuration: Configuration

    /// Told which provider's heads are being fitted (`anthropic, 1 of 5`), for a progress line;
    /// nil says nothing.
    public var progress: (@Sendable (String) -> Void)?

    public init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// Trains on rows grouped by provider, each group oldest first.
    public func train(byProvider: [String: [Row]], window: (from: Int64, to: Int64), version: Int, createdAt: String,
                      quality: QualityModel? = nil) throws(LearnError) -> Output {
        var heads: [ProviderModel] = []
        var skipped: [(String, String)] = []
        var fingerprint = StableHash(seed: 0x726F_7574_6572)
        var total = 0
        for (n, provider) in byProvider.keys.sorted().enumerated() {
            progress?("\(provider), \(n + 1) of \(byProvider.count)")
            let all = byProvider[provider]!
            for r in all {
                fingerprint.combine(provider)
                fingerprint.combine(r.features.timestamp)
                fingerprint.combine(r.features.model)
                fingerprint.combine(Int64(r.features.inputTokens))
                fingerprint.combine(Int64(r.features.outputTokens))
                fingerprint.combine((r.latencyMs ?? -1).bitPattern)
                fingerprint.combine(UInt64(r.ok ? 1 : 0))
            }
            let rows = thin(all)
            let timed = rows.filter { $0.ok && ($0.latencyMs ?? 0) > 0 }
            if rows.count < configuration.minimumRows || timed.count < configuration.minimumRows {
                skipped.append((provider, "\(rows.count) rows, \(timed.count) successful with a latency; at least \(configuration.minimumRows) of each are needed"))
                continue
            }
            total += rows.count
            heads.append(try trainProvider(provider, rows))
        }
        if heads.isEmpty && quality == nil { throw .emptyTrainingSet }
        let model = RoutingModel(
            version: version, createdAt: createdAt,
            trainingWindow: .init(from: Timestamp.format(window.from), to: Timestamp.format(window.to)),
            rows: total, dataFingerprint: String(UInt64(bitPattern: fingerprint.value), radix: 16),
            validation: "time-ordered: per provider, the last \(Int(configuration.testFraction * 100))% of rows by time are the test split; exported heads are refitted on all rows",
            providers: heads, quality: quality)
        return Output(model: model, skipped: skipped)
    }

    /// Evenly thins a time-ordered list to the configured maximum.
    func thin(_ rows: [Row]) -> [Row] {
        let cap = configuration.maximumRowsPerProvider
        guard rows.count > cap else { return rows }
        let step = Double(rows.count) / Double(cap)
        return (0..<cap).map { rows[Int(Double($0) * step)] }
    }

    func trainProvider(_ provider: String, _ rows: [Row]) throws(LearnError) -> ProviderModel {
        let split = Int((Double(rows.count) * (1 - configuration.testFraction)).rounded())
        let train = Array(rows[..<split]), test = Array(rows[split...])
        let trainSpec = try configuration.features.build(train.map(\.features))
        let heads = try fitHeads(train, spec: trainSpec)
        let metrics = evaluate(heads, spec: trainSpec, train: train, test: test)
        // The exported model: features and heads from every row.
        let spec = try configuration.features.build(rows.map(\.features))
        let final = try fitHeads(rows, spec: spec)
        let models = Array(Set(rows.map(\.features.model))).sorted()
        var model = ProviderModel(provider: provider, models: models, rows: rows.count, featureSpec: spec,
                             logLatency: final.latency, logLatencyResidualVariance: final.residualVariance,
                             tailQuantile: configuration.tailQuantile, logLatencyTail: final.tail,
                             failure: final.failure, metrics: metrics)
        model.solver = final.solver
        model.outageRows = final.outageRows > 0 ? final.outageRows : nil
        return model
    }

    struct Heads {
        var latency: LinearHead
        var residualVariance: Double
        var tail: LinearHead
        var failure: LinearHead
        var solver: SolverReport? = nil
        /// Rows the failure head left out as the provider's outages.
        var outageRows = 0
    }

    /// The length of the windows ``outageRows(_:)`` judges, µs: 10 minutes.
    static let outageWindow: Int64 = 600_000_000

    /// Which of a provider's rows (oldest first) fall in an outage. An outage is found as a
    /// 10-minute window (of the clock, from the epoch) in which at least half of the provider's
    /// requests, and at least 5, failed; ordinary failure rates (a few percent, tripled in a
    /// burst) are far from it, and so are single failures of a provider with few requests. Its
    /// edges are then the failures themselves, not the window's: a run of neighbouring windows
    /// so found is cut to its first and last failed request and then grown over the failed
    /// requests next to it, so an outage that starts or ends inside a window is all of it and
    /// only it.
    public static func outageRows(_ rows: [Row]) -> [Bool] {
        var outage = [Bool](repeating: false, count: rows.count)
        var start = 0
        var run: Range<Int>? = nil   // the run of outage windows being collected
        func close(_ r: Range<Int>) {
            guard var a = rows[r].firstIndex(where: { !$0.ok }), var b = rows[r].lastIndex(where: { !$0.ok }) else { return }
            while a > 0 && !rows[a - 1].ok { a -= 1 }
            while b + 1 < rows.count && !rows[b + 1].ok { b += 1 }
            for i in a...b { outage[i] = true }
        }
        while start < rows.count {
            let window = Self.window(rows[start].features.timestamp)
            var end = start + 1
            while end < rows.count && Self.window(rows[end].features.timestamp) == window { end += 1 }
            let failed = rows[start..<end].lazy.filter { !$0.ok }.count
            if failed >= 5 && 2 * failed >= end - start {
                run = (run?.lowerBound ?? start)..<end
            } else if let r = run {
                close(r)
                run = nil
            }
            start = end
        }
        if let r = run { close(r) }
        return outage
    }

    /// The window of ``outageWindow`` an instant is in (rounding down before the epoch too).
    private static func window(_ t: Int64) -> Int64 {
        t >= 0 ? t / outageWindow : (t + 1) / outageWindow - 1
    }

    static func design(_ rows: [Row], _ spec: FeatureSpec) -> Matrix {
        let d = spec.width
        var x = Matrix(rows: rows.count, columns: d)
        var scratch = [Double](repeating: 0, count: d)
        for (i, r) in rows.enumerated() {
            spec.encode(r.features, into: &scratch)
            for j in 0..<d { x[i, j] = scratch[j] }
        }
        return x
    }

    /// The columns that depend on output tokens (the numeric feature and its interactions).
    static func outputColumns(_ spec: FeatureSpec) -> [Int] {
        var columns: [Int] = []
        var offset = 0
        for f in spec.features {
            let usesOutput: Bool
            switch f.kind {
            case .numeric: usesOutput = f.field == .outputTokens
            case .interaction: usesOutput = (f.factors ?? []).contains { spec.features[$0].field == .outputTokens }
            default: usesOutput = false
            }
            if usesOutput { columns += Array(offset..<(offset + f.width)) }
            offset += f.width
        }
        return columns
    }

    func fitHeads(_ rows: [Row], spec: FeatureSpec) throws(LearnError) -> Heads {
        let timed = rows.filter { $0.ok && ($0.latencyMs ?? 0) > 0 }
        let xTimed = Self.design(timed, spec)
        let yLog = timed.map { log($0.latencyMs!) }
        var ridge = RidgeRegression()
        ridge.alpha = configuration.ridgeAlpha
        let latency = try ridge.fit(xTimed, yLog).model
        let fitted = try latency.predict(xTimed)
        var ss = 0.0
        for i in 0..<yLog.count { ss += (yLog[i] - fitted[i]) * (yLog[i] - fitted[i]) }
        let residualVariance = ss / Double(max(1, yLog.count - 1))

        var quantile = QuantileRegression()
        quantile.quantile = configuration.tailQuantile
        let tail = try quantile.solve(xTimed, yLog)

        let outage = Self.outageRows(rows)
        let outageCount = outage.lazy.filter { $0 }.count
        // A provider whose every window was an outage keeps them all: there is nothing else.
        let up = outageCount == rows.count ? rows : zip(rows, outage).filter { !$0.1 }.map(\.0)
        let failures = up.filter { !$0.ok }.count
        let failure: LinearHead
        var failureFit = (iterations: 0, converged: true)
        if failures == 0 || failures == up.count {
            let rate = (Double(failures) + 0.5) / (Double(up.count) + 1)
            failure = LinearHead(intercept: log(rate / (1 - rate)), coefficients: [Double](repeating: 0, count: spec.width))
        } else {
            var logistic = LogisticRegression()
            logistic.c = configuration.logisticC
            // Output tokens are known only after the fact (a failed request has none), so the
            // failure head must not see them: their columns are zeroed, which leaves their
            // coefficients at 0 under the L2 penalty.
            var x = Self.design(up, spec)
            for j in Self.outputColumns(spec) {
                for i in 0..<x.rows { x[i, j] = 0 }
            }
            let fit = try logistic.fit(x, up.map { !$0.ok })
            failure = fit.model
            failureFit = (fit.iterations, fit.converged)
        }
        let solver = SolverReport(tailIterations: tail.iterations, tailOptimalityGap: tail.optimalityGap,
                                  failureIterations: failureFit.iterations, failureConverged: failureFit.converged)
        return Heads(latency: latency, residualVariance: residualVariance, tail: tail.model, failure: failure,
                     solver: solver, outageRows: outageCount == rows.count ? 0 : outageCount)
    }

    /// The metrics of an exported provider model on other rows (for `mosaic eval routing`).
    public func evaluate(_ p: ProviderModel, on rows: [Row]) -> ProviderMetrics {
        let heads = Heads(latency: p.logLatency, residualVariance: p.logLatencyResidualVariance, tail: p.logLatencyTail,
                          failure: p.failure)
        var config = configuration
        config.tailQuantile = p.tailQuantile
        var m = RoutingTrainer(configuration: config).evaluate(heads, spec: p.featureSpec, train: [], test: rows)
        m.trainRows = p.rows
        return m
    }

    func evaluate(_ heads: Heads, spec: FeatureSpec, train: [Row], test: [Row]) -> ProviderMetrics {
        var scratch: [Double] = []
        var yLog: [Double] = [], mu: [Double] = [], tail: [Double] = []
        var failed: [Bool] = [], p: [Double] = []
        for r in test {
            spec.encode(r.features, into: &scratch)
            let z = heads.failure.evaluate(scratch)
            p.append(1 / (1 + exp(-z)))
            failed.append(!r.ok)
            if r.ok, let l = r.latencyMs, l > 0 {
                yLog.append(log(l))
                mu.append(heads.latency.evaluate(scratch))
                tail.append(heads.tail.evaluate(scratch))
            }
        }
        let covered = zip(yLog, tail).filter { $0 <= $1 }.count
        let hasBoth = failed.contains(true) && failed.contains(false)
        return ProviderMetrics(
            trainRows: train.count, testRows: test.count,
            latencyRMSE: yLog.isEmpty ? 0 : Metrics.rmse(yLog, mu),
            latencyMAE: yLog.isEmpty ? 0 : Metrics.mae(yLog, mu),
            latencyR2: yLog.count < 2 ? 0 : Metrics.r2(yLog, mu),
            tailCoverage: yLog.isEmpty ? 0 : Double(covered) / Double(yLog.count),
            tailPinballLoss: yLog.isEmpty ? 0 : Metrics.pinballLoss(yLog, tail, quantile: configuration.tailQuantile),
            failureLogLoss: test.isEmpty ? 0 : Metrics.logLoss(y: failed, p: p),
            failureAUC: hasBoth ? Metrics.auc(y: failed, score: p) : nil,
            failureBrier: test.isEmpty ? 0 : Metrics.brier(y: failed, p: p),
            failureRate: test.isEmpty ? 0 : Double(failed.filter { $0 }.count) / Double(test.count),
            calibration: Metrics.calibration(y: failed, p: p, bins: 10), latencyRows: yLog.count)
    }
}
