import Foundation
import MosaicCore
@testable import MosaicIngest
import MosaicTestSupport
import Testing

/// The sources read the documented example responses in ../shared exactly.
@Suite("Provider sources on the documented examples")
struct ProviderSourcesTests {
    static let shapes = "datasets/provider-usage-api-shapes/"

    static func example(_ file: String, _ key: String) throws -> JSONValue {
        let path = try #require(SharedData.path(shapes + file), "\(SharedData.missing(shapes + file) ?? "")")
        let doc = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: path)))
        return try #require(doc[key], "no example '\(key)' in \(file)")
    }

    static let window = PullWindow(since: 0, until: Int64.max / 2)

    @Test(.enabled(if: SharedData.path(shapes + "openai_usage_costs_example_responses.json") != nil,
                   "../shared/datasets/provider-usage-api-shapes is absent"))
    func openAIUsageExample() throws {
        let page = try Self.example("openai_usage_costs_example_responses.json", "GET /organization/usage/completions")
        let parsed = try OpenAIUsageSource().parse(page, window: Self.window, token: nil, account: "org-1")
        #expect(parsed.next == "page_AAAAAGdGxdEiJdKOAAAAAGcqsYA=")
        let b = try #require(parsed.buckets.first)
        #expect(parsed.buckets.count == 1)
        #expect(b.bucketStart == 1_730_419_200_000_000)
        #expect(b.bucketEnd == 1_730_505_600_000_000)
        #expect(b.provider == "openai")
        #expect(b.account == "org-1")
        #expect(b.requests == 5)
        #expect(b.inputTokens == 1000)
        #expect(b.cachedInputTokens == 400)
        #expect(b.cacheWriteTokens == 100)
        #expect(b.outputTokens == 500)
        #expect(b.audioInputTokens == 50)
        #expect(b.audioOutputTokens == 50)
        #expect(b.imageInputTokens == 50)
        #expect(b.imageOutputTokens == 50)
        #expect(b.model == "")
        #expect(b.dimensions == "{}")
        #expect(b.metrics == #"{"input_cached_audio_tokens":50,"input_cached_image_tokens":50,"input_cached_text_tokens":300,"input_text_tokens":400,"input_uncached_tokens":500,"output_text_tokens":400}"#)
        #expect(parsed.newestStart == 1_730_419_200_000_000)
    }

    @Test(.enabled(if: SharedData.path(shapes + "openai_usage_costs_example_responses.json") != nil,
                   "../shared/datasets/provider-usage-api-shapes is absent"))
    func openAICostsExample() throws {
        let page = try Self.example("openai_usage_costs_example_responses.json", "GET /organization/costs")
        let parsed = try OpenAICostsSource().parse(page, window: Self.window, token: nil, account: "org-1")
        #expect(parsed.next == nil)
        let l = try #require(parsed.lines.first)
        #expect(l.billedCost == Money("0.06"))
        #expect(l.billingCurrency == "USD")
        #expect(l.providerName == "OpenAI")
        #expect(l.serviceName == "OpenAI API")
        #expect(l.chargeCategory == "Usage")
        #expect(l.chargePeriodStart == 1_730_419_200_000_000)
    }

    @Test(.enabled(if: SharedData.path(shapes + "anthropic_admin_usage_cost_example_responses.json") != nil,
                   "../shared/datasets/provider-usage-api-shapes is absent"))
    func anthropicUsageExample() throws {
        let page = try Self.example("anthropic_admin_usage_cost_example_responses.json", "GET /v1/organizations/usage_report/messages")
        let parsed = try AnthropicUsageSource().parse(page, window: Self.window, token: nil, account: "acme")
        #expect(parsed.next == "page_MjAyNS0wNS0xNFQwMDowMDowMFo=")
        let b = try #require(parsed.buckets.first)
        #expect(b.bucketStart == Timestamp.parse("2025-08-01T00:00:00Z"))
        #expect(b.bucketEnd == Timestamp.parse("2025-08-02T00:00:00Z"))
        // The documented total: uncached + cache read + both cache-creation kinds.
        #expect(b.inputTokens == 1500 + 200 + 1000 + 500)
        #expect(b.cachedInputTokens == 200)
        #expect(b.cacheWriteTokens == 1500)
        #expect(b.outputTokens == 500)
        #expect(b.webSearchRequests == 10)
        #expect(b.model == "claude-sonnet-4-20250514")
        #expect(b.project == "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ")
        #expect(b.apiKey == "apikey_01Rj2N8SVvo6BePZj99NhmiT")
        #expect(b.dimensions == #"{"context_window":"0-200k","service_tier":"standard"}"#)
    }

    @Test(.enabled(if: SharedData.path(shapes + "anthropic_admin_usage_cost_example_responses.json") != nil,
                   "../shared/datasets/provider-usage-api-shapes is absent"))
    func anthropicCostsExampleIsInCents() throws {
        let page = try Self.example("anthropic_admin_usage_cost_example_responses.json", "GET /v1/organizations/cost_report")
        let parsed = try AnthropicCostsSource().parse(page, window: Self.window, token: nil, account: "acme")
        let l = try #require(parsed.lines.first)
        // "123.78912" cents is $1.2378912, exactly.
        #expect(l.billedCost.description == "1.2378912")
        #expect(l.serviceName == "Claude Sonnet 4 Usage - Input Tokens")
        #expect(l.skuID == "uncached_input_tokens")
        #expect(l.project == "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ")
        #expect(l.billingCurrency == "USD")
    }

    @Test(.enabled(if: SharedData.path(shapes + "github_billing_usage_shape.json") != nil,
                   "../shared/datasets/provider-usage-api-shapes is absent"))
    func gitHubUsageExample() throws {
        let doc = try Self.example("github_billing_usage_shape.json", "GET /organizations/{org}/settings/billing/usage")
        let page = try #require(doc["example_response"])
        let window = PullWindow(since: Timestamp.parse("2023-08-01")!, until: Timestamp.parse("2023-09-01")!)
        let parsed = try GitHubBillingSource(organization: "github").parse(page, window: window, token: nil, account: "github")
        let l = try #require(parsed.lines.first)
        #expect(l.billedCost == Money("0.8"))
        #expect(l.listCost == Money("0.8"))
        #expect(l.listUnitPrice == Money("0.008"))
        #expect(l.consumedQuantity == "100")
        #expect(l.consumedUnit == "minutes")
        #expect(l.serviceName == "Actions")
        #expect(l.skuID == "Actions Linux")
        #expect(l.project == "github/example")
        #expect(l.chargePeriodStart == Timestamp.parse("2023-08-01"))
        #expect(l.chargePeriodEnd == Timestamp.parse("2023-08-02"))
        #expect(parsed.next == nil)  // August is the window's last month
    }

    @Test func shapeErrorsNameTheJSONPath() throws {
        let page = try JSONValue.parse(#"{"object":"page","data":[{"start_time":1764547200,"end_time":1764633600,"results":[{"input_tokens":"many"}]}],"has_more":false}"#)
        let error = #expect(throws: APIError.self) {
            _ = try OpenAIUsageSource().parse(page, window: Self.window, token: nil, account: "a")
        }
        #expect(error?.description == "openai-usage: unexpected response from /v1/organization/usage/completions: data[0].results[0].input_tokens: expected a whole number, found a string")
        let noNext = try JSONValue.parse(#"{"data":[],"has_more":true,"next_page":null}"#)
        #expect(throws: APIError.self) { _ = try OpenAICostsSource().parse(noNext, window: Self.window, token: nil, account: "a") }
    }

    /// The checks of a file's rows hold for a provider's pages, naming the JSON path (audit-cli
    /// findings 5 and 11): negative tokens, cached tokens above the input, buckets before 2000
    /// or ending before they start, and currencies that are no ISO 4217 code were stored (a
    /// reversed bucket reached SQLite's CHECK and came back as raw SQL).
    @Test func pagesAreHeldToTheChecksOfFiles() throws {
        func openAI(_ bucket: String, _ result: String) -> String {
            #"{"object":"page","data":[{"#  + bucket + #","results":["# + result + #"]}],"has_more":false}"#
        }
        let day = #""start_time":1764547200,"end_time":1764633600"#
        let usage: [(String, String)] = [
            (openAI(day, #"{"input_tokens":-5}"#), "data[0].results[0].input_tokens: -5 is negative; token counts are ≥ 0"),
            (openAI(day, #"{"input_tokens":1000,"input_cached_tokens":5000}"#),
             "data[0].results[0].input_cached_tokens: 5000 is more than input_tokens (1000); cached tokens are part of the input"),
            (openAI(#""start_time":-1,"end_time":86399"#, "{}"),
             "data[0].start_time: 1969-12-31T23:59:59Z is before 2000-01-01T00:00:00Z; a bucket that early is a misread date"),
            (openAI(#""start_time":1764633600,"end_time":1764547200"#, "{}"),
             "data[0].end_time: 2025-12-01T00:00:00Z is not after start_time 2025-12-02T00:00:00Z; a bucket cannot end before it starts"),
        ]
        for (text, reason) in usage {
            let error = #expect(throws: APIError.self) {
                _ = try OpenAIUsageSource().parse(try JSONValue.parse(text), window: Self.window, token: nil, account: "a")
            }
            #expect(error?.description == "openai-usage: unexpected response from /v1/organization/usage/completions: \(reason)")
        }
        let costs: [(String, String)] = [
            (openAI(day, #"{"amount":{"value":1.5,"currency":"xyz"}}"#),
             "data[0].results[0].amount.currency: 'XYZ' is not an ISO 4217 currency code (it has the form, three capital letters, but no currency has that code; for example USD, EUR, JPY)"),
            (openAI(day, #"{"amount":{"value":1.5,"currency":""}}"#),
             "data[0].results[0].amount.currency: '' is not an ISO 4217 currency code (three capital letters, for example USD)"),
        ]
        for (text, reason) in costs {
            let error = #expect(throws: APIError.self) {
                _ = try OpenAICostsSource().parse(try JSONValue.parse(text), window: Self.window, token: nil, account: "a")
            }
            #expect(error?.description.hasSuffix(reason) == true, "\(String(describing: error))")
        }
        // OpenAI writes its currency in lower case: read as the code.
        let usd = try OpenAICostsSource().parse(try JSONValue.parse(openAI(day, #"{"amount":{"value":1.5,"currency":"usd"}}"#)),
                                                window: Self.window, token: nil, account: "a")
        #expect(usd.lines.map(\.billingCurrency) == ["USD"])

        func anthropic(_ result: String, start: String = "2025-12-01T00:00:00Z", end: String = "2025-12-02T00:00:00Z") -> String {
            #"{"data":[{"starting_at":""# + start + #"","ending_at":""# + end + #"","results":["# + result + #"]}],"has_more":false}"#
        }
        let anthropicCases: [(String, String)] = [
            (anthropic(#"{"amount":"1.5","currency":"XYZ"}"#), "data[0].results[0].currency: 'XYZ' is not an ISO 4217 currency code"),
            (anthropic(#"{"amount":"1.5","currency":""}"#), "data[0].results[0].currency: '' is not an ISO 4217 currency code"),
            (anthropic(#"{"amount":"1.5"}"#, start: "1969-01-01T00:00:00Z", end: "1969-01-02T00:00:00Z"),
             "data[0].starting_at: 1969-01-01T00:00:00Z is before 2000-01-01T00:00:00Z; a bucket that early is a misread date"),
            (anthropic(#"{"amount":"1.5"}"#, start: "2025-12-02T00:00:00Z", end: "2025-12-01T00:00:00Z"),
             "data[0].ending_at: 2025-12-01T00:00:00Z is not after starting_at 2025-12-02T00:00:00Z; a bucket cannot end before it starts"),
        ]
        for (text, reason) in anthropicCases {
            let error = #expect(throws: APIError.self) {
                _ = try AnthropicCostsSource().parse(try JSONValue.parse(text), window: Self.window, token: nil, account: "a")
            }
            #expect(error?.description.contains(": \(reason)") == true, "\(String(describing: error))")
        }
        let negative = #expect(throws: APIError.self) {
            _ = try AnthropicUsageSource().parse(try JSONValue.parse(anthropic(#"{"cache_read_input_tokens":-1}"#)),
                                                 window: Self.window, token: nil, account: "a")
        }
        #expect(negative?.description.hasSuffix("data[0].results[0].cache_read_input_tokens: -1 is negative; token counts are ≥ 0") == true,
                "\(String(describing: negative))")
    }

    @Test func urlsCarryTheWindowAndGroupBys() {
        let w = PullWindow(since: Timestamp.parse("2025-08-01")!, until: Timestamp.parse("2025-08-03T12:00:00Z")!)
        let openai = OpenAIUsageSource().url(base: URL(string: "http://127.0.0.1:9")!, window: w, token: "p2")
        #expect(openai.absoluteString.contains("/v1/organization/usage/completions?start_time=1754006400&end_time=1754222400"))
        #expect(openai.absoluteString.contains("group_by=project_id&group_by=model"))
        #expect(openai.absoluteString.hasSuffix("page=p2"))
        let anthropic = AnthropicUsageSource().url(base: URL(string: "http://h/proxy/")!, window: w, token: nil)
        #expect(anthropic.absoluteString.hasPrefix("http://h/proxy/v1/organizations/usage_report/messages?starting_at=2025-08-01T00:00:00Z&ending_at=2025-08-03T12:00:00Z"))
        #expect(anthropic.absoluteString.contains("group_by%5B%5D=model") || anthropic.absoluteString.contains("group_by[]=model"))
        let github = GitHubBillingSource(organization: "octo").url(base: URL(string: "http://h")!, window: w, token: "2025-09")
        #expect(github.absoluteString == "http://h/organizations/octo/settings/billing/usage?year=2025&month=9")
    }

    @Test func rateLimitHeaders() {
        #expect(RateLimitHeaders.wait(in: ["retry-after": "7"], now: 0) == 7)
        #expect(RateLimitHeaders.wait(in: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000"], now: 990) == 10)
        #expect(RateLimitHeaders.wait(in: ["x-ratelimit-reset-requests": "6m0s"], now: 0) == 360)
        #expect(RateLimitHeaders.wait(in: ["x-ratelimit-reset-tokens": "20ms"], now: 0) == 0.02)
        #expect(RateLimitHeaders.wait(in: ["anthropic-ratelimit-requests-reset": "1970-01-01T00:00:30Z"], now: 10) == 20)
        #expect(RateLimitHeaders.wait(in: ["retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"], now: 1_445_412_470) == 10)
        #expect(RateLimitHeaders.wait(in: [:], now: 0) == nil)
        #expect(RateLimitHeaders.duration("1h2m3.5s") == 3723.5)
        #expect(RateLimitHeaders.duration("abc") == nil)
    }
}
