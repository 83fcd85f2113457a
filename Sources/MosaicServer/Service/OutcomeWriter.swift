import Foundation
import Logging
import MosaicCore
import MosaicStore

/// Appends reported outcomes to the store's `requests` table from one background thread.
///
/// The route and outcome handlers only append a record to an in-memory queue (a lock and an
/// array append); the writer thread takes the whole queue every `interval` (or as soon as
/// `batchSize` records wait) and inserts it in one transaction, pricing each row from the
/// store's price table as ingest does. Rows carry the decision id as `request_id`, so a
/// repeated report of the same attempt is stored once. ``close()`` writes what is left and
/// returns when it is on disk: graceful shutdown calls it after the HTTP server has drained.
///
/// The queue is bounded (`queueLimit`): when the store cannot keep up, ``enqueue(_:)`` refuses
/// and the outcome endpoint answers 503 rather than letting memory grow.
public final class OutcomeWriter: @unchecked Sendable {
    public struct Counts: Sendable, Equatable {
        public var queued = 0
        public var written = 0
        public var duplicates = 0
        public var refused = 0
        public var failed = 0
        public var batches = 0
    }

    let condition = NSCondition()
    // Guarded by `condition`:
    var queue: [RequestRecord] = []
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

    /// Opens the store (migrating it, registering the catalog's providers) and starts the thread.
    public init(storePath: String, catalog: Catalog, batchSize: Int = 1024, interval: TimeInterval = 0.2,
                queueLimit: Int = 200_000, logger: Logger) throws {
        self.batchSize = max(1, batchSize)
        self.interval = interval
        self.queueLimit = queueLimit
        self.logger = logger
        self.storePath = storePath
        self.catalog = catalog
        let store = try Store(path: storePath)
        try store.syncProviders(catalog)
        let prices = try store.priceBook()
        let runID = try store.beginRun(source: "serve:outcomes", location: "mosaic serve (pid \(getpid()))")
        let box = StoreBox(store: store, prices: prices, runID: runID)
        let t = Thread { [unowned self] in self.loop(box) }
        t.name = "mosaic-outcome-writer"
        thread = t
        t.start()
    }

    final class StoreBox: @unchecked Sendable {
        let store: Store
        let prices: PriceBook
        let runID: Int64
        init(store: Store, prices: PriceBook, runID: Int64) {
            self.store = store
            self.prices = prices
            self.runID = runID
        }
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
        counts.queued += 1
        if queue.count >= batchSize { condition.signal() }
        return true
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
        batch.reserveCapacity(batchSize)
        while true {
            condition.lock()
            if queue.isEmpty && !closing {
                _ = condition.wait(until: Date(timeIntervalSinceNow: interval))
            }
            swap(&batch, &queue)
            let last = closing && batch.isEmpty
            condition.unlock()
            if last { break }
            if !batch.isEmpty { write(batch, box) }
            batch.removeAll(keepingCapacity: true)
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

    func write(_ batch: [RequestRecord], _ box: StoreBox) {
        var written = 0, duplicates = 0
        do {
            try box.store.database.transaction {
                let writer = try RequestWriter(store: box.store, runID: box.runID)
                for var r in batch {
                    if r.cost == nil {
                        r.cost = box.prices.cost(provider: r.provider, model: r.model, at: r.timestamp,
                                                 inputTokens: r.inputTokens, outputTokens: r.outputTokens,
                                                 cachedTokens: r.cachedTokens, latencyMs: r.latencyMs)
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
        } catch {
            condition.lock()
            counts.failed += batch.count
            condition.unlock()
            logger.error("outcome batch not written", metadata: ["rows": "\(batch.count)", "error": "\(error)"])
        }
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
