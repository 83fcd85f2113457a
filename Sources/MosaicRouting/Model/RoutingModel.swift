import Foundation
import MosaicCore

/// A linear function of encoded features: `intercept + coefficients · x`. The trainers fit it
/// (MosaicLearn calls it `LinearModel`); the router evaluates it.
public struct LinearHead: Sendable, Codable, Equatable {
    /// The constant term (0 when the trainer was told not to fit one).
    public var intercept: Double
    /// One coefficient per feature column, in column order.
    public var coefficients: [Double]

    public init(intercept: Double, coefficients: [Double]) {
        self.intercept = intercept
        self.coefficients = coefficients
    }

    /// - Complexity: O(n); no allocation.
    @inlinable
    public func evaluate(_ x: [Double]) -> Double {
        var s = intercept
        x.withUnsafeBufferPointer { xs in
            coefficients.withUnsafeBufferPointer { cs in
                for i in 0..<min(xs.count, cs.count) { s += xs[i] * cs[i] }
            }
        }
        return s
    }
}

/// The logistic function `1 / (1 + e^−z)`, in the form that cannot overflow for either sign of z.
@inlinable
func logistic(_ z: Double) -> Double { z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)) }

/// What the router expects of one provider for one request.
public struct Prediction: Sendable, Equatable, Codable {
    /// Expected (mean) latency of a successful request, ms.
    public var expectedLatencyMs: Double
    /// The model's tail quantile of latency (see ``ProviderModel/tailQuantile``), ms.
    public var tailLatencyMs: Double
    /// Probability that the request fails (any status but `ok`).
    public var failureProbability: Double

    public init(expectedLatencyMs: Double, tailLatencyMs: Double, failureProbability: Double) {
        self.expectedLatencyMs = expectedLatencyMs
        self.tailLatencyMs = tailLatencyMs
        self.failureProbability = failureProbability
    }
}

/// Holdout metrics of one provider's heads (on the time-ordered test split).
public struct ProviderMetrics: Sendable, Codable, Equatable {
    public var trainRows: Int
    public var testRows: Int
    /// On ln(latency ms) of successful requests.
    public var latencyRMSE: Double
    public var latencyMAE: Double
    public var latencyR2: Double
    /// Share of successful test requests at or below the predicted tail latency (target: the quantile).
    public var tailCoverage: Double
    public var tailPinballLoss: Double
    public var failureLogLoss: Double
    public var failureAUC: Double?
    public var failureBrier: Double
    public var failureRate: Double
    public var calibration: [CalibrationRow]
    /// How many test rows the latency metrics are over (successful, with a latency); 0 makes
    /// them undefined (a trace without latencies). Absent in files written before it.
    public var latencyRows: Int?

    public init(trainRows: Int, testRows: Int, latencyRMSE: Double, latencyMAE: Double, latencyR2: Double, tailCoverage: Double, tailPinballLoss: Double, failureLogLoss: Double, failureAUC: Double?, failureBrier: Double, failureRate: Double, calibration: [CalibrationRow], latencyRows: Int? = nil) {
        self.trainRows = trainRows
        self.testRows = testRows
        self.latencyRMSE = latencyRMSE
        self.latencyMAE = latencyMAE
        self.latencyR2 = latencyR2
        self.tailCoverage = tailCoverage
        self.tailPinballLoss = tailPinballLoss
        self.failureLogLoss = failureLogLoss
        self.failureAUC = failureAUC
        self.failureBrier = failureBrier
        self.failureRate = failureRate
        self.calibration = calibration
        self.latencyRows = latencyRows
    }
}

/// One bin of a calibration (reliability) table.
public struct CalibrationRow: Sendable, Codable, Equatable {
    /// The bin's lower edge (exclusive, except 0 for the first bin).
    public var lower: Double
    /// The bin's upper edge (inclusive).
    public var upper: Double
    /// How many predictions fell in the bin.
    public var count: Int
    /// Their mean predicted probability.
    public var meanPredicted: Double
    /// The share of them that were positive.
    public var observedRate: Double

