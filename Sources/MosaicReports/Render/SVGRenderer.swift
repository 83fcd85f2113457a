import Foundation
import MosaicCore

/// Draws a ``Chart`` as a self-contained SVG: a `viewBox` and `width="100%"` so it scales to
/// any screen, axis lines, tick labels, axis titles with units, and a legend when there is
/// more than one series. Text is laid out with a conservative width estimate
/// (``SVGRenderer/textWidth(_:fontSize:)``) so that nothing overlaps or leaves the view box.
public enum SVGRenderer {
    /// Colour-blind-safe palette (Okabe & Ito), in series order.
    public static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D1F", "#7F7F7F"]
    static let width = 720.0
    static let tickFont = 11.0
    static let labelFont = 12.0
    static let titleFont = 14.0

    /// Estimated rendered width of `text` at `fontSize` px: 0.62 em per character, a bound
    /// for the sans-serif faces the stylesheet names (their digits are 0.55 em wide).
    public static func textWidth(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * 0.62
    }

    public static func render(_ chart: Chart) -> String {
        switch chart.kind {
        case let .lines(x, y, series): return lines(chart, x: x, y: y, series: series)
        case let .stackedBars(categories, x, y, series): return bars(chart, categories: categories, x: x, y: y, series: series)
        case let .tornado(base, rows, x, lo, hi): return tornado(chart, base: base, rows: rows, x: x, lowLabel: lo, highLabel: hi)
        }
    }

    // MARK: - Layout pieces

