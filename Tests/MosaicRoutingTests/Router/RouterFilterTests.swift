import MosaicCore
import MosaicRouting
import Testing

extension RouterSuite {
    /// Each filter on its own: the exact drop reason, and the provider absent from the ranking.
    @Suite("Router filters")
    struct FilterTests {
        static let s = RT.s

        /// Asserts `id` was dropped for `reason` and is not a candidate.
        static func expectDropped(_ d: Decision, _ id: String, _ reason: DropReason,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(RT.dropReason(d, id) == reason, "\(id)", sourceLocation: sourceLocation)
            #expect(!RT.ids(d).contains(id), "\(id) must not be a candidate", sourceLocation: sourceLocation)
        }

        @Test func capabilityVision() throws {
            let router = try RT.router(RoutingPolicy(providers: RT.ai))
            var d = Decision()
            router.decide(RouteRequest(capabilities: ["vision"]), now: 0, into: &d)
            #expect(Set(RT.ids(d)) == ["openai", "anthropic"])
            Self.expectDropped(d, "cohere", .missingCapability("vision"))
            Self.expectDropped(d, "ollama", .missingCapability("vision"))
            #expect(d.dropped.map(\.provider) == ["cohere", "ollama"], "dropped in pool order")
            // Two capabilities: the first one missing is named.
            router.decide(RouteRequest(capabilities: ["function_calling", "long_context"]), now: 0, into: &d)
            #expect(RT.ids(d) == ["anthropic"])
            Self.expectDropped(d, "openai", .missingCapability("long_context"))
            Self.expectDropped(d, "cohere", .missingCapability("long_context"))
            Self.expectDropped(d, "ollama", .missingCapability("function_calling"))
        }

        @Test func contextWindowCountsPromptAndExpectedOutput() throws {
            let router = try RT.router(RoutingPolicy(providers: RT.ai))
            var d = Decision()
            // 150k + 10k = 160k: too much for 128k windows, fine for 200k and for no known window.
            router.decide(RouteRequest(promptTokens: 150_000, expectedOutputTokens: 10_000), now: 0, into: &d)
            #expect(Set(RT.ids(d)) == ["anthropic", "ollama"])
            Self.expectDropped(d, "openai", .contextWindow(limit: 128_000))
            Self.expectDropped(d, "cohere", .contextWindow(limit: 128_000))
            // Exactly the window fits; one token more does not.
            router.decide(RouteRequest(promptTokens: 120_000, expectedOutputTokens: 8_000), now: 0, into: &d)
            #expect(d.dropped.isEmpty)
            router.decide(RouteRequest(promptTokens: 120_000, expectedOutputTokens: 8_001), now: 0, into: &d)
            Self.expectDropped(d, "openai", .contextWindow(limit: 128_000))
            // The output alone can overflow the window.
            router.decide(RouteRequest(promptTokens: 100, expectedOutputTokens: 200_000), now: 0, into: &d)
            Self.expectDropped(d, "anthropic", .contextWindow(limit: 200_000))
            #expect(RT.ids(d) == ["ollama"])
        }

        /// Token counts whose sum overflows `Int` exceed every window; they must not trap (the
        /// gateway passed a client's `max_tokens` through, and `mosaic route` its options).
        @Test func tokenCountsThatOverflowExceedEveryWindow() throws {
            let router = try RT.router(RoutingPolicy(providers: RT.ai))
            var d = Decision()
            for (prompt, output) in [(Int.max, 1), (1, Int.max), (Int.max, Int.max)] {
                router.decide(RouteRequest(promptTokens: prompt, expectedOutputTokens: output), now: 0, into: &d)
                #expect(RT.ids(d) == ["ollama"], "\(prompt) + \(output)")
                Self.expectDropped(d, "anthropic", .contextWindow(limit: 200_000))
                // The same through the full filter (a capability asked for).
                router.decide(RouteRequest(promptTokens: prompt, expectedOutputTokens: output, capabilities: ["code"]), now: 0, into: &d)
                #expect(!RT.ids(d).contains("openai") && !RT.ids(d).contains("anthropic"), "\(prompt) + \(output)")
            }
            #expect(RouteRequest(promptTokens: Int.max, expectedOutputTokens: 1).contextTokens == Int.max)
            #expect(RouteRequest(promptTokens: 120_000, expectedOutputTokens: 8_000).contextTokens == 128_000)
        }

