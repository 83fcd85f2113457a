import MosaicCore

extension Schema {
    /// Gives every stored FOCUS line (`source = 'focus'`) the key today's ingest gives it:
    /// ``BillingLine/focusKey(identity:occurrence:)`` of its ``BillingLine/focusIdentity``,
    /// recomputed from its columns, with occurrences counted over the store in the order the
    /// lines were stored (`id`).
    ///
    /// Lines a re-export stored twice under the old key (the same charge in two spellings)
    /// become occurrences 0 and 1 of one identity: both stay, since nothing stored tells them
    /// from two equal charges of one file, but a re-ingest of either file now meets the first
    /// and adds nothing.
    ///
    /// Keys first move out of the way (`rekeying:<id>`), so that no new key can meet an old
    /// one that is not rewritten yet under the UNIQUE constraint.
    static func rekeyFOCUSLines(_ db: Database) throws(StoreError) {
        let rows = try db.rows("""
            SELECT id, billing_account_id, billing_account_name, sub_account_id, sub_account_name,
                   billing_period_start, billing_period_end, charge_period_start, charge_period_end, provider_name,
                   publisher_name, invoice_issuer_name, service_name, service_category, charge_category, charge_class,
                   charge_description, sku_id, resource_id, region_id, billed_cost, effective_cost, list_cost,
                   contracted_cost, list_unit_price, billing_currency, consumed_quantity, consumed_unit,
                   pricing_quantity, pricing_unit, tags
            FROM billing_lines WHERE source = 'focus' ORDER BY id
            """)
        if rows.isEmpty { return }
        try db.execute("UPDATE billing_lines SET natural_key = 'rekeying:' || id WHERE source = 'focus'")
        let update = try db.prepare("UPDATE billing_lines SET natural_key = ?1 WHERE id = ?2")
        var occurrences: [Int64: Int] = [:]
        for r in rows {
            func text(_ i: Int) -> String? { r[i].textValue }
            func money(_ i: Int, _ column: String) throws(StoreError) -> Money? {
                guard let t = text(i) else { return nil }
                guard let m = try? Money(parsing: t) else { throw .corruptValue(table: "billing_lines", column: column, value: t) }
                return m
            }
            guard let id = r[0].intValue, let chargeStart = r[7].intValue, let chargeEnd = r[8].intValue else {
                throw .corruptValue(table: "billing_lines", column: "charge_period_start", value: "\(r[7]) to \(r[8]) (id \(r[0]))")
            }
            guard let billed = try money(20, "billed_cost") else {
                throw .corruptValue(table: "billing_lines", column: "billed_cost", value: "NULL")
            }
            var line = BillingLine(source: "focus", naturalKey: "", chargePeriodStart: chargeStart,
                                   chargePeriodEnd: chargeEnd, providerName: text(9) ?? "",
                                   chargeCategory: text(14) ?? "", billedCost: billed, billingCurrency: text(25) ?? "")
            line.billingAccountID = text(1)
            line.billingAccountName = text(2)
            line.subAccountID = text(3)
            line.subAccountName = text(4)
            line.billingPeriodStart = r[5].intValue
            line.billingPeriodEnd = r[6].intValue
            line.publisherName = text(10)
            line.invoiceIssuerName = text(11)
            line.serviceName = text(12)
            line.serviceCategory = text(13)
            line.chargeClass = text(15)
            line.chargeDescription = text(16)
            line.skuID = text(17)
            line.resourceID = text(18)
            line.regionID = text(19)
            line.effectiveCost = try money(21, "effective_cost")
            line.listCost = try money(22, "list_cost")
            line.contractedCost = try money(23, "contracted_cost")
            line.listUnitPrice = try money(24, "list_unit_price")
            line.consumedQuantity = text(26)
            line.consumedUnit = text(27)
            line.pricingQuantity = text(28)
            line.pricingUnit = text(29)
            line.tags = text(30) ?? "{}"
            let identity = line.focusIdentity
            let occurrence = occurrences[identity, default: 0]
            occurrences[identity] = occurrence + 1
            try update.run([.text(BillingLine.focusKey(identity: identity, occurrence: occurrence)), .int(id)])
        }
    }
}
