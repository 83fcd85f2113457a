import Foundation
import MosaicCore

/// What the sources of Anthropic's Admin API share: address, key, headers and page URLs.
public protocol AnthropicAdminSource: APISource {}

extension AnthropicAdminSource {
    public var defaultBaseURL: URL { URL(string: "https://api.anthropic.com")! }
    public var credentialVariable: String { "ANTHROPIC_ADMIN_KEY" }
    public var credentialKind: String { "an Admin API key (sk-ant-admin…)" }
    public var credentialHint: String { "check ANTHROPIC_ADMIN_KEY: it must be \(credentialKind)" }
    /// Bucket bounds are RFC 3339 times.
    static var bucketTimes: PageReader.BucketTimes { .rfc3339 }

    public func headers(credential: String) -> [String: String] {
        ["x-api-key": credential, "anthropic-version": "2023-06-01", "Accept": "application/json", "User-Agent": "mosaic/0.1"]
    }

    /// The window in RFC 3339 (UTC, whole seconds).
    func windowQuery(_ window: PullWindow) -> [(String, String)] {
        func rfc3339(_ micros: Int64) -> String { Timestamp.format(micros / 1_000_000 * 1_000_000) }
        return [("starting_at", rfc3339(window.since)), ("ending_at", rfc3339(window.until))]
    }
    static var groupByItem: String { "group_by[]" }
}

/// Anthropic's usage report for the Messages API:
/// `GET /v1/organizations/usage_report/messages` (Admin API key).
///
/// Each result becomes a usage bucket. Input tokens are the documented total:
/// `uncached_input_tokens + cache_read_input_tokens + cache_creation.ephemeral_1h_input_tokens
/// + cache_creation.ephemeral_5m_input_tokens`, with `cache_read_input_tokens` as the cached
/// part and the cache-creation tokens as the cache-write part; `workspace_id` is the project,
/// `api_key_id` the key; `service_tier`, `context_window` (and later additions such as
/// `inference_geo`) go into `dimensions`. The API gives no request count.
public struct AnthropicUsageSource: AnthropicAdminSource, BucketReportSource {
    public var bucketWidth: String
    public var groupBy: [String]

    public init(bucketWidth: String = "1d",
                groupBy: [String] = ["model", "workspace_id", "api_key_id", "service_tier", "context_window"]) {
        self.bucketWidth = bucketWidth
        self.groupBy = groupBy
    }

    public var name: String { "anthropic-usage" }
    static let path = "/v1/organizations/usage_report/messages"

    func read(_ result: JSONValue, at rat: String, start: Int64, end: Int64, account: String, reader r: PageReader,
              keys: inout OccurrenceKeys, into out: inout ParsedPage) throws(APIError) {
        var b = try usageBucket(result, at: rat, start: start, end: end, account: account, provider: "anthropic",
                                projectField: "workspace_id", reader: r)
        var dims: [String: String?] = [:]
        for d in ["service_tier", "context_window", "inference_geo", "speed", "account_id", "service_account_id"] {
            dims[d] = try r.optionalString(result[d], "\(rat).\(d)")
        }
        b.dimensions = canonicalJSON(dims)
        let uncached = try r.tokens(result["uncached_input_tokens"], "\(rat).uncached_input_tokens")
        let read = try r.tokens(result["cache_read_input_tokens"], "\(rat).cache_read_input_tokens")
        let creation1h = try r.tokens(result["cache_creation"]?["ephemeral_1h_input_tokens"],
                                      "\(rat).cache_creation.ephemeral_1h_input_tokens")
        let creation5m = try r.tokens(result["cache_creation"]?["ephemeral_5m_input_tokens"],
                                      "\(rat).cache_creation.ephemeral_5m_input_tokens")
        b.inputTokens = try r.sum([uncached, read, creation1h, creation5m], rat)
        b.cachedInputTokens = read
        b.cacheWriteTokens = creation1h + creation5m
        b.outputTokens = try r.tokens(result["output_tokens"], "\(rat).output_tokens")
        b.webSearchRequests = try r.int(result["server_tool_use"]?["web_search_requests"],
                                        "\(rat).server_tool_use.web_search_requests", default: 0)
        b.metrics = metricsJSON(result)
        out.buckets.append(b)
    }
}

/// Anthropic's cost report: `GET /v1/organizations/cost_report` (Admin API key, daily buckets).
///
/// `amount` is a decimal string in the currency's lowest units (cents): `"123.78912"` USD is
/// $1.2378912. It is divided by 100 exactly. `description` (e.g. "Claude Sonnet 4 Usage -
/// Input Tokens") is the service and charge description, `workspace_id` the project,
/// `token_type` the SKU.
public struct AnthropicCostsSource: AnthropicAdminSource, BucketReportSource {
    public var groupBy: [String]

    public init(groupBy: [String] = ["workspace_id", "description"]) { self.groupBy = groupBy }

    public var name: String { "anthropic-costs" }
    static let path = "/v1/organizations/cost_report"

    func read(_ result: JSONValue, at rat: String, start: Int64, end: Int64, account: String, reader r: PageReader,
              keys: inout OccurrenceKeys, into out: inout ParsedPage) throws(APIError) {
        let amount = try r.money(result["amount"], "\(rat).amount", shift: -2)
        let currency = try r.currency(result["currency"], "\(rat).currency", default: "USD")
        var fields: [String: String?] = [:]
        for f in ["workspace_id", "description", "cost_type", "context_window", "model", "service_tier",
                  "token_type", "inference_geo", "speed"] {
            fields[f] = try r.optionalString(result[f], "\(rat).\(f)")
        }
        let identity = [name, account, String(start), canonicalJSON(fields), currency].joined(separator: "|")
        let description = fields["description"] ?? nil
        let model = fields["model"] ?? nil
        var l = BillingLine.providerUsage(source: name, naturalKey: keys.key(identity), account: account, start: start,
                                          end: end, provider: "Anthropic", amount: amount, currency: currency,
                                          service: description ?? model ?? "Claude API", description: description)
        l.skuID = fields["token_type"] ?? nil
        l.project = fields["workspace_id"] ?? nil
        l.tags = canonicalJSON(fields)
        out.lines.append(l)
    }
}
