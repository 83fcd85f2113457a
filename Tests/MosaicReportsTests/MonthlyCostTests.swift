import Foundation
import MosaicCore
@testable import MosaicReports
import MosaicStore
import MosaicTestSupport
import Testing

/// ``MonthlyCost``: the ROI report's baseline and scenario costs per month from the billing table,
/// a simulation's results or a given amount, each against the arithmetic done by hand.
@Suite struct MonthlyCostTests {
    static let day: Int64 = 86_400_000_000

    static func line(_ key: String, _ start: String, _ cost: String, currency: String = "USD") throws -> BillingLine {
        let t = try #require(Timestamp.parse(start))
        return BillingLine(source: "focus", naturalKey: key, chargePeriodStart: t, chargePeriodEnd: t + day,
                           providerName: "Acme Cloud", billedCost: try Money(parsing: cost), billingCurrency: currency)
    }

    static func store(_ lines: [BillingLine], in tmp: TemporaryDirectory) throws -> Store {
        let store = try Store(path: tmp.file("m.sqlite"))
        try store.database.transaction {
            let w = try BillingWriter(store: store, runID: nil)
            for l in lines { try w.upsert(l) }
        }
        return store
    }

    /// Two lines in April and one in May: the billed total over the two months present, halved.
    @Test func theBillingTableGivesItsMeanBilledCostPerChargeMonth() throws {
        let tmp = TemporaryDirectory()
        let store = try Self.store([Self.line("a", "2026-04-03T00:00:00Z", "100.25"),
                                    Self.line("b", "2026-04-20T00:00:00Z", "0.000000000001"),
                                    Self.line("c", "2026-05-07T00:00:00Z", "49.75")], in: tmp)
        let m = try MonthlyCost.fromBilling(store: store)
        #expect(m.label == "billing table")
        #expect(m.perMonth == 150.000000000001 / 2)
        #expect(m.detail.contains("over 2 month(s) (2026-04, 2026-05) ÷ 2"), "\(m.detail)")
        // A window that holds May alone.
        let may = try MonthlyCost.fromBilling(store: store, from: Timestamp.parse("2026-05-01T00:00:00Z"))
        #expect(may.perMonth == 49.75)
    }

    @Test func aBillingTableOfTwoCurrenciesOrNoneIsRefused() throws {
        let tmp = TemporaryDirectory()
        let mixed = try Self.store([Self.line("a", "2026-04-03T00:00:00Z", "1"),
                                    Self.line("b", "2026-04-04T00:00:00Z", "1", currency: "EUR")], in: tmp)
        #expect(throws: ReportError.invalidInput("the billing table mixes currencies (EUR, USD); pick a window with one")) {
            try MonthlyCost.fromBilling(store: mixed)
        }
        let empty = TemporaryDirectory()
        let none = try Store(path: empty.file("e.sqlite"))
        #expect(throws: ReportError.noData("\(none.path): the billing table is empty; ingest bills first (`mosaic ingest focus`)")) {
            try MonthlyCost.fromBilling(store: none)
        }
    }

    /// The fixture's four replications cost 289.877591, 344.22524, 345.0043175 and 318.985218
    /// (exact) over 7,200 s less a 600 s warm-up: their mean over 6,600 s, scaled to 30.4375 days.
    @Test func aSimulationGivesItsMeanExactCostScaledFromItsWindowToAMonth() throws {
        let path = ReportFixtures.fixture("outage-simulation.json")
        let mean = (289.877591 + 344.22524 + 345.0043175 + 318.985218) / 4
        let m = try MonthlyCost.fromSimulation(path: path)
        #expect(m.label == "simulation anthropic-outage-at-peak")
        #expect(abs(m.perMonth - mean * 30.4375 * 86_400 / 6_600) < 1e-9 * m.perMonth)
        // The spec forms that name it: sim:FILE, or any .json file.
        let noStore = { () throws -> Store in Issue.record("a simulation spec opened the store"); throw ReportError.noData("") }
        #expect(try MonthlyCost.resolve("sim:" + path, store: noStore) == m)
        #expect(try MonthlyCost.resolve(path, store: noStore) == m)
    }

    @Test func anAmountIsTakenAsGivenAndAnythingElseIsRefused() throws {
        let noStore = { () throws -> Store in throw ReportError.noData("") }
        let m = try MonthlyCost.resolve("1234.50", store: noStore)
        #expect(m.label == "given" && m.perMonth == 1234.5)
        #expect(throws: ReportError.invalidInput("'twelve' is not a monthly cost: give requests, billing, sim:FILE.json or an amount per month")) {
            try MonthlyCost.resolve("twelve", store: noStore)
        }
        let tmp = TemporaryDirectory()
        let notASummary = tmp.write("x.json", "{\"a\": 1}")
        #expect(throws: ReportError.self) { try MonthlyCost.resolve(notASummary, store: noStore) }
    }
}
