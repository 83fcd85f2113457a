import MosaicCore

/// Everything a router does, as data: which providers it routes among, what it filters, the
/// ordered rules, the strategy that ranks what is left, and the reliability settings.
///
/// A policy is usually read from YAML with ``RoutingPolicy/init(yaml:source:catalog:)``, which
/// validates every field and names the file, line and field of any mistake; values built in code
/// are checked by ``validate(catalog:)``. The same policy value drives the simulator and the
/// online router.
public struct RoutingPolicy: Sendable, Equatable {
    /// The largest price a policy's `costs` may name (USD per million tokens, or per request):
    /// 10,000, some fifteen times the dearest list price. Exact sums of simulated costs stay far
    /// inside `Money`'s range; a price of 10¹⁴ per million overflowed them and trapped.
    public static let maximumPrice = Money(whole: 10_000)
    /// The most attempts `retry.max_attempts` may allow a request, the first included: 10. Each
    /// retry goes to a provider again (a failover to the next candidate, or the same one after a
    /// backoff), so a billion was a request retried for as long as it kept failing; gRPC caps
    /// its retry policy's attempts at 5, and a policy needing more than 10 has a provider problem.
    public static let maximumAttempts = 10

    /// A display name for reports and logs.
    public var name: String
    /// The providers this policy routes among (catalog ids), in preference order for ties.
    public var providers: [String]
    /// Which filters run.
    public var filters: Filters
    /// Ordered rules; the first that matches applies.
    public var rules: [RoutingRule]
    /// How the candidates left after filters and rules are ranked.
    public var strategy: Strategy
    /// Circuit breaker settings, the same for every provider.
    public var breaker: CircuitBreaker.Configuration
    /// Outlier ejection and panic mode.
    public var outliers: OutlierEjection
    /// Which outcomes retry and how long to wait.
    public var retry: RoutingRetryPolicy
    /// The retry budget: retries in flight may not exceed `ratio` of active requests (or `minimum`).
    public var retryBudget: RetryBudgetSettings
    /// Request-rate limits per provider. A provider not listed uses the catalog's `default` scope
    /// limit; listing it with an empty array removes its limit.
    public var rateLimits: [String: [RateLimit]]
    /// Tenant allow/deny lists and quotas. The tenant `*` applies to tenants not listed.
    public var tenants: [String: TenantPolicy]
    /// Spending limits per budget tag.
    public var budgets: [String: BudgetPolicy]
    /// Where to go next when a provider fails: provider → ordered fallbacks.
    public var fallbacks: [String: [String]]
    /// What each provider charges (exact). A provider not listed costs nothing (self-hosted).
    public var costs: [String: ProviderCost]
    /// Expected answer quality per provider in 0...1 (for model-based utility; default 1).
    public var quality: [String: Double]
    /// Latency assumed for a provider before any is observed or predicted, ms.
    public var defaultLatencyMs: Double

    /// Why `tenant` may not be routed, or nil: the policy lists tenants and no `*`, and not this
    /// one. `mosaic route` and `/v1/route` both refuse it with these words.
    public func unknownTenant(_ tenant: String) -> String? {
        guard !tenants.isEmpty, tenants["*"] == nil, tenants[tenant] == nil else { return nil }
        return "unknown tenant '\(tenant)': the policy lists \(tenants.keys.sorted().joined(separator: ", ")) and no '*'"
    }

    public init(
        name: String = "policy",
        providers: [String],
        filters: Filters = Filters(),
        rules: [RoutingRule] = [],
        strategy: Strategy = .roundRobin,
        breaker: CircuitBreaker.Configuration = CircuitBreaker.Configuration(),
        outliers: OutlierEjection = OutlierEjection(),
        retry: RoutingRetryPolicy = RoutingRetryPolicy(),
        retryBudget: RetryBudgetSettings = RetryBudgetSettings(),
        rateLimits: [String: [RateLimit]] = [:],
        tenants: [String: TenantPolicy] = [:],
        budgets: [String: BudgetPolicy] = [:],
        fallbacks: [String: [String]] = [:],
        costs: [String: ProviderCost] = [:],
        quality: [String: Double] = [:],
        defaultLatencyMs: Double = 1_000
    ) {
        self.name = name
        self.providers = providers
        self.filters = filters
        self.rules = rules
        self.strategy = strategy
        self.breaker = breaker
        self.outliers = outliers
        self.retry = retry
        self.retryBudget = retryBudget
        self.rateLimits = rateLimits
        self.tenants = tenants
        self.budgets = budgets
        self.fallbacks = fallbacks
        self.costs = costs
        self.quality = quality
        self.defaultLatencyMs = defaultLatencyMs
    }

