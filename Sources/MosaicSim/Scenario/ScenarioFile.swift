import Foundation
import MosaicCore

// MARK: - Reading and validating scenarios

extension Scenario {
    /// Reads and validates a scenario from YAML text.
    ///
    /// The format (keys are snake_case; `version`, `duration`, `traffic` and `providers` are
    /// required, everything else optional) is shown in full, with comments, by ``exampleYAML``.
    /// Durations are text with a unit (`250ms`, `1.5s`, `5m`, `24h`, `7d`; see ``DurationText``)
    /// read exactly to the microsecond, never through `Double`; dates are RFC 3339 date-times or
    /// dates (`2026-10-12T00:00:00Z`, `2026-10-12`). Paths (`traffic.path`, `client.policy`,
    /// `client.model`) are kept as written; ``load(path:catalog:)`` resolves them against the
    /// scenario file's folder and checks that they exist.
    ///
    /// - Parameters:
    ///   - yaml: The scenario text.
    ///   - source: The name errors use for the text, usually its file path (`scenario.yaml`);
    ///     also stored in ``source``.
    ///   - catalog: The providers `providers` may name.
    /// - Throws: ``YAMLError`` for the first problem found: YAML syntax, unknown or missing
    ///   keys, wrong types, bad durations or dates, parameters of another kind, then the semantic
    ///   checks of ``validate(catalog:)`` (ranges, provider ids, regions, overlapping events),
    ///   each naming the line and field.
    public init(yaml: String, source: String, catalog: Catalog) throws(YAMLError) {
        self = try Scenario.read(yaml: yaml, source: source, catalog: catalog, baseDirectory: nil)
    }

    /// Reads and validates the scenario file at `path`.
    ///
    /// Relative paths inside the file are resolved against the file's folder (absolute ones stay
    /// as written; when `path` itself is relative, so are the resolved paths, relative to the
    /// working directory), and the files they name must exist. ``source`` is set to `path`.
    ///
    /// - Throws: ``YAMLError``: ``YAMLError/Problem/unreadableFile(document:reason:)`` when the
    ///   file is missing, is a directory, cannot be read or is not UTF-8; a
    ///   ``YAMLError/Problem/missingFile(_:reason:)`` problem when a trace, load model, policy or
    ///   routing model file does not exist; otherwise as ``init(yaml:source:catalog:)``.
    public static func load(path: String, catalog: Catalog) throws(YAMLError) -> Scenario {
        let text = try YAMLReader.text(path: path, document: "scenario")
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
    /// - Throws: ``YAMLError`` for the first problem: numbers out of range, `providers`
    ///   empty, duplicated or not in the catalog, events naming providers not listed or regions
    ///   no listed provider serves, overlapping contradictory events, empty texts.
    public func validate(catalog: Catalog) throws(YAMLError) {
        let at = YAMLChecker(source: source.isEmpty ? name : source, lines: [:])
        try ScenarioChecker(at: at, catalog: catalog, checkFiles: false).check(self)
    }

    /// Parses, resolves paths against `baseDirectory` (when given, which also turns on the
    /// existence checks) and checks.
    private static func read(yaml: String, source: String, catalog: Catalog,
                             baseDirectory: String?) throws(YAMLError) -> Scenario {
        let reader = try YAMLReader(yaml: yaml, source: source)
        var scenario = try ScenarioReader(reader: reader, baseDirectory: baseDirectory).scenario()
        scenario.source = source
        let at = YAMLChecker(source: source, lines: reader.lines)
        try ScenarioChecker(at: at, catalog: catalog, checkFiles: baseDirectory != nil).check(scenario)
        return scenario
    }
}

// MARK: - Messages

extension YAMLError.Problem {
    /// An event names a provider that is not in the scenario's `providers`.
    static func providerNotListed(_ id: String, listed: [String]) -> Self {
        .unknownReference("'\(id)' is not one of the scenario's providers", value: id, candidates: listed,
                          otherwise: " (\(listed.joined(separator: ", "))); add it to providers to simulate it")
    }