        @Test func complianceNamesEveryMissingTag() throws {
            let router = try RT.router(RoutingPolicy(providers: RT.ai + RT.git))
            var d = Decision()
            router.decide(RouteRequest(compliance: ComplianceSet(.hipaa)), now: 0, into: &d)
            #expect(Set(RT.ids(d)) == ["ollama", "gitea"])
            for id in ["openai", "anthropic", "cohere", "github", "gitlab", "bitbucket"] {
                Self.expectDropped(d, id, .compliance(missing: ComplianceSet(.hipaa)))
            }
            // HIPAA and FedRAMP: no provider attests FedRAMP; each drop names exactly what is missing.
            router.decide(RouteRequest(compliance: ComplianceSet([.hipaa, .fedramp, .gdpr])), now: 0, into: &d)
            #expect(d.candidates.isEmpty)
            Self.expectDropped(d, "openai", .compliance(missing: ComplianceSet([.hipaa, .fedramp])))
            Self.expectDropped(d, "ollama", .compliance(missing: ComplianceSet(.fedramp)))
            Self.expectDropped(d, "gitea", .compliance(missing: ComplianceSet(.fedramp)))
            if case .compliance(let missing) = RT.dropReason(d, "github") {
                #expect(missing.tags == [.hipaa, .fedramp])
            } else {
                Issue.record("github should be dropped for compliance")
            }
            #expect(d.dropped.count == 8)
        }

        @Test func residency() throws {
            let router = try RT.router(RoutingPolicy(providers: RT.ai))
            var d = Decision()
            router.decide(RouteRequest(region: "eu", residency: "eu"), now: 0, into: &d)
            #expect(RT.ids(d) == ["openai"])
            for id in ["anthropic", "cohere", "ollama"] { Self.expectDropped(d, id, .residency(required: "eu")) }
            router.decide(RouteRequest(residency: "ca"), now: 0, into: &d)
            #expect(RT.ids(d) == ["cohere"])
            // Without a residency requirement the caller's region does not filter.
            router.decide(RouteRequest(region: "eu"), now: 0, into: &d)
            #expect(d.dropped.isEmpty && d.candidates.count == 4)
        }

        @Test func tenantDenyList() throws {
            let policy = RoutingPolicy(providers: RT.ai, tenants: ["acme": TenantPolicy(deny: ["openai", "cohere"])])
            let router = try RT.router(policy)
            var d = Decision()
            router.decide(RouteRequest(tenant: "acme"), now: 0, into: &d)
            Self.expectDropped(d, "openai", .tenantDenied)
            Self.expectDropped(d, "cohere", .tenantDenied)
            #expect(Set(RT.ids(d)) == ["anthropic", "ollama"])
            router.decide(RouteRequest(tenant: "other"), now: 0, into: &d)
            #expect(d.dropped.isEmpty, "a tenant not listed (and no *) is not filtered")
        }

        @Test func tenantAllowListAndWildcard() throws {
            let policy = RoutingPolicy(providers: RT.ai, tenants: [
                "acme": TenantPolicy(allow: ["anthropic", "ollama"], deny: ["openai"]),
                "*": TenantPolicy(allow: ["cohere"]),
            ])
            let router = try RT.router(policy)
            var d = Decision()
            router.decide(RouteRequest(tenant: "acme"), now: 0, into: &d)
            #expect(RT.ids(d) == ["anthropic", "ollama"])
            Self.expectDropped(d, "openai", .tenantDenied)  // the deny list is checked first
            Self.expectDropped(d, "cohere", .tenantNotAllowed)
            router.decide(RouteRequest(tenant: "someone-else"), now: 0, into: &d)
            #expect(RT.ids(d) == ["cohere"])
            Self.expectDropped(d, "openai", .tenantNotAllowed)
        }

