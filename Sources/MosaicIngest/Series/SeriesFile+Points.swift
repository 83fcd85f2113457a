import MosaicCore

extension SeriesFile {
    /// The points of a series file in file order, each with its line (or record), as its rows
    /// are taken; then on their grid (``series(resample:noun:)``).
    struct Points {
        var times: [Int64] = [], values: [Double] = [], lines: [Int] = []
        let path: String, columns: Columns, gaps: GapPolicy
        /// Whether the file is semicolon-separated, where a number's decimal mark may be a comma.
        let semicolons: Bool
        // Points whose timestamp or value the column's other points must help read: dates with
        // slashes or dots (is 01/08 in August or January?) and numbers with separators (is
        // 1,234 a thousand or one?). They are read when the column has been (`resolveWritten`).
        private var writtenDates: [(index: Int, date: WrittenDate)] = []
        private var writtenNumbers: [(index: Int, text: [UInt8])] = [], dotted: [(index: Int, text: [UInt8])] = []

        init(path: String, columns: Columns, gaps: GapPolicy, semicolons: Bool) {
            (self.path, self.columns, self.gaps, self.semicolons) = (path, columns, gaps, semicolons)
        }

        /// Takes the point of one row: its time (with its hour, when that has a column of its
        /// own) and value fields.
        mutating func take(_ timeField: UnsafeRawBufferPointer, _ valueField: UnsafeRawBufferPointer,
                           hour hourField: UnsafeRawBufferPointer? = nil, line: Int) throws(IngestError) {
            // Spaces around a field (`2024-01-01 00:00, 5`) are not part of it.
            let tb = SeriesFile.trimmed(timeField), vb = SeriesFile.trimmed(valueField), hb = hourField.map(SeriesFile.trimmed)
            var hour: Int64 = 0
            if let hb, let hourColumn = columns.hour {
                guard let h = ByteParsing.int(hb), (0...23).contains(h) else {
                    throw .row(file: path, line: line, column: columns.names[hourColumn], reason: "'\(ByteParsing.excerpt(hb))' is not an hour (0 to 23)")
                }
                hour = Int64(h) * 3600 * Timestamp.microsPerSecond
            }
            var ts = SeriesFile.time(tb).map { $0 + hour }
            if ts == nil, var date = WrittenDate.parse(tb) {
                date.timeOfDay += hour
                writtenDates.append((times.count, date))
                ts = 0
            }
            guard let ts else {
                throw .row(file: path, line: line, column: columns.timeName,
                           reason: SeriesFile.notATimestamp(tb, guessedColumn: !columns.guessNote.isEmpty) + columns.guessNote)
            }
            // An empty value kept missing (or one written as missing: `NA`, `NaN`, `null`…), a
            // plain number, or one its column must help read.
            var value = vb.count == 0 ? nil : ByteParsing.double(vb)
            let blank = value == nil && (vb.count == 0 || ByteParsing.isMissingMarker(vb))
            if blank {
                if gaps != .error { value = .nan }
            } else if value == nil, vb.contains(UInt8(ascii: ",")) {
                writtenNumbers.append((times.count, Array(vb)))
                value = .nan
            } else if value != nil, semicolons, vb.contains(UInt8(ascii: ".")) {
                dotted.append((times.count, Array(vb)))
            }
            guard let value else {
                let what = vb.count == 0 ? "is empty"
                    : "'\(ByteParsing.excerpt(vb))' " + (blank ? "marks a missing value" : "is not a finite number")
                throw .row(file: path, line: line, column: columns.valueName, reason: what + columns.guessNote)
            }
            times.append(ts)
            values.append(value)
            lines.append(line)
        }

        /// Reads the dates and numbers whose form the column's other points decide: the order of
        /// a date's day and month, and a number's decimal mark (from the file's `delimiter`).
        /// `noun` is what a row is called in messages.
        mutating func resolveWritten(delimiter: UInt8, noun: String) throws(IngestError) {
            if !writtenDates.isEmpty {
                let order: WrittenDate.Order
                switch WrittenDate.order(of: writtenDates) {
                case .success(let o): order = o
                case .failure(let c):
                    throw .row(file: path, line: lines[c.dayFirst], column: columns.timeName,
                               reason: "puts the day first (its first number is over 12), but \(noun) \(lines[c.monthFirst]) puts the month first (its second is); a column's dates must be written one way")
                }
                for (k, date) in writtenDates {
                    guard let t = date.micros(order) else {
                        throw .row(file: path, line: lines[k], column: columns.timeName,
                                   reason: "is not a date written \(order.rawValue), as the column's other dates are")
                    }
                    times[k] = t
                }
            }
            guard !writtenNumbers.isEmpty else { return }
            let style = NumberStyle(delimiter: delimiter)
            func reread(_ k: Int, _ text: [UInt8]) throws(IngestError) {
                guard let v = text.withUnsafeBytes({ style.parse($0) }) else {
                    throw .row(file: path, line: lines[k], column: columns.valueName,
                               reason: "'\(String(decoding: text, as: UTF8.self))' is not a number written with \(style.name)" + columns.guessNote)
                }
                values[k] = v
            }
            for (k, text) in writtenNumbers { try reread(k, text) }
            if style == .decimalComma {
                for (k, text) in dotted { try reread(k, text) }
            }
        }

