import MosaicCore

/// The rows a series is read from (``SeriesFile/read(path:gaps:id:resample:timeColumn:valueColumn:)``):
/// a CSV file's records, or the points of a JSON file (``JSONSeriesRows``), as fields of bytes
/// under a header of names.
protocol SeriesRows: AnyObject {
    /// Advances to the next row; false after the last.
    func next() throws(IngestError) -> Bool
    /// The current row's fields.
    var fieldCount: Int { get }
    func field(_ i: Int) -> UnsafeRawBufferPointer
    /// Where the current row is, for messages: its line (or, in a JSON document, its record).
    var recordLine: Int { get }
    /// What a row is called where messages name it by ``recordLine``: "line" (a CSV file, JSON
    /// Lines) or "record" (a JSON document).
    var rowNoun: String { get }
    /// Whether the header's names are a JSON object's keys rather than a CSV file's columns.
    var namesAreKeys: Bool { get }
    /// The field delimiter of a CSV file (a number's decimal mark follows from it); a comma for JSON.
    var delimiter: UInt8 { get }
}

extension CSVReader: SeriesRows {
    var fieldCount: Int { fields.count }
    var rowNoun: String { "line" }
    var namesAreKeys: Bool { false }
}

/// The points of a JSON series file, as rows under a header:
///
/// - an array of objects (pandas' `to_json(orient="records")`), or JSON Lines of objects (its
///   `lines=True`): the keys of the first object are the header, as a CSV file's first line;
/// - an array of `[time, value]` pairs;
/// - Prometheus's HTTP API answer to a range query (`/api/v1/query_range`): the one series of
///   its matrix result, `[unix seconds, "value"]` pairs;
/// - Datadog's answer to a metrics query (`/api/v1/query`): the `pointlist` of its one series,
///   `[milliseconds, value]` pairs;
/// - Graphite's render API (`format=json`): the `datapoints` of its one target, `[value, unix
///   seconds]` pairs;
/// - InfluxDB 1.x's answer to `/query`: its one series' `columns` and `values` (the `time`
///   column is the timestamp);
/// - CloudWatch's, as the AWS command line writes it: `get-metric-data`'s one result
///   (`Timestamps` beside `Values`), or `get-metric-statistics`' `Datapoints` (in time order
///   once read; a column a statistic, `Unit` left out);
/// - an object of time → value (a pandas Series' `to_json()`), or of columns each an object of
///   time → value (a DataFrame's): the header is `timestamp` and the column names.
///
/// A value is a number, a string holding one, or null (a missing point); a time is anything a
/// CSV file's timestamp may be, as a string or a number (pandas writes milliseconds since the
/// epoch). Rows of JSON Lines are named by their line; the others by their record, counted
/// from 1 (``rowNoun``).
final class JSONSeriesRows: SeriesRows {
    let header: [String]
    /// "line" for JSON Lines, "record" for a JSON document.
    let rowNoun: String
    var namesAreKeys: Bool { true }
    /// Every row's fields, one after another, and where each field of each row is in it.
    private var text: [UInt8] = []
    private var fields: [[Range<Int>]] = []
    private var positions: [Int] = []
    private var current = -1
    /// `text` where the fields point, made when the rows are first read.
    private var storage: UnsafeMutableRawBufferPointer?

    var fieldCount: Int { fields[current].count }
    var recordLine: Int { positions[current] }
    var delimiter: UInt8 { UInt8(ascii: ",") }

