extension Money {
    /// The longest canonical text: a sign, 15 whole digits, a point and 24 fractional digits.
    public static let maxCanonicalBytes = 48

    /// Writes ``description``'s UTF-8 bytes to `out`, which has room for
    /// ``maxCanonicalBytes``, and returns how many it wrote. Allocates nothing: this is the
    /// bulk writers' form of ``description`` (one cost per stored row).
    @inline(__always)
    public func writeCanonical(to out: UnsafeMutablePointer<UInt8>) -> Int {
        let zero = UInt8(ascii: "0")
        let magnitude = units.magnitude
        let perWhole = UInt128(Money.unitsPerWhole)
        // |units| < 2^127 ≈ 1.7e38, so the whole part is below 1.7e14 and fits a UInt64.
        var whole = UInt64(magnitude / perWhole)
        let fraction = magnitude % perWhole
        var n = 0
        if units < 0 {
            out[0] = UInt8(ascii: "-")
            n = 1
        }
        var digits = 1
        var rest = whole
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        var i = n + digits - 1
        repeat {
            out[i] = zero + UInt8(whole % 10)
            whole /= 10
            i -= 1
        } while whole > 0
        n += digits
        if fraction == 0 { return n }
        out[n] = UInt8(ascii: ".")
        n += 1
        // 24 fractional digits as two halves of 12, each below 10^12.
        let half: UInt128 = 1_000_000_000_000
        var low = UInt64(fraction % half)
        var high = UInt64(fraction / half)
        for k in stride(from: 23, through: 12, by: -1) {
            out[n + k] = zero + UInt8(low % 10)
            low /= 10
        }
        for k in stride(from: 11, through: 0, by: -1) {
            out[n + k] = zero + UInt8(high % 10)
            high /= 10
        }
        var end = 24
        while out[n + end - 1] == zero { end -= 1 }  // the fraction is not 0, so a digit stays
        return n + end
    }
}
