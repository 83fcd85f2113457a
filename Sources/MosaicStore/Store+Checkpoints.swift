import MosaicCore

/// How far an incremental pull of one source and account has got.
public struct Checkpoint: Sendable, Equatable, Codable {
    public var source: String
    public var account: String
    /// The source's own cursor: for time-bucketed APIs, the start (µs, as decimal text) of the
    /// newest bucket committed, which the next run fetches again because it may have grown.
    public var cursor: String
    public var updatedAt: Int64
    public var runID: Int64?
}

extension Store {
    /// The checkpoint of a source and account, if any.
    public func checkpoint(source: String, account: String) throws(StoreError) -> Checkpoint? {
        let rows = try database.rows(
            "SELECT cursor, updated_at, run_id FROM checkpoints WHERE source = ? AND account = ?",
            [.text(source), .text(account)])
        guard let r = rows.first else { return nil }
        return Checkpoint(source: source, account: account, cursor: r[0].description,
                          updatedAt: r[1].intValue ?? 0, runID: r[2].intValue)
    }

    /// Moves a checkpoint. Call it in the same transaction as the rows it covers, so it never
    /// runs ahead of them.
    public func setCheckpoint(source: String, account: String, cursor: String, runID: Int64?) throws(StoreError) {
        try database.prepare("""
            INSERT INTO checkpoints(source, account, cursor, updated_at, run_id) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(source, account) DO UPDATE SET cursor = excluded.cursor,
                updated_at = excluded.updated_at, run_id = excluded.run_id
            """).run([.text(source), .text(account), .text(cursor), .int(Timestamp.now()),
                      runID.map { .int($0) } ?? .null])
    }

    /// Every checkpoint, by source and account.
    public func checkpoints() throws(StoreError) -> [Checkpoint] {
        try database.rows("SELECT source, account, cursor, updated_at, run_id FROM checkpoints ORDER BY source, account")
            .map { r in
                Checkpoint(source: r[0].description, account: r[1].description, cursor: r[2].description,
                           updatedAt: r[3].intValue ?? 0, runID: r[4].intValue)
            }
    }
}
