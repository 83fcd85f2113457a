import MosaicCore
import MosaicRouting
import PropertyBased
import Testing

extension RouterSuite {
    /// Properties over random policies, requests and outcome histories.
    @Suite("Router properties")
    struct PropertyTests {
        /// Providers with varied facts: regions, compliance, capabilities, windows, rate limits.
        static let universe = RT.ai + RT.git
        static let words = ["vision", "function_calling", "code", "long_context", "strict_privacy"]

        /// A random policy, as generator inputs.
        struct Scenario: Sendable, CustomStringConvertible {
            var poolMask: Int
            var strategy: Int
            var denyMask: Int
            var allowMask: Int
            var rule: Int
            var seed: UInt64

            var pool: [String] { PropertyTests.universe.indices.filter { poolMask & (1 << $0) != 0 }.map { PropertyTests.universe[$0] } }

            func subset(_ mask: Int) -> [String] { pool.indices.filter { mask & (1 << $0) != 0 }.map { pool[$0] } }

            var policy: RoutingPolicy {
                let pool = self.pool
                var random = SeededRandom(seed: seed)
                let strategies: [Strategy] = [
                    .roundRobin,
                    .weighted(Dictionary(uniqueKeysWithValues: pool.enumerated().map { k, id in
                        (id, Double(random.next() % 4) + (k == 0 ? 1 : 0))  // valid: one weight above 0
                    })),
                    .leastConnections, .powerOfTwoChoices, .latencyEWMA(alpha: 0.3, buffer: 0.2), .costFirst,
                    .modelUtility(lambda: 5, mu: 0.1), .modelUtility(lambda: 5, mu: 0.1, adapt: 0.2),
                ]
                var rules: [RoutingRule] = []
                let picked = subset(Int(seed % 255) + 1)
                let routed = picked.isEmpty ? [pool[0]] : picked
                switch rule {
                case 1: rules = [RoutingRule(name: "only", reason: "r", match: RuleMatch(resource: GlobPattern("r-*")),
                                             action: RuleAction(route: routed, mode: .only))]
                case 2: rules = [RoutingRule(name: "prefer", reason: "r", match: RuleMatch(promptTokensOver: 50_000),
                                             action: RuleAction(route: routed, mode: .prefer))]
                case 3: rules = [RoutingRule(name: "exclude", reason: "r", match: RuleMatch(tenant: GlobPattern("a*")),
                                             action: RuleAction(exclude: routed))]
                case 4: rules = [RoutingRule(name: "tagged", reason: "r", match: RuleMatch(tag: GlobPattern("t")),
                                             action: RuleAction(route: routed, mode: .only,
                                                                 exclude: subset(denyMask >> 3).filter { !routed.contains($0) }))]
                default: break
                }
                var limits: [String: [RateLimit]] = [:]
                var costs: [String: ProviderCost] = [:]
                var fallbacks: [String: [String]] = [:]
                for id in pool {
                    if random.next() % 3 == 0 { limits[id] = [RateLimit(requests: Int(random.next() % 4) + 1, period: .second)] }
                    if random.next() % 2 == 0 {
                        costs[id] = ProviderCost(inputPerMillion: Money(whole: Int(random.next() % 5)),
                                                 outputPerMillion: Money(whole: Int(random.next() % 20)))
                    }
                    if random.next() % 3 == 0 { fallbacks[id] = [pool[Int(random.next() % UInt64(pool.count))]].filter { $0 != id } }
                }
                return RoutingPolicy(
                    providers: pool, rules: rules, strategy: strategies[strategy],
                    breaker: RT.breaker(failures: 2, open: 2 * RT.s, probes: 1, slowStart: 5 * RT.s, initialShare: 0.3),
                    outliers: OutlierEjection(interval: 3 * RT.s, stdevFactor: 1, minimumRequests: 3, minimumPeers: 2),
                    rateLimits: limits,
                    tenants: ["acme": TenantPolicy(allow: subset(allowMask),
                                                   deny: subset(denyMask).filter { !subset(allowMask).contains($0) }),
                              "*": TenantPolicy(deny: subset(denyMask >> 2), quota: RateLimit(requests: 40, period: .minute))],
                    budgets: ["b": BudgetPolicy(limit: Money(whole: 1), period: .minute)],
                    fallbacks: fallbacks, costs: costs)
            }

