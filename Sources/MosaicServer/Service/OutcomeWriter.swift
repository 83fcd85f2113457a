import Foundation
import Logging
import MosaicCore
import MosaicStore

/// Appends reported outcomes to the store's `requests` table from one background thread, by
/// group commit.
///
/// Callers append a record to an in-memory queue (a lock and an array append). The writer
/// thread takes the whole queue and inserts it in one transaction, pricing each row from the
/// store's price table as ingest does. Two ways in:
///
/// - ``commit(_:)`` (the outcome endpoint) suspends the caller until the transaction holding its
///   row has committed, and wakes the writer at once. Records that arrive while a transaction
///   is being written form the next one, so under load many answers share one commit (and one
///   `fsync`: the writer's connection runs with `synchronous = FULL`).
/// - ``enqueue(_:)`` returns at once; its rows are written within `interval` (or as soon as
///   `batchSize` wait), with nobody told when.
///
/// Rows carry the decision id as `request_id` and the decision's instant, so a repeated report
/// of the same attempt is stored once. Prices are read from the store again every
/// ``pricesRefreshSeconds`` and after each reload (``refreshPrices()``), so a `mosaic prices
/// import` into a shared store reaches every router; a provider and model without a price is
/// logged the first time one of its rows is stored unpriced. ``close()`` writes what is left and returns when it is on disk: graceful
/// shutdown calls it after the HTTP server has drained.
///
/// The queue is bounded (`queueLimit`): when the store cannot keep up, ``enqueue(_:)`` and
/// ``commit(_:)`` refuse and the outcome endpoint answers 503 rather than letting memory grow.
///
/// When the store is unavailable (a PostgreSQL server restarting, unreachable or hung), no
/// statement waits longer than `storeTimeout`: a ``commit(_:)`` fails with
/// ``CommitError/unavailable(_:)`` (the endpoint answers 503 and the report can be sent again),
/// outcome rows queued without a waiter and gateway cache hits are kept (up to `queueLimit`)
/// and tried again every `interval`, and the outage is logged once when it starts and once
/// when it ends.
public final class OutcomeWriter: @unchecked Sendable {
    public struct Counts: Sendable, Equatable {
        public var queued = 0
        public var written = 0
        public var duplicates = 0
        public var refused = 0
        public var failed = 0
        public var batches = 0
        /// Gateway cache hits written to `cache_hits`.
        public var cacheHits = 0
    }

    /// Why ``commit(_:)`` did not store a record.
    public enum CommitError: Error, Sendable, Equatable, CustomStringConvertible {
        /// `queueLimit` records are already waiting.
        case queueFull(limit: Int)
        /// ``close()`` was called.
        case closed
        /// The transaction holding the record failed and was rolled back: the store's message.
        case store(String)
        /// The store could not be reached or gave no answer in time; nothing was written.
        case unavailable(String)

        public var description: String {
            switch self {
            case .queueFull(let limit): return "the outcome queue is full (\(limit) rows wait for the store)"
            case .closed: return "the outcome writer is closed (the server is shutting down)"
            case .store(let message): return "the store refused the batch: \(message)"
            case .unavailable(let message): return "the store is unavailable: \(message)"
            }
        }
    }

    typealias Waiter = CheckedContinuation<Void, any Error>

    let condition = NSCondition()
    // Guarded by `condition`:
    var queue: [RequestRecord] = []
    /// For each record in `queue`, the ``commit(_:)`` caller waiting for it (nil: ``enqueue(_:)``).
    var waiters: [Waiter?] = []
    /// Gateway cache hits (``enqueue(_:)-(CacheHitRecord)``), written in the same transactions.
    var hits: [CacheHitRecord] = []
    var closing = false
    var finished = false
    var counts = Counts()

    let batchSize: Int
    let interval: TimeInterval
    let queueLimit: Int
    let logger: Logger
    let storePath: String
    let catalog: Catalog
    let done = DispatchSemaphore(value: 0)
    var thread: Thread?
    /// The store's outage, if it is unavailable (owned by the writer thread).
    var outage = StoreOutage()
    /// Rows not stored meanwhile (owned by the writer thread).
    var unavailableRows = 0
    /// Set by ``refreshPrices()`` (guarded by `condition`): read the price table before the next batch.
    var pricesStale = false
    /// How often the writer reads the store's price table again, seconds.
    static let pricesRefreshSeconds = 30.0
    /// Providers and models whose rows were stored unpriced, each logged once (owned by the writer thread).
    var unpriced: Set<String> = []

