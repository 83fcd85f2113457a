import MosaicCore

/// FOCUS Key-Value Format (`Tags`, `SkuPriceDetails`): a JSON object with unique keys whose
/// values are strings, numbers, booleans or null — never objects or arrays.
enum FOCUSKeyValue {
    /// The members of a key-value column, in document order.
    ///
    /// - Throws: ``RowProblem`` naming `column` when the text is not JSON, not an object, repeats
    ///   a key or nests an object or array.
    static func parse(_ bytes: UnsafeRawBufferPointer, column: String) throws(RowProblem) -> [(key: String, value: JSONValue)] {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw RowProblem(column: column, reason: "'\(ByteParsing.excerpt(bytes))' is not valid JSON (\(error.description))")
        }
        guard case .object(let members) = value else {
            throw RowProblem(column: column, reason: "is \(value.kindName), not a JSON object of key-value pairs")
        }
        var seen = Set<String>(minimumCapacity: members.count)
        for m in members {
            if !seen.insert(m.key).inserted {
                throw RowProblem(column: column, reason: "key '\(m.key)' appears twice; FOCUS keys are unique within the object")
            }
            switch m.value {
            case .object, .array:
                throw RowProblem(column: column, reason: "key '\(m.key)' holds \(m.value.kindName); FOCUS key-value pairs hold a string, number, boolean or null")
            default:
                break
            }
        }
        return members
    }

    /// The canonical text of flat members: keys sorted by their UTF-8 bytes, no white space,
    /// strings minimally escaped, numbers exactly as written. Equal tag sets give equal text.
    ///
    /// - Complexity: O(*n* log *n*) in the number of members, plus their length.
    static func canonical(_ members: [(key: String, value: JSONValue)]) -> String {
        if members.isEmpty { return "{}" }
        let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(64 * members.count)
        for (i, m) in sorted.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendString(m.key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch m.value {
            case .string(let s): JSONText.appendString(s, to: &out)
            case .number(let n): out.append(contentsOf: n.utf8)
            case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
            case .null, .object, .array: out.append(contentsOf: "null".utf8)  // parse() refuses nesting
            }
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}

/// Writing JSON text byte by byte (the store's `tags` and `extra` objects).
enum JSONText {
    /// Appends `s` as a JSON string literal: `"` and `\` escaped, control characters as
    /// `\n`, `\t`, … or `\u00XX`, everything else as its UTF-8 bytes.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        var copy = s
        copy.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// Appends UTF-8 bytes as a JSON string literal (see ``appendString(_:to:)-(String,_)``).
    static func appendString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(34)
        for c in bytes {
            switch c {
            case 34: out.append(92); out.append(34)
            case 92: out.append(92); out.append(92)
            case 10: out.append(92); out.append(UInt8(ascii: "n"))
            case 13: out.append(92); out.append(UInt8(ascii: "r"))
            case 9: out.append(92); out.append(UInt8(ascii: "t"))
            case 8: out.append(92); out.append(UInt8(ascii: "b"))
            case 12: out.append(92); out.append(UInt8(ascii: "f"))
            case 0..<32:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 15)])
            default: out.append(c)
            }
        }
        out.append(34)
    }
}
