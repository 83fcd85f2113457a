import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import HTTPTypes
import MosaicCore
import MosaicStore
import MosaicRouting
import NIOCore
import NIOHTTP1
import Synchronization

/// One client request to a gateway endpoint, read and checked.
struct GatewayCall: Sendable {
    enum Endpoint: String, Sendable {
        case chat = "chat_completions"
        case embeddings
    }

    let endpoint: Endpoint
    let id: String
    let body: JSONValue
    /// The model the client asked for: a family of the gateway file.
    let family: String
    let tenant: String
    let stream: Bool
    /// The client asked for the final usage chunk (`stream_options.include_usage`).
    let includeUsage: Bool
    let promptTokens: Int
    let expectedOutputTokens: Int
    /// When the request reached the gateway (uptime ns).
    let arrived: UInt64
    /// The providers the client's key allows; nil: any.
    var allowedProviders: Set<String>? = nil
    /// The policy budget the client's key is charged to.
    var budget: String? = nil
    /// The answer cache's key, when the request may be answered from it.
    var cacheKey: String? = nil
    /// The prompt, for a routing model's quality head: the text of the last user message.
    var text: String? = nil
    /// The request's tags (`X-Mosaic-Tags`), for the policy's rules and the quality head's groups.
    var tags: [String] = []
    /// Attestations every provider must hold (`X-Mosaic-Compliance`).
    var compliance = ComplianceSet()
    /// The region the data must stay in (`X-Mosaic-Residency`).
    var residency: String? = nil
    /// The latency SLO on the predicted tail, ms (`X-Mosaic-SLO-Ms`).
    var latencySLOMs: Double? = nil

    var operation: String { endpoint == .chat ? "chat" : "embedding" }
}

/// One attempt on one upstream.
struct GatewayAttempt: Sendable {
    let call: GatewayCall
    let upstream: GatewayFile.Upstream
    /// The upstream's model name for the family.
    let model: String
    let ticket: Ticket
    let router: MosaicRouting.Router
    /// 1 for the first attempt of the call.
    let number: Int
    let prices: PriceBook
    /// µs since the epoch, from the service clock (the row's timestamp).
    let timestamp: Int64
    /// Uptime ns when the attempt started (latency and time to first token count from here).
    let started: UInt64
    /// The outcome rows of the call's earlier attempts, which failed: stored with this one's.
    var earlierRows: [RequestRecord] = []
}

/// How an attempt that delivered nothing ended.
struct GatewayFailure: Sendable {
    var status: RequestStatus
    var message: String
    /// Timeouts, 429, 5xx, connection errors and broken answers: another candidate may do better.
    var retryable: Bool
    /// A 4xx the client caused: answered as is, never retried.
    var clientError: OpenAIError?
    /// The attempt's outcome row, not stored yet.
    var row: RequestRecord
}

enum GatewayAttemptResult {
    case delivered(Response)
    case failed(GatewayFailure)
    /// The gateway refused the request itself before sending it (a message Anthropic's API
    /// cannot carry): nothing reached the provider, so there is no attempt and no row.
    case refused(OpenAIError)
}

extension RoutingService {
    static let tenantHeader = HTTPField.Name("x-mosaic-tenant")!
    static let tagsHeader = HTTPField.Name("x-mosaic-tags")!
    static let complianceHeader = HTTPField.Name("x-mosaic-compliance")!
    static let residencyHeader = HTTPField.Name("x-mosaic-residency")!
    static let sloHeader = HTTPField.Name("x-mosaic-slo-ms")!
    static let providerHeader = HTTPField.Name("x-mosaic-provider")!
    static let attemptsHeader = HTTPField.Name("x-mosaic-attempts")!
    static let costHeader = HTTPField.Name("x-mosaic-cost-usd")!
    static let requestIDHeader = HTTPField.Name("x-request-id")!

    // MARK: - Outcomes

