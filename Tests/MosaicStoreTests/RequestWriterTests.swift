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
}
