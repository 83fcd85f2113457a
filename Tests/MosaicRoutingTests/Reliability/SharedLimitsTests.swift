import MosaicCore
@testable import MosaicRouting
import Synchronization
import Testing

/// The in-memory side of fleet-wide quotas and budgets: a router decides only against what was
/// leased to it, exactly, and a window boundary finds the prefetched lease in place.
@Suite("shared limits")
struct SharedLimitsTests {
    static let s = RoutingTime.second
    static let minute = RoutingTime.minute
    static let quota = SharedLimits.Key(.quota, "acme")
    static let budget = SharedLimits.Key(.budget, "team")

    @Test func takesOnlyWhatWasGrantedAndRemembersShortfalls() {
        let limits = SharedLimits()
        let one = Money(whole: 1), hundred = Money(whole: 100)
        #expect(limits.remaining(Self.quota, limit: hundred, window: Self.minute, now: 0) == (.zero, Self.minute))
        #expect(!limits.take(Self.quota, amount: one, limit: hundred, window: Self.minute, now: 0))
        let d = try! #require(limits.demands(now: 0, prefetch: 0).first)
        #expect(d.key == Self.quota && d.window == 0 && d.granted == .zero && d.shortfall == one)
        #expect(limits.grant(Self.quota, window: 0, amount: Money(whole: 3)))
        for _ in 0..<3 { #expect(limits.take(Self.quota, amount: one, limit: hundred, window: Self.minute, now: 5 * Self.s)) }
        #expect(!limits.take(Self.quota, amount: one, limit: hundred, window: Self.minute, now: 6 * Self.s))
        let after = try! #require(limits.demands(now: 6 * Self.s, prefetch: 0).first)
        #expect(after.used == Money(whole: 3) && after.left == .zero)
        // A grant for a window that has ended is refused (the caller gives it back).
        #expect(!limits.grant(Self.quota, window: 7, amount: one))
    }

    /// A budget near `Money`'s largest amount: sums that would leave the range refuse (take) or
    /// saturate (grant, adjust) instead of trapping.
    @Test func sumsNearTheLargestAmountDoNotOverflow() {
        let limits = SharedLimits()
        let huge = Money(units: .max)
        let nearly = Money(units: .max - 10)
        _ = limits.remaining(Self.budget, limit: huge, window: Self.minute, now: 0)
        #expect(limits.grant(Self.budget, window: 0, amount: nearly))
        #expect(limits.grant(Self.budget, window: 0, amount: nearly))   // saturates at the largest amount
        #expect(limits.take(Self.budget, amount: nearly, limit: huge, window: Self.minute, now: 1))
        #expect(!limits.take(Self.budget, amount: nearly, limit: huge, window: Self.minute, now: 2))
        limits.adjust(Self.budget, by: nearly, takenAt: 1, now: 3)        // saturates: all used
        #expect(limits.remaining(Self.budget, limit: huge, window: Self.minute, now: 4).left == .zero)
        #expect(!limits.take(Self.budget, amount: Money(units: 1), limit: huge, window: Self.minute, now: 5))
    }

    @Test func prefetchedNextWindowTakesOverAtTheBoundary() {
        let limits = SharedLimits()
        let hundred = Money(whole: 100)
        _ = limits.remaining(Self.quota, limit: hundred, window: Self.minute, now: 0)
        #expect(limits.demands(now: 50 * Self.s, prefetch: 2 * Self.s).count == 1)
        let ahead = limits.demands(now: 59 * Self.s, prefetch: 2 * Self.s)
        #expect(ahead.map(\.window) == [0, 1])
        #expect(limits.grant(Self.quota, window: 1, amount: Money(whole: 10)))
        #expect(limits.remaining(Self.quota, limit: hundred, window: Self.minute, now: 59 * Self.s).left == .zero)
        #expect(limits.remaining(Self.quota, limit: hundred, window: Self.minute, now: 60 * Self.s)
                == (Money(whole: 10), 120 * Self.s))
    }

