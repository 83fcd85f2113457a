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

    /// numpy's linear percentile of `sorted`; the interval is [x(j), x(k)] with
    /// j, k = n·p ∓ 1.96·√(n·p·(1 − p)) (normal approximation to the binomial), clamped.
    public init(sorted x: [Double], _ p: Double) {
        n = x.count
        guard n > 0 else { value = .nan; low = .nan; high = .nan; return }
        value = Quantiles.linear(sorted: x, p)
        let np = Double(n) * p, sd = (Double(n) * p * (1 - p)).squareRoot()
        let j = max(0, min(n - 1, Int((np - 1.96 * sd).rounded(.down))))
        let k = max(0, min(n - 1, Int((np + 1.96 * sd).rounded(.up))))
        low = min(x[j], value)
        high = max(x[k], value)
    }

    /// Standard error implied by the interval (its width / 3.92).
    public var standardError: Double { (high - low) / 3.92 }
}
