import MosaicCore
import MosaicRouting

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One replication of a scenario as a kernel model: arrivals, clients routing with the very
/// ``Router`` the online service runs, provider stations (concurrency, queue limit, service
/// times, errors), events (outages, degradations, regional outages, price changes), timeouts,
/// failover, retries with backoff and a retry budget, a response cache, and the statistics.
///
/// A request's life: it arrives; a cache hit ends it at once. Otherwise the client asks the
/// router for a ranked list and the router admits the best candidate its breaker and rate limit
/// accept. The attempt goes to that provider's station: refused at once when the provider is
/// down or its queue is full, otherwise queued and served, failing with the provider's error
/// rate; the client gives up after its timeout. Every attempt's outcome goes back to the router
/// (breakers, EWMA, outlier ejection, budgets). A failed attempt fails over to the next
/// candidate when failover is on; when the candidates are exhausted the policy's retry rule and
/// the retry budget decide whether to route again after a jittered backoff.
struct ScenarioModel: StreamingSimulationModel {
    enum Kind: UInt32 {
        case arrival = 0, serviceDone, timeout, retry, fastFail, eventStart, eventEnd, monitor, burstToggle, warmupEnd
    }

    /// The per-request state, in a slab indexed by the low bits of attempt tokens.
    struct Request {
        var arrival = 0.0
        var tenant: UInt16 = 0
        var operation: UInt16 = 0
        var prompt: Int32 = 0
        var output: Int32 = 0
        var tagBits: UInt32 = 0
        var compliance: UInt8 = 0
        var cacheKey: Int32 = -1
        /// The first attempt's draws, made with the arrival (see ``GeneratedArrival``).
        var firstNormal = 0.0
        var firstUniform = 0.0
        var firstError = 0.0
        var attempts: Int32 = 0
        var routings: Int32 = 0
        var serial: UInt32 = 0
        var provider: Int32 = -1
        var probe = false
        /// The ticket's predicted latency (`model_utility`'s `adapt`), for its outcome.
        var ticketPredictedMs: Float = 0
        var attemptStart = 0.0
        var predictedMs = 0.0
        var predictedTailMs = 0.0
        var remaining = FailoverCandidates()
        var failedOnce = false
        var inRetry = false
        var counted = false
        var lastStatus: RequestStatus = .ok
    }

    struct ProviderRuntime {
        var station: MultiServerStation
        var spec: ProviderSpec
        var regions: [String]
        var down = 0            // active outage events
        var latencyFactor = 1.0
        var errorRate: Double
        /// The price factor as an exact fraction (1.3 → 13/10), so costs scale without rounding.
        var priceNumerator: Int128 = 1
        var priceDenominator: Int128 = 1
        var cost: ProviderCost
        /// The per-million prices divided by a million when that is exact (units per token), so
        /// a request's cost needs no 128-bit division; nil otherwise.
        var perToken: (input: Int128, output: Int128)?
        var logMedian = 0.0
        var maxQueue = 0
    }

    let scenario: Scenario
    let router: Router
    let tenants: [String]
    let operations: [String]
    let tagSets: [[String]]
    let tagNames: [String]
    let tagProbabilities: [Double]
    let tenantCDF: [Double]
    let operationCDF: [Double]
    let complianceTags: [(ComplianceSet, Double)]
    let arrivalsProcess: ArrivalProcess
    let recorded: [SimRequest]
    let maxRate: Double
    let timeout: Double
    let failover: Bool
    let availabilityTarget: Double
    let retryPolicy: RoutingRetryPolicy
    let promptMu: Double
    let outputMu: Double
    /// Whether some provider's service time follows the router's prediction (`model`), the only
    /// reader of a request's predicted latencies.
    let predictsService: Bool

    var providers: [ProviderRuntime]
    /// The requests' slab (see ``RequestSlab``); `requests` views it.
    let slab = RequestSlab(capacity: 1024)
    /// The live part of the slab, read and written in place.
    var requests: UnsafeMutableBufferPointer<Request> { slab.buffer }
    var free: [Int32] = []
    var decision: Decision
    /// The arrival, mix and cache streams (drawn here, or ahead on another thread by `pipeline`).
    var source: ArrivalSource
    /// Arrivals generated ahead on a second thread (Poisson and piecewise traffic without bursts).
    let pipeline: ArrivalPipeline?
    /// With `pipeline`, the next arrival (the one `arrivalHead` stands for).
    var pendingArrival = GeneratedArrival(time: .infinity)
    /// With `pipeline`, the block of arrivals being read and the position in it.
    var block = UnsafeBufferPointer<GeneratedArrival>(start: nil, count: 0)
    var blockIndex = 0
    /// The next arrival as the kernel sees it, outside its queue (``Kernel/runMerging(_:until:)``):
    /// its sequence number is taken where it would have been scheduled, so events run in the
    /// same order as with one queued event per arrival. Time +infinity: no arrival is due.
    var arrivalHead = Event(time: .infinity, kind: Kind.arrival.rawValue)
    var serviceRandom: SeededRandom
    var clientRandom: SeededRandom
    var bursting = false
    var nextRecorded = 0
    var cache: LRUCache?
    var zipf: [Double] = []
    /// The request handed to the router, reused: only what differs from the last one is
    /// written, so routing copies and releases no strings (see ``prepareRouteRequest(_:now:)``).
    var routeScratch = RouteRequest()
    var scratchTenant = -1
    var scratchOperation = -1
    var scratchTags = -1
    /// Cost per tenant index (folded into `result.costByTenant` by name at the end), and
    /// whether the tenant had a success (only those get an entry, as before).
    var tenantCost: [Money] = []
    var tenantCharged: [Bool] = []
    var result: ReplicationResult
    var outageIndex: [Int: Int] = [:]     // event index → result.outages index
    var activeOutages: [Int] = []         // indexes into result.outages
    var monitorScheduled = false
    var eventProviders: [[Int]?] = []
    /// Pending attempt deadlines in the order they were set: every attempt has the same timeout,
    /// so deadlines only grow and a FIFO replaces one heap event per attempt.
    var deadlines: [Double] = []
    var deadlineTokens: [Int64] = []
    var deadlineHead = 0
    var deadlineCheckAt = Double.infinity

