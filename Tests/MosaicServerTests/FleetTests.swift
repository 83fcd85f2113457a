import Foundation
import MosaicCore
import MosaicRouting
@testable import MosaicServer
import MosaicStore
import MosaicTestSupport
import Synchronization
import Testing

/// Three `mosaic serve` processes on loopback share one PostgreSQL: a tenant quota and a budget
/// hold across them exactly, a publication reaches all three while they serve, and a router
/// killed with SIGKILL loses its leases to the others within the stated bound.
@Suite("serve: fleet", .serialized, .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.skipReason)))
struct FleetTests {
    static let quota = 240
    static let budget = "0.50"
    static let policy = """
        version: 1
        name: fleet-test
        providers: [openai, anthropic]
        strategy: {kind: round_robin}
        tenants:
          metered:
            quota: {requests: \(quota), per: minute}
          spender:
            allow: [openai, anthropic]
        budgets:
          team: {limit: "\(budget)", per: hour}
        costs:
          openai: {input_per_mtok: "2.50", output_per_mtok: "10.00"}
          anthropic: {input_per_mtok: "3.00", output_per_mtok: "15.00"}
        """
    static let costs = [
        "openai": ProviderCost(inputPerMillion: try! Money(parsing: "2.50"), outputPerMillion: try! Money(parsing: "10.00")),
        "anthropic": ProviderCost(inputPerMillion: try! Money(parsing: "3.00"), outputPerMillion: try! Money(parsing: "15.00")),
    ]
    /// The lease of a quota: 1/32 of it (`FleetOptions.leaseDivisor`), whole requests.
    static let quotaLease = quota / 32

    /// One `mosaic serve` child and its port.
    struct Instance {
        let process: Process
        let port: Int
    }

    static func start(_ f: Fixture, db: String, leaseTTL: Double = 5) throws -> Instance {
        let process = try MosaicBinary.start(
            ["serve", "--model", f.modelPath, "--policy", f.policyPath, "--port", "0", "--store", db,
             "--watch-interval", "0", "--lease-ttl", "\(leaseTTL)"],
            environment: ["MOSAIC_LOG_LEVEL": "error"])
        do {
            return Instance(process: process, port: try MosaicBinary.servePort(of: process, until: .distantFuture))
        } catch {
            process.terminate()
            let rest = ChildProcess.wait(process)
            throw LoopbackHTTPClient.Failure(description: "mosaic serve printed \(error) \(rest.stderr)")
        }
    }

    /// What the clients saw.
    struct Tally: Sendable {
        var routed = 0
        var failures: [String] = []
        /// Admitted requests of the metered tenant, with the minute (UTC) each was sent and answered in.
        var admittedWindows: [Int64: Int] = [:]
        var admitted = 0
        /// Exact cost of the admitted budget requests (reported tokens = estimated tokens).
        var spent = Money.zero
        var spendHours: Set<Int64> = []
        /// Outcomes acknowledged as stored, per instance.
        var stored: [Int: Int] = [:]
        /// The decision ids of those outcomes (HTTP 200 with `"stored":true`), per instance.
        var acknowledged: [Int: [String]] = [:]
        var admittedAfterCrash = 0
    }

    /// `clients` threads, each sending `perClient` route requests (half metered, half spending
    /// against the budget) to instance `k % count`, reporting every admitted one as `ok` with
    /// the estimated tokens. A connection refused (a killed instance) moves the client on to
    /// the next instance. `progress` is called with the running count of requests sent.
    /// Which instances were killed, and how many requests had been sent then (0: none yet).
    final class Crash: Sendable {
        let dead = Mutex<Set<Int>>([])
        let at = Atomic<Int>(0)
    }

