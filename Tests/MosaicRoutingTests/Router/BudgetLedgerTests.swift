import MosaicCore
@testable import MosaicRouting
import Testing

/// A budget's ledger within a window: exact, and saturating rather than trapping.
@Suite struct BudgetLedgerTests {
    static let day: Int64 = 86_400 * RoutingTime.second

    @Test func spendingIsExactWithinAWindowAndStartsAfreshInTheNext() {
        var ledger = BudgetLedger(limit: Money(whole: 50), window: Self.day)
        ledger.spend(Money("0.025")!, now: 10)
        ledger.spend(Money("0.175")!, now: 20)
        #expect(ledger.remaining(now: 30) == Money("49.8")!)
        #expect(ledger.remaining(now: Self.day) == Money(whole: 50))
        ledger.spend(Money(whole: 1), now: Self.day)
        #expect(ledger.remaining(now: Self.day + 1) == Money(whole: 49))
    }

    /// A limit near Money's largest amount and requests admitted before any settled can spend
    /// past it (`mosaic simulate` with 2³¹-token requests at the price cap and a budget of
    /// 170141183460469 trapped here): the spending saturates and the budget reads as exhausted.
    @Test func spendingSaturatesAtTheLargestAmount() {
        let largest = Money(units: .max)
        var ledger = BudgetLedger(limit: largest - Money(whole: 1), window: Self.day)
        ledger.spend(largest - Money(whole: 2), now: 0)
        #expect(ledger.remaining(now: 0) == Money(whole: 1))
        ledger.spend(Money(whole: 42_949_682), now: 0)
        #expect(ledger.spent == largest)
        #expect(ledger.remaining(now: 0) == -Money(whole: 1))
        ledger.spend(Money(whole: 42_949_682), now: 1)
        #expect(ledger.spent == largest)
    }
}
