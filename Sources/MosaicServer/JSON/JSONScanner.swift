import MosaicCore

/// A small, strict JSON reader over borrowed bytes, for request bodies.
///
/// The API's request bodies are flat objects with a few known fields, so they are read
/// field by field without building a tree: ``nextKey()`` walks an object's keys (compared as
/// bytes, never copied), and the typed readers take the value that follows. Every failure
/// names the field it happened in, which is what the `{"error", "field"}` answer reports.
struct JSONScanner: ~Copyable {
    let base: UnsafeRawBufferPointer
    var i = 0
    /// The field being read (for error messages).
    var field = ""
    /// Nesting depth guard: bodies are flat, so anything deeper than this is refused.
    static let maxDepth = 32

    init(_ bytes: UnsafeRawBufferPointer) { base = bytes }

    // MARK: - Errors

    func fail(_ message: String, at offset: Int? = nil) -> APIError {
        APIError(status: .badRequest, message: message + " (at byte \(offset ?? i))", field: field.isEmpty ? nil : field)
    }

    func fail(_ error: JSONLexError) -> APIError { fail("malformed JSON: " + error.reason, at: error.offset) }

    // MARK: - Tokens

    @inline(__always)
    mutating func skipWhitespace() { i = JSONLexer.skipWhitespace(base, from: i) }

    @inline(__always)
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return i < base.count ? base[i] : nil
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(APIError) {
        guard peek() == byte else {
            throw fail(i < base.count ? "malformed JSON: expected \(what)" : "malformed JSON: unexpected end of input, expected \(what)")
        }
        i += 1
    }

    /// Checks that only whitespace follows the top-level value.
    mutating func end() throws(APIError) {
        field = ""
        if peek() != nil { throw fail("malformed JSON: unexpected data after the top-level object") }
    }

    // MARK: - Objects

    /// Starts reading an object.
    mutating func beginObject() throws(APIError) {
        guard let c = peek() else { throw fail("malformed JSON: the body is empty, expected an object") }
        guard c == UInt8(ascii: "{") else { throw fail("expected a JSON object") }
        i += 1
        firstKey = true
    }

    var firstKey = true

    /// The next key of the current object as a byte range into the body, or nil at `}`.
    /// Sets ``field`` to the key.
    mutating func nextKey() throws(APIError) -> Range<Int>? {
        guard let c = peek() else { throw fail("malformed JSON: unexpected end of input inside an object") }
        if c == UInt8(ascii: "}") { i += 1; return nil }
        if !firstKey {
            guard c == UInt8(ascii: ",") else { throw fail("malformed JSON: expected ',' or '}' after a value") }
            i += 1
            _ = peek()
        }
        firstKey = false
        guard i < base.count, base[i] == UInt8(ascii: "\"") else { throw fail("malformed JSON: expected a quoted key") }
        let token = try scanString()
        field = try text(of: token)
        try expect(UInt8(ascii: ":"), "':' after a key")
        return token.content
    }

    /// Whether the key bytes equal `literal`.
    @inline(__always)
    func key(_ range: Range<Int>, is literal: StaticString) -> Bool {
        range.count == literal.utf8CodeUnitCount && JSONLexer.hasLiteral(base, at: range.lowerBound, literal)
    }

    // MARK: - Values

