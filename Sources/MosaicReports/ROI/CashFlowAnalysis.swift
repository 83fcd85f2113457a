import Foundation
import MosaicCore

/// NPV, IRR and payback of a series of cash flows, in numpy-financial's conventions.
///
/// Conventions (the report states them):
/// - `cashFlows[0]` is at t = 0 and is not discounted; later flows are at the end of period t.
/// - NPV = Σ cf[t] / (1 + r)^t (numpy-financial `npv`; Excel's `NPV()` would also discount cf[0]).
/// - Every IRR is a real root r > −1 of Σ cf[t] (1 + r)^−t. ``primaryIRR`` is the one closest
///   to zero (what `npf.irr` returns); ``irrs`` lists all of them, ascending.
/// - Payback is the first period k whose cumulative flow turns non-negative, interpolated
///   linearly inside it: (k − 1) + (−cum[k−1]) / cf[k]. Discounted payback does the same on
///   cf[t] / (1 + r)^t. Nil when it never happens. The undiscounted cumulative is exact when
///   the flows are given as ``exactCashFlows``; a cumulative summed in doubles counts as zero
///   within ``paybackTolerance`` of it, so a break-even that is exact on paper is not lost to
///   rounding.
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
    /// The cash flows as exact amounts, all multiplied by one positive whole number (12 when
    /// yearly savings are spread over months); nil when they are not exact.
    public var exactCashFlows: [Money]?

    /// A cumulative flow summed in doubles whose magnitude is at most this fraction of the
    /// flows' absolute sum so far counts as zero (their rounding is about 10⁻¹⁶ of it per flow).
    public static let paybackTolerance = 1e-12

    /// - Parameters:
    ///   - cashFlows: The flows per period, `cashFlows[0]` at t = 0.
    ///   - r: The discount rate per period, above −1.
    ///   - exact: The same flows as exact amounts, or all of them times one positive whole
    ///     number (payback compares cumulative sums with zero and takes ratios, so a common
    ///     factor does not change it); nil when the flows are not exact.
    public init(cashFlows: [Double], ratePerPeriod r: Double, exact: [Money]? = nil) {
        precondition(!cashFlows.isEmpty, "no cash flows")
        precondition(r > -1, "the discount rate must be above -100%")
        precondition(exact.map { $0.count == cashFlows.count } ?? true, "the exact flows must match the flows")
        self.cashFlows = cashFlows
        exactCashFlows = exact
        ratePerPeriod = r
        npv = CashFlowAnalysis.npv(cashFlows, rate: r)
        irrs = CashFlowAnalysis.allIRRs(cashFlows)
        signChanges = CashFlowAnalysis.countSignChanges(cashFlows)
        (payback, paybackWholePeriods) = exact.flatMap(CashFlowAnalysis.payback(exact:)) ?? CashFlowAnalysis.payback(cashFlows)
        (discountedPayback, discountedPaybackWholePeriods) = CashFlowAnalysis.payback(CashFlowAnalysis.discounted(cashFlows, rate: r))
        undiscountedNet = cashFlows.reduce(0, +)
    }

    /// The IRR closest to zero (numpy-financial's choice), nil when none exists.
    public var primaryIRR: Double? { irrs.min { abs($0) < abs($1) } }

    /// Whether the cumulative flow turns negative again after the payback period.
    public var cumulativeTurnsNegativeAgain: Bool {
        guard let k = paybackWholePeriods else { return false }
        if let exact = exactCashFlows {
            var cum = Money.zero, overflow = false
            for (t, c) in exact.enumerated() {
                guard let next = cum.addingReportingOverflow(c) else { overflow = true; break }
                cum = next
                if t > k && cum < .zero { return true }
            }
            if !overflow { return false }
        }
        var cum = 0.0, scale = 0.0
        for (t, c) in cashFlows.enumerated() {
            cum += c
            scale += abs(c)
            if t > k && cum < -Self.paybackTolerance * scale { return true }
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

    /// (interpolated periods, whole periods), as documented on the type; a cumulative within
    /// ``paybackTolerance`` of zero counts as zero.
    public static func payback(_ cf: [Double]) -> (Double?, Int?) {
        var cum = 0.0, scale = 0.0
        for (k, c) in cf.enumerated() {
            let prev = cum
            cum += c
            scale += abs(c)
            let reached = cum >= -paybackTolerance * scale
            if k == 0 && reached { return (0, 0) }
            if k > 0 && reached && prev < 0 { return (min(Double(k), Double(k - 1) + (-prev) / c), k) }
        }
        return (nil, nil)
    }

    /// Payback on exact flows (or all of them times one positive number): the cumulative is
    /// compared with zero exactly. Nil when a cumulative sum leaves `Money`'s range.
    public static func payback(exact cf: [Money]) -> (Double?, Int?)? {
        var cum = Money.zero
        for (k, c) in cf.enumerated() {
            let prev = cum
            guard let next = cum.addingReportingOverflow(c) else { return nil }
            cum = next
            if k == 0 && cum >= .zero { return (0, 0) }
            if k > 0 && cum >= .zero && prev < .zero { return (Double(k - 1) + (-prev).doubleValue / c.doubleValue, k) }
        }
        return (nil, nil)
    }
}
