/// Decimal numbers kept as text (FOCUS quantities), compared by value.
public enum DecimalText {
    /// One spelling per value of a decimal literal (an optional sign, digits with an optional
    /// fraction, an optional exponent): its significant digits without leading or trailing
    /// zeros, then `e` and the exponent when it is not 0, and a `-` for a negative value.
    /// `1.50`, `1.5`, `15e-1` and `+0.15E1` all give `15e-1`; `0.00000080000` and
    /// `0.0000008` give `8e-7`; every zero gives `0`. Text that is not such a literal gives
    /// nil.
    ///
    /// The exponent form, rather than plain digits, keeps the text short whatever the
    /// exponent (`1e400` is five characters, not 401).
    ///
    /// - Complexity: O(*n*) in the length of the text.
    public static func canonical(_ text: some StringProtocol) -> String? {
        let b = Array(text.utf8)
        let n = b.count
        var i = 0
        var negative = false
        if i < n && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { negative = b[i] == UInt8(ascii: "-"); i += 1 }
        var digits: [UInt8] = []
        var exponent = 0
        var sawDigit = false
        while i < n && b[i] >= 48 && b[i] <= 57 { digits.append(b[i]); sawDigit = true; i += 1 }
        if i < n && b[i] == UInt8(ascii: ".") {
            i += 1
            while i < n && b[i] >= 48 && b[i] <= 57 { digits.append(b[i]); exponent -= 1; sawDigit = true; i += 1 }
        }
        if !sawDigit { return nil }
        if i < n && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
            i += 1
            var sign = 1
            if i < n && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { sign = b[i] == UInt8(ascii: "-") ? -1 : 1; i += 1 }
            var e = 0
            var sawExponent = false
            while i < n && b[i] >= 48 && b[i] <= 57 {
                // Beyond a billion the value is no quantity anyone bills; saturate, stay total.
                e = min(e * 10 + Int(b[i] - 48), 1_000_000_000)
                sawExponent = true
                i += 1
            }
            if !sawExponent { return nil }
            exponent += sign * e
        }
        if i != n { return nil }
        // Leading zeros do not count; trailing zeros move into the exponent.
        var start = 0
        while start < digits.count && digits[start] == 48 { start += 1 }
        if start == digits.count { return "0" }
        var end = digits.count
        while digits[end - 1] == 48 { end -= 1; exponent += 1 }
        var out = negative ? "-" : ""
        out += String(decoding: digits[start..<end], as: UTF8.self)
        if exponent != 0 { out += "e\(exponent)" }
        return out
    }
}