    init(scenario: Scenario, router: Router, arrivals: ArrivalProcess, replication: Int, streams: RandomStreams,
         catalog: Catalog, availabilityTarget: Double, pipelineArrivals: Bool) {
        self.scenario = scenario
        self.router = router
        arrivalsProcess = arrivals
        self.availabilityTarget = availabilityTarget
        timeout = scenario.client.timeout
        retryPolicy = router.policy.retry
        promptMu = log(scenario.mix.promptTokens.median)
        outputMu = log(scenario.mix.outputTokens.median)
        failover = scenario.client.failover
        predictsService = scenario.providers.contains { if case .model = $0.service { true } else { false } }
        let mix = scenario.mix
        if case .recorded(let reqs, let ts, let ops) = arrivals {
            recorded = reqs
            tenants = ts.isEmpty ? ["default"] : ts
            operations = ops.isEmpty ? ["chat"] : ops
        } else {
            recorded = []
            tenants = mix.tenants.keys.sorted()
            operations = mix.operations.keys.sorted()
        }
        func cdf(_ names: [String], _ weights: [String: Double]) -> [Double] {
            var acc = 0.0
            let total = names.reduce(0) { $0 + (weights[$1] ?? 0) }
            return names.map { acc += (weights[$0] ?? 0) / max(total, 1e-300); return acc }
        }
        tenantCDF = cdf(tenants, mix.tenants)
        operationCDF = cdf(operations, mix.operations)
        let names = mix.tags.keys.sorted()
        tagNames = names
        tagProbabilities = names.map { mix.tags[$0]! }
        let k = min(names.count, 12)
        tagSets = (0..<(1 << k)).map { bits in (0..<k).compactMap { bits & (1 << $0) != 0 ? names[$0] : nil } }
        complianceTags = mix.compliance.keys.sorted { $0.rawValue < $1.rawValue }.map { (ComplianceSet($0), mix.compliance[$0]!) }
        maxRate = arrivals.maxRate
        providers = router.providers.map { p in
            let spec = scenario.providers.first { $0.id == p.id }!
            var runtime = ProviderRuntime(
                station: MultiServerStation(servers: spec.concurrency,
                                            capacity: spec.queueLimit.map { spec.concurrency + $0 }),
                spec: spec, regions: spec.regions.isEmpty ? p.regions : spec.regions, errorRate: spec.errorRate,
                cost: router.policy.costs[p.id] ?? ProviderCost())
            if case .lognormal(let median, _) = spec.service { runtime.logMedian = log(median) }
            let c = runtime.cost
            if c.inputPerMillion.units % 1_000_000 == 0 && c.outputPerMillion.units % 1_000_000 == 0 {
                runtime.perToken = (c.inputPerMillion.units / 1_000_000, c.outputPerMillion.units / 1_000_000)
            }
            return runtime
        }
        // Compact: the simulator reads the admitted provider, its prediction and what is left.
        decision = Decision(seed: streams.stream("router").seed, compact: true)
        routeScratch = RouteRequest(modelFamily: mix.modelFamily, latencySLOMs: mix.sloMs, budgetTag: mix.budgetTag)
        tenantCost = Array(repeating: .zero, count: tenants.count)
        tenantCharged = Array(repeating: false, count: tenants.count)
        var bursts: TrafficSpec.Bursts? = nil
        if case .poisson(_, _, let b) = arrivals { bursts = b }
        source = ArrivalSource(
            process: arrivals, start: scenario.start, duration: scenario.duration, maxRate: arrivals.maxRate,
            burstFactor: bursts?.factor ?? 1, tenantCDF: tenantCDF, operationCDF: operationCDF,
            promptMu: promptMu, promptSigma: mix.promptTokens.sigma, outputMu: outputMu, outputSigma: mix.outputTokens.sigma,
            tagProbabilities: tagProbabilities, complianceTags: complianceTags, drawsCache: scenario.cache != nil,
            drawsServiceNormal: scenario.providers.contains { Self.serviceDraw($0.service) == .normal },
            drawsServiceUniform: scenario.providers.contains { Self.serviceDraw($0.service) == .uniform },
            arrivalsRandom: streams.stream("arrivals"), mixRandom: streams.stream("mix"), cacheRandom: streams.stream("cache"),
            attemptRandom: streams.stream("first-attempt"))
        pipeline = pipelineArrivals && bursts == nil && recorded.isEmpty && maxRate > 0 ? ArrivalPipeline(source: source) : nil
        serviceRandom = streams.stream("service")
        clientRandom = streams.stream("client")
        let seriesCount = max(1, Int((scenario.duration / scenario.seriesInterval).rounded(.up)))
        result = ReplicationResult(replication: replication, seed: streams.seed,
                                   series: IntervalSeries(interval: scenario.seriesInterval, count: seriesCount))
        result.providers = router.providers.map { ProviderResult(provider: $0.id) }
        if case let .lru(capacity, ttl, keySpace, s, _)? = scenario.cache {
            cache = LRUCache(capacity: capacity, ttl: ttl)
            var acc = 0.0
            zipf = (1...keySpace).map { acc += 1 / pow(Double($0), s); return acc }
            let total = acc
            for i in zipf.indices { zipf[i] /= total }
        }
        let runtimes = providers
        eventProviders = scenario.events.map { Self.providersDown(by: $0, router: router, providers: runtimes) }
        for (i, e) in scenario.events.enumerated() {
            switch e.kind {
            case .outage, .regionalOutage:
                outageIndex[i] = result.outages.count
                let label: String
                if case .regionalOutage(let region) = e.kind { label = "region \(region) down" } else { label = "\(e.provider ?? "?") down" }
                result.outages.append(OutageResult(event: i, label: label, start: e.start, end: min(e.end, scenario.duration)))
            default: break
            }
        }
    }

