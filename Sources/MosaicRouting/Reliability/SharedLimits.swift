import MosaicCore
import Synchronization

/// Tenant quotas and budgets shared by a fleet of routers, decided in memory against leased
/// slices.
///
/// Each router of a fleet holds, per quota and budget and per window, an allowance: what it
/// has leased from the shared store (`granted`) and what its decisions have taken (`used`). A
/// decision only compares and adds under one lock: no I/O, no allocation once the key has
/// been seen. A background task (the server's lease refiller) reads ``demands(now:prefetch:)``,
/// leases more where an allowance runs low, and reports back with ``grant(_:window:amount:lowWater:)``
/// or ``forfeit(_:window:keeping:)``; it also leases the next window shortly before the current one
/// ends, so a window boundary finds allowance already in place.
///
/// Amounts are exact ``Money``: a quota counts whole requests (1 per request), a budget
/// counts currency. Windows are aligned to multiples of their length from the Unix epoch, as
/// ``TenantQuota`` and the router's budgets are.
///
/// A router given shared limits (``Router/init(policy:catalog:model:now:sharedLimits:)``)
/// stops using its own quota and budget ledgers: quotas are taken here when a request is
/// admitted, and budgets are reserved at admission (the admitted provider's exact estimated
/// cost) and settled to the reported cost when the outcome comes back.
public final class SharedLimits: Sendable {
    /// Which kind of limit a key names.
    public enum Kind: UInt8, Sendable, Hashable {
        case quota
        case budget
    }

    /// A quota (by tenant) or a budget (by tag).
    public struct Key: Sendable, Hashable, CustomStringConvertible {
        public var kind: Kind
        public var name: String
        public init(_ kind: Kind, _ name: String) {
            self.kind = kind
            self.name = name
        }

        /// `quota:TENANT` or `budget:TAG`: the key's spelling in the shared store.
        public var description: String { (kind == .quota ? "quota:" : "budget:") + name }
    }

    /// One window of an allowance.
    struct Window: Sendable {
        var index: Int64 = .min
        var granted: Money = .zero
        var used: Money = .zero
        /// The refiller was woken for this window and has not granted since.
        var signalled = false

        mutating func reset(_ i: Int64) { self = Window(index: i) }
    }

    struct Allowance: Sendable {
        var limit: Money
        var window: Int64
        var current = Window()
        var next = Window()
        /// The largest amount a decision wanted and did not find in this window (a budget
        /// request dearer than what was left): the refiller keeps at least this much leased, so
        /// that a lease smaller than one request does not refuse every other one.
        var shortfall: Money = .zero
        /// Below this much left, a decision wakes the refiller (set with each grant).
        var lowWater: Money = .zero

        /// Brings `current` to the window holding `now`; the prefetched `next` becomes current.
        @inline(__always)
        mutating func roll(now: Int64) {
            let i = BudgetLedger.index(now, window)
            if i == current.index { return }
            if i < current.index { return }  // clocks never run backwards here; keep the later window
            if next.index == i {
                current = next
            } else {
                current.reset(i)
            }
            next.reset(.min)
            shortfall = .zero
        }
    }

    let allowances: Mutex<[Key: Allowance]>
    let waker: Mutex<(@Sendable () -> Void)?>

    public init() {
        allowances = Mutex([:])
        waker = Mutex(nil)
    }

    /// What a decision calls when an allowance runs low or comes up short, at most once per
    /// grant: the refiller then leases at once instead of at its next pass.
    public func onLow(_ wake: @escaping @Sendable () -> Void) { waker.withLock { $0 = wake } }

    // MARK: - The decision path

    /// What is left in the window holding `now` and when that window ends.
    ///
    /// A key seen for the first time is registered with nothing leased (the refiller leases
    /// for it next); that first call allocates.
    ///
    /// - Parameters:
    ///   - limit, window: the policy's limit per window (µs), which the lease refiller
    ///     publishes to the store; a change resets this router's allowance.
    /// - Complexity: O(1).
    public func remaining(_ key: Key, limit: Money, window: Int64, now: Int64) -> (left: Money, resetsAt: Int64) {
        allowances.withLock { all in
            var a = Self.fetch(&all, key, limit: limit, window: window)
            a.roll(now: now)
            let left = a.current.granted - a.current.used
            let resets = (a.current.index + 1) * a.window
            all[key] = a
            return (left, resets)
        }
    }

    /// Takes `amount` from the allowance if it fits.
    ///
    /// - Returns: whether it was taken; on false, `amount` is remembered as a shortfall so that
    ///   the next lease is at least that large.
    /// - Complexity: O(1); no allocation once the key is known.
    public func take(_ key: Key, amount: Money, limit: Money, window: Int64, now: Int64) -> Bool {
        let (fits, wake) = allowances.withLock { all -> (Bool, Bool) in
            var a = Self.fetch(&all, key, limit: limit, window: window)
            a.roll(now: now)
            // A sum past `Money`'s range (a limit near the largest amount) does not fit.
            let total = a.current.used.addingReportingOverflow(amount)
            let fits = total.map { $0 <= a.current.granted } == true
            if fits, let total {
                a.current.used = total
            } else if amount > a.shortfall {
                a.shortfall = amount
            }
            let wake = !a.current.signalled && (!fits || a.current.granted - a.current.used <= a.lowWater)
            if wake { a.current.signalled = true }
            all[key] = a
            return (fits, wake)
        }
        if wake { waker.withLock { $0 }?() }
        return fits
    }

