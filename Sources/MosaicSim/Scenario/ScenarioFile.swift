import Foundation
import MosaicCore
import Yams

// MARK: - Reading and validating scenarios

extension Scenario {
    /// Reads and validates a scenario from YAML text.
    ///
    /// The format (keys are snake_case; `version`, `duration`, `traffic` and `providers` are
    /// required, everything else optional) is shown in full, with comments, by ``exampleYAML``.
    /// Durations are text with a unit (`250ms`, `1.5s`, `5m`, `24h`, `7d`; units `us`, `ms`, `s`,
    /// `m`, `h`, `d`) read exactly to the microsecond, never through `Double`; dates are RFC 3339
    /// date-times or dates (`2026-10-12T00:00:00Z`, `2026-10-12`). Paths (`traffic.path`,
    /// `client.policy`, `client.model`) are kept as written; ``load(path:catalog:)`` resolves them
    /// against the scenario file's folder and checks that they exist.
    ///
    /// - Parameters:
    ///   - yaml: The scenario text.
    ///   - source: The name errors use for the text, usually its file path (`scenario.yaml`);
    ///     also stored in ``source``.
    ///   - catalog: The providers `providers` may name.
    /// - Throws: ``ScenarioError`` for the first problem found: YAML syntax, unknown or missing
    ///   keys, wrong types, bad durations or dates, parameters of another kind, then the semantic
    ///   checks of ``validate(catalog:)`` (ranges, provider ids, regions, overlapping events),
    ///   each naming the line and field.
    public init(yaml: String, source: String, catalog: Catalog) throws(ScenarioError) {
        self = try Scenario.read(yaml: yaml, source: source, catalog: catalog, baseDirectory: nil)
    }

    /// Reads and validates the scenario file at `path`.
    ///
    /// Relative paths inside the file are resolved against the file's folder (absolute ones stay
    /// as written; when `path` itself is relative, so are the resolved paths, relative to the
    /// working directory), and the files they name must exist. ``source`` is set to `path`.
    ///
    /// - Throws: ``ScenarioError/unreadableFile(path:reason:)`` when the file is missing, is a
    ///   directory, cannot be read or is not UTF-8; ``ScenarioError/missingFile(source:line:path:file:reason:)``
    ///   when a trace, load model, policy or routing model file does not exist; otherwise as
    ///   ``init(yaml:source:catalog:)``.
    public static func load(path: String, catalog: Catalog) throws(ScenarioError) -> Scenario {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadableFile(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw .unreadableFile(path: path, reason: "it is a directory, not a file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw .unreadableFile(path: path, reason: "the file is not UTF-8 text")
        }
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = ""
        }
        return try Scenario.read(yaml: text, source: path, catalog: catalog, baseDirectory: directory)
    }

    /// Runs the semantic checks a scenario file gets on a scenario built in code.
    ///
    /// Errors name the scenario by its ``source`` (or, when that is empty, its ``name``), line 0,
    /// and the field path the YAML format would use (`providers[1].concurrency`,
    /// `events[2].start`, `traffic.profile`). Files are not checked for existence.
    ///
    /// - Throws: ``ScenarioError`` for the first problem: numbers out of range, `providers`
    ///   empty, duplicated or not in the catalog, events naming providers not listed or regions
    ///   no listed provider serves, overlapping contradictory events, empty texts.
    public func validate(catalog: Catalog) throws(ScenarioError) {
        try ScenarioChecker(source: source.isEmpty ? name : source, lines: [:], catalog: catalog, checkFiles: false)
            .check(self)
    }

    /// Parses, resolves paths against `baseDirectory` (when given, which also turns on the
    /// existence checks) and checks.
    private static func read(yaml: String, source: String, catalog: Catalog,
                             baseDirectory: String?) throws(ScenarioError) -> Scenario {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ScenarioReader.syntaxError(error, yaml: yaml, source: source)
        }
        guard let root else { throw .emptyScenario(source: source, line: 1) }
        let reader = ScenarioReader(source: source, baseDirectory: baseDirectory)
        var scenario = try reader.scenario(root)
        scenario.source = source
        try ScenarioChecker(source: source, lines: reader.lines, catalog: catalog, checkFiles: baseDirectory != nil)
            .check(scenario)
        return scenario
    }
}

// MARK: - Durations

/// Text forms shared by the reader, the checker and error messages.
enum ScenarioText {
    enum DurationResult: Equatable {
        case value(Int64)
        case noUnit
        case invalid(String)
    }

    static let second: Int64 = 1_000_000
    static let minute: Int64 = 60 * second
    static let hour: Int64 = 60 * minute
    static let day: Int64 = 24 * hour

    static let durationUnits: [(String, Int64)] = [
        ("us", 1), ("µs", 1), ("ms", 1_000), ("s", second), ("m", minute), ("h", hour), ("d", day),
    ]

    /// 2026-01-05T00:00:00Z, a Monday: the default `start`.
    static let defaultStart = Int64(Timestamp.daysFromCivil(year: 2026, month: 1, day: 5)) * Timestamp.microsPerDay

    /// Reads `250ms`, `1.5s`, `5m`, `2d`, `-1s` in µs (negative values are range errors, not
    /// syntax errors). The same grammar as routing policies', plus days.
    static func duration(_ text: String) -> DurationResult {
        let scalars = Array(text.unicodeScalars)
        var i = 0
        var negative = false
        if i < scalars.count, scalars[i] == "-" || scalars[i] == "+" {
            negative = scalars[i] == "-"
            i += 1
        }
        var whole = ""
        var fraction = ""
        var seenDot = false
        while i < scalars.count {
            let c = scalars[i]
            if c >= "0" && c <= "9" {
                if seenDot { fraction.unicodeScalars.append(c) } else { whole.unicodeScalars.append(c) }
            } else if c == "." && !seenDot {
                seenDot = true
            } else {
                break
            }
            i += 1
        }
        let expected = "expected a number followed by a unit (us, ms, s, m, h or d), for example 250ms, 1.5s or 5m"
        guard !(whole.isEmpty && fraction.isEmpty) else { return .invalid(expected) }
        while i < scalars.count, scalars[i] == " " { i += 1 }
        let unit = String(String.UnicodeScalarView(scalars[i...]))
        if unit.isEmpty { return .noUnit }
        guard let factor = durationUnits.first(where: { $0.0 == unit })?.1 else {
            return .invalid("unknown unit '\(unit)' (use us, ms, s, m, h or d)")
        }
        guard fraction.count <= 12 else { return .invalid("too many decimal places") }
        let tooLarge = "too large"
        var micros: Int64 = 0
        for digit in whole.unicodeScalars {
            let d = Int64(digit.value - 48)
            let (m, o1) = micros.multipliedReportingOverflow(by: 10)
            let (v, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return .invalid(tooLarge) }
            micros = v
        }
        let (scaled, o) = micros.multipliedReportingOverflow(by: factor)
        if o { return .invalid(tooLarge) }
        micros = scaled
        if !fraction.isEmpty {
            // fraction × factor / 10^digits must be a whole number of µs. At most 12 digits times
            // at most 8.64e10 µs fits an Int128 with room to spare.
            var numerator: Int128 = 0
            var denominator: Int128 = 1
            for digit in fraction.unicodeScalars {
                numerator = numerator * 10 + Int128(digit.value - 48)
                denominator *= 10
            }
            let product = numerator * Int128(factor)
            guard product % denominator == 0 else {
                return .invalid("not a whole number of microseconds")
            }
            let (sum, o) = micros.addingReportingOverflow(Int64(product / denominator))
            if o { return .invalid(tooLarge) }
            micros = sum
        }
        return .value(negative ? -micros : micros)
    }

