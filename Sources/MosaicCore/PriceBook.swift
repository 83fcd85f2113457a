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

    /// One SKU's price over `[from, to)`.
    struct Period: Sendable {
        var from: Int64
        var to: Int64
        var price: Money
    }

    /// Per provider and model: for each SKU (in `PriceSKU.allCases` order) its periods,
    /// sorted by start. Each SKU has its own history, so a change of one price leaves the
    /// others as they were.
    private var table: [Key: [[Period]]] = [:]
    public private(set) var entryCount = 0

    public init(entries: [PriceEntry] = []) {
        for e in entries { add(e) }
    }

    public var isEmpty: Bool { entryCount == 0 }

    /// Adds a price. A period with the same SKU and start replaces the earlier one; an open
    /// period (`validTo == nil`) ends where the next period of the same SKU starts.
    public mutating func add(_ e: PriceEntry) {
        entryCount += 1
        let key = Key(provider: e.provider, model: e.model)
        var skus = table[key] ?? Array(repeating: [], count: PriceSKU.allCases.count)
        var list = skus[e.sku.index]
        list.removeAll { $0.from == e.validFrom }
        list.append(Period(from: e.validFrom, to: e.validTo ?? Int64.max, price: e.price))
        list.sort { $0.from < $1.from }
        skus[e.sku.index] = list
        table[key] = skus
    }

    @inline(__always)
    static func price(_ list: [Period], at ts: Int64) -> Money? {
        // The latest period starting at or before ts, if it has not ended; later periods
        // implicitly end open ones.
        var i = list.count - 1
        while i >= 0 {
            let p = list[i]
            if p.from <= ts { return ts < p.to ? p.price : nil }
            i -= 1
        }
        return nil
    }

    /// The prices in force for a provider and model at an instant, or nil when none are.
    public func prices(provider: String, model: String, at ts: Int64) -> [PriceSKU: Money]? {
        guard let skus = table[Key(provider: provider, model: model)] else { return nil }
        var out: [PriceSKU: Money] = [:]
        for sku in PriceSKU.allCases {
            if let m = PriceBook.price(skus[sku.index], at: ts) { out[sku] = m }
        }
        return out.isEmpty ? nil : out
    }

    /// The exact cost of one request, or nil when no price applies (see the type's formula) or
    /// when the cost is beyond what `Money` holds (about 1.7 × 10¹⁴): absurd token counts or
    /// prices are then counted as unpriced instead of trapping.
    public func cost(provider: String, model: String, at ts: Int64, inputTokens: Int, outputTokens: Int,
                     cachedTokens: Int = 0, latencyMs: Double? = nil) -> Money? {
        guard let skus = table[Key(provider: provider, model: model)] else { return nil }
        let input = PriceBook.price(skus[PriceSKU.inputToken.index], at: ts)
        let output = PriceBook.price(skus[PriceSKU.outputToken.index], at: ts)
        let cacheRead = PriceBook.price(skus[PriceSKU.cacheReadToken.index], at: ts)
        let perRequest = PriceBook.price(skus[PriceSKU.request.index], at: ts)
        let perMinute = PriceBook.price(skus[PriceSKU.minute.index], at: ts)
        let cacheWrite = PriceBook.price(skus[PriceSKU.cacheWriteToken.index], at: ts)
        if input == nil && output == nil && cacheRead == nil && perRequest == nil && perMinute == nil && cacheWrite == nil {
            return nil
        }
        var total = Money.zero
        let cached = min(cachedTokens, inputTokens)
        if let input { guard PriceBook.add(input, times: inputTokens - cached, to: &total) else { return nil } }
        if let price = cacheRead ?? input { guard PriceBook.add(price, times: cached, to: &total) else { return nil } }
        if let output { guard PriceBook.add(output, times: outputTokens, to: &total) else { return nil } }
        if let perRequest { guard PriceBook.add(perRequest, times: 1, to: &total) else { return nil } }
        if let perMinute {
            guard let ms = latencyMs, ms.isFinite, ms >= 0, ms < 1e15 else { return nil }
            let minutes = Int((ms / 60_000).rounded(.up))
            guard PriceBook.add(perMinute, times: minutes, to: &total) else { return nil }
        }
        return total
    }

    /// `total += price × n`, false (and `total` unchanged) when that leaves `Money`'s range.
    @inline(__always)
    static func add(_ price: Money, times n: Int, to total: inout Money) -> Bool {
        guard let product = price.multipliedReportingOverflow(by: n), let sum = total.addingReportingOverflow(product) else { return false }
        total = sum
        return true
    }

    /// The cost of a record under these prices.
    public func cost(of r: RequestRecord) -> Money? {
        cost(provider: r.provider, model: r.model, at: r.timestamp, inputTokens: r.inputTokens,
             outputTokens: r.outputTokens, cachedTokens: r.cachedTokens, latencyMs: r.latencyMs)
    }
}

extension PriceSKU {
    /// The position in `allCases`, for table lookups.
    @inlinable
    public var index: Int {
        switch self {
        case .inputToken: return 0
        case .outputToken: return 1
        case .cacheReadToken: return 2
        case .cacheWriteToken: return 3
        case .request: return 4
        case .minute: return 5
        }
    }
}
