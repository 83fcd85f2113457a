import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The HTTP API over a ``RoutingService`` (see `docs/openapi.yaml`).
public enum ServeApplication {
    /// The Hummingbird router with every endpoint.
    public static func router(service: RoutingService) -> Hummingbird.Router<ServeContext> {
        let router = Hummingbird.Router(context: ServeContext.self)
        router.add(middleware: JSONErrorMiddleware(metrics: service.metrics))
        let limit = service.options.maxBodyBytes
        let metrics = service.metrics
        let admin = AdminGate(options: service.options, logger: service.logger)

        router.post("/v1/route") { request, _ -> Response in
            await respond(request, endpoint: "route", limit: limit, metrics: metrics) { bytes throws(APIError) in
                try service.route(body: bytes)
            }
        }
        router.post("/v1/outcome") { request, _ -> Response in
            await respond(request, endpoint: "outcome", limit: limit, metrics: metrics) { body async throws(APIError) in
                try await service.outcome(body: body)
            }
        }
        router.get("/v1/model") { _, _ -> Response in
            json(.ok, service.modelDocument())
        }
        router.get("/healthz") { _, _ -> Response in
            var w = JSONWriter(capacity: 64)
            w.beginObject()
            w.string("status", "alive")
            w.endObject()
            return json(.ok, w.buffer)
        }
        router.get("/readyz") { _, _ -> Response in
            let b = service.bundle
            var w = JSONWriter(capacity: 128)
            w.beginObject()
            w.bool("ready", service.isReady)
            w.int("model_version", b.model.version)
            w.int("generation", b.generation)
            w.endObject()
            return json(service.isReady ? .ok : .serviceUnavailable, w.buffer)
        }
        router.get("/metrics") { _, _ -> Response in
            let text = service.metricsText()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.post("/admin/reload") { request, context -> Response in
            if let failure = admin.check(request, peer: context.remoteAddress?.ipAddress) {
                metrics.error(endpoint: "admin_reload", status: Int(failure.status.code))
                service.logger.warning("admin reload refused", metadata: ["reason": "\(failure.message)"])
                return failure.response
            }
            // Loading reads files and compiles: off the event loop's cooperative threads is not
            // needed for a few milliseconds, and reloads are serialised inside the service.
            switch service.reload(source: "admin") {
            case .reloaded(let generation, let version, let seconds):
                var w = JSONWriter(capacity: 128)
                w.beginObject()
                w.bool("reloaded", true)
                w.int("generation", generation)
                w.int("model_version", version)
                w.number("load_ms", seconds * 1000)
                w.endObject()
                return json(.ok, w.buffer)
            case .failed(let reason):
                metrics.error(endpoint: "admin_reload", status: 422)
                return APIError(status: .unprocessableContent,
                                message: "reload failed, the previous model keeps serving: \(reason)",
                                field: reason.hasPrefix(service.options.modelPath) ? "model" : "policy").response
            }
        }
        if let gateway = service.gateway { addGatewayRoutes(router, service: service, gateway: gateway) }
        if service.options.echoEndpoint {
            router.post("/bench/echo") { request, _ -> Response in
                await respond(request, endpoint: "echo", limit: limit, metrics: metrics) { bytes throws(APIError) in
                    var b = ByteBufferAllocator().buffer(capacity: bytes.count)
                    b.writeBytes(bytes)
                    return b
                }
            }
        }
        return router
    }

    /// Checks `Authorization: Bearer <token>` in constant time.
    static func authorize(_ request: Request, token: String?) -> APIError? {
        guard let token, !token.isEmpty else {
            return APIError(status: .unauthorized, message: "admin endpoints are disabled: no admin token is configured (set MOSAIC_ADMIN_TOKEN)",
                            field: "Authorization")
        }
        guard let header = request.headers[.authorization] else {
            return APIError(status: .unauthorized, message: "missing 'Authorization: Bearer <token>' header", field: "Authorization")
        }
        let prefix = "Bearer "
        guard header.hasPrefix(prefix) else {
            return APIError(status: .unauthorized, message: "the Authorization header must be 'Bearer <token>'", field: "Authorization")
        }
        let given = Array(header.utf8.dropFirst(prefix.utf8.count))
        let expected = Array(token.utf8)
        var diff = UInt8(given.count == expected.count ? 0 : 1)
        for k in 0..<max(given.count, expected.count) {
            diff |= (k < given.count ? given[k] : 0) ^ (k < expected.count ? expected[k] : 0)
        }
        return diff == 0 ? nil : APIError(status: .unauthorized, message: "wrong admin token", field: "Authorization")
    }

    @inline(__always)
    static func json(_ status: HTTPResponse.Status, _ body: ByteBuffer) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    /// Reads the body (at most `limit` bytes: 413 beyond), runs `handle` on it and answers JSON,
    /// or the error as `{"error", "field"}`.
    static func respond(_ request: Request, endpoint: String, limit: Int, metrics: Metrics,
                        _ handle: (UnsafeRawBufferPointer) throws(APIError) -> ByteBuffer) async -> Response {
        do {
            let body = try await readBody(request, limit: limit)
            let out = try body.withUnsafeReadableBytes { bytes throws(APIError) in try handle(bytes) }
            return json(.ok, out)
        } catch {
            metrics.error(endpoint: endpoint, status: Int(error.status.code))
            return error.response
        }
    }

    /// ``respond(_:endpoint:limit:metrics:_:)`` for a handler that awaits (the outcome waits
    /// for its commit without holding an event-loop thread).
    static func respond(_ request: Request, endpoint: String, limit: Int, metrics: Metrics,
                        _ handle: (ByteBuffer) async throws(APIError) -> ByteBuffer) async -> Response {
        do {
            let body = try await readBody(request, limit: limit)
            return json(.ok, try await handle(body))
        } catch {
            metrics.error(endpoint: endpoint, status: Int(error.status.code))
            return error.response
        }
    }

    static func readBody(_ request: Request, limit: Int) async throws(APIError) -> ByteBuffer {
        if let length = request.headers[.contentLength], let n = Int(length), n > limit {
            throw APIError.declaredBodyOverLimit(n, limit)
        }
        var collected: ByteBuffer? = nil
        do {
            for try await chunk in request.body {
                if collected == nil {
                    collected = chunk
                } else {
                    collected!.writeImmutableBuffer(chunk)
                }
                if collected!.readableBytes > limit {
                    throw APIError.bodyOverLimit(limit)
                }
            }
        } catch let e as APIError {
            throw e
        } catch {
            throw APIError(status: .badRequest, message: "could not read the body: \(error)", field: nil)
        }
        guard let collected, collected.readableBytes > 0 else {
            throw APIError.emptyBody
        }
        return collected
    }

    /// The application: the router plus the background services (outcome writer flush on
    /// shutdown, file watch and expiry of unreported decisions).
    public static func make(service: RoutingService, logger: Logger,
                            onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        let o = service.options
        var app = Application(
            router: router(service: service),
            server: httpServer(service: service),
            configuration: .init(address: .hostname(o.host, port: o.port), serverName: nil, reuseAddress: true,
                                 availableConnectionsDelegate: ConnectionLimit(
                                     maximum: ConnectionLimit.resolve(requested: o.maxConnections, logger: logger),
                                     logger: logger)),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? o.port) },
            logger: logger
        )
        // Services stop in reverse order after the HTTP server has drained: housekeeping first,
        // then the outcome writer flushes.
        app.addServices(OutcomeFlushService(service: service), HousekeepingService(service: service))
        return app
    }
}

