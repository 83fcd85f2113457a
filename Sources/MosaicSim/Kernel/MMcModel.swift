import Histogram
import MosaicCore

/// An M/M/c (or M/M/c/K) queue: the kernel's validation model.
///
/// Poisson arrivals at rate ``arrivalRate``, exponential service at rate ``serviceRate`` per
/// server, ``servers`` servers, FCFS, and optionally at most ``capacity`` customers in the
/// system. Exactly ``customers`` customers arrive; the run ends when the last one has left.
///
/// Variates come from ``RandomStreams`` with ``seed``: customer i's inter-arrival time is
/// draw i of stream ``arrivalStream`` and service times are drawn, in order of service start,
/// from stream ``serviceStream``, both as `-log1p(-u)/rate`
/// (``MosaicCore/SeededRandom/portableExponential(rate:)``). The defaults (seed 42, streams 4
/// and 5) are the portable variates of `shared/reference/ref_queueing.py`, so without a capacity
/// the waits equal its SimPy run and heap recursion.
public struct MMcConfiguration: Sendable, Hashable {
    /// c, the number of servers.
    public var servers: Int
    /// λ, arrivals per unit time.
    public var arrivalRate: Double
    /// μ, services per unit time per server.
    public var serviceRate: Double
    /// K, the most customers in the system; nil for an unlimited line.
    public var capacity: Int?
    /// How many customers arrive in total.
    public var customers: Int
    /// The fraction of the first customers left out of the statistics (warm-up), 0.01 by default.
    public var warmupFraction: Double
    /// The number of batches for batch means (30 by default).
    public var batches: Int
    /// The confidence level of every interval (0.95 by default).
    public var confidence: Double
    /// The seed of the ``RandomStreams``.
    public var seed: UInt64
    /// The numbered stream of inter-arrival times (4, as in the reference scripts).
    public var arrivalStream: Int
    /// The numbered stream of service times (5, as in the reference scripts).
    public var serviceStream: Int
    /// Thresholds t for which P(Wq > t) is estimated with a confidence interval.
    public var waitThresholds: [Double]
    /// Whether to keep a histogram of waits for percentiles (3 significant digits).
    public var recordWaitHistogram: Bool
    /// Whether to keep one wait histogram per batch too, for confidence intervals of
    /// percentiles by sectioning (``MMcResult/waitQuantileInterval(_:)``); costs one more
    /// histogram update per customer and about 0.3 MB per batch.
    public var recordBatchHistograms: Bool

    /// An M/M/c configuration; see the properties for the meaning and defaults.
    public init(servers: Int, arrivalRate: Double, serviceRate: Double = 1, capacity: Int? = nil, customers: Int,
                warmupFraction: Double = 0.01, batches: Int = 30, confidence: Double = 0.95, seed: UInt64 = 42,
                arrivalStream: Int = 4, serviceStream: Int = 5, waitThresholds: [Double] = [],
                recordWaitHistogram: Bool = true, recordBatchHistograms: Bool = false) {
        self.servers = servers
        self.arrivalRate = arrivalRate
        self.serviceRate = serviceRate
        self.capacity = capacity
        self.customers = customers
        self.warmupFraction = warmupFraction
        self.batches = batches
        self.confidence = confidence
        self.seed = seed
        self.arrivalStream = arrivalStream
        self.serviceStream = serviceStream
        self.waitThresholds = waitThresholds
        self.recordWaitHistogram = recordWaitHistogram
        self.recordBatchHistograms = recordBatchHistograms
    }

    /// ρ = λ/(cμ).
    public var utilisation: Double { arrivalRate / (Double(servers) * serviceRate) }
}

