import MosaicCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The routing engine the simulator and the online router share.
///
/// A router compiles a ``RoutingPolicy`` against the catalog (and, optionally, a routing model)
/// once, then answers decisions and takes outcomes back:
///
/// 1. ``decide(_:now:into:)`` runs the filters (tenant, capability and context window,
///    compliance, residency, rule, budget, rate limit, health), applies the first matching rule,
///    ranks what is left with the strategy and inserts the primary's fallback chain;
/// 2. ``route(_:now:into:)`` decides and admits the best candidate its breaker and rate limit
///    accept (``failover(_:now:)`` admits the next one after a failure);
/// 3. ``complete(_:status:latencyMs:inputTokens:outputTokens:budgetTag:now:)`` reports the
///    outcome: it drives the circuit breaker, the latency EWMA, outlier ejection and budgets.
///
/// Time is passed in (µs), never read, so simulated and wall time both work. The pool's live
/// state (breakers, buckets, EWMAs, in-flight counts) sits behind one lock, taken once per
/// decision, admission and outcome, so many threads may decide at once. After warm-up a decision allocates nothing (tenants first seen under a `*` quota
/// and prompts hashed by a quality model excepted).
public final class Router: Sendable {
    public let policy: RoutingPolicy
    /// The pool, in policy order.
    public let providers: [Provider]
    let entries: [Entry]
    /// `entries[i].hot`, for the decision loop.
    let hot: [HotEntry]
    let rules: [CompiledRule]
    let ruleSet: RuleSet
    /// Every provider's live state (breaker, rate-limit buckets, EWMA, outlier counts, attempts
    /// in flight), in pool order, behind one lock: a decision reads the whole pool with one lock
    /// instead of one per provider, and retains no per-provider object. Critical sections are a
    /// few dozen instructions, so one lock costs the server no measurable contention. A
    /// confined router (one thread only: a simulation's) takes no lock.
    let live: LiveState
    let tenants: [String: CompiledTenant]
    let defaultTenant: CompiledTenant?
    /// The tenants' flags per provider (``CompiledTenant/offset`` + pool index).
    let tenantAccess: [UInt8]
    let quotas: Mutex<[String: TenantQuota]>
    let budgets: Mutex<[String: BudgetLedger]>
    let retryBudget: Mutex<RetryBudget>
    /// First attempts in flight: counted with one atomic add per request, and copied into the
    /// retry budget when a retry asks for room (the only time the budget reads it).
    let activeRequests = Atomic<Int>(0)
    let outlierSweep: Mutex<SweepState>
    /// `outlierSweep`'s next time, readable without the lock: outcomes before it skip the sweep
    /// with one plain load.
    let nextSweep: Atomic<Int64>
    let rotation = Atomic<Int>(0)
    let predictors: [CompiledPredictor]
    let valuesLayout: CompiledPredictor.RequestValues.Layout
    let quality: QualityModel?
    let qualityStrong: Int?
    let qualityWeak: Int?
    let ewmaAlpha: Double
    /// `model_utility`'s `adapt`: the weight of each attempt in the online correction of the
    /// head's latency predictions (0: off).
    let adaptAlpha: Double
    /// Power of two choices: `decide` writes each kept provider's attempts in flight as its
    /// ranking key (the latency EWMA otherwise).
    let ranksByLoad: Bool
    /// Fleet-wide quotas and budgets (leased slices); nil: this router's own ledgers.
    public let sharedLimits: SharedLimits?

