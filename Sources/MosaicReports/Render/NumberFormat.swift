import Foundation
import MosaicCore

/// Locale-independent number text: the same bytes on every machine.
public enum NumberFormat {
    /// `1234567` → `"1,234,567"`.
    public static func grouped(_ v: Int) -> String { grouped(String(v)) }

    /// Groups the integer part of a decimal text: `"-1234.50"` → `"-1,234.50"`.
    public static func grouped(_ text: String) -> String {
        var s = Substring(text)
        var sign = ""
        if s.first == "-" { sign = "-"; s = s.dropFirst() }
        let dot = s.firstIndex(of: ".") ?? s.endIndex
        let whole = Array(s[..<dot])
        var out = ""
        for (i, c) in whole.enumerated() {
            if i > 0 && (whole.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return sign + out + s[dot...]
    }

    /// Fixed decimals, grouped; `-0.00` prints `0.00`. Rounds the double's exact binary value,
    /// as C's `%.Nf` does: 2.675 is stored as 2.67499999… and prints 2.67, and only an exact
    /// tie such as 0.125 goes to even (0.12). Amounts that are exact decimals are formatted
    /// from `Money` instead, which rounds half away from zero (2.68, 0.13).
    public static func fixed(_ v: Double, places: Int) -> String {
        guard v.isFinite else { return "–" }
        return grouped(plain(v, places: places))
    }

    /// Fixed decimals without grouping, as `%.Nf` writes them, but a value that rounds to zero
    /// has no sign (`-0.00` prints `0.00`).
    public static func plain(_ v: Double, places: Int) -> String {
        var text = String(format: "%.\(places)f", v)
        if text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { text.removeFirst() }
        return text
    }

    /// Money rounded to cents and grouped, with the currency: `"USD 1,925,000.00"`.
    public static func money(_ m: Money, currency: String = "USD", places: Int = 2) -> String {
        "\(currency) \(grouped(m.formatted(places: places)))"
    }

    /// A double amount of money rounded to cents: `"USD 1,506,974.67"`.
    public static func money(_ v: Double, currency: String = "USD", places: Int = 2) -> String {
        "\(currency) \(fixed(v, places: places))"
    }

    /// Short tick text: 1500 → "1.5k", 2_000_000 → "2M", 0.25 → "0.25".
    public static func short(_ v: Double) -> String {
        let a = abs(v)
        func trim(_ s: String) -> String {
            guard s.contains(".") else { return s }
            var t = s
            while t.hasSuffix("0") { t.removeLast() }
            if t.hasSuffix(".") { t.removeLast() }
            return t
        }
        if a >= 1e9 { return trim(String(format: "%.2f", v / 1e9)) + "G" }
        if a >= 1e6 { return trim(String(format: "%.2f", v / 1e6)) + "M" }
        if a >= 1e4 { return trim(String(format: "%.1f", v / 1e3)) + "k" }
        if a >= 100 || a == 0 { return trim(String(format: "%.0f", v)) }
        if a >= 1 { return trim(String(format: "%.2f", v)) }
        return trim(String(format: "%.4f", v))
    }

    /// A double for CSV and JSON (`nil` when not finite): rounded to 12 significant digits, then
    /// in its shortest text. Past the 12th a report's double carries only its arithmetic's
    /// rounding: 1 − 0.8 is `0.19999999999999996`, a simulated detection time summed from
    /// thousands of steps `4.499999999995907`; here they are `0.2` and `4.5`. Money is exact
    /// decimal text, not a double, and keeps every digit.
    public static func exact(_ v: Double) -> String? {
        guard v.isFinite else { return nil }
        let r = significant(v)
        if r == r.rounded(), abs(r) < 1e15 { return String(Int64(r)) }
        return "\(r)"
    }

    /// `v` rounded to 12 significant digits (see ``exact(_:)``); a non-finite value as it is.
    public static func significant(_ v: Double) -> Double {
        v.isFinite ? Double(String(format: "%.12g", v)) ?? v : v
    }

    /// `"2026-10-05"` from µs since the epoch.
    public static func date(_ micros: Int64) -> String { Timestamp.formatDate(micros) }
}
