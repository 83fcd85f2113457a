import Foundation
import MosaicCore

// MARK: - Reading and validating policies

extension RoutingPolicy {
    /// Reads and validates a routing policy from YAML text.
    ///
    /// The format (keys are snake_case; everything but `version` and `providers` is optional) is
    /// shown in full, with comments, by ``exampleYAML``. Durations are text with a unit (`250ms`,
    /// `1.5s`, `5m`; see ``DurationText``), money amounts are exact decimals (a YAML number or a
    /// quoted string, read from its source text, never through `Double`), hours are UTC ranges
    /// `HH:MM-HH:MM` that may wrap past midnight.
    ///
    /// - Parameters:
    ///   - yaml: The policy text.
    ///   - source: The name errors use for the text, usually its file path (`policy.yaml`).
    ///   - catalog: The providers `providers` may name.
    /// - Throws: ``YAMLError`` for the first problem found: YAML syntax, unknown or missing keys,
    ///   wrong types, bad durations, hours or amounts, then the semantic checks of
    ///   ``validate(catalog:)`` (ranges, provider ids, duplicates, conflicts), each naming the
    ///   line and field.
    public init(yaml: String, source: String, catalog: Catalog) throws(YAMLError) {
        let reader = try YAMLReader(yaml: yaml, source: source)
        let policy = try PolicyReader.policy(reader)
        try PolicyChecker(at: YAMLChecker(source: source, lines: reader.lines), catalog: catalog).check(policy)
        self = policy
    }

    /// Reads and validates the policy file at `path`.
    ///
    /// - Throws: ``YAMLError`` with ``YAMLError/Problem/unreadableFile(document:reason:)`` when
    ///   the file is missing, is a directory, cannot be read or is not UTF-8; otherwise as
    ///   ``init(yaml:source:catalog:)``.
    public static func load(path: String, catalog: Catalog) throws(YAMLError) -> RoutingPolicy {
        try RoutingPolicy(yaml: YAMLReader.text(path: path, document: "policy"), source: path, catalog: catalog)
    }

    /// Runs the semantic checks a policy file gets on a policy built in code.
    ///
    /// Errors name the policy by its ``name`` as source, line 0, and the field path the YAML
    /// format would use (`rules[0].route[1]`, `breaker.window`, `costs.openai.per_request`).
    ///
    /// - Throws: ``YAMLError`` for the first problem: `providers` empty, duplicated or not in the
    ///   catalog; any referenced provider not in `providers`; numbers out of range (including the
    ///   values the reliability types' initialisers require, so the policy never traps them);
    ///   duplicate rule names; rules with nothing to do; allow ∩ deny; self fallbacks; negative
    ///   costs; non-positive budgets.
    public func validate(catalog: Catalog) throws(YAMLError) {
        try PolicyChecker(at: YAMLChecker(source: name, lines: [:]), catalog: catalog).check(self)
    }
}

// MARK: - Messages and hours

extension YAMLError.Problem {
    /// A rule's `hours` is not a UTC range `HH:MM-HH:MM`.
    static func invalidHours(_ value: String, reason: String) -> Self {
        .invalid("'\(value)' is not a UTC time range: \(reason) (write HH:MM-HH:MM, for example \"22:00-06:00\")")
    }

    /// A provider referenced by a rule, strategy, limit, tenant, fallback, cost or quality entry
    /// is not in the policy's `providers`.
    static func providerNotInPool(_ id: String, pool: [String]) -> Self {
        .unknownReference("'\(id)' is not one of the policy's providers", value: id, candidates: pool,
                          otherwise: " (\(pool.joined(separator: ", "))); add it to providers to route to it")
    }
}

/// The policy's own text form: hours.
enum PolicyText {
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

/// Builds a policy from its YAML document: the format's keys, kinds and vocabularies. Shape and
/// type errors come from ``YAMLReader``; the reader records every field's line for the checks.
private enum PolicyReader {
    typealias Value = YAMLReader.Value

