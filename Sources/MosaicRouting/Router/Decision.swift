import MosaicCore

/// The outcome of routing one request: the ranked candidates (primary first, then fallbacks),
/// every provider that was dropped and why, and the rule that shaped the decision.
///
/// A `Decision` is a reusable buffer: create one per thread (or per simulated client) with
/// ``init(seed:)`` and pass it to ``Router/decide(_:now:into:)`` again and again. After the first
/// decision it has the capacity it needs, so deciding allocates nothing. Its random stream (for
/// weighted choice, power of two choices and slow start) is seeded, so a seed fixes every choice.
public struct Decision: Sendable {
    /// Kept providers, best first: `candidates[0]` is the primary.
    public internal(set) var candidates: [Candidate] = []
    /// Providers removed by a filter or rule, in pool order.
    public internal(set) var dropped: [Drop] = []
    /// The rule that matched, if any: its name and reason.
    public internal(set) var rule: (name: String, reason: String)? = nil
    /// Set when the request as a whole is refused (tenant quota exhausted).
    public internal(set) var rejection: Rejection? = nil
    /// True when too few providers were healthy and health filters were ignored.
    public internal(set) var panic = false
    /// The candidate admitted by ``Router/route(_:now:into:)``, an index into ``candidates``
    /// (into the ranking, for a compact decision).
    public internal(set) var selected: Int? = nil
    /// Whether the selected attempt is a half-open probe.
    public internal(set) var selectedIsProbe = false
    /// What the routing model's quality head made of the prompt, P(the weak model is good
    /// enough), when the ranking weighed it (`model_utility`, a request with text, a model with a
    /// quality head whose providers are in the pool); nil otherwise.
    public internal(set) var weakGoodEnough: Double? = nil

    @usableFromInline var random: SeededRandom
    @usableFromInline var values: CompiledPredictor.RequestValues? = nil
    @usableFromInline var valuesOwner: ObjectIdentifier? = nil
    @usableFromInline var scratch: [Double] = []
    /// The ranking and the per-provider working values (see ``DecisionScratch``).
    var work = DecisionScratch(poolSize: 0)

    /// Whether only the ranking is kept (see ``init(seed:compact:)``).
    public let compact: Bool

    /// A buffer whose random stream starts at `seed`.
    ///
    /// A `compact` decision keeps the ranking as pool indices only: ``candidates`` and
    /// ``dropped`` stay empty (no provider names, placements or drop reasons are written), and
    /// ``selectedIndex``, ``selectedPrediction`` and ``remaining`` say what was admitted and what
    /// is left. Routing and admission are the same; it is for callers that read nothing else,
    /// such as the simulator, which decides tens of millions of times per run.
    public init(seed: UInt64 = 0, compact: Bool = false) {
        random = SeededRandom(seed: seed)
        self.compact = compact
    }

    /// The pool index of the admitted provider, if any.
    public var selectedIndex: Int? { selected.map { order[$0] } }

    /// What the router predicted for the admitted provider, if any.
    public var selectedPrediction: Prediction? { selected.map { predictions[order[$0]] } }

    /// The primary: the first candidate, if any provider is left.
    public var primary: Candidate? { candidates.first }

    /// The kept providers' pool indices, best first once ranked. Written in place (the
    /// decision's storage is made unique by ``reset(poolSize:)``), so the ranking moves no array.
    var order: UnsafeMutableBufferPointer<Int> { UnsafeMutableBufferPointer(start: work.order, count: work.kept) }
    /// Per pool index: the strategy's ranking key, ascending-is-better unless noted.
    var keys: UnsafeMutablePointer<Double> { work.keys }
    /// Per pool index: the candidate misses the SLO (model utility).
    var flags: UnsafeMutablePointer<Bool> { work.flags }
    var predictions: UnsafeMutablePointer<Prediction> { work.predictions }
    var costs: UnsafeMutablePointer<Double> { work.costs }
    var quality: UnsafeMutablePointer<Double> { work.quality }
    /// Every provider's live state, taken once per decision.
    var snapshots: UnsafeMutablePointer<ProviderRuntime.Snapshot> { work.snapshots }

    /// Adds pool index `i` after the kept providers (at most the pool size).
    @inline(__always)
    func keep(_ i: Int) {
        work.order[work.kept] = i
        work.kept &+= 1
    }

    /// Keeps no provider.
    @inline(__always)
    func clearOrder() { work.kept = 0 }

