#if os(Linux)  // raw sockets through Glibc, descriptors through /proc
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import MosaicCore
import MosaicIngest
import MosaicTestSupport
import Synchronization
import Testing

private typealias Pages = MockProviderPages

private let day0 = Timestamp.parse("2024-05-01")!
private let oneDay = Timestamp.microsPerDay

// MARK: - A synchronous URLSession client

/// A response as URLSession delivered it.
private struct Fetched: Sendable {
    var status: Int
    /// Names lower-cased.
    var headers: [String: String]
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }
    func json() throws -> JSONValue { try JSONValue.parse(Array(body)) }
}

/// An ephemeral URLSession with a blocking `get` (semaphore), invalidated on release.
private final class Client: @unchecked Sendable {
    let session: URLSession

    init(timeout: Double = 20) {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.urlCache = nil
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: config)
    }

    deinit { session.invalidateAndCancel() }

    func get(_ url: URL, headers: [String: String] = [:], method: String = "GET") -> Result<Fetched, any Error> {
        var request = URLRequest(url: url)
        request.httpMethod = method
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let box = Mutex<Result<Fetched, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        session.dataTask(with: request) { data, response, error in
            let result: Result<Fetched, any Error>
            if let error {
                result = .failure(error)
            } else if let http = response as? HTTPURLResponse {
                var h: [String: String] = [:]
                for (k, v) in http.allHeaderFields {
                    if let k = k as? String, let v = v as? String { h[k.lowercased()] = v }
                }
                result = .success(Fetched(status: http.statusCode, headers: h, body: data ?? Data()))
            } else {
                result = .failure(URLError(.badServerResponse))
            }
            box.withLock { $0 = result }
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 120) == .success else { return .failure(URLError(.timedOut)) }
        return box.withLock { $0! }
    }

    /// A 200 response, or a test failure naming what came instead.
    func ok(_ url: URL, headers: [String: String] = [:]) throws -> Fetched {
        let r = try get(url, headers: headers).get()
        guard r.status == 200 else {
            Issue.record("GET \(url) → \(r.status): \(r.text)")
            throw URLError(.badServerResponse)
        }
        return r
    }
}

// MARK: - Comparing JSON with the expected rows

/// Every scalar of an object as its JSON text (numbers verbatim, strings quoted, `null`), with
/// nested keys dotted: `cache_creation.ephemeral_5m_input_tokens`.
private func flatten(_ v: JSONValue, prefix: String = "") -> [String: String] {
    var out: [String: String] = [:]
    for (key, value) in v.objectValue ?? [] {
        let name = prefix + key
        switch value {
        case .object: out.merge(flatten(value, prefix: name + "."), uniquingKeysWith: { a, _ in a })
        case .string(let s): out[name] = "\"" + s + "\""
        case .number(let n): out[name] = n
        case .bool(let b): out[name] = b ? "true" : "false"
        case .null: out[name] = "null"
        case .array: out[name] = "[array]"
        }
    }
    return out
}

private func quoted(_ s: String?) -> String { s.map { "\"" + $0 + "\"" } ?? "null" }

private func fields(_ r: Pages.OpenAIUsageRow) -> [String: String] {
    [
        "object": quoted("organization.usage.completions.result"),
        "input_tokens": "\(r.inputTokens)", "input_cached_tokens": "\(r.cachedInputTokens)",
        "output_tokens": "\(r.outputTokens)", "input_audio_tokens": "\(r.audioInputTokens)",
        "output_audio_tokens": "\(r.audioOutputTokens)", "input_image_tokens": "\(r.imageInputTokens)",
        "output_image_tokens": "\(r.imageOutputTokens)", "num_model_requests": "\(r.requests)",
        "project_id": quoted(r.projectID), "user_id": "null", "api_key_id": quoted(r.apiKeyID),
        "model": quoted(r.model), "batch": r.batch.map { $0 ? "true" : "false" } ?? "null",
        "service_tier": quoted(r.serviceTier),
    ]
}

private func fields(_ r: Pages.OpenAICostRow) -> [String: String] {
    [
        "object": quoted("organization.costs.result"), "amount.value": r.amountLiteral, "amount.currency": quoted("usd"),
        "line_item": quoted(r.lineItem), "project_id": quoted(r.projectID), "api_key_id": "null",
        "quantity": "null", "quantity_unit": "null",
    ]
}

private func fields(_ r: Pages.AnthropicUsageRow) -> [String: String] {
    [
        "uncached_input_tokens": "\(r.uncachedInputTokens)",
        "cache_creation.ephemeral_1h_input_tokens": "\(r.cacheCreation1hInputTokens)",
        "cache_creation.ephemeral_5m_input_tokens": "\(r.cacheCreation5mInputTokens)",
        "cache_read_input_tokens": "\(r.cacheReadInputTokens)", "output_tokens": "\(r.outputTokens)",
        "server_tool_use.web_search_requests": "\(r.webSearchRequests)",
        "api_key_id": quoted(r.apiKeyID), "workspace_id": quoted(r.workspaceID), "model": quoted(r.model),
        "service_tier": quoted(r.serviceTier), "context_window": quoted(r.contextWindow),
    ]
}