    /// Schedules the first events.
    mutating func prime(_ k: inout Kernel) {
        switch arrivalsProcess {
        case .recorded:
            if !recorded.isEmpty { setNextArrival(at: recorded[0].time, &k) }
        default:
            if pipeline != nil {
                pendingArrival = generatedArrival()
                if pendingArrival.time.isFinite { setNextArrival(at: pendingArrival.time, &k) }
            } else {
                scheduleNextArrival(&k, after: 0)
            }
            if case .poisson(_, _, let bursts?) = arrivalsProcess {
                k.schedule(at: source.arrivalsRandom.exponential(rate: 1 / bursts.every), kind: Kind.burstToggle.rawValue)
            }
        }
        if scenario.warmup > 0 { k.schedule(at: scenario.warmup, priority: -2, kind: Kind.warmupEnd.rawValue) }
        for (i, e) in scenario.events.enumerated() {
            k.schedule(at: e.start, priority: -1, kind: Kind.eventStart.rawValue, target: Int32(i))
            if e.end < scenario.duration {
                k.schedule(at: e.end, priority: -1, kind: Kind.eventEnd.rawValue, target: Int32(i))
            }
        }
    }

    // MARK: - Event dispatch

    mutating func handle(_ e: Event, _ k: inout Kernel) {
        switch Kind(rawValue: e.kind)! {
        case .arrival: arrival(e, &k)
        case .serviceDone: serviceDone(e, &k)
        case .timeout: attemptTimedOut(e, &k)
        case .retry: retry(Int(e.payload), &k)
        case .fastFail: fastFail(e, &k)
        case .eventStart: eventStart(Int(e.target), &k)
        case .eventEnd: eventEnd(Int(e.target), &k)
        case .monitor: monitor(&k)
        case .burstToggle:
            if case .poisson(_, _, let bursts?) = arrivalsProcess {
                bursting.toggle()
                let mean = bursting ? bursts.meanDuration : bursts.every
                k.schedule(after: source.arrivalsRandom.exponential(rate: 1 / mean), kind: Kind.burstToggle.rawValue)
                // The pending arrival was drawn at the old rate. No arrival came between its
                // draw and now, and the process is memoryless, so the next one is drawn again
                // from now at the new rate; keeping it lost about (factor − 1) arrivals a burst.
                arrivalHead.time = .infinity
                scheduleNextArrival(&k, after: k.now)
            }
        case .warmupEnd:
            // Time averages (utilisation, queue length) cover what the request statistics
            // cover: the time after the warm-up.
            for i in providers.indices { providers[i].station.resetStatistics(at: k.now) }
        }
    }

    // MARK: - Arrivals

    mutating func scheduleNextArrival(_ k: inout Kernel, after t0: Double) {
        if let t = source.nextTime(after: t0, bursting: bursting) { setNextArrival(at: t, &k) }
    }

    /// Makes the next arrival due at `t`, in place of scheduling an event for it.
    @inline(__always)
    mutating func setNextArrival(at t: Double, _ k: inout Kernel) {
        precondition(t >= k.now, "cannot schedule an arrival at \(t), before now (\(k.now))")
        arrivalHead = Event(time: t, kind: Kind.arrival.rawValue, seq: k.reserveSequence())
    }

    var streamHead: Event { arrivalHead }

    /// The pipeline's next arrival, read from its current block (a new block every 4,096).
    @inline(__always)
    mutating func generatedArrival() -> GeneratedArrival {
        if blockIndex == block.count {
            block = pipeline.unsafelyUnwrapped.nextBlock()
            blockIndex = 0
        }
        blockIndex += 1
        return block[blockIndex - 1]
    }

    mutating func handleStreamHead(_ k: inout Kernel) {
        let e = arrivalHead
        arrivalHead.time = .infinity
        arrival(e, &k)
    }