    /// A lost lease: what was left is dropped, the use beyond what the store counted stays owed,
    /// and the next grant is decided against net of it.
    @Test func aForfeitedLeaseAdmitsOnlyFromTheNextGrant() {
        let limits = SharedLimits()
        let hundred = Money(whole: 100), one = Money(whole: 1)
        _ = limits.remaining(Self.quota, limit: hundred, window: Self.minute, now: 0)
        limits.grant(Self.quota, window: 0, amount: Money(whole: 5))
        for _ in 0..<3 { #expect(limits.take(Self.quota, amount: one, limit: hundred, window: Self.minute, now: 1)) }
        limits.forfeit(Self.quota, window: 0, keeping: one)     // the store counted 1 of the 3
        #expect(limits.demands(now: 2, prefetch: 0).first?.left == Money.zero - Money(whole: 2))
        #expect(!limits.take(Self.quota, amount: one, limit: hundred, window: Self.minute, now: 2))
        limits.grant(Self.quota, window: 0, amount: Money(whole: 4))
        #expect(limits.take(Self.quota, amount: one, limit: hundred, window: Self.minute, now: 3))
        #expect(limits.take(Self.quota, amount: one, limit: hundred, window: Self.minute, now: 3))
        #expect(!limits.take(Self.quota, amount: one, limit: hundred, window: Self.minute, now: 3))
    }

    final class Wakes: Sendable {
        let count = Atomic<Int>(0)
        var value: Int { count.load(ordering: .relaxed) }
    }

    /// A budget request dearer than what is left wakes the refiller (once until the next
    /// grant), and the window remembers it: the refiller is asked for at least that much for the
    /// rest of the window, not only for the next lease.
    @Test func aShortfallWakesTheRefillerAndLastsTheWindow() throws {
        let limits = SharedLimits()
        let wakes = Wakes()
        limits.onLow { wakes.count.wrappingAdd(1, ordering: .relaxed) }
        let limit = Money(whole: 1), cost = try Money(parsing: "0.0045")
        _ = limits.remaining(Self.budget, limit: limit, window: Self.minute, now: 0)
        limits.grant(Self.budget, window: 0, amount: try Money(parsing: "0.003125"))
        limits.noteShortfall(Self.budget, amount: cost)
        limits.noteShortfall(Self.budget, amount: cost)
        #expect(wakes.value == 1)
        limits.grant(Self.budget, window: 0, amount: try Money(parsing: "0.001375"))
        #expect(limits.take(Self.budget, amount: cost, limit: limit, window: Self.minute, now: 1))
        #expect(wakes.value == 2, "nothing left: the take wakes it")
        #expect(limits.demands(now: 2, prefetch: 0).first?.shortfall == cost)
        // The next window starts without one.
        #expect(limits.demands(now: Self.minute, prefetch: 0).first?.shortfall == .zero)
    }

    @Test func adjustmentsGiveBackOnlyWithinTheirWindow() {
        let limits = SharedLimits()
        let limit = Money(whole: 10), cent = try! Money(parsing: "0.01")
        _ = limits.remaining(Self.budget, limit: limit, window: Self.minute, now: 0)
        limits.grant(Self.budget, window: 0, amount: Money(whole: 1))
        #expect(limits.take(Self.budget, amount: 30 * cent, limit: limit, window: Self.minute, now: 1))
        limits.adjust(Self.budget, by: Money.zero - 10 * cent, takenAt: 1, now: 2)   // cost less than estimated
        #expect(limits.remaining(Self.budget, limit: limit, window: Self.minute, now: 3).left == 80 * cent)
        limits.adjust(Self.budget, by: 5 * cent, takenAt: 1, now: 4)                // cost more
        #expect(limits.remaining(Self.budget, limit: limit, window: Self.minute, now: 5).left == 75 * cent)
        // A reservation of the last window given back in this one would exceed this window's
        // limit: ignored. A charge still counts.
        limits.grant(Self.budget, window: 1, amount: Money(whole: 1))
        limits.adjust(Self.budget, by: Money.zero - 20 * cent, takenAt: 1, now: Self.minute + 1)
        #expect(limits.remaining(Self.budget, limit: limit, window: Self.minute, now: Self.minute + 2).left == Money(whole: 1))
        limits.adjust(Self.budget, by: 20 * cent, takenAt: 1, now: Self.minute + 3)
        #expect(limits.remaining(Self.budget, limit: limit, window: Self.minute, now: Self.minute + 4).left == 80 * cent)
    }

    /// A router with shared limits reserves the admitted provider's exact estimate against the
    /// leased budget and settles to the reported cost; quotas count against the leased slice.
    @Test func routerDecidesAgainstLeasedSlicesExactly() throws {
        let cost = ProviderCost(inputPerMillion: try Money(parsing: "0.15"), outputPerMillion: try Money(parsing: "0.60"))
        let each = cost.cost(inputTokens: 149, outputTokens: 443)   // 0.00028815
        let policy = RoutingPolicy(providers: ["openai", "ollama"], strategy: .weighted(["openai": 1]),
                                   tenants: ["acme": TenantPolicy(quota: RateLimit(requests: 1000, period: .minute))],
                                   budgets: ["team": BudgetPolicy(limit: Money(whole: 1), period: .hour)],
                                   costs: ["openai": cost])
        let limits = SharedLimits()
        let router = try Router(policy: policy, catalog: .default, sharedLimits: limits)
        var d = Decision()
        let request = RouteRequest(tenant: "acme", promptTokens: 149, expectedOutputTokens: 443, budgetTag: "team")
        // Nothing leased yet: the quota refuses, and the budget key is registered too.
        #expect(router.route(request, now: 1, into: &d) == nil)
        #expect(d.rejection == .quotaExhausted(tenant: "acme", resetsAt: Self.minute))
        limits.grant(Self.quota, window: 0, amount: Money(whole: 4))
        router.decide(request, now: 2, into: &d)
        #expect(d.dropped.contains { $0.provider == "openai" && $0.reason == .budgetExhausted(tag: "team") })
        limits.grant(Self.budget, window: 0, amount: 2 * each)
        let t1 = try #require(router.route(request, now: 3, into: &d))
        #expect(t1.provider == "openai" && t1.reserved == each)
        let t2 = try #require(router.route(request, now: 4, into: &d))
        #expect(t2.provider == "openai")
        // Both reservations hold the whole lease: the third goes to the free provider.
        let t3 = try #require(router.route(request, now: 5, into: &d))
        #expect(t3.provider == "ollama" && t3.reserved == .zero)
        // Settling: t1 cancelled gives its reservation back; t2 cost twice its estimate.
        router.complete(t1, status: .cancelled, latencyMs: 0, budgetTag: "team", now: 6)
        router.complete(t2, status: .ok, latencyMs: 10, inputTokens: 298, outputTokens: 886, budgetTag: "team", now: 7)
        router.complete(t3, status: .ok, latencyMs: 10, inputTokens: 149, outputTokens: 443, budgetTag: "team", now: 7)
        let budget = try #require(limits.demands(now: 8, prefetch: 0).first { $0.key == Self.budget })
        #expect(budget.used == 2 * each && budget.left == .zero)
        // The quota took one request per admitted route, four in all: the fifth is refused.
        #expect(router.route(request, now: 9, into: &d) != nil)
        #expect(router.route(request, now: 10, into: &d) == nil)
        #expect(d.rejection == .quotaExhausted(tenant: "acme", resetsAt: Self.minute))
    }
}
