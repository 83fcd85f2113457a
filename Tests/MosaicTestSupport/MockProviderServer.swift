import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fake of the providers' usage and billing APIs on `127.0.0.1`, for tests of ingest clients.
///
/// One background thread accepts and serves connections over plain POSIX sockets (HTTP/1.1,
/// keep-alive, `Connection: close` honoured, `Content-Length` responses, one `send` per
/// response). Un-faulted requests are answered by ``pages`` (a ``MockProviderPages``); queued
/// faults (``inject(_:forPathPrefix:times:)``) replace the answer to the next matching requests.
///
/// Routes (all `GET`):
/// - `/v1/organization/usage/completions` and `/v1/organization/costs` (OpenAI),
/// - `/v1/organizations/usage_report/messages` and `/v1/organizations/cost_report` (Anthropic),
/// - `/organizations/{org}/settings/billing/usage` (GitHub), whose every answer, faults
///   included, carries `x-ratelimit-limit: 5000`, `x-ratelimit-remaining`, `x-ratelimit-used`,
///   `x-ratelimit-reset` and `x-ratelimit-resource`.
///
/// Every answer has `x-request-id`. Many servers can run in one process; ``stop()`` (also
/// called on deinit) closes every socket it opened and joins the thread.
///
/// ```swift
/// let server = try MockProviderServer(pages: MockProviderPages(start: day, days: 10))
/// defer { server.stop() }
/// server.inject(.status(429, headers: ["Retry-After": "1"]), forPathPrefix: "/v1/organization/costs")
/// // GET \(server.baseURL)/v1/organization/costs?start_time=… → 429, then pages as usual
/// ```
public final class MockProviderServer: @unchecked Sendable {
    /// What to do instead of answering normally.
    public enum Fault: Sendable {
        /// Answer with this status. Header names are sent as given and replace default headers
        /// of the same name (case-insensitive). An empty `body` becomes the provider's error JSON
        /// for the route. On a GitHub route, 403 and 429 also get `x-ratelimit-remaining: 0` and
        /// `x-ratelimit-reset` = now + 1 s unless `headers` sets them.
        case status(Int, headers: [String: String] = [:], body: String = "")
        /// Wait this long (other connections are still served), then answer normally from the
        /// pages current at that moment. Use it to exceed a client's timeout.
        case delay(seconds: Double)
        /// Close the connection without answering, with `SO_LINGER` 0 so the client sees a reset.
        case resetConnection
        /// Send the normal answer's headers, with its full `Content-Length`, and only the first
        /// half of its body, then close the connection.
        case truncatedBody
        /// Answer 200 with `Content-Type: application/json` and a body that is not JSON (an
        /// HTML error page, as a misbehaving proxy sends).
        case invalidJSON
    }

    /// A request as the server received it.
    public struct RecordedRequest: Sendable {
        /// `GET`, `POST`, …
        public let method: String
        /// The path without the query, e.g. `/v1/organization/costs`.
        public let path: String
        /// The query items in order, percent-decoded (`+` read as a space); repeated names repeat.
        public let queryItems: [(name: String, value: String)]
        /// Header names lower-cased; a repeated header's values joined with `, `.
        public let headers: [String: String]

        /// The values of every query item called `name`, in order.
        public func queryValues(_ name: String) -> [String] {
            queryItems.filter { $0.name == name }.map(\.value)
        }

        /// The first value of the query item called `name`.
        public func queryValue(_ name: String) -> String? {
            queryItems.first { $0.name == name }?.value
        }
    }

