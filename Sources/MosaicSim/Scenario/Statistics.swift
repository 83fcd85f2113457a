import Histogram
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MosaicCore

/// Latencies in microseconds, 3 significant digits, up to one day.
public typealias LatencyHistogram = Histogram<UInt64>

extension Histogram where Count == UInt64 {
    /// An empty latency histogram (µs, 1 µs … 1 day, 3 significant digits).
    public static func latency() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 86_400_000_000, numberOfSignificantValueDigits: .three)
    }

    /// The value at percentile `p` (0…100) in milliseconds; nil when empty.
    public func milliseconds(atPercentile p: Double) -> Double? {
        totalCount == 0 ? nil : Double(valueAtPercentile(p)) / 1_000
    }
}

/// What one provider did in one replication.
public struct ProviderResult: Sendable, Equatable {
    public var provider: String
    /// Attempts sent (admitted by the router), and how they ended.
    public var attempts = 0
    public var successes = 0
    public var errors = 0
    public var timeouts = 0
    /// Refused because its queue was full.
    public var rejected = 0
    /// Failed at once because the provider was down.
    public var refusedDown = 0
    /// Exact cost of its successful requests.
    public var cost = Money.zero
    /// Latency of its successful attempts.
    public var latency = LatencyHistogram.latency()
    /// Time-average busy servers / servers, and mean and largest queue length.
    public var utilisation = 0.0
    public var meanQueue = 0.0
    public var maxQueue = 0
    /// Circuit-breaker trips and state changes, and outlier ejections.
    public var breakerTrips = 0
    public var breakerTransitions = 0
    public var ejections = 0
}

/// Per-interval counts, for time series.
public struct IntervalSeries: Sendable, Equatable {
    public var interval: Double
    public var arrivals: [Int]
    public var successes: [Int]
    public var failures: [Int]
    public var latencySumMs: [Double]
    /// Log-spaced latency buckets per interval (``bucketLowerMs``), for approximate percentiles.
    public var latencyBuckets: [[UInt32]]

    public static let bucketCount = 48
    /// Bucket k holds latencies in [1 ms·1.25^(k−1), 1 ms·1.25^k); bucket 0 below 1 ms.
    public static func bucket(ms: Double) -> Int {
        guard ms >= 1 else { return 0 }
        return min(bucketCount - 1, 1 + Int(log(ms) / log(1.25)))
    }
    public static func bucketUpperMs(_ k: Int) -> Double { pow(1.25, Double(k)) }

    init(interval: Double, count: Int) {
        self.interval = interval
        arrivals = Array(repeating: 0, count: count)
        successes = Array(repeating: 0, count: count)
        failures = Array(repeating: 0, count: count)
        latencySumMs = Array(repeating: 0, count: count)
        latencyBuckets = Array(repeating: Array(repeating: 0, count: Self.bucketCount), count: count)
    }

    /// An approximate latency percentile (0…100) of interval `i`, ms (the bucket's upper edge).
    public func percentileMs(_ p: Double, interval i: Int) -> Double? {
        let total = latencyBuckets[i].reduce(0) { $0 + Int($1) }
        guard total > 0 else { return nil }
        let target = Int((p / 100 * Double(total)).rounded(.up))
        var seen = 0
        for (k, c) in latencyBuckets[i].enumerated() {
            seen += Int(c)
            if seen >= max(1, target) { return Self.bucketUpperMs(k) }
        }
        return Self.bucketUpperMs(Self.bucketCount - 1)
    }
}

/// How the clients fared through one outage (or regional outage) event.
public struct OutageResult: Sendable, Equatable {
    /// The event's index in the scenario and what it hit.
    public var event: Int
    public var label: String
    public var start: Double
    public var end: Double
    /// Seconds from the start until the router stopped trusting the provider (circuit open or
    /// ejected); nil when it never did.
    public var timeToDetect: Double?
    /// Seconds from the start until the first request succeeded on another provider after
    /// detection; nil when none did.
    public var timeToFailover: Double?
    /// Requests that arrived during the event, and how many of them failed in the end.
    public var requests = 0
    public var failed = 0
    /// Requests during the event that succeeded after at least one failed attempt.
    public var recoveredByFailover = 0
    /// Failed requests during the event as a share of the whole run's error budget
    /// (`(1 − availabilityTarget) × requests`).
    public var errorBudgetBurned = 0.0
}

/// Everything one replication measured. Requests arriving before the warm-up ends are served
/// but not counted.
public struct ReplicationResult: Sendable, Equatable {
    public var replication: Int
    public var seed: UInt64
    public var requests = 0
    public var successes = 0
    /// Requests that failed in the end, by final outcome.
    public var errors = 0
    public var timeouts = 0
    /// No provider could take the request (all filtered, open or rate limited), after retries.
    public var unroutable = 0
    /// The tenant's quota refused the request.
    public var rejectedByQuota = 0
    public var cacheHits = 0
    public var attempts = 0
    public var retries = 0
    /// Retries the retry budget refused.
    public var retriesDenied = 0
    public var failovers = 0
    /// Successful requests within the SLO.
    public var withinSLO = 0
    public var latency = LatencyHistogram.latency()
    public var cost = Money.zero
    public var costByTenant: [String: Money] = [:]
    /// A cost sum would have left `Money`'s range (about ±1.7 × 10¹⁴): the costs stopped at
    /// the last exact sum and are not the replication's (``Simulator/checkCosts(_:)`` refuses them).
    public var costOverflow = false
    public var providers: [ProviderResult] = []
    public var outages: [OutageResult] = []
    public var series: IntervalSeries
    /// Events processed and wall time, for the curious.
    public var events: UInt64 = 0
    public var simulatedSeconds = 0.0

    /// Requests still in flight when the run ended (neither succeeded nor failed).
    public var unfinished: Int { requests - successes - errors - timeouts - unroutable - rejectedByQuota }
    /// Requests that ended (succeeded or failed) by the end of the run.
    public var finished: Int { requests - unfinished }
    /// Failed requests over finished ones.
    public var errorRate: Double { finished > 0 ? Double(finished - successes) / Double(finished) : 0 }
    public var timeoutRate: Double { finished > 0 ? Double(timeouts) / Double(finished) : 0 }
    public var throughput: Double { simulatedSeconds > 0 ? Double(successes) / simulatedSeconds : 0 }
}

/// A mean with its 95% confidence interval over replications (Student t).
public struct Estimate: Sendable, Equatable, Codable {
    public var mean: Double
    public var halfWidth: Double
    public var n: Int
    public var low: Double { mean - halfWidth }
    public var high: Double { mean + halfWidth }

    public init(_ values: [Double]) {
        let xs = values.filter(\.isFinite)
        n = xs.count
        guard n > 0 else { mean = .nan; halfWidth = .nan; return }
        let m = xs.reduce(0, +) / Double(n)
        mean = m
        guard n > 1 else { halfWidth = .infinity; return }
        let variance = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)
        halfWidth = Estimate.t975(df: n - 1) * (variance / Double(n)).squareRoot()
    }

    /// The 0.975 quantile of Student's t with `df` degrees of freedom.
    public static func t975(df: Int) -> Double {
        let table: [Double] = [12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
                               2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
                               2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
                               2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272]
        if df >= 1 && df <= 30 { return table[df - 1] }
        // Cornish-Fisher expansion around the normal quantile for larger df.
        let z = 1.959963984540054, d = Double(df)
        return z + (z * z * z + z) / (4 * d) + (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * d * d)
    }
}
