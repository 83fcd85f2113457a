#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point estimate with a two-sided confidence interval.
public struct ConfidenceInterval: Sendable, Hashable, CustomStringConvertible {
    /// The point estimate (the mean of the batch means).
    public var mean: Double
    /// Half the interval's width: the interval is `mean ± halfWidth`.
    public var halfWidth: Double
    /// The confidence level, e.g. 0.95.
    public var confidence: Double
    /// How many batches (independent-ish observations) it came from.
    public var batches: Int

    /// The lower end, `mean - halfWidth`.
    public var low: Double { mean - halfWidth }
    /// The upper end, `mean + halfWidth`.
    public var high: Double { mean + halfWidth }

    /// Whether `value` lies inside the closed interval.
    public func contains(_ value: Double) -> Bool { value >= low && value <= high }

    /// Mean, interval and level, e.g. `0.37569 [0.35501, 0.39637] (95 %, 30 batches)`.
    public var description: String {
        "\(mean) [\(low), \(high)] (\(confidence * 100) %, \(batches) batches)"
    }

    /// The t-based interval of the mean of `values` (batch means, replication means):
    /// `mean ± t(1-(1-confidence)/2, n-1) · s/√n`, with `s` the sample standard deviation
    /// (ddof 1). Needs at least two values; with fewer the half-width is infinite.
    public static func batchMeans<C: Collection>(_ values: C, confidence: Double = 0.95) -> ConfidenceInterval
    where C.Element == Double {
        let n = values.count
        guard n > 0 else { return ConfidenceInterval(mean: .nan, halfWidth: .infinity, confidence: confidence, batches: 0) }
        var sum = 0.0
        for v in values { sum += v }
        let mean = sum / Double(n)
        guard n > 1 else { return ConfidenceInterval(mean: mean, halfWidth: .infinity, confidence: confidence, batches: 1) }
        var ss = 0.0
        for v in values { ss += (v - mean) * (v - mean) }
        let se = (ss / Double(n - 1)).squareRoot() / Double(n).squareRoot()
        let t = StudentT.quantile(0.5 + confidence / 2, degreesOfFreedom: n - 1)
        return ConfidenceInterval(mean: mean, halfWidth: t * se, confidence: confidence, batches: n)
    }
}

/// Student's t distribution: the CDF and quantiles used for confidence intervals.
public enum StudentT {
    /// P(T ≤ t) for `degreesOfFreedom` (ν ≥ 1) degrees of freedom.
    public static func cdf(_ t: Double, degreesOfFreedom nu: Int) -> Double {
        precondition(nu >= 1, "degrees of freedom must be >= 1")
        if t.isNaN { return .nan }
        let v = Double(nu)
        let x = v / (v + t * t)
        let tail = 0.5 * regularizedIncompleteBeta(a: v / 2, b: 0.5, x: x)
        return t > 0 ? 1 - tail : tail
    }

    /// The `p`-quantile (0 < p < 1) for `degreesOfFreedom` degrees of freedom, accurate to
    /// about 1e-12 (bisection on ``cdf(_:degreesOfFreedom:)``).
    public static func quantile(_ p: Double, degreesOfFreedom nu: Int) -> Double {
        precondition(p > 0 && p < 1, "p must be in (0, 1), got \(p)")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -quantile(1 - p, degreesOfFreedom: nu) }
        var lo = 0.0, hi = 1.0
        while cdf(hi, degreesOfFreedom: nu) < p { lo = hi; hi *= 2 }
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if mid == lo || mid == hi { break }
            if cdf(mid, degreesOfFreedom: nu) < p { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }

    /// I_x(a, b), by the continued fraction (modified Lentz) on the side where it converges fast.
    static func regularizedIncompleteBeta(a: Double, b: Double, x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(lnFront) * betaContinuedFraction(a: a, b: b, x: x) / a
        }
        return 1 - exp(lnFront) * betaContinuedFraction(a: b, b: a, x: 1 - x) / b
    }

    static func betaContinuedFraction(a: Double, b: Double, x: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m)
            var num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }
}

/// Analytic results for M/M/c and M/M/c/K queues (FCFS), to validate simulations against.
///
/// `a = λ/μ` is the offered load in Erlangs and `c` the number of servers. Computed in
/// `Double` with the stable recursions (no factorials), so exact to a few ulps for the
/// sizes used here.
public enum QueueingFormulas {
    /// Erlang B: the blocking probability of M/M/c/c, by B(0)=1, B(k) = a·B(k-1)/(k + a·B(k-1)).
    public static func erlangB(servers c: Int, load a: Double) -> Double {
        var b = 1.0
        if c > 0 { for k in 1...c { b = a * b / (Double(k) + a * b) } }
        return b
    }

    /// Erlang C: the probability that an arrival waits in M/M/c, C = c·B/(c − a(1 − B)); a < c.
    public static func erlangC(servers c: Int, load a: Double) -> Double {
        precondition(a < Double(c), "unstable: load \(a) >= servers \(c)")
        let b = erlangB(servers: c, load: a)
        return Double(c) * b / (Double(c) - a * (1 - b))
    }

    /// The mean wait in line of M/M/c, Wq = C/(cμ − λ).
    public static func meanWait(servers c: Int, arrivalRate lambda: Double, serviceRate mu: Double) -> Double {
        erlangC(servers: c, load: lambda / mu) / (Double(c) * mu - lambda)
    }

    /// P(Wq > t) for M/M/c: C·exp(−(cμ − λ)t), t ≥ 0.
    public static func waitTail(_ t: Double, servers c: Int, arrivalRate lambda: Double, serviceRate mu: Double) -> Double {
        erlangC(servers: c, load: lambda / mu) * exp(-(Double(c) * mu - lambda) * t)
    }

    /// The p-quantile of the wait in line of M/M/c: max(0, ln(C/(1−p))/(cμ − λ)).
    public static func waitQuantile(_ p: Double, servers c: Int, arrivalRate lambda: Double, serviceRate mu: Double) -> Double {
        let C = erlangC(servers: c, load: lambda / mu)
        let tail = 1 - p
        if tail >= C { return 0 }
        return log(C / tail) / (Double(c) * mu - lambda)
    }

    /// The stationary distribution p₀…p_K of the number in an M/M/c/K system (K ≥ c).
    public static func mmckDistribution(servers c: Int, capacity K: Int, load a: Double) -> [Double] {
        precondition(K >= c && c >= 1, "need K >= c >= 1")
        var w = [Double](repeating: 0, count: K + 1)
        w[0] = 1
        let rho = a / Double(c)
        for n in stride(from: 1, through: K, by: 1) { w[n] = n <= c ? w[n - 1] * a / Double(n) : w[n - 1] * rho }
        let z = w.reduce(0, +)
        return w.map { $0 / z }
    }

    /// The blocking probability p_K of M/M/c/K (Erlang B when K = c).
    public static func mmckBlocking(servers c: Int, capacity K: Int, load a: Double) -> Double {
        mmckDistribution(servers: c, capacity: K, load: a)[K]
    }
}