    mutating func arrival(_ e: Event, _ k: inout Kernel) {
        let now = k.now
        var r = Request()
        r.arrival = now
        var a: GeneratedArrival
        if pipeline != nil {
            a = pendingArrival
            pendingArrival = generatedArrival()
            if pendingArrival.time.isFinite { setNextArrival(at: pendingArrival.time, &k) }
        } else if recorded.isEmpty {
            scheduleNextArrival(&k, after: now)
            a = GeneratedArrival(time: now)
            source.draw(&a, recorded: false)
        } else {
            let rec = recorded[nextRecorded]
            nextRecorded += 1
            if nextRecorded < recorded.count, recorded[nextRecorded].time < scenario.duration {
                setNextArrival(at: max(now, recorded[nextRecorded].time), &k)
            }
            a = GeneratedArrival(time: now, prompt: rec.promptTokens, output: rec.outputTokens, tenant: rec.tenant,
                                 operation: rec.operation)
            source.draw(&a, recorded: true)
        }
        r.tenant = a.tenant
        r.operation = a.operation
        r.prompt = a.prompt
        r.output = a.output
        r.tagBits = a.tagBits
        r.compliance = a.compliance
        r.firstNormal = a.serviceNormal
        r.firstUniform = a.serviceUniform
        r.firstError = a.errorUniform
        r.counted = now >= scenario.warmup
        if r.counted {
            result.requests += 1
            let i = seriesIndex(now)
            result.series.arrivals[i] += 1
            for o in activeOutages { result.outages[o].requests += 1 }
        }

        // The cache.
        if let spec = scenario.cache {
            switch spec {
            case let .hitRatio(ratio, latencyMs):
                if a.cacheUniform < ratio { cacheHit(r, latencyMs: latencyMs, now: now); return }
            case let .lru(_, _, _, _, latencyMs):
                let key = Int32(ArrivalSource.pick(zipf, a.cacheUniform))
                r.cacheKey = key
                if cache!.lookup(Int(key), now: now) { cacheHit(r, latencyMs: latencyMs, now: now); return }
            }
        }

        let slot = allocate(r)
        router.requestStarted()
        route(slot, &k)
    }

    mutating func cacheHit(_ r: Request, latencyMs: Double, now: Double) {
        guard r.counted else { return }
        result.cacheHits += 1
        result.successes += 1
        record(latencyMs: latencyMs, at: now, success: true)
        if let slo = scenario.mix.sloMs, latencyMs <= slo { result.withinSLO += 1 }
    }

    mutating func allocate(_ r: Request) -> Int {
        if let slot = free.popLast() {
            // Keep the slot's attempt serial rising, so events of its previous request stay stale.
            var fresh = r
            fresh.serial = requests[Int(slot)].serial &+ 1
            requests[Int(slot)] = fresh
            return Int(slot)
        }
        return slab.append(r)
    }

    // MARK: - Routing and attempts

    @inline(__always)
    func micros(_ t: Double) -> Int64 { scenario.start + Int64((t * 1e6).rounded()) }

    /// Writes request `r` at `now` into ``routeScratch``: the numbers always, the tenant,
    /// operation and tags only when they differ from the previous request's.
    @inline(__always)
    mutating func prepareRouteRequest(_ slot: Int, now: Double) {
        // Read in place (a copy of the request was a memcpy per routing).
        let r = requests.baseAddress.unsafelyUnwrapped + slot
        let tenant = Int(r.pointee.tenant), operation = Int(r.pointee.operation)
        let tags = Int(r.pointee.tagBits) & (tagSets.count - 1)
        if tenant != scratchTenant { routeScratch.tenant = tenants[tenant]; scratchTenant = tenant }
        if operation != scratchOperation { routeScratch.operation = operations[operation]; scratchOperation = operation }
        if tags != scratchTags { routeScratch.tags = tagSets[tags]; scratchTags = tags }
        routeScratch.promptTokens = Int(r.pointee.prompt)
        routeScratch.expectedOutputTokens = Int(r.pointee.output)
        routeScratch.compliance = ComplianceSet(rawValue: r.pointee.compliance)
        routeScratch.timestamp = micros(now)
    }

    /// Asks the router for a ranking and sends the first admitted attempt.
    mutating func route(_ slot: Int, _ k: inout Kernel) {
        let now = k.now
        prepareRouteRequest(slot, now: now)
        requests[slot].routings += 1
        let ts = micros(now)
        guard let ticket = router.route(routeScratch, now: ts, into: &decision) else {
            let quota = decision.rejection != nil
            attemptFailed(slot, status: quota ? .rateLimited : .error, unroutable: true, quota: quota, &k)
            return
        }
        // Keep the remaining candidates for failover.
        requests[slot].remaining = decision.remaining
        if predictsService, let p = decision.selectedPrediction {
            requests[slot].predictedMs = p.expectedLatencyMs
            requests[slot].predictedTailMs = p.tailLatencyMs
        }
        send(slot, ticket, &k)
    }

    /// Sends an admitted attempt to its provider's station.
    mutating func send(_ slot: Int, _ ticket: Ticket, _ k: inout Kernel) {
        let now = k.now
        let i = ticket.index
        requests[slot].attempts += 1
        requests[slot].serial &+= 1
        requests[slot].provider = Int32(i)
        requests[slot].probe = ticket.isProbe
        requests[slot].ticketPredictedMs = Float(ticket.predictedMs)
        requests[slot].attemptStart = now
        let token = Self.token(slot, requests[slot].serial)
        if requests[slot].counted {
            result.attempts += 1
            result.providers[i].attempts += 1
        }
        if providers[i].down > 0 {
            k.schedule(at: now, priority: 1, kind: Kind.fastFail.rawValue, target: Int32(i), payload: token)
            return
        }
        switch providers[i].station.arrive(token, at: now) {
        case .started:
            k.schedule(after: serviceTime(i, slot), kind: Kind.serviceDone.rawValue, target: Int32(i), payload: token)
        case .queued:
            providers[i].maxQueue = max(providers[i].maxQueue, providers[i].station.queueLength)
        case .blocked:
            // The queue is full: the provider answers 429 at once.
            k.schedule(at: now, priority: 1, kind: Kind.fastFail.rawValue, target: Int32(-1 - i), payload: token)
            return
        }
        if timeout.isFinite { addDeadline(now + timeout, token, &k) }
    }