    /// Compiles a policy.
    ///
    /// - Parameters:
    ///   - policy: a validated policy (``RoutingPolicy/validate(catalog:)``).
    ///   - catalog: where provider facts come from.
    ///   - model: a routing model whose per-provider heads predict latency and failure, and whose
    ///     quality model (if any) scores the weak provider.
    ///   - now: the time (µs) rate-limit buckets start full at.
    ///   - sharedLimits: a fleet's shared quotas and budgets; tenant quotas and budgets are
    ///     then taken from it instead of this router's own ledgers (see ``SharedLimits``).
    ///   - confined: the router will only ever be called from one thread at a time, with the
    ///     calls ordered (a simulation's replication), so the providers' live state needs no
    ///     lock. Calling a confined router from two threads at once is a data race.
    public init(policy: RoutingPolicy, catalog: Catalog, model: RoutingModel? = nil, now: Int64 = 0,
                sharedLimits: SharedLimits? = nil, confined: Bool = false) throws(YAMLError) {
        try policy.validate(catalog: catalog)
        self.policy = policy
        self.sharedLimits = sharedLimits
        let pool = policy.providers.map { catalog.provider(id: $0)! }
        providers = pool
        var position: [String: Int] = [:]
        for (i, p) in pool.enumerated() { position[p.id] = i }
        let weights: [String: Double]
        if case .weighted(let w) = policy.strategy { weights = w } else { weights = [:] }
        var layout = CompiledPredictor.RequestValues.Layout()
        var predictors: [CompiledPredictor] = []
        entries = pool.enumerated().map { i, p in
            let head = model?.provider(p.id)
            var predictor = -1
            if let head, let compiled = CompiledPredictor(head, layout: &layout) {
                predictor = predictors.count
                predictors.append(compiled)
            }
            let cost = policy.costs[p.id] ?? ProviderCost()
            return Entry(id: p.id, compliance: ComplianceSet(p.compliance), capabilities: p.capabilities,
                         contextWindow: p.contextWindow, regions: p.regions,
                         cost: cost, quality: policy.quality[p.id] ?? 1,
                         weight: weights[p.id] ?? 0, predictor: predictor, dense: predictor < 0 ? head : nil,
                         fallbacks: (policy.fallbacks[p.id] ?? []).compactMap { position[$0] })
        }
        self.predictors = predictors
        hot = entries.map(\.hot)
        valuesLayout = layout
        rules = policy.rules.map { rule in
            var listed = [Bool](repeating: false, count: pool.count)
            var excluded = [Bool](repeating: false, count: pool.count)
            for id in rule.action.route { if let i = position[id] { listed[i] = true } }
            for id in rule.action.exclude { if let i = position[id] { excluded[i] = true } }
            return CompiledRule(rule: rule, route: rule.action.route.compactMap { position[$0] },
                                listed: listed, excluded: excluded)
        }
        ruleSet = RuleSet(policy.rules)
        // Every tenant's allow and deny lists as one row of flags per tenant in one array, so
        // that a tenant is two integers and a decision copies no array of its own (a copied
        // array is a reference count that two threads deciding at once pass between cores).
        var access: [UInt8] = []
        func compile(_ t: TenantPolicy) -> CompiledTenant {
            let offset = access.count
            access += [UInt8](repeating: t.allow.isEmpty ? CompiledTenant.allowed : 0, count: pool.count)
            for id in t.allow { if let i = position[id] { access[offset + i] |= CompiledTenant.allowed } }
            for id in t.deny { if let i = position[id] { access[offset + i] |= CompiledTenant.denied } }
            return CompiledTenant(offset: offset, quota: t.quota)
        }
        var compiled: [String: CompiledTenant] = [:]
        var quotas: [String: TenantQuota] = [:]
        for (name, t) in policy.tenants where name != "*" {
            compiled[name] = compile(t)
            if let q = t.quota { quotas[name] = TenantQuota(quota: q.requests, window: Int64(q.period.seconds) * RoutingTime.second) }
        }
        defaultTenant = policy.tenants["*"].map(compile)
        tenants = compiled
        tenantAccess = access
        self.quotas = Mutex(quotas)
        var ledgers: [String: BudgetLedger] = [:]
        for (tag, b) in policy.budgets { ledgers[tag] = BudgetLedger(limit: b.limit, window: Int64(b.period.seconds) * RoutingTime.second) }
        budgets = Mutex(ledgers)
        if let sharedLimits {
            // Known keys are leased for before the first request needs them.
            for (name, q) in quotas {
                _ = sharedLimits.remaining(SharedLimits.Key(.quota, name), limit: Money(whole: q.quota), window: q.window, now: now)
            }
            for (tag, b) in ledgers {
                _ = sharedLimits.remaining(SharedLimits.Key(.budget, tag), limit: b.limit, window: b.window, now: now)
            }
        }
        retryBudget = Mutex(RetryBudget(ratio: policy.retryBudget.ratio, minimumConcurrent: policy.retryBudget.minimum))
        outlierSweep = Mutex(SweepState(next: now + policy.outliers.interval, rates: [Double](repeating: 0, count: pool.count)))
        nextSweep = Atomic(now + policy.outliers.interval)
        if case .latencyEWMA(let alpha, _) = policy.strategy { ewmaAlpha = alpha } else { ewmaAlpha = 0.3 }
        var halfLife = LatencyCorrection.defaultHalfLife
        if case .modelUtility(_, _, let adapt, let h) = policy.strategy { adaptAlpha = adapt; halfLife = h } else { adaptAlpha = 0 }
        ranksByLoad = policy.strategy == .powerOfTwoChoices
        live = LiveState(pool.map { p in
            let limits = policy.rateLimits[p.id] ?? p.rateLimit().map { [$0] } ?? []
            return ProviderRuntime(breaker: CircuitBreaker(configuration: policy.breaker),
                                   buckets: limits.map { TokenBucket(rateLimit: $0, now: now) },
                                   ewmaMs: policy.defaultLatencyMs, correction: LatencyCorrection(halfLife: halfLife))
        }, confined: confined)
        quality = model?.quality
        qualityStrong = model?.quality.flatMap { position[$0.strong.provider] }
        qualityWeak = model?.quality.flatMap { position[$0.weak.provider] }
    }

    // MARK: - Deciding

