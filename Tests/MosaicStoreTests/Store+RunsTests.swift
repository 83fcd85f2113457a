import Foundation
import MosaicCore
@testable import MosaicStore
import MosaicTestSupport
import Testing

/// Runs record the process that began them; a run whose process on this machine is gone is
/// marked `interrupted`; a store of schema 5 keeps its runs (ids, rows pointing at them) when
/// it gains the columns. The same on SQLite and, with a server, PostgreSQL.
enum RunsTestEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }

    /// The engines that run here: PostgreSQL only with a server (`MOSAIC_TEST_POSTGRES`).
    static var available: [RunsTestEngine] { PostgresServer.isAvailable ? allCases : [.sqlite] }
}

/// An empty store location on `engine`, kept alive with the returned owner.
private func location(_ engine: RunsTestEngine, _ label: String) throws -> (String, AnyObject) {
    switch engine {
    case .sqlite:
        let dir = TemporaryDirectory("mosaic-runs-\(label)")
        return (dir.file("m.sqlite"), dir)
    case .postgres:
        let db = try PostgresServer.database(label)
        return (db.location, db)
    }
}

/// A store of schema 5 (what Mosaic wrote before runs recorded their process) at `location`.
private func makeVersion5(_ location: String) throws {
    let postgres = PostgresURL.isPostgres(location)
    let db = postgres ? try Database(postgres: try PostgresURL(parsing: location)) : try Database(path: location)
    try db.execute("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
    if !postgres { try db.execute("PRAGMA foreign_keys = ON") }
    for m in Schema.migrations where m.version <= 5 {
        try db.execute(postgres ? m.postgres : m.sql)
        try m.code?(db)
        try db.prepare("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)")
            .run([.int(Int64(m.version)), .text(m.name), .int(0)])
    }
    if !postgres { try db.execute("PRAGMA user_version = 5") }
}

@Suite("ingest runs: their process, interrupted runs")
struct StoreRunsTests {
    /// This process's `process_start` with other parts: (boot, namespace, ticks); "" off Linux.
    static func start(boot: String? = nil, namespace: String? = nil, ticks: String) -> String {
        let mine = RunOwner.current.processStart.split(separator: "/").map(String.init)
        guard mine.count == 3 else { return "" }
        return [boot ?? mine[0], namespace ?? mine[1], ticks].joined(separator: "/")
    }

    /// A process that has ended: a child run to completion (were its pid reused, the new
    /// process would have another start time).
    static func endedProcess() throws -> RunOwner {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return RunOwner(pid: Int64(p.processIdentifier), host: RunOwner.current.host, processStart: start(ticks: "1"))
    }

    @Test(arguments: RunsTestEngine.available)
    func aRunWhoseProcessIsGoneIsMarkedInterrupted(_ engine: RunsTestEngine) throws {
        let (path, keep) = try location(engine, "interrupted")
        defer { withExtendedLifetime(keep) {} }
        let store = try Store(path: path)
        let dead = try store.beginRun(source: "requests:csv", location: "killed.csv", owner: try Self.endedProcess())
        let elsewhere = try store.beginRun(source: "requests:csv", location: "other.csv",
                                           owner: RunOwner(pid: 1, host: RunOwner.current.host + "-elsewhere", processStart: "x/1"))
        let mine = try store.beginRun(source: "requests:csv", location: "mine.csv")
        // A pid now used by another process (this one) than the run's, or begun before a restart: gone too.
        let reused = try store.beginRun(source: "requests:csv", location: "reused.csv",
                                        owner: RunOwner(pid: RunOwner.current.pid, host: RunOwner.current.host, processStart: Self.start(ticks: "7")))
        let rebooted = try store.beginRun(source: "requests:csv", location: "rebooted.csv",
                                          owner: RunOwner(pid: RunOwner.current.pid, host: RunOwner.current.host,
                                                          processStart: Self.start(boot: "another-boot", ticks: "7")))
        // Another container's pid on this machine (same host name, another pid namespace): cannot be judged.
        let container = try store.beginRun(source: "requests:csv", location: "container.csv",
                                           owner: RunOwner(pid: 999_999, host: RunOwner.current.host,
                                                           processStart: Self.start(namespace: "1", ticks: "7")))
        try store.finishRun(mine, counts: IngestCounts(read: 1, inserted: 1))
        let live = try store.beginRun(source: "requests:csv", location: "live.csv")

        // Every beginRun marked the runs gone by then; marking again finds none.
        #expect(try store.markInterruptedRuns() == 0)
        let byID = Dictionary(uniqueKeysWithValues: try store.runs().map { ($0.id, $0) })
        #expect(byID[dead]?.status == "interrupted")
        #expect(byID[dead]?.error?.hasPrefix("its process (pid \(byID[dead]!.owner!.pid) on \(RunOwner.current.host)) ended without finishing the run") == true,
                "\(byID[dead]?.error ?? "")")
        #expect(byID[dead]?.finishedAt == nil)
        // Another machine's run cannot be judged from here; this process's runs are alive.
        #expect(byID[elsewhere]?.status == "running")
        #expect(byID[live]?.status == "running" && byID[live]?.owner == RunOwner.current)
        #expect(byID[mine]?.status == "ok")
        if !RunOwner.current.processStart.isEmpty {
            #expect(byID[reused]?.status == "interrupted" && byID[rebooted]?.status == "interrupted")
            #expect(byID[container]?.status == "running")
        }
        // A run written without beginRun is marked by the next look, which counts it.
        let ended = try Self.endedProcess()
        try store.database.prepare("INSERT INTO ingest_runs(source, location, started_at, status, pid, host, process_start) VALUES ('x', 'y', 1, 'running', ?, ?, ?)")
            .run([.int(ended.pid), .text(ended.host), .text(ended.processStart)])
        #expect(try store.markInterruptedRuns() == 1)
        // Beginning a run marks first.
        let another = try store.beginRun(source: "requests:csv", location: "b.csv", owner: try Self.endedProcess())
        _ = try store.beginRun(source: "requests:csv", location: "c.csv")
        #expect(try store.runs().first { $0.id == another }?.status == "interrupted")
    }

    @Test(arguments: RunsTestEngine.available)
    func aVersion5StoreKeepsItsRunsAndWhatPointsAtThem(_ engine: RunsTestEngine) throws {
        let (path, keep) = try location(engine, "v5runs")
        defer { withExtendedLifetime(keep) {} }
        try makeVersion5(path)
        do {
            let db = PostgresURL.isPostgres(path) ? try Database(postgres: try PostgresURL(parsing: path)) : try Database(path: path)
            try db.execute("""
                INSERT INTO ingest_runs(id, source, location, started_at, finished_at, status, rows_read, rows_updated, error)
                    VALUES (7, 'requests:csv', 'a.csv', 1, 2, 'failed', 10, 3, 'line 4: bad');
                INSERT INTO ingest_runs(id, source, location, started_at, status) VALUES (9, 'api:openai', 'org', 5, 'running');
                INSERT INTO quarantine(run_id, location, line, field, reason, raw) VALUES (7, 'a.csv', 4, 'x', 'bad', 'raw');
                INSERT INTO checkpoints(source, account, cursor, updated_at, run_id) VALUES ('openai', 'org', 'c1', 5, 9)
                """)
        }
        let store = try Store(path: path)
        #expect(try store.schemaVersion == Schema.latestVersion)
        let runs = try store.runs()
        #expect(runs.map(\.id) == [9, 7])
        #expect(runs[1].status == "failed" && runs[1].counts.read == 10 && runs[1].counts.updated == 3 && runs[1].error == "line 4: bad")
        #expect(runs[1].finishedAt == 2 && runs.allSatisfy { $0.owner == nil })
        // A run without a recorded process is left as it is: nothing tells whether it ended.
        #expect(try store.markInterruptedRuns() == 0)
        #expect(try store.runs().first?.status == "running")
        #expect(try store.database.scalarInt("SELECT count(*) FROM quarantine WHERE run_id = 7") == 1)
        #expect(try store.database.scalarText("SELECT cursor FROM checkpoints WHERE run_id = 9") == "c1")
        if engine == .sqlite {
            #expect(try store.database.rows("PRAGMA foreign_key_check").isEmpty)
        }
        // New runs take a free id (SQLite: the next); the check knows 'interrupted' and still refuses others.
        let next = try store.beginRun(source: "requests:csv", location: "b.csv")
        #expect(engine == .postgres ? ![7, 9].contains(next) : next == 10)
        try store.database.execute("UPDATE ingest_runs SET status = 'interrupted' WHERE id = 9")
        #expect(throws: StoreError.self) { try store.database.execute("UPDATE ingest_runs SET status = 'lost' WHERE id = 9") }
        // The foreign keys still hold on the rebuilt table.
        #expect(throws: StoreError.self) {
            try store.database.execute("INSERT INTO quarantine(run_id, location, line, field, reason, raw) VALUES (99, 'a.csv', 5, 'x', 'bad', 'raw2')")
        }
    }
}