private func fields(_ r: Pages.AnthropicCostRow) -> [String: String] {
    [
        "currency": quoted("USD"), "amount": quoted(r.amountCentsLiteral), "workspace_id": quoted(r.workspaceID),
        "description": quoted(r.description), "cost_type": quoted(r.costType), "context_window": quoted(r.contextWindow),
        "model": quoted(r.model), "service_tier": quoted(r.serviceTier), "token_type": quoted(r.tokenType),
    ]
}

private func fields(_ i: Pages.GitHubUsageItem) -> [String: String] {
    var f = [
        "date": quoted(i.date), "product": quoted(i.product), "sku": quoted(i.sku), "quantity": "\(i.quantity)",
        "unitType": quoted(i.unitType), "pricePerUnit": i.pricePerUnitLiteral, "grossAmount": i.grossAmountLiteral,
        "discountAmount": i.discountAmountLiteral, "netAmount": i.netAmountLiteral,
        "organizationName": quoted(i.organizationName),
    ]
    if let repo = i.repositoryName { f["repositoryName"] = quoted(repo) }
    return f
}

/// A bucket as text: its bounds as written in the JSON and its results' fields.
private struct BucketText: Equatable, CustomStringConvertible {
    var start: String
    var end: String
    var results: [[String: String]]
    var description: String { "\(start)–\(end): \(results.count) rows" }
}

/// The buckets of pages, with OpenAI (`start_time`) or Anthropic (`starting_at`) bounds.
private func bucketTexts(_ pages: [JSONValue]) -> [BucketText] {
    pages.flatMap { page in
        (page["data"]?.arrayValue ?? []).map { b in
            let f = flatten(b)
            return BucketText(start: f["start_time"] ?? f["starting_at"] ?? "?", end: f["end_time"] ?? f["ending_at"] ?? "?",
                              results: (b["results"]?.arrayValue ?? []).map { flatten($0) })
        }
    }
}

private func unixBounds<R>(_ buckets: [Pages.Bucket<R>], _ f: (R) -> [String: String]) -> [BucketText] {
    buckets.map { BucketText(start: "\($0.start / 1_000_000)", end: "\($0.end / 1_000_000)", results: $0.results.map(f)) }
}

private func rfcBounds<R>(_ buckets: [Pages.Bucket<R>], _ f: (R) -> [String: String]) -> [BucketText] {
    buckets.map { BucketText(start: quoted(Timestamp.format($0.start)), end: quoted(Timestamp.format($0.end)), results: $0.results.map(f)) }
}

/// Every page of a paginated route, following `next_page` until `has_more` is false.
private func allPages(_ client: Client, _ server: MockProviderServer, _ path: String,
                      _ query: [(String, String)]) throws -> [JSONValue] {
    var out: [JSONValue] = []
    var token: String?
    repeat {
        let r = try client.ok(server.url(path, query + (token.map { [("page", $0)] } ?? [])))
        let json = try r.json()
        out.append(json)
        token = json["next_page"]?.stringValue
        #expect(json["has_more"]?.boolValue == (token != nil), "has_more disagrees with next_page")
        #expect(json["has_more"] != nil && json["next_page"] != nil)
        if out.count > 500 { Issue.record("more than 500 pages"); break }
    } while token != nil
    return out
}

private func seconds(_ micros: Int64) -> String { String(micros / 1_000_000) }

private func decimal(_ s: String) -> Decimal { Decimal(string: s, locale: Locale(identifier: "en_US_POSIX"))! }

// MARK: - A raw socket client (byte-exact checks)

