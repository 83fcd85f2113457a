import CSQLite
import Foundation
import Logging
import MosaicCore

/// A connection to one SQLite file (a thin, honest wrapper over libsqlite3) or to one
/// PostgreSQL database (through PostgresNIO).
///
/// Both speak the same small API: `execute`, `prepare` and a ``Statement`` to bind, step and
/// read. SQL is written once with `?`/`?N` placeholders; where the two dialects differ, the
/// query asks ``dialect`` for the spelling.
///
/// Not `Sendable`: a connection belongs to one thread at a time. Every failure becomes a
/// ``StoreError`` carrying the file path (or the URL without its password) and the engine's
/// message.
public final class Database {
    /// The file path (":memory:" for an in-memory database), or the PostgreSQL URL without
    /// its password.
    public let path: String
    /// Which engine this connection talks to.
    public let dialect: SQLDialect
    /// The SQLite connection (nil on PostgreSQL).
    let handle: OpaquePointer?
    /// The PostgreSQL connection (nil on SQLite).
    let postgres: PostgresSession?
    /// Rows changed by the last PostgreSQL command.
    var postgresChanges = 0
    /// The busy timeout this connection was opened with, ms.
    var busyTimeout = 0

    /// How long a statement waits for another connection's lock before it fails with
    /// ``StoreError/busy(path:holders:waitedMilliseconds:sql:)``: `MOSAIC_BUSY_TIMEOUT_MS`, else 10 s.
    public static var busyTimeoutMilliseconds: Int {
        guard let text = getenv("MOSAIC_BUSY_TIMEOUT_MS").map({ String(cString: $0) }), let ms = Int(text), ms >= 0 else {
            return 10_000
        }
        return ms
    }

    /// SQLite's allocation statistics take a process-wide mutex on every allocation (about 8% of
    /// a bulk insert's CPU in a C measurement); nothing here reads them. Turned off once, before
    /// the first connection opens (the result is SQLITE_MISUSE if SQLite was already in use).
    private static let memoryStatisticsOff: Int32 = mosaic_sqlite3_disable_memory_statistics()

