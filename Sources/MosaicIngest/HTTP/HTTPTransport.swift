import AsyncHTTPClient
import Foundation
import MosaicStore
import NIOCore
import NIOHTTP1

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Why no response arrived: the connection failed, was reset, or timed out.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var timedOut: Bool
    public var description: String
}

/// Sends GET requests. Implementations are thread-safe.
public protocol HTTPTransport: Sendable {
    /// Sends `GET url` with `headers`, waiting at most `timeout` seconds for the whole response.
    func get(_ url: URL, headers: [String: String], timeout: Double) throws(TransportError) -> HTTPResponse
}

/// HTTP over AsyncHTTPClient (SwiftNIO), on the process-wide client's event loops.
///
/// Foundation's URLSession on Linux drives libcurl from a dispatch timer that spins while an
/// answer is awaited: a pull waiting 6 s on a slow provider took 1.6 s of user and 3.7 s of system
/// time, and with the defaults (60 s × 6 attempts) minutes of a core. NIO's event loop sleeps in
/// epoll until the socket or the deadline wakes it.
public final class NIOHTTPTransport: HTTPTransport {
    private let client: HTTPClient

    public init(client: HTTPClient = NIOHTTPTransport.pullClient) { self.client = client }

    /// The client of API pulls: AsyncHTTPClient's shared settings, except that a connection that
    /// cannot be made (refused: nothing listens there) fails the attempt at once; the pull's
    /// retry policy then waits and tries again. With the shared client's settings the pool kept
    /// retrying the connect until the request's deadline, so every attempt at a closed port
    /// took the whole `--timeout` (6 minutes with the defaults) before "connection refused".
    /// Process-wide and never shut down, as the shared client is.
    public static let pullClient: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public func get(_ url: URL, headers: [String: String], timeout: Double) throws(TransportError) -> HTTPResponse {
        do {
            let request = try HTTPClient.Request(url: url, method: .GET, headers: HTTPHeaders(headers.map { ($0.key, $0.value) }))
            // The deadline covers the whole response, from connecting to the body's last byte.
            let response = try client.execute(request: request, deadline: .now() + .nanoseconds(Int64(timeout * 1e9))).wait()
            var h: [String: String] = [:]
            for (name, value) in response.headers {
                let k = name.lowercased()
                h[k] = h[k].map { $0 + ", " + value } ?? value
            }
            return HTTPResponse(status: Int(response.status.code), headers: h,
                                body: response.body.map { Data($0.readableBytesView) } ?? Data())
        } catch {
            throw Self.describe(error)
        }
    }

    /// What a failure to get an answer is, in a pull's words.
    static func describe(_ error: any Error) -> TransportError {
        func failed(_ text: String) -> TransportError { TransportError(timedOut: false, description: text) }
        if let e = error as? HTTPClientError {
            if [.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(e) {
                return TransportError(timedOut: true, description: "timed out")
            }
            if e == .remoteConnectionClosed { return failed("connection lost (reset or truncated response)") }
            return failed("\(e)")
        }
        if let text = NetworkErrorText.describe(error) { return TransportError(timedOut: text.hasPrefix("timed out"), description: text) }
        return failed("\(error)")
    }
}
