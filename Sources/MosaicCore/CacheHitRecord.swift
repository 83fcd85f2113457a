/// One request the gateway answered from its answer cache: the row the `cache_hits` table holds.
///
/// `saved` is what the upstream charged for the answer when it was first produced (its exact
/// cost, at the price in force then): the spend the hit avoided. nil when the price table had
/// no price for that answer's provider and model.
public struct CacheHitRecord: Sendable, Hashable, Codable {
    /// Microseconds since the epoch, UTC.
    public var timestamp: Int64
    public var tenant: String
    /// The provider and model that produced the cached answer.
    public var provider: String
    public var model: String
    public var operation: String
    /// The cached answer's usage.
    public var inputTokens: Int
    public var outputTokens: Int
    public var cachedTokens: Int
    /// Time from the request's arrival to the answer, measured at the gateway.
    public var latencyMs: Double?
    public var saved: Money?
    /// The gateway's request id (`X-Request-Id`): it alone identifies the row.
    public var requestID: String

    public init(timestamp: Int64, tenant: String, provider: String, model: String, operation: String = "chat",
                inputTokens: Int = 0, outputTokens: Int = 0, cachedTokens: Int = 0, latencyMs: Double? = nil,
                saved: Money?, requestID: String) {
        self.timestamp = timestamp
        self.tenant = tenant
        self.provider = provider
        self.model = model
        self.operation = operation
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedTokens = cachedTokens
        self.latencyMs = latencyMs
        self.saved = saved
        self.requestID = requestID
    }
}
