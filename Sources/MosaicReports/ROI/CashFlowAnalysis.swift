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
        var changes = 0, last = 0.0
        for c in cashFlows where c != 0 {
            if last != 0 && (c > 0) != (last > 0) { changes += 1 }
            last = c
        }
        signChanges = changes
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

    /// Every real IRR r > −1, ascending.
    ///
    /// In x = 1/(1 + r) the NPV is the polynomial p(x) = Σ cf[t] x^t, and r > −1 is x > 0. The
    /// sign of p is scanned on a fine grid of ln x in [−14, 14] (r from about −1 + 8e-7 to
    /// 1.2e6), written so that no power overflows (for x > 1 it evaluates p(x)/x^n); each sign
    /// change is bisected to the last bit and polished with Newton steps on NPV(r). A root of
    /// even multiplicity (the NPV touching zero without crossing) is not reported.
    /// O(n · 28,000) for n flows.
    public static func allIRRs(_ cf: [Double]) -> [Double] {
        let n = cf.count - 1
        guard n >= 1, cf.contains(where: { $0 > 0 }), cf.contains(where: { $0 < 0 }) else { return [] }
        func sign(_ u: Double) -> Double {
            let x = exp(u)
            var acc = 0.0
            if x <= 1 {
                var p = 1.0
                for c in cf { acc += c * p; p *= x }
            } else {
                let y = 1 / x
                var p = 1.0
                for c in cf.reversed() { acc += c * p; p *= y }
            }
            return acc
        }
        let steps = 28_000
        let lo = -14.0, hi = 14.0
        let h = (hi - lo) / Double(steps)
        var roots: [Double] = []
        var u0 = lo, s0 = sign(lo)
        for i in 1...steps {
            let u1 = lo + Double(i) * h
            let s1 = sign(u1)
            if s1 == 0 {
                roots.append(u1)
            } else if s0 != 0 && (s0 > 0) != (s1 > 0) {
                var a = u0, b = u1, sa = s0
                for _ in 0..<200 {
                    let m = 0.5 * (a + b)
                    if m == a || m == b { break }
                    let sm = sign(m)
                    if sm == 0 { a = m; b = m; break }
                    if (sm > 0) == (sa > 0) { a = m; sa = sm } else { b = m }
                }
                roots.append(0.5 * (a + b))
            }
            u0 = u1
            s0 = s1
        }
        return roots.map { u in polish(cf, rate: 1 / exp(u) - 1) }.sorted()
    }

    /// Newton steps on NPV(r), kept only while they reduce |NPV|.
    static func polish(_ cf: [Double], rate r0: Double) -> Double {
        var r = r0
        var f = npv(cf, rate: r)
        for _ in 0..<8 {
            var d = 0.0
            for (t, c) in cf.enumerated() where t > 0 { d -= Double(t) * c / pow(1 + r, Double(t + 1)) }
            guard d != 0, d.isFinite else { break }
            let next = r - f / d
            guard next > -1, next.isFinite else { break }
            let fn = npv(cf, rate: next)
            if abs(fn) >= abs(f) { break }
            r = next
            f = fn
        }
        return r
    }
}
