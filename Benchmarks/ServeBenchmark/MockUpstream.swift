// The gateway benchmarks' stand-in upstream (`ServeBenchmark --mock-upstream --delay-ms D`): an
// OpenAI-style chat completions endpoint on a free port, answering after a fixed delay.
//
// It is written on NIO's HTTP/1 pipeline, with the delay as an event-loop timer, so that it costs
// the 2-core machine as little CPU as a stand-in can: the figure the benchmark reports is the
// latency the gateway adds, and every core-second the upstream burns is one the gateway and the
// load generator queue for. The first version (Hummingbird, Foundation's JSONSerialization and
// `Task.sleep` on the cooperative pool) used about 250 µs of CPU a request, half a core at
// 2,000 requests/s.

import MosaicCore
import NIOCore
import NIOHTTP1
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Runs the stand-in upstream until killed; prints `PORT n` first. Chat completions answer after
/// `delayMs` with a usage that depends only on the last message (``mockUsage(_:)``), so a trace's
/// cost is known in advance; any other request gets a 404.
func runMockUpstream(delayMs: Double) -> Never {
    let delay: TimeAmount? = delayMs > 0 ? .nanoseconds(Int64(delayMs * 1e6)) : nil
    let bootstrap = ServerBootstrap(group: NIOSingletons.posixEventLoopGroup)
        .serverChannelOption(.backlog, value: 1024)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                try channel.pipeline.syncOperations.addHandler(MockUpstreamHandler(delay: delay))
            }
        }
    do {
        let server = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
        let line = "PORT \(server.localAddress?.port ?? 0)\n"
        _ = line.withCString { write(1, $0, strlen($0)) }
        try server.closeFuture.wait()
        exit(0)
    } catch {
        let line = "mock upstream failed: \(error)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        exit(1)
    }
}

/// One connection of the stand-in: collects a request, then answers it (after the delay).
/// NIO's pipelining helper holds a connection's next request until this answer has ended.
final class MockUpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let delay: TimeAmount?
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(delay: TimeAmount?) { self.delay = delay }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            guard let head else { return }
            self.head = nil
            let isChat = head.method == .POST && (head.uri == "/v1/chat/completions" || head.uri == "/chat/completions")
            let answer = isChat ? Self.chatAnswer(body) : #"{"error":{"message":"not found","type":"invalid_request_error"}}"#
            let status: HTTPResponseStatus = isChat ? .ok : .notFound
            let keepAlive = head.isKeepAlive
            let loop = context.eventLoop.assumeIsolated()
            if let delay, isChat {
                loop.scheduleTask(in: delay) { Self.respond(context, status, answer, keepAlive: keepAlive) }
            } else {
                Self.respond(context, status, answer, keepAlive: keepAlive)
            }
        }
    }

    private static func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ text: String, keepAlive: Bool) {
        var headers = HTTPHeaders([("content-type", "application/json"), ("content-length", String(text.utf8.count))])
        if !keepAlive { headers.add(name: "connection", value: "close") }
        let buffer = context.channel.allocator.buffer(string: text)
        context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        if keepAlive {
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// The completion for a chat request body: usage from the last message's text, the model
    /// echoed back.
    private static func chatAnswer(_ body: ByteBuffer) -> String {
        let json = try? JSONValue.parse(body.readableBytesView)
        let content = json?["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
        let model = json?["model"]?.stringValue ?? "bench-model"
        let (input, output) = mockUsage(content)
        return #"{"id":"chatcmpl-bench","object":"chat.completion","created":1,"model":"\#(model)","choices":[{"index":0,"message":{"role":"assistant","content":"Answer \#(input)"},"finish_reason":"stop"}],"usage":{"prompt_tokens":\#(input),"completion_tokens":\#(output),"total_tokens":\#(input + output)}}"#
    }
}

/// The mock's usage for a prompt.
func mockUsage(_ content: String) -> (input: Int, output: Int) {
    let n = content.utf8.count
    return (n, 20 + n % 50)
}
