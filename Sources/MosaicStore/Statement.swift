import CSQLite

/// `SQLITE_TRANSIENT`: SQLite copies the bytes before the bind call returns.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement. Bind, step, read, reset; reuse for every row of a bulk job.
public final class Statement {
    unowned let database: Database
    let handle: OpaquePointer
    public let sql: String

    init(database: Database, handle: OpaquePointer, sql: String) {
        self.database = database
        self.handle = handle
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    @inline(__always)
    func check(_ rc: Int32) throws(StoreError) {
        if rc != SQLITE_OK { throw database.error(rc, sql: sql) }
    }

    // MARK: Binding (indexes are 1-based, as in SQLite)

    @inline(__always)
    public func bind(_ index: Int32, _ value: Int64) throws(StoreError) {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    @inline(__always)
    public func bind(_ index: Int32, _ value: Double) throws(StoreError) {
        try check(sqlite3_bind_double(handle, index, value))
    }

    @inline(__always)
    public func bindNull(_ index: Int32) throws(StoreError) {
        try check(sqlite3_bind_null(handle, index))
    }

    public func bind(_ index: Int32, _ value: String) throws(StoreError) {
        try check(sqlite3_bind_text(handle, index, value, -1, sqliteTransient))
    }

    /// Binds UTF-8 bytes without copying: they must stay valid until the next `step()`.
    @inline(__always)
    public func bindText(_ index: Int32, noCopy bytes: UnsafeRawBufferPointer) throws(StoreError) {
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
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw database.error(rc, sql: sql)
    }

    /// Resets for another execution and clears the bindings.
    @inline(__always)
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds, runs to completion, resets.
    public func run(_ values: [SQLValue]) throws(StoreError) {
        defer { reset() }
        try bind(values)
        while try step() {}
    }

    // MARK: Reading (indexes are 0-based, as in SQLite)

    public var columnCount: Int32 { sqlite3_column_count(handle) }
    public func columnName(_ i: Int32) -> String { String(cString: sqlite3_column_name(handle, i)) }
    public func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
    public func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
    public func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }

    public func text(_ i: Int32) -> String {
        guard let p = sqlite3_column_text(handle, i) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, i))
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }

    public func value(_ i: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, i) {
        case SQLITE_INTEGER: return .int(int64(i))
        case SQLITE_FLOAT: return .double(double(i))
        case SQLITE_NULL: return .null
        default: return .text(text(i))
        }
    }
}
