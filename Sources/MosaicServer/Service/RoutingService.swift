import Foundation
import Hummingbird
import Logging
import MosaicCore
import MosaicRouting
import MosaicStore
import Synchronization

/// What `mosaic serve` is given.
public struct ServeOptions: Sendable {
    /// The routing model file (`mosaic train routing` writes one).
    public var modelPath: String
    /// The policy YAML; nil means the built-in example policy (`mosaic policy example`).
    public var policyPath: String?
    public var catalog: Catalog
    /// The store outcomes are appended to; nil: outcomes update the router only.
    public var storePath: String?
    /// The bearer token `POST /admin/reload` requires; nil: the endpoint always answers 401.
    public var adminToken: String?
    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 8080
    /// Largest request body accepted (413 beyond).
    public var maxBodyBytes = 64 * 1024
    /// Idle keep-alive connections are closed after this long.
    public var idleTimeoutSeconds: Int64 = 60
    /// How long graceful shutdown waits for in-flight requests before it cancels them.
    public var shutdownTimeoutSeconds: Int64 = 15
    /// How often the model and policy files are checked for changes; nil: no file watch.
    public var watchIntervalSeconds: Double? = 1
    /// A decision not reported within this long releases its admission (in-flight count,
    /// half-open probe) as cancelled; a later report of it is refused with 404.
    public var decisionTTLSeconds: Double = 300
    /// Decisions remembered for outcome reports (a ring; the oldest is released first).
    public var pendingCapacity = 1 << 16
    /// Seed of the decision buffers' random streams (weighted choice, slow start…).
    public var seed: UInt64 = 1
    /// Outcome writer: rows per transaction at most, wait between batches, queue bound.
    public var writerBatchSize = 1024
    public var writerIntervalSeconds = 0.2
    public var writerQueueLimit = 200_000
    /// On a PostgreSQL store, the longest one statement of the outcome writer or the fleet
    /// waits for the server (``Database/answerTimeout``), seconds: an unreachable or hung server
    /// answers outcome reports with 503 within this long instead of holding them, and lets
    /// shutdown finish.
    public var storeTimeoutSeconds = 5.0
    /// When `POST /v1/outcome` answers 200: once the row is committed (the default), or once
    /// it is queued in memory (faster; a crash loses what is queued). Benchmarks compare them.
    public var outcomeAcknowledgement = OutcomeAcknowledgement.committed
    /// Adds `POST /bench/echo` (answers the request body): the HTTP floor for benchmarks.
    public var echoEndpoint = false
    /// `POST /v1/route` (and the echo) are answered by a channel handler on the event loop that
    /// decoded them, not through the Hummingbird router (the same answers; see
    /// ``DirectRouteHandler``). Off: every request goes through the router.
    public var directRoutes = true
    /// Leases of shared quotas and budgets, when the store is PostgreSQL (a fleet).
    public var fleet = FleetOptions()
    /// Open connections at most (nil: 16,384, lowered to fit the open-file limit); at the limit
    /// new connections wait in the listen backlog and a warning is logged.
    public var maxConnections: Int?
    /// A request must arrive whole (head and body) within this long of its first byte; slower
    /// clients are disconnected (the slow-loris defence).
    public var requestTimeoutSeconds = 10.0
    /// Largest request head (request line and header fields) in bytes; a larger one closes the
    /// connection.
    public var maxHeaderBytes = 16 * 1024
    /// Admin endpoints also answer clients on other hosts (only matters when `host` is not a
    /// loopback address; by default they answer loopback clients only).
    public var adminAllowRemote = false
    /// The clock the router reads (µs since the epoch); tests inject a fixed one.
    public var clock: @Sendable () -> Int64 = { Timestamp.now() }
    /// The gateway file (`--gateway`): adds the OpenAI-compatible endpoints; nil: none.
    public var gatewayPath: String?

    public init(modelPath: String, policyPath: String? = nil, catalog: Catalog = .default, storePath: String? = nil,
                adminToken: String? = nil) {
        self.modelPath = modelPath
        self.policyPath = policyPath
        self.catalog = catalog
        self.storePath = storePath
        self.adminToken = adminToken
    }
}

/// When the outcome endpoint answers: see ``ServeOptions/outcomeAcknowledgement``.
public enum OutcomeAcknowledgement: String, Sendable, CaseIterable {
    /// After the transaction holding the row has committed (group commit).
    case committed
    /// After the row is queued in memory.
    case queued
}

