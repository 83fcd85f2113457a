/// One measured request: who served it, when, its size and how long it took.
public struct LatencyObservation: Sendable, Equatable {
    /// µs since the epoch.
    public var timestamp: Int64
    public var provider: String
    public var model: String
    /// Where the request was made or served (empty: unknown).
    public var region: String
    public var outputTokens: Int
    /// End-to-end latency in ms; nil for a failed request.
    public var latencyMs: Double?
    public var ok: Bool

    public init(timestamp: Int64, provider: String, model: String, region: String = "", outputTokens: Int = 0,
                latencyMs: Double?, ok: Bool) {
        self.timestamp = timestamp
        self.provider = provider
        self.model = model
        self.region = region
        self.outputTokens = outputTokens
        self.latencyMs = latencyMs
        self.ok = ok
    }
}
