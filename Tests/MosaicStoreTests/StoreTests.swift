import Foundation
import MosaicCore
import MosaicStore
import MosaicTestSupport
import Testing

/// A new store in its own temporary folder; the folder lives as long as this value.
final class ScratchStore {
    let directory: TemporaryDirectory
    let store: Store
    var path: String { store.path }

    init(_ label: String = "mosaic-store") throws {
        directory = TemporaryDirectory(label)
        store = try Store(path: directory.file("mosaic.sqlite"))
    }

    /// Syncs the built-in catalog, so that requests may refer to its providers.
    @discardableResult
    func withCatalog() throws -> ScratchStore {
        try store.syncProviders(Catalog.default)
        return self
    }
}

/// The SQLite extended result code of a store error, or nil for other errors.
func sqliteCode(_ error: (any Error)?) -> Int32? {
    guard case let .sqlite(_, code, _, _)? = error as? StoreError else { return nil }
    return code
}

/// The SQLite message of a store error.
func sqliteMessage(_ error: (any Error)?) -> String? {
    guard case let .sqlite(_, _, message, _)? = error as? StoreError else { return nil }
    return message
}

/// SQLite's extended result codes that the tests look for.
enum SQLiteCode {
    static let error: Int32 = 1
    static let notADatabase: Int32 = 26
    static let constraintCheck: Int32 = 275         // SQLITE_CONSTRAINT | 1 << 8
    static let constraintForeignKey: Int32 = 787    // SQLITE_CONSTRAINT | 3 << 8
    static let constraintPrimaryKey: Int32 = 1555   // SQLITE_CONSTRAINT | 6 << 8
}

@Suite("Store")
struct StoreTests {
    let scratch: ScratchStore
    var store: Store { scratch.store }

    init() throws { scratch = try ScratchStore() }

    @Test func setsWALAndForeignKeys() throws {
        #expect(try store.database.scalarText("PRAGMA journal_mode") == "wal")
        #expect(try store.database.scalarInt("PRAGMA foreign_keys") == 1)
        #expect(try store.database.scalarInt("PRAGMA synchronous") == 1)   // NORMAL
        #expect(try store.database.scalarInt("PRAGMA cache_size") == -65_536)
        #expect(try store.database.scalarInt("PRAGMA temp_store") == 2)    // MEMORY
    }

    @Test func integrityCheckIsOK() throws {
        #expect(try store.database.rows("PRAGMA integrity_check") == [[.text("ok")]])
        #expect(try store.database.rows("PRAGMA foreign_key_check").isEmpty)
    }

    @Test func defaultPath() {
        #expect(Store.defaultPath(environment: [:]) == "mosaic.sqlite")
        #expect(Store.defaultPath(environment: ["MOSAIC_DB": ""]) == "mosaic.sqlite")
        #expect(Store.defaultPath(environment: ["MOSAIC_DB": "/tmp/x.sqlite"]) == "/tmp/x.sqlite")
    }

    @Test func readOnlyOpenReadsButDoesNotWrite() throws {
        try scratch.withCatalog()
        let ro = try Store(path: scratch.path, readOnly: true)
        #expect(try ro.schemaVersion == Schema.latestVersion)
        #expect(try ro.providerIDs() == Catalog.default.ids)
        let error = #expect(throws: StoreError.self) {
            try ro.database.execute("DELETE FROM providers")
        }
        #expect(sqliteCode(error).map { $0 & 0xFF } == 8)   // SQLITE_READONLY
    }

    @Test func readOnlyOpenOfAMissingFileFails() throws {
        let dir = TemporaryDirectory("mosaic-missing")
        #expect(throws: StoreError.self) { try Store(path: dir.file("absent.sqlite"), readOnly: true) }
        #expect(!FileManager.default.fileExists(atPath: dir.file("absent.sqlite")))
    }

    @Test func openingInAMissingFolderFails() {
        let error = #expect(throws: StoreError.self) { try Store(path: "/nonexistent-mosaic-dir/x/mosaic.sqlite") }
        #expect(error?.description.contains("/nonexistent-mosaic-dir/x/mosaic.sqlite") == true)
    }

    @Test func transactionRollsBackOnError() throws {
        struct Boom: Error {}
        let db = store.database
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.execute("INSERT INTO checkpoints(source, account, cursor, updated_at) VALUES ('s', 'a', 'c', 1)")
                throw Boom()
            }
        }
        #expect(try db.scalarInt("SELECT count(*) FROM checkpoints") == 0)
        try db.transaction {
            try db.execute("INSERT INTO checkpoints(source, account, cursor, updated_at) VALUES ('s', 'a', 'c', 1)")
        }
        #expect(try db.scalarInt("SELECT count(*) FROM checkpoints") == 1)
    }

    @Test func sqlErrorsNameThePathAndStatement() throws {
        let error = #expect(throws: StoreError.self) { try store.database.execute("SELEKT 1") }
        let text = error?.description ?? ""
        #expect(text.hasPrefix(scratch.path + ": SQLite error 1: "))
        #expect(text.contains("SELEKT 1"))
    }

    @Test func syncProvidersIsIdempotent() throws {
        try store.syncProviders(Catalog.default)
        try store.syncProviders(Catalog.default)
        #expect(try store.providerIDs() == Catalog.default.ids)
        #expect(try store.database.scalarInt("SELECT count(*) FROM providers") == Int64(Catalog.default.providers.count))
        #expect(try store.database.scalarText("SELECT kind FROM providers WHERE id = 'openai'") == "ai")
    }

    @Test func sqlValueConversions() {
        #expect(SQLValue.int(3).doubleValue == 3)
        #expect(SQLValue.double(2.5).intValue == nil)
        #expect(SQLValue.text("7").intValue == 7)
        #expect(SQLValue.null.textValue == nil)
        #expect(SQLValue.double(2.5).textValue == "2.5")
    }
}
