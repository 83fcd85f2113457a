import MosaicCore

/// Splits an exact amount over weights so that the parts add up to the amount exactly.
enum Allocation {
    /// Shares of `amount` proportional to the positive `weights`, each rounded to 10⁻¹² of the
    /// currency; the rounding remainder goes to the largest weight (the first of equal ones),
    /// so Σ parts == amount to the last digit. A weight of zero or less (a team whose direct
    /// cost is a net credit) gets no share; when no weight is positive every part is zero.
    static func proportional(_ amount: Money, weights: [Money]) -> [Money] {
        let weights = weights.map { max($0, .zero) }
        let total = weights.map(\.doubleValue).reduce(0, +)
        guard total > 0 else { return weights.map { _ in .zero } }
        let quantum = Int128(1_000_000_000_000)  // 10^12 units = 10^-12 of the currency
        var parts = weights.map { w -> Money in
            let share = amount.doubleValue * (w.doubleValue / total)
            let q = (share * 1e12).rounded()
            return Money(units: Int128(q) * quantum)
        }
        var largest = 0
        for i in weights.indices where weights[i] > weights[largest] { largest = i }
        parts[largest] += amount - parts.sum()
        return parts
    }
}
