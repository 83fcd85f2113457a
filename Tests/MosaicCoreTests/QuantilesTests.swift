import Foundation
import MosaicCore
import MosaicTestSupport
import Testing

/// True when `a` and `b` differ by at most `ulps` units in the last place of `scale`, the
/// largest magnitude in the sample: interpolating between two values can cancel, so the
/// rounding error is relative to the values, not to the (possibly tiny) result.
private func close(_ a: Double, _ b: Double, scale: Double, ulps: Double = 4) -> Bool {
    a == b || abs(a - b) <= ulps * scale.ulp
}

@Suite("Quantiles")
struct QuantilesTests {
    static let ps: [Double] = [0, 0.01, 0.1, 0.25, 0.3, 0.4, 0.5, 0.75, 0.9, 0.95, 0.99, 1]

    /// Samples (sorted), chosen for ties, negatives, a single value, even and odd counts.
    static let samples: [[Double]] = [
        [1, 2, 3, 4],
        [15, 20, 35, 40, 50],
        [7],
        [1, 1, 1, 2],
        [-5, 0.5, 2.25, 100],
        oneToHundred,
        [0.1, 0.2, 0.30000000000000004, 1e-9, 12.5, 1e6, 3.14159, 2.71828, 250, 250, 251].sorted(),
        {
            var r = SeededRandom(seed: 99).stream("quantiles")
            return (0..<1001).map { _ in r.lognormal(mu: 6, sigma: 1) }.sorted()
        }(),
    ]

    static let oneToHundred: [Double] = (1...100).map(Double.init)

    /// Values worked out by hand from h = (n − 1)·p, x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
    static let handValues: [([Double], Double, Double)] = [
        ([1, 2, 3, 4], 0.0, 1.0),
        ([1, 2, 3, 4], 0.25, 1.75),      // h = 0.75
        ([1, 2, 3, 4], 0.5, 2.5),
        ([1, 2, 3, 4], 0.75, 3.25),      // h = 2.25
        ([1, 2, 3, 4], 0.9, 3.7),        // h = 2.7
        ([1, 2, 3, 4], 1.0, 4.0),
        ([15, 20, 35, 40, 50], 0.3, 23.0),  // h = 1.2: 20 + 0.2·15
        ([15, 20, 35, 40, 50], 0.4, 29.0),  // h = 1.6: 20 + 0.6·15
        ([15, 20, 35, 40, 50], 0.5, 35.0),
        ([7], 0.0, 7.0),
        ([7], 0.99, 7.0),
        ([1, 1, 1, 2], 0.5, 1.0),
        ([1, 1, 1, 2], 0.9, 1.7),         // h = 2.7
        ([-5, 0.5, 2.25, 100], 0.5, 1.375),
        ([-5, 0.5, 2.25, 100], 0.1, -3.35),  // h = 0.3: −5 + 0.3·5.5
        (oneToHundred, 0.5, 50.5),
        (oneToHundred, 0.95, 95.05),  // h = 94.05
        (oneToHundred, 0.99, 99.01),  // h = 98.01
    ]

    @Test(arguments: handValues)
    func handComputed(_ sorted: [Double], _ p: Double, _ expected: Double) {
        let q = Quantiles.linear(sorted: sorted, p)
        #expect(abs(q - expected) <= 1e-12 * max(1, abs(expected)), "p = \(p): \(q)")
    }

    @Test func emptySampleIsNaN() {
        #expect(Quantiles.linear(sorted: [], 0.5).isNaN)
        #expect(Quantiles.linear(sorted: [], 0).isNaN)
    }

    @Test func extremesAreMinimumAndMaximum() {
        for s in Self.samples {
            #expect(Quantiles.linear(sorted: s, 0) == s.first)
            #expect(Quantiles.linear(sorted: s, 1) == s.last)
        }
    }

    @Test func isMonotoneInP() {
        for s in Self.samples {
            let qs = Self.ps.map { Quantiles.linear(sorted: s, $0) }
            #expect(zip(qs, qs.dropFirst()).allSatisfy { $0 <= $1 }, "\(qs)")
        }
    }

    /// numpy's `np.quantile(x, p)` (method "linear", the default) on the same samples.
    ///
    /// numpy interpolates as `b − (b − a)·(1 − t)` when t ≥ 0.5, Mosaic as `a + t·(b − a)`,
    /// so results may differ in the last bits (−0.05000000000000071 against numpy's
    /// −0.05000000000000049 for p = 0.3 of [−5, 0.5, 2.25, 100]); a few ulps of the sample's
    /// largest magnitude are allowed.
    @Test(.enabled(if: Python.has("numpy"), "python3 with numpy is not on PATH"))
    func matchesNumpy() throws {
        struct Input: Encodable { var samples: [[Double]]; var ps: [Double] }
        let input = try JSONEncoder().encode(Input(samples: Self.samples, ps: Self.ps))
        let result = try #require(Python.run("""
            import json, sys
            import numpy as np
            d = json.loads(sys.argv[1])
            out = [[float(np.quantile(np.array(s, dtype=np.float64), p)) for p in d["ps"]] for s in d["samples"]]
            print(json.dumps(out))
            """, arguments: [String(decoding: input, as: UTF8.self)]))
        try #require(result.status == 0, "python3 failed: \(result.stderr)")
        let expected = try JSONDecoder().decode([[Double]].self, from: Data(result.stdout.utf8))
        try #require(expected.count == Self.samples.count)
        for (s, row) in zip(Self.samples, expected) {
            for (p, want) in zip(Self.ps, row) {
                let got = Quantiles.linear(sorted: s, p)
                let scale = max(abs(s.first!), abs(s.last!))
                #expect(close(got, want, scale: scale), "n = \(s.count), p = \(p): numpy \(want), Mosaic \(got)")
            }
        }
    }
}
