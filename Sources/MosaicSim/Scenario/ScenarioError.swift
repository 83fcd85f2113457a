import MosaicCore

/// Why a scenario could not be read or is not valid.
///
/// Every case but ``unreadableFile(path:reason:)`` names the scenario (`source`: the file path
/// for a scenario read from YAML, the scenario's ``Scenario/source`` or else its name for one
/// checked with ``Scenario/validate(catalog:)``), the 1-based line of the offending YAML node (0
/// for a scenario built in code) and, where there is one, the field `path` in the form
/// `providers[2].service.median` or `mix.tenants.acme` (list indices count from 0).
/// ``description`` is the message to show the user:
///
///     scenario.yaml:14: providers[0].concurrency: must be at least 1, found 0
public enum ScenarioError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The scenario file could not be read (missing, a directory, not permitted, not UTF-8).
    case unreadableFile(path: String, reason: String)
    /// The text is not well-formed YAML (including a key repeated in one mapping).
    case syntax(source: String, line: Int, message: String)
    /// The document is empty (or only comments).
    case emptyScenario(source: String, line: Int)
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
    /// A word from a fixed vocabulary (a traffic, service, event or cache kind, a trace format, a
    /// compliance tag) is not one of `allowed`; `kind` names the vocabulary ("traffic kind").
    case unknownName(source: String, line: Int, path: String, value: String, kind: String, allowed: [String])
    /// A `providers` entry is not a provider of the catalog; `known` lists the catalog's ids.
    case unknownProvider(source: String, line: Int, path: String, id: String, known: [String])
    /// An event names a provider that is not in the scenario's `providers`.
    case providerNotListed(source: String, line: Int, path: String, id: String, listed: [String])
    /// A regional outage names a region no listed provider serves; `known` lists the regions served.
    case unknownRegion(source: String, line: Int, path: String, region: String, known: [String])
    /// A duration is not a number with a unit, or is not a whole number of microseconds.
    case invalidDuration(source: String, line: Int, path: String, value: String, reason: String)
    /// A duration is a bare number; durations need a unit.
    case missingUnit(source: String, line: Int, path: String, value: String)
    /// A date or date-time is not RFC 3339 (or is an impossible date).
    case invalidDate(source: String, line: Int, path: String, value: String)
    /// A number is outside its range: `expected` is a phrase such as "in 1...1000" or "at least 1".
    case outOfRange(source: String, line: Int, path: String, expected: String, found: String)
    /// A parameter given for a kind that does not take it: `kind` names the vocabulary
    /// ("traffic kind"), `value` the kind given (`replay`), `allowed` the parameters it takes.
    case parameterNotAllowed(source: String, line: Int, path: String, parameter: String, kind: String, value: String,
                             allowed: [String])
    /// A file the scenario refers to (trace, load model, client policy or model) cannot be used
    /// at load time; `file` is the path as resolved against the scenario file's folder.
    case missingFile(source: String, line: Int, path: String, file: String, reason: String)
    /// A value that must be unique appears twice; `firstPath`/`firstLine` locate the first.
    case duplicate(source: String, line: Int, path: String, what: String, value: String, firstPath: String,
                   firstLine: Int)
    /// Two events that contradict each other overlap in time: `event` and `firstEvent` describe
    /// them ("outage of 'anthropic' from 14h to 16h"), `firstPath`/`firstLine` locate the earlier
    /// one and `reason` says why they cannot overlap.
    case overlappingEvents(source: String, line: Int, path: String, event: String, firstPath: String, firstLine: Int,
                           firstEvent: String, reason: String)
    /// Values that are fine alone but contradict each other, or a value with nothing to do.
    case conflict(source: String, line: Int, path: String, message: String)

    /// The scenario the error is in: its path or source name.
    public var source: String {
        switch self {
        case .unreadableFile(let path, _): return path
        case .syntax(let source, _, _), .emptyScenario(let source, _), .unsupportedVersion(let source, _, _),
            .missingField(let source, _, _, _), .unknownKey(let source, _, _, _, _),
            .wrongType(let source, _, _, _, _), .emptyValue(let source, _, _),
            .unknownName(let source, _, _, _, _, _), .unknownProvider(let source, _, _, _, _),
            .providerNotListed(let source, _, _, _, _), .unknownRegion(let source, _, _, _, _),
            .invalidDuration(let source, _, _, _, _), .missingUnit(let source, _, _, _),
            .invalidDate(let source, _, _, _), .outOfRange(let source, _, _, _, _),
            .parameterNotAllowed(let source, _, _, _, _, _, _), .missingFile(let source, _, _, _, _),
            .duplicate(let source, _, _, _, _, _, _), .overlappingEvents(let source, _, _, _, _, _, _, _),
            .conflict(let source, _, _, _):
            return source
        }
    }

    /// The 1-based line the error points at (0 for a scenario built in code); nil for an
    /// unreadable file.
    public var line: Int? {
        switch self {
        case .unreadableFile: return nil
        case .syntax(_, let line, _), .emptyScenario(_, let line), .unsupportedVersion(_, let line, _),
            .missingField(_, let line, _, _), .unknownKey(_, let line, _, _, _),
            .wrongType(_, let line, _, _, _), .emptyValue(_, let line, _),
            .unknownName(_, let line, _, _, _, _), .unknownProvider(_, let line, _, _, _),
            .providerNotListed(_, let line, _, _, _), .unknownRegion(_, let line, _, _, _),
            .invalidDuration(_, let line, _, _, _), .missingUnit(_, let line, _, _),
            .invalidDate(_, let line, _, _), .outOfRange(_, let line, _, _, _),
            .parameterNotAllowed(_, let line, _, _, _, _, _), .missingFile(_, let line, _, _, _),
            .duplicate(_, let line, _, _, _, _, _), .overlappingEvents(_, let line, _, _, _, _, _, _),
            .conflict(_, let line, _, _):
            return line
        }
    }

    /// The field path the error points at (`""` for the top level); nil when there is none.
    public var path: String? {
        switch self {
        case .unreadableFile, .syntax, .emptyScenario: return nil
        case .unsupportedVersion: return "version"
        case .missingField(_, _, let path, _), .unknownKey(_, _, let path, _, _),
            .wrongType(_, _, let path, _, _), .emptyValue(_, _, let path),
            .unknownName(_, _, let path, _, _, _), .unknownProvider(_, _, let path, _, _),
            .providerNotListed(_, _, let path, _, _), .unknownRegion(_, _, let path, _, _),
            .invalidDuration(_, _, let path, _, _), .missingUnit(_, _, let path, _),
            .invalidDate(_, _, let path, _), .outOfRange(_, _, let path, _, _),
            .parameterNotAllowed(_, _, let path, _, _, _, _), .missingFile(_, _, let path, _, _),
            .duplicate(_, _, let path, _, _, _, _), .overlappingEvents(_, _, let path, _, _, _, _, _),
            .conflict(_, _, let path, _):
            return path
        }
    }

    /// The likely intended word for an unknown key, name, provider or region (the candidate
    /// within edit distance 2, when exactly one is nearest); nil when there is none.
    public var suggestion: String? {
        switch self {
        case .unknownKey(_, _, _, let key, let allowed): return Self.closest(to: key, in: allowed)
        case .unknownName(_, _, _, let value, _, let allowed): return Self.closest(to: value.lowercased(), in: allowed)
        case .unknownProvider(_, _, _, let id, let known): return Self.closest(to: id, in: known)
        case .providerNotListed(_, _, _, let id, let listed): return Self.closest(to: id, in: listed)
        case .unknownRegion(_, _, _, let region, let known): return Self.closest(to: region, in: known)
        default: return nil
        }
    }

    /// The problem without the `source:line: path: ` prefix.
    public var message: String {
        let suggestion = self.suggestion
        switch self {
        case .unreadableFile(_, let reason):
            return "cannot read the scenario: \(reason)"
        case .syntax(_, _, let message):
            return "YAML syntax error: \(message)"
        case .emptyScenario:
            return "the scenario is empty (it needs at least version, duration, traffic and providers)"
        case .unsupportedVersion(_, _, let value):
            return "expected scenario version 1, found \(value)"
        case .missingField(_, _, _, let field):
            return "missing required field '\(field)'"
        case .unknownKey(_, _, _, let key, let allowed):
            var text = "unknown key '\(key)'"
            if let suggestion { text += " (did you mean '\(suggestion)'?)" }
            return text + "; allowed keys: \(allowed.joined(separator: ", "))"
        case .wrongType(_, _, _, let expected, let found):
            return "expected \(expected), found \(found)"
        case .emptyValue:
            return "must not be empty"
        case .unknownName(_, _, _, let value, let kind, let allowed):
            var text = "'\(value)' is not a \(kind)"
            if let suggestion { text += " (did you mean '\(suggestion)'?)" }
            return text + "; expected one of \(allowed.joined(separator: ", "))"
        case .unknownProvider(_, _, _, let id, let known):
            let text = "'\(id)' is not a provider in the catalog"
            if let suggestion { return text + " (did you mean '\(suggestion)'?)" }
            return text + " (known providers: \(known.joined(separator: ", ")))"
        case .providerNotListed(_, _, _, let id, let listed):
            let text = "'\(id)' is not one of the scenario's providers"
            if let suggestion { return text + " (did you mean '\(suggestion)'?)" }
            return text + " (\(listed.joined(separator: ", "))); add it to providers to simulate it"
        case .unknownRegion(_, _, _, let region, let known):
            let text = "no listed provider serves region '\(region)'"
            if let suggestion { return text + " (did you mean '\(suggestion)'?)" }
            return text + " (regions served: \(known.joined(separator: ", ")))"
        case .invalidDuration(_, _, _, let value, let reason):
            return "'\(value)' is not a duration: \(reason)"
        case .missingUnit(_, _, _, let value):
            return "the duration '\(value)' has no unit; add one of us, ms, s, m, h, d (for example '\(value)s')"
        case .invalidDate(_, _, _, let value):
            return "'\(value)' is not a date or date-time (write RFC 3339, for example 2026-10-12T00:00:00Z or 2026-10-12)"
        case .outOfRange(_, _, _, let expected, let found):
            return "must be \(expected), found \(found)"
        case .parameterNotAllowed(_, _, _, let parameter, let kind, let value, let allowed):
            let takes = allowed.isEmpty ? "\(value) takes no parameters" : "\(value) takes \(allowed.joined(separator: ", "))"
            return "'\(parameter)' does not apply to \(kind) '\(value)' (\(takes))"
        case .missingFile(_, _, _, let file, let reason):
            return "cannot use '\(file)': \(reason) (relative paths are relative to the scenario file)"
        case .duplicate(_, _, _, let what, let value, let firstPath, let firstLine):
            let first = firstLine > 0 ? "\(firstPath), line \(firstLine)" : firstPath
            return "duplicate \(what) '\(value)' (first at \(first))"
        case .overlappingEvents(_, _, _, let event, let firstPath, let firstLine, let firstEvent, let reason):
            let first = firstLine > 0 ? "\(firstPath), line \(firstLine)" : firstPath
            return "the \(event) overlaps the \(firstEvent) (\(first)); \(reason)"
        case .conflict(_, _, _, let message):
            return message
        }
    }

    /// `source:line: path: problem`, for example
    /// `scenario.yaml:14: providers[0].concurrency: must be at least 1, found 0`.
    public var description: String {
        if case .unreadableFile(let path, _) = self { return "\(path): \(message)" }
        let line = self.line ?? 0
        let path = self.path ?? ""
        return path.isEmpty ? "\(source):\(line): \(message)" : "\(source):\(line): \(path): \(message)"
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
