import Dispatch
import Foundation
import MosaicCore
import PostgresNIO

/// Writes `requests` rows to PostgreSQL in binary `COPY` format (``BinaryCopyWriter``), a chunk
/// at a time, on a thread of its own, so that encoding the next chunk overlaps with the server
/// storing this one. Binary spares the server (which is what bounds a load) parsing every
/// number and the cost, and spares this side printing them.
///
/// Each chunk is copied straight into `requests` inside a savepoint. A row whose `(ts, key)`
/// is already stored makes that `COPY` fail with a unique violation: the chunk is then rolled
/// back to the savepoint and merged instead (copied into a temporary table and inserted with
/// `INSERT … SELECT … ON CONFLICT (ts, key) DO NOTHING`, which reports what was new), and the
/// next chunk is merged too until a merge finds no duplicate. A first ingest therefore pays for
/// one `COPY` per row, a re-ingest for one failed `COPY` per file plus the merge.
///
/// The rows' providers are checked here, against the `providers` rows read (and locked `FOR
/// KEY SHARE`, as a foreign-key check would, so they cannot be deleted before this transaction
/// ends) when the writer starts: `requests.provider` has no foreign key on PostgreSQL, whose
/// check ran a query per row and tripled the cost of a load (schema migration 4).
///
/// The caller's thread and the sender never use the connection at once: ``send()`` and
/// ``wait()`` wait for the chunk in flight first. Chunks are large (a savepoint each, and a
/// transaction with more than 64 subtransactions makes other sessions' snapshots slower).
final class RequestCopy: @unchecked Sendable {
    static let stage = "mosaic_requests_stage"
    static let columns = [
        "ts", "key", "tenant", "provider", "model", "operation", "region", "input_tokens", "output_tokens",
        "cached_tokens", "latency_ms", "ttft_ms", "status", "cost", "request_id", "run_id",
    ]
    /// Bytes of COPY data sent at a time (about 170,000 rows of a typical log, some 195 bytes each).
    static let defaultChunkBytes = 32 << 20

    /// Rows written so far (settled by ``wait()``): new, already stored, new without a cost.
    struct Counts {
        var inserted = 0
        var duplicates = 0
        var unpriced = 0
        /// Chunks copied straight into `requests`, and chunks merged.
        var copied = 0
        var merged = 0
    }

    let database: Database
    let session: PostgresSession
    let runID: Int64
    let chunkBytes: Int
    /// The ids in `providers`, as bytes.
    private let providers: [[UInt8]]
    private var lastProvider = 0
    private var buffer: ByteBuffer
    private var rows = 0
    private var rowsUnpriced = 0
    /// The buffer of the last chunk sent, reused once it is stored.
    private var spare: ByteBuffer?
    private(set) var counts = Counts()

    // The sender's side. `inFlight`, `outcome` and `direct` are handed over through `done`.
    private let sender = DispatchQueue(label: "mosaic.store.postgres.copy")
    private let done = DispatchSemaphore(value: 0)
    private var inFlight = false
    private var outcome: Result<Counts, StoreError> = .success(Counts())
    private var returned: ByteBuffer?
    /// Copy the next chunk straight into `requests` (false after a chunk with duplicates).
    private var direct = true
    private var stageReady = false

    init(database: Database, runID: Int64, chunkBytes: Int = RequestCopy.defaultChunkBytes) throws(StoreError) {
        self.database = database
        session = database.postgres!
        self.runID = runID
        self.chunkBytes = chunkBytes
        buffer = RequestCopy.chunkBuffer(capacity: chunkBytes)
        providers = try database.rows("SELECT id FROM providers ORDER BY id FOR KEY SHARE")
            .compactMap { $0[0].textValue.map { Array($0.utf8) } }
    }

    deinit { _ = try? wait() }

    var isFull: Bool { buffer.readableBytes >= chunkBytes }

    /// An empty chunk: room for `capacity` bytes and a row more, and the binary `COPY` header.
    private static func chunkBuffer(capacity: Int) -> ByteBuffer {
        var b = ByteBufferAllocator().buffer(capacity: capacity + (64 << 10))
        b.writeBytes(BinaryCopyWriter.header)
        return b
    }

