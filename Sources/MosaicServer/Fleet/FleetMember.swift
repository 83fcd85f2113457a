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
final class FleetMember: @unchecked Sendable {
    let limits: SharedLimits
    let url: String
    let instance: String
    let options: FleetOptions
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
    }
    struct WindowKey: Hashable {
        var key: SharedLimits.Key
        var window: Int64
    }
    var held: [WindowKey: Held] = [:]
    var lost: Set<WindowKey> = []
    var lastSweep: Int64 = 0
    var lastPrune: Int64 = 0
    var lastPublication: Int64 = 0

    init(url: String, limits: SharedLimits, instance: String, options: FleetOptions, logger: Logger,
         clock: @escaping @Sendable () -> Int64) {
        self.url = url
        self.limits = limits
        self.instance = instance
        self.options = options
        self.logger = logger
        self.clock = clock
    }

    /// Opens the fleet tables, applies the newest publication (if any) before returning,
    /// then starts the thread and the listener.
    func start(service: RoutingService) throws {
        let store = try Store(path: url)
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
    func close() {
        listener?.stop()
        condition.lock()
        let already = stopping
        stopping = true
        condition.signal()
        condition.unlock()
        if !already && thread != nil { done.wait() }
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
            if publication, let service { checkPublications(box.leases, service: service) }
            refill(box.leases)
        }
        do {
            try box.leases.release(instance: instance)
        } catch {
            logger.error("fleet: could not give leases back (they expire instead)", metadata: ["error": "\(error)"])
        }
        done.signal()
    }

    func checkPublications(_ leases: FleetLeases, service: RoutingService) {
        do {
            guard let p = try leases.latestPublication(after: lastPublication) else { return }
            lastPublication = p.id
            service.apply(p)
        } catch {
            logger.error("fleet: cannot read publications", metadata: ["error": "\(error)"])
        }
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
    func refill(_ leases: FleetLeases) {
        let now = clock()
        let ttl = Int64(options.leaseTTLSeconds * 1e6)
        let renewEvery = max(Int64(options.refillSeconds * 1e6), ttl / 4)
        var seen = Set<WindowKey>()
        for d in limits.demands(now: now, prefetch: Int64(options.prefetchSeconds * 1e6)) {
            let prefetch = min(Int64(options.prefetchSeconds * 1e6), d.windowLength / 10)
            let wk = WindowKey(key: d.key, window: d.window)
            let start = d.window * d.windowLength
            if start > now && start - now > prefetch { continue }
            seen.insert(wk)
            if lost.contains(wk) { continue }
            let size = leaseSize(d)
            let target = max(size, d.shortfall)
            var wanted = Money.zero
            if d.left.units * 2 <= target.units { wanted = target - d.left }
            let h = held[wk]
            if wanted == .zero, let h, now - h.renewedAt < renewEvery { continue }
            do {
                let r = try leases.renew(key: d.key.description, windowStart: start, windowEnd: start + d.windowLength,
                                         capacity: d.limit, wanted: wanted, used: d.used, instance: instance,
                                         exists: h != nil, expiresAt: now + ttl)
                if r.lost {
                    lost.insert(wk)
                    held[wk] = nil
                    limits.revoke(d.key, window: d.window)
                    logger.error("fleet: a lease expired before it was renewed; no more admissions on it this window",
                                 metadata: ["key": "\(d.key)", "window_start": "\(start)"])
                    continue
                }
                held[wk] = Held(renewedAt: now)
                if r.granted > .zero {
                    limits.grant(d.key, window: d.window, amount: r.granted, lowWater: Money(units: target.units / 2))
                }
            } catch {
                logger.error("fleet: lease renewal failed", metadata: ["key": "\(d.key)", "error": "\(error)"])
            }
        }
        // Windows that ended: forget them (their rows are pruned below).
        for k in held.keys where !seen.contains(k) { held[k] = nil }
        lost = lost.filter { seen.contains($0) }
        if now - lastSweep >= 1_000_000 {
            lastSweep = now
            do {
                let n = try leases.expire(now: now)
                if n > 0 { logger.notice("fleet: expired leases of routers that stopped renewing", metadata: ["leases": "\(n)"]) }
            } catch {
                logger.error("fleet: lease expiry sweep failed", metadata: ["error": "\(error)"])
            }
        }
        if now - lastPrune >= 60_000_000 {
            lastPrune = now
            try? leases.prune(before: now - 3_600_000_000)
        }
    }
}
