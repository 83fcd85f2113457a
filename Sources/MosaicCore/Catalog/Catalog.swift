import Foundation
import Yams

/// The providers Mosaic knows about, read from a YAML catalog file.
///
/// A catalog is validated as a whole when it is read: every problem is reported as a
/// ``CatalogError`` naming the file, the line and the field (`catalog.yaml:12: providers[3].kind:
/// 'aii' is not a provider kind ...`), so a typo never passes silently. The format:
///
/// ```yaml
/// version: 1
/// providers:
///   - id: openai              # required: slug of a-z, 0-9 and single hyphens, unique
///     name: OpenAI            # required: display name
///     kind: ai                # required: ai, git, ci, kb or workflow
///     regions: [us, eu]       # required: at least one region
///     self_hosted: false      # required: true or false
///     compliance: [gdpr, soc2]                 # optional: gdpr, hipaa, soc2, fedramp
///     rate_limits:                             # optional: empty or absent = none known
///       - {requests: 10000, per: minute, scope: default}   # per: second, minute, hour, day
///     capabilities: [vision, function_calling] # optional: free words
///     context_window: 128000  # optional: tokens, > 0; absent = model-dependent
///     pricing: usage-based    # optional: free text
///     notes: ...              # optional: free text
/// ```
///
/// A catalog built by reading is immutable; ``providers`` keeps file order.
public struct Catalog: Sendable, Hashable {
    /// Every provider, in the order the catalog file lists them.
    public let providers: [Provider]
    /// Every provider id; ids are unique within a catalog.
    public let ids: Set<String>
    /// Position of each id in ``providers``.
    private let positions: [String: Int]

