import Foundation

extension Double {
    /// This value rounded to `digits` significant decimal digits (1 to 15), computed without
    /// building text, for answers written on a hot path. A price times a token count carries the
    /// arithmetic's noise past the 15th digit (1,000 tokens at $3 and 300 at $15 a million are
    /// `0.007500000000000001`); rounded to 12 digits it is the nearest double to `0.0075`.
    /// Values whose scaling needs a power of ten beyond 10^22 (no longer exact), and non-finite
    /// values, are returned as they are.
    public func rounded(significantDigits digits: Int) -> Double {
        guard isFinite, self != 0, (1...15).contains(digits) else { return self }
        // The decimal exponent: log10 rounds up to an integer just below a power of ten
        // (log10(0.000999999999999995) is -3.0), so it is checked against the power itself.
        var exponent = Int(Foundation.log10(Swift.abs(self)).rounded(.down))
        if (-22...22).contains(exponent) {
            let power = Self.exactPowersOfTen[Swift.abs(exponent)]
            if exponent >= 0 ? Swift.abs(self) < power : Swift.abs(self) * power < 1 { exponent -= 1 }
        }
        let shift = digits - 1 - exponent
        guard Swift.abs(shift) <= 22 else { return self }
        // Powers of ten up to 10^22 are exact doubles, so the division or product that scales
        // back is one correctly rounded operation.
        let scale = Self.exactPowersOfTen[Swift.abs(shift)]
        return shift >= 0 ? (self * scale).rounded() / scale : (self / scale).rounded() * scale
    }

    private static let exactPowersOfTen: [Double] = (0...22).map { Double("1e\($0)")! }
}
