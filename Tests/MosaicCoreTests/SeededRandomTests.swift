import MosaicCore
import Testing

/// Sample mean and (unbiased) variance.
private func moments(_ xs: [Double]) -> (mean: Double, variance: Double) {
    let mean = xs.reduce(0, +) / Double(xs.count)
    let ss = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    return (mean, ss / Double(xs.count - 1))
}

@Suite("SeededRandom")
struct SeededRandomTests {
    static let n = 200_000

    /// splitmix64's published first outputs for seed 0 (Vigna's reference implementation),
    /// and the `../shared/reference` generator's stream 0 (seed 42).
    @Test func matchesReferenceSplitmix64() {
        var zero = SeededRandom(seed: 0)
        #expect([zero.next(), zero.next(), zero.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        var r = SeededRandom(seed: 42)
        #expect([r.next(), r.next(), r.next()] == [0xBDD7_3226_2FEB_6E95, 0x28EF_E333_B266_F103, 0x4752_6757_130F_9F52])
    }

    @Test func sameSeedSameSequence() {
        var a = SeededRandom(seed: 123), b = SeededRandom(seed: 123), c = SeededRandom(seed: 124)
        let xs = (0..<1000).map { _ in a.next() }
        let ys = (0..<1000).map { _ in b.next() }
        let zs = (0..<1000).map { _ in c.next() }
        #expect(xs == ys)
        #expect(xs != zs)
        #expect(a.seed == 123)
        var d = SeededRandom(seed: 9), e = SeededRandom(seed: 9)
        #expect((0..<100).map { _ in d.normal() } == (0..<100).map { _ in e.normal() })
    }

    /// A named stream is a pure function of (seed, name), and pinned: stored simulations
    /// depend on it.
    @Test func streamsAreDeterministicAndPinned() {
        var s = SeededRandom(seed: 42).stream("latency")
        #expect(s.seed == 16_790_301_477_523_092_624)
        #expect([s.next(), s.next()] == [0x2F7B_749C_015E_25DE, 0xB7D4_94D9_2392_26A9])
        var t = SeededRandom(seed: 42).stream("latency")
        _ = t.next()
        _ = t.next()
        #expect(t.next() == s.next())
    }

    /// Drawing from one stream does not shift another; different names give unrelated numbers.
    @Test func streamsAreIndependent() {
        let root = SeededRandom(seed: 5)
        var a1 = root.stream("arrivals"), b1 = root.stream("service")
        var a2 = root.stream("arrivals"), b2 = root.stream("service")
        _ = (0..<500).map { _ in a1.next() }      // a1 is used a lot, a2 not at all
        #expect((0..<100).map { _ in b1.next() } == (0..<100).map { _ in b2.next() })
        // The parent is not advanced by deriving streams.
        var p1 = root, p2 = SeededRandom(seed: 5)
        #expect(p1.next() == p2.next())
        // Correlation between two streams' uniforms is ~0 (σ ≈ 1/√n).
        let n = 50_000
        var x = root.stream("x"), y = root.stream("y")
        let us = (0..<n).map { _ in x.uniform() }, vs = (0..<n).map { _ in y.uniform() }
        let mu = moments(us), mv = moments(vs)
        var cov = 0.0
        for i in 0..<n { cov += (us[i] - mu.mean) * (vs[i] - mv.mean) }
        let corr = cov / Double(n - 1) / (mu.variance * mv.variance).squareRoot()
        #expect(abs(corr) < 5 / Double(n).squareRoot())
        #expect(root.stream("x").seed != root.stream("y").seed)
        #expect(root.stream("x").seed != SeededRandom(seed: 6).stream("x").seed)
        _ = a2.next()
    }

