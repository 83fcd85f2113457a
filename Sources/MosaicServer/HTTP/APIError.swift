import Hummingbird

/// An error answer: `{"error": "...", "field": "..."}` with its HTTP status.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    /// The request field at fault, when there is one.
    public var field: String?

    public var description: String { field.map { "\(status.code) \($0): \(message)" } ?? "\(status.code): \(message)" }

    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, field: field)
    }

    static func unprocessable(_ message: String, field: String? = nil) -> APIError {
        APIError(status: .unprocessableContent, message: message, field: field)
    }

    /// A body that went over `limit` bytes while it was read.
    static func bodyOverLimit(_ limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "the body is over \(limit) bytes", field: nil)
    }

    /// A body whose `Content-Length` announces more than the limit (refused before it is read).
    static func declaredBodyOverLimit(_ length: Int, _ limit: Int) -> APIError {
        APIError(status: .contentTooLarge, message: "the body is \(length) bytes; at most \(limit) are accepted", field: nil)
    }

    /// A request with no body where a JSON object is expected.
    static let emptyBody = APIError(status: .badRequest, message: "the body is empty, expected a JSON object", field: nil)

    /// The JSON body.
    var body: ByteBuffer {
        var w = JSONWriter(capacity: 64 + message.utf8.count)
        w.beginObject()
        w.string("error", message)
        if let field { w.string("field", field) }
        w.endObject()
        w.newline()
        return w.buffer
    }

    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"mosaic-admin\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}
