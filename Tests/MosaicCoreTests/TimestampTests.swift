import Foundation
import MosaicCore
import Testing

/// Seconds → microseconds.
private func us(_ seconds: Int64, micros: Int64 = 0) -> Int64 { seconds * 1_000_000 + micros }

/// 2024-05-01T00:00:00Z in seconds since the epoch (`date -u -d 2024-05-01 +%s`).
private let may1: Int64 = 1_714_521_600

@Suite("Timestamp") enum TimestampTests {}

extension TimestampTests {
    @Suite("parsing")
    struct Parsing {
        /// Texts and their instants; the epoch seconds come from `date -u -d … +%s`.
        static let valid: [(String, Int64)] = [
            ("1970-01-01", 0),
            ("2024-05-01", us(may1)),
            ("2024-05-01T00:00:00Z", us(may1)),
            ("2024-05-01T12:00:00Z", us(may1 + 43_200)),
            ("2024-05-01t12:00:00z", us(may1 + 43_200)),
            ("2024-05-01 12:00:00", us(may1 + 43_200)),         // space separator, no offset = UTC
            ("2024-05-01T12:00Z", us(may1 + 43_200)),           // no seconds
            ("2024-05-01T12:00", us(may1 + 43_200)),
            ("2024-05-01T12:34:56Z", us(may1 + 45_296)),
            ("2024-05-01T23:59:59Z", us(may1 + 86_399)),
            // offsets: local time minus offset is UTC
            ("2024-05-01T12:00:00+02:00", us(may1 + 36_000)),
            ("2024-05-01T12:00:00-05:30", us(may1 + 43_200 + 19_800)),
            ("2024-05-01T12:00:00-0530", us(may1 + 43_200 + 19_800)),
            ("2024-05-01T12:00:00+05", us(may1 + 43_200 - 18_000)),
            ("2024-05-01T12:00:00+00:00", us(may1 + 43_200)),
            ("2024-05-01T01:00:00+02:00", us(may1 - 3_600)),      // crosses midnight backwards
            ("2024-05-01T23:00:00-02:00", us(may1 + 90_000)),     // and forwards
            // fractions: 1…9 digits, truncated (not rounded) to microseconds
            ("2024-05-01T12:00:00.5Z", us(may1 + 43_200, micros: 500_000)),
            ("2024-05-01T12:00:00.25Z", us(may1 + 43_200, micros: 250_000)),
            ("2024-05-01T12:00:00.123Z", us(may1 + 43_200, micros: 123_000)),
            ("2024-05-01T12:00:00.1234Z", us(may1 + 43_200, micros: 123_400)),
            ("2024-05-01T12:00:00.12345Z", us(may1 + 43_200, micros: 123_450)),
            ("2024-05-01T12:00:00.123456Z", us(may1 + 43_200, micros: 123_456)),
            ("2024-05-01T12:00:00.1234567Z", us(may1 + 43_200, micros: 123_456)),   // Azure's 7 digits
            ("2024-05-01 12:00:00.1234567", us(may1 + 43_200, micros: 123_456)),
            ("2024-05-01T12:00:00.12345678Z", us(may1 + 43_200, micros: 123_456)),
            ("2024-05-01T12:00:00.999999999Z", us(may1 + 43_200, micros: 999_999)),
            ("2024-05-01T12:00:00,5Z", us(may1 + 43_200, micros: 500_000)),
            ("2024-05-01T12:00:00.5+02:00", us(may1 + 36_000, micros: 500_000)),
            // a zone after a space: BigQuery's CSV export, git's dates
            ("2024-05-01 12:00:00 UTC", us(may1 + 43_200)),
            ("2024-05-01 12:00:00.5 utc", us(may1 + 43_200, micros: 500_000)),
            ("2024-05-01T12:00 GMT", us(may1 + 43_200)),
            ("2024-05-01 12:00:00 +0200", us(may1 + 36_000)),
            ("2024-05-01 12:00:00 -07:00", us(may1 + 68_400)),
            // leap day, century rules, before 1970
            ("2024-02-29", 1_709_164_800 * 1_000_000),
            ("2000-02-29T00:00:00Z", us(951_782_400)),
            ("1969-12-31T23:59:59Z", us(-1)),
            ("1969-12-31T23:59:59.999999Z", -1),
            ("1900-01-01", us(-2_208_988_800)),
            ("1600-03-01", us(-11_670_912_000)),
            ("0001-01-01", us(-62_135_596_800)),
            ("9999-12-31T23:59:59Z", us(253_402_300_799)),
        ]

