import Foundation
import MosaicCore
@testable import MosaicStore
import MosaicTestSupport
import Testing

private let may: Int64 = 1_714_521_600_000_000

/// The same writes on SQLite and PostgreSQL read back the same: rows, counts, exact money.
@Suite("PostgreSQL store", .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.skipReason)))
struct PostgresStoreTests {
    /// Deterministic request records: several providers, a few unpriced, text that needs
    /// COPY's escapes, and costs down to the last of Money's 24 decimals.
    static func records(_ n: Int, seed: UInt64) -> [RequestRecord] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let providers = ["openai", "anthropic", "cohere"]
        let tenants = ["acme", "tab\there", "back\\slash", "new\nline", "ünïcode"]
        return (0..<n).map { i in
            let cost: Money? = next() % 10 == 0 ? nil : Money(units: Int128(next()) * 1_000_000_007 + 1)
            return RequestRecord(
                timestamp: may + Int64(i / 3) * 1_700_000 + Int64(next() % 1000), tenant: tenants[Int(next() % 5)],
                provider: providers[Int(next() % 3)], model: "m\(next() % 4)", operation: "chat", region: "eu",
                inputTokens: Int(next() % 5000), outputTokens: Int(next() % 900), cachedTokens: Int(next() % 50),
                latencyMs: next() % 17 == 0 ? nil : Double(next() % 100_000) / 7.0, ttftMs: Double(next() % 900) / 3.0,
                status: next() % 11 == 0 ? .error : .ok, cost: cost, requestID: next() % 2 == 0 ? nil : "r\(i)")
        }
    }

    /// Writes records keyed by their index modulo `distinct`: records past `distinct` repeat
    /// earlier ones (same instant and key) when they are copies of them.
    static func write(_ records: [RequestRecord], to store: Store, distinct: Int = .max,
                      chunkBytes: Int = RequestCopy.defaultChunkBytes) throws -> (Int, Int, Int) {
        let run = try store.beginRun(source: "test", location: "memory")
        return try store.database.transaction {
            let w = try RequestWriter(store: store, runID: run, chunkBytes: chunkBytes)
            for (i, r) in records.enumerated() { try w.insert(r, key: Int64(i % distinct)) }
            try w.finish()
            return (w.inserted, w.duplicates, w.unpriced)
        }
    }

    @Test func migratesOnceAndHasTheSameTables() throws {
        let db = try PostgresServer.database("migrate")
        let pg = try Store(path: db.location)
        #expect(try pg.schemaVersion == Schema.latestVersion)
        #expect(pg.dialect == .postgres)
        let again = try Store(path: db.location)
        #expect(try again.schemaVersion == Schema.latestVersion)
        #expect(try again.database.scalarInt("SELECT count(*) FROM schema_migrations") == Int64(Schema.migrations.count))
        let lite = try ScratchStore()
        #expect(try pg.tableCounts().map(\.table) == lite.store.tableCounts().map(\.table))
    }

    @Test func requestsReadBackIdenticallyAndRerunsAddNothing() throws {
        let db = try PostgresServer.database("requests")
        let pg = try Store(path: db.location)
        let lite = try ScratchStore().withCatalog()
        try pg.syncProviders(Catalog.default)
        let base = Self.records(4000, seed: 3)
        let records = base + base.prefix(100)
        let a = try Self.write(records, to: lite.store, distinct: base.count)
        let b = try Self.write(records, to: pg, distinct: base.count)
        let unpriced = base.filter { $0.cost == nil }.count
        #expect(a == (4000, 100, unpriced))
        #expect(b == a)
        #expect(unpriced > 0)

        #expect(try pg.providerSummary() == lite.store.providerSummary())
        #expect(try pg.requestSeries(interval: 3_600_000_000, by: .tenant) == lite.store.requestSeries(interval: 3_600_000_000, by: .tenant))
        #expect(try pg.hourlyCosts().cells == lite.store.hourlyCosts().cells)
        #expect(try pg.hourlyCosts(from: may, to: may + 7_200_000_000).span == lite.store.hourlyCosts(from: may, to: may + 7_200_000_000).span)
        #expect(try pg.requestSeries(interval: 60_000_000, by: .provider, from: may, to: may + 7_200_000_000)
            == lite.store.requestSeries(interval: 60_000_000, by: .provider, from: may, to: may + 7_200_000_000))
        let columns = "ts, key, tenant, provider, model, operation, region, input_tokens, output_tokens, cached_tokens, latency_ms, ttft_ms, status, cost, request_id"
        #expect(try pg.database.rows("SELECT \(columns) FROM requests ORDER BY ts, key")
            == lite.store.database.rows("SELECT \(columns) FROM requests ORDER BY ts, key"))

        let rerun = try Self.write(records, to: pg, distinct: base.count)
        #expect(rerun == (0, records.count, 0))
        #expect(try pg.database.scalarInt("SELECT count(*) FROM requests") == Int64(a.0))
    }

    /// Many small chunks: those holding stored rows (an earlier run's, or a repeat within the
    /// file) are merged, the others copied straight in; the counts and rows match SQLite's.
    @Test func chunksAreCopiedOrMergedWithExactCounts() throws {
        let db = try PostgresServer.database("chunks")
        let pg = try Store(path: db.location)
        let lite = try ScratchStore().withCatalog()
        try pg.syncProviders(Catalog.default)
        let base = Self.records(3000, seed: 5)
        // The first third stored by an earlier run; then the whole file, whose last 100 rows
        // repeat rows 2000..<2100 (same instant and key).
        let first = Array(base.prefix(1000))
        let file = base + base[2000..<2100]
        for store in [lite.store, pg] {
            #expect(try Self.write(first, to: store, chunkBytes: 8 << 10) == (1000, 0, first.filter { $0.cost == nil }.count))
        }
        var writers: [RequestWriter] = []
        for store in [lite.store, pg] {
            let run = try store.beginRun(source: "test", location: "memory")
            let w = try RequestWriter(store: store, runID: run, chunkBytes: 8 << 10)
            try store.database.transaction {
                for (i, r) in file.enumerated() { try w.insert(r, key: Int64(i < base.count ? i : i - 1000)) }
                try w.finish()
            }
            writers.append(w)
        }
        let (a, b) = (writers[0], writers[1])
        #expect((a.inserted, a.duplicates, a.unpriced) == (2000, 1100, base[1000...].filter { $0.cost == nil }.count))
        #expect((b.inserted, b.duplicates, b.unpriced) == (a.inserted, a.duplicates, a.unpriced))
        #expect(b.chunks.copied > 5 && b.chunks.merged > 5, "\(b.chunks)")
        let columns = "ts, key, tenant, provider, model, operation, region, input_tokens, output_tokens, cached_tokens, latency_ms, ttft_ms, status, cost, request_id"
        #expect(try pg.database.rows("SELECT \(columns) FROM requests ORDER BY ts, key")
            == lite.store.database.rows("SELECT \(columns) FROM requests ORDER BY ts, key"))
    }

    /// `requests.provider` has no foreign key on PostgreSQL: the writer refuses an unknown
    /// provider, and a trigger keeps referenced providers from being deleted or renamed
    /// (`cache_hits`' foreign key refuses a `TRUNCATE providers`).
    @Test func providersAreCheckedWithoutAForeignKey() throws {
        let db = try PostgresServer.database("providers")
        let pg = try Store(path: db.location)
        try pg.syncProviders(Catalog.default)
        var records = Self.records(50, seed: 9)
        records[40].provider = "nope"
        #expect {
            _ = try Self.write(records, to: pg)
        } throws: { error in
            guard case .postgres(_, "23503"?, let message, _) = error as? StoreError else { return false }
            return message.contains("(Key (provider)=(nope) is not present in table \"providers\".)")
        }
        #expect(try pg.database.scalarInt("SELECT count(*) FROM requests") == 0)
        records[40].provider = "openai"
        _ = try Self.write(records, to: pg)
        func refused(_ sql: String) -> Bool {
            do {
                try pg.database.execute(sql)
                return false
            } catch {
                if case .postgres(_, "23503"?, _, _) = error { return true }
                return false
            }
        }
        #expect(refused("DELETE FROM providers WHERE id = 'openai'"))
        #expect(refused("UPDATE providers SET id = 'openai2' WHERE id = 'openai'"))
        #expect(throws: StoreError.self) { try pg.database.execute("TRUNCATE providers") }  // cache_hits' key
        let unused = try #require(try pg.database.scalarText(
            "SELECT id FROM providers WHERE id NOT IN (SELECT provider FROM requests) ORDER BY id LIMIT 1"))
        try pg.database.execute("UPDATE providers SET name = 'renamed' WHERE id = 'openai'")
        try pg.database.execute("DELETE FROM providers WHERE id = '\(unused)'")
        #expect(try pg.database.scalarInt("SELECT count(*) FROM providers WHERE id = 'openai'") == 1)
    }

    /// A streaming read gives the rows a whole read gives, in order and with the same values
    /// (integers, doubles, NULLs, exact numeric, text with quotes), across several fetches, while
    /// the store's own connection runs other statements between its rows.
    @Test func streamingReadsMatchWholeReadsAcrossBatches() throws {
        let db = try PostgresServer.database("stream")
        let pg = try Store(path: db.location)
        try pg.syncProviders(Catalog.default)
        let n = 2 * PostgresStatement.streamBatch + 123
        var records = Self.records(n, seed: 11)
        records[5].tenant = "o'brien"
        _ = try Self.write(records, to: pg)
        let sql = "SELECT ts, key, tenant, latency_ms, cost, input_tokens FROM requests WHERE ts >= ?1 AND tenant <> ?2 ORDER BY ts, key"
        let bindings: [SQLValue] = [.int(may), .text("it's not")]
        let whole = try pg.database.rows(sql, bindings)
        #expect(whole.count == n)
        let stmt = try pg.database.prepare(streaming: true, sql)
        try stmt.bind(bindings)
        var streamed: [[SQLValue]] = []
        while try stmt.step() {
            streamed.append((0..<stmt.columnCount).map { stmt.value($0) })
            if streamed.count % 10_000 == 0 { #expect(try pg.database.scalarInt("SELECT count(*) FROM requests") == Int64(n)) }
        }
        #expect(streamed.count == whole.count)
        #expect(streamed == whole)
        #expect(streamed.contains { $0[2] == .text("o'brien") })
        #expect(streamed.contains { $0[3] == .null } && streamed.contains { $0[4] == .null })
        // Reusable after a reset, and an early stop leaves the store usable.
        stmt.reset()
        try stmt.bind(bindings)
        #expect(try stmt.step())
        #expect(stmt.value(0) == whole[0][0])
        stmt.reset()
        #expect(try pg.database.scalarInt("SELECT count(*) FROM requests") == Int64(n))
    }

    @Test func moneyTotalsAreExactAndUpsertsMatch() throws {
        let db = try PostgresServer.database("money")
        let pg = try Store(path: db.location)
        let lite = try ScratchStore()
        let amounts = ["0.000000000000000000000001", "12345678901234.999999999999999999999999", "-0.5", "0", "1.1", "2.2",
                       "0.000000000000000000000009", "-12345678901234"]
        var lines: [BillingLine] = []
        for (i, a) in amounts.enumerated() {
            var l = BillingLine(source: "focus", naturalKey: "k\(i)", chargePeriodStart: may + Int64(i) * 86_400_000_000 * 20,
                                chargePeriodEnd: may + Int64(i) * 86_400_000_000 * 20 + 3_600_000_000,
                                providerName: i % 2 == 0 ? "AWS" : "Azure", billedCost: try Money(parsing: a))
            l.effectiveCost = i % 3 == 0 ? nil : try Money(parsing: a) - Money(units: 1)
            l.team = i % 4 == 0 ? nil : "team\(i % 3)"
            lines.append(l)
        }
        for store in [lite.store, pg] {
            let outcomes = try store.database.transaction {
                let w = try BillingWriter(store: store, runID: nil)
                return try lines.map { try w.upsert($0) }
            }
            #expect(outcomes == Array(repeating: .inserted, count: lines.count))
            var changed = lines[1]
            changed.billedCost = changed.billedCost + Money(units: 1)
            let again = try store.database.transaction {
                let w = try BillingWriter(store: store, runID: nil)
                return [try w.upsert(lines[0]), try w.upsert(changed)]
            }
            #expect(again == [.unchanged, .updated])
        }
        let dims: [CostDimension] = [.provider, .month, .team]
        #expect(try pg.costTotals(by: dims) == lite.store.costTotals(by: dims))
        let expected = lines.map(\.billedCost).reduce(Money.zero, +) + Money(units: 1)
        #expect(try pg.costTotals(by: [.source]).map(\.billedCost) == [expected])
        #expect(try pg.moneyTotal("billing_lines", "billed_cost") == expected)
    }

    @Test func pricesUpsertAlike() throws {
        let db = try PostgresServer.database("prices")
        let pg = try Store(path: db.location)
        let lite = try ScratchStore()
        let entries = [
            PriceEntry(provider: "openai", model: "gpt-4o", sku: .inputToken, price: Money("0.0000025")!, validFrom: may, source: "t"),
            PriceEntry(provider: "openai", model: "gpt-4o", sku: .inputToken, price: Money("0.000002")!, validFrom: may + 1000, source: "t"),
            PriceEntry(provider: "openai", model: "gpt-4o", sku: .outputToken, price: Money("0.00001")!, validFrom: may,
                       validTo: may + 5000, source: "t"),
        ]
        #expect(try pg.upsertPrices(entries) == lite.store.upsertPrices(entries))
        #expect(try pg.upsertPrices(entries) == 0)
        let sql = "SELECT provider, model, sku, unit, price, currency, valid_from, valid_to, source FROM prices ORDER BY sku, valid_from"
        #expect(try pg.database.rows(sql) == lite.store.database.rows(sql))
    }

    @Test func copyMovesAStoreBothWaysAndChecksIt() throws {
        let lite = try ScratchStore().withCatalog()
        _ = try Self.write(Self.records(1500, seed: 9), to: lite.store)
        try lite.store.upsertPrices([PriceEntry(provider: "openai", model: "x", sku: .request, price: Money("0.01")!,
                                                validFrom: may, source: "t")])
        _ = try lite.store.database.transaction {
            try BillingWriter(store: lite.store, runID: nil).upsert(
                BillingLine(source: "s", naturalKey: "n", chargePeriodStart: may, chargePeriodEnd: may + 1,
                            providerName: "AWS", billedCost: Money("1234.000000000000000000000001")!))
        }
        let db = try PostgresServer.database("copy")
        let pg = try Store(path: db.location)
        let checks = try lite.store.copy(to: pg)
        #expect(checks.allSatisfy { $0.matches })
        #expect(checks.first { $0.table == "requests" }?.targetRows == Int(try lite.store.database.scalarInt("SELECT count(*) FROM requests")!))
        #expect(checks.first { $0.table == "billing_lines" }?.money.first?.target == Money("1234.000000000000000000000001"))

        let back = try ScratchStore("copy-back")
        #expect(try pg.copy(to: back.store).allSatisfy { $0.matches })
        for table in ["requests", "billing_lines", "prices", "providers", "ingest_runs"] {
            #expect(try back.store.database.rows("SELECT * FROM \(table) ORDER BY 1, 2")
                == lite.store.database.rows("SELECT * FROM \(table) ORDER BY 1, 2"), "table \(table)")
        }
        // A new run after the copy gets a fresh id (the identity sequence moved past the copied ids).
        let next = try pg.beginRun(source: "after", location: "copy")
        let copiedRuns = try lite.store.database.scalarInt("SELECT max(id) FROM ingest_runs") ?? 0
        #expect(next == copiedRuns + 1)

        #expect(throws: StoreError.self) { try lite.store.copy(to: pg) }
    }

    @Test func numericComesBackExact() throws {
        let db = try PostgresServer.database("numeric")
        let pg = try Store(path: db.location)
        for text in ["0", "1", "-1", "10000", "0.0001", "-0.5", "123456789.000000000000000000000001", "1.10", "99999999.9999",
                     "0.000000000000000000000001", "-170141183460469.231731687303715884105727"] {
            let back = try pg.database.scalarText("SELECT ?::numeric", [.text(text)])
            #expect(back == (try Money(parsing: text)).description, "\(text)")
        }
        // A whole number that is not an amount (beyond Money's range) keeps its digits.
        #expect(try pg.database.scalarText("SELECT 10::numeric ^ 40") == "1" + String(repeating: "0", count: 40) + ".0000000000000000")
    }
}

