#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The online correction of a routing model's latency head that `model_utility`'s `adapt`
/// turns on: an exponentially weighted mean of observed ÷ predicted latency over a provider's
/// successful attempts. Without an attempt it holds for ``halfLife`` (`adapt_half_life`, one
/// minute by default), then its distance from 1 halves every ``halfLife``.
///
/// The head predicts the mean latency, so a right head gives a factor of about 1; a host that
/// has become three times slower gives about 3 after a few dozen attempts. The decay matters
/// because a provider the correction ranks away from gets few attempts to correct it with: after
/// a quiet spell it is tried again at its head's prediction. `LatencyComparison`'s `head_adapt`
/// scores this same rule on recorded measurements.
public struct LatencyCorrection: Sendable, Equatable {
    /// The EWMA of observed ÷ predicted.
    public private(set) var ratio = 1.0
    /// Whether an attempt has been seen.
    public private(set) var seen = false
    /// When the last attempt ended, µs.
    public private(set) var lastAt: Int64 = 0

    /// The half-life, in µs, over which an unrefreshed correction returns to 1.
    public let halfLife: Int64
    /// One minute: a router sends a provider it ranks well many attempts a minute.
    public static let defaultHalfLife: Int64 = 60 * RoutingTime.second

    /// - Precondition: `halfLife > 0`.
    public init(halfLife: Int64 = LatencyCorrection.defaultHalfLife) {
        precondition(halfLife > 0, "a latency correction needs a positive half-life")
        self.halfLife = halfLife
    }

    /// Enters one successful attempt: what it took and what the head predicted (ms), with
    /// weight `alpha`, ending at `now` (µs). Values that are not finite, a negative observation
    /// and a prediction that is not positive are ignored.
    @inline(__always)
    public mutating func note(observedMs: Double, predictedMs: Double, alpha: Double, now: Int64) {
        guard observedMs >= 0, observedMs.isFinite, predictedMs > 0, predictedMs.isFinite else { return }
        // After a quiet spell the old correction has decayed: continue from what is left of it.
        let start = seen ? factor(now: now) : observedMs / predictedMs
        ratio = alpha * (observedMs / predictedMs) + (1 - alpha) * start
        seen = true
        lastAt = now
    }

    /// The factor a head's latency predictions are multiplied by at `now` (1 before any attempt).
    /// (Fading from the last attempt on, rather than after a hold, would pull the factor toward 1
    /// between every two attempts: with one every 10 s and a one-minute half-life, a host three
    /// times slower settled at a factor of 2.)
    @inline(__always)
    public func factor(now: Int64) -> Double {
        guard seen else { return 1 }
        let quiet = now - lastAt - halfLife
        if quiet <= 0 { return ratio }
        return 1 + (ratio - 1) * exp2(-Double(quiet) / Double(halfLife))
    }
}
