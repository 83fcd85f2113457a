import Foundation
import MosaicCore
import MosaicStore

/// Runs a ``RequestWriter``'s inserts on a second thread, so that reading and checking the
/// file (on the caller's thread) overlaps with SQLite's B-tree and WAL work.
///
/// The reading thread copies each checked, priced and keyed row into a batch (fixed fields
/// plus one byte arena for the texts); full batches go to the writer thread, which inserts
/// them in order, up to ``RequestWriter/rowsPerStatement`` rows a statement
/// (``RequestWriter/insert(_:)``). Three batches
/// circulate, so memory stays flat and the reader waits when the writer falls behind. Rows
/// reach the store in file order, so the stored rows and counts are the same as with a
/// single thread.
///
/// The two threads never use the connection at once: the writer thread uses it only while it
/// holds a batch, and ``drain()`` waits until it holds none before the caller touches the
/// store (to quarantine a bad row). A store error on the writer thread stops the inserts; the
/// next hand-over, ``drain()`` or ``finish()`` throws it. ``cancel()`` (after a failure, before
/// the rollback) stops the thread without inserting what is still queued.
final class InsertPipeline: @unchecked Sendable {
    /// Rows per batch, and the arena size at which a batch is handed over early.
    static let batchRows = 4096
    static let batchBytes = 1 << 20

    /// One row in a batch: its texts are consecutive ranges of the batch's arena.
    struct Packed {
        var ts: Int64
        var key: Int64
        var inputTokens: Int64
        var outputTokens: Int64
        var cachedTokens: Int64
        var latencyMs: Double?
        var ttftMs: Double?
        var cost: Money?
        var status: RequestStatus
        var hasRequestID: Bool
        /// Where the texts start in the arena, and their lengths: tenant, provider, model,
        /// operation, region, request_id.
        var start: Int
        var lengths: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    }

    final class Batch {
        var rows: [Packed] = []
        private(set) var arena: UnsafeMutableRawPointer
        private(set) var capacity: Int
        private(set) var used = 0

        init() {
            capacity = InsertPipeline.batchBytes + (1 << 16)
            arena = .allocate(byteCount: capacity, alignment: 16)
            rows.reserveCapacity(InsertPipeline.batchRows)
        }

        deinit { arena.deallocate() }

        var isFull: Bool { rows.count >= InsertPipeline.batchRows || used >= InsertPipeline.batchBytes }

        @inline(__always)
        func copy(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
            let n = bytes.count
            if used + n > capacity {
                // One row's texts can exceed the slack (a field may be 64 KiB): grow.
                let bigger = max(capacity * 2, used + n)
                let fresh = UnsafeMutableRawPointer.allocate(byteCount: bigger, alignment: 16)
                fresh.copyMemory(from: arena, byteCount: used)
                arena.deallocate()
                arena = fresh
                capacity = bigger
            }
            if n > 0 { (arena + used).copyMemory(from: bytes.baseAddress!, byteCount: n) }
            used += n
            return UInt32(n)
        }

