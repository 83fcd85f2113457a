/// Renders a ``Report`` as GitHub-flavoured Markdown; charts are linked as the `.svg` files
/// the writer puts beside it.
public enum MarkdownRenderer {
    public static func render(_ report: Report) -> String {
        var out: [String] = ["# \(report.title)", "", report.subtitle, ""]
        if !report.inputs.isEmpty {
            out += ["| Input | Value |", "|:--|:--|"]
            out += report.inputs.map { "| \(cell($0.label)) | \(cell($0.value)) |" }
            out.append("")
        }
        for section in report.sections {
            out += ["## \(section.title)", ""]
            for block in section.blocks {
                switch block {
                case .text(let t): out += [t, ""]
                case .list(let items): out += items.map { "- " + $0 } + [""]
                case .figures(let figures):
                    out += figures.map { "- **\($0.label):** \($0.value)" + ($0.note.map { " — \($0)" } ?? "") } + [""]
                case .table(let t): out += table(t)
                case .chart(let c):
                    out += ["![\(c.title)](\(report.name)-\(c.id).svg)", ""]
                    if let caption = c.caption { out += ["*\(caption)*", ""] }
                }
            }
        }
        while out.last == "" { out.removeLast() }
        return out.joined(separator: "\n") + "\n"
    }

    static func table(_ t: ReportTable) -> [String] {
        var out = ["**\(t.title)**", ""]
        out.append("| " + t.columns.map { cell($0.label) }.joined(separator: " | ") + " |")
        out.append("|" + t.columns.map { $0.numeric ? "--:" : ":--" }.joined(separator: "|") + "|")
        if t.rows.isEmpty {
            out.append("| " + (["(none)"] + Array(repeating: "", count: t.columns.count - 1)).joined(separator: " | ") + " |")
        }
        for row in t.rows { out.append("| " + row.map { cell($0.display) }.joined(separator: " | ") + " |") }
        out.append("")
        if let note = t.note { out += ["*\(note)*", ""] }
        return out
    }

    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
