import Foundation
import MosaicCore
import MosaicRouting
import Testing

extension RouterSuite {
    /// The compact list of remaining candidates a decision hands to callers that keep it per request.
    @Suite("Failover candidates")
    struct FailoverCandidatesTests {
        @Test func theRemainingCandidatesFollowTheAdmittedOne() throws {
            let router = try RT.chatInFixedOrder()
            var d = Decision()
            let first = try #require(router.route(RouteRequest(operation: "chat"), now: 0, into: &d))
            #expect(first.provider == "openai")
            var remaining = d.remaining
            #expect(remaining.count == 3)
            #expect(remaining.contains(d.candidates[1].index) && !remaining.contains(d.candidates[0].index))
            // The buffer moves on to another request; the list stays.
            router.decide(RouteRequest(operation: "embedding"), now: 0, into: &d)
            router.complete(first, status: .error, latencyMs: 10, now: 1)
            // Someone else takes anthropic's only token: the failover skips it, as Router.failover(&decision) does.
            #expect(RT.outcome(router, "anthropic", .ok, now: 1) != nil)
            let second = try #require(router.failover(&remaining, now: 2))
            #expect(second.provider == "cohere")
            #expect(remaining.count == 1)
            let third = try #require(router.failover(&remaining, now: 3))
            #expect(third.provider == "ollama")
            #expect(remaining.isEmpty)
            #expect(router.failover(&remaining, now: 4) == nil)
            router.complete(second, status: .ok, latencyMs: 10, now: 5)
            router.complete(third, status: .cancelled, latencyMs: 10, now: 5)
            #expect(router.health(now: 5).allSatisfy { $0.inFlight == 0 })
        }

        @Test func noAdmittedCandidateLeavesTheWholeRanking() throws {
            let router = try RT.router(RoutingPolicy(providers: RT.ai))
            var d = Decision()
            router.decide(RouteRequest(), now: 0, into: &d)
            #expect(d.selected == nil)
            var remaining = d.remaining
            var order: [Int] = []
            while let i = remaining.popFirst() { order.append(i) }
            #expect(order == d.candidates.map(\.index))
        }

        @Test func itKeepsAtMostEightCandidates() throws {
            let pool = (0..<12).map { "p\($0)" }
            let catalog = try Catalog(yaml: "version: 1\nproviders:\n" + pool.map {
                "  - {id: \($0), name: \($0), kind: ai, regions: [us], self_hosted: false}\n"
            }.joined(), source: "twelve.yaml")
            let router = try Router(policy: RoutingPolicy(providers: pool), catalog: catalog, model: nil, now: 0)
            var d = Decision()
            _ = try #require(router.route(RouteRequest(), now: 0, into: &d))
            #expect(d.candidates.count == 12)
            var remaining = d.remaining
            #expect(remaining.count == FailoverCandidates.capacity)
            var order: [Int] = []
            while let i = remaining.popFirst() { order.append(i) }
            #expect(order == Array(d.candidates[1...8].map(\.index)))
        }
    }
}
