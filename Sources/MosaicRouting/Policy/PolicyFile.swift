import Foundation
import MosaicCore
import Yams

// MARK: - Reading and validating policies

extension RoutingPolicy {
    /// Reads and validates a routing policy from YAML text.
    ///
    /// The format (keys are snake_case; everything but `version` and `providers` is optional) is
    /// shown in full, with comments, by ``exampleYAML``. Durations are text with a unit (`250ms`,
    /// `1.5s`, `5m`; units `us`, `ms`, `s`, `m`, `h`), money amounts are exact decimals (a YAML
    /// number or a quoted string, read from its source text, never through `Double`), hours are
    /// UTC ranges `HH:MM-HH:MM` that may wrap past midnight.
    ///
    /// - Parameters:
    ///   - yaml: The policy text.
    ///   - source: The name errors use for the text, usually its file path (`policy.yaml`).
    ///   - catalog: The providers `providers` may name.
    /// - Throws: ``PolicyError`` for the first problem found: YAML syntax, unknown or missing keys,
    ///   wrong types, bad durations, hours or amounts, then the semantic checks of
    ///   ``validate(catalog:)`` (ranges, provider ids, duplicates, conflicts), each naming the
    ///   line and field.
    public init(yaml: String, source: String, catalog: Catalog) throws(PolicyError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw PolicyReader.syntaxError(error, yaml: yaml, source: source)
        }
        guard let root else { throw .emptyPolicy(source: source, line: 1) }
        let reader = PolicyReader(source: source)
        let policy = try reader.policy(root)
        try PolicyChecker(source: source, lines: reader.lines, catalog: catalog).check(policy)
        self = policy
    }

    /// Reads and validates the policy file at `path`.
    ///
    /// - Throws: ``PolicyError/unreadableFile(path:reason:)`` when the file is missing, is a
    ///   directory, cannot be read or is not UTF-8; otherwise as ``init(yaml:source:catalog:)``.
    public static func load(path: String, catalog: Catalog) throws(PolicyError) -> RoutingPolicy {
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
        return try RoutingPolicy(yaml: text, source: path, catalog: catalog)
    }

    /// Runs the semantic checks a policy file gets on a policy built in code.
    ///
    /// Errors name the policy by its ``name`` as source, line 0, and the field path the YAML
    /// format would use (`rules[0].route[1]`, `breaker.window`, `costs.openai.per_request`).
    ///
    /// - Throws: ``PolicyError`` for the first problem: `providers` empty, duplicated or not in the
    ///   catalog; any referenced provider not in `providers`; numbers out of range (including the
    ///   values the reliability types' initialisers require, so the policy never traps them);
    ///   duplicate rule names; rules with nothing to do; allow ∩ deny; self fallbacks; negative
    ///   costs; non-positive budgets.
    public func validate(catalog: Catalog) throws(PolicyError) {
        try PolicyChecker(source: name, lines: [:], catalog: catalog).check(self)
    }
}

// MARK: - Durations and hours

/// Text forms shared by the reader, the checker and error messages.
enum PolicyText {
    enum DurationResult: Equatable {
        case value(Int64)
        case noUnit
        case invalid(String)
    }

    static let durationUnits: [(String, Int64)] = [
        ("us", 1), ("µs", 1), ("ms", RoutingTime.millisecond), ("s", RoutingTime.second),
        ("m", RoutingTime.minute), ("h", 60 * RoutingTime.minute),
    ]

    /// Reads `250ms`, `1.5s`, `5m`, `-1s` (negative values are range errors, not syntax errors).
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
        let expected = "expected a number followed by a unit (us, ms, s, m or h), for example 250ms, 1.5s or 5m"
        guard !(whole.isEmpty && fraction.isEmpty) else { return .invalid(expected) }
        while i < scalars.count, scalars[i] == " " { i += 1 }
        let unit = String(String.UnicodeScalarView(scalars[i...]))
        if unit.isEmpty { return .noUnit }
        guard let factor = durationUnits.first(where: { $0.0 == unit })?.1 else {
            return .invalid("unknown unit '\(unit)' (use us, ms, s, m or h)")
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
            // fraction × factor / 10^digits must be a whole number of µs.
            // At most 12 digits times at most 3.6e9 µs fits an Int128 with room to spare.
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

    /// Renders µs in the largest unit that divides it: `5s`, `100ms`, `1500ms`, `7us`.
    static func render(duration micros: Int64) -> String {
        if micros == 0 { return "0s" }
        for (unit, size) in [("h", 60 * RoutingTime.minute), ("m", RoutingTime.minute), ("s", RoutingTime.second),
                             ("ms", RoutingTime.millisecond)] where micros % size == 0 {
            return "\(micros / size)\(unit)"
        }
        return "\(micros)us"
    }

    /// Renders a number briefly: `65`, `0.5`, `2`.
    static func render(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// Reads `22:00-06:00` (UTC, may wrap midnight; `24:00` only as an end).
    static func hours(_ text: String) -> Result<MinuteRange, HoursError> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .failure(HoursError("expected a start and an end separated by '-'")) }
        func time(_ part: Substring, isEnd: Bool) -> Result<Int, HoursError> {
            let t = part.trimmingCharacters(in: .whitespaces)
            let pieces = t.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count == 2, (1...2).contains(pieces[0].count), pieces[1].count == 2,
                pieces[0].allSatisfy(\.isASCII), pieces[0].allSatisfy(\.isNumber),
                pieces[1].allSatisfy(\.isASCII), pieces[1].allSatisfy(\.isNumber),
                let h = Int(pieces[0]), let m = Int(pieces[1])
            else {
                return .failure(HoursError("'\(t)' is not a time HH:MM"))
            }
            guard m < 60 else { return .failure(HoursError("'\(t)' has more than 59 minutes")) }
            if isEnd && h == 24 && m == 0 { return .success(1440) }
            guard h < 24 else {
                return .failure(HoursError(isEnd ? "'\(t)' is past 24:00" : "'\(t)' is past 23:59 (24:00 may only end a range)"))
            }
            return .success(h * 60 + m)
        }
        let start: Int
        let end: Int
        switch time(parts[0], isEnd: false) {
        case .success(let v): start = v
        case .failure(let e): return .failure(e)
        }
        switch time(parts[1], isEnd: true) {
        case .success(let v): end = v
        case .failure(let e): return .failure(e)
        }
        guard start != end else {
            return .failure(HoursError("the start and end are the same time (leave hours out to match all day)"))
        }
        return .success(MinuteRange(start: start, end: end))
    }