    static func load(_ instances: [Instance], clients: Int, perClient: Int, crash: Crash,
                     progress: @escaping @Sendable (Int) -> Void) -> Tally {
        let tally = Mutex(Tally())
        let sent = Atomic<Int>(0)
        let group = DispatchGroup()
        for c in 0..<clients {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var target = c % instances.count
                var client = LoopbackHTTPClient(port: instances[target].port)
                var k = 0
                while k < perClient {
                    let metered = (c + k) % 2 == 0
                    let body = metered
                        ? #"{"tenant":"metered","prompt_tokens":1000,"expected_output_tokens":200}"#
                        : #"{"tenant":"spender","budget":"team","prompt_tokens":1000,"expected_output_tokens":200}"#
                    let before = Timestamp.now()
                    let r: LoopbackHTTPClient.Response
                    do { r = try client.post("/v1/route", json: body) } catch {
                        if crash.dead.withLock({ $0.contains(target) }) {
                            client.close()
                            target = (target + 1) % instances.count
                            client = LoopbackHTTPClient(port: instances[target].port)
                            continue
                        }
                        tally.withLock { $0.failures.append("route to \(target): \(error)") }
                        return
                    }
                    let after = Timestamp.now()
                    k += 1
                    progress(sent.wrappingAdd(1, ordering: .relaxed).newValue)
                    guard r.status == 200, let o = try? object(r.body) else {
                        tally.withLock { $0.failures.append("route \(r.status): \(r.text)") }
                        continue
                    }
                    tally.withLock { $0.routed += 1 }
                    guard let id = o["decision_id"] as? String, let p = (o["selected"] as? [String: Any])?["provider"] as? String else {
                        continue
                    }
                    let minute = RoutingTime.minute, hour = 60 * minute
                    tally.withLock { t in
                        if metered {
                            t.admitted += 1
                            t.admittedWindows[before / minute, default: 0] += 1
                            if after / minute != before / minute { t.admittedWindows[after / minute, default: 0] += 0 }
                            if crash.at.load(ordering: .relaxed) > 0 { t.admittedAfterCrash += 1 }
                        } else {
                            t.spent += costs[p]!.cost(inputTokens: 1000, outputTokens: 200)
                            t.spendHours.insert(before / hour)
                            t.spendHours.insert(after / hour)
                        }
                    }
                    let ack = try? client.post("/v1/outcome", json: #"{"decision_id":"\#(id)","provider":"\#(p)","status":"ok","latency_ms":300,"input_tokens":1000,"output_tokens":200}"#)
                    if let ack, ack.status == 200, (try? object(ack.body))?["stored"] as? Bool == true {
                        tally.withLock {
                            $0.stored[target, default: 0] += 1
                            $0.acknowledged[target, default: []].append(id)
                        }
                    } else if !crash.dead.withLock({ $0.contains(target) }) {
                        tally.withLock { $0.failures.append("outcome to \(target): \(ack.map { "\($0.status) \($0.text)" } ?? "no answer")") }
                    }
                }
                client.close()
            }
        }
        group.wait()
        return tally.withLock { $0 }
    }

    /// Metered requests sent one at a time to each instance in turn until it has refused
    /// three in a row, 0.3 s apart: how many more it admitted, or nil when the minute `minute`
    /// ended meanwhile (the next window's quota would count).
    static func topUp(_ instances: [Instance], minute: Int64) -> Int? {
        var admitted = 0
        for inst in instances {
            let client = LoopbackHTTPClient(port: inst.port)
            defer { client.close() }
            var refusals = 0
            while refusals < 3 && admitted <= quota {
                guard Timestamp.now() / RoutingTime.minute == minute else { return nil }
                let body = #"{"tenant":"metered","prompt_tokens":1000,"expected_output_tokens":200}"#
                guard let r = try? client.post("/v1/route", json: body), r.status == 200, let o = try? object(r.body) else { return nil }
                if o["selected"] is [String: Any] {
                    admitted += 1
                    refusals = 0
                } else {
                    refusals += 1
                    usleep(300_000)
                }
            }
        }
        return Timestamp.now() / RoutingTime.minute == minute ? admitted : nil
    }

    static func modelVersion(_ port: Int) -> Int? {
        let c = LoopbackHTTPClient(port: port)
        defer { c.close() }
        guard let r = try? c.get("/v1/model"), r.status == 200, let o = try? object(r.body) else { return nil }
        return o["version"] as? Int
    }

