import MosaicCore
import MosaicRouting
import Testing

/// The reliability state machines' tests, grouped so `swift test --filter Reliability` runs them.
enum Reliability {}

extension Reliability {
    @Suite("CircuitBreaker")
    struct CircuitBreakerTests {
        static let s = RoutingTime.second

        static func breaker(
            consecutiveFailures: Int = 3, failureRateThreshold: Double = 0.5, windowSize: Int = 10,
            minimumRequests: Int = 6, halfOpenProbes: Int = 2, slowStart: Int64 = 10 * RoutingTime.second
        ) -> CircuitBreaker {
            CircuitBreaker(configuration: .init(
                consecutiveFailures: consecutiveFailures, failureRateThreshold: failureRateThreshold,
                windowSize: windowSize, minimumRequests: minimumRequests,
                baseOpenDuration: 5 * s, maxOpenDuration: 30 * s, openBackoffMultiplier: 2,
                halfOpenProbes: halfOpenProbes, slowStartDuration: slowStart, slowStartInitialShare: 0.1))
        }

        /// Drives the breaker from open through half-open to closed with probe successes.
        static func recover(_ b: inout CircuitBreaker, at now: Int64) {
            let r1 = b.allow(now: now)
            #expect(r1 == .probe)
            let r2 = b.allow(now: now)
            #expect(r2 == .probe)
            b.record(success: true, now: now)
            b.record(success: true, now: now)
        }

        @Test func consecutiveFailuresTrip() {
            var b = Self.breaker()
            b.record(success: false, now: 0)
            b.record(success: false, now: 1)
            #expect(b.state == .closed)
            b.record(success: true, now: 2)  // a success breaks the streak
            b.record(success: false, now: 3)
            b.record(success: false, now: 4)
            #expect(b.state == .closed)
            b.record(success: false, now: 5)
            #expect(b.state == .open(until: 5 + 5 * Self.s))
            #expect(b.trips == 1 && b.transitions == 1)
            let r3 = b.allow(now: 6)
            #expect(r3 == .rejected(.open(until: 5 + 5 * Self.s)))
        }

        @Test func failureRateTripsOnlyAfterMinimumRequests() {
            var b = Self.breaker(consecutiveFailures: 0)
            // Alternating failure/success: 50% failures from the start, but below minimumRequests.
            for i in 0..<5 { b.record(success: i % 2 == 1, now: Int64(i)) }
            #expect(b.state == .closed)
            #expect(b.window.requests == 5 && b.window.failures == 3)
            b.record(success: true, now: 5)  // 6 requests, 3 failures: 50% at the minimum
            #expect(b.state == .open(until: 5 + 5 * Self.s))
        }

        @Test func slidingWindowForgetsOldOutcomes() {
            var b = Self.breaker(consecutiveFailures: 0, failureRateThreshold: 0.6, windowSize: 4, minimumRequests: 4)
            for (i, ok) in [false, false, true, true, true, true, false, false].enumerated() {
                b.record(success: ok, now: Int64(i))
            }
            #expect(b.state == .closed)
            #expect(b.window.requests == 4 && b.window.failures == 2)
            b.record(success: false, now: 9)  // last four: T T F F → F: T F F F = 75%
            #expect(b.state != .closed)
        }

        @Test func timeWindowForgetsOutcomesOlderThanTheWindow() {
            var b = CircuitBreaker(configuration: .init(
                consecutiveFailures: 0, failureRateThreshold: 0.6, timeWindow: 10 * Self.s, minimumRequests: 6))
            // Three failures early on (3 of 7 by 8 s stays under 60%), then successes to 18 s.
            for _ in 0..<3 { b.record(success: false, now: 0) }
            for t in [Int64(2), 4, 6, 8, 10, 12, 14, 16, 18] { b.record(success: true, now: t * Self.s) }
            // At 18 s the window covers 9...18 s (1 s buckets): the early failures are gone.
            #expect(b.window.requests == 5 && b.window.failures == 0)
            for _ in 0..<7 { b.record(success: false, now: 19 * Self.s) }
            #expect(b.state == .closed)  // 7 of 12 = 58%
            b.record(success: false, now: 19 * Self.s)  // 8 of 13 = 62%
            #expect(b.state == .open(until: 24 * Self.s))
        }

