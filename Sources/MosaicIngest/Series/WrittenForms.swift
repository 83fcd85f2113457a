import MosaicCore

/// A date and time as spreadsheets, dashboards and locales write them, with slashes, dots or
/// dashes: `2021/08/01 07:00`, `8/1/2021 7:00 AM` and `8/1/21 7:00` (month first, as in the US),
/// `01/08/2021 07:00`, `01.08.2021 07:00` and `01-08-2021 07:00` (day first, as in most of
/// Europe). The time is optional: `H:MM`, `H:MM:SS`, a fraction and `AM`/`PM`. A two-digit year
/// is 1969–2068, as POSIX and pandas read it. There is no zone: UTC, as in an ISO 8601 time
/// without an offset.
///
/// Whether `01/08/2021` is the first of August or the eighth of January is not one field's to
/// say but its column's (``order(of:)``).
struct WrittenDate: Equatable {
    /// The date's fields as written: the year, and the other two in their order (`first` and
    /// `second`; month and day when ``yearFirst``).
    var first: Int, second: Int, year: Int
    var yearFirst: Bool
    /// The time of day, µs.
    var timeOfDay: Int64

    /// The order of day and month in a date written year last.
    enum Order: String {
        case monthFirst = "month first"
        case dayFirst = "day first"
    }

    /// The date in µs since the epoch when its fields are one (nil for a 13th month or a 31st
    /// of June).
    func micros(_ order: Order) -> Int64? {
        let (month, day) = yearFirst || order == .monthFirst ? (first, second) : (second, first)
        guard (1...12).contains(month), day >= 1, day <= Timestamp.daysInMonth(year, month) else { return nil }
        return Int64(Timestamp.daysFromCivil(year: year, month: month, day: day)) * Timestamp.microsPerDay + timeOfDay
    }

    /// The number written by up to `most` digits of `b` from `i` (before `end`), and how many
    /// digits it has; `i` moves past them. Nil when there is none.
    static func digits(_ b: UnsafeRawBufferPointer, _ i: inout Int, most: Int, end: Int? = nil) -> (value: Int, digits: Int)? {
        let end = end ?? b.count
        var v = 0, n = 0
        while i < end, n < most, b[i] >= 48, b[i] <= 57 { v = v * 10 + Int(b[i] - 48); n += 1; i += 1 }
        return n == 0 ? nil : (v, n)
    }

