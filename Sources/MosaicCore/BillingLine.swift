/// One charge, shaped after FinOps FOCUS: the row every cost source lands as (FOCUS exports,
/// OpenAI and Anthropic cost reports, GitHub billing usage), so one query gives cost by
/// provider, service, team and month across all of them.
///
/// Amounts are exact (`Money`) in `billingCurrency`; instants are µs since the epoch (UTC);
/// periods are `[start, end)`.
public struct BillingLine: Sendable, Hashable, Codable {
    /// The source that produced the line: `focus`, `openai-costs`, `anthropic-costs`, `github-billing`.
    public var source: String
    /// The line's identity within its source, stable across re-ingests (the upsert key).
    public var naturalKey: String
    public var billingAccountID: String?
    public var billingAccountName: String?
    public var subAccountID: String?
    public var subAccountName: String?
    public var billingPeriodStart: Int64?
    public var billingPeriodEnd: Int64?
    public var chargePeriodStart: Int64
    public var chargePeriodEnd: Int64
    public var providerName: String
    public var publisherName: String?
    public var invoiceIssuerName: String?
    public var serviceName: String?
    public var serviceCategory: String?
    /// FOCUS ChargeCategory: Usage, Purchase, Tax, Credit, Adjustment.
    public var chargeCategory: String
    public var chargeClass: String?
    public var chargeDescription: String?
    public var skuID: String?
    public var resourceID: String?
    public var regionID: String?
    public var billedCost: Money
    public var effectiveCost: Money?
    public var listCost: Money?
    public var contractedCost: Money?
    public var listUnitPrice: Money?
    public var billingCurrency: String
    /// Quantities are decimals in FOCUS; kept as exact text.
    public var consumedQuantity: String?
    public var consumedUnit: String?
    public var pricingQuantity: String?
    public var pricingUnit: String?
    /// The source's tags, as a JSON object text.
    public var tags: String
    /// Allocation keys derived from the tags.
    public var team: String?
    public var tenant: String?
    public var project: String?
    /// Everything else the source had (FOCUS columns not modelled above, `x_` columns), as a
    /// JSON object text.
    public var extra: String

    public init(source: String, naturalKey: String, chargePeriodStart: Int64, chargePeriodEnd: Int64,
                providerName: String, chargeCategory: String = "Usage", billedCost: Money,
                billingCurrency: String = "USD") {
        self.source = source
        self.naturalKey = naturalKey
        self.chargePeriodStart = chargePeriodStart
        self.chargePeriodEnd = chargePeriodEnd
        self.providerName = providerName
        self.chargeCategory = chargeCategory
        self.billedCost = billedCost
        self.billingCurrency = billingCurrency
        self.tags = "{}"
        self.extra = "{}"
    }
}

/// Aggregated usage of one provider over one time bucket, as usage APIs report it.
public struct UsageBucket: Sendable, Hashable, Codable {
    /// `openai-usage`, `anthropic-usage`, …
    public var source: String
    /// The organisation or account the usage belongs to.
    public var account: String
    public var bucketStart: Int64
    public var bucketEnd: Int64
    public var provider: String
    public var model: String = ""
    /// OpenAI project id or Anthropic workspace id.
    public var project: String = ""
    public var apiKey: String = ""
    /// Other group-by dimensions (user, batch, service tier, context window), as canonical
    /// JSON object text with sorted keys.
    public var dimensions: String = "{}"
    public var requests = 0
    /// All input tokens, cached and uncached.
    public var inputTokens = 0
    /// The part of `inputTokens` read from the prompt cache.
    public var cachedInputTokens = 0
    /// The part of `inputTokens` written to the prompt cache.
    public var cacheWriteTokens = 0
    public var outputTokens = 0
    public var audioInputTokens = 0
    public var audioOutputTokens = 0
    public var imageInputTokens = 0
    public var imageOutputTokens = 0
    public var webSearchRequests = 0
    /// Every numeric field of the source's result, exactly as sent, as JSON object text.
    public var metrics: String = "{}"

    public init(source: String, account: String, bucketStart: Int64, bucketEnd: Int64, provider: String) {
        self.source = source
        self.account = account
        self.bucketStart = bucketStart
        self.bucketEnd = bucketEnd
        self.provider = provider
    }
}
