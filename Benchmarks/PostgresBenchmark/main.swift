// PostgreSQL benchmark: Mosaic's request-log ingest into PostgreSQL against `psql \copy`, and
// the reports' two heavy queries on SQLite and on PostgreSQL.
//
//   scripts/postgres-cluster start .bench/pg        (prints the URL)
//   swift build -c release --product PostgresBenchmark
//   .build/release/PostgresBenchmark --postgres URL [--rows 5000000] [--dir .bench] [--no-queries]
//                                    [--queries KIND,KIND…]
//
// In one run:
//   1. generates (once, cached; the same seeded file as IngestBenchmark) a native request-log
//      CSV of about --rows rows;
//   2. ingests it with Mosaic into an empty PostgreSQL database (a child process), and loads the
//      same file with `psql \copy` into an equivalent table of a second database (the CSV's 14
//      columns, typed: timestamptz, bigint, double precision, numeric, text), twice: with no
//      index (as IngestBenchmark's `sqlite3 .import`), and with a primary key on
//      (timestamp, request_id), as `requests` keeps its key (ts, key) during a load; prints
//      rows/s, the wall and CPU seconds of the loader and of the server, and both ratios;
//   3. ingests it into an SQLite store too, then doubles both stores (every row again 14 days
//      later: `INSERT … SELECT`), so the queries run on 2 × --rows rows;
//   4. times, on both stores, each in a child process of its own (best of two runs, peak RSS):
//      cost by provider and day (`Store.requestSeries(interval: 1d, by: .provider)`, exact
//      money sums), latency percentiles per provider (`Store.providerSummary`, p50/p95/p99) and
//      the cost report's cells by hour, provider, model and tenant (`Store.hourlyCosts`), and
//      checks that both stores give the same answers; on SQLite also the cost cells' former
//      `GROUP BY` query, as the reference for the one pass;
//   5. prices every row on both stores (the same exact amounts) and times the streamed reads of
//      one row per request, SQLite against PostgreSQL, same rows in the same order checked:
//      every column as the trainers read it (`Store.forEachRequest`) and `mosaic report
//      latency`'s read (`stream-requests`, `stream-latency`); prints PostgreSQL's time and
//      client CPU as a ratio to SQLite's.
// `--queries` runs only the named kinds of steps 4 and 5 (the ingest still runs).
// Not part of `swift test`.
import BenchmarkSupport
import Foundation
import MosaicCore
import MosaicIngest
import MosaicStore

#if canImport(Glibc)
import Glibc
#endif

let options = BenchmarkOptions("PostgresBenchmark")
let args = CommandLine.arguments
func fail(_ message: String) -> Never { options.fail(message) }
let day: Int64 = 86_400_000_000

