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
        if database.dialect == .sqlite { return try summaryInOnePass(window: window, bounds: bounds) }
        let totals = try database.prepare("""
            SELECT provider, count(*), count(*) FILTER (WHERE status <> 'ok'), sum(cost), count(*) FILTER (WHERE cost IS NULL),
                   sum(input_tokens), sum(output_tokens)
            FROM requests WHERE \(window) GROUP BY provider ORDER BY provider
            """)
        try totals.bind(bounds)
        var out: [ProviderSummary] = []
        var index: [String: Int] = [:]
        while try totals.step() {
            index[totals.text(0)] = out.count
            out.append(ProviderSummary(
                provider: totals.text(0), requests: Int(totals.int64(1)), failures: Int(totals.int64(2)),
                cost: try totals.money(3, table: "requests", column: "cost"), unpriced: Int(totals.int64(4)),
                inputTokens: Int(totals.int64(5)), outputTokens: Int(totals.int64(6))))
        }
        // PostgreSQL's percentile_cont interpolates `lo + (h − ⌊h⌋)·(hi − lo)` with
        // `h = p·(n − 1)`, exactly as ``Quantiles/linear(sorted:_:)`` does, so both stores give
        // the same doubles, and three numbers per provider cross the wire instead of every latency.
        let percentiles = try database.prepare("""
            SELECT provider, percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms)
            FROM requests WHERE \(window) AND latency_ms IS NOT NULL GROUP BY provider
            """)
        try percentiles.bind(bounds)
        while try percentiles.step() {
            guard let i = index[percentiles.text(0)] else { continue }
            out[i].p50 = percentiles.double(1)
            out[i].p95 = percentiles.double(2)
            out[i].p99 = percentiles.double(3)
        }
        return out
    }

    /// The same summary on SQLite, in one pass in primary-key order with the sums and each
    /// provider's sorted latencies kept here. SQLite has no hash aggregate: `GROUP BY provider`
    /// and `ORDER BY provider, latency_ms` each sorted every row through a temporary B-tree
    /// (104 s on 10M rows for the two).
    private func summaryInOnePass(window: String, bounds: [SQLValue]) throws(StoreError) -> [ProviderSummary] {
        let stmt = try database.prepare("""
            SELECT provider, status <> 'ok', cost, input_tokens, output_tokens, latency_ms FROM requests WHERE \(window)
            """)
        try stmt.bind(bounds)
        var sums: [ProviderSummary] = []
        var latencies: [[Double]] = []
        var index: [String: Int] = [:]
        var last = "", i = -1
        while try stmt.step() {
            let provider = stmt.text(0)
            if i < 0 || provider != last {
                last = provider
                if let known = index[provider] {
                    i = known
                } else {
                    i = sums.count
                    index[provider] = i
                    sums.append(ProviderSummary(provider: provider, requests: 0, failures: 0, cost: .zero, unpriced: 0,
                                                inputTokens: 0, outputTokens: 0))
                    latencies.append([])
                }
            }
            sums[i].requests += 1
            if stmt.int64(1) != 0 { sums[i].failures += 1 }
            if stmt.isNull(2) {
                sums[i].unpriced += 1
            } else {
                sums[i].cost = try Self.exactSum(sums[i].cost, try stmt.money(2, table: "requests", column: "cost"), path: path)
            }
            sums[i].inputTokens = try Self.integerSum(sums[i].inputTokens, stmt.int64(3), path: path)
            sums[i].outputTokens = try Self.integerSum(sums[i].outputTokens, stmt.int64(4), path: path)
            if !stmt.isNull(5) { latencies[i].append(stmt.double(5)) }
        }
        for i in sums.indices where !latencies[i].isEmpty {
            latencies[i].sort()
            sums[i].p50 = Quantiles.linear(sorted: latencies[i], 0.50)
            sums[i].p95 = Quantiles.linear(sorted: latencies[i], 0.95)
            sums[i].p99 = Quantiles.linear(sorted: latencies[i], 0.99)
        }
        // In SQLite's BINARY order (bytes), as `ORDER BY provider` gave.
        return sums.sorted { $0.provider.utf8.lexicographicallyPrecedes($1.provider.utf8) }
    }

    /// `a + b`, or the error SQLite's `money_sum` reports on overflow.
    static func exactSum(_ a: Money, _ b: Money, path: String) throws(StoreError) -> Money {
        let (sum, overflow) = a.units.addingReportingOverflow(b.units)
        if overflow { throw .sqlite(path: path, code: 1, message: "money_sum: overflow", sql: nil) }
        return Money(units: sum)
    }

    /// `a + b`, or the error SQLite's `sum` reports on overflow.
    static func integerSum(_ a: Int, _ b: Int64, path: String) throws(StoreError) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(Int(b))
        if overflow { throw .sqlite(path: path, code: 1, message: "integer overflow", sql: nil) }
        return sum
    }

    /// Every Mosaic table with its row count, in schema order: `schema_migrations`, then the
    /// tables in the order the first migration creates them (a table a later migration rebuilt,
    /// as 6 did `ingest_runs` on SQLite, keeps its place), then any others as the engine lists them.
    public func tableCounts() throws(StoreError) -> [TableCount] {
        let listed = try database.rows(database.dialect == .sqlite ? """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid
            """ : """
            SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.oid
            """).compactMap { $0[0].textValue }
        let order = ["schema_migrations"] + Store.copiedTables.map(\.name)
        let names = listed.enumerated().sorted { a, b in
            let ra = order.firstIndex(of: a.element) ?? order.count + a.offset
            let rb = order.firstIndex(of: b.element) ?? order.count + b.offset
            return ra < rb
        }.map(\.element)
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
