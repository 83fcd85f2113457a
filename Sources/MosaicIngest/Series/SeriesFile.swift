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
/// ignored). statsforecast's and Prophet's long format reads too: `ds` and `y` are the
/// timestamp and the value, and a `unique_id` column names the series, so that a file of
/// several series gives the one `id` chooses. Timestamps are ISO 8601 (a space or `T`, with or
/// without an offset; none means UTC) and must increase; the spacing is the smallest gap between
/// consecutive timestamps, and every timestamp must sit on that grid. Missing points are an
/// error unless a gap policy fills them.
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

    /// Reads the series in `path`; with a `unique_id` column, the series `id` names (nil: the
    /// file must hold one series).
    public static func read(path: String, gaps: GapPolicy = .error, id: String? = nil) throws(IngestError) -> LoadedSeries {
        let reader = try CSVReader(path: path)
        let header = try reader.header(expected: "timestamp,value").map { $0.lowercased() }
        guard let ct = header.firstIndex(of: "timestamp") ?? header.firstIndex(of: "ds"),
              let cv = header.firstIndex(of: "value") ?? header.firstIndex(of: "y") else {
            throw .file(path: path, reason: "line 1: the header must name a timestamp and a value column (timestamp or ds, value or y; found: \(header.joined(separator: ", ")))")
        }
        let tName = header[ct], vName = header[cv], cid = header.firstIndex(of: "unique_id")
        if let id, cid == nil {
            throw .file(path: path, reason: "line 1: no unique_id column to choose the series '\(id)' by")
        }
        // With a `unique_id` column: the series read (the first row's when `id` is nil), and the
        // other ids met (at most a few, for the message).
        var chosen = id, others: [String] = []
        var times: [Int64] = [], values: [Double] = [], lines: [Int] = []
        while try reader.next() {
            let line = reader.recordLine
            guard reader.fields.count == header.count else {
                throw .row(file: path, line: line, column: nil, reason: "has \(reader.fields.count) fields, the header has \(header.count)")
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
            let tb = reader.field(ct), vb = reader.field(cv)
            guard let ts = Timestamp.parse(tb) else {
                throw .row(file: path, line: line, column: tName, reason: "'\(ByteParsing.excerpt(tb))' is not an ISO 8601 timestamp")
            }
            if vb.count == 0 && gaps == .missing {
                times.append(ts)
                values.append(.nan)
                lines.append(line)
                continue
            }
            guard let v = ByteParsing.double(vb) else {
                let what = vb.count == 0 ? "is empty" : "'\(ByteParsing.excerpt(vb))' is not a finite number"
                throw .row(file: path, line: line, column: vName, reason: what)
            }
            if let last = times.last, ts <= last {
                throw .row(file: path, line: line, column: tName, reason: "\(Timestamp.format(ts)) does not come after \(Timestamp.format(last)); the series must be in time order without repeats")
            }
            times.append(ts)
            values.append(v)
            lines.append(line)
        }
        if let id, times.isEmpty {
            throw .file(path: path, reason: "no rows of the series '\(id)' (unique_id here: \(others.joined(separator: ", ")))")
        }
        guard times.count >= 2 else { throw .file(path: path, reason: "a series needs at least two points") }
        var interval = Int64.max
        for i in 1..<times.count { interval = min(interval, times[i] - times[i - 1]) }
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
        if gaps == .missing { filled += values.filter(\.isNaN).count }
        return LoadedSeries(start: times[0], interval: interval, values: out, filled: filled)
    }
}