    struct HoursError: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}

// MARK: - Reader

/// Walks a composed YAML tree and builds a policy, turning every problem of shape or type into a
/// ``PolicyError`` with the node's line and field path, and recording the line of every field
/// path so the semantic checks can name it too.
private final class PolicyReader {
    let source: String
    /// The line of each field path read (`rules[0].route[1]` → 12).
    var lines: [String: Int] = [:]

    init(source: String) { self.source = source }

    static let topLevelKeys = [
        "version", "name", "providers", "default_latency_ms", "filters", "strategy", "rules", "breaker",
        "outliers", "retry", "rate_limits", "tenants", "budgets", "fallbacks", "costs", "quality",
    ]
    static let filterKeys = ["capability", "compliance", "residency", "tenant", "quota", "rate_limit", "health"]
    static let strategyKinds = [
        "round_robin", "weighted", "least_connections", "p2c", "latency_ewma", "cost_first", "model_utility",
    ]
    static let strategyParameters: [String: [String]] = [
        "round_robin": [], "weighted": ["weights"], "least_connections": [], "p2c": [],
        "latency_ewma": ["alpha", "buffer"], "cost_first": [], "model_utility": ["lambda", "mu"],
    ]
    static let strategyKeys = ["kind", "weights", "alpha", "buffer", "lambda", "mu"]
    static let ruleKeys = ["name", "reason", "match", "route", "mode", "exclude"]
    static let matchKeys = [
        "tenant", "operation", "model_family", "resource", "region", "budget_tag", "tag",
        "prompt_tokens_over", "prompt_tokens_at_most", "compliance", "capability", "hours",
    ]
    static let breakerKeys = [
        "consecutive_failures", "failure_rate", "window", "time_window", "minimum_requests", "open", "max_open",
        "backoff_multiplier", "half_open_probes", "slow_start", "slow_start_initial_share",
    ]
    static let outlierKeys = [
        "enabled", "interval", "stdev_factor", "minimum_requests", "minimum_peers", "max_ejected_share",
        "base_ejection", "max_ejection", "panic_threshold",
    ]
    static let retryKeys = ["on", "max_attempts", "base_backoff", "max_backoff", "multiplier", "budget"]
    static let retryOutcomes = ["timeout", "error", "rate_limited"]
    static let budgetKeys = ["ratio", "minimum"]
    static let rateLimitKeys = ["requests", "per", "scope"]
    static let quotaKeys = ["requests", "per"]
    static let tenantKeys = ["allow", "deny", "quota"]
    static let spendKeys = ["limit", "per"]
    static let costKeys = ["input_per_mtok", "output_per_mtok", "per_request"]

    /// A mapping's values by key, already checked against the allowed keys, in document order.
    struct Fields {
        let node: Node
        let path: String
        let values: [String: Node]
        /// Keys in document order with the line of each key.
        let keys: [(name: String, line: Int)]

        func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    }

    // MARK: Policy structure

    func policy(_ root: Node) throws(PolicyError) -> RoutingPolicy {
        if isNull(root) { throw .emptyPolicy(source: source, line: line(of: root)) }
        let top = try fields(root, path: "", allowed: Self.topLevelKeys,
                             expected: "a policy (a mapping with keys version, providers, ...)")
        let version = try required(top, "version")
        guard case .scalar(let scalar) = version, tagName(of: version) == .int, Int.construct(from: scalar) == 1 else {
            throw .unsupportedVersion(source: source, line: line(of: version), value: describe(version))
        }
        let providers = try textList(required(top, "providers"), path: "providers")
        var policy = RoutingPolicy(providers: providers)

        if let node = optional(top, "name") { policy.name = try text(node, path: "name") }
        if let node = optional(top, "default_latency_ms") {
            policy.defaultLatencyMs = try number(node, path: "default_latency_ms")
        }
        if let node = optional(top, "filters") { policy.filters = try filters(node) }
        if let node = optional(top, "strategy") { policy.strategy = try strategy(node) }
        if let node = optional(top, "rules") {
            var rules: [RoutingRule] = []
            for (index, item) in try list(node, path: "rules").enumerated() {
                rules.append(try rule(item, path: "rules[\(index)]"))
            }
            policy.rules = rules
        }
        if let node = optional(top, "breaker") { policy.breaker = try breaker(node) }
        if let node = optional(top, "outliers") { policy.outliers = try outliers(node) }
        if let node = optional(top, "retry") { (policy.retry, policy.retryBudget) = try retry(node) }
        if let node = optional(top, "rate_limits") {
            for (id, path, value) in try entries(node, path: "rate_limits") {
                var limits: [RateLimit] = []
                for (index, item) in try list(value, path: path).enumerated() {
                    limits.append(try rateLimit(item, path: "\(path)[\(index)]", allowed: Self.rateLimitKeys))
                }
                policy.rateLimits[id] = limits
            }
        }
        if let node = optional(top, "tenants") {
            for (tenant, path, value) in try entries(node, path: "tenants") {
                policy.tenants[tenant] = try tenantPolicy(value, path: path)
            }
        }
        if let node = optional(top, "budgets") {
            for (tag, path, value) in try entries(node, path: "budgets") {
                let f = try fields(value, path: path, allowed: Self.spendKeys,
                                   expected: "a budget (a mapping such as {limit: \"50.00\", per: day})")
                let limit = try amount(required(f, "limit"), path: f.path(of: "limit"))
                let period = try period(required(f, "per"), path: f.path(of: "per"))
                policy.budgets[tag] = BudgetPolicy(limit: limit, period: period)
            }
        }
        if let node = optional(top, "fallbacks") {
            for (id, path, value) in try entries(node, path: "fallbacks") {
                policy.fallbacks[id] = try textList(value, path: path)
            }
        }
        if let node = optional(top, "costs") {
            for (id, path, value) in try entries(node, path: "costs") {
                let f = try fields(value, path: path, allowed: Self.costKeys,
                                   expected: "a cost (a mapping such as {input_per_mtok: \"2.50\", output_per_mtok: 10})")
                var cost = ProviderCost()
                if let n = optional(f, "input_per_mtok") { cost.inputPerMillion = try amount(n, path: f.path(of: "input_per_mtok")) }
                if let n = optional(f, "output_per_mtok") { cost.outputPerMillion = try amount(n, path: f.path(of: "output_per_mtok")) }
                if let n = optional(f, "per_request") { cost.perRequest = try amount(n, path: f.path(of: "per_request")) }
                policy.costs[id] = cost
            }
        }
        if let node = optional(top, "quality") {
            for (id, path, value) in try entries(node, path: "quality") {
                policy.quality[id] = try number(value, path: path)
            }
        }
        return policy
    }

