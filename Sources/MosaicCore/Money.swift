/// An exact amount of money: a signed decimal with up to 24 fractional digits.
///
/// Provider price tables quote per-token prices such as `5.0000000000000004e-08` USD, and
/// billing exports carry ten or more decimals; `Money` holds every such value exactly, so a
/// sum of a million prices reconciles to the last digit of its inputs. The value is stored as
/// an `Int128` count of 10⁻²⁴ units (about ±1.7 × 10¹⁴ in whole units), and arithmetic traps
/// on overflow rather than losing digits. The currency is not part of the value: Mosaic keeps
/// one currency per column (USD unless a billing line says otherwise).
///
/// The canonical text form (``description``) is the shortest exact decimal, `"0.0000625"`,
/// `"-12"`, `"150000"`; it is what the store keeps and what ``init(parsing:)`` reads back.
public struct Money: Sendable, Hashable, Comparable {
    /// Fractional digits kept exactly.
    public static let scale = 24
    /// 10^24: the number of units in 1 of the currency.
    public static let unitsPerWhole: Int128 = {
        var v: Int128 = 1
        for _ in 0..<24 { v *= 10 }
        return v
    }()

    /// The amount in 10⁻²⁴ units of the currency.
    public var units: Int128

    public init(units: Int128) { self.units = units }

    public static let zero = Money(units: 0)

    /// The largest magnitude one ingested amount may have: 10¹² (a trillion of its currency).
    ///
    /// `Money` holds about ±1.7 × 10¹⁴, so one amount near that limit makes every sum it
    /// enters overflow, and every later total (`report cost`, `costs`, `series`) fails. No
    /// request and no billing line comes near 10¹² (a million dollars' worth of a currency
    /// at 15,000 to the dollar is 1.5 × 10¹⁰), and 170 amounts at the limit still add up
    /// exactly; so readers refuse an amount beyond it as a misread value, naming its row.
    public static let largestIngested = Money(units: 1_000_000_000_000 * Money.unitsPerWhole)

    /// Whether the amount is within ±``largestIngested``.
    public var isWithinIngestLimit: Bool { units.magnitude <= Money.largestIngested.units.magnitude }

    /// A whole number of currency units.
    public init(whole: Int) { self.units = Int128(whole) * Money.unitsPerWhole }

    public static func < (a: Money, b: Money) -> Bool { a.units < b.units }
    public static func + (a: Money, b: Money) -> Money { Money(units: a.units + b.units) }
    public static func - (a: Money, b: Money) -> Money { Money(units: a.units - b.units) }
    public static prefix func - (a: Money) -> Money { Money(units: -a.units) }
    public static func += (a: inout Money, b: Money) { a.units += b.units }
    public static func -= (a: inout Money, b: Money) { a.units -= b.units }
    /// A price times a quantity (tokens, requests, minutes): exact.
    public static func * (a: Money, n: Int) -> Money { Money(units: a.units * Int128(n)) }
    public static func * (n: Int, a: Money) -> Money { Money(units: a.units * Int128(n)) }

    /// Adds without trapping; returns nil when the sum leaves the representable range.
    public func addingReportingOverflow(_ other: Money) -> Money? {
        let (v, o) = units.addingReportingOverflow(other.units)
        return o ? nil : Money(units: v)
    }

    /// Subtracts without trapping; returns nil when the difference leaves the representable range.
    public func subtractingReportingOverflow(_ other: Money) -> Money? {
        let (v, o) = units.subtractingReportingOverflow(other.units)
        return o ? nil : Money(units: v)
    }

    /// A price times a quantity without trapping; nil when the product leaves the representable range.
    public func multipliedReportingOverflow(by n: Int) -> Money? {
        let (v, o) = units.multipliedReportingOverflow(by: Int128(n))
        return o ? nil : Money(units: v)
    }

    /// The amount as a `Double`, for charts and statistics only; never for sums.
    public var doubleValue: Double {
        let whole = units / Money.unitsPerWhole
        let frac = units % Money.unitsPerWhole
        return Double(whole) + Double(frac) / 1e24
    }