/// Turns errors thrown by the framework (unknown path, wrong method) or a handler into JSON.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = ServeContext
    let metrics: Metrics

    /// The gateway's OpenAI-compatible paths, and those of OpenAI's API a client may try on it.
    static let openAIPaths = ["/v1/chat/", "/v1/completions", "/v1/embeddings", "/v1/models", "/v1/responses"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            metrics.error(endpoint: request.uri.path, status: Int(e.status.code))
            return e.response
        } catch let e as any HTTPResponseError {
            let status = e.status
            let message: String
            switch status {
            case .notFound: message = "no such endpoint: \(request.method) \(request.uri.path)"
            case .methodNotAllowed: message = "\(request.method) is not allowed on \(request.uri.path)"
            default: message = "\(e)"
            }
            metrics.error(endpoint: "other", status: Int(status.code))
            // Under the gateway's OpenAI paths, in OpenAI's error shape, which its clients read.
            if Self.openAIPaths.contains(where: { request.uri.path.hasPrefix($0) }) {
                return OpenAIError(status: status, message: message, type: "invalid_request_error").response
            }
            return APIError(status: status, message: message, field: nil).response
        } catch {
            metrics.error(endpoint: "other", status: 500)
            return APIError(status: .internalServerError, message: "internal error", field: nil).response
        }
    }
}

/// Waits for graceful shutdown, then writes the queued outcomes (after the server drained).
///
/// The writing happens on a thread of its own and this waits for it only until the task is
/// cancelled: when `--shutdown-timeout` passes (the service group then cancels), the process
/// stops even if the store never answers, and what was not written is lost.
struct OutcomeFlushService: Service {
    let service: RoutingService

    func run() async throws {
        // Returns when graceful shutdown begins; throws when the group is cancelled instead
        // (the server could not start: nothing was served, and no timeout passed).
        let graceful = (try? await gracefulShutdown()) != nil
        let s = service
        let finished = Mutex<CheckedContinuation<Bool, Never>?>(nil)
        let flushed = await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                finished.withLock { $0 = c }
                if Task.isCancelled { finished.withLock { $0.take() }?.resume(returning: false) }
                Thread.detachNewThread {
                    s.close()
                    finished.withLock { $0.take() }?.resume(returning: true)
                }
            }
        } onCancel: {
            finished.withLock { $0.take() }?.resume(returning: false)
        }
        if flushed {
            s.logger.info("outcome writer flushed")
        } else if !graceful && (s.writer?.depth ?? 0) == 0 {
            // Cancelled before serving anything: there is nothing to say.
        } else {
            s.logger.error("shutdown timeout: stopping without waiting for the store any longer",
                           metadata: ["queued_outcome_rows": "\(s.writer?.depth ?? 0)"])
        }
    }
}

