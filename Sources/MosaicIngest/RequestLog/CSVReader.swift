#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming RFC 4180 CSV reader over a file descriptor (comma-separated, or tab- or
/// semicolon-separated when the header says so).
///
/// Reads 1 MiB blocks into one reusable buffer and hands out each record as byte ranges into
/// it, so memory stays flat whatever the file size. Handles quoted fields (with `""` escapes
/// and embedded newlines), CRLF and LF line ends, a UTF-8 byte-order mark, and a last line
/// without a newline. Fields are raw bytes; callers validate encoding where they need text.
///
/// Limits: a field over ``maxFieldBytes`` is flagged (``oversizedField``) for the caller to
/// report as a bad row; a record over ``maxRecordBytes`` stops the file. Neither grows memory.
final class CSVReader {
    static let blockSize = 1 << 20
    let maxFieldBytes: Int
    let maxRecordBytes: Int
    let path: String
    private let file: InputFile
    private var buffer: UnsafeMutableRawBufferPointer
    @exclusivity(unchecked) private var start = 0      // first unconsumed byte
    @exclusivity(unchecked) private var end = 0        // one past the last valid byte
    @exclusivity(unchecked) private var eof = false
    /// Bytes consumed before `buffer[0]`, for progress.
    private(set) var bytesBefore: Int64 = 0
    /// 1-based physical line where the last returned record started.
    @exclusivity(unchecked) private(set) var recordLine = 0
    @exclusivity(unchecked) private var nextLine = 1
    /// Byte ranges of the last record's fields (relative to `buffer`).
    @exclusivity(unchecked) private(set) var fields: [Range<Int>] = []
    /// The first field of the current record that is over ``maxFieldBytes`` (its bytes are
    /// still there; the caller reports it as a bad row).
    @exclusivity(unchecked) private(set) var oversizedField: Int?
    /// Where the current record's text starts and ends (without its line end).
    @exclusivity(unchecked) private var recordBytes = 0..<0
    private var checkedBOM = false
    /// The field delimiter: a comma, or a tab or semicolon when the header has no comma
    /// outside quotes but one of those (``header(expected:)`` decides).
    private(set) var delimiter: UInt8 = 44

    /// The longest field a request log or FOCUS file may hold, CSV or JSON Lines: 64 KiB, far
    /// above any id, name or tag list, and low enough that a runaway field (a prompt pasted
    /// into a column, a missing closing quote) stops the file instead of landing in the store.
    static let fieldLimit = 65_536

    init(path: String, maxFieldBytes: Int = CSVReader.fieldLimit, maxRecordBytes: Int = 1 << 20) throws(IngestError) {
        self.path = path
        self.maxFieldBytes = maxFieldBytes
        self.maxRecordBytes = maxRecordBytes
        file = try InputFile(path: path)
        buffer = .allocate(byteCount: max(CSVReader.blockSize, maxRecordBytes) * 2, alignment: 16)
        fields.reserveCapacity(32)
    }

    deinit {
        buffer.deallocate()
    }

    var position: Int64 { file.progress(decompressed: bytesBefore + Int64(start)) }

