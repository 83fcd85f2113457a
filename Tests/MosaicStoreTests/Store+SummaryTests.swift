import MosaicCore
@testable import MosaicStore
import MosaicTestSupport
import Testing

private let may: Int64 = 1_714_521_600_000_000
private let second: Int64 = 1_000_000

@Suite("Store summaries and runs")
struct StoreSummaryTests {
    let scratch: ScratchStore
    var store: Store { scratch.store }

    init() throws { scratch = try ScratchStore().withCatalog() }

    /// A deterministic mix: two providers, failures, unpriced requests, requests without latency.
    static let records: [RequestRecord] = {
        var rng = SeededRandom(seed: 31).stream("summary")
        var out: [RequestRecord] = []
        for i in 0..<500 {
            let provider = i % 3 == 0 ? "anthropic" : "openai"
            let statuses: [RequestStatus] = [.ok, .ok, .ok, .ok, .ok, .ok, .error, .timeout, .rateLimited, .cancelled]
            let status = statuses[Int(rng.next() % 10)]
            let cost: Money? = i % 7 == 0 ? nil : Money(units: Int128(rng.next() % 10_000_000_000_000_000_000))
            let latency: Double? = i % 11 == 0 ? nil : (rng.lognormal(mu: 6, sigma: 0.8) * 1000).rounded() / 1000
            out.append(RequestRecord(
                timestamp: may + Int64(i) * 60 * second, provider: provider, model: "m",
                inputTokens: Int(rng.next() % 5000), outputTokens: Int(rng.next() % 800),
                latencyMs: latency, status: status, cost: cost, requestID: "r\(i)"))
        }
        return out
    }()

    func load(_ records: [RequestRecord] = records) throws -> Int64 {
        let run = try store.beginRun(source: "test", location: "records")
        let writer = try RequestWriter(store: store, runID: run)
        try store.database.transaction {
            for (i, r) in records.enumerated() { _ = try writer.insert(r, key: Int64(i)) }
        }
        return run
    }

    /// Checks a summary row against totals computed in Swift from the records.
    func check(_ s: ProviderSummary, against records: [RequestRecord],
               sourceLocation: SourceLocation = #_sourceLocation) {
        let mine = records.filter { $0.provider == s.provider }
        let latencies = mine.compactMap(\.latencyMs).sorted()
        #expect(s.requests == mine.count, sourceLocation: sourceLocation)
        #expect(s.failures == mine.filter { $0.status != .ok }.count, sourceLocation: sourceLocation)
        #expect(s.cost == mine.compactMap(\.cost).sum(), sourceLocation: sourceLocation)
        #expect(s.unpriced == mine.filter { $0.cost == nil }.count, sourceLocation: sourceLocation)
        #expect(s.inputTokens == mine.reduce(0) { $0 + $1.inputTokens }, sourceLocation: sourceLocation)
        #expect(s.outputTokens == mine.reduce(0) { $0 + $1.outputTokens }, sourceLocation: sourceLocation)
        #expect(!latencies.isEmpty, sourceLocation: sourceLocation)
        #expect(s.p50 == Quantiles.linear(sorted: latencies, 0.50), sourceLocation: sourceLocation)
        #expect(s.p95 == Quantiles.linear(sorted: latencies, 0.95), sourceLocation: sourceLocation)
        #expect(s.p99 == Quantiles.linear(sorted: latencies, 0.99), sourceLocation: sourceLocation)
        #expect(s.errorRate == Double(s.failures) / Double(mine.count), sourceLocation: sourceLocation)
    }

    @Test func summaryMatchesTheRecords() throws {
        _ = try load()
        let summary = try store.providerSummary()
        #expect(summary.map(\.provider) == ["anthropic", "openai"])
        for s in summary { check(s, against: Self.records) }
        // The totals are exact: the stored text sums to the in-memory Money sum.
        let all = summary.map(\.cost).sum()
        #expect(all == Self.records.compactMap(\.cost).sum())
        #expect(summary.reduce(0) { $0 + $1.unpriced } == Self.records.filter { $0.cost == nil }.count)
    }

