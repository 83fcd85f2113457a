import MosaicCore
import PostgresNIO

/// The PostgreSQL side of a ``Statement``: bindings are collected, the first `step()` runs the
/// query and keeps its rows, later steps walk them. Placeholders are written as for SQLite
/// (`?` or `?N`) and become `$N` here.
///
/// A streaming statement (a read of one row per request) never holds more than
/// ``streamBatch`` rows: it opens a connection of its own, declares a cursor in a read-only
/// transaction there and fetches the rows in batches, so memory stays flat whatever the table's
/// size and the store's own connection stays free for other statements meanwhile. It reads
/// what was committed when it started.
final class PostgresStatement {
    let session: PostgresSession
    let sql: String
    let streaming: Bool
    /// Rows per `FETCH` of a streaming statement.
    static let streamBatch = 20_000
    private var binds: [SQLValue]
    private var rows: [PostgresRow] = []
    private var current: PostgresRandomAccessRow?
    private var cursor = -1
    private var executed = false
    /// A streaming statement's own connection, while its cursor is open.
    private var stream: PostgresSession?
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
            current = nil
            closeStream()
            return false
        }
        current = rows[cursor].makeRandomAccess()
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

    private func fetch(_ s: PostgresSession) throws(StoreError) -> [PostgresRow] {
        do { return try s.query("FETCH FORWARD \(PostgresStatement.streamBatch) FROM mosaic_stream", []).rows } catch {
            stream = nil
            throw error
        }
    }

    /// Ends the read (closing the connection ends its transaction).
    private func closeStream() {
        if let s = stream { _ = try? s.query("COMMIT", []) }
        stream = nil
    }

    func reset() {
        executed = false
        rows = []
        current = nil
        cursor = -1
        stream = nil
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
        if let current { return Int32(current.count) }
        return Int32(rows.first?.count ?? 0)
    }

    func columnName(_ i: Int32) -> String { current?[Int(i)].columnName ?? "" }

    func value(_ i: Int32) -> SQLValue {
        guard let cell = current?[Int(i)] else { return .null }
        return PostgresStatement.value(of: cell)
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
            let text = numericText(&b)
            if let m = try? Money(parsing: text) { return .text(m.description) }
            return .text(text)
        default: return .text(b.readString(length: b.readableBytes) ?? "")
        }
    }

    /// The exact decimal text of a binary `numeric`: base-10000 digit groups, `weight` the
    /// power of the first group, `dscale` the digits after the point.
    static func numericText(_ b: inout ByteBuffer) -> String {
        guard let ndigits = b.readInteger(as: Int16.self), let weight = b.readInteger(as: Int16.self),
              let sign = b.readInteger(as: UInt16.self), let dscale = b.readInteger(as: Int16.self) else { return "" }
        if sign == 0xC000 { return "NaN" }
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