            var description: String {
                "pool \(pool) strategy \(strategy) deny \(denyMask) allow \(allowMask) rule \(rule) seed \(seed)"
            }
        }

        static func makeScenario(_ t: (Int, Int, Int, Int, Int, UInt64)) -> Scenario {
            Scenario(poolMask: t.0, strategy: t.1, denyMask: t.2, allowMask: t.3, rule: t.4, seed: t.5)
        }

        static let scenarios = zip(
            Gen.int(in: 1...255), Gen.int(in: 0...6), Gen.int(in: 0...255), Gen.int(in: 0...255), Gen.int(in: 0...4),
            Gen.uint64(in: 0...UInt64.max)
        ).map(makeScenario)

        static func makeRequest(_ t: ([String?], Int, Int, UInt8, String?, String?)) -> RouteRequest {
            let who = t.5 ?? "acme"
            let residency = t.4 ?? ""
            return RouteRequest(
                tenant: who == "t" ? "acme" : who, resource: who, residency: residency.isEmpty ? nil : residency,
                promptTokens: t.1 * 3_000, expectedOutputTokens: t.2, compliance: ComplianceSet(rawValue: t.3),
                capabilities: t.0.compactMap { $0 }, latencySLOMs: t.2 > 10_000 ? 1_500 : nil,
                budgetTag: t.3 & 1 == 0 ? "b" : nil, tags: who == "t" ? ["t"] : [])
        }

        static let capabilityGen = Gen<String?>.element(of: words).array(of: 0...2)
        static let residencyGen = Gen<String?>.element(of: ["", "us", "eu", "ca", "on-prem"])
        static let whoGen = Gen<String?>.element(of: ["acme", "beta", "r-1", "t"])
        static let requests = zip(
            capabilityGen, Gen.int(in: 0...70), Gen.int(in: 0...20_000), Gen.uint8(in: 0...15), residencyGen, whoGen
        ).map(makeRequest)

        /// Why a provider must not be a candidate, from the catalog and the policy alone.
        static func staticReason(_ p: Provider, _ r: RouteRequest, _ policy: RoutingPolicy, rule: String?) -> String? {
            for c in r.capabilities where !p.capabilities.contains(c) { return "capability \(c)" }
            if let w = p.contextWindow, r.promptTokens + r.expectedOutputTokens > w { return "window" }
            if !r.compliance.subtracting(ComplianceSet(p.compliance)).isEmpty { return "compliance" }
            if let region = r.residency, !p.regions.contains(region) { return "residency" }
            if let t = policy.tenants[r.tenant] ?? policy.tenants["*"] {
                if t.deny.contains(p.id) { return "denied" }
                if !t.allow.isEmpty && !t.allow.contains(p.id) { return "not allowed" }
            }
            if let name = rule, let rr = policy.rules.first(where: { $0.name == name }) {
                if rr.action.exclude.contains(p.id) { return "excluded" }
                if rr.action.mode == .only && !rr.action.route.isEmpty && !rr.action.route.contains(p.id) { return "not in rule" }
            }
            return nil
        }

