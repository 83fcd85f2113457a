import MosaicCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Independent random streams for the components of one simulation, all from one seed.
///
/// Every stream is a MosaicCore ``SeededRandom`` (counter-based splitmix64), so the same seed
/// gives the same numbers on every platform, and drawing more from one component's stream never
/// shifts another's.
///
/// - Numbered streams, ``stream(_:)-(Int)``: stream `s` is `SeededRandom(seed: seed &+ s << 40)`,
///   whose k-th draw is `mix(seed + s·2⁴⁰ + (k+1)·0x9E3779B97F4A7C15)`. With seed 42 these are
///   exactly the portable streams of `shared/reference` (`u(s, k)`; streams 4 and 5 are the
///   queueing scripts' inter-arrival and service times).
/// - Named streams, ``stream(_:)-(String)``: `SeededRandom(seed:).stream(name)`.
/// - Named families, ``stream(_:_:)``: stream `index` of a named family (one per provider, …).
/// - Replications, ``replication(_:)``: a fresh, independent set of streams per replication.
public struct RandomStreams: Sendable, Hashable {
    /// The seed every stream is derived from.
    public let seed: UInt64

    /// Streams derived from `seed`.
    public init(seed: UInt64) { self.seed = seed }

    /// Numbered stream `index` (≥ 0): `SeededRandom(seed: seed &+ UInt64(index) << 40)`.
    @inlinable
    public func stream(_ index: Int) -> SeededRandom {
        precondition(index >= 0, "stream index must be non-negative, got \(index)")
        return SeededRandom(seed: seed &+ (UInt64(index) << 40))
    }

    /// The stream of a named component.
    public func stream(_ name: String) -> SeededRandom {
        SeededRandom(seed: seed).stream(name)
    }

    /// Stream `index` of the named family `name` (for example one per provider or client).
    public func stream(_ name: String, _ index: Int) -> SeededRandom {
        precondition(index >= 0, "stream index must be non-negative, got \(index)")
        return SeededRandom(seed: SeededRandom(seed: seed).stream(name).seed &+ (UInt64(index) << 40))
    }

    /// The streams of replication `r`: independent of every other replication's and of `self`.
    public func replication(_ r: Int) -> RandomStreams {
        var h = StableHash(seed: seed)
        h.combine("replication")
        h.combine(Int64(r))
        return RandomStreams(seed: UInt64(bitPattern: h.value))
    }
}

extension SeededRandom {
    /// Exponential with the given rate as the reference scripts draw it:
    /// `-log1p(-u) / rate` with `u` = ``SeededRandom/uniform()`` in [0, 1).
    ///
    /// Uses one draw, like ``SeededRandom/exponential(rate:)``, but a different formula; use
    /// this one to reproduce `shared/reference` (`portable_exponential`) bit for bit.
    @inlinable @inline(__always)
    public mutating func portableExponential(rate: Double) -> Double {
        -log1p(-uniform()) / rate
    }
}