/// A model and policy compiled into a router: what one reload swaps in, all at once.
///
/// Breaker state on reload: a new bundle starts with fresh router state (breakers closed,
/// EWMAs at the policy's default latency, rate-limit buckets full), because `Router` keeps its
/// state inside and has no way to hand it over. Decisions made by the old bundle still complete
/// on the old router (the pending table keeps it alive), so in-flight counts stay balanced.
public final class LoadedBundle: Sendable {
    public let router: MosaicRouting.Router
    public let model: RoutingModel
    public let policy: RoutingPolicy
    public let modelPath: String
    public let policyPath: String?
    /// Counts successful loads in this process: 1 at startup.
    public let generation: Int
    public let loadedAt: Int64
    /// Read, parse, validate and compile, seconds.
    public let loadSeconds: Double
    /// The policy lists tenants and has no `*` entry: other tenants are refused.
    let closedTenants: Bool
    /// The catalog the router was compiled with, and every capability its providers list.
    let catalog: Catalog
    let capabilities: Set<String>
    let strategyReason: String
    let ruleReasons: [String: String]

    init(router: MosaicRouting.Router, model: RoutingModel, policy: RoutingPolicy, catalog: Catalog, modelPath: String, policyPath: String?,
         generation: Int, loadedAt: Int64, loadSeconds: Double) {
        self.catalog = catalog
        capabilities = catalog.capabilities
        self.router = router
        self.model = model
        self.policy = policy
        self.modelPath = modelPath
        self.policyPath = policyPath
        self.generation = generation
        self.loadedAt = loadedAt
        self.loadSeconds = loadSeconds
        closedTenants = !policy.tenants.isEmpty && policy.tenants["*"] == nil
        strategyReason = "strategy:" + policy.strategy.name
        var reasons: [String: String] = [:]
        for r in policy.rules { reasons[r.name] = "rule:" + r.name }
        ruleReasons = reasons
    }

    /// Reads, parses and validates a model and a policy completely, then compiles the router.
    /// Nothing is shared with a running bundle, so a failure here changes nothing.
    public static func load(modelPath: String, policyPath: String?, catalog: Catalog, now: Int64,
                            generation: Int, sharedLimits: SharedLimits? = nil) throws(LoadError) -> LoadedBundle {
        let start = DispatchTime.now().uptimeNanoseconds
        guard let data = FileManager.default.contents(atPath: modelPath) else {
            throw LoadError(file: modelPath, reason: FileManager.default.fileExists(atPath: modelPath)
                                ? "cannot read the model file" : "no such model file")
        }
        let model: RoutingModel
        do { model = try RoutingModel.decode(data) } catch { throw LoadError(file: modelPath, reason: error.description) }
        let policy: RoutingPolicy
        do {
            if let policyPath {
                policy = try RoutingPolicy.load(path: policyPath, catalog: catalog)
            } else {
                policy = try RoutingPolicy(yaml: RoutingPolicy.exampleYAML, source: "example-policy.yaml", catalog: catalog)
            }
        } catch {
            throw LoadError(file: policyPath ?? "example-policy.yaml", reason: error.description)
        }
        let router: MosaicRouting.Router
        do { router = try MosaicRouting.Router(policy: policy, catalog: catalog, model: model, now: now, sharedLimits: sharedLimits) } catch {
            throw LoadError(file: policyPath ?? "example-policy.yaml", reason: error.description)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return LoadedBundle(router: router, model: model, policy: policy, catalog: catalog, modelPath: modelPath, policyPath: policyPath,
                            generation: generation, loadedAt: now, loadSeconds: seconds)
    }
}

/// Why a model or policy could not be loaded.
public struct LoadError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var reason: String
    /// `file: reason`, or the reason alone when it already starts with the file name (a
    /// policy's errors read `policy.yaml:22: strategy.kind: …`), so the name is not doubled.
    public var description: String {
        reason.hasPrefix("\(file):") ? reason : "\(file): \(reason)"
    }
}

/// A remembered decision, waiting for its outcome.
struct Pending: Sendable {
    var id: UInt64 = 0
    var ticket: Ticket?
    /// The decision's candidates after the admitted one: where the caller's own failover goes.
    var remaining = FailoverCandidates()
    var bundle: LoadedBundle?
    var tenant = ""
    var operation = ""
    var modelFamily = ""
    var region = ""
    var budgetTag: String?
    var createdAt: Int64 = 0
    var reported = false
    /// The router has counted this outcome, but storing it failed: a retry only stores it.
    var routed = false
}

final class PendingStripe: Sendable {
    let slots: Mutex<[Pending]>
    init(count: Int) { slots = Mutex([Pending](repeating: Pending(), count: count)) }
}

