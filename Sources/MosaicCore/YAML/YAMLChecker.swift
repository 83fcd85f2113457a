/// Names places for checks made after reading: the semantic checks a format runs on a value it
/// read from YAML (with the reader's ``YAMLReader/lines``) or on one built in code (no lines:
/// every error then has line 0).
public struct YAMLChecker: Sendable {
    /// The name errors use: the file path, or the value's name when built in code.
    public let source: String
    /// Field paths to lines, as recorded by ``YAMLReader``.
    public let lines: [String: Int]

    public init(source: String, lines: [String: Int]) {
        self.source = source
        self.lines = lines
    }

    /// The line of `path`, or of its nearest enclosing field that the file gives (a default such
    /// as `breaker.max_open` points at `breaker`); 0 when there is none.
    public func line(_ path: String) -> Int {
        var path = Substring(path)
        while true {
            if let line = lines[String(path)] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return 0 }
            path = path[..<cut]
        }
    }

    /// The error `problem` at `path`.
    public func error(_ path: String, _ problem: YAMLError.Problem) -> YAMLError {
        YAMLError(source: source, line: line(path), path: path, problem)
    }

    /// Throws ``YAMLError/Problem/outOfRange(expected:found:)`` at `path` unless `ok`.
    public func require(_ ok: Bool, _ path: String, _ expected: String, _ found: @autoclosure () -> String)
        throws(YAMLError) {
        if !ok { throw error(path, .outOfRange(expected: expected, found: found())) }
    }

    /// A duplicate at `path` of the value first seen at `firstPath`.
    public func duplicate(_ path: String, what: String, value: String, firstPath: String) -> YAMLError {
        error(path, .duplicate(what: what, value: value, firstPath: firstPath, firstLine: line(firstPath)))
    }

    /// Checks a format's list of provider ids: at least one (else "the `owner` must list at least
    /// one provider"), each in `catalog`, none twice. `path(i)` names item `i`'s id
    /// (`providers[i]`, or `providers[i].id` where an item is a mapping).
    public func catalogProviders(_ ids: [String], owner: String, catalog: Catalog, path: (Int) -> String) throws(YAMLError) {
        if ids.isEmpty {
            throw error("providers", .invalid("the \(owner) must list at least one provider"))
        }
        let known = catalog.providers.map(\.id)
        var firstIndex: [String: Int] = [:]
        for (index, id) in ids.enumerated() {
            guard catalog.provider(id: id) != nil else {
                throw error(path(index), .unknownProvider(id, known: known))
            }
            if let first = firstIndex[id] {
                throw duplicate(path(index), what: "provider", value: id, firstPath: path(first))
            }
            firstIndex[id] = index
        }
    }

    /// A dictionary's keys in document order (by line, then name), so the first error reported
    /// is the first in the file and the same on every run.
    public func sortedKeys<V>(_ dictionary: [String: V], _ prefix: String) -> [String] {
        dictionary.keys.sorted { a, b in
            let la = line("\(prefix).\(a)"), lb = line("\(prefix).\(b)")
            return la != lb ? la < lb : a < b
        }
    }

    /// A number as messages show it: `65`, `0.5`, `2`.
    public static func format(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
