import AsyncHTTPClient
import Foundation
import Hummingbird
import MosaicCore
import MosaicStore
import NIOCore
import Synchronization

/// What the task reading an upstream stream hands over.
enum UpstreamEvent: Sendable {
    case head(Int)
    case chunk(ByteBuffer)
    case end
    case failed(any Error)
}

/// Whether a stream's first event came before its timeout: exactly one of the two wins.
final class FirstEventRace: Sendable {
    /// 0 waiting, 1 first event seen, 2 timed out.
    let state = Atomic<Int>(0)

    /// The first event arrived; false when the timeout won.
    func seen() -> Bool { state.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged }

    /// The timeout fired; false when the first event won.
    func timeOut() -> Bool { state.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing).exchanged }

    var timedOut: Bool { state.load(ordering: .acquiring) == 2 }
}

/// One upstream stream as it is relayed: the parser, the translation and what was seen.
///
/// Used by one task at a time: the handler until the first event is ready, then the response
/// body writer, which starts only after the handler returned.
final class StreamRelay: @unchecked Sendable {
    let attempt: GatewayAttempt
    var iterator: AsyncStream<UpstreamEvent>.AsyncIterator
    let pump: Task<Void, Never>
    var parser = ServerSentEventParser()
    var translator: AnthropicTranslation.StreamTranslator?
    var usage: TokenUsage?
    var ttftMs: Double?
    /// `[DONE]` was seen.
    var done = false
    /// The message of an error event the upstream sent.
    var upstreamError: String?

    init(_ attempt: GatewayAttempt, iterator: AsyncStream<UpstreamEvent>.AsyncIterator, pump: Task<Void, Never>) {
        self.attempt = attempt
        self.iterator = iterator
        self.pump = pump
        if attempt.upstream.api == .anthropic {
            translator = AnthropicTranslation.StreamTranslator(model: attempt.model, created: Int(attempt.timestamp / 1_000_000),
                                                               includeUsage: attempt.call.includeUsage)
        }
    }

    func next() async -> UpstreamEvent? {
        var it = iterator
        let e = await it.next()
        iterator = it
        return e
    }

    func noteToken() {
        if ttftMs == nil { ttftMs = Double(DispatchTime.now().uptimeNanoseconds - attempt.started) / 1e6 }
    }

    /// The bytes to send the client for one upstream event, and the message when it is an error.
    func process(_ e: ServerSentEvent) -> (bytes: [UInt8], error: String?) {
        if var translator {
            defer { self.translator = translator }
            guard let v = try? JSONValue.parse(Array(e.data.utf8)) else { return ([], nil) }
            var out: [UInt8] = []
            for o in translator.translate(v) {
                switch o {
                case .chunk(let c, let token):
                    if token { noteToken() }
                    out += ServerSentEvent.encode(data: c.text)
                case .usage(let c):
                    out += ServerSentEvent.encode(data: c.text)
                case .done:
                    done = true
                    out += ServerSentEvent.encode(data: "[DONE]")
                case .error(let message, let type):
                    usage = translator.usage
                    let error = OpenAIError(status: .badGateway, message: message, type: type)
                    return (out + ServerSentEvent.encode(data: error.object.text), message)
                }
            }
            usage = translator.usage
            return (out, nil)
        }
        if e.data == "[DONE]" {
            done = true
            return (ServerSentEvent.encode(data: "[DONE]"), nil)
        }
        guard let v = try? JSONValue.parse(Array(e.data.utf8)) else { return (ServerSentEvent.encode(data: e.data, event: e.event), nil) }
        if let error = v["error"], !error.isNull {
            return (ServerSentEvent.encode(data: e.data), error["message"]?.stringValue ?? error.stringValue ?? "upstream error event")
        }
        if let u = TokenUsage(openAI: v["usage"]) {
            usage = u
            // The gateway asked for the usage chunk; a client that did not gets none.
            if (v["choices"]?.arrayValue ?? []).isEmpty && !attempt.call.includeUsage { return ([], nil) }
        }
        if ttftMs == nil, let delta = v["choices"]?.arrayValue?.first?["delta"] {
            let content = delta["content"]?.stringValue ?? ""
            if !content.isEmpty || delta["tool_calls"] != nil || delta["refusal"]?.stringValue != nil
                || !(delta["reasoning_content"]?.stringValue ?? "").isEmpty {
                noteToken()
            }
        }
        return (ServerSentEvent.encode(data: e.data, event: e.event), nil)
    }
}