    func next() throws(IngestError) -> Bool {
        if storage == nil {
            let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(text.count, 1), alignment: 1)
            b.copyBytes(from: text)
            storage = b
        }
        current += 1
        return current < fields.count
    }

    func field(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage![fields[current][i]])
    }

    deinit { storage?.deallocate() }

    /// Adds a row of fields, at `position` (its record or line).
    private func append(_ row: [[UInt8]], at position: Int) {
        fields.append(row.map { f in
            defer { text.append(contentsOf: f) }
            return text.count..<(text.count + f.count)
        })
        positions.append(position)
    }

    /// The rows of the JSON text `bytes` of `path`.
    init(path: String, bytes: [UInt8]) throws(IngestError) {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes, uniqueKeys: true)
        } catch let whole {
            if whole.duplicateKey != nil { throw .json(whole, path: path) }
            // JSON Lines: one object a line (the first line an object in itself).
            let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            guard let first = lines.first, case .success(let members) = JSONLine.object(first) else {
                throw .file(path: path, reason: "line \(whole.line), column \(whole.column): \(whole.reason) (a JSON series file is one JSON document, or JSON Lines)")
            }
            var objects: [(line: Int, members: [JSONValue.Member])] = [(1, members)]
            for (k, line) in lines.enumerated().dropFirst() where !JSONLine.isBlank(line) {
                objects.append((k + 1, try JSONLine.object(line, path: path, line: k + 1)))
            }
            rowNoun = "line"
            header = objects[0].members.map(\.key)
            try add(records: objects, path: path)
            return
        }
        rowNoun = "record"
        if let answer = try Self.monitoringSeries(document, path: path) {
            header = answer.header
            for row in answer.rows { append(row.fields, at: row.position) }
            return
        }
        switch document {
        case .array(let items):
            if items.allSatisfy({ if case .object = $0 { true } else { false } }), case .object(let first)? = items.first {
                header = first.map(\.key)
                try add(records: items.enumerated().map { ($0 + 1, $1.objectValue ?? []) }, path: path)
            } else {
                header = ["timestamp", "value"]
                for (k, row) in try Self.pairs(items, path: path, what: "the array").enumerated() { append(row, at: k + 1) }
            }
        case .object(let members):
            if !members.isEmpty, members.allSatisfy({ if case .object = $0.value { true } else { false } }) {
                // Columns of time → value (a DataFrame): the times of the first column, in its order.
                header = ["timestamp"] + members.map(\.key)
                let columns = members.map { Dictionary(($0.value.objectValue ?? []).map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }) }
                for (k, time) in (members[0].value.objectValue ?? []).enumerated() {
                    var row = [Array(time.key.utf8)]
                    for (c, column) in columns.enumerated() {
                        row.append(try Self.scalar(column[time.key] ?? .null, path: path, at: "record \(k + 1), key '\(members[c].key)'"))
                    }
                    append(row, at: k + 1)
                }
            } else {
                header = ["timestamp", "value"]
                for (k, member) in members.enumerated() {
                    append([Array(member.key.utf8), try Self.scalar(member.value, path: path, at: "record \(k + 1), key '\(member.key)'")], at: k + 1)
                }
            }
        default:
            throw .file(path: path, reason: "the JSON document is \(document.kindName); a series is an array of points or an object of them")
        }
    }

    private func add(records: [(Int, [JSONValue.Member])], path: String) throws(IngestError) {
        for (position, members) in records {
            let values = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            var row: [[UInt8]] = []
            for key in header {
                row.append(try Self.scalar(values[key] ?? .null, path: path, at: "\(rowNoun) \(position), key '\(key)'"))
            }
            append(row, at: position)
        }
    }

    /// The rows of an array of `[time, value]` pairs (`[value, time]` with `valueFirst`, as
    /// Graphite writes them), as `[time, value]`.
    static func pairs(_ items: [JSONValue], path: String, what: String, valueFirst: Bool = false) throws(IngestError) -> [[[UInt8]]] {
        var rows: [[[UInt8]]] = []
        for (k, item) in items.enumerated() {
            guard case .array(let pair) = item, pair.count == 2 else {
                throw .file(path: path, reason: "record \(k + 1) of \(what) is \(item.kindName); a series is an array of [time, value] pairs or of objects")
            }
            let (time, value) = valueFirst ? (pair[1], pair[0]) : (pair[0], pair[1])
            rows.append([try scalar(time, path: path, at: "record \(k + 1), time"),
                         try scalar(value, path: path, at: "record \(k + 1), value")])
        }
        return rows
    }

    /// The bytes a CSV field would hold for `value`: a string's text, a number's literal, empty
    /// for null.
    static func scalar(_ value: JSONValue, path: String, at place: String) throws(IngestError) -> [UInt8] {
        switch value {
        case .string(let s): return Array(s.utf8)
        case .number(let n): return Array(n.utf8)
        case .null: return []
        default: throw .file(path: path, reason: "\(place): \(value.kindName) is not a time or a value")
        }
    }
}
