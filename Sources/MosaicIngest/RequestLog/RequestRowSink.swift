#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MosaicCore
import MosaicStore

/// One parsed request row whose text fields borrow the reader's buffer.
struct BorrowedRow {
    var ts: Int64 = 0
    var tenant = UnsafeRawBufferPointer(start: nil, count: 0)
    var provider = UnsafeRawBufferPointer(start: nil, count: 0)
    var model = UnsafeRawBufferPointer(start: nil, count: 0)
    var operation = UnsafeRawBufferPointer(start: nil, count: 0)
    var region = UnsafeRawBufferPointer(start: nil, count: 0)
    var inputTokens: Int64 = 0
    var outputTokens: Int64 = 0
    var cachedTokens: Int64 = 0
    var latencyMs: Double?
    var ttftMs: Double?
    var status: RequestStatus = .ok
    var cost: Money?
    var requestID: UnsafeRawBufferPointer?
}

/// Turns validated rows into stored requests: checks the provider, derives the content key,
/// prices the request, inserts it and counts the outcome.
///
/// The content key is a stable hash of every stored field (or of provider and `request_id`
/// when the log has ids). Byte-identical rows that follow each other at the same instant are
/// told apart by their order, so a time-ordered log that really holds two identical requests
/// keeps both, and ingesting the file again still adds nothing. An identical row that comes
/// back after rows of other instants (only possible in a file not sorted by time) is taken as
/// a repeat of the first and counted as a duplicate: telling it apart would need memory that
/// grows with the file.
final class RequestRowSink: RowSink {
    let writer: RequestWriter
    let prices: PriceBook
    let knownProviders: Set<String>
    /// Exact once ``finish()`` has run (PostgreSQL settles them when staged rows are merged).
    var inserted: Int { writer.inserted }
    var duplicates: Int { writer.duplicates }
    var unpriced: Int { writer.unpriced }

    private struct Names {
        var provider: String
        var model: String
        var known: Bool
        var providerBytes: [UInt8]
        var modelBytes: [UInt8]
    }
    private var names: [Int64: Names] = [:]
    private var keys = ContentKeys()
    /// The writer thread, when the inserts run on one.
    private let pipeline: InsertPipeline?

    init(writer: RequestWriter, prices: PriceBook, knownProviders: Set<String>, pipelined: Bool = false) {
        self.writer = writer
        self.prices = prices
        self.knownProviders = knownProviders
        pipeline = pipelined ? InsertPipeline(writer: writer) : nil
    }

    deinit { pipeline?.cancel() }

    /// Waits until every accepted row is stored (see ``InsertPipeline/drain()``), or on
    /// PostgreSQL handed to the writer with no chunk in flight, so the caller may use the
    /// connection.
    func drain() throws(StoreError) {
        try pipeline?.drain()
        try writer.drain()
    }

    /// Stores what is pending, stops the writer thread and settles the counts.
    func finish() throws(StoreError) {
        try pipeline?.finish()
        try writer.finish()
    }

    /// Stops the writer thread without storing what is pending, and waits for a chunk in
    /// flight (before a rollback).
    func cancel() {
        pipeline?.cancel()
        writer.cancel()
    }

    private func resolve(_ provider: UnsafeRawBufferPointer, _ model: UnsafeRawBufferPointer) -> Names {
        var h = StableHash()
        h.combine(provider)
        h.combine(model)
        let k = h.value
        if let n = names[k], RequestRowSink.equal(n.providerBytes, provider), RequestRowSink.equal(n.modelBytes, model) {
            return n
        }
        let p = ByteParsing.text(provider), m = ByteParsing.text(model)
        let n = Names(provider: p, model: m, known: knownProviders.contains(p),
                      providerBytes: Array(provider), modelBytes: Array(model))
        names[k] = n
        return n
    }

    @inline(__always)
    private static func equal(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && a.withUnsafeBytes { memcmp($0.baseAddress!, b.baseAddress!, b.count) == 0 }
    }

