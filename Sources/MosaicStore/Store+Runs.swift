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
    public var status: String
    public var counts: IngestCounts
    public var error: String?
}

extension Store {
    /// Records the start of a run (committed at once, so a crash leaves a 'running' row).
    public func beginRun(source: String, location: String) throws(StoreError) -> Int64 {
        try database.insertReturningID(
            "INSERT INTO ingest_runs(source, location, started_at, status) VALUES (?, ?, ?, 'running')",
            [.text(source), .text(location), .int(Timestamp.now())])
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
                   rows_duplicate, rows_quarantined, error, rows_updated FROM ingest_runs ORDER BY id DESC LIMIT ?
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
                error: stmt.isNull(10) ? nil : stmt.text(10)))
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
