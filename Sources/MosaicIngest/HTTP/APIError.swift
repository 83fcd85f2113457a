/// Why a pull from a provider API stopped. Messages name the source and the URL path, never
/// the key or the query string.
public enum APIError: Error, Sendable, CustomStringConvertible {
    /// The credential's environment variable is not set.
    case missingCredential(source: String, variable: String, kind: String)
    /// 401 or 403: the key is wrong or lacks the permission.
    case unauthorized(source: String, path: String, status: Int, hint: String, message: String?)
    /// Another 4xx: the request itself is wrong.
    case rejected(source: String, path: String, status: Int, message: String?)
    /// Retries ran out.
    case gaveUp(source: String, path: String, attempts: Int, last: String)
    /// The provider asks to wait longer than allowed.
    case rateLimited(source: String, path: String, waitSeconds: Double)
    /// A page parsed as JSON but not in the documented shape.
    case shape(source: String, path: String, reason: String)
    /// The window to pull holds no time: its start is not before its end.
    case emptyWindow(source: String, since: String, until: String)
    /// The store refused.
    case store(String)

    public var description: String {
        switch self {
        case let .missingCredential(source, variable, kind):
            return "\(source): set \(variable) to \(kind) (it is read from the environment only and never printed)"
        case let .unauthorized(source, path, status, hint, message):
            return "\(source): HTTP \(status) on \(path)\(message.map { ": \($0)" } ?? ""); \(hint)"
        case let .rejected(source, path, status, message):
            return "\(source): HTTP \(status) on \(path)\(message.map { ": \($0)" } ?? "")"
        case let .gaveUp(source, path, attempts, last):
            return "\(source): giving up on \(path) after \(attempts) attempt\(attempts == 1 ? "" : "s"); last: \(last)"
        case let .rateLimited(source, path, wait):
            return "\(source): rate limited on \(path); the provider asks to wait \(Int(wait.rounded(.up))) s, more than allowed — run again later"
        case let .shape(source, path, reason):
            return "\(source): unexpected response from \(path): \(reason)"
        case let .emptyWindow(source, since, until):
            return "\(source): empty window: \(since) is not before \(until)"
        case let .store(message):
            return message
        }
    }
}
