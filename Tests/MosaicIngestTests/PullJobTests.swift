import Foundation
import MosaicCore
@testable import MosaicIngest
import MosaicStore
import MosaicTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A sleeper that records the waits a pull asks for instead of sleeping.
final class RecordingSleeper: Sendable {
    private let waits = Mutex<[Double]>([])
    var recorded: [Double] { waits.withLock { $0 } }
    func callAsFunction(_ seconds: Double) { waits.withLock { $0.append(seconds) } }
}

/// One mock provider, one fresh store.
struct PullFixture {
    let tmp = TemporaryDirectory("pull")
    let store: Store
    let server: MockProviderServer
    let sleeper = RecordingSleeper()
    var pages: MockProviderPages { server.pages }

    /// 10 days of hourly usage (240 buckets: two pages of 168), 3 results a bucket.
    init(days: Int = 10, bucketsPerDay: Int = 24, results: Int = 3) throws {
        store = try Store(path: tmp.file("m.sqlite"))
        let start = Timestamp.parse("2025-08-01")!
        server = try MockProviderServer(pages: MockProviderPages(seed: 7, start: start, days: days,
                                                                  bucketsPerDay: bucketsPerDay, resultsPerBucket: results))
    }

    func job(_ source: any APISource, sleep: ((Double) -> Void)? = nil) -> PullJob {
        let recorder = sleeper
        return PullJob(source: source, store: store, sleep: sleep ?? { recorder($0) })
    }

    func options(retries: Int = 4, timeout: Double = 10) -> PullOptions {
        var o = PullOptions()
        o.account = "acme"
        o.since = pages.start
        o.until = pages.end
        o.baseURL = server.baseURL
        o.retry.maxAttempts = retries
        o.retry.timeout = timeout
        return o
    }

    func count(_ table: String) throws -> Int64 { try store.database.scalarInt("SELECT count(*) FROM \(table)") ?? -1 }
    func scalar(_ sql: String) throws -> String? { try store.database.scalarText(sql) }

    /// The expected hourly OpenAI usage rows under the default grouping.
    var expectedOpenAIUsage: (rows: Int, input: Int64, cached: Int64, requests: Int64) {
        let buckets = pages.openAIUsage(from: pages.start, to: pages.end, bucketWidth: .hour,
                                        groupBy: [.projectID, .model, .apiKeyID, .batch, .serviceTier])
        let rows = buckets.flatMap(\.results)
        return (rows.count, rows.map(\.inputTokens).reduce(0, +), rows.map(\.cachedInputTokens).reduce(0, +),
                rows.map(\.requests).reduce(0, +))
    }

    /// The expected OpenAI cost total, exact (amounts are in 1e-10 USD).
    var expectedOpenAICost: (rows: Int, total: Money) {
        let rows = pages.openAICosts(from: pages.start, to: pages.end, groupBy: [.projectID, .lineItem]).flatMap(\.results)
        let units = rows.map { Int128($0.amountUnits) }.reduce(0, +)
        return (rows.count, Money(units: units * 100_000_000_000_000))
    }
}

@Suite("PullJob against the mock provider", .serialized)
struct PullJobTests {
    // MARK: Each source, end to end

    @Test func openAIUsageLandsExactlyAndReRunsAddNothing() throws {
        let fx = try PullFixture()
        let result = try fx.job(OpenAIUsageSource(bucketWidth: "1h")).run(options: fx.options(), credential: "sk-admin-test")
        let expected = fx.expectedOpenAIUsage
        #expect(result.pages == 2)
        #expect(result.inserted == expected.rows)
        #expect(try fx.count("usage_buckets") == Int64(expected.rows))
        #expect(try fx.store.database.scalarInt("SELECT sum(input_tokens) FROM usage_buckets") == expected.input)
        #expect(try fx.store.database.scalarInt("SELECT sum(cached_input_tokens) FROM usage_buckets") == expected.cached)
        #expect(try fx.store.database.scalarInt("SELECT sum(requests) FROM usage_buckets") == expected.requests)
        // The checkpoint is the newest bucket committed.
        let cp = try #require(try fx.store.checkpoint(source: "openai-usage", account: "acme"))
        #expect(Int64(cp.cursor) == fx.pages.end - 3_600_000_000)
        // The request carried the key and the grouping; the key is nowhere in the store.
        let first = try #require(fx.server.requests.first)
        #expect(first.headers["authorization"] == "Bearer sk-admin-test")
        #expect(first.queryValues("group_by") == ["project_id", "model", "api_key_id", "batch", "service_tier"])
        #expect(try fx.store.database.scalarInt("SELECT count(*) FROM ingest_runs WHERE location LIKE '%sk-admin%' OR error LIKE '%sk-admin%'") == 0)

        let again = try fx.job(OpenAIUsageSource(bucketWidth: "1h")).run(options: fx.options(), credential: "sk-admin-test")
        #expect(again.inserted == 0)
        #expect(again.updated == 0)
        #expect(again.unchanged == expected.rows)
        #expect(try fx.count("usage_buckets") == Int64(expected.rows))
    }