/// The routing service: the current bundle, decisions, outcomes, reloads and metrics. The HTTP
/// layer (``ServeApplication``) is a thin shell over it; tests drive it directly too.
public final class RoutingService: Sendable {
    public let options: ServeOptions
    let logger: Logger
    let current: Mutex<LoadedBundle>
    let reloadState: Mutex<ReloadState>
    let metrics = Metrics()
    public let writer: OutcomeWriter?
    /// The OpenAI-compatible gateway, when `gatewayPath` is set.
    public let gateway: Gateway?
    /// With a PostgreSQL store: shared quotas and budgets, and publications (``FleetMember``).
    let fleet: FleetMember?
    /// Decision buffers for reuse, a pool per thread stripe (a thread takes back its own).
    let decisions = ThreadStripes<[Decision]> { [] }
    let decisionsMade = Atomic<UInt64>(0)
    let nextID = Atomic<UInt64>(0)
    let sweptUpTo = Mutex<UInt64>(1)
    let stripes: [PendingStripe]
    let stripeMask: UInt64
    let ringMask: UInt64
    /// This process's prefix of decision ids: an id from another run is refused by name.
    public let instance: String

    struct ReloadState: Sendable {
        var generation = 1
        var lastError: String?
        var lastErrorAt: Int64?
        var modelSignature: FileSignature?
        var policySignature: FileSignature?
    }

    /// Loads the model and policy (startup fails if either is invalid) and opens the store.
    public init(options: ServeOptions, logger: Logger) throws {
        self.options = options
        self.logger = logger
        let modelSig = FileSignature(path: options.modelPath)
        let policySig = options.policyPath.flatMap(FileSignature.init(path:))
        let shared = options.storePath.map(PostgresURL.isPostgres) == true ? SharedLimits() : nil
        let bundle = try LoadedBundle.load(modelPath: options.modelPath, policyPath: options.policyPath,
                                           catalog: options.catalog, now: options.clock(), generation: 1, sharedLimits: shared)
        current = Mutex(bundle)
        reloadState = Mutex(ReloadState(modelSignature: modelSig, policySignature: policySig))
        metrics.reload(source: "startup", ok: true)
        // The writer's thread and the gateway's HTTP client must be stopped before they are let
        // go: a start that fails after either began stops what it started (a writer dropped
        // running crashed the process, now and then, when the gateway file was refused).
        let writer = try options.storePath.map { path in
            try OutcomeWriter(storePath: path, catalog: options.catalog, batchSize: options.writerBatchSize,
                              interval: options.writerIntervalSeconds, queueLimit: options.writerQueueLimit,
                              storeTimeout: options.storeTimeoutSeconds, logger: logger)
        }
        do {
            gateway = try options.gatewayPath.map {
                try Gateway(path: $0, catalog: options.catalog, storePath: options.storePath, logger: logger,
                            budgets: GatewayFile.PolicyBudgets(bundle.policy, path: bundle.policyPath))
            }
        } catch {
            writer?.close()
            throw error
        }
        self.writer = writer
        var capacity = 64
        while capacity < max(64, options.pendingCapacity) { capacity <<= 1 }
        let stripeCount = 64
        stripes = (0..<stripeCount).map { _ in PendingStripe(count: capacity / stripeCount) }
        stripeMask = UInt64(stripeCount - 1)
        ringMask = UInt64(capacity - 1)
        var g = SystemRandomNumberGenerator()
        instance = String(UInt32.random(in: 0x1000_0000...UInt32.max, using: &g), radix: 16)
        let id = instance
        fleet = shared.map { FleetMember(url: options.storePath!, limits: $0, instance: id, options: options.fleet,
                                         storeTimeout: options.storeTimeoutSeconds, logger: logger, clock: options.clock) }
        do { try fleet?.start(service: self) } catch {
            close()
            throw error
        }
        logger.info("model loaded", metadata: [
            "model": "\(options.modelPath)", "version": "\(bundle.model.version)",
            "policy": "\(bundle.policy.name)", "providers": "\(bundle.policy.providers.joined(separator: ","))",
            "load_ms": "\(String(format: "%.3f", bundle.loadSeconds * 1000))",
        ])
    }

    /// The bundle decisions are made with now.
    public var bundle: LoadedBundle { current.withLock { $0 } }

    /// A valid model is loaded (always, once started: a bad reload keeps the old one).
    public var isReady: Bool { true }

    // MARK: - Decision buffers

    @inline(__always)
    func takeDecision() -> Decision {
        if let d = decisions.withMine({ $0.popLast() }) { return d }
        let k = decisionsMade.wrappingAdd(1, ordering: .relaxed).oldValue
        return Decision(seed: options.seed &+ k)
    }

    @inline(__always)
    func giveBack(_ d: Decision) {
        decisions.withMine { $0.append(d) }
    }

    // MARK: - Route

