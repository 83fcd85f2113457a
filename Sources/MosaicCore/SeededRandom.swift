/// A seeded, counter-based random stream (splitmix64), identical on every platform.
///
/// Every random thing in Mosaic takes one of these, so the same seed gives the same bytes.
/// Streams derived with ``stream(_:)`` are independent of each other, so adding draws to one
/// component does not shift the numbers another component sees.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public private(set) var seed: UInt64
    private var counter: UInt64 = 0

    public init(seed: UInt64) { self.seed = seed }

    /// An independent stream for a named component.
    public func stream(_ name: String) -> SeededRandom {
        var h = StableHash(seed: seed)
        h.combine(name)
        return SeededRandom(seed: UInt64(bitPattern: h.value))
    }

    public mutating func next() -> UInt64 {
        counter &+= 1
        return StableHash.mix(seed &+ counter &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in (0, 1], safe for logarithms.
    public mutating func uniformOpen() -> Double { (Double(next() >> 11) + 1) * 0x1p-53 }

    /// A standard normal variate (Box–Muller, one value per two uniforms).
    public mutating func normal() -> Double {
        let u1 = uniformOpen(), u2 = uniform()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// Exponential with the given rate (mean 1/rate).
    public mutating func exponential(rate: Double) -> Double { -_log(uniformOpen()) / rate }

    /// Lognormal: exp(mu + sigma·Z).
    public mutating func lognormal(mu: Double, sigma: Double) -> Double { _exp(mu + sigma * normal()) }

    /// Pareto (type I) with scale xm and shape alpha: heavy-tailed, P(X > x) = (xm/x)^alpha.
    public mutating func pareto(scale xm: Double, shape alpha: Double) -> Double {
        xm / _pow(uniformOpen(), 1 / alpha)
    }

    /// Poisson-distributed count (Knuth for small means, normal approximation above 500).
    public mutating func poisson(mean: Double) -> Int {
        if mean <= 0 { return 0 }
        if mean > 500 { return max(0, Int((mean + mean.squareRoot() * normal()).rounded())) }
        let limit = _exp(-mean)
        var k = 0
        var p = uniformOpen()
        while p > limit { k += 1; p *= uniformOpen() }
        return k
    }

    /// True with probability p.
    public mutating func bernoulli(_ p: Double) -> Bool { uniform() < p }
}

// Foundation-free elementary functions keep MosaicCore's numeric code platform-identical.
#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _exp(_ x: Double) -> Double { Glibc.exp(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Glibc.cos(x) }
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func _exp(_ x: Double) -> Double { Darwin.exp(x) }
@inline(__always) func _cos(_ x: Double) -> Double { Darwin.cos(x) }
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { Darwin.pow(x, y) }
#endif