    static func token(_ slot: Int, _ serial: UInt32) -> Int64 { Int64(slot) << 24 | Int64(serial & 0xFF_FFFF) }
    static func slot(of token: Int64) -> Int { Int(token >> 24) }

    /// Whether `token` is the request's current attempt (not finished, timed out or superseded).
    @inline(__always)
    func isCurrent(_ token: Int64) -> Bool {
        let slot = Self.slot(of: token)
        guard slot < requests.count else { return false }
        return requests[slot].provider >= 0 && Self.token(slot, requests[slot].serial) == token
    }

    /// What a service time is drawn from.
    enum ServiceDraw { case normal, uniform, none }

    static func serviceDraw(_ service: ServiceTime) -> ServiceDraw {
        switch service {
        case .lognormal, .model: return .normal
        case .exponential, .empirical: return .uniform
        case .fromStore: return .none
        }
    }

    /// The standard normal for the attempt `slot` starts: drawn with the arrival for the first
    /// attempt (on the arrival thread when arrivals are generated ahead), else drawn now.
    @inline(__always)
    mutating func serviceNormal(_ slot: Int) -> Double {
        requests[slot].attempts == 1 ? requests[slot].firstNormal : source.normals.next(&serviceRandom)
    }

    /// The uniform in [0, 1) for the attempt `slot` starts, as ``serviceNormal(_:)``.
    @inline(__always)
    mutating func serviceUniform(_ slot: Int) -> Double {
        requests[slot].attempts == 1 ? requests[slot].firstUniform : serviceRandom.uniform()
    }

    mutating func serviceTime(_ i: Int, _ slot: Int) -> Double {
        let ms: Double
        switch providers[i].spec.service {
        case .exponential(let mean): ms = -log1p(-serviceUniform(slot)) * mean
        case .lognormal(_, let sigma): ms = exp(providers[i].logMedian + sigma * serviceNormal(slot))
        case .empirical(let q):
            let u = serviceUniform(slot) * Double(q.count - 1)
            let j = Int(u)
            ms = j + 1 < q.count ? q[j] + (q[j + 1] - q[j]) * (u - Double(j)) : q[q.count - 1]
        case .model(let fallback):
            let mean = requests[slot].predictedMs > 0 ? requests[slot].predictedMs : fallback
            let tail = requests[slot].predictedTailMs > mean ? requests[slot].predictedTailMs : mean
            // Lognormal with the predicted mean and 95th percentile.
            let sigma = max(0, (log(tail) - log(mean)) / 1.6448536269514722)
            let s = min(sigma, 3)
            let mu = log(mean) - s * s / 2
            ms = exp(mu + s * serviceNormal(slot))
        case .fromStore:
            ms = 1_000
        }
        return max(0, ms) / 1_000 * providers[i].latencyFactor
    }

    // MARK: - Outcomes

    mutating func serviceDone(_ e: Event, _ k: inout Kernel) {
        let i = Int(e.target)
        let now = k.now
        // Free the server and start the next live request in line (skipping ones whose client gave up).
        providers[i].station.release(at: now)
        startQueued(i, &k)
        let token = e.payload
        guard isCurrent(token) else { return }
        let slot = Self.slot(of: token)
        let u = requests[slot].attempts == 1 ? requests[slot].firstError : serviceRandom.uniform()
        let failed = u < providers[i].errorRate
        if failed {
            attemptFailed(slot, status: .error, &k)
        } else {
            succeeded(slot, &k)
        }
    }

    mutating func startQueued(_ i: Int, _ k: inout Kernel) {
        let now = k.now
        while let next = providers[i].station.startNext(at: now) {
            if isCurrent(next.id) {
                k.schedule(after: serviceTime(i, Self.slot(of: next.id)), kind: Kind.serviceDone.rawValue,
                           target: Int32(i), payload: next.id)
                return
            }
            providers[i].station.release(at: now)   // the client is gone: nothing to serve
        }
    }

    mutating func addDeadline(_ at: Double, _ token: Int64, _ k: inout Kernel) {
        if deadlineHead > 4_096 && deadlineHead * 2 > deadlines.count {
            deadlines.removeFirst(deadlineHead)
            deadlineTokens.removeFirst(deadlineHead)
            deadlineHead = 0
        }
        deadlines.append(at)
        deadlineTokens.append(token)
        if deadlineCheckAt == .infinity {
            deadlineCheckAt = at
            k.schedule(at: at, kind: Kind.timeout.rawValue)
        }
    }

