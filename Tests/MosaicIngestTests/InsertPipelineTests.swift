import Foundation
import MosaicCore
import MosaicStore
import MosaicTestSupport
import Testing

@testable import MosaicIngest

/// The writer thread (``InsertPipeline``) against the single-threaded insert, on files of
/// several batches: the same rows, counts, failures and quarantine.
@Suite("RequestLogIngestor: writer thread")
struct InsertPipelineTests {
    /// One day of sample traffic (about 20,000 rows, five batches) as native CSV lines, the
    /// header first.
    static let sample: (lines: [String], end: Int64) = {
        let tmp = TemporaryDirectory("mosaic-pipeline-sample")
        let config = SampleTrafficGenerator.Configuration(days: 1, seed: 18)
        _ = try! SampleTrafficGenerator(configuration: config).write(toDirectory: tmp.file("out"))
        let text = try! String(contentsOfFile: tmp.file("out/requests.csv"), encoding: .utf8)
        return (text.split(separator: "\n").map(String.init), config.end)
    }()

    /// A store in `tmp` named `name`, and the ingest of `path` into it.
    static func ingest(_ tmp: TemporaryDirectory, _ name: String, _ path: String, writerThread: Bool,
                       skipBad: Bool = false) throws -> (Store, Result<RequestIngestResult, IngestError>) {
        let store = try Store(path: tmp.file(name))
        var o = RequestIngestOptions()
        o.now = sample.end + Timestamp.microsPerDay
        o.writerThread = writerThread
        o.skipBad = skipBad
        let ingestor = RequestLogIngestor(store: store, catalog: .default)
        do {
            return (store, .success(try ingestor.ingest(path: path, options: o)))
        } catch {
            return (store, .failure(error))
        }
    }

    static func rows(_ store: Store) throws -> [[SQLValue]] {
        try store.database.rows("""
            SELECT ts, key, tenant, provider, model, operation, region, input_tokens, output_tokens, cached_tokens,
                latency_ms, ttft_ms, status, cost, request_id FROM requests ORDER BY ts, key
            """)
    }

    @Test("stores the same rows and counts as one thread; a second ingest adds nothing")
    func sameRows() throws {
        #expect(Self.sample.lines.count > 3 * InsertPipeline.batchRows)
        let tmp = TemporaryDirectory("mosaic-pipeline")
        let path = tmp.write("requests.csv", Self.sample.lines.joined(separator: "\n") + "\n")
        let (serial, one) = try Self.ingest(tmp, "serial.sqlite", path, writerThread: false)
        let (piped, two) = try Self.ingest(tmp, "piped.sqlite", path, writerThread: true)
        let a = try one.get(), b = try two.get()
        #expect(a.inserted == Self.sample.lines.count - 1)
        let counts: [[Int]] = [[a.rowsRead, a.inserted, a.duplicates, a.unpriced], [b.rowsRead, b.inserted, b.duplicates, b.unpriced]]
        #expect(counts[1] == counts[0])
        #expect(try Self.rows(piped) == Self.rows(serial))
        #expect(try piped.database.scalarInt("PRAGMA foreign_keys") == 1)

        let again = try RequestLogIngestor(store: piped, catalog: .default).ingest(path: path, options: {
            var o = RequestIngestOptions()
            o.now = Self.sample.end + Timestamp.microsPerDay
            return o
        }())
        #expect(again.inserted == 0)
        #expect(again.duplicates == a.inserted)
    }

    @Test("a bad row after several batches stops the file and stores nothing of it", arguments: [false, true])
    func badRowLate(writerThread: Bool) throws {
        let tmp = TemporaryDirectory("mosaic-pipeline-bad")
        var lines = Self.sample.lines
        let line = 3 * InsertPipeline.batchRows + 17  // 1-based line number in the file
        var fields = lines[line - 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[6] = "many"  // input_tokens
        lines[line - 1] = fields.joined(separator: ",")
        let path = tmp.write("requests.csv", lines.joined(separator: "\n") + "\n")
        let (store, result) = try Self.ingest(tmp, "m.sqlite", path, writerThread: writerThread)
        guard case .failure(let error) = result else {
            Issue.record("the ingest succeeded")
            return
        }
        #expect(error.description.hasPrefix("\(path):\(line): column input_tokens: "), "\(error)")
        #expect(try store.database.scalarInt("SELECT count(*) FROM requests") == 0)
        #expect(try store.runs().first?.status == "failed")
        #expect(try store.database.scalarInt("PRAGMA foreign_keys") == 1)
    }

    @Test("skip-bad quarantines the same rows as one thread, with rows spread over batches")
    func quarantineSpread() throws {
        let tmp = TemporaryDirectory("mosaic-pipeline-skip")
        var lines = Self.sample.lines
        let bad = [2, 4_000, 4_097, 9_000, 12_289, lines.count]
        for line in bad {
            var fields = lines[line - 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[2] = "no-such-provider"
            lines[line - 1] = fields.joined(separator: ",")
        }
        let path = tmp.write("requests.csv", lines.joined(separator: "\n") + "\n")
        let (serial, one) = try Self.ingest(tmp, "serial.sqlite", path, writerThread: false, skipBad: true)
        let (piped, two) = try Self.ingest(tmp, "piped.sqlite", path, writerThread: true, skipBad: true)
        let a = try one.get(), b = try two.get()
        #expect(a.quarantined == bad.count)
        let counts: [[Int]] = [[a.rowsRead, a.inserted, a.quarantined], [b.rowsRead, b.inserted, b.quarantined]]
        #expect(counts[1] == counts[0])
        #expect(try Self.rows(piped) == Self.rows(serial))
        let q = "SELECT line, field, reason, raw FROM quarantine ORDER BY line"
        #expect(try piped.database.rows(q) == serial.database.rows(q))
        let stored: [SQLValue] = try piped.database.rows("SELECT line FROM quarantine ORDER BY line").map { $0[0] }
        #expect(stored == bad.map { SQLValue.int(Int64($0)) })
    }
}