    /// Ranks the providers for a request without admitting any (no breaker probe or rate-limit
    /// token is taken). The result lands in `decision`.
    ///
    /// - Complexity: O(n·(w + r) + n²) for n providers, w model features and r rules; no
    ///   allocation once `decision` has been used with this router.
    public func decide(_ request: RouteRequest, now: Int64, into d: inout Decision) {
        let n = entries.count
        d.reset(poolSize: n)
        let filters = policy.filters

        // Tenant: quota first (it refuses the whole request), then lists.
        let tenant = tenants.isEmpty ? defaultTenant : tenants[request.tenant] ?? defaultTenant
        if filters.quota, let t = tenant, let q = t.quota {
            var (remaining, resets) = (q.requests, Int64(0))
            if let shared = sharedLimits {
                let (left, end) = shared.remaining(SharedLimits.Key(.quota, request.tenant), limit: Money(whole: q.requests),
                                                   window: Int64(q.period.seconds) * RoutingTime.second, now: now)
                (remaining, resets) = (left >= Money(whole: 1) ? 1 : 0, end)
            } else {
                (remaining, resets) = quotas.withLock { quotas -> (Int, Int64) in
                    if let current = quotas[request.tenant] { return (current.remaining(now: now), current.resetsAt(now: now)) }
                    return (q.requests, 0)
                }
            }
            if remaining <= 0 {
                d.rejection = .quotaExhausted(tenant: request.tenant, resetsAt: resets)
                return
            }
        }

        // The first matching rule.
        let ruleIndex = ruleSet.firstMatch(request)
        if ruleIndex >= 0 { d.rule = (rules[ruleIndex].rule.name, rules[ruleIndex].rule.reason) }

        // Budget left for the request's tag, exact: compared with each provider's exact cost (a
        // Double estimate can exceed a remainder the request fits exactly, by rounding).
        var budgetLeft: Money? = nil
        if filters.quota, let tag = request.budgetTag {
            if let shared = sharedLimits, let b = policy.budgets[tag] {
                budgetLeft = shared.remaining(SharedLimits.Key(.budget, tag), limit: b.limit,
                                              window: Int64(b.period.seconds) * RoutingTime.second, now: now).left
            } else {
                budgetLeft = budgets.withLock { $0[tag]?.remaining(now: now) }
            }
        }

        // Every provider's live state, under one lock (snapshots change nothing).
        // Panic mode: too few healthy providers, so health is ignored.
        var healthy = 0
        live.withLock { live in
            // Through buffer pointers: each provider's state is read in place, not copied out.
            let snapshots = d.snapshots
            live.withUnsafeBufferPointer { live in
                for i in 0..<n {
                    let snapshot = live[i].snapshot(now: now)
                    if snapshot.healthy { healthy += 1 }
                    snapshots[i] = snapshot
                }
            }
        }
        let panic = filters.health && Double(healthy) < policy.outliers.panicThreshold * Double(n)
        d.panic = panic

        // Filters.
        if !predictors.isEmpty {
            if d.values == nil || d.valuesOwner != ObjectIdentifier(self) {
                d.values = CompiledPredictor.RequestValues(layout: valuesLayout)
                d.valuesOwner = ObjectIdentifier(self)
            }
            d.values!.load(request)
        }
        // With no tenant lists, rule, capability, compliance or residency to check, only the
        // context window can drop a provider here: checked inline, without building a reason.
        let onlyWindow = (tenant == nil || !filters.tenant) && ruleIndex < 0 && request.capabilities.isEmpty
            && request.compliance.isEmpty && request.residency == nil
        for i in 0..<n {
            if onlyWindow {
                let window = hot[i].contextWindow
                if filters.capability && window < .max && request.contextTokens > window {
                    if !d.compact { d.dropped.append(Drop(index: i, provider: entries[i].id, reason: .contextWindow(limit: window))) }
                    continue
                }
            } else if let reason = hardFilter(i, request, tenant: tenant, ruleIndex: ruleIndex) {
                if !d.compact { d.dropped.append(Drop(index: i, provider: entries[i].id, reason: reason)) }
                continue
            }
            // Predictions and cost.
            let snapshot = d.snapshots[i]
            let entry = hot[i]
            let prediction: Prediction
            let p = entry.predictor
            if p >= 0 {
                unowned(unsafe) let predictor = predictors[p]   // `predictors` keeps it alive; no shared retain
                prediction = predictor.predict(request, d.values!)
            } else if entry.hasDense, let dense = entries[i].dense {
                prediction = dense.predict(request.features, scratch: &d.scratch)
            } else {
                prediction = Prediction(expectedLatencyMs: snapshot.ewmaMs, tailLatencyMs: snapshot.ewmaMs * 2,
                                        failureProbability: snapshot.failureRate)
            }
            let cost = entry.estimate(request.promptTokens, request.expectedOutputTokens)
            if let left = budgetLeft, !entry.isFree, let tag = request.budgetTag,
               entries[i].cost.cost(inputTokens: request.promptTokens, outputTokens: request.expectedOutputTokens) > left {
                if !d.compact { d.dropped.append(Drop(index: i, provider: entries[i].id, reason: .budgetExhausted(tag: tag))) }
                sharedLimits?.noteShortfall(SharedLimits.Key(.budget, tag),
                                            amount: entries[i].cost.cost(inputTokens: request.promptTokens, outputTokens: request.expectedOutputTokens))
                continue
            }
            if filters.rateLimit && snapshot.tokens < 1 {
                if !d.compact { d.dropped.append(Drop(index: i, provider: entries[i].id, reason: .rateLimited(retryAfter: snapshot.tokenWait))) }
                continue
            }
            if filters.health && !panic {
                if !snapshot.healthDrop.isNone, let reason = snapshot.healthDrop.reason {
                    if !d.compact { d.dropped.append(Drop(index: i, provider: entries[i].id, reason: reason)) }
                    continue
                }
                if snapshot.share < 1 && d.random.uniform() >= snapshot.share {
                    if !d.compact { d.dropped.append(Drop(index: i, provider: entries[i].id, reason: .slowStart(share: snapshot.share))) }
                    continue
                }
            }
            d.keep(i)
            d.predictions[i] = prediction
            d.costs[i] = cost
            d.keys[i] = ranksByLoad ? Double(snapshot.inFlight) : snapshot.ewmaMs
            d.quality[i] = entry.quality
        }
        if d.order.isEmpty { return }

        rank(request, ruleIndex: ruleIndex, now: now, into: &d)
    }

    /// The filters that do not depend on live state: tenant lists, capability, context window,
    /// compliance, residency and the matching rule.
    @inline(__always)
    func hardFilter(_ i: Int, _ r: RouteRequest, tenant: CompiledTenant?, ruleIndex: Int) -> DropReason? {
        let f = policy.filters
        if f.tenant, let t = tenant {
            let flags = tenantAccess[t.offset + i]
            if flags & CompiledTenant.denied != 0 { return .tenantDenied }
            if flags & CompiledTenant.allowed == 0 { return .tenantNotAllowed }
        }
        if f.capability {
            if !r.capabilities.isEmpty {
                for c in r.capabilities where !entries[i].capabilities.contains(c) { return .missingCapability(c) }
            }
            let window = hot[i].contextWindow
            if window < .max && r.contextTokens > window { return .contextWindow(limit: window) }
        }
        if f.compliance, !r.compliance.isEmpty {
            let missing = r.compliance.subtracting(hot[i].compliance)
            if !missing.isEmpty { return .compliance(missing: missing) }
        }
        if f.residency, let region = r.residency, !entries[i].regions.contains(region) { return .residency(required: region) }
        if ruleIndex >= 0 {
            if rules[ruleIndex].excluded[i] { return .excludedByRule(name: rules[ruleIndex].rule.name) }
            if rules[ruleIndex].only && !rules[ruleIndex].listed[i] {
                return .notInRule(name: rules[ruleIndex].rule.name)
            }
        }
        return nil
    }

