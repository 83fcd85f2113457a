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

    /// The longest latency (and time to first token) a reading may have: 7 days,
    /// 604,800,000 ms. No request takes that long, so a larger value is a misread unit or a
    /// corrupt field; stored, it made every mean and fit meaningless, and a chart's log axis
    /// of readings near 10³⁰⁸ ms never finished drawing. Every latency reader refuses more.
    public static let maximumMs: Double = 604_800_000

    /// Why `value` (as written, in seconds when `inSeconds`) is refused: it is over ``maximumMs``.
    public static func overMaximum(_ value: String, inSeconds: Bool = false) -> String {
        "'\(value)' is over \(inSeconds ? "604800 s" : "604800000 ms") (7 days); no request takes that long"
    }

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