    func accept(_ row: BorrowedRow) throws(RowFailure) {
        let n = resolve(row.provider, row.model)
        if !n.known {
            throw .problem(.unknownProvider(n.provider, known: knownProviders))
        }
        var cost = row.cost
        if cost == nil {
            cost = prices.cost(provider: n.provider, model: n.model, at: row.ts, inputTokens: Int(row.inputTokens),
                               outputTokens: Int(row.outputTokens), cachedTokens: Int(row.cachedTokens),
                               latencyMs: row.latencyMs)
        }
        let key = keys.key(row)
        do {
            if let pipeline {
                try pipeline.append(row, cost: cost, key: key)
                return
            }
            try writer.insert(
                ts: row.ts, key: key, tenant: row.tenant, provider: row.provider, model: row.model,
                operation: row.operation, region: row.region, inputTokens: row.inputTokens,
                outputTokens: row.outputTokens, cachedTokens: row.cachedTokens, latencyMs: row.latencyMs,
                ttftMs: row.ttftMs, status: row.status, cost: cost, requestID: row.requestID)
        } catch {
            throw .store(error)
        }
    }
}

/// The content key of each row of one file, in file order: a stable hash of every stored field
/// (or of provider and `request_id` when the log has ids), told apart by occurrence for
/// identical rows at one instant (see ``RequestRowSink``).
struct ContentKeys {
    private var currentTs = Int64.min
    private var keysAtTs: [Int64] = []
    /// Occurrence counts once an instant has many rows (keeps the check O(1) per row).
    private var countsAtTs: [Int64: UInt64] = [:]

    init() { keysAtTs.reserveCapacity(64) }

    @inline(__always)
    mutating func key(_ row: BorrowedRow) -> Int64 {
        var h = StableHash()
        if let rid = row.requestID, rid.count > 0 {
            h.combine(UInt64(1))
            h.combine(row.provider)
            h.combine(rid)
            return h.value
        }
        h.combine(UInt64(2))
        h.combine(row.tenant)
        h.combine(row.provider)
        h.combine(row.model)
        h.combine(row.operation)
        h.combine(row.region)
        h.combine(row.inputTokens)
        h.combine(row.outputTokens)
        h.combine(row.cachedTokens)
        h.combine(row.latencyMs.map { $0.bitPattern } ?? 0x7FF8_DEAD_0000_0001)
        h.combine(row.ttftMs.map { $0.bitPattern } ?? 0x7FF8_DEAD_0000_0001)
        h.combine(UInt64(RequestStatus.allCases.firstIndex(of: row.status)!))
        h.combine(row.cost.map { UInt64(truncatingIfNeeded: $0.units) } ?? 0)
        let base = h.value
        if row.ts != currentTs {
            currentTs = row.ts
            keysAtTs.removeAll(keepingCapacity: true)
            if !countsAtTs.isEmpty { countsAtTs = [:] }
            keysAtTs.append(base)
            return base
        }
        var occurrence: UInt64 = 0
        if keysAtTs.count < 256 {
            for k in keysAtTs where k == base { occurrence += 1 }
            keysAtTs.append(base)
            if keysAtTs.count == 256 {
                for k in keysAtTs { countsAtTs[k, default: 0] += 1 }
            }
        } else {
            occurrence = countsAtTs[base, default: 0]
            countsAtTs[base] = occurrence + 1
        }
        if occurrence == 0 { return base }
        var o = StableHash(seed: UInt64(bitPattern: base))
        o.combine(occurrence)
        return o.value
    }
}

extension RowProblem {
    /// A row naming a provider outside the catalog.
    static func unknownProvider(_ provider: String, known: Set<String>) -> RowProblem {
        RowProblem(column: "provider", reason: "'\(provider)' is not in the provider catalog (known: \(known.sorted().joined(separator: ", "))); add it to the catalog or pass --catalog")
    }
}

/// A row that could not be stored: a data problem (quarantinable) or a store failure (fatal).
enum RowFailure: Error {
    case problem(RowProblem)
    case store(StoreError)
}