    mutating func reset(poolSize n: Int) {
        // Emptied only when not empty (a compact decision never fills the first two).
        if !candidates.isEmpty { candidates.removeAll(keepingCapacity: true) }
        if !dropped.isEmpty { dropped.removeAll(keepingCapacity: true) }
        if rule != nil { rule = nil }
        if rejection != nil { rejection = nil }
        panic = false
        selected = nil
        selectedIsProbe = false
        weakGoodEnough = nil
        if candidates.capacity < n {
            candidates.reserveCapacity(n)
            dropped.reserveCapacity(n)
        }
        // One uniqueness check per decision; the decision then writes through pointers.
        if work.poolSize != n {
            work = DecisionScratch(poolSize: n)
        } else if !isKnownUniquelyReferenced(&work) {
            work = work.copy()
        }
        work.kept = 0
    }
}

/// A ``Decision``'s ranking (kept pool indices) and per-provider working values (ranking keys,
/// SLO flags, predictions, costs, quality, live-state snapshots), in one allocation per pool
/// size.
///
/// Copy-on-write by hand: ``Decision/reset(poolSize:)`` makes it unique once per decision (a
/// copied `Decision` keeps its own values), and the decision then reads and writes it through
/// raw pointers, with no uniqueness or bounds check per write (they were about 6% of a
/// simulated replay, about twenty per decision of four providers).
final class DecisionScratch: @unchecked Sendable {
    let poolSize: Int
    /// How many of `order` are kept providers.
    var kept = 0
    let order: UnsafeMutablePointer<Int>
    let keys: UnsafeMutablePointer<Double>
    let flags: UnsafeMutablePointer<Bool>
    let predictions: UnsafeMutablePointer<Prediction>
    let costs: UnsafeMutablePointer<Double>
    let quality: UnsafeMutablePointer<Double>
    let snapshots: UnsafeMutablePointer<ProviderRuntime.Snapshot>

    init(poolSize n: Int) {
        poolSize = n
        order = .allocate(capacity: Swift.max(n, 1))
        order.initialize(repeating: 0, count: n)
        keys = .allocate(capacity: Swift.max(n, 1))
        keys.initialize(repeating: 0, count: n)
        flags = .allocate(capacity: Swift.max(n, 1))
        flags.initialize(repeating: false, count: n)
        predictions = .allocate(capacity: Swift.max(n, 1))
        predictions.initialize(repeating: Prediction(expectedLatencyMs: 0, tailLatencyMs: 0, failureProbability: 0), count: n)
        costs = .allocate(capacity: Swift.max(n, 1))
        costs.initialize(repeating: 0, count: n)
        quality = .allocate(capacity: Swift.max(n, 1))
        quality.initialize(repeating: 0, count: n)
        snapshots = .allocate(capacity: Swift.max(n, 1))
        snapshots.initialize(repeating: ProviderRuntime.Snapshot(healthy: true, ewmaMs: 0, failureRate: 0, tokens: 0, tokenWait: 0,
                                                                 healthDrop: .none, share: 1, inFlight: 0), count: n)
    }

    /// An independent copy (for a `Decision` that was copied before deciding again).
    func copy() -> DecisionScratch {
        let c = DecisionScratch(poolSize: poolSize)
        c.kept = kept
        c.order.update(from: order, count: poolSize)
        c.keys.update(from: keys, count: poolSize)
        c.flags.update(from: flags, count: poolSize)
        c.predictions.update(from: predictions, count: poolSize)
        c.costs.update(from: costs, count: poolSize)
        c.quality.update(from: quality, count: poolSize)
        c.snapshots.update(from: snapshots, count: poolSize)
        return c
    }

    deinit {
        // Plain values (no references): deallocated without deinitializing.
        order.deallocate()
        keys.deallocate()
        flags.deallocate()
        predictions.deallocate()
        costs.deallocate()
        quality.deallocate()
        snapshots.deallocate()
    }
}

/// A provider kept for a request, with what the router expects of it.
public struct Candidate: Sendable, Equatable {
    /// The provider's position in the policy's pool.
    public var index: Int
    public var provider: String
    /// The strategy's score (higher is better for utility; for other strategies the key it
    /// ranked by, see ``Strategy``).
    public var score: Double
    public var prediction: Prediction
    /// Predicted cost in dollars (from exact prices, as a Double for ranking).
    public var costUSD: Double
    /// Why the candidate sits where it does.
    public var placement: Placement
    /// The predicted tail latency misses the request's SLO (the candidate is ranked after those that meet it).
    public var missesSLO: Bool
}

