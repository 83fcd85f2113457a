import Foundation
import MosaicCore
@testable import MosaicIngest
@testable import MosaicStore
import MosaicTestSupport
import Testing

/// Provider API pulls into PostgreSQL: the same pages give the same rows, to the last digit of
/// money, as into SQLite, and pulling again upserts without adding or changing a row.
@Suite("Pulls into PostgreSQL", .serialized, .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.skipReason)))
struct PullPostgresTests {
    static let sources: [@Sendable () -> any APISource] = [
        { OpenAIUsageSource(bucketWidth: "1h") }, { OpenAICostsSource() },
        { AnthropicUsageSource(bucketWidth: "1h") }, { AnthropicCostsSource() },
        { GitHubBillingSource(organization: "mosaic-org") },
    ]

    /// Every column but the generated ones (row ids, ingest run ids), in a fixed order; the
    /// columns are those of the SQLite store `schema`.
    static func contents(_ table: String, of store: Store, order: String, schema: Store) throws -> [[SQLValue]] {
        let generated: Set<String> = ["id", "run_id"]
        let columns = try schema.database.rows("SELECT name FROM pragma_table_info('\(table)') ORDER BY cid")
            .compactMap { row -> String? in
                guard case .text(let name) = row[0], !generated.contains(name) else { return nil }
                return name
            }
        return try store.database.rows("SELECT \(columns.joined(separator: ", ")) FROM \(table) ORDER BY \(order)")
    }

    @Test(arguments: 0..<sources.count)
    func sameRowsAsSQLiteAndReRunsChangeNothing(source index: Int) throws {
        let fx = try PullFixture(days: 3)
        let db = try PostgresServer.database("pull")
        let pg = try Store(path: db.location)
        func pull(_ store: Store) throws -> PullResult {
            try PullJob(source: Self.sources[index](), store: store, sleep: { _ in })
                .run(options: fx.options(), credential: "sk-admin-test")
        }
        func counted(_ r: PullResult) -> [Int] { [r.pages, r.rows, r.inserted, r.updated, r.unchanged] }

        let lite = try pull(fx.store)
        let first = try pull(pg)
        #expect(lite.rows > 0)
        #expect(counted(first) == counted(lite))
        #expect(first.checkpoint == lite.checkpoint)
        for (table, order) in [("usage_buckets", "bucket_start, key"), ("billing_lines", "natural_key")] {
            #expect(try Self.contents(table, of: pg, order: order, schema: fx.store)
                == Self.contents(table, of: fx.store, order: order, schema: fx.store), "\(table)")
        }
        #expect(try pg.moneyTotal("billing_lines", "billed_cost") == fx.store.moneyTotal("billing_lines", "billed_cost"))

        let again = try pull(pg)
        #expect(again.inserted == 0 && again.updated == 0)
        #expect(try pg.database.scalarInt("SELECT count(*) FROM usage_buckets") == fx.count("usage_buckets"))
        #expect(try pg.database.scalarInt("SELECT count(*) FROM billing_lines") == fx.count("billing_lines"))
    }
}