    /// Times out every attempt whose deadline has come and is still current, then schedules the
    /// next check at the first deadline whose attempt is still pending. Attempts that already
    /// ended are passed over without an event of their own: a token never becomes current again,
    /// and most attempts end long before their timeout, so this saves about one event per attempt.
    mutating func attemptTimedOut(_ e: Event, _ k: inout Kernel) {
        let now = k.now
        while deadlineHead < deadlines.count && deadlines[deadlineHead] <= now {
            let token = deadlineTokens[deadlineHead]
            deadlineHead += 1
            if isCurrent(token) { attemptFailed(Self.slot(of: token), status: .timeout, &k) }
        }
        while deadlineHead < deadlines.count && !isCurrent(deadlineTokens[deadlineHead]) { deadlineHead += 1 }
        if deadlineHead < deadlines.count {
            deadlineCheckAt = deadlines[deadlineHead]
            k.schedule(at: deadlineCheckAt, kind: Kind.timeout.rawValue)
        } else {
            deadlineCheckAt = .infinity
        }
    }

    mutating func fastFail(_ e: Event, _ k: inout Kernel) {
        guard isCurrent(e.payload) else { return }
        let slot = Self.slot(of: e.payload)
        if e.target < 0 {
            if requests[slot].counted { result.providers[Int(-1 - e.target)].rejected += 1 }
            attemptFailed(slot, status: .rateLimited, &k)
        } else {
            if requests[slot].counted { result.providers[Int(e.target)].refusedDown += 1 }
            attemptFailed(slot, status: .error, &k)
        }
    }

    mutating func succeeded(_ slot: Int, _ k: inout Kernel) {
        let now = k.now
        let r = requests[slot]
        let i = Int(r.provider)
        let latencyMs = (now - r.attemptStart) * 1_000
        var ticket = Ticket(index: i, provider: "", isProbe: r.probe)
        ticket.predictedMs = Double(r.ticketPredictedMs)
        router.complete(ticket, status: .ok, latencyMs: latencyMs,
                        inputTokens: Int(r.prompt), outputTokens: Int(r.output), budgetTag: scenario.mix.budgetTag,
                        now: micros(now))
        if r.inRetry { router.retryFinished() }
        router.requestFinished()
        if let c = cache, r.cacheKey >= 0 { _ = c; cache!.insert(Int(r.cacheKey), now: now) }
        if r.counted {
            let total = (now - r.arrival) * 1_000
            result.successes += 1
            result.providers[i].successes += 1
            _ = result.providers[i].latency.record(UInt64(max(1, latencyMs * 1_000)))
            record(latencyMs: total, at: now, success: true)
            if let slo = scenario.mix.sloMs, total <= slo { result.withinSLO += 1 }
            // Equal to `ProviderCost.cost`: with exact per-token prices the sum divides exactly.
            let cost: Money
            if let p = providers[i].perToken {
                cost = Money(units: p.input * Int128(r.prompt) + p.output * Int128(r.output)) + providers[i].cost.perRequest
            } else {
                cost = providers[i].cost.cost(inputTokens: Int(r.prompt), outputTokens: Int(r.output))
            }
            var scaledCost: Money? = cost
            if providers[i].priceNumerator != providers[i].priceDenominator {
                scaledCost = Self.scaled(cost, providers[i].priceNumerator, providers[i].priceDenominator)
            }
            // Exact sums trap past ±1.7 × 10¹⁴ USD (billions of tokens at the price cap, say):
            // the first sum that would leave the range marks the replication, whose costs then
            // stay as they were; `Simulator.checkCosts` refuses the run.
            if !result.costOverflow, let charged = scaledCost, let total = result.cost.addingReportingOverflow(charged),
               let provider = result.providers[i].cost.addingReportingOverflow(charged),
               let tenant = tenantCost[Int(r.tenant)].addingReportingOverflow(charged) {
                result.cost = total
                result.providers[i].cost = provider
                tenantCost[Int(r.tenant)] = tenant
            } else {
                result.costOverflow = true
            }
            tenantCharged[Int(r.tenant)] = true
            if r.failedOnce {
                for o in activeOutages where r.arrival >= result.outages[o].start { result.outages[o].recoveredByFailover += 1 }
            }
            for o in activeOutages where result.outages[o].timeToDetect != nil && result.outages[o].timeToFailover == nil {
                if let down = outageProviders(result.outages[o].event), !down.contains(i) {
                    result.outages[o].timeToFailover = now - result.outages[o].start
                }
            }
        }
        finish(slot)
    }

    mutating func attemptFailed(_ slot: Int, status: RequestStatus, unroutable: Bool = false, quota: Bool = false, _ k: inout Kernel) {
        let now = k.now
        var r = requests[slot]
        if !unroutable {
            let i = Int(r.provider)
            router.complete(Ticket(index: i, provider: "", isProbe: r.probe), status: status,
                            latencyMs: (now - r.attemptStart) * 1_000, now: micros(now))
            if r.counted {
                if status == .timeout { result.providers[i].timeouts += 1 } else if status == .error { result.providers[i].errors += 1 }
            }
        }
        r.provider = -1
        r.serial &+= 1      // outdates the attempt's pending events
        r.failedOnce = true
        r.lastStatus = status
        requests[slot] = r
        if quota {
            if r.counted { result.rejectedByQuota += 1 }
            giveUp(slot, status: status, unroutable: false, quota: true, at: now)
            return
        }
        // Fail over to the next candidate the router admits.
        if failover && !unroutable {
            if let ticket = router.failover(&requests[slot].remaining, now: micros(now)) {
                if requests[slot].counted { result.failovers += 1 }
                send(slot, ticket, &k)
                return
            }
        }
        // Retry with backoff if the policy and the retry budget allow.
        if r.inRetry { router.retryFinished(); requests[slot].inRetry = false }
        if router.shouldRetry(status, attempts: Int(requests[slot].routings)) {
            requests[slot].inRetry = true
            if r.counted { result.retries += 1 }
            let wait = Double(router.backoff(retry: Int(requests[slot].routings), random: &clientRandom)) / 1e6
            k.schedule(after: wait, kind: Kind.retry.rawValue, payload: Int64(slot))
            return
        }
        if r.counted && retryPolicy.shouldRetry(status, attempts: Int(requests[slot].routings)) {
            result.retriesDenied += 1
        }
        giveUp(slot, status: status, unroutable: unroutable, quota: false, at: now)
    }

