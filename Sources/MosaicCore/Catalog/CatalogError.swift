/// Why a provider catalog could not be read.
///
/// Every case but ``unreadableFile(path:reason:)`` names the catalog (`source`), the 1-based
/// line of the offending YAML node and, where there is one, the field `path` in the form
/// `providers[3].rate_limits[0].per` (list indices count from 0). ``description`` is the
/// message to show the user:
///
///     catalog.yaml:12: providers[3].kind: 'aii' is not a provider kind (expected one of ai, git, ci, kb, workflow)
public enum CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read (missing, a directory, not permitted, not UTF-8).
    case unreadableFile(path: String, reason: String)
    /// The text is not well-formed YAML (including a key repeated in one mapping).
    case syntax(source: String, line: Int, message: String)
    /// A required field is absent from the mapping at `path` (`""` for the top level).
    case missingField(source: String, line: Int, path: String, field: String)
    /// A value has the wrong shape: `expected` and `found` are phrases such as "a list" and
    /// "'yes please'".
    case wrongType(source: String, line: Int, path: String, expected: String, found: String)
    /// `kind` names no ``ProviderKind``.
    case unknownKind(source: String, line: Int, path: String, value: String)
    /// A compliance entry names no ``ComplianceTag``.
    case unknownComplianceTag(source: String, line: Int, path: String, value: String)
    /// A rate limit's `per` names no ``RateLimit/Period``.
    case unknownPeriod(source: String, line: Int, path: String, value: String)
    /// Two providers share an id; `line` is the second, `firstLine` the first.
    case duplicateID(source: String, line: Int, path: String, id: String, firstLine: Int)
    /// A count that must be positive (rate-limit requests, context window) is zero or negative.
    case notPositive(source: String, line: Int, path: String, value: Int)
    /// An id is not a slug (see ``Provider/isValidID(_:)``).
    case invalidID(source: String, line: Int, path: String, value: String)
    /// A text or list that must have content is empty.
    case emptyValue(source: String, line: Int, path: String)
    /// A mapping holds a key the format does not define; `allowed` lists the keys it does.
    case unknownKey(source: String, line: Int, path: String, key: String, allowed: [String])
    /// `version` is not 1; `value` describes what was found (`'2'`).
    case unsupportedVersion(source: String, line: Int, value: String)
    /// The document is empty or lists no providers.
    case emptyCatalog(source: String, line: Int)

    /// The catalog the error is in: its path or source name.
    public var source: String {
        switch self {
        case .unreadableFile(let path, _): return path
        case .syntax(let source, _, _), .missingField(let source, _, _, _),
            .wrongType(let source, _, _, _, _), .unknownKind(let source, _, _, _),
            .unknownComplianceTag(let source, _, _, _), .unknownPeriod(let source, _, _, _),
            .duplicateID(let source, _, _, _, _), .notPositive(let source, _, _, _),
            .invalidID(let source, _, _, _), .emptyValue(let source, _, _),
            .unknownKey(let source, _, _, _, _), .unsupportedVersion(let source, _, _),
            .emptyCatalog(let source, _):
            return source
        }
    }

    /// The 1-based line the error points at; nil for an unreadable file.
    public var line: Int? {
        switch self {
        case .unreadableFile: return nil
        case .syntax(_, let line, _), .missingField(_, let line, _, _),
            .wrongType(_, let line, _, _, _), .unknownKind(_, let line, _, _),
            .unknownComplianceTag(_, let line, _, _), .unknownPeriod(_, let line, _, _),
            .duplicateID(_, let line, _, _, _), .notPositive(_, let line, _, _),
            .invalidID(_, let line, _, _), .emptyValue(_, let line, _),
            .unknownKey(_, let line, _, _, _), .unsupportedVersion(_, let line, _),
            .emptyCatalog(_, let line):
            return line
        }
    }

    /// `source:line: path: problem`, for example
    /// `catalog.yaml:12: providers[3].kind: 'aii' is not a provider kind (expected one of ai, git, ci, kb, workflow)`.
    public var description: String {
        func at(_ source: String, _ line: Int, _ path: String) -> String {
            path.isEmpty ? "\(source):\(line): " : "\(source):\(line): \(path): "
        }
        switch self {
        case .unreadableFile(let path, let reason):
            return "\(path): cannot read the catalog: \(reason)"
        case .syntax(let source, let line, let message):
            return at(source, line, "") + "YAML syntax error: \(message)"
        case .missingField(let source, let line, let path, let field):
            return at(source, line, path) + "missing required field '\(field)'"
        case .wrongType(let source, let line, let path, let expected, let found):
            return at(source, line, path) + "expected \(expected), found \(found)"
        case .unknownKind(let source, let line, let path, let value):
            let kinds = ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")
            return at(source, line, path) + "'\(value)' is not a provider kind (expected one of \(kinds))"
        case .unknownComplianceTag(let source, let line, let path, let value):
            let tags = ComplianceTag.allCases.map(\.rawValue).joined(separator: ", ")
            return at(source, line, path)
                + "'\(value)' is not a compliance tag (expected one of \(tags), in any letter case)"
        case .unknownPeriod(let source, let line, let path, let value):
            let periods = RateLimit.Period.allCases.map(\.rawValue).joined(separator: ", ")
            return at(source, line, path) + "'\(value)' is not a rate-limit period (expected one of \(periods))"
        case .duplicateID(let source, let line, let path, let id, let firstLine):
            return at(source, line, path)
                + "duplicate provider id '\(id)' (first defined at \(source):\(firstLine))"
        case .notPositive(let source, let line, let path, let value):
            return at(source, line, path) + "must be greater than zero, found \(value)"
        case .invalidID(let source, let line, let path, let value):
            return at(source, line, path)
                + "'\(value)' is not a valid id "
                + "(use lowercase letters a-z, digits 0-9 and single hyphens, e.g. 'github-actions')"
        case .emptyValue(let source, let line, let path):
            return at(source, line, path) + "must not be empty"
        case .unknownKey(let source, let line, let path, let key, let allowed):
            var text = at(source, line, path) + "unknown key '\(key)'"
            if let guess = CatalogError.closest(to: key, in: allowed) { text += " (did you mean '\(guess)'?)" }
            return text + "; allowed keys: \(allowed.joined(separator: ", "))"
        case .unsupportedVersion(let source, let line, let value):
            return at(source, line, "version") + "expected catalog version 1, found \(value)"
        case .emptyCatalog(let source, let line):
            return at(source, line, "") + "the catalog lists no providers"
        }
    }

    /// The allowed key within edit distance 2 of `key`, if exactly one is nearest.
    private static func closest(to key: String, in allowed: [String]) -> String? {
        let scored = allowed.map { ($0, editDistance(Array(key), Array($0))) }
        guard let best = scored.map(\.1).min(), best <= 2 else { return nil }
        let winners = scored.filter { $0.1 == best }
        return winners.count == 1 ? winners[0].0 : nil
    }

    /// Levenshtein distance between two character arrays.
    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