/// Why a candidate sits where it does in the ranking.
public enum Placement: Sendable, Equatable, CustomStringConvertible {
    /// Listed by the matching rule.
    case rule(name: String)
    /// In the fallback chain of the candidate ranked before it.
    case fallback(of: String)
    /// Ranked by the strategy.
    case strategy(String)

    public var description: String {
        switch self {
        case .rule(let name): return "rule \(name)"
        case .fallback(let of): return "fallback of \(of)"
        case .strategy(let s): return "strategy \(s)"
        }
    }
}

/// A provider removed from a decision.
public struct Drop: Sendable, Equatable {
    public var index: Int
    public var provider: String
    public var reason: DropReason
}

/// Why a provider was removed.
public enum DropReason: Sendable, Equatable, CustomStringConvertible {
    case tenantDenied
    case tenantNotAllowed
    case missingCapability(String)
    case contextWindow(limit: Int)
    case compliance(missing: ComplianceSet)
    case residency(required: String)
    case notInRule(name: String)
    case excludedByRule(name: String)
    case budgetExhausted(tag: String)
    /// No rate-limit token; one is available in this many µs.
    case rateLimited(retryAfter: Int64)
    case circuitOpen(until: Int64)
    case probesExhausted
    case ejected(until: Int64)
    /// Slow start after recovery admitted this share of traffic and this request was not in it.
    case slowStart(share: Double)

    /// Whether the request itself rules the provider out (its tenant, capability, size,
    /// attestations, region or the policy's rules), so that asking again cannot change it; a
    /// budget, rate limit, breaker, ejection or slow start passes.
    public var isLasting: Bool {
        switch self {
        case .tenantDenied, .tenantNotAllowed, .missingCapability, .contextWindow, .compliance, .residency, .notInRule, .excludedByRule:
            return true
        case .budgetExhausted, .rateLimited, .circuitOpen, .probesExhausted, .ejected, .slowStart:
            return false
        }
    }

    public var description: String {
        switch self {
        case .tenantDenied: return "denied for the tenant"
        case .tenantNotAllowed: return "not in the tenant's allow list"
        case .missingCapability(let c): return "lacks capability \(c)"
        case .contextWindow(let limit): return "context window \(limit) tokens too small"
        case .compliance(let missing): return "not attested for \(missing.tags.map(\.displayName).joined(separator: ", "))"
        case .residency(let region): return "does not serve region \(region)"
        case .notInRule(let name): return "not routed to by rule \(name)"
        case .excludedByRule(let name): return "excluded by rule \(name)"
        case .budgetExhausted(let tag): return "budget \(tag) exhausted"
        case .rateLimited(let wait): return "rate limited (token in \(wait / 1000) ms)"
        case .circuitOpen(let until): return "circuit open until \(Timestamp.format(until))"
        case .probesExhausted: return "circuit half-open, probes taken"
        case .ejected(let until): return "ejected as an outlier until \(Timestamp.format(until))"
        case .slowStart(let share): return "slow start (\(Int((share * 100).rounded()))% of traffic)"
        }
    }
}

/// Why a whole request was refused.
public enum Rejection: Sendable, Equatable, CustomStringConvertible {
    case quotaExhausted(tenant: String, resetsAt: Int64)

    public var description: String {
        switch self {
        case .quotaExhausted(let tenant, let at): return "tenant \(tenant) quota exhausted until \(Timestamp.format(at))"
        }
    }
}

/// An attempt the router admitted; hand it back to ``Router/complete(_:status:latencyMs:inputTokens:outputTokens:budgetTag:now:)``.
public struct Ticket: Sendable, Equatable {
    public var index: Int
    public var provider: String
    public var isProbe: Bool
    /// With shared budgets: the amount reserved at admission, and when (µs).
    public var reserved: Money = .zero
    public var reservedAt: Int64 = 0
    /// With `model_utility`'s `adapt`: the head's predicted latency for this attempt, which its
    /// outcome corrects (0: none).
    public var predictedMs: Double = 0

    /// A ticket for the provider at `index` (callers that keep admitted attempts compactly,
    /// such as the simulator, rebuild their tickets with this).
    public init(index: Int, provider: String, isProbe: Bool) {
        self.index = index
        self.provider = provider
        self.isProbe = isProbe
    }
}