    mutating func retry(_ slot: Int, _ k: inout Kernel) {
        route(slot, &k)
    }

    mutating func giveUp(_ slot: Int, status: RequestStatus, unroutable: Bool, quota: Bool, at now: Double) {
        let r = requests[slot]
        // A retry that ends here (a quota refusal ends the request before the retry rule runs)
        // gives its slot in the retry budget back, as a retry that succeeds does.
        if r.inRetry {
            router.retryFinished()
            requests[slot].inRetry = false
        }
        router.requestFinished()
        if r.counted {
            if quota {
                // counted by the caller
            } else if unroutable {
                result.unroutable += 1
            } else if status == .timeout {
                result.timeouts += 1
            } else {
                result.errors += 1
            }
            record(latencyMs: (now - r.arrival) * 1_000, at: now, success: false)
            for o in activeOutages where r.arrival >= result.outages[o].start { result.outages[o].failed += 1 }
        }
        finish(slot)
    }

    mutating func finish(_ slot: Int) {
        requests[slot].provider = -1
        requests[slot].serial &+= 1
        free.append(Int32(slot))
    }

    mutating func record(latencyMs: Double, at now: Double, success: Bool) {
        let i = seriesIndex(now)
        if success {
            _ = result.latency.record(UInt64(max(1, latencyMs * 1_000)))
            result.series.successes[i] += 1
            result.series.latencySumMs[i] += latencyMs
            result.series.latencyBuckets[i][IntervalSeries.bucket(ms: latencyMs)] += 1
        } else {
            result.series.failures[i] += 1
        }
    }

    @inline(__always)
    func seriesIndex(_ t: Double) -> Int {
        min(result.series.arrivals.count - 1, max(0, Int(t / scenario.seriesInterval)))
    }

    // MARK: - Scenario events

    /// The providers an outage event takes down (precomputed; nil for other events).
    @inline(__always)
    func outageProviders(_ event: Int) -> [Int]? { eventProviders[event] }

    static func providersDown(by e: ScenarioEvent, router: Router, providers: [ProviderRuntime]) -> [Int]? {
        switch e.kind {
        case .outage: return router.providers.indices.filter { router.providers[$0].id == e.provider }
        case .regionalOutage(let region):
            return providers.indices.filter { providers[$0].regions == [region] }
        default: return nil
        }
    }

    mutating func eventStart(_ index: Int, _ k: inout Kernel) {
        let e = scenario.events[index]
        switch e.kind {
        case .outage, .regionalOutage:
            for i in outageProviders(index) ?? [] {
                providers[i].down += 1
                failInFlight(i, &k)
            }
            if let o = outageIndex[index] {
                activeOutages.append(o)
                if !monitorScheduled {
                    monitorScheduled = true
                    k.schedule(after: 0.1, kind: Kind.monitor.rawValue)
                }
            }
        case let .degradation(factor, errorRate):
            for i in providers.indices where router.providers[i].id == e.provider {
                providers[i].latencyFactor = factor
                if let p = errorRate { providers[i].errorRate = p }
            }
        case .priceChange(let factor):
            let (num, den) = Self.fraction(factor)
            for i in providers.indices where router.providers[i].id == e.provider {
                providers[i].priceNumerator = num
                providers[i].priceDenominator = den
            }
        }
    }

    mutating func eventEnd(_ index: Int, _ k: inout Kernel) {
        let e = scenario.events[index]
        switch e.kind {
        case .outage, .regionalOutage:
            for i in outageProviders(index) ?? [] { providers[i].down -= 1 }
            if let o = outageIndex[index] { activeOutages.removeAll { $0 == o } }
        case .degradation:
            for i in providers.indices where router.providers[i].id == e.provider {
                providers[i].latencyFactor = 1
                providers[i].errorRate = providers[i].spec.errorRate
            }
        case .priceChange:
            for i in providers.indices where router.providers[i].id == e.provider {
                providers[i].priceNumerator = 1
                providers[i].priceDenominator = 1
            }
        }
    }

    /// `cost × numerator / denominator` rounded toward zero (costs and factors are positive),
    /// through a 256-bit product; nil when the result leaves `Money`'s range.
    static func scaled(_ cost: Money, _ numerator: Int128, _ denominator: Int128) -> Money? {
        guard cost.units >= 0, numerator >= 0, denominator > 0 else { return nil }
        let product = UInt128(cost.units).multipliedFullWidth(by: UInt128(numerator))
        let d = UInt128(denominator)
        guard product.high < d else { return nil }
        let q = d.dividingFullWidth(product).quotient
        return q <= UInt128(Int128.max) ? Money(units: Int128(q)) : nil
    }

