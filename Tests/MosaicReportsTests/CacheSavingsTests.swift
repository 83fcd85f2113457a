import Foundation
import MosaicCore
@testable import MosaicReports
import MosaicStore
import MosaicTestSupport
import Testing

/// The cost report reads the gateway's `cache_hits` table and sums what the cache saved
/// exactly (amounts a binary double cannot hold, summed to the last digit).
@Suite struct CacheSavingsTests {
    @Test func savedAmountsAreSummedExactlyByProviderModelAndTenant() throws {
        let tmp = TemporaryDirectory("cache-savings")
        let store = try Store(path: tmp.file("m.sqlite"))
        try store.syncProviders(.default)
        let runID = try store.beginRun(source: "test", location: "test")
        let insert = try store.database.prepare("""
            INSERT INTO cache_hits(ts, key, tenant, provider, model, operation, input_tokens, output_tokens, cached_tokens,
                                   latency_ms, saved, request_id, run_id)
            VALUES (?1, ?2, ?3, ?4, ?5, 'chat', 10, 5, 0, 0.2, ?6, ?7, ?8)
            """)
        let t0 = Timestamp.parse("2026-03-01T00:00:00Z")!
        let hits: [(String, String, String, String?)] = [
            ("openai", "gpt-4o", "acme", "0.1"), ("openai", "gpt-4o", "acme", "0.2"), ("openai", "gpt-4o", "acme", "0.0000003"),
            ("openai", "gpt-4o", "beta", "1234.56789"), ("anthropic", "claude", "acme", "0.00294"),
            ("anthropic", "claude", "acme", nil),
        ]
        for (k, h) in hits.enumerated() {
            try insert.run([.int(t0 + Int64(k) * 1_000_000), .int(Int64(k)), .text(h.2), .text(h.0), .text(h.1),
                            h.3.map { SQLValue.text($0) } ?? SQLValue.null, .text("gw-\(k)"), .int(runID)])
        }
        // One hit outside the window is not counted.
        try insert.run([.int(t0 + 86_400_000_000 * 40), .int(99), .text("acme"), .text("openai"), .text("gpt-4o"), .text("7"),
                        .text("gw-late"), .int(runID)])
        let data = try CostData.load(store: store, from: t0, to: t0 + 86_400_000_000)
        let cells = data.cacheHits.map { "\($0.provider)/\($0.model)/\($0.tenant) \($0.hits) \($0.saved) \($0.unpriced)" }
        #expect(cells == [
            "anthropic/claude/acme 2 0.00294 1",
            "openai/gpt-4o/acme 3 0.3000003 0",
            "openai/gpt-4o/beta 1 1234.56789 0",
        ])
        let markdown = MarkdownRenderer.render(CostReport(data: data).report())
        #expect(markdown.contains("Saved by the gateway cache"))
        #expect(markdown.contains("exact: 1234.8708303"), "0.1 + 0.2 + 0.0000003 + 1234.56789 + 0.00294 = 1234.8708303 (Python decimal)")
        #expect(markdown.contains("1 cached answer(s) had no price"))
    }

    @Test func aStoreWithoutCacheHitsHasNoCacheSection() throws {
        let tmp = TemporaryDirectory("cache-savings-none")
        let store = try Store(path: tmp.file("m.sqlite"))
        let data = try CostData.load(store: store)
        #expect(data.cacheHits.isEmpty)
        #expect(!MarkdownRenderer.render(CostReport(data: data).report()).contains("gateway cache"))
    }
}