    /// Why the server could not start listening.
    public struct StartError: Error, CustomStringConvertible {
        /// The system call that failed, e.g. `bind(127.0.0.1:0)`.
        public let call: String
        public let code: Int32
        public var description: String {
            "MockProviderServer: \(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }

    private let engine: Engine

    /// The port the server listens on (chosen by the system).
    public let port: Int

    /// `http://127.0.0.1:PORT`.
    public let baseURL: URL

    /// Starts listening on 127.0.0.1 at a free port, and serving at once.
    ///
    /// - Parameter pages: the data un-faulted requests are answered from.
    /// - Throws: ``StartError`` when a socket call fails.
    public init(pages: MockProviderPages) throws {
        let engine = try Engine(pages: pages)
        self.engine = engine
        port = Int(engine.port)
        baseURL = URL(string: "http://127.0.0.1:\(engine.port)")!
        let thread = Thread { engine.run() }
        thread.name = "MockProviderServer:\(engine.port)"
        thread.start()
    }

    deinit { engine.stop() }

    /// Stops serving: shuts down and closes the listening socket and every open connection,
    /// and waits for the server thread to finish. Idempotent; also done on deinit.
    public func stop() { engine.stop() }

    /// Queues a fault for the next `times` requests whose path starts with `pathPrefix`
    /// (nil: any request). Faults are consumed in the order they were queued; a request
    /// consumes at most one.
    public func inject(_ fault: Fault, forPathPrefix pathPrefix: String? = nil, times: Int = 1) {
        precondition(times >= 1, "times must be at least 1, got \(times)")
        engine.shared.withLock { $0.faults.append(QueuedFault(fault: fault, prefix: pathPrefix, remaining: times)) }
    }

    /// How many queued faults are still to be consumed (each `times` counted).
    public var pendingFaultCount: Int {
        engine.shared.withLock { $0.faults.reduce(0) { $0 + $1.remaining } }
    }

    /// Every request received so far, in arrival order (a snapshot).
    public var requests: [RecordedRequest] { engine.shared.withLock { $0.requests } }

    /// The number of requests received so far.
    public var requestCount: Int { engine.shared.withLock { $0.requests.count } }

    /// The data un-faulted requests are answered from. Setting it swaps the data atomically:
    /// requests parsed afterwards (and delayed requests answered afterwards) see the new value.
    /// With ``MockProviderPages/revise(dayContaining:)`` this makes a page change between retries.
    public var pages: MockProviderPages {
        get { engine.shared.withLock { $0.pages } }
        set { engine.shared.withLock { $0.pages = newValue } }
    }

    /// `baseURL` + `path` with `query` percent-encoded in order (`+` encoded too, so RFC 3339
    /// offsets survive).
    public func url(_ path: String, _ query: [(String, String)] = []) -> URL {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "+&=#")
        let q = query.map { name, value in
            name.addingPercentEncoding(withAllowedCharacters: allowed)! + "=" + value.addingPercentEncoding(withAllowedCharacters: allowed)!
        }.joined(separator: "&")
        return URL(string: baseURL.absoluteString + path + (q.isEmpty ? "" : "?" + q))!
    }
}

// MARK: - Engine

private struct QueuedFault {
    let fault: MockProviderServer.Fault
    let prefix: String?
    var remaining: Int
}

/// State shared between the server thread and the test's threads, behind one lock.
private struct SharedState {
    var pages: MockProviderPages
    var faults: [QueuedFault] = []
    var requests: [MockProviderServer.RecordedRequest] = []
    var gitHubRequests = 0
    /// Open connection sockets, so that ``Engine/stop()`` can shut them down.
    var connections: Set<Int32> = []
    var stopping = false

    mutating func takeFault(for path: String) -> MockProviderServer.Fault? {
        guard let i = faults.firstIndex(where: { $0.prefix.map(path.hasPrefix) ?? true }) else { return nil }
        let fault = faults[i].fault
        faults[i].remaining -= 1
        if faults[i].remaining == 0 { faults.remove(at: i) }
        return fault
    }
}

/// A parsed request with what answering it needs.
private struct ParsedRequest {
    var recorded: MockProviderServer.RecordedRequest
    var keepAlive: Bool
    var method: String { recorded.method }
    var path: String { recorded.path }
}

/// A client connection, touched only by the server thread.
private final class Connection {
    let fd: Int32
    var input: [UInt8] = []
    var open = true
    /// A request answered late by a `.delay` fault: when, and the numbers its headers carry.
    var pending: (deadline: UInt64, request: ParsedRequest, gitHubUsed: Int, number: Int)?

    init(fd: Int32) { self.fd = fd }
}

#if canImport(Glibc)
private let streamSocket = Int32(SOCK_STREAM.rawValue)
private let sendFlags = Int32(MSG_NOSIGNAL)
#else
private let streamSocket = SOCK_STREAM
private let sendFlags: Int32 = 0
#endif

private let maxHeaderBytes = 64 << 10
private let maxBodyBytes = 1 << 20

private final class Engine: @unchecked Sendable {
    let shared: Mutex<SharedState>
    let listenFD: Int32
    let port: UInt16
    /// GitHub's `x-ratelimit-reset`: an hour after the server started, Unix seconds.
    let rateLimitReset: Int64
    private let finished = DispatchSemaphore(value: 0)
    private let stopLock = NSLock()
    private var stopped = false  // guarded by stopLock