        @Test func openBecomesHalfOpenAfterTheOpenDurationAndProbesClose() {
            var b = Self.breaker()
            for _ in 0..<3 { b.record(success: false, now: 0) }
            let r4 = b.allow(now: 5 * Self.s - 1)
            #expect(r4 == .rejected(.open(until: 5 * Self.s)))
            let r5 = b.allow(now: 5 * Self.s)
            #expect(r5 == .probe)
            #expect(b.state == .halfOpen(probesInFlight: 1, successes: 0))
            let r6 = b.allow(now: 5 * Self.s)
            #expect(r6 == .probe)
            let r7 = b.allow(now: 5 * Self.s)
            #expect(r7 == .rejected(.probesExhausted))
            b.record(success: true, now: 6 * Self.s)
            #expect(b.state == .halfOpen(probesInFlight: 1, successes: 1))
            let r8 = b.allow(now: 6 * Self.s)
            #expect(r8 == .rejected(.probesExhausted))
            b.record(success: true, now: 6 * Self.s)
            #expect(b.state == .closed)
            #expect(b.transitions == 3)  // closed→open→half-open→closed
            let r9 = b.allow(now: 6 * Self.s)
            #expect(r9 == .allowed)
        }

        @Test func probeFailureReopensForLongerCapped() {
            var b = Self.breaker()
            for _ in 0..<3 { b.record(success: false, now: 0) }
            var now: Int64 = 0
            var durations: [Int64] = []
            for _ in 0..<5 {
                guard case .open(let until) = b.state else { Issue.record("not open"); return }
                durations.append(until - now)
                now = until
                let r10 = b.allow(now: now)
                #expect(r10 == .probe)
                b.record(success: false, now: now)
            }
            #expect(durations == [5, 10, 20, 30, 30].map { $0 * Self.s })
            #expect(b.trips == 6)
        }

        @Test func openDurationStartsOverAfterALongHealthyPeriod() {
            var b = Self.breaker()
            for _ in 0..<3 { b.record(success: false, now: 0) }
            let r11 = b.allow(now: 5 * Self.s)
            #expect(r11 == .probe)
            b.record(success: false, now: 5 * Self.s)  // 10 s
            Self.recover(&b, at: 15 * Self.s)
            // Tripping again soon after closing counts as a repeat: 20 s.
            for _ in 0..<3 { b.record(success: false, now: 16 * Self.s) }
            #expect(b.state == .open(until: 36 * Self.s))
            Self.recover(&b, at: 36 * Self.s)
            // Tripping long after the last close starts again at the base duration.
            let later = 36 * Self.s + 30 * Self.s
            for _ in 0..<3 { b.record(success: false, now: later) }
            #expect(b.state == .open(until: later + 5 * Self.s))
        }

        @Test func rejectedRequestsAndLateOutcomesAreNotCounted() {
            var b = Self.breaker()
            for _ in 0..<3 { b.record(success: false, now: 0) }
            for t in 1..<100 { let r12 = b.allow(now: Int64(t) * 1_000); #expect(r12 != .allowed) }
            b.record(success: false, now: 1)  // a late outcome of a request admitted before the trip
            #expect(b.state == .open(until: 5 * Self.s))
            #expect(b.trips == 1)
            Self.recover(&b, at: 5 * Self.s)
            #expect(b.window.requests == 0 && b.window.failures == 0)
            b.record(success: false, now: 6 * Self.s)
            b.record(success: false, now: 6 * Self.s)
            #expect(b.state == .closed)  // the streak started afresh
        }

        @Test func slowStartRampsTrafficShare() {
            var b = Self.breaker()
            #expect(b.trafficShare(now: 0) == 1)
            for _ in 0..<3 { b.record(success: false, now: 0) }
            #expect(b.trafficShare(now: 1) == 0)
            let r13 = b.allow(now: 5 * Self.s)
            #expect(r13 == .probe)
            #expect(b.trafficShare(now: 5 * Self.s) == 0)
            let r14 = b.allow(now: 5 * Self.s)
            #expect(r14 == .probe)
            b.record(success: true, now: 5 * Self.s)
            b.record(success: true, now: 10 * Self.s)
            #expect(b.state == .closed)
            let at = { (t: Int64) in b.trafficShare(now: 10 * Self.s + t) }
            #expect(abs(at(0) - 0.1) < 1e-12)
            #expect(abs(at(5 * Self.s) - 0.55) < 1e-12)
            #expect(abs(at(9 * Self.s) - 0.91) < 1e-12)
            #expect(at(10 * Self.s) == 1)
            #expect(at(100 * Self.s) == 1)
        }
    

        @Test func cancelledProbeGivesItsSlotBack() {
            var b = Self.breaker()
            for _ in 0..<3 { b.record(success: false, now: 0) }
            let first = b.allow(now: 5 * Self.s)
            let second = b.allow(now: 5 * Self.s)
            #expect(first == .probe && second == .probe)
            #expect(b.allow(now: 5 * Self.s) == .rejected(.probesExhausted))
            b.cancelProbe()
            #expect(b.state == .halfOpen(probesInFlight: 1, successes: 0))
            #expect(b.allow(now: 5 * Self.s) == .probe)
            // Closed: nothing to give back.
            var closed = Self.breaker()
            closed.cancelProbe()
            #expect(closed.state == .closed)
        }
    }
}