    /// Stores a call's outcome rows through the outcome writer: every row the gateway records
    /// goes through here, and only here.
    ///
    /// With ``ServeOptions/outcomeAcknowledgement`` `committed` (the default) this returns once
    /// the group commit holding the rows is on disk, and the callers await it before the client
    /// has its whole answer: a plain answer is sent after it, a stream's body ends after it (its
    /// events are relayed as they come; the row is committed between the last event and the end
    /// of the body). With `queued` the rows are queued and this returns at once.
    ///
    /// A row that cannot be stored (queue full, store error, shutting down) does not fail the
    /// answer, which the upstream has already produced and billed: it is logged and counted
    /// (`mosaic_gateway_outcome_rows_total{result="refused"}`).
    func recordGatewayOutcomes(_ rows: [RequestRecord], _ gateway: Gateway) async {
        guard let writer, !rows.isEmpty else { return }
        switch options.outcomeAcknowledgement {
        case .queued:
            for r in rows { gateway.recorded(writer.enqueue(r) ? .queued : .refused) }
        case .committed:
            let failures = await withTaskGroup(of: String?.self) { group in
                for r in rows {
                    group.addTask {
                        do throws(OutcomeWriter.CommitError) {
                            try await writer.commit(r)
                            return nil
                        } catch {
                            return "\(r.requestID ?? ""): \(error)"
                        }
                    }
                }
                var failures: [String] = []
                for await f in group { if let f { failures.append(f) } }
                return failures
            }
            for _ in 0..<(rows.count - failures.count) { gateway.recorded(.committed) }
            for _ in failures { gateway.recorded(.refused) }
            if !failures.isEmpty {
                logger.error("gateway outcome rows not stored", metadata: ["rows": "\(failures.joined(separator: "; "))"])
            }
        }
    }

    /// Queues a `cache_hits` row for an answer served from the cache: what the hit saved is
    /// the exact cost its answer had upstream. Queued, not awaited: a hit answers from memory
    /// and never waits for the disk (the writer stores it within its batch interval).
    func recordCacheHit(_ hit: ResponseCache.Answer, _ call: GatewayCall, _ gateway: Gateway) {
        guard let writer, let origin = hit.origin else { return }
        let h = CacheHitRecord(timestamp: options.clock(), tenant: call.tenant, provider: origin.provider, model: origin.model,
                               operation: call.operation, inputTokens: origin.inputTokens, outputTokens: origin.outputTokens,
                               cachedTokens: origin.cachedTokens,
                               latencyMs: Double(DispatchTime.now().uptimeNanoseconds - call.arrived) / 1e6,
                               saved: origin.cost, requestID: call.id)
        gateway.recorded(writer.enqueue(h) ? .cacheHit : .refused)
    }

    // MARK: - Endpoints

    /// `POST /v1/chat/completions` and `POST /v1/embeddings` through the Hummingbird router.
    func gatewayRequest(_ request: Request, endpoint: GatewayCall.Endpoint, gateway: Gateway) async -> Response {
        let arrived = DispatchTime.now().uptimeNanoseconds
        let loaded = gateway.loaded
        let key: GatewayFile.VirtualKey?
        let bytes: ByteBuffer
        do throws(OpenAIError) {
            // The key is checked before the body is read.
            key = try Self.virtualKey(request.headers, loaded.file)
            do throws(APIError) { bytes = try await ServeApplication.readBody(request, limit: loaded.file.maxBodyBytes) } catch {
                throw OpenAIError(error)
            }
        } catch {
            gateway.answered(endpoint.rawValue, status: Int(error.status.code))
            return error.response
        }
        return await gatewayRequest(request.headers, bytes, key: key, endpoint: endpoint, gateway: gateway, loaded: loaded, arrived: arrived)
    }