    /// Opens the store (migrating it, registering the catalog's providers) and starts the thread.
    ///
    /// - Parameter storeTimeout: on PostgreSQL, the longest one statement waits for the server
    ///   (``Database/answerTimeout``), seconds.
    public init(storePath: String, catalog: Catalog, batchSize: Int = 1024, interval: TimeInterval = 0.2,
                queueLimit: Int = 200_000, storeTimeout: Double = 5, logger: Logger) throws {
        self.batchSize = max(1, batchSize)
        self.interval = interval
        self.queueLimit = queueLimit
        self.logger = logger
        self.storePath = storePath
        self.catalog = catalog
        let store = try Store(path: storePath)
        store.database.answerTimeout = storeTimeout
        store.database.connectionLogger = logger
        // A 200 from the outcome endpoint means the row survives a power cut, not only a crash:
        // the WAL is synced at every commit (group commit shares one sync among many rows).
        if store.dialect == .sqlite { try store.database.execute("PRAGMA synchronous = FULL") }
        try store.syncProviders(catalog)
        let prices = try store.priceBook()
        let runID = try store.beginRun(source: "serve:outcomes", location: "mosaic serve (pid \(getpid()))")
        let box = StoreBox(store: store, prices: prices, runID: runID)
        let t = Thread { [unowned self] in self.loop(box) }
        t.name = "mosaic-outcome-writer"
        thread = t
        t.start()
    }

    /// The writer thread's store; its prices change only on that thread.
    final class StoreBox: @unchecked Sendable {
        let store: Store
        var prices: PriceBook
        var pricesReadAt = Date()
        let runID: Int64
        init(store: Store, prices: PriceBook, runID: Int64) {
            self.store = store
            self.prices = prices
            self.runID = runID
        }
    }

    /// Has the price table read again before the next rows are priced (after a reload, which
    /// is when an operator expects what they imported to apply).
    public func refreshPrices() {
        condition.lock()
        pricesStale = true
        condition.unlock()
    }

    /// Reads the price table again when asked or when ``pricesRefreshSeconds`` have passed; a
    /// store that does not answer keeps the prices read last.
    func refreshPricesIfDue(_ box: StoreBox) {
        condition.lock()
        let asked = pricesStale
        pricesStale = false
        condition.unlock()
        guard asked || Date().timeIntervalSince(box.pricesReadAt) >= Self.pricesRefreshSeconds else { return }
        box.pricesReadAt = Date()
        do { box.prices = try box.store.priceBook() } catch {
            logger.warning("could not read the price table again; rows are priced from the one read before",
                           metadata: ["error": "\(error)"])
        }
    }

    /// Logs, once per provider and model, that a row was stored without a price.
    func noteUnpriced(_ r: RequestRecord) {
        guard unpriced.insert("\(r.provider)/\(r.model)").inserted else { return }
        logger.warning("""
            outcome rows stored unpriced: the store has no price for this provider and model; \
            `mosaic prices import` gives them one (read again within \(Int(Self.pricesRefreshSeconds)) s or at a reload)
            """, metadata: ["provider": "\(r.provider)", "model": "\(r.model)"])
    }