    /// Renders µs in the largest unit up to hours that divides it: `24h`, `90m`, `100ms`, `7us`.
    static func render(duration micros: Int64) -> String {
        if micros == 0 { return "0s" }
        for (unit, size) in [("h", hour), ("m", minute), ("s", second), ("ms", Int64(1_000))] where micros % size == 0 {
            return "\(micros / size)\(unit)"
        }
        return "\(micros)us"
    }

    /// Renders seconds as a duration (`14h`, `2.5s` as `2500ms`).
    static func render(seconds: Double) -> String {
        let micros = (seconds * 1_000_000).rounded()
        guard micros.isFinite, abs(micros) < 9e18 else { return "\(seconds)s" }
        return render(duration: Int64(micros))
    }

    /// Renders milliseconds as a duration.
    static func render(milliseconds: Double) -> String { render(seconds: milliseconds / 1_000) }

    /// Renders a number briefly: `65`, `0.5`, `2`.
    static func render(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

// MARK: - Reader

/// Walks a composed YAML tree and builds a scenario, turning every problem of shape or type into
/// a ``ScenarioError`` with the node's line and field path, and recording the line of every field
/// path so the semantic checks can name it too.
private final class ScenarioReader {
    let source: String
    /// The folder relative paths are resolved against (nil: keep them as written).
    let baseDirectory: String?
    /// The line of each field path read (`providers[0].service.median` → 12).
    var lines: [String: Int] = [:]

    init(source: String, baseDirectory: String?) {
        self.source = source
        self.baseDirectory = baseDirectory
    }

    static let topLevelKeys = [
        "version", "name", "seed", "start", "duration", "warmup", "replications", "series_interval", "traffic", "mix",
        "providers", "events", "client", "cache",
    ]
    static let trafficKinds = ["poisson", "replay", "trace", "load_model"]
    static let trafficParameters: [String: [String]] = [
        "poisson": ["rate", "profile", "bursts"],
        "replay": ["from", "to", "time_scale", "sample"],
        "trace": ["path", "format", "time_scale", "sample"],
        "load_model": ["path", "series", "scale"],
    ]
    static let trafficKeys = [
        "kind", "rate", "profile", "bursts", "from", "to", "time_scale", "sample", "path", "format", "series", "scale",
    ]
    static let burstKeys = ["factor", "mean_duration", "every"]
    static let traceFormats = ["csv", "jsonl", "azure-trace", "burstgpt", "mooncake"]
    static let mixKeys = [
        "tenants", "operations", "model_family", "prompt_tokens", "output_tokens", "tags", "compliance", "slo",
        "budget_tag",
    ]
    static let logNormalKeys = ["median", "sigma"]
    static let providerKeys = ["id", "concurrency", "queue_limit", "service", "error_rate", "regions"]
    static let serviceKinds = ["exponential", "lognormal", "empirical", "model", "from_store"]
    static let serviceParameters: [String: [String]] = [
        "exponential": ["mean"], "lognormal": ["median", "sigma"], "empirical": ["quantiles"], "model": ["fallback"],
        "from_store": [],
    ]
    static let serviceKeys = ["kind", "mean", "median", "sigma", "quantiles", "fallback"]
    static let eventKinds = ["outage", "degradation", "regional_outage", "price_change"]
    static let eventParameters: [String: [String]] = [
        "outage": ["provider", "start", "duration"],
        "degradation": ["provider", "start", "duration", "latency_factor", "error_rate"],
        "regional_outage": ["region", "start", "duration"],
        "price_change": ["provider", "start", "duration", "factor"],
    ]
    static let eventKeys = ["kind", "provider", "region", "start", "duration", "latency_factor", "error_rate", "factor"]
    static let clientKeys = ["policy", "model", "timeout", "failover"]
    static let cacheKinds = ["hit_ratio", "lru"]
    static let cacheParameters: [String: [String]] = [
        "hit_ratio": ["ratio", "latency"], "lru": ["capacity", "ttl", "key_space", "zipf_s", "latency"],
    ]
    static let cacheKeys = ["kind", "ratio", "latency", "capacity", "ttl", "key_space", "zipf_s"]

    /// The default σ of a lognormal service time when `sigma` is left out.
    static let defaultServiceSigma = 0.5
    /// The default latency of a cache hit, ms.
    static let defaultCacheLatencyMs = 5.0

    /// A mapping's values by key, already checked against the allowed keys, in document order.
    struct Fields {
        let node: Node
        let path: String
        let values: [String: Node]
        /// Keys in document order with the line of each key.
        let keys: [(name: String, line: Int)]

        func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    }

    // MARK: Scenario structure

    func scenario(_ root: Node) throws(ScenarioError) -> Scenario {
        if isNull(root) { throw .emptyScenario(source: source, line: line(of: root)) }
        let top = try fields(root, path: "", allowed: Self.topLevelKeys,
                             expected: "a scenario (a mapping with keys version, duration, traffic, providers, ...)")
        let version = try required(top, "version")
        guard case .scalar(let scalar) = version, tagName(of: version) == .int, Int.construct(from: scalar) == 1 else {
            throw .unsupportedVersion(source: source, line: line(of: version), value: describe(version))
        }
        let durationNode = try required(top, "duration")
        let trafficNode = try required(top, "traffic")
        let providersNode = try required(top, "providers")

        var name = "scenario"
        if let n = optional(top, "name") { name = try text(n, path: "name") }
        var seed: UInt64 = 1
        if let n = optional(top, "seed") { seed = try self.seed(n, path: "seed") }
        var start = ScenarioText.defaultStart
        if let n = optional(top, "start") { start = try date(n, path: "start") }
        let duration = try seconds(durationNode, path: "duration")
        var warmup = 0.0
        if let n = optional(top, "warmup") { warmup = try seconds(n, path: "warmup") }
        var replications = 10
        if let n = optional(top, "replications") { replications = try integer(n, path: "replications") }
        // One minute, or the whole run when that is shorter.
        var seriesInterval = min(60, duration)
        if let n = optional(top, "series_interval") { seriesInterval = try seconds(n, path: "series_interval") }
        let traffic = try traffic(trafficNode)
        var mix = RequestMix()
        if let n = optional(top, "mix") { mix = try self.mix(n) }
        var providers: [ProviderSpec] = []
        for (index, item) in try list(providersNode, path: "providers").enumerated() {
            providers.append(try provider(item, path: "providers[\(index)]"))
        }
        var events: [ScenarioEvent] = []
        if let n = optional(top, "events") {
            for (index, item) in try list(n, path: "events").enumerated() {
                events.append(try event(item, path: "events[\(index)]"))
            }
        }
        var client = ClientSpec()
        if let n = optional(top, "client") { client = try self.client(n) }
        var cache: CacheSpec?
        if let n = optional(top, "cache") { cache = try self.cache(n) }

        return Scenario(name: name, seed: seed, start: start, duration: duration, warmup: warmup,
                        replications: replications, traffic: traffic, mix: mix, providers: providers, events: events,
                        client: client, cache: cache, seriesInterval: seriesInterval, source: source)
    }

    func traffic(_ node: Node) throws(ScenarioError) -> TrafficSpec {
        let (kind, f) = try kinded(node, path: "traffic", allowed: Self.trafficKeys, kinds: Self.trafficKinds,
                                   parameters: Self.trafficParameters, vocabulary: "traffic kind",
                                   expected: "traffic (a mapping such as {kind: poisson, rate: 50})")
        func number(_ key: String, default value: Double) throws(ScenarioError) -> Double {
            guard let n = optional(f, key) else { return value }
            return try self.number(n, path: f.path(of: key))
        }
        switch kind {
        case "poisson":
            let rate = try self.number(required(f, "rate"), path: f.path(of: "rate"))
            var profile: [Double]?
            if let n = optional(f, "profile") { profile = try numberList(n, path: f.path(of: "profile")) }
            var bursts: TrafficSpec.Bursts?
            if let n = optional(f, "bursts") {
                let b = try fields(n, path: f.path(of: "bursts"), allowed: Self.burstKeys,
                                   expected: "bursts (a mapping such as {factor: 3, mean_duration: 5m, every: 2h})")
                let factor = try self.number(required(b, "factor"), path: b.path(of: "factor"))
                let meanDuration = try seconds(required(b, "mean_duration"), path: b.path(of: "mean_duration"))
                let every = try seconds(required(b, "every"), path: b.path(of: "every"))
                bursts = TrafficSpec.Bursts(factor: factor, meanDuration: meanDuration, every: every)
            }
            return .poisson(rate: rate, profile: profile, bursts: bursts)
        case "replay":
            var from: Int64?
            var to: Int64?
            if let n = optional(f, "from") { from = try date(n, path: f.path(of: "from")) }
            if let n = optional(f, "to") { to = try date(n, path: f.path(of: "to")) }
            return .replay(from: from, to: to, timeScale: try number("time_scale", default: 1),
                           sample: try number("sample", default: 1))
        case "trace":
            let path = try filePath(required(f, "path"), path: f.path(of: "path"))
            var format: String?
            if let n = optional(f, "format") {
                let formatPath = f.path(of: "format")
                let value = try text(n, path: formatPath)
                guard Self.traceFormats.contains(value) else {
                    throw .unknownName(source: source, line: line(of: n), path: formatPath, value: value,
                                       kind: "trace format", allowed: Self.traceFormats)
                }
                format = value
            }
            return .trace(path: path, format: format, timeScale: try number("time_scale", default: 1),
                          sample: try number("sample", default: 1))
        default:  // load_model
            let path = try filePath(required(f, "path"), path: f.path(of: "path"))
            var series: [String]?
            if let n = optional(f, "series") { series = try textList(n, path: f.path(of: "series")) }
            return .loadModel(path: path, series: series, scale: try number("scale", default: 1))
        }
    }

    func mix(_ node: Node) throws(ScenarioError) -> RequestMix {
        let f = try fields(node, path: "mix", allowed: Self.mixKeys,
                           expected: "a request mix (a mapping with tenants, operations, prompt_tokens, ...)")
        var m = RequestMix()
        if let n = optional(f, "tenants") { m.tenants = try numbers(n, path: f.path(of: "tenants")) }
        if let n = optional(f, "operations") { m.operations = try numbers(n, path: f.path(of: "operations")) }
        if let n = optional(f, "model_family") { m.modelFamily = try text(n, path: f.path(of: "model_family")) }
        if let n = optional(f, "prompt_tokens") {
            m.promptTokens = try logNormal(n, path: f.path(of: "prompt_tokens"), defaultSigma: m.promptTokens.sigma)
        }
        if let n = optional(f, "output_tokens") {
            m.outputTokens = try logNormal(n, path: f.path(of: "output_tokens"), defaultSigma: m.outputTokens.sigma)
        }
        if let n = optional(f, "tags") { m.tags = try numbers(n, path: f.path(of: "tags")) }
        if let n = optional(f, "compliance") {
            var compliance: [ComplianceTag: Double] = [:]
            var firstPath: [ComplianceTag: String] = [:]
            for (key, path, value) in try entries(n, path: f.path(of: "compliance")) {
                guard let tag = ComplianceTag(parsing: key) else {
                    throw .unknownName(source: source, line: lines[path] ?? line(of: value), path: path, value: key,
                                       kind: "compliance tag", allowed: ComplianceTag.allCases.map(\.rawValue))
                }
                if let first = firstPath[tag] {
                    throw .duplicate(source: source, line: lines[path] ?? 0, path: path, what: "compliance tag",
                                     value: tag.rawValue, firstPath: first, firstLine: lines[first] ?? 0)
                }
                firstPath[tag] = path
                // The checker names entries by the tag's canonical spelling.
                lines["mix.compliance.\(tag.rawValue)"] = lines[path]
                compliance[tag] = try number(value, path: path)
            }
            m.compliance = compliance
        }
        if let n = optional(f, "slo") { m.sloMs = try milliseconds(n, path: f.path(of: "slo")) }
        if let n = optional(f, "budget_tag") { m.budgetTag = try text(n, path: f.path(of: "budget_tag")) }
        return m
    }

    func logNormal(_ node: Node, path: String, defaultSigma: Double) throws(ScenarioError) -> LogNormal {
        let f = try fields(node, path: path, allowed: Self.logNormalKeys,
                           expected: "a lognormal distribution (a mapping such as {median: 1500, sigma: 1.0})")
        let median = try number(required(f, "median"), path: f.path(of: "median"))
        var sigma = defaultSigma
        if let n = optional(f, "sigma") { sigma = try number(n, path: f.path(of: "sigma")) }
        return LogNormal(median: median, sigma: sigma)
    }

    func provider(_ node: Node, path: String) throws(ScenarioError) -> ProviderSpec {
        let f = try fields(node, path: path, allowed: Self.providerKeys,
                           expected: "a provider (a mapping with id, concurrency, service, ...)")
        let id = try text(required(f, "id"), path: f.path(of: "id"))
        let concurrency = try integer(required(f, "concurrency"), path: f.path(of: "concurrency"))
        var queueLimit: Int?
        if let n = optional(f, "queue_limit") { queueLimit = try integer(n, path: f.path(of: "queue_limit")) }
        let service = try service(required(f, "service"), path: f.path(of: "service"))
        var spec = ProviderSpec(id: id, concurrency: concurrency, queueLimit: queueLimit, service: service)
        if let n = optional(f, "error_rate") { spec.errorRate = try number(n, path: f.path(of: "error_rate")) }
        if let n = optional(f, "regions") { spec.regions = try textList(n, path: f.path(of: "regions")) }
        return spec
    }

    func service(_ node: Node, path: String) throws(ScenarioError) -> ServiceTime {
        let (kind, f) = try kinded(node, path: path, allowed: Self.serviceKeys, kinds: Self.serviceKinds,
                                   parameters: Self.serviceParameters, vocabulary: "service kind",
                                   expected: "a service time (a mapping such as {kind: lognormal, median: 2s, sigma: 0.6})")
        switch kind {
        case "exponential":
            return .exponential(meanMs: try milliseconds(required(f, "mean"), path: f.path(of: "mean")))
        case "lognormal":
            let median = try milliseconds(required(f, "median"), path: f.path(of: "median"))
            var sigma = Self.defaultServiceSigma
            if let n = optional(f, "sigma") { sigma = try number(n, path: f.path(of: "sigma")) }
            return .lognormal(medianMs: median, sigma: sigma)
        case "empirical":
            return .empirical(quantilesMs: try numberList(required(f, "quantiles"), path: f.path(of: "quantiles")))
        case "model":
            return .model(fallbackMs: try milliseconds(required(f, "fallback"), path: f.path(of: "fallback")))
        default:  // from_store
            return .fromStore
        }
    }

    func event(_ node: Node, path: String) throws(ScenarioError) -> ScenarioEvent {
        let (kind, f) = try kinded(node, path: path, allowed: Self.eventKeys, kinds: Self.eventKinds,
                                   parameters: Self.eventParameters, vocabulary: "event kind",
                                   expected: "an event (a mapping such as {kind: outage, provider: openai, start: 2h, duration: 30m})")
        var provider: String?
        var region: String?
        if kind == "regional_outage" {
            region = try text(required(f, "region"), path: f.path(of: "region"))
        } else {
            provider = try text(required(f, "provider"), path: f.path(of: "provider"))
        }
        let start = try seconds(required(f, "start"), path: f.path(of: "start"))
        var duration: Double?
        if let n = optional(f, "duration") { duration = try seconds(n, path: f.path(of: "duration")) }
        let eventKind: ScenarioEvent.Kind
        switch kind {
        case "outage":
            eventKind = .outage
        case "degradation":
            var factor = 1.0
            if let n = optional(f, "latency_factor") { factor = try number(n, path: f.path(of: "latency_factor")) }
            var errorRate: Double?
            if let n = optional(f, "error_rate") { errorRate = try number(n, path: f.path(of: "error_rate")) }
            eventKind = .degradation(latencyFactor: factor, errorRate: errorRate)
        case "regional_outage":
            eventKind = .regionalOutage(region: region ?? "")
        default:  // price_change
            eventKind = .priceChange(factor: try number(required(f, "factor"), path: f.path(of: "factor")))
        }
        return ScenarioEvent(kind: eventKind, provider: provider, start: start, duration: duration)
    }

    func client(_ node: Node) throws(ScenarioError) -> ClientSpec {
        let f = try fields(node, path: "client", allowed: Self.clientKeys,
                           expected: "client settings (a mapping with policy, model, timeout, failover)")
        var c = ClientSpec()
        if let n = optional(f, "policy") { c.policyPath = try filePath(n, path: f.path(of: "policy")) }
        if let n = optional(f, "model") { c.modelPath = try filePath(n, path: f.path(of: "model")) }
        if let n = optional(f, "timeout") { c.timeout = try seconds(n, path: f.path(of: "timeout")) }
        if let n = optional(f, "failover") { c.failover = try bool(n, path: f.path(of: "failover")) }
        return c
    }

    func cache(_ node: Node) throws(ScenarioError) -> CacheSpec {
        let (kind, f) = try kinded(node, path: "cache", allowed: Self.cacheKeys, kinds: Self.cacheKinds,
                                   parameters: Self.cacheParameters, vocabulary: "cache kind",
                                   expected: "a cache (a mapping such as {kind: hit_ratio, ratio: 0.3})")
        var latencyMs = Self.defaultCacheLatencyMs
        if let n = optional(f, "latency") { latencyMs = try milliseconds(n, path: f.path(of: "latency")) }
        switch kind {
        case "hit_ratio":
            return .hitRatio(ratio: try number(required(f, "ratio"), path: f.path(of: "ratio")), latencyMs: latencyMs)
        default:  // lru
            let capacity = try integer(required(f, "capacity"), path: f.path(of: "capacity"))
            let ttl = try seconds(required(f, "ttl"), path: f.path(of: "ttl"))
            let keySpace = try integer(required(f, "key_space"), path: f.path(of: "key_space"))
            var zipfS = 1.0
            if let n = optional(f, "zipf_s") { zipfS = try number(n, path: f.path(of: "zipf_s")) }
            return .lru(capacity: capacity, ttl: ttl, keySpace: keySpace, zipfS: zipfS, latencyMs: latencyMs)
        }
    }

    /// A mapping with a `kind` and the parameters of that kind (or just the kind as a scalar,
    /// `traffic: replay`); a parameter of another kind is an error naming it.
    func kinded(_ node: Node, path: String, allowed: [String], kinds: [String], parameters: [String: [String]],
                vocabulary: String, expected: String) throws(ScenarioError) -> (String, Fields) {
        let kindNode: Node
        let f: Fields
        let kindPath: String
        if case .scalar = node {
            kindNode = node
            f = Fields(node: node, path: path, values: [:], keys: [])
            kindPath = path
        } else {
            f = try fields(node, path: path, allowed: allowed, expected: expected)
            kindNode = try required(f, "kind")
            kindPath = f.path(of: "kind")
        }
        let kind = try text(kindNode, path: kindPath)
        guard let taken = parameters[kind] else {
            throw .unknownName(source: source, line: line(of: kindNode), path: kindPath, value: kind, kind: vocabulary,
                               allowed: kinds)
        }
        for (key, keyLine) in f.keys where key != "kind" && !taken.contains(key) {
            throw .parameterNotAllowed(source: source, line: keyLine, path: f.path(of: key), parameter: key,
                                       kind: vocabulary, value: kind, allowed: taken)
        }
        return (kind, f)
    }

    // MARK: Typed values

    /// The mapping at `path`, rejecting non-text keys and keys outside `allowed`; records the
    /// line of every field.
    func fields(_ node: Node, path: String, allowed: [String], expected: String) throws(ScenarioError) -> Fields {
        guard case .mapping(let mapping) = node else {
            throw wrongType(node, path: path, expected: expected)
        }
        var values: [String: Node] = [:]
        var keys: [(name: String, line: Int)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                throw wrongType(key, path: path, expected: "a key name")
            }
            guard allowed.contains(scalar.string) else {
                throw .unknownKey(source: source, line: line(of: key), path: path, key: scalar.string, allowed: allowed)
            }
            values[scalar.string] = value
            keys.append((scalar.string, line(of: key)))
            // A scalar is named by its own line, a nested mapping or list by its key's.
            let valueLine: Int
            if case .scalar = value { valueLine = line(of: value) } else { valueLine = line(of: key) }
            lines[path.isEmpty ? scalar.string : "\(path).\(scalar.string)"] = valueLine
        }
        lines[path] = lines[path] ?? line(of: node)
        return Fields(node: node, path: path, values: values, keys: keys)
    }

    /// A mapping with free keys (tenant names, tags), in document order; records each entry's
    /// path at its key's line.
    func entries(_ node: Node, path: String) throws(ScenarioError) -> [(key: String, path: String, value: Node)] {
        guard case .mapping(let mapping) = node else {
            throw wrongType(node, path: path, expected: "a mapping")
        }
        lines[path] = lines[path] ?? line(of: node)
        var result: [(key: String, path: String, value: Node)] = []
        for (key, value) in mapping {
            let name = try text(key, path: path)
            let entryPath = "\(path).\(name)"
            lines[entryPath] = line(of: key)
            result.append((name, entryPath, value))
        }
        return result
    }

    /// A mapping of free keys to numbers (weights, probabilities).
    func numbers(_ node: Node, path: String) throws(ScenarioError) -> [String: Double] {
        var result: [String: Double] = [:]
        for (key, entryPath, value) in try entries(node, path: path) {
            result[key] = try number(value, path: entryPath)
        }
        return result
    }

    func required(_ fields: Fields, _ key: String) throws(ScenarioError) -> Node {
        guard let value = fields.values[key] else {
            throw .missingField(source: source, line: line(of: fields.node), path: fields.path, field: key)
        }
        return value
    }

    /// The value of `key`; nil when absent or null.
    func optional(_ fields: Fields, _ key: String) -> Node? {
        guard let value = fields.values[key], !isNull(value) else { return nil }
        return value
    }

    /// A non-blank scalar's text, as written.
    func text(_ node: Node, path: String) throws(ScenarioError) -> String {
        guard case .scalar(let scalar) = node else {
            throw wrongType(node, path: path, expected: "text")
        }
        guard !isNull(node), !scalar.string.allSatisfy(\.isWhitespace) else {
            throw .emptyValue(source: source, line: line(of: node), path: path)
        }
        return scalar.string
    }

    /// A file path as written, or resolved against ``baseDirectory`` when it is relative.
    func filePath(_ node: Node, path: String) throws(ScenarioError) -> String {
        let value = try text(node, path: path)
        guard let base = baseDirectory, !base.isEmpty, !value.hasPrefix("/") else { return value }
        return base == "/" ? "/" + value : base + "/" + value
    }

    /// A list of non-blank texts (possibly empty); records each item's line.
    func textList(_ node: Node, path: String) throws(ScenarioError) -> [String] {
        var texts: [String] = []
        for (index, item) in try list(node, path: path).enumerated() {
            texts.append(try text(item, path: "\(path)[\(index)]"))
        }
        return texts
    }

    /// A list of numbers (possibly empty); records each item's line.
    func numberList(_ node: Node, path: String) throws(ScenarioError) -> [Double] {
        var values: [Double] = []
        for (index, item) in try list(node, path: path).enumerated() {
            values.append(try number(item, path: "\(path)[\(index)]"))
        }
        return values
    }

    func list(_ node: Node, path: String) throws(ScenarioError) -> [Node] {
        guard case .sequence(let sequence) = node else {
            throw wrongType(node, path: path, expected: "a list")
        }
        lines[path] = lines[path] ?? line(of: node)
        let items = Array(sequence)
        for (index, item) in items.enumerated() { lines["\(path)[\(index)]"] = line(of: item) }
        return items
    }

    /// `true` or `false` (any case); `yes`, `on`, `1` and quoted text are rejected.
    func bool(_ node: Node, path: String) throws(ScenarioError) -> Bool {
        guard case .scalar(let scalar) = node, tagName(of: node) == .bool else {
            throw wrongType(node, path: path, expected: "true or false")
        }
        switch scalar.string.lowercased() {
        case "true": return true
        case "false": return false
        default: throw wrongType(node, path: path, expected: "true or false")
        }
    }

    /// A whole number (range checks come later).
    func integer(_ node: Node, path: String) throws(ScenarioError) -> Int {
        guard case .scalar(let scalar) = node, tagName(of: node) == .int, let value = Int.construct(from: scalar) else {
            throw wrongType(node, path: path, expected: "a whole number")
        }
        return value
    }

    /// A whole number in 0...UInt64.max.
    func seed(_ node: Node, path: String) throws(ScenarioError) -> UInt64 {
        guard case .scalar(let scalar) = node, tagName(of: node) == .int else {
            throw wrongType(node, path: path, expected: "a whole number")
        }
        if let value = UInt64(scalar.string.filter { $0 != "_" }) { return value }
        if let value = Int.construct(from: scalar), value >= 0 { return UInt64(value) }
        throw .outOfRange(source: source, line: line(of: node), path: path, expected: "in 0...\(UInt64.max)",
                          found: scalar.string)
    }

    /// A finite number, whole or not.
    func number(_ node: Node, path: String) throws(ScenarioError) -> Double {
        guard case .scalar(let scalar) = node else { throw wrongType(node, path: path, expected: "a number") }
        switch tagName(of: node) {
        case .int:
            guard let value = Int.construct(from: scalar) else { throw wrongType(node, path: path, expected: "a number") }
            return Double(value)
        case .float:
            guard let value = Double.construct(from: scalar) else { throw wrongType(node, path: path, expected: "a number") }
            guard value.isFinite else {
                throw .outOfRange(source: source, line: line(of: node), path: path, expected: "a finite number",
                                  found: scalar.string)
            }
            return value
        default:
            throw wrongType(node, path: path, expected: "a number")
        }
    }

    /// A duration with a unit, in µs.
    func duration(_ node: Node, path: String) throws(ScenarioError) -> Int64 {
        guard case .scalar(let scalar) = node else {
            throw wrongType(node, path: path, expected: "a duration such as 250ms, 1.5s or 5m")
        }
        switch tagName(of: node) {
        case .int, .float:
            throw .missingUnit(source: source, line: line(of: node), path: path, value: scalar.string)
        case .str:
            break
        default:
            throw wrongType(node, path: path, expected: "a duration such as 250ms, 1.5s or 5m")
        }
        switch ScenarioText.duration(scalar.string) {
        case .value(let micros): return micros
        case .noUnit: throw .missingUnit(source: source, line: line(of: node), path: path, value: scalar.string)
        case .invalid(let reason):
            throw .invalidDuration(source: source, line: line(of: node), path: path, value: scalar.string, reason: reason)
        }
    }

    /// A duration in seconds.
    func seconds(_ node: Node, path: String) throws(ScenarioError) -> Double {
        Double(try duration(node, path: path)) / 1_000_000
    }

    /// A duration in milliseconds.
    func milliseconds(_ node: Node, path: String) throws(ScenarioError) -> Double {
        Double(try duration(node, path: path)) / 1_000
    }

    /// An RFC 3339 date-time or date, in µs since the epoch.
    func date(_ node: Node, path: String) throws(ScenarioError) -> Int64 {
        guard case .scalar(let scalar) = node else {
            throw wrongType(node, path: path, expected: "a date or date-time such as 2026-10-12T00:00:00Z")
        }
        guard let micros = Timestamp.parse(scalar.string) else {
            throw .invalidDate(source: source, line: line(of: node), path: path, value: scalar.string)
        }
        return micros
    }

    // MARK: Helpers

    func line(of node: Node) -> Int { node.mark?.line ?? 1 }

    func wrongType(_ node: Node, path: String, expected: String) -> ScenarioError {
        .wrongType(source: source, line: line(of: node), path: path, expected: expected, found: describe(node))
    }

    func tagName(of node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

    func isNull(_ node: Node) -> Bool {
        if case .scalar = node { return tagName(of: node) == .null }
        return false
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if isNull(node) { return "nothing (null)" }
            switch scalar.style {
            case .singleQuoted, .doubleQuoted: return "the quoted text '\(scalar.string)'"
            default: return "'\(scalar.string)'"
            }
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .alias: return "an alias"
        }
    }

    /// A ``ScenarioError/syntax(source:line:message:)`` for an error thrown by the YAML parser.
    static func syntaxError(_ error: any Error, yaml: String, source: String) -> ScenarioError {
        guard let yamlError = error as? YamlError else {
            return .syntax(source: source, line: 1, message: "\(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = problem
            if let context { message += " (\(context.text) at line \(context.mark.line))" }
            return .syntax(source: source, line: mark.line, message: message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            let message = "key \(keys) is repeated in the same mapping (first occurrence on this line)"
            return .syntax(source: source, line: context.mark.line, message: message)
        case .reader(let problem, let offset, _, _):
            let line = offset.map { yaml.prefix($0).reduce(1) { $1 == "\n" ? $0 + 1 : $0 } } ?? 1
            return .syntax(source: source, line: line, message: problem)
        default:
            return .syntax(source: source, line: 1, message: "\(yamlError)")
        }
    }
}

// MARK: - Semantic checks

/// The checks shared by scenario files and scenarios built in code. `lines` maps field paths to
/// their lines (empty for code: every error then has line 0).
private struct ScenarioChecker {
    let source: String
    let lines: [String: Int]
    let catalog: Catalog
    /// Whether referenced files must exist (``Scenario/load(path:catalog:)`` only).
    let checkFiles: Bool

    /// The line of `path`, or of its nearest enclosing field that the file gives (a default
    /// such as `cache.latency` points at `cache`); 0 when there is none.
    func line(_ path: String) -> Int {
        var path = Substring(path)
        while true {
            if let line = lines[String(path)] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return 0 }
            path = path[..<cut]
        }
    }

    func check(_ s: Scenario) throws(ScenarioError) {
        typealias T = ScenarioText
        if s.name.allSatisfy(\.isWhitespace) { throw .emptyValue(source: source, line: line("name"), path: "name") }
        try require(s.duration > 0 && s.duration.isFinite, "duration", "greater than 0s", T.render(seconds: s.duration))
        try require(s.warmup >= 0, "warmup", "at least 0s", T.render(seconds: s.warmup))
        try require(s.warmup < s.duration, "warmup", "less than duration (\(T.render(seconds: s.duration)))",
                    T.render(seconds: s.warmup))
        try require((1...1000).contains(s.replications), "replications", "in 1...1000", "\(s.replications)")
        try require(s.seriesInterval > 0 && s.seriesInterval.isFinite, "series_interval", "greater than 0s",
                    T.render(seconds: s.seriesInterval))
        try require(s.seriesInterval <= s.duration, "series_interval",
                    "at most duration (\(T.render(seconds: s.duration)))", T.render(seconds: s.seriesInterval))
        try traffic(s.traffic)
        try mix(s.mix)
        try providers(s.providers)
        try events(s)
        try client(s.client)
        if let cache = s.cache { try self.cache(cache) }
    }

    // MARK: Sections

    func traffic(_ traffic: TrafficSpec) throws(ScenarioError) {
        typealias T = ScenarioText
        func scaleAndSample(_ timeScale: Double, _ sample: Double) throws(ScenarioError) {
            try require(timeScale > 0 && timeScale.isFinite, "traffic.time_scale", "greater than 0", T.render(timeScale))
            try require(sample > 0 && sample <= 1, "traffic.sample", "in (0, 1]", T.render(sample))
        }
        switch traffic {
        case .poisson(let rate, let profile, let bursts):
            try require(rate > 0 && rate.isFinite, "traffic.rate", "greater than 0 (requests per second)", T.render(rate))
            if let profile {
                try require(profile.count == 24, "traffic.profile", "a list of 24 factors (one per UTC hour)",
                            "\(profile.count) value\(profile.count == 1 ? "" : "s")")
                for (hour, factor) in profile.enumerated() {
                    try require(factor >= 0 && factor.isFinite, "traffic.profile[\(hour)]", "a finite number at least 0",
                                T.render(factor))
                }
                if !profile.contains(where: { $0 > 0 }) {
                    throw .conflict(source: source, line: line("traffic.profile"), path: "traffic.profile",
                                    message: "at least one hour needs a factor above 0")
                }
            }
            if let b = bursts {
                try require(b.factor >= 1 && b.factor.isFinite, "traffic.bursts.factor", "a finite number at least 1",
                            T.render(b.factor))
                try require(b.meanDuration > 0 && b.meanDuration.isFinite, "traffic.bursts.mean_duration",
                            "greater than 0s", T.render(seconds: b.meanDuration))
                try require(b.every > 0 && b.every.isFinite, "traffic.bursts.every", "greater than 0s",
                            T.render(seconds: b.every))
            }
        case .replay(let from, let to, let timeScale, let sample):
            if let from, let to, from >= to {
                throw .conflict(source: source, line: line("traffic.to"), path: "traffic.to",
                                message: "\(Timestamp.format(to)) is not after from (\(Timestamp.format(from)))")
            }
            try scaleAndSample(timeScale, sample)
        case .trace(let path, let format, let timeScale, let sample):
            try file(path, "traffic.path")
            if let format, !ScenarioReader.traceFormats.contains(format) {
                throw .unknownName(source: source, line: line("traffic.format"), path: "traffic.format", value: format,
                                   kind: "trace format", allowed: ScenarioReader.traceFormats)
            }
            try scaleAndSample(timeScale, sample)
        case .loadModel(let path, let series, let scale):
            try file(path, "traffic.path")
            if let series {
                if series.isEmpty { throw .emptyValue(source: source, line: line("traffic.series"), path: "traffic.series") }
                try texts(series, "traffic.series", what: "series")
            }
            try require(scale > 0 && scale.isFinite, "traffic.scale", "greater than 0", T.render(scale))
        }
    }

    func mix(_ m: RequestMix) throws(ScenarioError) {
        typealias T = ScenarioText
        func weights(_ weights: [String: Double], _ path: String, _ what: String) throws(ScenarioError) {
            for key in sortedKeys(weights, path) {
                let entryPath = "\(path).\(key)"
                if key.allSatisfy(\.isWhitespace) {
                    throw .emptyValue(source: source, line: line(entryPath), path: entryPath)
                }
                let w = weights[key]!
                try require(w >= 0 && w.isFinite, entryPath, "a finite number at least 0", T.render(w))
            }
            if !weights.values.contains(where: { $0 > 0 }) {
                throw .conflict(source: source, line: line(path), path: path,
                                message: "at least one \(what) needs a weight above 0")
            }
        }
        try weights(m.tenants, "mix.tenants", "tenant")
        try weights(m.operations, "mix.operations", "operation")
        for (key, d) in [("prompt_tokens", m.promptTokens), ("output_tokens", m.outputTokens)] {
            try require(d.median > 0 && d.median.isFinite, "mix.\(key).median", "greater than 0", T.render(d.median))
            try require(d.sigma >= 0 && d.sigma.isFinite, "mix.\(key).sigma", "a finite number at least 0",
                        T.render(d.sigma))
        }
        for tag in sortedKeys(m.tags, "mix.tags") {
            let path = "mix.tags.\(tag)"
            if tag.allSatisfy(\.isWhitespace) { throw .emptyValue(source: source, line: line(path), path: path) }
            let p = m.tags[tag]!
            try require((0...1).contains(p), path, "a probability in 0...1", T.render(p))
        }
        let compliance = Dictionary(uniqueKeysWithValues: m.compliance.map { ($0.key.rawValue, $0.value) })
        for tag in sortedKeys(compliance, "mix.compliance") {
            let p = compliance[tag]!
            try require((0...1).contains(p), "mix.compliance.\(tag)", "a probability in 0...1", T.render(p))
        }
        if let slo = m.sloMs {
            try require(slo > 0 && slo.isFinite, "mix.slo", "greater than 0s", T.render(milliseconds: slo))
        }
        if let tag = m.budgetTag, tag.allSatisfy(\.isWhitespace) {
            throw .emptyValue(source: source, line: line("mix.budget_tag"), path: "mix.budget_tag")
        }
    }

    func providers(_ providers: [ProviderSpec]) throws(ScenarioError) {
        typealias T = ScenarioText
        if providers.isEmpty {
            throw .conflict(source: source, line: line("providers"), path: "providers",
                            message: "the scenario must list at least one provider")
        }
        let known = catalog.providers.map(\.id)
        var firstIndex: [String: Int] = [:]
        for (index, p) in providers.enumerated() {
            let path = "providers[\(index)]"
            let idPath = "\(path).id"
            guard catalog.provider(id: p.id) != nil else {
                throw .unknownProvider(source: source, line: line(idPath), path: idPath, id: p.id, known: known)
            }
            if let first = firstIndex[p.id] {
                throw duplicate(idPath, what: "provider", value: p.id, firstPath: "providers[\(first)].id")
            }
            firstIndex[p.id] = index
            try require(p.concurrency >= 1, "\(path).concurrency", "at least 1", "\(p.concurrency)")
            if let limit = p.queueLimit {
                try require(limit >= 0, "\(path).queue_limit", "at least 0", "\(limit)")
            }
            try service(p.service, "\(path).service")
            try require((0...1).contains(p.errorRate), "\(path).error_rate", "a probability in 0...1",
                        T.render(p.errorRate))
            try texts(p.regions, "\(path).regions", what: "region")
        }
    }

    func service(_ service: ServiceTime, _ path: String) throws(ScenarioError) {
        typealias T = ScenarioText
        switch service {
        case .exponential(let mean):
            try require(mean > 0 && mean.isFinite, "\(path).mean", "greater than 0s", T.render(milliseconds: mean))
        case .lognormal(let median, let sigma):
            try require(median > 0 && median.isFinite, "\(path).median", "greater than 0s", T.render(milliseconds: median))
            try require(sigma >= 0 && sigma.isFinite, "\(path).sigma", "a finite number at least 0", T.render(sigma))
        case .empirical(let quantiles):
            try require(quantiles.count >= 2, "\(path).quantiles", "a list of at least 2 quantiles (ms)",
                        "\(quantiles.count) value\(quantiles.count == 1 ? "" : "s")")
            for (index, q) in quantiles.enumerated() {
                let itemPath = "\(path).quantiles[\(index)]"
                try require(q >= 0 && q.isFinite, itemPath, "a finite number of ms at least 0", T.render(q))
                if index > 0 {
                    let previous = quantiles[index - 1]
                    try require(q >= previous, itemPath, "at least the quantile before it (\(T.render(previous)))",
                                T.render(q))
                }
            }
        case .model(let fallback):
            try require(fallback > 0 && fallback.isFinite, "\(path).fallback", "greater than 0s",
                        T.render(milliseconds: fallback))
        case .fromStore:
            break
        }
    }

    func events(_ s: Scenario) throws(ScenarioError) {
        typealias T = ScenarioText
        let listed = s.providers.map(\.id)
        // Regions served by the listed providers, in order: each provider's own list, else the catalog's.
        var served: [String] = []
        for p in s.providers {
            let regions = p.regions.isEmpty ? (catalog.provider(id: p.id)?.regions ?? []) : p.regions
            for region in regions where !served.contains(region) { served.append(region) }
        }
        for (index, e) in s.events.enumerated() {
            let path = "events[\(index)]"
            switch e.kind {
            case .regionalOutage(let region):
                if e.provider != nil {
                    throw .conflict(source: source, line: line("\(path).provider"), path: "\(path).provider",
                                    message: "a regional outage names a region, not a provider")
                }
                let regionPath = "\(path).region"
                if region.allSatisfy(\.isWhitespace) {
                    throw .emptyValue(source: source, line: line(regionPath), path: regionPath)
                }
                guard served.contains(region) else {
                    throw .unknownRegion(source: source, line: line(regionPath), path: regionPath, region: region,
                                         known: served)
                }
            default:
                guard let provider = e.provider else {
                    throw .missingField(source: source, line: line(path), path: path, field: "provider")
                }
                guard listed.contains(provider) else {
                    let providerPath = "\(path).provider"
                    throw .providerNotListed(source: source, line: line(providerPath), path: providerPath, id: provider,
                                             listed: listed)
                }
            }
            try require(e.start >= 0 && e.start.isFinite, "\(path).start", "at least 0s", T.render(seconds: e.start))
            try require(e.start < s.duration, "\(path).start",
                        "less than the scenario's duration (\(T.render(seconds: s.duration)))", T.render(seconds: e.start))
            if let duration = e.duration {
                try require(duration > 0 && duration.isFinite, "\(path).duration", "greater than 0s",
                            T.render(seconds: duration))
            }
            switch e.kind {
            case .degradation(let factor, let errorRate):
                try require(factor >= 1 && factor.isFinite, "\(path).latency_factor", "a finite number at least 1",
                            T.render(factor))
                if let errorRate {
                    try require((0...1).contains(errorRate), "\(path).error_rate", "a probability in 0...1",
                                T.render(errorRate))
                }
                if factor == 1 && errorRate == nil {
                    throw .conflict(source: source, line: line(path), path: path,
                                    message: "the degradation changes nothing; give a latency_factor above 1 or an error_rate")
                }
            case .priceChange(let factor):
                try require(factor > 0 && factor.isFinite, "\(path).factor", "greater than 0", T.render(factor))
            case .outage, .regionalOutage:
                break
            }
            // Contradictions with an earlier event.
            for (j, other) in s.events[..<index].enumerated() {
                guard let provider = e.provider, other.provider == provider,
                    e.start < other.end, other.start < e.end,
                    let reason = Self.contradiction(e.kind, other.kind)
                else { continue }
                let otherPath = "events[\(j)]"
                throw .overlappingEvents(source: source, line: line(path), path: path, event: Self.describe(e),
                                         firstPath: otherPath, firstLine: line(otherPath),
                                         firstEvent: Self.describe(other), reason: reason)
            }
        }
    }

    func client(_ c: ClientSpec) throws(ScenarioError) {
        if let policy = c.policyPath { try file(policy, "client.policy") }
        if let model = c.modelPath { try file(model, "client.model") }
        try require(c.timeout > 0 && c.timeout.isFinite, "client.timeout", "greater than 0s",
                    ScenarioText.render(seconds: c.timeout))
    }

    func cache(_ cache: CacheSpec) throws(ScenarioError) {
        typealias T = ScenarioText
        switch cache {
        case .hitRatio(let ratio, let latency):
            try require((0...1).contains(ratio), "cache.ratio", "in 0...1", T.render(ratio))
            try require(latency >= 0 && latency.isFinite, "cache.latency", "at least 0s", T.render(milliseconds: latency))
        case .lru(let capacity, let ttl, let keySpace, let zipfS, let latency):
            try require(capacity >= 1, "cache.capacity", "at least 1", "\(capacity)")
            try require(ttl > 0 && ttl.isFinite, "cache.ttl", "greater than 0s", T.render(seconds: ttl))
            try require(keySpace >= 1, "cache.key_space", "at least 1", "\(keySpace)")
            try require(zipfS > 0 && zipfS.isFinite, "cache.zipf_s", "greater than 0", T.render(zipfS))
            try require(latency >= 0 && latency.isFinite, "cache.latency", "at least 0s", T.render(milliseconds: latency))
        }
    }

    // MARK: Events

    /// Why two events of one provider cannot overlap; nil when they can.
    static func contradiction(_ a: ScenarioEvent.Kind, _ b: ScenarioEvent.Kind) -> String? {
        switch (a, b) {
        case (.outage, .outage):
            return "merge them into one outage"
        case (.degradation, .outage), (.outage, .degradation):
            return "a provider that is down cannot also be degraded; end one before the other starts"
        case (.priceChange, .priceChange):
            return "a provider's prices can change by one factor at a time; end one before the next starts"
        default:
            return nil
        }
    }

    /// "outage of 'anthropic' from 14h to 16h".
    static func describe(_ e: ScenarioEvent) -> String {
        let what: String
        switch e.kind {
        case .outage: what = "outage"
        case .degradation: what = "degradation"
        case .regionalOutage: what = "regional outage"
        case .priceChange: what = "price change"
        }
        let end = e.duration == nil ? "the end" : ScenarioText.render(seconds: e.end)
        return "\(what) of '\(e.provider ?? "")' from \(ScenarioText.render(seconds: e.start)) to \(end)"
    }

    // MARK: Helpers

    func require(_ ok: Bool, _ path: String, _ expected: String, _ found: String) throws(ScenarioError) {
        if !ok { throw .outOfRange(source: source, line: line(path), path: path, expected: expected, found: found) }
    }

    func duplicate(_ path: String, what: String, value: String, firstPath: String) -> ScenarioError {
        .duplicate(source: source, line: line(path), path: path, what: what, value: value, firstPath: firstPath,
                   firstLine: line(firstPath))
    }

    /// Non-blank texts without duplicates.
    func texts(_ list: [String], _ path: String, what: String) throws(ScenarioError) {
        var seen: [String: Int] = [:]
        for (index, value) in list.enumerated() {
            let itemPath = "\(path)[\(index)]"
            if value.allSatisfy(\.isWhitespace) { throw .emptyValue(source: source, line: line(itemPath), path: itemPath) }
            if let first = seen[value] {
                throw duplicate(itemPath, what: what, value: value, firstPath: "\(path)[\(first)]")
            }
            seen[value] = index
        }
    }

    /// A referenced file: non-empty, and (in ``Scenario/load(path:catalog:)``) existing.
    func file(_ file: String, _ path: String) throws(ScenarioError) {
        if file.allSatisfy(\.isWhitespace) { throw .emptyValue(source: source, line: line(path), path: path) }
        guard checkFiles else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw .missingFile(source: source, line: line(path), path: path, file: file, reason: "no such file")
        }
        if isDirectory.boolValue {
            throw .missingFile(source: source, line: line(path), path: path, file: file,
                               reason: "it is a directory, not a file")
        }
    }

    /// A dictionary's keys in document order (by line, then name), so the first error reported is
    /// the first in the file and the same on every run.
    func sortedKeys<V>(_ dictionary: [String: V], _ prefix: String) -> [String] {
        dictionary.keys.sorted { a, b in
            let la = line("\(prefix).\(a)"), lb = line("\(prefix).\(b)")
            return la != lb ? la < lb : a < b
        }
    }
}

// MARK: - Example scenario

extension Scenario {
    /// A complete, commented scenario for the default catalog's AI providers: one day of Poisson
    /// traffic following a mid-day (UTC) peak with bursts, OpenAI, Anthropic, Cohere and a
    /// self-hosted Ollama with their own concurrency, latency and error rates, a two-hour
    /// Anthropic outage at the peak, clients with a 30 s timeout and failover, and a response
    /// cache. It needs no other files (the clients use the built-in example policy), so it parses
    /// with ``init(yaml:source:catalog:)`` and ``Catalog/default``.
    public static let exampleYAML = """
        # Mosaic scenario: what happens to a day of LLM traffic when Anthropic goes down at the peak.
        #
        # Durations take a unit (us, ms, s, m, h, d); dates are RFC 3339 (2026-10-12T00:00:00Z).
        # Event times are offsets from start. Paths are relative to this file.
        version: 1
        name: anthropic-outage-at-peak
        seed: 42                    # every random stream derives from (seed, replication)
        start: 2026-10-12T00:00:00Z # a Monday, midnight UTC: profile hour 0
        duration: 24h
        warmup: 10m                 # statistics ignore requests arriving before this
        replications: 20
        series_interval: 1m         # width of the report's time series (default 1m)

        # Poisson arrivals: 20 requests/second times the factor of the UTC hour, with bursts.
        traffic:
          kind: poisson
          rate: 20
          # 00   01   02   03   04   05   06   07   08   09   10   11
          # 12   13   14   15   16   17   18   19   20   21   22   23
          profile: [0.3, 0.25, 0.2, 0.2, 0.25, 0.35, 0.5, 0.7, 0.9, 1.1, 1.3, 1.45,
                    1.55, 1.6, 1.6, 1.5, 1.4, 1.25, 1.1, 0.95, 0.8, 0.65, 0.5, 0.4]
          # About every 2 hours the rate triples for 5 minutes on average.
          bursts: {factor: 3, mean_duration: 5m, every: 2h}

        # What synthetic requests look like.
        mix:
          tenants: {acme: 0.6, globex: 0.4}
          operations: {chat: 0.8, embed: 0.2}
          model_family: gpt-4o
          prompt_tokens: {median: 1500, sigma: 1.0}   # lognormal: median and sigma of ln
          output_tokens: {median: 300, sigma: 0.8}
          tags: {strict-privacy: 0.05}                # share of requests carrying the tag
          compliance: {hipaa: 0.02}                   # share requiring HIPAA
          slo: 20s

        # How each provider serves: concurrent slots, an optional bounded queue (an arrival
        # finding it full is refused), service times and the share of failed requests.
        providers:
          - id: openai
            concurrency: 64
            service: {kind: lognormal, median: 2200ms, sigma: 0.6}
            error_rate: 0.01
          - id: anthropic
            concurrency: 48
            service: {kind: lognormal, median: 3100ms, sigma: 0.5}
            error_rate: 0.015
          - id: cohere
            concurrency: 16
            service: {kind: lognormal, median: 2500ms, sigma: 0.5}
            error_rate: 0.02
          - id: ollama              # self-hosted: few GPUs, so a bounded queue
            concurrency: 8
            queue_limit: 200
            service: {kind: lognormal, median: 3500ms, sigma: 0.7}
            error_rate: 0.01

        # Other kinds: degradation {provider, start, duration, latency_factor, error_rate},
        # regional_outage {region, start, duration}, price_change {provider, start, factor}.
        events:
          - {kind: outage, provider: anthropic, start: 14h, duration: 2h}   # 14:00-16:00 UTC

        # Clients route with the built-in example policy (set policy: policy.yaml to use yours),
        # give up on an attempt after 30 s and fail over to the next candidate.
        client:
          timeout: 30s
          failover: true

        # A response cache answering 20% of requests in 5 ms.
        cache:
          kind: hit_ratio
          ratio: 0.2
          latency: 5ms

        """
}