    /// Orders `d.order` (the kept providers) and writes `d.candidates`.
    func rank(_ request: RouteRequest, ruleIndex: Int, now: Int64, into d: inout Decision) {
        let m = d.order.count
        // Scores by strategy; `d.keys` is ascending-is-better unless noted.
        switch policy.strategy {
        case .roundRobin:
            rotate(&d, by: rotation.wrappingAdd(1, ordering: .relaxed).oldValue)
            for (rank, i) in d.order.enumerated() { d.keys[i] = Double(rank) }
        case .weighted:
            // Primary: weighted random; the rest by descending weight.
            var total = 0.0
            for i in d.order { total += entries[i].weight }
            for i in d.order { d.keys[i] = -entries[i].weight }
            sortOrder(&d)
            if total > 0 {
                var u = d.random.uniform() * total
                var pick = 0
                for (k, i) in d.order.enumerated() {
                    u -= entries[i].weight
                    if u < 0 && entries[i].weight > 0 { pick = k; break }
                }
                moveToFront(&d, pick)
            }
            for i in d.order { d.keys[i] = entries[i].weight }
        case .leastConnections:
            rotate(&d, by: rotation.wrappingAdd(1, ordering: .relaxed).oldValue)
            for i in d.order { d.keys[i] = Double(d.snapshots[i].inFlight) }
            sortOrder(&d)
        case .powerOfTwoChoices:
            // `d.keys` holds the attempts in flight (written by `decide`).
            if m >= 2 {
                let a = Self.remainder(d.random.next(), m)
                var b = Self.remainder(d.random.next(), m - 1)
                if b >= a { b += 1 }
                let first = d.keys[d.order[a]] <= d.keys[d.order[b]] ? a : b
                // The winner in front, the rest by load.
                moveToFront(&d, first)
                sortOrder(&d, from: 1)
            }
        case .latencyEWMA(_, let buffer):
            // d.keys holds the EWMA; those within the buffer of the fastest share traffic.
            sortOrder(&d)
            let fastest = d.keys[d.order[0]]
            var within = 0
            while within < m && d.keys[d.order[within]] <= fastest * (1 + buffer) { within += 1 }
            if within > 1 {
                let start = rotation.wrappingAdd(1, ordering: .relaxed).oldValue % within
                rotatePrefix(&d, count: within, by: start)
            }
        case .costFirst:
            // Lexicographic (cost, latency) with two stable sorts: by latency, then by cost. (A
            // latency term folded into the cost key would let a slow provider outrank a cheaper
            // one whenever their costs differ by less than the latency term.)
            for i in d.order { d.keys[i] = d.predictions[i].expectedLatencyMs }
            sortOrder(&d)
            for i in d.order { d.keys[i] = d.costs[i] }
            sortOrder(&d)
        case .modelUtility(let lambda, let mu, _, _):
            if let q = quality, let strong = qualityStrong, let weak = qualityWeak, request.text != nil {
                let p = q.weakGoodEnough(request.features, scratch: &d.scratch)
                // The strong provider's own quality, not `d.quality[strong]`: that slot is only
                // written when the strong provider survives the filters (else it is stale or 0).
                d.quality[weak] = p * entries[strong].quality
                d.weakGoodEnough = p
            }
            // With `adapt`, a head's latency is scaled by the provider's online factor (the
            // decision still reports the head's own prediction).
            let adapting = adaptAlpha > 0
            let slo = request.latencySLOMs ?? .infinity
            for i in d.order {
                let pr = d.predictions[i]
                let factor = adapting && hasHead(i) ? d.snapshots[i].latencyFactor : 1
                d.keys[i] = d.quality[i] * (1 - pr.failureProbability) - lambda * d.costs[i]
                    - mu * factor * pr.expectedLatencyMs / 1000
                // Higher utility first; SLO misses after every SLO meet.
                d.flags[i] = factor * pr.tailLatencyMs > slo
            }
            sortOrder(&d, descending: true, missFlags: true)
        }

        // The rule's listed providers go first, in the rule's order.
        var ruleFront = 0
        if ruleIndex >= 0 {
            for target in rules[ruleIndex].route {
                if let k = position(of: target, in: d), k >= ruleFront {
                    move(&d, from: k, to: ruleFront)
                    ruleFront += 1
                }
            }
        }
        // Otherwise the primary's fallback chain follows it.
        var fallbackEnd = 1
        if ruleFront == 0, let primary = d.order.first {
            @inline(__always) func follow(_ f: Int) {
                if let k = position(of: f, in: d), k >= fallbackEnd {
                    move(&d, from: k, to: fallbackEnd)
                    fallbackEnd += 1
                }
            }
            // Packed in the hot entry when it fits: no retain of the entry and its array.
            if var chain = hot[primary].fallbacks {
                while let f = chain.popFirst() { follow(f) }
            } else {
                for f in entries[primary].fallbacks { follow(f) }
            }
        }

        // A compact decision keeps the ranking in `d.order` only (see ``Decision/init(seed:compact:)``).
        if d.compact { return }
        let strategyName = policy.strategy.name
        let slo = request.latencySLOMs ?? .infinity
        for (k, i) in d.order.enumerated() {
            let placement: Placement
            if k < ruleFront {
                placement = .rule(name: rules[ruleIndex].rule.name)
            } else if ruleFront == 0 && k >= 1 && k < fallbackEnd {
                placement = .fallback(of: entries[d.order[0]].id)
            } else {
                placement = .strategy(strategyName)
            }
            let pr = d.predictions[i]
            d.candidates.append(Candidate(index: i, provider: entries[i].id, score: d.keys[i], prediction: pr,
                                          costUSD: d.costs[i], placement: placement,
                                          missesSLO: pr.tailLatencyMs > slo))
        }
    }

    // Stable insertion sort of d.order[start...] by d.keys (n is small: a pool of providers).
    // In place, through the decision's pointers: no uniqueness or bounds check per move.
    @inline(__always)
    func sortOrder(_ d: inout Decision, from start: Int = 0, descending: Bool = false, missFlags: Bool = false) {
        let order = d.order, keys = d.keys, flags = d.flags
        let m = order.count
        if m - start < 2 { return }
        for a in (start + 1)..<m {
            let v = order[a]
            let kv = keys[v], mv = missFlags && flags[v]
            var b = a - 1
            while b >= start {
                let u = order[b]
                let ku = keys[u], mu = missFlags && flags[u]
                let before: Bool
                if mv != mu { before = !mv } else { before = descending ? kv > ku : kv < ku }
                if !before { break }
                order[b + 1] = u
                b -= 1
            }
            order[b + 1] = v
        }
    }

    func rotate(_ d: inout Decision, by start: Int) { rotatePrefix(&d, count: d.order.count, by: start % max(1, d.order.count)) }

    func rotatePrefix(_ d: inout Decision, count m: Int, by start: Int) {
        guard m > 1, start % m != 0 else { return }
        let s = start % m
        // Three reversals: rotate left by s, in place.
        let order = d.order
        order[0..<s].reverse()
        order[s..<m].reverse()
        order[0..<m].reverse()
    }