    /// Queues a record; false when the queue is full or the writer is closed.
    public func enqueue(_ record: RequestRecord) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if closing || queue.count >= queueLimit {
            counts.refused += 1
            return false
        }
        queue.append(record)
        waiters.append(nil)
        counts.queued += 1
        if queue.count >= batchSize { condition.signal() }
        return true
    }

    /// Queues a gateway cache hit for the `cache_hits` table (written with the next batch, with
    /// nobody told when); false when the queue is full or the writer is closed.
    public func enqueue(_ hit: CacheHitRecord) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if closing || queue.count + hits.count >= queueLimit {
            counts.refused += 1
            return false
        }
        hits.append(hit)
        if hits.count >= batchSize { condition.signal() }
        return true
    }

    /// Queues a record and returns once the transaction holding it has committed.
    ///
    /// Never blocks a thread: the caller's task suspends until the writer thread resumes it.
    ///
    /// - Throws: ``CommitError/queueFull(limit:)`` or ``CommitError/closed`` without queueing;
    ///   ``CommitError/store(_:)`` when the transaction failed (nothing of it was written).
    public func commit(_ record: RequestRecord) async throws(CommitError) {
        do {
            try await withCheckedThrowingContinuation { (waiter: Waiter) in
                condition.lock()
                defer { condition.unlock() }
                if closing || queue.count >= queueLimit {
                    counts.refused += 1
                    waiter.resume(throwing: closing ? CommitError.closed : CommitError.queueFull(limit: queueLimit))
                    return
                }
                queue.append(record)
                waiters.append(waiter)
                counts.queued += 1
                condition.signal()
            }
        } catch let e as CommitError {
            throw e
        } catch {
            throw .store("\(error)")
        }
    }

    /// Whether a record would be accepted now.
    public var hasRoom: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !closing && queue.count < queueLimit
    }

    public var snapshot: Counts {
        condition.lock()
        defer { condition.unlock() }
        return counts
    }

    public var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    /// Writes everything queued and stops the thread (idempotent). Blocks until written.
    public func close() {
        condition.lock()
        let already = closing
        closing = true
        condition.signal()
        condition.unlock()
        if !already { done.wait() } else {
            condition.lock()
            while !finished { condition.wait() }
            condition.unlock()
        }
    }

    func loop(_ box: StoreBox) {
        var batch: [RequestRecord] = []
        var batchWaiters: [Waiter?] = []
        var batchHits: [CacheHitRecord] = []
        batch.reserveCapacity(batchSize)
        while true {
            condition.lock()
            if queue.isEmpty && hits.isEmpty && !closing {
                _ = condition.wait(until: Date(timeIntervalSinceNow: interval))
            }
            swap(&batch, &queue)
            swap(&batchWaiters, &waiters)
            swap(&batchHits, &hits)
            let last = closing && batch.isEmpty && batchHits.isEmpty
            let shuttingDown = closing
            condition.unlock()
            if last { break }
            if !batchHits.isEmpty {
                if let failure = write(hits: batchHits, box) {
                    if case .unavailable = failure {
                        unavailable(rows: batchHits.count, failure)
                        keepForRetry(batchHits, shuttingDown: shuttingDown, wait: batch.isEmpty, failure)
                    } else {
                        condition.lock()
                        counts.failed += batchHits.count
                        condition.unlock()
                        logger.error("cache hit rows not written", metadata: ["rows": "\(batchHits.count)", "error": "\(failure)"])
                    }
                } else {
                    available()
                }
            }
            batchHits.removeAll(keepingCapacity: true)
            if let failure = write(batch, box) {
                if case .unavailable = failure {
                    // Nothing can be written now: the waiting callers hear so at once (503, their
                    // decisions stay open); queued rows wait for the store, unless shutting down.
                    unavailable(rows: batch.count, failure)
                    var kept = 0, dropped = 0
                    condition.lock()
                    for (r, w) in zip(batch, batchWaiters) {
                        if let w {
                            counts.failed += 1
                            w.resume(throwing: failure)
                        } else if !shuttingDown && queue.count + kept < queueLimit {
                            queue.insert(r, at: kept)
                            waiters.insert(nil, at: kept)
                            kept += 1
                        } else {
                            counts.failed += 1
                            dropped += 1
                        }
                    }
                    // Try again after an interval, not at once (unless the server is shutting down).
                    if kept > 0 && !closing { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
                    condition.unlock()
                    if dropped > 0 {
                        logger.error("queued outcome rows not written: the store is unavailable",
                                     metadata: ["rows": "\(dropped)", "error": "\(failure)"])
                    }
                } else if batch.count == 1 {
                    failed(batch, failure)
                    batchWaiters[0]?.resume(throwing: failure)
                } else {
                    // One bad row must not fail its neighbours: each row again, alone.
                    for (r, w) in zip(batch, batchWaiters) {
                        if let again = write([r], box) {
                            failed([r], again)
                            w?.resume(throwing: again)
                        } else {
                            w?.resume()
                        }
                    }
                }
            } else {
                // Answer only after COMMIT returned: the rows are on disk.
                for w in batchWaiters { w?.resume() }
                if !batch.isEmpty { available() }
            }
            batch.removeAll(keepingCapacity: true)
            batchWaiters.removeAll(keepingCapacity: true)
        }
        var final = IngestCounts()
        condition.lock()
        final.read = counts.queued
        final.inserted = counts.written
        final.duplicate = counts.duplicates
        condition.unlock()
        try? box.store.finishRun(box.runID, counts: final)
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
        logger.info("outcome writer closed", metadata: ["written": "\(final.inserted)", "duplicates": "\(final.duplicate)"])
        done.signal()
    }

    /// Puts cache hits the store could not take back at the head of the queue, as outcome rows
    /// queued without a waiter are, unless shutting down or the queue is full (those are counted
    /// as failed and logged). With `wait`, waits an interval before the next try.
    func keepForRetry(_ batch: [CacheHitRecord], shuttingDown: Bool, wait: Bool, _ failure: CommitError) {
        condition.lock()
        let kept = shuttingDown ? 0 : min(batch.count, max(0, queueLimit - queue.count - hits.count))
        hits.insert(contentsOf: batch.prefix(kept), at: 0)
        counts.failed += batch.count - kept
        if kept > 0 && wait && !closing { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
        condition.unlock()
        if kept < batch.count {
            logger.error("cache hit rows not written: the store is unavailable",
                         metadata: ["rows": "\(batch.count - kept)", "error": "\(failure)"])
        }
    }

    /// Notes rows not written because the store is unavailable; logs only the first of an outage.
    func unavailable(rows: Int, _ error: CommitError) {
        if outage.begin() {
            logger.error("outcome rows not written: the store is unavailable; outcome reports are answered 503 until it is back",
                         metadata: ["rows": "\(rows)", "error": "\(error)"])
        }
        unavailableRows += rows
    }

    /// Logs the end of an outage, if there was one.
    func available() {
        guard let seconds = outage.end() else { return }
        logger.notice("outcome writer: the store is available again", metadata: [
            "down_seconds": "\(seconds)", "rows_not_written_meanwhile": "\(unavailableRows)",
        ])
        unavailableRows = 0
    }

    /// Counts and logs rows that could not be written.
    func failed(_ rows: [RequestRecord], _ error: CommitError) {
        condition.lock()
        counts.failed += rows.count
        condition.unlock()
        logger.error("outcome rows not written", metadata: ["rows": "\(rows.count)", "error": "\(error)"])
    }

    /// Runs one write; nil when it committed, else whether the store was unreachable (the rows
    /// wait for it) or refused them.
    func committing(_ write: () throws -> Void) -> CommitError? {
        do {
            try write()
            return nil
        } catch let e as StoreError where e.isUnavailable {
            return .unavailable("\(e)")
        } catch {
            return .store("\(error)")
        }
    }

    /// Writes rows in one transaction; nil when it committed (an empty batch commits nothing).
    func write(_ batch: [RequestRecord], _ box: StoreBox) -> CommitError? {
        if batch.isEmpty { return nil }
        refreshPricesIfDue(box)
        var written = 0, duplicates = 0
        return committing {
            try box.store.database.transaction {
                let writer = try RequestWriter(store: box.store, runID: box.runID)
                for var r in batch {
                    if r.cost == nil {
                        r.cost = box.prices.cost(provider: r.provider, model: r.model, at: r.timestamp,
                                                 inputTokens: r.inputTokens, outputTokens: r.outputTokens,
                                                 cachedTokens: r.cachedTokens, latencyMs: r.latencyMs)
                        if r.cost == nil { noteUnpriced(r) }
                    }
                    try writer.insert(r, key: Self.key(r))
                }
                try writer.finish()
                written = writer.inserted
                duplicates = writer.duplicates
            }
            condition.lock()
            counts.written += written
            counts.duplicates += duplicates
            counts.batches += 1
            condition.unlock()
        }
    }

    /// Writes cache hits in one transaction; nil when it committed.
    func write(hits batch: [CacheHitRecord], _ box: StoreBox) -> CommitError? {
        committing {
            var written = 0
            try box.store.database.transaction {
                let insert = try box.store.database.prepare("""
                    INSERT INTO cache_hits(ts, key, tenant, provider, model, operation, input_tokens, output_tokens, cached_tokens,
                                           latency_ms, saved, request_id, run_id)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                    ON CONFLICT(ts, key) DO NOTHING
                    """)
                for h in batch {
                    try insert.run([
                        .int(h.timestamp), .int(Self.key(h)), .text(h.tenant), .text(h.provider), .text(h.model), .text(h.operation),
                        .int(Int64(h.inputTokens)), .int(Int64(h.outputTokens)), .int(Int64(h.cachedTokens)),
                        h.latencyMs.map { .double($0) } ?? .null, h.saved.map { .text($0.description) } ?? .null,
                        .text(h.requestID), .int(box.runID),
                    ])
                    written += 1
                }
            }
            condition.lock()
            counts.cacheHits += written
            condition.unlock()
        }
    }

    /// A cache hit's key: its request id.
    static func key(_ h: CacheHitRecord) -> Int64 {
        var s = StableHash()
        s.combine(UInt64(2))
        s.combine(h.requestID)
        return s.value
    }

    /// The same natural key ingest gives a row with a request id: (provider, request id).
    static func key(_ r: RequestRecord) -> Int64 {
        var h = StableHash()
        h.combine(UInt64(1))
        h.combine(r.provider)
        h.combine(r.requestID ?? "")
        return h.value
    }
}
