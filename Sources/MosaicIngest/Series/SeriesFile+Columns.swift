import MosaicCore

extension SeriesFile {
    /// Where a series file's time and value are, from its header (or a JSON file's keys), and
    /// what messages call them.
    struct Columns {
        /// The time and value columns.
        let time: Int, value: Int
        /// The hour column, when the time is a date in one column and its hour in another.
        let hour: Int?
        /// The `unique_id` column of a file of several series.
        let uniqueID: Int?
        /// A Flux answer's `table` column (InfluxDB 2's CSV).
        let fluxTable: Int?
        /// The header's names, lowercased.
        let names: [String]
        /// Whether the first line is a point: the file has no header.
        let headerless: Bool
        /// The time and value columns' names in messages (`1` and `2` in a file without a header).
        let timeName: String, valueName: String
        /// What a field's message adds when the columns were guessed; empty when they are named.
        let guessNote: String

        /// The columns of `firstLine` (a CSV file's first line, or a JSON file's keys);
        /// `timeColumn` and `valueColumn` name them where the header says neither
        /// `timestamp`/`ds` nor `value`/`y`, and `id` asks for a `unique_id` column.
        init(_ firstLine: [String], json: Bool, id: String?, timeColumn: String?, valueColumn: String?,
             path: String) throws(IngestError) {
            let (theHeader, names, column, its) = json ? ("the keys", "name", "key", "the") : ("the header", "names", "column", "its")
            let header = firstLine.map { $0.lowercased() }
            func named(_ name: String) throws(IngestError) -> Int {
                guard let i = header.firstIndex(of: name.lowercased()) else {
                    throw .file(path: path, reason: "\(json ? "" : "line 1: ")no \(column) '\(name)' (the \(column)s here: \(CSVReader.listing(firstLine)))")
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
                    headerless = !json && !pandasIndex && SeriesFile.isPoint(firstLine[0], firstLine[1])
                    guessNote = headerless
                        ? " (the file has no header: its first column is read as the time and the second as the value)"
                        : " (\(index)\(theHeader) \(names) neither a timestamp nor a value \(column), so \(its) \(pandasIndex ? "second" : "first") \(column) is read as the time and the \(pandasIndex ? "third" : "second") as the value; name yours with --time-column and --value-column)"
                }
            }
            guard let ct, let cv else {
                throw .file(path: path, reason: "\(json ? "" : "line 1: ")\(theHeader) must name a timestamp and a value \(column) (timestamp or ds, value or y; found: \(CSVReader.listing(firstLine))); name yours with --time-column and --value-column")
            }
            // Two columns of one name (compared as the lookups above compare them, in any
            // case): the one read would be a guess.
            if !headerless { try CSVReader.checkUnique(firstLine, path: path, key: { $0.lowercased() }) }
            let cid = header.firstIndex(of: "unique_id")
            if let id, cid == nil {
                throw .file(path: path, reason: "\(json ? "" : "line 1: ")no unique_id \(column) to choose the series '\(id)' by")
            }
            (time, value, hour, uniqueID) = (ct, cv, hourColumn, cid)
            fluxTable = !json && header.contains("_time") ? header.firstIndex(of: "table") : nil
            self.names = header
            self.headerless = headerless
            (timeName, valueName) = headerless ? ("1", "2") : (header[ct], header[cv])
            self.guessNote = guessNote
        }
    }
}
