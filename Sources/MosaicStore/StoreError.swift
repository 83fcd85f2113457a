/// Everything that can go wrong in the store, with the path (or URL) and the engine's own message.
///
/// Storage faults read as what happened and what to do: a full disk, a read-only file or folder,
/// a store another process holds, a damaged file, a store from a newer Mosaic. In every case the
/// failed transaction was rolled back, so the store holds all of it or none of it.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// SQLite refused: `code` is the extended result code, `message` its text, `sql` what was run.
    case sqlite(path: String, code: Int32, message: String, sql: String?)
    /// PostgreSQL refused: `state` is the SQLSTATE code, `message` the server's text,
    /// `location` the URL without its password.
    case postgres(location: String, state: String?, message: String, sql: String?)
    /// The PostgreSQL server could not be reached, lost the connection, or gave no answer in
    /// time: `reason` says which. The transaction in progress is gone (the server rolls back a
    /// transaction whose connection ended), and the next statement connects again, so the same
    /// work can be tried again.
    case unavailable(location: String, reason: String)
    /// The file was written by a newer Mosaic than this one.
    case schemaTooNew(path: String, found: Int, supported: Int)
    /// The file is not a Mosaic store (or not a database at all).
    case notAStore(path: String, reason: String)
    /// The store cannot be used for this: `reason` says why (a copy into a store that has rows,
    /// a fleet on SQLite, a folder, a postgres:// URL that is not one).
    case refused(path: String, reason: String)
    /// A stored value could not be read back (for example a malformed money amount).
    case corruptValue(table: String, column: String, value: String)
    /// Another process held the store's write lock for longer than the busy timeout.
    /// `holders` describes the processes holding a lock on it ("pid 1234 (mosaic serve …)"),
    /// empty when they cannot be found (not Linux, or the lock was released meanwhile).
    case busy(path: String, holders: [String], waitedMilliseconds: Int, sql: String?)
    /// The store cannot be written: `reason` says whether the file or its folder is read-only.
    case readOnly(path: String, reason: String)
    /// A series asked for more intervals per group than ``Store/maximumSeriesIntervals``.
    case seriesTooLong(intervals: Int64, maximum: Int)

    public var description: String {
        switch self {
        case let .sqlite(path, code, message, sql):
            if let fault = Self.fault(code: code, message: message) { return "\(path): \(fault)" }
            if message.hasPrefix("money_sum: overflow") || message.hasPrefix("money_mul: overflow") {
                return "\(path): a money total is beyond what Mosaic holds exactly (about ±1.7 × 10¹⁴): the store holds "
                    + "amounts too large to add up. Ingest refuses a single amount beyond ±10¹², but rows stored by an "
                    + "older Mosaic may hold one; find them with `sqlite3 \(path) \"SELECT ts, cost FROM requests WHERE abs(cost) > 1e12\"` "
                    + "(or billing_lines' billed_cost) and delete or correct them"
            }
            let what = sql.map { " (while running: \($0.prefix(120)))" } ?? ""
            return "\(path): SQLite error \(code): \(message)\(what)"
        case let .postgres(location, state, message, sql):
            let what = sql.map { " (while running: \($0.prefix(120)))" } ?? ""
            return "\(location): PostgreSQL error\(state.map { " \($0)" } ?? ""): \(message)\(what)"
        case let .unavailable(location, reason):
            return "\(location): PostgreSQL is unavailable: \(reason)"
        case let .schemaTooNew(path, found, supported):
            return "\(path): schema version \(found) is newer than this mosaic supports (\(supported)); upgrade mosaic"
        case let .notAStore(path, reason):
            return "\(path): not a Mosaic store: \(reason)"
        case let .refused(path, reason):
            return "\(path): \(reason)"
        case let .corruptValue(table, column, value):
            return "\(table).\(column): stored value '\(value)' cannot be read"
        case let .busy(path, holders, waited, _):
            let who = holders.isEmpty ? "another process holds its write lock"
                : "held by \(holders.joined(separator: ", "))"
            let seconds = waited % 1000 == 0 ? "\(waited / 1000) s" : "\(waited) ms"
            return "\(path): the store is busy: \(who), and it was not released within \(seconds); "
                + "nothing was written. Run again when that process has finished (MOSAIC_BUSY_TIMEOUT_MS sets the wait)"
        case let .readOnly(path, reason):
            return "\(path): the store is read-only: \(reason); nothing was written"
        case let .seriesTooLong(intervals, maximum):
            return "the window holds \(intervals) intervals of that width, more than the \(maximum) a series may have; "
                + "narrow the window (--since, --until) or widen the interval"
        }
    }

    /// Whether the store could not be reached (``unavailable(location:reason:)``): worth trying
    /// again later, unlike a statement the store refused.
    public var isUnavailable: Bool {
        if case .unavailable = self { return true }
        return false
    }

    /// The storage faults a user can act on, by SQLite's primary result code.
    static func fault(code: Int32, message: String) -> String? {
        switch code & 0xFF {
        case 13:   // SQLITE_FULL
            return "the store is full (SQLite: \(message)); the transaction was rolled back and nothing of it was "
                + "written. Free disk space, then run the command again"
        case 8:    // SQLITE_READONLY
            return "the store is read-only (SQLite: \(message)); nothing was written. Make the file and its folder "
                + "writable, or use a writable copy"
        case 11:   // SQLITE_CORRUPT
            return "the store is damaged (SQLite: \(message)); nothing was written. Restore it from a backup; "
                + "`sqlite3 FILE 'PRAGMA integrity_check'` lists the damage"
        case 26:   // SQLITE_NOTADB
            return "not a Mosaic store: the file is not an SQLite database, or it is damaged (SQLite: \(message))"
        case 10:   // SQLITE_IOERR
            return "the disk failed to read or write the store (SQLite error \(code): \(message)); the transaction "
                + "was rolled back"
        default:
            return nil
        }
    }
}