    /// A regional outage names a region no listed provider serves; `known` lists the regions served.
    static func unknownRegion(_ region: String, known: [String]) -> Self {
        .unknownReference("no listed provider serves region '\(region)'", value: region, candidates: known,
                          otherwise: " (regions served: \(known.joined(separator: ", ")))")
    }

    /// A file the scenario refers to (trace, load model, client policy or model) cannot be used
    /// at load time; `file` is the path as resolved against the scenario file's folder.
    static func missingFile(_ file: String, reason: String) -> Self {
        .invalid("cannot use '\(file)': \(reason) (relative paths are relative to the scenario file)")
    }

    /// Two events that contradict each other overlap in time: `event` and `firstEvent` describe
    /// them ("outage of 'anthropic' from 14h to 16h"), `firstPath`/`firstLine` locate the earlier
    /// one and `reason` says why they cannot overlap.
    static func overlappingEvents(_ event: String, firstPath: String, firstLine: Int, firstEvent: String,
                                  reason: String) -> Self {
        let first = firstLine > 0 ? "\(firstPath), line \(firstLine)" : firstPath
        return .invalid("the \(event) overlaps the \(firstEvent) (\(first)); \(reason)")
    }
}

/// 2026-01-05T00:00:00Z, a Monday: the default `start`.
private let defaultStart = Int64(Timestamp.daysFromCivil(year: 2026, month: 1, day: 5)) * Timestamp.microsPerDay

// MARK: - Reader

/// Builds a scenario from its YAML document: the format's keys, kinds and vocabularies. Shape and
/// type errors come from ``YAMLReader``; the reader records every field's line for the checks.
private struct ScenarioReader {
    typealias Value = YAMLReader.Value

    let reader: YAMLReader
    /// The folder relative paths are resolved against (nil: keep them as written).
    let baseDirectory: String?

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
    static let cacheKinds = ["hit_ratio", "lru"]
    static let cacheParameters: [String: [String]] = [
        "hit_ratio": ["ratio", "latency"], "lru": ["capacity", "ttl", "key_space", "zipf_s", "latency"],
    ]
    static let cacheKeys = ["kind", "ratio", "latency", "capacity", "ttl", "key_space", "zipf_s"]

    /// The default σ of a lognormal service time when `sigma` is left out.
    static let defaultServiceSigma = 0.5
    /// The default latency of a cache hit, ms.
    static let defaultCacheLatencyMs = 5.0

    // MARK: Scenario structure

    func scenario() throws(YAMLError) -> Scenario {
        let top = try reader.document(ifEmpty: "the scenario is empty (it needs at least version, duration, traffic and providers)")
            .mapping(allowed: Self.topLevelKeys,
                     expected: "a scenario (a mapping with keys version, duration, traffic, providers, ...)")
        try top.requireVersion1(document: "scenario")
        let durationValue = try top.required("duration")
        let trafficValue = try top.required("traffic")
        let providersValue = try top.required("providers")

        let name = try top["name"]?.text() ?? "scenario"
        let seed = try top["seed"]?.unsignedInteger() ?? 1
        let start = try top["start"]?.date() ?? defaultStart
        let duration = try durationValue.seconds()
        let warmup = try top["warmup"]?.seconds() ?? 0
        let replications = try top["replications"]?.integer() ?? 10
        // One minute, or the whole run when that is shorter.
        let seriesInterval = try top["series_interval"]?.seconds() ?? min(60, duration)
        let traffic = try traffic(trafficValue)
        let mix = try top["mix"].map(mix) ?? RequestMix()
        let providers = try providersValue.list().map(provider)
        let events = try top["events"]?.list().map(event) ?? []
        let client = try top["client"].map(client) ?? ClientSpec()
        let cache = try top["cache"].map(cache)
        return Scenario(name: name, seed: seed, start: start, duration: duration, warmup: warmup,
                        replications: replications, traffic: traffic, mix: mix, providers: providers, events: events,
                        client: client, cache: cache, seriesInterval: seriesInterval, source: reader.source)
    }

