// Pull benchmark: 1,000,000 usage buckets from the mock provider over loopback into SQLite.
//
//   swift build -c release --product PullBenchmark && .build/release/PullBenchmark [--rows 1000000]
//
// The mock OpenAI usage endpoint (Tests/MosaicTestSupport) serves hourly buckets with 50 grouped
// results each, 168 buckets (8,400 rows, about 4 MB of JSON) a page; `mosaic`'s pull job fetches
// them through AsyncHTTPClient, parses them exactly and upserts them. Reported: rows/second, peak
// RSS, and where the time went (fetch + JSON parse, reading rows, storing), so the store's write
// path can be compared with the request-log bulk insert (`IngestBenchmark`). The mock server
// runs in this process, on another thread. Not part of `swift test`.
import BenchmarkSupport
import Foundation
import MosaicCore
import MosaicIngest
import MosaicStore
import MosaicTestSupport

#if canImport(Glibc)
import Glibc
#endif

let arguments = BenchmarkOptions("PullBenchmark")
let target = arguments.int("--rows", 1_000_000, minimum: 1)
let perBucket = 50
let days = max(1, (target + 24 * perBucket - 1) / (24 * perBucket))
let dir = arguments.value("--dir") ?? ".bench"
try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
let db = "\(dir)/bench-pull.sqlite"
for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }

let start = Timestamp.parse("2023-01-01")!
let pages = MockProviderPages(seed: 3, start: start, days: days, bucketsPerDay: 24, resultsPerBucket: perBucket)
let server = try MockProviderServer(pages: pages)
defer { server.stop() }
let store = try Store(path: db)

var options = PullOptions()
options.account = "bench"
options.since = pages.start
options.until = pages.end
options.baseURL = server.baseURL
options.maxPages = 1_000_000
let begin = DispatchTime.now()
let result = try PullJob(source: OpenAIUsageSource(bucketWidth: "1h"), store: store)
    .run(options: options, credential: "sk-admin-bench")
let seconds = Bench.seconds(since: begin)
let rss = Double(Bench.peakRSSBytes()) / 1e6
let stored = try store.database.scalarInt("SELECT count(*) FROM usage_buckets") ?? 0

print("pulled \(result.rows) usage rows (\(days) days × 24 hourly buckets × \(perBucket) results) in \(result.pages) pages")
print("")
print("| what | value |")
print("|---|---:|")
print("| rows stored | \(stored) |")
print(String(format: "| wall time | %.2f s |", seconds))
print(String(format: "| rows/s | %.0f |", Double(result.rows) / seconds))
print(String(format: "| peak RSS (whole process, server included) | %.0f MB |", rss))
print(String(format: "| fetch: HTTP over loopback + exact JSON parse | %.2f s |", result.secondsFetching))
print(String(format: "| read: JSON pages to rows | %.2f s |", result.secondsReading))
print(String(format: "| store: upserts, checkpoint, commit | %.2f s (%.0f rows/s) |", result.secondsStoring,
             Double(result.rows) / result.secondsStoring))