private final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: 20, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard Self.connect(fd, port: port) else {
            _ = close(fd)
            throw URLError(.cannotConnectToHost)
        }
    }

    deinit { _ = close(fd) }

    static func connect(_ fd: Int32, port: Int) -> Bool {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Whether anything accepts connections on 127.0.0.1:`port`.
    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { _ = close(fd) }
        return connect(fd, port: port)
    }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    private var pending: [UInt8] = []

    /// Reads bytes until `count` are buffered or the peer closes.
    private func fill(_ count: Int) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while pending.count < count {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return false }
            pending += chunk[0..<n]
        }
        return true
    }

    /// The next response: head text and as much of its Content-Length body as arrived.
    func readResponse() -> (head: String, contentLength: Int, body: [UInt8])? {
        var end: Int?
        while end == nil {
            if pending.count >= 4 {
                for i in 0...(pending.count - 4) where pending[i] == 13 && pending[i + 1] == 10 && pending[i + 2] == 13 && pending[i + 3] == 10 {
                    end = i
                    break
                }
            }
            if end == nil && !fill(pending.count + 1) { return nil }
        }
        let head = String(decoding: pending[0..<end!], as: UTF8.self)
        pending.removeFirst(end! + 4)
        let lengthLine = head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
        let length = Int(lengthLine?.split(separator: ":")[1].trimmingCharacters(in: .whitespaces) ?? "0") ?? 0
        _ = fill(length)
        let body = Array(pending.prefix(length))
        pending.removeFirst(body.count)
        return (head, length, body)
    }

    /// True when the peer has closed (recv returns 0) with nothing more to read.
    func peerClosed() -> Bool {
        var b: UInt8 = 0
        return pending.isEmpty && recv(fd, &b, 1, 0) == 0
    }
}

// MARK: - Open files

/// Open descriptors of this process: number → link target (`socket:[inode]`, paths, …).
private func openDescriptors() -> [String: String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    var out: [String: String] = [:]
    for n in names { out[n] = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + n)) ?? "?" }
    return out
}

/// Local ports of this host's IPv4 TCP sockets by inode (`/proc/net/tcp`).
private func tcpLocalPorts() -> [String: Int] {
    guard let text = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return [:] }
    var out: [String: Int] = [:]
    for line in text.split(separator: "\n").dropFirst() {
        let f = line.split(separator: " ")
        guard f.count > 9, let port = Int(f[1].split(separator: ":").last ?? "", radix: 16) else { continue }
        out[String(f[9])] = port
    }
    return out
}

// MARK: - Tests

@Suite("MockProviderServer", .serialized)
struct MockProviderServerTests {
    fileprivate let client = Client()

    // MARK: Routes

    @Test("OpenAI usage: every page, grouped and ungrouped, equals the dataset")
    func openAIUsage() throws {
        let pages = Pages(seed: 7, start: day0, days: 10, resultsPerBucket: 4)
        let server = try MockProviderServer(pages: pages)
        defer { server.stop() }
        let path = "/v1/organization/usage/completions"
        let groups = ["project_id", "user_id", "api_key_id", "model", "batch", "service_tier"]

        let grouped = try allPages(client, server, path, [("start_time", seconds(day0)), ("limit", "3")]
                                   + groups.map { ("group_by", $0) })
        #expect(grouped.count == 4)  // 10 daily buckets, 3 per page
        #expect(grouped.last?["next_page"]?.isNull == true)
        #expect(grouped.first?["object"]?.stringValue == "page")
        let expected = pages.openAIUsage(groupBy: Set(Pages.OpenAIUsageRow.Dimension.allCases))
        #expect(bucketTexts(grouped) == unixBounds(expected, fields))
        // Grouped by every dimension, a bucket's rows are the raw rows, each with all dimensions.
        for (i, bucket) in expected.enumerated() {
            #expect(bucket.results == pages.openAIUsageRows(inBucket: i))
            #expect(Set(bucket.results.map { "\($0.projectID!)|\($0.apiKeyID!)|\($0.model!)|\($0.batch!)|\($0.serviceTier!)" }).count == 4)
        }
        #expect(server.requests.map { $0.queryValue("page") == nil } == [true, false, false, false])

        // No group_by: one row of totals per bucket, dimensions null.
        let totals = bucketTexts(try allPages(client, server, path, [("start_time", seconds(day0)), ("limit", "31")]))
        #expect(totals.count == 10)
        for (i, bucket) in totals.enumerated() {
            let raw = pages.openAIUsageRows(inBucket: i)
            #expect(bucket.results.count == 1)
            #expect(bucket.results.first?["input_tokens"] == "\(raw.reduce(0) { $0 + $1.inputTokens })")
            #expect(bucket.results.first?["num_model_requests"] == "\(raw.reduce(0) { $0 + $1.requests })")
            #expect(bucket.results.first?["project_id"] == "null" && bucket.results.first?["model"] == "null")
        }

        // A window: start inclusive, end exclusive, on bucket starts.
        let window = bucketTexts(try allPages(client, server, path, [
            ("start_time", seconds(day0 + 2 * oneDay)), ("end_time", seconds(day0 + 5 * oneDay)), ("group_by", "model"),
        ]))
        #expect(window.map(\.start) == [2, 3, 4].map { seconds(day0 + $0 * oneDay) })
        #expect(window == unixBounds(pages.openAIUsage(from: day0 + 2 * oneDay, to: day0 + 5 * oneDay, groupBy: [.model]), fields))
    }

