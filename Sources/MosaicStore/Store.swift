import CSQLite
import MosaicCore

/// The Mosaic store: one SQLite file holding requests, prices, usage, billing, runs and models.
///
/// Opening a store sets WAL journaling, foreign keys and a 64 MiB page cache, and applies any
/// pending migrations. Not `Sendable`: open one per thread.
public final class Store {
    public let database: Database
    public var path: String { database.path }

    /// The default location: `$MOSAIC_DB` when set, otherwise `./mosaic.sqlite`.
    public static func defaultPath(environment: [String: String]) -> String {
        if let p = environment["MOSAIC_DB"], !p.isEmpty { return p }
        return "mosaic.sqlite"
    }

    /// Opens (creating when needed) and migrates a store.
    ///
    /// - Throws: ``StoreError/schemaTooNew(path:found:supported:)`` for a file from a newer
    ///   Mosaic, ``StoreError/notAStore(path:reason:)`` for a foreign SQLite file.
    public init(path: String, readOnly: Bool = false) throws(StoreError) {
        database = try Database(path: path, readOnly: readOnly)
        if !readOnly {
            try database.execute("PRAGMA journal_mode = WAL")
            try database.execute("PRAGMA synchronous = NORMAL")
        }
        try database.execute("PRAGMA foreign_keys = ON")
        try database.execute("PRAGMA cache_size = -65536")
        try database.execute("PRAGMA temp_store = MEMORY")
        try Migrator(database: database).migrate(readOnly: readOnly)
    }

    /// The schema version of the open file.
    public var schemaVersion: Int {
        get throws(StoreError) { Int(try database.scalarInt("PRAGMA user_version") ?? 0) }
    }
}

/// Applies ``Schema/migrations`` in order.
struct Migrator {
    let database: Database

    func migrate(readOnly: Bool) throws(StoreError) {
        let current = Int(try database.scalarInt("PRAGMA user_version") ?? 0)
        if current > Schema.latestVersion {
            throw .schemaTooNew(path: database.path, found: current, supported: Schema.latestVersion)
        }
        if current == 0 {
            let tables = try database.scalarInt(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") ?? 0
            if tables > 0 {
                throw .notAStore(path: database.path, reason: "it has \(tables) tables but no Mosaic schema version")
            }
        }
        if current == Schema.latestVersion { return }
        if readOnly {
            throw .notAStore(path: database.path, reason: "schema version \(current) needs migrating; open it read-write once")
        }
        try database.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)
            """)
        for m in Schema.migrations where m.version > current {
            do {
                try database.transaction {
                    try database.execute(m.sql)
                    try database.prepare("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)")
                        .run([.int(Int64(m.version)), .text(m.name), .int(Timestamp.now())])
                    try database.execute("PRAGMA user_version = \(m.version)")
                }
            } catch let e as StoreError {
                throw e
            } catch {
                throw .sqlite(path: database.path, code: -1, message: "\(error)", sql: nil)
            }
        }
    }
}