    func moveToFront(_ d: inout Decision, _ k: Int) { move(&d, from: k, to: 0) }

    /// Moves `d.order[k]` to position `t ≤ k`, shifting those between one place back: the same
    /// as `insert(remove(at: k), at: t)`, without resizing the array.
    @inline(__always)
    func move(_ d: inout Decision, from k: Int, to t: Int) {
        guard k > t else { return }
        let order = d.order
        let v = order[k]
        var j = k
        while j > t {
            order[j] = order[j - 1]
            j -= 1
        }
        order[t] = v
    }

    /// `x % m` for `m ≥ 1`. Pools are small, and a remainder by a constant compiles to a
    /// multiplication where one by a variable is a 64-bit division (tens of cycles).
    @inline(__always)
    static func remainder(_ x: UInt64, _ m: Int) -> Int {
        switch m {
        case 1: return 0
        case 2: return Int(x & 1)
        case 3: return Int(x % 3)
        case 4: return Int(x & 3)
        case 5: return Int(x % 5)
        case 6: return Int(x % 6)
        case 7: return Int(x % 7)
        case 8: return Int(x & 7)
        default: return Int(x % UInt64(m))
        }
    }

    /// The position of pool index `i` in `d.order`, if kept.
    @inline(__always)
    func position(of i: Int, in d: Decision) -> Int? {
        let order = d.order
        var k = 0
        while k < order.count {
            if order[k] == i { return k }
            k += 1
        }
        return nil
    }

    // MARK: - Admitting and completing

    /// Decides, then admits the best candidate whose breaker and rate limit accept it, counting
    /// it against the tenant's quota. `decision.selected` is set when one was admitted.
    ///
    /// - Returns: the ticket to complete, or nil when nothing could be admitted.
    @discardableResult
    public func route(_ request: RouteRequest, now: Int64, into d: inout Decision) -> Ticket? {
        decide(request, now: now, into: &d)
        guard d.rejection == nil, !d.order.isEmpty else { return nil }
        if policy.filters.quota, let q = (tenants.isEmpty ? defaultTenant : tenants[request.tenant] ?? defaultTenant)?.quota {
            // Read, change, write back: mutating through the dictionary's optional subscript
            // allocates, replacing an existing value does not.
            let (admitted, resets) = sharedLimits.map { shared -> (Bool, Int64) in
                let key = SharedLimits.Key(.quota, request.tenant), window = Int64(q.period.seconds) * RoutingTime.second
                let taken = shared.take(key, amount: Money(whole: 1), limit: Money(whole: q.requests), window: window, now: now)
                return (taken, (BudgetLedger.index(now, window) + 1) * window)
            } ?? quotas.withLock { quotas -> (Bool, Int64) in
                var quota = quotas[request.tenant]
                    ?? TenantQuota(quota: q.requests, window: Int64(q.period.seconds) * RoutingTime.second)
                let taken = quota.tryTake(now: now)
                quotas[request.tenant] = quota
                return (taken, quota.resetsAt(now: now))
            }
            if !admitted {
                d.rejection = .quotaExhausted(tenant: request.tenant, resetsAt: resets)
                d.candidates.removeAll(keepingCapacity: true)
                d.clearOrder()
                return nil
            }
        }
        var ticket = admitNext(&d, from: 0, now: now)
        if let shared = sharedLimits, policy.filters.quota, let tag = request.budgetTag, let b = policy.budgets[tag] {
            // Shared budgets are reserved at admission (the estimate, exact) and settled when
            // the outcome is reported; a candidate whose reservation no longer fits (another
            // thread took the rest) is released and the next one tried.
            let key = SharedLimits.Key(.budget, tag), window = Int64(b.period.seconds) * RoutingTime.second
            while let t = ticket {
                let cost = hot[t.index].isFree ? Money.zero
                    : entries[t.index].cost.cost(inputTokens: request.promptTokens, outputTokens: request.expectedOutputTokens)
                if cost == .zero { break }
                if shared.take(key, amount: cost, limit: b.limit, window: window, now: now) {
                    ticket!.reserved = cost
                    ticket!.reservedAt = now
                    break
                }
                complete(t, status: .cancelled, latencyMs: 0, now: now)
                ticket = admitNext(&d, from: d.selected.map { $0 + 1 } ?? d.candidates.count, now: now)
            }
        }
        return ticket
    }

    /// After the selected attempt failed, admits the next candidate (failover).
    ///
    /// - Returns: a ticket for the next admitted candidate, or nil when none is left.
    public func failover(_ d: inout Decision, now: Int64) -> Ticket? {
        guard let s = d.selected else { return nil }
        return admitNext(&d, from: s + 1, now: now)
    }

    func admitNext(_ d: inout Decision, from start: Int, now: Int64) -> Ticket? {
        var k = start
        // `d.order` is the ranking `candidates` were written from (the same indices, in order).
        while k < d.order.count {
            let i = d.order[k]
            if let probe = tryAdmit(i, now: now, ignoreHealth: d.panic) {
                d.selected = k
                d.selectedIsProbe = probe
                var ticket = Ticket(index: i, provider: entries[i].id, isProbe: probe)
                if adaptAlpha > 0 && hasHead(i) { ticket.predictedMs = d.predictions[i].expectedLatencyMs }
                return ticket
            }
            k += 1
        }
        d.selected = nil
        return nil
    }

    /// Admits an attempt on the provider at `index` in the pool (for callers that keep a
    /// decision's candidates themselves, such as the simulator's clients).
    ///
    /// - Returns: a ticket, or nil when its breaker or rate limit refuses.
    public func admit(_ index: Int, now: Int64, ignoreHealth: Bool = false) -> Ticket? {
        guard let probe = tryAdmit(index, now: now, ignoreHealth: ignoreHealth) else { return nil }
        return Ticket(index: index, provider: entries[index].id, isProbe: probe)
    }