    static func parse(_ b: UnsafeRawBufferPointer) -> WrittenDate? {
        var i = 0
        func number(most: Int) -> (value: Int, digits: Int)? { digits(b, &i, most: most) }
        guard let p = number(most: 4), i < b.count else { return nil }
        let separator = b[i]
        guard separator == UInt8(ascii: "/") || separator == UInt8(ascii: ".") || separator == UInt8(ascii: "-") else { return nil }
        i += 1
        guard let q = number(most: 2), i < b.count, b[i] == separator else { return nil }
        i += 1
        guard let r = number(most: 4) else { return nil }
        var date: WrittenDate
        if p.digits == 4 {
            // Year first: 2021/08/01. (2021-08-01 is ISO 8601's, read before this.)
            guard r.digits <= 2 else { return nil }
            date = WrittenDate(first: q.value, second: r.value, year: p.value, yearFirst: true, timeOfDay: 0)
        } else {
            guard p.digits <= 2, r.digits == 4 || r.digits == 2 else { return nil }
            let year = r.digits == 4 ? r.value : r.value + (r.value < 69 ? 2000 : 1900)
            date = WrittenDate(first: p.value, second: q.value, year: year, yearFirst: false, timeOfDay: 0)
        }
        if i == b.count { return date }
        guard b[i] == UInt8(ascii: " ") || b[i] == UInt8(ascii: "T") else { return nil }
        while i < b.count, b[i] == UInt8(ascii: " ") { i += 1 }
        if i < b.count, b[i] == UInt8(ascii: "T") { i += 1 }
        guard let hour = number(most: 2), i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        guard let minute = number(most: 2), minute.digits == 2, minute.value < 60 else { return nil }
        var second = 0, fraction: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ":") {
            i += 1
            guard let s = number(most: 2), s.digits == 2, s.value < 61 else { return nil }
            second = s.value
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                var places = 0
                let start = i
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if places < 6 { fraction = fraction * 10 + Int64(b[i] - 48); places += 1 }
                    i += 1
                }
                guard i > start else { return nil }
                while places < 6 { fraction *= 10; places += 1 }
            }
        }
        var h = hour.value
        while i < b.count, b[i] == UInt8(ascii: " ") { i += 1 }
        if i + 2 == b.count, b[i + 1] | 0x20 == UInt8(ascii: "m") {
            // 12-hour clock: 12 AM is midnight, 12 PM noon.
            let pm: Bool
            switch b[i] | 0x20 {
            case UInt8(ascii: "a"): pm = false
            case UInt8(ascii: "p"): pm = true
            default: return nil
            }
            guard (1...12).contains(h) else { return nil }
            h = h % 12 + (pm ? 12 : 0)
            i += 2
        }
        guard i == b.count, h < 24 else { return nil }
        date.timeOfDay = (Int64(h * 3600 + minute.value * 60 + second)) * Timestamp.microsPerSecond + fraction
        return date
    }

    /// A date written without separators, as analytics exports and ISO 8601's basic format
    /// write it: `20210801`, `2021080107` (Google Analytics' "date + hour"), `202108010700`,
    /// `20210801070000`, or `20210801T0700`, `20210801T070000Z`; in µs, UTC. A ten- or
    /// twelve-digit one must start with `20`: as unix seconds or milliseconds it would be after
    /// May 2033 or before September 2001, which monitoring tools do not write.
    static func compact(_ b: UnsafeRawBufferPointer) -> Int64? {
        guard b.count >= 8, b.count <= 16 else { return nil }
        var digits: [Int] = [], t = false
        for (k, c) in b.enumerated() {
            if c >= 48 && c <= 57 {
                digits.append(Int(c - 48))
            } else if c | 0x20 == UInt8(ascii: "t"), digits.count == 8, !t {
                t = true
            } else if c | 0x20 == UInt8(ascii: "z"), k == b.count - 1, t {
                break
            } else {
                return nil
            }
        }
        switch (digits.count, t) {
        case (8, false), (10, true), (12, true), (14, _): break
        case (10, false), (12, false): guard digits[0] == 2 && digits[1] == 0 else { return nil }
        default: return nil
        }
        func number(_ at: Int, _ n: Int) -> Int { digits[at..<(at + n)].reduce(0) { $0 * 10 + $1 } }
        let year = number(0, 4), month = number(4, 2), day = number(6, 2)
        let hour = digits.count >= 10 ? number(8, 2) : 0
        let minute = digits.count >= 12 ? number(10, 2) : 0
        let second = digits.count == 14 ? number(12, 2) : 0
        guard (1...12).contains(month), day >= 1, day <= Timestamp.daysInMonth(year, month),
              hour < 24, minute < 60, second < 61 else { return nil }
        return Int64(Timestamp.daysFromCivil(year: year, month: month, day: day)) * Timestamp.microsPerDay
            + Int64(hour * 3600 + minute * 60 + second) * Timestamp.microsPerSecond
    }

    /// A web server's access-log time (the Common Log Format of Apache and nginx, in or out of its
    /// brackets): `01/Aug/1995:14:00:00 -0400`, or cut to the hour or the minute as a count per
    /// hour is made from it (`01/Aug/1995:14`); the month in English, any case; no offset means
    /// UTC. In µs, UTC.
    static func accessLog(_ b: UnsafeRawBufferPointer) -> Int64? {
        var lo = 0, hi = b.count
        if hi > 0, b[0] == UInt8(ascii: "[") {
            guard b[hi - 1] == UInt8(ascii: "]") else { return nil }
            lo = 1
            hi -= 1
        }
        guard hi - lo >= 14 else { return nil }
        var i = lo
        func number(_ n: Int) -> Int? {
            guard let d = digits(b, &i, most: n, end: hi), d.digits == n else { return nil }
            return d.value
        }
        func expect(_ c: Unicode.Scalar) -> Bool {
            guard i < hi, b[i] == UInt8(ascii: c) else { return false }
            i += 1
            return true
        }
        guard let day = number(2), expect("/"), i + 4 <= hi else { return nil }
        let name = String(decoding: (i..<i + 3).map { b[$0] | 0x20 }, as: UTF8.self)
        guard let month = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].firstIndex(of: name) else { return nil }
        i += 3
        guard expect("/"), let year = number(4), expect(":"), let hour = number(2), hour < 24 else { return nil }
        var minute = 0, second = 0
        if expect(":") {
            guard let m = number(2), m < 60 else { return nil }
            minute = m
            if expect(":") {
                guard let s = number(2), s < 61 else { return nil }
                second = s
            }
        }
        var offset = 0
        if expect(" ") {
            guard i < hi, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") else { return nil }
            let sign = b[i] == UInt8(ascii: "+") ? 1 : -1
            i += 1
            guard let oh = number(2), let om = number(2), oh < 24, om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        }
        guard i == hi, day >= 1, day <= Timestamp.daysInMonth(year, month + 1) else { return nil }
        return Int64(Timestamp.daysFromCivil(year: year, month: month + 1, day: day)) * Timestamp.microsPerDay
            + Int64(hour * 3600 + minute * 60 + second - offset) * Timestamp.microsPerSecond
    }

    /// Which order a column of dates is written in, or why none: a first field over 12 says day
    /// first, a second field over 12 month first. A column that says neither (every field 12 or
    /// under: a series of less than two weeks, or one of the first twelve days of months) takes
    /// the order under which its times run one way (up or down) and span the least time, so that
    /// `01/02 … 01/12` in hourly steps are the 2nd to the 12th of January, not twelve months.
    /// The indices are the dates' places in the column, for the message's line.
    static func order(of dates: [(index: Int, date: WrittenDate)])
        -> Result<Order, OrderConflict> {
        var dayFirst: Int?, monthFirst: Int?
        for (k, d) in dates.enumerated() where !d.date.yearFirst {
            if dayFirst == nil, d.date.first > 12 { dayFirst = k }
            if monthFirst == nil, d.date.second > 12 { monthFirst = k }
        }
        switch (dayFirst, monthFirst) {
        case let (d?, m?): return .failure(OrderConflict(dayFirst: dates[d].index, monthFirst: dates[m].index))
        case (_?, nil): return .success(.dayFirst)
        case (nil, _?): return .success(.monthFirst)
        case (nil, nil): break
        }
        func span(_ order: Order) -> Int64? {
            var times: [Int64] = []
            times.reserveCapacity(dates.count)
            for d in dates {
                guard let t = d.date.micros(order) else { return nil }
                times.append(t)
            }
            guard let first = times.first, let last = times.last else { return 0 }
            let up = last >= first
            for (a, b) in zip(times, times.dropFirst()) where up ? b < a : b > a { return nil }
            return abs(last - first)
        }
        switch (span(.monthFirst), span(.dayFirst)) {
        case let (m?, d?): return .success(d < m ? .dayFirst : .monthFirst)
        case (_?, nil): return .success(.monthFirst)
        case (nil, _?): return .success(.dayFirst)
        case (nil, nil): return .success(.monthFirst)
        }
    }

    /// A column whose dates say both orders: the places of one with a first field over 12 and one
    /// with a second field over 12.
    struct OrderConflict: Error { var dayFirst: Int, monthFirst: Int }
}

