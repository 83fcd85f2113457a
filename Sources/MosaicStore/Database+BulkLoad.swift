extension Database {
    /// Runs `body` (which opens and ends its own transaction) with SQLite's foreign-key checks
    /// off, and turns them back on afterwards, whatever happens. On PostgreSQL it only runs `body`.
    ///
    /// For bulk loads that check every reference themselves, against parent rows read inside
    /// the same write transaction: SQLite's check opens a cursor on the parent table for every
    /// inserted row, about a third of SQLite's time in a request-log load. The pragma is a
    /// no-op inside a transaction, so call this outside one.
    public func withoutForeignKeyChecks<T>(_ body: () throws -> T) throws -> T {
        if dialect != .sqlite { return try body() }
        try execute("PRAGMA foreign_keys = OFF")
        defer { try? execute("PRAGMA foreign_keys = ON") }
        return try body()
    }
}
