import Foundation
import MosaicCore

/// One prompt of a RouteLLM-style evaluation file: whether a strong and a weak model answered
/// it correctly.
public struct QualityRow: Sendable, Equatable {
    public var promptID: String
    public var prompt: String
    public var strongCorrect: Bool
    public var weakCorrect: Bool
    /// The row's group (its `subject` or `category` column), when the file has one.
    public var group: String?
}

/// Reads per-prompt correctness files in RouteLLM's layout (e.g. `mmlu_routing_train.csv`:
/// `subject,prompt_id,prompt,mixtral_8x7b_instruct_correct,gpt_4_1106_preview_correct`), as CSV
/// or as JSON Lines with those keys.
///
/// The prompt is the `prompt` column (or the one `promptColumn` names, so that any CSV with a
/// prompt and two correctness columns reads); the id is `prompt_id` when present, otherwise the
/// first 12 hex digits of a stable hash of the prompt. Correctness columns hold True/False, yes/no,
/// t/f (any case) or 1/0 (also 1.0/0.0, as a float column writes them); which is the strong and
/// which the weak model is given by column name. A `subject` (else `category`) column, or the one
/// named by `groupColumn`, gives each row's group.
public enum RouteLLMData {
    public static let defaultStrongColumn = "gpt_4_1106_preview_correct"
    public static let defaultWeakColumn = "mixtral_8x7b_instruct_correct"
    public static let defaultPromptColumn = "prompt"

    /// The model a correctness column names (`gpt_4_1106_preview_correct` → `gpt_4_1106_preview`).
    public static func modelName(column: String) -> String {
        column.hasSuffix("_correct") ? String(column.dropLast("_correct".count)) : column
    }

    /// The name of the group column `read` uses for a header (nil: none).
    public static func groupColumn(header: [String], requested: String? = nil) -> String? {
        if let requested { return requested }
        return header.first { $0 == "subject" } ?? header.first { $0 == "category" }
    }

    /// The header of a CSV file (trimmed names), or the keys of a JSON Lines file's first object.
    public static func header(path: String) throws(IngestError) -> [String] {
        try InputFile.sniffing(path) { () throws(IngestError) in
            if let members = try firstObject(path: path) { return members.map(\.key) }
            return try CSVReader(path: path).header(expected: "prompt and correctness columns")
        }
    }

    /// The members of a JSON Lines file's first object; nil when the file is not JSON Lines
    /// (its first line that is not blank does not open an object).
    static func firstObject(path: String) throws(IngestError) -> [JSONValue.Member]? {
        let reader = try LineReader(path: path)
        while try reader.next() {
            if JSONLine.isBlank(reader.line) { continue }
            return reader.line.first(where: { $0 != 32 && $0 != 9 }) == UInt8(ascii: "{")
                ? try JSONLine.object(reader.line, path: path, line: reader.lineNumber) : nil
        }
        return nil
    }

    /// Reads a correctness file: CSV (any delimiter ``CSVReader`` takes) or JSON Lines (one
    /// object a line, the columns as keys; correctness as JSON booleans, 1/0 or the texts CSV
    /// takes; a key a row lacks reads as empty).
    public static func read(path: String, promptColumn: String = defaultPromptColumn,
                            strongColumn: String = defaultStrongColumn, weakColumn: String = defaultWeakColumn,
                            groupColumn: String? = nil) throws(IngestError) -> [QualityRow] {
        let columns = Columns(prompt: promptColumn, strong: strongColumn, weak: weakColumn, group: groupColumn)
        let jsonLines = try InputFile.sniffing(path) { () throws(IngestError) in try firstObject(path: path) != nil }
        let rows = try jsonLines ? readJSONLines(path: path, columns) : readCSV(path: path, columns)
        if rows.isEmpty { throw .file(path: path, reason: "no rows after the header") }
        return rows
    }

    struct Columns {
        var prompt: String, strong: String, weak: String, group: String?
    }

