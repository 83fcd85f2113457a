import Foundation
import MosaicReports

/// A table of results that prints as aligned text, JSON (an array of objects) or CSV.
struct OutputTable {
    enum Alignment { case left, right }

    /// A column: a string literal is a left-aligned one, ``right(_:)`` a right-aligned one.
    struct Column: ExpressibleByStringLiteral {
        var name: String
        var alignment: Alignment = .left

        init(name: String, alignment: Alignment = .left) {
            self.name = name
            self.alignment = alignment
        }

        init(stringLiteral name: String) { self.name = name }

        static func right(_ name: String) -> Column { Column(name: name, alignment: .right) }
    }

    /// A cell: `text` for the table and CSV, `json` for JSON (numbers stay numbers).
    struct Cell {
        var text: String
        var json: Any

        static func text(_ s: String) -> Cell { Cell(text: s, json: s) }
        static func int(_ v: Int) -> Cell { Cell(text: v.formatted(.number.grouping(.automatic)), json: v) }
        /// A double shown with `places` decimals; JSON and CSV carry 12 significant digits, as
        /// the reports' files do (`NumberFormat.exact`), without the arithmetic's noise past them.
        static func number(_ v: Double?, places: Int) -> Cell {
            guard let v, v.isFinite else { return Cell(text: "–", json: NSNull()) }
            // From 10^15 on, fixed notation prints every digit (1e300 as 301 of them).
            if abs(v) >= 1e15 { return Cell(text: String(format: "%.6g", v), json: NumberFormat.significant(v)) }
            return Cell(text: String(format: "%.\(places)f", v), json: NumberFormat.significant(v))
        }
        /// An exact decimal: the table shows `display`, JSON and CSV the full text.
        static func decimal(_ exact: String, display: String) -> Cell { Cell(text: display, json: exact) }
    }

    var columns: [Column]
    var rows: [[Cell]] = []

    func render(_ format: OutputFormat) -> String {
        switch format {
        case .table: return renderText()
        case .csv: return renderCSV()
        case .json: return renderJSON()
        }
    }

    private func renderText() -> String {
        var widths = columns.map { $0.name.count }
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.text.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, s in
                let pad = String(repeating: " ", count: widths[i] - s.count)
                return columns[i].alignment == .right ? pad + s : s + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = [line(columns.map(\.name)), line(widths.map { String(repeating: "─", count: $0) })]
        for row in rows { out.append(line(row.map(\.text))) }
        return out.joined(separator: "\n") + "\n"
    }

    private func renderCSV() -> String {
        func quote(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out = columns.map { quote($0.name) }.joined(separator: ",") + "\n"
        for row in rows {
            out += row.map { c in quote(c.json is NSNull ? "" : "\(c.json)") }.joined(separator: ",") + "\n"
        }
        return out
    }

    /// The rows as JSON objects, keyed by column name.
    var jsonObjects: [[String: Any]] {
        rows.map { row in Dictionary(uniqueKeysWithValues: zip(columns.map(\.name), row.map(\.json))) }
    }

    private func renderJSON() -> String {
        if rows.isEmpty { return "[]\n" }  // Foundation's pretty printer writes "[\n\n]"
        return jsonText(jsonObjects)
    }
}

/// Pretty-printed JSON of `object` (keys sorted) and a line end. Doubles carry 12 significant
/// digits, as in ``OutputTable/Cell/number(_:places:)``, and a non-finite one is `null`:
/// Foundation refuses to write infinity, and the whole document was lost (a route whose policy
/// weights overflowed a score printed an empty line).
func jsonText(_ object: Any) -> String {
    func clean(_ v: Any) -> Any {
        switch v {
        case let d as Double: return d.isFinite ? NumberFormat.significant(d) : NSNull()
        case let a as [Any]: return a.map(clean)
        case let o as [String: Any]: return o.mapValues(clean)
        default: return v
        }
    }
    do {
        let data = try JSONSerialization.data(withJSONObject: clean(object), options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    } catch {
        preconditionFailure("a JSON document of numbers, text and nulls could not be written: \(error)")
    }
}

/// Several tables printed as one document. As text, each prints when it is added (a long
/// cross-validation shows each table as soon as it is done). As JSON, one object with a key per
/// table; as CSV, one table whose first column, `table`, names the table a row is from, under
/// all the tables' columns (those with rows). A document of one table prints as
/// ``OutputTable`` prints it.
final class OutputDocument {
    private let format: OutputFormat
    private var parts: [(key: String, table: OutputTable)] = []

    private init(_ format: OutputFormat) { self.format = format }

    /// Runs `body`, which adds the tables, then prints the document; nothing is printed as JSON
    /// or CSV when `body` throws.
    static func print(_ format: OutputFormat, _ body: (OutputDocument) throws -> Void) rethrows {
        let document = OutputDocument(format)
        try body(document)
        if format != .table { Swift.print(document.render(), terminator: "") }
    }

    func add(_ key: String, _ table: OutputTable) {
        if format == .table { format.show(table) } else { parts.append((key, table)) }
    }

    private func render() -> String {
        if parts.count == 1 { return parts[0].table.render(format) }
        if format == .json {
            return jsonText(Dictionary(parts.map { ($0.key, $0.table.jsonObjects as Any) }, uniquingKeysWith: { a, _ in a }))
        }
        // A table without rows would add only empty columns.
        let filled = parts.filter { !$0.table.rows.isEmpty }
        if filled.count == 1 { return filled[0].table.render(format) }
        var names = ["table"]
        for part in filled { for c in part.table.columns where !names.contains(c.name) { names.append(c.name) } }
        var union = OutputTable(columns: names.map { OutputTable.Column(name: $0) })
        for part in filled {
            for row in part.table.rows {
                var cells = [OutputTable.Cell](repeating: OutputTable.Cell(text: "", json: NSNull()), count: names.count)
                cells[0] = .text(part.key)
                for (c, cell) in zip(part.table.columns, row) { cells[names.firstIndex(of: c.name)!] = cell }
                union.rows.append(cells)
            }
        }
        return union.render(.csv)
    }
}