/// What a query child prints: seconds, peak RSS, and a digest of the answer to compare stores.
func query(_ kind: String, _ store: Store) throws -> String {
    switch kind {
    case "cost-by-provider-day":
        let series = try store.requestSeries(interval: day, by: .provider)
        return series.map { s in "\(s.group):\(s.count):\(s.requests.reduce(0, +)):\(s.cost.sum())" }.joined(separator: ",")
    case "latency-percentiles":
        return try store.providerSummary().map { p in
            "\(p.provider):\(p.requests):\(p.p50.map { "\($0)" } ?? "-"):\(p.p95.map { "\($0)" } ?? "-"):\(p.p99.map { "\($0)" } ?? "-")"
        }.joined(separator: ",")
    case "cost-by-hour-cell":
        let cells = try store.hourlyCosts().cells
        return "\(cells.count):\(cells.reduce(0) { $0 + $1.requests }):\(cells.map(\.cost).sum())"
    case "cost-by-hour-cell-groupby":
        // The cost report's former SQLite query, kept as the reference for the one pass.
        let stmt = try store.database.prepare("""
            SELECT ts / 3600000000 AS h, provider, model, tenant, count(*), money_sum(cost)
            FROM requests GROUP BY h, provider, model, tenant ORDER BY h, provider, model, tenant
            """)
        var cells = 0, requests: Int64 = 0, cost = Money.zero
        while try stmt.step() {
            cells += 1
            requests += stmt.int64(4)
            if !stmt.isNull(5) { cost += try Money(parsing: stmt.text(5)) }
        }
        return "\(cells):\(requests):\(cost)"
    case "stream-requests":
        // Every row as the trainers read it (`forEachRequest`: a streamed read on PostgreSQL).
        var digest = RowDigest(), rows = 0
        try store.forEachRequest { r in
            rows += 1
            digest.add(r.timestamp)
            digest.add(r.tenant); digest.add(r.provider); digest.add(r.model); digest.add(r.operation); digest.add(r.region)
            digest.add(r.status.rawValue); digest.add(r.requestID ?? "∅")
            digest.add(Int64(r.inputTokens)); digest.add(Int64(r.outputTokens)); digest.add(Int64(r.cachedTokens))
            digest.add(r.latencyMs); digest.add(r.ttftMs)
            if let cost = r.cost {
                digest.add(Int64(truncatingIfNeeded: cost.units)); digest.add(Int64(truncatingIfNeeded: cost.units >> 64))
            } else {
                digest.add("∅")
            }
        }
        return "\(rows):\(digest.value)"
    case "stream-latency":
        // `mosaic report latency`'s read (`LatencyData.load`, the same SQL; MosaicReports is not
        // linked here): successful requests' hour, provider, model, region, latency and instant.
        let stmt = try store.database.prepare(streaming: true, """
            SELECT (ts / 3600000000) % 24, provider, model, region, latency_ms, ts FROM requests
            WHERE ts >= ?1 AND ts < ?2 AND status = 'ok' AND latency_ms IS NOT NULL ORDER BY ts, key
            """)
        try stmt.bind([.int(Int64.min), .int(Int64.max)])
        var digest = RowDigest(), rows = 0
        while try stmt.step() {
            rows += 1
            digest.add(stmt.int64(0)); digest.add(stmt.text(1)); digest.add(stmt.text(2)); digest.add(stmt.text(3))
            digest.add(stmt.double(4)); digest.add(stmt.int64(5))
        }
        return "\(rows):\(digest.value)"
    default:
        fail("unknown query \(kind)")
    }
}

