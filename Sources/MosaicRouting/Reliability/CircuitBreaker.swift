/// A circuit breaker for one provider, driven by the outcomes reported back to it.
///
/// States:
/// - **closed**: requests flow; outcomes go into a sliding window of the last
///   ``Configuration/windowSize`` results (or of the last ``Configuration/timeWindow`` µs). The breaker trips (opens) after
///   ``Configuration/consecutiveFailures`` failures in a row, or when the window holds at least
///   ``Configuration/minimumRequests`` outcomes and the failure share reaches
///   ``Configuration/failureRateThreshold``.
/// - **open(until:)**: every request is rejected until `until`; rejected requests are never
///   outcomes, and outcomes of requests admitted before the trip that arrive late are ignored.
/// - **halfOpen**: up to ``Configuration/halfOpenProbes`` trial requests are let through; that
///   many successes close the breaker, one failure opens it again for a longer time
///   (``Configuration/openBackoffMultiplier``, capped at ``Configuration/maxOpenDuration``).
///
/// After closing, ``trafficShare(now:)`` ramps linearly from ``Configuration/slowStartInitialShare``
/// to 1 over ``Configuration/slowStartDuration`` so a recovering provider is not flooded.
///
/// The breaker is a value with fixed-size storage (a count window is a 64-bit ring of outcome bits;
/// a time window is a ring of ``Configuration/timeWindowBuckets`` counters allocated once in
/// `init`), so ``allow(now:)`` and ``record(success:now:)`` are O(1) and do not allocate.
/// Times are µs (see ``RoutingTime``).
public struct CircuitBreaker: Sendable, Hashable {
    /// The thresholds and durations of a breaker. Durations are µs.
    public struct Configuration: Sendable, Hashable {
        /// The largest supported ``windowSize``: the window is one 64-bit word.
        public static let maxWindowSize = 64

        /// Trip after this many failures in a row; 0 disables the rule.
        public var consecutiveFailures: Int
        /// Trip when the failure share of the window reaches this value (0...1); a value above 1
        /// disables the rule.
        public var failureRateThreshold: Double
        /// How many of the most recent outcomes the failure rate is computed over (1...64).
        public var windowSize: Int
        /// When set, the failure rate is computed over the outcomes of the last `timeWindow` µs
        /// instead of the last ``windowSize`` outcomes, in ``timeWindowBuckets`` buckets (so the
        /// window slides in steps of `timeWindow / timeWindowBuckets`); `nil` for a count window.
        public var timeWindow: Int64?
        /// The number of buckets a ``timeWindow`` is kept in.
        public static let timeWindowBuckets = 10
        /// The failure-rate rule applies only once the window holds this many outcomes.
        public var minimumRequests: Int
        /// How long the first trip keeps the breaker open, in µs.
        public var baseOpenDuration: Int64
        /// The longest the breaker stays open after repeated trips, in µs.
        public var maxOpenDuration: Int64
        /// Each repeated trip multiplies the previous open duration by this factor (≥ 1).
        ///
        /// A trip is a repeat when it comes from half-open, or from closed within
        /// ``maxOpenDuration`` of the breaker last closing; otherwise the duration starts again at
        /// ``baseOpenDuration``.
        public var openBackoffMultiplier: Double
        /// How many trial requests half-open lets through, and how many successes close it (≥ 1).
        public var halfOpenProbes: Int
        /// How long traffic takes to ramp back to 100% after closing, in µs; 0 disables slow start.
        public var slowStartDuration: Int64
        /// The traffic share right after closing (0...1).
        public var slowStartInitialShare: Double

        /// Creates a configuration.
        ///
        /// - Precondition: `windowSize` in 1...64, `timeWindow` (when set) at least 10 µs,
        ///   `minimumRequests` ≥ 1, durations ≥ 0 with
        ///   `baseOpenDuration ≤ maxOpenDuration`, `openBackoffMultiplier ≥ 1`,
        ///   `halfOpenProbes ≥ 1`, `slowStartInitialShare` in 0...1.
        public init(
            consecutiveFailures: Int = 5,
            failureRateThreshold: Double = 0.5,
            windowSize: Int = 20,
            timeWindow: Int64? = nil,
            minimumRequests: Int = 10,
            baseOpenDuration: Int64 = 5 * RoutingTime.second,
            maxOpenDuration: Int64 = 5 * RoutingTime.minute,
            openBackoffMultiplier: Double = 2,
            halfOpenProbes: Int = 3,
            slowStartDuration: Int64 = 30 * RoutingTime.second,
            slowStartInitialShare: Double = 0.1
        ) {
            precondition((1...Self.maxWindowSize).contains(windowSize), "windowSize must be in 1...64")
            precondition((timeWindow ?? Int64(Self.timeWindowBuckets)) >= Int64(Self.timeWindowBuckets),
                         "timeWindow must be at least \(Self.timeWindowBuckets) µs")
            precondition(consecutiveFailures >= 0 && minimumRequests >= 1, "thresholds must be positive")
            precondition(failureRateThreshold >= 0, "failureRateThreshold must not be negative")
            precondition(baseOpenDuration >= 0 && baseOpenDuration <= maxOpenDuration,
                         "need 0 ≤ baseOpenDuration ≤ maxOpenDuration")
            precondition(openBackoffMultiplier >= 1, "openBackoffMultiplier must be at least 1")
            precondition(halfOpenProbes >= 1, "halfOpenProbes must be at least 1")
            precondition(slowStartDuration >= 0, "slowStartDuration must not be negative")
            precondition((0...1).contains(slowStartInitialShare), "slowStartInitialShare must be in 0...1")
            self.consecutiveFailures = consecutiveFailures
            self.failureRateThreshold = failureRateThreshold
            self.windowSize = windowSize
            self.timeWindow = timeWindow
            self.minimumRequests = minimumRequests
            self.baseOpenDuration = baseOpenDuration
            self.maxOpenDuration = maxOpenDuration
            self.openBackoffMultiplier = openBackoffMultiplier
            self.halfOpenProbes = halfOpenProbes
            self.slowStartDuration = slowStartDuration
            self.slowStartInitialShare = slowStartInitialShare
        }
    }

