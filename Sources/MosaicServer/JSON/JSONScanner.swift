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

    func fail(_ message: String) -> APIError {
        APIError(status: .badRequest, message: message + " (at byte \(i))", field: field.isEmpty ? nil : field)
    }

    // MARK: - Tokens

    @inline(__always)
    mutating func skipWhitespace() {
        while i < base.count {
            switch base[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

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
        let start = i + 1
        var j = start
        var escaped = false
        while j < base.count {
            let b = base[j]
            if b == UInt8(ascii: "\\") { escaped = true; j += 2; continue }
            if b == UInt8(ascii: "\"") { break }
            j += 1
        }
        guard j < base.count else { i = j; throw fail("malformed JSON: unterminated key") }
        i = j + 1
        let range = start..<j
        field = escaped ? (try decodeString(range)) : String(decoding: UnsafeRawBufferPointer(rebasing: base[range]), as: UTF8.self)
        try expect(UInt8(ascii: ":"), "':' after a key")
        return range
    }

    /// Whether the key bytes equal `literal`.
    @inline(__always)
    func key(_ range: Range<Int>, is literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard range.count == n else { return false }
        let p = literal.utf8Start
        var k = 0
        while k < n {
            if base[range.lowerBound + k] != p[k] { return false }
            k += 1
        }
        return true
    }

    // MARK: - Values

    /// Whether the next value is `null` (consumed when it is).
    mutating func takeNull() -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        if i + 4 <= base.count, base[i + 1] == UInt8(ascii: "u"), base[i + 2] == UInt8(ascii: "l"), base[i + 3] == UInt8(ascii: "l") {
            i += 4
            return true
        }
        return false
    }

    mutating func string() throws(APIError) -> String {
        guard let c = peek() else { throw fail("malformed JSON: unexpected end of input, expected a string") }
        guard c == UInt8(ascii: "\"") else { throw fail("expected a string") }
        let start = i + 1
        var j = start
        var escaped = false
        while j < base.count {
            let b = base[j]
            if b == UInt8(ascii: "\\") { escaped = true; j += 2; continue }
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 { i = j; throw fail("malformed JSON: control character in a string") }
            j += 1
        }
        guard j < base.count else { i = j; throw fail("malformed JSON: unterminated string") }
        i = j + 1
        if !escaped { return String(decoding: UnsafeRawBufferPointer(rebasing: base[start..<j]), as: UTF8.self) }
        return try decodeString(start..<j)
    }

    /// Decodes a string with escapes.
    func decodeString(_ range: Range<Int>) throws(APIError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var j = range.lowerBound
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= range.upperBound else { return nil }
            var v: UInt32 = 0
            for k in 0..<4 {
                let b = base[at + k]
                let d: UInt32
                switch b {
                case 0x30...0x39: d = UInt32(b - 0x30)
                case 0x41...0x46: d = UInt32(b - 0x41 + 10)
                case 0x61...0x66: d = UInt32(b - 0x61 + 10)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
        while j < range.upperBound {
            let b = base[j]
            if b != UInt8(ascii: "\\") { out.append(b); j += 1; continue }
            guard j + 1 < range.upperBound else { throw fail("malformed JSON: bad escape") }
            let e = base[j + 1]
            j += 2
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(j) else { throw fail("malformed JSON: bad \\u escape") }
                j += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    guard j + 6 <= range.upperBound, base[j] == UInt8(ascii: "\\"), base[j + 1] == UInt8(ascii: "u"),
                          let low = hex4(j + 2), (0xDC00..<0xE000).contains(low) else {
                        throw fail("malformed JSON: unpaired surrogate")
                    }
                    j += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("malformed JSON: bad \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw fail("malformed JSON: bad escape")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A JSON number.
    mutating func double() throws(APIError) -> Double {
        guard let c = peek() else { throw fail("malformed JSON: unexpected end of input, expected a number") }
        guard c == UInt8(ascii: "-") || (0x30...0x39).contains(c) else { throw fail("expected a number") }
        let start = i
        var j = i
        while j < base.count && Self.isNumberByte(base[j]) { j += 1 }
        i = j
        // Fast path: plain integers.
        var v: Int64 = 0
        var k = start
        var negative = false
        if base[k] == UInt8(ascii: "-") { negative = true; k += 1 }
        var plain = k < j && j - k <= 15
        while plain && k < j {
            let b = base[k]
            if b < 0x30 || b > 0x39 { plain = false; break }
            v = v * 10 + Int64(b - 0x30)
            k += 1
        }
        if plain { return Double(negative ? -v : v) }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: base[start..<j]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw fail("malformed JSON: bad number '\(text)'") }
        return d
    }

    @inline(__always)
    static func isNumberByte(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".")
            || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
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
        if c == UInt8(ascii: "t"), i + 4 <= base.count, base[i + 1] == UInt8(ascii: "r"), base[i + 2] == UInt8(ascii: "u"),
           base[i + 3] == UInt8(ascii: "e") {
            i += 4
            return true
        }
        if c == UInt8(ascii: "f"), i + 5 <= base.count, base[i + 1] == UInt8(ascii: "a"), base[i + 2] == UInt8(ascii: "l"),
           base[i + 3] == UInt8(ascii: "s"), base[i + 4] == UInt8(ascii: "e") {
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
