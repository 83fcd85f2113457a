import MosaicCore
import PostgresNIO

/// The PostgreSQL side of a ``Statement``: bindings are collected, the first `step()` runs the
/// query and keeps its rows, later steps walk them. Placeholders are written as for SQLite
/// (`?` or `?N`) and become `$N` here.
///
/// A streaming statement (a read of one row per request) never holds more than two batches of
/// ``streamBatch`` rows: it opens a connection of its own, declares a cursor in a read-only
/// transaction there and fetches the rows in batches, so memory stays flat whatever the table's
/// size and the store's own connection stays free for other statements meanwhile. It asks for
/// the next batch as soon as one arrives, so the server and PostgresNIO's event loop (which
/// decodes every row message) work on it while the caller reads this one. It reads what was
/// committed when it started.
///
/// Each step copies the row's cells (slices of the batch's buffer) into one reused array, and
/// the typed readers (``int64(_:)``, ``double(_:)``, ``text(_:)``, ``money(_:)``) decode
/// `bigint`, `double precision`, text and `numeric` straight from a cell's binary bytes; any
/// other type or format goes through ``value(of:)``, with which they agree.
final class PostgresStatement {
    let session: PostgresSession
    let sql: String
    let streaming: Bool
    /// Rows per `FETCH` of a streaming statement.
    static let streamBatch = 20_000
    private var binds: [SQLValue]
    @exclusivity(unchecked) private var rows: [PostgresRow] = []
    /// The current row's cells, in column order (one array for the whole result).
    @exclusivity(unchecked) private var cells: [ByteBuffer?] = []
    /// Each column's type, format and name, read from the first row of each batch.
    @exclusivity(unchecked) private var columns: [Column] = []
    /// Whether `cells` holds a row (false before the first step and after the last).
    @exclusivity(unchecked) private var onRow = false
    @exclusivity(unchecked) private var cursor = -1
    private var executed = false
    /// A streaming statement's own connection, while its cursor is open.
    private var stream: PostgresSession?
    /// The `FETCH` of the batch after this one, sent and not yet answered.
    private var next: PostgresSession.Sent?
    private(set) var changed = 0

    init(session: PostgresSession, sql: String, streaming: Bool = false) {
        self.session = session
        self.streaming = streaming
        let (translated, count) = PostgresStatement.translatePlaceholders(sql)
        self.sql = translated
        binds = Array(repeating: .null, count: count)
    }

    func bind(_ index: Int32, _ value: SQLValue) {
        let i = Int(index) - 1
        if i >= binds.count { binds.append(contentsOf: Array(repeating: .null, count: i - binds.count + 1)) }
        binds[i] = value
    }

    func step() throws(StoreError) -> Bool {
        if !executed {
            executed = true
            cursor = -1
            if streaming {
                try openStream()
            } else {
                let result = try session.query(sql, binds)
                rows = result.rows
                changed = result.changed
            }
        }
        cursor += 1
        if cursor == rows.count, let stream, rows.count == PostgresStatement.streamBatch {
            rows = try fetch(stream)
            cursor = 0
        }
        guard cursor < rows.count else {
            onRow = false
            cells = []
            closeStream()
            return false
        }
        if cursor == 0 {
            columns = rows[0].map { Column(type: $0.dataType, format: $0.format, name: $0.columnName) }
            if cells.count != columns.count { cells = Array(repeating: nil, count: columns.count) }
        }
        // The cheapest way PostgresNIO offers to the cells: its random-access row slices them
        // in one pass, and `[data:]` hands each back without the column name (a retained
        // `String`) that a `PostgresCell` carries (a fifth less CPU than iterating the row).
        let row = rows[cursor].makeRandomAccess()
        for k in cells.indices { cells[k] = row[data: k].value }
        onRow = true
        return true
    }

    /// Opens the statement's own connection and its cursor, and fetches the first batch.
    private func openStream() throws(StoreError) {
        let s = try PostgresSession(url: session.url, answerTimeout: session.answerTimeout)
        _ = try s.query("BEGIN READ ONLY", [])
        _ = try s.query("DECLARE mosaic_stream NO SCROLL CURSOR FOR " + PostgresStatement.inline(sql, binds), [])
        stream = s
        rows = try fetch(s)
    }

    /// The next batch: the answer to the `FETCH` sent before this batch was read, or to one
    /// sent now. A full batch asks for the next one at once, so the server reads it and the
    /// connection decodes it while the caller reads this one.
    private func fetch(_ s: PostgresSession) throws(StoreError) -> [PostgresRow] {
        let sql = "FETCH FORWARD \(PostgresStatement.streamBatch) FROM mosaic_stream"
        do throws(StoreError) {
            var sent = next
            next = nil
            if sent == nil { sent = try s.send(sql, []) }
            guard let sent else { return [] }
            let batch = try s.answer(sent).rows
            // A send that fails (the connection is gone) is sent again by the next fetch, which
            // reports the error after this batch has been read, as it did before the read-ahead.
            if batch.count == PostgresStatement.streamBatch { next = try? s.send(sql, []) }
            return batch
        } catch {
            stream = nil
            next = nil
            throw error
        }
    }