    /// Records that a decision wanted `amount` and found less: the next lease covers it.
    ///
    /// Wakes the refiller as ``take(_:amount:limit:window:now:)`` does: the request was refused,
    /// and the next one should not wait for the refiller's next pass.
    public func noteShortfall(_ key: Key, amount: Money) {
        let wake = allowances.withLock { all -> Bool in
            guard var a = all[key] else { return false }
            if amount > a.shortfall { a.shortfall = amount }
            let wake = !a.current.signalled
            a.current.signalled = true
            all[key] = a
            return wake
        }
        if wake { waker.withLock { $0 }?() }
    }

    /// Corrects what was taken at `takenAt`: a negative `delta` gives back a reservation (the
    /// attempt was cancelled, or cost less than estimated), a positive one charges the rest.
    ///
    /// A correction for a window that has ended only charges (into the current window): giving
    /// back there would admit more than the current window's limit.
    public func adjust(_ key: Key, by delta: Money, takenAt: Int64, now: Int64) {
        allowances.withLock { all in
            guard var a = all[key] else { return }
            a.roll(now: now)
            let sameWindow = BudgetLedger.index(takenAt, a.window) == a.current.index
            if sameWindow || delta > .zero {
                // Saturates, as the single router's ledger does: past the range is "all used".
                a.current.used = a.current.used.addingReportingOverflow(delta) ?? Money(units: delta > .zero ? .max : .min)
                all[key] = a
            }
        }
    }

    @inline(__always)
    static func fetch(_ all: inout [Key: Allowance], _ key: Key, limit: Money, window: Int64) -> Allowance {
        if let a = all[key], a.limit == limit, a.window == window { return a }
        if var a = all[key], a.window == window {
            a.limit = limit  // a new policy changed the limit: keep what is leased and used
            return a
        }
        return Allowance(limit: limit, window: window)
    }

    // MARK: - The refiller's side

    /// What one key's allowance looks like to the refiller.
    public struct Demand: Sendable, Equatable {
        public var key: Key
        public var limit: Money
        /// The window's length, µs.
        public var windowLength: Int64
        /// The window's index (its start is `index × windowLength` µs).
        public var window: Int64
        public var granted: Money
        public var used: Money
        public var shortfall: Money
        /// What is left to decide against; below zero when more was used than leased (reported
        /// costs above their estimates, or use owed after a lost lease).
        public var left: Money { granted - used }
    }

    /// Every key's current window, and its next window when `now` is within `prefetch` µs of
    /// the current window's end (the refiller leases ahead for it).
    public func demands(now: Int64, prefetch: Int64) -> [Demand] {
        allowances.withLock { all in
            var out: [Demand] = []
            out.reserveCapacity(all.count * 2)
            for key in all.keys {
                var a = all[key]!
                a.roll(now: now)
                all[key] = a
                out.append(Demand(key: key, limit: a.limit, windowLength: a.window, window: a.current.index,
                                  granted: a.current.granted, used: a.current.used, shortfall: a.shortfall))
                let end = (a.current.index + 1) * a.window
                if end - now <= prefetch {
                    let n = a.next.index == a.current.index + 1 ? a.next : Window(index: a.current.index + 1)
                    out.append(Demand(key: key, limit: a.limit, windowLength: a.window, window: n.index,
                                      granted: n.granted, used: n.used, shortfall: .zero))
                }
            }
            return out
        }
    }

    /// Adds a leased `amount` to the key's allowance for `window` (current or next); below
    /// `lowWater` left, decisions wake the refiller.
    /// - Returns: false when that window is neither (it ended meanwhile): the caller gives the
    ///   lease back.
    @discardableResult
    public func grant(_ key: Key, window: Int64, amount: Money, lowWater: Money = .zero) -> Bool {
        allowances.withLock { all in
            guard var a = all[key] else { return false }
            a.lowWater = lowWater
            if a.current.index == window {
                a.current.granted = a.current.granted.addingReportingOverflow(amount) ?? Money(units: .max)
                a.current.signalled = false
            } else if a.current.index + 1 == window {
                if a.next.index != window { a.next.reset(window) }
                a.next.granted = a.next.granted.addingReportingOverflow(amount) ?? Money(units: .max)
            } else {
                return false
            }
            all[key] = a
            return true
        }
    }

    /// The lease for `window` was lost: the store expired it and gave back what it had not
    /// seen used. What was left is dropped: the allowance counts as granted only `accounted`,
    /// the use the store counted, so nothing is admitted until the next grant, and what was
    /// admitted since the last report stays used here, for the next lease to cover.
    public func forfeit(_ key: Key, window: Int64, keeping accounted: Money) {
        allowances.withLock { all in
            guard var a = all[key] else { return }
            if a.current.index == window {
                a.current.granted = accounted
                a.current.signalled = false
            }
            if a.next.index == window { a.next.granted = accounted }
            all[key] = a
        }
    }
}
