import Foundation
import MosaicCore
import Testing

@testable import MosaicIngest

/// A fresh directory under the system temporary directory, removed when `body` returns.
private func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("mosaic-sample-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Short configurations keep the debug-build tests fast.
private let threeDays = SampleTrafficGenerator.Configuration(days: 3)
private let oneWeekLight = SampleTrafficGenerator.Configuration(days: 7, baseRatePerMinute: 4)

private func records(_ configuration: SampleTrafficGenerator.Configuration)
    -> (rows: [RequestRecord], summary: SampleTrafficGenerator.Summary)
{
    var rows: [RequestRecord] = []
    let summary = SampleTrafficGenerator(configuration: configuration).generate { rows.append($0) }
    return (rows, summary)
}

private let llmProviders: Set<String> = ["openai", "anthropic", "ollama"]

@Suite("SampleTrafficGenerator")
struct SampleTrafficGeneratorTests {
    @Test("same seed gives identical files, another seed different ones")
    func determinism() throws {
        let config = SampleTrafficGenerator.Configuration(days: 2, baseRatePerMinute: 6)
        let (first, firstSummary) = try withTemporaryDirectory { dir in
            let summary = try SampleTrafficGenerator(configuration: config).write(toDirectory: dir + "/out")
            return (try Data(contentsOf: URL(fileURLWithPath: dir + "/out/requests.csv")), summary)
        }
        let (second, secondSummary) = try withTemporaryDirectory { dir in
            let summary = try SampleTrafficGenerator(configuration: config).write(toDirectory: dir)
            return (try Data(contentsOf: URL(fileURLWithPath: dir + "/requests.csv")), summary)
        }
        #expect(first == second)
        #expect(firstSummary == secondSummary)
        #expect(first.count > 1_000_000)

        var other = config
        other.seed = 43
        let third = try withTemporaryDirectory { dir in
            _ = try SampleTrafficGenerator(configuration: other).write(toDirectory: dir)
            return try Data(contentsOf: URL(fileURLWithPath: dir + "/requests.csv"))
        }
        #expect(third != first)
    }

    @Test("progress comes every 65,536 rows, in time order, within the configured span")
    func progress() throws {
        let config = SampleTrafficGenerator.Configuration(days: 2, baseRatePerMinute: 60)
        var calls: [(at: Int64, rows: Int)] = []
        let summary = try withTemporaryDirectory { dir in
            try SampleTrafficGenerator(configuration: config).write(toDirectory: dir) { calls.append(($0, $1)) }
        }
        #expect(summary.rows > 3 * 65_536)
        #expect(calls.count == summary.rows / 65_536)
        #expect(calls.map(\.rows) == (1...calls.count).map { $0 * 65_536 })
        #expect(zip(calls, calls.dropFirst()).allSatisfy { $0.at <= $1.at })
        #expect(calls.allSatisfy { config.start <= $0.at && $0.at < config.end })
    }

    @Test("the CSV holds the header and one line per row; prices.json sits beside it")
    func writtenFiles() throws {
        let config = SampleTrafficGenerator.Configuration(days: 1, baseRatePerMinute: 2)
        try withTemporaryDirectory { dir in
            let summary = try SampleTrafficGenerator(configuration: config).write(toDirectory: dir)
            let text = try String(contentsOfFile: dir + "/requests.csv", encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.first.map(String.init) == RequestLogColumn.allCases.map(\.rawValue).joined(separator: ","))
            #expect(lines.first == "timestamp,tenant,provider,model,operation,region,input_tokens,output_tokens,cached_tokens,latency_ms,ttft_ms,status,cost_usd,request_id")
            #expect(lines.last == "")
            #expect(lines.count == summary.rows + 2)
            let (rows, _) = records(config)
            let expected = rows.prefix(3).map(Self.csvLine)
            #expect(Array(lines[1...3].map(String.init)) == expected)
            let prices = try String(contentsOfFile: dir + "/prices.json", encoding: .utf8)
            #expect(prices == SamplePrices.liteLLMJSON())
        }
    }

    @Test("the benchmarks' request log: about the rows asked for, the same bytes every time, nothing left beside it")
    func requestLogOfAGivenSize() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/sub/requests-5000.csv"
            let rows = try SampleTrafficGenerator.writeRequestLog(aboutRows: 5000, to: path)
            #expect(abs(rows - 5000) < 500, "\(rows)")
            let first = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(first.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } == rows + 1)
            #expect(try SampleTrafficGenerator.writeRequestLog(aboutRows: 5000, to: path) == rows)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == first)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/sub") == ["requests-5000.csv"])
        }
    }

    /// An independent rendering of one row, for rows without characters that need quoting.
    static func csvLine(_ r: RequestRecord) -> String {
        func ms(_ v: Double?) -> String {
            guard let v else { return "" }
            let thousandths = Int64((v * 1000).rounded())
            let whole = thousandths / 1000, frac = thousandths % 1000
            if frac == 0 { return String(whole) }
            var f = String(frac)
            f = String(repeating: "0", count: 3 - f.count) + f
            while f.hasSuffix("0") { f.removeLast() }
            return "\(whole).\(f)"
        }
        return [
            Timestamp.format(r.timestamp), r.tenant, r.provider, r.model, r.operation, r.region,
            String(r.inputTokens), String(r.outputTokens), String(r.cachedTokens), ms(r.latencyMs),
            ms(r.ttftMs), r.status.rawValue, r.cost?.description ?? "", r.requestID ?? "",
        ].joined(separator: ",")
    }

    @Test("rows are sorted, in range, and every field is valid")
    func rowsAreValid() {
        let (rows, summary) = records(threeDays)
        #expect(rows.count == summary.rows)
        #expect(summary.providerCounts.map(\.provider) == SampleTrafficGenerator.providers)
        #expect(summary.providerCounts.map(\.rows).reduce(0, +) == rows.count)
        for provider in SampleTrafficGenerator.providers {
            #expect(summary.rows(for: provider) == rows.filter { $0.provider == provider }.count)
            #expect(summary.rows(for: provider) > 0)
        }
        #expect(rows.first!.timestamp >= threeDays.start)
        #expect(rows.last!.timestamp < threeDays.end)
        var ids = Set<String>()
        var previous = Int64.min
        var sorted = true
        var invalid: [RequestRecord] = []
        for r in rows {
            if r.timestamp < previous { sorted = false }
            previous = r.timestamp
            ids.insert(r.requestID ?? "")
            var ok = r.inputTokens >= 0 && r.outputTokens >= 0 && r.cachedTokens >= 0
                && r.cachedTokens <= r.inputTokens && r.cost == nil
                && RequestStatus.allCases.contains(r.status) && r.status != .cancelled
                && (r.latencyMs ?? -1) > 0
                && r.requestID?.count == 20 && r.requestID?.hasPrefix("req-") == true
            if let ttft = r.ttftMs, let latency = r.latencyMs { ok = ok && ttft > 0 && ttft < latency }
            switch r.provider {
            case "openai", "anthropic", "ollama":
                ok = ok && ["chat", "completion", "embedding"].contains(r.operation) && r.inputTokens >= 1
                if r.operation == "embedding" { ok = ok && r.outputTokens == 0 && r.ttftMs == nil }
                if r.status == .ok && r.operation != "embedding" { ok = ok && r.ttftMs != nil && r.outputTokens >= 1 }
                if r.status != .ok { ok = ok && r.ttftMs == nil && r.outputTokens == 0 }
                if r.provider == "ollama" {
                    ok = ok && r.region == "onprem" && r.model == "llama3.1" && r.cachedTokens == 0
                        && r.status != .rateLimited
                } else {
                    ok = ok && ["us", "eu"].contains(r.region)
                }
                if r.status == .timeout { ok = ok && r.latencyMs == 30_000 }
            case "github":
                ok = ok && r.model == "api" && r.inputTokens == 0 && r.outputTokens == 0 && r.ttftMs == nil
                    && r.operation.contains(".")
            case "github-actions":
                ok = ok && r.model == "build" && r.operation == "build" && r.inputTokens == 0
                    && r.outputTokens == 0 && r.ttftMs == nil && r.latencyMs! >= 5_000
            default:
                ok = false
            }
            if !ok { invalid.append(r) }
        }
        #expect(sorted)
        #expect(ids.count == rows.count)
        #expect(invalid.isEmpty, "first invalid row: \(String(describing: invalid.first))")
        // Prompt caching appears, and only where providers support it.
        #expect(rows.contains { $0.provider == "openai" && $0.cachedTokens > 0 })
        #expect(rows.contains { $0.provider == "anthropic" && $0.cachedTokens > 0 })
        // Failures of every kind, at a realistic overall rate.
        let failures = rows.filter { $0.status != .ok }
        for status in [RequestStatus.error, .timeout, .rateLimited] {
            #expect(failures.contains { $0.status == status })
        }
        #expect(Double(failures.count) / Double(rows.count) < 0.1)
        #expect(Set(rows.map(\.tenant)).count == 5)
    }

    @Test("the anthropic outage is 2 weekday-afternoon hours in week one, and nothing in it succeeds")
    func outage() {
        let (rows, summary) = records(threeDays)
        let window = summary.outage
        #expect(window.provider == "anthropic")
        #expect(window.end - window.start == 2 * 3_600_000_000)
        #expect(window.start >= threeDays.start && window.end <= threeDays.end)
        let (hour, weekday) = Timestamp.hourAndWeekday(window.start)
        #expect(weekday < 5)
        #expect((13...15).contains(hour))
        let inWindow = rows.filter { $0.provider == "anthropic" && window.contains($0.timestamp) }
        #expect(inWindow.count > 50)
        #expect(!inWindow.contains { $0.status == .ok })
        #expect(inWindow.allSatisfy { $0.latencyMs == SampleTrafficGenerator.llmClientTimeoutMs })
        #expect(Set(inWindow.map(\.status)) == [.error, .timeout])
        // Other providers are unaffected.
        let others = rows.filter { $0.provider == "openai" && window.contains($0.timestamp) }
        #expect(Double(others.filter { $0.status == .ok }.count) > 0.9 * Double(others.count))

    }

    @Test("weekends are quieter than weekdays, business hours busier than nights")
    func seasonality() {
        let (rows, summary) = records(oneWeekLight)
        var perDay = [Int](repeating: 0, count: 7)
        var perHour = [Int](repeating: 0, count: 24)
        for r in rows where llmProviders.contains(r.provider) {
            let (hour, weekday) = Timestamp.hourAndWeekday(r.timestamp)
            perDay[weekday] += 1
            perHour[hour] += 1
        }
        let weekdayMean = Double(perDay[0..<5].reduce(0, +)) / 5
        let weekendMean = Double(perDay[5..<7].reduce(0, +)) / 2
        #expect(weekendMean < 0.55 * weekdayMean)
        #expect(weekendMean > 0.25 * weekdayMean)
        let peak = perHour[13] + perHour[14] + perHour[15]
        let night = perHour[2] + perHour[3] + perHour[4]
        #expect(Double(peak) > 4 * Double(night))
        #expect(!summary.bursts.isEmpty)
        for burst in summary.bursts {
            #expect((3.0...6.0).contains(burst.multiplier))
            #expect((5...60).contains(Int((burst.end - burst.start) / 60_000_000)))
        }
    }

    @Test("input tokens are heavy-tailed")
    func heavyTail() {
        let (rows, _) = records(threeDays)
        let input = rows.filter { llmProviders.contains($0.provider) }.map(\.inputTokens).sorted()
        let p50 = Double(input[input.count / 2])
        let p99 = Double(input[input.count * 99 / 100])
        #expect(p99 / p50 > 8)
        #expect(input.last! > 20_000)
    }

    @Test("the default configuration's volume")
    func defaultVolume() {
        // Count only: no rows are kept.
        var llm = 0
        let summary = SampleTrafficGenerator().generate { if llmProviders.contains($0.provider) { llm += 1 } }
        #expect((220_000...280_000).contains(llm))
        #expect(summary.rows > llm)
        #expect(summary.rows(for: "github") > 10_000)
        #expect(summary.rows(for: "github-actions") > 1_000)
        // The outage falls on a weekday afternoon of the first week.
        let start = SampleTrafficGenerator.Configuration.defaultStart
        #expect(summary.outage.start < start + 7 * Timestamp.microsPerDay)
        let (hour, weekday) = Timestamp.hourAndWeekday(summary.outage.start)
        #expect(weekday < 5 && (13...15).contains(hour))
    }

    @Test("the price table parses and covers every provider/model the generator writes")
    func prices() throws {
        let json = SamplePrices.liteLLMJSON()
        #expect(json == SamplePrices.liteLLMJSON())
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: Any]]
        let table = try #require(object)
        #expect(table.count == 7)
        #expect(Set(table.keys) == [
            "gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "claude-haiku-4-5", "ollama/llama3.1",
            "github/api", "github-actions/build",
        ])
        #expect(SamplePrices.keys == SamplePrices.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(json.contains("\"input_cost_per_token\": 2.5e-06"))
        #expect(json.contains("\"cache_read_input_token_cost\": 7.5e-08"))
        #expect(json.contains("\"cost_per_minute\": 0.008"))
        #expect(table["claude-sonnet-4-5"]?["litellm_provider"] as? String == "anthropic")
        #expect(table["github-actions/build"]?["litellm_provider"] as? String == "github-actions")
        #expect(table["ollama/llama3.1"]?["max_input_tokens"] as? Int == 8192)

        let (rows, _) = records(SampleTrafficGenerator.Configuration(days: 1, baseRatePerMinute: 2))
        var pairs = Set<String>()
        for r in rows { pairs.insert(r.provider + "/" + r.model) }
        for pair in pairs {
            let model = String(pair.split(separator: "/", maxSplits: 1)[1])
            let provider = String(pair.split(separator: "/", maxSplits: 1)[0])
            let entry = table[pair] ?? table[model]
            #expect(entry?["litellm_provider"] as? String == provider, "no price for \(pair)")
        }
        #expect(pairs.count == 7)
    }
}

