import Testing

@testable import MosaicCore

@Suite("BillingLine FOCUS identity")
struct BillingLineFOCUSKeyTests {
    static func line() -> BillingLine {
        var l = BillingLine(source: "focus", naturalKey: "", chargePeriodStart: 1_725_148_800_000_000,
                            chargePeriodEnd: 1_725_152_400_000_000, providerName: "Acme",
                            billedCost: try! Money(parsing: "0.0000008"))
        l.pricingQuantity = "1.50"
        l.consumedQuantity = "1e3"
        l.tags = #"{"team":"core"}"#
        return l
    }

    @Test func spellingsOfOneValueAndWhatExtraHoldsHashAlike() throws {
        let a = Self.line()
        var b = a
        b.billedCost = try Money(parsing: "0.00000080000")
        b.pricingQuantity = "1.5"
        b.consumedQuantity = "1000.0"
        b.extra = #"{"InvoiceId":"inv-1","x_note":"added"}"#
        b.team = "core"  // derived from the tags by a mapping: not part of what the line is
        b.naturalKey = "anything"
        #expect(a.focusIdentity == b.focusIdentity)
    }

    @Test func everyModelledValueCounts() throws {
        let a = Self.line()
        var changes: [(String, (inout BillingLine) -> Void)] = [
            ("BilledCost", { $0.billedCost = try! Money(parsing: "0.0000009") }),
            ("ChargePeriodStart", { $0.chargePeriodStart += 1 }),
            ("PricingQuantity", { $0.pricingQuantity = "1.51" }),
            ("ConsumedQuantity null", { $0.consumedQuantity = nil }),
            ("ResourceId", { $0.resourceID = "vm-1" }),
            ("EffectiveCost 0 is not null", { $0.effectiveCost = .zero }),
            ("Tags", { $0.tags = #"{"team":"edge"}"# }),
            ("BillingCurrency", { $0.billingCurrency = "EUR" }),
        ]
        // A value moved to the neighbouring column is another line.
        changes.append(("SubAccountName, not SubAccountId", { $0.subAccountName = "x" }))
        var seen: Set<Int64> = [a.focusIdentity]
        var b = a
        b.subAccountID = "x"
        seen.insert(b.focusIdentity)
        for (name, change) in changes {
            var c = a
            change(&c)
            #expect(seen.insert(c.focusIdentity).inserted, "\(name)")
        }
    }

    @Test func keyFormat() {
        #expect(BillingLine.focusKey(identity: 0x1F, occurrence: 2) == "focus:000000000000001f:2")
        #expect(BillingLine.focusKey(identity: -1, occurrence: 0) == "focus:ffffffffffffffff:0")
    }
}