    @Test func uniformIsInUnitInterval() {
        var r = SeededRandom(seed: 1).stream("uniform")
        var xs = [Double]()
        xs.reserveCapacity(Self.n)
        var lo = 1.0, hi = 0.0, openLo = 1.0
        for _ in 0..<Self.n {
            let u = r.uniform()
            let v = r.uniformOpen()
            lo = min(lo, u)
            hi = max(hi, u)
            openLo = min(openLo, v)
            if !(u >= 0 && u < 1) || !(v > 0 && v <= 1) { Issue.record("out of range: \(u), \(v)") }
            xs.append(u)
        }
        let m = moments(xs)
        // Uniform: mean 1/2 (σ ≈ 0.00065), variance 1/12 (σ ≈ 0.00017).
        #expect(abs(m.mean - 0.5) < 0.004)
        #expect(abs(m.variance - 1.0 / 12) < 0.001)
        #expect(lo < 1e-4 && hi > 1 - 1e-4 && openLo > 0)
        // Ten equal bins each hold ~n/10 draws (σ ≈ 134).
        var bins = [Int](repeating: 0, count: 10)
        for u in xs { bins[Int(u * 10)] += 1 }
        for c in bins { #expect(abs(c - Self.n / 10) < 800) }
    }

    @Test func generatesSwiftRandomValues() {
        var r = SeededRandom(seed: 3)
        var s = SeededRandom(seed: 3)
        #expect((0..<50).map { _ in Int.random(in: 0..<10, using: &r) } == (0..<50).map { _ in Int.random(in: 0..<10, using: &s) })
    }

    /// Tolerances are about 5 standard errors of each estimate for n = 200 000.
    @Test func normalMoments() {
        var r = SeededRandom(seed: 2024).stream("normal")
        let m = moments((0..<Self.n).map { _ in r.normal() })
        #expect(abs(m.mean) < 0.012)              // σ(mean) = 1/√n ≈ 0.0022
        #expect(abs(m.variance - 1) < 0.016)      // σ(var) = √(2/n) ≈ 0.0032
    }

    @Test func exponentialMoments() {
        var r = SeededRandom(seed: 2024).stream("exponential")
        let xs = (0..<Self.n).map { _ in r.exponential(rate: 2) }
        let m = moments(xs)
        #expect(xs.allSatisfy { $0 >= 0 && $0.isFinite })
        #expect(abs(m.mean - 0.5) < 0.006)        // σ(mean) = 0.5/√n ≈ 0.0011
        #expect(abs(m.variance - 0.25) < 0.008)   // σ(var) = 0.25·√(8/n) ≈ 0.0016
    }

    @Test(arguments: [0.7, 3.5, 40.0, 1_000.0])
    func poissonMoments(_ mean: Double) {
        var r = SeededRandom(seed: 2024).stream("poisson-\(mean)")
        let ks = (0..<Self.n).map { _ in r.poisson(mean: mean) }
        #expect(ks.allSatisfy { $0 >= 0 })
        let m = moments(ks.map(Double.init))
        let se = (mean / Double(Self.n)).squareRoot()
        #expect(abs(m.mean - mean) < 5 * se)                          // mean = λ
        #expect(abs(m.variance - mean) < 5 * mean * (2.0 / Double(Self.n) + 1 / (mean * Double(Self.n))).squareRoot())
    }

    @Test func poissonOfNonPositiveMeanIsZero() {
        var r = SeededRandom(seed: 1)
        #expect(r.poisson(mean: 0) == 0)
        #expect(r.poisson(mean: -3) == 0)
    }

    @Test func otherDistributions() {
        var r = SeededRandom(seed: 77).stream("other")
        let n = 100_000
        // Lognormal(0, 0.5): median e^0 = 1, mean e^(σ²/2) ≈ 1.1331.
        let ln = (0..<n).map { _ in r.lognormal(mu: 0, sigma: 0.5) }
        #expect(abs(moments(ln).mean - 1.1331484530668263) < 0.01)
        #expect(abs(Double(ln.filter { $0 < 1 }.count) / Double(n) - 0.5) < 0.01)
        // Pareto(xm = 2, α = 3): always ≥ 2, mean α·xm/(α−1) = 3, P(X > 4) = (2/4)^3 = 1/8.
        let pa = (0..<n).map { _ in r.pareto(scale: 2, shape: 3) }
        #expect(pa.allSatisfy { $0 >= 2 })
        #expect(abs(Double(pa.filter { $0 > 4 }.count) / Double(n) - 0.125) < 0.006)
        // Bernoulli(0.3).
        let hits = (0..<n).filter { _ in r.bernoulli(0.3) }.count
        #expect(abs(Double(hits) / Double(n) - 0.3) < 0.008)
        #expect(!(0..<1000).contains { _ in r.bernoulli(0) })
        #expect((0..<1000).allSatisfy { _ in r.bernoulli(1) })
    }
}