    /// `POST /v1/route`: decides, admits the first candidate its breaker and rate limit accept,
    /// remembers the decision for its outcome, and answers the JSON document.
    public func route(body: UnsafeRawBufferPointer) throws(APIError) -> ByteBuffer {
        let t0 = DispatchTime.now().uptimeNanoseconds
        var request = try RequestParsing.route(body)
        let b = current.withLock { $0 }
        if b.closedTenants, let problem = b.policy.unknownTenant(request.tenant) {
            throw APIError.unprocessable(problem, field: "tenant")
        }
        for c in request.capabilities where !b.capabilities.contains(c) {
            throw APIError.unprocessable(b.catalog.unknownCapability(c) ?? c, field: "capabilities")
        }
        let now = options.clock()
        if request.timestamp == .min { request.timestamp = now }
        var d = takeDecision()
        // Unretained: `b` holds the router for the whole request. (Every retain of an object both
        // event loops use moves its reference count's cache line between their cores.)
        unowned(unsafe) let router = b.router
        let ticket = router.route(request, now: now, into: &d)
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        register(id: id, ticket: ticket, remaining: d.remaining, bundle: b, request: request, now: now)
        let out = Self.render(d, id: decisionID(id), bundle: b)
        let (provider, reason) = label(d, b)
        giveBack(consume d)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        metrics.decision(provider: provider, reason: reason, seconds: seconds)
        return out
    }

    func label(_ d: Decision, _ b: LoadedBundle) -> (String, String) {
        if d.rejection != nil { return ("none", "quota") }
        guard let p = d.candidates.first else { return ("none", "no_candidate") }
        switch p.placement {
        case .rule(let name): return (p.provider, b.ruleReasons[name] ?? "rule")
        case .strategy: return (p.provider, b.strategyReason)
        case .fallback: return (p.provider, "fallback")
        }
    }

    func decisionID(_ n: UInt64) -> String { instance + "-" + String(n, radix: 16) }

    func parseDecisionID(_ s: String) -> UInt64? {
        guard let dash = s.firstIndex(of: "-"), s[..<dash] == instance[...] else { return nil }
        return UInt64(s[s.index(after: dash)...], radix: 16)
    }

