/// A rendered-format-independent report: a title, some sections of text, tables and charts.
///
/// Every format (Markdown, HTML, CSV, JSON, SVG) is rendered from this one value, so they
/// always agree. A report holds no clock reading: the same inputs give the same bytes.
public struct Report: Sendable, Equatable {
    /// The file stem, e.g. `roi`: files are `roi.md`, `roi.html`, `roi.json`, `roi-<table>.csv`.
    public var name: String
    public var title: String
    /// One line under the title: what the report covers.
    public var subtitle: String
    /// The inputs, as label/value pairs (shown at the top and written into the JSON).
    public var inputs: [(label: String, value: String)] = []
    public var sections: [ReportSection] = []

    public static func == (a: Report, b: Report) -> Bool {
        a.name == b.name && a.title == b.title && a.subtitle == b.subtitle && a.sections == b.sections
            && a.inputs.map(\.label) == b.inputs.map(\.label) && a.inputs.map(\.value) == b.inputs.map(\.value)
    }

    /// Every table of every section, in order.
    public var tables: [ReportTable] {
        sections.flatMap { $0.blocks.compactMap { if case .table(let t) = $0 { return t } else { return nil } } }
    }

    /// Every chart of every section, in order.
    public var charts: [Chart] {
        sections.flatMap { $0.blocks.compactMap { if case .chart(let c) = $0 { return c } else { return nil } } }
    }

    /// The table with this id, if any.
    public func table(_ id: String) -> ReportTable? { tables.first { $0.id == id } }
}

/// A heading and what goes under it.
public struct ReportSection: Sendable, Equatable {
    public var title: String
    public var blocks: [ReportBlock]

    public init(_ title: String, _ blocks: [ReportBlock] = []) {
        self.title = title
        self.blocks = blocks
    }
}

/// One piece of a section.
public enum ReportBlock: Sendable, Equatable {
    /// A paragraph. `**bold**` and `` `code` `` are the only markup, rendered in both formats.
    case text(String)
    /// A bulleted list.
    case list([String])
    /// Key figures shown large in HTML and as a bold list in Markdown.
    case figures([KeyFigure])
    case table(ReportTable)
    case chart(Chart)
}

/// A headline number: "Payback 4.34 months".
public struct KeyFigure: Sendable, Equatable {
    public var label: String
    public var value: String
    public var note: String?

    public init(_ label: String, _ value: String, note: String? = nil) {
        self.label = label
        self.value = value
        self.note = note
    }
}
