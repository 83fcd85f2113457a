import Foundation
import MosaicCore
import MosaicStore
import MosaicTestSupport
import Testing

@Suite("Migrations")
struct MigrationTests {
    static let tables = [
        "providers", "prices", "ingest_runs", "requests", "quarantine", "usage_buckets", "billing_lines",
        "checkpoints", "models", "cache_hits", "schema_migrations",
    ]

    @Test func freshStoreIsAtTheLatestVersion() throws {
        let s = try ScratchStore()
        #expect(try s.store.schemaVersion == Schema.latestVersion)
        #expect(Schema.latestVersion == Schema.migrations.count)
        #expect(Schema.migrations.map(\.version) == Array(1...Schema.migrations.count))
        let rows = try s.store.database.rows("SELECT version, name FROM schema_migrations ORDER BY version")
        #expect(rows == Schema.migrations.map { [.int(Int64($0.version)), .text($0.name)] })
    }

    @Test func freshStoreHasEveryTable() throws {
        let s = try ScratchStore()
        let names = try s.store.database.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .compactMap { $0[0].textValue }
        #expect(Set(names) == Set(Self.tables))
        #expect(try s.store.database.scalarInt(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'billing_lines_period'") == 1)
    }

    @Test func reopeningDoesNotReapply() throws {
        let s = try ScratchStore()
        let before = try s.store.database.rows("SELECT version, name, applied_at FROM schema_migrations")
        try s.store.database.execute(
            "INSERT INTO checkpoints(source, account, cursor, updated_at) VALUES ('openai', 'org', 'c1', 1)")
        for _ in 0..<2 {
            let again = try Store(path: s.path)
            #expect(try again.schemaVersion == Schema.latestVersion)
            #expect(try again.database.rows("SELECT version, name, applied_at FROM schema_migrations") == before)
            #expect(try again.database.scalarText("SELECT cursor FROM checkpoints") == "c1")
        }
    }

    @Test func newerSchemaIsRefused() throws {
        let dir = TemporaryDirectory("mosaic-too-new")
        let path = dir.file("future.sqlite")
        do {
            _ = try Store(path: path)
            let db = try Database(path: path)
            try db.execute("PRAGMA user_version = \(Schema.latestVersion + 1)")
        }
        let error = #expect(throws: StoreError.self) { try Store(path: path) }
        guard case let .schemaTooNew(p, found, supported)? = error else {
            Issue.record("expected schemaTooNew, got \(String(describing: error))")
            return
        }
        #expect(p == path)
        #expect(found == Schema.latestVersion + 1)
        #expect(supported == Schema.latestVersion)
        #expect(error?.description.contains("upgrade mosaic") == true)
        #expect(throws: StoreError.self) { try Store(path: path, readOnly: true) }
    }

    @Test func foreignSQLiteFileIsNotAStore() throws {
        let dir = TemporaryDirectory("mosaic-foreign")
        let path = dir.file("other.sqlite")
        do {
            let db = try Database(path: path)
            try db.execute("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'x')")
        }
        let error = #expect(throws: StoreError.self) { try Store(path: path) }
        guard case let .notAStore(p, reason)? = error else {
            Issue.record("expected notAStore, got \(String(describing: error))")
            return
        }
        #expect(p == path)
        #expect(reason.contains("1 table but"))
        // The foreign data is untouched and no Mosaic table was added.
        let db = try Database(path: path)
        #expect(try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'table'") == 1)
        #expect(try db.scalarText("SELECT name FROM customers") == "x")
    }

    @Test(arguments: ["random", "csv"])
    func nonDatabaseFileIsAnErrorNotACrash(_ kind: String) throws {
        let dir = TemporaryDirectory("mosaic-garbage")
        var bytes: [UInt8]
        if kind == "random" {
            var rng = SeededRandom(seed: 13).stream("garbage")
            bytes = (0..<8192).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        } else {
            bytes = Array(String(repeating: "timestamp,provider,model\n2024-05-01,openai,gpt-4o\n", count: 200).utf8)
        }
        let path = dir.write("not-a-db.sqlite", bytes: bytes)
        let error = #expect(throws: StoreError.self) { try Store(path: path) }
        #expect(sqliteCode(error) == SQLiteCode.notADatabase, "\(String(describing: error))")
        // The file is left as it was.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
    }

    @Test func emptyFileBecomesAStore() throws {
        let dir = TemporaryDirectory("mosaic-empty")
        let path = dir.write("empty.sqlite", bytes: [])
        let store = try Store(path: path)
        #expect(try store.schemaVersion == Schema.latestVersion)
    }

    @Test func readOnlyOpenOfAnUnmigratedFileIsRefused() throws {
        let dir = TemporaryDirectory("mosaic-unmigrated")
        let path = dir.file("blank.sqlite")
        do {
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(x); DROP TABLE t")
        }
        let error = #expect(throws: StoreError.self) { try Store(path: path, readOnly: true) }
        guard case .notAStore? = error else {
            Issue.record("expected notAStore, got \(String(describing: error))")
            return
        }
    }

    @Test func integrityCheckAfterMigration() throws {
        let s = try ScratchStore()
        #expect(try s.store.database.scalarText("PRAGMA integrity_check") == "ok")
    }
}