    @Test func handCheckedSummary() throws {
        let rs = [
            RequestRecord(timestamp: may, provider: "cohere", model: "c", inputTokens: 10, outputTokens: 1,
                          latencyMs: 100, status: .ok, cost: Money("0.1")),
            RequestRecord(timestamp: may + 1, provider: "cohere", model: "c", inputTokens: 20, outputTokens: 2,
                          latencyMs: 300, status: .error, cost: Money("0.2")),
            RequestRecord(timestamp: may + 2, provider: "cohere", model: "c", inputTokens: 30, outputTokens: 3,
                          latencyMs: nil, status: .timeout, cost: nil),
            RequestRecord(timestamp: may + 3, provider: "cohere", model: "c", inputTokens: 40, outputTokens: 4,
                          latencyMs: 200, status: .ok, cost: Money("5.0000000000000004e-08")),
        ]
        _ = try load(rs)
        let s = try #require(try store.providerSummary().first)
        #expect(s.requests == 4 && s.failures == 2 && s.unpriced == 1)
        #expect(s.cost.description == "0.300000050000000000000004")
        #expect(s.inputTokens == 100 && s.outputTokens == 10)
        #expect(s.p50 == 200)                   // of 100, 200, 300
        #expect(s.p95 == 290)                   // h = 1.9: 200 + 0.9·100
        #expect(abs(s.p99! - 298) < 1e-9)       // h = 1.98
        #expect(s.errorRate == 0.5)
    }

    @Test func providerWithoutLatenciesOrPricesHasNilPercentilesAndZeroCost() throws {
        _ = try load([RequestRecord(timestamp: may, provider: "ollama", model: "llama3")])
        let s = try #require(try store.providerSummary().first)
        #expect(s.provider == "ollama" && s.requests == 1 && s.unpriced == 1 && s.cost == .zero)
        #expect(s.p50 == nil && s.p95 == nil && s.p99 == nil)
    }

    @Test func windowIsHalfOpen() throws {
        _ = try load()
        let from = may + 100 * 60 * second, to = may + 200 * 60 * second
        let inWindow = Self.records.filter { $0.timestamp >= from && $0.timestamp < to }
        #expect(inWindow.count == 100)
        let summary = try store.providerSummary(from: from, to: to)
        #expect(summary.map(\.provider) == ["anthropic", "openai"])
        for s in summary { check(s, against: inWindow) }
        let onlyFrom = try store.providerSummary(from: may + 499 * 60 * second)
        #expect(onlyFrom.map(\.requests) == [1])
        let onlyTo = try store.providerSummary(to: may + 1)
        #expect(onlyTo.map(\.provider) == ["anthropic"] && onlyTo.map(\.requests) == [1])
        #expect(try store.providerSummary(from: to, to: to).isEmpty)
    }

    /// The one-pass hourly cells equal SQLite's own `GROUP BY` with `money_sum`, in its order.
    @Test func hourlyCostsEqualTheGroupedQuery() throws {
        var rng = SeededRandom(seed: 7).stream("hourly")
        let providers = ["openai", "anthropic", "ollama"], models = ["m", "m2", "Zeta", "älpha"], tenants = ["a", "B", "c"]
        let records = (0..<3000).map { i in
            RequestRecord(timestamp: may + Int64(rng.next() % 20) * 3_600_000_000 + Int64(i), tenant: tenants[Int(rng.next() % 3)],
                          provider: providers[Int(rng.next() % 3)], model: models[Int(rng.next() % 4)],
                          inputTokens: Int(rng.next() % 5000), outputTokens: Int(rng.next() % 800),
                          status: rng.next() % 5 == 0 ? .error : .ok,
                          cost: rng.next() % 6 == 0 ? nil : Money(units: Int128(rng.next() % 10_000_000_000_000_000_000)))
        }
        _ = try load(records.sorted { $0.timestamp < $1.timestamp })
        for (from, to) in [(nil, nil), (may + 3 * 3_600_000_000 + 500, may + 9 * 3_600_000_000)] as [(Int64?, Int64?)] {
            let stmt = try store.database.prepare("""
                SELECT ts / 3600000000 AS h, provider, model, tenant, count(*), count(*) FILTER (WHERE status <> 'ok'),
                       sum(input_tokens), sum(output_tokens), money_sum(cost), count(*) FILTER (WHERE cost IS NULL), min(ts), max(ts)
                FROM requests WHERE ts >= ?1 AND ts < ?2 GROUP BY h, provider, model, tenant ORDER BY h, provider, model, tenant
                """)
            try stmt.bind([.int(from ?? Int64.min), .int(to ?? Int64.max)])
            var expected: [HourlyCost] = []
            var first = Int64.max, last = Int64.min
            while try stmt.step() {
                expected.append(HourlyCost(hour: stmt.int64(0), provider: stmt.text(1), model: stmt.text(2), tenant: stmt.text(3),
                                           requests: Int(stmt.int64(4)), failures: Int(stmt.int64(5)),
                                           inputTokens: Int(stmt.int64(6)), outputTokens: Int(stmt.int64(7)),
                                           cost: stmt.isNull(8) ? .zero : try Money(parsing: stmt.text(8)), unpriced: Int(stmt.int64(9))))
                first = min(first, stmt.int64(10))
                last = max(last, stmt.int64(11))
            }
            let got = try store.hourlyCosts(from: from, to: to)
            #expect(expected.count > 100)
            #expect(got.cells == expected)
            #expect(got.span == first ... last)
        }
        #expect(try store.hourlyCosts(from: may + 30 * 3_600_000_000).cells.isEmpty)
        #expect(try store.hourlyCosts(from: may + 30 * 3_600_000_000).span == nil)
    }

