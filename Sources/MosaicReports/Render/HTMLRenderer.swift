/// Renders a ``Report`` as one self-contained HTML file: inline CSS and inline SVG charts,
/// no scripts, no fonts, no external assets. Readable on a phone (fluid layout, tables that
/// scroll sideways inside their box, charts that scale) and on paper (print styles: A4,
/// no clipped tables, charts and tables kept whole on a page).
public enum HTMLRenderer {
    public static let stylesheet = """
        :root{color-scheme:light}
        *{box-sizing:border-box}
        body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1a1a1a;background:#fff}
        main{max-width:980px;margin:0 auto;padding:16px 20px 40px}
        h1{font-size:1.7em;line-height:1.2;margin:.3em 0 .2em}
        h2{font-size:1.3em;margin:1.6em 0 .5em;border-bottom:1px solid #ddd;padding-bottom:.2em}
        p.subtitle{color:#444;margin-top:0}
        code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em;background:#f4f4f4;padding:0 .2em;border-radius:3px}
        .figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:10px;margin:10px 0 16px}
        .figure{border:1px solid #ddd;border-radius:6px;padding:8px 12px}
        .figure .label{font-size:.85em;color:#555}
        .figure .value{font-size:1.3em;font-weight:600;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
        .figure .note{font-size:.8em;color:#666}
        .table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:6px 0 18px;max-width:100%}
        table{border-collapse:collapse;font-variant-numeric:tabular-nums}
        caption{text-align:left;font-weight:600;padding:4px 0;caption-side:top}
        th,td{padding:4px 10px;border-bottom:1px solid #e6e6e6;text-align:left;white-space:nowrap;vertical-align:top}
        th{background:#f6f6f6;font-weight:600}
        thead th{white-space:normal;vertical-align:bottom}
        td.num,th.num{text-align:right}
        p.note,figcaption{color:#555;font-size:.88em;margin:.2em 0 1em}
        figure{margin:14px 0 22px}
        svg.chart{display:block;width:100%;height:auto;max-width:100%}
        @media (max-width:640px){body{font-size:14px}main{padding:10px 10px 30px}h1{font-size:1.4em}th,td{padding:3px 6px}
        .inputs td{white-space:normal;overflow-wrap:break-word}
        figure{overflow-x:auto;-webkit-overflow-scrolling:touch}svg.chart{min-width:560px}}
        @media print{
        @page{size:A4;margin:14mm}
        body{font-size:10pt;color:#000}
        main{max-width:none;padding:0}
        .table-wrap{overflow:visible}
        table{font-size:8.5pt;width:100%}
        th,td{white-space:normal;padding:2px 5px}
        figure,.figures,tr,.table-wrap.short{break-inside:avoid}
        h2{break-after:avoid}
        svg.chart{max-height:120mm}
        .table-wrap.wide table{font-size:6.5pt}.table-wrap.wide th,.table-wrap.wide td{padding:1px 3px}
        }
        """

    public static func render(_ report: Report) -> String {
        var out: [String] = [
            "<!DOCTYPE html>", "<html lang=\"en\">", "<head>", "<meta charset=\"utf-8\">",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "<title>\(escape(report.title))</title>", "<style>", stylesheet, "</style>", "</head>", "<body>", "<main>",
            "<header>", "<h1>\(escape(report.title))</h1>", "<p class=\"subtitle\">\(inline(report.subtitle))</p>", "</header>",
        ]
        if !report.inputs.isEmpty {
            out += ["<section class=\"inputs\">", "<h2>Inputs</h2>", "<div class=\"table-wrap\"><table>", "<tbody>"]
            out += report.inputs.map { "<tr><th scope=\"row\">\(escape($0.label))</th><td>\(inline($0.value))</td></tr>" }
            out += ["</tbody>", "</table></div>", "</section>"]
        }
        for section in report.sections {
            out += ["<section>", "<h2>\(escape(section.title))</h2>"]
            for block in section.blocks {
                switch block {
                case .text(let t): out.append("<p>\(inline(t))</p>")
                case .list(let items): out += ["<ul>"] + items.map { "<li>\(inline($0))</li>" } + ["</ul>"]
                case .figures(let figures):
                    out.append("<div class=\"figures\">")
                    for f in figures {
                        let note = f.note.map { "<div class=\"note\">\(inline($0))</div>" } ?? ""
                        out.append("<div class=\"figure\"><div class=\"label\">\(escape(f.label))</div><div class=\"value\">\(escape(f.value))</div>\(note)</div>")
                    }
                    out.append("</div>")
                case .table(let t): out += table(t)
                case .chart(let c):
                    out += ["<figure id=\"chart-\(c.id)\">", SVGRenderer.render(c)]
                    if let caption = c.caption { out.append("<figcaption>\(inline(caption))</figcaption>") }
                    out.append("</figure>")
                }
            }
            out.append("</section>")
        }
        out += ["</main>", "</body>", "</html>"]
        return out.joined(separator: "\n") + "\n"
    }

    /// A table with at least this many columns is printed in smaller type, so that it fits an A4
    /// page's width (Chromium otherwise shrinks the whole page to the widest table).
    static let printWideColumns = 12
    /// A table of at most this many rows is kept whole on a printed page (not one row at the foot
    /// of a page and the rest on the next).
    static let printShortRows = 30

    static func table(_ t: ReportTable) -> [String] {
        var classes = "table-wrap"
        if t.columns.count >= printWideColumns { classes += " wide" }
        if t.rows.count <= printShortRows { classes += " short" }
        var out = ["<div class=\"\(classes)\"><table id=\"table-\(t.id)\">", "<caption>\(escape(t.title))</caption>", "<thead><tr>"]
        out += t.columns.map { "<th scope=\"col\"\($0.numeric ? " class=\"num\"" : "")>\(escape($0.label))</th>" }
        out += ["</tr></thead>", "<tbody>"]
        if t.rows.isEmpty { out.append("<tr><td colspan=\"\(t.columns.count)\">(none)</td></tr>") }
        for row in t.rows {
            let cells = zip(t.columns, row).map { col, cell in "<td\(col.numeric ? " class=\"num\"" : "")>\(escape(cell.display))</td>" }
            out.append("<tr>" + cells.joined() + "</tr>")
        }
        out += ["</tbody>", "</table></div>"]
        if let note = t.note { out.append("<p class=\"note\">\(inline(note))</p>") }
        return out
    }

    static func escape(_ s: String) -> String { SVGRenderer.xml(s) }

    /// Escapes, then turns `**bold**` and `` `code` `` into tags.
    static func inline(_ s: String) -> String {
        var text = escape(s)
        for (mark, tag) in [("**", "strong"), ("`", "code")] {
            var out = ""
            var open = false
            var rest = Substring(text)
            while let r = rest.range(of: mark) {
                out += rest[..<r.lowerBound]
                out += open ? "</\(tag)>" : "<\(tag)>"
                open.toggle()
                rest = rest[r.upperBound...]
            }
            out += rest
            if open { out += "</\(tag)>" }
            text = out
        }
        return text
    }
}