    /// Ends the read (closing the connection ends its transaction).
    private func closeStream() {
        if let s = stream { _ = try? s.query("COMMIT", []) }
        stream = nil
        next = nil
    }

    func reset() {
        executed = false
        rows = []
        cells = []
        onRow = false
        cursor = -1
        stream = nil
        next = nil
        for i in binds.indices { binds[i] = .null }
    }

    /// The SQL with each `$N` replaced by its value as a quoted literal (a literal of unknown
    /// type, as the untyped text parameters are), for `DECLARE … CURSOR`.
    static func inline(_ sql: String, _ binds: [SQLValue]) -> String {
        rewritingPlaceholders(sql, marker: "$", bare: false, reserve: 16 * binds.count) { n in
            let i = n! - 1
            switch i < binds.count ? binds[i] : .null {
            case .null: return "NULL"
            case .int(let v): return "'\(v)'"
            case .double(let v): return "'\(PostgresSession.text(of: v))'"
            case .text(let v): return "'" + v.replacingOccurrences(of: "'", with: "''") + "'"
            }
        }
    }

    var columnCount: Int32 {
        if onRow { return Int32(cells.count) }
        return Int32(rows.first?.count ?? 0)
    }

    func columnName(_ i: Int32) -> String { onRow ? columns[Int(i)].name : "" }

    /// A column's type, format and name (the same in every row of a result).
    struct Column {
        var type: PostgresDataType
        var format: PostgresFormat
        var name: String
    }

    func value(_ i: Int32) -> SQLValue {
        guard onRow else { return .null }
        let c = columns[Int(i)]
        return PostgresStatement.value(of: PostgresCell(bytes: cells[Int(i)], dataType: c.type, format: c.format,
                                                        columnName: c.name, columnIndex: Int(i)))
    }

    // MARK: Typed reads: each gives what `value(i)` and the matching `SQLValue` accessor give
    // (`intValue ?? 0`, `doubleValue ?? 0`, `textValue ?? ""`), read from the bytes in place
    // for the types the store's reads meet; anything else takes that way.

    func isNull(_ i: Int32) -> Bool { !onRow || cells[Int(i)] == nil }

    func int64(_ i: Int32) -> Int64 {
        if onRow, columns[Int(i)].type == .int8, columns[Int(i)].format == .binary, let b = cells[Int(i)], b.readableBytes == 8 {
            return b.getInteger(at: b.readerIndex, as: Int64.self)!
        }
        return value(i).intValue ?? 0
    }

    func double(_ i: Int32) -> Double {
        if onRow, columns[Int(i)].type == .float8, columns[Int(i)].format == .binary, let b = cells[Int(i)], b.readableBytes == 8 {
            return Double(bitPattern: b.getInteger(at: b.readerIndex, as: UInt64.self)!)
        }
        return value(i).doubleValue ?? 0
    }

    func text(_ i: Int32) -> String {
        if onRow, let b = cells[Int(i)], PostgresStatement.isText(columns[Int(i)]) {
            return b.getString(at: b.readerIndex, length: b.readableBytes) ?? ""
        }
        return value(i).textValue ?? ""
    }

    /// A `numeric` cell as an amount, decoded from its base-10000 digits without text; nil for
    /// NULL, for another type, and for a value that is not an amount (which `value(i)` gives as
    /// its text, for the caller's error).
    func money(_ i: Int32) -> Money? {
        guard onRow, columns[Int(i)].type == .numeric, columns[Int(i)].format == .binary, let b = cells[Int(i)] else { return nil }
        return PostgresStatement.money(numeric: b)
    }

    /// Whether ``value(of:)`` reads a cell of this column as its bytes' text.
    static func isText(_ c: Column) -> Bool {
        if c.format == .text { return true }
        switch c.type {
        case .int2, .int4, .int8, .bool, .float4, .float8, .numeric: return false
        default: return true
        }
    }

    /// Powers of ten that fit `UInt128` (10⁰ … 10³⁸).
    private static let powersOfTen: [UInt128] = (0...38).map { n in (0..<n).reduce(UInt128(1)) { p, _ in p * 10 } }

    /// A binary `numeric` as an exact amount: each base-10000 digit times its power of ten in
    /// Money's 10⁻²⁴ units. Nil when ``numericText(_:)`` would give a text that is not an
    /// amount: NaN or an infinity, a non-zero digit past the 24th decimal, a magnitude beyond
    /// `Money`'s range, or a malformed value (a digit outside 0…9999, too few bytes).
    static func money(numeric b: ByteBuffer) -> Money? {
        b.withUnsafeReadableBytes { p -> Money? in
            func int16(_ at: Int) -> Int { Int(Int16(bitPattern: UInt16(p[at]) << 8 | UInt16(p[at + 1]))) }
            guard p.count >= 8 else { return nil }
            let ndigits = int16(0), weight = int16(2), sign = UInt16(truncatingIfNeeded: int16(4))
            guard sign == 0 || sign == 0x4000, ndigits >= 0, p.count >= 8 + 2 * ndigits else { return nil }
            var units: UInt128 = 0
            for k in 0..<ndigits {
                let digit = int16(8 + 2 * k)
                guard digit >= 0 && digit < 10_000 else { return nil }
                if digit == 0 { continue }
                // The digit is worth digit × 10000^(weight − k), so digit × 10^e units.
                let e = 4 * (weight - k) + Money.scale
                guard e >= 0, e < powersOfTen.count else { return nil }
                let (term, o1) = UInt128(digit).multipliedReportingOverflow(by: powersOfTen[e])
                let (sum, o2) = units.addingReportingOverflow(term)
                guard !o1, !o2 else { return nil }
                units = sum
            }
            guard units <= UInt128(Int128.max) else { return nil }
            return Money(units: sign == 0x4000 ? -Int128(units) : Int128(units))
        }
    }

