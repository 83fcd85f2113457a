import Foundation

extension DecodingError {
    /// What is wrong with the document, for a person: where (a key path such as
    /// `providers[2].logLatency.intercept`) and why, in place of Foundation's debug rendering
    /// (`DecodingError.keyNotFound: Key 'start' not found in keyed decoding container. Debug
    /// description: …`).
    public var message: String {
        switch self {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                // Foundation's top-level parse failure: "The given data was not valid JSON."
                // with the parser's reason (such as "Unexpected end of file") underneath.
                let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                if context.debugDescription.contains("not valid JSON") {
                    return "not valid JSON" + (underlying.map { " (\($0))" } ?? "")
                }
                return context.debugDescription
            }
            // An enumeration's: "Cannot initialize Kind from invalid String value numerc".
            if let r = context.debugDescription.range(of: "from invalid String value ") {
                return "\(Self.path(context.codingPath)): '\(context.debugDescription[r.upperBound...])' is not a value this field takes"
            }
            return "\(Self.path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            let at = context.codingPath.isEmpty ? "" : " in \(Self.path(context.codingPath))"
            return "missing key '\(key.stringValue)'\(at)"
        case .typeMismatch(let type, let context):
            // Foundation's "Expected to decode Dictionary<String, Any> but found an array instead."
            let d = context.debugDescription
            if let found = d.range(of: "but found "), let end = d.range(of: " instead", range: found.upperBound..<d.endIndex) {
                return "\(Self.path(context.codingPath)): expected \(Self.name(type)), found \(d[found.upperBound..<end.lowerBound])"
            }
            return "\(Self.path(context.codingPath)): \(d)"
        case .valueNotFound(let type, let context):
            return "\(Self.path(context.codingPath)): is null, expected \(Self.name(type))"
        @unknown default:
            return "\(self)"
        }
    }

    /// `error`'s ``message`` when it is a `DecodingError`, else its description.
    public static func message(for error: any Error) -> String {
        (error as? DecodingError)?.message ?? "\(error)"
    }

    /// `error`'s ``message``, made exact from the document `data` where Foundation's is not.
    ///
    /// Foundation's decoder on Linux answers every document it cannot take as a whole (a
    /// syntax error, but also a fraction or an out-of-range number in a whole-number field, or a
    /// negative number in an unsigned one) with "The given data was not valid JSON." and no
    /// path, line or reason. Mosaic's own parser then reads `data`: a syntax error is said at its
    /// line and column; a number beyond any number's range at its key path; and a document that
    /// parses is said to be JSON whose number does not fit its field, which is all that is left.
    public static func message(for error: any Error, in data: some Collection<UInt8>) -> String {
        guard case .dataCorrupted(let context)? = error as? DecodingError, context.codingPath.isEmpty,
              context.debugDescription.contains("not valid JSON") else { return message(for: error) }
        let document: JSONValue
        do { document = try JSONValue.parse(data) } catch { return "not valid JSON: \(error)" }
        if let (path, literal) = outOfRange(document, at: []) {
            return "\(path.isEmpty ? "the document" : path): \(literal) is beyond the range of a number (about ±1.8e308)"
        }
        return "a number does not fit its field: a fraction or a value beyond ±9,223,372,036,854,775,807 where a whole number goes, "
            + "or a negative one where a count goes (the decoder does not say which field)"
    }

    /// The first number literal (in document order) that no `Double` holds, with its key path.
    private static func outOfRange(_ value: JSONValue, at path: [String]) -> (String, String)? {
        switch value {
        case .number(let literal):
            if let d = Double(literal), d.isFinite { return nil }
            return (path.joined(), literal)
        case .array(let items):
            for (i, item) in items.enumerated() { if let hit = outOfRange(item, at: path + ["[\(i)]"]) { return hit } }
        case .object(let members):
            for (key, item) in members { if let hit = outOfRange(item, at: path + [path.isEmpty ? key : "." + key]) { return hit } }
        default: break
        }
        return nil
    }

    /// A coding path as a key path: `a.b[3].c` (the document itself is `the document`).
    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let i = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(i)" {
                text += "[\(i)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "the document" : text
    }

    private static func name(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type, is Int.Type, is Int64.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default:
            let text = "\(type)"
            if text.hasPrefix("Dictionary") { return "an object" }
            if text.hasPrefix("Array") { return "an array" }
            return text
        }
    }
}