/// Every 250 ms: releases expired decisions; every watch interval: reloads changed files.
struct HousekeepingService: Service {
    let service: RoutingService

    func run() async throws {
        let tick: Duration = .milliseconds(250)
        let watchEvery = service.options.watchIntervalSeconds.map { max(0.05, $0) }
        var sinceWatch = 0.0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do { try await Task.sleep(for: tick) } catch { return }
            service.sweepExpired(now: service.options.clock())
            if let every = watchEvery {
                sinceWatch += 0.25
                if sinceWatch >= every {
                    sinceWatch = 0
                    service.reloadIfChanged()
                }
            }
        }
    }
}

/// A running server started in-process (tests, the demo, the benchmark).
public final class ServeHandle: Sendable {
    public let port: Int
    let group: ServiceGroup
    let task: Task<Void, any Error>
    public let service: RoutingService

    init(port: Int, group: ServiceGroup, task: Task<Void, any Error>, service: RoutingService) {
        self.port = port
        self.group = group
        self.task = task
        self.service = service
    }

    /// Graceful shutdown: stop accepting, drain in-flight requests, flush the outcome writer.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

extension ServeApplication {
    /// Starts the server in the background and returns once it listens. Signals are not its
    /// business: ``run(service:logger:onListening:)`` hands them to a ``ShutdownGuard``.
    public static func start(service: RoutingService, logger: Logger) async throws -> ServeHandle {
        let port = PortPromise()
        let app = make(service: service, logger: logger) { p in port.fulfil(.success(p)) }
        var config = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [], logger: logger)
        config.maximumGracefulShutdownDuration = .seconds(service.options.shutdownTimeoutSeconds)
        let group = ServiceGroup(configuration: config)
        let task = Task {
            do {
                try await group.run()
                port.fulfil(.failure(APIError(status: .internalServerError, message: "the server stopped before it listened")))
            } catch {
                port.fulfil(.failure(error))
                throw error
            }
        }
        let bound = try await port.value()
        logger.notice("listening", metadata: ["address": "\(service.options.host):\(bound)"])
        return ServeHandle(port: bound, group: group, task: task, service: service)
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully; a ``ShutdownGuard`` sees that
    /// the process ends even if the service group does not return.
    public static func run(service: RoutingService, logger: Logger,
                           onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let handle = try await start(service: service, logger: logger)
        let group = handle.group
        let shutdown = ShutdownGuard(shutdownTimeout: .seconds(service.options.shutdownTimeoutSeconds), logger: logger,
                                     shutDown: { Task { await group.triggerGracefulShutdown() } },
                                     flushed: { service.isClosed },
                                     exit: ShutdownGuard.terminate)
        ShutdownGuard.install(shutdown)
        onListening(handle.port)
        defer { shutdown.finished() }
        try await handle.task.value
        logger.notice("stopped")
    }
}

/// A one-shot value that many may wait for.
final class PortPromise: Sendable {
    enum State {
        case waiting([CheckedContinuation<Int, any Error>])
        case done(Result<Int, any Error>)
    }

    let state = Mutex<State>(.waiting([]))

    func fulfil(_ r: Result<Int, any Error>) {
        let waiters = state.withLock { s -> [CheckedContinuation<Int, any Error>] in
            guard case .waiting(let w) = s else { return [] }
            s = .done(r)
            return w
        }
        for c in waiters { c.resume(with: r) }
    }

    func value() async throws -> Int {
        try await withCheckedThrowingContinuation { c in
            let ready = state.withLock { s -> Result<Int, any Error>? in
                switch s {
                case .waiting(var w):
                    w.append(c)
                    s = .waiting(w)
                    return nil
                case .done(let r): return r
                }
            }
            if let ready { c.resume(with: ready) }
        }
    }
}

extension ServeApplication {
    /// `host:port` as a URL writes it: an IPv6 host in brackets (`[::1]:8080`).
    public static func address(host: String, port: Int) -> String {
        "\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// A start that failed, in words: NIO's bind error reads `bind(descriptor:ptr:bytes:):
    /// Address already in use) (errno: 98)`.
    public static func describeStartFailure(_ error: any Error, host: String, port: Int) -> String {
        if let unknown = error as? SocketAddressError.UnknownHost {
            return "--host '\(unknown.host)' is not an address of this machine nor a name that resolves; give an IP address (127.0.0.1, ::1, 0.0.0.0) or a host name"
        }
        guard let io = error as? IOError else { return "\(error)" }
        let address = Self.address(host: host, port: port)
        switch io.errnoCode {
        case EADDRINUSE: return "\(address) is already in use (another server on that port?); choose another --port"
        case EADDRNOTAVAIL: return "\(address): this machine has no such address; choose another --host"
        case EACCES: return "\(address): not permitted (ports below 1024 need privileges); choose another --port"
        default: return "\(address): \(String(cString: strerror(io.errnoCode)).lowercased())"
        }
    }
}