/// How a column writes its numbers when they are not plain (`1234.5`): with thousands
/// separators (`"1,234.5"`, which a comma-separated file must quote) or with a decimal comma
/// (`1.234,5` or `1234,5`, as spreadsheets write them in most of Europe, in files separated by
/// semicolons). One style holds for a whole column, and the file's delimiter says which, as it
/// does in the spreadsheets that write them: a semicolon file uses decimal commas (so a dot
/// there separates thousands), any other file decimal points (so a comma separates thousands).
enum NumberStyle {
    case thousandsCommas
    case decimalComma

    init(delimiter: UInt8) {
        self = delimiter == UInt8(ascii: ";") ? .decimalComma : .thousandsCommas
    }

    /// The style's name in a message.
    var name: String {
        switch self {
        case .thousandsCommas: "a decimal point and commas between thousands (1,234.5), as a file separated by commas or tabs writes them"
        case .decimalComma: "a decimal comma and dots between thousands (1.234,5), as a file separated by semicolons writes them"
        }
    }

    /// The number `b` writes in this style, or nil: an optional sign, then digits in groups of
    /// three between the thousands separators (or none), then the decimal mark and digits.
    func parse(_ b: UnsafeRawBufferPointer) -> Double? {
        let (group, mark) = self == .thousandsCommas ? (UInt8(ascii: ","), UInt8(ascii: "."))
                                                     : (UInt8(ascii: "."), UInt8(ascii: ","))
        var plain: [UInt8] = []
        plain.reserveCapacity(b.count)
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { plain.append(b[i]); i += 1 }
        // `run`: the digits since the last separator; the first group has 1–3, every later one 3.
        var run = 0, groups = 0, sawMark = false, fractionDigits = 0
        func groupsClose() -> Bool { run >= 1 && (groups == 0 || run == 3) }
        while i < b.count {
            let c = b[i]
            if c >= 48 && c <= 57 {
                plain.append(c)
                if sawMark { fractionDigits += 1 } else { run += 1 }
            } else if c == group && !sawMark {
                guard run >= 1, run <= 3, groups == 0 || run == 3 else { return nil }
                groups += 1
                run = 0
            } else if c == mark && !sawMark {
                guard groupsClose() else { return nil }
                sawMark = true
                plain.append(UInt8(ascii: "."))
            } else {
                return nil
            }
            i += 1
        }
        guard sawMark ? fractionDigits > 0 : groupsClose() else { return nil }
        return plain.withUnsafeBytes { ByteParsing.double($0) }
    }
}
