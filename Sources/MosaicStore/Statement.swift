import CSQLite
import MosaicCore

/// `SQLITE_TRANSIENT`: SQLite copies the bytes before the bind call returns.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement. Bind, step, read, reset; reuse for every row of a bulk job.
///
/// On PostgreSQL the bindings are collected and the first `step()` runs the query (see
/// ``PostgresStatement``); the API and its meaning are the same.
public final class Statement {
    unowned let database: Database
    let handle: OpaquePointer?
    let postgres: PostgresStatement?
    public let sql: String

    init(database: Database, handle: OpaquePointer, sql: String) {
        self.database = database
        self.handle = handle
        self.postgres = nil
        self.sql = sql
    }

    init(database: Database, postgres: PostgresStatement) {
        self.database = database
        self.handle = nil
        self.postgres = postgres
        self.sql = postgres.sql
    }

    deinit { if let handle { sqlite3_finalize(handle) } }

    @inline(__always)
    func check(_ rc: Int32) throws(StoreError) {
        if rc != SQLITE_OK { throw database.error(rc, sql: sql) }
    }

    // MARK: Binding (indexes are 1-based, as in SQLite)

    @inline(__always)
    public func bind(_ index: Int32, _ value: Int64) throws(StoreError) {
        if let postgres { return postgres.bind(index, .int(value)) }
        try check(sqlite3_bind_int64(handle, index, value))
    }

    @inline(__always)
    public func bind(_ index: Int32, _ value: Double) throws(StoreError) {
        if let postgres { return postgres.bind(index, .double(value)) }
        try check(sqlite3_bind_double(handle, index, value))
    }

    @inline(__always)
    public func bindNull(_ index: Int32) throws(StoreError) {
        if let postgres { return postgres.bind(index, .null) }
        try check(sqlite3_bind_null(handle, index))
    }

    public func bind(_ index: Int32, _ value: String) throws(StoreError) {
        if let postgres { return postgres.bind(index, .text(value)) }
        try check(sqlite3_bind_text(handle, index, value, -1, sqliteTransient))
    }

    /// Binds UTF-8 bytes without copying: they must stay valid until the next `step()`.
    @inline(__always)
    public func bindText(_ index: Int32, noCopy bytes: UnsafeRawBufferPointer) throws(StoreError) {
        if let postgres { return postgres.bind(index, .text(String(decoding: bytes, as: UTF8.self))) }
        let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer<CChar>(bitPattern: 1)
        try check(sqlite3_bind_text(handle, index, base, Int32(bytes.count), nil))
    }

    public func bind(_ index: Int32, _ value: SQLValue) throws(StoreError) {
        switch value {
        case .null: try bindNull(index)
        case .int(let v): try bind(index, v)
        case .double(let v): try bind(index, v)
        case .text(let v): try bind(index, v)
        }
    }

    public func bind(_ values: [SQLValue]) throws(StoreError) {
        for (i, v) in values.enumerated() { try bind(Int32(i + 1), v) }
    }

    // MARK: Stepping

    /// Advances; true when a row is available.
    @inline(__always)
    @discardableResult
    public func step() throws(StoreError) -> Bool {
        if let postgres {
            let row = try postgres.step()
            database.postgresChanges = postgres.changed
            return row
        }
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw database.error(rc, sql: sql)
    }

    /// Resets for another execution and clears the bindings.
    @inline(__always)
    public func reset() {
        if let postgres { return postgres.reset() }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Resets for another execution and keeps the bindings: for a caller that binds every
    /// parameter of every row (saves clearing them).
    @inline(__always)
    public func rewind() {
        if let postgres { return postgres.reset() }
        sqlite3_reset(handle)
    }

    /// Binds, runs to completion, resets.
    public func run(_ values: [SQLValue]) throws(StoreError) {
        defer { reset() }
        try bind(values)
        while try step() {}
    }

    // MARK: Reading (indexes are 0-based, as in SQLite)

    public var columnCount: Int32 { postgres?.columnCount ?? sqlite3_column_count(handle) }

    public func columnName(_ i: Int32) -> String {
        if let postgres { return postgres.columnName(i) }
        return String(cString: sqlite3_column_name(handle, i))
    }

    public func isNull(_ i: Int32) -> Bool {
        if let postgres { return postgres.isNull(i) }
        return sqlite3_column_type(handle, i) == SQLITE_NULL
    }

    public func int64(_ i: Int32) -> Int64 {
        if let postgres { return postgres.int64(i) }
        return sqlite3_column_int64(handle, i)
    }

    public func double(_ i: Int32) -> Double {
        if let postgres { return postgres.double(i) }
        return sqlite3_column_double(handle, i)
    }

    public func text(_ i: Int32) -> String {
        if let postgres { return postgres.text(i) }
        guard let p = sqlite3_column_text(handle, i) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, i))
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// Column `i`'s text as bytes in place, valid until the next step (SQLite only; empty for NULL).
    func bytes(_ i: Int32) -> UnsafeRawBufferPointer {
        guard let p = sqlite3_column_text(handle, i) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, i)))
    }

    /// An exact amount stored as decimal text (zero for NULL, as a sum of no rows); a value that
    /// is not an amount is ``StoreError/corruptValue(table:column:value:)`` naming `table.column`.
    /// On SQLite the text is parsed in place, without a `String`.
    func money(_ i: Int32, table: String, column: String) throws(StoreError) -> Money {
        if isNull(i) { return .zero }
        if let m = postgres?.money(i) { return m }
        if postgres == nil, let p = sqlite3_column_text(handle, i),
           case .success(let m) = Money.parse(UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, i)))) {
            return m
        }
        let text = text(i)
        guard let m = try? Money(parsing: text) else { throw .corruptValue(table: table, column: column, value: text) }
        return m
    }

    public func value(_ i: Int32) -> SQLValue {
        if let postgres { return postgres.value(i) }
        switch sqlite3_column_type(handle, i) {
        case SQLITE_INTEGER: return .int(int64(i))
        case SQLITE_FLOAT: return .double(double(i))
        case SQLITE_NULL: return .null
        default: return .text(text(i))
        }
    }
}