    /// Which filters run before rules and strategies. All are on by default.
    public struct Filters: Sendable, Equatable {
        /// Required capabilities (vision, …) and the context window (prompt + expected output).
        public var capability = true
        /// Required compliance tags (GDPR, HIPAA, SOC2, FedRAMP) from the catalog.
        public var compliance = true
        /// Data residency: the provider must serve from the request's required region.
        public var residency = true
        /// Tenant allow and deny lists.
        public var tenant = true
        /// Tenant quotas and budget limits.
        public var quota = true
        /// Provider rate limits (token buckets).
        public var rateLimit = true
        /// Circuit breakers, outlier ejection and slow start.
        public var health = true
        public init(capability: Bool = true, compliance: Bool = true, residency: Bool = true, tenant: Bool = true,
                    quota: Bool = true, rateLimit: Bool = true, health: Bool = true) {
            self.capability = capability
            self.compliance = compliance
            self.residency = residency
            self.tenant = tenant
            self.quota = quota
            self.rateLimit = rateLimit
            self.health = health
        }
    }

    /// The retry budget's settings.
    public struct RetryBudgetSettings: Sendable, Equatable {
        public var ratio: Double
        public var minimum: Int
        public init(ratio: Double = 0.2, minimum: Int = 3) {
            self.ratio = ratio
            self.minimum = minimum
        }
    }
}

/// How candidates are ranked once filters and rules have run.
public enum Strategy: Sendable, Equatable {
    /// Each decision starts one further along the provider list.
    case roundRobin
    /// A weighted random primary; fallbacks by descending weight. Unlisted providers weigh 0
    /// (used only as fallbacks).
    case weighted([String: Double])
    /// Fewest requests in flight first.
    case leastConnections
    /// Least request with the power of two choices: two random candidates, the one with fewer
    /// requests in flight is primary.
    case powerOfTwoChoices
    /// Candidates whose latency EWMA is within `buffer` of the fastest (0.5: up to 1.5× the
    /// fastest) share traffic round-robin; the slower ones follow, fastest first. `alpha` is the
    /// weight of each new observation.
    case latencyEWMA(alpha: Double, buffer: Double)
    /// Cheapest predicted cost first; ties by latency.
    case costFirst
    /// Maximise `quality·(1 − p_fail) − λ·cost_usd − μ·latency_s` with the routing model's
    /// predictions; candidates whose predicted tail latency misses the request's SLO go last.
    /// With `adapt` > 0 the head's latency predictions are corrected online, per provider, by
    /// an EWMA (weight `adapt`) of what its attempts took over what the head predicted for them,
    /// fading back to 1 with `adaptHalfLife` (µs) without an attempt (``LatencyCorrection``), so
    /// that a host that slows down, or a head trained on another period, is ranked by what it
    /// does now.
    case modelUtility(lambda: Double, mu: Double, adapt: Double = 0, adaptHalfLife: Int64 = LatencyCorrection.defaultHalfLife)

    /// The name used in policy files.
    public var name: String {
        switch self {
        case .roundRobin: return "round_robin"
        case .weighted: return "weighted"
        case .leastConnections: return "least_connections"
        case .powerOfTwoChoices: return "p2c"
        case .latencyEWMA: return "latency_ewma"
        case .costFirst: return "cost_first"
        case .modelUtility: return "model_utility"
        }
    }
}

/// Outlier ejection by success rate relative to peers, and panic mode.
public struct OutlierEjection: Sendable, Equatable {
    /// Off disables ejection (panic mode still applies to open breakers).
    public var enabled: Bool
    /// How often success rates are compared, µs.
    public var interval: Int64
    /// A provider is ejected when its success rate is below mean − k·σ of its peers.
    public var stdevFactor: Double
    /// Providers with fewer requests in an interval are not judged (and not counted as peers).
    public var minimumRequests: Int
    /// At least this many providers must have enough requests for a comparison.
    public var minimumPeers: Int
    /// At most this share of the pool is ejected at once.
    public var maxEjectedShare: Double
    /// The first ejection lasts this long; each further one of the same provider adds as much,
    /// up to `maxEjection`.
    public var baseEjection: Int64
    public var maxEjection: Int64
    /// When fewer than this share of the pool is healthy, health is ignored (panic mode).
    public var panicThreshold: Double

