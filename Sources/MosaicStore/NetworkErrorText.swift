import Foundation
import NIOCore
import NIOPosix

/// A failure below HTTP or PostgreSQL's protocol (a refused or reset connection, an unknown
/// host, a timeout) in words, for the messages of everything Mosaic connects to: the PostgreSQL
/// store, provider APIs and the gateway's upstreams. SwiftNIO's own descriptions read
/// `connection reset (error set): Connection refused) (errno: 111)`.
public enum NetworkErrorText {
    /// The words for `error`, or nil when it is not a socket-level failure.
    public static func describe(_ error: any Error) -> String? {
        if let e = error as? NIOConnectionError {
            // Every address tried failed; the first one's reason stands for them.
            if let first = e.connectionErrors.first { return describe(first.error) ?? "no connection could be made" }
            if e.dnsAError != nil || e.dnsAAAAError != nil { return "host \(e.host) not found" }
            return "no connection could be made"
        }
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "connection refused (nothing listens there)"
            case ECONNRESET, EPIPE: return "connection lost (reset by the other side)"
            case ETIMEDOUT: return "timed out"
            case EHOSTUNREACH, ENETUNREACH: return "no route to the host"
            default: return "network error: \(String(cString: strerror(io.errnoCode)).lowercased())"
            }
        }
        if let c = error as? ChannelError {
            switch c {
            case .connectTimeout: return "timed out connecting"
            case .ioOnClosedChannel, .alreadyClosed, .eof: return "connection lost (closed by the other side)"
            default: return nil
            }
        }
        return nil
    }
}