extension RoutingService {
    /// A streamed attempt: waits for the upstream's first event (or its failure, which fails
    /// over), then answers with a body that relays the rest. Once that body has started, a
    /// failure reaches the client as an error event in the stream and is never retried.
    func streamAttempt(_ a: GatewayAttempt, _ request: HTTPClientRequest, _ gateway: Gateway) async -> GatewayAttemptResult {
        let (events, continuation) = AsyncStream<UpstreamEvent>.makeStream()
        let client = gateway.client
        let deadline = NIODeadline.now() + .nanoseconds(Int64(gateway.loaded.file.streamTimeoutSeconds * 1e9))
        let pump = Task {
            do {
                let response = try await client.execute(request, deadline: deadline)
                continuation.yield(.head(Int(response.status.code)))
                for try await chunk in response.body { continuation.yield(.chunk(chunk)) }
                continuation.yield(.end)
            } catch {
                continuation.yield(.failed(error))
            }
            continuation.finish()
        }
        let race = FirstEventRace()
        let timeout = a.upstream.timeoutSeconds
        let watchdog = Task {
            try? await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
            if !Task.isCancelled, race.timeOut() { pump.cancel() }
        }
        let relay = StreamRelay(a, iterator: events.makeAsyncIterator(), pump: pump)
        func fail(_ status: RequestStatus, _ message: String, clientError: OpenAIError? = nil) -> GatewayAttemptResult {
            watchdog.cancel()
            pump.cancel()
            let row = finish(a, gateway, status: status, routerStatus: clientError == nil ? nil : .cancelled)
            return .failed(GatewayFailure(status: status, message: message, retryable: clientError == nil, clientError: clientError,
                                          row: row))
        }
        var code = 0
        var errorBody: [UInt8] = []
        var first: [UInt8] = []
        while first.isEmpty {
            guard let event = await relay.next() else { return fail(.error, "the upstream closed the stream before any event") }
            switch event {
            case .head(let c):
                code = c
            case .chunk(let buffer):
                guard (200..<300).contains(code) else {
                    if errorBody.count < 1 << 16 { errorBody += buffer.readableBytesView }
                    continue
                }
                for e in relay.parser.feed(buffer) where relay.upstreamError == nil && !relay.done {
                    let (bytes, error) = relay.process(e)
                    if let error {
                        if first.isEmpty { return fail(.error, "error event before any output: \(error)") }
                        relay.upstreamError = error
                    }
                    first += bytes
                }
            case .end:
                if (200..<300).contains(code) { return fail(.error, "the stream ended before any event") }
                let e = Self.upstreamError(errorBody, code: code, api: a.upstream.api)
                if Self.isClientError(code) { return fail(.error, e.message, clientError: e) }
                return fail(Self.status(http: code), "HTTP \(code): \(e.message)")
            case .failed(let error):
                if race.timedOut || Self.isTimeout(error) {
                    return fail(.timeout, race.timedOut ? "no first event within \(YAMLChecker.format(timeout))s" : NetworkErrorText.describe(error) ?? "\(error)")
                }
                return fail(.error, NetworkErrorText.describe(error) ?? "\(error)")
            }
        }
        guard race.seen() else { return fail(.timeout, "no first event within \(YAMLChecker.format(timeout))s") }
        watchdog.cancel()
        let headers = answerHeaders(a, json: false)
        let body = ResponseBody { [first] writer in
            try await self.relayRest(relay, first: first, writer: &writer, gateway)
        }
        return .delivered(Response(status: .ok, headers: headers, body: body))
    }

    /// Sends the first bytes, then the rest of the upstream stream; ends the attempt, and stores
    /// its row (with the call's earlier attempts') before the body ends.
    func relayRest(_ relay: StreamRelay, first: [UInt8], writer: inout any ResponseBodyWriter, _ gateway: Gateway) async throws {
        var status = RequestStatus.ok
        var clientGone = false
        var stored = false
        func errorEvent(_ message: String, code: String) -> ByteBuffer {
            let e = OpenAIError(status: .badGateway, message: message, type: "api_error", code: code)
            return ByteBuffer(bytes: ServerSentEvent.encode(data: e.object.text))
        }
        /// Ends the attempt and stores the call's rows (once).
        func record(_ status: RequestStatus) async {
            guard !stored else { return }
            stored = true
            let row = finish(relay.attempt, gateway, status: status, usage: relay.usage ?? TokenUsage(), ttftMs: relay.ttftMs)
            await recordGatewayOutcomes(relay.attempt.earlierRows + [row], gateway)
        }
        do {
            try await writer.write(ByteBuffer(bytes: first))
            relaying: while relay.upstreamError == nil && !relay.done, let event = await relay.next() {
                switch event {
                case .head: continue
                case .chunk(let buffer):
                    var out: [UInt8] = []
                    for e in relay.parser.feed(buffer) where relay.upstreamError == nil && !relay.done {
                        let (bytes, error) = relay.process(e)
                        out += bytes
                        if let error { relay.upstreamError = error }
                    }
                    if !out.isEmpty { try await writer.write(ByteBuffer(bytes: out)) }
                case .end:
                    break relaying
                case .failed(let error):
                    status = Self.isTimeout(error) ? .timeout : .error
                    try await writer.write(errorEvent("the upstream stream failed after the first byte (no failover once streaming): \(error)",
                                                      code: status == .timeout ? "upstream_timeout" : "upstream_error"))
                    break relaying
                }
            }
            if relay.upstreamError != nil {
                status = .error
            } else if !relay.done && status == .ok {
                status = .error
                try await writer.write(errorEvent("the upstream stream ended before it finished (no failover once streaming)",
                                                  code: "upstream_truncated"))
            }
            if relay.done {
                // Let the pump see the end of the body so the connection goes back to the pool.
                while await relay.next() != nil {}
            }
            // The last event is out; the body ends once the row is stored.
            await record(status)
            try await writer.finish(nil)
        } catch {
            clientGone = true
        }
        if clientGone && !stored {
            relay.pump.cancel()
            await record(.cancelled)
        }
    }
}
