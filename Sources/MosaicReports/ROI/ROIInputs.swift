import Foundation
import MosaicCore

/// What the ROI report needs: the implementation cost, the savings (given, measured as a
/// baseline minus a scenario, or whole cash flows), a horizon and a discount rate.
public struct ROIInputs: Sendable, Equatable {
    public enum Period: String, Sendable, CaseIterable { case month, year }
    /// How an annual rate becomes a monthly one.
    public enum RateConvention: String, Sendable, CaseIterable {
        /// (1 + a)^(1/12) − 1: the same effective annual yield.
        case effective
        /// a / 12.
        case nominal
    }

    public enum Savings: Sendable, Equatable {
        case perYear(Money)
        case perMonth(Money)
        /// Baseline cost minus scenario cost, per month.
        case difference(baseline: MonthlyCost, scenario: MonthlyCost)
        /// Explicit cash flows, flows[0] at t = 0 (the other cost inputs are then ignored);
        /// `exact` is the same flows as exact amounts when they were given as decimals.
        case cashFlows([Double], exact: [Money]? = nil)
    }

    /// One-off cost at t = 0.
    public var upfront: Money
    /// Running cost of the change per month (subtracted from every period's savings).
    public var runningPerMonth: Money
    public var savings: Savings
    /// Horizon in months (a multiple of 12 with yearly periods).
    public var months: Int
    /// Annual discount rate as a fraction (0.08).
    public var annualRate: Double
    public var period: Period
    public var convention: RateConvention
    public var currency: String

    public init(upfront: Money, runningPerMonth: Money = .zero, savings: Savings, months: Int, annualRate: Double,
                period: Period = .month, convention: RateConvention = .effective, currency: String = "USD") {
        self.upfront = upfront
        self.runningPerMonth = runningPerMonth
        self.savings = savings
        self.months = months
        self.annualRate = annualRate
        self.period = period
        self.convention = convention
        self.currency = currency
    }

    public var periodsPerYear: Int { period == .month ? 12 : 1 }

    /// The discount rate per period for an annual rate.
    public func ratePerPeriod(annual a: Double) -> Double {
        switch (period, convention) {
        case (.year, _): return a
        case (.month, .effective): return pow(1 + a, 1.0 / 12) - 1
        case (.month, .nominal): return a / 12
        }
    }

    /// Savings per month before running costs, as a double.
    var monthlySavings: Double {
        switch savings {
        case .perYear(let m): return m.doubleValue / 12
        case .perMonth(let m): return m.doubleValue
        case let .difference(b, s): return b.perMonth - s.perMonth
        case .cashFlows: return .nan
        }
    }

    /// The cash flows per period, with savings scaled by `savingsFactor` and the cost inputs
    /// by theirs (for the sensitivity table).
    public func cashFlows(savingsFactor: Double = 1, upfrontFactor: Double = 1, runningFactor: Double = 1) -> [Double] {
        if case .cashFlows(let cf, _) = savings {
            return cf.enumerated().map { t, c in t == 0 ? c * upfrontFactor : c * savingsFactor }
        }
        let up = -upfront.doubleValue * upfrontFactor
        let running = runningPerMonth.doubleValue * runningFactor
        switch period {
        case .month:
            let perMonth = monthlySavings * savingsFactor - running
            return [up] + Array(repeating: perMonth, count: months)
        case .year:
            let annual: Double
            switch savings {
            case .perYear(let m): annual = m.doubleValue * savingsFactor
            case .perMonth(let m): annual = m.doubleValue * 12 * savingsFactor
            default: annual = monthlySavings * 12 * savingsFactor
            }
            return [up] + Array(repeating: annual - running * 12, count: months / 12)
        }
    }

    /// The undiscounted net return, exact when the savings are given amounts or the cash flows
    /// decimals; nil otherwise, or when an exact total leaves `Money`'s range (about 1.7 × 10¹⁴;
    /// the report then shows the rounded figure).
    public var exactNet: Money? {
        if case .cashFlows(_, let exact?) = savings { return exact.sumReportingOverflow() }
        guard let spent = invested else { return nil }
        switch savings {
        case .perYear(let y):
            guard let total = y.multipliedReportingOverflow(by: months)?.divided(by: 12) else { return nil }
            return total.subtractingReportingOverflow(spent)
        case .perMonth(let m): return m.multipliedReportingOverflow(by: months)?.subtractingReportingOverflow(spent)
        default: return nil
        }
    }

    /// The cash flows of ``cashFlows(savingsFactor:upfrontFactor:runningFactor:)`` as exact
    /// amounts, all multiplied by `scale`: 12 when yearly savings spread over months are not a
    /// whole number of 10⁻²⁴ a month (415,000 ÷ 12), else 1. Nil when the savings are measured
    /// (baseline − scenario), cash flows were not given as decimals, or an amount leaves
    /// `Money`'s range.
    public var exactCashFlows: (flows: [Money], scale: Int)? {
        if case .cashFlows(_, let exact) = savings { return exact.map { ($0, 1) } }
        // The net saving a month is `net` ÷ `netScale` (12 for yearly savings).
        guard let (net, netScale) = exactNetSavingPerMonth else { return nil }
        var perPeriod: Money?, scale = 1
        if period == .year {
            perPeriod = net.multipliedReportingOverflow(by: 12 / netScale)
        } else if let whole = net.divided(by: netScale) {
            perPeriod = whole
        } else {
            perPeriod = net
            scale = netScale
        }
        guard let perPeriod, let up = upfront.multipliedReportingOverflow(by: scale) else { return nil }
        return ([-up] + Array(repeating: perPeriod, count: period == .month ? months : months / 12), scale)
    }

    /// Savings minus running cost per month, exact, times `scale` (12 for yearly savings, which
    /// need not be a whole number of 10⁻²⁴ a month); nil for measured savings and cash flows.
    var exactNetSavingPerMonth: (amount: Money, scale: Int)? {
        switch savings {
        case .perMonth(let m): return m.subtractingReportingOverflow(runningPerMonth).map { ($0, 1) }
        case .perYear(let y):
            return runningPerMonth.multipliedReportingOverflow(by: 12).flatMap { y.subtractingReportingOverflow($0) }.map { ($0, 12) }
        default: return nil
        }
    }

    /// Upfront plus running cost over the horizon, exact; nil when that leaves `Money`'s range.
    public var invested: Money? {
        runningPerMonth.multipliedReportingOverflow(by: months).flatMap { upfront.addingReportingOverflow($0) }
    }
}

extension Money {
    /// The exact quotient, or nil when it needs more than 24 decimals.
    func divided(by d: Int) -> Money? {
        let (q, r) = units.quotientAndRemainder(dividingBy: Int128(d))
        return r == 0 ? Money(units: q) : nil
    }

    /// The quotient rounded half away from zero to `places` decimals (0...24), as
    /// ``rounded(toPlaces:)`` rounds: exact even when the quotient has no finite decimal form.
    func divided(by d: Int, roundedToPlaces places: Int) -> Money {
        precondition(d > 0 && (0...Money.scale).contains(places), "a positive divisor and 0...24 places")
        var step: Int128 = 1
        for _ in 0..<(Money.scale - places) { step *= 10 }
        let divisor = step * Int128(d)
        let (q, r) = units.quotientAndRemainder(dividingBy: divisor)
        let away: Int128 = r.magnitude * 2 >= divisor.magnitude ? (units < 0 ? -1 : 1) : 0
        return Money(units: (q + away) * step)
    }
}
