import Foundation
import MosaicCore

/// A regular series read from a file.
public struct LoadedSeries: Sendable, Equatable {
    /// The first timestamp, µs.
    public var start: Int64
    /// The spacing, µs.
    public var interval: Int64
    public var values: [Double]
    /// How many missing points were filled (see ``SeriesFile/GapPolicy``).
    public var filled: Int

    public func timestamp(_ i: Int) -> Int64 { start + Int64(i) * interval }
}

/// Reads `timestamp,value` CSV files (any metric a user wants to forecast).
///
/// The header names the columns (`timestamp` and `value`, in any order; other columns are
/// ignored; of two columns, the one the header does not name is the other, and a file without a
/// header reads from its first line). statsforecast's and Prophet's long format reads too: `ds`
/// and `y` are the timestamp and the value, and a `unique_id` column names the series, so that a
/// file of several series gives the one `id` chooses. So does InfluxDB 2's CSV of a Flux query
/// (`_time` and `_value`, its annotation rows passed over; one table). Timestamps are ISO 8601
/// (a space or `T`, with or without an offset; none means UTC), an access log's
/// (`01/Aug/1995:14:00:00 -0400`), or unix seconds or milliseconds, and must
/// increase, or decrease throughout (a newest-first export reads reversed); the spacing is the
/// smallest gap between consecutive timestamps, and every timestamp must sit on that grid.
/// Missing points are an error unless a gap policy fills them. A tab- or semicolon-separated
/// file reads as well (``CSVReader``).
public enum SeriesFile {
    public enum GapPolicy: String, Sendable, CaseIterable {
        /// A missing point is an error naming the line after the gap.
        case error
        /// Missing points are zeros (counts: nothing happened).
        case zero
        /// Missing points are interpolated linearly between their neighbours.
        case linear
        /// Missing points and empty values are kept as missing (NaN), for the forecasters'
        /// hygiene to replace from the seasonal profile (``LoadedSeries/filled`` counts both).
        case missing
    }

    /// Points gathered into intervals of a fixed length (for irregular or repeated timestamps,
    /// or a finer step than the forecast needs).
    public struct Resampling: Sendable, Equatable {
        public enum Aggregate: String, Sendable, CaseIterable {
            /// The mean of the interval's points: levels (latency, CPU, speed).
            case mean
            /// Their sum: counts (requests, bytes). A first or last interval that the points
            /// do not cover whole would read as a dip, so it is left out.
            case sum
        }

        /// The interval, µs; intervals start at whole multiples of it since the epoch (UTC).
        public var interval: Int64
        public var aggregate: Aggregate

        public init(interval: Int64, aggregate: Aggregate) {
            self.interval = interval
            self.aggregate = aggregate
        }
    }

    /// The most intervals a series file may span, resampled or not: a million, as `mosaic
    /// series` grants a window (two years of minutes).
    public static let maximumIntervals: Int64 = 1_000_000

    /// The largest magnitude a series value may have: 10¹⁵⁰, so that the squares and sums the
    /// forecasters and the anomaly detector take stay finite (a series of values near 10³⁰⁷
    /// printed empty interval bounds and a MASE of 0, with exit 0). Far above any load or cost.
    public static let largestValue = 1e150

