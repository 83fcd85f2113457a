import Foundation
import Yams

/// The providers Mosaic knows about, read from a YAML catalog file.
///
/// A catalog is validated as a whole when it is read: every problem is reported as a
/// ``YAMLError`` naming the file, the line and the field (`catalog.yaml:12: providers[3].kind:
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

    /// Every capability some provider lists.
    public var capabilities: Set<String> { Set(providers.flatMap(\.capabilities)) }

    /// Why a request may not ask for `capability`, or nil: no provider of the catalog lists it,
    /// which is a typo more often than a need none meets. `mosaic route` and `/v1/route` both
    /// refuse it with these words.
    public func unknownCapability(_ capability: String) -> String? {
        let known = capabilities
        guard !known.contains(capability) else { return nil }
        let listed = known.sorted()
        return "'\(capability)' is not one the catalog's providers list\(YAMLError.didYouMean(capability, in: listed)) (they list: \(listed.joined(separator: ", ")))"
    }

    /// Reads and validates a catalog from YAML text.
    ///
    /// - Parameters:
    ///   - yaml: The catalog text (format above).
    ///   - source: The name errors use for the text, usually its file path (`catalog.yaml`).
    /// - Throws: ``YAMLError`` for the first problem found, in document order: YAML syntax,
    ///   unknown or missing keys, wrong types, unknown kinds, compliance tags or periods,
    ///   invalid or duplicate ids, non-positive counts, empty values, a version other than 1
    ///   or a catalog without providers.
    public init(yaml: String, source: String) throws(YAMLError) {
        let providers = try CatalogReader.providers(YAMLReader(yaml: yaml, source: source))
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
    /// - Throws: ``YAMLError`` with ``YAMLError/Problem/unreadableFile(document:reason:)`` when
    ///   the file is missing, is a directory, cannot be read or is not UTF-8; otherwise as
    ///   ``init(yaml:source:)``.
    public static func load(path: String) throws(YAMLError) -> Catalog {
        try Catalog(yaml: YAMLReader.text(path: path, document: "catalog"), source: path)
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
        let escapes: [Unicode.Scalar: String] = ["\"": "\\\"", "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"]
        var out = "\""
        for unit in text.unicodeScalars {
            let value = unit.value
            if let escape = escapes[unit] {
                out += escape
            } else if value < 0x20 || value == 0x7F || value == 0x85 || value == 0x2028 || value == 0x2029 || value == 0xFEFF {
                let hex = String(value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(unit)
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

/// Builds providers from a catalog document; the checks and messages of the catalog format.
private enum CatalogReader {
    static let topLevelKeys = ["version", "providers"]
    static let providerKeys = [
        "id", "name", "kind", "regions", "self_hosted", "compliance", "rate_limits",
        "capabilities", "context_window", "pricing", "notes",
    ]
    static let rateLimitKeys = ["requests", "per", "scope"]
    static let emptyCatalog = "the catalog lists no providers"

    static func providers(_ reader: YAMLReader) throws(YAMLError) -> [Provider] {
        let top = try reader.document(ifEmpty: emptyCatalog)
            .mapping(allowed: topLevelKeys, expected: "a mapping with keys version and providers")
        try top.requireVersion1(document: "catalog")
        let providersValue = try top.required("providers")
        let empty = YAMLError(source: reader.source, line: providersValue.line, path: "", .invalid(emptyCatalog))
        if providersValue.isNull { throw empty }
        let items = try providersValue.list()
        guard !items.isEmpty else { throw empty }

        var providers: [Provider] = []
        providers.reserveCapacity(items.count)
        var firstLines: [String: Int] = [:]
        for item in items {
            let provider = try self.provider(item)
            let idLine = reader.lines["\(item.path).id"] ?? item.line
            if let firstLine = firstLines[provider.id] {
                throw YAMLError(source: reader.source, line: idLine, path: "\(item.path).id", .invalid(
                    "duplicate provider id '\(provider.id)' (first defined at \(reader.source):\(firstLine))"))
            }
            firstLines[provider.id] = idLine
            providers.append(provider)
        }
        return providers
    }

    static func provider(_ value: YAMLReader.Value) throws(YAMLError) -> Provider {
        let fields = try value.mapping(allowed: providerKeys, expected: "a provider (a mapping)")

        let idValue = try fields.required("id")
        let id = try idValue.text()
        guard Provider.isValidID(id) else {
            throw idValue.error(.invalid(
                "'\(id)' is not a valid id (use lowercase letters a-z, digits 0-9 and single hyphens, e.g. 'github-actions')"))
        }
        let name = try fields.required("name").text()
        let kindValue = try fields.required("kind")
        let kindText = try kindValue.text()
        guard let kind = ProviderKind(rawValue: kindText) else {
            throw kindValue.error(.invalid("'\(kindText)' is not a provider kind (expected one of \(list(ProviderKind.self)))"))
        }
        let regionsValue = try fields.required("regions")
        let regions = try regionsValue.texts()
        guard !regions.isEmpty else { throw regionsValue.error(.emptyValue) }
        let selfHosted = try fields.required("self_hosted").bool()

        var compliance: [ComplianceTag] = []
        for item in try fields["compliance"]?.list() ?? [] {
            let text = try item.text()
            guard let tag = ComplianceTag(parsing: text) else {
                throw item.error(.invalid(
                    "'\(text)' is not a compliance tag (expected one of \(list(ComplianceTag.self)), in any letter case)"))
            }
            compliance.append(tag)
        }
        var rateLimits: [RateLimit] = []
        for item in try fields["rate_limits"]?.list() ?? [] { rateLimits.append(try rateLimit(item)) }

        return Provider(
            id: id, name: name, kind: kind, regions: regions, selfHosted: selfHosted,
            compliance: compliance, rateLimits: rateLimits, capabilities: try fields["capabilities"]?.texts() ?? [],
            contextWindow: try fields["context_window"].map(positive), pricing: try fields["pricing"]?.text(),
            notes: try fields["notes"]?.text()
        )
    }

    static func rateLimit(_ value: YAMLReader.Value) throws(YAMLError) -> RateLimit {
        let fields = try value.mapping(
            allowed: rateLimitKeys, expected: "a rate limit (a mapping such as {requests: 5000, per: hour})"
        )
        let requests = try positive(fields.required("requests"))
        let periodValue = try fields.required("per")
        let periodText = try periodValue.text()
        guard let period = RateLimit.Period(rawValue: periodText) else {
            throw periodValue.error(.invalid(
                "'\(periodText)' is not a rate-limit period (expected one of \(list(RateLimit.Period.self)))"))
        }
        return RateLimit(requests: requests, period: period, scope: try fields["scope"]?.text() ?? "default")
    }

    /// A whole number greater than zero.
    static func positive(_ value: YAMLReader.Value) throws(YAMLError) -> Int {
        let number = try value.integer()
        guard number > 0 else { throw value.error(.outOfRange(expected: "greater than zero", found: "\(number)")) }
        return number
    }

    /// `a, b, c`: the raw values of a vocabulary.
    static func list<T: CaseIterable & RawRepresentable>(_: T.Type) -> String where T.RawValue == String {
        T.allCases.map(\.rawValue).joined(separator: ", ")
    }
}
