// A router fleet under load: 1, 2 and 3 servers sharing one PostgreSQL store (leased quotas and
// budgets, committed outcomes), each count on a fresh database. Run with
// `ServeBenchmark --fleet postgres://USER@HOST:PORT/DB [--instances 1,2,3] [--clients 16] [--seconds 10]`.
// The point on a 2-core machine is correctness under load (every acknowledged outcome stored,
// exactly once), not speed.

import BenchmarkSupport
import Foundation
import MosaicServer
import MosaicStore
#if canImport(Glibc)
import Glibc
#endif

/// What one fleet size gave.
struct FleetRun {
    var instances: Int
    /// The clients' pairs, timed on the route call.
    var load: PairsRun
    var rowsStored: Int64
    var distinctStored: Int64
}

/// Starts `count` server children on a fresh database of the server at `adminURL`, drives
/// `clients` closed-loop clients spread over them (each: route, then report the outcome and wait
/// for its commit) for `warmup + seconds`, stops the servers with SIGTERM and counts the rows.
func fleetRun(count: Int, adminURL: String, executable: String, modelPath: String, policyPath: String,
              clients: Int, seconds: Double, warmup: Double) throws -> FleetRun {
    let name = "bench_fleet_\(count)"
    let admin = try Database(postgres: PostgresURL(parsing: adminURL))
    try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    try admin.execute("CREATE DATABASE \(name)")
    var url = try PostgresURL(parsing: adminURL)
    url.database = name
    let store = "postgres://\(url.user)\(url.password.map { ":\($0)" } ?? "")@\(url.host):\(url.port)/\(name)"
    // Migrate once before the servers start (they would otherwise queue on the advisory lock).
    _ = try Store(path: store)

    var children: [PortChild] = []
    for _ in 0..<count {
        do {
            children.append(try PortChild(executable, ["--serve", "--model", modelPath, "--policy", policyPath,
                                                       "--store", store, "--ack", "committed"]))
        } catch {
            for c in children { c.process.terminate() }
            throw error
        }
    }
    let ports = children.map(\.port)
    let r = routeOutcomePairs(ports: ports, clients: clients, seconds: seconds, warmup: warmup, timing: .route)
    for c in children { c.process.terminate() }   // SIGTERM: drain, give leases back
    for c in children { c.process.waitUntilExit() }
    let db = try Store(path: store).database
    let rows = try db.scalarInt("SELECT count(*) FROM requests") ?? -1
    let distinct = try db.scalarInt("SELECT count(DISTINCT request_id) FROM requests") ?? -1
    try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    return FleetRun(instances: count, load: r, rowsStored: rows, distinctStored: distinct)
}

/// Each fleet size in turn, and a table.
func fleetBenchmark(adminURL: String, sizes: [Int], executable: String, modelPath: String, policyPath: String,
                    clients: Int, seconds: Double, warmup: Double, say: (String) -> Void) throws {
    say("fleet: \(sizes) routers on one PostgreSQL, \(clients) clients (route, then outcome acknowledged on commit) spread over them, \(Int(warmup)) s warm-up + \(Int(seconds)) s each")
    var rows: [[String]] = []
    for n in sizes {
        let f = try fleetRun(count: n, adminURL: adminURL, executable: executable, modelPath: modelPath, policyPath: policyPath,
                             clients: clients, seconds: seconds, warmup: warmup)
        let r = f.load
        let lost = Int64(r.acknowledged) - f.distinctStored
        say("  \(n) router(s): \(Int(r.rate)) route+outcome pairs/s, route p50 \(Bench.fixed(r.percentile(0.5), 2)) ms p99 \(Bench.fixed(r.percentile(0.99), 2)) ms; acknowledged \(r.acknowledged), stored \(f.rowsStored) (\(f.distinctStored) distinct)")
        rows.append(["\(n)", "\(Int(r.rate))", Bench.fixed(r.percentile(0.5), 2), Bench.fixed(r.percentile(0.99), 2),
                     "\(r.acknowledged)", "\(f.rowsStored)", lost <= 0 && f.rowsStored == f.distinctStored ? "yes" : "NO"])
    }
    Bench.printTable(["routers", "pairs/s", "route p50 (ms)", "route p99 (ms)", "acknowledged", "stored", "none lost, none twice"],
                     right: [0, 1, 2, 3, 4, 5], rows)
    fflush(nil)
    let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    say("load average \(load)")
}
