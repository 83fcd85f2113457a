import MosaicCore

/// When to retry a request and how long to wait first: exponential backoff with full jitter.
///
/// Named `RoutingRetryPolicy` so it does not clash with MosaicIngest's `RetryPolicy` when both
/// modules are imported. Jitter comes from a caller-supplied ``SeededRandom``, so a seed fixes
/// every delay. Times are µs.
public struct RoutingRetryPolicy: Sendable, Hashable {
    /// A set of request outcomes that may be retried.
    public struct Outcomes: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// No answer within the client's timeout.
        public static let timeout = Outcomes(rawValue: 1 << 0)
        /// The provider answered with an error.
        public static let error = Outcomes(rawValue: 1 << 1)
        /// Refused by a rate limit (HTTP 429).
        public static let rateLimited = Outcomes(rawValue: 1 << 2)
        /// Timeouts, errors and rate limits: the default.
        public static let `default`: Outcomes = [.timeout, .error, .rateLimited]

        /// The outcome for a request status; empty for `ok` and `cancelled`, which never retry.
        public init(_ status: RequestStatus) {
            switch status {
            case .timeout: self = .timeout
            case .error: self = .error
            case .rateLimited: self = .rateLimited
            case .ok, .cancelled: self = []
            }
        }
    }

    /// The outcomes that are retried. `ok` and `cancelled` never are.
    public var retryOn: Outcomes
    /// The most attempts in total, the first one included (1 means never retry).
    public var maxAttempts: Int
    /// The backoff ceiling before the first retry, in µs.
    public var baseBackoff: Int64
    /// The largest backoff ceiling, in µs.
    public var maxBackoff: Int64
    /// How much the ceiling grows per retry (≥ 1).
    public var multiplier: Double

    /// Creates a policy.
    ///
    /// - Precondition: `maxAttempts ≥ 1`, `0 ≤ baseBackoff ≤ maxBackoff`, `multiplier ≥ 1`.
    public init(
        retryOn: Outcomes = .default,
        maxAttempts: Int = 3,
        baseBackoff: Int64 = 100 * RoutingTime.millisecond,
        maxBackoff: Int64 = 10 * RoutingTime.second,
        multiplier: Double = 2
    ) {
        precondition(maxAttempts >= 1, "maxAttempts counts the first attempt, so it is at least 1")
        precondition(baseBackoff >= 0 && baseBackoff <= maxBackoff, "need 0 ≤ baseBackoff ≤ maxBackoff")
        precondition(multiplier >= 1, "multiplier must be at least 1")
        self.retryOn = retryOn
        self.maxAttempts = maxAttempts
        self.baseBackoff = baseBackoff
        self.maxBackoff = maxBackoff
        self.multiplier = multiplier
    }

    /// Whether a request that ended with `status` should be tried again.
    ///
    /// - Parameters:
    ///   - status: the outcome of the latest attempt.
    ///   - attempts: attempts made so far, the one that just ended included (≥ 1).
    /// - Returns: true when the outcome is retried and fewer than ``maxAttempts`` were made.
    /// - Complexity: O(1).
    public func shouldRetry(_ status: RequestStatus, attempts: Int) -> Bool {
        let outcome = Outcomes(status)
        return !outcome.isEmpty && retryOn.contains(outcome) && attempts < maxAttempts
    }

    /// The backoff ceiling before retry number `retry`: `min(maxBackoff, baseBackoff × multiplier^(retry−1))`.
    ///
    /// - Parameter retry: 1 for the first retry.
    /// - Returns: the ceiling in µs.
    /// - Complexity: O(retry) at worst, stopping once the cap is reached.
    public func backoffCeiling(retry: Int) -> Int64 {
        precondition(retry >= 1, "retries are numbered from 1")
        var ceiling = Double(baseBackoff)
        let cap = Double(maxBackoff)
        var n = 1
        while n < retry && ceiling < cap {
            ceiling *= multiplier
            n += 1
        }
        return ceiling >= cap ? maxBackoff : Int64(ceiling)
    }

    /// The delay before retry number `retry`, drawn with full jitter: uniform in
    /// `[0, backoffCeiling(retry:))`.
    ///
    /// - Parameters:
    ///   - retry: 1 for the first retry.
    ///   - random: the stream to draw from; one draw per call, so a seed fixes the delays.
    /// - Returns: the delay in µs.
    /// - Complexity: O(1) amortised, no allocation.
    public func backoff(retry: Int, using random: inout SeededRandom) -> Int64 {
        let ceiling = backoffCeiling(retry: retry)
        return Int64((random.uniform() * Double(ceiling)).rounded(.down))
    }
}

/// A limit on concurrent retries that stops retry storms (the Envoy/Finagle retry budget).
///
/// A retry may start while retries in flight stay within
/// `max(minimumConcurrent, ratio × activeRequests)`. Active requests are first attempts
/// (``requestStarted()``/``requestFinished()``); retries are counted apart
/// (``tryStartRetry()``/``retryFinished()``). Every call is O(1) and allocation-free.
public struct RetryBudget: Sendable, Hashable {
    /// Retries allowed per active request, for example 0.2.
    public let ratio: Double
    /// Retries allowed however few requests are active.
    public let minimumConcurrent: Int
    /// First attempts in flight.
    public private(set) var activeRequests = 0
    /// Retries in flight.
    public private(set) var retriesInFlight = 0

    /// Creates a budget.
    ///
    /// - Precondition: `ratio ≥ 0`, `minimumConcurrent ≥ 0`.
    public init(ratio: Double = 0.2, minimumConcurrent: Int = 3) {
        precondition(ratio >= 0 && ratio.isFinite && minimumConcurrent >= 0, "a budget cannot be negative")
        self.ratio = ratio
        self.minimumConcurrent = minimumConcurrent
    }

    /// The most retries allowed in flight now: `max(minimumConcurrent, ⌊ratio × activeRequests⌋)`.
    public var limit: Int {
        // The small tolerance keeps 0.2 × 100 at 20 despite binary rounding.
        max(minimumConcurrent, Int((ratio * Double(activeRequests) + 1e-9).rounded(.down)))
    }

    /// Counts a first attempt starting.
    public mutating func requestStarted() { activeRequests += 1 }

    /// Counts a first attempt finishing.
    ///
    /// - Precondition: a request is active.
    public mutating func requestFinished() {
        precondition(activeRequests > 0, "requestFinished() without requestStarted()")
        activeRequests -= 1
    }

    /// Starts a retry if the budget allows it.
    ///
    /// - Returns: true and counts the retry, or false (send no retry) when ``limit`` retries are
    ///   already in flight.
    public mutating func tryStartRetry() -> Bool {
        guard retriesInFlight < limit else { return false }
        retriesInFlight += 1
        return true
    }

    /// Counts a retry finishing.
    ///
    /// - Precondition: a retry is in flight.
    public mutating func retryFinished() {
        precondition(retriesInFlight > 0, "retryFinished() without tryStartRetry()")
        retriesInFlight -= 1
    }

    /// Sets the count of first attempts in flight (for a router that counts them outside the
    /// budget's lock, see ``Router/requestStarted()``).
    mutating func setActiveRequests(_ n: Int) { activeRequests = n }
}
