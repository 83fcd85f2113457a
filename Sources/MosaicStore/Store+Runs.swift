import MosaicCore

/// Counts of one ingest run.
public struct IngestCounts: Sendable, Equatable, Codable {
    public var read = 0
    public var inserted = 0
    public var duplicate = 0
    public var quarantined = 0
    /// Rows that were already stored and whose values changed (upserting sources only).
    public var updated = 0
    public init(read: Int = 0, inserted: Int = 0, duplicate: Int = 0, quarantined: Int = 0, updated: Int = 0) {
        self.read = read
        self.inserted = inserted
        self.duplicate = duplicate
        self.quarantined = quarantined
        self.updated = updated
    }
}

/// A row of `ingest_runs`.
public struct IngestRun: Sendable, Equatable, Codable {
    public var id: Int64
    public var source: String
    public var location: String
    public var startedAt: Int64
    public var finishedAt: Int64?
    /// `running`, `ok`, `failed`, or `interrupted`: its process ended without finishing it
    /// (``Store/markInterruptedRuns()``).
    public var status: String
    public var counts: IngestCounts
    public var error: String?
    /// The process that began it; nil for a run recorded before schema 6.
    public var owner: RunOwner?
}

extension Store {
    /// Records the start of a run (committed at once, so a crash leaves a 'running' row) and the
    /// process that runs it (`owner`, by default this one). Runs this machine's processes left
    /// `running` when they ended are marked `interrupted` first (``markInterruptedRuns()``).
    public func beginRun(source: String, location: String, owner: RunOwner = .current) throws(StoreError) -> Int64 {
        _ = try? markInterruptedRuns()
        return try database.insertReturningID(
            "INSERT INTO ingest_runs(source, location, started_at, status, pid, host, process_start) VALUES (?, ?, ?, 'running', ?, ?, ?)",
            [.text(source), .text(location), .int(Timestamp.now()), .int(owner.pid), .text(owner.host), .text(owner.processStart)])
    }

    /// Marks `interrupted` every `running` run begun on this machine whose process is gone
    /// (killed, the machine restarted, or the store was unreachable when it stopped): nothing
    /// will finish it. Runs of other machines, and runs recorded before schema 6 (no process),
    /// are left as they are.
    ///
    /// - Returns: the runs marked.
    @discardableResult
    public func markInterruptedRuns() throws(StoreError) -> Int {
        let select = try database.prepare(
            "SELECT id, pid, host, process_start FROM ingest_runs WHERE status = 'running' AND pid IS NOT NULL AND host = ?")
        try select.bind(1, RunOwner.current.host)
        var gone: [(Int64, RunOwner)] = []
        while try select.step() {
            let owner = RunOwner(pid: select.int64(1), host: select.text(2), processStart: select.isNull(3) ? "" : select.text(3))
            if owner.isGone == true { gone.append((select.int64(0), owner)) }
        }
        if gone.isEmpty { return 0 }
        let update = try database.prepare("UPDATE ingest_runs SET status = 'interrupted', error = ? WHERE id = ? AND status = 'running'")
        for (id, owner) in gone {
            try update.run([
                .text("its process (pid \(owner.pid) on \(owner.host)) ended without finishing the run: killed, the machine restarted, or the store could not be reached to record its end"),
                .int(id),
            ])
        }
        return gone.count
    }

    /// Records how a run ended.
    public func finishRun(_ id: Int64, counts: IngestCounts, error: String? = nil) throws(StoreError) {
        try database.prepare("""
            UPDATE ingest_runs SET finished_at = ?, status = ?, rows_read = ?, rows_inserted = ?,
                rows_duplicate = ?, rows_quarantined = ?, rows_updated = ?, error = ? WHERE id = ?
            """).run([
                .int(Timestamp.now()), .text(error == nil ? "ok" : "failed"),
                .int(Int64(counts.read)), .int(Int64(counts.inserted)), .int(Int64(counts.duplicate)),
                .int(Int64(counts.quarantined)), .int(Int64(counts.updated)), error.map { .text($0) } ?? .null, .int(id),
            ])
    }

    /// The most recent runs, newest first.
    public func runs(limit: Int = 20) throws(StoreError) -> [IngestRun] {
        let stmt = try database.prepare("""
            SELECT id, source, location, started_at, finished_at, status, rows_read, rows_inserted,
                   rows_duplicate, rows_quarantined, error, rows_updated, pid, host, process_start
            FROM ingest_runs ORDER BY id DESC LIMIT ?
            """)
        try stmt.bind(1, Int64(limit))
        var out: [IngestRun] = []
        while try stmt.step() {
            out.append(IngestRun(
                id: stmt.int64(0), source: stmt.text(1), location: stmt.text(2), startedAt: stmt.int64(3),
                finishedAt: stmt.isNull(4) ? nil : stmt.int64(4), status: stmt.text(5),
                counts: IngestCounts(read: Int(stmt.int64(6)), inserted: Int(stmt.int64(7)),
                                     duplicate: Int(stmt.int64(8)), quarantined: Int(stmt.int64(9)),
                                     updated: Int(stmt.int64(11))),
                error: stmt.isNull(10) ? nil : stmt.text(10),
                owner: stmt.isNull(12) ? nil : RunOwner(pid: stmt.int64(12), host: stmt.isNull(13) ? "" : stmt.text(13),
                                                        processStart: stmt.isNull(14) ? "" : stmt.text(14))))
        }
        return out
    }

    /// Sets a row aside with the reason it was refused (idempotent per location, line and text).
    public func quarantine(runID: Int64, location: String, line: Int, field: String?, reason: String,
                           raw: String) throws(StoreError) {
        let sql = "INTO quarantine(run_id, location, line, field, reason, raw) VALUES (?, ?, ?, ?, ?, ?)"
        try database.prepare(database.dialect == .sqlite ? "INSERT OR IGNORE " + sql : "INSERT " + sql + " ON CONFLICT DO NOTHING").run([.int(runID), .text(location), .int(Int64(line)), field.map { .text($0) } ?? .null,
                      .text(reason), .text(raw)])
    }
}
