import Foundation
import MosaicCore
import MosaicStore
import MosaicTestSupport
import Testing

@testable import MosaicIngest

// MARK: - Helpers

/// "Now" for the future-timestamp check in every native-log test.
private let fixedNow = Timestamp.parse("2025-01-01T00:00:00Z")!
private let columnNames = RequestLogColumn.allCases.map(\.rawValue)
private let fullHeader = columnNames.joined(separator: ",")

/// A native CSV row: a valid OpenAI request with `overrides` applied (column name → raw field).
private func csvRow(_ overrides: [String: String] = [:]) -> String {
    let base: [String: String] = [
        "timestamp": "2024-05-01T12:00:00Z", "tenant": "team-a", "provider": "openai", "model": "gpt-4o",
        "operation": "chat", "region": "us", "input_tokens": "1000", "output_tokens": "100", "cached_tokens": "200",
        "latency_ms": "812.25", "ttft_ms": "300.5", "status": "ok", "cost_usd": "", "request_id": "",
    ]
    return columnNames.map { overrides[$0] ?? base[$0]! }.joined(separator: ",")
}

/// A fresh store and ingestor in a temporary folder.
private final class Fixture {
    let tmp = TemporaryDirectory("mosaic-ingest")
    let store: Store
    let ingestor: RequestLogIngestor

    init() throws {
        store = try Store(path: tmp.file("m.sqlite"))
        ingestor = RequestLogIngestor(store: store, catalog: .default)
    }

    func options(_ configure: (inout RequestIngestOptions) -> Void = { _ in }) -> RequestIngestOptions {
        var o = RequestIngestOptions()
        o.now = fixedNow
        configure(&o)
        return o
    }

    func ingest(_ path: String, _ configure: (inout RequestIngestOptions) -> Void = { _ in }) throws -> RequestIngestResult {
        try ingestor.ingest(path: path, options: options(configure))
    }

    /// The error of an ingest that must fail (nil when it succeeds).
    func failure(_ path: String, _ configure: (inout RequestIngestOptions) -> Void = { _ in }) -> IngestError? {
        do {
            _ = try ingestor.ingest(path: path, options: options(configure))
            return nil
        } catch {
            return error
        }
    }

    /// Stored requests (every column but run_id), ordered by (ts, key), as text.
    func rows(_ columns: String = "ts, key, tenant, provider, model, operation, region, input_tokens, output_tokens, cached_tokens, latency_ms, ttft_ms, status, cost, request_id") throws -> [[String]] {
        try store.database.rows("SELECT \(columns) FROM requests ORDER BY ts, key").map { $0.map(\.description) }
    }

    func count(_ table: String) throws -> Int {
        Int(try store.database.scalarInt("SELECT count(*) FROM \(table)") ?? -1)
    }

    func importPrices(_ json: String, validFrom: String = "2024-01-01T00:00:00Z") throws {
        let path = tmp.write("prices-\(UUID().uuidString.prefix(6)).json", json)
        _ = try LiteLLMPrices.importFile(path: path, into: store, validFrom: Timestamp.parse(validFrom)!)
    }
}

/// Ingests a file that must fail and checks the three promises of a failed ingest: the
/// message, nothing of the file in `requests`, and a failed run carrying the message.
@discardableResult
private func expectFailure(_ fx: Fixture, _ path: String, prefix: String, contains reason: String,
                           _ configure: (inout RequestIngestOptions) -> Void = { _ in },
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> IngestError {
    let (error, run) = try expectFailedIngest(fx.failure(path, configure), store: fx.store, table: "requests",
                                              prefix: prefix, contains: reason, sourceLocation: sourceLocation)
    #expect(run.source.hasPrefix("requests:"), sourceLocation: sourceLocation)
    #expect(run.counts == IngestCounts(), sourceLocation: sourceLocation)
    return error
}

/// A native CSV whose line 2 is good and line 3 has `overrides`; the ingest must fail at
/// line 3 naming `column`.
private func expectBadRow(_ overrides: [String: String], column: String, reason: String,
                          _ configure: (inout RequestIngestOptions) -> Void = { _ in },
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
    let fx = try Fixture()
    var bad = ["timestamp": "2024-05-01T12:00:01Z"]
    bad.merge(overrides) { $1 }
    let path = fx.tmp.write("requests.csv", fullHeader + "\n" + csvRow() + "\n" + csvRow(bad) + "\n")
    try expectFailure(fx, path, prefix: "\(path):3: column \(column): ", contains: reason, configure,
                      sourceLocation: sourceLocation)
}

/// Collects progress reports (they arrive on the ingesting thread).
private final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [IngestProgress] = []
    func add(_ p: IngestProgress) { lock.lock(); reports.append(p); lock.unlock() }
    var all: [IngestProgress] { lock.lock(); defer { lock.unlock() }; return reports }
}

private let tinyPrices = """
    {"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
                "cache_read_input_token_cost": 1.25e-06},
     "github-actions/build": {"litellm_provider": "github-actions", "cost_per_minute": 0.008}}
    """

/// Four requests as native CSV and as native JSON Lines (the same data).
private let sampleCSV = """
    \(fullHeader)
    2024-05-01T12:00:00Z,team-a,openai,gpt-4o,chat,us,1000,100,200,812.25,300.5,ok,,
    2024-05-01T12:00:01.5Z,"team, b",anthropic,claude-sonnet-4-5,completion,eu,50,0,0,30000,,timeout,,req-1
    2024-05-01T14:00:02+02:00,team-a,openai,gpt-4o,embedding,us,10,0,0,12,,ok,0.0000625,
    2024-05-01T12:00:03Z,,ollama,llama3.1,,,7,3,0,0.5,0.25,error,,

    """

private let sampleJSONL = """
    {"timestamp": "2024-05-01T12:00:00Z", "tenant": "team-a", "provider": "openai", "model": "gpt-4o", "operation": "chat", "region": "us", "input_tokens": 1000, "output_tokens": 100, "cached_tokens": 200, "latency_ms": 812.25, "ttft_ms": 300.5, "status": "ok"}
    {"timestamp": "2024-05-01T12:00:01.5Z", "tenant": "team, b", "provider": "anthropic", "model": "claude-sonnet-4-5", "operation": "completion", "region": "eu", "input_tokens": 50, "output_tokens": 0, "cached_tokens": 0, "latency_ms": 30000, "ttft_ms": null, "status": "timeout", "cost_usd": null, "request_id": "req-1"}

    {"timestamp": "2024-05-01T14:00:02+02:00", "tenant": "team-a", "provider": "openai", "model": "gpt-4o", "operation": "embedding", "region": "us", "input_tokens": 10, "output_tokens": 0, "cached_tokens": 0, "latency_ms": 12, "status": "ok", "cost_usd": 0.0000625}
    {"timestamp": "2024-05-01T12:00:03Z", "tenant": "", "provider": "ollama", "model": "llama3.1", "input_tokens": "7", "output_tokens": 3, "latency_ms": 0.5, "ttft_ms": 0.25, "status": "error", "x_note": {"ignored": true}}

    """

/// The stored form of the four sample requests (without the key), in time order.
private let sampleStored: [[String]] = [
    [String(Timestamp.parse("2024-05-01T12:00:00Z")!), "team-a", "openai", "gpt-4o", "chat", "us", "1000", "100", "200", "812.25", "300.5", "ok", "NULL", "NULL"],
    [String(Timestamp.parse("2024-05-01T12:00:01.5Z")!), "team, b", "anthropic", "claude-sonnet-4-5", "completion", "eu", "50", "0", "0", "30000.0", "NULL", "timeout", "NULL", "req-1"],
    [String(Timestamp.parse("2024-05-01T12:00:02Z")!), "team-a", "openai", "gpt-4o", "embedding", "us", "10", "0", "0", "12.0", "NULL", "ok", "0.0000625", "NULL"],
    [String(Timestamp.parse("2024-05-01T12:00:03Z")!), "default", "ollama", "llama3.1", "chat", "", "7", "3", "0", "0.5", "0.25", "error", "NULL", "NULL"],
]

private func withoutKey(_ rows: [[String]]) -> [[String]] { rows.map { [$0[0]] + $0.dropFirst(2) } }

// MARK: - Native CSV

