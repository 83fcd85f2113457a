import Foundation
import Hummingbird
import Logging
import MosaicCore
import MosaicRouting
import MosaicServer
import MosaicTestSupport
import Synchronization

/// A model, a policy and options in a temporary folder.
final class Fixture: @unchecked Sendable {
    let dir = TemporaryDirectory("mosaic-serve")
    let modelPath: String
    let policyPath: String
    /// A fixed clock (2026-10-20 12:00 UTC) tests may move.
    let clock = ManualClock()

    static let providers = ["openai", "anthropic", "cohere", "ollama"]

    /// A routing model with heads for the four LLM providers: latency grows with prompt size,
    /// failure probability differs per provider.
    static func model(version: Int = 7) throws -> RoutingModel {
        let spec = try FeatureSpec(features: [
            .numeric(.inputTokens, transform: .log1p, mean: 6, scale: 2),
            .oneHot(.model, vocabulary: ["gpt-4o", "claude"]),
        ])
        let metrics = ProviderMetrics(trainRows: 800, testRows: 200, latencyRMSE: 0.3, latencyMAE: 0.2, latencyR2: 0.5,
                                      tailCoverage: 0.95, tailPinballLoss: 0.05, failureLogLoss: 0.1, failureAUC: 0.7,
                                      failureBrier: 0.02, failureRate: 0.02, calibration: [])
        let base: [String: (Double, Double)] = ["openai": (800, -4), "anthropic": (900, -3.5), "cohere": (700, -3), "ollama": (2500, -4.5)]
        let heads = providers.map { id -> ProviderModel in
            let (ms, fail) = base[id]!
            return ProviderModel(provider: id, models: ["gpt-4o", "claude"], rows: 1000, featureSpec: spec,
                                 logLatency: LinearHead(intercept: log(ms), coefficients: [0.3, 0.1, 0.05]),
                                 logLatencyResidualVariance: 0.04, tailQuantile: 0.95,
                                 logLatencyTail: LinearHead(intercept: log(ms * 2.5), coefficients: [0.3, 0.1, 0.05]),
                                 failure: LinearHead(intercept: fail, coefficients: [0.2, 0, 0]), metrics: metrics)
        }
        return RoutingModel(version: version, createdAt: "2026-10-19T00:00:00Z",
                            trainingWindow: .init(from: "2026-10-05T00:00:00Z", to: "2026-10-19T00:00:00Z"),
                            rows: 4000, dataFingerprint: "fixture", validation: "time-ordered", providers: heads, quality: nil)
    }

    /// The example policy without its `*` tenant, so tenants other than `acme` are unknown.
    static let closedPolicyYAML: String = {
        var lines = RoutingPolicy.exampleYAML.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let i = lines.firstIndex(where: { $0.contains("\"*\":") }) { lines.removeSubrange(i...(i + 1)) }
        return lines.joined(separator: "\n")
    }()

    init(policy: String = Fixture.closedPolicyYAML, modelVersion: Int = 7) throws {
        modelPath = dir.file("router.json")
        policyPath = dir.write("policy.yaml", policy)
        try Self.model(version: modelVersion).encoded().write(to: URL(fileURLWithPath: modelPath))
    }

    func writeModel(version: Int, as name: String = "router.json.tmp") throws {
        // Write beside, then rename: what a deploy does (the watch never sees half a file).
        let tmp = dir.file(name)
        try Self.model(version: version).encoded().write(to: URL(fileURLWithPath: tmp))
        _ = rename(tmp, modelPath)
    }

    func writeCorruptModel(as name: String = "router.json.tmp") throws {
        let tmp = dir.file(name)
        try Data("{\"schemaVersion\": 1, \"kind\": \"routing\", \"provid".utf8).write(to: URL(fileURLWithPath: tmp))
        _ = rename(tmp, modelPath)
    }

    func options(store: String? = nil, token: String? = "t0ken", watch: Double? = nil) -> ServeOptions {
        var o = ServeOptions(modelPath: modelPath, policyPath: policyPath, catalog: .default, storePath: store, adminToken: token)
        o.port = 0
        o.watchIntervalSeconds = watch
        o.maxBodyBytes = 4096
        let c = clock
        o.clock = { c.now }
        o.writerIntervalSeconds = 0.05
        return o
    }

    static let logger: Logger = {
        var l = Logger(label: "mosaic.serve.test")
        l.logLevel = .critical
        return l
    }()

    func service(store: String? = nil, token: String? = "t0ken", watch: Double? = nil) throws -> RoutingService {
        try RoutingService(options: options(store: store, token: token, watch: watch), logger: Self.logger)
    }
}

/// Starts a server on a fresh fixture's options with `adjust` applied, runs `body` on a plain
/// thread with the port and the service, and stops the server (also when `body` throws).
func withServer<T: Sendable>(_ adjust: (inout ServeOptions) -> Void = { _ in }, logger: Logger = Fixture.logger,
                             _ body: @escaping @Sendable (Int, RoutingService) throws -> T) async throws -> T {
    let f = try Fixture()
    var o = f.options()
    adjust(&o)
    let service = try RoutingService(options: o, logger: logger)
    let handle = try await ServeApplication.start(service: service, logger: logger)
    let port = handle.port
    let result: T
    do {
        result = try await blocking { try body(port, service) }
    } catch {
        try await handle.stop()
        throw error
    }
    try await handle.stop()
    return result
}

/// JSON helpers for responses.
func object(_ buffer: ByteBuffer) throws -> [String: Any] {
    let data = Data(buffer.readableBytesView)
    guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw LoopbackHTTPClient.Failure(description: "not an object: \(String(buffer: buffer))")
    }
    return o
}

func object(_ bytes: [UInt8]) throws -> [String: Any] {
    guard let o = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
        throw LoopbackHTTPClient.Failure(description: "not an object: \(String(decoding: bytes, as: UTF8.self))")
    }
    return o
}

/// A clock tests move by hand (starts 2026-10-20 12:00 UTC).
final class ManualClock: Sendable {
    let value = Atomic<Int64>(Timestamp.parse("2026-10-20T12:00:00Z")!)
    var now: Int64 { value.load(ordering: .relaxed) }
    func advance(_ micros: Int64) { value.wrappingAdd(micros, ordering: .relaxed) }
}

/// Runs blocking work (sockets, sleeps) on its own thread, never on Swift's cooperative pool:
/// with two cores the pool has two threads, and the server under test needs them.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        Thread.detachNewThread { c.resume(with: Result { try body() }) }
    }
}