    func traffic(_ value: Value) throws(YAMLError) -> TrafficSpec {
        let (kind, f) = try value.kinded(allowed: Self.trafficKeys, parameters: Self.trafficParameters,
                                         kinds: Self.trafficKinds, vocabulary: "traffic kind",
                                         expected: "traffic (a mapping such as {kind: poisson, rate: 50})")
        func number(_ key: String, default value: Double) throws(YAMLError) -> Double {
            try f[key]?.number() ?? value
        }
        switch kind {
        case "poisson":
            let rate = try f.required("rate").number()
            let profile = try f["profile"]?.numbers()
            var bursts: TrafficSpec.Bursts?
            if let v = f["bursts"] {
                let b = try v.mapping(allowed: Self.burstKeys,
                                      expected: "bursts (a mapping such as {factor: 3, mean_duration: 5m, every: 2h})")
                bursts = TrafficSpec.Bursts(factor: try b.required("factor").number(),
                                            meanDuration: try b.required("mean_duration").seconds(),
                                            every: try b.required("every").seconds())
            }
            return .poisson(rate: rate, profile: profile, bursts: bursts)
        case "replay":
            let from = try f["from"]?.date()
            let to = try f["to"]?.date()
            return .replay(from: from, to: to, timeScale: try number("time_scale", default: 1),
                           sample: try number("sample", default: 1))
        case "trace":
            let path = try filePath(f.required("path"))
            let format = try f["format"]?.word("trace format", allowed: Self.traceFormats)
            return .trace(path: path, format: format, timeScale: try number("time_scale", default: 1),
                          sample: try number("sample", default: 1))
        default:  // load_model
            let path = try filePath(f.required("path"))
            return .loadModel(path: path, series: try f["series"]?.texts(), scale: try number("scale", default: 1))
        }
    }

    func mix(_ value: Value) throws(YAMLError) -> RequestMix {
        let f = try value.mapping(allowed: Self.mixKeys,
                                  expected: "a request mix (a mapping with tenants, operations, prompt_tokens, ...)")
        var m = RequestMix()
        if let v = f["tenants"] { m.tenants = try weights(v) }
        if let v = f["operations"] { m.operations = try weights(v) }
        if let v = f["model_family"] { m.modelFamily = try v.text() }
        if let v = f["prompt_tokens"] { m.promptTokens = try logNormal(v, defaultSigma: m.promptTokens.sigma) }
        if let v = f["output_tokens"] { m.outputTokens = try logNormal(v, defaultSigma: m.outputTokens.sigma) }
        if let v = f["tags"] { m.tags = try weights(v) }
        if let v = f["compliance"] {
            var compliance: [ComplianceTag: Double] = [:]
            var firstPath: [ComplianceTag: String] = [:]
            for (key, keyLine, entry) in try v.entries() {
                guard let tag = ComplianceTag(parsing: key) else {
                    throw YAMLError(source: reader.source, line: keyLine, path: entry.path, .unknownName(
                        key, kind: "compliance tag", allowed: ComplianceTag.allCases.map(\.rawValue)))
                }
                if let first = firstPath[tag] {
                    throw YAMLError(source: reader.source, line: keyLine, path: entry.path, .duplicate(
                        what: "compliance tag", value: tag.rawValue, firstPath: first, firstLine: reader.lines[first] ?? 0))
                }
                firstPath[tag] = entry.path
                // The checker names entries by the tag's canonical spelling.
                reader.record("mix.compliance.\(tag.rawValue)", line: keyLine)
                compliance[tag] = try entry.number()
            }
            m.compliance = compliance
        }
        if let v = f["slo"] { m.sloMs = try v.milliseconds() }
        if let v = f["budget_tag"] { m.budgetTag = try v.text() }
        return m
    }

    /// A mapping of free keys to numbers (weights, probabilities).
    func weights(_ value: Value) throws(YAMLError) -> [String: Double] {
        var result: [String: Double] = [:]
        for (key, _, entry) in try value.entries() { result[key] = try entry.number() }
        return result
    }

    func logNormal(_ value: Value, defaultSigma: Double) throws(YAMLError) -> LogNormal {
        let f = try value.mapping(allowed: Self.logNormalKeys,
                                  expected: "a lognormal distribution (a mapping such as {median: 1500, sigma: 1.0})")
        return LogNormal(median: try f.required("median").number(), sigma: try f["sigma"]?.number() ?? defaultSigma)
    }