    public init(enabled: Bool = true, interval: Int64 = 10 * RoutingTime.second, stdevFactor: Double = 1.9,
                minimumRequests: Int = 20, minimumPeers: Int = 3, maxEjectedShare: Double = 0.34,
                baseEjection: Int64 = 30 * RoutingTime.second, maxEjection: Int64 = 5 * RoutingTime.minute,
                panicThreshold: Double = 0.5) {
        self.enabled = enabled
        self.interval = interval
        self.stdevFactor = stdevFactor
        self.minimumRequests = minimumRequests
        self.minimumPeers = minimumPeers
        self.maxEjectedShare = maxEjectedShare
        self.baseEjection = baseEjection
        self.maxEjection = maxEjection
        self.panicThreshold = panicThreshold
    }
}

/// One tenant's routing limits.
public struct TenantPolicy: Sendable, Equatable {
    /// Only these providers (empty: any).
    public var allow: [String]
    /// Never these providers.
    public var deny: [String]
    /// At most this many requests per window (nil: unlimited).
    public var quota: RateLimit?
    public init(allow: [String] = [], deny: [String] = [], quota: RateLimit? = nil) {
        self.allow = allow
        self.deny = deny
        self.quota = quota
    }
}

/// A spending limit for requests carrying a budget tag.
public struct BudgetPolicy: Sendable, Equatable {
    /// The most that may be spent per period (exact).
    public var limit: Money
    public var period: RateLimit.Period
    public init(limit: Money, period: RateLimit.Period) {
        self.limit = limit
        self.period = period
    }
}

/// What a provider charges, exactly: per million input and output tokens, and per request
/// (git hosts, CI minutes expressed per request).
public struct ProviderCost: Sendable, Equatable {
    public var inputPerMillion: Money
    public var outputPerMillion: Money
    public var perRequest: Money
    public init(inputPerMillion: Money = .zero, outputPerMillion: Money = .zero, perRequest: Money = .zero) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.perRequest = perRequest
    }

    /// The exact cost of one request. Per-million prices divide exactly (10⁻²⁴ units).
    public func cost(inputTokens: Int, outputTokens: Int) -> Money {
        let perToken = Int128(1_000_000)
        return Money(units: (inputPerMillion.units * Int128(inputTokens) + outputPerMillion.units * Int128(outputTokens)) / perToken)
            + perRequest
    }

    public var isFree: Bool { inputPerMillion == .zero && outputPerMillion == .zero && perRequest == .zero }
}

/// An ordered routing rule: when every condition of `match` holds, `action` applies.
public struct RoutingRule: Sendable, Equatable {
    public var name: String
    /// Why the rule exists, reported with every decision it shapes.
    public var reason: String
    public var match: RuleMatch
    public var action: RuleAction
    public init(name: String, reason: String, match: RuleMatch, action: RuleAction) {
        self.name = name
        self.reason = reason
        self.match = match
        self.action = action
    }
}

/// The conditions of a rule; every one that is set must hold. Patterns are globs (`*`, `?`).
public struct RuleMatch: Sendable, Equatable {
    public var tenant: GlobPattern?
    public var operation: GlobPattern?
    public var modelFamily: GlobPattern?
    /// The resource the request is about (a repository, project or workflow name).
    public var resource: GlobPattern?
    public var region: GlobPattern?
    public var budgetTag: GlobPattern?
    /// Holds when any of the request's tags matches.
    public var tag: GlobPattern?
    /// Prompt tokens strictly above this.
    public var promptTokensOver: Int?
    /// Prompt tokens at or below this.
    public var promptTokensAtMost: Int?
    /// The request requires all of these compliance tags.
    public var compliance: ComplianceSet?
    /// The request requires this capability.
    public var capability: String?
    /// UTC time of day, minutes since midnight, start inclusive, end exclusive; wraps past midnight.
    public var hours: MinuteRange?