        @inline(__always)
        func text(_ offset: Int, _ count: UInt32) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: arena + offset, count: Int(count))
        }

        func clear() {
            rows.removeAll(keepingCapacity: true)
            used = 0
        }
    }

    let writer: RequestWriter
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queued: [Batch] = []
    private var spare: [Batch] = []
    /// The writer thread holds a batch (and is using the connection).
    private var writing = false
    /// No more batches will come.
    private var closing = false
    /// Drop queued batches instead of inserting them.
    private var cancelled = false
    private var exited = false
    private var failure: StoreError?
    /// The batch being filled (reading thread only).
    private var current = Batch()
    /// The writer thread; ``stop(cancel:)`` joins it, so that once ``finish()`` or ``cancel()``
    /// returns, the thread no longer holds this pipeline (and through it the store).
    private var thread: JoinableThread?

    init(writer: RequestWriter) {
        self.writer = writer
        spare = [Batch(), Batch()]
        thread = JoinableThread(name: "mosaic-ingest-w") { [self] in loop() }
    }

    /// Queues one row (the reading thread). Throws the writer thread's store error, if any.
    @inline(__always)
    func append(_ row: BorrowedRow, cost: Money?, key: Int64) throws(StoreError) {
        let b = current
        let start = b.used
        let lengths = (b.copy(row.tenant), b.copy(row.provider), b.copy(row.model), b.copy(row.operation),
                       b.copy(row.region), b.copy(row.requestID ?? UnsafeRawBufferPointer(start: nil, count: 0)))
        b.rows.append(Packed(ts: row.ts, key: key, inputTokens: row.inputTokens, outputTokens: row.outputTokens,
                             cachedTokens: row.cachedTokens, latencyMs: row.latencyMs, ttftMs: row.ttftMs, cost: cost,
                             status: row.status, hasRequestID: row.requestID != nil, start: start, lengths: lengths))
        if b.isFull { try handOver() }
    }

    /// Gives the current batch to the writer thread and takes a spare one (waiting for it).
    private func handOver() throws(StoreError) {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
        queued.append(current)
        condition.broadcast()
        while spare.isEmpty { condition.wait() }
        current = spare.removeLast()
    }

    /// Waits until every queued row is stored and the writer thread is idle, so the caller may
    /// use the connection. Throws the writer thread's store error, if any.
    func drain() throws(StoreError) {
        if !current.rows.isEmpty { try handOver() }
        condition.lock()
        defer { condition.unlock() }
        while !queued.isEmpty || writing { condition.wait() }
        if let failure { throw failure }
    }

    /// Stores what is left and stops the writer thread; the writer's counts are exact
    /// afterwards. Throws the writer thread's store error, if any.
    func finish() throws(StoreError) {
        try drain()
        stop(cancel: false)
    }

    /// Stops the writer thread without storing what is still queued (the caller is about to
    /// roll back). Does nothing once stopped.
    func cancel() { stop(cancel: true) }

    private func stop(cancel: Bool) {
        condition.lock()
        if cancel { cancelled = true }
        closing = true
        condition.broadcast()
        while !exited { condition.wait() }
        condition.unlock()
        thread?.join()
    }

    /// The writer thread: inserts queued batches in order until closed.
    private func loop() {
        condition.lock()
        while true {
            while queued.isEmpty && !closing { condition.wait() }
            if queued.isEmpty || cancelled { break }
            let batch = queued.removeFirst()
            let skip = failure != nil
            writing = true
            condition.unlock()
            var error: StoreError?
            if !skip {
                do { try insert(batch) } catch let e { error = e }
            }
            batch.clear()
            condition.lock()
            if let error, failure == nil { failure = error }
            writing = false
            spare.append(batch)
            condition.broadcast()
        }
        queued.removeAll()
        exited = true
        condition.broadcast()
        condition.unlock()
    }

    /// The batch's rows as the writer takes them (writer thread only; reused).
    private var rows: [RequestWriter.Row] = []

    private func insert(_ batch: Batch) throws(StoreError) {
        rows.removeAll(keepingCapacity: true)
        rows.reserveCapacity(batch.rows.count)
        for r in batch.rows {
            var at = r.start
            let tenant = batch.text(at, r.lengths.0)
            at += Int(r.lengths.0)
            let provider = batch.text(at, r.lengths.1)
            at += Int(r.lengths.1)
            let model = batch.text(at, r.lengths.2)
            at += Int(r.lengths.2)
            let operation = batch.text(at, r.lengths.3)
            at += Int(r.lengths.3)
            let region = batch.text(at, r.lengths.4)
            at += Int(r.lengths.4)
            let requestID = r.hasRequestID ? batch.text(at, r.lengths.5) : nil
            rows.append(RequestWriter.Row(
                ts: r.ts, key: r.key, tenant: tenant, provider: provider, model: model, operation: operation,
                region: region, inputTokens: r.inputTokens, outputTokens: r.outputTokens, cachedTokens: r.cachedTokens,
                latencyMs: r.latencyMs, ttftMs: r.ttftMs, status: r.status, cost: r.cost, requestID: requestID))
        }
        try rows.withUnsafeBufferPointer { (buffer) throws(StoreError) in try writer.insert(buffer) }
    }
}