    public init(lower: Double, upper: Double, count: Int, meanPredicted: Double, observedRate: Double) {
        self.lower = lower
        self.upper = upper
        self.count = count
        self.meanPredicted = meanPredicted
        self.observedRate = observedRate
    }
}

/// How the iterative fits of one provider's heads ended, so that a model file says how close to
/// optimal its coefficients are.
public struct SolverReport: Sendable, Codable, Equatable {
    /// The tail head's quantile-regression steps: the MM approach plus the smoothed-Newton finish.
    public var tailIterations: Int
    /// The tail head's relative duality gap against the exact pinball problem (about 1e-6 on the
    /// demo): how far its objective can be from the minimum.
    public var tailOptimalityGap: Double
    /// Newton steps of the failure head's logistic regression (0 for a constant rate).
    public var failureIterations: Int
    /// Whether the failure head met its gradient tolerance (1e-8 on the scaled gradient).
    public var failureConverged: Bool

    public init(tailIterations: Int, tailOptimalityGap: Double, failureIterations: Int, failureConverged: Bool) {
        self.tailIterations = tailIterations
        self.tailOptimalityGap = tailOptimalityGap
        self.failureIterations = failureIterations
        self.failureConverged = failureConverged
    }
}

/// The learned behaviour of one provider.
///
/// Latency is modelled on the log scale for successful requests: `logLatency` predicts the mean
/// of ln(latency ms) (expected latency is the lognormal mean `exp(μ + σ²/2)` with the residual
/// variance σ²), `logLatencyTail` the `tailQuantile` of ln(latency ms) (a quantile regression);
/// `failure` is the logit of P(status ≠ ok) over all requests.
public struct ProviderModel: Sendable, Codable, Equatable {
    public var provider: String
    /// The provider's models seen in training.
    public var models: [String]
    public var rows: Int
    public var featureSpec: FeatureSpec
    public var logLatency: LinearHead
    public var logLatencyResidualVariance: Double
    public var tailQuantile: Double
    public var logLatencyTail: LinearHead
    public var failure: LinearHead
    public var metrics: ProviderMetrics
    /// How the iterative fits of the exported heads ended (absent in files written before it
    /// was recorded).
    public var solver: SolverReport? = nil
    /// Rows the failure head was not fitted on because they fell in the provider's outages
    /// (absent in files written before outages were left out, and when there were none).
    public var outageRows: Int? = nil

    public init(provider: String, models: [String], rows: Int, featureSpec: FeatureSpec, logLatency: LinearHead, logLatencyResidualVariance: Double, tailQuantile: Double, logLatencyTail: LinearHead, failure: LinearHead, metrics: ProviderMetrics) {
        self.provider = provider
        self.models = models
        self.rows = rows
        self.featureSpec = featureSpec
        self.logLatency = logLatency
        self.logLatencyResidualVariance = logLatencyResidualVariance
        self.tailQuantile = tailQuantile
        self.logLatencyTail = logLatencyTail
        self.failure = failure
        self.metrics = metrics
    }

    /// Predicts for one request, encoding into `scratch` (reused; no allocation after the first call).
    @inlinable
    public func predict(_ r: RequestFeatures, scratch: inout [Double]) -> Prediction {
        featureSpec.encode(r, into: &scratch)
        let mu = logLatency.evaluate(scratch)
        let tail = logLatencyTail.evaluate(scratch)
        return Prediction(expectedLatencyMs: exp(mu + logLatencyResidualVariance / 2),
                          tailLatencyMs: exp(max(tail, mu)), failureProbability: logistic(failure.evaluate(scratch)))
    }
}

/// A strong and a weak model, and when the weak one is good enough.
///
/// `head` is the logit of P(the weak model's answer is as good as the strong one's) from the
/// prompt's text; a router sends a request to the weak model when that probability is at
/// least its threshold.
public struct QualityModel: Sendable, Codable, Equatable {
    public struct Target: Sendable, Codable, Equatable {
        public var provider: String
        public var model: String
        public init(provider: String, model: String) {
            self.provider = provider
            self.model = model
        }
    }

