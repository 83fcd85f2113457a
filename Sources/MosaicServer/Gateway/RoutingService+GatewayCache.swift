import Hummingbird
import HTTPTypes
import MosaicCore
import NIOCore

extension RoutingService {
    static let cacheHeader = HTTPField.Name("x-mosaic-cache")!

    /// A cached answer, as JSON or, for a streamed request, replayed as a stream of chunks.
    static func cached(_ hit: ResponseCache.Answer, _ call: GatewayCall) -> Response {
        var headers = HTTPFields()
        headers[requestIDHeader] = call.id
        headers[providerHeader] = hit.provider
        headers[cacheHeader] = "hit"
        guard call.stream else {
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: hit.body)))
        }
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: replay(hit.body, includeUsage: call.includeUsage))))
    }

    /// A chat completion as the stream that would have produced it: the message, its tool calls,
    /// the finish reason, the usage chunk when asked for, then `[DONE]`.
    static func replay(_ completion: [UInt8], includeUsage: Bool) -> [UInt8] {
        guard let c = try? JSONValue.parse(completion) else { return ServerSentEvent.encode(data: "[DONE]") }
        let choice = c["choices"]?.arrayValue?.first
        let message = choice?["message"]
        func chunk(_ delta: JSONValue, finish: JSONValue = .null) -> [UInt8] {
            let v: JSONValue = .obj([
                "id": c["id"] ?? .string(""), "object": .string("chat.completion.chunk"), "created": c["created"] ?? .int(0),
                "model": c["model"] ?? .string(""),
                "choices": .array([.obj(["index": .int(0), "delta": delta, "finish_reason": finish])]),
            ])
            return ServerSentEvent.encode(data: v.text)
        }
        var out = chunk(.obj(["role": .string("assistant"), "content": message?["content"] ?? .string("")]))
        if let calls = message?["tool_calls"]?.arrayValue, !calls.isEmpty {
            let indexed = calls.enumerated().map { k, call -> JSONValue in
                var v = call
                v.set("index", .int(k))
                return v
            }
            out += chunk(.obj(["tool_calls": .array(indexed)]))
        }
        out += chunk(.object([]), finish: choice?["finish_reason"] ?? .string("stop"))
        if includeUsage, let usage = c["usage"] {
            let v: JSONValue = .obj([
                "id": c["id"] ?? .string(""), "object": .string("chat.completion.chunk"), "created": c["created"] ?? .int(0),
                "model": c["model"] ?? .string(""), "choices": .array([]), "usage": usage,
            ])
            out += ServerSentEvent.encode(data: v.text)
        }
        out += ServerSentEvent.encode(data: "[DONE]")
        return out
    }
}