@Suite("RequestLogIngestor: native CSV")
struct NativeCSVTests {
    @Test("all columns are stored as written; the run is recorded")
    func allColumns() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("requests.csv", sampleCSV)
        let result = try fx.ingest(path)
        #expect(result.format == .csv)
        #expect(result.path == path)
        #expect(result.rowsRead == 4)
        #expect(result.inserted == 4)
        #expect(result.duplicates == 0)
        #expect(result.quarantined == 0)
        #expect(result.unpriced == 3)  // no prices imported; one row carries its own cost
        #expect(withoutKey(try fx.rows()) == sampleStored)
        let run = try #require(try fx.store.runs().first)
        #expect(run.id == result.runID)
        #expect(run.status == "ok")
        #expect(run.source == "requests:csv")
        #expect(run.location == path)
        #expect(run.error == nil)
        #expect(run.counts == IngestCounts(read: 4, inserted: 4, duplicate: 0, quarantined: 0))
        #expect(try fx.store.database.scalarInt("SELECT count(DISTINCT run_id) FROM requests") == 1)
        #expect(try fx.store.database.scalarInt("SELECT min(run_id) FROM requests") == result.runID)
    }

    @Test("only the required columns: defaults fill the rest")
    func requiredOnly() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("min.csv", "timestamp,provider,model\n2024-05-01T12:00:00Z,openai,gpt-4o\n")
        let result = try fx.ingest(path)
        #expect(result.inserted == 1)
        #expect(withoutKey(try fx.rows()) == [[
            String(Timestamp.parse("2024-05-01T12:00:00Z")!), "default", "openai", "gpt-4o", "chat", "", "0", "0", "0",
            "NULL", "NULL", "ok", "NULL", "NULL",
        ]])
    }

    @Test("the defaults come from the options")
    func defaultsFromOptions() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("min.csv", "model,provider,timestamp,tenant\ngpt-4o,openai,2024-05-01T12:00:00Z,\ngpt-4o,openai,2024-05-01T12:00:01Z,own\n")
        _ = try fx.ingest(path) { o in
            o.tenant = "platform"
            o.operation = "completion"
            o.region = "eu"
        }
        #expect(try fx.rows("tenant, operation, region") == [["platform", "completion", "eu"], ["own", "completion", "eu"]])
    }

    @Test("x_ columns are ignored")
    func extraColumnsIgnored() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("x.csv", "x_trace,timestamp,provider,x_note,model\nabc,2024-05-01T12:00:00Z,openai,\"anything, \"\"at all\"\"\",gpt-4o\n")
        #expect(try fx.ingest(path).inserted == 1)
        #expect(try fx.rows("provider, model") == [["openai", "gpt-4o"]])
    }

    @Test("an unknown column is a file error listing the known columns")
    func unknownColumn() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("u.csv", "timestamp,provider,model,latncy_ms\n2024-05-01T12:00:00Z,openai,gpt-4o,12\n")
        let e = try expectFailure(fx, path, prefix: "\(path):1: unknown column 'latncy_ms' (did you mean 'latency_ms'?) (known: ",
                                  contains: "columns starting with x_ are ignored")
        #expect(e.description.contains(columnNames.joined(separator: ", ")))
    }

    @Test("a duplicate column is a file error naming both positions")
    func duplicateColumn() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("d.csv", "timestamp,provider,model,model\n2024-05-01T12:00:00Z,openai,gpt-4o,gpt-4o\n")
        try expectFailure(fx, path, prefix: "\(path):1: column 'model' appears twice (fields 3 and 4)", contains: "")
    }

    @Test("a missing required column is named")
    func missingRequired() throws {
        let fx = try Fixture()
        let one = fx.tmp.write("m1.csv", "timestamp,model,tenant\n2024-05-01T12:00:00Z,gpt-4o,a\n")
        try expectFailure(fx, one, prefix: "\(one):1: missing required column provider", contains: "")
        let fx2 = try Fixture()
        let two = fx2.tmp.write("m2.csv", "tenant,model\na,gpt-4o\n")
        try expectFailure(fx2, two, prefix: "\(two):1: missing required columns timestamp, provider", contains: "")
    }

    @Test("a row with the wrong number of fields is FILE:LINE: error")
    func wrongFieldCount() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("w.csv", fullHeader + "\n" + csvRow() + "\n\n" + "2024-05-01T12:00:01Z,team-a,openai\n")
        try expectFailure(fx, path, prefix: "\(path):4: has 3 fields, the header has 14", contains: "")
        let fx2 = try Fixture()
        let extra = fx2.tmp.write("w2.csv", fullHeader + "\n" + csvRow() + ",extra\n")
        try expectFailure(fx2, extra, prefix: "\(extra):2: has 15 fields, the header has 14", contains: "")
    }

    @Test("costs are computed exactly from imported prices; unpriced rows are counted")
    func computedCost() throws {
        let fx = try Fixture()
        try fx.importPrices(tinyPrices)
        let header = "timestamp,provider,model,input_tokens,output_tokens,cached_tokens,latency_ms,request_id"
        let path = fx.tmp.write("c.csv", """
            \(header)
            2024-05-01T12:00:00Z,openai,gpt-4o,1000,100,200,,a
            2024-05-01T12:00:01Z,openai,gpt-4o,3,1,0,,b
            2024-05-01T12:00:02Z,github-actions,build,0,0,0,61000,c
            2024-05-01T12:00:03Z,github-actions,build,0,0,0,60000,d
            2024-05-01T12:00:04Z,openai,gpt-9,1000,100,0,,e
            2023-12-31T23:59:59Z,openai,gpt-4o,1000,100,0,,f
            2024-05-01T12:00:05Z,github-actions,build,0,0,0,,g
            2024-05-01T12:00:06Z,openai,gpt-4o,0,0,0,,h

            """)
        let result = try fx.ingest(path)
        #expect(result.inserted == 8)
        #expect(result.unpriced == 3)
        let costs = Dictionary(uniqueKeysWithValues: try fx.rows("request_id, cost").map { ($0[0], $0[1]) })
        #expect(costs == [
            "a": "0.00325",      // 800 × 0.0000025 + 200 × 0.00000125 + 100 × 0.00001
            "b": "0.0000175",    // 3 × 0.0000025 + 1 × 0.00001
            "c": "0.016",        // 61 s → 2 started minutes × 0.008
            "d": "0.008",        // exactly one minute
            "e": "NULL",         // no price for the model
            "f": "NULL",         // before the prices' valid-from
            "g": "NULL",         // a per-minute price needs a latency
            "h": "0",
        ])
        #expect(try fx.store.providerSummary().first { $0.provider == "openai" }?.cost == Money("0.0032675"))
    }

    @Test("an explicit cost_usd is kept, even where a price applies")
    func explicitCost() throws {
        let fx = try Fixture()
        try fx.importPrices(tinyPrices)
        let path = fx.tmp.write("e.csv", fullHeader + "\n"
            + csvRow(["cost_usd": "0.5", "request_id": "x"]) + "\n"
            + csvRow(["cost_usd": "1E-3", "request_id": "y"]) + "\n"
            + csvRow(["cost_usd": "0.000000050000000000000004", "request_id": "z"]) + "\n"
            + csvRow(["cost_usd": "", "request_id": "w"]) + "\n")
        let result = try fx.ingest(path)
        #expect(result.unpriced == 0)
        #expect(try fx.rows("request_id, cost").sorted { $0[0] < $1[0] }
            == [["w", "0.00325"], ["x", "0.5"], ["y", "0.001"], ["z", "0.000000050000000000000004"]])
    }

    @Test("status spellings map to the stored statuses")
    func statusSpellings() throws {
        let fx = try Fixture()
        let spellings: [(String, String)] = [
            ("ok", "ok"), ("error", "error"), ("429", "rate_limited"), ("503", "error"), ("timeout", "timeout"),
            ("", "ok"), ("200", "ok"), ("success", "ok"), ("failed", "error"), ("408", "timeout"), ("504", "timeout"),
            ("rate_limited", "rate_limited"), ("cancelled", "cancelled"), ("canceled", "cancelled"), ("404", "error"),
        ]
        var text = fullHeader + "\n"
        for (i, (spelling, _)) in spellings.enumerated() {
            text += csvRow(["status": spelling, "request_id": "r\(100 + i)"]) + "\n"
        }
        let path = fx.tmp.write("s.csv", text)
        #expect(try fx.ingest(path).inserted == spellings.count)
        let stored = try fx.rows("request_id, status").sorted { $0[0] < $1[0] }.map { $0[1] }
        #expect(stored == spellings.map(\.1))
    }

    @Test("status names in capitals are read like their lower-case forms")
    func statusCase() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("s.csv", fullHeader + "\n" + csvRow(["status": "SUCCESS", "request_id": "a"]) + "\n")
        #expect(try fx.ingest(path).inserted == 1)  // aliases are matched case-insensitively
        var failures: [String] = []
        for spelling in ["OK", "Error", "TIMEOUT"] {
            let one = try Fixture()
            if let e = one.failure(one.tmp.write("s.csv", fullHeader + "\n" + csvRow(["status": spelling]) + "\n")) {
                failures.append(e.description)
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("request_id identifies a row: a re-sent row with the same id is a duplicate")
    func requestIDs() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("r.csv", fullHeader + "\n"
            + csvRow(["request_id": "req-1"]) + "\n"
            + csvRow(["request_id": "req-1", "latency_ms": "999"]) + "\n"   // same id, same instant: duplicate
            + csvRow(["request_id": "req-1", "provider": "anthropic", "model": "claude-sonnet-4-5"]) + "\n"  // other provider
            + csvRow() + "\n"                                                 // same content, no id
            + csvRow(["request_id": "req-2"]) + "\n")
        let result = try fx.ingest(path)
        #expect(result.rowsRead == 5)
        #expect(result.inserted == 4)
        #expect(result.duplicates == 1)
        let stored = try fx.rows("provider, request_id, latency_ms").sorted { $0.joined() < $1.joined() }
        #expect(stored == [
            ["anthropic", "req-1", "812.25"], ["openai", "NULL", "812.25"], ["openai", "req-1", "812.25"],
            ["openai", "req-2", "812.25"],
        ])
    }

    @Test("CRLF line ends and a UTF-8 byte-order mark store the same rows; the header is detected without a .csv name")
    func crlfAndBOM() throws {
        let fx = try Fixture()
        let text = sampleCSV.replacingOccurrences(of: "\n", with: "\r\n")
        let path = fx.tmp.write("requests.txt", bytes: [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        let result = try fx.ingest(path)
        #expect(result.format == .csv)
        #expect(result.inserted == 4)
        #expect(withoutKey(try fx.rows()) == sampleStored)
        // The same rows as the plain file: they are duplicates of it.
        #expect(try fx.ingest(fx.tmp.write("requests.csv", sampleCSV)).duplicates == 4)
    }

    @Test("a tab-separated log (.tsv) stores the same rows as the CSV, detected from its header")
    func tabSeparated() throws {
        let fx = try Fixture()
        // Commas between fields become tabs; the quoted "team, b" keeps its comma.
        let text = sampleCSV.replacingOccurrences(of: "\"team, b\"", with: "TEAMB").replacingOccurrences(of: ",", with: "\t")
            .replacingOccurrences(of: "TEAMB", with: "\"team, b\"")
        let result = try fx.ingest(fx.tmp.write("requests.tsv", text))
        #expect(result.format == .csv)
        #expect(result.inserted == 4)
        #expect(withoutKey(try fx.rows()) == sampleStored)
        #expect(try fx.ingest(fx.tmp.write("requests.csv", sampleCSV)).duplicates == 4)
    }

    @Test("progress reports end at the file size and the row count")
    func progress() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("p.csv", sampleCSV)
        let log = ProgressLog()
        let result = try fx.ingest(path) { o in o.progress = { log.add($0) } }
        let last = try #require(log.all.last)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(Int(last.bytesRead) == size)
        #expect(Int(last.totalBytes) == size)
        #expect(last.rows == result.rowsRead)
    }

    @Test("a missing file and a directory are file errors")
    func notAFile() throws {
        let fx = try Fixture()
        let missing = fx.tmp.file("nope.csv")
        #expect(fx.failure(missing)?.description == "\(missing): no such file")
        #expect(fx.failure(fx.tmp.path)?.description == "\(fx.tmp.path): is a directory, not a file")
    }
}

