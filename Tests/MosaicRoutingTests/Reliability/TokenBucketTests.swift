import MosaicCore
import MosaicRouting
import Testing

extension Reliability {
    @Suite("TokenBucket")
    struct TokenBucketTests {
        static let s = RoutingTime.second

        @Test func burstThenRefillAtTheRate() {
            var b = TokenBucket(ratePerSecond: 2, capacity: 5)
            for _ in 0..<5 { let r1 = b.tryTake(now: 0); #expect(r1) }
            let r2 = b.tryTake(now: 0)
            #expect(!r2)
            let r3 = b.tryTake(now: Self.s / 2 - 1)
            #expect(!r3)
            let r4 = b.tryTake(now: Self.s / 2)
            #expect(r4)  // 2/s: one token per 0.5 s
            let r5 = b.tryTake(now: Self.s / 2)
            #expect(!r5)
            // Refill never exceeds the capacity.
            #expect(b.available(now: 100 * Self.s) == 5)
            for _ in 0..<5 { let r6 = b.tryTake(now: 100 * Self.s); #expect(r6) }
            let r7 = b.tryTake(now: 100 * Self.s)
            #expect(!r7)
        }

        @Test func multiTokenTakesAreAllOrNothing() {
            var b = TokenBucket(ratePerSecond: 1, capacity: 3)
            let r8 = b.tryTake(now: 0, tokens: 2)
            #expect(r8)
            let r9 = b.tryTake(now: 0, tokens: 2)
            #expect(!r9)
            let r10 = b.tryTake(now: 0, tokens: 1)
            #expect(r10)
        }

        @Test func waitTime() {
            var b = TokenBucket(ratePerSecond: 4, capacity: 2)
            #expect(b.wait(now: 0) == 0)
            let r11 = b.tryTake(now: 0)
            let r12 = b.tryTake(now: 0)
            #expect(r11 && r12)
            #expect(b.wait(now: 0) == Self.s / 4)
            #expect(b.wait(now: Self.s / 8) == Self.s / 8)
            #expect(b.wait(now: 0, tokens: 2) == Self.s / 2)
            #expect(b.wait(now: 0, tokens: 3) == .max)
            let later = b.wait(now: 0)
            let r13 = b.tryTake(now: later)
            #expect(r13)
        }

        @Test func gitHubFromTheCatalog() throws {
            let limit = try #require(Catalog.default.provider(id: "github")?.rateLimit())
            var b = TokenBucket(rateLimit: limit)
            #expect(b.capacity == 5_000)
            #expect(abs(b.ratePerSecond - 5_000.0 / 3_600) < 1e-12)
            var admitted = 0
            while b.tryTake(now: 0) { admitted += 1 }
            #expect(admitted == 5_000)
            // ~1.39/s afterwards: 1,388.9 tokens accrue in 1,000 s (taken as they arrive).
            var later = 0
            for t in 1...1_000 {
                while b.tryTake(now: Int64(t) * Self.s) { later += 1 }
            }
            #expect(later == 1_388 || later == 1_389)
            #expect(b.wait(now: 1_000 * Self.s) <= 720_000)
        }

        @Test func periodsDecideTheBurst() {
            let perMinute = TokenBucket(rateLimit: RateLimit(requests: 60, period: .minute), longPeriodBurst: 5)
            #expect(perMinute.capacity == 60 && perMinute.ratePerSecond == 1)
            let bitbucket = TokenBucket(rateLimit: RateLimit(requests: 1_000, period: .hour), longPeriodBurst: 50)
            #expect(bitbucket.capacity == 50)
            #expect(TokenBucket(rateLimit: RateLimit(requests: 1_000, period: .hour)).capacity == 1_000)
        }

        @Test func tenantQuotaResetsEachWindow() {
            let day = 86_400 * Self.s
            var q = TenantQuota(quota: 3, window: day)
            let r14 = q.tryTake(now: 10, amount: 2)
            #expect(r14)
            let r15 = q.tryTake(now: 20, amount: 2)
            #expect(!r15)
            let r16 = q.tryTake(now: 30)
            #expect(r16)
            let r17 = q.tryTake(now: day - 1)
            #expect(!r17)
            #expect(q.remaining(now: day - 1) == 0)
            #expect(q.resetsAt(now: day - 1) == day)
            #expect(q.remaining(now: day) == 3)
            let r18 = q.tryTake(now: day)
            #expect(r18)
            #expect(q.remaining(now: day + 5) == 2)
        }
    }
}
