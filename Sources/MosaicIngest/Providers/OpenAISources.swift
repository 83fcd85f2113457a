import Foundation
import MosaicCore

/// What the sources of OpenAI's organization admin API share: address, key, headers and page URLs.
public protocol OpenAIAdminSource: APISource {}

extension OpenAIAdminSource {
    public var defaultBaseURL: URL { URL(string: "https://api.openai.com")! }
    public var credentialVariable: String { "OPENAI_ADMIN_KEY" }
    public var credentialKind: String { "an organization admin key (sk-admin-…)" }
    public var credentialHint: String { "check OPENAI_ADMIN_KEY: it must be \(credentialKind), not a project key" }
    /// Bucket bounds are Unix seconds.
    static var bucketTimes: PageReader.BucketTimes { .unixSeconds }

    public func headers(credential: String) -> [String: String] {
        ["Authorization": "Bearer \(credential)", "Accept": "application/json", "User-Agent": "mosaic/0.1"]
    }

    /// The window in whole Unix seconds (the end rounded up).
    func windowQuery(_ window: PullWindow) -> [(String, String)] {
        [("start_time", String(window.since / 1_000_000)), ("end_time", String((window.until + 999_999) / 1_000_000))]
    }
    static var groupByItem: String { "group_by" }
}

/// OpenAI's organization costs endpoint: `GET /v1/organization/costs` (admin key, daily
/// buckets). Each result becomes a FOCUS-shaped billing line: `amount.value` (read exactly
/// from the JSON literal) is the billed, effective and list cost in `amount.currency`;
/// `line_item` is the service and charge description; `project_id` the project.
public struct OpenAICostsSource: OpenAIAdminSource, BucketReportSource {
    public var groupBy: [String]

    public init(groupBy: [String] = ["project_id", "line_item"]) { self.groupBy = groupBy }

    public var name: String { "openai-costs" }
    static let path = "/v1/organization/costs"

    func read(_ result: JSONValue, at rat: String, start: Int64, end: Int64, account: String, reader r: PageReader,
              keys: inout OccurrenceKeys, into out: inout ParsedPage) throws(APIError) {
        let amount = try r.money(result["amount"]?["value"], "\(rat).amount.value")
        let currency = try r.currency(result["amount"]?["currency"], "\(rat).amount.currency", default: "USD")
        let lineItem = try r.optionalString(result["line_item"], "\(rat).line_item")
        let project = try r.optionalString(result["project_id"], "\(rat).project_id")
        let apiKey = try r.optionalString(result["api_key_id"], "\(rat).api_key_id")
        let identity = [name, account, String(start), project ?? "", lineItem ?? "", apiKey ?? "", currency].joined(separator: "|")
        var l = BillingLine.providerUsage(source: name, naturalKey: keys.key(identity), account: account, start: start,
                                          end: end, provider: "OpenAI", amount: amount, currency: currency,
                                          service: lineItem ?? "OpenAI API", description: lineItem)
        if let q = result["quantity"], let text = q.numberText { l.consumedQuantity = text }
        l.consumedUnit = try r.optionalString(result["quantity_unit"], "\(rat).quantity_unit")
        l.project = project
        l.tags = canonicalJSON(["project_id": project, "api_key_id": apiKey])
        out.lines.append(l)
    }
}

/// OpenAI's organization usage endpoint for completions:
/// `GET /v1/organization/usage/completions` (admin key), `data[].results[]` buckets with
/// `has_more`/`next_page` pagination.
///
/// Each result becomes a usage bucket: `num_model_requests` → requests, `input_tokens`
/// (all input) with `input_cached_tokens` and `input_cache_write_tokens` as its cached and
/// cache-write parts, `output_tokens`, audio and image tokens; `model`, `project_id` and
/// `api_key_id` are columns, `user_id`, `batch` and `service_tier` go into `dimensions`, and
/// every other numeric field (text/audio/image splits, uncached input…) is kept as sent in
/// `metrics`.
public struct OpenAIUsageSource: OpenAIAdminSource, BucketReportSource {
    public var bucketWidth: String
    public var groupBy: [String]

    public init(bucketWidth: String = "1d", groupBy: [String] = ["project_id", "model", "api_key_id", "batch", "service_tier"]) {
        self.bucketWidth = bucketWidth
        self.groupBy = groupBy
    }

    public var name: String { "openai-usage" }
    static let path = "/v1/organization/usage/completions"
    /// Numeric fields stored in their own columns, so not repeated in `metrics`.
    static let mappedFields: Set<String> = [
        "num_model_requests", "input_tokens", "input_cached_tokens", "input_cache_write_tokens", "output_tokens",
        "input_audio_tokens", "output_audio_tokens", "input_image_tokens", "output_image_tokens",
    ]

    func read(_ result: JSONValue, at rat: String, start: Int64, end: Int64, account: String, reader r: PageReader,
              keys: inout OccurrenceKeys, into out: inout ParsedPage) throws(APIError) {
        var b = try usageBucket(result, at: rat, start: start, end: end, account: account, provider: "openai",
                                projectField: "project_id", reader: r)
        let batch: String? = result["batch"].flatMap { $0.boolValue.map { $0 ? "true" : "false" } }
        b.dimensions = canonicalJSON([
            "user_id": try r.optionalString(result["user_id"], "\(rat).user_id"),
            "batch": batch,
            "service_tier": try r.optionalString(result["service_tier"], "\(rat).service_tier"),
        ])
        b.requests = try r.int(result["num_model_requests"], "\(rat).num_model_requests", default: 0)
        b.inputTokens = try r.tokens(result["input_tokens"], "\(rat).input_tokens")
        b.cachedInputTokens = try r.tokens(result["input_cached_tokens"], "\(rat).input_cached_tokens")
        b.cacheWriteTokens = try r.tokens(result["input_cache_write_tokens"], "\(rat).input_cache_write_tokens")
        if let problem = RequestRecord.cachedTokensProblem(Int64(b.cachedInputTokens), input: Int64(b.inputTokens)) {
            throw r.fail("\(rat).input_cached_tokens", problem)
        }
        b.outputTokens = try r.tokens(result["output_tokens"], "\(rat).output_tokens")
        b.audioInputTokens = try r.tokens(result["input_audio_tokens"], "\(rat).input_audio_tokens")
        b.audioOutputTokens = try r.tokens(result["output_audio_tokens"], "\(rat).output_audio_tokens")
        b.imageInputTokens = try r.tokens(result["input_image_tokens"], "\(rat).input_image_tokens")
        b.imageOutputTokens = try r.tokens(result["output_image_tokens"], "\(rat).output_image_tokens")
        b.metrics = metricsJSON(result, excluding: Self.mappedFields)
        out.buckets.append(b)
    }
}
