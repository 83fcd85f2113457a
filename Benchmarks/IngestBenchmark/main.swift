// Ingest benchmark: Mosaic's request-log ingest against SQLite's own CSV loader.
//
//   swift run -c release IngestBenchmark [--rows 5000000] [--dir .bench]
//
// Generates (once, cached) a native request-log CSV of about --rows rows with the sample
// generator, then, in the same run:
//   1. ingests it into a fresh store with Mosaic (a child process, so its peak RSS is its own);
//   2. loads the same file with `sqlite3 .import` into an equivalent table (same columns,
//      WAL, synchronous=NORMAL, one transaction);
// alternating the two --repeat times (default 2), and prints the best time of each, rows/second,
// the CPU time (user + system) of that round, peak RSS, the ratio and the load average before
// and after. Not part of `swift test`.
import BenchmarkSupport
import Foundation
import MosaicCore
import MosaicIngest
import MosaicStore

#if canImport(Glibc)
import Glibc
#endif

let options = BenchmarkOptions("IngestBenchmark")
let args = CommandLine.arguments
func fail(_ message: String) -> Never { options.fail(message) }

// Child mode: ingest one file into one store and report.
if args.count >= 4 && args[1] == "--child-ingest" {
    let (file, db) = (args[2], args[3])
    do {
        let store = try Store(path: db)
        let start = DispatchTime.now()
        let r = try RequestLogIngestor(store: store, catalog: .default).ingest(path: file, options: RequestIngestOptions())
        let s = Bench.seconds(since: start)
        print("\(r.inserted) \(s) \(Bench.peakRSSBytes())")
        exit(0)
    } catch {
        fail("\(error)")
    }
}

let targetRows = options.int("--rows", 5_000_000, minimum: 1)
let dir = options.value("--dir") ?? ".bench"
try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
let csv = "\(dir)/requests-\(targetRows).csv"

// 1. The input file (generated once; the generator is seeded, so it is the same every time).
if !FileManager.default.fileExists(atPath: csv) {
    print("generating \(csv) (about \(targetRows) rows)…")
    let start = DispatchTime.now()
    do {
        let written = try SampleTrafficGenerator.writeRequestLog(aboutRows: targetRows, to: csv)
        print("  \(written) rows in \(String(format: "%.1f", Bench.seconds(since: start))) s")
    } catch { fail("cannot generate: \(error)") }
}
let (rows, bytes) = Bench.csvSize(csv)
print("input: \(csv), \(rows) rows, \(bytes / 1_000_000) MB")

let repeats = options.int("--repeat", 2, minimum: 1)
let me = URL(fileURLWithPath: CommandLine.arguments[0]).path
let sqlite3 = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) }
if sqlite3 == nil { print("sqlite3 not found: install Debian's sqlite3 package for the side-by-side figure") }

func removeStore(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

/// The 1, 5 and 15 minute load averages, as /proc/loadavg gives them.
func loadAverage() -> String {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}

/// 2. sqlite3 .import of the same file into an equivalent table; returns (seconds, peak RSS).
func runSQLite3() -> (Double, Int) {
    let db = "\(dir)/bench-sqlite3.sqlite"
    removeStore(db)
    let script = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        PRAGMA cache_size = -65536;
        CREATE TABLE requests_import (timestamp TEXT, tenant TEXT, provider TEXT, model TEXT, operation TEXT,
            region TEXT, input_tokens INTEGER, output_tokens INTEGER, cached_tokens INTEGER, latency_ms REAL,
            ttft_ms REAL, status TEXT, cost_usd TEXT, request_id TEXT);
        BEGIN;
        .import --csv --skip 1 \(csv) requests_import
        COMMIT;
        """
    let start = DispatchTime.now()
    let r = Bench.run(sqlite3!, [db], stdin: script)
    let s = Bench.seconds(since: start)
    if r?.status != 0 { fail("sqlite3 .import failed") }
    removeStore(db)
    return (s, Bench.peakRSSBytes(children: true))  // sqlite3 runs first, so this is its own peak
}

/// 3. Mosaic, in a child process so that its peak RSS is its own; returns (rows, seconds, RSS).
func runMosaic() -> (Int, Double, Int) {
    let db = "\(dir)/bench-mosaic.sqlite"
    removeStore(db)
    guard let child = Bench.run(me, ["--child-ingest", csv, db]), child.status == 0 else { fail("mosaic ingest failed") }
    let parts = String(decoding: child.output, as: UTF8.self).split(separator: " ")
    removeStore(db)
    return (Int(parts[0])!, Double(parts[1])!, Int(parts[2].trimmingCharacters(in: .whitespacesAndNewlines))!)
}

// Alternate the two loaders so that load from elsewhere on the machine hits both alike. Each
// loader's CPU time is that of its child process (Mosaic's includes starting the process).
print("load average before: \(loadAverage())")
var sqliteTimes: [Double] = [], mosaicTimes: [Double] = []
var sqliteCPU: [Double] = [], mosaicCPU: [Double] = []
var sqliteRSS = 0, mosaicRSS = 0, mosaicRows = 0
for round in 1...repeats {
    if sqlite3 != nil {
        let cpu = Bench.cpuSeconds(children: true)
        let (s, rss) = runSQLite3()
        sqliteTimes.append(s)
        sqliteCPU.append(Bench.cpuSeconds(children: true) - cpu)
        if round == 1 { sqliteRSS = rss }
    }
    let cpu = Bench.cpuSeconds(children: true)
    let (n, s, rss) = runMosaic()
    mosaicTimes.append(s)
    mosaicCPU.append(Bench.cpuSeconds(children: true) - cpu)
    mosaicRows = n
    mosaicRSS = max(mosaicRSS, rss)
    print("round \(round): mosaic \(String(format: "%.2f", s)) s (CPU \(String(format: "%.2f", mosaicCPU.last!)) s)"
          + (sqlite3 != nil ? ", sqlite3 .import \(String(format: "%.2f", sqliteTimes.last!)) s (CPU \(String(format: "%.2f", sqliteCPU.last!)) s)" : ""))
}
print("load average after: \(loadAverage())")
let mosaicBest = mosaicTimes.indices.min { mosaicTimes[$0] < mosaicTimes[$1] }!
let mosaicSeconds = mosaicTimes[mosaicBest]
let sqliteBest = sqliteTimes.indices.min { sqliteTimes[$0] < sqliteTimes[$1] }
let sqliteSeconds = sqliteBest.map { sqliteTimes[$0] } ?? .nan

let mosaicRate = Double(mosaicRows) / mosaicSeconds
let sqliteRate = Double(rows) / sqliteSeconds
print("")
var table = [["mosaic ingest requests", "\(mosaicRows)", Bench.fixed(mosaicSeconds, 2), Bench.fixed(mosaicCPU[mosaicBest], 2),
              "\(Int(mosaicRate))", Bench.megabytes(mosaicRSS)]]
if let sqliteBest {
    table.append(["sqlite3 .import", "\(rows)", Bench.fixed(sqliteSeconds, 2), Bench.fixed(sqliteCPU[sqliteBest], 2),
                  "\(Int(sqliteRate))", Bench.megabytes(sqliteRSS)])
}
Bench.printTable(["loader", "rows", "seconds", "CPU s", "rows/s", "peak RSS"], right: [1, 2, 3, 4, 5], table)
if sqlite3 != nil {
    print("")
    print(String(format: "mosaic / sqlite3 speed ratio: %.2f (above 1 means mosaic is faster)", mosaicRate / sqliteRate))
}
