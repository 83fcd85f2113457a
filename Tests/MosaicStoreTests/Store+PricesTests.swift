import MosaicCore
import MosaicStore
import MosaicTestSupport
import Testing

private let may: Int64 = 1_714_521_600_000_000
private let june: Int64 = 1_717_200_000_000_000
private let july: Int64 = 1_719_792_000_000_000

private func entry(_ sku: PriceSKU, _ price: String, model: String = "gpt-4o", from: Int64 = may,
                   to: Int64? = nil, source: String = "prices-v1.json") -> PriceEntry {
    PriceEntry(provider: "openai", model: model, sku: sku, price: Money(price)!, validFrom: from, validTo: to,
               source: source)
}

/// A price table as a provider might publish it: every SKU of two models from one date.
private func table(from: Int64 = may, input: String = "0.0000025") -> [PriceEntry] {
    [
        entry(.inputToken, input, from: from), entry(.cacheReadToken, "0.00000125", from: from),
        entry(.outputToken, "0.00001", from: from),
        entry(.inputToken, "1.5e-7", model: "gpt-4o-mini", from: from),
        entry(.outputToken, "6e-7", model: "gpt-4o-mini", from: from),
    ]
}

@Suite("Store prices")
struct StorePricesTests {
    let scratch: ScratchStore
    var store: Store { scratch.store }

    init() throws { scratch = try ScratchStore() }

    /// Every stored price row, ordered.
    func rows() throws -> [[SQLValue]] {
        try store.database.rows("""
            SELECT provider, model, sku, unit, price, currency, valid_from, valid_to, source FROM prices
            ORDER BY provider, model, sku, valid_from
            """)
    }

