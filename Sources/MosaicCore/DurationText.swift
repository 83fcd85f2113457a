/// The one duration grammar of Mosaic's files and command line: a number and a unit, read
/// exactly to the microsecond (never through `Double`).
///
/// `250ms`, `1.5s`, `5m`, `24h`, `7d`, `-1s`; units `us` (or `µs`), `ms`, `s`, `m`, `h`, `d`; a
/// space may stand between the number and the unit. Negative values parse (callers report them
/// as range errors); a fraction must come to a whole number of microseconds.
public enum DurationText {
    /// What ``parse(_:)`` made of a text.
    public enum Parsed: Sendable, Equatable {
        /// The duration in microseconds.
        case value(Int64)
        /// A number without a unit (`250`).
        case noUnit
        /// Not a duration; the reason completes "'x' is not a duration: …".
        case invalid(String)
    }

    /// The units, in µs.
    public static let units: [(name: String, micros: Int64)] = [
        ("us", 1), ("µs", 1), ("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000), ("h", 3_600_000_000),
        ("d", 86_400_000_000),
    ]

    /// The unit list as messages show it: `us, ms, s, m, h, d`.
    public static let unitList = "us, ms, s, m, h, d"

    /// Reads a duration. O(n) in the text's length.
    public static func parse(_ text: String) -> Parsed {
        let scalars = Array(text.unicodeScalars)
        var i = 0
        var negative = false
        if i < scalars.count, scalars[i] == "-" || scalars[i] == "+" {
            negative = scalars[i] == "-"
            i += 1
        }
        var whole: [Int64] = []
        var fraction: [Int64] = []
        var seenDot = false
        while i < scalars.count {
            let c = scalars[i]
            if c >= "0" && c <= "9" {
                let digit = Int64(c.value - 48)
                if seenDot { fraction.append(digit) } else { whole.append(digit) }
            } else if c == "." && !seenDot {
                seenDot = true
            } else {
                break
            }
            i += 1
        }
        guard !(whole.isEmpty && fraction.isEmpty) else {
            return .invalid("expected a number followed by a unit (us, ms, s, m, h or d), for example 250ms, 1.5s or 5m")
        }
        while i < scalars.count, scalars[i] == " " { i += 1 }
        let unit = String(String.UnicodeScalarView(scalars[i...]))
        if unit.isEmpty { return .noUnit }
        guard let factor = units.first(where: { $0.name == unit })?.micros else {
            return .invalid("unknown unit '\(unit)' (use us, ms, s, m, h or d)")
        }
        guard fraction.count <= 12 else { return .invalid("too many decimal places") }
        var micros: Int64 = 0
        for digit in whole {
            let (m, o1) = micros.multipliedReportingOverflow(by: 10)
            let (v, o2) = m.addingReportingOverflow(digit)
            if o1 || o2 { return .invalid("too large") }
            micros = v
        }
        let (scaled, overflow) = micros.multipliedReportingOverflow(by: factor)
        if overflow { return .invalid("too large") }
        micros = scaled
        if !fraction.isEmpty {
            // fraction × factor / 10^digits must be a whole number of µs. At most 12 digits times
            // at most 8.64e10 µs fits an Int128 with room to spare.
            var numerator: Int128 = 0
            var denominator: Int128 = 1
            for digit in fraction {
                numerator = numerator * 10 + Int128(digit)
                denominator *= 10
            }
            let product = numerator * Int128(factor)
            guard product % denominator == 0 else { return .invalid("not a whole number of microseconds") }
            let (sum, o) = micros.addingReportingOverflow(Int64(product / denominator))
            if o { return .invalid("too large") }
            micros = sum
        }
        return .value(negative ? -micros : micros)
    }

    /// Renders µs in the largest unit up to hours that divides it: `24h`, `90m`, `100ms`, `7us`.
    public static func format(_ micros: Int64) -> String {
        if micros == 0 { return "0s" }
        for (unit, size) in [("h", Int64(3_600_000_000)), ("m", 60_000_000), ("s", 1_000_000), ("ms", 1_000)]
        where micros % size == 0 {
            return "\(micros / size)\(unit)"
        }
        return "\(micros)us"
    }

    /// Renders seconds as a duration (`14h`; 2.5 s as `2500ms`), rounded to the microsecond.
    public static func format(seconds: Double) -> String {
        let micros = (seconds * 1_000_000).rounded()
        guard micros.isFinite, abs(micros) < 9e18 else { return "\(seconds)s" }
        return format(Int64(micros))
    }

    /// Renders milliseconds as a duration.
    public static func format(milliseconds: Double) -> String { format(seconds: milliseconds / 1_000) }
}