    /// A factor's shortest decimal form as a reduced fraction: 1.3 → 13/10, 0.875 → 7/8.
    static func fraction(_ factor: Double) -> (Int128, Int128) {
        let m = Money(String(factor)) ?? Money(whole: 1)
        var num = m.units, den = Money.unitsPerWhole
        var a = num < 0 ? -num : num, b = den
        while b != 0 { (a, b) = (b, a % b) }
        if a > 1 { num /= a; den /= a }
        return (num, den)
    }

    /// A provider going down fails every attempt it holds, queued or in service.
    mutating func failInFlight(_ i: Int, _ k: inout Kernel) {
        for slot in requests.indices where requests[slot].provider == Int32(i) {
            let token = Self.token(slot, requests[slot].serial)
            k.schedule(at: k.now, priority: 1, kind: Kind.fastFail.rawValue, target: Int32(i), payload: token)
        }
    }

    /// Watches active outages every 100 ms of simulated time for detection.
    mutating func monitor(_ k: inout Kernel) {
        let now = k.now
        for o in activeOutages where result.outages[o].timeToDetect == nil {
            let down = outageProviders(result.outages[o].event) ?? []
            if !down.isEmpty && down.allSatisfy({ router.isUnhealthy($0, now: micros(now)) }) {
                result.outages[o].timeToDetect = now - result.outages[o].start
            }
        }
        if activeOutages.isEmpty {
            monitorScheduled = false
        } else {
            k.schedule(after: 0.1, kind: Kind.monitor.rawValue)
        }
    }

    // MARK: - The end

    mutating func finalize(_ k: Kernel) {
        pipeline?.stop()
        let end = k.now
        result.events = k.processed
        for t in tenants.indices where tenantCharged[t] { result.costByTenant[tenants[t], default: .zero] += tenantCost[t] }
        result.simulatedSeconds = max(0, min(end, scenario.duration) - scenario.warmup)
        let health = router.health(now: micros(end))
        for i in providers.indices {
            result.providers[i].utilisation = providers[i].station.utilisation(at: end)
            result.providers[i].meanQueue = providers[i].station.meanQueueLength(at: end)
            result.providers[i].maxQueue = providers[i].maxQueue
            result.providers[i].breakerTrips = health[i].trips
            result.providers[i].breakerTransitions = health[i].transitions
            result.providers[i].ejections = health[i].ejections
        }
        let budget = (1 - availabilityTarget) * Double(result.requests)
        for o in result.outages.indices {
            result.outages[o].errorBudgetBurned = budget > 0 ? Double(result.outages[o].failed) / budget : 0
        }
    }
}

/// The simulator's per-request state in one block of memory that grows by doubling, read and
/// written through a pointer: a `[Request]` checked its uniqueness and bounds on each of the
/// dozen or so field writes per attempt. Owned by one ``ScenarioModel`` (which is never copied
/// while it runs).
final class RequestSlab {
    private var base: UnsafeMutablePointer<ScenarioModel.Request>
    private var capacity: Int
    private var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// The requests so far, in slot order.
    var buffer: UnsafeMutableBufferPointer<ScenarioModel.Request> {
        @inline(__always) get { UnsafeMutableBufferPointer(start: base, count: count) }
    }

    /// Adds a request in a new slot and returns the slot.
    func append(_ r: ScenarioModel.Request) -> Int {
        if count == capacity {
            let bigger = UnsafeMutablePointer<ScenarioModel.Request>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: base, count: count)
            base.deallocate()
            base = bigger
            capacity *= 2
        }
        (base + count).initialize(to: r)
        count += 1
        return count - 1
    }
}

/// A least-recently-used cache of keys with a time to live, in arrays (no per-entry objects).
struct LRUCache {
    let capacity: Int
    let ttl: Double
    var slotOf: [Int: Int] = [:]
    var keys: [Int] = []
    var inserted: [Double] = []
    var prev: [Int] = []
    var next: [Int] = []
    var head = -1   // most recent
    var tail = -1   // least recent

    init(capacity: Int, ttl: Double) {
        self.capacity = capacity
        self.ttl = ttl
    }

    /// Whether `key` is cached and fresh at `now`; a hit becomes the most recent.
    mutating func lookup(_ key: Int, now: Double) -> Bool {
        guard let s = slotOf[key] else { return false }
        if now - inserted[s] >= ttl { return false }
        unlink(s)
        pushFront(s)
        return true
    }

    mutating func insert(_ key: Int, now: Double) {
        if let s = slotOf[key] {
            inserted[s] = now
            unlink(s)
            pushFront(s)
            return
        }
        let s: Int
        if keys.count < capacity {
            s = keys.count
            keys.append(key); inserted.append(now); prev.append(-1); next.append(-1)
        } else {
            s = tail
            unlink(s)
            slotOf[keys[s]] = nil
            keys[s] = key
            inserted[s] = now
        }
        slotOf[key] = s
        pushFront(s)
    }

    private mutating func unlink(_ s: Int) {
        if prev[s] >= 0 { next[prev[s]] = next[s] } else if head == s { head = next[s] }
        if next[s] >= 0 { prev[next[s]] = prev[s] } else if tail == s { tail = prev[s] }
        prev[s] = -1
        next[s] = -1
    }

    private mutating func pushFront(_ s: Int) {
        next[s] = head
        prev[s] = -1
        if head >= 0 { prev[head] = s }
        head = s
        if tail < 0 { tail = s }
    }
}