    @Test func reimportingAnOlderTableAfterANewerOneChangesNothing() throws {
        try store.upsertPrices(table(from: may))
        try store.upsertPrices(table(from: june, input: "0.000002"))
        let before = try rows()
        #expect(try store.upsertPrices(table(from: may)) == 0)
        #expect(try rows() == before)
        #expect(try store.database.scalarInt(
            "SELECT valid_to FROM prices WHERE model = 'gpt-4o' AND sku = 'input_token' AND valid_from = ?",
            [.int(may)]) == june)
    }

    @Test func aNewPeriodInsertedBeforeALaterOneEndsWhereItStarts() throws {
        try store.upsertPrices([entry(.inputToken, "0.000002", from: june)])
        try store.upsertPrices([entry(.inputToken, "0.0000025", from: may)])
        #expect(try store.database.scalarInt(
            "SELECT valid_to FROM prices WHERE sku = 'input_token' AND valid_from = ?", [.int(may)]) == june)
    }

    @Test func changingOnePriceKeepsTheOthers() throws {
        try store.upsertPrices(table(from: may))
        try store.upsertPrices([entry(.inputToken, "0.000002", from: june)])
        let book = try store.priceBook()
        let atJune = book.cost(provider: "openai", model: "gpt-4o", at: june, inputTokens: 1000, outputTokens: 100)
        let atMay = book.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: 1000, outputTokens: 100)
        #expect(atJune == Money("0.003"))
        #expect(atMay == Money("0.0035"))
    }

    /// A newer table that no longer lists a model's cache-read price ends the old one with the
    /// rest (an audit found a 1970 cache-read price of $2.50 a million still charged beside a new
    /// input price of $0.05: a fully cached request cost 25 times an uncached one). Cached tokens
    /// are then charged at the input price, as for a model with no cache price.
    @Test func aTableEndsEveryPriceOfTheModelsItLists() throws {
        try store.upsertPrices(table(from: may), asTable: true)
        let newer = [entry(.inputToken, "0.00000005", from: june), entry(.outputToken, "0.0000002", from: june)]
        #expect(try store.upsertPrices(newer, asTable: true) == 2)
        #expect(try store.database.scalarInt(
            "SELECT valid_to FROM prices WHERE model = 'gpt-4o' AND sku = 'cache_read_token'") == june)
        // A model the newer table does not list keeps its prices.
        #expect(try store.database.scalarInt(
            "SELECT count(*) FROM prices WHERE model = 'gpt-4o-mini' AND valid_to IS NULL") == 2)
        let book = try store.priceBook()
        let cached = book.cost(provider: "openai", model: "gpt-4o", at: june, inputTokens: 1_000_000, outputTokens: 0,
                               cachedTokens: 1_000_000)
        let uncached = book.cost(provider: "openai", model: "gpt-4o", at: june, inputTokens: 1_000_000, outputTokens: 0)
        #expect(cached == Money("0.05") && uncached == Money("0.05"))
        // Before June the old table still prices the cache.
        #expect(book.cost(provider: "openai", model: "gpt-4o", at: may, inputTokens: 1_000_000, outputTokens: 0,
                          cachedTokens: 1_000_000) == Money("1.25"))
        // Importing either table again changes nothing; one entry alone keeps its model's other prices.
        let before = try rows()
        #expect(try store.upsertPrices(table(from: may), asTable: true) == 0)
        #expect(try store.upsertPrices(newer, asTable: true) == 0)
        #expect(try rows() == before)
    }

    @Test func upsertIsIdempotent() throws {
        #expect(try store.upsertPrices(table()) == 5)
        let before = try rows()
        #expect(try store.upsertPrices(table()) == 0)
        #expect(try rows() == before)
        #expect(try store.upsertPrices([]) == 0)
    }

    @Test func storesCanonicalTextAndUnits() throws {
        try store.upsertPrices(table() + [entry(.minute, "0.008", model: "runner"), entry(.request, "1E-3", model: "task")])
        let r = try store.database.rows("SELECT model, sku, unit, price FROM prices ORDER BY model, sku")
        #expect(r.contains([.text("gpt-4o-mini"), .text("input_token"), .text("token"), .text("0.00000015")]))
        #expect(r.contains([.text("runner"), .text("minute"), .text("minute"), .text("0.008")]))
        #expect(r.contains([.text("task"), .text("request"), .text("request"), .text("0.001")]))
    }

    @Test func sameStartWithANewPriceReplacesIt() throws {
        try store.upsertPrices(table())
        #expect(try store.upsertPrices([entry(.inputToken, "0.000002")]) == 1)
        #expect(try store.database.scalarText(
            "SELECT price FROM prices WHERE model = 'gpt-4o' AND sku = 'input_token'") == "0.000002")
        #expect(try store.database.scalarInt("SELECT count(*) FROM prices") == 5)
    }

    @Test func laterValidFromClosesThePreviousOpenPeriod() throws {
        try store.upsertPrices(table())
        #expect(try store.upsertPrices(table(from: june, input: "0.000002")) == 5)
        let r = try store.database.rows("""
            SELECT valid_from, valid_to, price FROM prices WHERE model = 'gpt-4o' AND sku = 'input_token' ORDER BY valid_from
            """)
        #expect(r == [[.int(may), .int(june), .text("0.0000025")], [.int(june), .null, .text("0.000002")]])
        // Every SKU of both models was closed at the same instant.
        #expect(try store.database.scalarInt("SELECT count(*) FROM prices WHERE valid_from = ? AND valid_to = ?",
                                             [.int(may), .int(june)]) == 5)
        #expect(try store.database.scalarInt("SELECT count(*) FROM prices WHERE valid_to IS NULL") == 5)
        // Importing the newer table again changes nothing.
        #expect(try store.upsertPrices(table(from: june, input: "0.000002")) == 0)
    }

    @Test func closedPeriodsAreNotReopenedOrShortened() throws {
        try store.upsertPrices([entry(.inputToken, "0.000001", from: may, to: june)])
        try store.upsertPrices([entry(.inputToken, "0.000003", from: july)])
        #expect(try store.database.rows("SELECT valid_from, valid_to FROM prices ORDER BY valid_from")
                == [[.int(may), .int(june)], [.int(july), .null]])
    }

    @Test func invalidPeriodIsRefused() throws {
        #expect(throws: StoreError.self) { try store.upsertPrices([entry(.inputToken, "0.1", from: june, to: may)]) }
    }

    @Test func priceBookReadsBackExactly() throws {
        let entries = table() + table(from: june, input: "0.000002") + [
            entry(.minute, "0.008", model: "runner"), entry(.request, "5.0000000000000004e-08", model: "task"),
        ]
        try store.upsertPrices(entries)
        let stored = try store.priceBook()
        let direct = PriceBook(entries: entries)
        #expect(stored.entryCount == entries.count)
        for model in ["gpt-4o", "gpt-4o-mini", "runner", "task", "unknown"] {
            for t in [may - 1, may, june - 1, june, july] {
                #expect(stored.prices(provider: "openai", model: model, at: t)
                        == direct.prices(provider: "openai", model: model, at: t), "\(model) at \(t)")
                #expect(stored.cost(provider: "openai", model: model, at: t, inputTokens: 1234, outputTokens: 567,
                                    cachedTokens: 89, latencyMs: 61_000)
                        == direct.cost(provider: "openai", model: model, at: t, inputTokens: 1234, outputTokens: 567,
                                       cachedTokens: 89, latencyMs: 61_000))
            }
        }
        #expect(stored.prices(provider: "openai", model: "task", at: may)?[.request]?.description
                == "0.000000050000000000000004")
        #expect(stored.cost(provider: "openai", model: "gpt-4o", at: june, inputTokens: 1000, outputTokens: 100)
                == Money("0.003"))
    }

    @Test func corruptPriceIsReported() throws {
        try store.database.execute("""
            INSERT INTO prices(provider, model, sku, unit, price, valid_from, source)
            VALUES ('openai', 'gpt-4o', 'input_token', 'token', 'cheap', 0, 'hand')
            """)
        let error = #expect(throws: StoreError.self) { _ = try store.priceBook() }
        guard case let .corruptValue(table, column, value)? = error else {
            Issue.record("expected corruptValue, got \(String(describing: error))")
            return
        }
        #expect(table == "prices" && column == "price" && value == "cheap")
    }
}
