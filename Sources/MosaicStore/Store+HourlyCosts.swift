import MosaicCore

/// Requests, tokens and exact cost of one hour, provider, model and tenant.
public struct HourlyCost: Sendable, Equatable {
    /// Whole hours since the epoch: `ts / 3,600,000,000`, truncated as SQL divides integers.
    public var hour: Int64
    public var provider: String
    public var model: String
    public var tenant: String
    public var requests: Int
    /// Requests whose status is not `ok`.
    public var failures: Int
    public var inputTokens: Int
    public var outputTokens: Int
    /// Exact total of the priced requests.
    public var cost: Money
    /// Requests without a price at ingest time (their cost is not in ``cost``).
    public var unpriced: Int
}

extension Store {
    /// The request log within `[from, to)` (µs) by hour, provider, model and tenant, ordered by
    /// those four (text in byte order), with the first and last timestamp seen (nil when none).
    public func hourlyCosts(from: Int64? = nil, to: Int64? = nil) throws(StoreError)
        -> (cells: [HourlyCost], span: ClosedRange<Int64>?) {
        let bounds: [SQLValue] = [.int(from ?? Int64.min), .int(to ?? Int64.max)]
        var cells: [HourlyCost] = []
        var first = Int64.max, last = Int64.min
        if database.dialect == .postgres {
            let d = database.dialect
            let stmt = try database.prepare("""
                SELECT ts / 3600000000 AS h, provider, model, tenant, count(*), \(d.countWhere("status <> 'ok'")),
                       sum(input_tokens), sum(output_tokens), \(d.moneySum("cost")), \(d.countWhere("cost IS NULL")), min(ts), max(ts)
                FROM requests WHERE ts >= ?1 AND ts < ?2 GROUP BY h, provider, model, tenant ORDER BY h, provider, model, tenant
                """)
            try stmt.bind(bounds)
            while try stmt.step() {
                cells.append(HourlyCost(hour: stmt.int64(0), provider: stmt.text(1), model: stmt.text(2), tenant: stmt.text(3),
                                        requests: Int(stmt.int64(4)), failures: Int(stmt.int64(5)),
                                        inputTokens: Int(stmt.int64(6)), outputTokens: Int(stmt.int64(7)),
                                        cost: try stmt.money(8, table: "requests", column: "cost"), unpriced: Int(stmt.int64(9))))
                first = min(first, stmt.int64(10))
                last = max(last, stmt.int64(11))
            }
        } else {
            // SQLite has no hash aggregate: `GROUP BY h, provider, model, tenant` sorted every row
            // through a temporary B-tree. Read in primary-key order instead (`ORDER BY ts` is that
            // order, no sort), key each row by its three texts' bytes in place (no String per
            // row), sum each hour's cells here and sort only them when the hour ends.
            let stmt = try database.prepare("""
                SELECT ts, provider, model, tenant, status <> 'ok', input_tokens, output_tokens, cost
                FROM requests WHERE ts >= ?1 AND ts < ?2 ORDER BY ts
                """)
            try stmt.bind(bounds)
            var keys = TextTriples()
            var cellOfKey: [Int] = []  // the current hour's cell of each key, or -1
            var keyOfCell: [Int] = []
            var hour = Int64.min, hourStart = 0
            func endHour() {
                for k in keyOfCell[hourStart...] { cellOfKey[k] = -1 }
                cells[hourStart...].sort {
                    $0.provider != $1.provider ? $0.provider.utf8.lexicographicallyPrecedes($1.provider.utf8)
                        : $0.model != $1.model ? $0.model.utf8.lexicographicallyPrecedes($1.model.utf8)
                        : $0.tenant.utf8.lexicographicallyPrecedes($1.tenant.utf8)
                }
            }
            while try stmt.step() {
                let ts = stmt.int64(0)
                if ts / 3_600_000_000 != hour {
                    endHour()
                    hour = ts / 3_600_000_000
                    hourStart = cells.count
                }
                let k = keys.index(stmt.bytes(1), stmt.bytes(2), stmt.bytes(3))
                if k == cellOfKey.count { cellOfKey.append(-1) }
                var i = cellOfKey[k]
                if i < 0 {
                    i = cells.count
                    cellOfKey[k] = i
                    keyOfCell.append(k)
                    let (provider, model, tenant) = keys.strings[k]
                    cells.append(HourlyCost(hour: hour, provider: provider, model: model, tenant: tenant, requests: 0,
                                            failures: 0, inputTokens: 0, outputTokens: 0, cost: .zero, unpriced: 0))
                }
                cells[i].requests += 1
                if stmt.int64(4) != 0 { cells[i].failures += 1 }
                cells[i].inputTokens = try Self.integerSum(cells[i].inputTokens, stmt.int64(5), path: path)
                cells[i].outputTokens = try Self.integerSum(cells[i].outputTokens, stmt.int64(6), path: path)
                if stmt.isNull(7) {
                    cells[i].unpriced += 1
                } else {
                    cells[i].cost = try Self.exactSum(cells[i].cost, try stmt.money(7, table: "requests", column: "cost"), path: path)
                }
                first = min(first, ts)
                last = max(last, ts)
            }
            endHour()
        }
        return (cells, first <= last ? first ... last : nil)
    }
}

/// Triples of texts numbered in the order first seen, looked up by their bytes in place (one
/// String is made per distinct triple, none per row).
struct TextTriples {
    private var byHash: [UInt64: [Int]] = [:]
    private var lengths: [(Int, Int, Int)] = []
    private var bytes: [[UInt8]] = []  // the three texts' bytes, one after the other
    private(set) var strings: [(String, String, String)] = []

    /// The triple's number; a new triple gets the next one.
    mutating func index(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, _ c: UnsafeRawBufferPointer) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over each text and its length
        func mix(_ part: UnsafeRawBufferPointer) {
            for byte in part { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
            h = (h ^ UInt64(part.count)) &* 0x100_0000_01b3
        }
        mix(a)
        mix(b)
        mix(c)
        if let candidates = byHash[h] {
            for k in candidates where lengths[k] == (a.count, b.count, c.count) && bytes[k].withUnsafeBytes({ s in
                s[..<a.count].elementsEqual(a) && s[a.count ..< a.count + b.count].elementsEqual(b)
                    && s[(a.count + b.count)...].elementsEqual(c)
            }) {
                return k
            }
        }
        let k = strings.count
        byHash[h, default: []].append(k)
        lengths.append((a.count, b.count, c.count))
        bytes.append(Array(a) + Array(b) + Array(c))
        strings.append((String(decoding: a, as: UTF8.self), String(decoding: b, as: UTF8.self), String(decoding: c, as: UTF8.self)))
        return k
    }
}