/// FNV-1a over every field of every row in order: the same rows in the same order give the same value.
struct RowDigest {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func byte(_ b: UInt8) { value = (value ^ UInt64(b)) &* 0x100_0000_01b3 }
    mutating func add(_ v: Int64) { for k in 0..<8 { byte(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
    mutating func add(_ v: Double?) { add(v.map { Int64(bitPattern: $0.bitPattern) } ?? 0x7ff8_dead) }
    mutating func add(_ s: String) {
        for b in s.utf8 { byte(b) }
        byte(0xff)
    }
}

// Child modes: one ingest or one query in a process of its own, so that its peak RSS is its own.
if args.count >= 4 && args[1] == "--child-ingest" {
    do {
        let store = try Store(path: args[3])
        let start = DispatchTime.now()
        let r = try RequestLogIngestor(store: store, catalog: .default).ingest(path: args[2], options: RequestIngestOptions())
        print("\(r.inserted) \(Bench.seconds(since: start)) \(Bench.peakRSSBytes()) \(Bench.cpuSeconds())")
        exit(0)
    } catch { fail("\(error)") }
}
if args.count >= 4 && args[1] == "--child-query" {
    do {
        let store = try Store(path: args[3], readOnly: !PostgresURL.isPostgres(args[3]))
        let start = DispatchTime.now(), cpu = Bench.cpuSeconds()
        let digest = try query(args[2], store)
        print("\(Bench.seconds(since: start)) \(Bench.peakRSSBytes()) \(Bench.cpuSeconds() - cpu) \(digest)")
        exit(0)
    } catch { fail("\(error)") }
}

guard let adminURL = options.value("--postgres") else {
    fail("--postgres URL is required (a server whose user may create databases): scripts/postgres-cluster start .bench/pg")
}
let targetRows = options.int("--rows", 5_000_000, minimum: 1)
let dir = options.value("--dir") ?? ".bench"
try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
let csv = URL(fileURLWithPath: "\(dir)/requests-\(targetRows).csv").standardizedFileURL.path
let me = URL(fileURLWithPath: CommandLine.arguments[0]).path
let psql = ["/usr/bin/psql"] + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
    .sorted().reversed().map { "/usr/lib/postgresql/\($0)/bin/psql" }
guard let psqlPath = psql.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
    fail("psql not found: scripts/bootstrap --postgres")
}

/// Unbuffered progress.
func say(_ s: String) {
    let line = s + "\n"
    _ = line.withCString { write(1, $0, strlen($0)) }
}

// 1. The input file: IngestBenchmark's generator and cache name, so both benchmarks read the same file.
if !FileManager.default.fileExists(atPath: csv) {
    say("generating \(csv) (about \(targetRows) rows)…")
    do {
        say("  \(try SampleTrafficGenerator.writeRequestLog(aboutRows: targetRows, to: csv)) rows")
    } catch { fail("cannot generate: \(error)") }
}
let (rows, bytes) = Bench.csvSize(csv)
say("input: \(csv), \(rows) rows, \(bytes / 1_000_000) MB; load average \(loadAverage())")

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

/// A fresh, empty database on the server; returns its URL.
func freshDatabase(_ name: String) -> String {
    do {
        let admin = try Database(postgres: PostgresURL(parsing: adminURL))
        try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        try admin.execute("CREATE DATABASE \(name)")
        var url = try PostgresURL(parsing: adminURL)
        url.database = name
        return "postgres://\(url.user)\(url.password.map { ":\($0)" } ?? "")@\(url.host):\(url.port)/\(name)"
    } catch { fail("\(adminURL): \(error)") }
}

func ingestChild(_ store: String) -> (rows: Int, seconds: Double, rss: Int, cpu: Double) {
    guard let child = Bench.run(me, ["--child-ingest", csv, store]), child.status == 0 else { fail("mosaic ingest into \(store) failed") }
    let parts = String(decoding: child.output, as: UTF8.self).split(separator: " ")
    return (Int(parts[0])!, Double(parts[1])!, Int(parts[2])!, Double(parts[3].trimmingCharacters(in: .whitespacesAndNewlines))!)
}

/// CPU seconds (user + system) the PostgreSQL server has used so far, when it runs on this
/// machine: the postmaster's own and its exited children's (backends it has reaped, as psql's
/// once `\copy` ends), plus its live children's (this benchmark's connection, the background
/// writer, the WAL writer, the checkpointer). Nil when /proc does not show the server. A reading
/// sometimes fails right after a database is dropped or created (cause not found), so it is
/// tried a few times.
func serverCPUSeconds() -> Double? {
    for _ in 0..<5 {
        if let seconds = serverCPUSample() { return seconds }
        usleep(100_000)
    }
    return nil
}

func serverCPUSample() -> Double? {
    func fields(_ pid: Int) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")  // from field 3, the state
    }
    guard let backend = try? Database(postgres: PostgresURL(parsing: adminURL)).scalarInt("SELECT pg_backend_pid()"),
          let mine = fields(Int(backend)), let postmaster = Int(mine[1]), let own = fields(postmaster) else { return nil }
    let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
    // Fields 14–17 (utime, stime, cutime, cstime) are 11–14 here.
    var ticks = own[11...14].reduce(0) { $0 + (Int($1) ?? 0) }
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int(entry), pid != postmaster, let f = fields(pid), Int(f[1]) == postmaster else { continue }
        ticks += f[11...12].reduce(0) { $0 + (Int($1) ?? 0) }
    }
    return Double(ticks) / tick
}

// 2. psql \copy into an equivalent table, without and with a primary key (first, so that the
// largest child's peak RSS is its own), then Mosaic into an empty store.
let copyDB = freshDatabase("bench_copy")
let columnsSQL = """
    timestamp timestamptz, tenant text, provider text, model text, operation text, region text, input_tokens bigint,
    output_tokens bigint, cached_tokens bigint, latency_ms double precision, ttft_ms double precision, status text,
    cost_usd numeric, request_id text
    """
let create = """
    CREATE TABLE requests_import (\(columnsSQL));
    CREATE TABLE requests_import_keyed (\(columnsSQL), PRIMARY KEY (timestamp, request_id))
    """
guard Bench.run(psqlPath, [copyDB, "-q", "-v", "ON_ERROR_STOP=1", "-c", create])?.status == 0 else { fail("psql: cannot create the tables") }