    @Test func openAICostsAreExact() throws {
        let fx = try PullFixture()
        _ = try fx.job(OpenAICostsSource()).run(options: fx.options(), credential: "k")
        let expected = fx.expectedOpenAICost
        #expect(try fx.count("billing_lines") == Int64(expected.rows))
        #expect(try fx.scalar("SELECT money_sum(billed_cost) FROM billing_lines") == expected.total.description)
        #expect(try fx.scalar("SELECT DISTINCT provider_name FROM billing_lines") == "OpenAI")
    }

    @Test func anthropicUsageAndCosts() throws {
        let fx = try PullFixture()
        _ = try fx.job(AnthropicUsageSource(bucketWidth: "1h")).run(options: fx.options(), credential: "sk-ant-admin")
        let usage = fx.pages.anthropicUsage(from: fx.pages.start, to: fx.pages.end, bucketWidth: .hour,
                                            groupBy: [.model, .workspaceID, .apiKeyID, .serviceTier, .contextWindow])
            .flatMap(\.results)
        #expect(try fx.count("usage_buckets") == Int64(usage.count))
        let total = usage.map { $0.uncachedInputTokens + $0.cacheReadInputTokens + $0.cacheCreation1hInputTokens + $0.cacheCreation5mInputTokens }
            .reduce(0, +)
        #expect(try fx.store.database.scalarInt("SELECT sum(input_tokens) FROM usage_buckets") == total)
        let request = try #require(fx.server.requests.first)
        #expect(request.headers["x-api-key"] == "sk-ant-admin")
        #expect(request.headers["anthropic-version"] == "2023-06-01")

        _ = try fx.job(AnthropicCostsSource()).run(options: fx.options(), credential: "sk-ant-admin")
        let costs = fx.pages.anthropicCosts(from: fx.pages.start, to: fx.pages.end, groupBy: [.workspaceID, .description])
            .flatMap(\.results)
        // Amounts are in 1e-5 cents = 1e-7 USD.
        let cents = costs.map { Int128($0.amountUnits) }.reduce(0, +)
        #expect(try fx.scalar("SELECT money_sum(billed_cost) FROM billing_lines WHERE source = 'anthropic-costs'")
                == Money(units: cents * 100_000_000_000_000_000).description)
    }

    @Test func gitHubBillingMonthByMonth() throws {
        var fx = try PullFixture(days: 45, bucketsPerDay: 1)
        var o = fx.options()
        o.account = "mosaic-org"
        _ = fx
        let result = try fx.job(GitHubBillingSource(organization: "mosaic-org")).run(options: o, credential: "ghp_x")
        #expect(result.pages == 2)  // August and September 2025
        let items = fx.pages.gitHubUsageItems(year: 2025, month: 8) + fx.pages.gitHubUsageItems(year: 2025, month: 9)
        let inWindow = items.filter { $0.day >= fx.pages.start && $0.day < fx.pages.end }
        #expect(try fx.count("billing_lines") == Int64(inWindow.count))
        let net = inWindow.map { Int128($0.netAmountUnits) }.reduce(0, +)
        #expect(try fx.scalar("SELECT money_sum(billed_cost) FROM billing_lines") == Money(units: net * 10_000_000_000_000_000).description)
        let gross = inWindow.map { Int128($0.grossAmountUnits) }.reduce(0, +)
        #expect(try fx.scalar("SELECT money_sum(list_cost) FROM billing_lines") == Money(units: gross * 10_000_000_000_000_000).description)
        let r = try #require(fx.server.requests.first)
        #expect(r.path == "/organizations/mosaic-org/settings/billing/usage")
        #expect(r.headers["x-github-api-version"] == "2022-11-28")
        fx = try PullFixture()
    }

    // MARK: Faults

    @Test func tooManyRequestsHonoursRetryAfter() throws {
        let fx = try PullFixture()
        fx.server.inject(.status(429, headers: ["Retry-After": "3"]), forPathPrefix: "/v1/organization/costs")
        _ = try fx.job(OpenAICostsSource()).run(options: fx.options(), credential: "k")
        #expect(fx.sleeper.recorded == [3])
        #expect(try fx.count("billing_lines") == Int64(fx.expectedOpenAICost.rows))
    }

    @Test(arguments: [500, 502, 503])
    func serverErrorsRetryWithBackoff(_ status: Int) throws {
        let fx = try PullFixture()
        fx.server.inject(.status(status), forPathPrefix: "/v1/organization/costs", times: 2)
        let result = try fx.job(OpenAICostsSource()).run(options: fx.options(), credential: "k")
        #expect(result.requests == 3)
        let waits = fx.sleeper.recorded
        #expect(waits.count == 2)
        #expect(waits[0] >= 0 && waits[0] <= 0.5)   // full jitter under baseDelay · 2⁰
        #expect(waits[1] >= 0 && waits[1] <= 1.0)   // … and under baseDelay · 2¹
        #expect(try fx.scalar("SELECT money_sum(billed_cost) FROM billing_lines") == fx.expectedOpenAICost.total.description)
    }

    @Test func persistentServerErrorsGiveUpNamingSourcePathAndStatus() throws {
        let fx = try PullFixture()
        fx.server.inject(.status(503), forPathPrefix: "/v1/organization/costs", times: 10)
        let error = #expect(throws: APIError.self) {
            _ = try fx.job(OpenAICostsSource()).run(options: fx.options(retries: 3), credential: "sk-secret")
        }
        #expect(error?.description == "openai-costs: giving up on /v1/organization/costs after 3 attempts; last: HTTP 503")
        #expect(try fx.count("billing_lines") == 0)
        #expect(try fx.store.checkpoint(source: "openai-costs", account: "acme") == nil)
        let run = try #require(try fx.store.runs().first)
        #expect(run.status == "failed")
        #expect(run.error?.contains("sk-secret") == false)
    }

    @Test func slowResponsesPastTheTimeoutAreRetried() throws {
        let fx = try PullFixture()
        fx.server.inject(.delay(seconds: 3), forPathPrefix: "/v1/organization/costs")
        let result = try fx.job(OpenAICostsSource()).run(options: fx.options(timeout: 1), credential: "k")
        #expect(result.requests == 2)
        #expect(try fx.count("billing_lines") == Int64(fx.expectedOpenAICost.rows))
    }

    @Test func connectionResetIsRetried() throws {
        let fx = try PullFixture()
        fx.server.inject(.resetConnection, forPathPrefix: "/v1/organization/usage")
        let result = try fx.job(OpenAIUsageSource(bucketWidth: "1h")).run(options: fx.options(), credential: "k")
        #expect(result.requests == 3)  // two pages, one retried
        #expect(try fx.count("usage_buckets") == Int64(fx.expectedOpenAIUsage.rows))
    }

    @Test(arguments: [MockProviderServer.Fault.truncatedBody, .invalidJSON])
    func truncatedOrInvalidJSONCommitsNothingAndIsRetried(_ fault: MockProviderServer.Fault) throws {
        let fx = try PullFixture()
        fx.server.inject(fault, forPathPrefix: "/v1/organization/usage", times: 3)
        let error = #expect(throws: APIError.self) {
            _ = try fx.job(OpenAIUsageSource(bucketWidth: "1h")).run(options: fx.options(retries: 3), credential: "k")
        }
        #expect(error?.description.hasPrefix("openai-usage: giving up on /v1/organization/usage/completions after 3 attempts") == true)
        #expect(try fx.count("usage_buckets") == 0)
        // With attempts to spare, the same fault is survived.
        fx.server.inject(fault, forPathPrefix: "/v1/organization/usage", times: 2)
        _ = try fx.job(OpenAIUsageSource(bucketWidth: "1h")).run(options: fx.options(retries: 3), credential: "k")
        #expect(try fx.count("usage_buckets") == Int64(fx.expectedOpenAIUsage.rows))
    }

    @Test func unauthorizedFailsAtOnceWithAHint() throws {
        let fx = try PullFixture()
        fx.server.inject(.status(401), forPathPrefix: "/v1/organization/costs", times: 5)
        let error = #expect(throws: APIError.self) {
            _ = try fx.job(OpenAICostsSource()).run(options: fx.options(), credential: "sk-wrong")
        }
        #expect(fx.server.requestCount == 1)
        let text = try #require(error?.description)
        #expect(text.hasPrefix("openai-costs: HTTP 401 on /v1/organization/costs"))
        #expect(text.contains("OPENAI_ADMIN_KEY"))
        #expect(!text.contains("sk-wrong"))
    }

    @Test func missingCredentialNamesTheVariable() throws {
        let fx = try PullFixture()
        let error = #expect(throws: APIError.self) {
            _ = try fx.job(AnthropicCostsSource()).run(options: fx.options(), environment: [:])
        }
        #expect(error?.description.hasPrefix("anthropic-costs: set ANTHROPIC_ADMIN_KEY to an Admin API key (sk-ant-admin…)") == true)
        let github = #expect(throws: APIError.self) {
            _ = try fx.job(GitHubBillingSource(organization: "octo-org")).run(options: fx.options(), environment: [:])
        }
        #expect(github?.description.hasPrefix("github-billing: set GITHUB_TOKEN to a token with the organization's \"Administration\" read permission") == true,
                "\(github?.description ?? "")")
        #expect(fx.server.requestCount == 0)
    }

    @Test func gitHubRateLimitWaitsForTheReset() throws {
        let fx = try PullFixture(days: 5, bucketsPerDay: 1)
        let reset = Int(Date().timeIntervalSince1970) + 20
        fx.server.inject(.status(403, headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset)]),
                         forPathPrefix: "/organizations/")
        var o = fx.options()
        o.account = "mosaic-org"
        _ = try fx.job(GitHubBillingSource(organization: "mosaic-org")).run(options: o, credential: "ghp")
        let waits = fx.sleeper.recorded
        #expect(waits.count >= 1)
        #expect(waits[0] > 15 && waits[0] <= 21, "\(waits)")
        #expect(try fx.count("billing_lines") > 0)
    }

    @Test func aPageThatChangesBetweenRetriesIsStoredAsFinallyServed() throws {
        let fx = try PullFixture(days: 3, bucketsPerDay: 1)
        fx.server.inject(.status(503), forPathPrefix: "/v1/organization/costs")
        let day = fx.pages.start
        let server = fx.server
        // Between the failed attempt and the retry, the provider revises the first day.
        let job = fx.job(OpenAICostsSource(), sleep: { _ in
            var p = server.pages
            p.revise(dayContaining: day)
            server.pages = p
        })
        _ = try job.run(options: fx.options(), credential: "k")
        let expected = fx.expectedOpenAICost  // from the revised pages
        #expect(try fx.count("billing_lines") == Int64(expected.rows))
        #expect(try fx.scalar("SELECT money_sum(billed_cost) FROM billing_lines") == expected.total.description)
        // A later pull after a further revision updates in place: no duplicates.
        var p = server.pages
        p.revise(dayContaining: day)
        server.pages = p
        let again = try fx.job(OpenAICostsSource()).run(options: fx.options(), credential: "k")
        #expect(again.inserted == 0)
        #expect(again.updated > 0)
        #expect(try fx.count("billing_lines") == Int64(fx.expectedOpenAICost.rows))
        #expect(try fx.scalar("SELECT money_sum(billed_cost) FROM billing_lines") == fx.expectedOpenAICost.total.description)
    }

    @Test func overlappingWindowsNeitherDuplicateNorLose() throws {
        let fx = try PullFixture()
        var first = fx.options()
        first.until = fx.pages.start + 6 * Timestamp.microsPerDay
        _ = try fx.job(OpenAIUsageSource(bucketWidth: "1h")).run(options: first, credential: "k")
        // The next run starts from the checkpoint (no --since) and runs to the end.
        var second = fx.options()
        second.since = nil
        let r = try fx.job(OpenAIUsageSource(bucketWidth: "1h")).run(options: second, credential: "k")
        #expect(r.since == fx.pages.start + 6 * Timestamp.microsPerDay - 3_600_000_000)
        #expect(r.unchanged > 0)  // the newest bucket of the first run, fetched again
        #expect(try fx.count("usage_buckets") == Int64(fx.expectedOpenAIUsage.rows))
    }
}

