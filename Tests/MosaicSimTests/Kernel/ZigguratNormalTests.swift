import Foundation
import MosaicCore
@testable import MosaicSim
import Testing

/// The ziggurat sampler against the exact standard normal: Φ(x) = erfc(−x/√2)/2.
@Suite("Ziggurat normal")
struct ZigguratNormalTests {
    static func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    static func draws(_ n: Int, seed: UInt64) -> [Double] {
        let z = ZigguratNormal()
        var random = SeededRandom(seed: seed)
        return (0..<n).map { _ in z.next(&random) }
    }

    @Test("layers of equal area: the top one holds v like the others, the edges fall to 0")
    func tables() {
        let z = ZigguratNormal(), v = ZigguratNormal.v
        #expect(z.x[1] == ZigguratNormal.r && z.x[256] == 0)
        for i in 1..<256 { #expect(z.x[i + 1] < z.x[i]) }
        // Layer i (i ≥ 1) is the rectangle x[i] × (f(x[i+1]) − f(x[i])); the top one x[255] × (1 − f(x[255])).
        let f = { (t: Double) in exp(-0.5 * t * t) }
        for i in [1, 100, 200, 254] { #expect(abs(z.x[i] * (f(z.x[i + 1]) - f(z.x[i])) / v - 1) < 1e-9) }
        #expect(abs(z.x[255] * (1 - f(z.x[255])) / v - 1) < 1e-8)
    }

    @Test("10⁶ draws: Kolmogorov–Smirnov distance, moments, quantiles and tail mass of N(0, 1)")
    func distribution() {
        let n = 1_000_000
        let xs = Self.draws(n, seed: 2026).sorted()
        // KS statistic: the critical value at α = 0.001 is 1.949/√n = 0.00195.
        var d = 0.0
        for (k, x) in xs.enumerated() {
            let p = Self.phi(x)
            d = max(d, Double(k + 1) / Double(n) - p, p - Double(k) / Double(n))
        }
        #expect(d < 0.00195, "KS distance \(d)")
        // Moments: standard errors 0.001 (mean), 0.0014 (variance), 0.0024 (skewness), 0.0049 (kurtosis).
        let mean = xs.reduce(0, +) / Double(n)
        let m2 = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        let m3 = xs.reduce(0) { $0 + pow($1 - mean, 3) } / Double(n)
        let m4 = xs.reduce(0) { $0 + pow($1 - mean, 4) } / Double(n)
        #expect(abs(mean) < 0.005)
        #expect(abs(m2 - 1) < 0.007)
        #expect(abs(m3 / pow(m2, 1.5)) < 0.012)
        #expect(abs(m4 / (m2 * m2) - 3) < 0.025)
        // Quantiles (scipy.stats.norm.ppf), within 5 standard errors of a sample quantile.
        for (p, q) in [(0.001, -3.090232306167813), (0.025, -1.959963984540054), (0.5, 0), (0.9, 1.2815515655446004),
                       (0.999, 3.090232306167813)] {
            let se = (p * (1 - p) / Double(n)).squareRoot() / (exp(-0.5 * q * q) / (2 * Double.pi).squareRoot())
            #expect(abs(xs[Int(p * Double(n))] - q) < 5 * se, "quantile \(p)")
        }
        // The tail beyond r = 3.654 comes from the base layer's exact tail step: P(|Z| > r) = 2.58e-4.
        let tail = xs.filter { abs($0) > ZigguratNormal.r }.count
        let expected = 2 * (1 - Self.phi(ZigguratNormal.r)) * Double(n)
        #expect(abs(Double(tail) - expected) < 5 * expected.squareRoot(), "\(tail) beyond r, expected \(expected)")
    }

    @Test("the same seed gives the same variates")
    func deterministic() {
        #expect(Self.draws(10_000, seed: 9) == Self.draws(10_000, seed: 9))
        #expect(Self.draws(10, seed: 9) != Self.draws(10, seed: 10))
    }
}