    /// Admits one attempt on provider `i`: breaker permission and a rate-limit token.
    /// - Returns: nil when refused, else whether the attempt is a half-open probe.
    func tryAdmit(_ i: Int, now: Int64, ignoreHealth: Bool) -> Bool? {
        let filters = policy.filters
        return live.withLock { live -> Bool? in
            // In place: `live[i]` is not copied out and back.
            return Self.admit(&live[i], now: now, rateLimit: filters.rateLimit, health: filters.health && !ignoreHealth)
        }
    }

    /// Whether provider `i`'s latency comes from a routing-model head (not from its EWMA).
    @inline(__always)
    func hasHead(_ i: Int) -> Bool { hot[i].predictor >= 0 || hot[i].hasDense }

    /// Admits one attempt on `s` (the pool's lock held).
    @inline(__always)
    static func admit(_ s: inout ProviderRuntime, now: Int64, rateLimit: Bool, health: Bool) -> Bool? {
        // The rate limit is checked before the breaker: `allow` takes a half-open probe slot
        // that only a reported outcome gives back, so it must not be asked for an attempt the
        // rate limit then refuses.
        if rateLimit {
            for b in s.buckets.indices where s.buckets[b].available(now: now) < 1 { _ = b; return nil }
        }
        var probe = false
        if health {
            switch s.breaker.allow(now: now) {
            case .allowed: probe = false
            case .probe: probe = true
            case .rejected: return nil
            }
        }
        if rateLimit {
            for b in s.buckets.indices { _ = s.buckets[b].tryTake(now: now) }
        }
        s.inFlight += 1
        return probe
    }

    /// Reports how an admitted attempt ended.
    ///
    /// Drives the provider's circuit breaker, latency EWMA (successes only) and outlier counts,
    /// charges the budget exactly from the policy's prices, and every `outliers.interval` compares
    /// providers' success rates.
    ///
    /// - Parameters:
    ///   - ticket: from ``route(_:now:into:)`` or ``failover(_:now:)``.
    ///   - status: the outcome; `cancelled` counts for nothing but the in-flight count.
    ///   - latencyMs: how long the attempt took.
    ///   - inputTokens, outputTokens: actual usage, for the budget.
    ///   - budgetTag: the request's budget tag.
    ///   - now: the time the attempt ended, µs.
    public func complete(_ ticket: Ticket, status: RequestStatus, latencyMs: Double, inputTokens: Int = 0,
                         outputTokens: Int = 0, budgetTag: String? = nil, now: Int64) {
        let i = ticket.index
        let alpha = ewmaAlpha, adapt = adaptAlpha
        live.withLock { live in
            Self.record(&live[i], status: status, isProbe: ticket.isProbe, latencyMs: latencyMs, alpha: alpha, now: now)
            if adapt > 0 && status == .ok && ticket.predictedMs > 0 {
                live[i].correction.note(observedMs: latencyMs, predictedMs: ticket.predictedMs, alpha: adapt, now: now)
            }
        }
        if let shared = sharedLimits, let tag = budgetTag {
            // Settle the reservation: the reported cost replaces the estimate (cancelled: nothing).
            let cost = status == .cancelled ? Money.zero : entries[i].cost.cost(inputTokens: inputTokens, outputTokens: outputTokens)
            if cost != ticket.reserved {
                shared.adjust(SharedLimits.Key(.budget, tag), by: cost - ticket.reserved, takenAt: ticket.reservedAt, now: now)
            }
        } else if let tag = budgetTag, status != .cancelled {
            let cost = entries[i].cost.cost(inputTokens: inputTokens, outputTokens: outputTokens)
            if cost != .zero {
                budgets.withLock { ledgers in
                    // Replacing an existing value allocates nothing (mutating through `?` would).
                    guard var ledger = ledgers[tag] else { return }
                    ledger.spend(cost, now: now)
                    ledgers[tag] = ledger
                }
            }
        }
        if policy.outliers.enabled { sweepIfDue(now: now) }
    }

    /// Records an attempt's outcome on `s` (the pool's lock held).
    @inline(__always)
    static func record(_ s: inout ProviderRuntime, status: RequestStatus, isProbe: Bool, latencyMs: Double, alpha: Double,
                       now: Int64) {
        s.inFlight -= 1
        if status != .cancelled {
            let success = status == .ok
            s.breaker.record(success: success, now: now)
            // The window only changes here: its failure share is divided once per outcome,
            // not once per provider per decision.
            let w = s.breaker.window
            s.failureRate = w.requests > 0 ? Double(w.failures) / Double(w.requests) : 0
            if success && latencyMs.isFinite && latencyMs >= 0 {
                s.ewmaMs = s.observed ? alpha * latencyMs + (1 - alpha) * s.ewmaMs : latencyMs
                s.observed = true
            }
            s.intervalRequests += 1
            if success { s.intervalSuccesses += 1 }
        } else if isProbe {
            s.breaker.cancelProbe()
        }
    }

    // MARK: - Retries

    /// Counts a request (its first attempt) starting, for the retry budget.
    public func requestStarted() { activeRequests.wrappingAdd(1, ordering: .relaxed) }
    /// Counts a request finishing, for the retry budget.
    public func requestFinished() {
        let before = activeRequests.wrappingSubtract(1, ordering: .relaxed).oldValue
        precondition(before > 0, "requestFinished() without requestStarted()")
    }

    /// Whether to retry after an attempt ended with `status`: the policy retries that outcome,
    /// attempts are left, and the retry budget has room (which it then holds until
    /// ``retryFinished()``).
    public func shouldRetry(_ status: RequestStatus, attempts: Int) -> Bool {
        guard policy.retry.shouldRetry(status, attempts: attempts) else { return false }
        let active = activeRequests.load(ordering: .relaxed)
        return retryBudget.withLock {
            $0.setActiveRequests(active)
            return $0.tryStartRetry()
        }
    }

    /// Counts a retry finishing.
    public func retryFinished() { retryBudget.withLock { $0.retryFinished() } }

    /// The wait before retry number `retry` (1-based), with seeded jitter.
    public func backoff(retry: Int, random: inout SeededRandom) -> Int64 {
        policy.retry.backoff(retry: retry, using: &random)
    }

    // MARK: - Outlier ejection

