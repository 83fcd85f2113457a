import Foundation

/// Instants as integer microseconds since 1970-01-01T00:00:00Z, the store's time unit.
///
/// Parsing and formatting work on bytes without `DateFormatter`, because ingest reads millions
/// of timestamps per second.
public enum Timestamp {
    public static let microsPerSecond: Int64 = 1_000_000
    public static let microsPerDay: Int64 = 86_400_000_000
    /// The earliest instant a request or a billing line may have: 2000-01-01T00:00:00Z. An
    /// earlier one is a misread date (a zero date `0001-01-01`, a day-month swap, a number of
    /// seconds read as a date), and left in the store it stretches every window that reaches
    /// back to it (a series from year 1 to now holds 17 million hourly intervals).
    public static let earliestPlausible: Int64 = 946_684_800_000_000

    /// Why `ts`, the instant of `what` ("a request", "a charge"), is refused as before
    /// ``earliestPlausible``; nil when it is not. The words of every reader, files and APIs.
    public static func tooEarly(_ ts: Int64, what: String) -> String? {
        ts < earliestPlausible ? "\(format(ts)) is before \(format(earliestPlausible)); \(what) that early is a misread date" : nil
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    @inlinable
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// The days in `month` (1–12) of `year`, in the proleptic Gregorian calendar.
    public static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Parses an ISO 8601 / RFC 3339 date-time, or a plain date:
    /// `2024-05-01`, `2024-05-01T12:00:00Z`, `2024-05-01 12:00:00.1234567`,
    /// `2024-05-01T12:00:00.5+02:00`, `2024-05-01 12:00:00 UTC`, `2024-05-01 12:00:00 +0000`.
    /// A missing offset means UTC. Fractions beyond microseconds are truncated. Returns nil for
    /// anything else, including impossible dates.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        let n = bytes.count
        guard n >= 10 else { return nil }
        @inline(__always) func digit(_ i: Int) -> Int? {
            let c = bytes[i]
            return (c >= 48 && c <= 57) ? Int(c - 48) : nil
        }
        @inline(__always) func number(_ i: Int, _ count: Int) -> Int? {
            var v = 0
            for k in i..<(i + count) { guard let d = digit(k) else { return nil }; v = v * 10 + d }
            return v
        }
        guard let year = number(0, 4), bytes[4] == UInt8(ascii: "-"),
              let month = number(5, 2), bytes[7] == UInt8(ascii: "-"),
              let day = number(8, 2),
              (1...12).contains(month), day >= 1, day <= daysInMonth(year, month) else { return nil }
        var micros = Int64(daysFromCivil(year: year, month: month, day: day)) * microsPerDay
        if n == 10 { return micros }
        guard bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
              n >= 16,
              let hour = number(11, 2), bytes[13] == UInt8(ascii: ":"),
              let minute = number(14, 2), hour < 24, minute < 60 else { return nil }
        var i = 16
        var second = 0
        if i < n, bytes[i] == UInt8(ascii: ":") {
            guard n >= 19, let s = number(17, 2), s < 61 else { return nil }
            second = s
            i = 19
        }
        micros += Int64(hour * 3600 + minute * 60 + second) * microsPerSecond
        if i < n, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: ",") {
            i += 1
            var fraction: Int64 = 0
            var places = 0
            let start = i
            while i < n, let d = digit(i) {
                if places < 6 { fraction = fraction * 10 + Int64(d); places += 1 }
                i += 1
            }
            if i == start { return nil }
            while places < 6 { fraction *= 10; places += 1 }
            micros += fraction
        }
        if i == n { return micros }
        // A zone after a space, as databases and log tools write it: ` UTC` or ` GMT`
        // (BigQuery's CSV export), or an offset (`2024-05-01 12:00:00 +0000`, git's dates).
        if bytes[i] == UInt8(ascii: " "), i + 1 < n {
            i += 1
            if n - i == 3 {
                let zone = (bytes[i] | 0x20, bytes[i + 1] | 0x20, bytes[i + 2] | 0x20)
                if zone == (UInt8(ascii: "u"), UInt8(ascii: "t"), UInt8(ascii: "c"))
                    || zone == (UInt8(ascii: "g"), UInt8(ascii: "m"), UInt8(ascii: "t")) { return micros }
            }
            guard bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") else { return nil }
        }
        let c = bytes[i]
        if (c == UInt8(ascii: "Z") || c == UInt8(ascii: "z")) && i + 1 == n { return micros }
        if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            let sign: Int64 = c == UInt8(ascii: "+") ? 1 : -1
            // +HH:MM, +HHMM or +HH
            guard let oh = (i + 3 <= n ? number(i + 1, 2) : nil), oh <= 23 else { return nil }
            var om = 0
            if i + 3 == n {
            } else if i + 6 == n, bytes[i + 3] == UInt8(ascii: ":"), let m = number(i + 4, 2) {
                om = m
            } else if i + 5 == n, let m = number(i + 3, 2) {
                om = m
            } else { return nil }
            guard om < 60 else { return nil }
            return micros - sign * Int64(oh * 3600 + om * 60) * microsPerSecond
        }
        return nil
    }

    /// Parses a `String` (see ``parse(_:)-(UnsafeRawBufferPointer)``).
    public static func parse(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// RFC 3339 in UTC with microseconds when they are not zero: `2024-05-01T12:00:00.25Z`.
    public static func format(_ micros: Int64) -> String {
        var days = micros / microsPerDay
        var rest = micros % microsPerDay
        if rest < 0 { rest += microsPerDay; days -= 1 }
        let (y, m, d) = civilFromDays(Int(days))
        let secs = Int(rest / microsPerSecond)
        let frac = Int(rest % microsPerSecond)
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        var out = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secs / 3600, 2)):\(pad(secs / 60 % 60, 2)):\(pad(secs % 60, 2))"
        if frac != 0 {
            var f = pad(frac, 6)
            while f.hasSuffix("0") { f.removeLast() }
            out += "." + f
        }
        return out + "Z"
    }

    /// The date part only, `2024-05-01`.
    public static func formatDate(_ micros: Int64) -> String {
        String(format(micros).prefix(10))
    }

    /// Now, in microseconds since the epoch.
    public static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1e6).rounded())
    }

    /// Hour of day (0–23, UTC) and day of week (0 = Monday … 6 = Sunday) of an instant.
    public static func hourAndWeekday(_ micros: Int64) -> (hour: Int, weekday: Int) {
        var days = micros / microsPerDay
        var rest = micros % microsPerDay
        if rest < 0 { rest += microsPerDay; days -= 1 }
        // 1970-01-01 was a Thursday (weekday 3 with Monday = 0).
        var wd = (days + 3) % 7
        if wd < 0 { wd += 7 }
        return (Int(rest / 3_600_000_000), Int(wd))
    }
}