// MARK: - Native JSON Lines

@Suite("RequestLogIngestor: native JSON Lines")
struct NativeJSONLinesTests {
    @Test("the JSONL of the sample stores exactly what the CSV stores")
    func sameAsCSV() throws {
        let csv = try Fixture(), jsonl = try Fixture()
        let csvResult = try csv.ingest(csv.tmp.write("requests.csv", sampleCSV))
        let jsonResult = try jsonl.ingest(jsonl.tmp.write("requests.jsonl", sampleJSONL))
        #expect(jsonResult.format == .jsonl)
        #expect(jsonResult.rowsRead == 4)
        #expect(jsonResult.inserted == 4)
        #expect(jsonResult.unpriced == csvResult.unpriced)
        #expect(try jsonl.rows() == (try csv.rows()))
        #expect(withoutKey(try jsonl.rows()) == sampleStored)
    }

    @Test("a cost written as a JSON number keeps all its digits, as in the CSV")
    func numericCostPrecision() throws {
        let digits = "0.12345678901234567891"
        let csv = try Fixture(), jsonl = try Fixture()
        _ = try csv.ingest(csv.tmp.write("c.csv", "timestamp,provider,model,cost_usd\n2024-05-01T12:00:00Z,openai,gpt-4o,\(digits)\n"))
        _ = try jsonl.ingest(jsonl.tmp.write("c.jsonl", #"{"timestamp": "2024-05-01T12:00:00Z", "provider": "openai", "model": "gpt-4o", "cost_usd": "# + digits + "}\n"))
        let stringCost = try Fixture()
        _ = try stringCost.ingest(stringCost.tmp.write("s.jsonl", #"{"timestamp": "2024-05-01T12:00:00Z", "provider": "openai", "model": "gpt-4o", "cost_usd": ""# + digits + "\"}\n"))
        #expect(try csv.rows("cost") == [[digits]])
        #expect(try stringCost.rows("cost") == [[digits]])
        let stored = try jsonl.rows("cost")
        #expect(stored == [[digits]])
    }

    @Test("random latencies: the JSONL stores the same doubles as the CSV")
    func latencyDigits() throws {
        var random = SeededRandom(seed: 5)
        var values: [String] = []
        for _ in 0..<300 {
            let digits = 1 + Int(random.next() % 17)
            var mantissa = ""
            for _ in 0..<digits { mantissa += String(random.next() % 10) }
            // At most 8 digits before the point: under the 604800000 ms (7 days) a latency may be.
            let point = min(Int(random.next() % UInt64(digits + 1)), 8)
            var whole = String(mantissa.prefix(point))
            while whole.count > 1 && whole.hasPrefix("0") { whole.removeFirst() }  // JSON allows no leading zeros
            let fraction = String(mantissa.dropFirst(point))
            values.append((whole.isEmpty ? "0" : whole) + "." + (fraction.isEmpty ? "0" : fraction))
        }
        var csvText = "timestamp,provider,model,latency_ms,request_id\n"
        var jsonText = ""
        for (i, v) in values.enumerated() {
            csvText += "2024-05-01T12:00:00Z,openai,gpt-4o,\(v),r\(i)\n"
            jsonText += #"{"timestamp": "2024-05-01T12:00:00Z", "provider": "openai", "model": "gpt-4o", "latency_ms": "# + v + #", "request_id": "r"# + String(i) + "\"}\n"
        }
        let csv = try Fixture(), jsonl = try Fixture()
        _ = try csv.ingest(csv.tmp.write("l.csv", csvText))
        _ = try jsonl.ingest(jsonl.tmp.write("l.jsonl", jsonText))
        let a = Dictionary(uniqueKeysWithValues: try csv.rows("request_id, latency_ms").map { ($0[0], $0[1]) })
        let b = Dictionary(uniqueKeysWithValues: try jsonl.rows("request_id, latency_ms").map { ($0[0], $0[1]) })
        #expect(a.count == values.count)
        #expect(b.count == values.count)
        let mismatches = values.indices.filter { a["r\($0)"] != b["r\($0)"] }.map { (values[$0], a["r\($0)"], b["r\($0)"]) }
        // Up to 15 significant digits every double survives the JSON path.
        let short = mismatches.filter { v, _, _ in v.filter(\.isNumber).drop { $0 == "0" }.count <= 15 }
        #expect(short.isEmpty, "\(short.prefix(3))")
        #expect(mismatches.isEmpty, "\(mismatches.count) differ, first: \(mismatches.prefix(3))")
    }

    @Test("one 16-digit latency: JSONL and CSV store the same double")
    func latencyExample() throws {
        let csv = try Fixture(), jsonl = try Fixture()
        _ = try csv.ingest(csv.tmp.write("l.csv", "timestamp,provider,model,latency_ms\n2024-05-01T12:00:00Z,openai,gpt-4o,0.7271974772802685\n"))
        _ = try jsonl.ingest(jsonl.tmp.write("l.jsonl", #"{"timestamp": "2024-05-01T12:00:00Z", "provider": "openai", "model": "gpt-4o", "latency_ms": 0.7271974772802685}"# + "\n"))
        #expect(try csv.rows("latency_ms") == [["0.7271974772802685"]])
        let stored = try jsonl.rows("latency_ms")
        #expect(stored == [["0.7271974772802685"]])
        // So the same request from the two files is stored twice.
        let both = try Fixture()
        _ = try both.ingest(both.tmp.write("l.csv", "timestamp,provider,model,latency_ms\n2024-05-01T12:00:00Z,openai,gpt-4o,0.7271974772802685\n"))
        let second = try both.ingest(both.tmp.write("l.jsonl", #"{"timestamp": "2024-05-01T12:00:00Z", "provider": "openai", "model": "gpt-4o", "latency_ms": 0.7271974772802685}"# + "\n"))
        #expect(second.duplicates == 1)
    }

    @Test("a line that is not an object is an error with its line number")
    func notAnObject() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("a.jsonl", sampleJSONL.split(separator: "\n", omittingEmptySubsequences: false)[0] + "\n\n[1, 2]\n")
        try expectFailure(fx, path, prefix: "\(path):3: is not a JSON object", contains: "")
    }

    @Test("an invalid JSON line is an error with its line number")
    func invalidJSON() throws {
        let fx = try Fixture()
        let first = sampleJSONL.split(separator: "\n")[0]
        let path = fx.tmp.write("b.jsonl", first + "\n" + first.dropLast(1) + "\n")
        try expectFailure(fx, path, prefix: "\(path):2: is not valid JSON", contains: "")
    }

    @Test("an unknown key is an error naming it and the line")
    func unknownKey() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("c.jsonl", """
            {"timestamp": "2024-05-01T12:00:00Z", "provider": "openai", "model": "gpt-4o"}
            {"timestamp": "2024-05-01T12:00:01Z", "provider": "openai", "model": "gpt-4o", "latency": 3}

            """)
        try expectFailure(fx, path, prefix: "\(path):2: column latency: unknown key (known: \(columnNames.joined(separator: ", "))",
                          contains: "keys starting with x_ are ignored")
    }

    @Test("a missing required key is an error naming it and the line")
    func missingKey() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("d.jsonl", """
            {"timestamp": "2024-05-01T12:00:00Z", "provider": "openai", "model": "gpt-4o"}


            {"timestamp": "2024-05-01T12:00:01Z", "model": "gpt-4o"}

            """)
        try expectFailure(fx, path, prefix: "\(path):4: column provider: is missing", contains: "")
    }

    @Test("a value that is neither string nor number is an error naming the key")
    func wrongValueType() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("e.jsonl", """
            {"timestamp": "2024-05-01T12:00:00Z", "provider": "openai", "model": "gpt-4o", "tenant": ["a"]}
            """)
        try expectFailure(fx, path, prefix: "\(path):1: column tenant: is an array, expected a string or number", contains: "")
    }

    @Test("a key twice in one object is an error naming the line and the key (audit F12)")
    func repeatedKey() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("dup.jsonl", """
            {"timestamp": "2024-05-01T12:00:00Z", "provider": "openai", "model": "gpt-4o"}
            {"timestamp":"2024-05-01T12:00:00Z","provider":"openai","model":"gpt-4o","provider":"anthropic"}

            """)
        try expectFailure(fx, path, prefix: "\(path):2: column provider: appears twice in the object; a key may appear once", contains: "")
    }

    @Test("a string over 64 KiB is refused as a CSV field is (audit F13)")
    func oversizedValue() throws {
        let fx = try Fixture()
        let big = String(repeating: "t", count: 70_000)
        let path = fx.tmp.write("big.jsonl", #"{"timestamp": "2024-05-01T12:00:00Z", "provider": "openai", "model": "gpt-4o", "tenant": ""# + big + "\"}\n")
        try expectFailure(fx, path, prefix: "\(path):1: column tenant: is 70000 bytes, over the limit of 65536", contains: "")
        let csv = fx.tmp.write("big.csv", "timestamp,provider,model,tenant\n2024-05-01T12:00:00Z,openai,gpt-4o,\(big)\n")
        try expectFailure(fx, csv, prefix: "\(csv):2: column tenant: is 70000 bytes, over the limit of 65536", contains: "")
        // 64 KiB itself lands.
        let fx2 = try Fixture()
        let limit = String(repeating: "t", count: 65_536)
        #expect(try fx2.ingest(fx2.tmp.write("ok.jsonl", #"{"timestamp": "2024-05-01T12:00:00Z", "provider": "openai", "model": "gpt-4o", "tenant": ""# + limit + "\"}\n")).inserted == 1)
    }

    @Test("a file of blank lines is an error; CRLF line ends are fine")
    func blankAndCRLF() throws {
        let fx = try Fixture()
        let blank = fx.tmp.write("blank.jsonl", "\n  \n\t\n")
        try expectFailure(fx, blank, prefix: "\(blank): the file has no JSON lines", contains: "", { $0.format = .jsonl })
        let fx2 = try Fixture()
        let crlf = fx2.tmp.write("crlf.jsonl", sampleJSONL.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(try fx2.ingest(crlf).inserted == 4)
        #expect(withoutKey(try fx2.rows()) == sampleStored)
    }
}

// MARK: - Idempotency

@Suite("RequestLogIngestor: idempotency")
struct IdempotencyTests {
    @Test("ingesting the same file twice adds nothing the second time")
    func sameFileTwice() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("requests.csv", sampleCSV)
        let first = try fx.ingest(path)
        let before = try fx.rows()
        let second = try fx.ingest(path)
        #expect(first.inserted == 4)
        #expect(second.rowsRead == 4)
        #expect(second.inserted == 0)
        #expect(second.duplicates == 4)
        #expect(second.runID != first.runID)
        #expect(try fx.rows() == before)
        let run = try #require(try fx.store.runs().first)
        #expect(run.counts == IngestCounts(read: 4, inserted: 0, duplicate: 4, quarantined: 0))
    }

    @Test("a duplicate is not counted as unpriced (nothing was stored)")
    func duplicatesAreNotUnpriced() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("requests.csv", sampleCSV)
        _ = try fx.ingest(path)
        let second = try fx.ingest(path)
        #expect(second.unpriced == 0)
    }

    @Test("the CSV and the JSONL of the same rows dedupe against each other")
    func csvAndJSONL() throws {
        let fx = try Fixture()
        let csv = try fx.ingest(fx.tmp.write("requests.csv", sampleCSV))
        let jsonl = try fx.ingest(fx.tmp.write("requests.jsonl", sampleJSONL))
        #expect(csv.inserted == 4)
        #expect(jsonl.inserted == 0)
        #expect(jsonl.duplicates == 4)
        let fx2 = try Fixture()
        #expect(try fx2.ingest(fx2.tmp.write("requests.jsonl", sampleJSONL)).inserted == 4)
        #expect(try fx2.ingest(fx2.tmp.write("requests.csv", sampleCSV)).duplicates == 4)
        #expect(try fx2.count("requests") == 4)
    }

    @Test("two byte-identical rows are both kept, and a re-ingest still adds nothing")
    func identicalRows() throws {
        let fx = try Fixture()
        let row = csvRow()
        let path = fx.tmp.write("twins.csv", fullHeader + "\n" + row + "\n" + row + "\n" + csvRow(["timestamp": "2024-05-01T12:00:01Z"]) + "\n" + row.replacingOccurrences(of: "12:00:00Z", with: "12:00:01Z") + "\n")
        let first = try fx.ingest(path)
        #expect(first.inserted == 4)
        #expect(first.duplicates == 0)
        let second = try fx.ingest(path)
        #expect(second.inserted == 0)
        #expect(second.duplicates == 4)
        #expect(try fx.count("requests") == 4)
    }

    @Test("many identical rows at one instant are all kept (past the 256-row switch)")
    func manyIdenticalRows() throws {
        let fx = try Fixture()
        let row = csvRow()
        let path = fx.tmp.write("many.csv", fullHeader + "\n" + Array(repeating: row, count: 600).joined(separator: "\n") + "\n")
        #expect(try fx.ingest(path).inserted == 600)
        let again = try fx.ingest(path)
        #expect(again.inserted == 0)
        #expect(again.duplicates == 600)
        // A file with more copies adds only the extra ones.
        let more = fx.tmp.write("more.csv", fullHeader + "\n" + Array(repeating: row, count: 601).joined(separator: "\n") + "\n")
        let third = try fx.ingest(more)
        #expect(third.inserted == 1)
        #expect(third.duplicates == 600)
    }

    /// Documented behaviour: in a file not sorted by time, an identical row that comes back
    /// after rows of another instant is a repeat of the first (telling it apart would need
    /// memory that grows with the file).
    @Test("an identical row that comes back after another instant is a repeat")
    func identicalRowsOutOfOrder() throws {
        let fx = try Fixture()
        let row = csvRow()
        let other = csvRow(["timestamp": "2024-05-01T12:00:05Z"])
        let path = fx.tmp.write("unsorted.csv", fullHeader + "\n" + row + "\n" + other + "\n" + row + "\n")
        let result = try fx.ingest(path)
        #expect(result.inserted == 2)
        #expect(result.duplicates == 1)
    }
}

// MARK: - Bad input (one test per case of the issue)

@Suite("RequestLogIngestor: bad input")
struct BadInputTests {
    @Test("wrong encoding: Latin-1 bytes in a tenant field")
    func latin1() throws {
        let fx = try Fixture()
        let bytes = Array((fullHeader + "\n" + csvRow() + "\n" + "2024-05-01T12:00:01Z,caf").utf8) + [0xE9]
            + Array(",openai,gpt-4o,chat,us,1,1,0,1,1,ok,,\n".utf8)
        let path = fx.tmp.write("latin1.csv", bytes: bytes)
        try expectFailure(fx, path, prefix: "\(path):3: column tenant: ", contains: "is not valid UTF-8 text")
    }

    /// A quoted value spanning lines is said as such (it read "is not valid UTF-8 text (or holds
    /// control characters)"), and so is a NUL byte.
    @Test("a line break or a control character inside a value")
    func lineBreakAndControlCharacter() throws {
        let fx = try Fixture()
        let broken = fx.tmp.write("break.csv", fullHeader + "\n" + csvRow() + "\n" + "2024-05-01T12:00:01Z,\"multi\nline\",openai,gpt-4o,chat,us,1,1,0,1,1,ok,,\n")
        try expectFailure(fx, broken, prefix: "\(broken):3: column tenant: holds a line break (a quoted value spanning lines); a value is one line", contains: "")
        let bytes = Array((fullHeader + "\n" + "2024-05-01T12:00:01Z,a").utf8) + [0x00] + Array(",openai,gpt-4o,chat,us,1,1,0,1,1,ok,,\n".utf8)
        let nul = fx.tmp.write("nul.csv", bytes: bytes)
        try expectFailure(fx, nul, prefix: "\(nul):2: column tenant: holds the control character 0x00", contains: "")
    }

    @Test("wrong encoding: a UTF-16 file")
    func utf16() throws {
        let fx = try Fixture()
        var bytes: [UInt8] = [0xFF, 0xFE]
        for u in (fullHeader + "\n" + csvRow() + "\n").utf16 { bytes += [UInt8(u & 0xFF), UInt8(u >> 8)] }
        let path = fx.tmp.write("utf16.csv", bytes: bytes)
        try expectFailure(fx, path, prefix: "\(path): the file is UTF-16 encoded; convert it to UTF-8", contains: "iconv")
    }

    @Test("a timestamp before 2000 is a misread date, refused naming the row (audit F9)")
    func timestampBefore2000() throws {
        for (ts, shown) in [("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"), ("1999-12-31T23:59:59.999Z", "1999-12-31T23:59:59.999Z")] {
            let fx = try Fixture()
            let path = fx.tmp.write("old.csv", fullHeader + "\n" + csvRow() + "\n" + csvRow(["timestamp": ts]) + "\n")
            try expectFailure(fx, path, prefix: "\(path):3: column timestamp: \(shown) is before 2000-01-01T00:00:00Z; a request that early is a misread date", contains: "")
        }
        let fx = try Fixture()
        #expect(try fx.ingest(fx.tmp.write("y2k.csv", fullHeader + "\n" + csvRow(["timestamp": "2000-01-01T00:00:00Z"]) + "\n")).inserted == 1)
        // A trace whose start puts its rows before 2000.
        let fx2 = try Fixture()
        let trace = fx2.tmp.write("burst.csv", "Timestamp,Model,Request tokens,Response tokens\n5,ChatGPT,472,18\n")
        try expectFailure(fx2, trace, prefix: "\(trace):2: column Timestamp: 1990-01-01T00:00:05Z is before 2000-01-01T00:00:00Z", contains: "") { o in
            o.format = .burstgpt
            o.start = Timestamp.parse("1990-01-01T00:00:00Z")!
        }
    }

    @Test("a cost beyond ±10¹² is refused, so that sums stay exact (audit F10)")
    func costBeyondLimit() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("big.csv", "timestamp,provider,model,cost_usd\n2024-05-01T12:00:00Z,openai,gpt-4o,100000000000000\n")
        try expectFailure(fx, path, prefix: "\(path):2: column cost_usd: 100000000000000 is beyond ±1000000000000, the largest amount one row may carry", contains: "")
        let jsonl = fx.tmp.write("big.jsonl", #"{"timestamp": "2024-05-01T12:00:00Z", "provider": "openai", "model": "gpt-4o", "cost_usd": 1000000000000.000001}"# + "\n")
        try expectFailure(fx, jsonl, prefix: "\(jsonl):1: column cost_usd: 1000000000000.000001 is beyond", contains: "")
        #expect(try fx.ingest(fx.tmp.write("max.csv", "timestamp,provider,model,cost_usd\n2024-05-01T12:00:00Z,openai,gpt-4o,1000000000000\n")).inserted == 1)
    }

    @Test("missing header: the file starts with a data row")
    func missingHeader() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("noheader.csv", csvRow() + "\n" + csvRow(["timestamp": "2024-05-01T12:00:01Z"]) + "\n")
        let e = try expectFailure(fx, path, prefix: "\(path):1: ", contains: "'2024-05-01T12:00:00Z' looks like data, not a column name")
        #expect(e.description.dropFirst(path.count).contains("header"))
    }

    @Test("an empty file")
    func emptyFile() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("empty.csv", "")
        let e = try #require(fx.failure(path))
        #expect(e.description == "\(path): the file is empty (expected a header line and rows)")
        #expect(try fx.count("requests") == 0)
        let run = try #require(try fx.store.runs().first)
        #expect(run.status == "failed")
        #expect(run.error == e.description)
    }

    @Test("a header without rows is a successful ingest of 0 rows")
    func headerOnly() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("header.csv", fullHeader + "\n")
        let result = try fx.ingest(path)
        #expect(result.rowsRead == 0)
        #expect(result.inserted == 0)
        #expect(result.duplicates == 0)
        #expect(try fx.count("requests") == 0)
        let run = try #require(try fx.store.runs().first)
        #expect(run.status == "ok")
        #expect(run.counts == IngestCounts())
        // The same without a final newline.
        #expect(try fx.ingest(fx.tmp.write("header2.csv", fullHeader)).rowsRead == 0)
    }