        /// The points as a regular series: in time order (a newest-first file reversed),
        /// gathered into `resample`'s intervals when given, on the grid of the smallest spacing,
        /// with the missing points between them treated as ``gaps`` says. `noun` is what a row is
        /// called in messages.
        func series(resample: Resampling?, noun: String) throws(IngestError) -> LoadedSeries {
            var (times, values, lines) = (times, values, lines)
            let tName = columns.timeName, vName = columns.valueName
            if let k = values.firstIndex(where: { abs($0) > SeriesFile.largestValue }) {
                throw .row(file: path, line: lines[k], column: vName,
                           reason: "\(values[k]) is beyond ±1e150, the largest a series value may be (forecasts square and sum them, and past it they overflow)")
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
                (times, values, lines) = SeriesFile.gather(times, values, lines, resample)   // values ≤ 1e150: sums stay finite
            }
            guard times.count >= 2 else { throw .file(path: path, reason: "a series needs at least two points") }
            var interval = resample?.interval ?? Int64.max
            if resample == nil {
                for i in 1..<times.count { interval = min(interval, times[i] - times[i - 1]) }
            }
            let grid = (times[times.count - 1] - times[0]) / interval + 1
            if resample == nil, grid > 2 * Int64(times.count) {
                // Irregular sampling (points minutes apart at uneven spacing) leaves most of the
                // smallest spacing's grid empty: refused rather than fitted as a grid of holes.
                throw .file(path: path, reason: "the timestamps are irregular: on the smallest spacing (\(interval / 1_000_000) s) \(grid - Int64(times.count)) of \(grid) points would be missing; gather them into intervals with --resample (the most common spacing here is \(SeriesFile.mostCommonGap(times) / 1_000_000) s) and --aggregate mean|sum")
            }
            // The grid's gaps are missing points like any others, but a file may not ask for more
            // memory than `mosaic series` grants a window.
            if grid > SeriesFile.maximumIntervals {
                throw .file(path: path, reason: "the points span \(grid) intervals of \(interval / 1_000_000) s, more than \(SeriesFile.maximumIntervals); "
                            + (resample == nil ? "gather them into longer intervals with --resample and --aggregate mean|sum" : "choose a longer --resample"))
            }
            var out: [Double] = []
            out.reserveCapacity(values.count)
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
                    case .zero, .missing, .linear:
                        out.append(contentsOf: repeatElement(.nan, count: missing))
                    }
                }
                out.append(values[i])
            }
            // Empty values (NaN here) before the first number are not a gap in the series: it
            // starts there.
            var start = times[0]
            guard let first = out.firstIndex(where: { !$0.isNaN }) else {
                throw .file(path: path, reason: "the column \(vName) has no values, only empty ones")
            }
            out.removeFirst(first)
            start += Int64(first) * interval
            if gaps == .linear {
                // After the last number nothing is between two values: the series ends there.
                out.removeLast(out.count - 1 - (out.lastIndex { !$0.isNaN } ?? 0))
            }
            // Missing points and empty values, now filled as `gaps` says (or kept NaN).
            let filled = out.count { $0.isNaN }
            switch gaps {
            case .error, .missing: break
            case .zero:
                for i in out.indices where out[i].isNaN { out[i] = 0 }
            case .linear:
                var i = 0
                while i < out.count {
                    guard out[i].isNaN else { i += 1; continue }
                    var j = i
                    while out[j].isNaN { j += 1 }
                    let a = out[i - 1], b = out[j], steps = Double(j - i + 1)
                    for k in i..<j { out[k] = a + (b - a) * Double(k - i + 1) / steps }
                    i = j
                }
            }
            return LoadedSeries(start: start, interval: interval, values: out, filled: filled)
        }
    }
}