    /// Triples that share their concatenation, empty texts and bytes that are not UTF-8 stay apart.
    @Test func textTriplesAreKeyedByEachTextsBytes() {
        var triples = TextTriples()
        let cases: [([UInt8], [UInt8], [UInt8])] = [
            (Array("ab".utf8), Array("c".utf8), []), (Array("a".utf8), Array("bc".utf8), []), ([], [], []),
            (Array("a".utf8), Array("b".utf8), Array("c".utf8)), ([0xFF], [], []), ([0xFE], [], []),
        ]
        func index(_ t: ([UInt8], [UInt8], [UInt8])) -> Int {
            t.0.withUnsafeBytes { a in t.1.withUnsafeBytes { b in t.2.withUnsafeBytes { c in triples.index(a, b, c) } } }
        }
        let first = cases.map(index)
        #expect(first == Array(0..<cases.count))
        #expect(cases.reversed().map(index) == first.reversed())
        #expect(triples.strings[0] == ("ab", "c", "") && triples.strings[3] == ("a", "b", "c"))
    }

    @Test func emptyStoreHasNoSummaryAndNoSpan() throws {
        #expect(try store.providerSummary().isEmpty)
        #expect(try store.requestSpan() == nil)
    }

    @Test func requestSpan() throws {
        _ = try load()
        let span = try #require(try store.requestSpan())
        #expect(span.first == may)
        #expect(span.last == may + 499 * 60 * second)
    }

    @Test func tableCounts() throws {
        _ = try load()
        let counts = try store.tableCounts()
        #expect(Set(counts.map(\.table)) == Set(MigrationTests.tables))
        #expect(counts.count == MigrationTests.tables.count)
        let byName = Dictionary(uniqueKeysWithValues: counts.map { ($0.table, $0.rows) })
        #expect(byName["requests"] == 500)
        #expect(byName["providers"] == Catalog.default.providers.count)
        #expect(byName["ingest_runs"] == 1)
        #expect(byName["schema_migrations"] == Schema.migrations.count)
        #expect(byName["prices"] == 0 && byName["billing_lines"] == 0)
        // Schema order: the tables appear in the order the migrations create them (cache_hits in 3).
        let order = counts.map(\.table).filter { $0 != "schema_migrations" }
        #expect(order == ["providers", "prices", "ingest_runs", "requests", "quarantine", "usage_buckets",
                          "billing_lines", "checkpoints", "models", "cache_hits"])
    }

    @Test func runsAreRecordedAndFinished() throws {
        let a = try store.beginRun(source: "csv", location: "a.csv")
        let b = try store.beginRun(source: "jsonl", location: "b.jsonl")
        var runs = try store.runs()
        #expect(runs.map(\.id) == [b, a])                       // newest first
        #expect(runs.allSatisfy { $0.status == "running" && $0.finishedAt == nil && $0.counts == IngestCounts() })
        #expect(runs[1].source == "csv" && runs[1].location == "a.csv")

        try store.finishRun(a, counts: IngestCounts(read: 10, inserted: 7, duplicate: 2, quarantined: 1))
        try store.finishRun(b, counts: IngestCounts(read: 3), error: "b.jsonl:3: not JSON")
        runs = try store.runs()
        let ra = try #require(runs.first { $0.id == a }), rb = try #require(runs.first { $0.id == b })
        #expect(ra.status == "ok" && ra.error == nil)
        #expect(ra.counts == IngestCounts(read: 10, inserted: 7, duplicate: 2, quarantined: 1))
        #expect(try #require(ra.finishedAt) >= ra.startedAt)
        #expect(rb.status == "failed" && rb.error == "b.jsonl:3: not JSON" && rb.counts.read == 3)
        #expect(try store.runs(limit: 1).map(\.id) == [b])
    }

    @Test func quarantineIsIdempotent() throws {
        let run = try store.beginRun(source: "csv", location: "a.csv")
        for _ in 0..<2 {
            try store.quarantine(runID: run, location: "a.csv", line: 12, field: "latency_ms",
                                 reason: "'abc' is not a number", raw: "2024-05-01,openai,abc")
        }
        try store.quarantine(runID: run, location: "a.csv", line: 13, field: nil, reason: "bad", raw: "x")
        #expect(try store.database.scalarInt("SELECT count(*) FROM quarantine") == 2)
        #expect(throws: StoreError.self) {  // run_id must exist
            try store.quarantine(runID: 999, location: "b.csv", line: 1, field: nil, reason: "bad", raw: "y")
        }
    }
}