        /// (a) The ranking never holds a provider a filter must drop, and candidates and drops
        /// partition the pool: each provider exactly once.
        @Test func candidatesAndDropsPartitionThePool() async throws {
            await propertyCheck(count: 150, input: Self.scenarios, Self.requests.array(of: 1...6)) { scenario, requests in
                let policy = scenario.policy
                let router = try RT.router(policy)
                var d = Decision(seed: scenario.seed)
                var random = SeededRandom(seed: scenario.seed ^ 0x5EED)
                var now: Int64 = 0
                for _ in 0..<40 {
                    now += Int64(random.next() % 400) * RT.ms
                    let r = requests[Int(random.next() % UInt64(requests.count))]
                    let ticket = router.route(r, now: now, into: &d)
                    Self.check(d, r, policy, router: router, now: now)
                    if let t = ticket {
                        #expect(d.selected != nil && d.candidates[d.selected!].provider == t.provider)
                        let status: RequestStatus = random.bernoulli(0.35) ? .error : .ok
                        router.complete(t, status: status, latencyMs: 50 + Double(random.next() % 500),
                                        inputTokens: r.promptTokens, outputTokens: r.expectedOutputTokens,
                                        budgetTag: r.budgetTag, now: now)
                    }
                    router.decide(r, now: now, into: &d)
                    Self.check(d, r, policy, router: router, now: now)
                }
                #expect(router.health(now: now).allSatisfy { $0.inFlight == 0 })
            }
        }

        static func check(_ d: Decision, _ r: RouteRequest, _ policy: RoutingPolicy, router: Router, now: Int64,
                          sourceLocation: SourceLocation = #_sourceLocation) {
            if d.rejection != nil {
                #expect(d.candidates.isEmpty, sourceLocation: sourceLocation)
                return
            }
            let kept = d.candidates.map(\.provider), dropped = d.dropped.map(\.provider)
            #expect(Set(kept).isDisjoint(with: dropped), "\(kept) vs \(dropped)", sourceLocation: sourceLocation)
            #expect((kept + dropped).sorted() == policy.providers.sorted(), "\(kept) + \(dropped)", sourceLocation: sourceLocation)
            #expect(d.dropped.map(\.index) == d.dropped.map(\.index).sorted(), "drops in pool order", sourceLocation: sourceLocation)
            #expect(d.candidates.allSatisfy { policy.providers[$0.index] == $0.provider }, sourceLocation: sourceLocation)
            let health = router.health(now: now)
            for c in d.candidates {
                let p = RT.catalog.provider(id: c.provider)!
                if let why = staticReason(p, r, policy, rule: d.rule?.name) {
                    Issue.record("\(c.provider) is a candidate but fails \(why)", sourceLocation: sourceLocation)
                }
                let h = health[c.index]
                // (After `route`, the admitted candidate has just used a token.)
                let admitted = d.selected.map { d.candidates[$0].index == c.index } ?? false
                if let tokens = h.tokens, tokens < 1 - 1e-9, !admitted {
                    Issue.record("\(c.provider) is a candidate without a rate-limit token", sourceLocation: sourceLocation)
                }
                if !d.panic {
                    if case .open(let until) = h.breaker, until > now {
                        Issue.record("\(c.provider) is a candidate with an open breaker", sourceLocation: sourceLocation)
                    }
                    #expect(h.ejectedUntil == nil, "\(c.provider) ejected", sourceLocation: sourceLocation)
                }
            }
            for drop in d.dropped {
                let p = RT.catalog.provider(id: drop.provider)!
                switch drop.reason {
                case .missingCapability(let c): #expect(!p.capabilities.contains(c), sourceLocation: sourceLocation)
                case .contextWindow(let limit):
                    #expect(limit == p.contextWindow && r.promptTokens + r.expectedOutputTokens > limit, sourceLocation: sourceLocation)
                case .compliance(let missing):
                    #expect(missing == r.compliance.subtracting(ComplianceSet(p.compliance)) && !missing.isEmpty,
                            sourceLocation: sourceLocation)
                case .residency(let region): #expect(region == r.residency && !p.regions.contains(region), sourceLocation: sourceLocation)
                case .circuitOpen(let until): #expect(until > now && !d.panic, sourceLocation: sourceLocation)
                case .ejected(let until): #expect(until > now && !d.panic, sourceLocation: sourceLocation)
                case .slowStart(let share): #expect(share > 0 && share < 1 && !d.panic, sourceLocation: sourceLocation)
                case .budgetExhausted(let tag): #expect(tag == r.budgetTag, sourceLocation: sourceLocation)
                default: break
                }
            }
        }

