import Foundation
import Yams

/// Reads one YAML document field by field with strict types, for Mosaic's file formats (the
/// provider catalog, routing policies, scenarios).
///
/// Every value carries its field path (`rules[2].match.hours`); every problem is a ``YAMLError``
/// naming the file, the line and that path. Types are strict: text is any non-blank scalar as
/// written, booleans are `true`/`false` only, whole numbers are unquoted YAML integers, numbers
/// are unquoted YAML integers or floats, durations are text with a unit (``DurationText``), dates
/// are RFC 3339 (``Timestamp/parse(_:)-(String)``), amounts are exact decimals read from their
/// source text (``Money``). A mapping read with ``Value/mapping(allowed:expected:)`` rejects
/// keys outside its list with a "did you mean". The reader records the line of every field path
/// it reads (``lines``) so that checks made after reading can name lines too (``YAMLChecker``).
///
/// ```swift
/// let reader = try YAMLReader(yaml: text, source: "policy.yaml")
/// let top = try reader.document(ifEmpty: "the policy is empty").mapping(allowed: keys, expected: "a policy")
/// let name = try top["name"]?.text() ?? "policy"
/// ```
public final class YAMLReader {
    /// The name errors use for the document, usually its file path.
    public let source: String
    /// The line of each field path read so far (`rules[0].route[1]` → 12). A scalar is named by
    /// its own line, a mapping or list by its key's.
    public private(set) var lines: [String: Int] = [:]
    private let root: Node?

