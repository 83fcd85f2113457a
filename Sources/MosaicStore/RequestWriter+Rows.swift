import MosaicCore

extension RequestWriter {
    /// One row for ``RequestWriter/insert(_:)``. Its texts are borrowed: they must stay valid
    /// until that call returns.
    public struct Row {
        public var ts: Int64
        public var key: Int64
        public var tenant: UnsafeRawBufferPointer
        public var provider: UnsafeRawBufferPointer
        public var model: UnsafeRawBufferPointer
        public var operation: UnsafeRawBufferPointer
        public var region: UnsafeRawBufferPointer
        public var inputTokens: Int64
        public var outputTokens: Int64
        public var cachedTokens: Int64
        public var latencyMs: Double?
        public var ttftMs: Double?
        public var status: RequestStatus
        public var cost: Money?
        public var requestID: UnsafeRawBufferPointer?

        @inlinable
        public init(
            ts: Int64, key: Int64, tenant: UnsafeRawBufferPointer, provider: UnsafeRawBufferPointer,
            model: UnsafeRawBufferPointer, operation: UnsafeRawBufferPointer, region: UnsafeRawBufferPointer,
            inputTokens: Int64, outputTokens: Int64, cachedTokens: Int64, latencyMs: Double?, ttftMs: Double?,
            status: RequestStatus, cost: Money?, requestID: UnsafeRawBufferPointer?
        ) {
            self.ts = ts
            self.key = key
            self.tenant = tenant
            self.provider = provider
            self.model = model
            self.operation = operation
            self.region = region
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
            self.cachedTokens = cachedTokens
            self.latencyMs = latencyMs
            self.ttftMs = ttftMs
            self.status = status
            self.cost = cost
            self.requestID = requestID
        }
    }

    /// Inserts rows in order, with the same stored rows and counts as inserting them one at a
    /// time with ``insert(ts:key:tenant:provider:model:operation:region:inputTokens:outputTokens:cachedTokens:latencyMs:ttftMs:status:cost:requestID:)``.
    ///
    /// On SQLite, consecutive rows go into one multi-row `INSERT … ON CONFLICT DO NOTHING` of
    /// up to ``rowsPerStatement`` rows: SQLite inserts them in order, so a row meets the rows
    /// before it exactly as it would one statement at a time, and each statement's change count
    /// is the number of its rows stored. A statement holds only priced or only unpriced rows,
    /// so that count also says how many stored rows lack a cost. Per statement, SQLite opens
    /// and closes its cursor and starts and ends its execution once instead of once a row.
    ///
    /// - Complexity: O(n) statements of at most ``rowsPerStatement`` rows.
    public func insert(_ rows: UnsafeBufferPointer<Row>) throws(StoreError) {
        if copy != nil {
            for r in rows { try insert(r) }
            return
        }
        var start = 0
        while start < rows.count {
            let priced = rows[start].cost != nil
            var end = start + 1
            while end < rows.count, end - start < Self.rowsPerStatement, (rows[end].cost != nil) == priced { end += 1 }
            if end - start == 1 {
                try insert(rows[start])
            } else {
                try insertGroup(UnsafeBufferPointer(rebasing: rows[start..<end]), priced: priced)
            }
            start = end
        }
    }

    @inline(__always)
    private func insert(_ r: Row) throws(StoreError) {
        try insert(ts: r.ts, key: r.key, tenant: r.tenant, provider: r.provider, model: r.model, operation: r.operation,
                   region: r.region, inputTokens: r.inputTokens, outputTokens: r.outputTokens,
                   cachedTokens: r.cachedTokens, latencyMs: r.latencyMs, ttftMs: r.ttftMs, status: r.status,
                   cost: r.cost, requestID: r.requestID)
    }

    /// One statement for 2...``rowsPerStatement`` rows, all priced or all unpriced (SQLite).
    private func insertGroup(_ rows: UnsafeBufferPointer<Row>, priced: Bool) throws(StoreError) {
        let s = try groupStatement(rows: rows.count)
        defer { s.rewind() }
        var p: Int32 = 0
        for (i, r) in rows.enumerated() {
            try s.bind(p + 1, r.ts)
            try s.bind(p + 2, r.key)
            try s.bindText(p + 3, noCopy: r.tenant)
            try s.bindText(p + 4, noCopy: r.provider)
            try s.bindText(p + 5, noCopy: r.model)
            try s.bindText(p + 6, noCopy: r.operation)
            try s.bindText(p + 7, noCopy: r.region)
            try s.bind(p + 8, r.inputTokens)
            try s.bind(p + 9, r.outputTokens)
            try s.bind(p + 10, r.cachedTokens)
            if let v = r.latencyMs { try s.bind(p + 11, v) } else { try s.bindNull(p + 11) }
            if let v = r.ttftMs { try s.bind(p + 12, v) } else { try s.bindNull(p + 12) }
            try s.bindText(p + 13, noCopy: statusBytes[r.status.index])
            if let cost = r.cost {
                let text = costText + i * Money.maxCanonicalBytes
                let n = cost.writeCanonical(to: text)
                try s.bindText(p + 14, noCopy: UnsafeRawBufferPointer(start: text, count: n))
            } else {
                try s.bindNull(p + 14)
            }
            if let id = r.requestID { try s.bindText(p + 15, noCopy: id) } else { try s.bindNull(p + 15) }
            p += 15
        }
        try s.step()
        let stored = s.database.changes
        inserted += stored
        duplicates += rows.count - stored
        if !priced { unpriced += stored }
    }

    /// The statement inserting `rows` rows (prepared on first use, then kept).
    private func groupStatement(rows: Int) throws(StoreError) -> Statement {
        if let s = grouped[rows - 2] { return s }
        // The run id is the same for every row: written into the statement, not bound.
        let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \(runID))", count: rows)
        let s = try statement!.database.prepare("""
            INSERT INTO requests(ts, key, tenant, provider, model, operation, region,
                input_tokens, output_tokens, cached_tokens, latency_ms, ttft_ms, status, cost, request_id, run_id)
            VALUES \(values.joined(separator: ", "))
            ON CONFLICT(ts, key) DO NOTHING
            """)
        grouped[rows - 2] = s
        return s
    }
}
