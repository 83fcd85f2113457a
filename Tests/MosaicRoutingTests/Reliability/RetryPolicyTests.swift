import MosaicCore
import MosaicRouting
import Testing

extension Reliability {
    @Suite("RoutingRetryPolicy and RetryBudget")
    struct RetryPolicyTests {
        static let ms = RoutingTime.millisecond

        @Test func whichOutcomesRetry() {
            let p = RoutingRetryPolicy(maxAttempts: 3)
            #expect(p.shouldRetry(.timeout, attempts: 1))
            #expect(p.shouldRetry(.error, attempts: 2))
            #expect(p.shouldRetry(.rateLimited, attempts: 1))
            #expect(!p.shouldRetry(.error, attempts: 3))
            #expect(!p.shouldRetry(.ok, attempts: 1))
            #expect(!p.shouldRetry(.cancelled, attempts: 1))
            let onlyTimeouts = RoutingRetryPolicy(retryOn: .timeout)
            #expect(!onlyTimeouts.shouldRetry(.error, attempts: 1))
            // Even a policy that names every outcome never retries a cancellation.
            #expect(!RoutingRetryPolicy(retryOn: Outcomes(rawValue: 0xFF)).shouldRetry(.cancelled, attempts: 1))
        }
        typealias Outcomes = RoutingRetryPolicy.Outcomes

        @Test func backoffCeilingsGrowAndAreCapped() {
            let p = RoutingRetryPolicy(baseBackoff: 100 * Self.ms, maxBackoff: 1_000 * Self.ms, multiplier: 2)
            #expect((1...6).map(p.backoffCeiling(retry:)) == [100, 200, 400, 800, 1_000, 1_000].map { $0 * Self.ms })
            #expect(p.backoffCeiling(retry: 10_000) == 1_000 * Self.ms)
        }

        @Test func jitteredBackoffStaysInBoundsAndIsDeterministic() {
            let p = RoutingRetryPolicy(baseBackoff: 100 * Self.ms, maxBackoff: 1_000 * Self.ms)
            var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
            var first: [Int64] = [], second: [Int64] = [], other: [Int64] = []
            for round in 0..<200 {
                let retry = round % 6 + 1
                let d = p.backoff(retry: retry, using: &a)
                #expect(d >= 0 && d < p.backoffCeiling(retry: retry))
                first.append(d)
                second.append(p.backoff(retry: retry, using: &b))
                other.append(p.backoff(retry: retry, using: &c))
            }
            #expect(first == second)
            #expect(first != other)
            // Full jitter spreads over the range: the capped draws average near half the cap.
            let capped = stride(from: 4, to: 200, by: 6).map { Double(first[$0]) }
            let mean = capped.reduce(0, +) / Double(capped.count)
            #expect(mean > 300_000 && mean < 700_000)
        }

        @Test func budgetUnderAStorm() {
            var budget = RetryBudget(ratio: 0.2, minimumConcurrent: 3)
            for _ in 0..<100 { budget.requestStarted() }
            var started = 0
            for _ in 0..<100 where budget.tryStartRetry() { started += 1 }
            #expect(started == 20)
            #expect(budget.retriesInFlight == 20)
            budget.retryFinished()
            let r1 = budget.tryStartRetry()
            #expect(r1)
            let r2 = budget.tryStartRetry()
            #expect(!r2)
        }

        @Test func budgetKeepsItsMinimumWhenFewAreActive() {
            var budget = RetryBudget(ratio: 0.2, minimumConcurrent: 3)
            for _ in 0..<5 { budget.requestStarted() }
            var started = 0
            for _ in 0..<50 where budget.tryStartRetry() { started += 1 }
            #expect(started == 3)
            #expect(budget.limit == 3)
            for _ in 0..<3 { budget.retryFinished() }
            for _ in 0..<5 { budget.requestFinished() }
            #expect(budget.activeRequests == 0 && budget.retriesInFlight == 0)
        }
    }
}
