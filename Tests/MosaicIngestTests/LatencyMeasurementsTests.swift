import Foundation
import MosaicIngest
import MosaicTestSupport
import Testing

/// ``LatencyMeasurements``: both layouts, units, failures, and errors with file, line and column.
@Suite struct LatencyMeasurementsTests {
    static let header = "run_time_utc,region,bench_cmd,provider_model,ttr_s,ttft_s,tps,num_tokens,total_time_s,source_commit"

    @Test func readsTheFastestLayout() throws {
        let tmp = TemporaryDirectory("latency-measurements")
        let file = tmp.write("runs.csv", """
            \(Self.header)
            2024-04-24T08:06:26.820182,sea,--max-tokens=20,groq.com/llama3-70b-8192,0.13,0.0,0.0,0,0.0,abc
            2024-04-24T08:06:26.820182,iad,--max-tokens=20,azure.eastus2/gpt-4-1106-preview,0.5,0.75,30,20,1.25,abc
            2024-04-15T08:04:59.267946,cdg,,Neets-7B,0.5,0.53,80,100,1.76,abc

            """)
        let rows = try LatencyMeasurements.read(path: file)
        #expect(rows.count == 3)
        #expect(rows[0].provider == "groq.com" && rows[0].model == "llama3-70b-8192")
        #expect(!rows[0].ok && rows[0].latencyMs == nil, "no tokens in zero time: a failed request")
        #expect(rows[1].provider == "azure.eastus2" && rows[1].model == "gpt-4-1106-preview" && rows[1].region == "iad")
        #expect(rows[1].ok && rows[1].latencyMs == 1250 && rows[1].outputTokens == 20)
        #expect(rows[2].provider == "Neets-7B" && rows[2].model == "Neets-7B")
        #expect(rows[1].timestamp - rows[0].timestamp == 0)
        let ttft = try LatencyMeasurements.read(path: file, latencyColumn: "ttft_s")
        #expect(ttft[1].latencyMs == 750)
    }

    @Test func readsARequestLogWithStatuses() throws {
        let tmp = TemporaryDirectory("latency-measurements-log")
        let file = tmp.write("log.csv", """
            timestamp,provider,model,region,output_tokens,latency_ms,status,x_note
            2026-10-01T00:00:00Z,openai,gpt-4o,us,100,812.5,ok,a
            2026-10-01T00:00:01Z,openai,gpt-4o,us,0,,timeout,b
            2026-10-01T00:00:02Z,anthropic,claude,eu,40,400,200,c
            2026-10-01T00:00:03Z,anthropic,claude,eu,0,30,503,d

            """)
        let rows = try LatencyMeasurements.read(path: file)
        #expect(rows.map(\.ok) == [true, false, true, false])
        #expect(rows.map(\.latencyMs) == [812.5, nil, 400, nil])
        #expect(rows[2].region == "eu" && rows[2].outputTokens == 40)
    }

    /// A TTFT column chosen with `latencyColumn` is empty where it does not apply (a git or CI
    /// operation): those successful rows are left out and counted, not an error; the layout's
    /// own latency column stays required.
    @Test func anEmptyChosenColumnLeavesTheRowOut() throws {
        let tmp = TemporaryDirectory("latency-measurements-ttft")
        let file = tmp.write("log.csv", """
            timestamp,provider,model,latency_ms,ttft_ms,status
            2026-10-01T00:00:00Z,openai,gpt-4o,812.5,120,ok
            2026-10-01T00:00:01Z,github,api,95,,ok
            2026-10-01T00:00:02Z,openai,gpt-4o,,,timeout

            """)
        let read = try LatencyMeasurements.readCounting(path: file, latencyColumn: "ttft_ms")
        #expect(read.rows.map(\.latencyMs) == [120, nil] && read.withoutLatency == 1)
        #expect(try LatencyMeasurements.readCounting(path: file).withoutLatency == 0)
        // A missing-value word is read as the empty field is.
        let words = tmp.write("words.csv", "timestamp,provider,model,latency_ms,ttft_ms\n2026-10-01T00:00:00Z,openai,gpt-4o,812.5,120\n2026-10-01T00:00:01Z,github,api,95,NA\n")
        let readWords = try LatencyMeasurements.readCounting(path: words, latencyColumn: "ttft_ms")
        #expect(readWords.rows.map(\.latencyMs) == [120] && readWords.withoutLatency == 1)
        let none = tmp.write("none.csv", "timestamp,provider,model,latency_ms,ttft_ms\n2026-10-01T00:00:01Z,github,api,95,\n")
        #expect(throws: IngestError.self) { try LatencyMeasurements.read(path: none, latencyColumn: "ttft_ms") }
    }

    @Test func badRowsNameFileLineAndColumn() {
        let tmp = TemporaryDirectory("latency-measurements-bad")
        let cases: [(String, String)] = [
            ("\(Self.header)\n2024-04-24T08:06:26,sea,,groq.com/x,0.1,0.2,3,20,fast,abc\n", "column total_time_s: 'fast' is not a number"),
            ("\(Self.header)\n2024-04-24T08:06:26,sea,,,0.1,0.2,3,20,1,abc\n", "column provider_model: is empty"),
            ("\(Self.header)\n2024-04-24T08:06:26,sea,,groq.com/x,0.1,0.2,3,20,,abc\n", "column total_time_s: is missing for a successful request"),
            ("timestamp,provider,model,latency_ms\n2026-10-01T00:00:00Z,,m,3\n", "column provider: is empty"),
            // Over 7 days, as in an ingested request log (audit-cli finding 1).
            ("timestamp,provider,model,latency_ms\n2026-10-01T00:00:00Z,p,m,1e308\n",
             "column latency_ms: '1e308' is over 604800000 ms (7 days); no request takes that long"),
            ("\(Self.header)\n2024-04-24T08:06:26,sea,,groq.com/x,0.1,0.2,3,20,604801,abc\n",
             "column total_time_s: '604801' is over 604800 s (7 days); no request takes that long"),
        ]
        for (text, message) in cases {
            let file = tmp.write("bad.csv", text)
            do {
                _ = try LatencyMeasurements.read(path: file)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description == "\(file):2: \(message)")
            }
        }
        let empty = tmp.write("empty.csv", "")
        #expect(throws: IngestError.self) { try LatencyMeasurements.read(path: empty) }
    }
}
