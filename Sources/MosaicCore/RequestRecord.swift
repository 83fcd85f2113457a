/// How a request ended.
public enum RequestStatus: String, Sendable, Codable, CaseIterable {
    /// Answered successfully.
    case ok
    /// The provider answered with an error (5xx, invalid response, refused).
    case error
    /// No answer within the client's timeout.
    case timeout
    /// Refused by a rate limit (HTTP 429).
    case rateLimited = "rate_limited"
    /// Cancelled by the caller.
    case cancelled

    /// Reads the stored spelling in any letter case, also accepting `success`/`failed` and an HTTP status code
    /// (2xx → ok, 429 → rate_limited, 408/504 → timeout, other 4xx/5xx → error).
    public init?(parsing text: Substring) {
        let lower = text.lowercased()
        if let s = RequestStatus(rawValue: lower) { self = s; return }
        switch lower {
        case "success", "succeeded", "200": self = .ok
        case "failed", "failure", "fail": self = .error
        case "rate-limited", "ratelimited", "429": self = .rateLimited
        case "408", "504", "timed_out", "timedout": self = .timeout
        case "canceled": self = .cancelled
        default:
            if let code = Int(text), (100...599).contains(code) {
                self = code < 400 ? .ok : .error
            } else {
                return nil
            }
        }
    }
}

/// One request to one provider: the row the `requests` table holds.
///
/// Token counts are non-negative; latencies are in milliseconds (nil when the source has
/// none); `cost` is nil when no price was known at ingest time.
public struct RequestRecord: Sendable, Hashable, Codable {
    /// Microseconds since the epoch, UTC.
    public var timestamp: Int64
    public var tenant: String
    public var provider: String
    public var model: String
    public var operation: String
    public var region: String
    public var inputTokens: Int
    public var outputTokens: Int
    public var cachedTokens: Int
    public var latencyMs: Double?
    public var ttftMs: Double?
    public var status: RequestStatus
    public var cost: Money?
    /// The caller's own request id, when the log has one; it then alone identifies the row.
    public var requestID: String?

    public init(
        timestamp: Int64, tenant: String = "default", provider: String, model: String,
        operation: String = "chat", region: String = "", inputTokens: Int = 0, outputTokens: Int = 0,
        cachedTokens: Int = 0, latencyMs: Double? = nil, ttftMs: Double? = nil,
        status: RequestStatus = .ok, cost: Money? = nil, requestID: String? = nil
    ) {
        self.timestamp = timestamp
        self.tenant = tenant
        self.provider = provider
        self.model = model
        self.operation = operation
        self.region = region
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedTokens = cachedTokens
        self.latencyMs = latencyMs
        self.ttftMs = ttftMs
        self.status = status
        self.cost = cost
        self.requestID = requestID
    }
}

extension RequestRecord {
    /// Why `cached` tokens cannot stand beside `input` ones, or nil: cached tokens are part of
    /// the input. The words of every reader: request logs, provider API pages and `POST
    /// /v1/outcome`.
    public static func cachedTokensProblem(_ cached: Int64, input: Int64) -> String? {
        cached > input ? "\(cached) is more than input_tokens (\(input)); cached tokens are part of the input" : nil
    }
}

/// The native request-log columns, in the order `mosaic generate` writes them.
///
/// Only `timestamp`, `provider` and `model` are required; see the README for defaults.
public enum RequestLogColumn: String, CaseIterable, Sendable {
    case timestamp, tenant, provider, model, operation, region
    case inputTokens = "input_tokens"
    case outputTokens = "output_tokens"
    case cachedTokens = "cached_tokens"
    case latencyMs = "latency_ms"
    case ttftMs = "ttft_ms"
    case status
    case cost = "cost_usd"
    case requestID = "request_id"

    public static let required: [RequestLogColumn] = [.timestamp, .provider, .model]

    /// The column's position in `allCases` (the CSV order), for table lookups.
    @inlinable
    public var position: Int {
        switch self {
        case .timestamp: return 0
        case .tenant: return 1
        case .provider: return 2
        case .model: return 3
        case .operation: return 4
        case .region: return 5
        case .inputTokens: return 6
        case .outputTokens: return 7
        case .cachedTokens: return 8
        case .latencyMs: return 9
        case .ttftMs: return 10
        case .status: return 11
        case .cost: return 12
        case .requestID: return 13
        }
    }
}

extension RequestStatus {
    /// The position in `allCases`, for table lookups on hot paths.
    @inlinable
    public var index: Int {
        switch self {
        case .ok: return 0
        case .error: return 1
        case .timeout: return 2
        case .rateLimited: return 3
        case .cancelled: return 4
        }
    }
}
