import Foundation
import MosaicCore

/// CSV and JSON of a report's tables: every digit (exact money as decimal text, doubles to 12
/// significant digits in shortest form), keys in column order, so the bytes depend on the inputs only.
public enum DataRenderer {
    /// One table as CSV (RFC 4180 quoting, `\n` line ends, header of column names).
    public static func csv(_ t: ReportTable) -> String {
        var out = t.columns.map { quote($0.name) }.joined(separator: ",") + "\n"
        for row in t.rows { out += row.map { quote(raw($0.value)) }.joined(separator: ",") + "\n" }
        return out
    }

    static func raw(_ v: Cell.Value) -> String {
        switch v {
        case .text(let s), .decimal(let s): return s
        case .int(let i): return String(i)
        case .number(let d): return NumberFormat.exact(d) ?? ""
        case .bool(let b): return b ? "true" : "false"
        case .null: return ""
        }
    }

    static func quote(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// The whole report as JSON: title, inputs, key figures and every table.
    public static func json(_ report: Report) -> String {
        let w = JSONWriter()
        w.object {
            w.key("report"); w.string(report.name)
            w.key("title"); w.string(report.title)
            w.key("subtitle"); w.string(report.subtitle)
            w.key("inputs")
            w.array(report.inputs) { input in w.object { w.key("label"); w.string(input.label); w.key("value"); w.string(input.value) } }
            let figures = report.sections.flatMap { s in
                s.blocks.flatMap { b -> [(String, KeyFigure)] in if case .figures(let f) = b { return f.map { (s.title, $0) } } else { return [] } }
            }
            w.key("figures")
            w.array(figures) { (section, f) in
                w.object {
                    w.key("section"); w.string(section)
                    w.key("label"); w.string(f.label)
                    w.key("value"); w.string(f.value)
                    w.key("note"); if let n = f.note { w.string(n) } else { w.null() }
                }
            }
            w.key("tables")
            w.array(report.tables) { t in
                w.object {
                    w.key("id"); w.string(t.id)
                    w.key("title"); w.string(t.title)
                    w.key("note"); if let n = t.note { w.string(n) } else { w.null() }
                    w.key("columns")
                    w.array(t.columns) { c in w.object { w.key("name"); w.string(c.name); w.key("label"); w.string(c.label) } }
                    w.key("rows")
                    w.array(t.rows) { row in
                        w.object {
                            for (c, cell) in zip(t.columns, row) {
                                w.key(c.name)
                                switch cell.value {
                                case .text(let s), .decimal(let s): w.string(s)
                                case .int(let i): w.rawValue(String(i))
                                case .number(let d): if let e = NumberFormat.exact(d) { w.rawValue(e) } else { w.null() }
                                case .bool(let b): w.rawValue(b ? "true" : "false")
                                case .null: w.null()
                                }
                            }
                        }
                    }
                }
            }
        }
        return w.text + "\n"
    }
}

/// A tiny pretty-printing JSON writer with keys in insertion order.
final class JSONWriter {
    var text = ""
    var depth = 0
    var first = [true]
    var afterKey = false

    func prefix() {
        if afterKey { afterKey = false; return }
        if !first.isEmpty {
            if !first[first.count - 1] { text += "," }
            first[first.count - 1] = false
        }
        if depth > 0 { text += "\n" + String(repeating: "  ", count: depth) }
    }

    func object(_ body: () -> Void) {
        prefix()
        text += "{"
        depth += 1; first.append(true)
        body()
        let empty = first.removeLast()
        depth -= 1
        text += empty ? "}" : "\n" + String(repeating: "  ", count: depth) + "}"
    }

    func array<T>(_ items: [T], _ body: (T) -> Void) {
        prefix()
        text += "["
        depth += 1; first.append(true)
        for i in items { body(i) }
        let empty = first.removeLast()
        depth -= 1
        text += empty ? "]" : "\n" + String(repeating: "  ", count: depth) + "]"
    }

    func key(_ k: String) {
        prefix()
        text += JSONValue.quoted(k) + ": "
        afterKey = true
    }

    func string(_ s: String) { prefix(); text += JSONValue.quoted(s) }
    func rawValue(_ s: String) { prefix(); text += s }
    func null() { prefix(); text += "null" }
}