    /// Reads the series in `path` (``standardInput``: standard input); with a `unique_id` column,
    /// the series `id` names (nil: the file must hold one series). With `resample`, timestamps may repeat and need not sit on a
    /// grid: the points are gathered into its intervals, and an interval without points is a
    /// missing point.
    ///
    /// `timeColumn` and `valueColumn` name the columns in a file whose header says neither
    /// `timestamp`/`ds` nor `value`/`y` (case does not matter).
    public static func read(path: String, gaps: GapPolicy = .error, id: String? = nil,
                            resample: Resampling? = nil, timeColumn: String? = nil,
                            valueColumn: String? = nil) throws(IngestError) -> LoadedSeries {
        if let resample, resample.interval <= 0 {
            throw .file(path: path, reason: "the resampling interval must be positive, not \(resample.interval) µs")
        }
        if path == standardInput {
            // Read twice (to see whether it is JSON, then to read it), so kept in a scratch file.
            let scratch = try InputFile.copyStandardInput()
            defer { unlink(scratch) }
            do {
                return try read(path: scratch, gaps: gaps, id: id, resample: resample, timeColumn: timeColumn, valueColumn: valueColumn)
            } catch {
                throw error.naming(scratch, as: standardInputName)
            }
        }
        if try InputFile.startsLikeJSON(path) {
            let rows = try JSONSeriesRows(path: path, bytes: try InputFile(path: path).readAll(most: maximumJSONBytes))
            do {
                return try read(rows, header: rows.header, path: path, gaps: gaps, id: id, resample: resample,
                                timeColumn: timeColumn, valueColumn: valueColumn)
            } catch .row(let file, let record, let key, let reason) where rows.rowNoun == "record" {
                // A JSON document has no lines: its rows are named by their record.
                throw .file(path: file, reason: "record \(record)\(key.map { ", key '\($0)'" } ?? ""): \(reason)")
            }
        }
        let reader = try CSVReader(path: path)
        var header = try reader.header(expected: "timestamp,value")
        // InfluxDB 2's annotated CSV (a Flux query's answer): annotation rows above the header.
        while let first = header.first, fluxAnnotations.contains(first) {
            guard try reader.next() else { throw .file(path: path, reason: "the file holds Flux annotation rows but no header") }
            header = try reader.names()
        }
        return try read(reader, header: header, path: path, gaps: gaps, id: id,
                        resample: resample, timeColumn: timeColumn, valueColumn: valueColumn)
    }

    /// The path that stands for standard input (`mosaic forecast --series -`), and its name in
    /// messages.
    public static let standardInput = "-", standardInputName = "<stdin>"

    /// The rows InfluxDB 2 writes above a Flux answer's header in its annotated CSV.
    static let fluxAnnotations: Set<String> = ["#group", "#datatype", "#default"]

    /// The largest JSON series file read (it is parsed whole): 256 MiB.
    static let maximumJSONBytes = 256 << 20

    /// The series of `reader`'s rows under `firstLine` (a CSV file's first line, or a JSON
    /// file's keys).
    static func read(_ reader: some SeriesRows, header firstLine: [String], path: String, gaps: GapPolicy, id: String?,
                     resample: Resampling?, timeColumn: String?, valueColumn: String?) throws(IngestError) -> LoadedSeries {
        let json = reader.namesAreKeys
        let columns = try Columns(firstLine, json: json, id: id, timeColumn: timeColumn, valueColumn: valueColumn, path: path)
        var points = Points(path: path, columns: columns, gaps: gaps, semicolons: reader.delimiter == UInt8(ascii: ";"))
        if columns.headerless {
            let t = Array(firstLine[0].utf8), v = Array(firstLine[1].utf8)
            try t.withUnsafeBytes { tb in
                v.withUnsafeBytes { vb in Result { () throws(IngestError) in try points.take(tb, vb, line: 1) } }
            }.get()
        }
        // With a `unique_id` column: the series read (the first row's when `id` is nil), and the
        // other ids met (at most a few, for the message).
        var chosen = id, others: [String] = []
        // The table read, in a Flux answer (InfluxDB 2's CSV).
        var firstTable: String?
        let fieldCount = columns.names.count
        while try reader.next() {
            let line = reader.recordLine
            // A row of empty fields (`,,`, as spreadsheets leave below their data) is a blank line.
            if !json, (0..<reader.fieldCount).allSatisfy({ reader.field($0).count == 0 }) { continue }
            // A Flux answer of several tables: one after another in the `table` column, or after
            // a blank line under a header (and annotation rows) of its own.
            if let fluxTable = columns.fluxTable, reader.fieldCount > max(columns.time, fluxTable) {
                let table = ByteParsing.text(reader.field(fluxTable))
                if firstTable == nil { firstTable = table }
                if table != firstTable || Self.fluxAnnotations.contains(ByteParsing.text(reader.field(0))) {
                    throw .file(path: path, reason: "line \(line): a second table starts here: the Flux answer holds several; query one, for example with |> group()")
                }
            }
            guard reader.fieldCount == fieldCount else {
                throw .row(file: path, line: line, column: nil, reason: "has \(reader.fieldCount) fields, the header has \(fieldCount)")
            }
            if let cid = columns.uniqueID {
                let rowID = ByteParsing.text(reader.field(cid))
                if chosen == nil { chosen = rowID }
                if rowID != chosen {
                    if id == nil {
                        throw .row(file: path, line: line, column: "unique_id",
                                   reason: "'\(rowID)' is a second series after '\(chosen ?? "")'; choose one with --id")
                    }
                    if others.count < 5 && !others.contains(rowID) { others.append(rowID) }
                    continue
                }
            }
            try points.take(reader.field(columns.time), reader.field(columns.value),
                            hour: columns.hour.map { reader.field($0) }, line: line)
            // Without --resample each point is an interval of the grid: past the bound, stop
            // reading (a file of 10 million minutes took 11 GB and more than 15 minutes).
            if resample == nil, points.times.count > maximumIntervals {
                throw .file(path: path, reason: "holds more than \(maximumIntervals) points, more than a series may span (as `mosaic series` grants a window); "
                            + "gather them into longer intervals with --resample and --aggregate mean|sum")
            }
        }
        try points.resolveWritten(delimiter: reader.delimiter, noun: reader.rowNoun)
        if let id, points.times.isEmpty {
            throw .file(path: path, reason: "no rows of the series '\(id)' (unique_id here: \(others.joined(separator: ", ")))")
        }
        return try points.series(resample: resample, noun: reader.rowNoun)
    }