    /// Compares providers' success rates over the last interval and ejects those below
    /// mean − k·σ of their peers, at most `maxEjectedShare` of the pool at once.
    func sweepIfDue(now: Int64) {
        if now < nextSweep.load(ordering: .relaxed) { return }
        let o = policy.outliers
        _ = outlierSweep.withLockIfAvailable { sweep in
            guard now >= sweep.next else { return }
            sweep.next = now + o.interval
            nextSweep.store(sweep.next, ordering: .relaxed)
            let n = entries.count
            var peers = 0, sum = 0.0, sumSq = 0.0, ejectedNow = 0
            live.withLock { live in
                for i in 0..<n {
                    let s = live[i]
                    let rate = s.intervalRequests >= o.minimumRequests ? Double(s.intervalSuccesses) / Double(s.intervalRequests) : -1
                    live[i].intervalRequests = 0
                    live[i].intervalSuccesses = 0
                    sweep.rates[i] = rate
                    if s.ejectedUntil > now { ejectedNow += 1 }
                    if rate >= 0 {
                        peers += 1
                        sum += rate
                        sumSq += rate * rate
                    }
                }
            }
            guard peers >= o.minimumPeers else { return }
            let mean = sum / Double(peers)
            let sd = max(0, sumSq / Double(peers) - mean * mean).squareRoot()
            let threshold = mean - o.stdevFactor * sd
            let maxEjected = Int((o.maxEjectedShare * Double(n) + 1e-9).rounded(.down))
            // Worst first.
            while ejectedNow < maxEjected {
                var worst = -1
                for i in 0..<n where sweep.rates[i] >= 0 && sweep.rates[i] < threshold {
                    if worst < 0 || sweep.rates[i] < sweep.rates[worst] { worst = i }
                }
                if worst < 0 { break }
                sweep.rates[worst] = -1
                let ejected = live.withLock { live -> Bool in
                    guard live[worst].ejectedUntil <= now else { return false }
                    live[worst].ejections += 1
                    live[worst].ejectedUntil = now + min(o.maxEjection, o.baseEjection * Int64(live[worst].ejections))
                    return true
                }
                if ejected { ejectedNow += 1 }
            }
        }
    }

    // MARK: - Introspection

    /// A provider's live state, for health endpoints, reports and tests.
    public struct Health: Sendable, Equatable {
        public var provider: String
        public var breaker: CircuitBreaker.State
        public var trips: Int
        /// Breaker state changes so far (closed→open, open→half-open, half-open→closed or open).
        public var transitions: Int
        public var ejectedUntil: Int64?
        public var ejections: Int
        public var inFlight: Int
        public var latencyEWMAms: Double
        public var tokens: Double?
        public var trafficShare: Double
    }

    /// The position of a provider in the pool, or nil.
    public func index(of provider: String) -> Int? { entries.firstIndex { $0.id == provider } }

    /// Whether provider `i` is ejected or has its circuit open at `now` (cheap; for monitors).
    public func isUnhealthy(_ i: Int, now: Int64) -> Bool {
        live.withLock { !$0[i].isHealthy(now: now) }
    }

    /// Every provider's live state at `now`.
    public func health(now: Int64) -> [Health] {
        live.withLock { live in
            entries.indices.map { i in
                let s = live[i]
                return Health(provider: entries[i].id, breaker: s.breaker.state, trips: s.breaker.trips,
                              transitions: s.breaker.transitions,
                              ejectedUntil: s.ejectedUntil > now ? s.ejectedUntil : nil, ejections: s.ejections,
                              inFlight: s.inFlight, latencyEWMAms: s.ewmaMs,
                              tokens: s.buckets.isEmpty ? nil : s.buckets.map { $0.available(now: now) }.min(),
                              trafficShare: s.breaker.trafficShare(now: now))
            }
        }
    }

    /// What a budget has left in the period containing `now`.
    public func budgetRemaining(_ tag: String, now: Int64) -> Money? {
        budgets.withLock { $0[tag]?.remaining(now: now) }
    }

    /// The retry budget's state: first attempts and retries in flight.
    public var retryLoad: (active: Int, retries: Int) {
        (activeRequests.load(ordering: .relaxed), retryBudget.withLock { $0.retriesInFlight })
    }
}

// MARK: - Compiled state

/// A provider's compiled facts; a class so that reading one field copies nothing else.
final class Entry: Sendable {
    let id: String
    let compliance: ComplianceSet
    let capabilities: [String]
    let contextWindow: Int?
    let regions: [String]
    let cost: ProviderCost
    let quality: Double
    let weight: Double
    /// A compiled head (index into `Router.predictors`), or -1.
    let predictor: Int
    /// A head that could not be compiled (hashed text): the dense path.
    let dense: ProviderModel?
    let fallbacks: [Int]

    init(id: String, compliance: ComplianceSet, capabilities: [String], contextWindow: Int?, regions: [String],
         cost: ProviderCost, quality: Double, weight: Double, predictor: Int, dense: ProviderModel?, fallbacks: [Int]) {
        self.id = id
        self.compliance = compliance
        self.capabilities = capabilities
        self.contextWindow = contextWindow
        self.regions = regions
        self.cost = cost
        self.quality = quality
        self.weight = weight
        self.predictor = predictor
        self.dense = dense
        self.fallbacks = fallbacks
    }

    /// What the decision loop reads of this entry, as a plain value.
    var hot: HotEntry {
        var chain = FailoverCandidates()
        var packed = true
        for f in fallbacks where !chain.append(f) { packed = false }
        return HotEntry(compliance: compliance, contextWindow: contextWindow ?? .max, quality: quality, predictor: predictor,
                        hasDense: dense != nil, inputPerToken: cost.inputPerMillion.doubleValue / 1e6,
                        outputPerToken: cost.outputPerMillion.doubleValue / 1e6, perRequest: cost.perRequest.doubleValue,
                        isFree: cost.isFree, fallbacks: packed ? chain : nil)
    }
}

