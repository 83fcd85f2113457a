import MosaicCore

/// What the router knows about a request when it decides, and what a trainer reads from a
/// logged request: the input of ``FeatureSpec/encode(_:into:)``.
public struct RequestFeatures: Sendable, Equatable, Codable {
    public var tenant: String
    public var operation: String
    public var region: String
    /// The candidate model (a per-provider head sees the provider's own models).
    public var model: String
    public var inputTokens: Int
    /// Output tokens: expected at routing time, actual in training data.
    public var outputTokens: Int
    /// When the request is made, µs since the epoch (hour of day and weekday come from it).
    public var timestamp: Int64
    /// The prompt text, when the caller shares it (used by quality heads).
    public var text: String?
    /// Free-form tags (`subject:law`); quality heads look up group priors by them.
    public var tags: [String]

    public init(tenant: String = "default", operation: String = "chat", region: String = "", model: String = "",
                inputTokens: Int = 0, outputTokens: Int = 0, timestamp: Int64 = 0, text: String? = nil,
                tags: [String] = []) {
        self.tenant = tenant
        self.operation = operation
        self.region = region
        self.model = model
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.timestamp = timestamp
        self.text = text
        self.tags = tags
    }

    enum CodingKeys: String, CodingKey { case tenant, operation, region, model, inputTokens, outputTokens, timestamp, text, tags }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tenant = try c.decode(String.self, forKey: .tenant)
        operation = try c.decode(String.self, forKey: .operation)
        region = try c.decode(String.self, forKey: .region)
        model = try c.decode(String.self, forKey: .model)
        inputTokens = try c.decode(Int.self, forKey: .inputTokens)
        outputTokens = try c.decode(Int.self, forKey: .outputTokens)
        timestamp = try c.decode(Int64.self, forKey: .timestamp)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
    }
}

/// A field of ``RequestFeatures`` that a feature reads.
public enum RequestField: String, Sendable, Codable, CaseIterable {
    case tenant, operation, region, model
    /// The model and the region together (`gpt-4o@eu`): a one-hot over it gives each model its
    /// own level in each region.
    case modelRegion = "model_region"
    case inputTokens = "input_tokens"
    case outputTokens = "output_tokens"
    case hourOfDay = "hour_of_day"
    case dayOfWeek = "day_of_week"
    case text

    /// The categorical value of a field, for one-hot features.
    @inlinable
    public func category(of r: RequestFeatures) -> String {
        switch self {
        case .tenant: return r.tenant
        case .operation: return r.operation
        case .region: return r.region
        case .model: return r.model
        case .modelRegion: return r.model + "@" + r.region
        case .dayOfWeek: return String(Timestamp.hourAndWeekday(r.timestamp).weekday)
        case .hourOfDay: return String(Timestamp.hourAndWeekday(r.timestamp).hour)
        case .inputTokens: return String(r.inputTokens)
        case .outputTokens: return String(r.outputTokens)
        case .text: return r.text ?? ""
        }
    }

    /// The numeric value of a field, for numeric and cyclic features.
    @inlinable
    public func number(of r: RequestFeatures) -> Double {
        switch self {
        case .inputTokens: return Double(r.inputTokens)
        case .outputTokens: return Double(r.outputTokens)
        case .hourOfDay:
            let micros = r.timestamp % Timestamp.microsPerDay
            return Double(micros < 0 ? micros + Timestamp.microsPerDay : micros) / 3_600_000_000
        case .dayOfWeek: return Double(Timestamp.hourAndWeekday(r.timestamp).weekday)
        default: return 0
        }
    }
}
