import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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

/// HTTP over Foundation's URLSession (libcurl on Linux), without caches or cookies.
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession

    public init() {
        let config = URLSessionConfiguration.ephemeral
        config.urlCache = nil
        config.httpCookieStorage = nil
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.httpMaximumConnectionsPerHost = 2
        session = URLSession(configuration: config)
    }

    deinit { session.finishTasksAndInvalidate() }

    public func get(_ url: URL, headers: [String: String], timeout: Double) throws(TransportError) -> HTTPResponse {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "GET"
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let box = ResultBox()
        let semaphore = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            if let error {
                let code = (error as? URLError)?.code
                box.set(.failure(TransportError(timedOut: code == .timedOut,
                                                description: Self.describe(error))))
            } else if let http = response as? HTTPURLResponse {
                var h: [String: String] = [:]
                for (k, v) in http.allHeaderFields {
                    if let k = k as? String, let v = v as? String { h[k.lowercased()] = v }
                }
                box.set(.success(HTTPResponse(status: http.statusCode, headers: h, body: data ?? Data())))
            } else {
                box.set(.failure(TransportError(timedOut: false, description: "no HTTP response")))
            }
            semaphore.signal()
        }
        task.resume()
        // The deadline covers the whole response (URLSession's own timeout is an idle timeout,
        // and libcurl applies it loosely).
        if semaphore.wait(timeout: .now() + timeout) == .timedOut {
            task.cancel()
            throw TransportError(timedOut: true, description: "no complete answer within \(timeout) s")
        }
        return try box.get()
    }

    static func describe(_ error: any Error) -> String {
        guard let u = error as? URLError else { return "\(error)" }
        switch u.code {
        case .timedOut: return "timed out"
        case .networkConnectionLost: return "connection lost (reset or truncated response)"
        case .cannotConnectToHost: return "cannot connect"
        case .cannotFindHost: return "host not found"
        case .notConnectedToInternet: return "no network"
        case .badServerResponse: return "bad server response"
        default: return "network error \(u.code.rawValue)"
        }
    }

    private final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Result<HTTPResponse, TransportError>?
        func set(_ r: Result<HTTPResponse, TransportError>) { lock.lock(); result = r; lock.unlock() }
        func get() throws(TransportError) -> HTTPResponse {
            lock.lock(); defer { lock.unlock() }
            return try result!.get()
        }
    }
}
