import Foundation
import MosaicCore
@testable import MosaicStore
import MosaicTestSupport
import Synchronization
import Testing

/// The fleet's leases in PostgreSQL: concurrent leases never add up to more than the capacity,
/// expired leases give their unused part back, publications carry the newest model and policy.
@Suite("PostgreSQL fleet leases", .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.skipReason)))
struct PostgresLeasesTests {
    static func money(_ s: String) -> Money { try! Money(parsing: s) }

    /// Six connections lease slices of one budget window at once until it is used up: the
    /// grants add up to the capacity exactly, and the limit row's `taken` equals their sum.
    @Test func concurrentLeasesNeverExceedTheCapacity() throws {
        let db = try PostgresServer.database("leases")
        _ = try FleetLeases(store: Store(path: db.location))
        let capacity = Self.money("12.345678901234567890123456"), slice = Self.money("0.7")
        let totals = Mutex<[Money]>([])
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for k in 0..<6 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let leases = try FleetLeases(store: Store(path: db.location))
                    var mine = Money.zero, exists = false
                    while true {
                        let r = try leases.renew(key: "budget:team", windowStart: 0, windowEnd: 3_600_000_000, capacity: capacity,
                                                 wanted: slice, used: mine, instance: "i\(k)", exists: exists, expiresAt: .max)
                        exists = true
                        if r.granted == .zero { break }
                        #expect(r.granted <= slice)
                        mine += r.granted
                    }
                    totals.withLock { $0.append(mine) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        group.wait()
        #expect(failures.withLock { $0 } == [])
        let sum = totals.withLock { $0.reduce(.zero, +) }
        #expect(sum == capacity)
        let state = try #require(try FleetLeases(store: Store(path: db.location)).state(key: "budget:team", windowStart: 0))
        #expect(state.taken == capacity && state.capacity == capacity)
        #expect(state.leases.values.reduce(Money.zero) { $0 + $1.amount } == capacity)
    }

    /// A lease not renewed expires: its unused part (amount − reported use) goes back and
    /// another instance can lease it; the owner learns it lost the lease. A clean release gives
    /// back the rest.
    @Test func expiredLeasesGiveBackTheirUnusedPart() throws {
        let db = try PostgresServer.database("expiry")
        let leases = try FleetLeases(store: Store(path: db.location))
        let ten = Money(whole: 10)
        var a = try leases.renew(key: "quota:acme", windowStart: 0, windowEnd: 60_000_000, capacity: ten, wanted: Money(whole: 6),
                                 used: .zero, instance: "a", exists: false, expiresAt: 1_000)
        #expect(a == .init(granted: Money(whole: 6), lost: false))
        let b = try leases.renew(key: "quota:acme", windowStart: 0, windowEnd: 60_000_000, capacity: ten, wanted: Money(whole: 6),
                                 used: .zero, instance: "b", exists: false, expiresAt: 5_000)
        #expect(b.granted == Money(whole: 4))
        // a reports 2 used, then stops renewing; b renews.
        a = try leases.renew(key: "quota:acme", windowStart: 0, windowEnd: 60_000_000, capacity: ten, wanted: .zero,
                             used: Money(whole: 2), instance: "a", exists: true, expiresAt: 2_000)
        #expect(a == .init(granted: .zero, lost: false))
        #expect(try leases.expire(now: 1_999) == 0)
        #expect(try leases.expire(now: 2_001) == 1)
        var state = try #require(try leases.state(key: "quota:acme", windowStart: 0))
        #expect(state.taken == Money(whole: 6) && state.leases.keys.sorted() == ["b"])
        let more = try leases.renew(key: "quota:acme", windowStart: 0, windowEnd: 60_000_000, capacity: ten, wanted: Money(whole: 6),
                                    used: Money(whole: 1), instance: "b", exists: true, expiresAt: 9_000)
        #expect(more.granted == Money(whole: 4))
        let late = try leases.renew(key: "quota:acme", windowStart: 0, windowEnd: 60_000_000, capacity: ten, wanted: Money(whole: 1),
                                    used: Money(whole: 3), instance: "a", exists: true, expiresAt: 9_000)
        #expect(late == .init(granted: .zero, lost: true))
        try leases.release(instance: "b")
        state = try #require(try leases.state(key: "quota:acme", windowStart: 0))
        #expect(state.taken == Money(whole: 3) && state.leases.isEmpty, "2 used by a, 1 by b")
        try leases.prune(before: 60_000_001)
        #expect(try leases.state(key: "quota:acme", windowStart: 0) == nil)
    }

    @Test func publicationsCarryTheNewestModelAndPolicy() throws {
        let db = try PostgresServer.database("publish")
        let leases = try FleetLeases(store: Store(path: db.location))
        #expect(try leases.latestPublication(after: 0) == nil)
        let one = try leases.publish(model: "{\"m\":1}", policy: "version: 1", now: 10)
        let two = try leases.publish(model: nil, policy: "version: 1\nname: b", note: "policy only", now: 20)
        let p = try #require(try leases.latestPublication(after: one))
        #expect(p.id == two && p.model == "{\"m\":1}" && p.policy == "version: 1\nname: b" && p.note == "policy only")
        #expect(try leases.latestPublication(after: two) == nil)
        // The digest as Python's hashlib gives it for the same bytes.
        #expect(try leases.database.scalarText("SELECT model_sha256 FROM fleet_publications WHERE id = ?", [.int(one)])
                == "3227ed0614bb57255f2bde87551b9c1518eb4c8a4374cb40557d5bac62e7129f")
        #expect(try leases.database.scalarText("SELECT model_sha256 FROM fleet_publications WHERE id = ?", [.int(two)]) == nil)
    }
}