    func provider(_ value: Value) throws(YAMLError) -> ProviderSpec {
        let f = try value.mapping(allowed: Self.providerKeys,
                                  expected: "a provider (a mapping with id, concurrency, service, ...)")
        var spec = ProviderSpec(id: try f.required("id").text(), concurrency: try f.required("concurrency").integer(),
                                queueLimit: try f["queue_limit"]?.integer(), service: try service(f.required("service")))
        if let v = f["error_rate"] { spec.errorRate = try v.number() }
        if let v = f["regions"] { spec.regions = try v.texts() }
        return spec
    }

    func service(_ value: Value) throws(YAMLError) -> ServiceTime {
        let (kind, f) = try value.kinded(
            allowed: Self.serviceKeys, parameters: Self.serviceParameters, kinds: Self.serviceKinds,
            vocabulary: "service kind",
            expected: "a service time (a mapping such as {kind: lognormal, median: 2s, sigma: 0.6})")
        switch kind {
        case "exponential":
            return .exponential(meanMs: try f.required("mean").milliseconds())
        case "lognormal":
            return .lognormal(medianMs: try f.required("median").milliseconds(),
                              sigma: try f["sigma"]?.number() ?? Self.defaultServiceSigma)
        case "empirical":
            return .empirical(quantilesMs: try f.required("quantiles").numbers())
        case "model":
            return .model(fallbackMs: try f.required("fallback").milliseconds())
        default:  // from_store
            return .fromStore
        }
    }

    func event(_ value: Value) throws(YAMLError) -> ScenarioEvent {
        let (kind, f) = try value.kinded(
            allowed: Self.eventKeys, parameters: Self.eventParameters, kinds: Self.eventKinds, vocabulary: "event kind",
            expected: "an event (a mapping such as {kind: outage, provider: openai, start: 2h, duration: 30m})")
        var provider: String?
        var region: String?
        if kind == "regional_outage" {
            region = try f.required("region").text()
        } else {
            provider = try f.required("provider").text()
        }
        let start = try f.required("start").seconds()
        let duration = try f["duration"]?.seconds()
        let eventKind: ScenarioEvent.Kind
        switch kind {
        case "outage":
            eventKind = .outage
        case "degradation":
            eventKind = .degradation(latencyFactor: try f["latency_factor"]?.number() ?? 1,
                                     errorRate: try f["error_rate"]?.number())
        case "regional_outage":
            eventKind = .regionalOutage(region: region ?? "")
        default:  // price_change
            eventKind = .priceChange(factor: try f.required("factor").number())
        }
        return ScenarioEvent(kind: eventKind, provider: provider, start: start, duration: duration)
    }

    func client(_ value: Value) throws(YAMLError) -> ClientSpec {
        var c = ClientSpec()
        try value.settings(&c, expected: "client settings (a mapping with policy, model, timeout, failover)", [
            .field("policy", \.policyPath, filePath), .field("model", \.modelPath, filePath), .seconds("timeout", \.timeout),
            .bool("failover", \.failover),
        ])
        return c
    }

    func cache(_ value: Value) throws(YAMLError) -> CacheSpec {
        let (kind, f) = try value.kinded(allowed: Self.cacheKeys, parameters: Self.cacheParameters, kinds: Self.cacheKinds,
                                         vocabulary: "cache kind",
                                         expected: "a cache (a mapping such as {kind: hit_ratio, ratio: 0.3})")
        let latencyMs = try f["latency"]?.milliseconds() ?? Self.defaultCacheLatencyMs
        switch kind {
        case "hit_ratio":
            return .hitRatio(ratio: try f.required("ratio").number(), latencyMs: latencyMs)
        default:  // lru
            return .lru(capacity: try f.required("capacity").integer(), ttl: try f.required("ttl").seconds(),
                        keySpace: try f.required("key_space").integer(), zipfS: try f["zipf_s"]?.number() ?? 1,
                        latencyMs: latencyMs)
        }
    }

