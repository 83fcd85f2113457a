/// What a price is charged for.
public enum PriceSKU: String, Sendable, Codable, CaseIterable {
    /// An uncached input (prompt) token.
    case inputToken = "input_token"
    /// An output (completion) token.
    case outputToken = "output_token"
    /// An input token served from the provider's prompt cache.
    case cacheReadToken = "cache_read_token"
    /// An input token written to the provider's prompt cache.
    case cacheWriteToken = "cache_write_token"
    /// A flat price per request.
    case request
    /// A price per started minute of the request's duration (CI build minutes).
    case minute

    /// The unit the price is quoted per.
    public var unit: String {
        switch self {
        case .inputToken, .outputToken, .cacheReadToken, .cacheWriteToken: return "token"
        case .request: return "request"
        case .minute: return "minute"
        }
    }
}

/// One unit price, valid from `validFrom` (inclusive) to `validTo` (exclusive, nil = open).
public struct PriceEntry: Sendable, Hashable, Codable {
    public var provider: String
    public var model: String
    public var sku: PriceSKU
    public var price: Money
    public var currency: String
    public var validFrom: Int64
    public var validTo: Int64?
    public var source: String

    public init(provider: String, model: String, sku: PriceSKU, price: Money, currency: String = "USD",
                validFrom: Int64, validTo: Int64? = nil, source: String) {
        self.provider = provider
        self.model = model
        self.sku = sku
        self.price = price
        self.currency = currency
        self.validFrom = validFrom
        self.validTo = validTo
        self.source = source
    }
}

/// All known unit prices, and the exact cost of a request under them.
///
/// The cost of a request at instant t, with the prices valid at t for its provider and model:
///
///     (input_tokens − cached_tokens) × input_token
///   + cached_tokens × cache_read_token   (input_token when no cache price is known)
///   + output_tokens × output_token
///   + 1 × request
///   + ⌈latency_ms / 60 000⌉ × minute
///
/// An SKU without a price contributes nothing; a request whose provider and model have no
/// price at t at all has no cost (nil), which reports show as "unpriced".
public struct PriceBook: Sendable {
    struct Key: Hashable, Sendable {
        var provider: String
        var model: String
    }

    struct Period: Sendable {
        var from: Int64
        var to: Int64
        var prices: [Money?]  // indexed by PriceSKU.allCases order
    }

    private var periods: [Key: [Period]] = [:]
    public private(set) var entryCount = 0

    public init(entries: [PriceEntry] = []) {
        for e in entries { add(e) }
    }

    public var isEmpty: Bool { entryCount == 0 }

    static let skuIndex: [PriceSKU: Int] = Dictionary(
        uniqueKeysWithValues: PriceSKU.allCases.enumerated().map { ($1, $0) })

    public mutating func add(_ e: PriceEntry) {
        entryCount += 1
        let key = Key(provider: e.provider, model: e.model)
        let to = e.validTo ?? Int64.max
        var list = periods[key] ?? []
        if let i = list.firstIndex(where: { $0.from == e.validFrom && $0.to == to }) {
            list[i].prices[PriceBook.skuIndex[e.sku]!] = e.price
        } else {
            var p = Period(from: e.validFrom, to: to, prices: Array(repeating: nil, count: PriceSKU.allCases.count))
            p.prices[PriceBook.skuIndex[e.sku]!] = e.price
            list.append(p)
            list.sort { $0.from < $1.from }
        }
        periods[key] = list
    }

    /// The prices in force for a provider and model at an instant, or nil when none are.
    public func prices(provider: String, model: String, at ts: Int64) -> [PriceSKU: Money]? {
        guard let p = period(provider: provider, model: model, at: ts) else { return nil }
        var out: [PriceSKU: Money] = [:]
        for (i, sku) in PriceSKU.allCases.enumerated() { if let m = p.prices[i] { out[sku] = m } }
        return out
    }

    func period(provider: String, model: String, at ts: Int64) -> Period? {
        guard let list = periods[Key(provider: provider, model: model)] else { return nil }
        // Latest period starting at or before ts that has not ended.
        var i = list.count - 1
        while i >= 0 {
            let p = list[i]
            if p.from <= ts { return ts < p.to ? p : nil }
            i -= 1
        }
        return nil
    }

    /// The exact cost of one request, or nil when no price applies (see the type's formula).
    public func cost(provider: String, model: String, at ts: Int64, inputTokens: Int, outputTokens: Int,
                     cachedTokens: Int = 0, latencyMs: Double? = nil) -> Money? {
        guard let p = period(provider: provider, model: model, at: ts) else { return nil }
        let input = p.prices[0], output = p.prices[1], cacheRead = p.prices[2]
        let perRequest = p.prices[4], perMinute = p.prices[5]
        var total = Money.zero
        let cached = min(cachedTokens, inputTokens)
        if let input { total += input * (inputTokens - cached) }
        if let price = cacheRead ?? input { total += price * cached }
        if let output { total += output * outputTokens }
        if let perRequest { total += perRequest }
        if let perMinute {
            guard let ms = latencyMs, ms.isFinite, ms >= 0 else { return nil }
            let minutes = Int((ms / 60_000).rounded(.up))
            total += perMinute * minutes
        }
        return total
    }

    /// The cost of a record under these prices.
    public func cost(of r: RequestRecord) -> Money? {
        cost(provider: r.provider, model: r.model, at: r.timestamp, inputTokens: r.inputTokens,
             outputTokens: r.outputTokens, cachedTokens: r.cachedTokens, latencyMs: r.latencyMs)
    }
}