        @Test(arguments: valid)
        func parses(_ text: String, _ micros: Int64) {
            #expect(Timestamp.parse(text) == micros)
        }

        @Test(arguments: [
            "", "2024", "2024-05", "2024-5-01", "2024/05/01", "20240501",
            "2023-02-29",                 // not a leap year
            "1900-02-29",                 // centuries are not leap years…
            "2024-13-01", "2024-00-10", "2024-04-31", "2024-05-00", "2024-05-32",
            "2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z", "2024-05-01T12:00:61Z",
            "2024-05-01T12", "2024-05-01T1:00:00Z", "2024-05-01X12:00:00Z",
            "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00.",
            "2024-05-01T12:00:00Q", "2024-05-01T12:00:00ZZ", "2024-05-01T12:00:00Z ",
            "2024-05-01T12:00:00+", "2024-05-01T12:00:00+2", "2024-05-01T12:00:00+24:00",
            "2024-05-01T12:00:00+02:60", "2024-05-01T12:00:00+02:0", "2024-05-01T12:00:00+02:000",
            " 2024-05-01", "2024-05-01 ", "abcd-ef-gh",
            "2024-05-01 UTC", "2024-05-01 12:00:00 UT", "2024-05-01 12:00:00 UTC+1", "2024-05-01 12:00:00  UTC",
            "2024-05-01 12:00:00 Z", "2024-05-01 12:00:00 CET", "2024-05-01 12:00:00Z UTC",
        ])
        func rejects(_ text: String) {
            #expect(Timestamp.parse(text) == nil)
        }

        @Test func acceptsTheFourHundredYearLeapDay() {
            #expect(Timestamp.parse("2000-02-29") != nil)
            #expect(Timestamp.parse("2100-02-29") == nil)
            #expect(Timestamp.parse("2400-02-29") != nil)
        }

        @Test func parsesRawBytes() {
            let bytes = Array("x2024-05-01T12:00:00Zy".utf8)
            let t = bytes.withUnsafeBytes { Timestamp.parse(UnsafeRawBufferPointer(rebasing: $0[1..<21])) }
            #expect(t == us(may1 + 43_200))
        }
    }
}

extension TimestampTests {
    @Suite("formatting")
    struct Formatting {
        @Test(arguments: [
            (Int64(0), "1970-01-01T00:00:00Z"),
            (us(may1 + 43_200), "2024-05-01T12:00:00Z"),
            (us(may1 + 43_200, micros: 250_000), "2024-05-01T12:00:00.25Z"),
            (us(may1 + 43_200, micros: 123_456), "2024-05-01T12:00:00.123456Z"),
            (us(may1, micros: 1), "2024-05-01T00:00:00.000001Z"),
            (-1, "1969-12-31T23:59:59.999999Z"),
            (us(-1), "1969-12-31T23:59:59Z"),
            (us(-86_400), "1969-12-31T00:00:00Z"),
            (us(-2_208_988_800), "1900-01-01T00:00:00Z"),
            (us(1_709_164_800 + 3_661), "2024-02-29T01:01:01Z"),
            (us(253_402_300_799), "9999-12-31T23:59:59Z"),
        ])
        func formatsRFC3339InUTC(_ micros: Int64, _ text: String) {
            #expect(Timestamp.format(micros) == text)
            #expect(Timestamp.parse(text) == micros)
        }

        @Test func formatDateIsTheDatePart() {
            #expect(Timestamp.formatDate(us(may1 + 86_399)) == "2024-05-01")
            #expect(Timestamp.formatDate(-1) == "1969-12-31")
        }

