import MosaicCore

/// A JSON document as a tree, for the gateway's request and response bodies.
///
/// Numbers keep their source text and objects keep their key order, so a body the gateway
/// forwards changes only where the gateway means to change it (the `model` name, the stream
/// options); nothing is rounded through `Double` on the way.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number as written (`0.7`, `1e-3`, `42`).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order.
    case object([Member])

    struct Member: Sendable, Equatable {
        var key: String
        var value: JSONValue
    }

    static let maxDepth = 64

    // MARK: - Reading

    /// Parses one JSON document.
    ///
    /// - Throws: ``JSONParseError`` or the lexer's `JSONLexError`; ``describe(_:)`` words either.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        var i = JSONLexer.skipWhitespace(bytes, from: 0)
        let v = try value(bytes, &i, depth: 0)
        i = JSONLexer.skipWhitespace(bytes, from: i)
        guard i == bytes.count else { throw JSONParseError(offset: i, reason: "unexpected data after the JSON value") }
        return v
    }

    static func parse(_ bytes: some Collection<UInt8>) throws -> JSONValue {
        try Array(bytes).withUnsafeBytes { raw in try parse(raw) }
    }

    /// Why a document is not JSON, in words, with the byte offset.
    static func describe(_ error: any Error) -> String {
        if let e = error as? JSONParseError { return "\(e.reason) (at byte \(e.offset))" }
        if let e = error as? JSONLexError { return "\(e.reason) (at byte \(e.offset))" }
        return "\(error)"
    }

    private static func value(_ b: UnsafeRawBufferPointer, _ i: inout Int, depth: Int) throws -> JSONValue {
        guard depth < maxDepth else { throw JSONParseError(offset: i, reason: "nested more than \(maxDepth) deep") }
        i = JSONLexer.skipWhitespace(b, from: i)
        guard i < b.count else { throw JSONParseError(offset: i, reason: "unexpected end of input, expected a value") }
        switch b[i] {
        case UInt8(ascii: "\""):
            let token = try JSONLexer.scanString(b, from: i)
            i = token.end
            return .string(try JSONLexer.decodeString(b, token))
        case UInt8(ascii: "{"):
            i += 1
            var members: [Member] = []
            i = JSONLexer.skipWhitespace(b, from: i)
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                i = JSONLexer.skipWhitespace(b, from: i)
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw JSONParseError(offset: i, reason: "expected a quoted key") }
                let token = try JSONLexer.scanString(b, from: i)
                i = token.end
                let key = try JSONLexer.decodeString(b, token)
                i = JSONLexer.skipWhitespace(b, from: i)
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw JSONParseError(offset: i, reason: "expected ':' after a key") }
                i += 1
                members.append(Member(key: key, value: try value(b, &i, depth: depth + 1)))
                i = JSONLexer.skipWhitespace(b, from: i)
                guard i < b.count else { throw JSONParseError(offset: i, reason: "unterminated object") }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                guard b[i] == UInt8(ascii: ",") else { throw JSONParseError(offset: i, reason: "expected ',' or '}' in an object") }
                i += 1
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            i = JSONLexer.skipWhitespace(b, from: i)
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try value(b, &i, depth: depth + 1))
                i = JSONLexer.skipWhitespace(b, from: i)
                guard i < b.count else { throw JSONParseError(offset: i, reason: "unterminated array") }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                guard b[i] == UInt8(ascii: ",") else { throw JSONParseError(offset: i, reason: "expected ',' or ']' in an array") }
                i += 1
            }
        case UInt8(ascii: "t"):
            guard JSONLexer.hasLiteral(b, at: i, "true") else { throw JSONParseError(offset: i, reason: "bad literal") }
            i += 4
            return .bool(true)
        case UInt8(ascii: "f"):
            guard JSONLexer.hasLiteral(b, at: i, "false") else { throw JSONParseError(offset: i, reason: "bad literal") }
            i += 5
            return .bool(false)
        case UInt8(ascii: "n"):
            guard JSONLexer.hasLiteral(b, at: i, "null") else { throw JSONParseError(offset: i, reason: "bad literal") }
            i += 4
            return .null
        default:
            let start = i
            i = try JSONLexer.scanNumber(b, from: start)
            return .number(String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
        }
    }

    // MARK: - Access

    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for m in members where m.key == key { return m.value }
        return nil
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    var members: [Member]? {
        if case .object(let m) = self { return m }
        return nil
    }

    var isNull: Bool { self == .null }

    /// A whole number that fits an `Int` (`12`, `12.0` is not one).
    var intValue: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }

    var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    static func int(_ v: Int) -> JSONValue { .number(String(v)) }

    /// Sets `key` (replacing its value in place, or appending it); only on objects.
    mutating func set(_ key: String, _ value: JSONValue) {
        guard case .object(var members) = self else { return }
        if let k = members.firstIndex(where: { $0.key == key }) {
            members[k].value = value
        } else {
            members.append(Member(key: key, value: value))
        }
        self = .object(members)
    }

    /// Removes `key` from an object.
    mutating func remove(_ key: String) {
        guard case .object(var members) = self else { return }
        members.removeAll { $0.key == key }
        self = .object(members)
    }

    // MARK: - Writing

    /// Compact JSON bytes.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: n.utf8)
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (k, item) in items.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (k, m) in members.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(m.key, into: &out)
                out.append(UInt8(ascii: ":"))
                m.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let hex = Array("0123456789abcdef".utf8)
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Builds objects in a literal-like way: `.obj(["type": .string("error")])` keeps the order given.
extension JSONValue {
    static func obj(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(pairs.map { Member(key: $0.key, value: $0.value) })
    }
}

/// A structural JSON error (the lexer reports token errors itself).
struct JSONParseError: Error, Sendable {
    var offset: Int
    var reason: String
}
