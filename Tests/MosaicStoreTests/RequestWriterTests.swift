import MosaicCore
import MosaicStore
import MosaicTestSupport
import Testing

private let may: Int64 = 1_714_521_600_000_000

@Suite("RequestWriter")
struct RequestWriterTests {
    let scratch: ScratchStore
    var store: Store { scratch.store }
    let runID: Int64
    let writer: RequestWriter

    init() throws {
        scratch = try ScratchStore().withCatalog()
        runID = try scratch.store.beginRun(source: "test", location: "memory")
        writer = try RequestWriter(store: scratch.store, runID: runID)
    }

    func record(_ i: Int = 0, provider: String = "openai") -> RequestRecord {
        RequestRecord(timestamp: may + Int64(i) * 1_000_000, tenant: "acme", provider: provider, model: "gpt-4o",
                      operation: "chat", region: "us", inputTokens: 100 + i, outputTokens: 50, cachedTokens: 10,
                      latencyMs: 812.5, ttftMs: 120, status: .ok, cost: Money("0.0007625"), requestID: "req-\(i)")
    }

    func count() throws -> Int64 { try store.database.scalarInt("SELECT count(*) FROM requests") ?? -1 }

    @Test func insertIsIdempotentOnTimestampAndKey() throws {
        #expect(try writer.insert(record(), key: 42) == true)
        #expect(try writer.insert(record(), key: 42) == false)
        var changed = record()
        changed.outputTokens = 999                     // same (ts, key): still a duplicate
        #expect(try writer.insert(changed, key: 42) == false)
        #expect(try writer.insert(record(), key: 43) == true)    // another key
        var later = record()
        later.timestamp += 1
        #expect(try writer.insert(later, key: 42) == true)       // another instant
        #expect(try count() == 3)
        #expect(try store.database.scalarInt("SELECT output_tokens FROM requests WHERE ts = ? AND key = 42",
                                             [.int(may)]) == 50)
    }

    @Test func storesEveryColumn() throws {
        #expect(try writer.insert(record(), key: -7))
        let rows = try store.database.rows("""
            SELECT ts, key, tenant, provider, model, operation, region, input_tokens, output_tokens, cached_tokens,
                   latency_ms, ttft_ms, status, cost, request_id, run_id FROM requests
            """)
        #expect(rows == [[
            .int(may), .int(-7), .text("acme"), .text("openai"), .text("gpt-4o"), .text("chat"), .text("us"),
            .int(100), .int(50), .int(10), .double(812.5), .double(120), .text("ok"), .text("0.0007625"),
            .text("req-0"), .int(runID),
        ]])
    }

    @Test func optionalColumnsAreNull() throws {
        let r = RequestRecord(timestamp: may, provider: "anthropic", model: "claude", status: .rateLimited)
        #expect(try writer.insert(r, key: 1))
        let row = try store.database.rows("SELECT latency_ms, ttft_ms, cost, request_id, status FROM requests")
        #expect(row == [[.null, .null, .null, .null, .text("rate_limited")]])
    }

    @Test func byteSlicePathMatchesRecordPath() throws {
        let line = Array("acme,openai,gpt-4o,chat,us,req-0".utf8)
        let inserted = try line.withUnsafeBytes { buf throws -> (Bool, Bool) in
            func field(_ a: Int, _ b: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buf[a..<b]) }
            let tenant = field(0, 4), provider = field(5, 11), model = field(12, 18), op = field(19, 23)
            let region = field(24, 26), rid = field(27, 32)
            func insert() throws(StoreError) -> Bool {
                try writer.insert(ts: may, key: 42, tenant: tenant, provider: provider, model: model, operation: op,
                                  region: region, inputTokens: 100, outputTokens: 50, cachedTokens: 10,
                                  latencyMs: 812.5, ttftMs: 120, status: .ok, cost: Money("0.0007625"),
                                  requestID: rid)
            }
            return (try insert(), try insert())
        }
        #expect(inserted == (true, false))
        #expect(try writer.insert(record(), key: 42) == false)   // the very same row
        #expect(try store.database.rows("SELECT tenant, provider, model, operation, region, request_id FROM requests")
                == [[.text("acme"), .text("openai"), .text("gpt-4o"), .text("chat"), .text("us"), .text("req-0")]])
    }

    @Test func emptyTextIsStoredAsEmptyNotNull() throws {
        let empty = [UInt8]()
        let provider = Array("openai".utf8)
        let ok = try empty.withUnsafeBytes { e throws -> Bool in
            try provider.withUnsafeBytes { p throws -> Bool in
                try writer.insert(ts: may, key: 1, tenant: e, provider: p, model: e, operation: e, region: e,
                                  inputTokens: 0, outputTokens: 0, cachedTokens: 0, latencyMs: nil, ttftMs: nil,
                                  status: .error, cost: nil, requestID: nil)
            }
        }
        #expect(ok)
        #expect(try store.database.rows("SELECT tenant, region, request_id FROM requests") == [[.text(""), .text(""), .null]])
    }

    @Test func unknownProviderIsAForeignKeyError() throws {
        let error = #expect(throws: StoreError.self) {
            _ = try writer.insert(record(provider: "no-such-provider"), key: 1)
        }
        #expect(sqliteCode(error) == SQLiteCode.constraintForeignKey, "\(String(describing: error))")
        #expect(try count() == 0)
        // The statement is reusable after the failure.
        #expect(try writer.insert(record(), key: 1))
    }

    @Test(arguments: [(-1, 0, 0), (0, -1, 0), (0, 0, -1)])
    func negativeTokensAreNeverStored(_ input: Int, _ output: Int, _ cached: Int) throws {
        var r = record()
        r.inputTokens = input
        r.outputTokens = output
        r.cachedTokens = cached
        // A CHECK violation is an error, never mistaken for a duplicate.
        let error = #expect(throws: StoreError.self) { _ = try writer.insert(r, key: 5) }
        #expect(sqliteCode(error) == 275, "SQLITE_CONSTRAINT_CHECK expected: \(String(describing: error))")
        #expect(try count() == 0)
    }

    @Test func insertsInsideACallerTransaction() throws {
        try store.database.transaction {
            for i in 0..<1000 { _ = try writer.insert(record(i), key: Int64(i)) }
        }
        #expect(try count() == 1000)
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try store.database.transaction {
                for i in 1000..<1100 { _ = try writer.insert(record(i), key: Int64(i)) }
                throw Abort()
            }
        }
        #expect(try count() == 1000)
    }

    /// Rows for the grouped insert: (seconds after `may`, key, tenant, priced). The texts live in
    /// one byte arena handed to `body`.
    func withRows<T>(_ specs: [(Int64, Int64, String, Bool)],
                     _ body: (UnsafeBufferPointer<RequestWriter.Row>) throws -> T) throws -> T {
        var arena: [UInt8] = []
        var ranges: [Range<Int>] = []
        for (_, _, tenant, _) in specs {
            ranges.append(arena.count..<(arena.count + tenant.utf8.count))
            arena += Array(tenant.utf8)
        }
        let fixed = Array("openai gpt-4o chat us".utf8)
        return try arena.withUnsafeBytes { a in
            try fixed.withUnsafeBytes { f in
                func slice(_ b: UnsafeRawBufferPointer, _ r: Range<Int>) -> UnsafeRawBufferPointer {
                    UnsafeRawBufferPointer(rebasing: b[r])
                }
                let rows = specs.enumerated().map { i, spec in
                    RequestWriter.Row(
                        ts: may + spec.0 * 1_000_000, key: spec.1, tenant: slice(a, ranges[i]), provider: slice(f, 0..<6),
                        model: slice(f, 7..<13), operation: slice(f, 14..<18), region: slice(f, 19..<21),
                        inputTokens: Int64(i), outputTokens: 50, cachedTokens: 0, latencyMs: i % 3 == 0 ? nil : 812.5,
                        ttftMs: nil, status: i % 5 == 0 ? .error : .ok, cost: spec.3 ? Money("0.000\(i + 1)") : nil,
                        requestID: i % 2 == 0 ? slice(a, ranges[i]) : nil)
                }
                return try rows.withUnsafeBufferPointer { try body($0) }
            }
        }
    }

    @Test("rows inserted up to 32 a statement: the same rows and counts as one at a time")
    func groupedInsertMatchesOneRowAtATime() throws {
        // Runs of priced and unpriced rows longer and shorter than a statement; repeats of a
        // (ts, key) inside a statement, across statements, and of rows stored beforehand; a
        // repeat with other content after the first (the first stays).
        var specs: [(Int64, Int64, String, Bool)] = []
        for i in 0..<200 {
            let priced = (i / 7) % 3 != 1 && !(90..<150).contains(i)
            specs.append((Int64(i / 4), Int64(i % 4), "t\(i)", priced))
            if i % 13 == 0 { specs.append((Int64(i / 4), Int64(i % 4), "again\(i)", !priced)) }
            if i % 41 == 0 && i > 0 { specs.append((0, 1, "late\(i)", priced)) }
        }
        let other = try ScratchStore().withCatalog()
        let otherRun = try other.store.beginRun(source: "test", location: "memory")
        let single = try RequestWriter(store: other.store, runID: otherRun)
        // Both stores hold three of the rows already.
        for w in [writer, single] {
            try withRows([(5, 0, "before", true), (6, 3, "before", false), (49, 3, "before", true)]) { rows in
                for r in rows {
                    try w.insert(ts: r.ts, key: r.key, tenant: r.tenant, provider: r.provider, model: r.model,
                                 operation: r.operation, region: r.region, inputTokens: r.inputTokens,
                                 outputTokens: r.outputTokens, cachedTokens: r.cachedTokens, latencyMs: r.latencyMs,
                                 ttftMs: r.ttftMs, status: r.status, cost: r.cost, requestID: r.requestID)
                }
            }
        }
        let before = [writer.inserted, writer.duplicates, writer.unpriced]
        #expect(before == [3, 0, 1])
        try withRows(specs) { rows in
            try writer.insert(rows)
            for r in rows {
                try single.insert(ts: r.ts, key: r.key, tenant: r.tenant, provider: r.provider, model: r.model,
                                  operation: r.operation, region: r.region, inputTokens: r.inputTokens,
                                  outputTokens: r.outputTokens, cachedTokens: r.cachedTokens, latencyMs: r.latencyMs,
                                  ttftMs: r.ttftMs, status: r.status, cost: r.cost, requestID: r.requestID)
            }
        }
        let counts = [[writer.inserted, writer.duplicates, writer.unpriced], [single.inserted, single.duplicates, single.unpriced]]
        #expect(counts[0] == counts[1])
        #expect(counts[0][1] > 20 && counts[0][2] > 40, "the input has duplicates and unpriced rows: \(counts[0])")
        #expect(counts[0][0] + counts[0][1] == specs.count + 3)
        let all = """
            SELECT ts, key, tenant, provider, model, operation, region, input_tokens, output_tokens, cached_tokens,
                   latency_ms, ttft_ms, status, cost, request_id FROM requests ORDER BY ts, key
            """
        #expect(try store.database.rows(all) == other.store.database.rows(all))
        #expect(try count() == Int64(counts[0][0]))
    }

    @Test("a CHECK violation in a grouped statement is an error, and the writer stays usable")
    func groupedInsertCheckViolation() throws {
        try withRows((0..<10).map { (Int64($0), 1, "t", true) }) { rows in
            var bad = Array(rows)
            bad[6].cachedTokens = -1
            let error = #expect(throws: StoreError.self) { try bad.withUnsafeBufferPointer { try writer.insert($0) } }
            #expect(sqliteCode(error) == 275, "SQLITE_CONSTRAINT_CHECK expected: \(String(describing: error))")
            #expect(try count() == 0, "the failed statement stored none of its rows")
            try writer.insert(rows)
        }
        #expect(try count() == 10)
        #expect(writer.inserted == 10)
    }
}