    static let topLevelKeys = [
        "version", "name", "providers", "default_latency_ms", "filters", "strategy", "rules", "breaker",
        "outliers", "retry", "rate_limits", "tenants", "budgets", "fallbacks", "costs", "quality",
    ]
    static let strategyKinds = [
        "round_robin", "weighted", "least_connections", "p2c", "latency_ewma", "cost_first", "model_utility",
    ]
    static let strategyParameters: [String: [String]] = [
        "round_robin": [], "weighted": ["weights"], "least_connections": [], "p2c": [],
        "latency_ewma": ["alpha", "buffer"], "cost_first": [], "model_utility": ["lambda", "mu", "adapt", "adapt_half_life"],
    ]
    static let strategyKeys = ["kind", "weights", "alpha", "buffer", "lambda", "mu", "adapt", "adapt_half_life"]
    static let ruleKeys = ["name", "reason", "match", "route", "mode", "exclude"]
    static let matchKeys = [
        "tenant", "operation", "model_family", "resource", "region", "budget_tag", "tag",
        "prompt_tokens_over", "prompt_tokens_at_most", "compliance", "capability", "hours",
    ]
    static let retryKeys = ["on", "max_attempts", "base_backoff", "max_backoff", "multiplier", "budget"]
    static let retryOutcomes: [String: RoutingRetryPolicy.Outcomes] = [
        "timeout": .timeout, "error": .error, "rate_limited": .rateLimited,
    ]
    static let rateLimitKeys = ["requests", "per", "scope"]
    static let quotaKeys = ["requests", "per"]
    static let tenantKeys = ["allow", "deny", "quota"]

    static func policy(_ reader: YAMLReader) throws(YAMLError) -> RoutingPolicy {
        let top = try reader.document(ifEmpty: "the policy is empty (it needs at least version and providers)")
            .mapping(allowed: topLevelKeys, expected: "a policy (a mapping with keys version, providers, ...)")
        try top.requireVersion1(document: "policy")
        var policy = RoutingPolicy(providers: try top.required("providers").texts())
        if let v = top["name"] { policy.name = try v.text() }
        if let v = top["default_latency_ms"] { policy.defaultLatencyMs = try v.number() }
        if let v = top["filters"] {
            try v.settings(&policy.filters, expected: "a mapping of filter names to true or false", [
                .bool("capability", \.capability), .bool("compliance", \.compliance), .bool("residency", \.residency),
                .bool("tenant", \.tenant), .bool("quota", \.quota), .bool("rate_limit", \.rateLimit), .bool("health", \.health),
            ])
        }
        if let v = top["strategy"] { policy.strategy = try strategy(v) }
        if let v = top["rules"] { policy.rules = try v.list().map(rule) }
        if let v = top["breaker"] { policy.breaker = try breaker(v) }
        if let v = top["outliers"] { policy.outliers = try outliers(v) }
        if let v = top["retry"] { (policy.retry, policy.retryBudget) = try retry(v) }
        for (id, _, v) in try top["rate_limits"]?.entries() ?? [] {
            policy.rateLimits[id] = try v.list().map { (item) throws(YAMLError) in try rateLimit(item, allowed: rateLimitKeys) }
        }
        for (tenant, _, v) in try top["tenants"]?.entries() ?? [] { policy.tenants[tenant] = try tenantPolicy(v) }
        for (tag, _, v) in try top["budgets"]?.entries() ?? [] {
            let f = try v.mapping(allowed: ["limit", "per"], expected: "a budget (a mapping such as {limit: \"50.00\", per: day})")
            policy.budgets[tag] = BudgetPolicy(limit: try f.required("limit").amount(), period: try period(f.required("per")))
        }
        for (id, _, v) in try top["fallbacks"]?.entries() ?? [] { policy.fallbacks[id] = try v.texts() }
        for (id, _, v) in try top["costs"]?.entries() ?? [] {
            var cost = ProviderCost()
            try v.settings(&cost, expected: "a cost (a mapping such as {input_per_mtok: \"2.50\", output_per_mtok: 10})", [
                .amount("input_per_mtok", \.inputPerMillion), .amount("output_per_mtok", \.outputPerMillion),
                .amount("per_request", \.perRequest),
            ])
            policy.costs[id] = cost
        }
        for (id, _, v) in try top["quality"]?.entries() ?? [] { policy.quality[id] = try v.number() }
        return policy
    }

