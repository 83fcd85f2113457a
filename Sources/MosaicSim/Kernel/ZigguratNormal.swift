import MosaicCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard normal variates by the ziggurat method (Marsaglia and Tsang 2000, with Doornik's
/// 2005 choice of independent bits for the layer and the abscissa), from a ``SeededRandom``.
///
/// 256 layers of equal area v cover the density's right half; the base layer holds the tail
/// beyond r. One 64-bit draw gives the layer (its low 8 bits) and a signed uniform (its top 53
/// bits); about 99% of the draws end with one comparison and one multiplication, where Box–Muller
/// (``SeededRandom/normal()``) needs a logarithm, a square root and a cosine. The rest take the
/// exact rejection step of their layer, or Marsaglia's exact tail algorithm for the base, so the
/// variates are exactly normal up to floating point. `ZigguratNormalTests` checks them against
/// the normal distribution function (Kolmogorov–Smirnov over 10⁶ draws, moments, tail mass).
///
/// Deterministic: the same generator state gives the same variates on every platform.
struct ZigguratNormal: @unchecked Sendable {
    /// Layer count, the right edge of the base layer, and each layer's area (Marsaglia and Tsang).
    static let layers = 256
    static let r = 3.6541528853610088
    static let v = 0.00492867323399

    /// The tables, computed once per process and never freed (4 KiB): a plain pointer, so a
    /// copy of this value retains nothing.
    nonisolated(unsafe) static let tables: UnsafePointer<Double> = {
        let n = layers
        func f(_ t: Double) -> Double { exp(-0.5 * t * t) }
        var x = [Double](repeating: 0, count: n + 1)
        x[0] = v / f(r)
        x[1] = r
        for i in 2..<n { x[i] = (-2 * log(v / x[i - 1] + f(x[i - 1]))).squareRoot() }
        x[n] = 0
        let p = UnsafeMutablePointer<Double>.allocate(capacity: 2 * n + 1)
        for i in 0...n { p[i] = x[i] }
        for i in 0..<n { p[n + 1 + i] = x[i + 1] / x[i] }
        return UnsafePointer(p)
    }()

    /// `x[0]` = v/f(r) (the base layer's width as if it were a rectangle), `x[1]` = r, then the
    /// right edges of the layers upwards to `x[256]` = 0; `ratio[i]` = x[i+1]/x[i].
    let x: UnsafePointer<Double>
    let ratio: UnsafePointer<Double>

    init() {
        x = Self.tables
        ratio = Self.tables + Self.layers + 1
    }

    /// A standard normal variate.
    @inline(__always)
    func next(_ random: inout SeededRandom) -> Double {
        while true {
            let w = random.next()
            let i = Int(w & 0xFF)
            // Top 53 bits as a signed fraction in [-1, 1).
            let u = Double(Int64(bitPattern: w) >> 11) * 0x1p-52
            if abs(u) < ratio[i] { return u * x[i] }
            if let z = slow(i, u, &random) { return z }
        }
    }

    /// The rare step: the tail from the base layer, or the wedge of layer `i` (nil: rejected).
    func slow(_ i: Int, _ u: Double, _ random: inout SeededRandom) -> Double? {
        if i == 0 {
            // Marsaglia (1964): exact tail beyond r.
            var t = 0.0, y = 0.0
            repeat {
                t = log(random.uniformOpen()) / Self.r
                y = log(random.uniformOpen())
            } while -2 * y < t * t
            return u < 0 ? t - Self.r : Self.r - t
        }
        let z = u * x[i]
        let f0 = exp(-0.5 * (x[i] * x[i] - z * z))
        let f1 = exp(-0.5 * (x[i + 1] * x[i + 1] - z * z))
        return f1 + random.uniform() * (f0 - f1) < 1 ? z : nil
    }
}