    public init(tenant: GlobPattern? = nil, operation: GlobPattern? = nil, modelFamily: GlobPattern? = nil,
                resource: GlobPattern? = nil, region: GlobPattern? = nil, budgetTag: GlobPattern? = nil,
                tag: GlobPattern? = nil, promptTokensOver: Int? = nil, promptTokensAtMost: Int? = nil,
                compliance: ComplianceSet? = nil, capability: String? = nil, hours: MinuteRange? = nil) {
        self.tenant = tenant
        self.operation = operation
        self.modelFamily = modelFamily
        self.resource = resource
        self.region = region
        self.budgetTag = budgetTag
        self.tag = tag
        self.promptTokensOver = promptTokensOver
        self.promptTokensAtMost = promptTokensAtMost
        self.compliance = compliance
        self.capability = capability
        self.hours = hours
    }
}

/// A UTC time-of-day range in minutes since midnight: `start..<end`, wrapping when end ≤ start.
public struct MinuteRange: Sendable, Equatable {
    public var start: Int
    public var end: Int
    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    @inlinable
    public func contains(minuteOfDay m: Int) -> Bool {
        start < end ? (m >= start && m < end) : (m >= start || m < end)
    }
}

/// What a matching rule does.
public struct RuleAction: Sendable, Equatable {
    public enum Mode: String, Sendable, Equatable {
        /// Only the listed providers, in the listed order.
        case only
        /// The listed providers first, in the listed order, then the rest ranked by the strategy.
        case prefer
    }
    /// The providers the rule routes to (primary first).
    public var route: [String]
    public var mode: Mode
    /// Providers the rule removes.
    public var exclude: [String]
    public init(route: [String] = [], mode: Mode = .only, exclude: [String] = []) {
        self.route = route
        self.mode = mode
        self.exclude = exclude
    }
}

/// A set of compliance tags as bits: allocation-free to test.
public struct ComplianceSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ tag: ComplianceTag) {
        switch tag {
        case .gdpr: rawValue = 1
        case .hipaa: rawValue = 2
        case .soc2: rawValue = 4
        case .fedramp: rawValue = 8
        }
    }
    public init(_ tags: some Sequence<ComplianceTag>) {
        var v: UInt8 = 0
        for t in tags { v |= ComplianceSet(t).rawValue }
        rawValue = v
    }
    public var tags: [ComplianceTag] { ComplianceTag.allCases.filter { contains(ComplianceSet($0)) } }

    /// The set of the named tags, in any letter case (`hipaa`, `GDPR`).
    ///
    /// - Throws: ``UnknownTag`` for the first name that is not a tag.
    public init(parsing names: some Sequence<String>) throws(UnknownTag) {
        var set = ComplianceSet()
        for name in names {
            guard let t = ComplianceTag(parsing: name) else { throw UnknownTag(name: name) }
            set.insert(ComplianceSet(t))
        }
        self = set
    }

    /// A name that is not a compliance tag; its description lists the tags.
    public struct UnknownTag: Error, Sendable, CustomStringConvertible {
        public var name: String
        public var description: String {
            "'\(name)' is not one of \(ComplianceTag.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }
}

/// A glob pattern over UTF-8 bytes: `*` matches any run, `?` any one byte, everything else itself.
/// Matching allocates nothing.
public struct GlobPattern: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    @usableFromInline let bytes: [UInt8]

    public init(_ text: String) {
        self.text = text
        bytes = Array(text.utf8)
    }

    public var description: String { text }

    /// Whether `value` matches the whole pattern. Allocation-free for native strings.
    @inlinable
    public func matches(_ value: String) -> Bool {
        if let result = value.utf8.withContiguousStorageIfAvailable({ v in
            bytes.withUnsafeBufferPointer { p in GlobPattern.match(p, v) }
        }) { return result }
        let copy = Array(value.utf8)  // bridged, non-contiguous strings only
        return copy.withUnsafeBufferPointer { v in bytes.withUnsafeBufferPointer { p in GlobPattern.match(p, v) } }
    }

    @usableFromInline
    static func match(_ p: UnsafeBufferPointer<UInt8>, _ v: UnsafeBufferPointer<UInt8>) -> Bool {
        // Iterative glob matching with one backtrack point (linear in practice).
        var pi = 0, vi = 0
        var star = -1, mark = 0
        let asterisk = UInt8(ascii: "*"), question = UInt8(ascii: "?")
        while vi < v.count {
            if pi < p.count && (p[pi] == question || p[pi] == v[vi]) {
                pi += 1; vi += 1
            } else if pi < p.count && p[pi] == asterisk {
                star = pi; mark = vi; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; vi = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == asterisk { pi += 1 }
        return pi == p.count
    }
}