    static func strategy(_ value: Value) throws(YAMLError) -> Strategy {
        let (kind, f) = try value.kinded(allowed: strategyKeys, parameters: strategyParameters, kinds: strategyKinds,
                                         vocabulary: "strategy kind", owner: "strategy",
                                         expected: "a strategy (a mapping such as {kind: round_robin})")
        func parameter(_ key: String, _ defaultValue: Double) throws(YAMLError) -> Double {
            try f[key]?.number() ?? defaultValue
        }
        switch kind {
        case "round_robin": return .roundRobin
        case "least_connections": return .leastConnections
        case "p2c": return .powerOfTwoChoices
        case "cost_first": return .costFirst
        case "latency_ewma": return .latencyEWMA(alpha: try parameter("alpha", 0.3), buffer: try parameter("buffer", 0.5))
        case "model_utility":
            return .modelUtility(lambda: try parameter("lambda", 10), mu: try parameter("mu", 0.1), adapt: try parameter("adapt", 0),
                                 adaptHalfLife: try f["adapt_half_life"]?.duration() ?? LatencyCorrection.defaultHalfLife)
        default:  // weighted
            var weights: [String: Double] = [:]
            for (id, _, v) in try f.required("weights").entries() { weights[id] = try v.number() }
            return .weighted(weights)
        }
    }

    static func rule(_ value: Value) throws(YAMLError) -> RoutingRule {
        let f = try value.mapping(allowed: ruleKeys, expected: "a rule (a mapping with name, reason, match, route, mode, exclude)")
        let name = try f.required("name").text()
        let reason = try f.required("reason").text()
        let match = try f["match"].map(ruleMatch) ?? RuleMatch()
        var action = RuleAction()
        if let v = f["route"] { action.route = try v.texts() }
        if let v = f["exclude"] { action.exclude = try v.texts() }
        if let v = f["mode"] { action.mode = try v.word("rule mode", allowed: ["only", "prefer"], RuleAction.Mode.init) }
        return RoutingRule(name: name, reason: reason, match: match, action: action)
    }

    static func ruleMatch(_ value: Value) throws(YAMLError) -> RuleMatch {
        let f = try value.mapping(allowed: matchKeys, expected: "a match (a mapping of conditions)")
        var m = RuleMatch()
        func glob(_ key: String) throws(YAMLError) -> GlobPattern? {
            try f[key].map { (v) throws(YAMLError) in GlobPattern(try v.text()) }
        }
        m.tenant = try glob("tenant")
        m.operation = try glob("operation")
        m.modelFamily = try glob("model_family")
        m.resource = try glob("resource")
        m.region = try glob("region")
        m.budgetTag = try glob("budget_tag")
        m.tag = try glob("tag")
        m.promptTokensOver = try f["prompt_tokens_over"]?.integer()
        m.promptTokensAtMost = try f["prompt_tokens_at_most"]?.integer()
        if let v = f["compliance"] {
            let items = try v.isScalar ? [v] : v.list()
            guard !items.isEmpty else { throw v.error(.emptyValue) }
            var tags: [ComplianceTag] = []
            for item in items {
                tags.append(try item.word("compliance tag", allowed: ComplianceTag.allCases.map(\.rawValue),
                                          ComplianceTag.init(parsing:)))
            }
            m.compliance = ComplianceSet(tags)
        }
        m.capability = try f["capability"]?.text()
        if let v = f["hours"] {
            let text = try v.text()
            switch PolicyText.hours(text) {
            case .success(let range): m.hours = range
            case .failure(let error): throw v.error(.invalidHours(text, reason: error.reason))
            }
        }
        return m
    }

    static func breaker(_ value: Value) throws(YAMLError) -> CircuitBreaker.Configuration {
        // Start from the defaults and assign fields: the checker validates the values before any
        // breaker is built from them, so out-of-range input never reaches a precondition.
        var c = CircuitBreaker.Configuration()
        try value.settings(&c, expected: "a mapping of breaker settings", [
            .integer("consecutive_failures", \.consecutiveFailures), .number("failure_rate", \.failureRateThreshold),
            .integer("window", \.windowSize), .duration("time_window", \.timeWindow),
            .integer("minimum_requests", \.minimumRequests), .duration("open", \.baseOpenDuration),
            .duration("max_open", \.maxOpenDuration), .number("backoff_multiplier", \.openBackoffMultiplier),
            .integer("half_open_probes", \.halfOpenProbes), .duration("slow_start", \.slowStartDuration),
            .number("slow_start_initial_share", \.slowStartInitialShare),
        ])
        return c
    }

