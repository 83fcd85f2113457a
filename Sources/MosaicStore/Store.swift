import CSQLite
import Foundation
import MosaicCore

/// The Mosaic store: requests, prices, usage, billing, runs and models, in one SQLite file (the
/// embedded default) or in one PostgreSQL database (shared by many machines).
///
/// Opening an SQLite store sets WAL journaling, foreign keys and a 64 MiB page cache; opening
/// either applies any pending migrations. Not `Sendable`: open one per thread.
public final class Store {
    public let database: Database
    public var path: String { database.path }

    /// The default location: `$MOSAIC_DB` when set, otherwise `./mosaic.sqlite`. Either may be
    /// a `postgres://user@host:port/database` URL.
    public static func defaultPath(environment: [String: String]) -> String {
        if let p = environment["MOSAIC_DB"], !p.isEmpty { return p }
        return "mosaic.sqlite"
    }

    /// Opens (creating when needed) and migrates a store: an SQLite file, or the PostgreSQL
    /// database a `postgres://` URL names (which must exist; its tables are created).
    ///
    /// - Throws: ``StoreError/schemaTooNew(path:found:supported:)`` for a file from a newer
    ///   Mosaic, ``StoreError/notAStore(path:reason:)`` for a foreign SQLite file.
    public init(path: String, readOnly: Bool = false) throws(StoreError) {
        if PostgresURL.isPostgres(path) {
            database = try Database(postgres: try PostgresURL(parsing: path))
            try PostgresMigrator(database: database).migrate(readOnly: readOnly)
            return
        }
        database = try Database(path: path, readOnly: readOnly)
        if !readOnly {
            try database.execute("PRAGMA journal_mode = WAL")
            try database.execute("PRAGMA synchronous = NORMAL")
            // For tests of a full store only: caps the file at this many pages (4 KiB each), so
            // the next write that needs a page fails as on a full disk.
            if let text = getenv("MOSAIC_TEST_MAX_PAGES").map({ String(cString: $0) }), let pages = Int(text), pages > 0 {
                try database.execute("PRAGMA max_page_count = \(pages)")
            }
        }
        try database.execute("PRAGMA foreign_keys = ON")
        try database.execute("PRAGMA cache_size = -65536")
        try database.execute("PRAGMA temp_store = MEMORY")
        try Migrator(database: database).migrate(readOnly: readOnly)
    }

    /// The schema version of the open store.
    public var schemaVersion: Int {
        get throws(StoreError) {
            if database.dialect == .postgres {
                return Int(try database.scalarInt("SELECT max(version) FROM schema_migrations") ?? 0)
            }
            return Int(try database.scalarInt("PRAGMA user_version") ?? 0)
        }
    }

    /// Which engine holds the store.
    public var dialect: SQLDialect { database.dialect }
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
                throw .notAStore(path: database.path, reason: "it has \(tables) \(tables == 1 ? "table" : "tables") but no Mosaic schema version")
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
                    try m.code?(database)
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

/// Applies ``Schema/migrations`` to a PostgreSQL database, all pending ones in one
/// transaction under an advisory lock, so several processes starting at once migrate once.
struct PostgresMigrator {
    let database: Database

    func migrate(readOnly: Bool) throws(StoreError) {
        do {
            try database.transaction {
                try database.execute("SELECT pg_advisory_xact_lock(7236837366706143083)")
                let hasTable = try database.scalarInt(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'") ?? 0
                var current = 0
                if hasTable > 0 {
                    current = Int(try database.scalarInt("SELECT coalesce(max(version), 0) FROM schema_migrations") ?? 0)
                } else {
                    let tables = try database.scalarInt(
                        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()") ?? 0
                    if tables > 0 {
                        throw StoreError.notAStore(path: database.path, reason: "its schema has \(tables) \(tables == 1 ? "table" : "tables") but no Mosaic schema version")
                    }
                }
                if current > Schema.latestVersion {
                    throw StoreError.schemaTooNew(path: database.path, found: current, supported: Schema.latestVersion)
                }
                if current == Schema.latestVersion { return }
                if readOnly {
                    throw StoreError.notAStore(path: database.path, reason: "schema version \(current) needs migrating; open it read-write once")
                }
                try database.execute("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                    """)
                for m in Schema.migrations where m.version > current {
                    try database.execute(m.postgres)
                    try m.code?(database)
                    try database.prepare("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)")
                        .run([.int(Int64(m.version)), .text(m.name), .int(Timestamp.now())])
                }
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw .postgres(location: database.path, state: nil, message: "\(error)", sql: nil)
        }
    }
}
