import Foundation
import MosaicCore
import MosaicRouting
@testable import MosaicServer
import MosaicStore
import MosaicTestSupport
import Testing

/// The lease refiller alone, against PostgreSQL, on a clock moved by hand (each pass is called
/// where the router's wake-up or the refill period would call it): a budget whose lease is
/// smaller than one request.
@Suite("fleet member: leases", .serialized, .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.skipReason)))
struct FleetMemberTests {
    static let hour = 3_600 * RoutingTime.second

    static func member(_ instance: String, db: String, limits: SharedLimits, clock: ManualClock) -> FleetMember {
        FleetMember(url: db, limits: limits, instance: instance, options: FleetOptions(), logger: Fixture.logger,
                    clock: { clock.now })
    }

    /// $0.10 an hour leases $0.003125 at a time (1/32), less than one request ($0.0045) but more
    /// than half of it. Three routers take requests in turn, a refill pass before each: each
    /// router's first request finds one lease and is refused, and from then on every request is
    /// admitted while the budget lasts (22 × $0.0045 = $0.099), none refused in between.
    @Test func aBudgetLeaseSmallerThanOneRequestGrowsToFitIt() throws {
        let db = try PostgresServer.database("smallbudget")
        let cost = ProviderCost(inputPerMillion: try Money(parsing: "2.50"), outputPerMillion: try Money(parsing: "10.00"))
        let policy = RoutingPolicy(providers: ["openai"], strategy: .weighted(["openai": 1]),
                                   budgets: ["bx": BudgetPolicy(limit: try Money(parsing: "0.10"), period: .hour)],
                                   costs: ["openai": cost])
        let clock = ManualClock()
        let leases = try FleetLeases(store: Store(path: db.location))
        let routers = try (0..<3).map { k in
            let limits = SharedLimits()
            let router = try Router(policy: policy, catalog: .default, now: clock.now, sharedLimits: limits)
            return (router, Self.member("r\(k)", db: db.location, limits: limits, clock: clock))
        }
        let request = RouteRequest(tenant: "t", promptTokens: 1000, expectedOutputTokens: 200, budgetTag: "bx")
        var d = Decision()
        var admitted: [Bool] = []
        for k in 0..<60 {
            let (router, member) = routers[k % 3]
            member.refill(leases)
            let t = router.route(request, now: clock.now, into: &d)
            if let t {
                router.complete(t, status: .ok, latencyMs: 300, inputTokens: 1000, outputTokens: 200, budgetTag: "bx", now: clock.now)
            }
            admitted.append(t?.provider == "openai")
            clock.advance(200_000)
        }
        #expect(admitted == [false, false, false] + Array(repeating: true, count: 22) + Array(repeating: false, count: 35),
                "admitted \(admitted.map { $0 ? "1" : "0" }.joined())")
        let state = try #require(try leases.state(key: "budget:bx", windowStart: clock.now / Self.hour * Self.hour))
        #expect(state.taken <= state.capacity)
    }
}
