import Foundation
import MosaicCore
import MosaicStore
import MosaicTestSupport
import Testing

/// A pull into a store that fills up stops with the store's message and keeps the pages it
/// committed with their checkpoint; run again with room, it resumes from that checkpoint and
/// every row is stored once.
@Suite("Pull into a full store", .serialized)
struct PullFullStoreTests {
    @Test func fullStoreStopsThePullAndTheNextRunResumesFromItsCheckpoint() throws {
        let fx = try PullFixture(days: 30)  // 720 hourly buckets: 5 pages
        let env = ["OPENAI_ADMIN_KEY": "sk-admin-test"]
        func pull(_ db: String, since: Bool, env extra: [String: String] = [:]) throws -> MosaicBinary.Result {
            var args = ["ingest", "openai-usage", "--db", db, "--bucket-width", "1h", "--account", "acme",
                        "--until", Timestamp.format(fx.pages.end), "--base-url", fx.server.baseURL.absoluteString]
            if since { args += ["--since", Timestamp.format(fx.pages.start)] }
            return try MosaicBinary.run(args, environment: env.merging(extra) { $1 })
        }
        func pages(_ db: String) throws -> Int64 { try Database(path: db).scalarInt("PRAGMA page_count") ?? 0 }

        // How many pages a whole pull adds, on a scratch store.
        let scratch = fx.tmp.file("scratch.sqlite")
        #expect(try MosaicBinary.run(["db", "info", "--db", scratch]).status == 0)
        let empty = try pages(scratch)
        #expect(try pull(scratch, since: true).status == 0)
        let growth = try pages(scratch) - empty

        // The real store gets room for about half of it.
        let db = fx.tmp.file("m.sqlite")
        #expect(try MosaicBinary.run(["db", "info", "--db", db]).status == 0)
        let full = try pull(db, since: true, env: ["MOSAIC_TEST_MAX_PAGES": "\(try pages(db) + growth / 2)"])
        #expect(full.status == 1)
        #expect(full.stderr.contains("\(db): the store is full (SQLite: database or disk is full); the transaction was rolled back"),
                "\(full.stderr)")
        let expected = fx.expectedOpenAIUsage
        let partial = try fx.count("usage_buckets")
        #expect(partial > 0 && partial < Int64(expected.rows), "some pages committed: \(partial) of \(expected.rows)")
        #expect(try fx.store.database.scalarText("PRAGMA integrity_check") == "ok")
        let checkpoint = try #require(try fx.store.checkpoint(source: "openai-usage", account: "acme"))
        #expect(try fx.count("usage_buckets WHERE bucket_start > \(checkpoint.cursor)") == 0, "no row beyond the checkpoint")

        // With room again and no --since: from the checkpoint, every row exactly once.
        let again = try pull(db, since: false)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try fx.count("usage_buckets") == Int64(expected.rows))
        #expect(try fx.store.database.scalarInt("SELECT sum(input_tokens) FROM usage_buckets") == expected.input)
        #expect(try fx.store.database.scalarText("PRAGMA integrity_check") == "ok")
    }
}
