import Foundation
import MosaicCore
import Testing

/// `Double.rounded(significantDigits:)` against the same rounding done through text
/// (`%.12g`, then parsed), which is exact by construction.
@Suite struct SignificantDigitsTests {
    @Test func noiseInTheLastDigitsGoes() {
        #expect((1000 * 3e-6 + 300 * 1.5e-5).rounded(significantDigits: 12) == 0.0075)
        #expect((3 * 2.5e-6 + 7 * 1e-5).rounded(significantDigits: 12) == 7.75e-5)
        #expect((0.1 + 0.2).rounded(significantDigits: 12) == 0.3)
        #expect(Double.infinity.rounded(significantDigits: 12) == .infinity)
        #expect(Double.nan.rounded(significantDigits: 12).isNaN)
        #expect(0.0.rounded(significantDigits: 12) == 0)
    }

    @Test func agreesWithRoundingThroughText() {
        var random = SeededRandom(seed: 5)
        var differ = 0
        for _ in 0..<100_000 {
            // Magnitudes from 1e-10 to 1e10, where a scaling power of ten is exact.
            let v = Double.random(in: 1...10, using: &random) * pow(10, Double(Int.random(in: -10...10, using: &random)))
                * (Bool.random(using: &random) ? 1 : -1)
            let viaText = Double(String(format: "%.12g", v))!
            let r = v.rounded(significantDigits: 12)
            if r != viaText {
                differ += 1
                // Only where the digits past the 12th are a 5 on the edge (0.07865760039575, whose
                // product with 10^13 rounds to a half) can the two part: by one unit in the 12th digit.
                let unit = pow(10, (log10(abs(viaText))).rounded(.down) - 11)
                #expect(abs(r - viaText) <= unit * 1.001, "\(v): \(r) against \(viaText)")
                #expect(Double(String(format: "%.12g", r)) == r, "\(v): \(r) has more than 12 digits")
            }
        }
        #expect(differ < 100, "\(differ) of 100,000 differ")
    }
}
