import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A stand-in LLM provider on 127.0.0.1 for `mosaic demo` and the gateway benchmark: it answers
/// chat requests in OpenAI's shape (`POST /v1/chat/completions`) or Anthropic's
/// (`POST /v1/messages`), non-streamed, after a delay that depends only on the prompt.
///
/// Usage is a pure function of the last message's text: ``usage(of:)``. Every `rateLimitEvery`-th
/// request (counted from 1) is answered 429 in the provider's error shape, so failover shows.
public final class DemoUpstream: Sendable {
    public enum Style: String, Sendable {
        case openAI = "openai"
        case anthropic
    }

    /// The port it listens on.
    public let port: Int
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let counter: Counter

    final class Counter: Sendable {
        let requests = Atomic<Int>(0)
        let limited = Atomic<Int>(0)
    }

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>, counter: Counter) {
        self.port = port
        self.group = group
        self.task = task
        self.counter = counter
    }

    /// Requests received so far, and how many of them were answered 429.
    public var counts: (requests: Int, rateLimited: Int) {
        (counter.requests.load(ordering: .relaxed), counter.limited.load(ordering: .relaxed))
    }

    /// The usage the upstream reports for a prompt: input tokens = its UTF-8 bytes, output
    /// tokens = 20 + bytes mod 50.
    public static func usage(of text: String) -> (input: Int, output: Int) {
        let n = text.utf8.count
        return (n, 20 + n % 50)
    }

    /// Starts one on a free port.
    ///
    /// - Parameters:
    ///   - latencyMs: the delay before answering, from the prompt's input tokens.
    ///   - rateLimitEvery: answer every n-th request 429; nil: never.
    public static func start(style: Style, latencyMs: @escaping @Sendable (Int) -> Double = { _ in 0 },
                             rateLimitEvery: Int? = nil) async throws -> DemoUpstream {
        let counter = Counter()
        let router = Hummingbird.Router()
        @Sendable func answer(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
            let n = counter.requests.wrappingAdd(1, ordering: .relaxed).newValue
            let body = try await request.body.collect(upTo: 4 << 20)
            let json = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
            if let every = rateLimitEvery, every > 0, n % every == 0 {
                _ = counter.limited.wrappingAdd(1, ordering: .relaxed)
                let error = style == .anthropic
                    ? #"{"type":"error","error":{"type":"rate_limit_error","message":"demo upstream: rate limited"}}"#
                    : #"{"error":{"message":"demo upstream: rate limited","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}"#
                return Response(status: .tooManyRequests, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: error)))
            }
            let text = Self.lastText(json["messages"])
            let (input, output) = usage(of: text)
            let delay = latencyMs(input)
            if delay > 0 { try await Task.sleep(nanoseconds: UInt64(delay * 1e6)) }
            let model = json["model"] as? String ?? "demo"
            let reply: String
            switch style {
            case .openAI:
                reply = #"{"id":"chatcmpl-demo-\#(n)","object":"chat.completion","created":1,"model":"\#(model)","choices":[{"index":0,"message":{"role":"assistant","content":"Done (\#(input) bytes read)."},"finish_reason":"stop"}],"usage":{"prompt_tokens":\#(input),"completion_tokens":\#(output),"total_tokens":\#(input + output)}}"#
            case .anthropic:
                reply = #"{"id":"msg_demo_\#(n)","type":"message","role":"assistant","model":"\#(model)","content":[{"type":"text","text":"Done (\#(input) bytes read)."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":\#(input),"output_tokens":\#(output)}}"#
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: reply)))
        }
        switch style {
        case .openAI:
            router.post("/v1/chat/completions", use: answer)
        case .anthropic:
            router.post("/v1/messages", use: answer)
        }
        var logger = Logger(label: "mosaic.demo-upstream")
        logger.logLevel = .critical
        let (ports, found) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  found.yield(channel.localAddress?.port ?? 0)
                                  found.finish()
                              }, logger: logger)
        var config = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [], logger: logger)
        config.maximumGracefulShutdownDuration = .seconds(1)
        let group = ServiceGroup(configuration: config)
        let task = Task {
            defer { found.finish() }
            try await group.run()
        }
        var it = ports.makeAsyncIterator()
        guard let port = await it.next(), port > 0 else {
            task.cancel()
            throw LoopbackHTTPClient.Failure(description: "the demo upstream did not start")
        }
        return DemoUpstream(port: port, group: group, task: task, counter: counter)
    }

    /// Stops it (graceful, at most 1 s).
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    /// The text of the last message: a string, or the text blocks of an array.
    static func lastText(_ messages: Any?) -> String {
        guard let last = (messages as? [[String: Any]])?.last else { return "" }
        if let s = last["content"] as? String { return s }
        return ((last["content"] as? [[String: Any]]) ?? []).compactMap { $0["text"] as? String }.joined()
    }
}
