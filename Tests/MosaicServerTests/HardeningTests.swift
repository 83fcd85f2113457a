import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MosaicCore
import NIOCore
@testable import MosaicServer
import MosaicTestSupport
import Synchronization
import Testing

/// Abusive clients on 127.0.0.1: slow-loris, half-open and idle connections, oversized heads
/// and bodies, deep or huge JSON, invalid UTF-8 and pipelined garbage. After each, the server
/// still answers `/healthz` and a well-formed `/v1/route`. Waits are bounds on a test that
/// would otherwise hang, never performance thresholds (the latency of well-formed clients
/// under abuse is measured by `scripts/serve-abuse`).
@Suite("serve: hardening", .serialized)
struct HardeningTests {
    static let route = #"{"tenant":"acme","model_family":"gpt-4o","prompt_tokens":800}"#

    /// The server still serves: `/healthz` and a route on a fresh connection both answer 200.
    static func expectServing(_ port: Int, _ comment: Comment? = nil) throws {
        let c = LoopbackHTTPClient(port: port)
        defer { c.close() }
        #expect(try c.get("/healthz").status == 200, comment)
        #expect(try c.post("/v1/route", json: route).status == 200, comment)
    }

    /// A port already taken is said in words, naming the address (NIO's error read
    /// `bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)`).
    @Test func aPortInUseIsNamed() async throws {
        let f = try Fixture()
        let handle = try await ServeApplication.start(service: try f.service(), logger: Fixture.logger)
        var o = f.options()
        o.port = handle.port
        let second = try RoutingService(options: o, logger: Fixture.logger)
        var described: String?
        do {
            try await ServeApplication.start(service: second, logger: Fixture.logger).stop()
        } catch {
            described = ServeApplication.describeStartFailure(error, host: o.host, port: o.port)
        }
        try await handle.stop()
        #expect(described == "\(o.host):\(o.port) is already in use (another server on that port?); choose another --port")
        #expect(ServeApplication.describeStartFailure(IOError(errnoCode: EADDRINUSE, reason: "bind"), host: "::1", port: 80)
                == "[::1]:80 is already in use (another server on that port?); choose another --port")
    }

    /// An empty `--host` is refused as an option, and one that is neither an address nor a
    /// name that resolves is said in words (it was NIO's `UnknownHost` value, after an error
    /// line about a shutdown timeout in a server that had no store and had not started).
    @Test func aHostThatIsNoAddressIsSaidInWords() throws {
        let f = try Fixture()
        let empty = try MosaicBinary.run(["serve", "--model", f.modelPath, "--port", "0", "--host", ""])
        #expect(empty.status != 0 && empty.stderr.contains("--host must not be empty"), "\(empty.stderr)")
        let bad = try MosaicBinary.run(["serve", "--model", f.modelPath, "--port", "0", "--host", "999.1.1.1", "--watch-interval", "0"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--host '999.1.1.1' is not an address of this machine nor a name that resolves"), "\(bad.stderr)")
        #expect(!bad.stderr.contains("shutdown timeout") && !bad.stderr.contains("UnknownHost"), "\(bad.stderr)")
    }

    @Test func slowLorisHeadsAndBodiesAreCutOff() async throws {
        try await withServer({ $0.requestTimeoutSeconds = 0.5 }) { port, service in
            // Ten clients trickle a head, ten a body, a byte every 100 ms: each would take minutes.
            var slow: [RawConnection] = []
            for k in 0..<20 {
                let c = try RawConnection(port: port)
                c.send(k < 10 ? "POST /v1/route HTTP/1.1\r\nHost: x\r\n"
                              : "POST /v1/route HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n{\"tenant\":")
                slow.append(c)
            }
            var open = slow.count
            let deadline = Date().addingTimeInterval(30)
            var closed = Set<Int>()
            while open > 0 && Date() < deadline {
                for (k, c) in slow.enumerated() where !closed.contains(k) {
                    if !c.send("x") || c.read(within: 0.005).closed {
                        closed.insert(k)
                        open -= 1
                    }
                }
                try Self.expectServing(port, "while slow clients trickle")
                Thread.sleep(forTimeInterval: 0.1)
            }
            #expect(open == 0, "every slow client is disconnected")
            #expect(service.metricsText().contains(#"endpoint="slow_client""#))
            try Self.expectServing(port)
        }
    }

    /// The deadline counts from each request's first byte: the guard keeps one timer per
    /// connection and re-arms it, so quick requests spanning several deadlines are served, and
    /// a slow one after them is still cut off.
    @Test func theReadDeadlineCountsFromEachRequest() async throws {
        try await withServer({ $0.requestTimeoutSeconds = 2 }) { port, _ in
            let c = try RawConnection(port: port)
            let body = Self.route
            let head = "POST /v1/route HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            let answered = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self).components(separatedBy: "\"dropped\"").count - 1 }
            // A quick request at 0 s arms the timer for 2 s; the next starts at 1.2 s and takes
            // 1.2 s to arrive, so it is being read when the timer fires, within its own deadline.
            #expect(c.send(head + body))
            #expect(answered(c.read(within: 20) { answered($0) == 1 }.bytes) == 1)
            Thread.sleep(forTimeInterval: 1.2)
            #expect(c.send(head + String(body.prefix(10))))
            Thread.sleep(forTimeInterval: 1.2)
            #expect(c.send(String(body.dropFirst(10))), "closed while within its deadline")
            let r = c.read(within: 20) { answered($0) == 1 }
            #expect(!r.closed && RawConnection.status(r.bytes) == 200)
            // Half a request, then nothing: closed after the deadline.
            c.send(head + "{")
            #expect(c.read(within: 20).closed)
        }
    }

    @Test func halfOpenAndSilentConnectionsAreClosed() async throws {
        try await withServer({ $0.idleTimeoutSeconds = 1; $0.requestTimeoutSeconds = 1 }) { port, _ in
            // Half a request, then the client's side closes: the server gives up on it.
            let half = try RawConnection(port: port)
            half.send("POST /v1/route HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            half.shutdownWrite()
            // Connected, never a byte: the idle timeout closes it.
            let silent = try RawConnection(port: port)
            try Self.expectServing(port, "with half-open connections")
            #expect(half.read(within: 20).closed)
            #expect(silent.read(within: 20).closed)
            try Self.expectServing(port)
        }
    }

    @Test func connectionLimitIsLoggedAndLaterClientsAreServed() async throws {
        let log = CapturedLog()
        var logger = Logger(label: "mosaic.serve.test") { _ in log }
        logger.logLevel = .info
        try await withServer({ $0.maxConnections = 8 }, logger: logger) { port, _ in
            var idle: [RawConnection] = []
            for _ in 0..<8 { idle.append(try RawConnection(port: port)) }
            let deadline = Date().addingTimeInterval(20)
            while !log.contains("connection limit reached") && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            #expect(log.contains("connection limit reached"))
            #expect(log.contains("max_connections=8"))
            // The ninth waits in the backlog: its request is not answered while the eight stay.
            let waiting = try RawConnection(port: port)
            waiting.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(RawConnection.status(waiting.read(within: 1, until: { RawConnection.status($0) != nil }).bytes) == nil)
            // Closing idle connections lets the waiting one in.
            for c in idle.prefix(4) { c.close() }
            let answer = waiting.read(within: 20, until: { RawConnection.status($0) != nil })
            #expect(RawConnection.status(answer.bytes) == 200)
            waiting.close()
            try Self.expectServing(port)
            #expect(log.contains("accepting connections again"))
        }
    }

    @Test func oversizedHeadsAndBodiesAreRefused() async throws {
        try await withServer({ $0.maxHeaderBytes = 4096 }) { port, _ in
            // A 64 KiB header: refused, the connection closed.
            let big = try RawConnection(port: port)
            big.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 65_536) + "\r\n\r\n")
            let r1 = big.read(within: 20)
            #expect(r1.closed || RawConnection.status(r1.bytes).map { $0 >= 400 } == true)
            // Too many header fields.
            let many = try RawConnection(port: port)
            many.send("GET /healthz HTTP/1.1\r\nHost: x\r\n" + (0..<500).map { "X-\($0): 1\r\n" }.joined() + "\r\n")
            let r2 = many.read(within: 20)
            #expect(r2.closed || RawConnection.status(r2.bytes).map { $0 >= 400 } == true)
            // A declared body over the limit (4096 in the fixture): 413 before it is sent.
            let declared = try RawConnection(port: port)
            declared.send("POST /v1/route HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
            #expect(RawConnection.status(declared.read(within: 20, until: { RawConnection.status($0) != nil }).bytes) == 413)
            // A chunked body that grows past the limit: 413.
            let chunked = try RawConnection(port: port)
            chunked.send("POST /v1/route HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in 0..<8 { chunked.send("400\r\n" + String(repeating: " ", count: 1024) + "\r\n") }
            #expect(RawConnection.status(chunked.read(within: 20, until: { RawConnection.status($0) != nil }).bytes) == 413)
            try Self.expectServing(port)
        }
    }

    @Test func deepHugeAndInvalidJSONAreBadRequests() async throws {
        try await withServer { port, _ in
            let c = LoopbackHTTPClient(port: port)
            defer { c.close() }
            let bodies: [(String, [UInt8], Int)] = [
                ("deep arrays", Array(String(repeating: "[", count: 4000).utf8), 400),
                ("deep objects", Array((#"{"tenant":"acme","x":"# + String(repeating: #"{"a":"#, count: 800)).utf8), 400),
                ("huge", Array((#"{"tenant":""# + String(repeating: "a", count: 100_000) + #""}"#).utf8), 413),
                ("invalid UTF-8 in a string", Array(#"{"tenant":""#.utf8) + [0xff, 0xfe, 0xc3] + Array(#""}"#.utf8), 400),
                ("invalid UTF-8 outside strings", [0x7b, 0xc0, 0xaf, 0x7d], 400),
                ("NUL bytes", [UInt8](repeating: 0, count: 512), 400),
            ]
            for (name, body, status) in bodies {
                let r = try c.request("POST", "/v1/route", body: body, headers: [("Content-Type", "application/json")])
                #expect(r.status == status, "\(name): \(r.text.prefix(200))")
                if status == 400 { #expect(try object(r.body)["error"] is String, "\(name)") }
            }
            // Invalid UTF-8 in a header value and in the path.
            let raw = try RawConnection(port: port)
            raw.send([UInt8]("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: ".utf8) + [0xff, 0xc3, 0x28] + Array("\r\n\r\n".utf8))
            let r1 = raw.read(within: 20, until: { RawConnection.status($0) != nil })
            #expect(r1.closed || RawConnection.status(r1.bytes) != nil)
            let path = try RawConnection(port: port)
            path.send([UInt8]("GET /healthz".utf8) + [0xff, 0xfe] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            let r2 = path.read(within: 20, until: { RawConnection.status($0) != nil })
            #expect(r2.closed || RawConnection.status(r2.bytes) != nil)
            try Self.expectServing(port)
        }
    }

    @Test func pipelinedGarbageEndsOnlyItsConnection() async throws {
        try await withServer { port, _ in
            let c = try RawConnection(port: port)
            c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                   + "\u{1}\u{2}GARBAGE \u{7f}\r\n\r\n\r\nPOST / HTTP/9.9\r\n\r\n")
            let r = c.read(within: 20)
            let text = String(decoding: r.bytes, as: UTF8.self)
            // Both well-formed requests are answered, then the garbage ends the connection.
            #expect(text.components(separatedBy: "HTTP/1.1 200").count - 1 == 2, "\(text.prefix(400))")
            #expect(r.closed)
            // Random bytes on fresh connections.
            var g = SeededRandom(seed: 17)
            for _ in 0..<50 {
                let junk = try RawConnection(port: port)
                junk.send((0..<512).map { _ in UInt8.random(in: 0...255, using: &g) })
                _ = junk.read(within: 5)
            }
            try Self.expectServing(port)
        }
    }

    @Test func tenThousandIdleConnections() async throws {
        // The server runs as the `mosaic serve` binary, so the clients' descriptors and the
        // server's count against two open-file limits, not one.
        let files = ConnectionLimit.raiseOpenFileLimit()
        let count = min(10_000, files - 512)
        let f = try Fixture()
        let process = try MosaicBinary.start(
            ["serve", "--model", f.modelPath, "--policy", f.policyPath, "--port", "0", "--watch-interval", "0",
             "--idle-timeout", "600"], environment: ["MOSAIC_LOG_LEVEL": "warning"])
        defer { if process.isRunning { process.terminate() }; _ = ChildProcess.wait(process) }
        let port = try MosaicBinary.servePort(of: process, until: Date().addingTimeInterval(30))
        try await blocking {
            var idle: [RawConnection] = []
            idle.reserveCapacity(count)
            for _ in 0..<count { idle.append(try RawConnection(port: port)) }
            let c = LoopbackHTTPClient(port: port)
            for _ in 0..<20 { #expect(try c.post("/v1/route", json: Self.route).status == 200) }
            #expect(try c.get("/healthz").status == 200)
            c.close()
            // The idle ones are all still open (none was refused or dropped).
            var alive = 0
            for conn in idle where !conn.read(within: 0.001).closed { alive += 1 }
            #expect(alive == count)
            for conn in idle { conn.close() }
        }
        #expect(count >= 9_000, "the open-file limit (\(files)) allows only \(count) idle connections")
    }
}

/// A log handler that keeps every message with its metadata, for checks on log lines.
final class CapturedLog: LogHandler, @unchecked Sendable {
    let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.withLock { $0.append("\(event.level) \(event.message) \(fields)") }
    }

    func contains(_ text: String) -> Bool { lines.withLock { $0.contains { $0.contains(text) } } }
}
