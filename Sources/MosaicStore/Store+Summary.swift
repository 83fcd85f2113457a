import MosaicCore

/// Per-provider totals of the `requests` table.
public struct ProviderSummary: Sendable, Equatable, Codable {
    public var provider: String
    public var requests: Int
    /// Requests whose status is not `ok`.
    public var failures: Int
    /// Exact total of the priced requests.
    public var cost: Money
    /// Requests without a price at ingest time (their cost is not in ``cost``).
    public var unpriced: Int
    public var inputTokens: Int
    public var outputTokens: Int
    /// Latency percentiles in ms over requests that have a latency (numpy's linear method);
    /// nil when none has.
    public var p50: Double?
    public var p95: Double?
    public var p99: Double?

    public var errorRate: Double { requests == 0 ? 0 : Double(failures) / Double(requests) }
}

/// A table of the store and how many rows it holds.
public struct TableCount: Sendable, Equatable, Codable {
    public var table: String
    public var rows: Int
}

extension Store {
    /// Totals and latency percentiles per provider, optionally within `[from, to)` (µs).
    public func providerSummary(from: Int64? = nil, to: Int64? = nil) throws(StoreError) -> [ProviderSummary] {
        let window = "ts >= ?1 AND ts < ?2"
        let bounds: [SQLValue] = [.int(from ?? Int64.min), .int(to ?? Int64.max)]
        let d = database.dialect
        let totals = try database.prepare("""
            SELECT provider, count(*), \(d.countWhere("status <> 'ok'")), \(d.moneySum("cost")), \(d.countWhere("cost IS NULL")),
                   sum(input_tokens), sum(output_tokens)
            FROM requests WHERE \(window) GROUP BY provider ORDER BY provider
            """)
        try totals.bind(bounds)
        var out: [ProviderSummary] = []
        var index: [String: Int] = [:]
        while try totals.step() {
            let costText = totals.isNull(3) ? "0" : totals.text(3)
            guard let cost = try? Money(parsing: costText) else {
                throw .corruptValue(table: "requests", column: "cost", value: costText)
            }
            index[totals.text(0)] = out.count
            out.append(ProviderSummary(
                provider: totals.text(0), requests: Int(totals.int64(1)), failures: Int(totals.int64(2)),
                cost: cost, unpriced: Int(totals.int64(4)), inputTokens: Int(totals.int64(5)),
                outputTokens: Int(totals.int64(6))))
        }
        if d == .postgres {
            try serverPercentiles(window: window, bounds: bounds, into: &out, index: index)
        } else {
            try clientPercentiles(window: window, bounds: bounds, into: &out, index: index)
        }
        return out
    }

    /// p50, p95 and p99 of each provider's latencies, computed by PostgreSQL: `percentile_cont`
    /// interpolates `lo + (h − ⌊h⌋)·(hi − lo)` with `h = p·(n − 1)`, exactly as
    /// ``Quantiles/linear(sorted:_:)`` does, so both stores give the same doubles; three numbers
    /// per provider cross the wire instead of every latency.
    private func serverPercentiles(window: String, bounds: [SQLValue], into out: inout [ProviderSummary],
                                   index: [String: Int]) throws(StoreError) {
        let stmt = try database.prepare("""
            SELECT provider, percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms)
            FROM requests WHERE \(window) AND latency_ms IS NOT NULL GROUP BY provider
            """)
        try stmt.bind(bounds)
        while try stmt.step() {
            guard let i = index[stmt.text(0)] else { continue }
            out[i].p50 = stmt.double(1)
            out[i].p95 = stmt.double(2)
            out[i].p99 = stmt.double(3)
        }
    }

    /// The same percentiles on SQLite: one unordered pass, each provider's latencies sorted
    /// here. (`ORDER BY provider, latency_ms` made SQLite sort every row through its temporary
    /// B-tree: 104 s on 10M rows.)
    private func clientPercentiles(window: String, bounds: [SQLValue], into out: inout [ProviderSummary],
                                   index: [String: Int]) throws(StoreError) {
        let stmt = try database.prepare("SELECT provider, latency_ms FROM requests WHERE \(window) AND latency_ms IS NOT NULL")
        try stmt.bind(bounds)
        var values = Array(repeating: [Double](), count: out.count)
        var last = "", lastIndex: Int?
        while try stmt.step() {
            let p = stmt.text(0)
            if p != last {
                last = p
                lastIndex = index[p]
            }
            if let i = lastIndex { values[i].append(stmt.double(1)) }
        }
        for i in values.indices where !values[i].isEmpty {
            values[i].sort()
            out[i].p50 = Quantiles.linear(sorted: values[i], 0.50)
            out[i].p95 = Quantiles.linear(sorted: values[i], 0.95)
            out[i].p99 = Quantiles.linear(sorted: values[i], 0.99)
        }
    }

    /// Every Mosaic table with its row count, in schema order.
    public func tableCounts() throws(StoreError) -> [TableCount] {
        let names = try database.rows(database.dialect == .sqlite ? """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid
            """ : """
            SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.oid
            """).compactMap { $0[0].textValue }
        var out: [TableCount] = []
        for n in names {
            let count = try database.scalarInt("SELECT count(*) FROM \"\(n)\"") ?? 0
            out.append(TableCount(table: n, rows: Int(count)))
        }
        return out
    }

    /// The first and last request instants, µs (nil when the table is empty).
    public func requestSpan() throws(StoreError) -> (first: Int64, last: Int64)? {
        let r = try database.rows("SELECT min(ts), max(ts) FROM requests")
        guard let row = r.first, let a = row[0].intValue, let b = row[1].intValue else { return nil }
        return (a, b)
    }
}