        /// (b) Weighted choice converges to the normalised weights.
        ///
        /// Each case makes 2,000 decisions (20,000 per case for 100 cases takes over 20 s in a debug
        /// build), so each share must lie within 5 binomial standard deviations of its weight
        /// (at most 0.056), and over all cases the squared z-scores must average near 1 (a bias of
        /// 0.02 in any share would push that average far above 1.5).
        @Test func weightedChoiceConvergesToWeights() async {
            let gen = zip(Gen.double(in: 0.05...10).array(of: 2...4), Gen.uint64(in: 0...UInt64.max))
            var zSquares: [Double] = []
            await propertyCheck(count: 100, input: gen) { weights, seed in
                let pool = Array(RT.ai.prefix(weights.count))
                var w: [String: Double] = [:]
                for (id, x) in zip(pool, weights) { w[id] = x }
                var policy = RoutingPolicy(providers: pool, strategy: .weighted(w))
                policy.filters = RoutingPolicy.Filters(rateLimit: false, health: false)
                guard let router = try? RT.router(policy) else { Issue.record("router"); return }
                var d = Decision(seed: seed)
                var counts = [Int](repeating: 0, count: pool.count)
                let n = 2_000
                let request = RouteRequest()
                for _ in 0..<n {
                    router.decide(request, now: 0, into: &d)
                    counts[d.candidates[0].index] += 1
                }
                let total = weights.reduce(0, +)
                for (k, x) in weights.enumerated() {
                    let p = x / total
                    let share = Double(counts[k]) / Double(n)
                    let sd = (p * (1 - p) / Double(n)).squareRoot()
                    #expect(abs(share - p) <= 5 * sd + 1e-9, "\(pool[k]): \(share) vs \(p) of \(weights)")
                    zSquares.append((share - p) * (share - p) / (sd * sd))
                }
            }
            let mean = zSquares.reduce(0, +) / Double(max(1, zSquares.count))
            #expect(mean < 1.5, "mean squared z-score \(mean) over \(zSquares.count) shares")
        }

        /// The mean over arrivals of (max − min) requests in flight across providers.
        struct Imbalance {
            var sum = 0.0
            var samples = 0
            mutating func add(_ load: [Int]) {
                sum += Double(load.max()! - load.min()!)
                samples += 1
            }
            var mean: Double { sum / Double(samples) }
        }

        /// Holding times and arrivals for one simulation, the same for both choosers.
        static func arrivals(seed: UInt64, n: Int, meanHoldMs: Double) -> [(at: Int64, hold: Int64)] {
            var random = SeededRandom(seed: seed).stream("arrivals")
            var t: Int64 = 0
            return (0..<n).map { _ in
                t += RT.ms
                return (t, Int64(random.exponential(rate: 1 / meanHoldMs) * Double(RT.ms)) + 1)
            }
        }

