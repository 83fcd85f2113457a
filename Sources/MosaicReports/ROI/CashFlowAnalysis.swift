import Foundation

/// NPV, IRR and payback of a series of cash flows, in numpy-financial's conventions.
///
/// Conventions (the report states them):
/// - `cashFlows[0]` is at t = 0 and is not discounted; later flows are at the end of period t.
/// - NPV = Σ cf[t] / (1 + r)^t (numpy-financial `npv`; Excel's `NPV()` would also discount cf[0]).
/// - Every IRR is a real root r > −1 of Σ cf[t] (1 + r)^−t. ``primaryIRR`` is the one closest
///   to zero (what `npf.irr` returns); ``irrs`` lists all of them, ascending.
/// - Payback is the first period k whose cumulative flow turns non-negative, interpolated
///   linearly inside it: (k − 1) + (−cum[k−1]) / cf[k]. Discounted payback does the same on
///   cf[t] / (1 + r)^t. Nil when it never happens.
public struct CashFlowAnalysis: Sendable, Equatable {
    public var cashFlows: [Double]
    /// Discount rate per period (a fraction: 0.08 is 8%).
    public var ratePerPeriod: Double
    public var npv: Double
    /// All real IRRs per period, ascending; empty when none exists.
    public var irrs: [Double]
    /// Sign changes of the cash flows (Descartes: at most this many IRRs).
    public var signChanges: Int
    public var payback: Double?
    public var paybackWholePeriods: Int?
    public var discountedPayback: Double?
    public var discountedPaybackWholePeriods: Int?
    /// Σ cf[t], undiscounted.
    public var undiscountedNet: Double

    public init(cashFlows: [Double], ratePerPeriod r: Double) {
        precondition(!cashFlows.isEmpty, "no cash flows")
        precondition(r > -1, "the discount rate must be above -100%")
        self.cashFlows = cashFlows
        ratePerPeriod = r
        npv = CashFlowAnalysis.npv(cashFlows, rate: r)
        irrs = CashFlowAnalysis.allIRRs(cashFlows)
        signChanges = CashFlowAnalysis.countSignChanges(cashFlows)
        (payback, paybackWholePeriods) = CashFlowAnalysis.payback(cashFlows)
        (discountedPayback, discountedPaybackWholePeriods) = CashFlowAnalysis.payback(CashFlowAnalysis.discounted(cashFlows, rate: r))
        undiscountedNet = cashFlows.reduce(0, +)
    }

    /// The IRR closest to zero (numpy-financial's choice), nil when none exists.
    public var primaryIRR: Double? { irrs.min { abs($0) < abs($1) } }

    /// Whether the cumulative flow turns negative again after the payback period.
    public var cumulativeTurnsNegativeAgain: Bool {
        guard let k = paybackWholePeriods else { return false }
        var cum = 0.0
        for (t, c) in cashFlows.enumerated() {
            cum += c
            if t > k && cum < 0 { return true }
        }
        return false
    }

    /// Σ cf[t] / (1 + r)^t.
    public static func npv(_ cf: [Double], rate r: Double) -> Double {
        var total = 0.0
        for (t, c) in cf.enumerated() { total += c / pow(1 + r, Double(t)) }
        return total
    }

    public static func discounted(_ cf: [Double], rate r: Double) -> [Double] {
        cf.enumerated().map { t, c in c / pow(1 + r, Double(t)) }
    }

    /// (interpolated periods, whole periods), as documented on the type.
    public static func payback(_ cf: [Double]) -> (Double?, Int?) {
        var cum = 0.0
        for (k, c) in cf.enumerated() {
            let prev = cum
            cum += c
            if k == 0 && cum >= 0 { return (0, 0) }
            if k > 0 && cum >= 0 && prev < 0 { return (Double(k - 1) + (-prev) / c, k) }
        }
        return (nil, nil)
    }
}
