import MosaicCore

/// Bulk writer for the `requests` table: one prepared insert, reused per row.
///
/// Text arguments are borrowed byte ranges (bound without copying), so a reader can hand over
/// slices of its input buffer. Rows whose `(ts, key)` is already stored are ignored and
/// counted as duplicates: that is what makes re-ingesting a file add nothing. The caller owns
/// the transaction.
public final class RequestWriter {
    let statement: Statement
    let runID: Int64
    /// The status spellings, allocated once and borrowed by every row.
    private let statusBytes: [UnsafeRawBufferPointer]

    public init(store: Store, runID: Int64) throws(StoreError) {
        statement = try store.database.prepare("""
            INSERT INTO requests(ts, key, tenant, provider, model, operation, region,
                input_tokens, output_tokens, cached_tokens, latency_ms, ttft_ms, status, cost, request_id, run_id)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
            ON CONFLICT(ts, key) DO NOTHING
            """)
        self.runID = runID
        statusBytes = RequestStatus.allCases.map { status in
            let bytes = Array(status.rawValue.utf8)
            let p = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
            p.copyBytes(from: bytes)
            return UnsafeRawBufferPointer(p)
        }
    }

    deinit { for p in statusBytes { p.deallocate() } }

    /// Inserts one row; returns false when an identical row (same ts and key) was already there.
    @inline(__always)
    public func insert(
        ts: Int64, key: Int64, tenant: UnsafeRawBufferPointer, provider: UnsafeRawBufferPointer,
        model: UnsafeRawBufferPointer, operation: UnsafeRawBufferPointer, region: UnsafeRawBufferPointer,
        inputTokens: Int64, outputTokens: Int64, cachedTokens: Int64, latencyMs: Double?, ttftMs: Double?,
        status: RequestStatus, cost: Money?, requestID: UnsafeRawBufferPointer?
    ) throws(StoreError) -> Bool {
        let s = statement
        defer { s.reset() }
        try s.bind(1, ts)
        try s.bind(2, key)
        try s.bindText(3, noCopy: tenant)
        try s.bindText(4, noCopy: provider)
        try s.bindText(5, noCopy: model)
        try s.bindText(6, noCopy: operation)
        try s.bindText(7, noCopy: region)
        try s.bind(8, inputTokens)
        try s.bind(9, outputTokens)
        try s.bind(10, cachedTokens)
        if let latencyMs { try s.bind(11, latencyMs) }
        if let ttftMs { try s.bind(12, ttftMs) }
        try s.bindText(13, noCopy: statusBytes[status.index])
        if let cost { try s.bind(14, cost.description) }
        if let requestID { try s.bindText(15, noCopy: requestID) }
        try s.bind(16, runID)
        try s.step()
        return s.database.changes > 0
    }

    /// Inserts a record (the convenient path: SQLite copies the strings).
    public func insert(_ r: RequestRecord, key: Int64) throws(StoreError) -> Bool {
        let s = statement
        defer { s.reset() }
        try s.bind(1, r.timestamp)
        try s.bind(2, key)
        try s.bind(3, r.tenant)
        try s.bind(4, r.provider)
        try s.bind(5, r.model)
        try s.bind(6, r.operation)
        try s.bind(7, r.region)
        try s.bind(8, Int64(r.inputTokens))
        try s.bind(9, Int64(r.outputTokens))
        try s.bind(10, Int64(r.cachedTokens))
        if let v = r.latencyMs { try s.bind(11, v) }
        if let v = r.ttftMs { try s.bind(12, v) }
        try s.bind(13, r.status.rawValue)
        if let cost = r.cost { try s.bind(14, cost.description) }
        if let rid = r.requestID { try s.bind(15, rid) }
        try s.bind(16, runID)
        try s.step()
        return s.database.changes > 0
    }
}
