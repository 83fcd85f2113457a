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
// peak RSS and the ratio. Not part of `swift test`.
import Foundation
import MosaicCore
import MosaicIngest
import MosaicStore

#if canImport(Glibc)
import Glibc
#endif

func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

func peakRSSBytes(_ who: __rusage_who) -> Int {
    var usage = rusage()
    getrusage(Int32(who.rawValue), &usage)
    return usage.ru_maxrss * 1024  // Linux reports KiB
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("IngestBenchmark: \(message)\n".utf8))
    exit(1)
}

let args = CommandLine.arguments
func option(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

// Child mode: ingest one file into one store and report.
if args.count >= 4 && args[1] == "--child-ingest" {
    let (file, db) = (args[2], args[3])
    do {
        let store = try Store(path: db)
        let start = DispatchTime.now()
        let r = try RequestLogIngestor(store: store, catalog: .default).ingest(path: file, options: RequestIngestOptions())
        let s = seconds(since: start)
        print("\(r.inserted) \(s) \(peakRSSBytes(RUSAGE_SELF))")
        exit(0)
    } catch {
        fail("\(error)")
    }
}

let targetRows = Int(option("--rows") ?? "5000000") ?? 5_000_000
let dir = option("--dir") ?? ".bench"
try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
let csv = "\(dir)/requests-\(targetRows).csv"

// 1. The input file (generated once; the generator is seeded, so it is the same every time).
if !FileManager.default.fileExists(atPath: csv) {
    let perDay = 282_324.0 / 14  // default mix at 12 LLM requests/minute
    let scale = Double(targetRows) / (perDay * 14)
    let config = SampleTrafficGenerator.Configuration(
        days: 14, seed: 7, baseRatePerMinute: 12 * scale, gitRatePerMinute: 1.5 * scale, ciRatePerMinute: 0.12 * scale)
    print("generating \(csv) (about \(targetRows) rows)…")
    let start = DispatchTime.now()
    let tmp = "\(dir)/gen-\(targetRows)"
    do {
        let summary = try SampleTrafficGenerator(configuration: config).write(toDirectory: tmp)
        try? FileManager.default.removeItem(atPath: csv)
        try FileManager.default.moveItem(atPath: tmp + "/requests.csv", toPath: csv)
        try? FileManager.default.removeItem(atPath: tmp)
        print("  \(summary.rows) rows in \(String(format: "%.1f", seconds(since: start))) s")
    } catch { fail("cannot generate: \(error)") }
}
let bytes = (try? FileManager.default.attributesOfItem(atPath: csv)[.size] as? NSNumber)?.int64Value ?? 0
var lines = 0
if let fh = FileHandle(forReadingAtPath: csv) {
    while let chunk = try? fh.read(upToCount: 1 << 22), !chunk.isEmpty { lines += chunk.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } }
}
let rows = lines - 1
print("input: \(csv), \(rows) rows, \(bytes / 1_000_000) MB")

func run(_ path: String, _ arguments: [String], stdin: String? = nil) -> (status: Int32, out: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    if let stdin {
        let inPipe = Pipe()
        p.standardInput = inPipe
        try! p.run()
        inPipe.fileHandleForWriting.write(Data(stdin.utf8))
        try? inPipe.fileHandleForWriting.close()
    } else {
        try! p.run()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

let repeats = max(1, Int(option("--repeat") ?? "2") ?? 2)
let me = URL(fileURLWithPath: CommandLine.arguments[0]).path
let sqlite3 = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) }
if sqlite3 == nil { print("sqlite3 not found: install Debian's sqlite3 package for the side-by-side figure") }

func removeStore(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
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
    let r = run(sqlite3!, [db], stdin: script)
    let s = seconds(since: start)
    if r.status != 0 { fail("sqlite3 .import failed") }
    removeStore(db)
    return (s, peakRSSBytes(RUSAGE_CHILDREN))  // sqlite3 runs first, so this is its own peak
}

/// 3. Mosaic, in a child process so that its peak RSS is its own; returns (rows, seconds, RSS).
func runMosaic() -> (Int, Double, Int) {
    let db = "\(dir)/bench-mosaic.sqlite"
    removeStore(db)
    let child = run(me, ["--child-ingest", csv, db])
    guard child.status == 0 else { fail("mosaic ingest failed") }
    let parts = child.out.split(separator: " ")
    removeStore(db)
    return (Int(parts[0])!, Double(parts[1])!, Int(parts[2].trimmingCharacters(in: .whitespacesAndNewlines))!)
}

// Alternate the two loaders so that load from elsewhere on the machine hits both alike.
var sqliteTimes: [Double] = [], mosaicTimes: [Double] = []
var sqliteRSS = 0, mosaicRSS = 0, mosaicRows = 0
for round in 1...repeats {
    if sqlite3 != nil {
        let (s, rss) = runSQLite3()
        sqliteTimes.append(s)
        if round == 1 { sqliteRSS = rss }
    }
    let (n, s, rss) = runMosaic()
    mosaicTimes.append(s)
    mosaicRows = n
    mosaicRSS = max(mosaicRSS, rss)
    print("round \(round): mosaic \(String(format: "%.2f", s)) s" + (sqlite3 != nil ? ", sqlite3 .import \(String(format: "%.2f", sqliteTimes.last!)) s" : ""))
}
let mosaicSeconds = mosaicTimes.min()!
let sqliteSeconds = sqliteTimes.min() ?? .nan

func mb(_ b: Int) -> String { String(format: "%.0f MB", Double(b) / 1e6) }
let mosaicRate = Double(mosaicRows) / mosaicSeconds
let sqliteRate = Double(rows) / sqliteSeconds
print("")
print("| loader | rows | seconds | rows/s | peak RSS |")
print("|---|---:|---:|---:|---:|")
print("| mosaic ingest requests | \(mosaicRows) | \(String(format: "%.2f", mosaicSeconds)) | \(Int(mosaicRate)) | \(mb(mosaicRSS)) |")
if sqlite3 != nil {
    print("| sqlite3 .import | \(rows) | \(String(format: "%.2f", sqliteSeconds)) | \(Int(sqliteRate)) | \(mb(sqliteRSS)) |")
    print("")
    print(String(format: "mosaic / sqlite3 speed ratio: %.2f (above 1 means mosaic is faster)", mosaicRate / sqliteRate))
}
