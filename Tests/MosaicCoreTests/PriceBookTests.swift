import MosaicCore
import Testing

private func m(_ text: String) -> Money { Money(text)! }

/// 2024-05-01T00:00:00Z and 2024-06-01T00:00:00Z, µs.
private let may: Int64 = 1_714_521_600_000_000
private let june: Int64 = 1_717_200_000_000_000
private let hour: Int64 = 3_600_000_000

private func entry(_ sku: PriceSKU, _ price: String, provider: String = "openai", model: String = "gpt-4o",
                   from: Int64 = may, to: Int64? = nil) -> PriceEntry {
    PriceEntry(provider: provider, model: model, sku: sku, price: m(price), validFrom: from, validTo: to,
               source: "test")
}

@Suite("PriceBook") enum PriceBookTests {}

extension PriceBookTests {
    @Suite("per-SKU histories")
    struct History {
        @Test func changingOneSKUKeepsTheOthers() {
            let book = PriceBook(entries: [
                entry(.inputToken, "0.000001", from: may),
                entry(.outputToken, "0.000004", from: may),
                entry(.inputToken, "0.000005", from: june),
            ])
            #expect(book.cost(provider: "openai", model: "gpt-4o", at: june, inputTokens: 1, outputTokens: 1) == m("0.000009"))
            #expect(book.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: 1, outputTokens: 1) == m("0.000005"))
        }
    }
}

extension PriceBookTests {
    @Suite("the cost formula")
    struct Formula {
        /// Input $2.50 / M, cached $1.25 / M, output $10 / M tokens.
        let book = PriceBook(entries: [
            entry(.inputToken, "0.0000025"),
            entry(.cacheReadToken, "0.00000125"),
            entry(.outputToken, "0.00001"),
        ])

        @Test func tokensAtTheirPrices() {
            // (1000 − 0)·0.0000025 + 500·0.00001 = 0.0025 + 0.005
            #expect(book.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: 1000, outputTokens: 500)
                    == m("0.0075"))
        }