    static func readCSV(path: String, _ names: Columns) throws(IngestError) -> [QualityRow] {
        let reader = try CSVReader(path: path)
        let header = try reader.header(expected: "prompt and correctness columns")
        try CSVReader.checkUnique(header, path: path)
        func column(_ name: String) throws(IngestError) -> Int { try CSVReader.column(name, in: header, path: path) }
        let cPrompt = try column(names.prompt)
        let cStrong = try column(names.strong), cWeak = try column(names.weak)
        let cID = header.firstIndex(of: "prompt_id")
        let cGroup = try names.group.map { name throws(IngestError) in try column(name) }
            ?? header.firstIndex(of: "subject") ?? header.firstIndex(of: "category")
        var rows: [QualityRow] = []
        while try reader.next() {
            let line = reader.recordLine
            guard reader.fields.count == header.count else {
                throw .row(file: path, line: line, column: nil, reason: "has \(reader.fields.count) fields, the header has \(header.count)")
            }
            let promptBytes = reader.field(cPrompt)
            guard ByteParsing.isCleanText(promptBytes) || String(validating: promptBytes, as: UTF8.self) != nil else {
                throw .row(file: path, line: line, column: names.prompt, reason: "is not valid UTF-8")
            }
            func flag(_ c: Int, _ name: String) throws(IngestError) -> Bool {
                let b = reader.field(c)
                return try Self.flag(ByteParsing.text(b), excerpt: ByteParsing.excerpt(b), path: path, line: line, column: name)
            }
            rows.append(row(prompt: ByteParsing.text(promptBytes), id: cID.map { ByteParsing.text(reader.field($0)) },
                            strong: try flag(cStrong, names.strong), weak: try flag(cWeak, names.weak),
                            group: cGroup.map { ByteParsing.text(reader.field($0)) }))
        }
        return rows
    }

    static func readJSONLines(path: String, _ names: Columns) throws(IngestError) -> [QualityRow] {
        let reader = try LineReader(path: path)
        var rows: [QualityRow] = []
        var groupKey = names.group
        while try reader.next() {
            guard !JSONLine.isBlank(reader.line) else { continue }
            let line = reader.lineNumber
            let members = try JSONLine.object(reader.line, path: path, line: line)
            var object: [String: JSONValue] = [:]
            for m in members { object[m.key] = m.value }
            if rows.isEmpty {
                // The first object is the header: the columns asked for must be among its keys.
                for name in [names.prompt, names.strong, names.weak] + (names.group.map { [$0] } ?? []) where object[name] == nil {
                    throw .file(path: path, reason: "line \(line): no key '\(name)' (the keys here: \(CSVReader.listing(members.map(\.key))))")
                }
                groupKey = groupKey ?? ["subject", "category"].first { object[$0] != nil }
            }
            func text(_ key: String) throws(IngestError) -> String {
                switch object[key] {
                case nil, .null?: return ""
                case .string(let s)?: return s
                case .number(let t)?: return t
                case .bool(let b)?: return b ? "true" : "false"
                case let v?: throw .row(file: path, line: line, column: key, reason: "is \(v.kindName), not a single value")
                }
            }
            func flag(_ key: String) throws(IngestError) -> Bool {
                let t = try text(key)
                return try Self.flag(t, excerpt: String(t.prefix(40)), path: path, line: line, column: key)
            }
            rows.append(row(prompt: try text(names.prompt), id: object["prompt_id"] == nil ? nil : try text("prompt_id"),
                            strong: try flag(names.strong), weak: try flag(names.weak),
                            group: try groupKey.map { k throws(IngestError) in try text(k) }))
        }
        return rows
    }

    /// A correctness value: True/False, yes/no, t/f (any case), or a number that is exactly 1 or
    /// 0 (1.0 and 0.0, as a float column writes them).
    static func flag(_ value: String, excerpt: String, path: String, line: Int, column: String) throws(IngestError) -> Bool {
        let text = value.lowercased()
        switch text {
        case "true", "t", "yes", "y": return true
        case "false", "f", "no", "n": return false
        default:
            if text.first.map({ $0.isNumber || $0 == "." }) == true, let x = Double(text), x == 0 || x == 1 { return x == 1 }
            throw .row(file: path, line: line, column: column, reason: "'\(excerpt)' is not True or False (nor 1 or 0)")
        }
    }

    /// A row; without an id (or with an empty one) the id is the first 12 hex digits of a stable
    /// hash of the prompt, and an empty group is none.
    static func row(prompt: String, id: String?, strong: Bool, weak: Bool, group: String?) -> QualityRow {
        var id = id ?? ""
        if id.isEmpty {
            var h = StableHash()
            h.combine(prompt)
            id = String(String(UInt64(bitPattern: h.value), radix: 16).prefix(12))
        }
        return QualityRow(promptID: id, prompt: prompt, strongCorrect: strong, weakCorrect: weak,
                          group: group.flatMap { $0.isEmpty ? nil : $0 })
    }
}
