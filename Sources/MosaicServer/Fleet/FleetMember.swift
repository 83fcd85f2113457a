import Foundation
import Logging
import MosaicCore
import MosaicRouting
import MosaicStore

/// How a router takes part in a fleet (`mosaic serve --store postgres://…`).
public struct FleetOptions: Sendable {
    /// A lease is this fraction of a limit (a quota of 3,000/minute: leases of 93 requests),
    /// at least one request; a budget lease also covers the dearest request that did not fit.
    public var leaseDivisor = 32
    /// A lease not renewed for this long expires and its unused part goes back (seconds).
    public var leaseTTLSeconds = 5.0
    /// How often allowances are checked and topped up (seconds).
    public var refillSeconds = 0.05
    /// How long before a window ends its next window is leased (seconds; at most a tenth of
    /// the window).
    public var prefetchSeconds = 2.0

    public init() {}
}

/// One router's part in a fleet: it keeps the router's shared allowances topped up from
/// PostgreSQL leases, renews them, expires the leases of routers that died, and applies
/// publications it hears of through `LISTEN`.
///
/// All store work runs on one background thread with a connection of its own; the decision
/// path only ever touches ``limits`` in memory. The listener's callback only wakes the thread.
///
/// When PostgreSQL restarts or cannot be reached, no statement waits longer than
/// `storeTimeout`; renewals fail meanwhile (logged once per outage) and the allowances already
/// granted are spent, then admissions on shared limits stop until leases are granted again.
/// The connection is made again on the next pass after the server answers, and publications
/// are read again then (and whenever the listener is back), so a publication made during the
/// outage is applied once the store answers.
final class FleetMember: @unchecked Sendable {
    let limits: SharedLimits
    let url: String
    let instance: String
    let options: FleetOptions
    let storeTimeout: Double
    let logger: Logger
    let clock: @Sendable () -> Int64

    let condition = NSCondition()
    // Guarded by `condition`:
    var stopping = false
    var publicationPending = true
    var refillPending = false
    var thread: Thread?
    let done = DispatchSemaphore(value: 0)
    var listener: NotificationListener?

    // Owned by the thread:
    struct Held {
        var renewedAt: Int64
        /// The allowance's use (``SharedLimits/Demand/used``) at the last renewal that answered.
        var reported: Money
    }
    struct WindowKey: Hashable {
        var key: SharedLimits.Key
        var window: Int64
    }
    var held: [WindowKey: Held] = [:]
    /// Per window whose lease was lost: the use the store counted in it (the lost lease's last
    /// report). The lease taken again reports only the use beyond it.
    var bases: [WindowKey: Money] = [:]
    var lastSweep: Int64 = 0
    var lastPrune: Int64 = 0
    var lastPublication: Int64 = 0
    /// The store's outage, if it did not answer last time.
    var outage = StoreOutage()

    init(url: String, limits: SharedLimits, instance: String, options: FleetOptions, storeTimeout: Double = 5,
         logger: Logger, clock: @escaping @Sendable () -> Int64) {
        self.url = url
        self.limits = limits
        self.instance = instance
        self.options = options
        self.storeTimeout = storeTimeout
        self.logger = logger
        self.clock = clock
    }

    /// Opens the fleet tables, applies the newest publication (if any) before returning,
    /// then starts the thread and the listener.
    func start(service: RoutingService) throws {
        let store = try Store(path: url)
        store.database.answerTimeout = storeTimeout
        let leases = try FleetLeases(store: store)
        if let p = try leases.latestPublication(after: 0) {
            lastPublication = p.id
            service.apply(p)
        }
        condition.lock()
        publicationPending = false
        condition.unlock()
        refill(leases)   // the first leases are in place before the first request
        limits.onLow { [weak self] in self?.wake(publication: false) }
        let box = LeasesBox(store: store, leases: leases)
        let t = Thread { [unowned self, weak service] in self.loop(box, service: service) }
        t.name = "mosaic-fleet"
        thread = t
        t.start()
        listener = NotificationListener(url: try PostgresURL(parsing: url), channel: FleetLeases.publicationChannel,
                                        logger: logger) { [weak self] _ in self?.wake(publication: true) }
    }

    final class LeasesBox: @unchecked Sendable {
        let store: Store
        let leases: FleetLeases
        init(store: Store, leases: FleetLeases) {
            self.store = store
            self.leases = leases
        }
    }

    func wake(publication: Bool) {
        condition.lock()
        if publication { publicationPending = true } else { refillPending = true }
        condition.signal()
        condition.unlock()
    }

    /// Stops the thread and gives back the unused part of every lease (idempotent).
    ///
    /// Waits for the thread at most two store timeouts (a pass in progress, then the release):
    /// with the store unavailable, the leases expire instead, and shutdown goes on.
    func close() {
        listener?.stop()
        condition.lock()
        let already = stopping
        stopping = true
        condition.signal()
        condition.unlock()
        if !already && thread != nil && done.wait(timeout: .now() + 2 * storeTimeout + 1) == .timedOut {
            logger.error("fleet: the store did not answer; leases not given back (they expire instead)")
        }
    }

    func loop(_ box: LeasesBox, service: RoutingService?) {
        while true {
            condition.lock()
            if !stopping && !publicationPending && !refillPending {
                _ = condition.wait(until: Date(timeIntervalSinceNow: options.refillSeconds))
            }
            let stop = stopping
            let publication = publicationPending
            publicationPending = false
            refillPending = false
            condition.unlock()
            if stop { break }
            if publication, let service, !checkPublications(box.leases, service: service) {
                // Read them again on the next pass: a notification is not sent twice.
                condition.lock()
                publicationPending = true
                condition.unlock()
            }
            let wasUnavailable = outage.isOngoing
            refill(box.leases)
            if wasUnavailable && !outage.isOngoing {
                // Publications made while the store was unavailable may have had nobody to hear them.
                condition.lock()
                publicationPending = true
                condition.unlock()
            }
        }
        do {
            try box.leases.release(instance: instance)
        } catch {
            logger.error("fleet: could not give leases back (they expire instead)", metadata: ["error": "\(error)"])
        }
        done.signal()
    }