        /// format → parse is the identity on a spread of instants, with and without micros.
        @Test func formatParseRoundTrips() {
            var rng = SeededRandom(seed: 11).stream("timestamps")
            let lo = Timestamp.parse("1800-01-01")!, hi = Timestamp.parse("2200-01-01")!
            for i in 0..<20_000 {
                var t = lo + Int64(rng.next() % UInt64(hi - lo))
                if i % 3 == 0 { t -= t % 1_000_000 }  // whole seconds too
                let text = Timestamp.format(t)
                if Timestamp.parse(text) != t { Issue.record("\(t) → \(text) → \(String(describing: Timestamp.parse(text)))") }
            }
        }

        @Test func nowIsRecent() {
            let t = Timestamp.now()
            #expect(t > Timestamp.parse("2025-01-01")!)
            #expect(abs(Double(t) / 1e6 - Date().timeIntervalSince1970) < 60)
        }
    }
}

extension TimestampTests {
    @Suite("civil calendar")
    struct Civil {
        @Test func knownDays() {
            #expect(Timestamp.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
            #expect(Timestamp.daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
            #expect(Timestamp.daysFromCivil(year: 1969, month: 12, day: 31) == -1)
            #expect(Timestamp.daysFromCivil(year: 0, month: 3, day: 1) == -719_468)
            #expect(Timestamp.civilFromDays(19_844) == (2024, 5, 1))
            #expect(Timestamp.civilFromDays(-719_468) == (0, 3, 1))
        }

        /// daysFromCivil(civilFromDays(z)) == z, and consecutive days are consecutive dates.
        @Test func roundTripsOverAMillionYearsOfDays() {
            var previous = Timestamp.civilFromDays(-400_001)
            for z in stride(from: -400_000, through: 400_000, by: 1) {
                let d = Timestamp.civilFromDays(z)
                let back = Timestamp.daysFromCivil(year: d.year, month: d.month, day: d.day)
                if back != z { Issue.record("day \(z) → \(d) → \(back)") }
                let isNext = (d.year == previous.year && d.month == previous.month && d.day == previous.day + 1)
                    || (d.year == previous.year && d.month == previous.month + 1 && d.day == 1)
                    || (d.year == previous.year + 1 && d.month == 1 && d.day == 1 && previous.month == 12)
                if !isNext { Issue.record("day \(z): \(previous) → \(d)") }
                previous = d
            }
        }

        /// Agrees with Foundation's Gregorian calendar (after the 1582 reform, where both are
        /// Gregorian) on a spread of days.
        @Test func agreesWithFoundationCalendar() {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            for z in stride(from: -120_000, through: 150_000, by: 97) {  // 1641 … 2380
                let date = Date(timeIntervalSince1970: Double(z) * 86_400)
                let c = calendar.dateComponents([.year, .month, .day, .weekday], from: date)
                let d = Timestamp.civilFromDays(z)
                #expect(d.year == c.year && d.month == c.month && d.day == c.day, "day \(z)")
                // Foundation: 1 = Sunday … 7 = Saturday; Mosaic: 0 = Monday … 6 = Sunday.
                let weekday = Timestamp.hourAndWeekday(Int64(z) * Timestamp.microsPerDay).weekday
                #expect(weekday == (c.weekday! + 5) % 7, "day \(z)")
            }
        }
    }

    @Suite("hour and weekday")
    struct HourAndWeekday {
        @Test(arguments: [
            ("2026-10-05T00:00:00Z", 0, 0),    // a Monday
            ("2026-10-05T23:59:59Z", 23, 0),
            ("2026-10-11T12:00:00Z", 12, 6),   // Sunday
            ("1970-01-01T00:00:00Z", 0, 3),    // Thursday
            ("1969-12-31T23:59:59.999999Z", 23, 2),  // Wednesday, before the epoch
            ("1969-12-29T05:00:00Z", 5, 0),    // Monday
            ("2024-02-29T13:30:00Z", 13, 3),   // Thursday
            ("2024-05-01T12:00:00+02:00", 10, 2),  // Wednesday, 10:00 UTC
        ])
        func hourAndWeekday(_ text: String, _ hour: Int, _ weekday: Int) throws {
            let t = try #require(Timestamp.parse(text))
            let r = Timestamp.hourAndWeekday(t)
            #expect(r.hour == hour)
            #expect(r.weekday == weekday)
        }
    }
}
