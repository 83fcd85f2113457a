import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import MosaicCore
import MosaicIngest
import MosaicRouting
import MosaicServer
import MosaicSim
import MosaicStore
import NIOCore

/// Feeds bytes to the parser of a ``FuzzTarget``, the way the product reads that input.
///
/// Readers that take a path (request logs, traces, FOCUS, YAML files, model files) get the bytes
/// written to a scratch file first, so their whole path runs: size and UTF-8 checks, line
/// splitting, the parser and the checks after it. Errors are the expected answer to bad input;
/// a crash, a hang or a sanitizer report is a bug.
///
/// Not thread-safe: one harness per thread (libFuzzer runs one input at a time).
public final class FuzzHarness {
    /// What a run made of the input.
    public enum Outcome: Equatable, Sendable {
        /// The input was read without error.
        case accepted
        /// The reader refused it with this message.
        case rejected(String)
    }

    /// The repository's root (for `examples/` and `Fuzz/Corpus/`).
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The folder of a target's committed corpus.
    public static func corpusDirectory(_ target: FuzzTarget) -> String {
        repositoryRoot + "/Fuzz/Corpus/" + target.rawValue
    }

    let scratch: String
    let example: String
    /// The built-in catalog plus the example's three hosts, so the built-in examples and
    /// `examples/` both pass the semantic checks.
    let catalog: Catalog
    let logger = Logger(label: "mosaic.fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
    /// 2026-01-01T00:00:00Z: "now" for every reader that compares with the clock.
    let now: Int64 = 1_767_225_600_000_000
    private var service: RoutingService?
    private var focusStore: Store?
    private var focusRuns = 0

    /// - Parameter scratch: a folder for the scratch files; a fresh one under the temporary
    ///   folder when nil. It is removed when the harness goes away.
    public init(scratch: String? = nil) throws {
        let dir = scratch ?? NSTemporaryDirectory() + "/mosaic-fuzz-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        self.scratch = dir
        example = FuzzHarness.repositoryRoot + "/examples/llama3-70b-hosts"
        let hosts = try String(contentsOfFile: example + "/catalog.yaml", encoding: .utf8)
        guard let list = hosts.range(of: "providers:\n") else {
            preconditionFailure("examples/llama3-70b-hosts/catalog.yaml has no providers list")
        }
        catalog = try Catalog(yaml: Catalog.defaultYAML + "\n" + hosts[list.upperBound...], source: "fuzz-catalog.yaml")
    }

    deinit {
        focusStore = nil
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// Runs one input through `target`'s reader.
    @discardableResult
    public func run(_ target: FuzzTarget, _ bytes: UnsafeRawBufferPointer) -> Outcome {
        do {
            switch target {
            case .requestsCSV: try requests(bytes, format: .csv, ext: "csv")
            case .requestsJSONL: try requests(bytes, format: .jsonl, ext: "jsonl")
            case .traceAzure: try requests(bytes, format: .azureTrace, ext: "csv")
            case .traceBurstGPT: try requests(bytes, format: .burstgpt, ext: "csv")
            case .traceMooncake: try requests(bytes, format: .mooncake, ext: "jsonl")
            case .series: _ = try SeriesFile.read(path: write(bytes, as: "series.csv"), gaps: .missing)
            case .focus: try focus(bytes)
            case .litellmPrices:
                let document = try JSONValue.parse(bytes)
                _ = try LiteLLMPrices.parse(document, file: "prices.json", validFrom: now, source: "fuzz")
            case .providerPages: try providerPages(bytes)
            case .catalog: _ = try Catalog.load(path: write(bytes, as: "catalog.yaml"))
            case .policy: try policy(bytes)
            case .scenario:
                let path = write(bytes, as: "scenario.yaml")
                let text = try YAMLReader.text(path: path, document: "scenario")
                _ = try Scenario(yaml: text, source: path, catalog: catalog)
            case .gateway:
                _ = try GatewayFile.load(path: write(bytes, as: "gateway.yaml"), catalog: catalog, environment: ["FUZZ_KEY": "sk-fuzz"])
            case .serveRoute: _ = try routingService().route(body: bytes)
            case .serveOutcome: try outcome(bytes)
            case .model: try model(bytes)
            }
            return .accepted
        } catch {
            return .rejected("\(error)")
        }
    }

    /// Runs every file of `target`'s committed corpus; the outcome per file name.
    public func replayCorpus(_ target: FuzzTarget) throws -> [(file: String, outcome: Outcome)] {
        let dir = FuzzHarness.corpusDirectory(target)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.sorted()
        return try names.map { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
            return (name, data.withUnsafeBytes { run(target, $0) })
        }
    }

    // MARK: - Inputs

    /// Writes the bytes to a scratch file and returns its path.
    func write(_ bytes: UnsafeRawBufferPointer, as name: String) -> String {
        let path = scratch + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot write the scratch file \(path)")
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            precondition(n > 0, "cannot write the scratch file \(path)")
            done += n
        }
        close(fd)
        return path
    }

    func requests(_ bytes: UnsafeRawBufferPointer, format: RequestLogFormat, ext: String) throws {
        var options = RequestIngestOptions()
        options.format = format
        options.now = now
        options.start = now - 86_400_000_000 * 800
        if format == .azureTrace || format == .mooncake {
            options.provider = "openai"
            options.model = "gpt-4o"
        }
        var rows = 0
        try RequestLogReader(catalog: catalog).read(path: write(bytes, as: "requests." + ext), options: options) { _, _ in
            rows += 1
        }
    }

    func focus(_ bytes: UnsafeRawBufferPointer) throws {
        // A fresh store now and then, so accepted inputs do not pile up.
        if focusStore == nil || focusRuns >= 2000 {
            focusStore = nil
            let path = scratch + "/focus.sqlite"
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            focusStore = try Store(path: path)
            focusRuns = 0
        }
        focusRuns += 1
        var options = FOCUSIngestOptions()
        options.skipBad = bytes.count % 2 == 1
        _ = try FOCUSIngestor(store: focusStore!).ingest(path: write(bytes, as: "focus.csv"), options: options)
    }

    /// Loads the policy, compiles it into a router (as `mosaic route`, `serve` and `simulate`
    /// do) and routes and settles one request with a budget tag.
    func policy(_ bytes: UnsafeRawBufferPointer) throws {
        let p = try RoutingPolicy.load(path: write(bytes, as: "policy.yaml"), catalog: catalog)
        let router = try Router(policy: p, catalog: catalog, now: now)
        let request = RouteRequest(tenant: "acme", modelFamily: "gpt-4o", promptTokens: 2_000, expectedOutputTokens: 400,
                                   latencySLOMs: 20_000, budgetTag: p.budgets.keys.sorted().first)
        var d = Decision(seed: 1)
        if let ticket = router.route(request, now: now, into: &d) {
            router.complete(ticket, status: .ok, latencyMs: 900, inputTokens: 2_000, outputTokens: 400,
                            budgetTag: request.budgetTag, now: now + 1_000_000)
        }
    }

    func providerPages(_ bytes: UnsafeRawBufferPointer) throws {
        let page = try JSONValue.parse(bytes)
        let window = PullWindow(since: now - 86_400_000_000 * 30, until: now)
        let sources: [any APISource] = [
            OpenAIUsageSource(), OpenAICostsSource(), AnthropicUsageSource(), AnthropicCostsSource(),
            GitHubBillingSource(organization: "fuzz"),
        ]
        var firstError: (any Error)?
        for source in sources {
            do { _ = try source.parse(page, window: window, token: nil, account: "fuzz") } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
    }

    /// The server over the example's model and policy, made once.
    func routingService() throws -> RoutingService {
        if let service { return service }
        let s = try RoutingService(options: serveOptions(modelPath: example + "/router.json"), logger: logger)
        service = s
        return s
    }

    func serveOptions(modelPath: String) -> ServeOptions {
        var o = ServeOptions(modelPath: modelPath, policyPath: example + "/policy.yaml", catalog: catalog)
        o.watchIntervalSeconds = nil
        o.pendingCapacity = 64
        let now = self.now
        o.clock = { now }
        return o
    }

    static let routeBody = Array(#"{"tenant":"acme","model_family":"llama-3-70b","prompt_tokens":2000,"expected_output_tokens":400,"slo_ms":20000}"#.utf8)

    func outcome(_ bytes: UnsafeRawBufferPointer) throws {
        let s = try routingService()
        let answer = try FuzzHarness.routeBody.withUnsafeBytes { b throws(MosaicServer.APIError) in try s.route(body: b) }
        guard let id = FuzzHarness.decisionID(in: Array(answer.readableBytesView)) else {
            preconditionFailure("the route answer carries no decision_id")
        }
        let body = FuzzHarness.replacing(Array("$ID".utf8), with: Array(id.utf8), in: Array(bytes))
        _ = try body.withUnsafeBytes { b throws(MosaicServer.APIError) in try s.outcome(body: b) }
    }

    func model(_ bytes: UnsafeRawBufferPointer) throws {
        let s = try RoutingService(options: serveOptions(modelPath: write(bytes, as: "router.json")), logger: logger)
        _ = try FuzzHarness.routeBody.withUnsafeBytes { b throws(MosaicServer.APIError) in try s.route(body: b) }
    }

    /// The value of `"decision_id":"..."` in a route answer.
    static func decisionID(in answer: [UInt8]) -> String? {
        let key = Array(#""decision_id":""#.utf8)
        guard answer.count > key.count else { return nil }
        for start in 0...(answer.count - key.count) where answer[start..<(start + key.count)].elementsEqual(key) {
            let from = start + key.count
            guard let end = answer[from...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            return String(decoding: answer[from..<end], as: UTF8.self)
        }
        return nil
    }

    static func replacing(_ pattern: [UInt8], with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if i + pattern.count <= bytes.count && bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
                out += replacement
                i += pattern.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}
