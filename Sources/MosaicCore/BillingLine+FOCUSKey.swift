extension BillingLine {
    /// The hash of what a FOCUS line is: every value ``BillingLine`` models (accounts,
    /// periods, provider, service, charge, SKU, resource, region, the five amounts, currency,
    /// quantities and units, tags), each under its FOCUS column name, in a canonical form:
    /// instants as µs, amounts as `Money`'s shortest text, quantities as
    /// ``DecimalText/canonical(_:)``, tags as their canonical JSON object; null and a column
    /// the file lacks hash alike.
    ///
    /// So the same charge hashes the same however an export spells it: columns in another
    /// order, `0.00000080000` written `0.0000008`, `2024-09-01 00:00:00` written
    /// `2024-09-01T00:00:00Z`, or another column added (an `x_` column, FOCUS 1.2's
    /// `InvoiceId`: what `extra` holds is not part of it, and the allocation keys derived from
    /// the tags are not either, so a new tag mapping updates them in place). Every input is a
    /// stored column, so a store can recompute it (schema migration 5 did, for lines keyed by
    /// the older hash of the row's raw text).
    public var focusIdentity: Int64 {
        var h = StableHash(seed: 0x666F_6375_735F_6B32)
        func put(_ name: String, _ value: String?) {
            h.combine(name)
            if let value { h.combine(UInt64(1)); h.combine(value) } else { h.combine(UInt64(0)) }
        }
        func put(_ name: String, _ value: Int64?) {
            h.combine(name)
            if let value { h.combine(UInt64(1)); h.combine(value) } else { h.combine(UInt64(0)) }
        }
        func put(_ name: String, _ value: Money?) { put(name, value?.description) }
        func quantity(_ name: String, _ text: String?) { put(name, text.map { DecimalText.canonical($0) ?? $0 }) }
        put("BillingAccountId", billingAccountID)
        put("BillingAccountName", billingAccountName)
        put("SubAccountId", subAccountID)
        put("SubAccountName", subAccountName)
        put("BillingPeriodStart", billingPeriodStart)
        put("BillingPeriodEnd", billingPeriodEnd)
        put("ChargePeriodStart", chargePeriodStart)
        put("ChargePeriodEnd", chargePeriodEnd)
        put("ProviderName", providerName)
        put("PublisherName", publisherName)
        put("InvoiceIssuerName", invoiceIssuerName)
        put("ServiceName", serviceName)
        put("ServiceCategory", serviceCategory)
        put("ChargeCategory", chargeCategory)
        put("ChargeClass", chargeClass)
        put("ChargeDescription", chargeDescription)
        put("SkuId", skuID)
        put("ResourceId", resourceID)
        put("RegionId", regionID)
        put("BilledCost", billedCost)
        put("EffectiveCost", effectiveCost)
        put("ListCost", listCost)
        put("ContractedCost", contractedCost)
        put("ListUnitPrice", listUnitPrice)
        put("BillingCurrency", billingCurrency)
        quantity("ConsumedQuantity", consumedQuantity)
        put("ConsumedUnit", consumedUnit)
        quantity("PricingQuantity", pricingQuantity)
        put("PricingUnit", pricingUnit)
        put("Tags", tags)
        return h.value
    }

    /// A FOCUS line's natural key: `focus:` + 16 hex digits of ``focusIdentity`` + `:` + how
    /// many lines of the same identity came before it (in its file; in the store, for the
    /// migration that rekeyed stored lines).
    public static func focusKey(identity: Int64, occurrence: Int) -> String {
        let hex = String(UInt64(bitPattern: identity), radix: 16)
        return "focus:" + String(repeating: "0", count: 16 - hex.count) + hex + ":" + String(occurrence)
    }
}