@Suite("RequestLogCSVWriter")
struct RequestLogCSVWriterTests {
    @Test("milliseconds keep at most three decimals without trailing zeros")
    func milliseconds() {
        let f = RequestLogCSVWriter.formatMilliseconds
        #expect(f(412.5) == "412.5")
        #expect(f(30_000) == "30000")
        #expect(f(0.0004) == "0")
        #expect(f(0.005) == "0.005")
        #expect(f(1.05) == "1.05")
        #expect(f(12.3456) == "12.346")
        #expect(f(99.9996) == "100")
        #expect(f(-2.25) == "-2.25")
        #expect(f(.nan) == "")
    }

    @Test("timestamps are written exactly as Timestamp.format writes them")
    func timestamps() {
        var random = SeededRandom(seed: 7)
        var values: [Int64] = [0, 1, 999_999, 1_000_000, -1, -86_400_000_000, 1_791_158_401_250_000, 253_402_300_799_999_999]
        for _ in 0..<5_000 { values.append(Int64(random.next() % 4_000_000_000_000_000)) }
        for _ in 0..<1_000 { values.append(Int64(random.next() % 4_000_000_000) * 1_000_000) }
        for value in values {
            var bytes: [UInt8] = []
            RequestLogCSVWriter.appendTimestamp(value, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == Timestamp.format(value))
        }
    }