    /// Reads and validates a catalog from YAML text.
    ///
    /// - Parameters:
    ///   - yaml: The catalog text (format above).
    ///   - source: The name errors use for the text, usually its file path (`catalog.yaml`).
    /// - Throws: ``CatalogError`` for the first problem found, in document order: YAML syntax,
    ///   unknown or missing keys, wrong types, unknown kinds, compliance tags or periods,
    ///   invalid or duplicate ids, non-positive counts, empty values, a version other than 1
    ///   or a catalog without providers.
    public init(yaml: String, source: String) throws(CatalogError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw CatalogReader.syntaxError(error, yaml: yaml, source: source)
        }
        guard let root else { throw .emptyCatalog(source: source, line: 1) }
        let providers = try CatalogReader(source: source).catalog(root)
        var positions: [String: Int] = [:]
        for (position, provider) in providers.enumerated() {
            positions[provider.id] = position
        }
        self.providers = providers
        self.positions = positions
        self.ids = Set(positions.keys)
    }

    /// Reads and validates the catalog file at `path`.
    ///
    /// - Parameter path: A file path; errors name the file by this path.
    /// - Throws: ``CatalogError/unreadableFile(path:reason:)`` when the file is missing, is a
    ///   directory, cannot be read or is not UTF-8; otherwise as ``init(yaml:source:)``.
    public static func load(path: String) throws(CatalogError) -> Catalog {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadableFile(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw .unreadableFile(path: path, reason: "it is a directory, not a file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw .unreadableFile(path: path, reason: "the file is not UTF-8 text")
        }
        return try Catalog(yaml: text, source: path)
    }

    /// The catalog built into Mosaic (``defaultYAML``): the providers and facts of the
    /// product's design documents.
    public static let `default`: Catalog = {
        do {
            return try Catalog(yaml: Catalog.defaultYAML, source: "default-catalog.yaml")
        } catch {
            preconditionFailure("the built-in provider catalog is invalid: \(error)")
        }
    }()

    /// The provider with identifier `id`, or nil when the catalog has none. O(1).
    public func provider(id: String) -> Provider? {
        positions[id].map { providers[$0] }
    }

    /// The providers of one kind, in catalog order. O(n).
    public func providers(ofKind kind: ProviderKind) -> [Provider] {
        providers.filter { $0.kind == kind }
    }

    /// Renders the catalog as YAML in the catalog format.
    ///
    /// The result parses (``init(yaml:source:)``) to a catalog equal to this one. Comments of
    /// the original file are not kept; absent optional fields stay absent and empty lists are
    /// written as `[]`. Text is written plain where that is unambiguous and double-quoted
    /// otherwise (`"no"`, `"123"`, `"$0.008 per minute"`).
    public func yaml() -> String {
        var out = "# Mosaic provider catalog. Compliance tags are the organisation's own attestation.\n"
        out += "version: 1\nproviders:\n"
        for provider in providers {
            out += "  - id: \(Self.scalar(provider.id))\n"
            out += "    name: \(Self.scalar(provider.name))\n"
            out += "    kind: \(provider.kind.rawValue)\n"
            out += "    regions: \(Self.flowList(provider.regions))\n"
            out += "    self_hosted: \(provider.selfHosted)\n"
            out += "    compliance: \(Self.flowList(provider.compliance.map(\.rawValue)))\n"
            if provider.rateLimits.isEmpty {
                out += "    rate_limits: []\n"
            } else {
                out += "    rate_limits:\n"
                for limit in provider.rateLimits {
                    out += "      - {requests: \(limit.requests), per: \(limit.period.rawValue), "
                    out += "scope: \(Self.scalar(limit.scope, inFlow: true))}\n"
                }
            }
            out += "    capabilities: \(Self.flowList(provider.capabilities))\n"
            if let contextWindow = provider.contextWindow {
                out += "    context_window: \(contextWindow)\n"
            }
            if let pricing = provider.pricing {
                out += "    pricing: \(Self.scalar(pricing))\n"
            }
            if let notes = provider.notes {
                out += "    notes: \(Self.scalar(notes))\n"
            }
        }
        return out
    }

    // MARK: - Rendering

    /// `[a, b, "c, d"]`.
    private static func flowList(_ items: [String]) -> String {
        "[" + items.map { scalar($0, inFlow: true) }.joined(separator: ", ") + "]"
    }

    /// `text` as a YAML scalar that reads back as the same string: plain where that is safe,
    /// double-quoted with escapes otherwise.
    private static func scalar(_ text: String, inFlow: Bool = false) -> String {
        if isPlainSafe(text, inFlow: inFlow) { return text }
        var out = "\""
        for unit in text.unicodeScalars {
            switch unit {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                let value = unit.value
                if value < 0x20 || value == 0x7F || value == 0x85 || value == 0x2028 || value == 0x2029
                    || value == 0xFEFF
                {
                    let hex = String(value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(unit)
                }
            }
        }
        return out + "\""
    }

    /// Whether `text` can be written as a plain scalar and still read back as the same string.
    ///
    /// Deliberately narrower than YAML allows: ASCII letters, digits and ` _.-/()+$;'` (plus
    /// `,` outside flow lists), starting with a letter, digit or `$`, not ending in a space,
    /// and not resolving to a YAML number, boolean, null or timestamp.
    private static func isPlainSafe(_ text: String, inFlow: Bool) -> Bool {
        guard let first = text.utf8.first, let last = text.utf8.last else { return false }
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return false
            }
        }
        guard isAlphanumeric(first) || first == UInt8(ascii: "$"), last != UInt8(ascii: " ") else { return false }
        for byte in text.utf8 where !isAlphanumeric(byte) {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"),
                UInt8(ascii: "/"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "+"),
                UInt8(ascii: "$"), UInt8(ascii: ";"), UInt8(ascii: "'"):
                continue
            case UInt8(ascii: ","):
                if inFlow { return false }
            default:
                return false
            }
        }
        return Tag.Name(rawValue: Node(text).tag.rawValue) == .str
    }
}

/// Walks a composed YAML tree and builds providers, turning every problem into a
/// ``CatalogError`` with the node's line and field path.
private struct CatalogReader {
    /// The name errors use for the catalog.
    let source: String

    static let topLevelKeys = ["version", "providers"]
    static let providerKeys = [
        "id", "name", "kind", "regions", "self_hosted", "compliance", "rate_limits",
        "capabilities", "context_window", "pricing", "notes",
    ]
    static let rateLimitKeys = ["requests", "per", "scope"]

    /// A mapping's values by key, already checked against the allowed keys.
    struct Fields {
        let node: Node
        let path: String
        let values: [String: Node]

        /// The path of field `key` inside this mapping.
        func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    }

    // MARK: Catalog structure

