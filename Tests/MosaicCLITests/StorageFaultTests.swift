import Foundation
import MosaicCore
import MosaicStore
import MosaicTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Storage faults through the CLI: a full store, a read-only file or folder, a store another
/// process holds, a damaged file, a store from a newer Mosaic. Each gives one clear message
/// and exit status 1, and leaves a store that passes `integrity_check` with every file either
/// wholly in or wholly out; an ingest run again afterwards completes exactly once.
@Suite("storage faults")
struct StorageFaultTests {
    /// A native request log of `rows` rows, one second apart from `from` (distinct rows).
    static func log(_ dir: TemporaryDirectory, _ name: String, rows: Int, from: Int) -> String {
        var text = "timestamp,provider,model,input_tokens,output_tokens,latency_ms\n"
        let start = 1_791_158_400   // 2026-10-05T00:00:00Z
        for k in 0..<rows {
            let t = Date(timeIntervalSince1970: TimeInterval(start + from + k))
            text += "\(ISO8601DateFormatter().string(from: t)),openai,gpt-4o,\(100 + k % 900),\(20 + k % 300),\(400 + k % 700)\n"
        }
        return dir.write(name, text)
    }

    static func count(_ db: String) throws -> Int64 {
        try Store(path: db, readOnly: true).database.scalarInt("SELECT count(*) FROM requests") ?? -1
    }

    static func integrity(_ db: String) throws -> String? {
        try Database(path: db, readOnly: true).scalarText("PRAGMA integrity_check")
    }

    /// The message ArgumentParser prints for the error, without its "Error: " prefix.
    static func message(_ r: MosaicBinary.Result) -> String {
        let text = r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.hasPrefix("Error: ") ? String(text.dropFirst(7)) : text
    }