    /// Metrics on the held-out split, as RouteLLM reports them.
    public struct Metrics: Sendable, Codable, Equatable {
        public var testRows: Int
        public var split: String
        public var strongAccuracy: Double
        public var weakAccuracy: Double
        /// Average performance gap recovered over the share of strong calls (random router: 0.5);
        /// nil, like the CPTs, where the strong model is no more accurate than the weak one: there
        /// is no gap to recover, so none is defined.
        public var apgr: Double?
        public var randomAPGR: Double
        /// Smallest share of strong calls that recovers 50% / 80% of the gap.
        public var cpt50: Double?
        public var cpt80: Double?
        public var logLoss: Double
        public var auc: Double?

        public init(testRows: Int, split: String, strongAccuracy: Double, weakAccuracy: Double, apgr: Double?, randomAPGR: Double, cpt50: Double?, cpt80: Double?, logLoss: Double, auc: Double?) {
            self.testRows = testRows
            self.split = split
            self.strongAccuracy = strongAccuracy
            self.weakAccuracy = weakAccuracy
            self.apgr = apgr
            self.randomAPGR = randomAPGR
            self.cpt50 = cpt50
            self.cpt80 = cpt80
            self.logLoss = logLoss
            self.auc = auc
        }
    }

    public var dataset: String
    /// The models the labels came from (e.g. gpt-4-1106-preview and Mixtral-8x7B).
    public var labelStrong: String
    public var labelWeak: String
    /// Where the router sends strong and weak requests.
    public var strong: Target
    public var weak: Target
    /// The schema-1 head: logistic regression on ``featureSpec`` (hashed words and length).
    /// Used when there is no ``scorer``.
    public var featureSpec: FeatureSpec
    public var head: LinearHead
    /// The schema-2 head (context priors, TF-IDF/LSA kNN, structure); nil in schema-1 files.
    public var scorer: QualityScorer?
    public var metrics: Metrics

    public init(dataset: String, labelStrong: String, labelWeak: String, strong: Target, weak: Target, featureSpec: FeatureSpec,
                head: LinearHead, scorer: QualityScorer? = nil, metrics: Metrics) {
        self.dataset = dataset
        self.labelStrong = labelStrong
        self.labelWeak = labelWeak
        self.strong = strong
        self.weak = weak
        self.featureSpec = featureSpec
        self.head = head
        self.scorer = scorer
        self.metrics = metrics
    }

    /// P(weak is good enough) for a prompt.
    public func weakGoodEnough(_ r: RequestFeatures, scratch: inout [Double]) -> Double {
        if let scorer { return scorer.weakGoodEnough(r) }
        featureSpec.encode(r, into: &scratch)
        return logistic(head.evaluate(scratch))
    }
}

/// Why a model file cannot be used.
public enum ModelFileError: Error, Sendable, CustomStringConvertible {
    case notJSON(String)
    case unsupportedSchema(found: Int, supported: Int)
    case wrongKind(found: String, expected: String)
    case invalid(String)

    public var description: String {
        switch self {
        case .notJSON(let why): return "not a Mosaic model file: \(why)"
        case let .unsupportedSchema(found, supported):
            return "model file schema version \(found) is not supported (this mosaic reads \(supported)); retrain or upgrade"
        case let .wrongKind(found, expected): return "model kind '\(found)' is not a \(expected) model"
        case .invalid(let why): return "invalid model file: \(why)"
        }
    }

    /// Reads the header every model file has, checking the schema version and kind.
    public static func checkHeader(_ data: Data, kind: String, schemaVersion: Int) throws(ModelFileError) {
        try checkHeader(data, kind: kind, schemaVersions: schemaVersion...schemaVersion)
    }

    /// Reads the header every model file has, checking that the schema version is one of
    /// `schemaVersions` and the kind.
    public static func checkHeader(_ data: Data, kind: String, schemaVersions: ClosedRange<Int>) throws(ModelFileError) {
        struct Header: Decodable { var schemaVersion: Int?; var kind: String? }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: data) } catch {
            throw .notJSON(DecodingError.message(for: error, in: data))
        }
        guard let v = header.schemaVersion else { throw .notJSON("no schemaVersion") }
        guard schemaVersions.contains(v) else { throw .unsupportedSchema(found: v, supported: schemaVersions.upperBound) }
        guard header.kind == kind else { throw .wrongKind(found: header.kind ?? "none", expected: kind) }
    }
}

