import Foundation
import Logging

/// Diagnostics go to standard error through swift-log; results go to standard output.
///
/// The level comes from `MOSAIC_LOG_LEVEL` (trace, debug, info, notice, warning, error,
/// critical; default warning), so scripts see only results unless they ask for more.
enum Log {
    static let bootstrap: Void = {
        let env = ProcessInfo.processInfo.environment["MOSAIC_LOG_LEVEL"]?.lowercased()
        let level = env.flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }()

    static func logger(_ label: String) -> Logger {
        _ = bootstrap
        return Logger(label: "mosaic.\(label)")
    }
}