        /// (c) Power of two choices keeps the load more even than a uniformly random choice.
        @Test func powerOfTwoChoicesBeatsRandomOnImbalance() async {
            let gen = zip(Gen.int(in: 2...6), Gen.double(in: 1.5...4), Gen.uint64(in: 0...UInt64.max))
            var ratios: [Double] = []
            await propertyCheck(count: 100, input: gen) { k, perProvider, seed in
                let pool = Array(Self.universe.prefix(k))
                var policy = RoutingPolicy(providers: pool, strategy: .powerOfTwoChoices,
                                           outliers: OutlierEjection(enabled: false))
                policy.filters = RoutingPolicy.Filters(rateLimit: false, health: false)
                guard let router = try? RT.router(policy) else { Issue.record("router"); return }
                // Offered load: one arrival per ms, each held `perProvider × k` ms on average.
                let jobs = Self.arrivals(seed: seed, n: 600, meanHoldMs: perProvider * Double(k))
                // P2C through the router.
                var d = Decision(seed: seed)
                var pending: [(end: Int64, ticket: Ticket)] = []
                var load = [Int](repeating: 0, count: k)
                var p2c = Imbalance()
                for job in jobs {
                    pending.sort { $0.end < $1.end }
                    while let first = pending.first, first.end <= job.at {
                        router.complete(first.ticket, status: .ok, latencyMs: 1, now: first.end)
                        load[first.ticket.index] -= 1
                        pending.removeFirst()
                    }
                    guard let t = router.route(RouteRequest(), now: job.at, into: &d) else {
                        Issue.record("nothing admitted"); return
                    }
                    load[t.index] += 1
                    pending.append((job.at + job.hold, t))
                    p2c.add(load)
                }
                #expect(router.health(now: jobs.last!.at).map(\.inFlight) == load)
                // A uniformly random choice with the same arrivals and holding times.
                var random = SeededRandom(seed: seed).stream("uniform")
                var ends: [(end: Int64, index: Int)] = []
                load = [Int](repeating: 0, count: k)
                var uniform = Imbalance()
                for job in jobs {
                    ends.removeAll { e in
                        if e.end <= job.at { load[e.index] -= 1; return true }
                        return false
                    }
                    let i = Int(random.next() % UInt64(k))
                    load[i] += 1
                    ends.append((job.at + job.hold, i))
                    uniform.add(load)
                }
                #expect(p2c.mean < uniform.mean, "k \(k): p2c \(p2c.mean) vs random \(uniform.mean)")
                ratios.append(p2c.mean / uniform.mean)
            }
            let mean = ratios.reduce(0, +) / Double(max(1, ratios.count))
            #expect(mean < 0.6, "P2C's imbalance is \(mean) of random's on average")
        }

        /// (d) Decisions are a function of the policy, the seed and the sequence of calls.
        @Test func decisionsAreDeterministicGivenTheSeed() async {
            await propertyCheck(count: 100, input: Self.scenarios, Self.requests.array(of: 1...6)) { scenario, requests in
                let policy = scenario.policy
                guard let a = try? RT.router(policy), let b = try? RT.router(policy) else { Issue.record("router"); return }
                var da = Decision(seed: scenario.seed), db = Decision(seed: scenario.seed)
                var random = SeededRandom(seed: scenario.seed).stream("history")
                var now: Int64 = 0
                for step in 0..<60 {
                    now += Int64(random.next() % 300) * RT.ms
                    let r = requests[Int(random.next() % UInt64(requests.count))]
                    let status: RequestStatus = random.bernoulli(0.3) ? .error : .ok
                    let latency = Double(random.next() % 900)
                    let ta = a.route(r, now: now, into: &da)
                    let tb = b.route(r, now: now, into: &db)
                    #expect(ta == tb, "step \(step)")
                    #expect(da.candidates == db.candidates, "step \(step)")
                    #expect(da.dropped == db.dropped && da.rejection == db.rejection && da.panic == db.panic)
                    #expect(da.rule?.name == db.rule?.name && da.selected == db.selected)
                    if let ta, let tb {
                        a.complete(ta, status: status, latencyMs: latency, inputTokens: r.promptTokens,
                                   outputTokens: r.expectedOutputTokens, budgetTag: r.budgetTag, now: now)
                        b.complete(tb, status: status, latencyMs: latency, inputTokens: r.promptTokens,
                                   outputTokens: r.expectedOutputTokens, budgetTag: r.budgetTag, now: now)
                    }
                }
                #expect(a.health(now: now) == b.health(now: now))
                // A different seed is free to differ, but must still be valid.
                var other = Decision(seed: scenario.seed &+ 1)
                a.decide(requests[0], now: now, into: &other)
                Self.check(other, requests[0], policy, router: a, now: now)
            }
        }
    }
}
