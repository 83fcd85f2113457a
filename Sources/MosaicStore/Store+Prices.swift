import MosaicCore

extension Store {
    /// Stores prices, closing open periods that a newer price replaces.
    ///
    /// For each (provider, model, sku): an entry with the same `validFrom` replaces the stored
    /// price (so re-importing a file changes nothing, even after newer prices came in); a new
    /// period ends the one before it and, unless it has its own end, ends where the next stored
    /// period starts. Runs in the caller's transaction when there is one.
    ///
    /// - Parameter asTable: the entries are a whole price table: a model's entries from one
    ///   `validFrom` replace every price the model had before then, so a SKU the table no
    ///   longer lists for it (a cache-read price dropped) ends there too, instead of staying in
    ///   force beside the new prices. Without it, an entry replaces only its own SKU's price.
    /// - Returns: how many entries were new or changed.
    @discardableResult
    public func upsertPrices(_ entries: [PriceEntry], asTable: Bool = false) throws(StoreError) -> Int {
        let close = try database.prepare("""
            UPDATE prices SET valid_to = ?1
            WHERE provider = ?2 AND model = ?3 AND sku = ?4 AND valid_from < ?1 AND (valid_to IS NULL OR valid_to > ?1)
            """)
        if asTable {
            let closeModel = try database.prepare("""
                UPDATE prices SET valid_to = ?1
                WHERE provider = ?2 AND model = ?3 AND valid_from < ?1 AND (valid_to IS NULL OR valid_to > ?1)
                """)
            struct Period: Hashable { var provider: String, model: String, validFrom: Int64 }
            var seen = Set<Period>()
            for e in entries where seen.insert(Period(provider: e.provider, model: e.model, validFrom: e.validFrom)).inserted {
                try closeModel.run([.int(e.validFrom), .text(e.provider), .text(e.model)])
            }
        }
        let isNot = database.dialect.isNot
        let upsert = try database.prepare("""
            INSERT INTO prices(provider, model, sku, unit, price, currency, valid_from, valid_to, source)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
                    coalesce(?8, (SELECT min(valid_from) FROM prices
                                  WHERE provider = ?1 AND model = ?2 AND sku = ?3 AND valid_from > ?7)), ?9)
            ON CONFLICT(provider, model, sku, valid_from) DO UPDATE SET
                unit = excluded.unit, price = excluded.price, currency = excluded.currency,
                valid_to = coalesce(?8, prices.valid_to), source = excluded.source
            WHERE prices.price \(isNot) excluded.price OR prices.currency \(isNot) excluded.currency
               OR (?8 IS NOT NULL AND prices.valid_to \(isNot) ?8)
            """)
        var changed = 0
        for e in entries {
            try close.run([.int(e.validFrom), .text(e.provider), .text(e.model), .text(e.sku.rawValue)])
            try upsert.run([
                .text(e.provider), .text(e.model), .text(e.sku.rawValue), .text(e.sku.unit),
                .text(e.price.description), .text(e.currency), .int(e.validFrom),
                e.validTo.map { .int($0) } ?? .null, .text(e.source),
            ])
            changed += database.changes
        }
        return changed
    }

    /// Every stored price, as a book for computing costs.
    public func priceBook() throws(StoreError) -> PriceBook {
        let stmt = try database.prepare(
            "SELECT provider, model, sku, price, currency, valid_from, valid_to, source FROM prices")
        var book = PriceBook()
        while try stmt.step() {
            let skuText = stmt.text(2), priceText = stmt.text(3)
            guard let sku = PriceSKU(rawValue: skuText) else {
                throw .corruptValue(table: "prices", column: "sku", value: skuText)
            }
            guard let price = try? Money(parsing: priceText) else {
                throw .corruptValue(table: "prices", column: "price", value: priceText)
            }
            book.add(PriceEntry(provider: stmt.text(0), model: stmt.text(1), sku: sku, price: price,
                                currency: stmt.text(4), validFrom: stmt.int64(5),
                                validTo: stmt.isNull(6) ? nil : stmt.int64(6), source: stmt.text(7)))
        }
        return book
    }
}