    func filters(_ node: Node) throws(PolicyError) -> RoutingPolicy.Filters {
        let f = try fields(node, path: "filters", allowed: Self.filterKeys, expected: "a mapping of filter names to true or false")
        var filters = RoutingPolicy.Filters()
        func flag(_ key: String, _ value: inout Bool) throws(PolicyError) {
            if let n = optional(f, key) { value = try bool(n, path: f.path(of: key)) }
        }
        try flag("capability", &filters.capability)
        try flag("compliance", &filters.compliance)
        try flag("residency", &filters.residency)
        try flag("tenant", &filters.tenant)
        try flag("quota", &filters.quota)
        try flag("rate_limit", &filters.rateLimit)
        try flag("health", &filters.health)
        return filters
    }

    func strategy(_ node: Node) throws(PolicyError) -> Strategy {
        let kindNode: Node
        var f: Fields?
        if case .scalar = node {
            kindNode = node
        } else {
            let mapping = try fields(node, path: "strategy", allowed: Self.strategyKeys,
                                     expected: "a strategy (a mapping such as {kind: round_robin})")
            kindNode = try required(mapping, "kind")
            f = mapping
        }
        let kindPath = f == nil ? "strategy" : "strategy.kind"
        let kind = try text(kindNode, path: kindPath)
        guard let parameters = Self.strategyParameters[kind] else {
            throw .unknownName(source: source, line: line(of: kindNode), path: kindPath, value: kind,
                               kind: "strategy kind", allowed: Self.strategyKinds)
        }
        guard let f else { return try strategy(kind: kind, fields: nil) }
        for (key, keyLine) in f.keys where key != "kind" && !parameters.contains(key) {
            throw .parameterNotAllowed(source: source, line: keyLine, path: f.path(of: key), parameter: key,
                                       strategy: kind, allowed: parameters)
        }
        return try strategy(kind: kind, fields: f)
    }

    private func strategy(kind: String, fields f: Fields?) throws(PolicyError) -> Strategy {
        func param(_ key: String, _ defaultValue: Double) throws(PolicyError) -> Double {
            guard let f, let n = optional(f, key) else { return defaultValue }
            return try number(n, path: f.path(of: key))
        }
        switch kind {
        case "round_robin": return .roundRobin
        case "least_connections": return .leastConnections
        case "p2c": return .powerOfTwoChoices
        case "cost_first": return .costFirst
        case "latency_ewma": return .latencyEWMA(alpha: try param("alpha", 0.3), buffer: try param("buffer", 0.5))
        case "model_utility": return .modelUtility(lambda: try param("lambda", 10), mu: try param("mu", 0.1))
        default:
            // weighted
            guard let f else {
                throw .missingField(source: source, line: lines["strategy"] ?? 1, path: "strategy", field: "weights")
            }
            var weights: [String: Double] = [:]
            for (id, path, value) in try entries(required(f, "weights"), path: f.path(of: "weights")) {
                weights[id] = try number(value, path: path)
            }
            return .weighted(weights)
        }
    }

    func rule(_ node: Node, path: String) throws(PolicyError) -> RoutingRule {
        let f = try fields(node, path: path, allowed: Self.ruleKeys,
                           expected: "a rule (a mapping with name, reason, match, route, mode, exclude)")
        let name = try text(required(f, "name"), path: f.path(of: "name"))
        let reason = try text(required(f, "reason"), path: f.path(of: "reason"))
        var match = RuleMatch()
        if let n = optional(f, "match") { match = try ruleMatch(n, path: f.path(of: "match")) }
        var action = RuleAction()
        if let n = optional(f, "route") { action.route = try textList(n, path: f.path(of: "route")) }
        if let n = optional(f, "exclude") { action.exclude = try textList(n, path: f.path(of: "exclude")) }
        if let n = optional(f, "mode") {
            let modePath = f.path(of: "mode")
            let value = try text(n, path: modePath)
            guard let mode = RuleAction.Mode(rawValue: value) else {
                throw .unknownName(source: source, line: line(of: n), path: modePath, value: value,
                                   kind: "rule mode", allowed: ["only", "prefer"])
            }
            action.mode = mode
        }
        return RoutingRule(name: name, reason: reason, match: match, action: action)
    }

    func ruleMatch(_ node: Node, path: String) throws(PolicyError) -> RuleMatch {
        let f = try fields(node, path: path, allowed: Self.matchKeys, expected: "a match (a mapping of conditions)")
        var m = RuleMatch()
        func glob(_ key: String) throws(PolicyError) -> GlobPattern? {
            guard let n = optional(f, key) else { return nil }
            return GlobPattern(try text(n, path: f.path(of: key)))
        }
        m.tenant = try glob("tenant")
        m.operation = try glob("operation")
        m.modelFamily = try glob("model_family")
        m.resource = try glob("resource")
        m.region = try glob("region")
        m.budgetTag = try glob("budget_tag")
        m.tag = try glob("tag")
        if let n = optional(f, "prompt_tokens_over") {
            m.promptTokensOver = try integer(n, path: f.path(of: "prompt_tokens_over"))
        }
        if let n = optional(f, "prompt_tokens_at_most") {
            m.promptTokensAtMost = try integer(n, path: f.path(of: "prompt_tokens_at_most"))
        }
        if let n = optional(f, "compliance") {
            let listPath = f.path(of: "compliance")
            let items: [(Node, String)]
            if case .scalar = n {
                items = [(n, listPath)]
            } else {
                items = try list(n, path: listPath).enumerated().map { ($0.element, "\(listPath)[\($0.offset)]") }
            }
            guard !items.isEmpty else { throw .emptyValue(source: source, line: line(of: n), path: listPath) }
            var tags: [ComplianceTag] = []
            for (item, itemPath) in items {
                let value = try text(item, path: itemPath)
                guard let tag = ComplianceTag(parsing: value) else {
                    throw .unknownName(source: source, line: line(of: item), path: itemPath, value: value,
                                       kind: "compliance tag", allowed: ComplianceTag.allCases.map(\.rawValue))
                }
                tags.append(tag)
            }
            m.compliance = ComplianceSet(tags)
        }
        if let n = optional(f, "capability") { m.capability = try text(n, path: f.path(of: "capability")) }
        if let n = optional(f, "hours") {
            let hoursPath = f.path(of: "hours")
            let value = try text(n, path: hoursPath)
            switch PolicyText.hours(value) {
            case .success(let range): m.hours = range
            case .failure(let error):
                throw .invalidHours(source: source, line: line(of: n), path: hoursPath, value: value, reason: error.reason)
            }
        }
        return m
    }

