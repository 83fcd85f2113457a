/// A chart, drawn as inline SVG in HTML and as a standalone `.svg` beside the Markdown.
public struct Chart: Sendable, Equatable {
    /// File-safe id, unique within a report: `<report>-<id>.svg`.
    public var id: String
    public var title: String
    public var kind: Kind
    /// A line under the chart (what it shows, how it was computed).
    public var caption: String?

    public enum Kind: Sendable, Equatable {
        /// Lines through (x, y) points: time series and CDFs.
        case lines(x: Axis, y: Axis, series: [Series])
        /// Vertical bars per category, one stacked segment per series (values ≥ 0).
        case stackedBars(categories: [String], x: Axis, y: Axis, series: [Series])
        /// Horizontal bars from a base value: one row per input, low and high outcome.
        case tornado(base: Double, rows: [TornadoRow], x: Axis, lowLabel: String, highLabel: String)
    }

    /// Every series of the chart (none for a tornado).
    public var series: [Series] {
        switch kind {
        case .lines(_, _, let s), .stackedBars(_, _, _, let s): return s
        case .tornado: return []
        }
    }
}

/// An axis: a title with its unit, a scale and how tick labels are written.
public struct Axis: Sendable, Equatable {
    public enum Scale: Sendable, Equatable { case linear, log }
    public enum Labels: Sendable, Equatable {
        /// Plain numbers, shortened with k/M when large.
        case number
        /// Percent of 1 (0.25 → "25%").
        case percent
        /// Seconds since the epoch, UTC: dates ("Oct 05") or times ("14:00") as the span suits.
        case epochSeconds
        /// Seconds from a start: "0h", "1h30".
        case offsetSeconds
        /// The hours 0–23 of a day: "00:00", "06:00"; the axis spans 0 to 23.
        case hourOfDay
    }

    public var title: String
    /// The unit, shown in parentheses after the title: "ms", "USD", "requests/min".
    public var unit: String
    public var scale: Scale
    public var labels: Labels
    /// Force the axis to include zero (bars always do).
    public var includesZero: Bool

    public init(_ title: String, unit: String, scale: Scale = .linear, labels: Labels = .number, includesZero: Bool = true) {
        self.title = title
        self.unit = unit
        self.scale = scale
        self.labels = labels
        self.includesZero = includesZero
    }

    /// "Latency (ms, log scale)".
    public var fullTitle: String {
        let u = unit + (scale == .log ? (unit.isEmpty ? "log scale" : ", log scale") : "")
        return u.isEmpty ? title : "\(title) (\(u))"
    }
}

/// A named sequence of points.
public struct Series: Sendable, Equatable {
    public var name: String
    public var points: [Point]
    /// Dashed line (e.g. a forecast or the "before" run).
    public var dashed: Bool

    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
    }

    public init(_ name: String, _ points: [Point], dashed: Bool = false) {
        self.name = name
        self.points = points
        self.dashed = dashed
    }

    /// Values by category index (x = 0, 1, 2 …), for bar charts.
    public init(_ name: String, values: [Double]) {
        self.init(name, values.enumerated().map { Point(Double($0.offset), $0.element) })
    }
}

/// One bar of a tornado chart: the outcome when an input is at its low and its high value.
public struct TornadoRow: Sendable, Equatable {
    public var label: String
    public var low: Double
    public var high: Double
    public init(_ label: String, low: Double, high: Double) {
        self.label = label
        self.low = low
        self.high = high
    }
}