/// One `psql \copy` of the file into `table`: wall seconds, psql's CPU seconds, the server's.
func psqlCopy(_ table: String) -> (seconds: Double, cpu: Double, server: Double?) {
    say("psql \\copy → PostgreSQL (\(table))…")
    let serverBefore = serverCPUSeconds()
    var before = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &before)
    let start = DispatchTime.now()
    guard let copied = Bench.run(psqlPath, [copyDB, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                                            "\\copy \(table) FROM '\(csv)' WITH (FORMAT csv, HEADER true)"]),
          copied.status == 0 else { fail("psql \\copy failed") }
    let seconds = Bench.seconds(since: start)
    usleep(200_000)  // the postmaster reaps psql's backend, adding its CPU to its own
    var after = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &after)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    let cpu = s(after.ru_utime) + s(after.ru_stime) - s(before.ru_utime) - s(before.ru_stime)
    let server = serverCPUSeconds().flatMap { a in serverBefore.map { a - $0 } }
    say("  \(Bench.fixed(seconds, 2)) s")
    return (seconds, cpu, server)
}
let plain = psqlCopy("requests_import")
let keyed = psqlCopy("requests_import_keyed")
let copyRSS = Bench.peakRSSBytes(children: true)
_ = try? Database(postgres: PostgresURL(parsing: adminURL)).execute("DROP DATABASE IF EXISTS bench_copy WITH (FORCE)")
let mosaicDB = freshDatabase("bench_mosaic")
say("mosaic ingest requests → PostgreSQL…")
let serverBefore = serverCPUSeconds()
let m = ingestChild(mosaicDB)
usleep(200_000)  // the postmaster reaps the child's backend, adding its CPU to its own
let mServer = serverCPUSeconds().flatMap { a in serverBefore.map { a - $0 } }
say(String(format: "  %d rows in %.2f s", m.rows, m.seconds))

say("")
func rate(_ n: Int, _ seconds: Double) -> String { "\(Int(Double(n) / seconds))" }
Bench.printTable(["loader", "rows", "seconds", "rows/s", "CPU s (loader)", "CPU s (server)", "peak RSS"], right: [1, 2, 3, 4, 5, 6], [
    ["mosaic ingest requests (PostgreSQL)", "\(m.rows)", Bench.fixed(m.seconds, 2), rate(m.rows, m.seconds), Bench.fixed(m.cpu, 2),
     Bench.fixed(mServer, 2), Bench.megabytes(m.rss)],
    ["psql \\copy, no index", "\(rows)", Bench.fixed(plain.seconds, 2), rate(rows, plain.seconds), Bench.fixed(plain.cpu, 2),
     Bench.fixed(plain.server, 2), Bench.megabytes(copyRSS)],
    ["psql \\copy, primary key", "\(rows)", Bench.fixed(keyed.seconds, 2), rate(rows, keyed.seconds), Bench.fixed(keyed.cpu, 2),
     Bench.fixed(keyed.server, 2), Bench.megabytes(copyRSS)],
])
fflush(nil)
let mosaicRate = Double(m.rows) / m.seconds
say(String(format: "\nmosaic / psql \\copy rate: %.2f against no index, %.2f against the primary key (goal ≥ 0.8)",
           mosaicRate / (Double(rows) / plain.seconds), mosaicRate / (Double(rows) / keyed.seconds))
    + "; load average \(loadAverage())")

if options.flag("--no-queries") { exit(0) }

// 3. The same file into SQLite, then both stores doubled: every row again 14 days later.
let lite = "\(dir)/bench-postgres-queries.sqlite"
for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: lite + suffix) }
say("\nmosaic ingest requests → SQLite…")
let l = ingestChild(lite)
say(String(format: "  %d rows in %.2f s", l.rows, l.seconds))
let doubleSQL = """
    INSERT INTO requests (ts, key, tenant, provider, model, operation, region, input_tokens, output_tokens, cached_tokens,
                          latency_ms, ttft_ms, status, cost, request_id, run_id)
    SELECT ts + \(14 * day), key, tenant, provider, model, operation, region, input_tokens, output_tokens, cached_tokens,
           latency_ms, ttft_ms, status, cost, request_id, run_id FROM requests
    """
for location in [lite, mosaicDB] {
    do {
        let store = try Store(path: location)
        let start = DispatchTime.now()
        try store.database.execute(doubleSQL)
        if store.dialect == .postgres { try store.database.execute("VACUUM ANALYZE requests") } else { try store.database.execute("ANALYZE") }
        let n = try store.database.scalarInt("SELECT count(*) FROM requests") ?? 0
        say("doubled \(store.dialect.rawValue): \(n) rows (\(Bench.fixed(Bench.seconds(since: start), 1)) s)")
    } catch { fail("\(location): \(error)") }
}