    /// Runs `mosaic` unable to override file permissions: as root, through `setpriv` with
    /// CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped (root otherwise writes read-only files).
    static func runUnprivileged(_ arguments: [String]) throws -> MosaicBinary.Result {
        guard geteuid() == 0 else { return try MosaicBinary.run(arguments) }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "MOSAIC_DB")
        return try ChildProcess.run("/usr/bin/setpriv", ["--bounding-set", "-dac_override,-dac_read_search", "--", MosaicBinary.path]
                                        + arguments, environment: env)
    }

    static let canDropPrivilege = geteuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

    @Test func fullStoreStopsTheIngestAndTheNextRunResumes() throws {
        let tmp = TemporaryDirectory("fault-full")
        let db = tmp.file("full.sqlite")
        let a = Self.log(tmp, "a.csv", rows: 100, from: 0)
        let b = Self.log(tmp, "b.csv", rows: 20_000, from: 1_000)
        let c = Self.log(tmp, "c.csv", rows: 100, from: 100_000)
        #expect(try MosaicBinary.run(["db", "info", "--db", db]).status == 0)
        let pages = try #require(try Database(path: db).scalarInt("PRAGMA page_count"))
        // Room for a.csv (a few pages) but not for b.csv (about 2 MB).
        let full = try MosaicBinary.run(["ingest", "requests", a, b, c, "--db", db],
                                        environment: ["MOSAIC_TEST_MAX_PAGES": "\(pages + 40)"])
        #expect(full.status == 1)
        #expect(Self.message(full) == "\(db): the store is full (SQLite: database or disk is full); the transaction was "
                + "rolled back and nothing of it was written. Free disk space, then run the command again\n"
                + "stored before it (each file is its own transaction): \(a)\nnot read: \(c)", "\(full.stderr)")
        #expect(try Self.integrity(db) == "ok")
        #expect(try Self.count(db) == 100, "a.csv wholly in, b.csv wholly out, c.csv not started")

        // With room again, the same command resumes: a.csv is already stored, b and c land once.
        let again = try MosaicBinary.run(["ingest", "requests", a, b, c, "--output", "json", "--db", db])
        #expect(again.status == 0, "\(again.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["new"] as? Int } == [0, 20_000, 100])
        #expect(rows.map { $0["already_stored"] as? Int } == [100, 0, 0])
        #expect(try Self.count(db) == 20_200)
        #expect(try Self.integrity(db) == "ok")
    }

    @Test(.enabled(if: canDropPrivilege, "running as root without setpriv: cannot make a file read-only to mosaic"))
    func readOnlyStoreFileIsRefused() throws {
        let tmp = TemporaryDirectory("fault-rofile")
        let db = tmp.file("ro.sqlite")
        #expect(try MosaicBinary.run(["ingest", "requests", Self.log(tmp, "a.csv", rows: 100, from: 0), "--db", db]).status == 0)
        chmod(db, 0o444)
        defer { chmod(db, 0o644) }
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let r = try Self.runUnprivileged(["ingest", "requests", Self.log(tmp, "b.csv", rows: 100, from: 1_000), "--db", db])
        #expect(r.status == 1)
        #expect(Self.message(r) == "\(db): the store is read-only: this process may not write the file (mode 444: "
                + "Permission denied); make it writable (chmod u+w) or use a writable copy; nothing was written", "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
        #expect(try Self.integrity(db) == "ok")
        #expect(try Self.count(db) == 100)
    }

    @Test(.enabled(if: canDropPrivilege, "running as root without setpriv: cannot make a folder read-only to mosaic"))
    func readOnlyStoreFolderIsRefused() throws {
        let tmp = TemporaryDirectory("fault-rodir")
        let folder = tmp.file("locked")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let db = folder + "/ro.sqlite"
        #expect(try MosaicBinary.run(["ingest", "requests", Self.log(tmp, "a.csv", rows: 100, from: 0), "--db", db]).status == 0)
        chmod(folder, 0o555)
        defer { chmod(folder, 0o755) }
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let r = try Self.runUnprivileged(["ingest", "requests", Self.log(tmp, "b.csv", rows: 100, from: 1_000), "--db", db])
        #expect(r.status == 1)
        #expect(Self.message(r) == "\(db): the store is read-only: this process may not write its folder \(folder) (mode 555), "
                + "where SQLite keeps the -wal and -shm files beside the store; make the folder writable or move the store; "
                + "nothing was written", "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["ro.sqlite"])
        #expect(try Self.integrity(db) == "ok")
        #expect(try Self.count(db) == 100)
    }

    /// This test process holds the write lock; the CLI waits its (shortened) busy timeout and
    /// names this process.
    @Test func busyStoreNamesTheProcessHoldingIt() throws {
        let tmp = TemporaryDirectory("fault-busy")
        let db = tmp.file("busy.sqlite")
        let a = Self.log(tmp, "a.csv", rows: 100, from: 0)
        let b = Self.log(tmp, "b.csv", rows: 100, from: 1_000)
        #expect(try MosaicBinary.run(["ingest", "requests", a, "--db", db]).status == 0)
        let holder = try Store(path: db)
        try holder.database.execute("BEGIN IMMEDIATE")
        try holder.database.execute("INSERT INTO checkpoints(source, account, cursor, updated_at) VALUES ('test', 'holder', '1', 1)")
        let r = try MosaicBinary.run(["ingest", "requests", b, "--db", db], environment: ["MOSAIC_BUSY_TIMEOUT_MS": "300"])
        #expect(r.status == 1)
        let message = Self.message(r)
        #expect(message.hasPrefix("\(db): the store is busy: held by pid \(getpid()) ("), "\(r.stderr)")
        #expect(message.hasSuffix("), and it was not released within 300 ms; nothing was written. Run again when that "
                                  + "process has finished (MOSAIC_BUSY_TIMEOUT_MS sets the wait)"), "\(r.stderr)")
        try holder.database.execute("ROLLBACK")
        #expect(try Self.integrity(db) == "ok")
        #expect(try Self.count(db) == 100, "b.csv wholly out")
        let again = try MosaicBinary.run(["ingest", "requests", a, b, "--db", db])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.count(db) == 200)
    }

    @Test func garbageFileIsAnErrorNotACrash() throws {
        let tmp = TemporaryDirectory("fault-garbage")
        var rng = SeededRandom(seed: 17).stream("garbage")
        let bytes = (0..<16_384).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let db = tmp.write("garbage.sqlite", bytes: bytes)
        let r = try MosaicBinary.run(["ingest", "requests", Self.log(tmp, "a.csv", rows: 10, from: 0), "--db", db])
        #expect(r.status == 1)
        #expect(Self.message(r) == "\(db): not a Mosaic store: the file is not an SQLite database, or it is damaged "
                + "(SQLite: file is not a database)", "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == Data(bytes))
    }

    @Test func aFolderIsNotAStore() throws {
        let tmp = TemporaryDirectory("fault-folder")
        let folder = tmp.file("stores")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        for args in [["ingest", "requests", Self.log(tmp, "a.csv", rows: 10, from: 0), "--db", folder], ["db", "info", "--db", folder]] {
            let r = try MosaicBinary.run(args)
            #expect(r.status == 1)
            #expect(Self.message(r) == "\(folder): is a folder; name a store file in it, such as \(folder)/mosaic.sqlite",
                    "\(r.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    /// A store whose table pages are overwritten (its header and schema page intact).
    @Test func damagedStoreIsAnErrorNotACrash() throws {
        let tmp = TemporaryDirectory("fault-damaged")
        let db = tmp.file("damaged.sqlite")
        #expect(try MosaicBinary.run(["ingest", "requests", Self.log(tmp, "a.csv", rows: 2_000, from: 0), "--db", db]).status == 0)
        // The ingest closed its connection before exiting (its writer thread is joined), so
        // SQLite checkpointed the write-ahead log into the file this test damages and removed it.
        #expect(!FileManager.default.fileExists(atPath: db + "-wal"))
        var data = try Data(contentsOf: URL(fileURLWithPath: db))
        #expect(data.count > 4 * 4096)
        let pageSize = 4096
        for k in pageSize..<data.count { data[k] = UInt8(truncatingIfNeeded: k &* 2_654_435_761 >> 13) }
        try data.write(to: URL(fileURLWithPath: db))
        let r = try MosaicBinary.run(["db", "info", "--db", db])
        #expect(r.status == 1)
        #expect(Self.message(r).hasPrefix("\(db): the store is damaged (SQLite: "), "\(r.stderr)")
        #expect(Self.message(r).hasSuffix("nothing was written. Restore it from a backup; `sqlite3 FILE 'PRAGMA integrity_check'` lists the damage"),
                "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == data)
    }

    @Test func storeFromANewerMosaicIsRefused() throws {
        let tmp = TemporaryDirectory("fault-newer")
        let db = tmp.file("newer.sqlite")
        #expect(try MosaicBinary.run(["ingest", "requests", Self.log(tmp, "a.csv", rows: 100, from: 0), "--db", db]).status == 0)
        try Database(path: db).execute("PRAGMA user_version = \(Schema.latestVersion + 1)")
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let r = try MosaicBinary.run(["ingest", "requests", Self.log(tmp, "b.csv", rows: 100, from: 1_000), "--db", db])
        #expect(r.status == 1)
        #expect(Self.message(r) == "\(db): schema version \(Schema.latestVersion + 1) is newer than this mosaic supports "
                + "(\(Schema.latestVersion)); upgrade mosaic", "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
        #expect(try Self.integrity(db) == "ok")
    }
}