    static func outliers(_ value: Value) throws(YAMLError) -> OutlierEjection {
        var o = OutlierEjection()
        try value.settings(&o, expected: "a mapping of outlier-ejection settings", [
            .bool("enabled", \.enabled), .duration("interval", \.interval), .number("stdev_factor", \.stdevFactor),
            .integer("minimum_requests", \.minimumRequests), .integer("minimum_peers", \.minimumPeers),
            .number("max_ejected_share", \.maxEjectedShare), .duration("base_ejection", \.baseEjection),
            .duration("max_ejection", \.maxEjection), .number("panic_threshold", \.panicThreshold),
        ])
        return o
    }

    static func retry(_ value: Value) throws(YAMLError) -> (RoutingRetryPolicy, RoutingPolicy.RetryBudgetSettings) {
        let f = try value.mapping(allowed: retryKeys, expected: "a mapping of retry settings")
        var r = RoutingRetryPolicy()
        var budget = RoutingPolicy.RetryBudgetSettings()
        if let v = f["on"] {
            var outcomes: RoutingRetryPolicy.Outcomes = []
            for item in try v.list() {
                outcomes.insert(try item.word("retry outcome", allowed: ["timeout", "error", "rate_limited"]) { retryOutcomes[$0] })
            }
            r.retryOn = outcomes
        }
        if let v = f["max_attempts"] { r.maxAttempts = try v.integer() }
        if let v = f["base_backoff"] { r.baseBackoff = try v.duration() }
        if let v = f["max_backoff"] { r.maxBackoff = try v.duration() }
        if let v = f["multiplier"] { r.multiplier = try v.number() }
        try f["budget"]?.settings(&budget, expected: "a retry budget (a mapping such as {ratio: 0.2, minimum: 3})", [
            .number("ratio", \.ratio), .integer("minimum", \.minimum),
        ])
        return (r, budget)
    }

    static func tenantPolicy(_ value: Value) throws(YAMLError) -> TenantPolicy {
        let f = try value.mapping(allowed: tenantKeys, expected: "a tenant policy (a mapping with allow, deny, quota)")
        var t = TenantPolicy()
        if let v = f["allow"] { t.allow = try v.texts() }
        if let v = f["deny"] { t.deny = try v.texts() }
        if let v = f["quota"] { t.quota = try rateLimit(v, allowed: quotaKeys) }
        return t
    }

    static func rateLimit(_ value: Value, allowed: [String]) throws(YAMLError) -> RateLimit {
        let f = try value.mapping(allowed: allowed, expected: "a rate limit (a mapping such as {requests: 5000, per: hour})")
        let requests = try f.required("requests").integer()
        let period = try period(f.required("per"))
        // RateLimit requires requests > 0; the checker reports other values with their line.
        var limit = RateLimit(requests: 1, period: period, scope: try f["scope"]?.text() ?? "default")
        limit.requests = requests
        return limit
    }

    static func period(_ value: Value) throws(YAMLError) -> RateLimit.Period {
        try value.word("period", allowed: RateLimit.Period.allCases.map(\.rawValue), RateLimit.Period.init)
    }
}

// MARK: - Semantic checks

/// The checks shared by policy files and policies built in code; `at` names the lines (none
/// for code: every error then has line 0).
private struct PolicyChecker {
    let at: YAMLChecker
    let catalog: Catalog
    /// The largest `default_latency_ms`: a day (a latency assumed past it is a unit mistake, and
    /// 1e308 made every tail latency infinite).
    static let longestLatencyMs = 86_400_000.0
    /// The largest `model_utility` weight of a dollar or a second: far past any that ranks
    /// (1e308 made every score infinite or NaN, and the ranking meaningless).
    static let largestWeight = 1_000_000.0

    /// Checks every section of `p`, in the file's order, so that the first error is the first
    /// one a reader meets.
    func check(_ p: RoutingPolicy) throws(YAMLError) {
        let pool = try providers(p.providers)
        try at.require(p.defaultLatencyMs > 0 && p.defaultLatencyMs <= Self.longestLatencyMs, "default_latency_ms",
                    "greater than 0 and at most \(Int(Self.longestLatencyMs)) (a day)", YAMLChecker.format(p.defaultLatencyMs))
        try strategy(p.strategy, pool)
        try rules(p.rules, pool)
        try breaker(p.breaker)
        try outliers(p.outliers)
        try retry(p.retry, budget: p.retryBudget)
        try providerSections(p, pool)
    }

    /// The policy's providers: non-empty, in the catalog, unique; the pool the other sections name.
    func providers(_ providers: [String]) throws(YAMLError) -> Pool {
        try at.catalogProviders(providers, owner: "policy", catalog: catalog) { "providers[\($0)]" }
        return Pool(at: at, providers: providers)
    }

