import Dispatch
import Foundation
import Histogram
import MosaicCore
import MosaicRouting

/// Why a scenario cannot run.
public struct SimulationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A scenario ready to run: the policy, the optional routing model and the arrivals resolved,
/// and everything checked, so replications only simulate.
///
/// Replication `r` draws every random number from streams derived from (scenario seed, r), so
/// a replication gives the same result whichever thread runs it and however many run at once,
/// and two runs with the same seed see the same arrivals (common random numbers).
public struct Simulator: Sendable {
    public let scenario: Scenario
    public let catalog: Catalog
    public let policy: RoutingPolicy
    public let model: RoutingModel?
    public let arrivals: ArrivalProcess
    /// The availability objective error budgets are measured against.
    public let availabilityTarget: Double

    /// Checks that the pieces fit: every provider the policy routes to is simulated and every
    /// simulated provider is in the policy's pool, `service: model` has a model, `from_store`
    /// service times were filled in, and the arrivals match the traffic kind.
    public init(scenario: Scenario, catalog: Catalog, policy: RoutingPolicy, model: RoutingModel? = nil,
                arrivals: ArrivalProcess, availabilityTarget: Double = 0.999) throws(SimulationError) {
        let pool = Set(policy.providers)
        let simulated = scenario.providers.map(\.id)
        for (i, id) in simulated.enumerated() where !pool.contains(id) {
            throw SimulationError("\(scenario.source.isEmpty ? "scenario" : scenario.source): providers[\(i)].id: '\(id)' is not in the routing policy's providers (\(policy.providers.joined(separator: ", "))), so it would receive no traffic")
        }
        for id in policy.providers where !simulated.contains(id) {
            throw SimulationError("\(scenario.source.isEmpty ? "scenario" : scenario.source): providers: the routing policy '\(policy.name)' routes to '\(id)', which the scenario does not simulate; add it under providers")
        }
        for (i, p) in scenario.providers.enumerated() {
            if case .fromStore = p.service {
                throw SimulationError("providers[\(i)].service: from_store needs the store's request log (run it with `mosaic simulate`, which fills it in)")
            }
            if case .empirical(let q) = p.service, q.count < 2 {
                throw SimulationError("providers[\(i)].service: '\(p.id)' has fewer than 2 measured latencies")
            }
            if p.concurrency < 1 { throw SimulationError("providers[\(i)].concurrency: must be at least 1") }
        }
        if case .recorded(let requests, _, _) = arrivals {
            for k in requests.indices.dropFirst() where requests[k].time < requests[k - 1].time {
                throw SimulationError("recorded arrivals are not in time order at request \(k)")
            }
        }
        if arrivals.maxRate <= 0, case .recorded = arrivals {} else if arrivals.maxRate <= 0 {
            throw SimulationError("traffic: the arrival rate is zero everywhere")
        }
        // Scenario files are checked field by field (``Scenario/maximumArrivals``); a load
        // model's rates are only known here.
        if case .recorded = arrivals {} else if !(arrivals.maxRate * scenario.duration <= Scenario.maximumArrivals) {
            let field: String
            if case .piecewise = arrivals { field = "traffic.scale" } else { field = "traffic" }
            throw SimulationError("\(field): the peak arrival rate (\(arrivals.maxRate) requests/s) over the duration (\(DurationText.format(seconds: scenario.duration))) would generate more than \(Int(Scenario.maximumArrivals)) arrivals per replication; lower it")
        }
        do { _ = try Router(policy: policy, catalog: catalog, model: model) } catch { throw SimulationError("\(error)") }
        self.scenario = scenario
        self.catalog = catalog
        self.policy = policy
        self.model = model
        self.arrivals = arrivals
        self.availabilityTarget = availabilityTarget
    }

    /// Runs replication `r` (0-based) to the scenario's end. With more than one processor the
    /// arrivals are generated ahead on a second thread (the same arrivals, so the same result).
    public func replicate(_ r: Int) -> ReplicationResult {
        replicate(r, pipelineArrivals: ProcessInfo.processInfo.activeProcessorCount > 1)
    }

    /// Runs replication `r`, generating arrivals on a second thread or inline.
    func replicate(_ r: Int, pipelineArrivals: Bool) -> ReplicationResult {
        let streams = RandomStreams(seed: scenario.seed).replication(r)
        // Validated in init; a policy that compiled once compiles again. The router serves this
        // replication alone, on this thread: confined, it takes no locks.
        let router = try! Router(policy: policy, catalog: catalog, model: model, now: scenario.start, confined: true)
        var model = ScenarioModel(scenario: scenario, router: router, arrivals: arrivals, replication: r,
                                  streams: streams, catalog: catalog, availabilityTarget: availabilityTarget,
                                  pipelineArrivals: pipelineArrivals)
        var kernel = Kernel(startTime: 0, capacity: 1024)
        model.prime(&kernel)
        kernel.runMerging(&model, until: scenario.duration)
        model.finalize(kernel)
        return model.result
    }

    /// Refuses results whose exact cost left `Money`'s range (``ReplicationResult/costOverflow``):
    /// their cost figures are not the replication's.
    ///
    /// - Throws: ``SimulationError`` naming the first such replication and what to lower.
    public func checkCosts(_ results: [ReplicationResult]) throws(SimulationError) {
        guard let r = results.first(where: \.costOverflow) else { return }
        throw SimulationError("replication \(r.replication + 1): the simulated cost exceeds what an exact amount holds (about 1.7 × 10¹⁴ USD); lower the tokens per request (mix.prompt_tokens, mix.output_tokens), the prices, the price_change factors, the traffic or the duration")
    }

    /// Runs `replications` replications on up to `parallelism` threads and summarises them.
    ///
    /// - Parameter progress: called (from worker threads, serialised) with the number finished.
    public func run(replications: Int, parallelism: Int = ProcessInfo.processInfo.activeProcessorCount,
                    progress: (@Sendable (Int) -> Void)? = nil) -> SimulationSummary {
        let results = runReplications(replications, parallelism: parallelism, progress: progress)
        return SimulationSummary(scenario: scenario, policy: policy, results: results)
    }

    /// The raw per-replication results, in replication order.
    public func runReplications(_ n: Int, parallelism: Int = ProcessInfo.processInfo.activeProcessorCount,
                                progress: (@Sendable (Int) -> Void)? = nil) -> [ReplicationResult] {
        let box = ResultBox(count: n)
        let workers = max(1, min(parallelism, n))
        // A core left idle by the replications generates arrivals.
        let pipeline = workers < ProcessInfo.processInfo.activeProcessorCount
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var r = w
            while r < n {
                let result = replicate(r, pipelineArrivals: pipeline)
                let done = box.store(result, at: r)
                progress?(done)
                r += workers
            }
        }
        return box.results()
    }
}

/// Collects replication results from worker threads.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [ReplicationResult?]
    private var done = 0

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func store(_ r: ReplicationResult, at i: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        slots[i] = r
        done += 1
        return done
    }

    func results() -> [ReplicationResult] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}