    func breaker(_ node: Node) throws(PolicyError) -> CircuitBreaker.Configuration {
        let f = try fields(node, path: "breaker", allowed: Self.breakerKeys, expected: "a mapping of breaker settings")
        // Start from the defaults and assign fields: the checker validates the values before any
        // breaker is built from them, so out-of-range input never reaches a precondition.
        var c = CircuitBreaker.Configuration()
        if let n = optional(f, "consecutive_failures") { c.consecutiveFailures = try integer(n, path: f.path(of: "consecutive_failures")) }
        if let n = optional(f, "failure_rate") { c.failureRateThreshold = try number(n, path: f.path(of: "failure_rate")) }
        if let n = optional(f, "window") { c.windowSize = try integer(n, path: f.path(of: "window")) }
        if let n = optional(f, "time_window") { c.timeWindow = try duration(n, path: f.path(of: "time_window")) }
        if let n = optional(f, "minimum_requests") { c.minimumRequests = try integer(n, path: f.path(of: "minimum_requests")) }
        if let n = optional(f, "open") { c.baseOpenDuration = try duration(n, path: f.path(of: "open")) }
        if let n = optional(f, "max_open") { c.maxOpenDuration = try duration(n, path: f.path(of: "max_open")) }
        if let n = optional(f, "backoff_multiplier") { c.openBackoffMultiplier = try number(n, path: f.path(of: "backoff_multiplier")) }
        if let n = optional(f, "half_open_probes") { c.halfOpenProbes = try integer(n, path: f.path(of: "half_open_probes")) }
        if let n = optional(f, "slow_start") { c.slowStartDuration = try duration(n, path: f.path(of: "slow_start")) }
        if let n = optional(f, "slow_start_initial_share") {
            c.slowStartInitialShare = try number(n, path: f.path(of: "slow_start_initial_share"))
        }
        return c
    }

    func outliers(_ node: Node) throws(PolicyError) -> OutlierEjection {
        let f = try fields(node, path: "outliers", allowed: Self.outlierKeys, expected: "a mapping of outlier-ejection settings")
        var o = OutlierEjection()
        if let n = optional(f, "enabled") { o.enabled = try bool(n, path: f.path(of: "enabled")) }
        if let n = optional(f, "interval") { o.interval = try duration(n, path: f.path(of: "interval")) }
        if let n = optional(f, "stdev_factor") { o.stdevFactor = try number(n, path: f.path(of: "stdev_factor")) }
        if let n = optional(f, "minimum_requests") { o.minimumRequests = try integer(n, path: f.path(of: "minimum_requests")) }
        if let n = optional(f, "minimum_peers") { o.minimumPeers = try integer(n, path: f.path(of: "minimum_peers")) }
        if let n = optional(f, "max_ejected_share") { o.maxEjectedShare = try number(n, path: f.path(of: "max_ejected_share")) }
        if let n = optional(f, "base_ejection") { o.baseEjection = try duration(n, path: f.path(of: "base_ejection")) }
        if let n = optional(f, "max_ejection") { o.maxEjection = try duration(n, path: f.path(of: "max_ejection")) }
        if let n = optional(f, "panic_threshold") { o.panicThreshold = try number(n, path: f.path(of: "panic_threshold")) }
        return o
    }

    func retry(_ node: Node) throws(PolicyError) -> (RoutingRetryPolicy, RoutingPolicy.RetryBudgetSettings) {
        let f = try fields(node, path: "retry", allowed: Self.retryKeys, expected: "a mapping of retry settings")
        var r = RoutingRetryPolicy()
        var budget = RoutingPolicy.RetryBudgetSettings()
        if let n = optional(f, "on") {
            let listPath = f.path(of: "on")
            var outcomes: RoutingRetryPolicy.Outcomes = []
            for (index, item) in try list(n, path: listPath).enumerated() {
                let itemPath = "\(listPath)[\(index)]"
                let value = try text(item, path: itemPath)
                switch value {
                case "timeout": outcomes.insert(.timeout)
                case "error": outcomes.insert(.error)
                case "rate_limited": outcomes.insert(.rateLimited)
                default:
                    throw .unknownName(source: source, line: line(of: item), path: itemPath, value: value,
                                       kind: "retry outcome", allowed: Self.retryOutcomes)
                }
            }
            r.retryOn = outcomes
        }
        if let n = optional(f, "max_attempts") { r.maxAttempts = try integer(n, path: f.path(of: "max_attempts")) }
        if let n = optional(f, "base_backoff") { r.baseBackoff = try duration(n, path: f.path(of: "base_backoff")) }
        if let n = optional(f, "max_backoff") { r.maxBackoff = try duration(n, path: f.path(of: "max_backoff")) }
        if let n = optional(f, "multiplier") { r.multiplier = try number(n, path: f.path(of: "multiplier")) }
        if let n = optional(f, "budget") {
            let b = try fields(n, path: f.path(of: "budget"), allowed: Self.budgetKeys,
                               expected: "a retry budget (a mapping such as {ratio: 0.2, minimum: 3})")
            if let v = optional(b, "ratio") { budget.ratio = try number(v, path: b.path(of: "ratio")) }
            if let v = optional(b, "minimum") { budget.minimum = try integer(v, path: b.path(of: "minimum")) }
        }
        return (r, budget)
    }