    func strategy(_ strategy: Strategy, _ pool: Pool) throws(YAMLError) {
        switch strategy {
        case .roundRobin, .leastConnections, .powerOfTwoChoices, .costFirst:
            break
        case .weighted(let weights):
            for id in at.sortedKeys(weights, "strategy.weights") {
                let path = "strategy.weights.\(id)"
                try pool.member(id, path)
                let w = weights[id]!
                try at.require(w >= 0 && w.isFinite, path, "a finite number at least 0", YAMLChecker.format(w))
            }
            if !weights.values.contains(where: { $0 > 0 }) {
                throw at.error("strategy.weights", .invalid("at least one provider needs a weight above 0"))
            }
        case .latencyEWMA(let alpha, let buffer):
            try at.require(alpha > 0 && alpha <= 1, "strategy.alpha", "in (0, 1]", YAMLChecker.format(alpha))
            try at.require(buffer >= 0 && buffer.isFinite, "strategy.buffer", "a finite number at least 0",
                        YAMLChecker.format(buffer))
        case .modelUtility(let lambda, let mu, let adapt, let halfLife):
            try at.require(lambda >= 0 && lambda <= Self.largestWeight, "strategy.lambda",
                        "from 0 to \(Int(Self.largestWeight)) (per dollar)", YAMLChecker.format(lambda))
            try at.require(mu >= 0 && mu <= Self.largestWeight, "strategy.mu", "from 0 to \(Int(Self.largestWeight)) (per second)",
                        YAMLChecker.format(mu))
            try at.require(adapt >= 0 && adapt <= 1, "strategy.adapt", "in [0, 1] (0: off)", YAMLChecker.format(adapt))
            try at.require(halfLife > 0, "strategy.adapt_half_life", "a duration above 0", "\(halfLife) µs")
        }
    }

    func rules(_ rules: [RoutingRule], _ pool: Pool) throws(YAMLError) {
        var ruleIndex: [String: Int] = [:]
        for (index, rule) in rules.enumerated() {
            let path = "rules[\(index)]"
            if rule.name.allSatisfy(\.isWhitespace) {
                throw at.error("\(path).name", .emptyValue)
            }
            if let first = ruleIndex[rule.name] {
                throw at.duplicate("\(path).name", what: "rule name", value: rule.name, firstPath: "rules[\(first)].name")
            }
            ruleIndex[rule.name] = index
            if rule.reason.allSatisfy(\.isWhitespace) {
                throw at.error("\(path).reason", .emptyValue)
            }
            let m = rule.match
            if let over = m.promptTokensOver {
                try at.require(over >= 0, "\(path).match.prompt_tokens_over", "at least 0", "\(over)")
            }
            if let atMost = m.promptTokensAtMost {
                try at.require(atMost >= 0, "\(path).match.prompt_tokens_at_most", "at least 0", "\(atMost)")
                if let over = m.promptTokensOver, over >= atMost {
                    let p = "\(path).match.prompt_tokens_at_most"
                    throw at.error(p, .invalid("\(atMost) is not above prompt_tokens_over (\(over)), so the rule never matches"))
                }
            }
            if let hours = m.hours {
                let ok = (0..<1440).contains(hours.start) && (0...1440).contains(hours.end) && hours.start != hours.end
                if !ok {
                    let p = "\(path).match.hours"
                    throw at.error(p, .invalidHours("\(hours.start)-\(hours.end) minutes",
                                                    reason: "start must be in 0..<1440 and end in 0...1440, and they must differ"))
                }
            }
            if let capability = m.capability, capability.allSatisfy(\.isWhitespace) {
                throw at.error("\(path).match.capability", .emptyValue)
            }
            if m.compliance?.isEmpty == true {
                throw at.error("\(path).match.compliance", .emptyValue)
            }
            try pool.ids(rule.action.route, "\(path).route")
            try pool.ids(rule.action.exclude, "\(path).exclude")
            if rule.action.route.isEmpty && rule.action.exclude.isEmpty {
                throw at.error(path, .invalid("rule '\(rule.name)' needs a non-empty route or exclude"))
            }
            for (j, id) in rule.action.exclude.enumerated() where rule.action.route.contains(id) {
                let p = "\(path).exclude[\(j)]"
                throw at.error(p, .invalid("'\(id)' is both routed to and excluded by rule '\(rule.name)'"))
            }
        }
    }

