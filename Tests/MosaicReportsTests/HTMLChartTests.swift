import Foundation
@testable import MosaicReports
import MosaicTestSupport
import Testing

/// Every chart of every HTML report follows the rules: a viewBox, axis lines, tick labels,
/// axis titles with units on numeric axes, a legend when there is more than one series, no
/// text leaving the view box, no overlapping tick or legend labels; and every HTML file is
/// self-contained with responsive and print styles.
@Suite struct HTMLChartTests {
    struct Text { var cls: String; var x: Double; var y: Double; var size: Double; var anchor: String; var content: String
        var left: Double { anchor == "middle" ? x - width / 2 : (anchor == "end" ? x - width : x) }
        var right: Double { left + width }
        var width: Double { SVGRenderer.textWidth(content, fontSize: size) }
    }

    static func attribute(_ name: String, in tag: Substring) -> String? {
        guard let r = tag.range(of: " \(name)=\"") else { return nil }
        let rest = tag[r.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    static func svgs(in html: String) -> [Substring] {
        var out: [Substring] = []
        var rest = Substring(html)
        while let a = rest.range(of: "<svg"), let b = rest[a.lowerBound...].range(of: "</svg>") {
            out.append(rest[a.lowerBound..<b.upperBound])
            rest = rest[b.upperBound...]
        }
        return out
    }

    static func texts(in svg: Substring) -> [Text] {
        var out: [Text] = []
        var rest = svg
        while let a = rest.range(of: "<text "), let close = rest[a.lowerBound...].range(of: ">"), let end = rest[close.upperBound...].range(of: "</text>") {
            let tag = rest[a.lowerBound..<close.upperBound]
            let content = String(rest[close.upperBound..<end.lowerBound])
                .replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
            out.append(Text(cls: attribute("class", in: tag) ?? "", x: Double(attribute("x", in: tag) ?? "") ?? .nan,
                            y: Double(attribute("y", in: tag) ?? "") ?? .nan, size: Double(attribute("font-size", in: tag) ?? "") ?? .nan,
                            anchor: attribute("text-anchor", in: tag) ?? "start", content: content))
            rest = rest[end.upperBound...]
        }
        return out
    }

    static func check(svg: Substring, report: String) {
        let id = attribute("aria-labelledby", in: svg.prefix(600)) ?? "?"
        let place = "\(report) chart \(id)"
        guard let viewBox = attribute("viewBox", in: svg.prefix(600)) else { Issue.record("\(place): no viewBox"); return }
        let vb = viewBox.split(separator: " ").compactMap { Double($0) }
        #expect(vb.count == 4, "\(place): viewBox \(viewBox)")
        guard vb.count == 4 else { return }
        #expect(svg.contains("width=\"100%\""), "\(place): not fluid")
        #expect(svg.contains("class=\"axis x-axis\""), "\(place): no x axis line")
        #expect(svg.contains("class=\"axis y-axis\""), "\(place): no y axis line")
        let texts = texts(in: svg)
        let xTicks = texts.filter { $0.cls.contains("x-tick") }, yTicks = texts.filter { $0.cls.contains("y-tick") }
        #expect(xTicks.count >= 2, "\(place): \(xTicks.count) x tick labels")
        #expect(yTicks.count >= 1, "\(place): \(yTicks.count) y tick labels")
        for t in texts where t.cls.contains("axis-title") {
            #expect(!t.content.isEmpty, "\(place): empty axis title")
            if t.cls.contains("numeric") {
                #expect(t.content.contains("(") && t.content.hasSuffix(")"), "\(place): numeric axis title without a unit: '\(t.content)'")
            }
        }
        #expect(texts.filter { $0.cls.contains("x-title") }.count == 1, "\(place): x axis title")
        #expect(texts.filter { $0.cls.contains("y-title") }.count == 1, "\(place): y axis title")
        let series = svg.components(separatedBy: "data-series=").count - 1
        let legend = texts.filter { $0.cls == "legend-label" }
        if series > 1 || svg.contains("class=\"base-line\"") {
            #expect(svg.contains("class=\"legend\""), "\(place): \(series) series but no legend")
            #expect(legend.count >= 2, "\(place): legend has \(legend.count) labels")
        }
        for t in texts {
            #expect(t.x.isFinite && t.y.isFinite && t.size.isFinite, "\(place): text '\(t.content)' without position or size")
            #expect(t.left >= vb[0] - 0.5 && t.right <= vb[0] + vb[2] + 0.5, "\(place): '\(t.content)' runs out sideways (\(t.left)…\(t.right) of \(vb[2]))")
            #expect(t.y - t.size >= vb[1] - 0.5 && t.y + 0.3 * t.size <= vb[1] + vb[3] + 0.5, "\(place): '\(t.content)' runs out vertically (y \(t.y) of \(vb[3]))")
        }
        // Tick labels on one axis and legend labels never overlap.
        for group in [xTicks.sorted { $0.left < $1.left }, legend.filter { _ in true }] {
            for (a, b) in zip(group, group.dropFirst()) where abs(a.y - b.y) < max(a.size, b.size) {
                #expect(a.right <= b.left + 0.5, "\(place): '\(a.content)' overlaps '\(b.content)'")
            }
        }
        let yt = yTicks.sorted { $0.y < $1.y }
        for (a, b) in zip(yt, yt.dropFirst()) where a.right > b.left && b.right > a.left {
            #expect(b.y - a.y >= a.size, "\(place): tick labels '\(a.content)' and '\(b.content)' overlap")
        }
    }

    @Test func everyChartHasAxesLabelsAndFits() throws {
        var charts = 0
        for report in try ReportFixtures.all() {
            let html = HTMLRenderer.render(report)
            let svgs = Self.svgs(in: html)
            #expect(svgs.count == report.charts.count, "\(report.name): \(svgs.count) svg for \(report.charts.count) charts")
            for svg in svgs { Self.check(svg: svg, report: report.name) }
            charts += svgs.count
        }
        #expect(charts >= 9)
    }

    /// A percent axis shows as many decimals as its step needs: ticks 0.25% apart read 0.25%,
    /// 0.50% … (with one decimal they read 0.2%, 0.5%, 0.8%, seen in the failover report's
    /// error-rate chart in Chromium).
    @Test func percentTicksCarryTheDecimalsOfTheirStep() {
        let axis = Axis("Error rate", unit: "%", labels: .percent)
        let small = SVGRenderer.ticks(axis, 0, 0.012, length: 260, horizontal: false)
        #expect(small.ticks.map(\.label) == ["0.00%", "0.25%", "0.50%", "0.75%", "1.00%", "1.25%"])
        let wide = SVGRenderer.ticks(axis, 0, 0.12, length: 260, horizontal: false)
        #expect(wide.ticks.map(\.label) == ["0.0%", "2.5%", "5.0%", "7.5%", "10.0%", "12.5%"])
        let whole = SVGRenderer.ticks(axis, 0, 1, length: 260, horizontal: false)
        #expect(whole.ticks.map(\.label) == ["0%", "20%", "40%", "60%", "80%", "100%"])
    }

    /// Tick generation ends, with finite ticks, for any bounds: a log axis of latencies near
    /// 10³⁰⁸ ms looped for ever (`lo * 10` was infinite, audit-cli finding 1), and a linear or
    /// time axis whose step no longer moves the value (5 at 10¹⁷) or whose span is absurd would
    /// never end either.
    @Test func ticksEndForAnyBounds() throws {
        let problems = try bounded(seconds: 60, "ticks for absurd bounds") { Self.ticksForAnyBounds() }
        #expect(problems.isEmpty, "\(problems)")
    }

    /// What is wrong with the ticks of absurd bounds (run on a thread of its own: it hung).
    static func ticksForAnyBounds() -> [String] {
        var problems: [String] = []
        let log = Axis("Latency", unit: "ms", scale: .log, includesZero: false)
        let bounds: [(Double, Double)] = [(1e308, 1e308), (1.7e307, 1.79e308), (.greatestFiniteMagnitude, .greatestFiniteMagnitude),
                                          (0, .infinity), (.nan, .nan), (-1, -1), (1e-300, 1e308), (.infinity, .infinity)]
        for (lo, hi) in bounds {
            let t = SVGRenderer.ticks(log, lo, hi, length: 240, horizontal: false)
            if t.ticks.isEmpty || t.ticks.count > 321 || !(t.lo.isFinite && t.hi.isFinite && t.lo < t.hi)
                || !t.ticks.allSatisfy({ $0.value.isFinite }) {
                problems.append("log \(lo)…\(hi): \(t.lo)…\(t.hi), \(t.ticks.count) ticks")
            }
        }
        // Normal bounds keep their decades: 3…5 ms is drawn from 1 to 100.
        let normal = SVGRenderer.ticks(log, 3, 5, length: 240, horizontal: false)
        if !(normal.lo == 1 && normal.hi == 100 && normal.ticks.map(\.value) == [1, 10, 100]) { problems.append("log 3…5: \(normal)") }
        for axis in [Axis("Cost", unit: "USD"), Axis("Time", unit: "UTC", labels: .offsetSeconds)] {
            for (lo, hi) in [(1e17, 1e17 + 16), (0, 1e308), (-1e308, 1e308), (0, Double.infinity), (Double.nan, 1)] {
                let t = SVGRenderer.ticks(axis, lo, hi, length: 600, horizontal: true)
                if t.ticks.count > SVGRenderer.maxTicks { problems.append("\(axis.labels) \(lo)…\(hi): \(t.ticks.count) ticks") }
            }
        }
        return problems
    }

    /// The hours of a day span 00:00 to 23:00 (the latency report's p95-by-hour axis ran to 25).
    @Test func hourOfDayTicksSpanTheDay() {
        let axis = Axis("Hour of day", unit: "UTC", labels: .hourOfDay)
        let wide = SVGRenderer.ticks(axis, 1, 22, length: 840, horizontal: true)
        #expect(wide.lo == 0 && wide.hi == 23)
        #expect(wide.ticks.first?.label == "00:00")
        #expect(wide.ticks.allSatisfy { $0.label.hasSuffix(":00") && $0.value <= 23 })
        let narrow = SVGRenderer.ticks(axis, 0, 23, length: 250, horizontal: true)
        #expect(narrow.ticks.map(\.label) == ["00:00", "06:00", "12:00", "18:00"])
    }

    /// The failover report's intervals stop at what a metric can be, as `mosaic simulate`'s do:
    /// no rate below 0% or past 100%, no time or count below 0 (the fixture's outage error rate
    /// is 0.084 ± 0.164%, whose t interval starts at −0.080%).
    @Test func failoverIntervalsStayWithinWhatTheMetricCanBe() throws {
        let report = try ReportFixtures.failover()
        var checked = 0
        for table in report.tables {
            for column in table.columns where column.name.hasSuffix("_low") || column.name.hasSuffix("_high") {
                let base = String(column.name.dropLast(column.name.hasSuffix("_low") ? 4 : 5))
                guard !base.hasPrefix("extra") && !base.hasPrefix("difference") else { continue }
                for case .number(let v) in table.values(column.name) {
                    #expect(v >= 0, "\(table.id).\(column.name): \(v)")
                    if base.hasSuffix("pct") && !base.contains("budget") { #expect(v <= 100, "\(table.id).\(column.name): \(v)") }
                    checked += 1
                }
            }
        }
        #expect(checked > 20)
    }

    @Test func htmlIsSelfContainedResponsiveAndPrintable() throws {
        for report in try ReportFixtures.all() {
            let html = HTMLRenderer.render(report)
            #expect(html.hasPrefix("<!DOCTYPE html>"))
            #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
            #expect(html.contains("@media (max-width:640px)"), "no small-screen styles")
            #expect(html.contains("@media print"), "no print styles")
            #expect(html.contains(".table-wrap{overflow-x:auto"), "wide tables must scroll inside their box")
            for banned in ["<script", "<link", "src=\"", "@import", "url("] {
                #expect(!html.contains(banned), "\(report.name): external or active content '\(banned)'")
            }
            let links = html.components(separatedBy: "http").count - 1
            let xmlns = html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1
            #expect(links == xmlns, "\(report.name): a link other than the SVG namespace")
        }
    }

    /// On paper a table of many columns is set smaller (Chromium shrank the whole failover
    /// report to fit its 20-column outage table, to about 6 pt), and a short table is not split
    /// with one row at the foot of a page.
    @Test func printSetsWideTablesSmallerAndKeepsShortTablesWhole() throws {
        func wrapper(columns: Int, rows: Int) -> String {
            let t = ReportTable(id: "t", title: "T", columns: (0..<columns).map { .init("c\($0)", "C\($0)") },
                                rows: (0..<rows).map { _ in (0..<columns).map { _ in .int(1) } })
            return HTMLRenderer.table(t)[0]
        }
        #expect(wrapper(columns: 11, rows: 30) == "<div class=\"table-wrap short\"><table id=\"table-t\">")
        #expect(wrapper(columns: 12, rows: 31) == "<div class=\"table-wrap wide\"><table id=\"table-t\">")
        #expect(wrapper(columns: 20, rows: 1) == "<div class=\"table-wrap wide short\"><table id=\"table-t\">")
        let print = try #require(HTMLRenderer.stylesheet.components(separatedBy: "@media print").last)
        #expect(print.contains(".table-wrap.short{break-inside:avoid}"))
        #expect(print.contains(".table-wrap.wide table{font-size:6.5pt}"))
        // The failover report's outage and N−1 tables are the wide ones.
        let html = HTMLRenderer.render(try ReportFixtures.failover())
        #expect(html.contains("<div class=\"table-wrap wide short\"><table id=\"table-outages\">"))
    }

    @Test func standaloneSVGFilesMatchTheCharts() throws {
        let roi = try ReportFixtures.roi()
        let files = ReportWriter.files(roi, formats: [.md])
        #expect(files.map(\.name) == ["roi-cumulative.svg", "roi-tornado.svg", "roi.md"])
        let md = files.last!.contents
        #expect(md.contains("![Cumulative cash flow](roi-cumulative.svg)"))
    }
}
