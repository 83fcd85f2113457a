import MosaicCore
import MosaicStore

/// Why an ingest stopped. Every case names the file; row errors name the line and column.
public enum IngestError: Error, Sendable, CustomStringConvertible {
    /// A bad row: `requests.csv:1042: column latency_ms: 'abc' is not a number`.
    case row(file: String, line: Int, column: String?, reason: String)
    /// The file as a whole cannot be read (missing, empty, wrong encoding, no header, ...).
    case file(path: String, reason: String)
    /// A command-line setting is missing or wrong for this input.
    case option(String)
    /// The store refused.
    case store(StoreError)

    public var description: String {
        switch self {
        case let .row(file, line, column, reason):
            if let column { return "\(file):\(line): column \(column): \(reason)" }
            return "\(file):\(line): \(reason)"
        case let .file(path, reason): return Self.located(path, reason)
        case let .option(text): return text
        case let .store(e): return e.description
        }
    }
}

extension IngestError {
    /// A file error as a row error reads: a reason that starts with its place (`line 12: …`,
    /// `line 12, column 5: …`) becomes `path:12: …` or `path:12:5: …`, as compilers and the
    /// row errors write it; any other reason follows `path: `.
    static func located(_ path: String, _ reason: String) -> String {
        var rest = Substring(reason)
        func number() -> Substring? {
            let digits = rest.prefix(while: \.isASCII).prefix(while: \.isNumber)
            guard !digits.isEmpty else { return nil }
            rest = rest.dropFirst(digits.count)
            return digits
        }
        guard rest.hasPrefix("line ") else { return "\(path): \(reason)" }
        rest = rest.dropFirst(5)
        guard let line = number() else { return "\(path): \(reason)" }
        var place = "\(path):\(line)"
        if rest.hasPrefix(", column ") {
            rest = rest.dropFirst(9)
            guard let column = number() else { return "\(path): \(reason)" }
            place += ":\(column)"
        }
        guard rest.hasPrefix(": ") else { return "\(path): \(reason)" }
        return place + rest
    }

    /// Whatever a file's transaction threw, as an ingest error of that file.
    init(_ error: any Error, path: String) {
        switch error {
        case let e as IngestError: self = e
        case let e as StoreError: self = .store(e)
        default: self = .file(path: path, reason: "\(error)")
        }
    }
}

/// A problem with one row: which column and why. Becomes ``IngestError/row`` or a quarantine entry.
struct RowProblem: Error {
    var column: String?
    var reason: String
}

extension IngestError {
    /// The same error with the file `path` named `name` (a scratch copy named as what it copies).
    func naming(_ path: String, as name: String) -> IngestError {
        switch self {
        case let .row(file, line, column, reason) where file == path: .row(file: name, line: line, column: column, reason: reason)
        case let .file(file, reason) where file == path: .file(path: name, reason: reason)
        default: self
        }
    }
}

extension IngestError {
    /// A JSON document of `path` that did not parse; a key that appears twice in one object is
    /// named, with the line it is on (readers parse with `uniqueKeys`: neither copy is more
    /// right than the other, and keeping one silently is what most parsers do).
    static func json(_ error: JSONSyntaxError, path: String) -> IngestError {
        if let key = error.duplicateKey {
            return .file(path: path, reason: "line \(error.line): key '\(key.prefix(60))' appears twice in one object (column \(error.column)); a key may appear once")
        }
        return .file(path: path, reason: "not valid JSON: \(error.description)")
    }
}

extension Money {
    /// Why an amount beyond ``Money/largestIngested`` is refused, in a row error's words.
    static func overLimit(_ m: Money) -> String {
        "\(m) is beyond ±\(Money.largestIngested), the largest amount one row may carry (totals of such amounts must still add up exactly)"
    }
}