    struct Canvas {
        var body: [String] = []
        mutating func text(_ s: String, x: Double, y: Double, size: Double, anchor: String = "start", cls: String,
                           weight: String? = nil) {
            let w = weight.map { " font-weight=\"\($0)\"" } ?? ""
            body.append("<text class=\"\(cls)\" x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(f(size))\" text-anchor=\"\(anchor)\"\(w)>\(xml(s))</text>")
        }
        mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, cls: String, stroke: String = "#333",
                           dash: Bool = false, width: Double = 1) {
            let d = dash ? " stroke-dasharray=\"4 3\"" : ""
            body.append("<line class=\"\(cls)\" x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(f(width))\"\(d)/>")
        }
        mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, cls: String, title: String? = nil) {
            let t = title.map { "<title>\(xml($0))</title>" } ?? ""
            body.append("<rect class=\"\(cls)\" x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(max(0, w)))\" height=\"\(f(max(0, h)))\" fill=\"\(fill)\">\(t)</rect>")
        }
    }

    static func f(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
    }

    /// XML's character references for text and attribute values.
    static let xmlEscapes: [Unicode.Scalar: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"]

    static func xml(_ s: String) -> String { s.escaped(xmlEscapes) }

    /// The legend rows: items laid left to right, wrapping at the chart width.
    static func legend(_ items: [(String, String, Bool)], top: Double, into c: inout Canvas) -> Double {
        guard items.count > 1 else { return top }
        var x = 12.0, y = top
        var out: [String] = []
        for (name, colour, dashed) in items {
            let w = 18 + textWidth(name, fontSize: labelFont) + 16
            if x + w > width - 12 && x > 12 { x = 12; y += 18 }
            let d = dashed ? " stroke-dasharray=\"4 3\"" : ""
            out.append("<line x1=\"\(f(x))\" y1=\"\(f(y - 4))\" x2=\"\(f(x + 14))\" y2=\"\(f(y - 4))\" stroke=\"\(colour)\" stroke-width=\"4\"\(d)/>")
            var t = Canvas()
            t.text(name, x: x + 18, y: y, size: labelFont, cls: "legend-label")
            out += t.body
            x += w
        }
        c.body.append("<g class=\"legend\">" + out.joined() + "</g>")
        return y + 18
    }

    static func frame(_ chart: Chart, height: Double, body: [String]) -> String {
        let h = f(height)
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(f(width)) \(h)" width="100%" \
            preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="\(chart.id)-title" \
            font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif">\
            <title id="\(chart.id)-title">\(xml(chart.title))</title>\
            <rect x="0" y="0" width="\(f(width))" height="\(h)" fill="#fff"/>\
            \(body.joined())</svg>
            """
    }

    // MARK: - Ticks

    struct Tick { var value: Double; var label: String }

    /// Nice linear ticks (steps 1, 2, 2.5, 5 × 10^k) covering `[lo, hi]`, at most `maxCount`.
    static func niceTicks(_ lo: Double, _ hi: Double, maxCount: Int) -> (lo: Double, hi: Double, step: Double) {
        var lo = lo, hi = hi
        if !(hi > lo) { hi = lo + (lo == 0 ? 1 : abs(lo) * 0.1) }
        let raw = (hi - lo) / Double(max(1, maxCount - 1))
        let mag = pow(10, floor(log10(raw)))
        var step = mag * 10
        for m in [1.0, 2.0, 2.5, 5.0, 10.0] where mag * m >= raw { step = mag * m; break }
        lo = floor(lo / step) * step
        hi = ceil(hi / step) * step
        return (lo, hi, step)
    }

    static func label(_ v: Double, _ labels: Axis.Labels, step: Double) -> String {
        switch labels {
        case .number: return NumberFormat.short(abs(v) < step * 1e-9 ? 0 : v)
        case .percent:
            // As many decimals as the step needs: ticks 0.25% apart read 0.25, 0.50, 0.75 (with
            // one decimal they read 0.2, 0.5, 0.8), 2.5% apart 2.5, 5.0, 7.5.
            let s = step * 100
            let places = (0...3).first { d in
                let x = s * pow(10, Double(d))
                return abs(x - x.rounded()) < 1e-6 * max(1, x)
            } ?? 4
            return String(format: "%.\(places)f", v * 100) + "%"
        case .epochSeconds where !(abs(v) < 1e12), .offsetSeconds where !(abs(v) < 1e12):
            // Past 10¹² s (31,700 years) a time has no date or clock reading (and its whole
            // microseconds or seconds trapped as Int64); it reads as the number it is.
            return NumberFormat.short(v)
        case .epochSeconds:
            let micros = Int64(v * 1e6)
            let text = Timestamp.format(micros)  // 2026-10-05T14:00:00Z
            let date = String(text.dropFirst(5).prefix(5))
            let time = String(text.dropFirst(11).prefix(5))
            if step >= 86_400 { return date }
            return time == "00:00" ? date : time
        case .offsetSeconds:
            let s = Int(v.rounded())
            let h = s / 3600, m = (s % 3600) / 60
            if step < 60 { return "\(s / 60):\(String(format: "%02d", s % 60))" }
            return m == 0 ? "\(h)h" : "\(h)h\(String(format: "%02d", m))"
        case .hourOfDay:
            return String(format: "%02d:00", Int(v.rounded()))
        }
    }

    /// The most ticks a linear or time axis gets: far more than fit, it only stops a loop whose
    /// step no longer moves the value (a step of 5 at 10¹⁷, where doubles are 16 apart) or that
    /// would run for ever (a week's step over 10³⁰⁸ s).
    static let maxTicks = 1_000

    /// Ticks for an axis over `[lo, hi]` fitting `length` px with labels `minGap` apart. Any
    /// bounds, finite or not, give a finite list.
    static func ticks(_ axis: Axis, _ lo: Double, _ hi: Double, length: Double, horizontal: Bool)
        -> (lo: Double, hi: Double, ticks: [Tick]) {
        if axis.scale == .log {
            // Decades 10⁻¹² to 10³⁰⁸, the last a Double holds: at lo ≈ 10³⁰⁷ `lo * 10` was
            // infinite and so was b, and the loop never ended. Held to that span (NaN to its
            // bottom), every bound is finite and there are at most 321 ticks.
            func decade(_ x: Double, _ span: ClosedRange<Double>) -> Double {
                x.isNaN ? span.lowerBound : min(max(x, span.lowerBound), span.upperBound)
            }
            let a = decade(floor(log10(lo)), -12...307)
            let b = decade(ceil(log10(max(hi, min(lo * 10, .greatestFiniteMagnitude), 1e-11))), (a + 1)...308)
            var ts: [Tick] = []
            var k = a
            let every = max(1.0, ceil((b - a + 1) / max(2, floor(length / (horizontal ? 60 : 28)))))
            while k <= b {
                ts.append(Tick(value: pow(10, k), label: NumberFormat.short(pow(10, k))))
                k += every
            }
            return (pow(10, a), pow(10, b), ts)
        }
        if axis.labels == .hourOfDay {
            // 0 to 23 whatever hours the data hold, every 1, 2, 3, 4, 6 or 12 hours as the width allows.
            let maxCount = max(2, Int(length / (textWidth("00:00", fontSize: tickFont) + 14)))
            let step = [1.0, 2, 3, 4, 6, 12].first { 23 / $0 <= Double(maxCount - 1) } ?? 12
            let ts = stride(from: 0.0, through: 23, by: step).map { Tick(value: $0, label: label($0, .hourOfDay, step: step)) }
            return (0, 23, ts)
        }
        if axis.labels == .epochSeconds || axis.labels == .offsetSeconds {
            let steps: [Double] = axis.labels == .epochSeconds
                ? [3600, 7200, 10800, 21600, 43200, 86400, 172_800, 604_800, 1_209_600, 2_592_000]
                : [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172_800, 604_800]
            let sampleWidth = textWidth(axis.labels == .epochSeconds ? "10-05" : "12h30", fontSize: tickFont) + 14
            let maxCount = max(2, Int(length / sampleWidth))
            let step = steps.first { (hi - lo) / $0 <= Double(maxCount - 1) } ?? steps.last!
            var ts: [Tick] = []
            var v = ceil(lo / step) * step
            while v <= hi + 1e-9 && ts.count < maxTicks {
                ts.append(Tick(value: v, label: label(v, axis.labels, step: step)))
                v += step
            }
            return (lo, hi, ts)
        }
        var lo = lo, hi = hi
        if axis.includesZero { lo = min(lo, 0); hi = max(hi, 0) }
        var maxCount = horizontal ? 8 : 6
        while true {
            let n = niceTicks(lo, hi, maxCount: maxCount)
            var ts: [Tick] = []
            var v = n.lo
            while v <= n.hi + n.step * 1e-9 && ts.count < maxTicks {
                ts.append(Tick(value: v, label: label(v, axis.labels, step: n.step)))
                v += n.step
            }
            let widest = ts.map { textWidth($0.label, fontSize: tickFont) }.max() ?? 0
            let gap = length / Double(max(1, ts.count - 1))
            if !horizontal || widest + 10 <= gap || maxCount <= 2 { return (n.lo, n.hi, ts) }
            maxCount -= 1
        }
    }

    // MARK: - Lines

    static func lines(_ chart: Chart, x: Axis, y: Axis, series: [Series]) -> String {
        var c = Canvas()
        c.text(chart.title, x: 12, y: 20, size: titleFont, cls: "chart-title", weight: "600")
        let legendBottom = legend(series.enumerated().map { ($1.name, palette[$0 % palette.count], $1.dashed) }, top: 42, into: &c)
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (y.scale == .linear || $0.y > 0)
            && (x.scale == .linear || $0.x > 0) }
        let xs = points.map(\.x), ys = points.map(\.y)
        let plotTop = legendBottom + 22
        let plotHeight = 240.0
        let yt = ticks(y, ys.min() ?? 0, ys.max() ?? 1, length: plotHeight, horizontal: false)
        let left = max(44, (yt.ticks.map { textWidth($0.label, fontSize: tickFont) }.max() ?? 0) + 14)
        let provisional = ticks(x, xs.min() ?? 0, xs.max() ?? 1, length: width - left - 40, horizontal: true)
        let lastHalf = (provisional.ticks.last.map { textWidth($0.label, fontSize: tickFont) } ?? 0) / 2
        let right = max(24, lastHalf + 8)
        let plotWidth = width - left - right
        let xt = ticks(x, xs.min() ?? 0, xs.max() ?? 1, length: plotWidth, horizontal: true)
        let bottom = plotTop + plotHeight
        func px(_ v: Double) -> Double {
            let (a, b, t) = x.scale == .log ? (log10(xt.lo), log10(xt.hi), log10(v)) : (xt.lo, xt.hi, v)
            return left + (t - a) / (b - a == 0 ? 1 : b - a) * plotWidth
        }
        func py(_ v: Double) -> Double {
            let (a, b, t) = y.scale == .log ? (log10(yt.lo), log10(yt.hi), log10(v)) : (yt.lo, yt.hi, v)
            return bottom - (t - a) / (b - a == 0 ? 1 : b - a) * plotHeight
        }
        axes(&c, left: left, right: left + plotWidth, top: plotTop, bottom: bottom, x: x, y: y,
             xTicks: xt.ticks.map { (px($0.value), $0.label) }, yTicks: yt.ticks.map { (py($0.value), $0.label) })
        for (i, s) in series.enumerated() {
            var d = ""
            var pen = false
            for p in s.points {
                guard p.x.isFinite, p.y.isFinite, x.scale == .linear || p.x > 0, y.scale == .linear || p.y > 0 else { pen = false; continue }
                d += (pen ? "L" : "M") + f(px(p.x)) + " " + f(py(p.y))
                pen = true
            }
            let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
            c.body.append("<path class=\"series\" data-series=\"\(xml(s.name))\" d=\"\(d)\" fill=\"none\" stroke=\"\(palette[i % palette.count])\" stroke-width=\"2\" stroke-linejoin=\"round\"\(dash)/>")
        }
        return frame(chart, height: bottom + 50, body: c.body)
    }

    static func axes(_ c: inout Canvas, left: Double, right: Double, top: Double, bottom: Double, x: Axis, y: Axis,
                     xTicks: [(Double, String)], yTicks: [(Double, String)], xGrid: Bool = false,
                     xNumeric: Bool = true, yNumeric: Bool = true) {
        var grid: [String] = []
        for (py, _) in yTicks { grid.append("<line x1=\"\(f(left))\" y1=\"\(f(py))\" x2=\"\(f(right))\" y2=\"\(f(py))\" stroke=\"#e5e5e5\"/>") }
        if xGrid { for (px, _) in xTicks { grid.append("<line x1=\"\(f(px))\" y1=\"\(f(top))\" x2=\"\(f(px))\" y2=\"\(f(bottom))\" stroke=\"#e5e5e5\"/>") } }
        c.body.append("<g class=\"grid\">" + grid.joined() + "</g>")
        c.line(left, bottom, right, bottom, cls: "axis x-axis")
        c.line(left, top, left, bottom, cls: "axis y-axis")
        var t = Canvas()
        for (px, label) in xTicks {
            t.line(px, bottom, px, bottom + 4, cls: "tick-mark")
            t.text(label, x: px, y: bottom + 17, size: tickFont, anchor: "middle", cls: "tick x-tick")
        }
        for (py, label) in yTicks {
            t.line(left - 4, py, left, py, cls: "tick-mark")
            t.text(label, x: left - 7, y: py + 4, size: tickFont, anchor: "end", cls: "tick y-tick")
        }
        c.body.append("<g class=\"ticks\">" + t.body.joined() + "</g>")
        c.text(x.fullTitle, x: (left + right) / 2, y: bottom + 38, size: labelFont, anchor: "middle", cls: "axis-title x-title" + (xNumeric ? " numeric" : ""))
        c.text(y.fullTitle, x: max(12, left - 40), y: top - 10, size: labelFont, anchor: "start", cls: "axis-title y-title" + (yNumeric ? " numeric" : ""))
    }

    // MARK: - Stacked bars

    static func bars(_ chart: Chart, categories: [String], x: Axis, y: Axis, series: [Series]) -> String {
        var c = Canvas()
        c.text(chart.title, x: 12, y: 20, size: titleFont, cls: "chart-title", weight: "600")
        let legendBottom = legend(series.enumerated().map { ($1.name, palette[$0 % palette.count], false) }, top: 42, into: &c)
        let n = categories.count
        var totals = Array(repeating: 0.0, count: n)
        for s in series { for p in s.points where Int(p.x) < n && p.y.isFinite { totals[Int(p.x)] += max(0, p.y) } }
        let plotTop = legendBottom + 22
        let plotHeight = 240.0
        let yt = ticks(y, 0, max(totals.max() ?? 1, 1e-9), length: plotHeight, horizontal: false)
        let left = max(44, (yt.ticks.map { textWidth($0.label, fontSize: tickFont) }.max() ?? 0) + 14)
        let labelWidth = categories.map { textWidth($0, fontSize: tickFont) }.max() ?? 0
        let right = max(24, labelWidth / 2 + 4)
        let plotWidth = width - left - right
        let bottom = plotTop + plotHeight
        let slot = plotWidth / Double(max(1, n))
        func py(_ v: Double) -> Double { bottom - (v - yt.lo) / (yt.hi - yt.lo) * plotHeight }
        let every = max(1, Int(ceil((labelWidth + 8) / slot)))
        let xTicks = categories.enumerated().compactMap { i, name in i % every == 0 ? (left + slot * (Double(i) + 0.5), name) : nil }
        axes(&c, left: left, right: left + plotWidth, top: plotTop, bottom: bottom, x: x, y: y, xTicks: xTicks,
             yTicks: yt.ticks.map { (py($0.value), $0.label) }, xNumeric: false)
        var base = Array(repeating: 0.0, count: n)
        var bars: [String] = []
        for (si, s) in series.enumerated() {
            var cc = Canvas()
            for p in s.points where Int(p.x) < n && p.y.isFinite && p.y > 0 {
                let i = Int(p.x)
                let y0 = py(base[i]), y1 = py(base[i] + p.y)
                cc.rect(left + slot * Double(i) + slot * 0.15, y1, slot * 0.7, y0 - y1, fill: palette[si % palette.count], cls: "bar",
                        title: "\(categories[i]) · \(s.name): \(NumberFormat.short(p.y)) \(y.unit)")
                base[i] += p.y
            }
            bars.append("<g class=\"series\" data-series=\"\(xml(s.name))\">" + cc.body.joined() + "</g>")
        }
        c.body += bars
        return frame(chart, height: bottom + 50, body: c.body)
    }

    // MARK: - Tornado

    static func tornado(_ chart: Chart, base: Double, rows: [TornadoRow], x: Axis, lowLabel: String, highLabel: String) -> String {
        var c = Canvas()
        c.text(chart.title, x: 12, y: 20, size: titleFont, cls: "chart-title", weight: "600")
        let colours = (low: palette[3], high: palette[0])
        let legendBottom = legend([(lowLabel, colours.low, false), (highLabel, colours.high, false)], top: 42, into: &c)
        let sorted = rows.sorted { abs($0.high - $0.low) > abs($1.high - $1.low) }
        let left = max(60, (sorted.map { textWidth($0.label, fontSize: labelFont) }.max() ?? 0) + 16)
        let values = sorted.flatMap { [$0.low, $0.high] } + [base]
        let plotTop = legendBottom + 22
        let rowHeight = 34.0
        let plotHeight = rowHeight * Double(max(1, sorted.count))
        var right = 24.0
        var xt = ticks(x, values.min() ?? 0, values.max() ?? 1, length: width - left - right, horizontal: true)
        right = max(24, (xt.ticks.last.map { textWidth($0.label, fontSize: tickFont) } ?? 0) / 2 + 8)
        let plotWidth = width - left - right
        xt = ticks(x, values.min() ?? 0, values.max() ?? 1, length: plotWidth, horizontal: true)
        let bottom = plotTop + plotHeight
        func px(_ v: Double) -> Double { left + (v - xt.lo) / (xt.hi - xt.lo == 0 ? 1 : xt.hi - xt.lo) * plotWidth }
        axes(&c, left: left, right: left + plotWidth, top: plotTop, bottom: bottom, x: x, y: Axis("Input varied", unit: ""),
             xTicks: xt.ticks.map { (px($0.value), $0.label) }, yTicks: [], xGrid: true, yNumeric: false)
        var cc = Canvas()
        for (i, r) in sorted.enumerated() {
            let yMid = plotTop + rowHeight * (Double(i) + 0.5)
            cc.text(r.label, x: left - 8, y: yMid + 4, size: labelFont, anchor: "end", cls: "tick y-tick")
            for (v, colour, name) in [(r.low, colours.low, lowLabel), (r.high, colours.high, highLabel)] {
                let a = px(min(v, base)), b = px(max(v, base))
                cc.rect(a, yMid - 10, b - a, 20, fill: colour, cls: "bar",
                        title: "\(r.label), \(name): \(NumberFormat.fixed(v, places: 2)) \(x.unit)")
            }
        }
        c.body.append("<g class=\"series\">" + cc.body.joined() + "</g>")
        c.line(px(base), plotTop - 4, px(base), bottom, cls: "base-line", stroke: "#000", dash: true)
        return frame(chart, height: bottom + 50, body: c.body)
    }
}
