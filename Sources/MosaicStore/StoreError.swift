/// Everything that can go wrong in the store, with the path (or URL) and the engine's own message.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// SQLite refused: `code` is the extended result code, `message` its text, `sql` what was run.
    case sqlite(path: String, code: Int32, message: String, sql: String?)
    /// PostgreSQL refused: `state` is the SQLSTATE code, `message` the server's text,
    /// `location` the URL without its password.
    case postgres(location: String, state: String?, message: String, sql: String?)
    /// The file was written by a newer Mosaic than this one.
    case schemaTooNew(path: String, found: Int, supported: Int)
    /// The file is not a Mosaic store (or not a database at all).
    case notAStore(path: String, reason: String)
    /// A stored value could not be read back (for example a malformed money amount).
    case corruptValue(table: String, column: String, value: String)

    public var description: String {
        switch self {
        case let .sqlite(path, code, message, sql):
            let what = sql.map { " (while running: \($0.prefix(120)))" } ?? ""
            return "\(path): SQLite error \(code): \(message)\(what)"
        case let .postgres(location, state, message, sql):
            let what = sql.map { " (while running: \($0.prefix(120)))" } ?? ""
            return "\(location): PostgreSQL error\(state.map { " \($0)" } ?? ""): \(message)\(what)"
        case let .schemaTooNew(path, found, supported):
            return "\(path): schema version \(found) is newer than this mosaic supports (\(supported)); upgrade mosaic"
        case let .notAStore(path, reason):
            return "\(path): not a Mosaic store: \(reason)"
        case let .corruptValue(table, column, value):
            return "\(table).\(column): stored value '\(value)' cannot be read"
        }
    }
}