    /// Where the breaker is.
    public enum State: Sendable, Hashable {
        /// Requests flow and outcomes are counted.
        case closed
        /// Requests are rejected until the given time (µs).
        case open(until: Int64)
        /// Trial requests are let through: `probesInFlight` admitted and not yet reported,
        /// `successes` reported successes.
        case halfOpen(probesInFlight: Int, successes: Int)
    }

    /// Why a request was rejected.
    public enum RejectionReason: Sendable, Hashable {
        /// The breaker is open until the given time (µs).
        case open(until: Int64)
        /// The breaker is half-open and all its probes are taken.
        case probesExhausted
    }

    /// The answer to ``allow(now:)``.
    public enum Admission: Sendable, Hashable {
        /// Send the request normally.
        case allowed
        /// Send the request as a half-open trial; report its outcome with ``record(success:now:)``.
        case probe
        /// Do not send the request, and do not report an outcome for it.
        case rejected(RejectionReason)
    }

    /// The thresholds and durations.
    public let configuration: Configuration
    /// The current state. An expired `open` state becomes `halfOpen` on the next ``allow(now:)``.
    public private(set) var state: State = .closed
    /// How many state changes have happened (closed→open, open→half-open, half-open→closed or open).
    public private(set) var transitions = 0
    /// How many times the breaker has tripped open.
    public private(set) var trips = 0
    /// The open duration of the most recent trip, in µs; 0 before the first trip.
    public private(set) var lastOpenDuration: Int64 = 0

    // The sliding window: bit i of `windowBits` is 1 when slot i holds a failure.
    private var windowBits: UInt64 = 0
    private var windowHead = 0
    private var windowCount = 0
    private var windowFailures = 0
    // A time window: (requests, failures) per bucket, interleaved; empty for a count window.
    private var buckets: [Int32]
    private var currentBucket: Int64 = .min
    private var failureStreak = 0
    private var closedAt: Int64? = nil

