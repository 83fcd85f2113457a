import Synchronization
import MosaicCore

/// A fixed-bucket histogram (Prometheus semantics: cumulative `le` buckets, `_sum`, `_count`).
struct Histogram: Sendable {
    /// Upper bounds, seconds.
    let bounds: [Double]
    var counts: [Int]
    var sum = 0.0
    var count = 0

    init(bounds: [Double]) {
        self.bounds = bounds
        counts = [Int](repeating: 0, count: bounds.count)
    }

    @inline(__always)
    mutating func observe(_ seconds: Double) {
        // Bucket counts are per bucket here; rendering makes them cumulative.
        var k = 0
        while k < bounds.count && seconds > bounds[k] { k += 1 }
        if k < bounds.count { counts[k] += 1 }
        sum += seconds
        count += 1
    }

    /// Adds `other`'s observations (the same bounds).
    mutating func merge(_ other: Histogram) {
        for k in counts.indices { counts[k] += other.counts[k] }
        sum += other.sum
        count += other.count
    }

    /// Bounds for request handling times: 5 µs … 1 s.
    static let handling: [Double] = [5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3,
                                     50e-3, 100e-3, 250e-3, 1]
    /// Bounds for provider latencies reported in outcomes: 10 ms … 120 s.
    static let provider: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
}

/// Everything `/metrics` reports that is counted as requests pass (gauges such as breaker
/// states are read at scrape time from the router).
///
/// One lock guards all of it but the decisions: an update is a few additions and a dictionary
/// lookup whose key strings already exist (policy names, provider ids), so it allocates nothing
/// after the first time a label pair is seen, and the lock is held for well under a microsecond.
/// Decisions, counted on every route, go to a stripe per thread (``ThreadStripes``): one shared
/// lock there made the two event loops' cores pass its cache line back and forth on every
/// request. A scrape adds the stripes up.
final class Metrics: Sendable {
    struct Pair: Hashable, Sendable {
        var a: String
        var b: String
    }

    struct State: Sendable {
        var decisions: [Pair: Int] = [:]
        var outcomes: [Pair: Int] = [:]
        var errors: [Pair: Int] = [:]
        var reloads: [Pair: Int] = [:]
        var handling: [String: Histogram] = [:]
        var providerLatency: [String: Histogram] = [:]
        var requests: [String: Int] = [:]
        var expiredDecisions = 0
        var failovers: [String: Int] = [:]
    }

    let state = Mutex(State())

    /// A stripe's decision counts and route handling times.
    struct DecisionCounts: Sendable {
        var counts: [Pair: Int] = [:]
        var handling = Histogram(bounds: Histogram.handling)
    }

    let decisionStripes = ThreadStripes<DecisionCounts> { DecisionCounts() }

    /// A routing decision: the primary provider (or `none`) and why it is first.
    func decision(provider: String, reason: String, seconds: Double) {
        decisionStripes.withMine { s in
            s.counts[Pair(a: provider, b: reason), default: 0] += 1
            s.handling.observe(seconds)
        }
    }

    func outcome(provider: String, status: String, latencyMs: Double?, seconds: Double) {
        state.withLock { s in
            s.outcomes[Pair(a: provider, b: status), default: 0] += 1
            if let latencyMs {
                s.providerLatency[provider, default: Histogram(bounds: Histogram.provider)].observe(latencyMs / 1000)
            }
            s.handling["outcome", default: Histogram(bounds: Histogram.handling)].observe(seconds)
        }
    }

    func error(endpoint: String, status: Int) {
        state.withLock { s in s.errors[Pair(a: endpoint, b: String(status)), default: 0] += 1 }
    }

    func reload(source: String, ok: Bool) {
        state.withLock { s in s.reloads[Pair(a: source, b: ok ? "success" : "failure"), default: 0] += 1 }
    }

    /// An outcome from one of the decision's later candidates: the caller failed over to it.
    func failover(provider: String) { state.withLock { $0.failovers[provider, default: 0] += 1 } }

    func expired(_ n: Int) { state.withLock { $0.expiredDecisions += n } }

    /// Everything counted so far, the decision stripes added up.
    var snapshot: State {
        var s = state.withLock { $0 }
        // (A stripe's counts and its histogram are updated together: no count, no decision.)
        for stripe in decisionStripes.all where stripe.handling.count > 0 {
            s.decisions.merge(stripe.counts, uniquingKeysWith: +)
            s.handling["route", default: Histogram(bounds: Histogram.handling)].merge(stripe.handling)
        }
        return s
    }

    /// Reloads counted so far with this result (for tests and the model endpoint).
    func reloads(ok: Bool) -> Int {
        state.withLock { s in s.reloads.filter { $0.key.b == (ok ? "success" : "failure") }.values.reduce(0, +) }
    }
}

/// Prometheus text exposition format 0.0.4.
struct PrometheusText {
    var out = ""

    mutating func header(_ name: String, _ type: String, _ help: String) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        out += name
        if !labels.isEmpty {
            out += "{"
            out += labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",")
            out += "}"
        }
        out += " "
        out += Self.format(value)
        out += "\n"
    }

    /// A metric with one unlabelled sample.
    mutating func metric(_ name: String, _ type: String, _ help: String, _ value: Double) {
        header(name, type, help)
        sample(name, [], value)
    }

    /// A counter family keyed by two label values (`labels` names them), in label order.
    mutating func counters(_ name: String, _ help: String, labels: (String, String), _ counts: [Metrics.Pair: Int]) {
        header(name, "counter", help)
        for (k, v) in counts.sorted(by: { ($0.key.a, $0.key.b) < ($1.key.a, $1.key.b) }) {
            sample(name, [(labels.0, k.a), (labels.1, k.b)], Double(v))
        }
    }

    /// A counter family keyed by one label value, in label order.
    mutating func counters(_ name: String, _ help: String, label: String, _ counts: [String: Int]) {
        header(name, "counter", help)
        for (k, v) in counts.sorted(by: { $0.key < $1.key }) { sample(name, [(label, k)], Double(v)) }
    }

    /// A counter family keyed by one label value, in the order given.
    mutating func counters(_ name: String, _ help: String, label: String, _ counts: KeyValuePairs<String, Int>) {
        header(name, "counter", help)
        for (k, v) in counts { sample(name, [(label, k)], Double(v)) }
    }

    /// A histogram family keyed by one label value, in label order.
    mutating func histograms(_ name: String, _ help: String, label: String, _ histograms: [String: Histogram]) {
        header(name, "histogram", help)
        for (k, h) in histograms.sorted(by: { $0.key < $1.key }) { histogram(name, [(label, k)], h) }
    }

    mutating func histogram(_ name: String, _ labels: [(String, String)], _ h: Histogram) {
        var cumulative = 0
        for (k, bound) in h.bounds.enumerated() {
            cumulative += h.counts[k]
            sample(name + "_bucket", labels + [("le", Self.format(bound))], Double(cumulative))
        }
        sample(name + "_bucket", labels + [("le", "+Inf")], Double(h.count))
        sample(name + "_sum", labels, h.sum)
        sample(name + "_count", labels, Double(h.count))
    }

    /// The exposition format's escapes in a label value.
    static func escape(_ s: String) -> String { s.escaped(["\\": "\\\\", "\"": "\\\"", "\n": "\\n"]) }

    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