    /// Applies the newest publication not applied yet; false when it could not be read.
    func checkPublications(_ leases: FleetLeases, service: RoutingService) -> Bool {
        do {
            let latest = try leases.latestPublication(after: lastPublication)
            answered()
            guard let p = latest else { return true }
            lastPublication = p.id
            service.apply(p)
            return true
        } catch {
            failed(error, "fleet: cannot read publications", [:])
            return false
        }
    }

    /// Logs a store failure; an unavailable store only once per outage (``answered()`` ends it).
    /// Returns whether the store is unavailable (the pass has nothing more to try).
    @discardableResult
    func failed(_ error: any Error, _ message: Logger.Message, _ metadata: Logger.Metadata) -> Bool {
        guard let e = error as? StoreError, e.isUnavailable else {
            logger.error(message, metadata: metadata.merging(["error": "\(error)"]) { a, _ in a })
            return false
        }
        if outage.begin() {
            logger.error("""
                fleet: the store is unavailable; no leases are renewed until it answers \
                (admissions on shared limits stop when the allowances granted are spent)
                """, metadata: ["error": "\(error)"])
        }
        return true
    }

    /// Notes that the store answered, ending an outage.
    func answered() {
        guard let seconds = outage.end() else { return }
        logger.notice("fleet: the store answers again", metadata: ["down_seconds": "\(seconds)"])
    }

    /// The size of one lease of a limit: a fraction of it, at least one whole request (or the
    /// smallest unit of money).
    func leaseSize(_ d: SharedLimits.Demand) -> Money {
        let divisor = Int128(max(1, options.leaseDivisor))
        if d.key.kind == .quota {
            let whole = d.limit.units / Money.unitsPerWhole
            return Money(units: max(1, whole / divisor) * Money.unitsPerWhole)
        }
        return Money(units: max(1, d.limit.units / divisor))
    }

    /// One pass: top up allowances that ran low, renew leases due, expire dead routers' leases.
    ///
    /// A lease found expired (the store was out of reach for longer than the lease TTL, and
    /// another router's sweep gave back its unused part by its last report) is taken again on
    /// the next pass, at once: the router's use since that report is leased and reported with
    /// the new allowance, so the window counts it, and admissions go on from what is granted.
    func refill(_ leases: FleetLeases) {
        let now = clock()
        let ttl = Int64(options.leaseTTLSeconds * 1e6)
        let renewEvery = max(Int64(options.refillSeconds * 1e6), ttl / 4)
        var seen = Set<WindowKey>()
        var relapsed = false
        for d in limits.demands(now: now, prefetch: Int64(options.prefetchSeconds * 1e6)) {
            let prefetch = min(Int64(options.prefetchSeconds * 1e6), d.windowLength / 10)
            let wk = WindowKey(key: d.key, window: d.window)
            let start = d.window * d.windowLength
            if start > now && start - now > prefetch { continue }
            seen.insert(wk)
            let size = leaseSize(d)
            let target = max(size, d.shortfall)
            // Top up below half a lease left, and whenever a decision wanted more than is left: a
            // budget lease smaller than one request (but more than half of it) grows to fit it.
            var wanted = Money.zero
            if d.left < d.shortfall || d.left.units * 2 <= size.units { wanted = target - d.left }
            let h = held[wk]
            if wanted == .zero, let h, now - h.renewedAt < renewEvery { continue }
            let base = bases[wk] ?? .zero
            do {
                let r = try leases.renew(key: d.key.description, windowStart: start, windowEnd: start + d.windowLength,
                                         capacity: d.limit, wanted: wanted, used: max(.zero, d.used - base),
                                         instance: instance, exists: h != nil, expiresAt: now + ttl)
                if r.lost, let h {
                    // What was left went back; what was admitted since the last report did not.
                    bases[wk] = h.reported
                    held[wk] = nil
                    limits.forfeit(d.key, window: d.window, keeping: h.reported)
                    relapsed = true
                    logger.warning("fleet: a lease expired before it was renewed; leasing again with the use since its last report",
                                   metadata: ["key": "\(d.key)", "window_start": "\(start)", "unreported": "\(d.used - h.reported)"])
                    continue
                }
                held[wk] = Held(renewedAt: now, reported: d.used)
                if r.granted > .zero {
                    limits.grant(d.key, window: d.window, amount: r.granted, lowWater: Money(units: target.units / 2))
                }
                answered()
            } catch {
                // An unavailable store fails every other renewal of this pass too: stop here.
                if failed(error, "fleet: lease renewal failed", ["key": "\(d.key)"]) { return }
            }
        }
        // Windows that ended: forget them (their rows are pruned below).
        for k in held.keys where !seen.contains(k) { held[k] = nil }
        bases = bases.filter { seen.contains($0.key) }
        if relapsed { wake(publication: false) }
        if now - lastSweep >= 1_000_000 {
            lastSweep = now
            do {
                let n = try leases.expire(now: now)
                answered()
                if n > 0 { logger.notice("fleet: expired leases of routers that stopped renewing", metadata: ["leases": "\(n)"]) }
            } catch {
                failed(error, "fleet: lease expiry sweep failed", [:])
            }
        }
        if now - lastPrune >= 60_000_000 {
            lastPrune = now
            try? leases.prune(before: now - 3_600_000_000)
        }
    }
}
