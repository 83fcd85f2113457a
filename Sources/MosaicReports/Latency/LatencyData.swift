import Foundation
import MosaicCore
import MosaicStore

/// Latencies of successful requests from the request log, one entry per request.
public struct LatencyData: Sendable {
    public var label: String
    public var providers: [String]
    public var models: [String]
    public var regions: [String]
    /// Per request: indices into the name tables, the UTC hour of day and the latency.
    public var provider: [UInt16]
    public var model: [UInt16]
    public var region: [UInt16]
    public var hour: [UInt8]
    public var latencyMs: [Double]
    /// Per request: its timestamp, µs.
    public var timestamp: [Int64] = []

    public var count: Int { latencyMs.count }

    /// Successful requests with a latency in `[from, to)` (µs).
    public static func load(store: Store, from: Int64? = nil, to: Int64? = nil, label: String = "request log") throws(ReportError) -> LatencyData {
        var d = LatencyData(label: label, providers: [], models: [], regions: [], provider: [], model: [], region: [], hour: [], latencyMs: [])
        var pi: [String: UInt16] = [:], mi: [String: UInt16] = [:], ri: [String: UInt16] = [:]
        func intern(_ s: String, _ table: inout [String: UInt16], _ names: inout [String]) -> UInt16 {
            if let i = table[s] { return i }
            let i = UInt16(names.count)
            names.append(s)
            table[s] = i
            return i
        }
        do {
            let s = try store.database.prepare(streaming: true, """
                SELECT (ts / 3600000000) % 24, provider, model, region, latency_ms, ts FROM requests
                WHERE ts >= ?1 AND ts < ?2 AND status = 'ok' AND latency_ms IS NOT NULL ORDER BY ts, key
                """)
            try s.bind([.int(from ?? Int64.min), .int(to ?? Int64.max)])
            while try s.step() {
                d.hour.append(UInt8(truncatingIfNeeded: s.int64(0)))
                d.provider.append(intern(s.text(1), &pi, &d.providers))
                d.model.append(intern(s.text(2), &mi, &d.models))
                d.region.append(intern(s.text(3), &ri, &d.regions))
                d.latencyMs.append(s.double(4))
                d.timestamp.append(s.int64(5))
            }
        } catch { throw .store(error.description) }  // a StoreError: it names the store already
        return d
    }

    /// The requests in `[from, to)` (µs), sharing the name tables: one read of the store serves
    /// the whole window and both sides of a comparison.
    public func slice(from: Int64?, to: Int64?, label: String) -> LatencyData {
        var d = LatencyData(label: label, providers: providers, models: models, regions: regions, provider: [], model: [], region: [],
                            hour: [], latencyMs: [])
        let lo = from ?? Int64.min, hi = to ?? Int64.max
        for i in 0..<count where timestamp[i] >= lo && timestamp[i] < hi {
            d.provider.append(provider[i]); d.model.append(model[i]); d.region.append(region[i])
            d.hour.append(hour[i]); d.latencyMs.append(latencyMs[i]); d.timestamp.append(timestamp[i])
        }
        return d
    }

    /// Sorted latencies per group key.
    func sortedGroups<K: Hashable>(_ key: (Int) -> K) -> [K: [Double]] {
        var m: [K: [Double]] = [:]
        for i in 0..<count { m[key(i), default: []].append(latencyMs[i]) }
        for k in m.keys { m[k]!.sort() }
        return m
    }
}

/// A percentile with a distribution-free 95% confidence interval from order statistics.
public struct QuantileEstimate: Sendable, Equatable {
    public var value: Double
    public var low: Double
    public var high: Double
    public var n: Int

    /// numpy's linear percentile of `sorted`, and the exact distribution-free 95% interval
    /// [x(r), x(s)] of the p-quantile (scipy's `quantile_test(...).confidence_interval()`): with
    /// B ~ Binomial(n, p) the number of values below the true quantile, the interval misses it
    /// low with probability P(B < r) and high with P(B ≥ s), each at most 2.5%; r is the
    /// largest and s the smallest order such that. Where no order will do (too few values: a
    /// p95 needs 72 for an upper bound, a p99 368) that end is unbounded (−∞ or +∞), and a
    /// comparison gives no verdict. (The normal approximation n·p ∓ 1.96·√(n·p·(1 − p)), clamped
    /// to the sample, covered 56% at n = 20.)
    public init(sorted x: [Double], _ p: Double) {
        n = x.count
        guard n > 0 else { value = .nan; low = .nan; high = .nan; return }
        let v = Quantiles.linear(sorted: x, p)
        let (r, s) = Self.orders(n: n, p: p)
        value = v
        low = r.map { min(x[$0], v) } ?? -.infinity
        high = s.map { max(x[$0], v) } ?? .infinity
    }

    /// The 0-based orders of the exact equal-tailed 95% interval's ends (nil: unbounded). The
    /// binomial CDF is summed from its log-pmf over n·p ± 12 standard deviations (the mass
    /// outside is below 10⁻³⁰), so a group of 400,000 costs a few thousand steps.
    static func orders(n: Int, p: Double) -> (low: Int?, high: Int?) {
        let tail = 0.025
        let np = Double(n) * p, sd = (np * (1 - p)).squareRoot()
        let from = max(0, Int((np - 12 * sd).rounded(.down)) - 2), to = min(n, Int((np + 12 * sd).rounded(.up)) + 2)
        let lnGamma: (Double) -> Double = lgamma  // the C function, not the overlay's (value, sign) form
        let lnN = lnGamma(Double(n) + 1), lnP = log(p), lnQ = log1p(-p)
        var cdf = 0.0
        var low: Int? = nil, high: Int? = nil
        for k in from...to {
            cdf += exp(lnN - lnGamma(Double(k) + 1) - lnGamma(Double(n - k) + 1) + Double(k) * lnP + Double(n - k) * lnQ)
            // P(B ≤ k) ≤ 2.5%: x(k + 1), 0-based k, may be the lower end.
            if cdf <= tail, k <= n - 1 { low = k }
            // P(B ≤ m) ≥ 97.5%: the upper end, 0-based m, if it is a value of the sample.
            if cdf >= 1 - tail {
                if k <= n - 1 { high = k }
                break
            }
        }
        return (low, high)
    }

    /// Standard error implied by the interval (its width / 3.92).
    public var standardError: Double { (high - low) / 3.92 }
}