    @Test("a huge field (over 64 KiB)")
    func hugeField() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("huge.csv", fullHeader + "\n" + csvRow() + "\n"
            + csvRow(["timestamp": "2024-05-01T12:00:01Z", "tenant": String(repeating: "t", count: 70_000)]) + "\n")
        let e = try expectFailure(fx, path, prefix: "\(path):3: ", contains: "70000 bytes, over the limit of 65536")
        #expect(e.description.hasPrefix("\(path):3: column tenant: "))
    }

    @Test("negative tokens")
    func negativeTokens() throws {
        try expectBadRow(["input_tokens": "-5"], column: "input_tokens", reason: "-5 is negative; token counts are ≥ 0")
    }

    @Test("cached tokens more than input tokens")
    func cachedOverInput() throws {
        try expectBadRow(["input_tokens": "5", "cached_tokens": "10"], column: "cached_tokens",
                         reason: "10 is more than input_tokens (5)")
    }

    @Test("non-numeric tokens")
    func nonNumericTokens() throws {
        try expectBadRow(["output_tokens": "12.5"], column: "output_tokens", reason: "'12.5' is not a whole number")
    }

    @Test("non-numeric latency")
    func nonNumericLatency() throws {
        try expectBadRow(["latency_ms": "abc"], column: "latency_ms", reason: "'abc' is not a number")
    }

    @Test("negative latency")
    func negativeLatency() throws {
        try expectBadRow(["latency_ms": "-3"], column: "latency_ms", reason: "is negative; durations are ≥ 0")
    }

    /// A latency or time to first token over 7 days is refused naming the row (audit-cli
    /// finding 1: 1e308 ms was stored, and the latency report's log axis then looped for ever);
    /// exactly 7 days is read.
    @Test func latencyOverSevenDays() throws {
        let reason = "is over 604800000 ms (7 days); no request takes that long"
        try expectBadRow(["latency_ms": "1e308"], column: "latency_ms", reason: "'1e308' " + reason)
        try expectBadRow(["latency_ms": "604800000.5"], column: "latency_ms", reason: "'604800000.5' " + reason)
        try expectBadRow(["ttft_ms": "1e10"], column: "ttft_ms", reason: "'1e10' " + reason)
        let fx = try Fixture()
        let path = fx.tmp.write("week.csv", fullHeader + "\n" + csvRow(["latency_ms": "604800000", "ttft_ms": "604800000"]) + "\n")
        #expect(try fx.ingest(path).inserted == 1)
    }

    @Test("infinite latencies, and words that are not a number")
    func infiniteLatency() throws {
        try expectBadRow(["latency_ms": "inf"], column: "latency_ms", reason: "'inf' is not a number")
        try expectBadRow(["ttft_ms": "Na"], column: "ttft_ms", reason: "'Na' is not a number")
        try expectBadRow(["cost_usd": "none"], column: "cost_usd", reason: "none")
    }

    /// `NA` as R writes it, `nan` as numpy does, `NULL`…: in the optional number columns they
    /// mean unknown, as an empty field does (the words of the series reader, one list). The
    /// cost is then computed from prices.
    @Test func missingValueWordsInOptionalColumnsAreUnknown() throws {
        let fx = try Fixture()
        try fx.importPrices(tinyPrices)
        let path = fx.tmp.write("requests.csv", fullHeader + "\n"
            + csvRow(["latency_ms": "NA", "ttft_ms": "nan", "cost_usd": "NULL"]) + "\n"
            + csvRow(["timestamp": "2024-05-01T12:00:01Z", "latency_ms": "#N/A", "ttft_ms": "", "cost_usd": ""]) + "\n")
        let r = try fx.ingest(path)
        #expect(r.inserted == 2 && r.quarantined == 0)
        let rows = try fx.rows("latency_ms, ttft_ms, cost")
        #expect(rows.count == 2)
        #expect(rows[0] == rows[1])
        #expect(rows[0][0] == "NULL" && rows[0][1] == "NULL" && rows[0][2] != "NULL")
    }

    @Test("unparsable timestamp")
    func badTimestamp() throws {
        try expectBadRow(["timestamp": "yesterday"], column: "timestamp",
                         reason: "'yesterday' is not an ISO 8601 timestamp")
        try expectBadRow(["timestamp": "2024-02-30T00:00:00Z"], column: "timestamp", reason: "is not an ISO 8601 timestamp")
        try expectBadRow(["timestamp": ""], column: "timestamp", reason: "is empty")
    }

    @Test("timestamp in the future")
    func futureTimestamp() throws {
        // now is fixed at 2025-01-01T00:00:00Z; five minutes of clock skew are allowed.
        try expectBadRow(["timestamp": "2025-01-01T00:05:00.000001Z"], column: "timestamp",
                         reason: "2025-01-01T00:05:00.000001Z is in the future (now is 2025-01-01T00:00:00Z)")
        let fx = try Fixture()
        let path = fx.tmp.write("edge.csv", fullHeader + "\n" + csvRow(["timestamp": "2025-01-01T00:05:00Z"]) + "\n")
        #expect(try fx.ingest(path).inserted == 1)
        let fx2 = try Fixture()
        let strict = fx2.tmp.write("strict.csv", fullHeader + "\n" + csvRow(["timestamp": "2025-01-01T00:00:01Z"]) + "\n")
        try expectFailure(fx2, strict, prefix: "\(strict):2: column timestamp: ", contains: "is in the future") { $0.futureTolerance = 0 }
    }

    @Test("unknown provider")
    func unknownProvider() throws {
        try expectBadRow(["provider": "acme"], column: "provider",
                         reason: "'acme' is not in the provider catalog (known: anthropic, ")
    }

    @Test("empty provider or model")
    func emptyProvider() throws {
        try expectBadRow(["provider": ""], column: "provider", reason: "is empty")
        try expectBadRow(["model": ""], column: "model", reason: "is empty")
    }

    @Test("unknown status")
    func unknownStatus() throws {
        try expectBadRow(["status": "weird"], column: "status",
                         reason: "'weird' is not a status (expected one of ok, error, timeout, rate_limited, cancelled or an HTTP status code)")
        try expectBadRow(["status": "999"], column: "status", reason: "'999' is not a status")
    }

    @Test("malformed cost")
    func malformedCost() throws {
        try expectBadRow(["cost_usd": "1.2.3"], column: "cost_usd", reason: "'1.2.3' is not a decimal number")
        try expectBadRow(["cost_usd": "$0.10"], column: "cost_usd", reason: "'$0.10' is not a decimal number")
        try expectBadRow(["cost_usd": "-0.5"], column: "cost_usd", reason: "-0.5 is negative")
        try expectBadRow(["cost_usd": "1e-30"], column: "cost_usd", reason: "has more than 24 decimal places")
    }

    @Test("control characters in a text field")
    func controlCharacters() throws {
        try expectBadRow(["region": "\"u\u{1}s\""], column: "region", reason: "holds the control character 0x01")
    }

    @Test("unterminated quote: nothing of the file is stored")
    func unterminatedQuote() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("q.csv", fullHeader + "\n" + csvRow() + "\n" + csvRow(["tenant": "\"open"]) + "\n")
        try expectFailure(fx, path, prefix: "\(path):3: unterminated quoted field", contains: "")
    }

    @Test("an unknown format is refused before anything is read")
    func unknownFormat() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("data.log", "hello,world\n")
        let e = try #require(fx.failure(path))
        #expect(e.description.hasPrefix("\(path): cannot tell the format from the first line 'hello,world'; pass --format"))
    }
}