    /// Rounds half away from zero to `places` fractional digits (0...24), for display.
    public func rounded(toPlaces places: Int) -> Money {
        precondition((0...Money.scale).contains(places), "places must be in 0...24")
        if places == Money.scale { return self }
        var step: Int128 = 1
        for _ in 0..<(Money.scale - places) { step *= 10 }
        let q = units / step
        let r = units % step
        var result = q
        if r.magnitude * 2 >= step.magnitude { result += units < 0 ? -1 : 1 }
        return Money(units: result * step)
    }

    /// Fixed-point text with exactly `places` fractional digits after rounding, for tables:
    /// `Money(parsing: "1.005").formatted(places: 2) == "1.01"`.
    public func formatted(places: Int) -> String {
        let r = rounded(toPlaces: places)
        let text = Money.render(r.units, minFractionDigits: places)
        if places == 0, let dot = text.firstIndex(of: ".") { return String(text[..<dot]) }
        guard let dot = text.firstIndex(of: ".") else { return text + (places > 0 ? "." + String(repeating: "0", count: places) : "") }
        let fraction = text[text.index(after: dot)...]
        return String(text[..<dot]) + "." + fraction.prefix(places)
    }
}

// MARK: - Text

extension Money: CustomStringConvertible, LosslessStringConvertible {
    /// The shortest exact decimal text: no exponent, no trailing zeros, no `+`.
    public var description: String { Money.render(units, minFractionDigits: 0) }

    public init?(_ description: String) {
        guard let m = try? Money(parsing: description) else { return nil }
        self = m
    }

    static func render(_ units: Int128, minFractionDigits: Int) -> String {
        let negative = units < 0
        let magnitude = units.magnitude
        let whole = magnitude / UInt128(Money.unitsPerWhole)
        var frac = magnitude % UInt128(Money.unitsPerWhole)
        var text = negative ? "-" : ""
        text += String(whole)
        if frac == 0 && minFractionDigits == 0 { return text == "-0" ? "0" : text }
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: Money.scale)
        var i = Money.scale - 1
        while frac > 0 {
            digits[i] = UInt8(ascii: "0") + UInt8(frac % 10)
            frac /= 10
            i -= 1
        }
        var end = Money.scale
        while end > minFractionDigits, digits[end - 1] == UInt8(ascii: "0") { end -= 1 }
        if end == 0 { return text }
        text += "."
        text += String(decoding: digits[0..<end], as: UTF8.self)
        return text
    }
}

/// Why a text is not an amount of money.
public enum MoneyParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case invalidCharacter(String)
    case tooManyDecimals(String)
    case outOfRange(String)

    public var description: String {
        switch self {
        case .empty: return "empty amount"
        case .invalidCharacter(let t): return "'\(t)' is not a decimal number"
        case .tooManyDecimals(let t): return "'\(t)' has more than \(Money.scale) decimal places"
        case .outOfRange(let t): return "'\(t)' is out of range"
        }
    }
}

extension Money {
    /// Reads a decimal such as `"12.50"`, `"-0.000001"`, `"5.0000000000000004e-08"` or `"1E3"`
    /// exactly. Leading/trailing spaces are not accepted; digits beyond the 24th decimal place
    /// must be zeros.
    ///
    /// - Throws: ``MoneyParseError`` naming the offending text.
    public init(parsing text: some StringProtocol) throws(MoneyParseError) {
        var copy = String(text)
        let result: Result<Money, MoneyParseError> = copy.withUTF8 { buf in
            Money.parse(UnsafeRawBufferPointer(buf))
        }
        self = try result.get()
    }

