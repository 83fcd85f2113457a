/// The byte grammar of JSON (RFC 8259) that Mosaic's two JSON readers share: the ingest
/// parser, which builds a tree that keeps every number's literal text, and the server's scanner,
/// which reads request bodies field by field without building anything.
///
/// Everything works on borrowed bytes and allocates nothing except the decoded string that
/// ``decodeString(_:_:)`` returns. Numbers are only delimited and checked here, never converted,
/// so a caller that needs an exact decimal keeps the literal text.
public enum JSONLexer {
    /// Whether `byte` is JSON whitespace (space, tab, line feed, carriage return).
    @inline(__always)
    public static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// The index of the first byte at or after `index` that is not whitespace.
    @inline(__always)
    public static func skipWhitespace(_ bytes: UnsafeRawBufferPointer, from index: Int) -> Int {
        var i = index
        while i < bytes.count, isWhitespace(bytes[i]) { i += 1 }
        return i
    }

    /// Whether the bytes at `index` spell `word` (`true`, `false`, `null`).
    @inline(__always)
    public static func hasLiteral(_ bytes: UnsafeRawBufferPointer, at index: Int, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard index + n <= bytes.count else { return false }
        for k in 0..<n where bytes[index + k] != word.utf8Start[k] { return false }
        return true
    }

    // MARK: - Numbers

    /// Checks the number that starts at `start` (a `-` or a digit) and returns the index just
    /// past it. Leading zeros, a bare `.`, and an exponent without digits are refused.
    public static func scanNumber(_ bytes: UnsafeRawBufferPointer, from start: Int) throws(JSONLexError) -> Int {
        var i = start
        func digits() -> Int {
            let s = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            return i - s
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count else { throw JSONLexError(offset: i, reason: "invalid number") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else if digits() == 0 {
            throw JSONLexError(offset: i, reason: "invalid number")
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            if digits() == 0 { throw JSONLexError(offset: i, reason: "invalid number: no digits after '.'") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            if digits() == 0 { throw JSONLexError(offset: i, reason: "invalid number: no exponent digits") }
        }
        return i
    }

    /// The value of a number literal that is a plain integer of at most 15 digits (exact in
    /// both `Int64` and `Double`), or nil for anything else. The cheap path for token counts.
    @inline(__always)
    public static func smallInteger(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int64? {
        var k = range.lowerBound
        let negative = k < range.upperBound && bytes[k] == UInt8(ascii: "-")
        if negative { k += 1 }
        guard k < range.upperBound, range.upperBound - k <= 15 else { return nil }
        var v: Int64 = 0
        while k < range.upperBound {
            let b = bytes[k]
            guard b >= 0x30, b <= 0x39 else { return nil }
            v = v * 10 + Int64(b - 0x30)
            k += 1
        }
        return negative ? -v : v
    }

    // MARK: - Strings

    /// Finds the end of the string whose opening quote is at `start`, without decoding it.
    /// Raw control characters and a string cut off by the end of the input are refused; escapes
    /// are only stepped over (``decodeString(_:_:)`` checks them).
    public static func scanString(_ bytes: UnsafeRawBufferPointer, from start: Int) throws(JSONLexError) -> JSONStringToken {
        var j = start + 1
        var escaped = false
        while j < bytes.count {
            let b = bytes[j]
            if b == UInt8(ascii: "\"") {
                return JSONStringToken(content: (start + 1)..<j, hasEscapes: escaped)
            }
            if b == UInt8(ascii: "\\") {
                guard j + 1 < bytes.count else { throw JSONLexError(offset: bytes.count, reason: "unterminated escape") }
                escaped = true
                j += 2
                continue
            }
            if b < 0x20 { throw JSONLexError(offset: j, reason: "control character in a string") }
            j += 1
        }
        throw JSONLexError(offset: bytes.count, reason: "unterminated string")
    }

    /// The text of a scanned string: escapes and surrogate pairs decoded, UTF-8 checked.
    public static func decodeString(_ bytes: UnsafeRawBufferPointer, _ token: JSONStringToken) throws(JSONLexError) -> String {
        let range = token.content
        if !token.hasEscapes {
            guard let text = utf8String(UnsafeRawBufferPointer(rebasing: bytes[range])) else {
                throw JSONLexError(offset: range.upperBound, reason: "string is not valid UTF-8")
            }
            return text
        }
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var j = range.lowerBound
        func hex4() throws(JSONLexError) -> UInt32 {
            guard j + 4 <= range.upperBound else { throw JSONLexError(offset: j, reason: "truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[j]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw JSONLexError(offset: j, reason: "invalid hex digit in \\u escape")
                }
                v = v << 4 | d
                j += 1
            }
            return v
        }
        while j < range.upperBound {
            let c = bytes[j]
            if c != UInt8(ascii: "\\") { out.append(c); j += 1; continue }
            let e = bytes[j + 1]  // scanString guarantees a byte after every backslash
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
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard j + 1 < range.upperBound, bytes[j] == UInt8(ascii: "\\"), bytes[j + 1] == UInt8(ascii: "u") else {
                        throw JSONLexError(offset: j, reason: "unpaired surrogate in \\u escape")
                    }
                    j += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw JSONLexError(offset: j, reason: "invalid surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw JSONLexError(offset: j, reason: "invalid \\u escape") }
                UTF8.encode(u) { out.append($0) }
            default:
                throw JSONLexError(offset: j, reason: "invalid escape '\\\(Character(Unicode.Scalar(e)))'")
            }
        }
        guard let text = out.withUnsafeBytes({ utf8String($0) }) else {
            throw JSONLexError(offset: range.upperBound, reason: "string is not valid UTF-8")
        }
        return text
    }

    /// The bytes as a String, or nil when they are not valid UTF-8.
    ///
    /// `String(validating:as:)` would do, but it goes through unspecialised generic code (a
    /// metadata lookup per call: a few percent of a routing decision). Here ASCII needs one
    /// scan; other text is decoded with repair and kept only if no byte changed (a repair always
    /// writes U+FFFD where the invalid bytes were, and valid bytes never need one).
    @inline(__always)
    public static func utf8String(_ bytes: UnsafeRawBufferPointer) -> String? {
        var ascii = true
        for b in bytes where b >= 0x80 {
            ascii = false
            break
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if ascii { return text }
        return text.utf8.elementsEqual(bytes) ? text : nil
    }
}

/// A string found by ``JSONLexer/scanString(_:from:)``: its bytes between the quotes.
public struct JSONStringToken: Sendable, Equatable {
    /// The bytes between the quotes, escapes not yet decoded.
    public var content: Range<Int>
    /// Whether the content holds a backslash escape (when not, the bytes are the text).
    public var hasEscapes: Bool
    /// The index just past the closing quote.
    public var end: Int { content.upperBound + 1 }

    public init(content: Range<Int>, hasEscapes: Bool) {
        self.content = content
        self.hasEscapes = hasEscapes
    }
}

/// What is wrong with a JSON token, and the byte offset where it was found.
public struct JSONLexError: Error, Sendable {
    public var offset: Int
    public var reason: String
}