    func tenantPolicy(_ node: Node, path: String) throws(PolicyError) -> TenantPolicy {
        let f = try fields(node, path: path, allowed: Self.tenantKeys,
                           expected: "a tenant policy (a mapping with allow, deny, quota)")
        var t = TenantPolicy()
        if let n = optional(f, "allow") { t.allow = try textList(n, path: f.path(of: "allow")) }
        if let n = optional(f, "deny") { t.deny = try textList(n, path: f.path(of: "deny")) }
        if let n = optional(f, "quota") { t.quota = try rateLimit(n, path: f.path(of: "quota"), allowed: Self.quotaKeys) }
        return t
    }

    func rateLimit(_ node: Node, path: String, allowed: [String]) throws(PolicyError) -> RateLimit {
        let f = try fields(node, path: path, allowed: allowed,
                           expected: "a rate limit (a mapping such as {requests: 5000, per: hour})")
        let requests = try integer(required(f, "requests"), path: f.path(of: "requests"))
        let period = try period(required(f, "per"), path: f.path(of: "per"))
        var scope = "default"
        if let n = optional(f, "scope") { scope = try text(n, path: f.path(of: "scope")) }
        // RateLimit requires requests > 0; the checker reports other values with their line.
        var limit = RateLimit(requests: 1, period: period, scope: scope)
        limit.requests = requests
        return limit
    }

    func period(_ node: Node, path: String) throws(PolicyError) -> RateLimit.Period {
        let value = try text(node, path: path)
        guard let period = RateLimit.Period(rawValue: value) else {
            throw .unknownName(source: source, line: line(of: node), path: path, value: value,
                               kind: "period", allowed: RateLimit.Period.allCases.map(\.rawValue))
        }
        return period
    }

    // MARK: Typed values