    func append(ts: Int64, key: Int64, tenant: UnsafeRawBufferPointer, provider: UnsafeRawBufferPointer,
                model: UnsafeRawBufferPointer, operation: UnsafeRawBufferPointer, region: UnsafeRawBufferPointer,
                inputTokens: Int64, outputTokens: Int64, cachedTokens: Int64, latencyMs: Double?, ttftMs: Double?,
                status: UnsafeRawBufferPointer, cost: Money?, requestID: UnsafeRawBufferPointer?) throws(StoreError) {
        try checkProvider(provider)
        let texts = tenant.count + provider.count + model.count + operation.count + region.count + status.count
            + (requestID?.count ?? 0)
        let most = 2 + 15 * BinaryCopyWriter.maxFixedFieldBytes + BinaryCopyWriter.maxNumericFieldBytes + texts
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: most) { out in
            var w = BinaryCopyWriter(out.baseAddress!)
            w.fieldCount(Int16(RequestCopy.columns.count))
            w.bigint(ts)
            w.bigint(key)
            w.text(tenant)
            w.text(provider)
            w.text(model)
            w.text(operation)
            w.text(region)
            w.bigint(inputTokens)
            w.bigint(outputTokens)
            w.bigint(cachedTokens)
            w.double(latencyMs)
            w.double(ttftMs)
            w.text(status)
            w.numeric(cost)
            w.text(requestID)
            w.bigint(runID)
            return w.count
        }
        if cost == nil { rowsUnpriced += 1 }
        rows += 1
    }

    /// What a foreign key on `requests.provider` would say.
    @inline(__always) private func checkProvider(_ provider: UnsafeRawBufferPointer) throws(StoreError) {
        if lastProvider < providers.count, RequestCopy.equal(providers[lastProvider], provider) { return }
        if let i = providers.firstIndex(where: { RequestCopy.equal($0, provider) }) {
            lastProvider = i
            return
        }
        let id = String(decoding: provider, as: UTF8.self)
        throw .postgres(location: session.location, state: "23503", message: """
            insert or update on table "requests" violates foreign key constraint "requests_provider_fkey" \
            (Key (provider)=(\(id)) is not present in table "providers".)
            """, sql: nil)
    }

    @inline(__always) private static func equal(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && a.withUnsafeBytes { $0.elementsEqual(b) }
    }

    /// Hands the buffered rows to the sender (once the chunk before is stored) and goes on
    /// with an empty buffer. Throws the error of the chunk before, if it failed.
    func send() throws(StoreError) {
        guard rows > 0 else { return }
        try wait()
        buffer.writeInteger(BinaryCopyWriter.trailer)
        let chunk = buffer, staged = rows, unpriced = rowsUnpriced
        if var reuse = spare {
            reuse.clear()
            reuse.writeBytes(BinaryCopyWriter.header)
            buffer = reuse
            spare = nil
        } else {
            buffer = RequestCopy.chunkBuffer(capacity: chunkBytes)
        }
        rows = 0
        rowsUnpriced = 0
        inFlight = true
        sender.async { [self] in
            do throws(StoreError) {
                outcome = .success(try store(chunk, rows: staged, unpriced: unpriced))
            } catch {
                outcome = .failure(error)
            }
            returned = chunk
            done.signal()
        }
    }

    /// Waits until the chunk in flight is stored and adds its counts. Throws its error.
    func wait() throws(StoreError) {
        guard inFlight else { return }
        done.wait()
        inFlight = false
        spare = returned
        returned = nil
        let c = try outcome.get()
        counts.inserted += c.inserted
        counts.duplicates += c.duplicates
        counts.unpriced += c.unpriced
        counts.copied += c.copied
        counts.merged += c.merged
    }

    /// Sends what is buffered and waits until everything is stored.
    func finish() throws(StoreError) {
        try send()
        try wait()
    }

    /// Stores one chunk (on the sender's thread).
    private func store(_ chunk: ByteBuffer, rows: Int, unpriced: Int) throws(StoreError) -> Counts {
        if direct {
            _ = try session.query("SAVEPOINT mosaic_copy", [])
            do throws(StoreError) {
                try session.copy(into: "requests", columns: RequestCopy.columns, format: .binary, chunks: [chunk])
                _ = try session.query("RELEASE SAVEPOINT mosaic_copy", [])
                return Counts(inserted: rows, duplicates: 0, unpriced: unpriced, copied: 1)
            } catch {
                guard case .postgres(_, "23505"?, _, _) = error else { throw error }
                _ = try session.query("ROLLBACK TO SAVEPOINT mosaic_copy", [])
                _ = try session.query("RELEASE SAVEPOINT mosaic_copy", [])
            }
        }
        let merged = try merge(chunk, rows: rows)
        direct = merged.duplicates == 0
        return merged
    }

    /// Copies a chunk into the staging table and inserts what is new.
    private func merge(_ chunk: ByteBuffer, rows: Int) throws(StoreError) -> Counts {
        if !stageReady {
            _ = try session.query("CREATE TEMP TABLE IF NOT EXISTS \(RequestCopy.stage) (LIKE requests INCLUDING DEFAULTS)", [])
            stageReady = true
        }
        _ = try session.query("TRUNCATE \(RequestCopy.stage)", [])
        try session.copy(into: RequestCopy.stage, columns: RequestCopy.columns, format: .binary, chunks: [chunk])
        let result = try session.query("""
            WITH fresh AS (
                INSERT INTO requests SELECT * FROM \(RequestCopy.stage) ON CONFLICT (ts, key) DO NOTHING RETURNING cost)
            SELECT count(*), count(*) FILTER (WHERE cost IS NULL) FROM fresh
            """, [])
        _ = try session.query("TRUNCATE \(RequestCopy.stage)", [])
        guard let row = result.rows.first?.makeRandomAccess() else { return Counts(duplicates: rows, merged: 1) }
        let fresh = Int(PostgresStatement.value(of: row[0]).intValue ?? 0)
        let freshUnpriced = Int(PostgresStatement.value(of: row[1]).intValue ?? 0)
        return Counts(inserted: fresh, duplicates: rows - fresh, unpriced: freshUnpriced, merged: 1)
    }
}
