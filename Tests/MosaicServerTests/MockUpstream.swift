import Foundation
import Hummingbird
import Logging
@testable import MosaicServer
import NIOCore
import ServiceLifecycle
import Synchronization

/// A fake LLM provider on 127.0.0.1 for the gateway tests: OpenAI chat completions (plain and
/// SSE), embeddings, and Anthropic messages (plain and streamed), with faults on demand.
final class MockUpstream: Sendable {
    enum Mode: Sendable, Equatable {
        /// Answers normally.
        case ok
        /// Answers this HTTP status with an error body in the provider's shape.
        case status(Int)
        /// Waits 3 s before answering (longer than the tests' upstream timeout).
        case hang
        /// Streams: sends the first event, then breaks the connection.
        case dropAfterFirstEvent
        /// Answers normally, but an OpenAI-style chat answer reports this `usage` object.
        case usage(String)
    }

    struct Received: Sendable {
        var path: String
        var headers: HTTPFields
        var body: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    }

    let mode = Mutex<Mode>(.ok)
    let received = Mutex<[Received]>([])
    let port: Int
    let group: ServiceGroup
    let task: Task<Void, any Error>

    var requests: [Received] { received.withLock { $0 } }
    func set(_ m: Mode) { mode.withLock { $0 = m } }

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.task = task
    }

    /// The usage every OpenAI-style answer reports: 1000 prompt tokens (400 cached), 200 completion.
    static let openAIUsage = #"{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200,"prompt_tokens_details":{"cached_tokens":400}}"#

    static func start() async throws -> MockUpstream {
        let box = Mutex<MockUpstream?>(nil)
        let router = Hummingbird.Router()
        @Sendable func record(_ request: Request) async throws -> Received {
            let body = try await request.body.collect(upTo: 1 << 20)
            let r = Received(path: request.uri.path, headers: request.headers, body: Array(body.readableBytesView))
            box.withLock { $0?.received.withLock { $0.append(r) } }
            return r
        }
        @Sendable func currentMode() -> Mode { box.withLock { $0?.mode.withLock { $0 } ?? .ok } }
        router.post("/v1/chat/completions") { request, _ -> Response in
            let r = try await record(request)
            let json = r.json
            let model = json["model"] as? String ?? "?"
            return try await answer(currentMode(), anthropic: false) {
                if json["stream"] as? Bool == true {
                    let includeUsage = (json["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true
                    var events = [
                        #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"\#(model)","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
                        #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"\#(model)","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#,
                        #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"\#(model)","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}"#,
                        #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"\#(model)","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
                    ]
                    if includeUsage {
                        events.append(#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"\#(model)","choices":[],"usage":\#(openAIUsage)}"#)
                    }
                    events.append("[DONE]")
                    return .stream(events.map { "data: \($0)\n\n" })
                }
                var usage = openAIUsage
                if case .usage(let given) = currentMode() { usage = given }
                return .json(#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"\#(model)","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from \#(model)"},"finish_reason":"stop"}],"usage":\#(usage)}"#)
            }
        }
        router.post("/v1/embeddings") { request, _ -> Response in
            let r = try await record(request)
            let model = r.json["model"] as? String ?? "?"
            return try await answer(currentMode(), anthropic: false) {
                .json(#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,-0.5]}],"model":"\#(model)","usage":{"prompt_tokens":8,"total_tokens":8}}"#)
            }
        }
        router.post("/v1/messages") { request, _ -> Response in
            let r = try await record(request)
            let json = r.json
            let model = json["model"] as? String ?? "?"
            return try await answer(currentMode(), anthropic: true) {
                if json["stream"] as? Bool == true {
                    let events: [(String, String)] = [
                        ("message_start", #"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"\#(model)","content":[],"usage":{"input_tokens":600,"output_tokens":1,"cache_read_input_tokens":300,"cache_creation_input_tokens":100}}}"#),
                        ("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
                        ("ping", #"{"type":"ping"}"#),
                        ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me check"}}"#),
                        ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
                        ("content_block_start", #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}"#),
                        ("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": "}}"#),
                        ("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}}"#),
                        ("content_block_stop", #"{"type":"content_block_stop","index":1}"#),
                        ("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":50}}"#),
                        ("message_stop", #"{"type":"message_stop"}"#),
                    ]
                    return .stream(events.map { "event: \($0.0)\ndata: \($0.1)\n\n" })
                }
                return .json(#"{"id":"msg_1","type":"message","role":"assistant","model":"\#(model)","content":[{"type":"text","text":"Let me check"},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":600,"output_tokens":50,"cache_read_input_tokens":300,"cache_creation_input_tokens":100}}"#)
            }
        }
        var logger = Logger(label: "mock-upstream")
        logger.logLevel = .critical
        let port = PortPromise()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in port.fulfil(.success(channel.localAddress?.port ?? 0)) }, logger: logger)
        var config = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [], logger: logger)
        config.maximumGracefulShutdownDuration = .seconds(1)
        let group = ServiceGroup(configuration: config)
        let task = Task {
            do { try await group.run() } catch {
                port.fulfil(.failure(error))
                throw error
            }
        }
        let mock = MockUpstream(port: try await port.value(), group: group, task: task)
        box.withLock { $0 = mock }
        return mock
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    enum Answer {
        case json(String)
        case stream([String])
    }

    struct Dropped: Error {}

    static func answer(_ mode: Mode, anthropic: Bool, _ ok: () -> Answer) async throws -> Response {
        switch mode {
        case .status(let code):
            let body = anthropic
                ? #"{"type":"error","error":{"type":"overloaded_error","message":"mock says \#(code)"}}"#
                : code < 500 && code != 429
                    ? #"{"error":{"message":"mock says \#(code)","type":"invalid_request_error","param":"messages","code":"invalid_value"}}"#
                    : #"{"error":{"message":"mock says \#(code)","type":"server_error","param":null,"code":null}}"#
            return Response(status: .init(code: code), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        case .hang:
            try await Task.sleep(for: .seconds(3))
            return Response(status: .serviceUnavailable)
        case .ok, .dropAfterFirstEvent, .usage:
            switch ok() {
            case .json(let text):
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
            case .stream(let events):
                let drop = mode == .dropAfterFirstEvent
                return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                    for (k, e) in events.enumerated() {
                        try await writer.write(ByteBuffer(string: e))
                        if drop && k >= 1 {
                            // Let the events written reach the socket before the connection is
                            // dropped: under load the close could overtake their flush, and the
                            // gateway would see fewer events than the test expects. 100 ms was
                            // once too little in a full run of the suite on the loaded 2-core
                            // machine (the official client saw no content before the error).
                            try await Task.sleep(for: .milliseconds(500))
                            throw Dropped()
                        }
                    }
                    try await writer.finish(nil)
                })
            }
        }
    }
}