    @Test("quotes fields per RFC 4180 and leaves empty fields empty")
    func quoting() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/nested/deeper/log.csv"
            let writer = try RequestLogCSVWriter(path: path)
            try writer.write(RequestRecord(
                timestamp: Timestamp.parse("2026-10-05T00:00:01.25Z")!, tenant: "a,\"b\"", provider: "openai",
                model: "gpt-4o", operation: "line\nbreak", region: "us", inputTokens: 12, outputTokens: 3,
                cachedTokens: 0, latencyMs: 1234.5, ttftMs: nil, status: .rateLimited,
                cost: try Money(parsing: "0.0000625"), requestID: nil))
            #expect(writer.rowsWritten == 1)
            try writer.close()
            try writer.close()
            #expect(throws: IngestError.self) { try writer.write(RequestRecord(timestamp: 0, provider: "x", model: "y")) }
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let header = RequestLogColumn.allCases.map(\.rawValue).joined(separator: ",")
            #expect(text == header + "\n"
                + "2026-10-05T00:00:01.25Z,\"a,\"\"b\"\"\",openai,gpt-4o,\"line\nbreak\",us,12,3,0,1234.5,,rate_limited,0.0000625,\n")
        }
    }

    @Test("flushes in chunks and names the path in errors")
    func largeAndErrors() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/big.csv"
            let writer = try RequestLogCSVWriter(path: path, createParentDirectories: false)
            let record = RequestRecord(
                timestamp: 1_791_158_400_000_000, tenant: "internal-platform", provider: "anthropic",
                model: "claude-sonnet-4-5", inputTokens: 1000, outputTokens: 200, latencyMs: 812.25,
                ttftMs: 300.125, requestID: "req-0123456789abcdef")
            for _ in 0..<20_000 { try writer.write(record) }
            try writer.close()
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            let line = "2026-10-05T00:00:00Z,internal-platform,anthropic,claude-sonnet-4-5,chat,,1000,200,0,812.25,300.125,ok,,req-0123456789abcdef\n"
            let header = RequestLogColumn.allCases.map(\.rawValue).joined(separator: ",") + "\n"
            #expect(size == header.utf8.count + 20_000 * line.utf8.count)

            let missing = dir + "/no/such/dir/x.csv"
            do {
                _ = try RequestLogCSVWriter(path: missing, createParentDirectories: false)
                Issue.record("expected an error")
            } catch let error as IngestError {
                #expect(error.description.contains(missing))
            }
        }
    }
}