    /// A file path as written, or resolved against ``baseDirectory`` when it is relative.
    func filePath(_ value: Value) throws(YAMLError) -> String {
        let text = try value.text()
        guard let base = baseDirectory, !base.isEmpty, !text.hasPrefix("/") else { return text }
        return base == "/" ? "/" + text : base + "/" + text
    }
}

// MARK: - Semantic checks

/// The checks shared by scenario files and scenarios built in code; `at` names the lines (none
/// for code: every error then has line 0).
private struct ScenarioChecker {
    typealias T = DurationText
    let at: YAMLChecker
    let catalog: Catalog
    /// Whether referenced files must exist (``Scenario/load(path:catalog:)`` only).
    let checkFiles: Bool

    func check(_ s: Scenario) throws(YAMLError) {
        if s.name.allSatisfy(\.isWhitespace) { throw at.error("name", .emptyValue) }
        try at.require(s.duration > 0 && s.duration.isFinite, "duration", "greater than 0s", T.format(seconds: s.duration))
        try at.require(s.warmup >= 0, "warmup", "at least 0s", T.format(seconds: s.warmup))
        try at.require(s.warmup < s.duration, "warmup", "less than duration (\(T.format(seconds: s.duration)))",
                    T.format(seconds: s.warmup))
        try at.require((1...1000).contains(s.replications), "replications", "in 1...1000", "\(s.replications)")
        try at.require(s.seriesInterval > 0 && s.seriesInterval.isFinite, "series_interval", "greater than 0s",
                    T.format(seconds: s.seriesInterval))
        try at.require(s.seriesInterval <= s.duration, "series_interval",
                    "at most duration (\(T.format(seconds: s.duration)))", T.format(seconds: s.seriesInterval))
        try at.require(s.seriesInterval * Double(Scenario.maximumSeriesPoints) >= s.duration * (1 - 1e-12), "series_interval",
                    "at least duration / \(Scenario.maximumSeriesPoints) (\(T.format(seconds: s.duration / Double(Scenario.maximumSeriesPoints))))",
                    T.format(seconds: s.seriesInterval))
        try traffic(s.traffic)
        try arrivalBound(s)
        try mix(s.mix)
        try providers(s.providers)
        try events(s)
        try client(s.client)
        if let cache = s.cache { try self.cache(cache) }
    }

    // MARK: Sections

    func traffic(_ traffic: TrafficSpec) throws(YAMLError) {
        func scaleAndSample(_ timeScale: Double, _ sample: Double) throws(YAMLError) {
            try at.require(timeScale > 0 && timeScale.isFinite, "traffic.time_scale", "greater than 0", YAMLChecker.format(timeScale))
            try at.require(sample > 0 && sample <= 1, "traffic.sample", "in (0, 1]", YAMLChecker.format(sample))
        }
        switch traffic {
        case .poisson(let rate, let profile, let bursts):
            try at.require(rate > 0 && rate.isFinite, "traffic.rate", "greater than 0 (requests per second)", YAMLChecker.format(rate))
            if let profile {
                try at.require(profile.count == 24, "traffic.profile", "a list of 24 factors (one per UTC hour)",
                            "\(profile.count) value\(profile.count == 1 ? "" : "s")")
                for (hour, factor) in profile.enumerated() {
                    try at.require(factor >= 0 && factor.isFinite, "traffic.profile[\(hour)]", "a finite number at least 0",
                                YAMLChecker.format(factor))
                }
                if !profile.contains(where: { $0 > 0 }) {
                    throw at.error("traffic.profile", .invalid("at least one hour needs a factor above 0"))
                }
            }
            if let b = bursts {
                try at.require(b.factor >= 1 && b.factor.isFinite, "traffic.bursts.factor", "a finite number at least 1",
                            YAMLChecker.format(b.factor))
                try at.require(b.meanDuration > 0 && b.meanDuration.isFinite, "traffic.bursts.mean_duration",
                            "greater than 0s", T.format(seconds: b.meanDuration))
                try at.require(b.every > 0 && b.every.isFinite, "traffic.bursts.every", "greater than 0s",
                            T.format(seconds: b.every))
            }
        case .replay(let from, let to, let timeScale, let sample):
            if let from, let to, from >= to {
                throw at.error("traffic.to", .invalid("\(Timestamp.format(to)) is not after from (\(Timestamp.format(from)))"))
            }
            try scaleAndSample(timeScale, sample)
        case .trace(let path, let format, let timeScale, let sample):
            try file(path, "traffic.path")
            if let format, !ScenarioReader.traceFormats.contains(format) {
                throw at.error("traffic.format", .unknownName(format, kind: "trace format",
                                                              allowed: ScenarioReader.traceFormats))
            }
            try scaleAndSample(timeScale, sample)
        case .loadModel(let path, let series, let scale):
            try file(path, "traffic.path")
            if let series {
                if series.isEmpty { throw at.error("traffic.series", .emptyValue) }
                try texts(series, "traffic.series", what: "series")
            }
            try at.require(scale > 0 && scale.isFinite, "traffic.scale", "greater than 0", YAMLChecker.format(scale))
        }
    }