    init(pages: MockProviderPages) throws {
        let fd = socket(AF_INET, streamSocket, 0)
        guard fd >= 0 else { throw MockProviderServer.StartError(call: "socket", code: errno) }
        func fail(_ call: String) -> MockProviderServer.StartError {
            let e = MockProviderServer.StartError(call: call, code: errno)
            _ = posixClose(fd)
            return e
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var one: Int32 = 1
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw fail("setsockopt(SO_REUSEADDR)")
        }
        var addr = sockaddr_in()
        #if canImport(Darwin)
        addr.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)  // 127.0.0.1 only
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw fail("bind(127.0.0.1:0)") }
        guard listen(fd, 128) == 0 else { throw fail("listen") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { throw fail("getsockname") }
        // Non-blocking, so a spurious wake-up never blocks the loop in accept().
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        listenFD = fd
        port = UInt16(bigEndian: addr.sin_port)
        rateLimitReset = Int64(Date().timeIntervalSince1970) + 3600
        shared = Mutex(SharedState(pages: pages))
    }

    /// Idempotent: the first call shuts everything down and joins; later calls return at once.
    func stop() {
        stopLock.lock()
        defer { stopLock.unlock() }
        guard !stopped else { return }
        stopped = true
        shared.withLock { s in
            s.stopping = true
            // Unblocks a send() stuck on a client that stopped reading.
            for fd in s.connections { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
        // Wakes the thread's poll() on the listening socket (accept then fails with EINVAL).
        _ = shutdown(listenFD, Int32(SHUT_RDWR))
        finished.wait()
        // Closed only after the thread is gone, so its number cannot be reused under it.
        _ = posixClose(listenFD)
    }

    private var isStopping: Bool { shared.withLock { $0.stopping } }

    // MARK: The loop

    func run() {
        var connections: [Connection] = []
        var fds: [pollfd] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        loop: while !isStopping {
            // Delayed answers that are due.
            let now = DispatchTime.now().uptimeNanoseconds
            for c in connections where c.open {
                if let p = c.pending, p.deadline <= now {
                    c.pending = nil
                    if answer(p.request, on: c, gitHubUsed: p.gitHubUsed, number: p.number) { serveBuffered(c) }
                }
            }
            connections.removeAll { !$0.open }

            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0))
            // The timeout bounds the wait for a delayed answer; 250 ms is a safety net only.
            var timeout: Int32 = 250
            for c in connections {
                fds.append(pollfd(fd: c.fd, events: c.pending == nil ? Int16(POLLIN) : 0, revents: 0))
                if let p = c.pending {
                    let ms = p.deadline > now ? (p.deadline - now + 999_999) / 1_000_000 : 0
                    timeout = min(timeout, Int32(ms))
                }
            }
            let n = poll(&fds, nfds_t(fds.count), timeout)
            if n < 0 {
                if errno == EINTR { continue }
                break
            }
            if isStopping { break }

            for (i, c) in connections.enumerated() {
                let events = fds[i + 1].revents
                guard events != 0, c.open else { continue }
                if c.pending != nil {
                    if events & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { closeConnection(c) }
                    continue
                }
                let got = recv(c.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if got == 0 { closeConnection(c); continue }
                if got < 0 {
                    if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { closeConnection(c) }
                    continue
                }
                c.input.append(contentsOf: buffer[0..<got])
                serveBuffered(c)
            }

            let listenEvents = fds[0].revents
            if listenEvents & Int16(POLLIN) != 0 { acceptAll(into: &connections) }
            if listenEvents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { break loop }
            connections.removeAll { !$0.open }
        }
        for c in connections { closeConnection(c) }
        finished.signal()
    }

    private func acceptAll(into connections: inout [Connection]) {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return  // EAGAIN: no more; EINVAL: shut down
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            #if canImport(Darwin)
            _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            // A client that stops reading cannot hold the thread for long.
            var tv = timeval(tv_sec: 30, tv_usec: 0)
            _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            let keep = shared.withLock { s -> Bool in
                if s.stopping { return false }
                s.connections.insert(fd)
                return true
            }
            guard keep else { _ = posixClose(fd); return }
            connections.append(Connection(fd: fd))
        }
    }

