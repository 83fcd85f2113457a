import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Hummingbird's HTTP/1 channel with ``DirectRouteHandler`` in its pipeline: `POST /v1/route`
/// (and `POST /bench/echo` when enabled) are answered on the event loop by a channel handler,
/// the gateway's `POST /v1/chat/completions` and `POST /v1/embeddings` are started from it (see
/// ``DirectRouteHandler/answerGateway(_:_:_:_:)``), everything else goes to the Hummingbird
/// router as before.
///
/// Why: a route decision costs about 7 µs, but through Hummingbird's responder each request also
/// crosses from the channel into the connection's task and back (`NIOAsyncChannel`), which under
/// an open-loop load cost several times the decision in CPU, task switches and wake-ups. The
/// direct handler answers where the request is decoded, with the same bytes, headers, metrics and
/// errors as the router's handler (`DirectRoutesTests` compares the two paths).
///
/// The handler sits after Hummingbird's `HTTPConnectionStateHandler`, so the idle timeout,
/// graceful shutdown (quiesce) and the count of requests in progress see every request,
/// direct or not; the slow-client guard sits before it as before.
struct DirectHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let inner: HTTP1Channel
    let makeHandler: @Sendable () -> DirectRouteHandler

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            // Runs on the channel's event loop right after Hummingbird's set-up, before the
            // first read: the pipeline is complete and no request has been seen yet.
            let pipeline = channel.pipeline.syncOperations
            let state = try pipeline.handler(type: HTTPConnectionStateHandler.self)
            try pipeline.addHandler(makeHandler(), position: .after(state))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Answers the hot endpoints on the event loop (see ``DirectHTTP1Channel``) and passes every
/// other request on to Hummingbird untouched.
///
/// Order is kept on a keep-alive connection: while a request passed on to Hummingbird has not
/// been answered, later requests are passed on too, and while a gateway answer is being written
/// they wait (a pipelining client gets its answers in order). Requests that ask for the
/// connection to close, and routes that announce a body over the limit, go to Hummingbird,
/// which already handles them; a gateway request announcing one is refused with 413 after its
/// key is checked, as the router's handler does.
final class DirectRouteHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    enum Endpoint: Equatable {
        case route, echo
        /// `POST /v1/chat/completions` or `POST /v1/embeddings` with `--gateway`: answered by a
        /// task of its own (the upstream call is asynchronous), written back through this handler.
        case gateway(GatewayCall.Endpoint)