    /// The points gathered into `r`'s intervals: each interval that has points, at its start,
    /// with their mean or sum (NaN when all of them are missing) and the line of its first point.
    /// With `sum`, a first or last interval the points do not cover whole is left out: it starts
    /// more than the median spacing after the interval's start, or ends more than that before
    /// its end.
    static func gather(_ times: [Int64], _ values: [Double], _ lines: [Int],
                       _ r: Resampling) -> ([Int64], [Double], [Int]) {
        guard !times.isEmpty else { return ([], [], []) }
        func start(_ t: Int64) -> Int64 { t - ((t % r.interval) + r.interval) % r.interval }
        var outTimes: [Int64] = [], outValues: [Double] = [], outLines: [Int] = []
        var i = 0
        while i < times.count {
            let b = start(times[i])
            // The mean as a running mean, which cannot overflow where the values do not.
            var sum = 0.0, mean = 0.0, count = 0
            let first = i
            while i < times.count && start(times[i]) == b {
                if !values[i].isNaN {
                    count += 1
                    sum += values[i]
                    mean += (values[i] - mean) / Double(count)
                }
                i += 1
            }
            outTimes.append(b)
            outValues.append(count == 0 ? .nan : r.aggregate == .sum ? sum : mean)
            outLines.append(lines[first])
        }
        if r.aggregate == .sum && times.count >= 2 {
            var gaps = zip(times.dropFirst(), times).map { $0 - $1 }.filter { $0 > 0 }
            gaps.sort()
            let spacing = gaps.isEmpty ? 0 : gaps[gaps.count / 2]
            let cutLast = times[times.count - 1] + spacing < start(times[times.count - 1]) + r.interval
            let cutFirst = times[0] - spacing >= start(times[0])
            if cutLast && outTimes.count > 1 { outTimes.removeLast(); outValues.removeLast(); outLines.removeLast() }
            if cutFirst && outTimes.count > 1 { outTimes.removeFirst(); outValues.removeFirst(); outLines.removeFirst() }
        }
        return (outTimes, outValues, outLines)
    }