    private func closeConnection(_ c: Connection, reset: Bool = false) {
        guard c.open else { return }
        c.open = false
        c.pending = nil
        if reset {
            var l = linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        }
        // Removed under the lock before closing, so stop() never shuts down a reused number.
        shared.withLock { _ = $0.connections.remove(c.fd) }
        _ = posixClose(c.fd)
    }

    // MARK: Requests

    /// Answers every complete request buffered on `c`, until one is delayed or the connection
    /// closes.
    private func serveBuffered(_ c: Connection) {
        while c.open && c.pending == nil {
            switch parseRequest(c.input) {
            case .incomplete:
                return
            case .malformed(let why):
                let body = MockProviderPages.errorBody(for: .other, status: 400, message: why)
                _ = send(c, status: 400, headers: [], body: body[...], contentLength: body.count, keepAlive: false)
            case .request(let request, let consumed):
                c.input.removeFirst(consumed)
                handle(request, on: c)
            }
        }
    }

    private func handle(_ request: ParsedRequest, on c: Connection) {
        let provider = MockProvider(path: request.path)
        let (fault, gitHubUsed, number) = shared.withLock { s in
            s.requests.append(request.recorded)
            if provider == .gitHub { s.gitHubRequests += 1 }
            return (s.takeFault(for: request.path), s.gitHubRequests, s.requests.count)
        }
        switch fault {
        case nil:
            _ = answer(request, on: c, gitHubUsed: gitHubUsed, number: number)
        case .delay(let seconds)?:
            let wait = UInt64(max(0, seconds) * 1e9)
            c.pending = (DispatchTime.now().uptimeNanoseconds + wait, request, gitHubUsed, number)
        case .status(let status, let extra, let text)?:
            var headers = baseHeaders(provider: provider, gitHubUsed: gitHubUsed, number: number)
            if provider == .gitHub && (status == 403 || status == 429) {
                set(&headers, "x-ratelimit-remaining", "0")
                set(&headers, "x-ratelimit-reset", String(Int64(Date().timeIntervalSince1970) + 1))
            }
            for (name, value) in extra.sorted(by: { $0.key < $1.key }) { set(&headers, name, value) }
            let body = text.isEmpty
                ? MockProviderPages.errorBody(for: provider, status: status, message: Self.faultMessage(provider, status))
                : Array(text.utf8)
            _ = send(c, status: status, headers: headers, body: body[...], contentLength: body.count, keepAlive: request.keepAlive)
        case .resetConnection?:
            closeConnection(c, reset: true)
        case .truncatedBody?:
            let page = shared.withLock { $0.pages }.respond(method: request.method, path: request.path, query: request.recorded.queryItems)
            let headers = baseHeaders(provider: provider, gitHubUsed: gitHubUsed, number: number)
            _ = send(c, status: page.status, headers: headers, body: page.body[..<(page.body.count / 2)],
                     contentLength: page.body.count, keepAlive: false)
        case .invalidJSON?:
            let body = Array("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>\n".utf8)
            let headers = baseHeaders(provider: provider, gitHubUsed: gitHubUsed, number: number)
            _ = send(c, status: 200, headers: headers, body: body[...], contentLength: body.count, keepAlive: request.keepAlive)
        }
    }

    /// The normal answer from the current pages; false when the connection is now closed.
    private func answer(_ request: ParsedRequest, on c: Connection, gitHubUsed: Int, number: Int) -> Bool {
        let pages = shared.withLock { $0.pages }
        let page = pages.respond(method: request.method, path: request.path, query: request.recorded.queryItems)
        let headers = baseHeaders(provider: MockProvider(path: request.path), gitHubUsed: gitHubUsed, number: number)
        return send(c, status: page.status, headers: headers, body: page.body[...], contentLength: page.body.count,
                    keepAlive: request.keepAlive)
    }

    private static func faultMessage(_ provider: MockProvider, _ status: Int) -> String {
        if provider == .gitHub && (status == 403 || status == 429) {
            return "API rate limit exceeded for organization."
        }
        return "mock fault: HTTP \(status) \(reasonPhrase(status))"
    }

