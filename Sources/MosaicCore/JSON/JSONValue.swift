/// A JSON document that keeps every number's literal text, so money never passes through a
/// `Double` (`5.0000000000000004e-08` stays exactly that), and object keys in document order.
///
/// One tree for every reader: ingest (price tables, usage APIs, JSON Lines logs) and the
/// gateway (request and response bodies it forwards and rewrites). Written back with
/// ``bytes``, a document changes only where the caller changed it. The lexer underneath is
/// ``JSONLexer``.
public indirect enum JSONValue: Sendable, Equatable {
    /// An object member.
    public typealias Member = (key: String, value: JSONValue)

    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// The number exactly as written in the document.
    case number(String)
    case bool(Bool)
    case null

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.array(x), .array(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

    /// The member of an object with this key (the last one when a key repeats).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var numberText: String? { if case .number(let s) = self { return s }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [(key: String, value: JSONValue)]? { if case .object(let o) = self { return o }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }
    /// The number as a `Double` (rounded; for values that are not money).
    public var doubleValue: Double? { numberText.flatMap { Double($0) } }

    /// A whole number, when the literal is one (`12`, `12.0`, `1e3`).
    public var intValue: Int? {
        guard let t = numberText else { return nil }
        if let i = Int(t) { return i }
        if let d = Double(t), d == d.rounded(), abs(d) < 9e15 { return Int(d) }
        return nil
    }

    /// A human-readable name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

/// A JSON syntax error with the line and column where it was found.
public struct JSONSyntaxError: Error, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var reason: String
    /// The key that appeared twice in one object, when that is the error (only with
    /// `uniqueKeys`), so that readers can name it as they name a column.
    public var duplicateKey: String?
    public var description: String { "line \(line), column \(column): \(reason)" }
}

extension JSONValue {
    /// Parses a complete JSON document (RFC 8259).
    ///
    /// - Parameters:
    ///   - maxDepth: nesting deeper than this is refused (512 by default; the gateway, which
    ///     parses what any client sends, uses 64).
    ///   - uniqueKeys: refuse an object that holds a key twice. RFC 8259 leaves such an object's
    ///     meaning open and most parsers keep the last member silently, so a file that says
    ///     `"provider"` twice would be read as whichever came last. Every file reader asks for
    ///     this; the gateway, which forwards bodies as they are, does not.
    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = 512,
                             uniqueKeys: Bool = false) throws(JSONSyntaxError) -> JSONValue {
        let result = Array(bytes).withUnsafeBytes { buffer in
            Result { () throws(JSONSyntaxError) -> JSONValue in
                var parser = JSONParser(bytes: buffer, maxDepth: maxDepth, uniqueKeys: uniqueKeys)
                return try parser.document()
            }
        }
        return try result.get()
    }

    public static func parse(_ text: String, maxDepth: Int = 512, uniqueKeys: Bool = false) throws(JSONSyntaxError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth, uniqueKeys: uniqueKeys)
    }
}

/// A recursive-descent parser over ``JSONLexer``'s tokens.
struct JSONParser {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    let uniqueKeys: Bool
    var i = 0
    var depth = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int = 512, uniqueKeys: Bool = false) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.uniqueKeys = uniqueKeys
    }

    func fail(_ reason: String, at offset: Int? = nil) -> JSONSyntaxError {
        var line = 1, col = 1
        for b in bytes[0..<min(offset ?? i, bytes.count)] {
            if b == 10 { line += 1; col = 1 } else { col += 1 }
        }
        return JSONSyntaxError(line: line, column: col, reason: reason)
    }

    func fail(_ error: JSONLexError) -> JSONSyntaxError { fail(error.reason, at: error.offset) }

    mutating func skipSpace() { i = JSONLexer.skipWhitespace(bytes, from: i) }

    mutating func document() throws(JSONSyntaxError) -> JSONValue {
        if JSONLexer.hasLiteral(bytes, at: 0, "\u{FEFF}") { i = 3 }
        skipSpace()
        if i >= bytes.count { throw fail("the document is empty") }
        let v = try value()
        skipSpace()
        if i < bytes.count { throw fail("unexpected text after the end of the document") }
        return v
    }

    mutating func value() throws(JSONSyntaxError) -> JSONValue {
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end of input (truncated document?)") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected character '\(Character(Unicode.Scalar(bytes[i])))'")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        guard JSONLexer.hasLiteral(bytes, at: i, word) else { throw fail("invalid literal") }
        i += word.utf8CodeUnitCount
    }

    /// Reads the items of an object or array that opens at `i`, one `item` call each.
    mutating func items(closing: UInt8, _ what: String, _ item: (inout JSONParser) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) {
        depth += 1
        if depth > maxDepth { throw fail("nesting deeper than \(maxDepth) levels") }
        defer { depth -= 1 }
        i += 1
        skipSpace()
        if i < bytes.count, bytes[i] == closing { i += 1; return }
        while true {
            try item(&self)
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end of input inside an \(what)") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == closing { i += 1; return }
            throw fail("expected ',' or '\(Character(Unicode.Scalar(closing)))' in an \(what)")
        }
    }

    mutating func object() throws(JSONSyntaxError) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        // With `uniqueKeys`: small objects are searched, large ones (a series as an object of
        // time → value) keep a set, so the check stays linear.
        var keys: Set<String>?
        try items(closing: UInt8(ascii: "}"), "object") { (p: inout JSONParser) throws(JSONSyntaxError) in
            p.skipSpace()
            guard p.i < p.bytes.count else { throw p.fail("unexpected end of input inside an object") }
            guard p.bytes[p.i] == UInt8(ascii: "\"") else { throw p.fail("expected a string key") }
            let keyOffset = p.i
            let key = try p.string()
            if p.uniqueKeys, JSONParser.isRepeated(key, in: members, keys: &keys) {
                var error = p.fail("key '\(key.prefix(60))' appears twice in one object", at: keyOffset)
                error.duplicateKey = key
                throw error
            }
            p.skipSpace()
            guard p.i < p.bytes.count, p.bytes[p.i] == UInt8(ascii: ":") else { throw p.fail("expected ':' after a key") }
            p.i += 1
            members.append((key, try p.value()))
        }
        return .object(members)
    }

    /// Whether `key` is already among `members`; past 16 members `keys` holds them all.
    static func isRepeated(_ key: String, in members: [(key: String, value: JSONValue)], keys: inout Set<String>?) -> Bool {
        if keys == nil {
            if members.count < 16 { return members.contains { $0.key == key } }
            keys = Set(members.map(\.key))
        }
        return !keys!.insert(key).inserted
    }

    mutating func array() throws(JSONSyntaxError) -> JSONValue {
        var elements: [JSONValue] = []
        try items(closing: UInt8(ascii: "]"), "array") { (p: inout JSONParser) throws(JSONSyntaxError) in
            elements.append(try p.value())
        }
        return .array(elements)
    }

    /// The number's literal text, exactly as written.
    mutating func number() throws(JSONSyntaxError) -> String {
        let start = i
        do { i = try JSONLexer.scanNumber(bytes, from: i) } catch { throw fail(error) }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }

    mutating func string() throws(JSONSyntaxError) -> String {
        do {
            let token = try JSONLexer.scanString(bytes, from: i)
            let text = try JSONLexer.decodeString(bytes, token)
            i = token.end
            return text
        } catch {
            throw fail(error)
        }
    }
}
