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

    /// The most intervals a resampled file may span: a million, as `mosaic series` grants a
    /// window (two years of minutes).
    public static let maximumIntervals: Int64 = 1_000_000

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
        // What the header and its columns are called, and where a row is, in messages.
        let json = reader.namesAreKeys, noun = reader.rowNoun
        let (theHeader, names, column, its) = json ? ("the keys", "name", "key", "the") : ("the header", "names", "column", "its")
        let header = firstLine.map { $0.lowercased() }
        func named(_ name: String) throws(IngestError) -> Int {
            guard let i = header.firstIndex(of: name.lowercased()) else {
                throw .file(path: path, reason: "\(json ? "" : "line 1: ")no \(column) '\(name)' (the \(column)s here: \(CSVReader.listing(header)))")
            }
            return i
        }
        // (`_time` and `_value`: a Flux answer's, InfluxDB 2's CSV.)
        var ct = try timeColumn.map(named) ?? header.firstIndex(of: "timestamp") ?? header.firstIndex(of: "ds") ?? header.firstIndex(of: "_time")
        var cv = try valueColumn.map(named) ?? header.firstIndex(of: "value") ?? header.firstIndex(of: "y") ?? header.firstIndex(of: "_value")
        // A date and an hour in two columns (`date,hour,sessions`, as analytics tools export
        // them): the time is the date plus the hour, and of three columns the third is the value.
        var hourColumn: Int?
        if ct == nil, let h = header.firstIndex(of: "hour"), let d = header.firstIndex(where: { $0 == "date" || $0 == "day" }) {
            (ct, hourColumn) = (d, h)
            if cv == nil && header.count == 3 { cv = 3 - d - h }
        }
        // Of two columns, the one the header does not name is the other (`time,value`,
        // `timestamp,requests`); two it names neither (`hour,requests`, a pandas index without
        // a name) are the time and the value, in that order, and a first line that is a point
        // itself (a file without a header) is the first point.
        // Of three columns whose first has no name (pandas' index, written by `to_csv()` without
        // `index=False`), that one is left out and the other two are read as two.
        var guessNote = ""
        var headerless = false
        let pandasIndex = !json && header.count == 3 && header[0].isEmpty
        let (first, second) = pandasIndex ? (1, 2) : (0, 1)
        let other = { (i: Int) in i == first ? second : first }
        if (header.count == 2 || pandasIndex) && (ct == nil || cv == nil) {
            let index = pandasIndex ? "\(its) first \(column), unnamed, is taken for pandas' index and left out; " : ""
            switch (ct, cv) {
            case (nil, let v?):
                ct = other(v)
                guessNote = " (\(index)\(theHeader) \(names) no timestamp \(column), so \(its) other \(column) is read as the time; name yours with --time-column)"
            case (let t?, nil):
                cv = other(t)
                guessNote = " (\(index)\(theHeader) \(names) no value \(column), so \(its) other \(column) is read as the value; name yours with --value-column)"
            default:
                (ct, cv) = (first, second)
                headerless = !json && !pandasIndex && isPoint(firstLine[0], firstLine[1])
                guessNote = headerless
                    ? " (the file has no header: its first column is read as the time and the second as the value)"
                    : " (\(index)\(theHeader) \(names) neither a timestamp nor a value \(column), so \(its) \(pandasIndex ? "second" : "first") \(column) is read as the time and the \(pandasIndex ? "third" : "second") as the value; name yours with --time-column and --value-column)"
            }
        }
        guard let ct, let cv else {
            throw .file(path: path, reason: "\(json ? "" : "line 1: ")\(theHeader) must name a timestamp and a value \(column) (timestamp or ds, value or y; found: \(CSVReader.listing(header))); name yours with --time-column and --value-column")
        }
        let tName = headerless ? "1" : header[ct], vName = headerless ? "2" : header[cv], cid = header.firstIndex(of: "unique_id")
        if let id, cid == nil {
            throw .file(path: path, reason: "\(json ? "" : "line 1: ")no unique_id \(column) to choose the series '\(id)' by")
        }
        // With a `unique_id` column: the series read (the first row's when `id` is nil), and the
        // other ids met (at most a few, for the message).
        var chosen = id, others: [String] = []
        // A Flux answer's `table` column (InfluxDB 2's CSV), and the table read.
        let fluxTable = !json && header.contains("_time") ? header.firstIndex(of: "table") : nil
        var firstTable: String?
        var times: [Int64] = [], values: [Double] = [], lines: [Int] = []
        // Points whose timestamp or value the column's other points must help read: dates with
        // slashes or dots (is 01/08 in August or January?) and numbers with separators (is
        // 1,234 a thousand or one?). They are read when the column has been (`resolveWritten`).
        var writtenDates: [(index: Int, date: WrittenDate)] = []
        var writtenNumbers: [(index: Int, text: [UInt8])] = [], dotted: [(index: Int, text: [UInt8])] = []
        let semicolons = reader.delimiter == UInt8(ascii: ";")
        func take(_ timeField: UnsafeRawBufferPointer, _ valueField: UnsafeRawBufferPointer,
                  hour hourField: UnsafeRawBufferPointer? = nil, line: Int) throws(IngestError) {
            // Spaces around a field (`2024-01-01 00:00, 5`) are not part of it.
            let tb = trimmed(timeField), vb = trimmed(valueField), hb = hourField.map(trimmed)
            var hour: Int64 = 0
            if let hb, let hourColumn {
                guard let h = ByteParsing.int(hb), (0...23).contains(h) else {
                    throw .row(file: path, line: line, column: header[hourColumn], reason: "'\(ByteParsing.excerpt(hb))' is not an hour (0 to 23)")
                }
                hour = Int64(h) * 3600 * Timestamp.microsPerSecond
            }
            var ts = time(tb).map { $0 + hour }
            if ts == nil, var date = WrittenDate.parse(tb) {
                date.timeOfDay += hour
                writtenDates.append((times.count, date))
                ts = 0
            }
            guard let ts else {
                throw .row(file: path, line: line, column: tName,
                           reason: "'\(ByteParsing.excerpt(tb))' is not a timestamp (\(timestampForms))" + guessNote)
            }
            // An empty value kept missing (or one written as missing: `NA`, `NaN`, `null`…), a
            // plain number, or one its column must help read.
            var value = vb.count == 0 ? nil : ByteParsing.double(vb)
            let blank = value == nil && (vb.count == 0 || SeriesFile.isMissingMarker(vb))
            if blank {
                if gaps == .missing { value = .nan }
            } else if value == nil, vb.contains(UInt8(ascii: ",")) {
                writtenNumbers.append((times.count, Array(vb)))
                value = .nan
            } else if value != nil, semicolons, vb.contains(UInt8(ascii: ".")) {
                dotted.append((times.count, Array(vb)))
            }
            guard let value else {
                let what = vb.count == 0 ? "is empty"
                    : "'\(ByteParsing.excerpt(vb))' " + (blank ? "marks a missing value" : "is not a finite number")
                throw .row(file: path, line: line, column: vName, reason: what + guessNote)
            }
            times.append(ts)
            values.append(value)
            lines.append(line)
        }
        func resolveWritten() throws(IngestError) {
            if !writtenDates.isEmpty {
                let order: WrittenDate.Order
                switch WrittenDate.order(of: writtenDates) {
                case .success(let o): order = o
                case .failure(let c):
                    throw .row(file: path, line: lines[c.dayFirst], column: tName,
                               reason: "puts the day first (its first number is over 12), but \(noun) \(lines[c.monthFirst]) puts the month first (its second is); a column's dates must be written one way")
                }
                for (k, date) in writtenDates {
                    guard let t = date.micros(order) else {
                        throw .row(file: path, line: lines[k], column: tName,
                                   reason: "is not a date written \(order.rawValue), as the column's other dates are")
                    }
                    times[k] = t
                }
            }
            guard !writtenNumbers.isEmpty else { return }
            let style = NumberStyle(delimiter: reader.delimiter)
            func reread(_ k: Int, _ text: [UInt8]) throws(IngestError) {
                guard let v = text.withUnsafeBytes({ style.parse($0) }) else {
                    throw .row(file: path, line: lines[k], column: vName,
                               reason: "'\(String(decoding: text, as: UTF8.self))' is not a number written with \(style.name)" + guessNote)
                }
                values[k] = v
            }
            for (k, text) in writtenNumbers { try reread(k, text) }
            if style == .decimalComma {
                for (k, text) in dotted { try reread(k, text) }
            }
        }
        if headerless {
            let t = Array(firstLine[0].utf8), v = Array(firstLine[1].utf8)
            try t.withUnsafeBytes { tb in
                v.withUnsafeBytes { vb in Result { () throws(IngestError) in try take(tb, vb, line: 1) } }
            }.get()
        }
        while try reader.next() {
            let line = reader.recordLine
            // A row of empty fields (`,,`, as spreadsheets leave below their data) is a blank line.
            if !json, (0..<reader.fieldCount).allSatisfy({ reader.field($0).count == 0 }) { continue }
            // A Flux answer of several tables: one after another in the `table` column, or after
            // a blank line under a header (and annotation rows) of its own.
            if let fluxTable, reader.fieldCount > max(ct, fluxTable) {
                let table = ByteParsing.text(reader.field(fluxTable))
                if firstTable == nil { firstTable = table }
                if table != firstTable || Self.fluxAnnotations.contains(ByteParsing.text(reader.field(0))) {
                    throw .file(path: path, reason: "line \(line): a second table starts here: the Flux answer holds several; query one, for example with |> group()")
                }
            }
            guard reader.fieldCount == header.count else {
                throw .row(file: path, line: line, column: nil, reason: "has \(reader.fieldCount) fields, the header has \(header.count)")
            }
            if let cid {
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
            try take(reader.field(ct), reader.field(cv), hour: hourColumn.map { reader.field($0) }, line: line)
        }
        try resolveWritten()
        if let id, times.isEmpty {
            throw .file(path: path, reason: "no rows of the series '\(id)' (unique_id here: \(others.joined(separator: ", ")))")
        }
        // Time order: oldest first, or newest first as dashboards and `ORDER BY ts DESC` export
        // (read reversed). The file's first and last timestamps say which it claims.
        let newestFirst = times.count >= 2 && times[times.count - 1] < times[0]
        for i in times.indices.dropFirst() {
            let (a, b) = (times[i - 1], times[i])
            guard newestFirst ? (b > a || (b == a && resample == nil)) : (b < a || (b == a && resample == nil)) else { continue }
            throw .row(file: path, line: lines[i], column: tName,
                       reason: "\(Timestamp.format(b)) does not come \(newestFirst ? "before" : "after") \(Timestamp.format(a)); the series must be in time order"
                           + (newestFirst ? " (newest first, as its last \(noun) is older than its first)" : "")
                           + (resample == nil ? " without repeats (--resample gathers repeated or irregular timestamps into intervals)" : ""))
        }
        if newestFirst {
            times.reverse()
            values.reverse()
            lines.reverse()
        }
        if let resample {
            (times, values, lines) = gather(times, values, lines, resample)
            if let k = values.firstIndex(where: { $0.isInfinite }) {
                throw .row(file: path, line: lines[k], column: vName,
                           reason: "the interval from \(Timestamp.format(times[k])) sums to more than a Double holds (±1.8e308)")
            }
        }
        guard times.count >= 2 else { throw .file(path: path, reason: "a series needs at least two points") }
        var interval = resample?.interval ?? Int64.max
        if resample == nil {
            for i in 1..<times.count { interval = min(interval, times[i] - times[i - 1]) }
        }
        let grid = (times[times.count - 1] - times[0]) / interval + 1
        if let resample {
            // The intervals were chosen: their gaps are missing points like any others, but
            // a file may not ask for more memory than `mosaic series` grants a window.
            if grid > maximumIntervals {
                throw .file(path: path, reason: "the points span \(grid) intervals of \(resample.interval / 1_000_000) s, more than \(maximumIntervals); choose a longer --resample")
            }
        } else if grid > 2 * Int64(times.count) {
            // Irregular sampling (points minutes apart at uneven spacing) leaves most of the
            // smallest spacing's grid empty: refused rather than fitted as a grid of holes.
            throw .file(path: path, reason: "the timestamps are irregular: on the smallest spacing (\(interval / 1_000_000) s) \(grid - Int64(times.count)) of \(grid) points would be missing; gather them into intervals with --resample (the most common spacing here is \(mostCommonGap(times) / 1_000_000) s) and --aggregate mean|sum")
        }
        var out: [Double] = []
        out.reserveCapacity(values.count)
        var filled = 0
        out.append(values[0])
        for i in 1..<times.count {
            let gap = times[i] - times[i - 1]
            guard gap % interval == 0 else {
                throw .row(file: path, line: lines[i], column: tName,
                           reason: "\(Timestamp.format(times[i])) is off the series' grid of \(interval / 1_000_000) s")
            }
            let missing = Int(gap / interval) - 1
            if missing > 0 {
                switch gaps {
                case .error:
                    throw .row(file: path, line: lines[i], column: tName,
                               reason: "\(missing) point\(missing == 1 ? "" : "s") missing before \(Timestamp.format(times[i])) (spacing \(interval / 1_000_000) s); fill them or pass --fill-gaps missing|zero|linear")
                case .zero:
                    out.append(contentsOf: repeatElement(0, count: missing))
                case .missing:
                    out.append(contentsOf: repeatElement(.nan, count: missing))
                case .linear:
                    let a = values[i - 1], b = values[i]
                    for k in 1...missing { out.append(a + (b - a) * Double(k) / Double(missing + 1)) }
                }
                filled += missing
            }
            out.append(values[i])
        }
        var start = times[0]
        if gaps == .missing {
            // Empty values before the first number are not a gap in the series: it starts there.
            guard let first = out.firstIndex(where: { !$0.isNaN }) else {
                throw .file(path: path, reason: "the column \(vName) has no values, only empty ones")
            }
            out.removeFirst(first)
            start += Int64(first) * interval
            filled = out.count { $0.isNaN }
        }
        return LoadedSeries(start: start, interval: interval, values: out, filled: filled)
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

    /// The words that mark a missing value, as pandas' `read_csv` reads them by default (R writes
    /// `NA`, numpy `nan`, spreadsheets `#N/A`, JSON-minded exporters `null`).
    static let missingMarkers: Set<[UInt8]> = Set([
        "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
        "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
    ].map { Array($0.utf8) })

    /// Whether a value field is one of ``missingMarkers``.
    static func isMissingMarker(_ b: UnsafeRawBufferPointer) -> Bool {
        b.count <= 9 && missingMarkers.contains(Array(b))
    }

    /// The timestamps a series file may hold, for messages.
    static let timestampForms = "ISO 8601, a date such as 08/01/2021 07:00, 01.08.2021 07:00 or 2021080107, or unix seconds or milliseconds"

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