    /// Whether the next value is `null` (consumed when it is).
    mutating func takeNull() -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        guard JSONLexer.hasLiteral(base, at: i, "null") else { return false }
        i += 4
        return true
    }

    /// A string. U+0000 is refused unless `allowingNUL`: every field but a prompt's text names
    /// something the store keeps or a limit is keyed by, and PostgreSQL's text cannot hold it
    /// (such a report would be answered 503, "retry", forever).
    mutating func string(allowingNUL: Bool = false) throws(APIError) -> String {
        guard let c = peek() else { throw fail("malformed JSON: unexpected end of input, expected a string") }
        guard c == UInt8(ascii: "\"") else { throw fail("expected a string") }
        let s = try text(of: scanString())
        if !allowingNUL && s.utf8.contains(0) { throw fail("must not contain U+0000") }
        return s
    }

    /// Steps over the string that starts at `i`.
    private mutating func scanString() throws(APIError) -> JSONStringToken {
        do {
            let token = try JSONLexer.scanString(base, from: i)
            i = token.end
            return token
        } catch {
            throw fail(error)
        }
    }

    private func text(of token: JSONStringToken) throws(APIError) -> String {
        do { return try JSONLexer.decodeString(base, token) } catch { throw fail(error) }
    }

    /// A JSON number.
    mutating func double() throws(APIError) -> Double {
        guard let c = peek() else { throw fail("malformed JSON: unexpected end of input, expected a number") }
        guard c == UInt8(ascii: "-") || (0x30...0x39).contains(c) else { throw fail("expected a number") }
        let start = i
        do { i = try JSONLexer.scanNumber(base, from: start) } catch { throw fail(error) }
        if let v = JSONLexer.smallInteger(base, start..<i) { return Double(v) }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: base[start..<i]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw fail("malformed JSON: bad number '\(text)'") }
        return d
    }

    /// A non-negative integer (a JSON number without fraction).
    mutating func count(max: Int = 1 << 40) throws(APIError) -> Int {
        let d = try double()
        guard d >= 0, d <= Double(max), d == d.rounded() else {
            throw fail("expected a whole number between 0 and \(max)")
        }
        return Int(d)
    }

    mutating func bool() throws(APIError) -> Bool {
        guard let c = peek() else { throw fail("malformed JSON: unexpected end of input, expected true or false") }
        if c == UInt8(ascii: "t"), JSONLexer.hasLiteral(base, at: i, "true") {
            i += 4
            return true
        }
        if c == UInt8(ascii: "f"), JSONLexer.hasLiteral(base, at: i, "false") {
            i += 5
            return false
        }
        throw fail("expected true or false")
    }

    /// An array of strings.
    mutating func strings(limit: Int = 64) throws(APIError) -> [String] {
        guard let c = peek() else { throw fail("malformed JSON: unexpected end of input, expected an array") }
        guard c == UInt8(ascii: "[") else { throw fail("expected an array of strings") }
        i += 1
        var out: [String] = []
        if peek() == UInt8(ascii: "]") { i += 1; return out }
        while true {
            out.append(try string())
            if out.count > limit { throw fail("too many items (at most \(limit))") }
            guard let d = peek() else { throw fail("malformed JSON: unterminated array") }
            if d == UInt8(ascii: "]") { i += 1; return out }
            guard d == UInt8(ascii: ",") else { throw fail("malformed JSON: expected ',' or ']' in an array") }
            i += 1
        }
    }

    /// An ISO 8601 date-time string, as a ``Timestamp``.
    mutating func timestamp() throws(APIError) -> Int64 {
        let text = try string()
        guard let t = Timestamp.parse(text) else { throw fail("'\(text)' is not an ISO 8601 date-time") }
        return t
    }

    /// Skips any value (unknown fields are ignored, as the OpenAPI document says).
    mutating func skipValue(depth: Int = 0) throws(APIError) {
        guard depth < Self.maxDepth else { throw fail("JSON nested too deeply") }
        guard let c = peek() else { throw fail("malformed JSON: unexpected end of input, expected a value") }
        switch c {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): if !takeNull() { throw fail("malformed JSON: bad literal") }
        case UInt8(ascii: "["):
            i += 1
            if peek() == UInt8(ascii: "]") { i += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                guard let d = peek() else { throw fail("malformed JSON: unterminated array") }
                if d == UInt8(ascii: "]") { i += 1; return }
                guard d == UInt8(ascii: ",") else { throw fail("malformed JSON: expected ',' or ']' in an array") }
                i += 1
            }
        case UInt8(ascii: "{"):
            i += 1
            var first = true
            while true {
                guard let d = peek() else { throw fail("malformed JSON: unterminated object") }
                if d == UInt8(ascii: "}") { i += 1; return }
                if !first {
                    guard d == UInt8(ascii: ",") else { throw fail("malformed JSON: expected ',' or '}' in an object") }
                    i += 1
                }
                first = false
                _ = try string()
                try expect(UInt8(ascii: ":"), "':' after a key")
                try skipValue(depth: depth + 1)
            }
        default:
            _ = try double()
        }
    }
}