/// A routing model file: versioned, self-describing JSON.
///
/// It holds the schema version, kind, model version, creation time, training window, row count
/// and data fingerprint, and per provider the feature specification (vocabularies, scaling)
/// with the coefficients of each head and their holdout metrics; optionally a quality model.
/// Cost is not learned: the router computes it exactly from prices.
public struct RoutingModel: Sendable, Codable, Equatable {
    /// 2 adds the quality ``QualityModel/scorer``; 3 stores its SVD components and reference
    /// embeddings packed (``PackedRows``) and may clip its structure inputs and record its head
    /// selection; 4 adds the scorer's text ridge (``QualityScorer/textWeights``); 5 its
    /// per-group text ridges (``QualityScorer/groupText``); 6 its difficulty inputs
    /// (``QualityScorer/difficulty``). A model with a scorer is written as schema 6 (so an older
    /// reader refuses it with a clear message), any other as schema 1; all six load.
    public static let currentSchemaVersion = 6
    public static let readableSchemaVersions = 1...6

    public struct Window: Sendable, Codable, Equatable {
        public var from: String
        public var to: String
        public init(from: String, to: String) {
            self.from = from
            self.to = to
        }
    }

    public var schemaVersion: Int
    public var kind: String
    public var version: Int
    public var createdAt: String
    public var trainingWindow: Window
    public var rows: Int
    /// A hash of the training rows: the same data gives the same fingerprint.
    public var dataFingerprint: String
    /// How the holdout metrics were computed.
    public var validation: String
    public var providers: [ProviderModel]
    public var quality: QualityModel?

    public init(version: Int, createdAt: String, trainingWindow: Window, rows: Int, dataFingerprint: String,
                validation: String, providers: [ProviderModel], quality: QualityModel?) {
        schemaVersion = quality?.scorer == nil ? 1 : Self.currentSchemaVersion
        kind = "routing"
        self.version = version
        self.createdAt = createdAt
        self.trainingWindow = trainingWindow
        self.rows = rows
        self.dataFingerprint = dataFingerprint
        self.validation = validation
        self.providers = providers
        self.quality = quality
    }

    public func provider(_ id: String) -> ProviderModel? { providers.first { $0.provider == id } }

    /// Reads and checks a model file's bytes: schema version, kind, and that every head fits
    /// its feature specification with finite coefficients.
    public static func decode(_ data: Data) throws(ModelFileError) -> RoutingModel {
        try ModelFileError.checkHeader(data, kind: "routing", schemaVersions: readableSchemaVersions)
        let model: RoutingModel
        do { model = try JSONDecoder().decode(RoutingModel.self, from: data) } catch {
            throw .invalid(DecodingError.message(for: error, in: data))
        }
        try model.validate()
        return model
    }

    /// Checks the heads against the feature specifications.
    public func validate() throws(ModelFileError) {
        func check(_ head: LinearHead, _ width: Int, _ what: String) throws(ModelFileError) {
            guard head.coefficients.count == width else {
                throw .invalid("\(what): \(head.coefficients.count) coefficients for \(width) features")
            }
            guard head.intercept.isFinite, head.coefficients.allSatisfy(\.isFinite) else {
                throw .invalid("\(what): non-finite coefficient")
            }
        }
        if providers.isEmpty && quality == nil { throw .invalid("no provider heads and no quality model") }
        for p in providers {
            do { try p.featureSpec.validate() } catch { throw .invalid("\(p.provider): \(error)") }
            let w = p.featureSpec.width
            try check(p.logLatency, w, "\(p.provider).logLatency")
            try check(p.logLatencyTail, w, "\(p.provider).logLatencyTail")
            try check(p.failure, w, "\(p.provider).failure")
        }
        if let q = quality {
            do { try q.featureSpec.validate() } catch { throw .invalid("quality: \(error)") }
            try check(q.head, q.featureSpec.width, "quality.head")
            if let p = q.scorer?.problem { throw .invalid("quality.scorer: \(p)") }
        }
    }

    /// The file's bytes: pretty-printed JSON with sorted keys (stable, diff-friendly).
    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }
}