// MARK: - --skip-bad

@Suite("RequestLogIngestor: --skip-bad")
struct SkipBadTests {
    /// Ten data rows (lines 2-11); lines 4, 7 and 11 are bad.
    fileprivate static func file(_ fx: Fixture) -> String {
        var lines = [fullHeader]
        for i in 0..<10 {
            let ts = "2024-05-01T12:00:0\(i)Z"
            switch i {
            case 2: lines.append(csvRow(["timestamp": ts, "latency_ms": "abc"]))
            case 5: lines.append(csvRow(["timestamp": ts, "provider": "acme"]))
            case 9: lines.append("\(ts),team-a,openai")
            default: lines.append(csvRow(["timestamp": ts]))
            }
        }
        return fx.tmp.write("mixed.csv", lines.joined(separator: "\n") + "\n")
    }

    @Test("3 bad rows among 10: 7 stored, 3 quarantined with line, field and reason")
    func quarantine() throws {
        let fx = try Fixture()
        let path = Self.file(fx)
        let result = try fx.ingest(path) { $0.skipBad = true }
        #expect(result.rowsRead == 10)
        #expect(result.inserted == 7)
        #expect(result.duplicates == 0)
        #expect(result.quarantined == 3)
        #expect(result.unpriced == 7)
        #expect(try fx.count("requests") == 7)
        let q = try fx.store.database.rows("SELECT run_id, location, line, field, reason FROM quarantine ORDER BY line")
            .map { $0.map(\.description) }
        #expect(q.count == 3)
        #expect(q.map { $0[0] } == Array(repeating: String(result.runID), count: 3))
        #expect(q.map { $0[1] } == Array(repeating: path, count: 3))
        #expect(q.map { $0[2] } == ["4", "7", "11"])
        #expect(q.map { $0[3] } == ["latency_ms", "provider", "NULL"])
        #expect(q[0][4] == "'abc' is not a number")
        #expect(q[1][4].hasPrefix("'acme' is not in the provider catalog"))
        #expect(q[2][4] == "has 3 fields, the header has 14")
        let run = try #require(try fx.store.runs().first)
        #expect(run.status == "ok")
        #expect(run.counts == IngestCounts(read: 10, inserted: 7, duplicate: 0, quarantined: 3))
    }