    static func render(_ d: Decision, id: String, bundle b: LoadedBundle) -> ByteBuffer {
        var w = JSONWriter(capacity: 512 + 256 * d.candidates.count + 96 * d.dropped.count)
        w.beginObject()
        w.string("decision_id", id)
        w.int("model_version", b.model.version)
        w.int("generation", b.generation)
        w.string("policy", b.policy.name)
        w.string("strategy", b.policy.strategy.name)
        w.bool("panic", d.panic)
        w.key("rule")
        if let r = d.rule {
            w.beginObject()
            w.string("name", r.name)
            w.string("reason", r.reason)
            w.endObject()
        } else {
            w.null()
        }
        w.key("rejection")
        if let r = d.rejection { w.string(r.description) } else { w.null() }
        if let p = d.weakGoodEnough { w.number("weak_good_enough", p) }
        w.key("selected")
        if let s = d.selected {
            w.beginObject()
            w.string("provider", d.candidates[s].provider)
            w.int("rank", s + 1)
            w.bool("probe", d.selectedIsProbe)
            w.endObject()
        } else {
            w.null()
        }
        w.key("candidates")
        w.beginArray()
        for (k, c) in d.candidates.enumerated() {
            w.beginObject()
            w.int("rank", k + 1)
            w.string("provider", c.provider)
            w.key("placement")
            switch c.placement {
            case .rule(let name): w.string("rule ", then: name)
            case .fallback(let of): w.string("fallback of ", then: of)
            case .strategy(let s): w.string("strategy ", then: s)
            }
            w.number("score", c.score)
            w.number("expected_latency_ms", c.prediction.expectedLatencyMs)
            w.number("tail_latency_ms", c.prediction.tailLatencyMs)
            w.number("failure_probability", c.prediction.failureProbability)
            w.number("cost_usd", c.costUSD.rounded(significantDigits: 12))  // the arithmetic's noise past 12 digits goes
            w.bool("misses_slo", c.missesSLO)
            w.endObject()
        }
        w.endArray()
        w.key("dropped")
        w.beginArray()
        for x in d.dropped {
            w.beginObject()
            w.string("provider", x.provider)
            w.string("reason", x.reason.description)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        w.newline()
        return w.buffer
    }

    // MARK: - Pending decisions

    func register(id: UInt64, ticket: Ticket?, remaining: FailoverCandidates, bundle: LoadedBundle, request: RouteRequest,
                  now: Int64) {
        let slot = id & ringMask
        unowned(unsafe) let stripe = stripes[Int(slot & stripeMask)]   // `stripes` keeps it alive
        let position = Int(slot >> 6)
        let evicted = stripe.slots.withLock { slots -> (Ticket, LoadedBundle)? in
            var old: (Ticket, LoadedBundle)? = nil
            if let t = slots[position].ticket, let ob = slots[position].bundle { old = (t, ob) }
            slots[position] = Pending(id: id, ticket: ticket, remaining: remaining, bundle: bundle, tenant: request.tenant,
                                      operation: request.operation, modelFamily: request.modelFamily,
                                      region: request.region, budgetTag: request.budgetTag, createdAt: now)
            return old
        }
        if let (t, ob) = evicted {
            ob.router.complete(t, status: .cancelled, latencyMs: 0, now: now)
            metrics.expired(1)
        }
    }

    /// Releases decisions older than the TTL that were never reported (called periodically).
    func sweepExpired(now: Int64) {
        let cutoff = now - Int64(options.decisionTTLSeconds * 1e6)
        let last = nextID.load(ordering: .relaxed)
        var released = 0
        sweptUpTo.withLock { cursor in
            if last > ringMask && cursor < last - ringMask { cursor = last - ringMask }
            while cursor <= last {
                let id = cursor
                let slot = id & ringMask
                let stripe = stripes[Int(slot & stripeMask)]
                let position = Int(slot >> 6)
                enum Step { case stop, skip, release(Ticket, LoadedBundle) }
                let step = stripe.slots.withLock { slots -> Step in
                    guard slots[position].id == id else { return .skip }
                    if slots[position].createdAt > cutoff { return .stop }
                    guard let t = slots[position].ticket, let b = slots[position].bundle else { return .skip }
                    slots[position].ticket = nil
                    return .release(t, b)
                }
                switch step {
                case .stop: return
                case .skip: break
                case .release(let t, let b):
                    b.router.complete(t, status: .cancelled, latencyMs: 0, now: now)
                    released += 1
                }
                cursor += 1
            }
        }
        if released > 0 {
            metrics.expired(released)
            logger.debug("released unreported decisions", metadata: ["count": "\(released)"])
        }
    }

    // MARK: - Outcome

    /// `POST /v1/outcome`: how an attempt ended. Updates the router that made the decision
    /// (breaker, latency EWMA, outlier counts, budget) and stores the row; with a store, the
    /// answer waits until the row is committed (see ``ServeOptions/outcomeAcknowledgement``).
    ///
    /// When the store does not confirm the row (queue full, store error, a commit whose answer
    /// never came) the answer is 503 and the decision stays open, so the caller may report it
    /// again; the router counts it once, and the row (at the decision's instant) is stored once.
    public func outcome(body: ByteBuffer) async throws(APIError) -> ByteBuffer {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let accepted = try body.withUnsafeReadableBytes { bytes throws(APIError) in try acceptOutcome(bytes) }
        var stored = false
        if let writer {
            switch options.outcomeAcknowledgement {
            case .committed:
                do {
                    try await writer.commit(accepted.record)
                    stored = true
                } catch {
                    reopen(accepted)
                    throw APIError(status: .serviceUnavailable,
                                   message: "the store did not confirm the outcome (\(error)); send the same report again: it is stored once",
                                   field: nil)
                }
            case .queued:
                stored = writer.enqueue(accepted.record)
            }
        }
        return outcomeAnswer(accepted, stored: stored, t0: t0)
    }

    /// The synchronous form for callers without a task: queues the row (no wait for the commit).
    public func outcome(body: UnsafeRawBufferPointer) throws(APIError) -> ByteBuffer {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let accepted = try acceptOutcome(body)
        let stored = writer?.enqueue(accepted.record) ?? false
        return outcomeAnswer(accepted, stored: stored, t0: t0)
    }

    /// An outcome validated, claimed and applied to the router; its row is still to store.
    struct AcceptedOutcome {
        var record: RequestRecord
        var outcome: RequestParsing.Outcome
        var applied: Bool
        var generation: Int
        var id: UInt64
    }

    /// Validates a report, claims its decision and updates the router (once per decision).
    func acceptOutcome(_ body: UnsafeRawBufferPointer) throws(APIError) -> AcceptedOutcome {
        let o = try RequestParsing.outcome(body)
        guard let id = parseDecisionID(o.decisionID) else {
            throw APIError(status: .notFound, message: "unknown decision id '\(o.decisionID)' (not issued by this server process)",
                           field: "decision_id")
        }
        let (stripe, position) = pendingSlot(id)
        let now = options.clock()
        if let at = o.at, at > now + Timestamp.microsPerDay {
            throw APIError.badRequest("\(Timestamp.format(at)) is more than a day after this server's clock (\(Timestamp.format(now)))",
                                      field: "at")
        }
        // Look first (validate before changing anything).
        let pending = stripe.slots.withLock { slots -> Pending? in
            slots[position].id == id ? slots[position] : nil
        }
        guard let p = pending, let bundle = p.bundle else {
            throw APIError(status: .notFound, message: "unknown or expired decision '\(o.decisionID)'", field: "decision_id")
        }
        if p.reported {
            throw APIError(status: .conflict, message: "an outcome for decision '\(o.decisionID)' was already reported",
                           field: "decision_id")
        }
        guard let index = bundle.router.index(of: o.provider) else {
            throw APIError.unprocessable(
                "unknown provider '\(o.provider)': the policy routes among \(bundle.policy.providers.joined(separator: ", "))",
                field: "provider")
        }
        // The row is the request's, at the instant it was routed (as the gateway's rows are at
        // their attempt's start), not when it was reported: a report sent again after a 503
        // whose commit did in fact land is then the same row, which the store keeps once.
        let record = RequestRecord(timestamp: o.at ?? p.createdAt, tenant: p.tenant, provider: o.provider,
                                   model: o.model ?? p.modelFamily, operation: p.operation, region: p.region,
                                   inputTokens: o.inputTokens, outputTokens: o.outputTokens, cachedTokens: o.cachedTokens,
                                   latencyMs: o.latencyMs, status: o.status, requestID: o.decisionID)
        if let writer, !writer.hasRoom {
            throw APIError(status: .serviceUnavailable, message: "the outcome queue is full; retry later", field: nil)
        }
        // Claim it (a concurrent report of the same decision loses here).
        let claimed = stripe.slots.withLock { slots -> (Bool, Ticket?, Bool) in
            guard slots[position].id == id, !slots[position].reported else { return (false, nil, false) }
            slots[position].reported = true
            let t = slots[position].ticket
            slots[position].ticket = nil
            let routed = slots[position].routed
            slots[position].routed = true
            return (true, t, routed)
        }
        guard claimed.0 else {
            throw APIError(status: .conflict, message: "an outcome for decision '\(o.decisionID)' was already reported",
                           field: "decision_id")
        }
        var applied = true
        if !claimed.2 {
            let router = bundle.router
            let latency = o.latencyMs ?? 0
            if let t = claimed.1, t.index == index {
                router.complete(t, status: o.status, latencyMs: latency, inputTokens: o.inputTokens,
                                outputTokens: o.outputTokens, budgetTag: p.budgetTag, now: now)
            } else {
                // The caller used another provider than the one admitted (its own failover), or
                // none was admitted: release the admission and count the attempt that happened.
                if let t = claimed.1 { router.complete(t, status: .cancelled, latencyMs: 0, now: now) }
                if p.remaining.contains(index) { metrics.failover(provider: o.provider) }
                if let t = router.admit(index, now: now, ignoreHealth: true) {
                    router.complete(t, status: o.status, latencyMs: latency, inputTokens: o.inputTokens,
                                    outputTokens: o.outputTokens, budgetTag: p.budgetTag, now: now)
                } else {
                    applied = false
                }
            }
        }
        return AcceptedOutcome(record: record, outcome: o, applied: applied, generation: bundle.generation, id: id)
    }

    @inline(__always)
    func pendingSlot(_ id: UInt64) -> (PendingStripe, Int) {
        let slot = id & ringMask
        return (stripes[Int(slot & stripeMask)], Int(slot >> 6))
    }

    /// Makes a claimed decision reportable again after its row could not be stored.
    func reopen(_ a: AcceptedOutcome) {
        let (stripe, position) = pendingSlot(a.id)
        stripe.slots.withLock { slots in
            if slots[position].id == a.id { slots[position].reported = false }
        }
    }

    func outcomeAnswer(_ a: AcceptedOutcome, stored: Bool, t0: UInt64) -> ByteBuffer {
        let o = a.outcome
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        metrics.outcome(provider: o.provider, status: o.status.rawValue, latencyMs: o.latencyMs, seconds: seconds)
        var w = JSONWriter(capacity: 160)
        w.beginObject()
        w.string("decision_id", o.decisionID)
        w.string("provider", o.provider)
        w.string("status", o.status.rawValue)
        w.bool("applied", a.applied)
        w.bool("stored", stored)
        w.int("generation", a.generation)
        w.endObject()
        w.newline()
        return w.buffer
    }

    // MARK: - Reload

    public enum ReloadResult: Sendable, Equatable {
        case reloaded(generation: Int, modelVersion: Int, loadSeconds: Double)
        case failed(String)
    }

    /// Loads the files again; on success swaps the new bundle in atomically. A failure keeps
    /// the running bundle, logs why and counts a failed reload. Reloads run one at a time.
    ///
    /// - Parameter gatewayFile: the gateway file about to be loaded, whose keys the new policy's
    ///   budgets are checked against; nil: the one in force.
    @discardableResult
    public func reload(source: String, gatewayFile: GatewayFile? = nil) -> ReloadResult {
        let result = swapBundle(gatewayFile: gatewayFile) { state, next in
            state.modelSignature = FileSignature(path: options.modelPath)
            state.policySignature = options.policyPath.flatMap(FileSignature.init(path:))
            return try LoadedBundle.load(modelPath: options.modelPath, policyPath: options.policyPath,
                                         catalog: options.catalog, now: options.clock(), generation: next,
                                         sharedLimits: fleet?.limits)
        }
        switch result {
        case .reloaded(let g, let v, let s):
            metrics.reload(source: source, ok: true)
            writer?.refreshPrices()
            logger.notice("reloaded", metadata: ["source": "\(source)", "generation": "\(g)", "model_version": "\(v)",
                                                 "load_ms": "\(String(format: "%.3f", s * 1000))"])
        case .failed(let reason):
            metrics.reload(source: source, ok: false)
            logger.error("reload failed; the previous model keeps serving", metadata: ["source": "\(source)", "reason": "\(reason)"])
        }
        return result
    }

    /// Loads the next generation's bundle with `load` (given the reload state and the new
    /// generation number) and swaps it in, or keeps the running one and records the error.
    /// Reloads and publications run one at a time under the reload lock. A policy without a
    /// budget the gateway's keys name (`gatewayFile`'s, or those in force) is refused.
    func swapBundle(gatewayFile: GatewayFile? = nil, _ load: (inout ReloadState, Int) throws -> LoadedBundle) -> ReloadResult {
        reloadState.withLock { state -> ReloadResult in
            let next = state.generation + 1
            do {
                let b = try load(&state, next)
                if let gateway {
                    try (gatewayFile ?? gateway.loaded.file).checkBudgets(GatewayFile.PolicyBudgets(b.policy, path: b.policyPath))
                }
                state.generation = next
                state.lastError = nil
                current.withLock { $0 = b }
                return .reloaded(generation: next, modelVersion: b.model.version, loadSeconds: b.loadSeconds)
            } catch {
                state.lastError = "\(error)"
                state.lastErrorAt = options.clock()
                return .failed("\(error)")
            }
        }
    }

    /// Reloads when the model or policy file changed since the last load (the file watch).
    func reloadIfChanged() {
        let changed = reloadState.withLock { s in
            FileSignature(path: options.modelPath) != s.modelSignature
                || options.policyPath.flatMap(FileSignature.init(path:)) != s.policySignature
        }
        // When both files changed (a budget renamed in each), the new policy is checked against
        // the keys the new gateway file brings, and that file against the new policy.
        if changed { reload(source: "watch", gatewayFile: gateway?.changedFile()) }
        let b = bundle
        gateway?.reloadIfChanged(budgets: GatewayFile.PolicyBudgets(b.policy, path: b.policyPath))
    }

    public var reloadCounts: (success: Int, failure: Int) { (metrics.reloads(ok: true), metrics.reloads(ok: false)) }
    public var lastReloadError: String? { reloadState.withLock { $0.lastError } }

    // MARK: - Introspection

    /// `GET /v1/model`.
    public func modelDocument() -> ByteBuffer {
        let b = bundle
        let m = b.model
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        w.int("version", m.version)
        w.int("generation", b.generation)
        w.string("created_at", m.createdAt)
        w.key("trained_window")
        w.beginObject()
        w.string("from", m.trainingWindow.from)
        w.string("to", m.trainingWindow.to)
        w.endObject()
        w.int("rows", m.rows)
        w.string("data_fingerprint", m.dataFingerprint)
        w.string("validation", m.validation)
        w.string("model_path", b.modelPath)
        w.string("policy", b.policy.name)
        w.optionalString("policy_path", b.policyPath)
        w.string("loaded_at", Timestamp.format(b.loadedAt))
        w.number("load_ms", b.loadSeconds * 1000)
        w.key("providers")
        w.beginArray()
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        for p in m.providers {
            w.beginObject()
            w.string("provider", p.provider)
            w.int("rows", p.rows)
            w.key("metrics")
            if let data = try? encoder.encode(p.metrics) { w.raw(String(decoding: data, as: UTF8.self)) } else { w.null() }
            w.endObject()
        }
        w.endArray()
        w.key("quality")
        if let q = m.quality, let data = try? encoder.encode(q.metrics) {
            w.beginObject()
            w.string("strong", q.strong.provider)
            w.string("weak", q.weak.provider)
            w.key("metrics")
            w.raw(String(decoding: data, as: UTF8.self))
            w.endObject()
        } else {
            w.null()
        }
        let (ok, failed) = reloadCounts
        w.key("reloads")
        w.beginObject()
        w.int("success", ok)
        w.int("failure", failed)
        w.optionalString("last_error", lastReloadError)
        w.endObject()
        w.endObject()
        w.newline()
        return w.buffer
    }

    /// `GET /metrics`.
    public func metricsText() -> String {
        let s = metrics.snapshot
        let b = bundle
        let now = options.clock()
        var p = PrometheusText()
        p.counters("mosaic_decisions_total", "Routing decisions by primary provider and the reason it is first.", labels: ("provider", "reason"), s.decisions)
        p.counters("mosaic_outcomes_total", "Outcomes reported, by provider and status.", labels: ("provider", "status"), s.outcomes)
        p.counters("mosaic_http_errors_total", "Error answers by endpoint and HTTP status.", labels: ("endpoint", "status"), s.errors)
        p.histograms("mosaic_handling_seconds", "Time spent handling a request inside the service (excluding HTTP I/O).", label: "endpoint", s.handling)
        p.histograms("mosaic_provider_latency_seconds", "Provider latency reported in outcomes.", label: "provider", s.providerLatency)
        let health = b.router.health(now: now)
        p.header("mosaic_breaker_state", "gauge", "Circuit breaker state per provider: 0 closed, 1 half-open, 2 open.")
        for h in health {
            let v: Double
            switch h.breaker {
            case .closed: v = 0
            case .halfOpen: v = 1
            case .open(let until): v = until > now ? 2 : 1
            }
            p.sample("mosaic_breaker_state", [("provider", h.provider)], v)
        }
        p.header("mosaic_breaker_trips", "gauge", "Times each breaker opened since the current model was loaded.")
        for h in health { p.sample("mosaic_breaker_trips", [("provider", h.provider)], Double(h.trips)) }
        p.header("mosaic_provider_ejected", "gauge", "1 while a provider is ejected as an outlier.")
        for h in health { p.sample("mosaic_provider_ejected", [("provider", h.provider)], h.ejectedUntil == nil ? 0 : 1) }
        p.header("mosaic_provider_in_flight", "gauge", "Admitted attempts not yet reported.")
        for h in health { p.sample("mosaic_provider_in_flight", [("provider", h.provider)], Double(h.inFlight)) }
        p.header("mosaic_provider_latency_ewma_ms", "gauge", "The router's latency EWMA per provider, ms.")
        for h in health { p.sample("mosaic_provider_latency_ewma_ms", [("provider", h.provider)], h.latencyEWMAms) }
        p.counters("mosaic_reloads_total", "Model and policy loads by source and result.", labels: ("source", "result"), s.reloads)
        p.metric("mosaic_model_version", "gauge", "Version of the routing model serving.", Double(b.model.version))
        p.metric("mosaic_model_generation", "gauge", "Successful loads in this process (1 at startup).", Double(b.generation))
        p.metric("mosaic_model_load_seconds", "gauge", "Time the serving model and policy took to load.", b.loadSeconds)
        p.metric("mosaic_decisions_expired_total", "counter", "Decisions released unreported (TTL or ring overflow).", Double(s.expiredDecisions))
        p.counters("mosaic_failovers_total", "Outcomes from a later candidate of the decision than the admitted one (the caller's failover), by provider.", label: "provider", s.failovers)
        if let writer {
            let c = writer.snapshot
            p.counters("mosaic_outcome_rows_total", "Outcome rows by what the store writer did with them.", label: "result",
                       ["queued": c.queued, "written": c.written, "duplicate": c.duplicates, "refused": c.refused, "failed": c.failed])
            p.metric("mosaic_outcome_queue_depth", "gauge", "Outcome rows waiting for the store writer.", Double(writer.depth))
        }
        if let gateway { p.out += gateway.metricsText() }
        return p.out
    }

    /// Stops background work: writes queued outcomes (graceful shutdown calls this last).
    public func close() {
        gateway?.shutdown()
        fleet?.close()
        writer?.close()
        closedFlag.withLock { $0 = true }
    }

    /// Whether ``close()`` has returned: every queued outcome is written or refused.
    public var isClosed: Bool { closedFlag.withLock { $0 } }
    private let closedFlag = Mutex(false)
}

/// What identifies a file's content cheaply: inode, size and modification time.
struct FileSignature: Equatable, Sendable {
    var inode: UInt64
    var size: Int64
    var mtimeNanos: Int64

    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        mtimeNanos = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }
}