    /// The bytes of field `i` of the current record.
    @inline(__always)
    func field(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[fields[i]])
    }

    /// Reads the first record as the header: its column names, trimmed. An empty file is an
    /// error saying what the header should hold (`expected`, e.g. "timestamp,value"), and so is
    /// a header that is not UTF-8 text.
    ///
    /// A header with no comma outside quotes but a tab (or else a semicolon) sets the file's
    /// delimiter to it: tab-separated exports and the semicolon CSV of some spreadsheets read too.
    func header(expected: String) throws(IngestError) -> [String] {
        if start >= end && !eof { try fill() }
        delimiter = Self.delimiter(ofHeader: UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
        guard try next() else { throw .file(path: path, reason: "the file is empty (expected a header: \(expected))") }
        return try names()
    }

    /// The current record's fields as names (trimmed of spaces), as a header's.
    func names() throws(IngestError) -> [String] {
        var names: [String] = []
        for i in 0..<fields.count {
            let b = field(i)
            guard ByteParsing.isCleanText(b) else {
                throw .file(path: path, reason: "line \(recordLine): the header is not valid UTF-8 text; convert the file to UTF-8")
            }
            names.append(ByteParsing.text(b).trimmingCharacters(in: .whitespaces))
        }
        return names
    }

    /// The delimiter of a file whose first line starts `bytes`: a comma, unless the line has none
    /// outside quotes and has a tab (a tab) or else a semicolon (a semicolon).
    static func delimiter(ofHeader bytes: UnsafeRawBufferPointer) -> UInt8 {
        var inQuote = false, tabs = 0, semicolons = 0
        for c in bytes {
            if c == 34 { inQuote.toggle(); continue }
            if inQuote { continue }
            if c == 10 || c == 13 { break }
            if c == 44 { return 44 } else if c == 9 { tabs += 1 } else if c == 59 { semicolons += 1 }
        }
        return tabs > 0 ? 9 : semicolons > 0 ? 59 : 44
    }

    /// A header's column names for an error message: all of them, or for a wide file (M4's
    /// 961 columns) the first `most` and how many there are, so that the message stays readable.
    static func listing(_ header: [String], most: Int = 12) -> String {
        guard header.count > most else { return header.joined(separator: ", ") }
        return header.prefix(most).joined(separator: ", ") + ", … (\(header.count) columns)"
    }

    /// Refuses a header that names a column twice (compared as `key` makes them, by default
    /// as written; empty names are not compared): which of the two a reader took would be
    /// a guess, and the other's values would be lost without a word.
    static func checkUnique(_ header: [String], path: String, key: (String) -> String = { $0 }) throws(IngestError) {
        var seen: [String: Int] = [:]
        for (i, name) in header.enumerated() where !name.isEmpty {
            if let j = seen.updateValue(i, forKey: key(name)) {
                throw .file(path: path, reason: "line 1: column '\(name)' appears twice (fields \(j + 1) and \(i + 1))")
            }
        }
    }

    /// The index of the column `name` in `header` (compared as `match`, by default `name`
    /// itself), or an error at line 1 naming it beside the columns that are there.
    static func column(_ name: String, in header: [String], path: String,
                       matching match: String? = nil) throws(IngestError) -> Int {
        guard let i = header.firstIndex(of: match ?? name) else {
            throw .file(path: path, reason: "line 1: no column '\(name)' (the columns here: \(listing(header)))")
        }
        return i
    }

    /// The raw text of the current record, for error reports (cut to 1,000 bytes; escaped
    /// quotes inside quoted fields appear unescaped).
    func rawRecord() -> String {
        let r = recordBytes
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[r.lowerBound..<min(r.upperBound, r.lowerBound + 1000)])
        return String(decoding: bytes, as: UTF8.self)
    }

    private func fill() throws(IngestError) {
        try refill(buffer, from: file, readSize: CSVReader.blockSize, enough: CSVReader.blockSize,
                   start: &start, end: &end, eof: &eof, bytesBefore: &bytesBefore)
        if !checkedBOM && end >= 2 {
            checkedBOM = true
            let b0 = buffer[0], b1 = buffer[1]
            if (b0 == 0xFF && b1 == 0xFE) || (b0 == 0xFE && b1 == 0xFF) {
                throw .file(path: path, reason: "the file is UTF-16 encoded; convert it to UTF-8 (for example with iconv -f UTF-16 -t UTF-8)")
            }
            if end >= 3 && b0 == 0xEF && b1 == 0xBB && buffer[2] == 0xBF { start = 3 }
        }
    }

    /// Reads the next record into ``fields``; false at the end of the file.
    ///
    /// Blank lines are skipped.
    func next() throws(IngestError) -> Bool {
        while true {
            if start >= end {
                if eof { return false }
                try fill()
                if start >= end { return false }
            }
            switch try parseRecord() {
            case .record: return true
            case .blank: continue
            case .needMore:
                if eof {
                    // parseRecord treats end of buffer at EOF as end of record, so this is unreachable
                    // except for an unterminated quote, which parseRecord reports itself.
                    return false
                }
                if end - start >= maxRecordBytes {
                    throw .file(path: path, reason: "line \(nextLine): a record is longer than \(maxRecordBytes) bytes (unterminated quote or a huge field?)")
                }
                try fill()
            }
        }
    }

    private enum Outcome { case record, blank, needMore }

    private func parseRecord() throws(IngestError) -> Outcome {
        fields.removeAll(keepingCapacity: true)
        oversizedField = nil
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var i = start
        var lines = 0
        var unescape: [Int] = []  // indexes into fields needing "" → " collapse
        let quote: UInt8 = 34, comma = delimiter, lf: UInt8 = 10, cr: UInt8 = 13
        // Blank line?
        if base[i] == lf { start = i + 1; nextLine += 1; return .blank }
        if base[i] == cr && i + 1 < end && base[i + 1] == lf { start = i + 2; nextLine += 1; return .blank }
        while true {
            // Start of a field at i.
            if i < end && base[i] == quote {
                let fieldStart = i + 1
                var j = fieldStart
                var escaped = false
                while true {
                    // Scan to the next quote.
                    while j < end && base[j] != quote {
                        if base[j] == lf { lines += 1 }
                        j += 1
                    }
                    if j >= end {
                        if eof { throw .file(path: path, reason: "line \(nextLine): unterminated quoted field") }
                        return .needMore
                    }
                    if j + 1 < end && base[j + 1] == quote { escaped = true; j += 2; continue }
                    if j + 1 >= end && !eof { return .needMore }
                    break
                }
                if j - fieldStart > maxFieldBytes && oversizedField == nil { oversizedField = fields.count }
                if escaped { unescape.append(fields.count) }
                fields.append(fieldStart..<j)
                i = j + 1
                // After the closing quote: a delimiter, a line end or the end of the file.
                if i >= end {
                    if !eof { return .needMore }
                    return finish(at: i, consumed: i, lines: lines, unescape: unescape)
                }
                let c = base[i]
                if c == comma { i += 1; continue }
                if c == lf { return finish(at: i, consumed: i + 1, lines: lines + 1, unescape: unescape) }
                if c == cr {
                    if i + 1 >= end && !eof { return .needMore }
                    return finish(at: i, consumed: (i + 1 < end && base[i + 1] == lf) ? i + 2 : i + 1, lines: lines + 1, unescape: unescape)
                }
                throw .file(path: path, reason: "line \(nextLine + lines): unexpected character after a closing quote in field \(fields.count)")
            }
            // An unquoted field: scan to a comma or line end.
            let fieldStart = i
            var j = i
            while j < end {
                let c = base[j]
                if c == comma || c == lf || c == cr { break }
                j += 1
            }
            if j - fieldStart > maxFieldBytes && oversizedField == nil { oversizedField = fields.count }
            if j >= end {
                if !eof { return .needMore }
                fields.append(fieldStart..<j)
                return finish(at: j, consumed: j, lines: lines, unescape: unescape)
            }
            fields.append(fieldStart..<j)
            let c = base[j]
            if c == comma { i = j + 1; continue }
            if c == lf { return finish(at: j, consumed: j + 1, lines: lines + 1, unescape: unescape) }
            if j + 1 >= end && !eof { return .needMore }
            return finish(at: j, consumed: (j + 1 < end && base[j + 1] == lf) ? j + 2 : j + 1, lines: lines + 1, unescape: unescape)
        }
    }

    private func finish(at stop: Int, consumed: Int, lines: Int, unescape: [Int]) -> Outcome {
        recordBytes = start..<stop
        recordLine = nextLine
        nextLine += max(lines, 1)
        start = consumed
        if !unescape.isEmpty {
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            for f in unescape {
                let r = fields[f]
                var w = r.lowerBound
                var k = r.lowerBound
                while k < r.upperBound {
                    base[w] = base[k]
                    if base[k] == 34 { k += 1 }  // skip the second quote of a pair
                    k += 1
                    w += 1
                }
                fields[f] = r.lowerBound..<w
            }
        }
        return .record
    }
}