        @Test func cachedTokensAtTheCachePrice() {
            // (1000 − 400)·0.0000025 + 400·0.00000125 + 500·0.00001 = 0.0015 + 0.0005 + 0.005
            #expect(book.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: 1000, outputTokens: 500,
                              cachedTokens: 400) == m("0.007"))
        }

        @Test func cachedTokensAtTheInputPriceWhenNoCachePrice() {
            let noCache = PriceBook(entries: [entry(.inputToken, "0.0000025"), entry(.outputToken, "0.00001")])
            #expect(noCache.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: 1000, outputTokens: 500,
                                 cachedTokens: 400) == m("0.0075"))
        }

        @Test func cachedTokensNeverExceedInputTokens() {
            // 2000 "cached" of 1000 input: all 1000 at the cache price, none at the input price.
            #expect(book.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: 1000, outputTokens: 0,
                              cachedTokens: 2000) == m("0.00125"))
        }

        /// A cost beyond `Money`'s range (about 1.7 × 10¹⁴) is no cost (unpriced), not a trap:
        /// o1-pro's output price times 9 × 10¹⁸ tokens, or a per-minute price times 10³⁰⁰ ms.
        @Test func aCostBeyondMoneysRangeIsNilNotATrap() {
            let pro = PriceBook(entries: [entry(.inputToken, "0.00015"), entry(.outputToken, "0.0006")])
            #expect(pro.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: 9_000_000_000_000_000_000,
                             outputTokens: 9_000_000_000_000_000_000) == nil)
            // Each product fits, their sum does not.
            let near = PriceBook(entries: [entry(.inputToken, "100000000000000"), entry(.outputToken, "100000000000000")])
            #expect(near.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: 1, outputTokens: 1) == nil)
            #expect(near.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: 1, outputTokens: 0) == m("100000000000000"))
            let minutes = PriceBook(entries: [entry(.minute, "0.008", provider: "github-actions", model: "ubuntu-latest")])
            #expect(minutes.cost(provider: "github-actions", model: "ubuntu-latest", at: may, inputTokens: 0, outputTokens: 0,
                                 latencyMs: 1e300) == nil)
        }

        @Test func zeroTokensCostNothing() {
            #expect(book.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: 0, outputTokens: 0) == .zero)
        }

        @Test func perRequestPrice() {
            let b = PriceBook(entries: [entry(.request, "0.002", provider: "zapier", model: "task")])
            #expect(b.cost(provider: "zapier", model: "task", at: may, inputTokens: 0, outputTokens: 0) == m("0.002"))
            // Tokens have no price here: they add nothing.
            #expect(b.cost(provider: "zapier", model: "task", at: may, inputTokens: 99, outputTokens: 99) == m("0.002"))
        }

        @Test(arguments: [
            (0.0, "0"),
            (1.0, "0.008"),             // a started minute is a whole minute
            (59_999.0, "0.008"),
            (60_000.0, "0.008"),
            (60_000.5, "0.016"),
            (600_000.0, "0.08"),
            (3_600_001.0, "0.488"),
        ])
        func perStartedMinute(_ latencyMs: Double, _ expected: String) {
            let b = PriceBook(entries: [entry(.minute, "0.008", provider: "github-actions", model: "ubuntu-latest")])
            #expect(b.cost(provider: "github-actions", model: "ubuntu-latest", at: may, inputTokens: 0, outputTokens: 0,
                           latencyMs: latencyMs) == m(expected))
        }

        @Test(arguments: [nil, -1.0, Double.nan, Double.infinity])
        func minutePriceWithoutUsableLatencyHasNoCost(_ latencyMs: Double?) {
            let b = PriceBook(entries: [entry(.minute, "0.008", provider: "github-actions", model: "ubuntu-latest"),
                                        entry(.request, "0.001", provider: "github-actions", model: "ubuntu-latest")])
            #expect(b.cost(provider: "github-actions", model: "ubuntu-latest", at: may, inputTokens: 0, outputTokens: 0,
                           latencyMs: latencyMs) == nil)
        }

        @Test func everyTermTogether() {
            let b = PriceBook(entries: [
                entry(.inputToken, "0.000001"), entry(.cacheReadToken, "0.0000001"), entry(.outputToken, "0.000002"),
                entry(.request, "0.01"), entry(.minute, "0.5"), entry(.cacheWriteToken, "99"),  // cache writes: not in the formula
            ])
            // 900·0.000001 + 100·0.0000001 + 50·0.000002 + 0.01 + 2·0.5
            #expect(b.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: 1000, outputTokens: 50,
                           cachedTokens: 100, latencyMs: 61_000) == m("1.01101"))
        }

        @Test func costOfARecordUsesItsFields() {
            let r = RequestRecord(timestamp: may + hour, provider: "openai", model: "gpt-4o", inputTokens: 1000,
                                  outputTokens: 500, cachedTokens: 400)
            #expect(book.cost(of: r) == m("0.007"))
            var other = r
            other.model = "gpt-4o-mini"
            #expect(book.cost(of: other) == nil)
        }

        /// Ten thousand requests at per-token prices add up exactly.
        @Test func costsSumExactly() {
            var total = Money.zero
            for i in 0..<10_000 {
                total += book.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: i, outputTokens: 1)!
            }
            // Σ i·0.0000025 for i < 10 000 = 0.0000025·49 995 000; plus 10 000·0.00001.
            #expect(total == m("0.0000025") * 49_995_000 + m("0.1"))
        }
    }

    @Suite("validity periods")
    struct Periods {
        @Test func fromIsInclusiveToIsExclusive() {
            let b = PriceBook(entries: [entry(.inputToken, "0.000001", from: may, to: june)])
            func at(_ t: Int64) -> Money? { b.cost(provider: "openai", model: "gpt-4o", at: t, inputTokens: 1, outputTokens: 0) }
            #expect(at(may - 1) == nil)
            #expect(at(may) == m("0.000001"))
            #expect(at(june - 1) == m("0.000001"))
            #expect(at(june) == nil)
        }

        @Test func laterPeriodReplacesOpenOne() {
            let b = PriceBook(entries: [
                entry(.inputToken, "0.000005", from: june),     // added out of order on purpose
                entry(.inputToken, "0.000001", from: may),
            ])
            func at(_ t: Int64) -> Money? { b.cost(provider: "openai", model: "gpt-4o", at: t, inputTokens: 1, outputTokens: 0) }
            #expect(at(may - 1) == nil)
            #expect(at(may) == m("0.000001"))
            #expect(at(june - 1) == m("0.000001"))
            #expect(at(june) == m("0.000005"))
            #expect(at(june + 365 * 24 * hour) == m("0.000005"))
            #expect(b.entryCount == 2)
        }

        @Test func gapBetweenPeriodsHasNoPrice() {
            let b = PriceBook(entries: [
                entry(.inputToken, "0.000001", from: may, to: may + hour),
                entry(.inputToken, "0.000002", from: may + 2 * hour),
            ])
            func at(_ t: Int64) -> Money? { b.cost(provider: "openai", model: "gpt-4o", at: t, inputTokens: 1, outputTokens: 0) }
            #expect(at(may + hour - 1) == m("0.000001"))
            #expect(at(may + hour) == nil)
            #expect(at(may + 2 * hour) == m("0.000002"))
        }

        @Test func pricesAtAnInstant() {
            let b = PriceBook(entries: [entry(.inputToken, "0.000001"), entry(.outputToken, "0.000004")])
            #expect(b.prices(provider: "openai", model: "gpt-4o", at: may) == [.inputToken: m("0.000001"),
                                                                               .outputToken: m("0.000004")])
            #expect(b.prices(provider: "openai", model: "gpt-4o", at: may - 1) == nil)
        }

        @Test func sameStartReplacesThePrice() {
            var b = PriceBook(entries: [entry(.inputToken, "0.000001")])
            b.add(entry(.inputToken, "0.000003"))
            #expect(b.prices(provider: "openai", model: "gpt-4o", at: may)?[.inputToken] == m("0.000003"))
        }
    }

    @Suite("unknown keys")
    struct Unknown {
        let book = PriceBook(entries: [entry(.inputToken, "0.000001")])

        @Test func unknownProviderOrModelHasNoCost() {
            #expect(book.cost(provider: "anthropic", model: "gpt-4o", at: may, inputTokens: 1, outputTokens: 1) == nil)
            #expect(book.cost(provider: "openai", model: "gpt-5", at: may, inputTokens: 1, outputTokens: 1) == nil)
            #expect(book.cost(provider: "OpenAI", model: "gpt-4o", at: may, inputTokens: 1, outputTokens: 1) == nil)
            #expect(book.prices(provider: "openai", model: "gpt-5", at: may) == nil)
        }

        @Test func emptyBook() {
            let empty = PriceBook()
            #expect(empty.isEmpty)
            #expect(!book.isEmpty)
            #expect(empty.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: 1, outputTokens: 1) == nil)
        }
    }

    @Suite("price SKUs")
    struct SKUs {
        @Test func unitsAndSpellings() {
            #expect(PriceSKU.allCases.map(\.rawValue) == ["input_token", "output_token", "cache_read_token",
                                                           "cache_write_token", "request", "minute"])
            #expect(PriceSKU.allCases.map(\.unit) == ["token", "token", "token", "token", "request", "minute"])
        }
    }
}
