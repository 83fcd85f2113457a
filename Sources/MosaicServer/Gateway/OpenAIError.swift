import Hummingbird
import MosaicCore

/// An error answer in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`, which
/// the official clients turn into their typed exceptions (`BadRequestError`, `RateLimitError`…).
struct OpenAIError: Error, Sendable, Equatable {
    var status: HTTPResponse.Status
    var message: String
    /// `invalid_request_error`, `authentication_error`, `rate_limit_error`, `api_error`…
    var type: String
    var param: String?
    var code: String?

    static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// The error object alone (what a stream's error event carries).
    var object: JSONValue {
        .obj([
            "error": .obj([
                "message": .string(message),
                "type": .string(type),
                "param": param.map { .string($0) } ?? .null,
                "code": code.map { .string($0) } ?? .null,
            ]),
        ])
    }

    var response: Response {
        let (head, body) = parts
        return Response(status: head.status, headers: head.headerFields, body: .init(byteBuffer: body))
    }

    /// The answer's head (without `Content-Length`) and body.
    var parts: (head: HTTPResponse, body: ByteBuffer) {
        var bytes = object.bytes
        bytes.append(UInt8(ascii: "\n"))
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"mosaic-gateway\"" }
        return (HTTPResponse(status: status, headerFields: headers), ByteBuffer(bytes: bytes))
    }

    /// The error a Mosaic API error becomes on a gateway endpoint.
    init(_ e: APIError) {
        self.init(status: e.status, message: e.message,
                  type: e.status == .contentTooLarge || e.status.code < 500 ? "invalid_request_error" : "api_error",
                  param: e.field, code: nil)
    }

    init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }
}
