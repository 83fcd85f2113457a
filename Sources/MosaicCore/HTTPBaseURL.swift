import Foundation

/// The address of an HTTP API as a user writes it (a gateway upstream's `base_url`, a pull's
/// `--base-url`), checked before any request is sent to it.
///
/// Foundation's `URL` takes any number as the port, and AsyncHTTPClient hands it to SwiftNIO,
/// which traps converting it to 16 bits: `base_url: http://127.0.0.1:99999/v1` stopped
/// `mosaic serve` with "Fatal error: Not enough bits to represent the passed value" at the
/// gateway's first request, and `--base-url http://127.0.0.1:99999` did the same to a pull.
public enum HTTPBaseURL {
    /// Why a text is not an address requests can go to.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// Not a URL, or not http:// or https://, or without a host.
        case notHTTP(String)
        /// A port outside 1...65535.
        case port(String, Int)

        public var description: String {
            switch self {
            case .notHTTP(let text): return "'\(text)' is not an http:// or https:// URL with a host"
            case .port(let text, let port): return "'\(text)' has port \(port); a port is a number from 1 to 65535"
            }
        }
    }

    /// The URL `text` names, when it is http:// or https:// with a host and, if it gives a port,
    /// one in 1...65535.
    ///
    /// - Throws: ``Problem`` naming the text.
    public static func parse(_ text: String) throws(Problem) -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw .notHTTP(text)
        }
        if let port = url.port, !(1...65_535).contains(port) { throw .port(text, port) }
        return url
    }
}