        @Test func tenantQuotaRejectsThenResetsAtTheNextWindow() throws {
            let policy = RoutingPolicy(providers: RT.ai, tenants: [
                "acme": TenantPolicy(quota: RateLimit(requests: 3, period: .minute)),
                "*": TenantPolicy(quota: RateLimit(requests: 1, period: .minute)),
            ])
            let router = try RT.router(policy)
            var d = Decision()
            let acme = RouteRequest(tenant: "acme")
            let t0 = 10 * Self.s
            for k in 0..<3 {
                let ticket = router.route(acme, now: t0 + Int64(k), into: &d)
                #expect(ticket != nil && d.rejection == nil, "request \(k) is within the quota")
            }
            let refused = router.route(acme, now: t0 + 5, into: &d)
            #expect(refused == nil)
            #expect(d.rejection == .quotaExhausted(tenant: "acme", resetsAt: 60 * Self.s))
            #expect(d.candidates.isEmpty && d.selected == nil)
            router.decide(acme, now: 59 * Self.s, into: &d)
            #expect(d.rejection == .quotaExhausted(tenant: "acme", resetsAt: 60 * Self.s))
            #expect(d.candidates.isEmpty)
            // The next window starts at 60 s.
            router.decide(acme, now: 60 * Self.s, into: &d)
            #expect(d.rejection == nil && d.candidates.count == 4)
            for k in 0..<3 { #expect(router.route(acme, now: 60 * Self.s + Int64(k), into: &d) != nil) }
            #expect(router.route(acme, now: 61 * Self.s, into: &d) == nil)
            #expect(d.rejection == .quotaExhausted(tenant: "acme", resetsAt: 120 * Self.s))
            // `*` gives every other tenant its own counter.
            #expect(router.route(RouteRequest(tenant: "x"), now: t0, into: &d) != nil)
            #expect(router.route(RouteRequest(tenant: "y"), now: t0, into: &d) != nil)
            #expect(router.route(RouteRequest(tenant: "x"), now: t0 + 1, into: &d) == nil)
            #expect(d.rejection == .quotaExhausted(tenant: "x", resetsAt: 60 * Self.s))
            // The quota filter off: no rejection.
            var off = policy
            off.filters.quota = false
            let free = try RT.router(off)
            for _ in 0..<10 { #expect(free.route(acme, now: t0, into: &d) != nil) }
        }

        /// Spends exactly until the ledger is empty: every remaining amount is exact, the request
        /// that uses the last cent is still admitted, the next one is not.
        @Test func budgetExhaustionIsExact() throws {
            // 333 × 0.15/M + 77 × 0.60/M + 0.02490385 = 0.025 exactly: 2,000 requests spend 50.00.
            let cost = ProviderCost(inputPerMillion: RT.money("0.15"), outputPerMillion: RT.money("0.60"),
                                    perRequest: RT.money("0.02490385"))
            let perRequest = cost.cost(inputTokens: 333, outputTokens: 77)
            #expect(perRequest == RT.money("0.025"))
            let policy = RoutingPolicy(
                providers: ["openai", "ollama"], strategy: .weighted(["openai": 1]),
                budgets: ["team": BudgetPolicy(limit: Money(whole: 50), period: .day)],
                costs: ["openai": cost])
            let router = try RT.router(policy)
            var d = Decision()
            let request = RouteRequest(promptTokens: 333, expectedOutputTokens: 77, budgetTag: "team")
            var spent = 0
            var now: Int64 = 0
            #expect(router.budgetRemaining("team", now: 0) == Money(whole: 50))
            while spent < 3_000 {
                now += 1_000
                guard let t = router.route(request, now: now, into: &d), t.provider == "openai" else { break }
                router.complete(t, status: .ok, latencyMs: 100, inputTokens: 333, outputTokens: 77,
                                budgetTag: "team", now: now)
                spent += 1
                if spent % 250 == 0 {
                    #expect(router.budgetRemaining("team", now: now) == Money(whole: 50) - spent * perRequest)
                }
            }
            #expect(spent == 2_000)
            #expect(router.budgetRemaining("team", now: now) == .zero)
            router.decide(request, now: now, into: &d)
            Self.expectDropped(d, "openai", .budgetExhausted(tag: "team"))
            #expect(RT.ids(d) == ["ollama"], "a free provider is never dropped for budget")
            // Actual usage above the estimate takes the ledger below zero, exactly.
            let t = try #require(router.route(RouteRequest(resource: "x"), now: now, into: &d))
            #expect(t.provider == "openai")
            router.complete(t, status: .ok, latencyMs: 100, inputTokens: 1_000_000, outputTokens: 0,
                            budgetTag: "team", now: now)
            #expect(router.budgetRemaining("team", now: now) == -RT.money("0.17490385"))
            // Another tag or no tag is not limited; the next day starts afresh.
            router.decide(RouteRequest(promptTokens: 333, expectedOutputTokens: 77), now: now, into: &d)
            #expect(RT.dropReason(d, "openai") == nil)
            let tomorrow = 86_400 * Self.s
            #expect(router.budgetRemaining("team", now: tomorrow) == Money(whole: 50))
            router.decide(request, now: tomorrow, into: &d)
            #expect(RT.ids(d).first == "openai")
        }

        /// 149 input and 443 output tokens at 0.15/0.60 per million cost exactly 0.00028815, but
        /// the Double estimate is 0.00028815000000000004: the budget check must be exact.
        @Test func budgetAdmitsTheRequestThatExactlyFitsTheRemainder() throws {
            let cost = ProviderCost(inputPerMillion: RT.money("0.15"), outputPerMillion: RT.money("0.60"))
            let each = cost.cost(inputTokens: 149, outputTokens: 443)
            #expect(each == RT.money("0.00028815"))
            let policy = RoutingPolicy(providers: ["openai", "ollama"], strategy: .weighted(["openai": 1]),
                                       budgets: ["team": BudgetPolicy(limit: 10 * each, period: .hour)],
                                       costs: ["openai": cost])
            let router = try RT.router(policy)
            var d = Decision()
            let request = RouteRequest(promptTokens: 149, expectedOutputTokens: 443, budgetTag: "team")
            for k in 1...10 {
                let t = try #require(router.route(request, now: Int64(k), into: &d))
                #expect(t.provider == "openai", "request \(k) fits the budget")
                router.complete(t, status: .ok, latencyMs: 10, inputTokens: 149, outputTokens: 443, budgetTag: "team",
                                now: Int64(k))
                #expect(router.budgetRemaining("team", now: Int64(k)) == (10 - k) * each)
            }
            router.decide(request, now: 11, into: &d)
            Self.expectDropped(d, "openai", .budgetExhausted(tag: "team"))
            // A smaller request still fits nothing: the ledger is at exactly zero.
            router.decide(RouteRequest(promptTokens: 1, budgetTag: "team"), now: 11, into: &d)
            Self.expectDropped(d, "openai", .budgetExhausted(tag: "team"))
            // The next hour starts afresh.
            router.decide(request, now: 3_600 * Self.s, into: &d)
            #expect(d.primary?.provider == "openai")
        }

        @Test func rateLimitOverrideExhaustsAndRefills() throws {
            let policy = RoutingPolicy(providers: ["openai", "anthropic"], strategy: .weighted(["openai": 1]),
                                       rateLimits: ["openai": [RateLimit(requests: 2, period: .second)]])
            let router = try RT.router(policy)
            var d = Decision()
            let r = RouteRequest()
            #expect(router.route(r, now: 0, into: &d)?.provider == "openai")
            #expect(router.route(r, now: 0, into: &d)?.provider == "openai")
            let third = router.route(r, now: 0, into: &d)
            #expect(third?.provider == "anthropic")
            Self.expectDropped(d, "openai", .rateLimited(retryAfter: 500 * RT.ms))
            #expect(RT.health(router, "openai", now: 0).tokens == 0)
            router.decide(r, now: 250 * RT.ms, into: &d)
            Self.expectDropped(d, "openai", .rateLimited(retryAfter: 250 * RT.ms))
            router.decide(r, now: 500 * RT.ms, into: &d)
            #expect(d.primary?.provider == "openai")
            // Filter off: never rate limited.
            var off = policy
            off.filters.rateLimit = false
            let unlimited = try RT.router(off)
            for _ in 0..<10 { #expect(unlimited.route(r, now: 0, into: &d)?.provider == "openai") }
        }

        /// Bitbucket's catalog limit: 1,000 per hour, all available at once, then one every 3.6 s.
        @Test func catalogRateLimitBitbucket() throws {
            let router = try RT.router(RoutingPolicy(providers: ["bitbucket"]))
            var d = Decision()
            let r = RouteRequest(operation: "clone")
            for k in 0..<1_000 {
                guard router.route(r, now: 0, into: &d) != nil else {
                    Issue.record("request \(k) refused")
                    return
                }
            }
            #expect(router.route(r, now: 0, into: &d) == nil)
            guard case .rateLimited(let wait) = RT.dropReason(d, "bitbucket") else {
                Issue.record("bitbucket should be rate limited")
                return
            }
            #expect(abs(wait - 3_600_000) <= 1, "one token per 3.6 s")
            router.decide(r, now: wait - 10 * RT.ms, into: &d)
            #expect(d.candidates.isEmpty)
            // At the advertised time the token is there, for deciding and for admitting.
            #expect(router.route(r, now: wait, into: &d)?.provider == "bitbucket")
            #expect(router.route(r, now: wait, into: &d) == nil)
        }

        /// Consecutive failures open the breaker; after the open duration a half-open probe is
        /// admitted and its success closes the breaker.
        @Test func circuitOpensThenProbes() throws {
            let policy = RoutingPolicy(providers: RT.ai, rules: RT.pinRules(RT.ai),
                                       strategy: .weighted(["openai": 1]), breaker: RT.breaker(failures: 3, probes: 2))
            let router = try RT.router(policy)
            var d = Decision()
            for k in 0..<3 { RT.outcome(router, "openai", .error, now: Int64(k + 1) * Self.s) }
            let until = 3 * Self.s + 5 * Self.s
            #expect(RT.health(router, "openai", now: 3 * Self.s).breaker == .open(until: until))
            router.decide(RouteRequest(), now: 4 * Self.s, into: &d)
            Self.expectDropped(d, "openai", .circuitOpen(until: until))
            #expect(!d.panic)
            #expect(router.route(RouteRequest(), now: 4 * Self.s, into: &d)?.provider == "anthropic")
            // Open time over: openai is a candidate again and is admitted as a probe.
            router.decide(RouteRequest(), now: until, into: &d)
            #expect(d.primary?.provider == "openai")
            let p1 = try #require(router.route(RouteRequest(), now: until, into: &d))
            #expect(p1.provider == "openai" && p1.isProbe && d.selectedIsProbe)
            let p2 = try #require(router.route(RouteRequest(), now: until, into: &d))
            #expect(p2.provider == "openai" && p2.isProbe)
            // Both probes taken: the third request goes elsewhere, openai dropped as exhausted.
            let other = try #require(router.route(RouteRequest(), now: until, into: &d))
            #expect(other.provider != "openai" && !other.isProbe)
            Self.expectDropped(d, "openai", .probesExhausted)
            router.complete(p1, status: .ok, latencyMs: 50, now: until + 1)
            router.complete(p2, status: .ok, latencyMs: 50, now: until + 2)
            #expect(RT.health(router, "openai", now: until + 2).breaker == .closed)
            let normal = try #require(router.route(RouteRequest(), now: until + 3, into: &d))
            #expect(normal.provider == "openai" && !normal.isProbe)
        }

        @Test func failedProbeReopensForLonger() throws {
            let policy = RoutingPolicy(providers: RT.ai, rules: RT.pinRules(RT.ai),
                                       strategy: .weighted(["openai": 1]), breaker: RT.breaker(failures: 2, probes: 1))
            let router = try RT.router(policy)
            var d = Decision()
            RT.outcome(router, "openai", .error, now: 0)
            RT.outcome(router, "openai", .timeout, now: 0)
            #expect(RT.health(router, "openai", now: 0).breaker == .open(until: 5 * Self.s))
            let probe = try #require(router.route(RouteRequest(), now: 5 * Self.s, into: &d))
            #expect(probe.isProbe && probe.provider == "openai")
            router.complete(probe, status: .error, latencyMs: 10, now: 6 * Self.s)
            #expect(RT.health(router, "openai", now: 6 * Self.s).breaker == .open(until: 16 * Self.s))
            router.decide(RouteRequest(), now: 15 * Self.s, into: &d)
            Self.expectDropped(d, "openai", .circuitOpen(until: 16 * Self.s))
        }

        /// A probe the rate limit refuses must not use up the breaker's probe slot: a failover
        /// on a decision made while openai still had a token, after another request took it.
        @Test func rateLimitedProbeDoesNotLeakTheProbeSlot() throws {
            let policy = RoutingPolicy(
                providers: ["anthropic", "openai"], rules: RT.pinRules(["openai"]),
                strategy: .weighted(["anthropic": 1]), breaker: RT.breaker(failures: 1, open: Self.s, probes: 2),
                rateLimits: ["openai": [RateLimit(requests: 2, period: .minute)]])
            let router = try RT.router(policy)
            RT.outcome(router, "openai", .error, now: 0)  // takes one token and trips the breaker
            #expect(RT.health(router, "openai", now: 0).breaker == .open(until: Self.s))
            let at = 2 * Self.s  // the breaker's open time is over; openai has ~1.07 tokens
            var d = Decision()
            let first = try #require(router.route(RouteRequest(), now: at, into: &d))
            #expect(first.provider == "anthropic")
            #expect(RT.ids(d) == ["anthropic", "openai"])
            // Another request takes openai's token (as the first probe).
            var other = Decision()
            let probe = try #require(router.route(RouteRequest(resource: "pin-openai"), now: at, into: &other))
            #expect(probe.provider == "openai" && probe.isProbe)
            // The failover finds no token: refused, and the breaker keeps its second probe slot.
            #expect(router.failover(&d, now: at) == nil)
            #expect(d.selected == nil)
            #expect(RT.health(router, "openai", now: at).breaker == .halfOpen(probesInFlight: 1, successes: 0))
            router.complete(probe, status: .ok, latencyMs: 10, now: at)
            #expect(RT.health(router, "openai", now: at).breaker == .halfOpen(probesInFlight: 0, successes: 1))
            // Once a token is back (30 s per token), the second probe goes through and closes it.
            let second = try #require(router.route(RouteRequest(resource: "pin-openai"), now: 40 * Self.s, into: &d))
            #expect(second.isProbe)
            router.complete(second, status: .ok, latencyMs: 10, now: 40 * Self.s)
            #expect(RT.health(router, "openai", now: 40 * Self.s).breaker == .closed)
        }

        /// Known defect, outside the router: a half-open probe completed as `cancelled` is never
        /// reported to the breaker (cancellations count for nothing), and `CircuitBreaker` has no
        /// call that gives a probe slot back, so the slot stays taken and the provider stays
        /// half-open with its probes exhausted. When that is fixed, this known issue stops
        /// reproducing and the test fails: remove `withKnownIssue` then.
        @Test func cancelledProbeKeepsItsSlot() throws {
            let policy = RoutingPolicy(providers: ["openai", "anthropic"], rules: RT.pinRules(["openai"]),
                                       breaker: RT.breaker(failures: 1, open: Self.s, probes: 1))
            let router = try RT.router(policy)
            RT.outcome(router, "openai", .error, now: 0)
            var d = Decision()
            let probe = try #require(router.route(RouteRequest(resource: "pin-openai"), now: 2 * Self.s, into: &d))
            #expect(probe.isProbe)
            router.complete(probe, status: .cancelled, latencyMs: 0, now: 2 * Self.s)
            #expect(RT.health(router, "openai", now: 2 * Self.s).inFlight == 0)
            let again = router.route(RouteRequest(resource: "pin-openai"), now: 3 * Self.s, into: &d)
            #expect(again?.isProbe == true, "a cancelled probe gives its slot back")
        }

        @Test func outlierIsEjected() throws {
            let outliers = OutlierEjection(interval: 10 * Self.s, stdevFactor: 1, minimumRequests: 10, minimumPeers: 3,
                                           maxEjectedShare: 0.34, baseEjection: 30 * Self.s, maxEjection: 60 * Self.s)
            let policy = RoutingPolicy(providers: RT.ai, rules: RT.pinRules(RT.ai),
                                       breaker: RT.breaker(failures: 0), outliers: outliers)
            let router = try RT.router(policy)
            var d = Decision()
            for k in 0..<20 {
                let now = Self.s + Int64(k) * 100 * RT.ms
                for id in ["openai", "anthropic", "ollama"] { RT.outcome(router, id, .ok, now: now) }
                RT.outcome(router, "cohere", k % 2 == 0 ? .error : .ok, now: now)
            }
            router.decide(RouteRequest(), now: 9 * Self.s, into: &d)
            #expect(d.dropped.isEmpty, "not judged before the interval ends")
            // The first completion at or after 10 s compares the interval's success rates.
            RT.outcome(router, "openai", .ok, now: 10 * Self.s)
            router.decide(RouteRequest(), now: 10 * Self.s, into: &d)
            Self.expectDropped(d, "cohere", .ejected(until: 40 * Self.s))
            #expect(d.candidates.count == 3 && !d.panic)
            let h = RT.health(router, "cohere", now: 10 * Self.s)
            #expect(h.ejectedUntil == 40 * Self.s && h.ejections == 1 && h.breaker == .closed)
            router.decide(RouteRequest(), now: 40 * Self.s, into: &d)
            #expect(d.dropped.isEmpty, "back after the ejection time")
        }

        @Test func outlierEjectionNeedsEnoughPeers() throws {
            let outliers = OutlierEjection(interval: 10 * Self.s, stdevFactor: 1, minimumRequests: 10, minimumPeers: 3)
            let policy = RoutingPolicy(providers: RT.ai, rules: RT.pinRules(RT.ai),
                                       breaker: RT.breaker(failures: 0), outliers: outliers)
            let router = try RT.router(policy)
            for k in 0..<20 {
                let now = Self.s + Int64(k)
                RT.outcome(router, "openai", .ok, now: now)
                RT.outcome(router, "cohere", .error, now: now)
                if k < 5 { RT.outcome(router, "anthropic", .ok, now: now) }  // too few to be a peer
            }
            RT.outcome(router, "openai", .ok, now: 10 * Self.s)
            #expect(router.health(now: 10 * Self.s).allSatisfy { $0.ejectedUntil == nil })
        }

        /// Right after closing, a provider gets `slowStartInitialShare` of the traffic, ramping to 1.
        @Test func slowStartDropsAShareOfRequests() throws {
            let policy = RoutingPolicy(
                providers: RT.ai, rules: RT.pinRules(RT.ai),
                breaker: RT.breaker(failures: 1, open: Self.s, probes: 1, slowStart: 10 * Self.s, initialShare: 0.2))
            let router = try RT.router(policy)
            RT.outcome(router, "cohere", .error, now: 0)
            let probe = try #require(RT.outcome(router, "cohere", .ok, now: Self.s))
            #expect(probe.isProbe)
            #expect(RT.health(router, "cohere", now: Self.s).breaker == .closed)
            var d = Decision(seed: 42)
            for (at, share) in [(Self.s, 0.2), (Self.s + 5 * Self.s, 0.6)] {
                let expected = RT.health(router, "cohere", now: at).trafficShare
                #expect(abs(expected - share) < 1e-12)
                var kept = 0
                let n = 4_000
                for _ in 0..<n {
                    router.decide(RouteRequest(), now: at, into: &d)
                    if RT.ids(d).contains("cohere") {
                        kept += 1
                    } else {
                        #expect(RT.dropReason(d, "cohere") == .slowStart(share: expected))
                    }
                }
                let observed = Double(kept) / Double(n)
                #expect(abs(observed - share) < 0.03, "share \(observed) vs \(share)")
            }
            router.decide(RouteRequest(), now: 11 * Self.s, into: &d)
            #expect(d.dropped.isEmpty, "slow start over")
        }

        @Test func panicModeIgnoresHealth() throws {
            let policy = RoutingPolicy(providers: RT.ai, rules: RT.pinRules(RT.ai), breaker: RT.breaker(failures: 1))
            let router = try RT.router(policy)
            var d = Decision()
            RT.outcome(router, "openai", .error, now: 0)
            RT.outcome(router, "anthropic", .error, now: 0)
            // Two of four open: exactly half healthy, not below the 50% threshold.
            router.decide(RouteRequest(), now: Self.s, into: &d)
            #expect(!d.panic)
            #expect(Set(RT.ids(d)) == ["cohere", "ollama"])
            Self.expectDropped(d, "openai", .circuitOpen(until: 5 * Self.s))
            RT.outcome(router, "cohere", .error, now: Self.s)
            // Three of four open: panic, every provider is a candidate again.
            router.decide(RouteRequest(), now: Self.s, into: &d)
            #expect(d.panic)
            #expect(d.dropped.isEmpty)
            #expect(Set(RT.ids(d)) == Set(RT.ai))
            // An open provider can even be admitted while panicking.
            var opened = 0
            for _ in 0..<8 {
                let t = try #require(router.route(RouteRequest(), now: Self.s, into: &d))
                if t.provider != "ollama" { opened += 1 }
                #expect(d.panic && !t.isProbe)
            }
            #expect(opened > 0)
            // Health filter off: no panic flag either.
            var off = policy
            off.filters.health = false
            let noHealth = try RT.router(off)
            for id in ["openai", "anthropic", "cohere"] { RT.outcome(noHealth, id, .error, now: 0) }
            noHealth.decide(RouteRequest(), now: Self.s, into: &d)
            #expect(!d.panic && d.candidates.count == 4)
        }
    }
}
