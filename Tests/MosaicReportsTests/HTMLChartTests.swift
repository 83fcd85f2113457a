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

    @Test func standaloneSVGFilesMatchTheCharts() throws {
        let roi = try ReportFixtures.roi()
        let files = ReportWriter.files(roi, formats: [.md])
        #expect(files.map(\.name) == ["roi-cumulative.svg", "roi-tornado.svg", "roi.md"])
        let md = files.last!.contents
        #expect(md.contains("![Cumulative cash flow](roi-cumulative.svg)"))
    }
}