    @Test("the quarantined raw text is the row as written")
    func quarantineRaw() throws {
        let fx = try Fixture()
        let path = Self.file(fx)
        _ = try fx.ingest(path) { $0.skipBad = true }
        let raw = try fx.store.database.rows("SELECT raw FROM quarantine ORDER BY line").map { $0[0].description }
        let expected = [
            csvRow(["timestamp": "2024-05-01T12:00:02Z", "latency_ms": "abc"]),
            csvRow(["timestamp": "2024-05-01T12:00:05Z", "provider": "acme"]),
            "2024-05-01T12:00:09Z,team-a,openai",
        ]
        #expect(raw.count == 3)
        // Each row is in there; CSVReader.rawRecord also takes the byte before and after it.
        for (r, e) in zip(raw, expected) { #expect(r.contains(e)) }
        #expect(raw == expected)
    }

    @Test("re-running adds nothing to either table")
    func rerun() throws {
        let fx = try Fixture()
        let path = Self.file(fx)
        _ = try fx.ingest(path) { $0.skipBad = true }
        let requests = try fx.rows()
        let quarantine = try fx.store.database.rows("SELECT location, line, field, reason, raw FROM quarantine ORDER BY line")
        let again = try fx.ingest(path) { $0.skipBad = true }
        #expect(again.inserted == 0)
        #expect(again.duplicates == 7)
        #expect(try fx.rows() == requests)
        #expect(try fx.store.database.rows("SELECT location, line, field, reason, raw FROM quarantine ORDER BY line") == quarantine)
    }

    @Test("JSONL bad lines are quarantined too")
    func jsonl() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("mixed.jsonl", """
            {"timestamp": "2024-05-01T12:00:00Z", "provider": "openai", "model": "gpt-4o"}
            not json
            [1]
            {"timestamp": "2024-05-01T12:00:01Z", "provider": "openai", "model": "gpt-4o", "input_tokens": -1}
            {"timestamp": "2024-05-01T12:00:02Z", "provider": "openai", "model": "gpt-4o"}

            """)
        let result = try fx.ingest(path) { $0.skipBad = true }
        #expect(result.inserted == 2)
        #expect(result.quarantined == 3)
        let q = try fx.store.database.rows("SELECT line, field, reason, raw FROM quarantine ORDER BY line").map { $0.map(\.description) }
        #expect(q == [
            ["2", "NULL", "is not valid JSON: column 1: invalid literal", "not json"],
            ["3", "NULL", "is not a JSON object (found an array)", "[1]"],
            ["4", "input_tokens", "-1 is negative; token counts are ≥ 0",
             #"{"timestamp": "2024-05-01T12:00:01Z", "provider": "openai", "model": "gpt-4o", "input_tokens": -1}"#],
        ])
    }
}

