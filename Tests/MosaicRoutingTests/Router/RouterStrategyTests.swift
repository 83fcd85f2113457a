import Foundation
import MosaicCore
import MosaicRouting
import Testing

extension RouterSuite {
    /// How each strategy ranks what the filters kept; fallback chains and failover.
    @Suite("Router strategies")
    struct StrategyTests {
        static let s = RT.s

        @Test func roundRobinCyclesEvenly() throws {
            let router = try RT.router(RoutingPolicy(providers: RT.ai))
            var d = Decision()
            var primaries: [String] = []
            for _ in 0..<400 {
                router.decide(RouteRequest(), now: 0, into: &d)
                primaries.append(d.primary!.provider)
                // The ranking is the pool rotated so that the primary comes first.
                let k = RT.ai.firstIndex(of: d.primary!.provider)!
                #expect(RT.ids(d) == Array(RT.ai[k...] + RT.ai[..<k]))
                #expect(d.candidates.map(\.score) == [0, 1, 2, 3])
            }
            for id in RT.ai { #expect(primaries.filter { $0 == id }.count == 100) }
            for (a, b) in zip(primaries, primaries.dropFirst()) {
                #expect(RT.ai[(RT.ai.firstIndex(of: a)! + 1) % 4] == b)
            }
            // Among the providers a filter kept, still evenly.
            var counts: [String: Int] = [:]
            for _ in 0..<200 {
                router.decide(RouteRequest(capabilities: ["vision"]), now: 0, into: &d)
                counts[d.primary!.provider, default: 0] += 1
            }
            #expect(counts == ["openai": 100, "anthropic": 100])
        }

        @Test func weightedFollowsWeights() throws {
            let router = try RT.router(RoutingPolicy(providers: RT.ai, strategy: .weighted(["openai": 3, "anthropic": 1, "cohere": 0])))
            var d = Decision(seed: 7)
            var counts: [String: Int] = [:]
            let n = 10_000
            for _ in 0..<n {
                router.decide(RouteRequest(), now: 0, into: &d)
                counts[d.primary!.provider, default: 0] += 1
                // Fallbacks by descending weight, ties in pool order.
                let expected = d.primary!.provider == "openai"
                    ? ["openai", "anthropic", "cohere", "ollama"] : ["anthropic", "openai", "cohere", "ollama"]
                #expect(RT.ids(d) == expected)
            }
            #expect(abs(Double(counts["openai", default: 0]) / Double(n) - 0.75) < 0.02)
            #expect(abs(Double(counts["anthropic", default: 0]) / Double(n) - 0.25) < 0.02)
            #expect(counts["cohere"] == nil && counts["ollama"] == nil, "weight 0: fallback only")
            // When every weighted provider is filtered out, the zero-weight ones still serve.
            let r2 = try RT.router(RoutingPolicy(providers: RT.ai, strategy: .weighted(["openai": 1])))
            r2.decide(RouteRequest(residency: "ca"), now: 0, into: &d)
            #expect(RT.ids(d) == ["cohere"])
        }

        @Test func leastConnectionsPrefersFewerInFlight() throws {
            let pool = ["openai", "anthropic", "cohere"]
            let router = try RT.router(RoutingPolicy(providers: pool, rules: RT.pinRules(pool), strategy: .leastConnections))
            var d = Decision()
            var held: [Ticket] = []
            for _ in 0..<3 { held.append(try #require(router.route(RouteRequest(resource: "pin-openai"), now: 0, into: &d))) }
            held.append(try #require(router.route(RouteRequest(resource: "pin-anthropic"), now: 0, into: &d)))
            #expect(router.health(now: 0).map(\.inFlight) == [3, 1, 0])
            router.decide(RouteRequest(), now: 0, into: &d)
            #expect(RT.ids(d) == ["cohere", "anthropic", "openai"])
            #expect(d.candidates.map(\.score) == [0, 1, 3])
            let t = try #require(router.route(RouteRequest(), now: 0, into: &d))
            #expect(t.provider == "cohere")
            // anthropic and cohere tie at 1: both take turns first, openai stays last.
            var firsts = Set<String>()
            for _ in 0..<6 {
                router.decide(RouteRequest(), now: 0, into: &d)
                firsts.insert(d.primary!.provider)
                #expect(RT.ids(d).last == "openai")
            }
            #expect(firsts == ["anthropic", "cohere"])
            for ticket in held + [t] { router.complete(ticket, status: .ok, latencyMs: 10, now: 1) }
            #expect(router.health(now: 1).map(\.inFlight) == [0, 0, 0])
        }

        @Test func powerOfTwoChoicesPicksTheLessLoaded() throws {
            let two = try RT.router(RoutingPolicy(providers: ["openai", "anthropic"], rules: RT.pinRules(["openai"]),
                                                  strategy: .powerOfTwoChoices))
            var d = Decision(seed: 3)
            for _ in 0..<3 { _ = two.route(RouteRequest(resource: "pin-openai"), now: 0, into: &d) }
            for _ in 0..<100 {
                two.decide(RouteRequest(), now: 0, into: &d)
                #expect(RT.ids(d) == ["anthropic", "openai"])
                #expect(d.candidates.map(\.score) == [0, 3])
            }
            // Three providers: two random ones compete, so the busiest one never wins, and the
            // others each win when drawn together with it.
            let three = try RT.router(RoutingPolicy(providers: ["openai", "anthropic", "cohere"],
                                                    rules: RT.pinRules(["openai"]), strategy: .powerOfTwoChoices))
            for _ in 0..<5 { _ = three.route(RouteRequest(resource: "pin-openai"), now: 0, into: &d) }
            var counts: [String: Int] = [:]
            for _ in 0..<3_000 {
                three.decide(RouteRequest(), now: 0, into: &d)
                counts[d.primary!.provider, default: 0] += 1
                #expect(RT.ids(d).last == "openai")
            }
            #expect(counts["openai"] == nil)
            #expect(abs(Double(counts["anthropic", default: 0]) / 3_000 - 0.5) < 0.05)
        }

        @Test func latencyEWMASharesAmongTheFastAndPutsTheSlowLast() throws {
            let router = try RT.router(RoutingPolicy(providers: RT.ai, rules: RT.pinRules(RT.ai),
                                                     strategy: .latencyEWMA(alpha: 0.5, buffer: 0.5)))
            for (id, ms) in [("openai", 100.0), ("anthropic", 140), ("cohere", 150), ("ollama", 400)] {
                RT.outcome(router, id, .ok, latencyMs: ms, now: 0)
                #expect(RT.health(router, id, now: 0).latencyEWMAms == ms, "the first observation is the EWMA")
            }
            var d = Decision()
            var counts: [String: Int] = [:]
            for _ in 0..<300 {
                router.decide(RouteRequest(), now: 0, into: &d)
                counts[d.primary!.provider, default: 0] += 1
                #expect(RT.ids(d).last == "ollama")
                #expect(Set(RT.ids(d).prefix(3)) == ["openai", "anthropic", "cohere"])
            }
            #expect(counts == ["openai": 100, "anthropic": 100, "cohere": 100])
            // New observations move the EWMA by alpha; failures do not count.
            RT.outcome(router, "openai", .ok, latencyMs: 300, now: 1)
            #expect(RT.health(router, "openai", now: 1).latencyEWMAms == 200)
            RT.outcome(router, "openai", .error, latencyMs: 10_000, now: 2)
            #expect(RT.health(router, "openai", now: 2).latencyEWMAms == 200)
            // Fastest is now anthropic (140): the buffer reaches 210, so openai (200) and cohere
            // share; ollama still last.
            for _ in 0..<30 {
                router.decide(RouteRequest(), now: 3, into: &d)
                #expect(RT.ids(d).last == "ollama")
            }
            RT.outcome(router, "openai", .ok, latencyMs: 400, now: 4)  // EWMA 300: beyond the buffer
            for _ in 0..<30 {
                router.decide(RouteRequest(), now: 5, into: &d)
                #expect(Array(RT.ids(d).suffix(2)) == ["openai", "ollama"], "slower ones follow fastest first")
                #expect(Set(RT.ids(d).prefix(2)) == ["anthropic", "cohere"])
            }
        }

        static func costs() -> [String: ProviderCost] {
            [
                "openai": ProviderCost(inputPerMillion: RT.money("2.50"), outputPerMillion: RT.money("10.00")),
                "anthropic": ProviderCost(inputPerMillion: RT.money("3.00"), outputPerMillion: RT.money("15.00")),
                "cohere": ProviderCost(inputPerMillion: RT.money("0.15"), outputPerMillion: RT.money("0.60")),
            ]
        }

        @Test func costFirstOrdersByExactCost() throws {
            let router = try RT.router(RoutingPolicy(providers: RT.ai, strategy: .costFirst, costs: Self.costs()))
            var d = Decision()
            router.decide(RouteRequest(promptTokens: 1_000, expectedOutputTokens: 500), now: 0, into: &d)
            #expect(RT.ids(d) == ["ollama", "cohere", "openai", "anthropic"])
            let expected = [0, 0.00045, 0.0075, 0.0105]
            for (c, e) in zip(d.candidates, expected) {
                #expect(abs(c.costUSD - e) < 1e-15)
                #expect(c.score == c.costUSD)
            }
            // Output-heavy requests can reorder: 10 in, 10,000 out.
            router.decide(RouteRequest(promptTokens: 10, expectedOutputTokens: 10_000), now: 0, into: &d)
            #expect(RT.ids(d) == ["ollama", "cohere", "openai", "anthropic"])
            // Per-request prices count too.
            var costs = Self.costs()
            costs["ollama"] = ProviderCost(perRequest: RT.money("0.01"))
            let r2 = try RT.router(RoutingPolicy(providers: RT.ai, strategy: .costFirst, costs: costs))
            r2.decide(RouteRequest(promptTokens: 1_000, expectedOutputTokens: 500), now: 0, into: &d)
            #expect(RT.ids(d) == ["cohere", "openai", "ollama", "anthropic"])
        }

        /// Cost decides; latency only breaks ties, however small the cost difference.
        @Test func costFirstBreaksOnlyTiesByLatency() throws {
            let costs = ["openai": ProviderCost(perRequest: RT.money("0.000000001")),
                         "anthropic": ProviderCost(perRequest: RT.money("0.000000001"))]
            let router = try RT.router(RoutingPolicy(providers: ["openai", "anthropic", "cohere", "ollama"],
                                                     rules: RT.pinRules(RT.ai), strategy: .costFirst, costs: costs))
            for (id, ms) in [("openai", 100.0), ("anthropic", 50), ("cohere", 9_000), ("ollama", 8_000)] {
                RT.outcome(router, id, .ok, latencyMs: ms, now: 0)
            }
            var d = Decision()
            router.decide(RouteRequest(), now: 0, into: &d)
            // Free first (faster free first), then the paid ones, faster first.
            #expect(RT.ids(d) == ["ollama", "cohere", "anthropic", "openai"])
        }

        // MARK: - Model utility

        static func metrics() -> ProviderMetrics {
            ProviderMetrics(trainRows: 0, testRows: 0, latencyRMSE: 0, latencyMAE: 0, latencyR2: 0, tailCoverage: 0,
                            tailPinballLoss: 0, failureLogLoss: 0, failureAUC: nil, failureBrier: 0, failureRate: 0,
                            calibration: [])
        }

        static func spec() throws -> FeatureSpec {
            try FeatureSpec(features: [.numeric(.inputTokens, transform: .identity, mean: 0, scale: 1_000)])
        }

        /// A head: ln latency = ln(ms) + 0.05·(tokens/1000), tail likewise, a constant failure logit.
        static func head(_ id: String, ms: Double, tailMs: Double, pFail: Double) throws -> ProviderModel {
            ProviderModel(provider: id, models: [id], rows: 100, featureSpec: try spec(),
                          logLatency: LinearHead(intercept: log(ms), coefficients: [0.05]),
                          logLatencyResidualVariance: 0.04, tailQuantile: 0.95,
                          logLatencyTail: LinearHead(intercept: log(tailMs), coefficients: [0.05]),
                          failure: LinearHead(intercept: log(pFail / (1 - pFail)), coefficients: [0]),
                          metrics: metrics())
        }

        static func model(quality: QualityModel? = nil) throws -> RoutingModel {
            RoutingModel(version: 1, createdAt: "2025-01-01T00:00:00Z", trainingWindow: .init(from: "a", to: "b"),
                         rows: 400, dataFingerprint: "test", validation: "none",
                         providers: [try head("openai", ms: 300, tailMs: 600, pFail: 0.02),
                                     try head("anthropic", ms: 500, tailMs: 900, pFail: 0.01),
                                     try head("cohere", ms: 200, tailMs: 2_000, pFail: 0.05)],
                         quality: quality)
        }

        static func sigmoid(_ z: Double) -> Double { z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)) }

        @Test func modelUtilityScoresAreTheFormula() throws {
            let lambda = 10.0, mu = 0.5
            let quality = ["openai": 0.95, "anthropic": 1.0, "cohere": 0.99, "ollama": 0.6]
            let policy = RoutingPolicy(providers: RT.ai, strategy: .modelUtility(lambda: lambda, mu: mu),
                                       costs: Self.costs(), quality: quality, defaultLatencyMs: 1_000)
            let router = try RT.router(policy, model: try Self.model())
            let tokens = 2_000, output = 500
            let x = Double(tokens) / 1_000
            func expected(_ id: String) -> (score: Double, latency: Double, tail: Double, p: Double) {
                let heads: [String: (Double, Double, Double)] = ["openai": (300, 600, 0.02), "anthropic": (500, 900, 0.01),
                                                                  "cohere": (200, 2_000, 0.05)]
                let latency: Double, tail: Double, p: Double
                if let (ms, tailMs, pFail) = heads[id] {
                    let m = log(ms) + x * 0.05
                    latency = exp(m + 0.04 / 2)
                    tail = exp(max(log(tailMs) + x * 0.05, m))
                    p = Self.sigmoid(log(pFail / (1 - pFail)))
                } else {
                    latency = 1_000; tail = 2_000; p = 0  // no head: the default latency, no failures seen
                }
                let c = Self.costs()[id]
                let cost = c.map { ($0.inputPerMillion.doubleValue * Double(tokens) + $0.outputPerMillion.doubleValue * Double(output)) * 1e-6 } ?? 0
                return (quality[id]! * (1 - p) - lambda * cost - mu * latency / 1_000, latency, tail, p)
            }
            var d = Decision()
            // Without an SLO: by utility alone.
            router.decide(RouteRequest(promptTokens: tokens, expectedOutputTokens: output), now: 0, into: &d)
            #expect(RT.ids(d) == ["cohere", "openai", "anthropic", "ollama"])
            for c in d.candidates {
                let e = expected(c.provider)
                #expect(abs(c.score - e.score) <= 1e-12, "\(c.provider): \(c.score) vs \(e.score)")
                #expect(abs(c.prediction.expectedLatencyMs - e.latency) <= 1e-9)
                #expect(abs(c.prediction.tailLatencyMs - e.tail) <= 1e-9)
                #expect(abs(c.prediction.failureProbability - e.p) <= 1e-15)
                #expect(!c.missesSLO)
            }
            #expect(d.candidates.map(\.score) == d.candidates.map(\.score).sorted(by: >))
            // A 1 s SLO on the tail: cohere (tail ≈ 2.2 s) and ollama (2 s) go last, still by utility.
            router.decide(RouteRequest(promptTokens: tokens, expectedOutputTokens: output, latencySLOMs: 1_000),
                          now: 0, into: &d)
            #expect(RT.ids(d) == ["openai", "anthropic", "cohere", "ollama"])
            #expect(d.candidates.map(\.missesSLO) == [false, false, true, true])
            #expect(d.candidates[2].score > d.candidates[0].score, "the SLO outranks utility")
            for c in d.candidates { #expect(abs(c.score - expected(c.provider).score) <= 1e-12) }
        }

        /// With `adapt`, what attempts take corrects the head: a provider whose attempts take 4×
        /// its prediction falls behind, the decision still reports the head's prediction, and
        /// after a quiet spell the correction fades. Without it nothing moves.
        @Test func modelUtilityAdaptsToWhatAttemptsTake() throws {
            let quality = ["openai": 1.0, "anthropic": 1.0, "cohere": 1.0, "ollama": 1.0]
            let request = RouteRequest(promptTokens: 1_000, expectedOutputTokens: 100)
            for adapt in [0.0, 0.5] {
                let policy = RoutingPolicy(providers: RT.ai, strategy: .modelUtility(lambda: 0, mu: 1, adapt: adapt),
                                           quality: quality, defaultLatencyMs: 1_000)
                let router = try RT.router(policy, model: try Self.model())
                var d = Decision()
                router.decide(request, now: 0, into: &d)
                #expect(RT.ids(d) == ["cohere", "openai", "anthropic", "ollama"])
                let headMs = try #require(d.candidates.first).prediction.expectedLatencyMs
                var now: Int64 = 0
                for _ in 0..<8 {
                    let ticket = try #require(router.route(request, now: now, into: &d))
                    let head = try #require(d.candidates.first { $0.provider == ticket.provider }).prediction.expectedLatencyMs
                    #expect(ticket.predictedMs == (adapt > 0 ? head : 0))
                    now += RoutingTime.second
                    router.complete(ticket, status: .ok, latencyMs: (ticket.provider == "cohere" ? 4 : 1) * head, now: now)
                }
                router.decide(request, now: now, into: &d)
                #expect(RT.ids(d).first == (adapt > 0 ? "openai" : "cohere"), "adapt \(adapt)")
                let cohere = try #require(d.candidates.first { $0.provider == "cohere" })
                #expect(abs(cohere.prediction.expectedLatencyMs - headMs) < 1e-9, "the head's own prediction is reported")
                // Ten minutes without an attempt: the correction has faded to about 1.
                router.decide(request, now: now + 600 * RoutingTime.second, into: &d)
                #expect(RT.ids(d).first == "cohere")
            }
        }

        /// The quality model scores the weak provider as P(weak good enough) × the strong one's
        /// quality, whether or not the strong one survived the filters.
        @Test func qualityModelScoresTheWeakProvider() throws {
            let spec = try Self.spec()
            let z = 0.4
            let q = QualityModel(
                dataset: "test", labelStrong: "strong", labelWeak: "weak",
                strong: .init(provider: "openai", model: "gpt-4o"), weak: .init(provider: "ollama", model: "llama"),
                featureSpec: spec, head: LinearHead(intercept: z, coefficients: [0]),
                metrics: .init(testRows: 0, split: "none", strongAccuracy: 0, weakAccuracy: 0, apgr: 0, randomAPGR: 0,
                               cpt50: 0, cpt80: 0, logLoss: 0, auc: nil))
            let policy = RoutingPolicy(providers: RT.ai, strategy: .modelUtility(lambda: 0, mu: 0),
                                       tenants: ["no-openai": TenantPolicy(deny: ["openai"])],
                                       quality: ["openai": 0.9, "ollama": 0.3])
            let router = try RT.router(policy, model: try Self.model(quality: q))
            let weak = Self.sigmoid(z) * 0.9
            for tenant in ["any", "no-openai", "any"] {
                var d = Decision()
                router.decide(RouteRequest(tenant: tenant, text: "write a haiku"), now: 0, into: &d)
                let ollama = try #require(d.candidates.first { $0.provider == "ollama" })
                #expect(abs(ollama.score - weak) <= 1e-12, "\(tenant): \(ollama.score) vs \(weak)")
                // The decision says what the head made of the prompt.
                #expect(d.weakGoodEnough == Self.sigmoid(z))
            }
            // Without the prompt text the policy's own quality applies, and the head was not asked.
            var d = Decision()
            router.decide(RouteRequest(), now: 0, into: &d)
            #expect(d.candidates.first { $0.provider == "ollama" }?.score == 0.3)
            #expect(d.weakGoodEnough == nil)
            // Nor is it by a strategy that does not weigh quality.
            let cheapest = try RT.router(RoutingPolicy(providers: RT.ai, strategy: .costFirst, quality: ["openai": 0.9, "ollama": 0.3]),
                                         model: try Self.model(quality: q))
            cheapest.decide(RouteRequest(text: "write a haiku"), now: 0, into: &d)
            #expect(d.weakGoodEnough == nil && !d.candidates.isEmpty)
        }

        // MARK: - Fallbacks and failover

        @Test func fallbackChainFollowsThePrimary() throws {
            let router = try RT.router(RoutingPolicy(providers: RT.ai, fallbacks: ["openai": ["ollama", "anthropic"]]))
            var d = Decision()
            var sawOpenAI = false
            for _ in 0..<8 {
                router.decide(RouteRequest(), now: 0, into: &d)
                if d.primary?.provider == "openai" {
                    sawOpenAI = true
                    #expect(RT.ids(d) == ["openai", "ollama", "anthropic", "cohere"])
                    #expect(d.candidates.map(\.placement) == [
                        .strategy("round_robin"), .fallback(of: "openai"), .fallback(of: "openai"), .strategy("round_robin"),
                    ])
                } else {
                    #expect(!d.candidates.contains { if case .fallback = $0.placement { true } else { false } })
                }
            }
            #expect(sawOpenAI)
            // A fallback a filter dropped is skipped; the rest of the chain stays.
            for _ in 0..<4 {
                router.decide(RouteRequest(capabilities: ["code"]), now: 0, into: &d)  // cohere lacks code
                if d.primary?.provider == "openai" {
                    #expect(RT.ids(d) == ["openai", "ollama", "anthropic"])
                }
            }
            // A rule that places providers replaces the chain.
            let prefer = RoutingRule(name: "p", reason: "test", match: RuleMatch(operation: GlobPattern("chat")),
                                     action: RuleAction(route: ["openai"], mode: .prefer))
            let r2 = try RT.router(RoutingPolicy(providers: RT.ai, rules: [prefer], fallbacks: ["openai": ["ollama"]]))
            r2.decide(RouteRequest(operation: "chat"), now: 0, into: &d)
            #expect(d.candidates[0].placement == .rule(name: "p"))
            #expect(d.candidates.dropFirst().allSatisfy { $0.placement == .strategy("round_robin") })
        }

        @Test func failoverAdmitsTheNextCandidate() throws {
            let router = try RT.chatInFixedOrder()
            var d = Decision()
            let first = try #require(router.route(RouteRequest(operation: "chat"), now: 0, into: &d))
            #expect(first.provider == "openai" && d.selected == 0)
            #expect(RT.ids(d) == ["openai", "anthropic", "cohere", "ollama"])
            router.complete(first, status: .error, latencyMs: 10, now: 1)
            // Someone else takes anthropic's only token: the failover skips it.
            #expect(RT.outcome(router, "anthropic", .ok, now: 1) != nil)
            let second = try #require(router.failover(&d, now: 2))
            #expect(second.provider == "cohere" && d.selected == 2)
            #expect(RT.health(router, "cohere", now: 2).inFlight == 1)
            let third = try #require(router.failover(&d, now: 3))
            #expect(third.provider == "ollama" && d.selected == 3)
            #expect(router.failover(&d, now: 4) == nil)
            #expect(d.selected == nil)
            #expect(router.failover(&d, now: 4) == nil, "nothing selected: nothing to fail over from")
            router.complete(second, status: .ok, latencyMs: 10, now: 5)
            router.complete(third, status: .cancelled, latencyMs: 10, now: 5)
            #expect(router.health(now: 5).allSatisfy { $0.inFlight == 0 })
        }
    }
}
