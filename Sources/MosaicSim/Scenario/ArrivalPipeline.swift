import Dispatch
import Foundation
import MosaicCore
import MosaicRouting
import Synchronization

/// One arrival as the arrival and mix streams make it: its time, what it asks for, the uniform
/// the cache draws for it, and the draws of its first attempt (service time and error).
struct GeneratedArrival: Sendable {
    var time: Double
    var cacheUniform = 0.0
    /// The first attempt's standard normal (lognormal and model service times).
    var serviceNormal = 0.0
    /// The first attempt's uniform in [0, 1) (exponential and empirical service times).
    var serviceUniform = 0.0
    /// The first attempt's uniform in [0, 1) against the provider's error rate.
    var errorUniform = 0.0
    var prompt: Int32 = 0
    var output: Int32 = 0
    var tenant: UInt16 = 0
    var operation: UInt16 = 0
    var tagBits: UInt32 = 0
    var compliance: UInt8 = 0
}

/// Everything a replication draws for its arrivals, apart from the simulation's state: the
/// arrival times (thinning against the largest rate), the request mix, the cache's uniform and
/// the first attempt's service-time and error draws (from the `first-attempt` stream; later
/// attempts draw from the `service` stream as they happen).
///
/// The arrival, mix and cache streams are drawn in the same order whether this runs inline,
/// one arrival at a time as the kernel reaches it, or ahead on another thread
/// (``ArrivalPipeline``), so both give the same bytes.
struct ArrivalSource: Sendable {
    let process: ArrivalProcess
    let start: Int64
    let duration: Double
    let maxRate: Double
    let burstFactor: Double
    let tenantCDF: [Double]
    let operationCDF: [Double]
    let promptMu: Double
    let promptSigma: Double
    let outputMu: Double
    let outputSigma: Double
    let tagProbabilities: [Double]
    let complianceTags: [(ComplianceSet, Double)]
    let drawsCache: Bool
    /// Whether some provider's service time needs a normal (lognormal, model) or a uniform
    /// (exponential, empirical).
    let drawsServiceNormal: Bool
    let drawsServiceUniform: Bool
    var arrivalsRandom: SeededRandom
    var mixRandom: SeededRandom
    var cacheRandom: SeededRandom
    var attemptRandom: SeededRandom
    /// The normals of the token counts and service times (ziggurat: a few instructions a draw).
    let normals = ZigguratNormal()

    /// The next arrival after `t0`, or nil when it falls at or after the scenario's end.
    /// `bursting` multiplies the rate by the bursts' factor (state at the time of drawing).
    @inline(__always)
    mutating func nextTime(after t0: Double, bursting: Bool) -> Double? {
        // Thinning (Lewis–Shedler) against the largest rate.
        guard maxRate > 0 else { return nil }
        var t = t0
        while true {
            t += arrivalsRandom.exponential(rate: maxRate)
            if t >= duration { return nil }
            var rate = process.baseRate(at: t, start: start)
            if bursting { rate *= burstFactor }
            if rate >= maxRate || arrivalsRandom.uniform() * maxRate < rate { return t }
        }
    }

    /// Draws the request's mix into `a`: tenant, operation and token counts unless the request
    /// is `recorded` (a replay gives those), then tags, compliance, the cache's uniform and the
    /// first attempt's draws.
    @inline(__always)
    mutating func draw(_ a: inout GeneratedArrival, recorded: Bool) {
        if !recorded {
            a.tenant = UInt16(Self.pick(tenantCDF, mixRandom.uniform()))
            a.operation = UInt16(Self.pick(operationCDF, mixRandom.uniform()))
            a.prompt = Self.tokenCount(exp(promptMu + promptSigma * normals.next(&mixRandom)))
            a.output = Self.tokenCount(exp(outputMu + outputSigma * normals.next(&mixRandom)))
        }
        for (bit, p) in tagProbabilities.enumerated() where bit < 12 && mixRandom.uniform() < p { a.tagBits |= 1 << UInt32(bit) }
        for (set, p) in complianceTags where mixRandom.uniform() < p { a.compliance |= set.rawValue }
        if drawsCache { a.cacheUniform = cacheRandom.uniform() }
        if drawsServiceNormal { a.serviceNormal = normals.next(&attemptRandom) }
        if drawsServiceUniform { a.serviceUniform = attemptRandom.uniform() }
        a.errorUniform = attemptRandom.uniform()
    }