/// The pieces that need no server.
@Suite("PostgreSQL plumbing")
struct PostgresPlumbingTests {
    @Test func placeholdersBecomeNumbered() {
        #expect(PostgresStatement.translatePlaceholders("SELECT ?, ?, '?' FROM t WHERE a = ?") == ("SELECT $1, $2, '?' FROM t WHERE a = $3", 3))
        #expect(PostgresStatement.translatePlaceholders("x >= ?1 AND x < ?2 AND y = ?10") == ("x >= $1 AND x < $2 AND y = $10", 10))
    }

    @Test func urlsParseAndHidePasswords() throws {
        let u = try PostgresURL(parsing: "postgres://ann:s%40cret@db.example:6543/costs")
        #expect(u == PostgresURL(user: "ann", password: "s@cret", host: "db.example", port: 6543, database: "costs"))
        #expect(u.redacted == "postgres://ann:***@db.example:6543/costs")
        #expect(try PostgresURL(parsing: "postgresql://bob@127.0.0.1/x").port == 5432)
        // IPv6: the address without its brackets (the connection looked up a host named "[::1]").
        let v6 = try PostgresURL(parsing: "postgres://bob@[::1]:5433/x")
        #expect(v6.host == "::1" && v6.port == 5433)
        #expect(v6.redacted == "postgres://bob@[::1]:5433/x")
        #expect(PostgresURL.isPostgres("postgres://a@b/c") && !PostgresURL.isPostgres("mosaic.sqlite"))
        for bad in ["postgres://host/db", "postgres://u@/db", "postgres://u@h:1", "postgres://u@h/db?sslmode=require"] {
            #expect(throws: StoreError.self, "\(bad)") { try PostgresURL(parsing: bad) }
        }
        // A port past 16 bits was tried, and said "connection refused (nothing listens there)".
        let port = #expect(throws: StoreError.self) { try PostgresURL(parsing: "postgres://u@127.0.0.1:99999/db") }
        #expect(port?.description == "postgres://u@127.0.0.1:99999/db: not a usable PostgreSQL URL: port 99999 is not in 1...65535; "
                + "expected postgres://user@host:port/database")
    }

    @Test func aClosedPortIsAClearError() throws {
        let error = #expect(throws: StoreError.self) { try Store(path: "postgres://nobody@127.0.0.1:1/none") }
        // In words, not SwiftNIO's "connection reset (error set): Connection refused) (errno: 111)".
        #expect(error?.description == "postgres://nobody@127.0.0.1:1/none: PostgreSQL error: cannot connect: connection refused (nothing listens there)",
                "\(String(describing: error))")
    }
}