    @Test("Hourly dataset: 1h pages, and 1d buckets that sum the hours")
    func hourlyBuckets() throws {
        let pages = Pages(seed: 3, start: day0, days: 2, bucketsPerDay: 24, resultsPerBucket: 3)
        let server = try MockProviderServer(pages: pages)
        defer { server.stop() }
        let path = "/v1/organization/usage/completions"
        let all = ["project_id", "api_key_id", "model", "batch", "service_tier"].map { ("group_by", $0) }
        let hourly = try allPages(client, server, path, [("start_time", seconds(day0)), ("bucket_width", "1h")] + all)
        #expect(hourly.count == 2)  // 48 buckets, default limit 24
        let texts = bucketTexts(hourly)
        #expect(texts.count == 48)
        #expect(texts[1].start == seconds(day0 + 3_600_000_000) && texts[1].end == seconds(day0 + 7_200_000_000))
        #expect(texts == unixBounds(pages.openAIUsage(bucketWidth: .hour, groupBy: [.projectID, .apiKeyID, .model, .batch, .serviceTier]), fields))

        // 1d over hourly data, grouped by model: the sum of the day's hourly rows per model.
        let daily = bucketTexts(try allPages(client, server, path, [("start_time", seconds(day0)), ("group_by", "model")]))
        #expect(daily.count == 2)
        for d in 0..<2 {
            var byModel: [String: Int64] = [:]
            for h in 0..<24 { for r in pages.openAIUsageRows(inBucket: d * 24 + h) { byModel[r.model!, default: 0] += r.outputTokens } }
            let got = Dictionary(uniqueKeysWithValues: daily[d].results.map { ($0["model"]!, $0["output_tokens"]!) })
            #expect(got == Dictionary(uniqueKeysWithValues: byModel.map { (quoted($0.key), "\($0.value)") }))
        }
        // The Anthropic route rolls up the same way.
        let anthropic = bucketTexts(try allPages(client, server, "/v1/organizations/usage_report/messages", [
            ("starting_at", Timestamp.format(day0)), ("bucket_width", "1h"), ("limit", "168"),
            ("group_by[]", "workspace_id"), ("group_by[]", "model"),
        ]))
        #expect(anthropic == rfcBounds(pages.anthropicUsage(bucketWidth: .hour, groupBy: [.workspaceID, .model]), fields))
        // Finer than the data: refused.
        let minute = try client.get(server.url(path, [("start_time", seconds(day0)), ("bucket_width", "1m")])).get()
        #expect(minute.status == 400)
    }

