#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HummingbirdCore
import Logging
import NIOCore

/// Bounds the number of open connections: at the limit the server stops accepting, and new
/// connections wait in the kernel's listen backlog until one closes (idle ones close after
/// `--idle-timeout`, slow ones after `--request-timeout`).
///
/// Reaching the limit is logged once per 10 seconds at most, with the limit and how to raise
/// it; accepting again after that is logged too. Runs on the listening channel's event loop.
struct ConnectionLimit: AvailableConnectionsDelegate {
    let maximum: Int
    let logger: Logger
    var open = 0
    var atLimit = false
    var lastWarning: NIODeadline?

    init(maximum: Int, logger: Logger) {
        precondition(maximum > 0, "the connection limit must be positive")
        self.maximum = maximum
        self.logger = logger
    }

    mutating func connectionOpened() {
        open += 1
        if open >= maximum && !atLimit {
            atLimit = true
            let now = NIODeadline.now()
            if lastWarning.map({ now - $0 >= .seconds(10) }) ?? true {
                lastWarning = now
                logger.warning("connection limit reached: new connections wait until one closes", metadata: [
                    "open_connections": "\(open)", "max_connections": "\(maximum)",
                    "hint": "raise --max-connections (and the open-file limit, ulimit -n) if this is legitimate load",
                ])
            }
        }
    }

    mutating func connectionClosed() {
        open -= 1
        if atLimit && open < maximum {
            atLimit = false
            logger.info("accepting connections again", metadata: ["open_connections": "\(open)", "max_connections": "\(maximum)"])
        }
    }

    func isAcceptingNewConnections() -> Bool { open < maximum }

    /// The open-file limit is raised to its hard limit at start; the default connection limit
    /// leaves room under it for the store, the model files and logging.
    static let reservedDescriptors = 128

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit (best effort) and returns the soft limit
    /// now in force.
    @discardableResult
    static func raiseOpenFileLimit() -> Int {
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// The limit to use: `requested`, or 16,384 when nil; never more than the open-file limit
    /// allows (the soft limit less ``reservedDescriptors``).
    static func resolve(requested: Int?, logger: Logger) -> Int {
        let files = raiseOpenFileLimit()
        let room = max(16, files - reservedDescriptors)
        let wanted = requested ?? 16_384
        if wanted > room {
            logger.warning("connection limit lowered to fit the open-file limit", metadata: [
                "requested": "\(wanted)", "max_connections": "\(room)", "open_file_limit": "\(files)",
                "hint": "raise the hard limit (ulimit -Hn, LimitNOFILE= in systemd) to allow more",
            ])
            return room
        }
        return wanted
    }
}