    /// The mapping at `path`, rejecting non-text keys and keys outside `allowed`; records the
    /// line of every field.
    func fields(_ node: Node, path: String, allowed: [String], expected: String) throws(PolicyError) -> Fields {
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

    /// A mapping with free keys (provider ids, tenant names, budget tags), in document order;
    /// records each entry's path at its key's line.
    func entries(_ node: Node, path: String) throws(PolicyError) -> [(key: String, path: String, value: Node)] {
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

    func required(_ fields: Fields, _ key: String) throws(PolicyError) -> Node {
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
    func text(_ node: Node, path: String) throws(PolicyError) -> String {
        guard case .scalar(let scalar) = node else {
            throw wrongType(node, path: path, expected: "text")
        }
        guard !isNull(node), !scalar.string.allSatisfy(\.isWhitespace) else {
            throw .emptyValue(source: source, line: line(of: node), path: path)
        }
        return scalar.string
    }

    /// A list of non-blank texts (possibly empty); records each item's line.
    func textList(_ node: Node, path: String) throws(PolicyError) -> [String] {
        var texts: [String] = []
        for (index, item) in try list(node, path: path).enumerated() {
            texts.append(try text(item, path: "\(path)[\(index)]"))
        }
        return texts
    }

    func list(_ node: Node, path: String) throws(PolicyError) -> [Node] {
        guard case .sequence(let sequence) = node else {
            throw wrongType(node, path: path, expected: "a list")
        }
        lines[path] = lines[path] ?? line(of: node)
        let items = Array(sequence)
        for (index, item) in items.enumerated() { lines["\(path)[\(index)]"] = line(of: item) }
        return items
    }

    /// `true` or `false` (any case); `yes`, `on`, `1` and quoted text are rejected.
    func bool(_ node: Node, path: String) throws(PolicyError) -> Bool {
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
    func integer(_ node: Node, path: String) throws(PolicyError) -> Int {
        guard case .scalar(let scalar) = node, tagName(of: node) == .int, let value = Int.construct(from: scalar) else {
            throw wrongType(node, path: path, expected: "a whole number")
        }
        return value
    }

    /// A finite number, whole or not.
    func number(_ node: Node, path: String) throws(PolicyError) -> Double {
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
    func duration(_ node: Node, path: String) throws(PolicyError) -> Int64 {
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
        switch PolicyText.duration(scalar.string) {
        case .value(let micros): return micros
        case .noUnit: throw .missingUnit(source: source, line: line(of: node), path: path, value: scalar.string)
        case .invalid(let reason):
            throw .invalidDuration(source: source, line: line(of: node), path: path, value: scalar.string, reason: reason)
        }
    }

    /// An exact amount from the scalar's source text (a YAML number or a quoted string).
    func amount(_ node: Node, path: String) throws(PolicyError) -> Money {
        guard case .scalar(let scalar) = node else {
            throw wrongType(node, path: path, expected: "an amount such as \"2.50\"")
        }
        var text = scalar.string
        switch tagName(of: node) {
        case .int, .float:
            text.removeAll { $0 == "_" }
        case .str:
            break
        default:
            throw wrongType(node, path: path, expected: "an amount such as \"2.50\"")
        }
        do {
            return try Money(parsing: text)
        } catch {
            let reason: String
            switch error {
            case .empty: reason = "it is empty"
            case .invalidCharacter: reason = "write digits with an optional decimal point, such as \"2.50\""
            case .tooManyDecimals: reason = "more than \(Money.scale) decimal places"
            case .outOfRange: reason = "too large"
            }
            throw .invalidAmount(source: source, line: line(of: node), path: path, value: scalar.string, reason: reason)
        }
    }

    // MARK: Helpers

    func line(of node: Node) -> Int { node.mark?.line ?? 1 }

    func wrongType(_ node: Node, path: String, expected: String) -> PolicyError {
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

    /// A ``PolicyError/syntax(source:line:message:)`` for an error thrown by the YAML parser.
    static func syntaxError(_ error: any Error, yaml: String, source: String) -> PolicyError {
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

/// The checks shared by policy files and policies built in code. `lines` maps field paths to
/// their lines (empty for code: every error then has line 0).
private struct PolicyChecker {
    let source: String
    let lines: [String: Int]
    let catalog: Catalog

    /// The line of `path`, or of its nearest enclosing field that the file gives (a default
    /// such as `breaker.max_open` points at `breaker`); 0 when there is none.
    func line(_ path: String) -> Int {
        var path = Substring(path)
        while true {
            if let line = lines[String(path)] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return 0 }
            path = path[..<cut]
        }
    }

    func check(_ p: RoutingPolicy) throws(PolicyError) {
        // Providers: non-empty, in the catalog, unique.
        if p.providers.isEmpty {
            throw .conflict(source: source, line: line("providers"), path: "providers",
                            message: "the policy must list at least one provider")
        }
        let known = catalog.providers.map(\.id)
        var firstIndex: [String: Int] = [:]
        for (index, id) in p.providers.enumerated() {
            let path = "providers[\(index)]"
            guard catalog.provider(id: id) != nil else {
                throw .unknownProvider(source: source, line: line(path), path: path, id: id, known: known)
            }
            if let first = firstIndex[id] {
                throw duplicate(path, what: "provider", value: id, firstPath: "providers[\(first)]")
            }
            firstIndex[id] = index
        }
        let pool = p.providers
        let poolSet = Set(pool)

        func member(_ id: String, _ path: String) throws(PolicyError) {
            guard poolSet.contains(id) else {
                throw .providerNotInPool(source: source, line: line(path), path: path, id: id, pool: pool)
            }
        }
        /// Ids in the pool, without duplicates.
        func ids(_ list: [String], _ path: String) throws(PolicyError) {
            var seen: [String: Int] = [:]
            for (index, id) in list.enumerated() {
                let itemPath = "\(path)[\(index)]"
                try member(id, itemPath)
                if let first = seen[id] {
                    throw duplicate(itemPath, what: "provider", value: id, firstPath: "\(path)[\(first)]")
                }
                seen[id] = index
            }
        }

        try require(p.defaultLatencyMs > 0 && p.defaultLatencyMs.isFinite, "default_latency_ms", "greater than 0",
                    PolicyText.render(p.defaultLatencyMs))

        // Strategy.
        switch p.strategy {
        case .roundRobin, .leastConnections, .powerOfTwoChoices, .costFirst:
            break
        case .weighted(let weights):
            for id in sortedKeys(weights, "strategy.weights") {
                let path = "strategy.weights.\(id)"
                try member(id, path)
                let w = weights[id]!
                try require(w >= 0 && w.isFinite, path, "a finite number at least 0", PolicyText.render(w))
            }
            if !weights.values.contains(where: { $0 > 0 }) {
                throw .conflict(source: source, line: line("strategy.weights"), path: "strategy.weights",
                                message: "at least one provider needs a weight above 0")
            }
        case .latencyEWMA(let alpha, let buffer):
            try require(alpha > 0 && alpha <= 1, "strategy.alpha", "in (0, 1]", PolicyText.render(alpha))
            try require(buffer >= 0 && buffer.isFinite, "strategy.buffer", "a finite number at least 0",
                        PolicyText.render(buffer))
        case .modelUtility(let lambda, let mu):
            try require(lambda >= 0 && lambda.isFinite, "strategy.lambda", "a finite number at least 0",
                        PolicyText.render(lambda))
            try require(mu >= 0 && mu.isFinite, "strategy.mu", "a finite number at least 0", PolicyText.render(mu))
        }

        // Rules.
        var ruleIndex: [String: Int] = [:]
        for (index, rule) in p.rules.enumerated() {
            let path = "rules[\(index)]"
            if rule.name.allSatisfy(\.isWhitespace) {
                throw .emptyValue(source: source, line: line("\(path).name"), path: "\(path).name")
            }
            if let first = ruleIndex[rule.name] {
                throw duplicate("\(path).name", what: "rule name", value: rule.name, firstPath: "rules[\(first)].name")
            }
            ruleIndex[rule.name] = index
            if rule.reason.allSatisfy(\.isWhitespace) {
                throw .emptyValue(source: source, line: line("\(path).reason"), path: "\(path).reason")
            }
            let m = rule.match
            if let over = m.promptTokensOver {
                try require(over >= 0, "\(path).match.prompt_tokens_over", "at least 0", "\(over)")
            }
            if let atMost = m.promptTokensAtMost {
                try require(atMost >= 0, "\(path).match.prompt_tokens_at_most", "at least 0", "\(atMost)")
                if let over = m.promptTokensOver, over >= atMost {
                    let p = "\(path).match.prompt_tokens_at_most"
                    throw .conflict(source: source, line: line(p), path: p,
                                    message: "\(atMost) is not above prompt_tokens_over (\(over)), so the rule never matches")
                }
            }
            if let hours = m.hours {
                let ok = (0..<1440).contains(hours.start) && (0...1440).contains(hours.end) && hours.start != hours.end
                if !ok {
                    let p = "\(path).match.hours"
                    throw .invalidHours(source: source, line: line(p), path: p, value: "\(hours.start)-\(hours.end) minutes",
                                        reason: "start must be in 0..<1440 and end in 0...1440, and they must differ")
                }
            }
            if let capability = m.capability, capability.allSatisfy(\.isWhitespace) {
                throw .emptyValue(source: source, line: line("\(path).match.capability"), path: "\(path).match.capability")
            }
            if m.compliance?.isEmpty == true {
                throw .emptyValue(source: source, line: line("\(path).match.compliance"), path: "\(path).match.compliance")
            }
            try ids(rule.action.route, "\(path).route")
            try ids(rule.action.exclude, "\(path).exclude")
            if rule.action.route.isEmpty && rule.action.exclude.isEmpty {
                throw .conflict(source: source, line: line(path), path: path,
                                message: "rule '\(rule.name)' needs a non-empty route or exclude")
            }
            for (j, id) in rule.action.exclude.enumerated() where rule.action.route.contains(id) {
                let p = "\(path).exclude[\(j)]"
                throw .conflict(source: source, line: line(p), path: p,
                                message: "'\(id)' is both routed to and excluded by rule '\(rule.name)'")
            }
        }

        // Breaker.
        let b = p.breaker
        try require(b.consecutiveFailures >= 0, "breaker.consecutive_failures", "at least 0", "\(b.consecutiveFailures)")
        try require(b.failureRateThreshold >= 0 && b.failureRateThreshold.isFinite, "breaker.failure_rate",
                    "a finite number at least 0", PolicyText.render(b.failureRateThreshold))
        try require((1...CircuitBreaker.Configuration.maxWindowSize).contains(b.windowSize), "breaker.window",
                    "in 1...\(CircuitBreaker.Configuration.maxWindowSize)", "\(b.windowSize)")
        if let window = b.timeWindow {
            let minimum = Int64(CircuitBreaker.Configuration.timeWindowBuckets)
            try require(window >= minimum, "breaker.time_window", "at least \(minimum)us",
                        PolicyText.render(duration: window))
        }
        try require(b.minimumRequests >= 1, "breaker.minimum_requests", "at least 1", "\(b.minimumRequests)")
        try require(b.baseOpenDuration >= 0, "breaker.open", "at least 0s", PolicyText.render(duration: b.baseOpenDuration))
        try require(b.maxOpenDuration >= b.baseOpenDuration, "breaker.max_open",
                    "at least open (\(PolicyText.render(duration: b.baseOpenDuration)))",
                    PolicyText.render(duration: b.maxOpenDuration))
        try require(b.openBackoffMultiplier >= 1 && b.openBackoffMultiplier.isFinite, "breaker.backoff_multiplier",
                    "a finite number at least 1", PolicyText.render(b.openBackoffMultiplier))
        try require(b.halfOpenProbes >= 1, "breaker.half_open_probes", "at least 1", "\(b.halfOpenProbes)")
        try require(b.slowStartDuration >= 0, "breaker.slow_start", "at least 0s",
                    PolicyText.render(duration: b.slowStartDuration))
        try require((0...1).contains(b.slowStartInitialShare), "breaker.slow_start_initial_share", "in 0...1",
                    PolicyText.render(b.slowStartInitialShare))

        // Outlier ejection.
        let o = p.outliers
        try require(o.interval > 0, "outliers.interval", "greater than 0s", PolicyText.render(duration: o.interval))
        try require(o.stdevFactor >= 0 && o.stdevFactor.isFinite, "outliers.stdev_factor", "a finite number at least 0",
                    PolicyText.render(o.stdevFactor))
        try require(o.minimumRequests >= 1, "outliers.minimum_requests", "at least 1", "\(o.minimumRequests)")
        try require(o.minimumPeers >= 2, "outliers.minimum_peers", "at least 2", "\(o.minimumPeers)")
        try require((0...1).contains(o.maxEjectedShare), "outliers.max_ejected_share", "in 0...1",
                    PolicyText.render(o.maxEjectedShare))
        try require(o.baseEjection > 0, "outliers.base_ejection", "greater than 0s",
                    PolicyText.render(duration: o.baseEjection))
        try require(o.maxEjection >= o.baseEjection, "outliers.max_ejection",
                    "at least base_ejection (\(PolicyText.render(duration: o.baseEjection)))",
                    PolicyText.render(duration: o.maxEjection))
        try require((0...1).contains(o.panicThreshold), "outliers.panic_threshold", "in 0...1",
                    PolicyText.render(o.panicThreshold))

        // Retry and its budget.
        let r = p.retry
        try require(r.maxAttempts >= 1, "retry.max_attempts", "at least 1 (it counts the first attempt)", "\(r.maxAttempts)")
        try require(r.baseBackoff >= 0, "retry.base_backoff", "at least 0s", PolicyText.render(duration: r.baseBackoff))
        try require(r.maxBackoff >= r.baseBackoff, "retry.max_backoff",
                    "at least base_backoff (\(PolicyText.render(duration: r.baseBackoff)))",
                    PolicyText.render(duration: r.maxBackoff))
        try require(r.multiplier >= 1 && r.multiplier.isFinite, "retry.multiplier", "a finite number at least 1",
                    PolicyText.render(r.multiplier))
        let rb = p.retryBudget
        try require((0...10).contains(rb.ratio), "retry.budget.ratio", "in 0...10", PolicyText.render(rb.ratio))
        try require(rb.minimum >= 0, "retry.budget.minimum", "at least 0", "\(rb.minimum)")

        // Rate limits.
        for id in sortedKeys(p.rateLimits, "rate_limits") {
            let path = "rate_limits.\(id)"
            try member(id, path)
            for (index, limit) in p.rateLimits[id]!.enumerated() {
                try require(limit.requests > 0, "\(path)[\(index)].requests", "greater than 0", "\(limit.requests)")
            }
        }

        // Tenants.
        for tenant in sortedKeys(p.tenants, "tenants") {
            let path = "tenants.\(tenant)"
            let t = p.tenants[tenant]!
            try ids(t.allow, "\(path).allow")
            try ids(t.deny, "\(path).deny")
            for (index, id) in t.deny.enumerated() where t.allow.contains(id) {
                let p = "\(path).deny[\(index)]"
                throw .conflict(source: source, line: line(p), path: p,
                                message: "'\(id)' is both allowed and denied for tenant '\(tenant)'")
            }
            if let quota = t.quota {
                try require(quota.requests > 0, "\(path).quota.requests", "greater than 0", "\(quota.requests)")
            }
        }

        // Budgets.
        for tag in sortedKeys(p.budgets, "budgets") {
            let limit = p.budgets[tag]!.limit
            try require(limit > .zero, "budgets.\(tag).limit", "greater than 0", limit.description)
        }

        // Fallbacks.
        for id in sortedKeys(p.fallbacks, "fallbacks") {
            let path = "fallbacks.\(id)"
            try member(id, path)
            let list = p.fallbacks[id]!
            for (index, fallback) in list.enumerated() where fallback == id {
                let itemPath = "\(path)[\(index)]"
                throw .conflict(source: source, line: line(itemPath), path: itemPath,
                                message: "'\(id)' cannot fall back to itself")
            }
            try ids(list, path)
        }

        // Costs.
        for id in sortedKeys(p.costs, "costs") {
            let path = "costs.\(id)"
            try member(id, path)
            let c = p.costs[id]!
            for (key, value) in [("input_per_mtok", c.inputPerMillion), ("output_per_mtok", c.outputPerMillion),
                                 ("per_request", c.perRequest)] {
                try require(value >= .zero, "\(path).\(key)", "at least 0", value.description)
            }
        }

        // Quality.
        for id in sortedKeys(p.quality, "quality") {
            let path = "quality.\(id)"
            try member(id, path)
            let q = p.quality[id]!
            try require((0...1).contains(q), path, "in 0...1", PolicyText.render(q))
        }
    }

    // MARK: Helpers

    func require(_ ok: Bool, _ path: String, _ expected: String, _ found: String) throws(PolicyError) {
        if !ok { throw .outOfRange(source: source, line: line(path), path: path, expected: expected, found: found) }
    }

    func duplicate(_ path: String, what: String, value: String, firstPath: String) -> PolicyError {
        .duplicate(source: source, line: line(path), path: path, what: what, value: value, firstPath: firstPath,
                   firstLine: line(firstPath))
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

// MARK: - Example policies

extension RoutingPolicy {
    /// A complete, commented policy for the default catalog's AI providers (OpenAI, Anthropic,
    /// Cohere, Ollama): model-based utility ranking, privacy, long-context and follow-the-sun
    /// rules, a tenant with a quota and a deny list, a budget, fallbacks, list prices and
    /// quality. A starting point for an organisation's own `policy.yaml`.
    public static let exampleYAML = """
        # Mosaic routing policy: LLM providers.
        #
        # Every request goes through the filters, then the first rule that matches, then the
        # strategy ranks what is left. Durations take a unit (us, ms, s, m, h); amounts are exact
        # decimals (quote them to be explicit: "2.50").
        version: 1
        name: llm-default
        # Catalog ids of the providers this policy routes among; ties keep this order.
        providers: [openai, anthropic, cohere, ollama]
        # Latency assumed for a provider before any is observed or predicted.
        default_latency_ms: 1000

        # All filters are on by default. The compliance filter is what keeps HIPAA requests on
        # providers the catalog tags hipaa (here Ollama): a request that requires HIPAA never
        # reaches a provider without the tag, so no rule is needed for it.
        filters: {capability: true, compliance: true, residency: true, tenant: true, quota: true,
                  rate_limit: true, health: true}

        # Maximise quality x (1 - p_fail) - lambda x cost_usd - mu x latency_s with the routing
        # model's predictions.
        strategy:
          kind: model_utility
          lambda: 20      # weight of a dollar
          mu: 0.5         # weight of a second

        # Ordered: the first rule that matches applies.
        rules:
          - name: strict-privacy
            reason: strict-privacy requests never leave the self-hosted Ollama cluster
            match: {tag: strict-privacy}
            route: [ollama]
            mode: only
          - name: long-context
            reason: prompts over 100k tokens go to Anthropic's 200k context window first
            match: {prompt_tokens_over: 100000}
            route: [anthropic]
            mode: prefer
          - name: follow-the-sun
            reason: overnight (UTC) the on-prem GPUs are idle, so use them first
            match: {hours: "22:00-06:00"}
            route: [ollama]
            mode: prefer

        # One circuit breaker per provider.
        breaker:
          consecutive_failures: 5
          failure_rate: 0.5
          window: 20
          minimum_requests: 10
          open: 5s
          max_open: 5m
          backoff_multiplier: 2
          half_open_probes: 3
          slow_start: 30s
          slow_start_initial_share: 0.1

        # Eject providers whose success rate falls well below their peers'.
        outliers:
          enabled: true
          interval: 10s
          stdev_factor: 1.9
          minimum_requests: 20
          minimum_peers: 3
          max_ejected_share: 0.34
          base_ejection: 30s
          max_ejection: 5m
          panic_threshold: 0.5

        retry:
          on: [timeout, error, rate_limited]
          max_attempts: 3
          base_backoff: 100ms
          max_backoff: 10s
          multiplier: 2
          budget: {ratio: 0.2, minimum: 3}

        # Providers not listed use the catalog's default-scope limits (OpenAI 10,000/minute,
        # Anthropic 4,000/minute, Cohere 500/minute; Ollama none). Uncomment to override:
        # rate_limits:
        #   cohere: [{requests: 20, per: minute}]   # a trial key

        tenants:
          acme:
            deny: [cohere]                          # contractual: no Cohere for this customer
            quota: {requests: 100000, per: hour}
          "*":                                      # every other tenant
            quota: {requests: 50000, per: hour}

        budgets:
          research: {limit: "50.00", per: day}

        # When a provider fails, try these next, in order.
        fallbacks:
          openai: [anthropic, ollama]
          anthropic: [openai, ollama]
          cohere: [openai, ollama]

        # List prices in USD per million tokens (Ollama is self-hosted: omitted, so free).
        costs:
          openai: {input_per_mtok: "2.50", output_per_mtok: "10.00"}     # gpt-4o
          anthropic: {input_per_mtok: "3.00", output_per_mtok: "15.00"}  # claude-sonnet
          cohere: {input_per_mtok: "2.50", output_per_mtok: "10.00"}     # command-r-plus

        # Expected answer quality in 0...1 for the utility (unlisted: 1).
        quality: {openai: 0.95, anthropic: 0.95, cohere: 0.85, ollama: 0.7}

        """

    /// A policy for the default catalog's git hosts (GitHub, GitLab, Gitea, Bitbucket): repository
    /// name prefixes pin internal, open-source and client repositories to their hosts, and the
    /// rate limits are the catalog's documented ones.
    public static let gitExampleYAML = """
        # Mosaic routing policy: git hosting.
        version: 1
        name: git-hosts
        providers: [github, gitlab, gitea, bitbucket]
        default_latency_ms: 300
        strategy: {kind: least_connections}

        # `resource` is the repository name.
        rules:
          - name: internal-repos
            reason: internal repositories stay on the self-hosted Gitea
            match: {resource: "internal-*"}
            route: [gitea]
            mode: only
          - name: open-source
            reason: open-source repositories live on GitHub
            match: {resource: "oss-*"}
            route: [github]
            mode: only
          - name: client-repos
            reason: client repositories are hosted on GitLab under the client agreements
            match: {resource: "client-*"}
            route: [gitlab]
            mode: only

        # The catalog's documented API limits (per authenticated user unless scoped otherwise).
        rate_limits:
          github:
            - {requests: 5000, per: hour}
            - {requests: 30, per: minute, scope: search}
            - {requests: 60, per: hour, scope: unauthenticated}
          gitlab:
            - {requests: 2000, per: minute}
            - {requests: 500, per: minute, scope: unauthenticated}
          gitea: []          # self-hosted: no API limit
          bitbucket:
            - {requests: 1000, per: hour}

        retry:
          on: [timeout, rate_limited]
          max_attempts: 2
          base_backoff: 1s
          max_backoff: 1m

        fallbacks:
          github: [gitlab]
          gitlab: [github]
          bitbucket: [github, gitlab]

        """
}