    /// Poisson traffic at its peak rate for the whole duration stays within
    /// ``Scenario/maximumArrivals``; the error names the field that tipped it over (the bursts'
    /// factor when the rate without it fits).
    func arrivalBound(_ s: Scenario) throws(YAMLError) {
        guard case .poisson(let rate, let profile, let bursts) = s.traffic else { return }
        let limit = Scenario.maximumArrivals
        let base = rate * (profile?.max() ?? 1)
        guard !(base * (bursts?.factor ?? 1) * s.duration <= limit) else { return }
        let what = "at most \(YAMLChecker.format(limit)) arrivals at the peak rate over the duration (\(T.format(seconds: s.duration)))"
        if let b = bursts, base * s.duration <= limit {
            let most = YAMLChecker.format((limit / (base * s.duration)).rounded(.down))
            throw at.error("traffic.bursts.factor", .outOfRange(expected: "at most \(most): \(what)", found: YAMLChecker.format(b.factor)))
        }
        let most = YAMLChecker.format((limit / s.duration).rounded(.down))
        if rate * s.duration <= limit, let profile {
            throw at.error("traffic.profile", .outOfRange(
                expected: "rate × its largest factor at most \(most) requests/s: \(what)",
                found: "\(YAMLChecker.format(base)) requests/s at the factor \(YAMLChecker.format(profile.max() ?? 1))"))
        }
        throw at.error("traffic.rate", .outOfRange(expected: "at most \(most) requests/s: \(what)", found: YAMLChecker.format(rate)))
    }

    func mix(_ m: RequestMix) throws(YAMLError) {
        func weights(_ weights: [String: Double], _ path: String, _ what: String) throws(YAMLError) {
            for key in at.sortedKeys(weights, path) {
                let entryPath = "\(path).\(key)"
                if key.allSatisfy(\.isWhitespace) {
                    throw at.error(entryPath, .emptyValue)
                }
                let w = weights[key]!
                try at.require(w >= 0 && w.isFinite, entryPath, "a finite number at least 0", YAMLChecker.format(w))
            }
            if !weights.values.contains(where: { $0 > 0 }) {
                throw at.error(path, .invalid("at least one \(what) needs a weight above 0"))
            }
        }
        try weights(m.tenants, "mix.tenants", "tenant")
        try weights(m.operations, "mix.operations", "operation")
        for (key, d) in [("prompt_tokens", m.promptTokens), ("output_tokens", m.outputTokens)] {
            try at.require(d.median > 0 && d.median.isFinite, "mix.\(key).median", "greater than 0", YAMLChecker.format(d.median))
            try at.require(d.sigma >= 0 && d.sigma.isFinite, "mix.\(key).sigma", "a finite number at least 0",
                        YAMLChecker.format(d.sigma))
        }
        for tag in at.sortedKeys(m.tags, "mix.tags") {
            let path = "mix.tags.\(tag)"
            if tag.allSatisfy(\.isWhitespace) { throw at.error(path, .emptyValue) }
            let p = m.tags[tag]!
            try at.require((0...1).contains(p), path, "a probability in 0...1", YAMLChecker.format(p))
        }
        let compliance = Dictionary(uniqueKeysWithValues: m.compliance.map { ($0.key.rawValue, $0.value) })
        for tag in at.sortedKeys(compliance, "mix.compliance") {
            let p = compliance[tag]!
            try at.require((0...1).contains(p), "mix.compliance.\(tag)", "a probability in 0...1", YAMLChecker.format(p))
        }
        if let slo = m.sloMs {
            try at.require(slo > 0 && slo.isFinite, "mix.slo", "greater than 0s", T.format(milliseconds: slo))
        }
        if let tag = m.budgetTag, tag.allSatisfy(\.isWhitespace) {
            throw at.error("mix.budget_tag", .emptyValue)
        }
    }