    /// Opens (creating if needed) a database file.
    ///
    /// - Parameter readOnly: open without write access; the file must exist.
    /// - Throws: ``StoreError/readOnly(path:reason:)`` when opening for writing a file, or a
    ///   folder, that this process may not write.
    public init(path: String, readOnly: Bool = false) throws(StoreError) {
        self.path = path
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw .refused(path: path, reason: "is a folder; name a store file in it, such as \((path as NSString).appendingPathComponent("mosaic.sqlite"))")
        }
        if !readOnly, let reason = Self.unwritable(path) { throw .readOnly(path: path, reason: reason) }
        _ = Self.memoryStatisticsOff
        var db: OpaquePointer?
        let flags = readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw .sqlite(path: path, code: rc, message: message, sql: nil)
        }
        handle = db
        postgres = nil
        dialect = .sqlite
        sqlite3_extended_result_codes(db, 1)
        busyTimeout = Self.busyTimeoutMilliseconds
        sqlite3_busy_timeout(db, Int32(clamping: busyTimeout))
        try MoneyFunctions.register(on: self)
    }

    /// On PostgreSQL, the longest one statement (or an attempt to connect again) waits for the
    /// server's answer, seconds; when it passes, the statement fails with
    /// ``StoreError/unavailable(location:reason:)`` and the connection is closed. nil (the
    /// default): no bound, as a long report needs. A long-running process sets it, so that a
    /// hung or unreachable server cannot hold its threads. Ignored on SQLite.
    public var answerTimeout: Double? {
        get { postgres?.answerTimeout }
        set { postgres?.answerTimeout = newValue }
    }

    /// On PostgreSQL, where the loss of the connection and its return are logged: once each per
    /// outage, not once per failed statement. nil (the default): nowhere. Ignored on SQLite.
    public var connectionLogger: Logger? {
        get { postgres?.connectionLogger }
        set { postgres?.connectionLogger = newValue }
    }

    /// Connects to a PostgreSQL database.
    ///
    /// The connection is made again when it was lost, on the next statement after it (see
    /// ``answerTimeout``, ``connectionLogger``); a transaction it held is lost with it.
    public init(postgres url: PostgresURL) throws(StoreError) {
        path = url.redacted
        handle = nil
        dialect = .postgres
        postgres = try PostgresSession(url: url)
    }

    deinit { if let handle { sqlite3_close_v2(handle) } }

    func error(_ rc: Int32, sql: String?) -> StoreError {
        failure(rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// An SQLite failure as a store error; a busy store names the processes that hold it.
    func failure(_ rc: Int32, message: String, sql: String?) -> StoreError {
        if rc & 0xFF == SQLITE_BUSY {
            return .busy(path: path, holders: LockHolders.describe(path: path), waitedMilliseconds: busyTimeout, sql: sql)
        }
        return .sqlite(path: path, code: rc, message: message, sql: sql)
    }

    /// Why this process cannot write the store at `path`, or nil when it can (or when it is not
    /// a plain file path). SQLite needs the file writable, and its folder too unless the `-wal`
    /// and `-shm` files it keeps beside the store already exist and are writable.
    static func unwritable(_ path: String) -> String? {
        if path.isEmpty || path == ":memory:" || path.hasPrefix("file:") { return nil }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var st = stat()
        if stat(path, &st) == 0 {
            if access(path, W_OK) != 0 {
                return "this process may not write the file (mode \(String(st.st_mode & 0o777, radix: 8)): "
                    + "\(String(cString: strerror(errno)))); make it writable (chmod u+w) or use a writable copy"
            }
        } else if errno != ENOENT {
            return nil   // let SQLite report it
        }
        var dirStat = stat()
        guard stat(folder, &dirStat) == 0 else { return nil }   // a missing folder: SQLite says so
        if access(folder, W_OK) != 0 {
            let sidecars = [path + "-wal", path + "-shm"]
            if sidecars.allSatisfy({ access($0, W_OK) == 0 }) { return nil }
            return "this process may not write its folder \(folder) (mode \(String(dirStat.st_mode & 0o777, radix: 8))), "
                + "where SQLite keeps the -wal and -shm files beside the store; make the folder writable or move the store"
        }
        return nil
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws(StoreError) {
        if let postgres {
            for statement in Database.split(sql) { postgresChanges = try postgres.query(statement, []).changed }
            return
        }
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errmsg)
        if rc != SQLITE_OK {
            let message = errmsg.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errmsg)
            throw failure(rc, message: message, sql: sql)
        }
    }

    /// Compiles a statement. Reuse it for repeated work: preparing is the expensive part.
    public func prepare(_ sql: String) throws(StoreError) -> Statement {
        if let postgres { return Statement(database: self, postgres: PostgresStatement(session: postgres, sql: sql)) }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, sql: sql) }
        return Statement(database: self, handle: stmt, sql: sql)
    }

    /// Compiles a query whose rows are read one at a time and may be many (one per request):
    /// on PostgreSQL they are fetched in batches over a connection of the statement's own,
    /// rather than read whole into memory (see ``PostgresStatement``); SQLite always steps
    /// through its rows. On PostgreSQL the statement sees what was committed when its first
    /// `step()` ran, not the caller's open transaction.
    public func prepare(streaming: Bool, _ sql: String) throws(StoreError) -> Statement {
        guard streaming, let postgres else { return try prepare(sql) }
        return Statement(database: self, postgres: PostgresStatement(session: postgres, sql: sql, streaming: true))
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT` (PostgreSQL: `BEGIN … COMMIT`); any error
    /// rolls everything back.
    ///
    /// Nothing of a failed body is ever visible to other connections or after a crash.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute(dialect == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// The rowid of the last inserted row (SQLite only; see ``insertReturningID(_:_:)``).
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the last INSERT/UPDATE/DELETE.
    public var changes: Int { postgres == nil ? Int(sqlite3_changes64(handle)) : postgresChanges }

    /// Runs an INSERT into a table whose key is `id` and returns the new row's id.
    public func insertReturningID(_ sql: String, _ bindings: [SQLValue]) throws(StoreError) -> Int64 {
        if dialect == .sqlite {
            try prepare(sql).run(bindings)
            return lastInsertRowID
        }
        let stmt = try prepare(sql + " RETURNING id")
        try stmt.bind(bindings)
        guard try stmt.step() else { throw .postgres(location: path, state: nil, message: "INSERT returned no id", sql: sql) }
        return stmt.int64(0)
    }

    /// Splits a script into statements at semicolons that end a line (PostgreSQL runs one
    /// statement per extended query).
    static func split(_ script: String) -> [String] {
        script.components(separatedBy: ";\n").flatMap { $0.hasSuffix(";") ? [String($0.dropLast())] : [$0] }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// The first column of the first row, as an integer (nil when there is no row or it is NULL).
    public func scalarInt(_ sql: String, _ bindings: [SQLValue] = []) throws(StoreError) -> Int64? {
        let stmt = try prepare(sql)
        try stmt.bind(bindings)
        guard try stmt.step() else { return nil }
        return stmt.isNull(0) ? nil : stmt.int64(0)
    }

    /// The first column of the first row, as text.
    public func scalarText(_ sql: String, _ bindings: [SQLValue] = []) throws(StoreError) -> String? {
        let stmt = try prepare(sql)
        try stmt.bind(bindings)
        guard try stmt.step() else { return nil }
        return stmt.isNull(0) ? nil : stmt.text(0)
    }

    /// All rows of a query, each as an array of values; for small results only.
    public func rows(_ sql: String, _ bindings: [SQLValue] = []) throws(StoreError) -> [[SQLValue]] {
        let stmt = try prepare(sql)
        try stmt.bind(bindings)
        var out: [[SQLValue]] = []
        while try stmt.step() {
            out.append((0..<stmt.columnCount).map { stmt.value($0) })
        }
        return out
    }

    /// The SQLite library version, e.g. "3.40.1".
    public static var sqliteVersion: String { String(cString: sqlite3_libversion()) }
}

/// A value for binding or reading, for the non-hot paths.
public enum SQLValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case int(Int64)
    case double(Double)
    case text(String)

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .int(let v): return String(v)
        case .double(let v): return String(v)
        case .text(let v): return v
        }
    }

    public var intValue: Int64? {
        switch self {
        case .int(let v): return v
        case .double(let v): return Int64(exactly: v)
        case .text(let v): return Int64(v)
        case .null: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .text(let v): return Double(v)
        case .null: return nil
        }
    }

    public var textValue: String? {
        switch self {
        case .null: return nil
        default: return description
        }
    }
}