    /// A lognormal token draw, rounded, as an `Int32`: draws beyond `Int32.max` (a large `sigma`
    /// or `median` reaches them) are `Int32.max` instead of trapping in the conversion.
    @inline(__always)
    static func tokenCount(_ x: Double) -> Int32 {
        let r = x.rounded()
        return r < Double(Int32.max) ? Int32(r) : Int32.max
    }

    /// The first index whose cumulative weight exceeds `u`.
    @inline(__always)
    static func pick(_ cdf: [Double], _ u: Double) -> Int {
        var lo = 0, hi = cdf.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cdf[mid] > u { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}

/// Generates a replication's arrivals on a second thread, in blocks, ahead of the kernel.
///
/// The producer runs ``ArrivalSource`` from time 0 to the scenario's end and writes the
/// arrivals into a ring of blocks; the kernel's thread reads them in order. The arrivals do not
/// depend on the simulation's state (bursts do, through the toggle events, so a scenario with
/// bursts draws inline), so the kernel sees exactly the arrivals it would have drawn itself:
/// the same bytes with or without the pipeline. The ring holds 8 blocks of 4,096 arrivals
/// (1.3 MB); after the last arrival comes one whose time is +infinity.
final class ArrivalPipeline: @unchecked Sendable {
    static let blockSize = 4_096
    static let blockCount = 8

    private let buffer: UnsafeMutablePointer<GeneratedArrival>
    private let filled = DispatchSemaphore(value: 0)
    private let empty = DispatchSemaphore(value: ArrivalPipeline.blockCount)
    private let finished = DispatchSemaphore(value: 0)
    private let cancelled = Atomic<Bool>(false)
    // The consumer's position (kernel thread only).
    private var readBlock = 0
    private var holding = false
    private var stopped = false

    init(source: ArrivalSource) {
        buffer = .allocate(capacity: Self.blockSize * Self.blockCount)
        let thread = Thread { [self] in self.produce(source) }
        thread.name = "mosaic-arrivals"
        thread.start()
    }

    deinit { buffer.deallocate() }

    private func produce(_ source: ArrivalSource) {
        var s = source
        var t = 0.0
        var block = 0
        var done = false
        while !done {
            empty.wait()
            if cancelled.load(ordering: .acquiring) { break }
            let base = buffer + (block % Self.blockCount) * Self.blockSize
            for j in 0..<Self.blockSize {
                guard let next = s.nextTime(after: t, bursting: false) else {
                    (base + j).initialize(to: GeneratedArrival(time: .infinity))
                    done = true
                    break
                }
                t = next
                var a = GeneratedArrival(time: t)
                s.draw(&a, recorded: false)
                (base + j).initialize(to: a)
            }
            filled.signal()
            block += 1
        }
        finished.signal()
    }

    /// The next block of arrivals, in order; the one after the last arrival has time +infinity
    /// (read no further). The block stays valid until the next call, which hands it back to the
    /// producer. The kernel reads arrivals from the block directly: one call per 4,096 arrivals.
    func nextBlock() -> UnsafeBufferPointer<GeneratedArrival> {
        if holding { empty.signal() }
        filled.wait()
        holding = true
        let base = buffer + (readBlock % Self.blockCount) * Self.blockSize
        readBlock += 1
        return UnsafeBufferPointer(start: base, count: Self.blockSize)
    }

    /// Stops the producer and waits for its thread to end. Call once, when the run is over.
    func stop() {
        guard !stopped else { return }
        stopped = true
        cancelled.store(true, ordering: .releasing)
        empty.signal()
        finished.wait()
    }
}