/// Kills a real `mosaic ingest` process between pages, runs it again, and finds every row once.
@Suite("Pull killed between pages", .serialized)
struct PullKillTests {
    @Test func killedBetweenPagesThenResumedStoresEveryRowOnce() throws {
        let fx = try PullFixture(days: 30)  // 720 hourly buckets: 5 pages
        // The first two pages answer at once; the third is held so the process can be killed
        // while it waits, after two pages (and their checkpoint) are committed.
        fx.server.inject(.delay(seconds: 0), forPathPrefix: "/v1/organization/usage", times: 2)
        fx.server.inject(.delay(seconds: 8), forPathPrefix: "/v1/organization/usage")
        let db = fx.tmp.file("m.sqlite")
        let args = ["ingest", "openai-usage", "--db", db, "--bucket-width", "1h", "--account", "acme",
                    "--since", Timestamp.format(fx.pages.start), "--until", Timestamp.format(fx.pages.end),
                    "--base-url", fx.server.baseURL.absoluteString]
        let process = try MosaicBinary.start(args, environment: ["OPENAI_ADMIN_KEY": "sk-admin-test"])
        let deadline = Date().addingTimeInterval(60)
        while fx.server.requestCount < 3 && Date() < deadline && process.isRunning { usleep(10_000) }
        #expect(fx.server.requestCount == 3)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()

        let partial = try fx.count("usage_buckets")
        let expected = fx.expectedOpenAIUsage
        #expect(partial > 0 && partial < Int64(expected.rows), "two pages committed: \(partial) of \(expected.rows)")
        #expect(try fx.store.database.scalarText("PRAGMA integrity_check") == "ok")

        // Run again from the checkpoint (no --since): every row exactly once.
        let again = try MosaicBinary.run(["ingest", "openai-usage", "--db", db, "--bucket-width", "1h", "--account", "acme",
                                          "--until", Timestamp.format(fx.pages.end), "--base-url",
                                          fx.server.baseURL.absoluteString, "--output", "json"],
                                         environment: ["OPENAI_ADMIN_KEY": "sk-admin-test"])
        #expect(again.status == 0, "stderr: \(again.stderr)")
        #expect(try fx.count("usage_buckets") == Int64(expected.rows))
        #expect(try fx.store.database.scalarInt("SELECT sum(input_tokens) FROM usage_buckets") == expected.input)
        #expect(!again.stdout.contains("sk-admin"))
        #expect(!again.stderr.contains("sk-admin"))

        // `mosaic ingest status` shows the checkpoint and the runs: the killed one never finished.
        let status = try MosaicBinary.run(["ingest", "status", "--db", db, "--format", "json"])
        #expect(status.status == 0, "stderr: \(status.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let row = try #require(rows.first { $0["source"] as? String == "openai-usage" })
        #expect(row["account"] as? String == "acme")
        #expect(row["checkpoint"] as? String == Timestamp.format(fx.pages.end - 3_600_000_000))
        #expect(row["status"] as? String == "ok")
        #expect(row["new"] as? Int == expected.rows - Int(partial))
    }
}