/// The statistics of one ``MMcModel`` run.
///
/// Interval estimates use batch means over the customers after the warm-up: customers
/// `w0 ..< w0 + batches·m` (`w0 = ⌊customers·warmupFraction⌋`, `m = ⌊(customers − w0)/batches⌋`),
/// batch b holding customers `w0 + b·m ..< w0 + (b+1)·m` in arrival order, exactly as
/// `ref_queueing.py`'s `batch_means`. Time averages (L, Lq, utilisation) of batch b are over the
/// time between the arrivals of its first customer and of the next batch's first customer.
public struct MMcResult: Sendable {
    /// The configuration that produced this.
    public var configuration: MMcConfiguration
    /// Events processed (arrivals + departures).
    public var events: UInt64
    /// When the last customer left.
    public var endTime: Double
    /// When the last customer arrived.
    public var lastArrivalTime: Double
    /// Customers admitted and blocked over the whole run (warm-up included).
    public var admitted: Int, blocked: Int
    /// The plain mean wait over every admitted customer, warm-up included (compensated sum):
    /// the reference's `mean_wait_all_customers_no_warmup`.
    public var meanWaitAllCustomers: Double
    /// Mean wait in line (Wq) of admitted customers.
    public var meanWait: ConfidenceInterval
    /// Mean time in system (W = Wq + service) of admitted customers.
    public var meanResponse: ConfidenceInterval
    /// P(wait > 0) of admitted customers (Erlang C without a capacity).
    public var probabilityOfWait: ConfidenceInterval
    /// P(Wq > t) of admitted customers for each of the configuration's thresholds, in order.
    public var waitTail: [ConfidenceInterval]
    /// The fraction of arrivals blocked (M/M/c/K; 0 without a capacity).
    public var blocking: ConfidenceInterval
    /// Time-average number in system, L.
    public var meanInSystem: ConfidenceInterval
    /// Time-average number waiting, Lq.
    public var meanQueueLength: ConfidenceInterval
    /// Admitted customers per unit time over the measured window (λ_eff).
    public var throughput: Double
    /// Busy server-time over server-time in the measured window.
    public var utilisation: Double
    /// Waits of the measured customers, in units of 1e-6 time units (nil when not recorded).
    public var waitHistogram: Histogram<UInt64>?
    /// The same per batch (empty unless ``MMcConfiguration/recordBatchHistograms``).
    public var batchWaitHistograms: [Histogram<UInt64>]

    /// λ_eff · W: by Little's law this estimates ``meanInSystem``.
    public var littleL: Double { throughput * meanResponse.mean }

    /// The p-quantile (0 ≤ p ≤ 1) of the measured waits from the histogram (3 significant
    /// digits), or nil when no histogram was kept.
    public func waitQuantile(_ p: Double) -> Double? {
        guard let h = waitHistogram, h.totalCount > 0 else { return nil }
        return Double(h.valueAtPercentile(p * 100)) * MMcModel.histogramUnit
    }

    /// The p-quantile of the measured waits with a confidence interval by sectioning: the
    /// point estimate is ``waitQuantile(_:)`` over all batches, the half-width is
    /// `t · s/√batches` with `s` the standard deviation of the per-batch p-quantiles. Nil unless
    /// the run kept batch histograms (``MMcConfiguration/recordBatchHistograms``).
    public func waitQuantileInterval(_ p: Double) -> ConfidenceInterval? {
        guard let point = waitQuantile(p), batchWaitHistograms.count >= 2 else { return nil }
        let qs = batchWaitHistograms.map { Double($0.valueAtPercentile(p * 100)) * MMcModel.histogramUnit }
        let spread = ConfidenceInterval.batchMeans(qs, confidence: configuration.confidence)
        return ConfidenceInterval(mean: point, halfWidth: spread.halfWidth, confidence: spread.confidence,
                                  batches: spread.batches)
    }
}

/// The M/M/c(/K) model on the ``Kernel`` and a ``MultiServerStation``. Use ``run(_:)``.
public struct MMcModel: SimulationModel {
    /// Event kinds of this model.
    public enum Kind {
        /// A customer arrives (payload: customer index).
        public static let arrival: UInt32 = 0
        /// A service completes.
        public static let departure: UInt32 = 1
    }

    /// Histogram resolution: waits are recorded as integers in this unit.
    public static let histogramUnit = 1e-6
    @usableFromInline static let histogramScale = 1e6

    /// The configuration.
    public let configuration: MMcConfiguration
    /// The station (c servers, FIFO line, capacity K).
    public private(set) var station: MultiServerStation
    @usableFromInline var arrivals: SeededRandom
    @usableFromInline var services: SeededRandom
    @usableFromInline let lambda: Double, mu: Double
    @usableFromInline let n: Int, w0: Int, m: Int, b: Int

    // Whole-run accumulators.
    @usableFromInline var admitted = 0, blockedTotal = 0
    @usableFromInline var allWaitSum = 0.0, allWaitComp = 0.0
    @usableFromInline var lastArrival = 0.0