    func catalog(_ root: Node) throws(CatalogError) -> [Provider] {
        if isNull(root) { throw .emptyCatalog(source: source, line: line(of: root)) }
        let top = try fields(
            root, path: "", allowed: Self.topLevelKeys, expected: "a mapping with keys version and providers"
        )
        let version = try required(top, "version")
        guard case .scalar(let scalar) = version, tagName(of: version) == .int, Int.construct(from: scalar) == 1 else {
            throw .unsupportedVersion(source: source, line: line(of: version), value: describe(version))
        }
        let providersNode = try required(top, "providers")
        if isNull(providersNode) { throw .emptyCatalog(source: source, line: line(of: providersNode)) }
        let items = try list(providersNode, path: "providers")
        guard !items.isEmpty else { throw .emptyCatalog(source: source, line: line(of: providersNode)) }

        var providers: [Provider] = []
        providers.reserveCapacity(items.count)
        var firstLines: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let path = "providers[\(index)]"
            let provider = try self.provider(item, path: path)
            let idLine = item["id"].map { line(of: $0) } ?? line(of: item)
            if let firstLine = firstLines[provider.id] {
                throw .duplicateID(
                    source: source, line: idLine, path: "\(path).id", id: provider.id, firstLine: firstLine
                )
            }
            firstLines[provider.id] = idLine
            providers.append(provider)
        }
        return providers
    }

    func provider(_ node: Node, path: String) throws(CatalogError) -> Provider {
        let fields = try fields(node, path: path, allowed: Self.providerKeys, expected: "a provider (a mapping)")

        let idNode = try required(fields, "id")
        let id = try text(idNode, path: fields.path(of: "id"))
        guard Provider.isValidID(id) else {
            throw .invalidID(source: source, line: line(of: idNode), path: fields.path(of: "id"), value: id)
        }
        let name = try text(required(fields, "name"), path: fields.path(of: "name"))

        let kindNode = try required(fields, "kind")
        let kindText = try text(kindNode, path: fields.path(of: "kind"))
        guard let kind = ProviderKind(rawValue: kindText) else {
            throw .unknownKind(source: source, line: line(of: kindNode), path: fields.path(of: "kind"), value: kindText)
        }

        let regionsNode = try required(fields, "regions")
        let regions = try textList(regionsNode, path: fields.path(of: "regions"))
        guard !regions.isEmpty else {
            throw .emptyValue(source: source, line: line(of: regionsNode), path: fields.path(of: "regions"))
        }

        let selfHosted = try bool(required(fields, "self_hosted"), path: fields.path(of: "self_hosted"))

        var compliance: [ComplianceTag] = []
        if let node = optional(fields, "compliance") {
            let listPath = fields.path(of: "compliance")
            for (index, item) in try list(node, path: listPath).enumerated() {
                let itemPath = "\(listPath)[\(index)]"
                let value = try text(item, path: itemPath)
                guard let tag = ComplianceTag(parsing: value) else {
                    throw .unknownComplianceTag(source: source, line: line(of: item), path: itemPath, value: value)
                }
                compliance.append(tag)
            }
        }

        var rateLimits: [RateLimit] = []
        if let node = optional(fields, "rate_limits") {
            let listPath = fields.path(of: "rate_limits")
            for (index, item) in try list(node, path: listPath).enumerated() {
                rateLimits.append(try rateLimit(item, path: "\(listPath)[\(index)]"))
            }
        }

        var capabilities: [String] = []
        if let node = optional(fields, "capabilities") {
            capabilities = try textList(node, path: fields.path(of: "capabilities"))
        }

        var contextWindow: Int?
        if let node = optional(fields, "context_window") {
            contextWindow = try positive(node, path: fields.path(of: "context_window"))
        }
        let pricing = try optional(fields, "pricing").map { (node) throws(CatalogError) in
            try text(node, path: fields.path(of: "pricing"))
        }
        let notes = try optional(fields, "notes").map { (node) throws(CatalogError) in
            try text(node, path: fields.path(of: "notes"))
        }

        return Provider(
            id: id, name: name, kind: kind, regions: regions, selfHosted: selfHosted,
            compliance: compliance, rateLimits: rateLimits, capabilities: capabilities,
            contextWindow: contextWindow, pricing: pricing, notes: notes
        )
    }

    func rateLimit(_ node: Node, path: String) throws(CatalogError) -> RateLimit {
        let fields = try fields(
            node, path: path, allowed: Self.rateLimitKeys,
            expected: "a rate limit (a mapping such as {requests: 5000, per: hour})"
        )
        let requests = try positive(required(fields, "requests"), path: fields.path(of: "requests"))
        let periodNode = try required(fields, "per")
        let periodText = try text(periodNode, path: fields.path(of: "per"))
        guard let period = RateLimit.Period(rawValue: periodText) else {
            throw .unknownPeriod(
                source: source, line: line(of: periodNode), path: fields.path(of: "per"), value: periodText
            )
        }
        var scope = "default"
        if let node = optional(fields, "scope") {
            scope = try text(node, path: fields.path(of: "scope"))
        }
        return RateLimit(requests: requests, period: period, scope: scope)
    }

    // MARK: Typed values

    /// The mapping at `path`, rejecting non-string keys and keys outside `allowed`.
    func fields(_ node: Node, path: String, allowed: [String], expected: String) throws(CatalogError) -> Fields {
        guard case .mapping(let mapping) = node else {
            throw wrongType(node, path: path, expected: expected)
        }
        var values: [String: Node] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                throw wrongType(key, path: path, expected: "a key name")
            }
            guard allowed.contains(scalar.string) else {
                throw .unknownKey(source: source, line: line(of: key), path: path, key: scalar.string, allowed: allowed)
            }
            values[scalar.string] = value
        }
        return Fields(node: node, path: path, values: values)
    }

    /// The value of `key`, which must be present (it may still be null).
    func required(_ fields: Fields, _ key: String) throws(CatalogError) -> Node {
        guard let value = fields.values[key] else {
            throw .missingField(source: source, line: line(of: fields.node), path: fields.path, field: key)
        }
        return value
    }

    /// The value of `key`; nil when absent or null (`key:` or `key: ~`).
    func optional(_ fields: Fields, _ key: String) -> Node? {
        guard let value = fields.values[key], !isNull(value) else { return nil }
        return value
    }

    /// A non-blank scalar's text. Numbers and booleans are read as written (`no` stays "no").
    func text(_ node: Node, path: String) throws(CatalogError) -> String {
        guard case .scalar(let scalar) = node else {
            throw wrongType(node, path: path, expected: "text")
        }
        guard !isNull(node), !scalar.string.allSatisfy(\.isWhitespace) else {
            throw .emptyValue(source: source, line: line(of: node), path: path)
        }
        return scalar.string
    }

    /// A list of non-blank texts (possibly empty).
    func textList(_ node: Node, path: String) throws(CatalogError) -> [String] {
        var texts: [String] = []
        for (index, item) in try list(node, path: path).enumerated() {
            texts.append(try text(item, path: "\(path)[\(index)]"))
        }
        return texts
    }

    func list(_ node: Node, path: String) throws(CatalogError) -> [Node] {
        guard case .sequence(let sequence) = node else {
            throw wrongType(node, path: path, expected: "a list")
        }
        return Array(sequence)
    }

    func bool(_ node: Node, path: String) throws(CatalogError) -> Bool {
        guard case .scalar(let scalar) = node, tagName(of: node) == .bool,
            let value = Bool.construct(from: scalar)
        else {
            throw wrongType(node, path: path, expected: "true or false")
        }
        return value
    }

    /// A whole number greater than zero.
    func positive(_ node: Node, path: String) throws(CatalogError) -> Int {
        guard case .scalar(let scalar) = node, tagName(of: node) == .int,
            let value = Int.construct(from: scalar)
        else {
            throw wrongType(node, path: path, expected: "a whole number")
        }
        guard value > 0 else {
            throw .notPositive(source: source, line: line(of: node), path: path, value: value)
        }
        return value
    }

    // MARK: Helpers

    func line(of node: Node) -> Int { node.mark?.line ?? 1 }

    /// The error for `node` at `path` not being `expected` ("a list", "true or false").
    func wrongType(_ node: Node, path: String, expected: String) -> CatalogError {
        .wrongType(source: source, line: line(of: node), path: path, expected: expected, found: describe(node))
    }

    /// The node's resolved tag: `.str` for quoted text, `.int` for `42`, `.null` for `~`.
    func tagName(of node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

    func isNull(_ node: Node) -> Bool {
        if case .scalar = node { return tagName(of: node) == .null }
        return false
    }

    /// How an error message names a value it did not expect.
    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if isNull(node) { return "nothing (null)" }
            switch scalar.style {
            case .singleQuoted, .doubleQuoted: return "the quoted text '\(scalar.string)'"
            default: return "'\(scalar.string)'"
            }
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .alias: return "an alias"
        }
    }

    /// A ``CatalogError/syntax(source:line:message:)`` for an error thrown by the YAML parser.
    static func syntaxError(_ error: any Error, yaml: String, source: String) -> CatalogError {
        guard let yamlError = error as? YamlError else {
            return .syntax(source: source, line: 1, message: "\(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = problem
            if let context { message += " (\(context.text) at line \(context.mark.line))" }
            return .syntax(source: source, line: mark.line, message: message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            let message = "key \(keys) is repeated in the same mapping (first occurrence on this line)"
            return .syntax(source: source, line: context.mark.line, message: message)
        case .reader(let problem, let offset, _, _):
            let line = offset.map { yaml.prefix($0).reduce(1) { $1 == "\n" ? $0 + 1 : $0 } } ?? 1
            return .syntax(source: source, line: line, message: problem)
        default:
            return .syntax(source: source, line: 1, message: "\(yamlError)")
        }
    }
}