/// Each provider-API command other than `openai-usage` (above), run as a user runs it against the
/// mock provider: its credential variable, its table, and the rows the library's own test expects.
@Suite("Pull commands", .serialized)
struct PullCommandTests {
    @Test(arguments: [
        ("openai-costs", [String](), "OPENAI_ADMIN_KEY", "billing_lines"),
        ("anthropic-usage", ["--bucket-width", "1h"], "ANTHROPIC_ADMIN_KEY", "usage_buckets"),
        ("anthropic-costs", [], "ANTHROPIC_ADMIN_KEY", "billing_lines"),
        ("github-billing", ["--org", "mosaic-org"], "GITHUB_TOKEN", "billing_lines"),
    ])
    func eachCommandLandsTheProvidersRows(command: String, extra: [String], variable: String, table: String) throws {
        let github = command == "github-billing"
        let fx = try PullFixture(days: github ? 45 : 10, bucketsPerDay: github ? 1 : 24)
        let pages = fx.pages
        let expected: Int
        switch command {
        case "openai-costs": expected = fx.expectedOpenAICost.rows
        case "anthropic-usage":
            expected = pages.anthropicUsage(from: pages.start, to: pages.end, bucketWidth: .hour,
                                            groupBy: [.model, .workspaceID, .apiKeyID, .serviceTier, .contextWindow]).flatMap(\.results).count
        case "anthropic-costs":
            expected = pages.anthropicCosts(from: pages.start, to: pages.end, groupBy: [.workspaceID, .description]).flatMap(\.results).count
        default:
            expected = (pages.gitHubUsageItems(year: 2025, month: 8) + pages.gitHubUsageItems(year: 2025, month: 9))
                .filter { $0.day >= pages.start && $0.day < pages.end }.count
        }
        let db = fx.tmp.file("cli.sqlite")
        let args = ["ingest", command, "--db", db, "--since", Timestamp.format(pages.start), "--until", Timestamp.format(pages.end),
                    "--base-url", fx.server.baseURL.absoluteString, "--output", "json"] + extra
        let r = try MosaicBinary.run(args, environment: [variable: "test-credential"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(rows.first?["new"] as? Int == expected && expected > 0, "\(rows)")
        #expect(rows.first?["account"] as? String == (github ? "mosaic-org" : "default"))
        let store = try Store(path: db)
        #expect(try store.database.scalarInt("SELECT count(*) FROM \(table)") == Int64(expected))
        #expect(!r.stdout.contains("test-credential") && !r.stderr.contains("test-credential"))
    }
}
