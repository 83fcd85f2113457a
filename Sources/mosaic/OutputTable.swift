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

    private func renderJSON() -> String {
        if rows.isEmpty { return "[]\n" }  // Foundation's pretty printer writes "[\n\n]"
        let objects: [[String: Any]] = rows.map { row in
            Dictionary(uniqueKeysWithValues: zip(columns.map(\.name), row.map(\.json)))
        }
        let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
