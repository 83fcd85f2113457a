import MosaicCore
import MosaicRouting
import Testing

/// The router's tests, grouped so `swift test --filter RouterSuite` runs them.
enum RouterSuite {}

/// Shared building blocks for the router tests: the built-in catalog, request and policy
/// shorthands, and rules that pin a request to one provider (to report outcomes for it).
enum RT {
    static let s = RoutingTime.second
    static let ms = RoutingTime.millisecond
    static let catalog = Catalog.default

    /// The AI providers of the built-in catalog.
    static let ai = ["openai", "anthropic", "cohere", "ollama"]
    /// The git hosts of the built-in catalog.
    static let git = ["github", "gitlab", "gitea", "bitbucket"]

    static func money(_ text: String) -> Money {
        do { return try Money(parsing: text) } catch { preconditionFailure("bad money \(text)") }
    }

    /// Rules `pin-<id>`: a request whose resource is `pin-<id>` goes to `<id>` only. They are
    /// placed after `rules`, so requests with other resources are unaffected.
    static func pinRules(_ ids: [String]) -> [RoutingRule] {
        ids.map { id in
            RoutingRule(name: "pin-\(id)", reason: "test pin", match: RuleMatch(resource: GlobPattern("pin-\(id)")),
                        action: RuleAction(route: [id], mode: .only))
        }
    }

    /// A breaker that trips after `failures` consecutive failures only (no rate rule), stays open
    /// `open` µs, closes after `probes` successful probes and ramps traffic over `slowStart` µs.
    static func breaker(failures: Int = 3, open: Int64 = 5 * RoutingTime.second, probes: Int = 1,
                        slowStart: Int64 = 0, initialShare: Double = 0.1) -> CircuitBreaker.Configuration {
        CircuitBreaker.Configuration(
            consecutiveFailures: failures, failureRateThreshold: 2, windowSize: 20, minimumRequests: 10,
            baseOpenDuration: open, maxOpenDuration: 60 * RoutingTime.second, openBackoffMultiplier: 2,
            halfOpenProbes: probes, slowStartDuration: slowStart, slowStartInitialShare: initialShare)
    }

    static func router(_ policy: RoutingPolicy, model: RoutingModel? = nil, now: Int64 = 0) throws -> Router {
        try Router(policy: policy, catalog: catalog, model: model, now: now)
    }

    /// A router that ranks chat requests openai, anthropic, cohere, ollama (a `prefer` rule),
    /// where anthropic may take one request a minute: the failover tests' fixture.
    static func chatInFixedOrder() throws -> Router {
        let prefer = RoutingRule(name: "order", reason: "test", match: RuleMatch(operation: GlobPattern("chat")),
                                 action: RuleAction(route: ai, mode: .prefer))
        return try router(RoutingPolicy(providers: ai, rules: pinRules(ai) + [prefer],
                                        rateLimits: ["anthropic": [RateLimit(requests: 1, period: .minute)]]))
    }

    /// Routes a request pinned to `id` (needs ``pinRules(_:)`` in the policy) and reports its outcome.
    @discardableResult
    static func outcome(_ router: Router, _ id: String, _ status: RequestStatus, latencyMs: Double = 100,
                        inputTokens: Int = 0, outputTokens: Int = 0, budgetTag: String? = nil,
                        now: Int64) -> Ticket? {
        var d = Decision()
        guard let t = router.route(RouteRequest(resource: "pin-\(id)", budgetTag: budgetTag), now: now, into: &d) else {
            return nil
        }
        router.complete(t, status: status, latencyMs: latencyMs, inputTokens: inputTokens,
                        outputTokens: outputTokens, budgetTag: budgetTag, now: now)
        return t
    }

    static func ids(_ d: Decision) -> [String] { d.candidates.map(\.provider) }

    static func dropReason(_ d: Decision, _ id: String) -> DropReason? {
        d.dropped.first { $0.provider == id }?.reason
    }

    static func health(_ router: Router, _ id: String, now: Int64) -> Router.Health {
        router.health(now: now).first { $0.provider == id }!
    }

    /// µs since the epoch for a UTC date and time of day.
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int) -> Int64 {
        Int64(Timestamp.daysFromCivil(year: year, month: month, day: day)) * Timestamp.microsPerDay
            + Int64(hour * 60 + minute) * RoutingTime.minute
    }
}
