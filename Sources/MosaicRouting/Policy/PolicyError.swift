import MosaicCore

/// Why a routing policy could not be read or is not valid.
///
/// Every case but ``unreadableFile(path:reason:)`` names the policy (`source`: the file path for
/// a policy read from YAML, the policy's name for one checked with
/// ``RoutingPolicy/validate(catalog:)``), the 1-based line of the offending YAML node (0 for a
/// policy built in code) and, where there is one, the field `path` in the form
/// `rules[2].match.hours` or `costs.openai.input_per_mtok` (list indices count from 0).
/// ``description`` is the message to show the user:
///
///     policy.yaml:14: breaker.window: must be in 1...64, found 65
public enum PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read (missing, a directory, not permitted, not UTF-8).
    case unreadableFile(path: String, reason: String)
    /// The text is not well-formed YAML (including a key repeated in one mapping).
    case syntax(source: String, line: Int, message: String)
    /// The document is empty (or only comments).
    case emptyPolicy(source: String, line: Int)
    /// `version` is not 1; `value` describes what was found (`'2'`).
    case unsupportedVersion(source: String, line: Int, value: String)
    /// A required field is absent from the mapping at `path` (`""` for the top level).
    case missingField(source: String, line: Int, path: String, field: String)
    /// A mapping holds a key the format does not define; `allowed` lists the keys it does.
    case unknownKey(source: String, line: Int, path: String, key: String, allowed: [String])
    /// A value has the wrong shape: `expected` and `found` are phrases such as "a list" and "'yes'".
    case wrongType(source: String, line: Int, path: String, expected: String, found: String)
    /// A text or list that must have content is empty.
    case emptyValue(source: String, line: Int, path: String)
    /// A word from a fixed vocabulary (a strategy kind, a period, a rule mode, a compliance tag,
    /// a retry outcome) is not one of `allowed`; `kind` names the vocabulary ("strategy kind").
    case unknownName(source: String, line: Int, path: String, value: String, kind: String, allowed: [String])
    /// A `providers` entry is not a provider of the catalog; `known` lists the catalog's ids.
    case unknownProvider(source: String, line: Int, path: String, id: String, known: [String])
    /// A provider referenced by a rule, strategy, limit, tenant, fallback, cost or quality entry
    /// is not in the policy's `providers`.
    case providerNotInPool(source: String, line: Int, path: String, id: String, pool: [String])
    /// A duration is not a number with a unit, or is not a whole number of microseconds.
    case invalidDuration(source: String, line: Int, path: String, value: String, reason: String)
    /// A duration is a bare number; durations need a unit.
    case missingUnit(source: String, line: Int, path: String, value: String)
    /// A rule's `hours` is not a UTC range `HH:MM-HH:MM`.
    case invalidHours(source: String, line: Int, path: String, value: String, reason: String)
    /// A money amount is not an exact decimal.
    case invalidAmount(source: String, line: Int, path: String, value: String, reason: String)
    /// A number is outside its range: `expected` is a phrase such as "in 1...64" or "at least 1".
    case outOfRange(source: String, line: Int, path: String, expected: String, found: String)
    /// A strategy parameter given for a strategy kind that does not take it.
    case parameterNotAllowed(source: String, line: Int, path: String, parameter: String, strategy: String,
                             allowed: [String])
    /// A value that must be unique appears twice; `firstPath`/`firstLine` locate the first.
    case duplicate(source: String, line: Int, path: String, what: String, value: String, firstPath: String,
                   firstLine: Int)
    /// Values that are fine alone but contradict each other (allow ∩ deny, a rule with nothing
    /// to do, a provider falling back to itself, ...).
    case conflict(source: String, line: Int, path: String, message: String)

    /// The policy the error is in: its path or source name.
    public var source: String {
        switch self {
        case .unreadableFile(let path, _): return path
        case .syntax(let source, _, _), .emptyPolicy(let source, _), .unsupportedVersion(let source, _, _),
            .missingField(let source, _, _, _), .unknownKey(let source, _, _, _, _),
            .wrongType(let source, _, _, _, _), .emptyValue(let source, _, _),
            .unknownName(let source, _, _, _, _, _), .unknownProvider(let source, _, _, _, _),
            .providerNotInPool(let source, _, _, _, _), .invalidDuration(let source, _, _, _, _),
            .missingUnit(let source, _, _, _), .invalidHours(let source, _, _, _, _),
            .invalidAmount(let source, _, _, _, _), .outOfRange(let source, _, _, _, _),
            .parameterNotAllowed(let source, _, _, _, _, _), .duplicate(let source, _, _, _, _, _, _),
            .conflict(let source, _, _, _):
            return source
        }
    }

    /// The 1-based line the error points at (0 for a policy built in code); nil for an
    /// unreadable file.
    public var line: Int? {
        switch self {
        case .unreadableFile: return nil
        case .syntax(_, let line, _), .emptyPolicy(_, let line), .unsupportedVersion(_, let line, _),
            .missingField(_, let line, _, _), .unknownKey(_, let line, _, _, _),
            .wrongType(_, let line, _, _, _), .emptyValue(_, let line, _),
            .unknownName(_, let line, _, _, _, _), .unknownProvider(_, let line, _, _, _),
            .providerNotInPool(_, let line, _, _, _), .invalidDuration(_, let line, _, _, _),
            .missingUnit(_, let line, _, _), .invalidHours(_, let line, _, _, _),
            .invalidAmount(_, let line, _, _, _), .outOfRange(_, let line, _, _, _),
            .parameterNotAllowed(_, let line, _, _, _, _), .duplicate(_, let line, _, _, _, _, _),
            .conflict(_, let line, _, _):
            return line
        }
    }

    /// The field path the error points at (`""` for the top level); nil when there is none.
    public var path: String? {
        switch self {
        case .unreadableFile, .syntax, .emptyPolicy: return nil
        case .unsupportedVersion: return "version"
        case .missingField(_, _, let path, _), .unknownKey(_, _, let path, _, _),
            .wrongType(_, _, let path, _, _), .emptyValue(_, _, let path),
            .unknownName(_, _, let path, _, _, _), .unknownProvider(_, _, let path, _, _),
            .providerNotInPool(_, _, let path, _, _), .invalidDuration(_, _, let path, _, _),
            .missingUnit(_, _, let path, _), .invalidHours(_, _, let path, _, _),
            .invalidAmount(_, _, let path, _, _), .outOfRange(_, _, let path, _, _),
            .parameterNotAllowed(_, _, let path, _, _, _), .duplicate(_, _, let path, _, _, _, _),
            .conflict(_, _, let path, _):
            return path
        }
    }

    /// `source:line: path: problem`, for example
    /// `policy.yaml:14: breaker.window: must be in 1...64, found 65`.
    public var description: String {
        func at(_ source: String, _ line: Int, _ path: String) -> String {
            path.isEmpty ? "\(source):\(line): " : "\(source):\(line): \(path): "
        }
        func guess(_ value: String, _ candidates: [String]) -> String? {
            PolicyError.closest(to: value, in: candidates)
        }
        switch self {
        case .unreadableFile(let path, let reason):
            return "\(path): cannot read the policy: \(reason)"
        case .syntax(let source, let line, let message):
            return at(source, line, "") + "YAML syntax error: \(message)"
        case .emptyPolicy(let source, let line):
            return at(source, line, "") + "the policy is empty (it needs at least version and providers)"
        case .unsupportedVersion(let source, let line, let value):
            return at(source, line, "version") + "expected policy version 1, found \(value)"
        case .missingField(let source, let line, let path, let field):
            return at(source, line, path) + "missing required field '\(field)'"
        case .unknownKey(let source, let line, let path, let key, let allowed):
            var text = at(source, line, path) + "unknown key '\(key)'"
            if let g = guess(key, allowed) { text += " (did you mean '\(g)'?)" }
            return text + "; allowed keys: \(allowed.joined(separator: ", "))"
        case .wrongType(let source, let line, let path, let expected, let found):
            return at(source, line, path) + "expected \(expected), found \(found)"
        case .emptyValue(let source, let line, let path):
            return at(source, line, path) + "must not be empty"
        case .unknownName(let source, let line, let path, let value, let kind, let allowed):
            var text = at(source, line, path) + "'\(value)' is not a \(kind)"
            if let g = PolicyError.closest(to: value.lowercased(), in: allowed) { text += " (did you mean '\(g)'?)" }
            return text + "; expected one of \(allowed.joined(separator: ", "))"
        case .unknownProvider(let source, let line, let path, let id, let known):
            let text = at(source, line, path) + "'\(id)' is not a provider in the catalog"
            if let g = guess(id, known) { return text + " (did you mean '\(g)'?)" }
            return text + " (known providers: \(known.joined(separator: ", ")))"
        case .providerNotInPool(let source, let line, let path, let id, let pool):
            let text = at(source, line, path) + "'\(id)' is not one of the policy's providers"
            if let g = guess(id, pool) { return text + " (did you mean '\(g)'?)" }
            return text + " (\(pool.joined(separator: ", "))); add it to providers to route to it"
        case .invalidDuration(let source, let line, let path, let value, let reason):
            return at(source, line, path) + "'\(value)' is not a duration: \(reason)"
        case .missingUnit(let source, let line, let path, let value):
            return at(source, line, path)
                + "the duration '\(value)' has no unit; add one of us, ms, s, m, h (for example '\(value)s')"
        case .invalidHours(let source, let line, let path, let value, let reason):
            return at(source, line, path)
                + "'\(value)' is not a UTC time range: \(reason) (write HH:MM-HH:MM, for example \"22:00-06:00\")"
        case .invalidAmount(let source, let line, let path, let value, let reason):
            return at(source, line, path) + "'\(value)' is not an exact decimal amount: \(reason)"
        case .outOfRange(let source, let line, let path, let expected, let found):
            return at(source, line, path) + "must be \(expected), found \(found)"
        case .parameterNotAllowed(let source, let line, let path, let parameter, let strategy, let allowed):
            let takes = allowed.isEmpty
                ? "\(strategy) takes no parameters" : "\(strategy) takes \(allowed.joined(separator: ", "))"
            return at(source, line, path) + "'\(parameter)' does not apply to strategy '\(strategy)' (\(takes))"
        case .duplicate(let source, let line, let path, let what, let value, let firstPath, let firstLine):
            let first = firstLine > 0 ? "\(firstPath), line \(firstLine)" : firstPath
            return at(source, line, path) + "duplicate \(what) '\(value)' (first at \(first))"
        case .conflict(let source, let line, let path, let message):
            return at(source, line, path) + message
        }
    }

    /// The candidate within edit distance 2 of `value`, if exactly one is nearest.
    static func closest(to value: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(Array(value), Array($0))) }
        guard let best = scored.map(\.1).min(), best <= 2, best < value.count else { return nil }
        let winners = scored.filter { $0.1 == best }
        return winners.count == 1 ? winners[0].0 : nil
    }

    /// Levenshtein distance between two character arrays.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
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
