import Foundation
import MosaicCore
import MosaicRouting
@testable import MosaicServer
import MosaicStore
import MosaicTestSupport
import Testing

/// The lease refiller alone, against PostgreSQL, on a clock moved by hand (each pass is called
/// where the router's wake-up or the refill period would call it): a budget whose lease is
/// smaller than one request, and a lease the store expired while its router was cut off.
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

    /// Router a is cut off from the store for longer than the lease TTL while it admits three
    /// requests; b's sweep expires a's lease and gives back its unused part by a's last report.
    /// Once a reaches the store again it drops what it had left, leases again with the three
    /// unreported requests counted, and admits from the new lease. Given back at the end, the
    /// window's `taken` is exactly what the two routers admitted.
    @Test func aLeaseLostWhileCutOffIsTakenAgainWithTheUnreportedUse() throws {
        let db = try PostgresServer.database("lostlease")
        let clock = ManualClock()
        let start = clock.now / Self.hour * Self.hour
        let leases = try FleetLeases(store: Store(path: db.location))
        let key = SharedLimits.Key(.quota, "q1"), limit = Money(whole: 300), one = Money(whole: 1)
        let a = SharedLimits(), b = SharedLimits()
        let memberA = Self.member("a", db: db.location, limits: a, clock: clock)
        let memberB = Self.member("b", db: db.location, limits: b, clock: clock)
        func take(_ limits: SharedLimits, _ n: Int) -> Int {
            (0..<n).filter { _ in limits.take(key, amount: one, limit: limit, window: Self.hour, now: clock.now) }.count
        }
        func left(_ limits: SharedLimits) -> Money? { limits.demands(now: clock.now, prefetch: 0).first?.left }
        _ = a.remaining(key, limit: limit, window: Self.hour, now: clock.now)
        _ = b.remaining(key, limit: limit, window: Self.hour, now: clock.now)
        memberA.refill(leases)
        memberB.refill(leases)                       // a lease of 9 (300/32) each
        #expect(take(a, 5) == 5 && take(b, 2) == 2)
        clock.advance(2 * RoutingTime.second)
        memberA.refill(leases)                       // 4 left: tops up to 9 and reports 5 used
        #expect(left(a) == Money(whole: 9))

        // Cut off: a admits 3 more from what it holds; nobody hears of them.
        #expect(take(a, 3) == 3)
        clock.advance(6 * RoutingTime.second)        // past the lease TTL (5 s)
        memberB.refill(leases)                       // b renews, and sweeps a's expired lease
        var state = try #require(try leases.state(key: "quota:q1", windowStart: start))
        #expect(state.leases.keys.sorted() == ["b"])
        #expect(state.taken == Money(whole: 14), "b's 9 leased and a's 5 reported")

        // a reaches the store again: its lease is gone, and what it had left with it.
        memberA.refill(leases)
        #expect(left(a) == Money.zero - Money(whole: 3), "the 3 unreported are owed to the next lease")
        #expect(take(a, 1) == 0)
        memberA.refill(leases)                       // leases the 3 owed and a lease of 9
        state = try #require(try leases.state(key: "quota:q1", windowStart: start))
        #expect(state.leases["a"]?.amount == Money(whole: 12) && state.leases["a"]?.used == Money(whole: 3))
        #expect(state.taken == Money(whole: 26))
        #expect(take(a, 10) == 9, "a admits from the new lease")

        clock.advance(2 * RoutingTime.second)
        memberA.refill(leases)
        memberB.refill(leases)
        try leases.release(instance: "a")
        try leases.release(instance: "b")
        state = try #require(try leases.state(key: "quota:q1", windowStart: start))
        #expect(state.taken == Money(whole: 17 + 2), "a admitted 5 + 3 + 9, b 2")
    }
}