    func breaker(_ b: CircuitBreaker.Configuration) throws(YAMLError) {
        try at.require(b.consecutiveFailures >= 0, "breaker.consecutive_failures", "at least 0", "\(b.consecutiveFailures)")
        try at.require(b.failureRateThreshold >= 0 && b.failureRateThreshold.isFinite, "breaker.failure_rate",
                    "a finite number at least 0", YAMLChecker.format(b.failureRateThreshold))
        try at.require((1...CircuitBreaker.Configuration.maxWindowSize).contains(b.windowSize), "breaker.window",
                    "in 1...\(CircuitBreaker.Configuration.maxWindowSize)", "\(b.windowSize)")
        if let window = b.timeWindow {
            let minimum = Int64(CircuitBreaker.Configuration.timeWindowBuckets)
            try at.require(window >= minimum, "breaker.time_window", "at least \(minimum)us",
                        DurationText.format(window))
        }
        try at.require(b.minimumRequests >= 1, "breaker.minimum_requests", "at least 1", "\(b.minimumRequests)")
        try at.require(b.baseOpenDuration >= 0, "breaker.open", "at least 0s", DurationText.format(b.baseOpenDuration))
        try at.require(b.maxOpenDuration >= b.baseOpenDuration, "breaker.max_open",
                    "at least open (\(DurationText.format(b.baseOpenDuration)))",
                    DurationText.format(b.maxOpenDuration))
        try at.require(b.openBackoffMultiplier >= 1 && b.openBackoffMultiplier.isFinite, "breaker.backoff_multiplier",
                    "a finite number at least 1", YAMLChecker.format(b.openBackoffMultiplier))
        try at.require(b.halfOpenProbes >= 1, "breaker.half_open_probes", "at least 1", "\(b.halfOpenProbes)")
        try at.require(b.slowStartDuration >= 0, "breaker.slow_start", "at least 0s",
                    DurationText.format(b.slowStartDuration))
        try at.require((0...1).contains(b.slowStartInitialShare), "breaker.slow_start_initial_share", "in 0...1",
                    YAMLChecker.format(b.slowStartInitialShare))
    }

    func outliers(_ o: OutlierEjection) throws(YAMLError) {
        try at.require(o.interval > 0, "outliers.interval", "greater than 0s", DurationText.format(o.interval))
        try at.require(o.stdevFactor >= 0 && o.stdevFactor.isFinite, "outliers.stdev_factor", "a finite number at least 0",
                    YAMLChecker.format(o.stdevFactor))
        try at.require(o.minimumRequests >= 1, "outliers.minimum_requests", "at least 1", "\(o.minimumRequests)")
        try at.require(o.minimumPeers >= 2, "outliers.minimum_peers", "at least 2", "\(o.minimumPeers)")
        try at.require((0...1).contains(o.maxEjectedShare), "outliers.max_ejected_share", "in 0...1",
                    YAMLChecker.format(o.maxEjectedShare))
        try at.require(o.baseEjection > 0, "outliers.base_ejection", "greater than 0s",
                    DurationText.format(o.baseEjection))
        try at.require(o.maxEjection >= o.baseEjection, "outliers.max_ejection",
                    "at least base_ejection (\(DurationText.format(o.baseEjection)))",
                    DurationText.format(o.maxEjection))
        try at.require((0...1).contains(o.panicThreshold), "outliers.panic_threshold", "in 0...1",
                    YAMLChecker.format(o.panicThreshold))
    }

    func retry(_ r: RoutingRetryPolicy, budget rb: RoutingPolicy.RetryBudgetSettings) throws(YAMLError) {
        try at.require(r.maxAttempts >= 1, "retry.max_attempts", "at least 1 (it counts the first attempt)", "\(r.maxAttempts)")
        try at.require(r.maxAttempts <= RoutingPolicy.maximumAttempts, "retry.max_attempts",
                       "at most \(RoutingPolicy.maximumAttempts) (it counts the first attempt)", "\(r.maxAttempts)")
        try at.require(r.baseBackoff >= 0, "retry.base_backoff", "at least 0s", DurationText.format(r.baseBackoff))
        try at.require(r.maxBackoff >= r.baseBackoff, "retry.max_backoff",
                    "at least base_backoff (\(DurationText.format(r.baseBackoff)))",
                    DurationText.format(r.maxBackoff))
        try at.require(r.multiplier >= 1 && r.multiplier.isFinite, "retry.multiplier", "a finite number at least 1",
                    YAMLChecker.format(r.multiplier))
        try at.require((0...10).contains(rb.ratio), "retry.budget.ratio", "in 0...10", YAMLChecker.format(rb.ratio))
        try at.require(rb.minimum >= 0, "retry.budget.minimum", "at least 0", "\(rb.minimum)")
    }