    /// A gateway request whose key has been checked and whose body has been read, from the
    /// router's handler above or the direct handler (`DirectRoutes.swift`): the answer, counted.
    func gatewayRequest(_ headers: HTTPFields, _ bytes: ByteBuffer, key: GatewayFile.VirtualKey?, endpoint: GatewayCall.Endpoint,
                        gateway: Gateway, loaded: Gateway.Loaded, arrived: UInt64) async -> Response {
        let response: Response
        do throws(OpenAIError) {
            var tenant = headers[Self.tenantHeader].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
            if let key { tenant = key.tenant }
            var call = try Self.makeCall(bytes, endpoint: endpoint, tenant: tenant, id: gateway.requestID(), arrived: arrived,
                                         file: loaded.file)
            call.allowedProviders = key?.providers
            call.budget = key?.budget
            call.tags = try Self.list(headers, Self.tagsHeader, name: "X-Mosaic-Tags")
            let compliance = try Self.list(headers, Self.complianceHeader, name: "X-Mosaic-Compliance")
            do { call.compliance = try ComplianceSet(parsing: compliance) } catch {
                throw OpenAIError.invalid("X-Mosaic-Compliance: \(error)", param: "X-Mosaic-Compliance")
            }
            call.residency = headers[Self.residencyHeader].flatMap { $0.isEmpty ? nil : $0 }
            if let slo = headers[Self.sloHeader] {
                guard let ms = Double(slo), ms > 0, ms.isFinite else {
                    throw OpenAIError.invalid("X-Mosaic-SLO-Ms: '\(slo)' is not a positive number of milliseconds", param: "X-Mosaic-SLO-Ms")
                }
                call.latencySLOMs = ms
            }
            if let cache = gateway.cache, endpoint == .chat {
                if headers[.cacheControl]?.lowercased().contains("no-store") == true {
                    cache.bypass()
                } else {
                    call.cacheKey = ResponseCache.key(tenant: tenant, body: call.body)
                }
            }
            response = await forward(call, loaded, gateway)
        } catch {
            response = error.response
        }
        gateway.answered(endpoint.rawValue, status: Int(response.status.code))
        return response
    }

