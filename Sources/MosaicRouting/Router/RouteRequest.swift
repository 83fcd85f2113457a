import MosaicCore

/// One request as the router sees it when it decides.
///
/// Strings are only read, never copied into new storage, so building a request from values the
/// caller already holds and deciding on it allocates nothing.
public struct RouteRequest: Sendable, Equatable {
    public var tenant: String
    /// What is asked: `chat`, `embedding`, `clone`, `build`…
    public var operation: String
    /// The model family asked for (`gpt-4o`, `claude`, `llama`); the routing model's `model` feature.
    public var modelFamily: String
    /// What the request is about: a repository, project or workflow name (`internal-billing`).
    public var resource: String
    /// Where the caller is (`us`, `eu`).
    public var region: String
    /// The region the data must stay in, when the request requires one.
    public var residency: String?
    public var promptTokens: Int
    public var expectedOutputTokens: Int
    /// Compliance regimes the request requires (every one).
    public var compliance: ComplianceSet
    /// Capabilities the request requires (`vision`, `function_calling`…).
    public var capabilities: [String]
    /// The latency objective for the predicted tail latency, ms.
    public var latencySLOMs: Double?
    /// The budget the request is charged to.
    public var budgetTag: String?
    /// Free-form tags rules can match (`strict-privacy`).
    public var tags: [String]
    /// When the request is made, µs since the Unix epoch (UTC); time-of-day rules and the model read it.
    public var timestamp: Int64
    /// The prompt, when the caller shares it; quality models read it.
    public var text: String?

    public init(tenant: String = "default", operation: String = "chat", modelFamily: String = "",
                resource: String = "", region: String = "", residency: String? = nil,
                promptTokens: Int = 0, expectedOutputTokens: Int = 0, compliance: ComplianceSet = [],
                capabilities: [String] = [], latencySLOMs: Double? = nil, budgetTag: String? = nil,
                tags: [String] = [], timestamp: Int64 = 0, text: String? = nil) {
        self.tenant = tenant
        self.operation = operation
        self.modelFamily = modelFamily
        self.resource = resource
        self.region = region
        self.residency = residency
        self.promptTokens = promptTokens
        self.expectedOutputTokens = expectedOutputTokens
        self.compliance = compliance
        self.capabilities = capabilities
        self.latencySLOMs = latencySLOMs
        self.budgetTag = budgetTag
        self.tags = tags
        self.timestamp = timestamp
        self.text = text
    }

    /// The most tokens a request may state for its prompt or expected output (10⁸: far above
    /// any context window): the limit of `POST /v1/route`, of the gateway's `max_tokens` and of
    /// `mosaic route`.
    public static let maximumTokens = 100_000_000

    /// Prompt tokens estimated from a prompt's text, about four bytes of UTF-8 a token: the
    /// count of a request that shares its text but not its count (`mosaic route --text`,
    /// `POST /v1/route` with `text`), as `mosaic eval routing` prices each prompt. At 0 tokens
    /// every provider would cost nothing, and the quality head could never send one to the
    /// weak model (its expected quality is below the strong one's, and nothing is saved).
    public static func estimatedTokens(of text: String) -> Int { estimatedTokens(utf8Bytes: text.utf8.count) }

    /// Prompt tokens estimated from a count of UTF-8 bytes, at four a token (rounded down), at
    /// most ``maximumTokens``: what ``estimatedTokens(of:)`` and the gateway, over all of a
    /// call's messages, count.
    public static func estimatedTokens(utf8Bytes: Int) -> Int { min(max(0, utf8Bytes) / 4, maximumTokens) }

    /// Prompt plus expected output tokens, what the context window must hold; `Int.max` when
    /// the sum overflows (a caller's absurd counts must not trap the router).
    @inlinable
    public var contextTokens: Int {
        let (sum, overflow) = promptTokens.addingReportingOverflow(expectedOutputTokens)
        return overflow ? .max : sum
    }

    /// The routing model's view of the request.
    @inlinable
    public var features: RequestFeatures {
        RequestFeatures(tenant: tenant, operation: operation, region: region, model: modelFamily,
                        inputTokens: promptTokens, outputTokens: expectedOutputTokens,
                        timestamp: timestamp, text: text, tags: tags)
    }

    /// Whether a rule's conditions all hold.
    public func matches(_ m: RuleMatch) -> Bool {
        if let p = m.tenant, !p.matches(tenant) { return false }
        if let p = m.operation, !p.matches(operation) { return false }
        if let p = m.modelFamily, !p.matches(modelFamily) { return false }
        if let p = m.resource, !p.matches(resource) { return false }
        if let p = m.region, !p.matches(region) { return false }
        if let p = m.budgetTag {
            guard let tag = budgetTag, p.matches(tag) else { return false }
        }
        if let p = m.tag {
            var any = false
            for t in tags where p.matches(t) { any = true; break }
            if !any { return false }
        }
        if let n = m.promptTokensOver, promptTokens <= n { return false }
        if let n = m.promptTokensAtMost, promptTokens > n { return false }
        if let c = m.compliance, !compliance.isSuperset(of: c) { return false }
        if let c = m.capability, !capabilities.contains(c) { return false }
        if let h = m.hours {
            let micros = timestamp % Timestamp.microsPerDay
            let minute = Int((micros < 0 ? micros + Timestamp.microsPerDay : micros) / 60_000_000)
            if !h.contains(minuteOfDay: minute) { return false }
        }
        return true
    }
}