// MARK: - Counts

@Suite("RequestLogIngestor: counts")
struct CountTests {
    @Test("rowsRead, inserted, duplicates, quarantined and unpriced")
    func counts() throws {
        let fx = try Fixture()
        try fx.importPrices(tinyPrices)
        let path = fx.tmp.write("counts.csv", fullHeader + "\n"
            + csvRow(["timestamp": "2024-05-01T12:00:00Z"]) + "\n"                          // priced
            + csvRow(["timestamp": "2024-05-01T12:00:01Z", "model": "gpt-9"]) + "\n"          // unpriced
            + csvRow(["timestamp": "2024-05-01T12:00:02Z", "latency_ms": "x"]) + "\n"         // quarantined
            + csvRow(["timestamp": "2024-05-01T12:00:03Z", "request_id": "r1"]) + "\n"        // priced
            + csvRow(["timestamp": "2024-05-01T12:00:03Z", "request_id": "r1", "tenant": "b"]) + "\n"  // duplicate
            + csvRow(["timestamp": "2024-05-01T12:00:04Z", "provider": "nobody"]) + "\n")     // quarantined
        let result = try fx.ingest(path) { $0.skipBad = true }
        #expect(result.rowsRead == 6)
        #expect(result.inserted == 3)
        #expect(result.duplicates == 1)
        #expect(result.quarantined == 2)
        #expect(result.unpriced == 1)
        #expect(try fx.count("requests") == 3)
        #expect(try fx.count("quarantine") == 2)
        #expect(try fx.store.runs().first?.counts == IngestCounts(read: 6, inserted: 3, duplicate: 1, quarantined: 2))
    }
}

// MARK: - Public traces from ../shared

private enum Traces {
    static let azure = "datasets/azure-llm-trace-2023-code/AzureLLMInferenceTrace_code.csv"
    static let burst1 = "datasets/burstgpt-slices/burstgpt_slice.csv"
    static let burst3 = "datasets/burstgpt-slices/burstgpt3_slice.csv"
    static let mooncake = "datasets/mooncake-traces/conversation_trace.jsonl"
    static let start = Timestamp.parse("2024-01-01T00:00:00Z")!

    /// Why tests needing these files are skipped.
    static func absent(_ relative: String...) -> String { relative.compactMap(SharedData.missing).joined(separator: "; ") }
}

@Suite("RequestLogIngestor: public traces")
struct PublicTraceTests {
    @Test("Azure code trace: 8,819 rows, first row exact, auto-detected",
          .enabled(if: SharedData.path(Traces.azure) != nil, Comment(rawValue: Traces.absent(Traces.azure))))
    func azure() throws {
        let path = try #require(SharedData.path(Traces.azure))
        let fx = try Fixture()
        let result = try fx.ingest(path) { o in
            o.format = nil
            o.provider = "openai"
            o.model = "gpt-4o"
        }
        #expect(result.format == .azureTrace)
        #expect(result.rowsRead == 8_819)
        #expect(result.inserted == 8_819)
        #expect(result.duplicates == 0)
        #expect(result.unpriced == 8_819)
        #expect(try fx.count("requests") == 8_819)
        let first = try fx.rows("ts, input_tokens, output_tokens, provider, model, tenant, operation, status").first
        #expect(first == [String(Timestamp.parse("2023-11-16T18:17:03.97996Z")!), "4808", "10", "openai", "gpt-4o", "default", "chat", "ok"])
        #expect(try fx.store.requestSpan().map { Timestamp.format($0.last) } == "2023-11-16T19:14:19.928016Z")
        #expect(try fx.store.requestSpan().map { Timestamp.format($0.first) } == "2023-11-16T18:17:03.97996Z")
        // The last row (no trailing newline in the file) is there.
        #expect(try fx.rows("input_tokens, output_tokens").last == ["549", "173"])
        #expect(try fx.ingest(path) { o in o.provider = "openai"; o.model = "gpt-4o" }.inserted == 0)
    }