        var label: String {
            switch self {
            case .route: return "route"
            case .echo: return "echo"
            case .gateway(let e): return e.rawValue
            }
        }
    }

    /// How far the answer a gateway task writes has gone.
    struct GatewayAnswer {
        var headWritten = false
        /// No `Content-Length`: flushed part by part.
        var streaming = false
        var ended = false
    }

    /// What a gateway request brought in its head, kept until its body has arrived.
    struct GatewayStart {
        let gateway: Gateway
        let loaded: Gateway.Loaded
        let headers: HTTPFields
        let key: GatewayFile.VirtualKey?
        let arrived: UInt64
    }

    enum State {
        /// Between requests, or passing the current request's parts on.
        case idle
        case passing
        /// Reading a direct request's body.
        case reading(Endpoint, ByteBuffer?)
        /// A direct request's body went over the limit: answered 413, the rest is dropped.
        case discarding
    }

    let service: RoutingService
    let echo: Bool
    let limit: Int
    var state = State.idle
    /// Requests passed on whose answers have not been written through this handler yet.
    var passedOn = 0
    var needsFlush = false
    /// A read was asked for while the channel could not take more writes, or while a gateway
    /// answer was being written.
    var readHeld = false
    /// The gateway request whose body is being read.
    var gatewayStart: GatewayStart?
    /// The gateway answer a task is writing; nil when none is. While there is one, later
    /// requests wait in `queued` (parts already decoded) or unread in the socket, so that answers
    /// keep their order.
    var gatewayAnswer: GatewayAnswer?
    var gatewayInFlight: Bool { gatewayAnswer != nil }
    var queued: [NIOAny] = []

    init(service: RoutingService) {
        self.service = service
        self.echo = service.options.echoEndpoint
        self.limit = service.options.maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if gatewayInFlight || !queued.isEmpty {
            // A later request (pipelined, already decoded) waits for the gateway's answer.
            queued.append(data)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if passedOn == 0, let endpoint = direct(head) {
                state = .reading(endpoint, nil)
                if case .gateway(let e) = endpoint { startGateway(context, e, head) }
            } else {
                passedOn += 1
                state = .passing
                context.fireChannelRead(data)
            }
        case .body(let chunk):
            switch state {
            case .reading(let endpoint, var body):
                state = .idle   // drop the reference while appending: no copy of the buffer
                if body == nil { body = chunk } else { body!.writeImmutableBuffer(chunk) }
                let max = gatewayStart?.loaded.file.maxBodyBytes ?? limit
                if body!.readableBytes > max {
                    // As the router's handler does: answer now, drop the rest as it arrives.
                    state = .discarding
                    if case .gateway(let e) = endpoint {
                        gatewayStart = nil
                        writeGatewayError(context, e, OpenAIError(APIError.bodyOverLimit(max)))
                    } else {
                        write(context, endpoint, .failure(.bodyOverLimit(limit)))
                    }
                } else {
                    state = .reading(endpoint, body)
                }
            case .discarding:
                break
            default:
                context.fireChannelRead(data)
            }
        case .end:
            switch state {
            case .reading(.gateway(let e), let body):
                state = .idle
                if let start = gatewayStart {
                    gatewayStart = nil
                    if let body, body.readableBytes > 0 {
                        answerGateway(context, e, start, body)
                    } else {
                        writeGatewayError(context, e, OpenAIError(APIError.emptyBody))   // as `readBody` says it
                    }
                }
            case .reading(let endpoint, let body):
                state = .idle
                write(context, endpoint, answer(endpoint, body))
            case .discarding:
                state = .idle
            default:
                state = .idle
                context.fireChannelRead(data)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    /// Back-pressure, as the router's path has it (its writer waits for the channel): while the
    /// answers written are not drained by the client, no more requests are read, so a client that
    /// pipelines without reading cannot grow the server's buffers without bound.
    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable && !gatewayInFlight {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if readHeld && context.channel.isWritable && !gatewayInFlight {
            readHeld = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), passedOn > 0 { passedOn -= 1 }
        context.write(data, promise: promise)
    }

    /// The endpoint this request goes to directly, or nil to pass it on.
    func direct(_ head: HTTPRequest) -> Endpoint? {
        guard head.method == .post, let path = head.path else { return nil }
        let endpoint: Endpoint
        if path == "/v1/route" {
            endpoint = .route
        } else if echo && path == "/bench/echo" {
            endpoint = .echo
        } else if service.gateway != nil && path == "/v1/chat/completions" {
            endpoint = .gateway(.chat)
        } else if service.gateway != nil && path == "/v1/embeddings" {
            endpoint = .gateway(.embeddings)
        } else {
            return nil
        }
        if head.headerFields[.connection] != nil { return nil }
        // A gateway request's limit is checked after its key (`startGateway`), as the router's handler does.
        if endpoint == .route || endpoint == .echo, let length = head.headerFields[.contentLength], let n = Int(length), n > limit {
            return nil
        }
        return endpoint
    }

    /// The answer to a direct request whose body has arrived whole.
    func answer(_ endpoint: Endpoint, _ body: ByteBuffer?) -> Result<ByteBuffer, APIError> {
        guard let body, body.readableBytes > 0 else { return .failure(.emptyBody) }
        switch endpoint {
        case .route:
            return body.withUnsafeReadableBytes { bytes in
                Result { () throws(APIError) in try service.route(body: bytes) }
            }
        case .echo:
            return .success(body)
        case .gateway:
            preconditionFailure("gateway requests are answered by answerGateway")
        }
    }

    /// Writes the answer (flushed at the end of the read burst), with the headers the router's
    /// handler gives; an error is counted as the router's handler counts it.
    func write(_ context: ChannelHandlerContext, _ endpoint: Endpoint, _ result: Result<ByteBuffer, APIError>) {
        let status: HTTPResponse.Status
        let out: ByteBuffer
        switch result {
        case .success(let b):
            (status, out) = (.ok, b)
        case .failure(let error):
            service.metrics.error(endpoint: endpoint.label, status: Int(error.status.code))
            (status, out) = (error.status, error.body)
        }
        var fields = HTTPFields()
        fields.reserveCapacity(3)
        fields[.contentType] = "application/json"
        writeWhole(context, HTTPResponse(status: status, headerFields: fields), out)
    }

    /// Writes a whole answer with its `Content-Length` and `Date` (flushed at the end of the read
    /// burst).
    func writeWhole(_ context: ChannelHandlerContext, _ head: HTTPResponse, _ body: ByteBuffer) {
        var head = head
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.date] = HTTPDate.now()
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        needsFlush = true
    }
}

// MARK: - Gateway requests

extension DirectRouteHandler {
    /// A gateway request's head: the key is checked before the body is read, as the router's
    /// handler does.
    func startGateway(_ context: ChannelHandlerContext, _ endpoint: GatewayCall.Endpoint, _ head: HTTPRequest) {
        guard let gateway = service.gateway else { return }
        let arrived = DispatchTime.now().uptimeNanoseconds
        let loaded = gateway.loaded
        do throws(OpenAIError) {
            let key = try RoutingService.virtualKey(head.headerFields, loaded.file)
            let max = loaded.file.maxBodyBytes
            if let length = head.headerFields[.contentLength], let n = Int(length), n > max {
                throw OpenAIError(APIError.declaredBodyOverLimit(n, max))
            }
            gatewayStart = GatewayStart(gateway: gateway, loaded: loaded, headers: head.headerFields, key: key, arrived: arrived)
        } catch {
            state = .discarding
            writeGatewayError(context, endpoint, error)
        }
    }

    /// An error answered before the body was read whole (401, 413), counted as the gateway counts;
    /// the rest of the body is dropped as it arrives.
    func writeGatewayError(_ context: ChannelHandlerContext, _ endpoint: GatewayCall.Endpoint, _ error: OpenAIError) {
        service.gateway?.answered(endpoint.rawValue, status: Int(error.status.code))
        let (head, body) = error.parts
        writeWhole(context, head, body)
    }

    /// Runs the request in a task of its own and writes its answer back on this connection's
    /// event loop; until the answer has ended, later requests on the connection wait.
    func answerGateway(_ context: ChannelHandlerContext, _ endpoint: GatewayCall.Endpoint, _ start: GatewayStart, _ body: ByteBuffer) {
        gatewayAnswer = GatewayAnswer()
        let loop = context.eventLoop
        let bound = NIOLoopBound(Bound(handler: self, context: context), eventLoop: loop)
        let service = self.service
        start.gateway.running.enter()
        Task {
            defer { start.gateway.running.leave() }
            let response = await service.gatewayRequest(start.headers, body, key: start.key, endpoint: endpoint, gateway: start.gateway,
                                                        loaded: start.loaded, arrived: start.arrived)
            var fields = response.headers
            fields[.date] = HTTPDate.now()
            let writer = DirectGatewayWriter(bound: bound, loop: loop, head: HTTPResponse(status: response.status, headerFields: fields))
            let failed: Bool
            do {
                try await response.body.write(writer)
                failed = false
            } catch {
                failed = true
            }
            loop.execute { bound.value.handler.gatewayAnswered(bound.value.context, failed: failed) }
        }
    }

    /// The answer's task is done: a body that failed half-way closes the connection (the client
    /// cannot tell where it ended), else the requests that waited go on.
    func gatewayAnswered(_ context: ChannelHandlerContext, failed: Bool) {
        let ended = gatewayAnswer?.ended == true
        gatewayAnswer = nil
        if failed || !ended {
            context.close(promise: nil)
            return
        }
        if !queued.isEmpty {
            let waiting = queued
            queued = []
            for (k, data) in waiting.enumerated() {
                if gatewayInFlight {
                    queued.append(contentsOf: waiting[k...])
                    break
                }
                channelRead(context: context, data: data)
            }
            // As after a read from the socket: flushes direct answers, and hands what was passed
            // on to Hummingbird's channel, which takes reads in at the end of a burst.
            channelReadComplete(context: context)
        }
        if readHeld && context.channel.isWritable && !gatewayInFlight {
            readHeld = false
            context.read()
        }
    }

    /// Writes an answer part from the task, on the event loop. A plain answer is flushed once,
    /// at its end; a stream (no `Content-Length`) part by part. Returns the write to wait for
    /// when NIO's buffer is full (back-pressure from a slow client) or the client has gone, else nil.
    func gatewayWrite(_ context: ChannelHandlerContext, head: HTTPResponse, _ part: HTTPResponsePart) -> EventLoopFuture<Void>? {
        var answer = gatewayAnswer ?? GatewayAnswer()
        if !answer.headWritten {
            answer.headWritten = true
            answer.streaming = head.headerFields[.contentLength] == nil
            context.write(wrapOutboundOut(.head(head)), promise: nil)
        }
        if case .end = part { answer.ended = true }
        gatewayAnswer = answer
        let written: EventLoopFuture<Void>
        if answer.ended || answer.streaming {
            written = context.writeAndFlush(wrapOutboundOut(part))
        } else {
            written = context.write(wrapOutboundOut(part))
        }
        // A closed connection: the failed write ends the body (a stream stops reading upstream).
        if context.channel.isWritable && context.channel.isActive { return nil }
        context.flush()
        return written
    }

    struct Bound {
        let handler: DirectRouteHandler
        let context: ChannelHandlerContext
    }
}

/// The body writer of a direct gateway answer: each part is handed to the connection's event
/// loop (at once when the task already runs there).
struct DirectGatewayWriter: ResponseBodyWriter {
    let bound: NIOLoopBound<DirectRouteHandler.Bound>
    let loop: any EventLoop
    let head: HTTPResponse

    private func send(_ part: HTTPResponsePart) async throws {
        let (bound, head) = (self.bound, self.head)
        if loop.inEventLoop {
            // Awaiting a future, even a fulfilled one, suspends the task: only when there is
            // something to wait for.
            if let wait = bound.value.handler.gatewayWrite(bound.value.context, head: head, part) { try await wait.get() }
        } else {
            let loop = self.loop
            try await loop.flatSubmit {
                bound.value.handler.gatewayWrite(bound.value.context, head: head, part) ?? loop.makeSucceededVoidFuture()
            }.get()
        }
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await send(.body(buffer))
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await send(.end(trailingHeaders))
    }
}

/// The `Date` header's value (RFC 9110 IMF-fixdate), formatted once per second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    static func now() -> String {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        let second = t.tv_sec
        return cache.withLock { c in
            if c.second != second { c = (second, format(second)) }
            return c.text
        }
    }

    static func format(_ second: Int) -> String {
        var t = time_t(second)
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