    /// Parses ASCII bytes; the fast path used by the ingest readers.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<Money, MoneyParseError> {
        let n = bytes.count
        func text() -> String { String(decoding: bytes, as: UTF8.self) }
        if n == 0 { return .failure(.empty) }
        var i = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") { negative = true; i = 1 } else if bytes[0] == UInt8(ascii: "+") { i = 1 }
        // Collect significant digits and the position of the decimal point.
        var significand: UInt128 = 0
        var full = false
        var fractionDigits = 0
        var seenDot = false
        var sawDigit = false
        var droppedNonZero = false
        var droppedZeros = 0  // digits not added to the significand because it is full
        // Digits after the point, and the deepest place of a non-zero one not added (0: none or
        // only before the point): past the scale it has too many decimals, not too many digits.
        var fractionPlaces = 0
        var deepestDroppedPlace = 0
        var droppedWholeNonZero = false
        while i < n {
            let c = bytes[i]
            if c >= 48 && c <= 57 {
                sawDigit = true
                let d = UInt128(c - 48)
                if seenDot { fractionPlaces += 1 }
                let (m, o1) = significand.multipliedReportingOverflow(by: 10)
                let (v, o2) = m.addingReportingOverflow(d)
                if !o1 && !o2 && !full {
                    significand = v
                    if seenDot { fractionDigits += 1 }
                } else {
                    // The significand is full: later digits must be zeros (scaled in below).
                    full = true
                    if d != 0 {
                        droppedNonZero = true
                        if seenDot { deepestDroppedPlace = fractionPlaces } else { droppedWholeNonZero = true }
                    }
                    if !seenDot { droppedZeros += 1 }
                }
            } else if c == UInt8(ascii: ".") && !seenDot {
                seenDot = true
            } else {
                break
            }
            i += 1
        }
        if !sawDigit { return .failure(.invalidCharacter(text())) }
        var exponent = 0
        if i < n {
            guard bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") else {
                return .failure(.invalidCharacter(text()))
            }
            i += 1
            var expNegative = false
            if i < n, bytes[i] == UInt8(ascii: "-") { expNegative = true; i += 1 } else if i < n, bytes[i] == UInt8(ascii: "+") { i += 1 }
            var sawExpDigit = false
            while i < n {
                let c = bytes[i]
                guard c >= 48 && c <= 57 else { return .failure(.invalidCharacter(text())) }
                sawExpDigit = true
                if exponent < 10_000 { exponent = exponent * 10 + Int(c - 48) }
                i += 1
            }
            if !sawExpDigit { return .failure(.invalidCharacter(text())) }
            if expNegative { exponent = -exponent }
        }
        if droppedNonZero {
            let pastScale = !droppedWholeNonZero && deepestDroppedPlace - exponent > Money.scale
            return .failure(pastScale ? .tooManyDecimals(text()) : .outOfRange(text()))
        }
        // value = significand × 10^(exponent + droppedZeros − fractionDigits); units = value × 10^24.
        var shift = Money.scale + exponent + droppedZeros - fractionDigits
        var value = significand
        if shift < 0 {
            while shift < 0 {
                if value % 10 != 0 { return .failure(.tooManyDecimals(text())) }
                value /= 10
                shift += 1
            }
        } else {
            while shift > 0 {
                if value == 0 { break }
                let (m, o) = value.multipliedReportingOverflow(by: 10)
                if o { return .failure(.outOfRange(text())) }
                value = m
                shift -= 1
            }
        }
        guard value <= UInt128(Int128.max) else { return .failure(.outOfRange(text())) }
        let signed = Int128(value)
        return .success(Money(units: negative ? -signed : signed))
    }
}

extension Money: Codable {
    /// Encodes as the canonical decimal string, so JSON never rounds it through a `Double`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        do { self = try Money(parsing: text) } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: error.description)
        }
    }
}

extension Sequence where Element == Money {
    /// The exact sum.
    public func sum() -> Money { reduce(into: .zero) { $0 += $1 } }

    /// The exact sum, or nil when a partial sum leaves `Money`'s range.
    public func sumReportingOverflow() -> Money? {
        var total = Money.zero
        for m in self {
            guard let next = total.addingReportingOverflow(m) else { return nil }
            total = next
        }
        return total
    }
}