    @Test("OpenAI costs: amounts are exact number literals with up to 10 decimals")
    func openAICosts() throws {
        let pages = Pages(seed: 11, start: day0, days: 9, resultsPerBucket: 5)
        let server = try MockProviderServer(pages: pages)
        defer { server.stop() }
        let path = "/v1/organization/costs"
        let raw = try allPages(client, server, path, [("start_time", seconds(day0)), ("group_by", "project_id"), ("group_by", "line_item")])
        #expect(raw.count == 2)  // default limit 7
        let expected = pages.openAICosts(groupBy: [.projectID, .lineItem])
        #expect(bucketTexts(raw) == unixBounds(expected, fields))

        // The literals appear verbatim in the bytes on the wire.
        let body = try client.ok(server.url(path, [("start_time", seconds(day0)), ("group_by", "project_id"), ("group_by", "line_item")])).text
        let literals = expected.prefix(7).flatMap { $0.results.map(\.amountLiteral) }
        for literal in literals { #expect(body.contains(#""amount":{"value":\#(literal),"currency":"usd"}"#)) }
        let allLiterals = expected.flatMap { $0.results.map(\.amountLiteral) }
        #expect(allLiterals.contains { $0.split(separator: ".").last?.count == 10 }, "some amount uses all 10 decimals")

        // Ungrouped: one exact total per day.
        let totals = bucketTexts(try allPages(client, server, path, [("start_time", seconds(day0)), ("limit", "180")]))
        for (d, bucket) in totals.enumerated() {
            let sum = pages.openAICostRows(onDay: d).reduce(Decimal(0)) { $0 + decimal($1.amountLiteral) }
            #expect(bucket.results.count == 1)
            #expect(decimal(bucket.results[0]["amount.value"]!) == sum)
            #expect(bucket.results[0]["project_id"] == "null" && bucket.results[0]["line_item"] == "null")
        }
    }

    @Test("Anthropic usage: RFC 3339 windows and nested token counts")
    func anthropicUsage() throws {
        let pages = Pages(seed: 5, start: day0, days: 8, resultsPerBucket: 4)
        let server = try MockProviderServer(pages: pages)
        defer { server.stop() }
        let path = "/v1/organizations/usage_report/messages"
        let dims = ["api_key_id", "workspace_id", "model", "service_tier", "context_window"].map { ("group_by[]", $0) }
        let got = try allPages(client, server, path, [
            ("starting_at", "2024-05-02T00:00:00Z"), ("ending_at", "2024-05-07T00:00:00Z"), ("limit", "3"),
        ] + dims)
        #expect(got.count == 2)
        let texts = bucketTexts(got)
        #expect(texts.first?.start == #""2024-05-02T00:00:00Z""# && texts.first?.end == #""2024-05-03T00:00:00Z""#)
        #expect(texts.last?.start == #""2024-05-06T00:00:00Z""#)
        let expected = pages.anthropicUsage(from: day0 + oneDay, to: day0 + 6 * oneDay,
                                            groupBy: Set(Pages.AnthropicUsageRow.Dimension.allCases))
        #expect(texts == rfcBounds(expected, fields))
        for (i, bucket) in expected.enumerated() { #expect(bucket.results == pages.anthropicUsageRows(inBucket: i + 1)) }

        let totals = bucketTexts(try allPages(client, server, path, [("starting_at", "2024-05-01T00:00:00Z")]))
        #expect(totals.count == 8)
        for (i, bucket) in totals.enumerated() {
            let raw = pages.anthropicUsageRows(inBucket: i)
            #expect(bucket.results.count == 1)
            #expect(bucket.results[0]["cache_creation.ephemeral_5m_input_tokens"] == "\(raw.reduce(0) { $0 + $1.cacheCreation5mInputTokens })")
            #expect(bucket.results[0]["workspace_id"] == "null")
        }
    }

    @Test("Anthropic cost report: amounts are decimal strings in cents")
    func anthropicCosts() throws {
        let pages = Pages(seed: 9, start: day0, days: 5, resultsPerBucket: 6)
        let server = try MockProviderServer(pages: pages)
        defer { server.stop() }
        let path = "/v1/organizations/cost_report"
        let got = try allPages(client, server, path, [
            ("starting_at", "2024-05-01T00:00:00Z"), ("limit", "2"), ("group_by[]", "workspace_id"), ("group_by[]", "description"),
        ])
        #expect(got.count == 3)
        #expect(bucketTexts(got) == rfcBounds(pages.anthropicCosts(groupBy: [.workspaceID, .description]), fields))
        #expect(bucketTexts(got).first?.results.first?["cost_type"] == #""tokens""#)

        let totals = bucketTexts(try allPages(client, server, path, [("starting_at", "2024-05-01T00:00:00Z")]))
        for (d, bucket) in totals.enumerated() {
            let sum = pages.anthropicCostRows(onDay: d).reduce(Decimal(0)) { $0 + decimal($1.amountCentsLiteral) }
            let amount = try #require(bucket.results.first?["amount"])
            #expect(amount.hasPrefix("\"") && decimal(String(amount.dropFirst().dropLast())) == sum)
            #expect(bucket.results[0]["description"] == "null" && bucket.results[0]["model"] == "null")
        }
    }

    @Test("GitHub billing usage: a month, a day, and rate-limit headers on every answer")
    func gitHubUsage() throws {
        let pages = Pages(seed: 2, start: Timestamp.parse("2024-04-28")!, days: 10, resultsPerBucket: 3, organization: "acme")
        let server = try MockProviderServer(pages: pages)
        defer { server.stop() }
        let path = "/organizations/acme/settings/billing/usage"
        let may = try client.ok(server.url(path, [("year", "2024"), ("month", "5")]))
        let items = try may.json()["usageItems"]?.arrayValue ?? []
        #expect(items.map { flatten($0) } == pages.gitHubUsageItems(year: 2024, month: 5).map(fields))
        #expect(items.count == 7 * 3)
        #expect(may.headers["x-ratelimit-limit"] == "5000")
        #expect(may.headers["x-ratelimit-remaining"] == "4999")
        let reset = try #require(may.headers["x-ratelimit-reset"].flatMap { Int64($0) })
        #expect(reset > Int64(Date().timeIntervalSince1970))

        let third = try client.ok(server.url(path, [("year", "2024"), ("month", "5"), ("day", "3")]))
        let thirdItems = (try third.json()["usageItems"]?.arrayValue ?? []).map { flatten($0) }
        #expect(thirdItems == pages.gitHubUsageItems(year: 2024, month: 5, day: 3).map(fields))
        #expect(thirdItems.allSatisfy { $0["date"] == #""2024-05-03""# } && thirdItems.count == 3)
        #expect(third.headers["x-ratelimit-remaining"] == "4998")
        // Net = gross − discount, exactly.
        for item in pages.gitHubUsageItems(year: 2024, month: 5) {
            #expect(decimal(item.netAmountLiteral) == decimal(item.grossAmountLiteral) - decimal(item.discountAmountLiteral))
        }
        let other = try client.get(server.url("/organizations/someone-else/settings/billing/usage", [("year", "2024")])).get()
        #expect(other.status == 404 && other.headers["x-ratelimit-limit"] == "5000")
        #expect(try other.json()["message"]?.stringValue == "Not Found")
    }

    @Test("Bad parameters get the provider's 4xx error JSON")
    func badRequests() throws {
        let server = try MockProviderServer(pages: Pages(start: day0, days: 3))
        defer { server.stop() }
        let missing = try client.get(server.url("/v1/organization/costs")).get()
        #expect(missing.status == 400)
        #expect(try missing.json()["error"]?["type"]?.stringValue == "invalid_request_error")
        let token = try client.get(server.url("/v1/organization/costs", [("start_time", seconds(day0)), ("page", "page_bogus")])).get()
        #expect(token.status == 400 && token.text.contains("page_bogus"))
        let limit = try client.get(server.url("/v1/organizations/usage_report/messages", [
            ("starting_at", "2024-05-01T00:00:00Z"), ("limit", "500"),
        ])).get()
        #expect(limit.status == 400)
        #expect(try limit.json()["type"]?.stringValue == "error")
        let group = try client.get(server.url("/v1/organization/usage/completions", [("start_time", "0"), ("group_by", "colour")])).get()
        #expect(group.status == 400 && group.text.contains("colour"))
        #expect(try client.get(server.url("/v1/nothing-here")).get().status == 404)
        #expect(try client.get(server.url("/v1/organization/costs", [("start_time", "0")]), method: "POST").get().status == 405)
    }

    // MARK: Faults

    @Test("Status faults: 429 with Retry-After, 500, 503 twice; only on the matching path")
    func statusFaults() throws {
        let server = try MockProviderServer(pages: Pages(start: day0, days: 3))
        defer { server.stop() }
        let costs = server.url("/v1/organization/costs", [("start_time", seconds(day0))])
        let usage = server.url("/v1/organization/usage/completions", [("start_time", seconds(day0))])
        server.inject(.status(429, headers: ["Retry-After": "1"]), forPathPrefix: "/v1/organization/costs")
        #expect(try client.get(usage).get().status == 200)  // other path: untouched
        let limited = try client.get(costs).get()
        #expect(limited.status == 429)
        #expect(limited.headers["retry-after"] == "1")
        #expect(try limited.json()["error"]?["code"]?.stringValue == "rate_limit_exceeded")
        #expect(try client.get(costs).get().status == 200)

        server.inject(.status(500, body: "boom"))
        let failed = try client.get(usage).get()
        #expect(failed.status == 500 && failed.text == "boom")

        server.inject(.status(503), forPathPrefix: "/v1/", times: 2)
        #expect(server.pendingFaultCount == 2)
        #expect(try client.get(usage).get().status == 503)
        #expect(try client.get(costs).get().status == 503)
        #expect(try client.get(costs).get().status == 200)
        #expect(server.pendingFaultCount == 0)

        server.inject(.status(401), forPathPrefix: "/v1/organizations/")
        let anthropic = try client.get(server.url("/v1/organizations/cost_report", [("starting_at", "2024-05-01T00:00:00Z")])).get()
        #expect(anthropic.status == 401)
        #expect(try anthropic.json()["error"]?["type"]?.stringValue == "authentication_error")
    }

    @Test("GitHub 403 and 429 faults carry x-ratelimit-remaining 0 and a reset one second ahead")
    func gitHubRateLimitFault() throws {
        let server = try MockProviderServer(pages: Pages(start: day0, days: 3))
        defer { server.stop() }
        let url = server.url("/organizations/mosaic-org/settings/billing/usage", [("year", "2024"), ("month", "5")])
        for status in [403, 429] {
            server.inject(.status(status), forPathPrefix: "/organizations/")
            let before = Int64(Date().timeIntervalSince1970)
            let r = try client.get(url).get()
            #expect(r.status == status)
            #expect(r.headers["x-ratelimit-remaining"] == "0")
            #expect(r.headers["x-ratelimit-limit"] == "5000")
            let reset = try #require(r.headers["x-ratelimit-reset"].flatMap { Int64($0) })
            #expect(reset >= before + 1 && reset <= before + 3)
            #expect(try r.json()["message"]?.stringValue?.contains("rate limit") == true)
        }
        let ok = try client.ok(url)
        #expect(ok.headers["x-ratelimit-remaining"] == "4997")
    }

    @Test("A delay answers late without holding up other connections; past the timeout it is a URLError")
    func delay() throws {
        let server = try MockProviderServer(pages: Pages(start: day0, days: 3))
        defer { server.stop() }
        let url = server.url("/v1/organization/costs", [("start_time", seconds(day0))])
        server.inject(.delay(seconds: 0.6))
        let started = Date()
        let slow = Mutex<(Result<Fetched, any Error>, Date)?>(nil)
        let slowDone = DispatchSemaphore(value: 0)
        let slowClient = Client()
        Thread {
            let r = slowClient.get(url)
            slow.withLock { $0 = (r, Date()) }
            slowDone.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.1)
        let fast = try client.ok(url)  // another connection, served during the delay
        let fastDone = Date()
        #expect(slowDone.wait(timeout: .now() + 30) == .success)
        let (slowResult, slowEnd) = try #require(slow.withLock { $0 })
        let delayed = try slowResult.get()
        #expect(delayed.status == 200 && delayed.body == fast.body)
        #expect(slowEnd.timeIntervalSince(started) >= 0.55)
        #expect(fastDone < slowEnd)

        // Whole seconds: URLSession on Linux times out at once when given less than one second.
        server.inject(.delay(seconds: 3))
        let impatient = Client(timeout: 1)
        let asked = Date()
        let timedOut = impatient.get(url)
        guard case .failure(let error) = timedOut else { Issue.record("expected a timeout, got \(timedOut)"); return }
        #expect((error as? URLError)?.code == .timedOut)
        #expect(Date().timeIntervalSince(asked) >= 0.9, "the client waited for its timeout, not less")
        #expect(try client.get(url).get().status == 200)  // the retry
    }

    @Test("A reset connection is a URLError; the next request succeeds")
    func reset() throws {
        let server = try MockProviderServer(pages: Pages(start: day0, days: 3))
        defer { server.stop() }
        let url = server.url("/v1/organization/costs", [("start_time", seconds(day0))])
        server.inject(.resetConnection)
        let fresh = Client()
        let result = fresh.get(url)
        guard case .failure(let error) = result else { Issue.record("expected an error, got \(result)"); return }
        #expect((error as? URLError)?.code == .networkConnectionLost, "\(error)")  // "Connection reset by peer"
        #expect(server.requestCount == 1)
        #expect(try fresh.get(url).get().status == 200)
    }

    @Test("A truncated body: full Content-Length, half the bytes, then close")
    func truncatedBody() throws {
        let server = try MockProviderServer(pages: Pages(start: day0, days: 3, resultsPerBucket: 5))
        defer { server.stop() }
        let path = "/v1/organization/costs?start_time=\(day0 / 1_000_000)&group_by=project_id"
        // On the wire.
        server.inject(.truncatedBody)
        let raw = try RawConnection(port: server.port)
        raw.write("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let response = try #require(raw.readResponse())
        #expect(response.head.hasPrefix("HTTP/1.1 200 "))
        #expect(response.contentLength > 100 && response.body.count == response.contentLength / 2)
        #expect(raw.peerClosed())
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(response.body) }
        // URLSession (libcurl) never hands over the partial body: it fails with a URLError
        // ("transfer closed with N bytes remaining to read"), so a client sees no JSON at all.
        server.inject(.truncatedBody)
        let viaSession = Client().get(URL(string: server.baseURL.absoluteString + path)!)
        guard case .failure(let error) = viaSession else { Issue.record("expected an error, got \(viaSession)"); return }
        #expect(error is URLError, "\(error)")
        #expect(try client.get(URL(string: server.baseURL.absoluteString + path)!).get().status == 200)
    }

    @Test("Invalid JSON: 200 with a body that does not parse")
    func invalidJSON() throws {
        let server = try MockProviderServer(pages: Pages(start: day0, days: 3))
        defer { server.stop() }
        server.inject(.invalidJSON, forPathPrefix: "/v1/organizations/usage_report")
        let r = try client.get(server.url("/v1/organizations/usage_report/messages", [("starting_at", "2024-05-01T00:00:00Z")])).get()
        #expect(r.status == 200)
        #expect(r.headers["content-type"] == "application/json")
        #expect(throws: JSONSyntaxError.self) { try r.json() }
    }

    @Test("A page that changes between retries")
    func pageChangesBetweenRetries() throws {
        let pages = Pages(seed: 4, start: day0, days: 14, resultsPerBucket: 3)
        let server = try MockProviderServer(pages: pages)
        defer { server.stop() }
        let path = "/v1/organization/costs"
        let query = [("start_time", seconds(day0)), ("group_by", "project_id"), ("group_by", "line_item")]
        let first = try client.ok(server.url(path, query)).json()
        let token = try #require(first["next_page"]?.stringValue)
        server.inject(.status(502), forPathPrefix: path)
        #expect(try client.get(server.url(path, query + [("page", token)])).get().status == 502)
        // Late data for day 9 arrives before the retry.
        var revised = pages
        revised.revise(dayContaining: day0 + 9 * oneDay)
        server.pages = revised
        let retried = bucketTexts([try client.ok(server.url(path, query + [("page", token)])).json()])
        #expect(retried == unixBounds(revised.openAICosts(from: day0 + 7 * oneDay, groupBy: [.projectID, .lineItem]), fields))
        let before = unixBounds(pages.openAICosts(from: day0 + 7 * oneDay, groupBy: [.projectID, .lineItem]), fields)
        #expect(retried[2] != before[2])                        // day 9 changed…
        #expect(retried[2].results.map { $0["line_item"] } == before[2].results.map { $0["line_item"] })  // …its numbers only
        #expect(retried[0] == before[0] && retried[3] == before[3])  // other days did not
    }

    // MARK: Connections and bookkeeping

    @Test("Requests are recorded with their query items in order and lower-cased header names")
    func recording() throws {
        let server = try MockProviderServer(pages: Pages(start: day0, days: 3))
        defer { server.stop() }
        _ = try client.ok(server.url("/v1/organizations/usage_report/messages", [
            ("starting_at", "2024-05-01T00:00:00Z"), ("group_by[]", "model"), ("group_by[]", "workspace_id"), ("limit", "2"),
        ]), headers: ["X-Api-Key": "sk-ant-admin-test", "Anthropic-Version": "2023-06-01"])
        let recorded = try #require(server.requests.first)
        #expect(server.requestCount == 1)
        #expect(recorded.method == "GET")
        #expect(recorded.path == "/v1/organizations/usage_report/messages")
        #expect(recorded.queryItems.map(\.name) == ["starting_at", "group_by[]", "group_by[]", "limit"])
        #expect(recorded.queryItems.map(\.value) == ["2024-05-01T00:00:00Z", "model", "workspace_id", "2"])
        #expect(recorded.queryValues("group_by[]") == ["model", "workspace_id"])
        #expect(recorded.headers["x-api-key"] == "sk-ant-admin-test")
        #expect(recorded.headers["anthropic-version"] == "2023-06-01")
        #expect(recorded.headers.keys.allSatisfy { $0 == $0.lowercased() })
    }

    @Test("Keep-alive serves several requests on one connection; Connection: close closes it")
    func keepAlive() throws {
        let server = try MockProviderServer(pages: Pages(start: day0, days: 3))
        defer { server.stop() }
        let raw = try RawConnection(port: server.port)
        let get = "GET /v1/organization/costs?start_time=\(day0 / 1_000_000) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        // Two requests written at once (pipelined), then one more.
        raw.write(get + "\r\n" + get + "\r\n")
        for _ in 0..<2 {
            let r = try #require(raw.readResponse())
            #expect(r.head.hasPrefix("HTTP/1.1 200 OK") && r.head.contains("Connection: keep-alive"))
            #expect(r.body.count == r.contentLength && (try? JSONValue.parse(r.body)) != nil)
        }
        raw.write(get + "Connection: close\r\n\r\n")
        let last = try #require(raw.readResponse())
        #expect(last.head.contains("Connection: close") && last.body.count == last.contentLength)
        #expect(raw.peerClosed())
        #expect(server.requestCount == 3)
    }

    @Test("Starting and stopping 20 servers leaks no descriptors")
    func startStopMany() throws {
        let request = { (server: MockProviderServer) in
            try self.client.ok(server.url("/v1/organization/costs", [("start_time", seconds(day0))]), headers: ["Connection": "close"])
        }
        // Warm up URLSession's own descriptors before counting.
        do {
            let warm = try MockProviderServer(pages: Pages(start: day0, days: 1))
            _ = try request(warm)
            warm.stop()
        }
        let before = openDescriptors()
        var ports: Set<Int> = []
        for i in 0..<20 {
            let server = try MockProviderServer(pages: Pages(seed: UInt64(i), start: day0, days: 2))
            ports.insert(server.port)
            _ = try request(server)
            server.stop()
            server.stop()  // idempotent
            #expect(!RawConnection.canConnect(port: server.port), "port \(server.port) still accepts after stop()")
        }
        let after = openDescriptors()
        #expect(ports.count >= 2)
        // The count is process-wide and other suites (live server tests) open and close sockets at
        // the same time, so allow some slack: a leak of one descriptor per server would add 20.
        #expect(after.count <= before.count + 15, "descriptors: \(before.count) before, \(after.count) after")
        // And no socket of this process is still connected or listening on one of the servers' ports
        // (a socket shut down but never closed leaves /proc/net/tcp: the count above catches that).
        let localPorts = tcpLocalPorts()
        let leaked = after.values.filter { target in
            guard target.hasPrefix("socket:["), let port = localPorts[String(target.dropFirst(8).dropLast())] else { return false }
            return ports.contains(port)
        }
        #expect(leaked.isEmpty, "server sockets still open: \(leaked)")
    }
}
#endif
