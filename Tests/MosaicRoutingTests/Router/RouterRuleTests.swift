import MosaicCore
import MosaicRouting
import Testing

extension RouterSuite {
    /// Ordered rules: the first that matches applies; `only`, `prefer` and `exclude`.
    @Suite("Router rules")
    struct RuleTests {
        static func only(_ name: String, _ match: RuleMatch, _ route: [String], reason: String = "") -> RoutingRule {
            RoutingRule(name: name, reason: reason.isEmpty ? "\(name) reason" : reason, match: match,
                        action: RuleAction(route: route, mode: .only))
        }

        static let gitRules: [RoutingRule] = [
            only("internal", RuleMatch(resource: GlobPattern("internal-*")), ["gitea"],
                 reason: "internal repositories stay on-prem"),
            only("oss", RuleMatch(resource: GlobPattern("oss-*")), ["github"]),
            only("client", RuleMatch(resource: GlobPattern("client-*")), ["gitlab"]),
        ]

        @Test func gitResourcesRouteByPrefix() throws {
            let router = try RT.router(RoutingPolicy(providers: RT.git, rules: Self.gitRules))
            var d = Decision()
            for (resource, target, rule) in [("internal-billing", "gitea", "internal"), ("oss-mosaic", "github", "oss"),
                                              ("client-acme", "gitlab", "client")] {
                router.decide(RouteRequest(operation: "clone", resource: resource), now: 0, into: &d)
                #expect(RT.ids(d) == [target], "\(resource)")
                #expect(d.rule?.name == rule)
                #expect(d.candidates.first?.placement == .rule(name: rule))
                #expect(d.dropped.count == 3)
                for drop in d.dropped { #expect(drop.reason == .notInRule(name: rule)) }
            }
            router.decide(RouteRequest(operation: "clone", resource: "internal-billing"), now: 0, into: &d)
            #expect(d.rule?.reason == "internal repositories stay on-prem")
            // No rule matches: all four, ranked by the strategy, no rule reported.
            router.decide(RouteRequest(operation: "clone", resource: "experiments"), now: 0, into: &d)
            #expect(d.rule == nil)
            #expect(Set(RT.ids(d)) == Set(RT.git))
            #expect(d.candidates.allSatisfy { $0.placement == .strategy("round_robin") })
            // The glob must match the whole resource.
            router.decide(RouteRequest(operation: "clone", resource: "my-internal-x"), now: 0, into: &d)
            #expect(d.rule == nil)
        }

        @Test func firstMatchingRuleWins() throws {
            let specific = Self.only("billing", RuleMatch(resource: GlobPattern("internal-billing*")), ["bitbucket"])
            var d = Decision()
            let request = RouteRequest(resource: "internal-billing-api")
            let a = try RT.router(RoutingPolicy(providers: RT.git, rules: [specific] + Self.gitRules))
            a.decide(request, now: 0, into: &d)
            #expect(d.rule?.name == "billing" && RT.ids(d) == ["bitbucket"])
            let b = try RT.router(RoutingPolicy(providers: RT.git, rules: Self.gitRules + [specific]))
            b.decide(request, now: 0, into: &d)
            #expect(d.rule?.name == "internal" && RT.ids(d) == ["gitea"])
            // Every condition of a rule must hold.
            let both = Self.only("both", RuleMatch(tenant: GlobPattern("acme"), resource: GlobPattern("internal-*")), ["github"])
            let c = try RT.router(RoutingPolicy(providers: RT.git, rules: [both] + Self.gitRules))
            c.decide(RouteRequest(tenant: "acme", resource: "internal-x"), now: 0, into: &d)
            #expect(d.rule?.name == "both")
            c.decide(RouteRequest(tenant: "beta", resource: "internal-x"), now: 0, into: &d)
            #expect(d.rule?.name == "internal")
        }

        @Test func longPromptsPreferAnthropic() throws {
            let rule = RoutingRule(name: "long-prompt", reason: "200k context",
                                   match: RuleMatch(promptTokensOver: 100_000),
                                   action: RuleAction(route: ["anthropic"], mode: .prefer))
            let router = try RT.router(RoutingPolicy(providers: RT.ai, rules: [rule]))
            var d = Decision()
            for _ in 0..<8 {  // whatever the round-robin position
                router.decide(RouteRequest(promptTokens: 100_001), now: 0, into: &d)
                #expect(d.rule?.name == "long-prompt")
                #expect(RT.ids(d).first == "anthropic")
                #expect(d.candidates.first?.placement == .rule(name: "long-prompt"))
                #expect(Set(RT.ids(d)) == Set(RT.ai), "prefer keeps the others")
                #expect(d.candidates.dropFirst().allSatisfy { $0.placement == .strategy("round_robin") })
            }
            // Exactly 100,000 is not over.
            var primaries = Set<String>()
            for _ in 0..<8 {
                router.decide(RouteRequest(promptTokens: 100_000), now: 0, into: &d)
                #expect(d.rule == nil)
                primaries.insert(d.primary!.provider)
            }
            #expect(primaries == Set(RT.ai))
            // A preferred provider that a filter dropped is not brought back.
            router.decide(RouteRequest(promptTokens: 150_000, expectedOutputTokens: 60_000), now: 0, into: &d)
            #expect(RT.ids(d) == ["ollama"])
            #expect(d.rule?.name == "long-prompt")
        }

        @Test func strictPrivacyTagGoesToOllamaOnly() throws {
            let rule = Self.only("strict-privacy", RuleMatch(tag: GlobPattern("strict-privacy")), ["ollama"])
            let router = try RT.router(RoutingPolicy(providers: RT.ai, rules: [rule]))
            var d = Decision()
            router.decide(RouteRequest(tags: ["team-a", "strict-privacy"]), now: 0, into: &d)
            #expect(RT.ids(d) == ["ollama"])
            #expect(d.dropped.map(\.reason) == Array(repeating: .notInRule(name: "strict-privacy"), count: 3))
            // Only-rules do not fall back to others: when ollama is down, nothing is left.
            router.decide(RouteRequest(capabilities: ["vision"], tags: ["strict-privacy"]), now: 0, into: &d)
            #expect(d.candidates.isEmpty)
            #expect(router.route(RouteRequest(capabilities: ["vision"], tags: ["strict-privacy"]), now: 0, into: &d) == nil)
            router.decide(RouteRequest(tags: ["privacy"]), now: 0, into: &d)
            #expect(d.rule == nil && d.candidates.count == 4)
        }

        @Test func hoursRuleWrapsPastMidnight() throws {
            let night = RoutingRule(name: "night", reason: "batch window",
                                    match: RuleMatch(hours: MinuteRange(start: 22 * 60, end: 6 * 60)),
                                    action: RuleAction(route: ["ollama"], mode: .prefer))
            let office = RoutingRule(name: "office", reason: "test",
                                     match: RuleMatch(hours: MinuteRange(start: 9 * 60, end: 17 * 60 + 30)),
                                     action: RuleAction(route: ["openai"], mode: .prefer))
            let router = try RT.router(RoutingPolicy(providers: RT.ai, rules: [night, office]))
            var d = Decision()
            func rule(_ h: Int, _ m: Int, day: Int = 15) -> String? {
                router.decide(RouteRequest(timestamp: RT.utc(2025, 1, day, h, m)), now: 0, into: &d)
                return d.rule?.name
            }
            #expect(rule(22, 0) == "night")
            #expect(rule(23, 59) == "night")
            #expect(rule(0, 0, day: 16) == "night")
            #expect(rule(5, 59) == "night")
            #expect(rule(6, 0) == nil)
            #expect(rule(21, 59) == nil)
            #expect(rule(9, 0) == "office")
            #expect(rule(17, 29) == "office")
            #expect(rule(17, 30) == nil)
            _ = rule(23, 30)
            #expect(RT.ids(d).first == "ollama" && d.candidates.count == 4)
            // Times before the epoch still use the UTC time of day.
            router.decide(RouteRequest(timestamp: -30 * RoutingTime.minute), now: 0, into: &d)  // 23:30 on 1969-12-31
            #expect(d.rule?.name == "night")
        }

        @Test func excludeRemovesProviders() throws {
            let rule = RoutingRule(name: "no-cohere-embeddings", reason: "quality",
                                   match: RuleMatch(operation: GlobPattern("embed*")),
                                   action: RuleAction(exclude: ["cohere", "ollama"]))
            let router = try RT.router(RoutingPolicy(providers: RT.ai, rules: [rule]))
            var d = Decision()
            router.decide(RouteRequest(operation: "embedding"), now: 0, into: &d)
            #expect(d.rule?.name == "no-cohere-embeddings" && d.rule?.reason == "quality")
            #expect(Set(RT.ids(d)) == ["openai", "anthropic"])
            #expect(RT.dropReason(d, "cohere") == .excludedByRule(name: "no-cohere-embeddings"))
            #expect(RT.dropReason(d, "ollama") == .excludedByRule(name: "no-cohere-embeddings"))
            #expect(d.candidates.allSatisfy { $0.placement == .strategy("round_robin") })
            // Prefer plus exclude.
            let both = RoutingRule(name: "both", reason: "test", match: RuleMatch(operation: GlobPattern("chat")),
                                   action: RuleAction(route: ["cohere"], mode: .prefer, exclude: ["openai"]))
            let r2 = try RT.router(RoutingPolicy(providers: RT.ai, rules: [both]))
            r2.decide(RouteRequest(operation: "chat"), now: 0, into: &d)
            #expect(RT.ids(d).first == "cohere" && !RT.ids(d).contains("openai") && d.candidates.count == 3)
            #expect(RT.dropReason(d, "openai") == .excludedByRule(name: "both"))
        }

        @Test func onlyRuleKeepsItsOrder() throws {
            let rule = Self.only("order", RuleMatch(operation: GlobPattern("chat")), ["ollama", "cohere", "openai"])
            let router = try RT.router(RoutingPolicy(providers: RT.ai, rules: [rule], strategy: .leastConnections))
            var d = Decision()
            for _ in 0..<5 {
                router.decide(RouteRequest(operation: "chat"), now: 0, into: &d)
                #expect(RT.ids(d) == ["ollama", "cohere", "openai"])
                #expect(d.candidates.allSatisfy { $0.placement == .rule(name: "order") })
            }
            // The rule's order survives the strategy's ranking and filters keep their say.
            router.decide(RouteRequest(operation: "chat", capabilities: ["function_calling"]), now: 0, into: &d)
            #expect(RT.ids(d) == ["cohere", "openai"])
            #expect(RT.dropReason(d, "ollama") == .missingCapability("function_calling"))
            #expect(RT.dropReason(d, "anthropic") == .notInRule(name: "order"))
        }

        @Test func ruleMatchConditions() {
            let r = RouteRequest(tenant: "acme", operation: "chat", modelFamily: "gpt-4o", resource: "repo",
                                 region: "eu", promptTokens: 500, compliance: ComplianceSet([.gdpr, .hipaa]),
                                 capabilities: ["vision"], budgetTag: "team-a", tags: ["x", "y"])
            #expect(r.matches(RuleMatch()))
            #expect(r.matches(RuleMatch(modelFamily: GlobPattern("gpt-*"), region: GlobPattern("e?"))))
            #expect(!r.matches(RuleMatch(region: GlobPattern("us"))))
            #expect(r.matches(RuleMatch(budgetTag: GlobPattern("team-*"))))
            #expect(!RouteRequest().matches(RuleMatch(budgetTag: GlobPattern("*"))), "no tag never matches a tag pattern")
            #expect(r.matches(RuleMatch(tag: GlobPattern("y"))) && !r.matches(RuleMatch(tag: GlobPattern("z"))))
            #expect(r.matches(RuleMatch(promptTokensAtMost: 500)) && !r.matches(RuleMatch(promptTokensAtMost: 499)))
            #expect(r.matches(RuleMatch(promptTokensOver: 499)) && !r.matches(RuleMatch(promptTokensOver: 500)))
            #expect(r.matches(RuleMatch(compliance: ComplianceSet(.hipaa))))
            #expect(!r.matches(RuleMatch(compliance: ComplianceSet([.hipaa, .soc2]))))
            #expect(r.matches(RuleMatch(capability: "vision")) && !r.matches(RuleMatch(capability: "code")))
        }
    }
}
