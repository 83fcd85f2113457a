import Foundation
import MosaicCore
import MosaicTestSupport
import Testing

/// Reads `text`, failing the test (not crashing) when it is rejected.
private func money(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Money {
    try #require(Money(text), "'\(text)' should parse", sourceLocation: sourceLocation)
}

/// 10^k as an `Int128`.
private func pow10(_ k: Int) -> Int128 {
    var v: Int128 = 1
    for _ in 0..<k { v *= 10 }
    return v
}

@Suite("Money") enum MoneyTests {}

// MARK: - Parsing

extension MoneyTests {
    @Suite("parsing")
    struct Parsing {
        /// Texts that parse, with their value in 10⁻²⁴ units computed by hand.
        static let valid: [(String, Int128)] = [
            ("0", 0),
            ("12.50", 125 * pow10(23)),
            ("-0.000001", -pow10(18)),
            ("5.0000000000000004e-08", 50_000_000_000_000_004),
            ("1E3", 1000 * pow10(24)),
            ("1e+3", 1000 * pow10(24)),
            ("2.5E-7", 25 * pow10(16)),
            ("+2", 2 * pow10(24)),
            ("007.50", 75 * pow10(23)),
            ("-000.010", -pow10(22)),
            (".5", 5 * pow10(23)),
            ("5.", 5 * pow10(24)),
            ("0.000000000000000000000001", 1),                     // 24 decimals: the smallest unit
            ("-0.123456789012345678901234", -123_456_789_012_345_678_901_234),
            ("1.000000000000000000000000000000", pow10(24)),        // zeros beyond the 24th place
            ("0.0000000000000000000000010000000000000000000000000000", 1),
            ("1e-24", 1),
            ("100e-26", 1),
            ("0e999", 0),
            ("0.0e-99", 0),
            ("-0", 0),
            ("150000", 150_000 * pow10(24)),
            ("99999999999999", 99_999_999_999_999 * pow10(24)),
            ("0000000000000000000000000000000000000000000001", pow10(24)),  // leading zeros are not digits
        ]

        @Test(arguments: valid)
        func parsesExactly(_ text: String, _ units: Int128) throws {
            let m = try Money(parsing: text)
            #expect(m.units == units)
            #expect(Money(text) == m)
        }

        @Test(arguments: [
            "0.0000000000000000000000001",      // 25th decimal non-zero
            "1.0000000000000000000000005",
            "-0.1234567890123456789012345",
            "1e-25",
            "5.0000000000000004e-09",
            "1e-99999999",
            "0.12345678901234567890123456789012345678901",   // more digits than the significand holds
            "1.00000000000000000000000000000000000000000001",
            "1.00000000000000000000000000000000000000000001e-3",
        ])
        func rejectsMoreThan24Decimals(_ text: String) {
            #expect(throws: MoneyParseError.tooManyDecimals(text)) { try Money(parsing: text) }
        }

        @Test(arguments: [
            "abc", "-", "+", ".", "1.2.3", "1e", "1e+", "1E-", "e5", " 1", "1 ", "1,5", "0x10",
            "--1", "+-1", "1e5.5", "12.5 USD", "$12", "NaN", "inf", "1_000",
        ])
        func rejectsGarbage(_ text: String) {
            #expect(throws: MoneyParseError.invalidCharacter(text)) { try Money(parsing: text) }
            #expect(Money(text) == nil)
        }

        @Test func rejectsEmptyText() {
            #expect(throws: MoneyParseError.empty) { try Money(parsing: "") }
        }

        @Test(arguments: [
            "1e15",                                          // 10^39 units > Int128.max
            "-1e15",
            "1000000000000000",
            "170141183460469.231731687303715884105728",      // Int128.max + 1 unit
            "1e99999",
            "123456789012345678901234567890123456789012345", // 45 digits
            "1.00000000000000000000000000000000000000000001e30", // the 44th decimal is the 14th after the exponent
        ])
        func rejectsAmountsOutOfRange(_ text: String) {
            #expect(throws: MoneyParseError.outOfRange(text)) { try Money(parsing: text) }
        }

        @Test func errorMessagesNameTheText() {
            #expect(MoneyParseError.invalidCharacter("abc").description == "'abc' is not a decimal number")
            #expect(MoneyParseError.tooManyDecimals("1e-25").description == "'1e-25' has more than 24 decimal places")
            #expect(MoneyParseError.outOfRange("1e15").description == "'1e15' is out of range")
            #expect(MoneyParseError.empty.description == "empty amount")
        }

        @Test func parsesSubstringsAndRawBytes() throws {
            let line = "a,0.0000625,b"
            let field = line.split(separator: ",")[1]
            #expect(try Money(parsing: field) == money("0.0000625"))
            let bytes = Array("1.5e-6".utf8)
            let r = bytes.withUnsafeBytes { Money.parse($0) }
            #expect(try r.get().units == 15 * pow10(17))
        }
    }
}

// MARK: - Text

extension MoneyTests {
    @Suite("canonical text")
    struct CanonicalText {
        @Test(arguments: [
            ("12.50", "12.5"),
            ("0.0000625", "0.0000625"),
            ("-12", "-12"),
            ("150000.000", "150000"),
            ("5.0000000000000004e-08", "0.000000050000000000000004"),
            ("1E3", "1000"),
            ("+2", "2"),
            ("-0", "0"),
            ("-0.000", "0"),
            ("0e5", "0"),
            ("007.50", "7.5"),
            ("-0.5", "-0.5"),
            ("1e-24", "0.000000000000000000000001"),
            ("-1e-24", "-0.000000000000000000000001"),
        ])
        func descriptionIsShortestExactDecimal(_ text: String, _ canonical: String) throws {
            #expect(try money(text).description == canonical)
        }

        @Test func zeroIsNeverNegative() {
            #expect(Money.zero.description == "0")
            #expect((-Money.zero).description == "0")
            #expect(Money(units: 0).formatted(places: 2) == "0.00")
        }

        /// description → parse is the identity, over many magnitudes and signs.
        @Test func descriptionRoundTrips() throws {
            var rng = SeededRandom(seed: 7).stream("money-round-trip")
            var values: [Int128] = [0, 1, -1, pow10(24), -pow10(24), 999_999, pow10(37) - 1, -(pow10(37) - 1)]
            for _ in 0..<20_000 {
                let hi = Int128(rng.next() >> UInt64.random(in: 1...63, using: &rng))
                let lo = Int128(rng.next() >> 1)
                var v = hi * Int128(1 << 40) + lo
                v = v / pow10(Int.random(in: 0...20, using: &rng))
                values.append(rng.bernoulli(0.5) ? -v : v)
            }
            for v in values {
                let m = Money(units: v)
                let text = m.description
                let back = try? Money(parsing: text)
                if back != m { Issue.record("\(v) → '\(text)' → \(String(describing: back))") }
                if text.contains("e") || (text.contains(".") && text.hasSuffix("0")) {
                    Issue.record("'\(text)' is not canonical")
                }
            }
        }

        /// Amounts with 38 significant digits (and 10^38 units, whose extra digit is a zero).
        @Test(arguments: [pow10(38) - 1, -(pow10(38) - 1), pow10(38), -pow10(38)])
        func extremesRoundTrip(_ units: Int128) throws {
            let m = Money(units: units)
            #expect(try Money(parsing: m.description) == m, "'\(m.description)'")
        }

        @Test func losslessStringConvertible() {
            #expect(Money("0.25") == Money(units: 25 * pow10(22)))
            #expect(Money("nope") == nil)
            #expect(String(describing: Money(whole: -3)) == "-3")
        }
    }
}

// MARK: - Rounding for display

extension MoneyTests {
    @Suite("formatted(places:)")
    struct Formatting {
        @Test(arguments: [
            ("1.005", 2, "1.01"),          // half away from zero (a Double would give 1.00)
            ("-1.005", 2, "-1.01"),
            ("1.004999", 2, "1.00"),
            ("-1.004999", 2, "-1.00"),
            ("2.5", 0, "3"),
            ("-2.5", 0, "-3"),
            ("0.5", 0, "1"),
            ("-0.5", 0, "-1"),
            ("-0.4", 0, "0"),
            ("-0.004", 2, "0.00"),
            ("9.995", 2, "10.00"),
            ("-9.995", 2, "-10.00"),
            ("12", 2, "12.00"),
            ("12", 0, "12"),
            ("0", 4, "0.0000"),
            ("0.125", 2, "0.13"),
            ("0.0000625", 6, "0.000063"),
            ("0.0000625", 4, "0.0001"),
            ("123.456", 1, "123.5"),
            ("5.0000000000000004e-08", 24, "0.000000050000000000000004"),
            ("5.0000000000000004e-08", 23, "0.00000005000000000000000"),
            ("1e-24", 23, "0.00000000000000000000000"),
            ("5e-24", 23, "0.00000000000000000000001"),
        ])
        func roundsHalfAwayFromZero(_ text: String, _ places: Int, _ expected: String) throws {
            #expect(try money(text).formatted(places: places) == expected)
        }

        @Test func roundedKeepsTheValueOnTheGrid() throws {
            #expect(try money("1.23456").rounded(toPlaces: 3) == money("1.235"))
            #expect(try money("-1.23449").rounded(toPlaces: 3) == money("-1.234"))
            #expect(try money("7.1").rounded(toPlaces: 24) == money("7.1"))
        }
    }
}

// MARK: - Arithmetic and Codable

extension MoneyTests {
    @Suite("arithmetic and Codable")
    struct Arithmetic {
        @Test func multipliesByCountsExactly() throws {
            #expect(try money("0.0000025") * 1_000_000 == money("2.5"))
            #expect(try 3 * money("-1.1") == money("-3.3"))
            #expect(try money("5.0000000000000004e-08") * 1_000 == money("0.000050000000000000004"))
            #expect(try money("12.34") * 0 == .zero)
            #expect(try money("0.1") * -7 == money("-0.7"))
        }

        @Test func addsAndComparesExactly() throws {
            let a = try money("0.1"), b = try money("0.2")
            #expect(a + b == (try money("0.3")))
            #expect(0.1 + 0.2 != 0.3)  // what Money avoids
            #expect(b - a == a)
            var c = a
            c += b
            c -= a
            #expect(c == b)
            #expect(try money("-1") < money("0.5"))
            #expect([a, b, a].sum() == (try money("0.4")))
            #expect([Money]().sum() == .zero)
            #expect(Money(whole: 2) == (try money("2")))
        }

        @Test func addingReportingOverflowDetectsTheEdge() {
            let max = Money(units: .max)
            #expect(max.addingReportingOverflow(Money(units: 1)) == nil)
            #expect(max.addingReportingOverflow(Money(units: -1)) == Money(units: .max - 1))
        }

        @Test func codableAsCanonicalString() throws {
            let values = [try money("5.0000000000000004e-08"), try money("-12.50"), .zero]
            let data = try JSONEncoder().encode(values)
            #expect(String(decoding: data, as: UTF8.self) == #"["0.000000050000000000000004","-12.5","0"]"#)
            #expect(try JSONDecoder().decode([Money].self, from: data) == values)
            #expect(try JSONDecoder().decode([Money].self, from: Data(#"["1E3"]"#.utf8)) == [money("1000")])
        }

        @Test func decodingRejectsNumbersAndGarbage() {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode([Money].self, from: Data("[1.5]".utf8)) }
            #expect(throws: DecodingError.self) { try JSONDecoder().decode([Money].self, from: Data(#"["abc"]"#.utf8)) }
            #expect(throws: DecodingError.self) {
                try JSONDecoder().decode([Money].self, from: Data(#"["1e-25"]"#.utf8))
            }
        }

        @Test func doubleValueIsCloseForCharts() throws {
            #expect(abs(try money("1234.5678").doubleValue - 1234.5678) < 1e-9)
            #expect(abs(try money("-0.000001").doubleValue + 0.000001) < 1e-18)
        }
    }
}

// MARK: - The exactness proof

/// One million deterministic price texts in eight shapes (per-token prices with 12 and 24
/// decimals, `5.0000000000000004e-08` exponent forms, dollars and cents, negative credits,
/// `dE-k`, `+000`-padded, `d.ddE-7`), each generated together with its exact value in
/// 10⁻²⁴ units by integer arithmetic, so the reference total does not go through Money's parser.
struct MillionPrices: Sendable {
    static let count = 1_000_000

    /// The texts, one per line, for an outside reference.
    let lines: [UInt8]
    /// Σ of the units generated with the texts (the independent reference).
    let referenceUnits: Int128
    /// Σ of `Money(parsing:)` over the texts.
    let moneySum: Money
    /// Σ of `Double(text)` over the texts, in order.
    let doubleSum: Double
    /// Texts that Money refused (should be none).
    let rejected: [String]

    static let shared = MillionPrices()

    private static func pad(_ v: UInt64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private init() {
        var rng = SeededRandom(seed: 2024).stream("million-prices")
        var lines: [UInt8] = []
        lines.reserveCapacity(Self.count * 24)
        var reference: Int128 = 0
        var sum = Money.zero
        var dsum = 0.0
        var rejected: [String] = []
        let e16: UInt64 = 10_000_000_000_000_000
        for k in 0..<Self.count {
            let x = rng.next()
            let text: String
            let units: Int128
            switch k % 8 {
            case 0:  // a per-token price with 12 decimals
                let d = x % 1_000_000
                text = "0.000000" + Self.pad(d, 6)
                units = Int128(d) * pow10(12)
            case 1:  // all 24 decimals
                let d = x % 1_000_000_000_000_000_000
                text = "0." + Self.pad(d, 24)
                units = Int128(d)
            case 2:  // a float printed by a price table: 17 significant digits, e-08
                let m = e16 + x % (9 * e16)
                text = "\(m / e16)." + Self.pad(m % e16, 16) + "e-08"
                units = Int128(m)
            case 3:  // dollars and cents
                let w = x % 1000, c = (x / 1000) % 100
                text = "\(w)." + Self.pad(c, 2)
                units = Int128(w * 100 + c) * pow10(22)
            case 4:  // a credit
                let d = x % 100_000_000
                text = "-0.0000" + Self.pad(d, 8)
                units = -Int128(d) * pow10(12)
            case 5:  // dE-k, k = 1...24
                let d = x % 9 + 1, e = Int(1 + (x / 9) % 24)
                text = "\(d)E-\(e)"
                units = Int128(d) * pow10(24 - e)
            case 6:  // sign, leading and trailing zeros
                let d = x % 1_000_000
                text = "+0000." + Self.pad(d, 6) + "000"
                units = Int128(d) * pow10(18)
            default:  // d.ddE-7
                let m = x % 1000
                text = "\(m / 100)." + Self.pad(m % 100, 2) + "E-07"
                units = Int128(m) * pow10(15)
            }
            lines.append(contentsOf: text.utf8)
            lines.append(10)
            reference += units
            if let m = try? Money(parsing: text) { sum += m } else { rejected.append(text) }
            dsum += Double(text)!
        }
        self.lines = lines
        self.referenceUnits = reference
        self.moneySum = sum
        self.doubleSum = dsum
        self.rejected = rejected
    }
}

extension MoneyTests {
    @Suite("a million prices reconcile to the last digit")
    struct MillionSum {
        @Test func moneySumEqualsIntegerReference() {
            let data = MillionPrices.shared
            #expect(data.rejected.isEmpty, "rejected: \(data.rejected.prefix(5))")
            #expect(data.moneySum.units == data.referenceUnits)
            // The reference as digits, independently of Money.render.
            let digits = String(data.referenceUnits.magnitude)
            let padded = String(repeating: "0", count: max(0, 25 - digits.count)) + digits
            let sign = data.referenceUnits < 0 ? "-" : ""
            var text = sign + String(padded.dropLast(24)) + "." + String(padded.suffix(24))
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
            #expect(data.moneySum.description == text)
        }

        /// Python's `decimal` module reads the same million texts and sums them exactly.
        @Test(.enabled(if: Python.has("decimal"), "python3 with the decimal module is not on PATH"))
        func moneySumEqualsPythonDecimal() throws {
            let data = MillionPrices.shared
            let dir = TemporaryDirectory("money-million")
            let file = dir.write("prices.txt", bytes: data.lines)
            let result = try #require(Python.run("""
                import sys
                from decimal import Decimal, getcontext
                getcontext().prec = 200
                total = Decimal(0)
                n = 0
                with open(sys.argv[1]) as f:
                    for line in f:
                        total += Decimal(line.strip())
                        n += 1
                print(n)
                print(int(total.scaleb(24)))
                print(format(total, 'f'))
                """, arguments: [file]))
            #expect(result.status == 0, "python3 failed: \(result.stderr)")
            let out = result.stdout.split(separator: "\n").map(String.init)
            try #require(out.count == 3, "unexpected output: \(result.stdout)")
            #expect(out[0] == String(MillionPrices.count))
            #expect(out[1] == String(data.moneySum.units), "Python's exact total in 10⁻²⁴ units")
            #expect(try Money(parsing: out[2]) == data.moneySum)
        }

        /// The same million values summed as `Double` do not reconcile: the total drifts from
        /// the exact sum by far more than the one rounding needed to represent it. On this data
        /// the exact total is 62570065.729156219536034460936856; the Double sum is
        /// 62570065.7291517, 4.5 × 10⁻⁶ (about 600 ulp) short.
        @Test func doubleSumDrifts() throws {
            let data = MillionPrices.shared
            let exact = data.moneySum
            let exactAsDouble = try #require(Double(exact.description))  // correctly rounded once
            let drift = abs(data.doubleSum - exactAsDouble)
            #expect(data.doubleSum != exactAsDouble, "Double sum \(data.doubleSum) vs exact \(exact)")
            #expect(drift > 10 * exactAsDouble.ulp, "drift \(drift) is only \(drift / exactAsDouble.ulp) ulp")
            // Read back as money, the Double total is a different amount.
            let viaDouble = try Money(parsing: String(data.doubleSum))
            #expect(viaDouble != exact)
            #expect((viaDouble - exact).formatted(places: 24) != "0.000000000000000000000000")
        }
    }
}

@Suite("Money at the edges of its range")
struct MoneyRangeTests {
    @Test(arguments: [
        "170141183460469.231731687303715884105727", "-170141183460469.231731687303715884105727",
        "100000000000000.000000000000000000000001", "-100000000000000.000000000000000000000001",
    ])
    func thirtyNineDigitAmountsRoundTrip(_ text: String) throws {
        let m = try Money(parsing: text)
        #expect(m.description == text)
        #expect(try Money(parsing: m.description) == m)
    }

    @Test func theLargestAmountRoundTrips() throws {
        let max = Money(units: .max)
        #expect(try Money(parsing: max.description) == max)
    }

    @Test func oneUnitBeyondTheRangeIsRefused() {
        #expect(throws: MoneyParseError.self) { try Money(parsing: "170141183460469.231731687303715884105728") }
        #expect(throws: MoneyParseError.self) { try Money(parsing: "1000000000000000") }
    }
}
