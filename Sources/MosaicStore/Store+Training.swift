import MosaicCore

extension Store {
    /// Calls `body` with every request in `[from, to)` (µs), oldest first, as it was written;
    /// requests at the same instant in key order, so SQLite and PostgreSQL give the rows in the
    /// same order (and trainers fit the same model). Strings repeat across rows, so callers that
    /// keep rows should intern them.
    public func forEachRequest(from: Int64? = nil, to: Int64? = nil,
                               _ body: (RequestRecord) throws -> Void) throws {
        let stmt = try database.prepare(streaming: true, """
            SELECT ts, tenant, provider, model, operation, region, input_tokens, output_tokens, cached_tokens,
                   latency_ms, ttft_ms, status, cost, request_id
            FROM requests WHERE ts >= ?1 AND ts < ?2 ORDER BY ts, key
            """)
        try stmt.bind([.int(from ?? Int64.min), .int(to ?? Int64.max)])
        while try stmt.step() {
            let statusText = stmt.text(11)
            guard let status = RequestStatus(rawValue: statusText) else {
                throw StoreError.corruptValue(table: "requests", column: "status", value: statusText)
            }
            try body(RequestRecord(
                timestamp: stmt.int64(0), tenant: stmt.text(1), provider: stmt.text(2), model: stmt.text(3),
                operation: stmt.text(4), region: stmt.text(5), inputTokens: Int(stmt.int64(6)),
                outputTokens: Int(stmt.int64(7)), cachedTokens: Int(stmt.int64(8)),
                latencyMs: stmt.isNull(9) ? nil : stmt.double(9), ttftMs: stmt.isNull(10) ? nil : stmt.double(10),
                status: status, cost: stmt.isNull(12) ? nil : try stmt.money(12, table: "requests", column: "cost"),
                requestID: stmt.isNull(13) ? nil : stmt.text(13)))
        }
    }

    /// Records an exported model file in the registry; returns its id.
    @discardableResult
    public func registerModel(kind: String, version: Int, path: String, sha256: String, trainFrom: Int64?,
                              trainTo: Int64?, rows: Int, metrics: String) throws(StoreError) -> Int64 {
        try database.prepare("""
            INSERT INTO models(kind, version, path, sha256, created_at, train_from, train_to, rows, metrics)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(kind, version) DO UPDATE SET path = excluded.path, sha256 = excluded.sha256,
                created_at = excluded.created_at, train_from = excluded.train_from, train_to = excluded.train_to,
                rows = excluded.rows, metrics = excluded.metrics
            """).run([.text(kind), .int(Int64(version)), .text(path), .text(sha256), .int(Timestamp.now()),
                      trainFrom.map { .int($0) } ?? .null, trainTo.map { .int($0) } ?? .null, .int(Int64(rows)),
                      .text(metrics)])
        return try database.scalarInt("SELECT id FROM models WHERE kind = ? AND version = ?", [.text(kind), .int(Int64(version))]) ?? 0
    }

    /// The next free version number of a model kind.
    public func nextModelVersion(kind: String) throws(StoreError) -> Int {
        Int(try database.scalarInt("SELECT coalesce(max(version), 0) + 1 FROM models WHERE kind = ?", [.text(kind)]) ?? 1)
    }

    /// A row of the model registry.
    public struct RegisteredModel: Sendable, Codable, Equatable {
        public var id: Int64
        public var kind: String
        public var version: Int
        public var path: String
        public var sha256: String
        public var createdAt: Int64
        public var trainFrom: Int64?
        public var trainTo: Int64?
        public var rows: Int
        public var metrics: String
    }

    /// The registry, newest first.
    public func registeredModels(kind: String? = nil) throws(StoreError) -> [RegisteredModel] {
        var sql = "SELECT id, kind, version, path, sha256, created_at, train_from, train_to, rows, metrics FROM models"
        var args: [SQLValue] = []
        if let kind { sql += " WHERE kind = ?"; args.append(.text(kind)) }
        sql += " ORDER BY created_at DESC, id DESC"
        return try database.rows(sql, args).map { r in
            RegisteredModel(id: r[0].intValue ?? 0, kind: r[1].description, version: Int(r[2].intValue ?? 0),
                            path: r[3].description, sha256: r[4].description, createdAt: r[5].intValue ?? 0,
                            trainFrom: r[6].intValue, trainTo: r[7].intValue, rows: Int(r[8].intValue ?? 0),
                            metrics: r[9].description)
        }
    }
}
