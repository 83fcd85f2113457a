import Foundation
import MosaicCore
import Testing

@testable import MosaicIngest

private func int(_ s: String) -> Int64? { Array(s.utf8).withUnsafeBytes { ByteParsing.int($0) } }
private func double(_ s: String) -> Double? { Array(s.utf8).withUnsafeBytes { ByteParsing.double($0) } }
private func clean(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { ByteParsing.isCleanText($0) } }
private func clean(_ s: String) -> Bool { clean(Array(s.utf8)) }

/// A random decimal literal: optional sign, `intDigits` digits, optional point and
/// `fracDigits` digits, optional exponent.
private func randomDecimal(_ r: inout SeededRandom, intDigits: Int, fracDigits: Int, exponent: Bool) -> String {
    var s = ""
    switch r.next() % 3 {
    case 0: s += "-"
    case 1: s += "+"
    default: break
    }
    for _ in 0..<intDigits { s += String(r.next() % 10) }
    if fracDigits > 0 || (intDigits > 0 && r.next() % 8 == 0) {
        s += "."
        for _ in 0..<fracDigits { s += String(r.next() % 10) }
    }
    if exponent {
        s += r.next() % 2 == 0 ? "e" : "E"
        switch r.next() % 3 {
        case 0: s += "-"
        case 1: s += "+"
        default: break
        }
        s += String(r.next() % 40)
    }
    return s
}

@Suite("ByteParsing")
struct ByteParsingTests {
    @Test("integers: signs, limits, overflow")
    func integers() {
        #expect(int("0") == 0)
        #expect(int("42") == 42)
        #expect(int("+42") == 42)
        #expect(int("-42") == -42)
        #expect(int("007") == 7)
        #expect(int("-0") == 0)
        #expect(int("9223372036854775807") == Int64.max)
        #expect(int("-9223372036854775807") == -Int64.max)
        #expect(int("9223372036854775808") == nil)
        #expect(int("99999999999999999999") == nil)
        #expect(int("18446744073709551616") == nil)
        #expect(int("123456789012345678901") == nil)
    }

    @Test("Int64.min is in range and parses")
    func int64Min() {
        #expect(int("-9223372036854775808") == Int64.min)
    }

    @Test("integers: empty and junk are refused", arguments: [
        "", "-", "+", "--1", "+-1", "1-", " 1", "1 ", "1.0", "1e3", "0x10", "１２", "12a", "a12", "1,000", "1_000",
    ])
    func integerJunk(_ text: String) {
        #expect(int(text) == nil, "\(text)")
    }

    @Test("integers agree with Int64(String) on random input")
    func integersRandom() {
        var r = SeededRandom(seed: 11)
        for _ in 0..<20_000 {
            var s = ["", "-", "+"][Int(r.next() % 3)]
            let length = Int(r.next() % UInt64(21 - s.count))  // at most 20 characters in all
            for _ in 0..<length { s += String(r.next() % 10) }
            #expect(int(s) == Int64(s), "\(s)")
        }
    }

    @Test("doubles: the fast path is exact (same bits as Double(String)) on many random decimals")
    func doublesFastPath() {
        var r = SeededRandom(seed: 42)
        var mismatches: [String] = []
        for _ in 0..<100_000 {
            let intDigits = Int(r.next() % 9)
            let fracDigits = Int(r.next() % UInt64(16 - max(intDigits, 1)))
            let s = randomDecimal(&r, intDigits: intDigits, fracDigits: fracDigits, exponent: false)
            guard let reference = Double(s) else {
                if double(s) != nil { mismatches.append(s) }
                continue
            }
            if double(s)?.bitPattern != reference.bitPattern { mismatches.append(s) }
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
    }

    @Test("doubles: long mantissas, many decimals and exponents agree with Double(String)")
    func doublesSlowPath() {
        var r = SeededRandom(seed: 7)
        var mismatches: [String] = []
        for i in 0..<50_000 {
            let intDigits = Int(r.next() % 12)
            let fracDigits = Int(r.next() % 30)
            let s = randomDecimal(&r, intDigits: intDigits, fracDigits: fracDigits, exponent: i % 2 == 0)
            let reference = Double(s).flatMap { $0.isFinite ? $0 : nil }
            if double(s)?.bitPattern != reference?.bitPattern { mismatches.append(s) }
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
    }

    @Test("doubles: known values and shapes")
    func doublesKnown() {
        #expect(double("12") == 12)
        #expect(double("-3.5") == -3.5)
        #expect(double("+0.25") == 0.25)
        #expect(double(".5") == 0.5)
        #expect(double("5.") == 5)
        #expect(double("1e3") == 1000)
        #expect(double("1E+3") == 1000)
        #expect(double("2.5e-3") == 0.0025)
        #expect(double("0.1") == 0.1)
        #expect(double("812.25") == 812.25)
        #expect(double("1234567890.12345") == 1234567890.12345)
        #expect(double("0.30000000000000004") == 0.30000000000000004)
        #expect(double("9007199254740993") == 9007199254740992)
        #expect(double("-0")?.sign == .minus)
        #expect(double("1e308") == 1e308)
        #expect(double("4.9e-324") == Double.leastNonzeroMagnitude)
    }

    @Test("doubles: nan, inf, overflow and junk are refused", arguments: [
        "", "-", "+", ".", "-.", "e3", "1e", "1e+", "1e-", "1e3.5", "1.2.3", "1..2", "nan", "NaN", "-nan", "inf",
        "-inf", "Infinity", "1e400", "-1e400", "0x1p3", "1,5", " 1", "1 ", "1f", "12abc", "1e3x", "--1", "١٢",
    ])
    func doublesRefused(_ text: String) {
        #expect(double(text) == nil, "\(text)")
    }

    @Test("clean text: ASCII, tab and valid UTF-8 pass")
    func cleanTextOK() {
        #expect(clean(""))
        #expect(clean("internal-platform"))
        #expect(clean("a\tb"))
        #expect(clean("café"))
        #expect(clean("東京"))
        #expect(clean("😀 ok"))
        #expect(clean([0x7F]))  // DEL is not a C0 control
    }

    @Test("clean text: invalid UTF-8, NUL and other controls fail")
    func cleanTextRefused() {
        #expect(!clean([0x63, 0x61, 0x66, 0xE9]))        // Latin-1 "café"
        #expect(!clean([0xFF, 0xFE, 0x61, 0x00]))        // UTF-16 LE
        #expect(!clean([0xC3]))                          // truncated sequence
        #expect(!clean([0xC0, 0xAF]))                    // overlong "/"
        #expect(!clean([0xED, 0xA0, 0x80]))              // encoded surrogate
        #expect(!clean([0xF4, 0x90, 0x80, 0x80]))        // beyond U+10FFFF
        #expect(!clean([0x80]))                          // lone continuation byte
        #expect(!clean([0x61, 0x00, 0x62]))              // NUL
        #expect(!clean("a\nb"))
        #expect(!clean("a\rb"))
        #expect(!clean([0x1B, 0x5B, 0x33, 0x31, 0x6D]))  // ESC
        #expect(!clean(Array("café".utf8) + [0x00]))      // NUL after non-ASCII
    }

    @Test("error excerpts are cut to 60 characters")
    func excerpt() {
        let short = Array("abc".utf8).withUnsafeBytes { ByteParsing.excerpt($0) }
        #expect(short == "abc")
        let long = Array(String(repeating: "x", count: 100).utf8).withUnsafeBytes { ByteParsing.excerpt($0) }
        #expect(long == String(repeating: "x", count: 60) + "…")
    }
}