// 4. The queries, each backend, best of two child runs.
let chosen = options.value("--queries").map { Set($0.split(separator: ",").map(String.init)) }
func wanted(_ kind: String) -> Bool { chosen?.contains(kind) ?? true }
var table: [[String]] = []
/// Best of two child runs of `kind` on each store: prints and tabulates them; returns each
/// store's digest and best seconds and CPU seconds.
@MainActor func timed(_ kind: String, _ stores: [(String, String)]) -> [(digest: String, seconds: Double, cpu: Double)] {
    var results: [(digest: String, seconds: Double, cpu: Double)] = []
    for (name, location) in stores {
        var best = Double.infinity, bestCPU = 0.0, rss = 0, digest = ""
        for _ in 0..<2 {
            guard let child = Bench.run(me, ["--child-query", kind, location]), child.status == 0 else { fail("\(kind) on \(name) failed") }
            let parts = String(decoding: child.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                .split(separator: " ", maxSplits: 3)
            if Double(parts[0])! < best { (best, bestCPU) = (Double(parts[0])!, Double(parts[2])!) }
            rss = max(rss, Int(parts[1])!)
            digest = parts.count > 3 ? String(parts[3]) : ""
        }
        results.append((digest, best, bestCPU))
        say("\(kind) on \(name): \(Bench.fixed(best, 2)) s (CPU \(Bench.fixed(bestCPU, 2)) s)")
        table.append([kind, name, "\(2 * rows)", Bench.fixed(best, 2), Bench.fixed(bestCPU, 2), Bench.megabytes(rss)])
    }
    return results
}
func sameAnswer(_ r: [(digest: String, seconds: Double, cpu: Double)]) {
    say("  same answer on both: \(r[0].digest == r[1].digest ? "yes" : "NO\n  SQLite: \(r[0].digest)\n  PostgreSQL: \(r[1].digest)")")
}
let both = [("SQLite", lite), ("PostgreSQL", mosaicDB)]
var cellDigest: String?
for kind in ["cost-by-provider-day", "latency-percentiles", "cost-by-hour-cell"] where wanted(kind) {
    let r = timed(kind, both)
    sameAnswer(r)
    if kind == "cost-by-hour-cell" { cellDigest = r[0].digest }
}
if wanted("cost-by-hour-cell-groupby") {
    let r = timed("cost-by-hour-cell-groupby", [("SQLite", lite)])
    if let cellDigest {
        say("  same answer as the one pass: \(r[0].digest == cellDigest ? "yes" : "NO\n  GROUP BY: \(r[0].digest)\n  one pass: \(cellDigest)")")
        if let onePass = table.first(where: { $0[0] == "cost-by-hour-cell" && $0[1] == "SQLite" }).flatMap({ Double($0[3]) }) {
            say("  one pass / GROUP BY: \(Bench.fixed(r[0].seconds / onePass, 2))× faster")
        }
    }
}

// 5. Streamed reads of one row per request (training, `report latency`): the rows are priced
// first (the generated file has no prices, and a cost is a `numeric` to decode on PostgreSQL),
// the same exact amount on both stores: 2.5, 10 and 1.25 µUSD per input, output and cached token.
var streamRatios: [String] = []
let streamKinds = ["stream-requests", "stream-latency"].filter(wanted)
if !streamKinds.isEmpty {
    let nanos = "(input_tokens * 2500 + output_tokens * 10000 + cached_tokens * 1250)"
    for location in [lite, mosaicDB] {
        do {
            let store = try Store(path: location)
            let start = DispatchTime.now()
            if store.dialect == .postgres {
                try store.database.execute("UPDATE requests SET cost = \(nanos)::numeric * 0.000000001")
                try store.database.execute("VACUUM ANALYZE requests")
            } else {
                try store.database.execute("UPDATE requests SET cost = printf('%d.%09d', \(nanos) / 1000000000, \(nanos) % 1000000000)")
            }
            say("priced \(store.dialect.rawValue) (\(Bench.fixed(Bench.seconds(since: start), 1)) s)")
        } catch { fail("\(location): \(error)") }
    }
    for kind in streamKinds {
        let r = timed(kind, both)
        sameAnswer(r)
        streamRatios.append("\(kind): PostgreSQL / SQLite \(Bench.fixed(r[1].seconds / r[0].seconds, 2))× wall, "
                            + "\(Bench.fixed(r[1].cpu / r[0].cpu, 2))× client CPU")
    }
}
say("")
Bench.printTable(["query", "store", "rows", "best of 2 (s)", "CPU (s)", "peak RSS"], right: [2, 3, 4, 5], table)
for line in streamRatios { say(line) }
fflush(nil)
say("load average \(loadAverage())")
_ = try? Database(postgres: PostgresURL(parsing: adminURL)).execute("DROP DATABASE IF EXISTS bench_mosaic WITH (FORCE)")
for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: lite + suffix) }