    private func baseHeaders(provider: MockProvider, gitHubUsed: Int, number: Int) -> [(String, String)] {
        var h: [(String, String)] = [("x-request-id", "req_mock_\(port)_\(number)")]
        if provider == .gitHub {
            h.append(("x-ratelimit-limit", "5000"))
            h.append(("x-ratelimit-remaining", String(max(0, 5000 - gitHubUsed))))
            h.append(("x-ratelimit-used", String(min(5000, gitHubUsed))))
            h.append(("x-ratelimit-reset", String(rateLimitReset)))
            h.append(("x-ratelimit-resource", "core"))
        }
        return h
    }

    private func set(_ headers: inout [(String, String)], _ name: String, _ value: String) {
        headers.removeAll { $0.0.lowercased() == name.lowercased() }
        headers.append((name, value))
    }

    /// Writes the status line, headers and `body` with one `send` (looping only on partial
    /// writes). `contentLength` may exceed `body.count` (truncated bodies). Returns false when
    /// the connection is closed afterwards.
    private func send(_ c: Connection, status: Int, headers: [(String, String)], body: ArraySlice<UInt8>,
                      contentLength: Int, keepAlive: Bool) -> Bool {
        var head = "HTTP/1.1 \(status) \(Self.reasonPhrase(status))\r\n"
        var contentType = "application/json"
        var extra = ""
        for (name, value) in headers {
            if name.lowercased() == "content-type" { contentType = value } else { extra += "\(name): \(value)\r\n" }
        }
        head += "Content-Type: \(contentType)\r\nContent-Length: \(contentLength)\r\n"
        head += "Connection: \(keepAlive ? "keep-alive" : "close")\r\n" + extra + "\r\n"
        var out: [UInt8] = []
        out.reserveCapacity(head.utf8.count + body.count)
        out.append(contentsOf: head.utf8)
        out.append(contentsOf: body)
        let sent = out.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = posixSend(c.fd, raw.baseAddress! + offset, raw.count - offset, sendFlags)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        if !sent || !keepAlive {
            closeConnection(c)
            return false
        }
        return true
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 413: return "Payload Too Large"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 529: return "Overloaded"
        default: return "Status \(status)"
        }
    }

    // MARK: Parsing

    private enum Parsed {
        case incomplete
        case malformed(String)
        case request(ParsedRequest, consumed: Int)
    }

    private func parseRequest(_ input: [UInt8]) -> Parsed {
        guard let headerEnd = Self.headerEnd(input) else {
            return input.count > maxHeaderBytes ? .malformed("request headers exceed \(maxHeaderBytes) bytes") : .incomplete
        }
        let lines = String(decoding: input[0..<headerEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ", omittingEmptySubsequences: true)
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else {
            return .malformed("malformed request line '\(lines[0])'")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return .malformed("malformed header line '\(line)'") }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        if headers["transfer-encoding"] != nil { return .malformed("chunked request bodies are not supported") }
        let bodyLength = headers["content-length"].map { Int($0) ?? -1 } ?? 0
        guard bodyLength >= 0, bodyLength <= maxBodyBytes else { return .malformed("bad Content-Length") }
        let consumed = headerEnd + 4 + bodyLength
        guard input.count >= consumed else { return .incomplete }

        let target = String(requestLine[1])
        let path: String, queryText: Substring
        if let q = target.firstIndex(of: "?") {
            path = String(target[..<q]); queryText = target[target.index(after: q)...]
        } else {
            path = target; queryText = ""
        }
        let query: [(name: String, value: String)] = queryText.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : "")
        }
        let connection = headers["connection"]?.lowercased() ?? ""
        let keepAlive = requestLine[2] == "HTTP/1.0" ? connection.contains("keep-alive") : !connection.contains("close")
        let recorded = MockProviderServer.RecordedRequest(method: String(requestLine[0]), path: path,
                                                          queryItems: query, headers: headers)
        return .request(ParsedRequest(recorded: recorded, keepAlive: keepAlive), consumed: consumed)
    }

    private static func headerEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Form-style percent-decoding: `+` is a space; invalid escapes are kept as written.
    private static func decode(_ s: Substring) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

// Unambiguous names for the C calls that `Engine` methods would otherwise shadow.
@inline(__always) private func posixClose(_ fd: Int32) -> Int32 {
    close(fd)
}

@inline(__always) private func posixSend(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int, _ flags: Int32) -> Int {
    send(fd, p, n, flags)
}
