import MosaicCore

/// A table: what the Markdown and HTML show (rounded, grouped) and what CSV and JSON carry
/// (every digit: exact money as decimal text, doubles to 12 significant digits in shortest form).
public struct ReportTable: Sendable, Equatable {
    /// File-safe id, unique within a report: the CSV is `<report>-<id>.csv`.
    public var id: String
    public var title: String
    public var columns: [Column]
    public var rows: [[Cell]]
    /// A line under the table (conventions, sources).
    public var note: String?

    public init(id: String, title: String, columns: [Column], rows: [[Cell]] = [], note: String? = nil) {
        precondition(id.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }, "table id must be file-safe: \(id)")
        self.id = id
        self.title = title
        self.columns = columns
        self.rows = rows
        self.note = note
    }

    public struct Column: Sendable, Equatable {
        /// snake_case name used in CSV headers and JSON keys; carries the unit (`cost_usd`).
        public var name: String
        /// Heading shown in Markdown and HTML ("Cost (USD)").
        public var label: String
        public var numeric: Bool

        public init(_ name: String, _ label: String, numeric: Bool = false) {
            self.name = name
            self.label = label
            self.numeric = numeric
        }
    }

    /// Appends a row; its length must match the columns.
    public mutating func append(_ row: [Cell]) {
        precondition(row.count == columns.count, "\(id): row has \(row.count) cells for \(columns.count) columns")
        rows.append(row)
    }

    /// The raw values of a column, for tests and charts.
    public func values(_ column: String) -> [Cell.Value] {
        guard let i = columns.firstIndex(where: { $0.name == column }) else { return [] }
        return rows.map { $0[i].value }
    }
}

/// A table cell: the text people read and the value machines read.
public struct Cell: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case text(String)
        case int(Int)
        case number(Double)
        /// An exact decimal (money): written as a JSON string so no reader rounds it.
        case decimal(String)
        case bool(Bool)
        case null
    }

    public var display: String
    public var value: Value

    public static func text(_ s: String) -> Cell { Cell(display: s, value: .text(s)) }
    public static func int(_ v: Int) -> Cell { Cell(display: NumberFormat.grouped(v), value: .int(v)) }
    /// A double shown with `places` decimals (grouped); nil and non-finite become "–" / null.
    public static func number(_ v: Double?, places: Int, suffix: String = "") -> Cell {
        guard let v, v.isFinite else { return Cell(display: "–", value: .null) }
        return Cell(display: NumberFormat.fixed(v, places: places) + suffix, value: .number(v))
    }
    /// A fraction shown as a percentage with `places` decimals; the value stays the fraction × 100.
    public static func percent(_ fraction: Double?, places: Int) -> Cell {
        guard let f = fraction, f.isFinite else { return Cell(display: "–", value: .null) }
        return Cell(display: NumberFormat.fixed(f * 100, places: places) + "%", value: .number(f * 100))
    }
    /// Exact money shown rounded to `places` (grouped); CSV and JSON carry every digit.
    public static func money(_ m: Money, places: Int = 2) -> Cell {
        Cell(display: NumberFormat.grouped(m.formatted(places: places)), value: .decimal(m.description))
    }
    public static let empty = Cell(display: "–", value: .null)
}