    /// A cell as a store value: integers and booleans as `.int`, floats as `.double`,
    /// `numeric` as its exact decimal text (canonical money text when it is an amount).
    static func value(of cell: PostgresCell) -> SQLValue {
        guard var b = cell.bytes else { return .null }
        if cell.format == .text { return .text(b.readString(length: b.readableBytes) ?? "") }
        switch cell.dataType {
        case .int2: return .int(Int64(b.readInteger(as: Int16.self) ?? 0))
        case .int4: return .int(Int64(b.readInteger(as: Int32.self) ?? 0))
        case .int8: return .int(b.readInteger(as: Int64.self) ?? 0)
        case .bool: return .int((b.readInteger(as: UInt8.self) ?? 0) != 0 ? 1 : 0)
        case .float4: return .double(Double(Float(bitPattern: b.readInteger(as: UInt32.self) ?? 0)))
        case .float8: return .double(Double(bitPattern: b.readInteger(as: UInt64.self) ?? 0))
        case .numeric:
            if let m = money(numeric: b) { return .text(m.description) }
            let text = numericText(&b)
            if let m = try? Money(parsing: text) { return .text(m.description) }
            return .text(text)
        default: return .text(b.readString(length: b.readableBytes) ?? "")
        }
    }

    /// The exact decimal text of a binary `numeric`: base-10000 digit groups, `weight` the
    /// power of the first group, `dscale` the digits after the point. NaN and the infinities
    /// (PostgreSQL ≥ 14) are the server's own words for them.
    static func numericText(_ b: inout ByteBuffer) -> String {
        guard let ndigits = b.readInteger(as: Int16.self), let weight = b.readInteger(as: Int16.self),
              let sign = b.readInteger(as: UInt16.self), let dscale = b.readInteger(as: Int16.self) else { return "" }
        if sign == 0xC000 { return "NaN" }
        if sign == 0xD000 { return "Infinity" }
        if sign == 0xF000 { return "-Infinity" }
        var digits: [Int] = []
        for _ in 0..<Int(ndigits) { digits.append(Int(b.readInteger(as: Int16.self) ?? 0)) }
        func group(_ i: Int) -> Int { i >= 0 && i < digits.count ? digits[i] : 0 }
        func pad(_ d: Int) -> String {
            let s = String(d)
            return String(repeating: "0", count: 4 - s.count) + s
        }
        var text = sign == 0x4000 ? "-" : ""
        if weight < 0 {
            text += "0"
        } else {
            for i in 0...Int(weight) { text += i == 0 ? String(group(i)) : pad(group(i)) }
        }
        if dscale > 0 {
            var fraction = ""
            for g in 0..<((Int(dscale) + 3) / 4) { fraction += pad(group(Int(weight) + 1 + g)) }
            text += "." + fraction.prefix(Int(dscale))
        }
        return text
    }

    /// `?N` becomes `$N` and each bare `?` the next number; quoted text is left alone.
    /// Returns the SQL and the number of parameters.
    static func translatePlaceholders(_ sql: String) -> (String, Int) {
        var next = 0, highest = 0
        let out = rewritingPlaceholders(sql, marker: "?", bare: true, reserve: 8) { number in
            let n: Int
            if let number {
                n = number
            } else {
                next += 1
                n = next
            }
            highest = max(highest, n)
            return "$\(n)"
        }
        return (out, highest)
    }
}

/// `sql` with each `marker` outside single quotes, and the digits that follow it, replaced by
/// `replace(number)` (nil when no digit follows). Without `bare`, a marker not followed by a
/// digit is kept as it is.
private func rewritingPlaceholders(_ sql: String, marker: Character, bare: Bool, reserve: Int,
                                   _ replace: (Int?) -> String) -> String {
    var out = ""
    out.reserveCapacity(sql.utf8.count + reserve)
    var inQuote = false
    var chars = sql.makeIterator()
    var pending: Character? = chars.next()
    while let c = pending {
        pending = chars.next()
        if c == "'" { inQuote.toggle() }
        let digitFollows = pending.map { $0.isASCII && $0.isNumber } ?? false
        guard c == marker, !inQuote, bare || digitFollows else {
            out.append(c)
            continue
        }
        var number = ""
        while let d = pending, d.isASCII, d.isNumber {
            number.append(d)
            pending = chars.next()
        }
        out += replace(number.isEmpty ? nil : Int(number)!)
    }
    return out
}