    /// The providers: their ids (non-empty, in the catalog, unique), then each one's service.
    func providers(_ providers: [ProviderSpec]) throws(YAMLError) {
        try at.catalogProviders(providers.map(\.id), owner: "scenario", catalog: catalog) { "providers[\($0)].id" }
        for (index, p) in providers.enumerated() {
            let path = "providers[\(index)]"
            // The station's waiting line is allocated up to the queue limit: a bound keeps a
            // replication's memory (16 bytes a place) and concurrency + queue_limit in range.
            try at.require((1...Scenario.maximumConcurrency).contains(p.concurrency), "\(path).concurrency",
                           "in 1...\(Scenario.maximumConcurrency)", "\(p.concurrency)")
            if let limit = p.queueLimit {
                try at.require((0...Scenario.maximumQueueLimit).contains(limit), "\(path).queue_limit",
                               "in 0...\(Scenario.maximumQueueLimit)", "\(limit)")
            }
            try service(p.service, "\(path).service")
            try at.require((0...1).contains(p.errorRate), "\(path).error_rate", "a probability in 0...1",
                        YAMLChecker.format(p.errorRate))
            try texts(p.regions, "\(path).regions", what: "region")
        }
    }

    func service(_ service: ServiceTime, _ path: String) throws(YAMLError) {
        switch service {
        case .exponential(let mean):
            try at.require(mean > 0 && mean.isFinite, "\(path).mean", "greater than 0s", T.format(milliseconds: mean))
        case .lognormal(let median, let sigma):
            try at.require(median > 0 && median.isFinite, "\(path).median", "greater than 0s", T.format(milliseconds: median))
            try at.require(sigma >= 0 && sigma.isFinite, "\(path).sigma", "a finite number at least 0", YAMLChecker.format(sigma))
        case .empirical(let quantiles):
            try at.require(quantiles.count >= 2, "\(path).quantiles", "a list of at least 2 quantiles (ms)",
                        "\(quantiles.count) value\(quantiles.count == 1 ? "" : "s")")
            for (index, q) in quantiles.enumerated() {
                let itemPath = "\(path).quantiles[\(index)]"
                try at.require(q >= 0 && q.isFinite, itemPath, "a finite number of ms at least 0", YAMLChecker.format(q))
                if index > 0 {
                    let previous = quantiles[index - 1]
                    try at.require(q >= previous, itemPath, "at least the quantile before it (\(YAMLChecker.format(previous)))",
                                YAMLChecker.format(q))
                }
            }
        case .model(let fallback):
            try at.require(fallback > 0 && fallback.isFinite, "\(path).fallback", "greater than 0s",
                        T.format(milliseconds: fallback))
        case .fromStore:
            break
        }
    }