    /// `GET /v1/models`: the model families the gateway file serves.
    func gatewayModels(_ gateway: Gateway) -> Response {
        let file = gateway.loaded.file
        let data = file.families.map { family -> JSONValue in
            let providers = file.upstreams.filter { $0.models[family] != nil }.map(\.provider)
            return .obj([
                "id": .string(family), "object": .string("model"), "created": .int(0),
                "owned_by": .string(providers.joined(separator: ",")),
            ])
        }
        var bytes = JSONValue.obj(["object": .string("list"), "data": .array(data)]).bytes
        bytes.append(UInt8(ascii: "\n"))
        gateway.answered("models", status: 200)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A comma-separated list header (`X-Mosaic-Tags: subject:law, strict-privacy`), at most 64
    /// items as `POST /v1/route`'s lists; repeated headers add up.
    ///
    /// - Throws: 400 in OpenAI's shape for more than 64 items.
    static func list(_ headers: HTTPFields, _ field: HTTPField.Name, name: String) throws(OpenAIError) -> [String] {
        var items: [String] = []
        for value in headers[values: field] {
            for t in value.split(separator: ",") {
                let item = t.trimmingCharacters(in: .whitespaces)
                if !item.isEmpty { items.append(item) }
            }
        }
        guard items.count <= RequestParsing.maxTags else {
            throw OpenAIError.invalid("\(name): \(items.count) items, at most \(RequestParsing.maxTags)", param: name)
        }
        return items
    }

    /// The client's virtual key, when the gateway file lists keys (nil when it lists none).
    ///
    /// - Throws: 401 in OpenAI's shape for a missing or unknown key.
    static func virtualKey(_ headers: HTTPFields, _ file: GatewayFile) throws(OpenAIError) -> GatewayFile.VirtualKey? {
        guard !file.keys.isEmpty else { return nil }
        guard let header = headers[.authorization] else {
            throw OpenAIError(status: .unauthorized, message: "missing API key: send 'Authorization: Bearer <key>'",
                              type: "invalid_request_error", code: "invalid_api_key")
        }
        let prefix = "Bearer "
        let given = header.hasPrefix(prefix) ? Substring(header.dropFirst(prefix.count)) : ""
        let digest = SHA256.hash(data: Array(given.utf8))
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        guard !given.isEmpty, let key = file.keys[hex] else {
            throw OpenAIError(status: .unauthorized, message: "invalid API key", type: "invalid_request_error", code: "invalid_api_key")
        }
        return key
    }

    /// Reads and checks a request body.
    static func makeCall(_ buffer: ByteBuffer, endpoint: GatewayCall.Endpoint, tenant: String, id: String, arrived: UInt64,
                         file: GatewayFile) throws(OpenAIError) -> GatewayCall {
        let body: JSONValue
        do { body = try JSONValue.parse(buffer.readableBytesView, maxDepth: 64) } catch {
            throw OpenAIError.invalid("the body is not valid JSON: \(error)")
        }
        guard case .object = body else { throw OpenAIError.invalid("the body must be a JSON object") }
        guard let family = body["model"]?.stringValue, !family.isEmpty else {
            throw OpenAIError.invalid("'model' is required and must be a non-empty string", param: "model")
        }
        guard file.upstreams.contains(where: { $0.models[family] != nil }) else {
            throw OpenAIError(status: .notFound,
                              message: "The model '\(family)' is not served by this gateway (served: \(file.families.joined(separator: ", ")))",
                              type: "invalid_request_error", param: "model", code: "model_not_found")
        }
        var promptBytes = 0
        var lastUser: String?
        var expectedOutput = 0
        var stream = false
        var includeUsage = false
        switch endpoint {
        case .chat:
            guard let messages = body["messages"]?.arrayValue, !messages.isEmpty else {
                throw OpenAIError.invalid("'messages' is required and must be a non-empty array", param: "messages")
            }
            for m in messages {
                let content = AnthropicTranslation.text(of: m["content"])
                promptBytes += content.utf8.count
                if m["role"]?.stringValue == "user" { lastUser = content }
            }
            if let s = body["stream"], !s.isNull {
                guard let b = s.boolValue else { throw OpenAIError.invalid("'stream' must be true or false", param: "stream") }
                stream = b
            }
            includeUsage = body["stream_options"]?["include_usage"]?.boolValue == true
            // What the router plans for; bounded like `POST /v1/route`'s (the upstream gets the body as sent).
            for name in ["max_completion_tokens", "max_tokens"] {
                guard let v = body[name], !v.isNull else { continue }
                guard let n = v.intValue, n >= 1 else {
                    throw OpenAIError.invalid("'\(name)' must be a whole number of at least 1", param: name)
                }
                if expectedOutput == 0 { expectedOutput = n }
            }
            if expectedOutput == 0 { expectedOutput = 256 }
        case .embeddings:
            switch body["input"] {
            case .string(let s)?: promptBytes = s.utf8.count
            case .array(let items)?:
                for item in items { promptBytes += item.stringValue?.utf8.count ?? (item.arrayValue?.count ?? 0) * 4 }
            default: throw OpenAIError.invalid("'input' is required: a string or an array", param: "input")
            }
        }
        var call = GatewayCall(endpoint: endpoint, id: id, body: body, family: family, tenant: tenant, stream: stream,
                               includeUsage: includeUsage, promptTokens: RouteRequest.estimatedTokens(utf8Bytes: promptBytes),
                               expectedOutputTokens: min(max(0, expectedOutput), RequestParsing.maxTokens), arrived: arrived)
        call.text = lastUser
        return call
    }

    // MARK: - Routing and failover

    /// Routes the call, then tries candidates in the router's order until one delivers: a
    /// timeout, 429, 5xx or connection error before the first byte reaches the client moves on
    /// to the next candidate, as far as the policy's retry settings and retry budget allow.
    func forward(_ call: GatewayCall, _ loaded: Gateway.Loaded, _ gateway: Gateway) async -> Response {
        let b = bundle
        if b.closedTenants && b.policy.tenants[call.tenant] == nil {
            return OpenAIError(status: .forbidden,
                               message: "unknown tenant '\(call.tenant)': the policy lists \(b.policy.tenants.keys.sorted().joined(separator: ", ")) and no '*'",
                               type: "permission_error", code: "unknown_tenant").response
        }
        if let key = call.cacheKey, let cache = gateway.cache,
           let hit = cache.lookup(key, now: DispatchTime.now().uptimeNanoseconds) {
            recordCacheHit(hit, call, gateway)
            return Self.cached(hit, call)
        }
        let now = options.clock()
        let t0 = DispatchTime.now().uptimeNanoseconds
        let route = RouteRequest(tenant: call.tenant, operation: call.operation, modelFamily: call.family, residency: call.residency,
                                 promptTokens: call.promptTokens, expectedOutputTokens: call.expectedOutputTokens,
                                 compliance: call.compliance, latencySLOMs: call.latencySLOMs, budgetTag: call.budget, tags: call.tags,
                                 timestamp: now, text: call.text)
        var d = takeDecision()
        var ticket = b.router.route(route, now: now, into: &d)
        var remaining = d.remaining
        let rejection = d.rejection
        let (primary, reason) = label(d, b)
        let ranked = d.candidates.map(\.provider)
        // Why providers were left out, for an answer when none is tried.
        let drops = d.dropped.map { ($0.provider, $0.reason) }
        giveBack(d)
        metrics.decision(provider: primary, reason: reason, seconds: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        if let rejection {
            return OpenAIError(status: .tooManyRequests, message: rejection.description, type: "rate_limit_error",
                               code: "quota_exceeded").response
        }
        let router = b.router
        router.requestStarted()
        var retriesHeld = 0
        defer {
            for _ in 0..<retriesHeld { router.retryFinished() }
            router.requestFinished()
        }
        var attempts = 0
        var failures: [String] = []
        var rows: [RequestRecord] = []
        var last: GatewayFailure? = nil
        var skipped: [String] = []
        candidates: while let t = ticket {
            guard let upstream = loaded.file.upstream(t.provider), let model = upstream.models[call.family],
                  call.endpoint == .chat || upstream.api.isOpenAIShaped,
                  call.allowedProviders?.contains(t.provider) ?? true else {
                skipped.append(call.allowedProviders?.contains(t.provider) == false ? "\(t.provider) not allowed by the client's key"
                               : "\(t.provider) has no upstream for model '\(call.family)' here in the gateway file")
                // The router may rank a provider this gateway cannot send this model to, or one
                // the client's key does not allow.
                router.complete(t, status: .cancelled, latencyMs: 0, now: options.clock())
                ticket = router.failover(&remaining, now: options.clock())
                continue
            }
            attempts += 1
            let attempt = GatewayAttempt(call: call, upstream: upstream, model: model, ticket: t, router: router, number: attempts,
                                         prices: loaded.prices, timestamp: options.clock(), started: DispatchTime.now().uptimeNanoseconds,
                                         earlierRows: rows)
            switch await self.attempt(attempt, gateway) {
            case .delivered(let response):
                // The attempt stored `rows` with its own (a stream: when its body ends).
                return response
            case .refused(let e):
                await recordGatewayOutcomes(rows, gateway)
                return e.response
            case .failed(let f):
                rows.append(f.row)
                if let e = f.clientError {
                    await recordGatewayOutcomes(rows, gateway)
                    return e.response
                }
                failures.append("\(t.provider): \(f.message)")
                last = f
                guard f.retryable, router.shouldRetry(f.status, attempts: attempts) else { break candidates }
                retriesHeld += 1
                ticket = router.failover(&remaining, now: options.clock())
            }
        }
        guard let last else {
            let why = (drops.map { "\($0.0) \($0.1)" } + skipped).joined(separator: "; ")
            // Every provider ruled out by the request itself or the configuration (a region none
            // serves, a window none has, a model the gateway file does not send there): a 422,
            // which clients do not retry, since asking again cannot change it.
            if !why.isEmpty && drops.allSatisfy({ $0.1.isLasting }) {
                return OpenAIError(status: .unprocessableContent,
                                   message: "no provider can take this request for model '\(call.family)': \(why)",
                                   type: "invalid_request_error", code: "no_eligible_provider").response
            }
            return OpenAIError(status: .serviceUnavailable,
                               message: "no upstream can take model '\(call.family)' now (ranked: \(ranked.joined(separator: ", ")); \(why))",
                               type: "api_error", code: "no_upstream").response
        }
        await recordGatewayOutcomes(rows, gateway)
        let message = "\(attempts) attempt\(attempts == 1 ? "" : "s") failed: " + failures.joined(separator: "; ")
        switch last.status {
        case .rateLimited:
            return OpenAIError(status: .tooManyRequests, message: message, type: "rate_limit_error", code: "upstream_rate_limited").response
        case .timeout:
            return OpenAIError(status: .gatewayTimeout, message: message, type: "api_error", code: "upstream_timeout").response
        default:
            return OpenAIError(status: .badGateway, message: message, type: "api_error", code: "upstream_error").response
        }
    }

    // MARK: - One attempt

    /// Ends an attempt: tells the router, counts it, and makes its outcome row (the caller
    /// stores it with ``recordGatewayOutcomes(_:_:)``).
    ///
    /// - Parameter routerStatus: what the router is told when it differs from the row's status
    ///   (a request the client got wrong says nothing about the provider's health).
    /// - Returns: the row, with its exact cost when the price table has its provider and model.
    func finish(_ a: GatewayAttempt, _ gateway: Gateway, status: RequestStatus, usage: TokenUsage = TokenUsage(),
                ttftMs: Double? = nil, routerStatus: RequestStatus? = nil) -> RequestRecord {
        let usage = usage.counted
        let latencyMs = Double(DispatchTime.now().uptimeNanoseconds - a.started) / 1e6
        a.router.complete(a.ticket, status: routerStatus ?? status, latencyMs: latencyMs, inputTokens: usage.input,
                          outputTokens: usage.output, budgetTag: a.call.budget, now: options.clock())
        var r = RequestRecord(timestamp: a.timestamp, tenant: a.call.tenant, provider: a.upstream.provider, model: a.model,
                              operation: a.call.operation, inputTokens: usage.input, outputTokens: usage.output,
                              cachedTokens: usage.cached, latencyMs: latencyMs, ttftMs: ttftMs, status: status,
                              requestID: a.call.id + "-" + String(a.number))
        r.cost = a.prices.cost(of: r)
        gateway.attempted(provider: a.upstream.provider, status: status, failover: a.number > 1, ttftMs: ttftMs)
        return r
    }

    /// The upstream request for an attempt.
    func upstreamRequest(_ a: GatewayAttempt) throws(OpenAIError) -> HTTPClientRequest {
        let up = a.upstream
        var body = a.call.body
        let path: String
        switch (a.call.endpoint, up.api) {
        case (.chat, .anthropic):
            body = try AnthropicTranslation.request(body, model: a.model, stream: a.call.stream)
            path = "/messages"
        case (.chat, _):
            body.set("model", .string(a.model))
            if a.call.stream {
                var streamOptions = body["stream_options"].flatMap { $0.objectValue == nil ? nil : $0 } ?? .object([])
                streamOptions.set("include_usage", .bool(true))
                body.set("stream_options", streamOptions)
            }
            path = "/chat/completions"
        case (.embeddings, _):
            body.set("model", .string(a.model))
            path = "/embeddings"
        }
        var request = HTTPClientRequest(url: up.baseURL + path)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if a.call.stream { request.headers.add(name: "accept", value: "text/event-stream") }
        if up.api == .anthropic {
            request.headers.add(name: "anthropic-version", value: AnthropicTranslation.version)
            if let key = up.key { request.headers.add(name: "x-api-key", value: key) }
        } else if let key = up.key {
            request.headers.add(name: "authorization", value: "Bearer " + key)
        }
        request.body = .bytes(ByteBuffer(bytes: body.bytes))
        return request
    }

    /// The outcome an upstream HTTP status stands for.
    static func status(http code: Int) -> RequestStatus {
        switch code {
        case 200..<300: return .ok
        case 429: return .rateLimited
        case 408, 504: return .timeout
        default: return .error
        }
    }

    /// Whether an upstream status is the client's doing (a 4xx other than 408 and 429).
    static func isClientError(_ code: Int) -> Bool { (400..<500).contains(code) && code != 408 && code != 429 }

    static func isTimeout(_ error: any Error) -> Bool {
        guard let e = error as? HTTPClientError else { return false }
        return e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout || e == .writeTimeout
    }

    /// An upstream's error answer in OpenAI's words.
    /// An upstream's error answer as OpenAI's error object, its `param` and `code` kept (the
    /// client's SDK reads them to say which field was wrong). Without a message in the answer,
    /// the message says so and quotes the answer's first 200 bytes; it never repeats the status,
    /// which the callers put before it.
    static func upstreamError(_ bytes: [UInt8], code: Int, api: GatewayFile.API) -> OpenAIError {
        let parsed = try? JSONValue.parse(bytes)
        let status = HTTPResponse.Status(code: code)
        if api == .anthropic {
            let (message, type) = AnthropicTranslation.error(parsed)
            return OpenAIError(status: status, message: message, type: type)
        }
        let message = parsed?["error"]?["message"]?.stringValue
            ?? parsed?["error"]?.stringValue
            ?? "no error message in the answer" + (bytes.isEmpty ? "" : ": \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        return OpenAIError(status: status, message: message, type: parsed?["error"]?["type"]?.stringValue ?? "api_error",
                           param: parsed?["error"]?["param"]?.stringValue, code: parsed?["error"]?["code"]?.stringValue)
    }

    func attempt(_ a: GatewayAttempt, _ gateway: Gateway) async -> GatewayAttemptResult {
        let request: HTTPClientRequest
        do throws(OpenAIError) { request = try upstreamRequest(a) } catch {
            a.router.complete(a.ticket, status: .cancelled, latencyMs: 0, now: options.clock())
            return .refused(error)
        }
        if a.call.stream { return await streamAttempt(a, request, gateway) }
        let up = a.upstream
        do {
            let response = try await gateway.client.execute(request, deadline: .now() + .nanoseconds(Int64(up.timeoutSeconds * 1e9)))
            let body = Array(try await response.body.collect(upTo: 64 << 20).readableBytesView)
            let code = Int(response.status.code)
            guard (200..<300).contains(code) else {
                let e = Self.upstreamError(body, code: code, api: up.api)
                let message = e.message
                if Self.isClientError(code) {
                    let row = finish(a, gateway, status: .error, routerStatus: .cancelled)
                    return .failed(GatewayFailure(status: .error, message: message, retryable: false, clientError: e, row: row))
                }
                let status = Self.status(http: code)
                let row = finish(a, gateway, status: status)
                return .failed(GatewayFailure(status: status, message: "HTTP \(code): \(message)", retryable: true, row: row))
            }
            guard let parsed = try? JSONValue.parse(body), parsed.objectValue != nil else {
                let row = finish(a, gateway, status: .error)
                return .failed(GatewayFailure(status: .error, message: "the answer is not a JSON object", retryable: true, row: row))
            }
            var out = body
            let usage: TokenUsage
            if up.api == .anthropic {
                let (translated, u) = AnthropicTranslation.response(parsed, model: a.model, created: Int(a.timestamp / 1_000_000))
                out = translated.bytes
                usage = u
            } else {
                usage = TokenUsage(openAI: parsed["usage"]) ?? TokenUsage()
            }
            let row = finish(a, gateway, status: .ok, usage: usage)
            // The answer is sent once its row (and the failed attempts' before it) is stored.
            await recordGatewayOutcomes(a.earlierRows + [row], gateway)
            if let key = a.call.cacheKey, let cache = gateway.cache {
                cache.store(key, ResponseCache.Answer(body: out, provider: up.provider, origin: row),
                            now: DispatchTime.now().uptimeNanoseconds)
            }
            var headers = answerHeaders(a, json: true)
            if let cost = row.cost { headers[Self.costHeader] = cost.description }
            return .delivered(Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: out))))
        } catch {
            let status: RequestStatus = Self.isTimeout(error) ? .timeout : .error
            let row = finish(a, gateway, status: status)
            return .failed(GatewayFailure(status: status, message: NetworkErrorText.describe(error) ?? "\(error)", retryable: true, row: row))
        }
    }

    func answerHeaders(_ a: GatewayAttempt, json: Bool) -> HTTPFields {
        var h = HTTPFields()
        h[.contentType] = json ? "application/json" : "text/event-stream"
        if !json { h[.cacheControl] = "no-cache" }
        h[Self.requestIDHeader] = a.call.id
        h[Self.providerHeader] = a.upstream.provider
        h[Self.attemptsHeader] = String(a.number)
        return h
    }
}