    static func stop(_ instances: [Instance], except dead: Set<Int> = []) {
        for (i, s) in instances.enumerated() where !dead.contains(i) { kill(s.process.processIdentifier, SIGTERM) }
        for (i, s) in instances.enumerated() {
            let r = ChildProcess.wait(s.process)
            if !dead.contains(i) { #expect(r.status == 0, "instance \(i): \(r.stderr)") }
        }
    }

    /// Twenty clients across three routers: admitted ≤ Q per minute window and spend ≤ X per
    /// hour, exactly (no router died, so no lease was lost); a model published mid-load is
    /// served by all three (the time is printed) with no failed request; a bad publication keeps it.
    @Test func threeRoutersShareQuotaAndBudgetAndHearPublications() async throws {
        let db = try PostgresServer.database("fleet")
        let f = try Fixture(policy: Self.policy)
        try await blocking {
            let instances = try (0..<3).map { _ in try Self.start(f, db: db.location) }
            let location = db.location
            let leases = try FleetLeases(store: Store(path: db.location))
            try Fixture.model(version: 8).encoded().write(to: URL(fileURLWithPath: f.dir.file("v8.json")))
            let v8 = try String(contentsOfFile: f.dir.file("v8.json"), encoding: .utf8)
            let published = Mutex<(start: Int64, seen: [Int64])?>(nil)
            let trigger = Atomic<Bool>(false)
            let tally = Self.load(instances, clients: 20, perClient: 60, crash: Crash()) { n in
                guard n == 300, !trigger.exchange(true, ordering: .relaxed) else { return }
                // Mid-load: publish version 8 and watch all three pick it up.
                let start = Timestamp.now()
                _ = try? FleetLeases(store: Store(path: location)).publish(model: v8, policy: nil, note: "mid-load", now: start)
                var seen: [Int64] = []
                for inst in instances {
                    while Self.modelVersion(inst.port) != 8 && Timestamp.now() - start < 10_000_000 { usleep(5_000) }
                    seen.append(Timestamp.now() - start)
                }
                published.withLock { $0 = (start, seen) }
            }
            #expect(tally.failures.isEmpty, "\(tally.failures.prefix(5))")
            #expect(tally.routed == 1200)
            let windows = tally.admittedWindows.count
            #expect(tally.admitted <= Self.quota * windows, "admitted \(tally.admitted) over \(windows) minute window(s)")
            var more: Int?
            if windows == 1, let minute = tally.admittedWindows.keys.first {
                // Under load a router refuses while its next lease is on the way (how often
                // depends on the machine's scheduling), so the whole quota is checked by asking
                // each router in turn, one request at a time, until it refuses three times with
                // time between for a refill: then the fleet has granted all it had.
                more = Self.topUp(instances, minute: minute)
                if let more {
                    // Every router holds at most one lease unused when the load stops.
                    #expect(tally.admitted + more >= Self.quota - 3 * Self.quotaLease, "admitted \(tally.admitted) + \(more)")
                    #expect(tally.admitted + more <= Self.quota, "admitted \(tally.admitted) + \(more)")
                }
            }
            let budget = try Money(parsing: Self.budget)
            #expect(tally.spent <= budget * tally.spendHours.count, "spent \(tally.spent)")
            #expect(tally.spent * 2 > budget, "spent \(tally.spent)")
            let p = try #require(published.withLock { $0 })
            // Typically 0.3–0.6 s here; the margin is for a machine shared with other builds.
            #expect(p.seen.allSatisfy { $0 < 3_000_000 }, "publication seen after \(p.seen) µs")
            print("fleet: admitted \(tally.admitted) (+\(more.map(String.init) ?? "–") one at a time after) of quota \(Self.quota) (windows \(windows)); spent \(tally.spent) of \(budget); publication seen after \(p.seen.map { $0 / 1000 }) ms")

            // A publication that does not load (a policy naming an unknown provider) keeps v8 everywhere.
            let bad = try leases.publish(model: nil, policy: "version: 1\nproviders: [nosuch]\n", now: Timestamp.now())
            for inst in instances {
                var failed = false
                let until = Timestamp.now() + 10_000_000
                while !failed && Timestamp.now() < until {
                    let c = LoopbackHTTPClient(port: inst.port)
                    if let r = try? c.get("/v1/model"), let o = try? object(r.body), let reloads = o["reloads"] as? [String: Any] {
                        failed = (reloads["last_error"] as? String)?.contains("publication \(bad)") == true
                        #expect(o["version"] as? Int == 8)
                    }
                    c.close()
                    if !failed { usleep(5_000) }
                }
                #expect(failed, "instance on \(inst.port) reported the bad publication")
            }
            Self.stop(instances)
            // Every acknowledged outcome is in the one requests table; every lease was given back.
            let store = try Store(path: db.location)
            let stored = try store.database.scalarInt("SELECT count(*) FROM requests") ?? -1
            #expect(Int(stored) == tally.stored.values.reduce(0, +))
            #expect(try store.database.scalarInt("SELECT count(*) FROM fleet_leases") == 0)
        }
    }

    /// One router of three is killed with SIGKILL mid-load: its leases expire (lease TTL 1 s),
    /// the unused part returns, the other two carry on, and admissions stay within Q plus one
    /// lease (the dead router's unreported use, at most its outstanding lease). Every outcome
    /// acknowledged as stored, by any of the three, is in the requests table afterwards.
    @Test func aKilledRouterLosesItsLeasesAndTheOthersCarryOn() async throws {
        let db = try PostgresServer.database("crash")
        let f = try Fixture(policy: Self.policy)
        try await blocking {
            let instances = try (0..<3).map { _ in try Self.start(f, db: db.location, leaseTTL: 1) }
            let crash = Crash()
            let tally = Self.load(instances, clients: 12, perClient: 60, crash: crash) { n in
                guard n == 120, crash.at.load(ordering: .relaxed) == 0 else { return }
                crash.dead.withLock { _ = $0.insert(0) }
                kill(instances[0].process.processIdentifier, SIGKILL)
                crash.at.store(n, ordering: .relaxed)
            }
            #expect(tally.failures.isEmpty, "\(tally.failures.prefix(5))")
            let windows = tally.admittedWindows.count
            #expect(tally.admitted <= (Self.quota + Self.quotaLease) * windows, "admitted \(tally.admitted) over \(windows) window(s)")
            // The budget's lease is 1/32 of it (more than one request's cost): spend stays within X plus that.
            let budget = try Money(parsing: Self.budget)
            #expect(tally.spent * 32 <= budget * 33 * tally.spendHours.count, "spent \(tally.spent)")
            #expect(tally.admittedAfterCrash > 0, "the survivors kept admitting")
            // The dead router's leases expire (TTL 1 s; a survivor sweeps every second).
            let leases = try FleetLeases(store: Store(path: db.location))
            let until = Timestamp.now() + 10_000_000
            var left = Int64(-1)
            while Timestamp.now() < until {
                left = try leases.database.scalarInt("SELECT count(*) FROM fleet_leases WHERE expires_at < ?",
                                                     [.int(Timestamp.now() - 1_000_000)]) ?? -1
                if left == 0 { break }
                usleep(50_000)
            }
            #expect(left == 0, "expired leases are swept")
            Self.stop(instances, except: [0])
            print("fleet crash: admitted \(tally.admitted) of quota \(Self.quota) (+\(Self.quotaLease) bound), \(tally.admittedAfterCrash) after the kill")
            // Every acknowledged outcome is stored, the killed router's too: each one by its
            // decision id (the row's request_id), none twice.
            let store = try Store(path: db.location)
            let ids = try store.database.rows("SELECT request_id FROM requests").map { $0[0].description }
            let stored = Set(ids)
            #expect(stored.count == ids.count, "no outcome stored twice")
            for (instance, acked) in tally.acknowledged.sorted(by: { $0.key < $1.key }) {
                let lost = acked.filter { !stored.contains($0) }
                #expect(lost.isEmpty, "instance \(instance): \(lost.count) of \(acked.count) acknowledged outcomes missing, e.g. \(lost.prefix(3))")
            }
            #expect((tally.acknowledged[0]?.count ?? 0) > 0, "the killed router had acknowledged outcomes")
            print("fleet crash: acknowledged outcomes per router \(tally.acknowledged.mapValues(\.count).sorted { $0.key < $1.key }), all \(ids.count) stored rows checked")
        }
    }

    /// A budget of $0.10 an hour leases $0.003125 at a time (1/32), less than one request
    /// ($0.0045). Requests sent to three routers in turn, until each has refused three in a
    /// row with time between for a refill, spend it: 22 admitted ($0.099), none past it.
    @Test func aBudgetWhoseLeaseIsSmallerThanOneRequestIsSpent() async throws {
        let db = try PostgresServer.database("smallbudget")
        let f = try Fixture(policy: """
            version: 1
            name: small-budget
            providers: [openai]
            strategy: {kind: cost_first}
            budgets:
              bx: {limit: "0.10", per: hour}
            costs:
              openai: {input_per_mtok: "2.50", output_per_mtok: "10.00"}
            """)
        let result = try await blocking { () throws -> (admitted: Int, sent: Int)? in
            let instances = try (0..<3).map { _ in try Self.start(f, db: db.location) }
            defer { Self.stop(instances) }
            let hour = Timestamp.now() / (60 * RoutingTime.minute)
            var admitted = 0, refusals = [0, 0, 0], k = 0
            while refusals.contains(where: { $0 < 3 }) && admitted <= 22 && k < 300 {
                let client = LoopbackHTTPClient(port: instances[k % 3].port)
                let r = try client.post("/v1/route", json: #"{"tenant":"t","budget":"bx","prompt_tokens":1000,"expected_output_tokens":200}"#)
                client.close()
                #expect(r.status == 200, "\(r.text)")
                if (try? object(r.body))?["selected"] is [String: Any] {
                    admitted += 1
                    refusals[k % 3] = 0
                } else {
                    refusals[k % 3] += 1
                    usleep(100_000)
                }
                k += 1
            }
            // A new hour brings another budget: nothing to check then.
            return Timestamp.now() / (60 * RoutingTime.minute) == hour ? (admitted, k) : nil
        }
        if let result { #expect(result.admitted == 22, "admitted \(result.admitted) of \(result.sent) requests") }
    }

    /// `mosaic serve --store` writes the same outcome rows, priced the same, to SQLite and to
    /// PostgreSQL: the same route and outcome calls (each outcome at its own instant) through one
    /// server on each store give identical rows but for the decision ids.
    @Test func serveStoresTheSameOutcomesOnSQLiteAndPostgreSQL() async throws {
        let db = try PostgresServer.database("serveparity")
        let f = try Fixture(policy: Self.policy)
        let sample = f.dir.file("sample")
        let g = try MosaicBinary.run(["generate", "--days", "1", "--seed", "4", "--out", sample])
        #expect(g.status == 0, "\(g.stderr)")
        let stores = [f.dir.file("serve.sqlite"), db.location]
        try await blocking {
            for store in stores {
                let p = try MosaicBinary.run(["prices", "import", sample + "/prices.json", "--db", store])
                #expect(p.status == 0, "\(p.stderr)")
                let instance = try Self.start(f, db: store)
                let client = LoopbackHTTPClient(port: instance.port)
                let statuses = ["ok", "ok", "error", "timeout", "ok", "rate_limited"]
                for k in 0..<60 {
                    let tenant = k % 3 == 0 ? #""tenant":"spender","budget":"team""# : #""tenant":"metered""#
                    let r = try client.post("/v1/route", json: #"{\#(tenant),"prompt_tokens":\#(100 + 37 * k),"expected_output_tokens":50}"#)
                    #expect(r.status == 200, "\(r.text)")
                    let o = try object(r.body)
                    let id = try #require(o["decision_id"] as? String)
                    // The reported provider is fixed by k, not the one selected: the choice
                    // depends on breaker cooldowns in wall-clock time, which differ between runs.
                    let provider = k % 2 == 0 ? "openai" : "anthropic"
                    let at = Timestamp.format(Timestamp.parse("2026-10-05T06:00:00Z")! + Int64(k) * 1_250_000)
                    let ack = try client.post("/v1/outcome", json: #"{"decision_id":"\#(id)","provider":"\#(provider)","status":"\#(statuses[k % 6])","latency_ms":\#(200 + k * 13).5,"input_tokens":\#(100 + 37 * k),"output_tokens":\#(k * 11),"model":"gpt-4o","at":"\#(at)"}"#)
                    #expect(ack.status == 200 && (try? object(ack.body))?["stored"] as? Bool == true, "\(ack.text)")
                }
                client.close()
                Self.stop([instance])
            }
        }
        let columns = "ts, tenant, provider, model, operation, region, input_tokens, output_tokens, cached_tokens, latency_ms, ttft_ms, status, cost"
        let rows = try stores.map { try Store(path: $0).database.rows("SELECT \(columns) FROM requests ORDER BY ts") }
        #expect(rows[0].count == 60)
        #expect(rows[0] == rows[1])
        #expect(rows[0].contains { $0[12] != .null }, "outcomes are priced from the store's prices")
        let totals = try stores.map { try Store(path: $0).providerSummary() }
        #expect(totals[0] == totals[1])
    }

    /// `mosaic models publish` checks the files before anything reaches the fleet.
    @Test func publishChecksFilesAndNeedsPostgreSQL() throws {
        let db = try PostgresServer.database("publishcli")
        let f = try Fixture(policy: Self.policy)
        let ok = try MosaicBinary.run(["models", "publish", "--model", f.modelPath, "--policy", f.policyPath, "--db", db.location])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("published model v7 and policy fleet-test as publication 1"), "\(ok.stdout)")
        let bad = f.dir.write("bad.yaml", "version: 1\nproviders: [openai, nosuch]\n")
        let refused = try MosaicBinary.run(["models", "publish", "--policy", bad, "--db", db.location])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("bad.yaml"), "\(refused.stderr)")
        let lite = try MosaicBinary.run(["models", "publish", "--model", f.modelPath, "--db", f.dir.file("m.sqlite")])
        #expect(lite.status != 0 && lite.stderr.contains("postgres://"), "\(lite.stderr)")
        let leases = try FleetLeases(store: Store(path: db.location))
        #expect(try leases.latestPublication(after: 0)?.id == 1, "nothing refused was stored")
    }
}