    /// `b` without the spaces and tabs at its ends.
    static func trimmed(_ b: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var lo = 0, hi = b.count
        while lo < hi, b[lo] == 32 || b[lo] == 9 { lo += 1 }
        while hi > lo, b[hi - 1] == 32 || b[hi - 1] == 9 { hi -= 1 }
        return UnsafeRawBufferPointer(rebasing: b[lo..<hi])
    }

    /// The timestamps a series file may hold, for messages.
    static let timestampForms = "ISO 8601, a date such as 08/01/2021 07:00, 01.08.2021 07:00 or 2021080107, or unix seconds or milliseconds"

    /// Why a time field does not read. A whole number in the column the file names as its time
    /// is a step index (statsforecast's long format numbers M4's points `1, 2, 3 …` in `ds`),
    /// which says neither when a point was nor how far apart two are; in a column taken by
    /// elimination (`guessedColumn`) it is more likely the wrong column, which the caller's note
    /// says.
    static func notATimestamp(_ b: UnsafeRawBufferPointer, guessedColumn: Bool) -> String {
        if !guessedColumn, !b.isEmpty, b.count <= 18, b.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            return "'\(ByteParsing.excerpt(b))' is a step number, not a timestamp (as statsforecast's long format numbers M4's points 1, 2, 3 …); "
                + "Mosaic reads the interval and the daily and weekly seasons from each point's time, so write the times "
                + "(for example 2021-08-01T07:00:00Z, 2021-08-01 07:00 or unix seconds such as 1627801200)"
        }
        return "'\(ByteParsing.excerpt(b))' is not a timestamp (\(timestampForms))"
    }

    /// A series timestamp: ISO 8601 (also its basic format, `20210801T0700`, and the compact
    /// dates of ``WrittenDate/compact(_:)``), an access log's (``WrittenDate/accessLog(_:)``) or
    /// unix seconds or milliseconds, in µs.
    static func time(_ b: UnsafeRawBufferPointer) -> Int64? {
        Timestamp.parse(b) ?? WrittenDate.compact(b) ?? WrittenDate.accessLog(b) ?? unixTime(b)
    }

    /// Whether a header's two fields are a point (a timestamp and a number): a file without a header.
    static func isPoint(_ time: String, _ value: String) -> Bool {
        var (t, v) = (time, value)
        return t.withUTF8 { tb in
            let tb = UnsafeRawBufferPointer(tb)
            return (Self.time(tb) != nil || WrittenDate.parse(tb) != nil) && v.withUTF8 { ByteParsing.double(UnsafeRawBufferPointer($0)) != nil }
        }
    }

    /// Unix time as monitoring tools export it: seconds (9–10 whole digits: `1627801200`, or
    /// Prometheus's `1627801200.5`) or milliseconds (12–13 whole digits, as JavaScript and
    /// Grafana write them), in µs; nil for anything else. Fractions beyond microseconds are
    /// truncated.
    static func unixTime(_ b: UnsafeRawBufferPointer) -> Int64? {
        func digit(_ i: Int) -> Int64? { b[i] >= 48 && b[i] <= 57 ? Int64(b[i] - 48) : nil }
        var i = 0, whole: Int64 = 0, wholeDigits = 0
        while i < b.count, wholeDigits < 13, let d = digit(i) { whole = whole * 10 + d; wholeDigits += 1; i += 1 }
        var fraction: Int64 = 0, places = 0   // the fraction of the unit, in millionths
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, let d = digit(i) {
                if places < 6 { fraction = fraction * 10 + d; places += 1 }
                i += 1
            }
            if i == start { return nil }
        }
        guard i == b.count else { return nil }
        while places < 6 { fraction *= 10; places += 1 }
        switch wholeDigits {
        case 9...10: return whole * 1_000_000 + fraction
        case 12...13: return whole * 1_000 + fraction / 1_000
        default: return nil
        }
    }

    /// The most common spacing between consecutive timestamps (the smallest of equals).
    static func mostCommonGap(_ times: [Int64]) -> Int64 {
        var counts: [Int64: Int] = [:]
        for (a, b) in zip(times, times.dropFirst()) where b > a { counts[b - a, default: 0] += 1 }
        return counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? 0
    }
}
