import Hummingbird
import Logging
import Synchronization

/// Decides whether an admin request may run: the client must be on loopback (unless the server
/// allows remote admin), must not be locked out after repeated failures, and must present the
/// admin token, compared in constant time.
///
/// A client (by address) that fails ``maxFailures`` times within ``window`` is refused with 429
/// for ``lockout``, whatever it sends, and the lockout is logged. At most ``maxTracked`` clients
/// are remembered; past that, the ones whose window has passed are forgotten first, then all
/// further newcomers share one entry, so the table's memory stays bounded under a flood.
final class AdminGate: Sendable {
    static let maxFailures = 5
    static let window: Int64 = 60_000_000
    static let lockout: Int64 = 60_000_000
    static let maxTracked = 4096

    struct Entry {
        var failures: Int
        var windowStart: Int64
        var lockedUntil: Int64
    }

    let token: String?
    let loopbackOnly: Bool
    let clock: @Sendable () -> Int64
    let logger: Logger
    let entries = Mutex<[String: Entry]>([:])

    init(options: ServeOptions, logger: Logger) {
        token = options.adminToken
        loopbackOnly = !options.adminAllowRemote && !AdminGate.isLoopback(host: options.host)
        clock = options.clock
        self.logger = logger
    }

    /// nil when the request may go on; otherwise the error to answer. `address` is the client's
    /// IP address as the connection has it (nil: unknown, which is not loopback).
    func check(_ request: Request, peer address: String?) -> APIError? {
        let peer = address ?? "unknown"
        if loopbackOnly && !AdminGate.isLoopback(address: peer) {
            return APIError(status: .forbidden,
                            message: "admin endpoints answer loopback clients only (start mosaic serve with --admin-remote to allow others)",
                            field: nil)
        }
        let now = clock()
        if let until = entries.withLock({ $0[peer].map(\.lockedUntil) }), until > now {
            let seconds = (until - now + 999_999) / 1_000_000
            return APIError(status: .tooManyRequests,
                            message: "too many failed admin attempts from \(peer); try again in \(seconds) s", field: "Authorization")
        }
        guard let failure = ServeApplication.authorize(request, token: token) else {
            _ = entries.withLock { $0.removeValue(forKey: peer) }
            return nil
        }
        recordFailure(peer: peer, now: now)
        return failure
    }

    func recordFailure(peer: String, now: Int64) {
        let lockedNow = entries.withLock { table -> Bool in
            var key = peer
            if table[key] == nil && table.count >= AdminGate.maxTracked {
                table = table.filter { $0.value.lockedUntil > now || now - $0.value.windowStart < AdminGate.window }
                if table.count >= AdminGate.maxTracked { key = "overflow" }
            }
            var e = table[key] ?? Entry(failures: 0, windowStart: now, lockedUntil: 0)
            if now - e.windowStart >= AdminGate.window {
                e = Entry(failures: 0, windowStart: now, lockedUntil: 0)
            }
            e.failures += 1
            var locked = false
            if e.failures >= AdminGate.maxFailures {
                e.lockedUntil = now + AdminGate.lockout
                e.failures = 0
                e.windowStart = now
                locked = true
            }
            table[key] = e
            return locked
        }
        if lockedNow {
            logger.warning("admin locked out after repeated failed attempts", metadata: [
                "peer": "\(peer)", "failures": "\(AdminGate.maxFailures)", "lockout_s": "\(AdminGate.lockout / 1_000_000)",
            ])
        }
    }

    static func isLoopback(host: String) -> Bool {
        host == "localhost" || isLoopback(address: host)
    }

    static func isLoopback(address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}