    func events(_ s: Scenario) throws(YAMLError) {
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
                    throw at.error("\(path).provider", .invalid("a regional outage names a region, not a provider"))
                }
                let regionPath = "\(path).region"
                if region.allSatisfy(\.isWhitespace) {
                    throw at.error(regionPath, .emptyValue)
                }
                guard served.contains(region) else {
                    throw at.error(regionPath, .unknownRegion(region, known: served))
                }
            default:
                guard let provider = e.provider else {
                    throw at.error(path, .missingField("provider"))
                }
                guard listed.contains(provider) else {
                    let providerPath = "\(path).provider"
                    throw at.error(providerPath, .providerNotListed(provider, listed: listed))
                }
            }
            try at.require(e.start >= 0 && e.start.isFinite, "\(path).start", "at least 0s", T.format(seconds: e.start))
            try at.require(e.start < s.duration, "\(path).start",
                        "less than the scenario's duration (\(T.format(seconds: s.duration)))", T.format(seconds: e.start))
            if let duration = e.duration {
                try at.require(duration > 0 && duration.isFinite, "\(path).duration", "greater than 0s",
                            T.format(seconds: duration))
            }
            switch e.kind {
            case .degradation(let factor, let errorRate):
                try at.require(factor >= 1 && factor.isFinite, "\(path).latency_factor", "a finite number at least 1",
                            YAMLChecker.format(factor))
                if let errorRate {
                    try at.require((0...1).contains(errorRate), "\(path).error_rate", "a probability in 0...1",
                                YAMLChecker.format(errorRate))
                }
                if factor == 1 && errorRate == nil {
                    throw at.error(path, .invalid("the degradation changes nothing; give a latency_factor above 1 or an error_rate"))
                }
            case .priceChange(let factor):
                // Prices scale exactly by the factor's decimal form: 17 significant digits from 10⁻⁶ on
                // fit Money's 24 decimal places.
                try at.require(factor >= 0.000_001 && factor <= 1_000, "\(path).factor", "in 0.000001...1000",
                               YAMLChecker.format(factor))
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
                throw at.error(path, .overlappingEvents(Self.describe(e), firstPath: otherPath,
                                                        firstLine: at.line(otherPath), firstEvent: Self.describe(other),
                                                        reason: reason))
            }
        }
    }

    func client(_ c: ClientSpec) throws(YAMLError) {
        if let policy = c.policyPath { try file(policy, "client.policy") }
        if let model = c.modelPath { try file(model, "client.model") }
        try at.require(c.timeout > 0 && c.timeout.isFinite, "client.timeout", "greater than 0s",
                    T.format(seconds: c.timeout))
    }

    func cache(_ cache: CacheSpec) throws(YAMLError) {
        switch cache {
        case .hitRatio(let ratio, let latency):
            try at.require((0...1).contains(ratio), "cache.ratio", "in 0...1", YAMLChecker.format(ratio))
            try at.require(latency >= 0 && latency.isFinite, "cache.latency", "at least 0s", T.format(milliseconds: latency))
        case .lru(let capacity, let ttl, let keySpace, let zipfS, let latency):
            try at.require(capacity >= 1, "cache.capacity", "at least 1", "\(capacity)")
            try at.require(ttl > 0 && ttl.isFinite, "cache.ttl", "greater than 0s", T.format(seconds: ttl))
            try at.require(keySpace >= 1, "cache.key_space", "at least 1", "\(keySpace)")
            try at.require(zipfS > 0 && zipfS.isFinite, "cache.zipf_s", "greater than 0", YAMLChecker.format(zipfS))
            try at.require(latency >= 0 && latency.isFinite, "cache.latency", "at least 0s", T.format(milliseconds: latency))
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
        let end = e.duration == nil ? "the end" : T.format(seconds: e.end)
        return "\(what) of '\(e.provider ?? "")' from \(T.format(seconds: e.start)) to \(end)"
    }

    // MARK: Helpers

    /// Non-blank texts without duplicates.
    func texts(_ list: [String], _ path: String, what: String) throws(YAMLError) {
        var seen: [String: Int] = [:]
        for (index, value) in list.enumerated() {
            let itemPath = "\(path)[\(index)]"
            if value.allSatisfy(\.isWhitespace) { throw at.error(itemPath, .emptyValue) }
            if let first = seen[value] {
                throw at.duplicate(itemPath, what: what, value: value, firstPath: "\(path)[\(first)]")
            }
            seen[value] = index
        }
    }

    /// A referenced file: non-empty, and (in ``Scenario/load(path:catalog:)``) existing.
    func file(_ file: String, _ path: String) throws(YAMLError) {
        if file.allSatisfy(\.isWhitespace) { throw at.error(path, .emptyValue) }
        guard checkFiles else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw at.error(path, .missingFile(file, reason: "no such file"))
        }
        if isDirectory.boolValue {
            throw at.error(path, .missingFile(file, reason: "it is a directory, not a file"))
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
