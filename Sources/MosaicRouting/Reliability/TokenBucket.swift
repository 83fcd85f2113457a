import MosaicCore

/// A token bucket: a sustained rate with a burst allowance, on caller-supplied time.
///
/// The bucket holds up to ``capacity`` tokens and refills at ``ratePerSecond``; each request
/// takes one (or more) tokens. Refilling is computed lazily from the time passed to each call, so
/// the bucket is a plain value, O(1) per call and allocation-free. Times are µs
/// (see ``RoutingTime``); a time earlier than the last one seen counts as no time passing.
public struct TokenBucket: Sendable, Hashable {
    /// Tokens added per second.
    public let ratePerSecond: Double
    /// The most tokens the bucket holds: the largest burst.
    public let capacity: Double
    /// Tokens in the bucket as of ``updatedAt``.
    public private(set) var tokens: Double
    /// The time (µs) ``tokens`` was last brought up to date.
    public private(set) var updatedAt: Int64

    /// Creates a bucket.
    ///
    /// - Parameters:
    ///   - ratePerSecond: the sustained rate, tokens per second; greater than zero.
    ///   - capacity: the burst size in tokens; at least 1.
    ///   - now: the creation time in µs.
    ///   - full: whether the bucket starts full (the default) or empty.
    public init(ratePerSecond: Double, capacity: Double, now: Int64 = 0, full: Bool = true) {
        precondition(ratePerSecond > 0 && ratePerSecond.isFinite, "the rate must be positive")
        precondition(capacity >= 1 && capacity.isFinite, "the capacity must be at least one token")
        self.ratePerSecond = ratePerSecond
        self.capacity = capacity
        self.tokens = full ? capacity : 0
        self.updatedAt = now
    }

    /// Creates a bucket for a catalog rate limit.
    ///
    /// The rate is `requests / period` (GitHub's 5,000/hour → 1.389/s). For periods up to a minute
    /// the burst is the period's full allowance; for longer periods it is `longPeriodBurst`, or,
    /// when that is `nil`, again the full allowance (what a provider's fixed window permits:
    /// GitHub accepts 5,000 requests at once, then waits for the hour to refill).
    ///
    /// - Parameters:
    ///   - rateLimit: the catalog limit.
    ///   - longPeriodBurst: the burst for hourly and daily limits; `nil` for the full allowance.
    ///   - now: the creation time in µs.
    public init(rateLimit: RateLimit, longPeriodBurst: Double? = nil, now: Int64 = 0) {
        let allowance = Double(rateLimit.requests)
        let burst = rateLimit.period.seconds <= 60 ? allowance : min(allowance, longPeriodBurst ?? allowance)
        self.init(ratePerSecond: rateLimit.perSecond, capacity: max(1, burst), now: now)
    }

    /// The tokens available at `now`, refill included, without taking any.
    ///
    /// - Parameter now: the current time in µs.
    /// - Complexity: O(1).
    public func available(now: Int64) -> Double {
        let elapsed = now > updatedAt ? now - updatedAt : 0
        return min(capacity, tokens + ratePerSecond * Double(elapsed) * 1e-6)
    }

    /// Takes tokens if there are enough.
    ///
    /// - Parameters:
    ///   - now: the current time in µs.
    ///   - tokens: how many tokens the request costs; positive.
    /// - Returns: whether the tokens were taken; on `false` the bucket keeps its tokens.
    /// - Complexity: O(1), no allocation.
    public mutating func tryTake(now: Int64, tokens count: Double = 1) -> Bool {
        let current = available(now: now)
        if now > updatedAt { updatedAt = now }
        tokens = current
        // A tiny tolerance absorbs the rounding of the refill arithmetic.
        guard current + 1e-9 >= count else { return false }
        tokens = max(0, current - count)
        return true
    }

    /// How long until `tokens` tokens are available.
    ///
    /// - Parameters:
    ///   - now: the current time in µs.
    ///   - tokens: the tokens wanted; 1 by default.
    /// - Returns: µs to wait, rounded up; 0 when available now; `Int64.max` when `tokens`
    ///   exceeds ``capacity`` (never available).
    /// - Complexity: O(1).
    public func wait(now: Int64, tokens count: Double = 1) -> Int64 {
        if count > capacity { return .max }
        let deficit = count - available(now: now)
        if deficit <= 1e-9 { return 0 }
        return Int64((deficit / ratePerSecond * 1e6).rounded(.up))
    }
}

/// A fixed quota per window for one tenant, such as 10,000 requests per day.
///
/// Windows are aligned to multiples of ``window`` from time zero (with Unix-epoch µs and a day
/// window, they are UTC days); the count resets at each window boundary. O(1), allocation-free.
public struct TenantQuota: Sendable, Hashable {
    /// Requests allowed per window.
    public let quota: Int
    /// The window length in µs.
    public let window: Int64
    /// Requests counted in the current window.
    public private(set) var used = 0
    private var windowIndex: Int64 = .min

    /// Creates a quota of `quota` requests per `window` µs.
    ///
    /// - Precondition: `quota ≥ 0`, `window > 0`.
    public init(quota: Int, window: Int64) {
        precondition(quota >= 0 && window > 0, "a quota needs a non-negative size and a positive window")
        self.quota = quota
        self.window = window
    }

    /// Counts `amount` requests against the quota if they fit.
    ///
    /// - Parameters:
    ///   - now: the current time in µs.
    ///   - amount: how many requests; positive.
    /// - Returns: whether they fit; on `false` nothing is counted.
    public mutating func tryTake(now: Int64, amount: Int = 1) -> Bool {
        roll(now: now)
        guard used + amount <= quota else { return false }
        used += amount
        return true
    }

    /// The requests left in the window that contains `now`.
    public func remaining(now: Int64) -> Int {
        index(of: now) == windowIndex ? quota - used : quota
    }

    /// The time (µs) the window containing `now` ends and the quota resets.
    public func resetsAt(now: Int64) -> Int64 { (index(of: now) + 1) * window }

    private func index(of now: Int64) -> Int64 {
        now >= 0 ? now / window : (now + 1) / window - 1
    }

    private mutating func roll(now: Int64) {
        let i = index(of: now)
        if i > windowIndex {
            windowIndex = i
            used = 0
        }
    }
}