    /// Per-batch sums and counts.
    @usableFromInline struct BatchTotals {
        @usableFromInline var waitSum = 0.0, sojournSum = 0.0
        @usableFromInline var admitted = 0, delayed = 0, blocked = 0
        @usableFromInline init() {}
    }
    @usableFromInline var totals: [BatchTotals]
    @usableFromInline var tailCount: [Int]          // batch-major, waitThresholds.count per batch
    @usableFromInline let thresholds: [Double]
    // Snapshots at batch boundaries (index 0...b): time and areas.
    @usableFromInline var boundaryTime: [Double], boundaryN: [Double], boundaryQ: [Double], boundaryBusy: [Double]
    @usableFromInline var nextBoundary: Int = 0
    /// The customer index at which the next boundary snapshot is taken (Int.max when done).
    @usableFromInline var nextBoundaryCustomer: Int
    /// Batch of the customers being started (they start in arrival order), and where it ends.
    @usableFromInline var startBatch: Int = -1, startBatchEnd: Int
    @usableFromInline var histogram: Histogram<UInt64>
    @usableFromInline let keepHistogram: Bool
    @usableFromInline var batchHistograms: [Histogram<UInt64>]

    /// A model ready to run; schedules nothing yet (``run(_:)`` does).
    public init(_ configuration: MMcConfiguration) {
        let c = configuration
        precondition(c.servers >= 1 && c.customers >= 1 && c.arrivalRate > 0 && c.serviceRate > 0,
                     "need servers >= 1, customers >= 1 and positive rates")
        precondition(c.batches >= 2, "need at least 2 batches")
        precondition(c.waitThresholds.allSatisfy { $0 >= 0 }, "wait thresholds must be >= 0")
        self.configuration = c
        station = MultiServerStation(servers: c.servers, capacity: c.capacity)
        let streams = RandomStreams(seed: c.seed)
        arrivals = streams.stream(c.arrivalStream)
        services = streams.stream(c.serviceStream)
        lambda = c.arrivalRate
        mu = c.serviceRate
        n = c.customers
        w0 = Int(Double(c.customers) * c.warmupFraction)
        b = c.batches
        m = (c.customers - w0) / c.batches
        precondition(m >= 1, "too few customers (\(c.customers)) for \(c.batches) batches")
        totals = Array(repeating: BatchTotals(), count: b)
        nextBoundaryCustomer = w0
        startBatchEnd = w0
        thresholds = c.waitThresholds
        tailCount = Array(repeating: 0, count: b * c.waitThresholds.count)
        boundaryTime = Array(repeating: 0, count: b + 1)
        boundaryN = boundaryTime; boundaryQ = boundaryTime; boundaryBusy = boundaryTime
        histogram = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
        keepHistogram = c.recordWaitHistogram
        batchHistograms = c.recordBatchHistograms
            ? Array(repeating: Histogram<UInt64>(numberOfSignificantValueDigits: .three), count: c.batches) : []
    }

    /// Runs `configuration` to completion on a fresh kernel and returns its statistics.
    public static func run(_ configuration: MMcConfiguration) -> MMcResult {
        var model = MMcModel(configuration)
        var kernel = Kernel(capacity: configuration.servers + 8)
        model.start(&kernel)
        kernel.run(&model)
        return model.result(kernel)
    }

    /// Schedules the first arrival.
    public mutating func start(_ kernel: inout Kernel) {
        kernel.schedule(after: arrivals.portableExponential(rate: lambda), kind: Kind.arrival, payload: 0)
    }

    /// Handles an arrival or a departure.
    public mutating func handle(_ event: Event, _ kernel: inout Kernel) {
        let now = kernel.now
        if event.kind == Kind.arrival {
            let i = Int(truncatingIfNeeded: event.payload)
            lastArrival = now
            if i == nextBoundaryCustomer { snapshot(now) }
            switch station.arrive(Int64(i), at: now) {
            case .started:
                served(i, wait: 0, now: now, &kernel)
            case .queued:
                break
            case .blocked:
                blockedTotal &+= 1
                let k = batch(i)
                if k >= 0 { totals[k].blocked &+= 1 }
            }
            let next = i &+ 1
            if next < n {
                kernel.schedule(at: now + arrivals.portableExponential(rate: lambda), kind: Kind.arrival,
                                payload: Int64(next))
            } else if nextBoundary <= b {
                snapshot(now)   // the last batch ends at the last arrival
            }
        } else {
            if let c = station.depart(at: now) {
                served(Int(truncatingIfNeeded: c.id), wait: now - c.arrival, now: now, &kernel)
            }
        }
    }

