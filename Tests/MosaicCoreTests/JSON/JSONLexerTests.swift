import MosaicCore
import Testing

/// Runs `body` on the bytes of `text`.
private func lex<T>(_ text: String, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
    try Array(text.utf8).withUnsafeBytes(body)
}

private func numberEnd(_ text: String) -> Result<Int, JSONLexError> {
    lex(text) { b in Result { () throws(JSONLexError) in try JSONLexer.scanNumber(b, from: 0) } }
}

private func decoded(_ text: String) -> Result<String, JSONLexError> {
    lex(text) { b in
        Result { () throws(JSONLexError) in try JSONLexer.decodeString(b, try JSONLexer.scanString(b, from: 0)) }
    }
}

@Suite("JSONLexer")
struct JSONLexerTests {
    @Test("a number ends where its grammar ends", arguments: [
        ("0", 1), ("-0", 2), ("12.50,", 5), ("1e-7]", 4), ("2.5E+06 ", 7), ("5.0000000000000004e-08}", 22),
        ("123456789012345678901234567890", 30), ("0x1", 1), ("01", 1),
    ])
    func numberEnds(_ text: String, _ end: Int) throws {
        #expect(try numberEnd(text).get() == end)
    }

    @Test("malformed numbers name the offset and the reason", arguments: [
        ("-", 1, "invalid number"), ("-x", 1, "invalid number"), ("1.", 2, "no digits after '.'"),
        ("1.e3", 2, "no digits after '.'"), ("1e", 2, "no exponent digits"), ("1e+", 3, "no exponent digits"),
    ])
    func badNumbers(_ text: String, _ offset: Int, _ reason: String) {
        guard case .failure(let e) = numberEnd(text) else { Issue.record("\(text) scanned"); return }
        #expect(e.offset == offset, "\(text): \(e)")
        #expect(e.reason.contains(reason), "\(text): \(e)")
    }

    @Test func smallIntegersTakeTheCheapPath() {
        lex("-123456789012345 1234567890123456 12.5 7") { b in
            #expect(JSONLexer.smallInteger(b, 0..<16) == -123_456_789_012_345)
            #expect(JSONLexer.smallInteger(b, 17..<33) == nil, "16 digits may not be exact as a Double")
            #expect(JSONLexer.smallInteger(b, 34..<38) == nil)
            #expect(JSONLexer.smallInteger(b, 39..<40) == 7)
        }
    }

    @Test func stringsWithoutEscapesAreTheirBytes() throws {
        lex(#""tenant": "a\"b""#) { b in
            let t = try? JSONLexer.scanString(b, from: 0)
            #expect(t == JSONStringToken(content: 1..<7, hasEscapes: false))
            #expect(t?.end == 8)
            let escaped = try? JSONLexer.scanString(b, from: 10)
            #expect(escaped == JSONStringToken(content: 11..<15, hasEscapes: true))
        }
        #expect(try decoded(#""東京 \u00e9\ud83d\ude00\n\/""#).get() == "東京 é😀\n/")
    }

    @Test("bad strings name the offset and the reason", arguments: [
        ("\"ab\\q\"", 5, "invalid escape '\\q'"), ("\"\\u12\"", 3, "truncated \\u escape"),
        ("\"\\u12G4\"", 5, "invalid hex digit"), ("\"\\ud83d\"", 7, "unpaired surrogate"),
        ("\"\\ud83d\\u0041\"", 13, "invalid surrogate pair"), ("\"\\udc00\"", 7, "invalid \\u escape"),
        ("\"a\nb\"", 2, "control character in a string"), ("\"abc", 4, "unterminated string"),
        ("\"abc\\", 5, "unterminated escape"),
    ])
    func badStrings(_ text: String, _ offset: Int, _ reason: String) {
        guard case .failure(let e) = decoded(text) else { Issue.record("\(text) decoded"); return }
        #expect(e.offset == offset, "\(text): \(e)")
        #expect(e.reason.contains(reason), "\(text): \(e)")
    }

    @Test func invalidUTF8IsRefusedWithOrWithoutEscapes() {
        for text in [[0x22, 0x61, 0xE9, 0x22], [0x22, 0x5C, 0x6E, 0xE9, 0x22]] as [[UInt8]] {
            let r = text.withUnsafeBytes { b in
                Result { () throws(JSONLexError) in try JSONLexer.decodeString(b, try JSONLexer.scanString(b, from: 0)) }
            }
            guard case .failure(let e) = r else { Issue.record("\(text) decoded"); continue }
            #expect(e.reason == "string is not valid UTF-8")
        }
    }

    @Test("utf8String agrees with String(validating:) on 200,000 seeded random byte strings")
    func utf8StringAgreesWithValidating() {
        var rng = SeededRandom(seed: 18)
        // Bytes drawn mostly from the ranges that make UTF-8 valid or nearly so, to hit both outcomes.
        let pools: [ClosedRange<UInt8>] = [0x20...0x7E, 0x80...0xBF, 0xC2...0xDF, 0xE0...0xEF, 0xF0...0xF4, 0xF5...0xFF, 0xC0...0xC1]
        var valid = 0
        for _ in 0..<200_000 {
            let n = Int.random(in: 0...8, using: &rng)
            let bytes = (0..<n).map { _ in UInt8.random(in: pools[Int.random(in: 0..<pools.count, using: &rng)], using: &rng) }
            let expected = String(validating: bytes, as: UTF8.self)
            let got = bytes.withUnsafeBytes { JSONLexer.utf8String($0) }
            #expect(got == expected, "\(bytes)")
            if got != expected { return }
            if expected != nil { valid += 1 }
        }
        #expect(valid > 20_000 && valid < 180_000, "both outcomes are exercised (\(valid) valid)")
    }

    @Test func whitespaceAndLiterals() {
        lex(" \t\r\n true nul") { b in
            #expect(JSONLexer.skipWhitespace(b, from: 0) == 5)
            #expect(JSONLexer.hasLiteral(b, at: 5, "true"))
            #expect(!JSONLexer.hasLiteral(b, at: 10, "null"), "cut off by the end")
            #expect(!JSONLexer.hasLiteral(b, at: 5, "false"))
        }
    }
}
