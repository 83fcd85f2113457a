/// Why a YAML file of Mosaic's (a catalog, routing policy or scenario) could not be read or is
/// not valid.
///
/// It names the document (`source`: the file path, or the name of a value built in code and
/// checked with the same rules), the 1-based line of the offending node (0 for a value built in
/// code; nil when the file could not be read at all) and the field `path` in the form
/// `rules[2].match.hours` or `providers[0].service.median` (list indices count from 0; `""` for
/// the document itself). ``description`` is the message to show the user:
///
///     policy.yaml:14: breaker.window: must be in 1...64, found 65
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file path or source name.
    public var source: String
    /// The 1-based line (0 for a value built in code); nil for an unreadable file.
    public var line: Int?
    /// The field path; `""` for the document itself.
    public var path: String
    /// What is wrong.
    public var problem: Problem

    /// What is wrong at a place; ``message`` words it.
    public enum Problem: Sendable, Equatable {
        /// The file is missing, a directory, not permitted or not UTF-8; `document` names what it
        /// should hold ("policy").
        case unreadableFile(document: String, reason: String)
        /// The text is not well-formed YAML (including a key repeated in one mapping).
        case syntax(String)
        /// `version` is not 1; `found` describes what was found (`'2'`).
        case unsupportedVersion(document: String, found: String)
        /// A required field is absent from the mapping.
        case missingField(String)
        /// A mapping holds a key the format does not define; `allowed` lists the keys it does.
        case unknownKey(String, allowed: [String])
        /// A value has the wrong shape: phrases such as "a list" and "'yes'".
        case wrongType(expected: String, found: String)
        /// A text or list that must have content is empty.
        case emptyValue
        /// A word from a fixed vocabulary (`kind` names it: "strategy kind") is not one of `allowed`.
        case unknownName(String, kind: String, allowed: [String])
        /// A duration is not a number with a unit, or not a whole number of microseconds.
        case invalidDuration(String, reason: String)
        /// A duration is a bare number.
        case missingUnit(String)
        /// A date or date-time is not RFC 3339 (or is an impossible date).
        case invalidDate(String)
        /// An amount is not an exact decimal.
        case invalidAmount(String, reason: String)
        /// A number is outside its range: `expected` is a phrase such as "in 1...64".
        case outOfRange(expected: String, found: String)
        /// A parameter given for a kind that does not take it: `kind` names the vocabulary
        /// ("traffic kind"), `value` the kind given, `allowed` the parameters it takes.
        case parameterNotAllowed(String, kind: String, value: String, allowed: [String])
        /// A value that must be unique appears twice; `firstPath`/`firstLine` locate the first.
        case duplicate(what: String, value: String, firstPath: String, firstLine: Int)
        /// Anything else, in the format's own words (contradicting values, an unknown provider…).
        case invalid(String)

        /// The problem in words, without the `source:line: path: ` prefix.
        public var message: String {
            switch self {
            case .unreadableFile(let document, let reason):
                return "cannot read the \(document): \(reason)"
            case .syntax(let message):
                return "YAML syntax error: \(message)"
            case .unsupportedVersion(let document, let found):
                return "expected \(document) version 1, found \(found)"
            case .missingField(let field):
                return "missing required field '\(field)'"
            case .unknownKey(let key, let allowed):
                return "unknown key '\(key)'" + YAMLError.didYouMean(key, in: allowed)
                    + "; allowed keys: \(allowed.joined(separator: ", "))"
            case .wrongType(let expected, let found):
                return "expected \(expected), found \(found)"
            case .emptyValue:
                return "must not be empty"
            case .unknownName(let value, let kind, let allowed):
                return "'\(value)' is not a \(kind)" + YAMLError.didYouMean(value.lowercased(), in: allowed)
                    + "; expected one of \(allowed.joined(separator: ", "))"
            case .invalidDuration(let value, let reason):
                return "'\(value)' is not a duration: \(reason)"
            case .missingUnit(let value):
                return "the duration '\(value)' has no unit; add one of \(DurationText.unitList) (for example '\(value)s')"
            case .invalidDate(let value):
                return "'\(value)' is not a date or date-time (write RFC 3339, for example 2026-10-12T00:00:00Z or 2026-10-12)"
            case .invalidAmount(let value, let reason):
                return "'\(value)' is not an exact decimal amount: \(reason)"
            case .outOfRange(let expected, let found):
                return "must be \(expected), found \(found)"
            case .parameterNotAllowed(let parameter, let kind, let value, let allowed):
                let takes = allowed.isEmpty ? "takes no parameters" : "takes \(allowed.joined(separator: ", "))"
                return "'\(parameter)' does not apply to \(kind) '\(value)' (\(value) \(takes))"
            case .duplicate(let what, let value, let firstPath, let firstLine):
                let first = firstLine > 0 ? "\(firstPath), line \(firstLine)" : firstPath
                return "duplicate \(what) '\(value)' (first at \(first))"
            case .invalid(let message):
                return message
            }
        }

        /// "'x' is not …", then " (did you mean 'y'?)" when one candidate is near, else `otherwise`:
        /// the shape of every unknown-reference message (a provider, a region).
        public static func unknownReference(_ statement: String, value: String, candidates: [String],
                                            otherwise: String) -> Problem {
            let guess = YAMLError.didYouMean(value, in: candidates)
            return .invalid(statement + (guess.isEmpty ? otherwise : guess))
        }

        /// A provider id the catalog does not know; `known` lists the catalog's ids.
        public static func unknownProvider(_ id: String, known: [String]) -> Problem {
            unknownReference("'\(id)' is not a provider in the catalog", value: id, candidates: known,
                             otherwise: " (known providers: \(known.joined(separator: ", ")))")
        }
    }

    /// An error at `line` and `path` of `source`.
    public init(source: String, line: Int?, path: String, _ problem: Problem) {
        self.source = source
        self.line = line
        self.path = path
        self.problem = problem
    }

    /// The file at `path` could not be read; `document` names what it should hold ("catalog").
    public static func unreadableFile(path: String, document: String, reason: String) -> YAMLError {
        YAMLError(source: path, line: nil, path: "", .unreadableFile(document: document, reason: reason))
    }

    /// The problem without the `source:line: path: ` prefix.
    public var message: String { problem.message }

    /// `source:line: path: problem`, for example
    /// `policy.yaml:14: breaker.window: must be in 1...64, found 65`.
    public var description: String {
        guard let line else { return "\(source): \(message)" }
        return path.isEmpty ? "\(source):\(line): \(message)" : "\(source):\(line): \(path): \(message)"
    }

    /// The likely intended word for an unknown key or name; nil when there is none.
    public var suggestion: String? {
        switch problem {
        case .unknownKey(let key, let allowed): return Self.closest(to: key, in: allowed)
        case .unknownName(let value, _, let allowed): return Self.closest(to: value.lowercased(), in: allowed)
        default: return nil
        }
    }

    /// ` (did you mean 'y'?)` when ``closest(to:in:)`` finds one; `""` otherwise.
    public static func didYouMean(_ value: String, in candidates: [String]) -> String {
        closest(to: value, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// The candidate nearest to `value` when exactly one is nearest, within edit distance 2 and
    /// nearer than the length of `value`; nil otherwise.
    public static func closest(to value: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(Array(value), Array($0))) }
        guard let best = scored.map(\.1).min(), best <= 2, best < value.count else { return nil }
        let winners = scored.filter { $0.1 == best }
        return winners.count == 1 ? winners[0].0 : nil
    }

    /// Levenshtein distance between two character arrays. O(a·b).
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