    @Test("BurstGPT: an Elapsed time over 7 days is refused naming the row (audit F8, audit-cli finding 1)")
    func burstGPTElapsedBeyondRange() throws {
        let fx = try Fixture()
        let header = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type,Elapsed time\n"
        let path = fx.tmp.write("burst.csv", header + "5,ChatGPT,472,18,490,Conversation log,1.5\n"
            + "6,ChatGPT,472,18,490,Conversation log,1e308\n")
        try expectFailure(fx, path, prefix: "\(path):3: column Elapsed time: '1e308' is over 604800 s (7 days); no request takes that long", contains: "") { o in
            o.format = .burstgpt
            o.start = Traces.start
        }
        let week = fx.tmp.write("week.csv", header + "5,ChatGPT,472,18,490,Conversation log,604800.001\n")
        try expectFailure(fx, week, prefix: "\(week):2: column Elapsed time: '604800.001' is over 604800 s (7 days)", contains: "") { o in
            o.format = .burstgpt
            o.start = Traces.start
        }
        let ok = fx.tmp.write("ok.csv", header + "5,ChatGPT,472,18,490,Conversation log,604800\n")
        #expect(try fx.ingest(ok) { o in o.format = .burstgpt; o.start = Traces.start }.inserted == 1)
        #expect(try fx.rows("latency_ms") == [["604800000.0"]])
    }

    @Test("BurstGPT_1 slice: 400 rows, failed rows, model mapping",
          .enabled(if: SharedData.path(Traces.burst1) != nil, Comment(rawValue: Traces.absent(Traces.burst1))))
    func burstGPT1() throws {
        let path = try #require(SharedData.path(Traces.burst1))
        let fx = try Fixture()
        let result = try fx.ingest(path) { o in
            o.format = nil
            o.start = Traces.start
        }
        #expect(result.format == .burstgpt)
        #expect(result.rowsRead == 400)
        #expect(result.inserted == 400)
        #expect(try fx.count("requests") == 400)
        #expect(try fx.rows("ts, provider, model, input_tokens, output_tokens, status, latency_ms").first
            == [String(Traces.start + 5_000_000), "openai", "gpt-3.5-turbo", "472", "18", "ok", "NULL"])
        let byStatus = try fx.store.database.rows("SELECT status, count(*) FROM requests GROUP BY status ORDER BY status")
        #expect(byStatus == [[.text("error"), .int(17)], [.text("ok"), .int(383)]])
        #expect(try fx.store.database.scalarInt("SELECT count(*) FROM requests WHERE status = 'error' AND output_tokens <> 0") == 0)
        let byModel = try fx.store.database.rows("SELECT provider, model, count(*) FROM requests GROUP BY provider, model ORDER BY model")
        #expect(byModel == [[.text("openai"), .text("gpt-3.5-turbo"), .int(320)], [.text("openai"), .text("gpt-4"), .int(80)]])
        #expect(try fx.store.database.scalarInt("SELECT count(*) FROM requests WHERE latency_ms IS NOT NULL") == 0)
    }

    @Test("BurstGPT_3 slice: 400 rows, Elapsed time becomes latency in ms",
          .enabled(if: SharedData.path(Traces.burst3) != nil, Comment(rawValue: Traces.absent(Traces.burst3))))
    func burstGPT3() throws {
        let path = try #require(SharedData.path(Traces.burst3))
        let fx = try Fixture()
        let result = try fx.ingest(path) { o in
            o.format = nil
            o.start = Traces.start
        }
        #expect(result.format == .burstgpt)
        #expect(result.inserted == 400)
        #expect(try fx.rows("ts, model, input_tokens, output_tokens, latency_ms, status").first
            == [String(Traces.start + 19_440_110 * 1_000_000), "gpt-4", "906", "446", "43000.0", "ok"])
        let byModel = try fx.store.database.rows("SELECT model, count(*) FROM requests GROUP BY model ORDER BY model")
        #expect(byModel == [[.text("gpt-3.5-turbo"), .int(305)], [.text("gpt-4"), .int(95)]])
        #expect(try fx.store.database.scalarInt("SELECT count(*) FROM requests WHERE status = 'error'") == 1)
        #expect(try fx.store.database.scalarInt("SELECT count(*) FROM requests WHERE latency_ms IS NULL") == 0)
        // Every latency is a whole number of seconds in the file, so a multiple of 1000 ms here.
        #expect(try fx.store.database.scalarInt("SELECT count(*) FROM requests WHERE latency_ms % 1000 <> 0") == 0)
    }

    @Test("BurstGPT with --model keeps that model for every row",
          .enabled(if: SharedData.path(Traces.burst1) != nil, Comment(rawValue: Traces.absent(Traces.burst1))))
    func burstGPTModelOption() throws {
        let path = try #require(SharedData.path(Traces.burst1))
        let fx = try Fixture()
        _ = try fx.ingest(path) { o in
            o.start = Traces.start
            o.provider = "anthropic"
            o.model = "claude-sonnet-4-5"
        }
        let byModel = try fx.store.database.rows("SELECT provider, model, count(*) FROM requests GROUP BY provider, model")
        #expect(byModel == [[.text("anthropic"), .text("claude-sonnet-4-5"), .int(400)]])
    }

    @Test("Mooncake conversation trace: 12,031 rows at start + ms",
          .enabled(if: SharedData.path(Traces.mooncake) != nil, Comment(rawValue: Traces.absent(Traces.mooncake))))
    func mooncake() throws {
        let path = try #require(SharedData.path(Traces.mooncake))
        let fx = try Fixture()
        let result = try fx.ingest(path) { o in
            o.format = nil
            o.start = Traces.start
            o.provider = "openai"
            o.model = "gpt-4o"
        }
        #expect(result.format == .mooncake)
        #expect(result.rowsRead == 12_031)
        #expect(result.inserted == 12_031)
        #expect(try fx.count("requests") == 12_031)
        let span = try #require(try fx.store.requestSpan())
        #expect(span.first == Traces.start)
        #expect(span.last == Traces.start + 3_536_999 * 1_000)
        #expect(try fx.store.database.scalarInt("SELECT count(*) FROM requests WHERE ts = ?", [.int(Traces.start)]) == 10)
        #expect(try fx.store.database.scalarInt("SELECT count(*) FROM requests WHERE input_tokens = 6758 AND output_tokens = 500 AND ts = ?", [.int(Traces.start)]) == 1)
    }

    @Test("relative-time traces need --start",
          .enabled(if: SharedData.path(Traces.burst1) != nil && SharedData.path(Traces.mooncake) != nil,
                   Comment(rawValue: Traces.absent(Traces.burst1, Traces.mooncake))))
    func missingStart() throws {
        let fx = try Fixture()
        for (relative, format) in [(Traces.burst1, "burstgpt"), (Traces.mooncake, "mooncake")] {
            let path = try #require(SharedData.path(relative))
            let e = fx.failure(path) { o in
                o.provider = "openai"
                o.model = "gpt-4o"
            }
            guard case .option(let text)? = e else {
                Issue.record("expected IngestError.option, got \(String(describing: e))")
                continue
            }
            #expect(text.hasPrefix("\(format) timestamps count from the start of the trace; pass --start"))
        }
        // Each refusal is recorded as a failed run; nothing else is written.
        #expect(try fx.store.runs().allSatisfy { $0.status == "failed" })
        #expect(try fx.count("requests") == 0)
    }

    @Test("traces without provider and model need --provider and --model",
          .enabled(if: SharedData.path(Traces.azure) != nil && SharedData.path(Traces.mooncake) != nil,
                   Comment(rawValue: Traces.absent(Traces.azure, Traces.mooncake))))
    func missingProvider() throws {
        let fx = try Fixture()
        for (relative, format) in [(Traces.azure, "azure-trace"), (Traces.mooncake, "mooncake")] {
            let path = try #require(SharedData.path(relative))
            for configure: (inout RequestIngestOptions) -> Void in [{ $0.start = Traces.start }, { $0.start = Traces.start; $0.provider = "openai" }, { $0.start = Traces.start; $0.model = "gpt-4o" }] {
                let e = fx.failure(path, configure)
                guard case .option(let text)? = e else {
                    Issue.record("expected IngestError.option, got \(String(describing: e))")
                    continue
                }
                #expect(text.hasPrefix("\(format) traces name no provider or model; pass --provider and --model"))
            }
        }
        // An unknown --provider is refused the same way.
        let path = try #require(SharedData.path(Traces.azure))
        let e = fx.failure(path) { o in
            o.provider = "acme"
            o.model = "x"
        }
        guard case .option(let text)? = e else {
            Issue.record("expected IngestError.option, got \(String(describing: e))")
            return
        }
        #expect(text.hasPrefix("--provider acme: not in the provider catalog (known: openai, anthropic"))
        #expect(try fx.count("requests") == 0)
    }
}
