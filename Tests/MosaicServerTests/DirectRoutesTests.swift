import Foundation
@testable import MosaicServer
import Testing

/// `POST /v1/route` and `/bench/echo` answered by ``DirectRouteHandler`` on the event loop give
/// the same bytes as through the Hummingbird router (`directRoutes` off), for good and bad
/// requests, bodies in pieces, pipelining and `Connection: close`; and the connection's idle
/// timeout still sees the direct requests.
@Suite("serve: direct routes", .serialized)
struct DirectRoutesTests {
    static let route = #"{"tenant":"acme","model_family":"gpt-4o","prompt_tokens":800}"#

    static func post(_ path: String, _ body: String, headers: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\(headers)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    static func chunked(_ path: String, _ pieces: [String]) -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + pieces.map { String($0.utf8.count, radix: 16) + "\r\n" + $0 + "\r\n" }.joined() + "0\r\n\r\n"
    }

    static let healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

    /// Each case: what one connection sends (in one write), and how many answers it gets.
    static let cases: [Case] = [
        ("a route", post("/v1/route", route), 1),
        ("malformed JSON", post("/v1/route", #"{"tenant":"#), 1),
        ("a wrong type", post("/v1/route", #"{"tenant":"acme","prompt_tokens":"many"}"#), 1),
        ("an empty body", post("/v1/route", ""), 1),
        ("a body in chunks", chunked("/v1/route", [#"{"tenant":"acme","#, #""prompt_tokens":120}"#]), 1),
        ("a chunked body over the limit", chunked("/v1/route", Array(repeating: String(repeating: " ", count: 1000), count: 6)), 1),
        ("a declared body over the limit", post("/v1/route", String(repeating: " ", count: 5000)), 1),
        ("the echo", post("/bench/echo", #"{"echo":true}"#), 1),
        ("a GET of the route", "GET /v1/route HTTP/1.1\r\nHost: x\r\n\r\n", 1),
        ("pipelined", healthz + post("/v1/route", route) + healthz + post("/v1/route?x=1", route)
            + post("/v1/route", #"{"tenant":1}"#) + post("/v1/route", route), 6),
        ("Connection: close", post("/v1/route", route, headers: "Connection: close\r\n") + healthz, 1),
    ]

    /// One answer: status line, header fields but `Date` (in order), and the body with the
    /// decision id's instance-specific value masked.
    struct Answer: Equatable, CustomStringConvertible {
        var status: String
        var headers: [String]
        var hasDate: Bool
        var body: String
        /// The whole announced body has arrived.
        var whole: Bool
        var description: String { "\(status) \(headers) \(body.prefix(160))" }
    }

    /// Splits a byte stream into answers (a Content-Length body, or a chunked one: a gateway stream).
    static func answers(_ bytes: [UInt8]) -> [Answer] {
        var out: [Answer] = []
        var rest = bytes[...]
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        let crlf: [UInt8] = Array("\r\n".utf8)
        while let end = rest.firstRange(of: separator) {
            let lines = String(decoding: rest[rest.startIndex..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
            var headers: [String] = []
            var hasDate = false
            var length = 0
            var chunked = false
            for line in lines.dropFirst() {
                let lower = line.lowercased()
                if lower.hasPrefix("date:") { hasDate = true; continue }
                if lower.hasPrefix("content-length:") { length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0 }
                if lower == "transfer-encoding: chunked" { chunked = true }
                headers.append(masked(lower))
            }
            var body: [UInt8] = []
            var whole = false
            var bodyEnd = end.upperBound
            if chunked {
                var at = end.upperBound
                while let lineEnd = rest[at...].firstRange(of: crlf),
                      let size = Int(String(decoding: rest[at..<lineEnd.lowerBound], as: UTF8.self), radix: 16),
                      lineEnd.upperBound + size + 2 <= rest.endIndex {
                    body += rest[lineEnd.upperBound..<lineEnd.upperBound + size]
                    at = lineEnd.upperBound + size + 2
                    if size == 0 { whole = true; break }
                }
                bodyEnd = at
            } else {
                bodyEnd = min(rest.endIndex, end.upperBound + length)
                body = Array(rest[end.upperBound..<bodyEnd])
                whole = bodyEnd - end.upperBound == length
            }
            out.append(Answer(status: lines[0], headers: headers, hasDate: hasDate,
                              body: masked(String(decoding: body, as: UTF8.self)), whole: whole))
            rest = rest[bodyEnd...]
        }
        return out
    }

    /// The text with the instance-specific part of decision ids and gateway request ids masked.
    static func masked(_ text: String) -> String {
        var t = text
        if let r = t.range(of: #""decision_id":"[0-9a-f]+-"#, options: .regularExpression) {
            t.replaceSubrange(r, with: #""decision_id":"ID-"#)
        }
        while let r = t.range(of: #"gw-[0-9a-f]+-[0-9a-f]+"#, options: .regularExpression) {
            t.replaceSubrange(r, with: "GW-ID")
        }
        return t
    }

    typealias Case = (name: String, send: String, answers: Int)
    typealias Transcript = [(answers: [Answer], closed: Bool)]

    /// Sends each case on a connection of its own: the answers, and whether the server closed
    /// the connection afterwards.
    static func run(_ cases: [Case], port: Int, sending: (Case) -> String = { $0.send }) throws -> Transcript {
        try cases.map { c in
            let conn = try RawConnection(port: port)
            defer { conn.close() }
            conn.send(sending(c))
            // Generous: on a loaded 2-core machine the server's tasks may wait for a thread.
            let r = conn.read(within: 60) { answers($0).count >= c.answers && complete($0) }
            // A connection that should stay open is not closed a moment later either.
            let closed = r.closed || conn.read(within: 0.2).closed
            return (answers(r.bytes), closed)
        }
    }

    /// The two paths answered every case alike, each answer with a `Date`; returns the statuses
    /// of the direct path's answers, for the spot checks.
    static func expectAlike(_ direct: Transcript, _ router: Transcript, _ cases: [Case]) -> [[String]] {
        for (k, c) in cases.enumerated() {
            #expect(direct[k].answers.count == c.answers, "\(c.name): \(direct[k].answers)")
            #expect(direct[k].answers == router[k].answers, "\(c.name)")
            #expect(direct[k].closed == router[k].closed, "\(c.name): closed \(direct[k].closed) vs \(router[k].closed)")
            #expect(direct[k].answers.allSatisfy { $0.hasDate }, "\(c.name)")
        }
        return direct.map { $0.answers.map { String($0.status.dropFirst(9).prefix(3)) } }
    }

    /// Runs every case against a fresh server with `direct` set.
    static func transcript(direct: Bool) async throws -> Transcript {
        try await withServer({ $0.echoEndpoint = true; $0.directRoutes = direct }) { port, _ in try run(cases, port: port) }
    }

    /// Every announced body has arrived.
    static func complete(_ bytes: [UInt8]) -> Bool { answers(bytes).last?.whole == true }

    @Test func directAnswersEqualTheRoutersByteForByte() async throws {
        let direct = try await Self.transcript(direct: true)
        let router = try await Self.transcript(direct: false)
        let statuses = Self.expectAlike(direct, router, Self.cases)
        // Spot checks that the cases test what they say.
        #expect(statuses == [["200"], ["400"], ["400"], ["400"], ["200"], ["413"], ["413"], ["200"], ["404"],
                             ["200", "200", "200", "200", "400", "200"], ["200"]])
        #expect(direct.map(\.closed) == Array(repeating: false, count: 10) + [true])
        #expect(direct[7].answers[0].body == #"{"echo":true}"#)
    }

    @Test func directErrorsAreCountedInTheMetrics() async throws {
        try await withServer { port, _ in
            let c = LoopbackHTTPClient(port: port)
            defer { c.close() }
            for _ in 0..<3 { #expect(try c.post("/v1/route", json: #"{"tenant":"#).status == 400) }
            #expect(try c.post("/v1/route", json: Self.route).status == 200)
            let metrics = try c.get("/metrics").text
            #expect(metrics.contains(#"mosaic_http_errors_total{endpoint="route",status="400"} 3"#), "\(metrics.prefix(600))")
            #expect(metrics.contains(#"mosaic_handling_seconds_count{endpoint="route"} 1"#), "\(metrics.prefix(600))")
        }
    }

    /// A client that pipelines routes and never reads the answers is held back by TCP: the
    /// server stops reading while its answers are not drained, so the client's sends stop going
    /// through long before it has sent 64 MiB (without the back-pressure the server would read it
    /// all and buffer about seven times as much in answers).
    @Test(arguments: [true, false])
    func aClientThatNeverReadsIsHeldBack(direct: Bool) async throws {
        let sent = try await withServer({ $0.directRoutes = direct }) { port, _ -> Int in
            let c = try RawConnection(port: port)
            defer { c.close() }
            _ = fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK)
            let batch = Array(String(repeating: Self.post("/v1/route", Self.route), count: 64).utf8)
            var total = 0
            var stalled = Date()
            while total < 64 << 20 {
                let offset = total % batch.count   // partial sends continue where they stopped
                let n = batch.withUnsafeBytes { send(c.fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                if n > 0 {
                    total += n
                    stalled = Date()
                } else if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK {
                    Issue.record("the server closed the connection: \(String(cString: strerror(errno)))")
                    break
                } else if Date().timeIntervalSince(stalled) > 2 {
                    break   // nothing went through for 2 s: held back
                } else {
                    usleep(1000)
                }
            }
            return total
        }
        #expect(sent < 64 << 20, "sent \(sent) bytes without being held back")
    }

    /// The handler sits after Hummingbird's connection-state handler, so a connection busy with
    /// direct requests is not closed as idle, and an idle one still is.
    @Test func idleTimeoutSeesDirectRequests() async throws {
        try await withServer({ $0.idleTimeoutSeconds = 1 }) { port, _ in
            let c = try RawConnection(port: port)
            defer { c.close() }
            for k in 0..<6 {   // 2.4 s of requests 0.4 s apart on one connection
                if k > 0 { Thread.sleep(forTimeInterval: 0.4) }
                #expect(c.send(Self.post("/v1/route", Self.route)), "request \(k)")
                let r = c.read(within: 20) { Self.answers($0).count == 1 && Self.complete($0) }
                #expect(!r.closed && RawConnection.status(r.bytes) == 200, "request \(k)")
            }
            // Then silence: the idle timeout closes it.
            #expect(c.read(within: 20).closed)
        }
    }

    // MARK: - Gateway endpoints

    static let chat = #"{"model":"gpt-4o","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}"#

    /// Gateway cases: what one connection sends, and how many answers it gets.
    static let gatewayCases: [Case] = [
        ("a chat", post("/v1/chat/completions", chat), 1),
        ("an embedding", post("/v1/embeddings", #"{"model":"text-embedding-3-small","input":"hello"}"#), 1),
        ("a stream", post("/v1/chat/completions", #"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}"#), 1),
        ("an unknown model", post("/v1/chat/completions", #"{"model":"nope","messages":[{"role":"user","content":"hi"}]}"#), 1),
        ("malformed JSON", post("/v1/chat/completions", #"{"model":"#), 1),
        ("an empty body", post("/v1/chat/completions", ""), 1),
        ("a chat in chunks", chunked("/v1/chat/completions", [#"{"model":"gpt-4o","#, #""messages":[{"role":"user","content":"hi"}]}"#]), 1),
        ("a chunked body over the limit", chunked("/v1/chat/completions", Array(repeating: String(repeating: " ", count: 1000), count: 3)), 1),
        ("a declared body over the limit", post("/v1/chat/completions", String(repeating: " ", count: 3000)), 1),
        ("no key", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(chat.utf8.count)\r\n\r\n\(chat)", 1),
        ("pipelined", post("/v1/chat/completions", chat) + post("/v1/route", route) + healthz + post("/v1/chat/completions", chat)
            + post("/v1/embeddings", #"{"model":"text-embedding-3-small","input":["a","b"]}"#) + post("/v1/route", route), 6),
    ]

    /// Runs every gateway case against a fresh gateway (mock upstreams, a 2 KB body limit, one
    /// virtual key) with the direct handler on or off.
    static func gatewayTranscript(direct: Bool) async throws -> Transcript {
        // SHA-256 of "vk-acme".
        let h = try await GatewayHarness.start(extraYAML: """
            max_body_bytes: 2048
            keys:
              - {sha256: f3d2b9a536f0cbedd51f3b95f6ac447f85efdbaf79862cf12793fd604613379c, tenant: acme}

            """) { $0.directRoutes = direct }
        // Every request but the keyless one carries the key. The sockets block, so they wait
        // off Swift's cooperative pool: the gateway's tasks run on it (on a 2-core machine,
        // two tests blocking its threads at once starved them, and the answers never came).
        let port = h.handle.port
        let transcript = try await blocking {
            try run(gatewayCases, port: port) { c in
                c.name == "no key" ? c.send
                    : c.send.replacingOccurrences(of: "Host: x\r\n", with: "Host: x\r\nAuthorization: Bearer vk-acme\r\n")
            }
        }
        _ = try await h.stopAndReadRows()
        return transcript
    }

    @Test func directGatewayAnswersEqualTheRoutersByteForByte() async throws {
        let direct = try await Self.gatewayTranscript(direct: true)
        let router = try await Self.gatewayTranscript(direct: false)
        let statuses = Self.expectAlike(direct, router, Self.gatewayCases)
        // Spot checks that the cases test what they say.
        #expect(statuses == [["200"], ["200"], ["200"], ["404"], ["400"], ["400"], ["200"], ["413"], ["413"], ["401"],
                             ["200", "200", "200", "200", "200", "200"]])
        #expect(direct.allSatisfy { !$0.closed })
        #expect(direct[2].answers[0].headers.contains("transfer-encoding: chunked"))
        #expect(direct[2].answers[0].body.hasSuffix("data: [DONE]\n\n"), "\(direct[2].answers[0].body)")
        let pipelined = direct[10].answers
        #expect(pipelined[0].body.contains("chat.completion") && pipelined[3].body.contains("chat.completion"))
        #expect(pipelined[1].body.contains("decision_id") && pipelined[5].body.contains("decision_id"))
        #expect(pipelined[4].body.contains("embedding"), "\(pipelined[4].body)")
    }
}