/// The fields of an ``Entry`` every decision reads, with no reference-counted member, so the
/// per-provider loop of ``Router/decide(_:now:into:)`` copies a few words per provider and
/// retains nothing.
struct HotEntry: Sendable {
    let compliance: ComplianceSet
    /// The context window, `Int.max` when the catalog gives none.
    let contextWindow: Int
    let quality: Double
    let predictor: Int
    let hasDense: Bool
    /// Prices as Doubles per token, for ranking (from ``Entry/cost``); budgets use the exact cost.
    let inputPerToken: Double
    let outputPerToken: Double
    let perRequest: Double
    let isFree: Bool
    /// ``Entry/fallbacks`` packed into a word (nil when they do not fit: more than
    /// ``FailoverCandidates/capacity``, or an index above 255), so that ranking reads the
    /// primary's fallback chain without retaining the entry and its array.
    let fallbacks: FailoverCandidates?

    @inline(__always)
    func estimate(_ input: Int, _ output: Int) -> Double {
        inputPerToken * Double(input) + outputPerToken * Double(output) + perRequest
    }
}

/// A rule, compiled; a class so that matching reads its conditions in place.
final class CompiledRule: Sendable {
    let rule: RoutingRule

    init(rule: RoutingRule, route: [Int], listed: [Bool], excluded: [Bool]) {
        self.rule = rule
        self.route = route
        self.listed = listed
        self.excluded = excluded
    }

    /// `mode: only` with a route list: providers not listed are dropped.
    var only: Bool { rule.action.mode == .only && !route.isEmpty }
    let route: [Int]
    let listed: [Bool]
    let excluded: [Bool]
}

/// A tenant's lists, compiled: its row in ``Router/tenantAccess`` and its quota.
struct CompiledTenant: Sendable {
    static let allowed: UInt8 = 1
    static let denied: UInt8 = 2
    let offset: Int
    let quota: RateLimit?
}

struct BudgetLedger: Sendable {
    let limit: Money
    let window: Int64
    var windowIndex: Int64 = .min
    var spent: Money = .zero

    func remaining(now: Int64) -> Money {
        let i = Self.index(now, window)
        return i == windowIndex ? limit - spent : limit
    }

    mutating func spend(_ cost: Money, now: Int64) {
        let i = Self.index(now, window)
        if i > windowIndex {
            windowIndex = i
            spent = .zero
        }
        // Saturates: a window's spending past `Money`'s range is "more than any limit".
        spent = spent.addingReportingOverflow(cost) ?? Money(units: .max)
    }

    static func index(_ now: Int64, _ window: Int64) -> Int64 { now >= 0 ? now / window : (now + 1) / window - 1 }
}

struct SweepState: Sendable {
    var next: Int64
    var rates: [Double]
}

struct ProviderRuntime: Sendable {
    var breaker: CircuitBreaker
    var buckets: [TokenBucket]
    var ewmaMs: Double
    var observed = false
    var intervalRequests = 0
    var intervalSuccesses = 0
    var ejectedUntil: Int64 = .min
    var ejections = 0
    /// Attempts admitted and not yet reported.
    var inFlight = 0
    /// The failure share of the breaker's window (0 when empty), kept up to date by
    /// ``Router/record(_:status:isProbe:latencyMs:alpha:now:)``, the only place the window
    /// changes.
    var failureRate = 0.0
    /// The online correction of a head's latency (`model_utility`'s `adapt`).
    var correction: LatencyCorrection

    init(breaker: CircuitBreaker, buckets: [TokenBucket], ewmaMs: Double, correction: LatencyCorrection = LatencyCorrection()) {
        self.correction = correction
        self.breaker = breaker
        self.buckets = buckets
        self.ewmaMs = ewmaMs
    }

    struct Snapshot {
        /// ``isHealthy(now:)`` at the snapshot's time.
        var healthy: Bool
        var ewmaMs: Double
        var failureRate: Double
        var tokens: Double
        var tokenWait: Int64
        var healthDrop: HealthDrop
        var share: Double
        var inFlight: Int
        /// The online latency correction at the snapshot's time: the factor a head's latency
        /// predictions are multiplied by (1 when not adapting).
        var latencyFactor: Double = 1
    }

    /// Why health drops a provider, as a plain value (``DropReason`` holds strings, and a
    /// snapshot is copied for every provider of every decision).
    enum HealthDrop {
        case none
        case circuitOpen(until: Int64)
        case probesExhausted
        case ejected(until: Int64)

        var isNone: Bool {
            if case .none = self { return true }
            return false
        }

        var reason: DropReason? {
            switch self {
            case .none: return nil
            case .circuitOpen(let until): return .circuitOpen(until: until)
            case .probesExhausted: return .probesExhausted
            case .ejected(let until): return .ejected(until: until)
            }
        }
    }

    @inline(__always)
    func isHealthy(now: Int64) -> Bool {
        if ejectedUntil > now { return false }
        if case .open(let until) = breaker.state, until > now { return false }
        return true
    }

    /// Inlined into the decision's loop: returned through memory, the snapshot was stored and
    /// reloaded at once (a store-forwarding stall per provider per decision).
    @inline(__always)
    func snapshot(now: Int64) -> Snapshot {
        var tokens = Double.infinity
        var wait: Int64 = 0
        for b in buckets {
            let a = b.available(now: now)
            if a < tokens { tokens = a; wait = b.wait(now: now) }
        }
        var drop = HealthDrop.none
        switch breaker.state {
        case .open(let until) where until > now: drop = .circuitOpen(until: until)
        case .halfOpen(let inFlight, let successes) where inFlight + successes >= breaker.configuration.halfOpenProbes:
            drop = .probesExhausted
        default: break
        }
        if case .none = drop, ejectedUntil > now { drop = .ejected(until: ejectedUntil) }
        // Slow start applies to a closed breaker only. `trafficShare` is 0 while open or half-open
        // (probes are admitted by the breaker, not by share), so using it here would drop a
        // half-open provider, or one whose open time is over, from every decision: it would never
        // be probed and never close.
        let share: Double
        if case .closed = breaker.state { share = breaker.trafficShare(now: now) } else { share = 1 }
        return Snapshot(healthy: isHealthy(now: now), ewmaMs: ewmaMs, failureRate: failureRate,
                        tokens: tokens, tokenWait: wait, healthDrop: drop, share: share, inFlight: inFlight,
                        latencyFactor: correction.factor(now: now))
    }
}