    /// The sections keyed or filled by provider (and tenant and budget tag).
    func providerSections(_ p: RoutingPolicy, _ pool: Pool) throws(YAMLError) {
        // Rate limits.
        for id in at.sortedKeys(p.rateLimits, "rate_limits") {
            let path = "rate_limits.\(id)"
            try pool.member(id, path)
            for (index, limit) in p.rateLimits[id]!.enumerated() {
                try at.require(limit.requests > 0, "\(path)[\(index)].requests", "greater than 0", "\(limit.requests)")
            }
        }

        // Tenants.
        for tenant in at.sortedKeys(p.tenants, "tenants") {
            let path = "tenants.\(tenant)"
            let t = p.tenants[tenant]!
            try pool.ids(t.allow, "\(path).allow")
            try pool.ids(t.deny, "\(path).deny")
            for (index, id) in t.deny.enumerated() where t.allow.contains(id) {
                let p = "\(path).deny[\(index)]"
                throw at.error(p, .invalid("'\(id)' is both allowed and denied for tenant '\(tenant)'"))
            }
            if let quota = t.quota {
                try at.require(quota.requests > 0, "\(path).quota.requests", "greater than 0", "\(quota.requests)")
            }
        }

        // Budgets.
        for tag in at.sortedKeys(p.budgets, "budgets") {
            let limit = p.budgets[tag]!.limit
            try at.require(limit > .zero, "budgets.\(tag).limit", "greater than 0", limit.description)
        }

        // Fallbacks.
        for id in at.sortedKeys(p.fallbacks, "fallbacks") {
            let path = "fallbacks.\(id)"
            try pool.member(id, path)
            let list = p.fallbacks[id]!
            for (index, fallback) in list.enumerated() where fallback == id {
                let itemPath = "\(path)[\(index)]"
                throw at.error(itemPath, .invalid("'\(id)' cannot fall back to itself"))
            }
            try pool.ids(list, path)
        }

        // Costs.
        for id in at.sortedKeys(p.costs, "costs") {
            let path = "costs.\(id)"
            try pool.member(id, path)
            let c = p.costs[id]!
            for (key, value) in [("input_per_mtok", c.inputPerMillion), ("output_per_mtok", c.outputPerMillion),
                                 ("per_request", c.perRequest)] {
                try at.require(value >= .zero, "\(path).\(key)", "at least 0", value.description)
                try at.require(value <= RoutingPolicy.maximumPrice, "\(path).\(key)",
                               "at most \(RoutingPolicy.maximumPrice) (USD)", value.description)
            }
        }

        // Quality.
        for id in at.sortedKeys(p.quality, "quality") {
            let path = "quality.\(id)"
            try pool.member(id, path)
            let q = p.quality[id]!
            try at.require((0...1).contains(q), path, "in 0...1", YAMLChecker.format(q))
        }
    }
}

/// The policy's providers, which every other section's provider ids must be among.
private struct Pool {
    let at: YAMLChecker
    let providers: [String]
    let members: Set<String>

    init(at: YAMLChecker, providers: [String]) {
        (self.at, self.providers, members) = (at, providers, Set(providers))
    }

    func member(_ id: String, _ path: String) throws(YAMLError) {
        guard members.contains(id) else {
            throw at.error(path, .providerNotInPool(id, pool: providers))
        }
    }

    /// Ids in the pool, without duplicates.
    func ids(_ list: [String], _ path: String) throws(YAMLError) {
        var seen: [String: Int] = [:]
        for (index, id) in list.enumerated() {
            let itemPath = "\(path)[\(index)]"
            try member(id, itemPath)
            if let first = seen[id] {
                throw at.duplicate(itemPath, what: "provider", value: id, firstPath: "\(path)[\(first)]")
            }
            seen[id] = index
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
        # strategy ranks what is left. Durations take a unit (us, ms, s, m, h, d); amounts are exact
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
          adapt: 0        # > 0: correct the head's latency online from what attempts take (0.1)

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
