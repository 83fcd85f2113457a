import MosaicCore

/// Splits an exact amount over weights so that the parts add up to the amount exactly.
enum Allocation {
    /// Shares of `amount` proportional to the positive `weights`, exact to `Money`'s last digit
    /// (10⁻²⁴ of the currency): each share is amount × weight ÷ Σ weights rounded toward zero,
    /// and the units left over (fewer than there are weights) go one each to the largest
    /// remainders (ties: the larger weight, then the earlier one), so Σ parts == amount
    /// exactly and no share is more than one unit from its exact value. A weight of zero or
    /// less (a team whose direct cost is a net credit) gets no share; when no weight is
    /// positive every part is zero.
    /// - Complexity: O(n log n) for n weights.
    static func proportional(_ amount: Money, weights: [Money]) -> [Money] {
        var w = weights.map { $0 > .zero ? $0.units.magnitude : 0 }
        var total: UInt128 = 0
        for i in w.indices {
            let (sum, overflow) = total.addingReportingOverflow(w[i])
            if !overflow { total = sum; continue }
            // Weights beyond 2¹²⁸ units together: halve them all (a relative change of 10⁻³⁸).
            w = w.map { $0 >> 1 }
            return proportional(amount, weights: w.map { Money(units: Int128($0)) })
        }
        guard total > 0 else { return weights.map { _ in .zero } }
        let a = amount.units.magnitude
        var shares: [UInt128] = [], remainders: [UInt128] = []
        for x in w {
            // a × x ÷ total fits: x ≤ total, so the quotient is at most a.
            let (q, r) = total.dividingFullWidth(a.multipliedFullWidth(by: x))
            shares.append(q)
            remainders.append(r)
        }
        var left = a - shares.reduce(0, +)
        let order = w.indices.sorted { (remainders[$0], w[$0], $1) > (remainders[$1], w[$1], $0) }
        for i in order where left > 0 {
            shares[i] += 1
            left -= 1
        }
        return shares.map { Money(units: amount < .zero ? -Int128($0) : Int128($0)) }
    }
}