    /// Parses `yaml`.
    ///
    /// - Throws: ``YAMLError/Problem/syntax(_:)`` with the line of a malformed document, a key
    ///   repeated in one mapping, or aliases that repeat more than ``aliasExpansionLimit`` values.
    public init(yaml: String, source: String) throws(YAMLError) {
        self.source = source
        try Self.checkAliasExpansion(yaml: yaml, source: source)
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw Self.syntaxError(error, yaml: yaml, source: source)
        }
    }

    /// The text of the file at `path`.
    ///
    /// - Parameter document: What the file holds ("policy"), for the message.
    /// - Throws: ``YAMLError/Problem/unreadableFile(document:reason:)`` when the file is missing,
    ///   is a directory, cannot be read or is not UTF-8.
    public static func text(path: String, document: String) throws(YAMLError) -> String {
        func fail(_ reason: String) -> YAMLError { .unreadableFile(path: path, document: document, reason: reason) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw fail("no such file") }
        guard !isDirectory.boolValue else { throw fail("it is a directory, not a file") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw fail(error.localizedDescription)
        }
        guard let text = String(validating: data, as: UTF8.self) else { throw fail("the file is not UTF-8 text") }
        return text
    }

    /// The document's top value.
    ///
    /// - Parameter message: The format's message for an empty document (no content, only
    ///   comments, or null).
    public func document(ifEmpty message: String) throws(YAMLError) -> Value {
        guard let root else { throw YAMLError(source: source, line: 1, path: "", .invalid(message)) }
        let value = Value(reader: self, node: root, path: "")
        if value.isNull { throw value.error(.invalid(message)) }
        return value
    }

    /// Records the line of `path` for later checks (a path the format names differently from
    /// the file, such as a canonical spelling).
    public func record(_ path: String, line: Int) { lines[path] = line }

    // MARK: - Values

    /// One node of the document at its field path.
    public struct Value {
        let reader: YAMLReader
        let node: Node
        /// The field path: `providers[0].service.median`; `""` for the document.
        public let path: String

        /// The node's 1-based line.
        public var line: Int { node.mark?.line ?? 1 }

        /// Whether the node is null (`~`, `null` or nothing after the key).
        public var isNull: Bool {
            if case .scalar = node { return tag == .null }
            return false
        }

        /// Whether the node is a scalar (not a mapping or list).
        public var isScalar: Bool {
            if case .scalar = node { return true }
            return false
        }

        /// The error `problem` at this node's line and path.
        public func error(_ problem: YAMLError.Problem) -> YAMLError {
            YAMLError(source: reader.source, line: line, path: path, problem)
        }

        /// The error for this value not being `expected` ("a list", "true or false").
        public func wrongType(_ expected: String) -> YAMLError {
            error(.wrongType(expected: expected, found: described))
        }

        /// A non-blank scalar's text, as written (`no` stays "no", `007` stays "007").
        public func text() throws(YAMLError) -> String {
            guard case .scalar(let scalar) = node else { throw wrongType("text") }
            guard !isNull, !scalar.string.allSatisfy(\.isWhitespace) else { throw error(.emptyValue) }
            return scalar.string
        }

        /// A word of a fixed vocabulary, as `parse` reads it; a word it does not know is an error
        /// that lists `allowed` and suggests the nearest.
        ///
        /// - Parameter kind: What the vocabulary is called ("rule mode").
        public func word<T>(_ kind: String, allowed: [String], _ parse: (String) -> T?) throws(YAMLError) -> T {
            let text = try text()
            guard let word = parse(text) else { throw error(.unknownName(text, kind: kind, allowed: allowed)) }
            return word
        }

        /// One of the words `allowed`.
        public func word(_ kind: String, allowed: [String]) throws(YAMLError) -> String {
            try word(kind, allowed: allowed) { allowed.contains($0) ? $0 : nil }
        }

        /// `true` or `false` (any letter case); `yes`, `on`, `1` and quoted text are rejected.
        public func bool() throws(YAMLError) -> Bool {
            guard case .scalar(let scalar) = node, tag == .bool else { throw wrongType("true or false") }
            switch scalar.string.lowercased() {
            case "true": return true
            case "false": return false
            default: throw wrongType("true or false")
            }
        }

        /// A whole number (an unquoted YAML integer); range checks are the caller's.
        public func integer() throws(YAMLError) -> Int {
            guard case .scalar(let scalar) = node, tag == .int, let value = Int.construct(from: scalar) else {
                throw wrongType("a whole number")
            }
            return value
        }

        /// A whole number in 0...UInt64.max.
        public func unsignedInteger() throws(YAMLError) -> UInt64 {
            guard case .scalar(let scalar) = node, tag == .int else { throw wrongType("a whole number") }
            if let value = UInt64(scalar.string.filter { $0 != "_" }) { return value }
            if let value = Int.construct(from: scalar), value >= 0 { return UInt64(value) }
            throw error(.outOfRange(expected: "in 0...\(UInt64.max)", found: scalar.string))
        }

        /// A finite number, whole or not (an unquoted YAML integer or float).
        public func number() throws(YAMLError) -> Double {
            guard case .scalar(let scalar) = node else { throw wrongType("a number") }
            switch tag {
            case .int:
                guard let value = Int.construct(from: scalar) else { throw wrongType("a number") }
                return Double(value)
            case .float:
                guard let value = Double.construct(from: scalar) else { throw wrongType("a number") }
                guard value.isFinite else { throw error(.outOfRange(expected: "a finite number", found: scalar.string)) }
                return value
            default:
                throw wrongType("a number")
            }
        }

        /// A duration with a unit (``DurationText``), in µs.
        public func duration() throws(YAMLError) -> Int64 {
            let expected = "a duration such as 250ms, 1.5s or 5m"
            guard case .scalar(let scalar) = node else { throw wrongType(expected) }
            switch tag {
            case .int, .float: throw error(.missingUnit(scalar.string))
            case .str: break
            default: throw wrongType(expected)
            }
            switch DurationText.parse(scalar.string) {
            case .value(let micros): return micros
            case .noUnit: throw error(.missingUnit(scalar.string))
            case .invalid(let reason): throw error(.invalidDuration(scalar.string, reason: reason))
            }
        }

        /// A duration with a unit, in seconds.
        public func seconds() throws(YAMLError) -> Double { Double(try duration()) / 1_000_000 }

        /// A duration with a unit, in milliseconds.
        public func milliseconds() throws(YAMLError) -> Double { Double(try duration()) / 1_000 }

        /// An RFC 3339 date-time or date, in µs since the epoch.
        public func date() throws(YAMLError) -> Int64 {
            guard case .scalar(let scalar) = node else {
                throw wrongType("a date or date-time such as 2026-10-12T00:00:00Z")
            }
            guard let micros = Timestamp.parse(scalar.string) else { throw error(.invalidDate(scalar.string)) }
            return micros
        }

        /// An exact decimal amount from the scalar's source text (a YAML number or a quoted
        /// string), never through `Double`.
        public func amount() throws(YAMLError) -> Money {
            let expected = "an amount such as \"2.50\""
            guard case .scalar(let scalar) = node else { throw wrongType(expected) }
            var text = scalar.string
            switch tag {
            case .int, .float: text.removeAll { $0 == "_" }
            case .str: break
            default: throw wrongType(expected)
            }
            do {
                return try Money(parsing: text)
            } catch {
                let reason: String
                switch error {
                case .empty: reason = "it is empty"
                case .invalidCharacter: reason = "write a decimal number, such as \"2.50\", \"0.000003\" or \"3e-6\""
                case .tooManyDecimals: reason = "more than \(Money.scale) decimal places"
                case .outOfRange: reason = "too large"
                }
                throw self.error(.invalidAmount(scalar.string, reason: reason))
            }
        }

        /// The items of a list (possibly empty), each at `path[i]`; records their lines.
        public func list() throws(YAMLError) -> [Value] {
            guard case .sequence(let sequence) = node else { throw wrongType("a list") }
            reader.note(path, line)
            return sequence.enumerated().map { index, item in
                let value = Value(reader: reader, node: item, path: "\(path)[\(index)]")
                reader.lines[value.path] = value.line
                return value
            }
        }

        /// A list of non-blank texts (possibly empty).
        public func texts() throws(YAMLError) -> [String] {
            var texts: [String] = []
            for item in try list() { texts.append(try item.text()) }
            return texts
        }

        /// A list of numbers (possibly empty).
        public func numbers() throws(YAMLError) -> [Double] {
            var numbers: [Double] = []
            for item in try list() { numbers.append(try item.number()) }
            return numbers
        }

        /// A mapping whose keys are fields of the format; a key outside `allowed` is an error
        /// that suggests the nearest allowed key. Records the line of every field.
        ///
        /// - Parameter expected: What the value should be, for a value that is not a mapping
        ///   ("a rate limit (a mapping such as {requests: 5000, per: hour})").
        public func mapping(allowed: [String], expected: String) throws(YAMLError) -> Mapping {
            guard case .mapping(let mapping) = node else { throw wrongType(expected) }
            var values: [String: Node] = [:]
            var keys: [(name: String, line: Int)] = []
            for (key, value) in mapping {
                let keyValue = Value(reader: reader, node: key, path: path)
                guard case .scalar(let scalar) = key else { throw keyValue.wrongType("a key name") }
                guard allowed.contains(scalar.string) else {
                    throw keyValue.error(.unknownKey(scalar.string, allowed: allowed))
                }
                values[scalar.string] = value
                keys.append((scalar.string, keyValue.line))
                let field = Mapping.path(of: scalar.string, in: path)
                if case .scalar = value { reader.lines[field] = value.mark?.line ?? 1 } else { reader.lines[field] = keyValue.line }
            }
            reader.note(path, line)
            return Mapping(value: self, values: values, keys: keys)
        }

        /// A mapping with free keys (provider ids, tenant names), in document order; each value
        /// is at `path.key`, and that path is recorded at the key's line.
        public func entries() throws(YAMLError) -> [(key: String, line: Int, value: Value)] {
            guard case .mapping(let mapping) = node else { throw wrongType("a mapping") }
            reader.note(path, line)
            var result: [(key: String, line: Int, value: Value)] = []
            for (key, value) in mapping {
                let keyValue = Value(reader: reader, node: key, path: path)
                let name = try keyValue.text()
                let entry = Value(reader: reader, node: value, path: "\(path).\(name)")
                reader.lines[entry.path] = keyValue.line
                result.append((name, keyValue.line, entry))
            }
            return result
        }

        /// A value with a `kind` and the parameters of that kind: a mapping such as
        /// `{kind: lognormal, median: 2s}`, or the kind alone as a scalar (`traffic: replay`).
        ///
        /// - Parameters:
        ///   - allowed: Every key any kind takes, `kind` included.
        ///   - parameters: The parameters each kind takes, by kind.
        ///   - kinds: The kinds in the order messages list them.
        ///   - vocabulary: What the kind is called in an unknown-kind message ("strategy kind").
        ///   - owner: What it is called where a parameter does not apply ("strategy"); by default
        ///     `vocabulary`.
        ///   - expected: What the value should be when it is neither a scalar nor a mapping.
        /// - Returns: The kind and its fields (empty when the kind stood alone).
        public func kinded(allowed: [String], parameters: [String: [String]], kinds: [String], vocabulary: String,
                           owner: String? = nil, expected: String) throws(YAMLError) -> (kind: String, fields: Mapping) {
            let kindValue: Value
            let fields: Mapping
            if isScalar {
                kindValue = self
                fields = Mapping(value: self, values: [:], keys: [])
            } else {
                fields = try mapping(allowed: allowed, expected: expected)
                kindValue = try fields.required("kind")
            }
            let kind = try kindValue.text()
            guard let taken = parameters[kind] else {
                throw kindValue.error(.unknownName(kind, kind: vocabulary, allowed: kinds))
            }
            for (key, keyLine) in fields.keys where key != "kind" && !taken.contains(key) {
                throw YAMLError(source: reader.source, line: keyLine, path: fields.path(of: key),
                                .parameterNotAllowed(key, kind: owner ?? vocabulary, value: kind, allowed: taken))
            }
            return (kind, fields)
        }

        /// The resolved tag: `.str` for quoted text, `.int` for `42`, `.null` for `~`.
        var tag: Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

        /// How an error message names a value it did not expect.
        var described: String {
            switch node {
            case .scalar(let scalar):
                if isNull { return "nothing (null)" }
                switch scalar.style {
                case .singleQuoted, .doubleQuoted: return "the quoted text '\(scalar.string)'"
                default: return "'\(scalar.string)'"
                }
            case .sequence: return "a list"
            case .mapping: return "a mapping"
            case .alias: return "an alias"
            }
        }
    }

    /// A mapping's fields, already checked against the allowed keys.
    public struct Mapping {
        /// The mapping itself.
        public let value: Value
        let values: [String: Node]
        /// The keys in document order with the line of each.
        public let keys: [(name: String, line: Int)]

        /// The mapping's path.
        public var path: String { value.path }

        /// The path of field `key` inside this mapping.
        public func path(of key: String) -> String { Self.path(of: key, in: value.path) }

        static func path(of key: String, in path: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

        /// The value of `key`; nil when it is absent or null (`key:` or `key: ~`).
        public subscript(key: String) -> Value? {
            guard let node = values[key] else { return nil }
            let field = Value(reader: value.reader, node: node, path: path(of: key))
            return field.isNull ? nil : field
        }

        /// The value of `key`, which must be present (it may still be null).
        public func required(_ key: String) throws(YAMLError) -> Value {
            guard let node = values[key] else { throw value.error(.missingField(key)) }
            return Value(reader: value.reader, node: node, path: path(of: key))
        }

        /// Checks that `version` is present and is 1; `document` names the format ("policy").
        public func requireVersion1(document: String) throws(YAMLError) {
            let version = try required("version")
            guard case .scalar(let scalar) = version.node, version.tag == .int, Int.construct(from: scalar) == 1 else {
                throw version.error(.unsupportedVersion(document: document, found: version.described))
            }
        }
    }

    /// Records `path` at `line` unless a line is already known for it.
    private func note(_ path: String, _ line: Int) {
        if lines[path] == nil { lines[path] = line }
    }

    /// The syntax error for an error thrown by the YAML parser.
    static func syntaxError(_ error: any Error, yaml: String, source: String) -> YAMLError {
        func fail(_ line: Int, _ message: String) -> YAMLError { YAMLError(source: source, line: line, path: "", .syntax(message)) }
        guard let yamlError = error as? YamlError else { return fail(1, "\(error)") }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = problem
            if let context { message += " (\(context.text) at line \(context.mark.line))" }
            // libyaml's words for a tab where indentation goes, and for its nesting limit.
            let text = yaml.split(separator: "\n", omittingEmptySubsequences: false)
            if problem.hasPrefix("found character that cannot start any token"), mark.line >= 1, mark.line <= text.count,
               text[mark.line - 1].prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") {
                message = "a tab indents this line; YAML indents with spaces only"
            } else if problem.hasPrefix("Maximum nesting level reached") {
                message = "nested too deeply (more than 1000 levels)"
            }
            return fail(mark.line, message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return fail(context.mark.line, "key \(keys) is repeated in the same mapping (first occurrence on this line)")
        case .reader(let problem, let offset, _, _):
            return fail(offset.map { yaml.prefix($0).reduce(1) { $1 == "\n" ? $0 + 1 : $0 } } ?? 1, problem)
        default:
            return fail(1, "\(yamlError)")
        }
    }
}