    /// Creates a closed breaker with an empty window.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.buckets = configuration.timeWindow == nil
            ? [] : Array(repeating: 0, count: 2 * Configuration.timeWindowBuckets)
    }

    /// The outcomes in the sliding window: how many, and how many of them failed.
    ///
    /// A time window is as of the last ``record(success:now:)``.
    public var window: (requests: Int, failures: Int) { (windowCount, windowFailures) }

    /// Asks whether a request may be sent now.
    ///
    /// Moves an open breaker whose time is up to half-open. In half-open, each call that returns
    /// ``Admission/probe`` takes one probe slot until its outcome is recorded.
    /// Slow start is advisory: closed always answers ``Admission/allowed``; weigh traffic with
    /// ``trafficShare(now:)``.
    ///
    /// - Parameter now: the current time in µs.
    /// - Returns: allowed, probe, or rejected with the reason.
    /// - Complexity: O(1), no allocation.
    public mutating func allow(now: Int64) -> Admission {
        switch state {
        case .closed:
            return .allowed
        case .open(let until):
            if now < until { return .rejected(.open(until: until)) }
            enterHalfOpen()
            return allow(now: now)
        case .halfOpen(let inFlight, let successes):
            if inFlight + successes < configuration.halfOpenProbes {
                state = .halfOpen(probesInFlight: inFlight + 1, successes: successes)
                return .probe
            }
            return .rejected(.probesExhausted)
        }
    }

    /// Reports the outcome of a request that ``allow(now:)`` admitted.
    ///
    /// In closed, the outcome enters the window and may trip the breaker. In open, it is ignored
    /// (a request admitted before the trip). In half-open it counts as a probe result: a failure
    /// reopens the breaker for a longer time, the configured number of successes closes it.
    ///
    /// - Parameters:
    ///   - success: whether the request succeeded.
    ///   - now: the current time in µs.
    /// - Complexity: O(1), no allocation.
    public mutating func record(success: Bool, now: Int64) {
        switch state {
        case .closed:
            if configuration.timeWindow == nil {
                push(failure: !success)
            } else {
                push(failure: !success, now: now)
            }
            failureStreak = success ? 0 : failureStreak + 1
            if shouldTrip { trip(now: now, repeated: isRecentlyClosed(now: now)) }
        case .open:
            return
        case .halfOpen(let inFlight, let successes):
            if !success { trip(now: now, repeated: true); return }
            let done = successes + 1
            if done >= configuration.halfOpenProbes {
                close(now: now)
            } else {
                state = .halfOpen(probesInFlight: max(0, inFlight - 1), successes: done)
            }
        }
    }

    /// Gives back the slot of a half-open probe that ended without an outcome (cancelled by the
    /// caller), so another probe may go. Does nothing in other states.
    ///
    /// - Complexity: O(1), no allocation.
    public mutating func cancelProbe() {
        if case .halfOpen(let inFlight, let successes) = state, inFlight > 0 {
            state = .halfOpen(probesInFlight: inFlight - 1, successes: successes)
        }
    }

    /// The share of normal traffic to send to this provider, in 0...1.
    ///
    /// 0 while open or half-open (half-open admits probes only); while closed, ramps linearly from
    /// ``Configuration/slowStartInitialShare`` to 1 over ``Configuration/slowStartDuration`` after
    /// the last close; 1 when the breaker has never tripped.
    ///
    /// - Parameter now: the current time in µs.
    /// - Complexity: O(1).
    public func trafficShare(now: Int64) -> Double {
        guard case .closed = state else { return 0 }
        guard let closedAt, configuration.slowStartDuration > 0 else { return 1 }
        let elapsed = now - closedAt
        if elapsed >= configuration.slowStartDuration { return 1 }
        let initial = configuration.slowStartInitialShare
        let progress = Double(max(0, elapsed)) / Double(configuration.slowStartDuration)
        return initial + (1 - initial) * progress
    }

    // MARK: - Transitions (out of line)

    private mutating func enterHalfOpen() {
        state = .halfOpen(probesInFlight: 0, successes: 0)
        transitions += 1
    }

    private var shouldTrip: Bool {
        let c = configuration
        if c.consecutiveFailures > 0 && failureStreak >= c.consecutiveFailures { return true }
        guard windowCount >= c.minimumRequests else { return false }
        return Double(windowFailures) >= c.failureRateThreshold * Double(windowCount)
    }

    private func isRecentlyClosed(now: Int64) -> Bool {
        guard let closedAt else { return false }
        return now - closedAt < configuration.maxOpenDuration
    }

    private mutating func trip(now: Int64, repeated: Bool) {
        let c = configuration
        let duration: Int64
        if repeated && lastOpenDuration > 0 {
            let grown = Double(lastOpenDuration) * c.openBackoffMultiplier
            duration = grown >= Double(c.maxOpenDuration) ? c.maxOpenDuration : Int64(grown)
        } else {
            duration = c.baseOpenDuration
        }
        lastOpenDuration = duration
        state = .open(until: now + duration)
        trips += 1
        transitions += 1
        resetWindow()
    }

    private mutating func close(now: Int64) {
        state = .closed
        closedAt = now
        transitions += 1
        resetWindow()
    }

    private mutating func resetWindow() {
        windowBits = 0
        windowHead = 0
        windowCount = 0
        windowFailures = 0
        failureStreak = 0
        currentBucket = .min
        for i in buckets.indices { buckets[i] = 0 }
    }

    private mutating func push(failure: Bool) {
        let bit: UInt64 = 1 << UInt64(windowHead)
        if windowCount == configuration.windowSize {
            if windowBits & bit != 0 { windowFailures -= 1 }
        } else {
            windowCount += 1
        }
        if failure {
            windowBits |= bit
            windowFailures += 1
        } else {
            windowBits &= ~bit
        }
        windowHead += 1
        if windowHead == configuration.windowSize { windowHead = 0 }
    }

    private mutating func push(failure: Bool, now: Int64) {
        let n = Configuration.timeWindowBuckets
        let width = configuration.timeWindow! / Int64(n)
        let index = now / width
        if index > currentBucket {
            // Clear the buckets that slid out of the window, at most all of them.
            let stale = currentBucket == .min ? n : Int(min(Int64(n), index - currentBucket))
            for step in 0..<stale {
                let slot = Int((index - Int64(step)) % Int64(n) + Int64(n)) % n
                windowCount -= Int(buckets[2 * slot])
                windowFailures -= Int(buckets[2 * slot + 1])
                buckets[2 * slot] = 0
                buckets[2 * slot + 1] = 0
            }
            currentBucket = index
        }
        // An outcome reported for an earlier time than the newest bucket counts in the newest.
        let slot = Int(currentBucket % Int64(n) + Int64(n)) % n
        buckets[2 * slot] += 1
        windowCount += 1
        if failure {
            buckets[2 * slot + 1] += 1
            windowFailures += 1
        }
    }
}
