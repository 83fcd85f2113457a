import Foundation
import MosaicCore
import MosaicStore
import MosaicTestSupport
import Testing

@testable import MosaicIngest

@Suite("RequestLogReader")
struct RequestLogReaderTests {
    /// A native log out of time order, with two identical requests at one instant (both real),
    /// a repeat of a request id, and rows of several tenants and providers.
    static let csv = """
        timestamp,tenant,provider,model,operation,region,input_tokens,output_tokens,latency_ms,status,request_id,cost_usd
        2024-05-01T12:00:02Z,team-a,openai,gpt-4o,chat,us,1000,100,812.25,ok,,0.00512
        2024-05-01T12:00:01Z,team-b,anthropic,claude,chat,eu,2000,50,1500,error,,
        2024-05-01T12:00:01Z,team-b,anthropic,claude,chat,eu,2000,50,1500,error,,
        2024-05-01T12:00:01Z,team-a,ollama,llama3,embed,us,10,0,20.5,ok,,
        2024-05-01T12:00:03Z,team-c,openai,gpt-4o,chat,us,7,8,9,timeout,r-1,
        2024-05-01T12:00:03Z,team-d,openai,gpt-4o,chat,us,1,2,3,ok,r-1,
        2024-05-01T12:00:00Z,team-a,openai,gpt-4o,chat,us,5,6,100,ok,,

        """

    /// A pipe or FIFO with data reads as the file does (audit-cli finding 8: its size is 0, so
    /// `ingest requests <(zcat …)` said "the file is empty"; and the format was told from its
    /// first line, which the read that followed then lacked). An empty one says so.
    @Test func aFIFOReadsAsItsFile() throws {
        let tmp = TemporaryDirectory("mosaic-reader-fifo")
        var options = RequestIngestOptions()
        options.now = Timestamp.parse("2025-01-01T00:00:00Z")!
        let reader = RequestLogReader(catalog: .default)
        let fromFile = try reader.rowsInStoreOrder(path: tmp.write("log.csv", Self.csv), options: options)
        let fifo = tmp.fifo("log.fifo", feeding: Self.csv)
        let fromFIFO = try reader.rowsInStoreOrder(path: fifo, options: options)
        #expect(fromFIFO.count == 6 && fromFIFO == fromFile)

        let store = try Store(path: tmp.file("m.sqlite"))
        let again = tmp.fifo("again.fifo", feeding: Self.csv)
        let result = try RequestLogIngestor(store: store, catalog: .default).ingest(path: again, options: options)
        #expect(result.format == .csv && result.inserted == 6)

        let empty = tmp.fifo("empty.fifo", feeding: "")
        let error = #expect(throws: IngestError.self) {
            _ = try reader.rowsInStoreOrder(path: empty, options: options)
        }
        #expect(error?.description == "\(empty): the file is empty")
    }

    @Test func rowsInTimeAndKeyOrderAreWhatTheIngestStores() throws {
        let tmp = TemporaryDirectory("mosaic-reader")
        let path = tmp.write("log.csv", Self.csv)
        var options = RequestIngestOptions()
        options.now = Timestamp.parse("2025-01-01T00:00:00Z")!
        var rows: [(key: Int64, request: RequestRecord)] = []
        let format = try RequestLogReader(catalog: .default).read(path: path, options: options) { rows.append(($0, $1)) }
        #expect(format == .csv)
        #expect(rows.count == 7)
        #expect(rows.first?.request.tenant == "team-a" && rows.first?.request.latencyMs == 812.25)
        #expect(rows.last?.request.requestID == nil && rows[4].request.requestID == "r-1")

        let store = try Store(path: tmp.file("m.sqlite"))
        let result = try RequestLogIngestor(store: store, catalog: .default).ingest(path: path, options: options)
        #expect(result.inserted == 6, "the repeated request id is already stored")
        var stored: [RequestRecord] = []
        try store.forEachRequest { stored.append($0) }
        rows.sort { ($0.request.timestamp, $0.key) < ($1.request.timestamp, $1.key) }
        var read: [RequestRecord] = []
        var previous: (Int64, Int64)?
        for (key, r) in rows where previous.map({ $0 != (r.timestamp, key) }) ?? true {
            previous = (r.timestamp, key)
            read.append(r)
        }
        #expect(stored.contains { $0.cost != nil } && stored.contains { $0.requestID == "r-1" })
        #expect(read == stored)
    }

    @Test func badRowsAndUnknownProvidersStopTheReadWithTheIngestsMessage() throws {
        let tmp = TemporaryDirectory("mosaic-reader")
        let bad = tmp.write("bad.csv", """
            timestamp,tenant,provider,model,operation,region,input_tokens,output_tokens,latency_ms,status
            2024-05-01T12:00:00Z,team-a,openai,gpt-4o,chat,us,5,6,100,ok
            2024-05-01T12:00:01Z,team-a,nobody,gpt-4o,chat,us,5,6,100,ok

            """)
        var options = RequestIngestOptions()
        options.now = Timestamp.parse("2025-01-01T00:00:00Z")!
        options.skipBad = true  // no store to set bad rows aside in: still an error
        var seen = 0
        let error = #expect(throws: IngestError.self) {
            try RequestLogReader(catalog: .default).read(path: bad, options: options) { _, _ in seen += 1 }
        }
        #expect(error?.description.hasPrefix("\(bad):3: column provider: 'nobody' is not in the provider catalog") == true, "\(String(describing: error))")
        #expect(seen == 1)
        #expect(throws: IngestError.self) {
            try RequestLogReader(catalog: .default).read(path: tmp.file("none.csv"), options: options) { _, _ in }
        }
    }
}
