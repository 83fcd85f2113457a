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
/// `subject,prompt_id,prompt,mixtral_8x7b_instruct_correct,gpt_4_1106_preview_correct`).
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

    /// The header of a CSV file (trimmed names).
    public static func header(path: String) throws(IngestError) -> [String] {
        try CSVReader(path: path).header(expected: "prompt and correctness columns")
    }

    public static func read(path: String, promptColumn: String = defaultPromptColumn,
                            strongColumn: String = defaultStrongColumn, weakColumn: String = defaultWeakColumn,
                            groupColumn: String? = nil) throws(IngestError) -> [QualityRow] {
        let reader = try CSVReader(path: path)
        let header = try reader.header(expected: "prompt and correctness columns")
        func column(_ name: String) throws(IngestError) -> Int { try CSVReader.column(name, in: header, path: path) }
        let cPrompt = try column(promptColumn)
        let cStrong = try column(strongColumn), cWeak = try column(weakColumn)
        let cID = header.firstIndex(of: "prompt_id")
        let cGroup = try groupColumn.map { name throws(IngestError) in try column(name) }
            ?? header.firstIndex(of: "subject") ?? header.firstIndex(of: "category")
        func flag(_ b: UnsafeRawBufferPointer, _ name: String, _ line: Int) throws(IngestError) -> Bool {
            let text = ByteParsing.text(b).lowercased()
            switch text {
            case "true", "t", "yes", "y": return true
            case "false", "f", "no", "n": return false
            default:
                // 1/0, also as a float column writes them (1.0, 0.0): a number that is exactly 1 or 0.
                if text.first.map({ $0.isNumber || $0 == "." }) == true, let x = Double(text), x == 0 || x == 1 { return x == 1 }
                throw .row(file: path, line: line, column: name, reason: "'\(ByteParsing.excerpt(b))' is not True or False (nor 1 or 0)")
            }
        }
        var rows: [QualityRow] = []
        while try reader.next() {
            let line = reader.recordLine
            guard reader.fields.count == header.count else {
                throw .row(file: path, line: line, column: nil, reason: "has \(reader.fields.count) fields, the header has \(header.count)")
            }
            let promptBytes = reader.field(cPrompt)
            guard ByteParsing.isCleanText(promptBytes) || String(validating: promptBytes, as: UTF8.self) != nil else {
                throw .row(file: path, line: line, column: promptColumn, reason: "is not valid UTF-8")
            }
            let prompt = ByteParsing.text(promptBytes)
            var id = cID.map { ByteParsing.text(reader.field($0)) } ?? ""
            if id.isEmpty {
                var h = StableHash()
                h.combine(prompt)
                id = String(String(UInt64(bitPattern: h.value), radix: 16).prefix(12))
            }
            rows.append(QualityRow(promptID: id, prompt: prompt,
                                   strongCorrect: try flag(reader.field(cStrong), strongColumn, line),
                                   weakCorrect: try flag(reader.field(cWeak), weakColumn, line),
                                   group: cGroup.map { ByteParsing.text(reader.field($0)) }.flatMap { $0.isEmpty ? nil : $0 }))
        }
        if rows.isEmpty { throw .file(path: path, reason: "no rows after the header") }
        return rows
    }
}