    /// Batch of customer i, or -1 when it is in the warm-up or after the last full batch.
    @inline(__always)
    func batch(_ i: Int) -> Int {
        if i < w0 { return -1 }
        let k = (i - w0) / m
        return k < b ? k : -1
    }

    @inline(__always)
    mutating func snapshot(_ now: Double) {
        let a = station.areas(at: now)
        boundaryTime[nextBoundary] = now
        boundaryN[nextBoundary] = a.inSystem
        boundaryQ[nextBoundary] = a.queue
        boundaryBusy[nextBoundary] = a.busy
        nextBoundary += 1
        nextBoundaryCustomer = nextBoundary <= b ? w0 + nextBoundary * m : Int.max
    }

    /// Customer i starts service after waiting `wait`: record it and schedule its departure.
    @inline(__always)
    mutating func served(_ i: Int, wait: Double, now: Double, _ kernel: inout Kernel) {
        let s = services.portableExponential(rate: mu)
        kernel.schedule(at: now + s, kind: Kind.departure)
        admitted &+= 1
        // Neumaier-compensated running sum of all waits.
        let t = allWaitSum + wait
        if abs(allWaitSum) >= abs(wait) { allWaitComp += (allWaitSum - t) + wait } else { allWaitComp += (wait - t) + allWaitSum }
        allWaitSum = t
        // Customers start in arrival order (FIFO), so their batch only moves forward.
        var k = startBatch
        if i >= startBatchEnd {
            k = batch(i)
            startBatch = k
            startBatchEnd = k >= 0 ? w0 + (k + 1) * m : (i < w0 ? w0 : Int.max)
        } else if i < startBatchEnd - m {
            k = batch(i)   // not in arrival order (cannot happen with one FIFO station)
        }
        if k >= 0 {
            var bt = totals[k]
            bt.waitSum += wait
            bt.sojournSum += wait + s
            bt.admitted &+= 1
            if wait > 0 { bt.delayed &+= 1 }
            totals[k] = bt
            if wait > 0 {
                if !thresholds.isEmpty {
                    let base = k * thresholds.count
                    for j in thresholds.indices where wait > thresholds[j] { tailCount[base + j] &+= 1 }
                }
            }
            if keepHistogram {
                let v = UInt64(wait * MMcModel.histogramScale + 0.5)   // round half up; wait >= 0
                histogram.record(v)
                if !batchHistograms.isEmpty { batchHistograms[k].record(v) }
            }
        }
    }

    /// The statistics once the run is over.
    public func result(_ kernel: Kernel) -> MMcResult {
        let cfg = configuration
        func ci(_ values: [Double]) -> ConfidenceInterval { .batchMeans(values, confidence: cfg.confidence) }
        let r = 0..<b
        let perBatchAdmitted = r.map { Double(max(totals[$0].admitted, 1)) }
        let dt = r.map { boundaryTime[$0 + 1] - boundaryTime[$0] }
        let totalTime = boundaryTime[b] - boundaryTime[0]
        let measuredAdmitted = totals.reduce(0) { $0 + $1.admitted }
        return MMcResult(
            configuration: cfg,
            events: kernel.processed,
            endTime: kernel.now,
            lastArrivalTime: lastArrival,
            admitted: admitted,
            blocked: blockedTotal,
            meanWaitAllCustomers: admitted > 0 ? (allWaitSum + allWaitComp) / Double(admitted) : 0,
            meanWait: ci(r.map { totals[$0].waitSum / perBatchAdmitted[$0] }),
            meanResponse: ci(r.map { totals[$0].sojournSum / perBatchAdmitted[$0] }),
            probabilityOfWait: ci(r.map { Double(totals[$0].delayed) / perBatchAdmitted[$0] }),
            waitTail: thresholds.indices.map { j in
                ci(r.map { Double(tailCount[$0 * thresholds.count + j]) / perBatchAdmitted[$0] })
            },
            blocking: ci(r.map { Double(totals[$0].blocked) / Double(m) }),
            meanInSystem: ci(r.map { (boundaryN[$0 + 1] - boundaryN[$0]) / dt[$0] }),
            meanQueueLength: ci(r.map { (boundaryQ[$0 + 1] - boundaryQ[$0]) / dt[$0] }),
            throughput: Double(measuredAdmitted) / totalTime,
            utilisation: (boundaryBusy[b] - boundaryBusy[0]) / (Double(cfg.servers) * totalTime),
            waitHistogram: keepHistogram ? histogram : nil,
            batchWaitHistograms: keepHistogram ? batchHistograms : [])
    }
}
