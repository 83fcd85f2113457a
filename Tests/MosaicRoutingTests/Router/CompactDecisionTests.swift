import MosaicCore
import MosaicRouting
import Testing

extension RouterSuite {
    /// A compact decision (ranking only, for the simulator) routes and admits exactly as a full one.
    @Suite("Compact decisions")
    struct CompactDecisionTests {
        @Test func compactAndFullDecisionsAdmitTheSameProviders() throws {
            // Two routers with the same policy and history, one deciding with full buffers and one
            // with compact ones: p2c draws, fallback chains, breakers, failures and failovers.
            let policy = RoutingPolicy(
                providers: RT.ai,
                rules: [RoutingRule(name: "big", reason: "long prompts", match: RuleMatch(promptTokensOver: 50_000),
                                    action: RuleAction(route: ["anthropic"], mode: .prefer))],
                strategy: .powerOfTwoChoices, breaker: RT.breaker(failures: 3, open: 2 * RT.s),
                fallbacks: ["openai": ["anthropic", "ollama"], "cohere": ["openai"]])
            let full = try RT.router(policy), compact = try RT.router(policy)
            var a = Decision(seed: 5), b = Decision(seed: 5, compact: true)
            var random = SeededRandom(seed: 9)
            var now: Int64 = 0
            var admitted = Set<Int>()
            for k in 0..<3_000 {
                now += Int64(1 + random.next() % 20_000)
                let request = RouteRequest(tenant: "t", promptTokens: k % 40 == 0 ? 80_000 : 500, expectedOutputTokens: 100,
                                           compliance: k % 7 == 0 ? ComplianceSet([.gdpr]) : [], timestamp: now)
                let ta = full.route(request, now: now, into: &a)
                let tb = compact.route(request, now: now, into: &b)
                #expect(ta?.index == tb?.index && ta?.isProbe == tb?.isProbe)
                #expect(b.candidates.isEmpty && b.dropped.isEmpty)
                #expect(a.selected == b.selected && a.remaining == b.remaining)
                #expect(a.selectedIndex == b.selectedIndex)
                if let s = a.selected {
                    #expect(a.selectedIndex == a.candidates[s].index)
                    #expect(b.selectedPrediction == a.candidates[s].prediction)
                }
                guard var ta, var tb else { continue }
                admitted.insert(ta.index)
                // openai fails for a while: breakers trip and requests fail over.
                var failing = ta.index == 0 && (1_000..<1_400).contains(k)
                var ra = a.remaining, rb = b.remaining
                while failing {
                    full.complete(ta, status: .error, latencyMs: 30, now: now)
                    compact.complete(tb, status: .error, latencyMs: 30, now: now)
                    let na = full.failover(&ra, now: now), nb = compact.failover(&rb, now: now)
                    #expect(na?.index == nb?.index)
                    guard let na, let nb else { break }
                    (ta, tb) = (na, nb)
                    failing = ta.index == 0
                }
                if failing { continue }
                let latency = 100 + Double(random.next() % 900)
                full.complete(ta, status: .ok, latencyMs: latency, now: now)
                compact.complete(tb, status: .ok, latencyMs: latency, now: now)
            }
            #expect(admitted.count == 4)
            #expect(full.health(now: now).map(\.trips) == compact.health(now: now).map(\.trips))
            #expect(full.health(now: now).contains { $0.trips > 0 })
        }

        @Test func aCopiedDecisionKeepsItsRankingWhenTheOriginalDecidesAgain() throws {
            // The ranking and per-provider values are storage that copies share until one of them
            // decides again (copy-on-write by hand): the copy must keep what it had.
            let router = try RT.router(RoutingPolicy(providers: RT.ai, strategy: .powerOfTwoChoices))
            var d = Decision(seed: 3, compact: true)
            var now: Int64 = 0
            var changed = 0
            for _ in 0..<200 {
                now += 1_000
                let request = RouteRequest(tenant: "t", promptTokens: 500, expectedOutputTokens: 100, timestamp: now)
                let first = router.route(request, now: now, into: &d)
                let copy = d
                let (index, remaining, prediction) = (copy.selectedIndex, copy.remaining, copy.selectedPrediction)
                let second = router.route(request, now: now, into: &d)
                #expect(copy.selectedIndex == index && copy.remaining == remaining && copy.selectedPrediction == prediction)
                if d.selectedIndex != index || d.remaining != remaining { changed += 1 }
                for t in [first, second].compactMap({ $0 }) { router.complete(t, status: .ok, latencyMs: 100, now: now) }
            }
            #expect(changed > 0, "the original's later decisions differ, so shared storage would show in the copy")
        }
    }
}
