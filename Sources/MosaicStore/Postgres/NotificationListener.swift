import Foundation
import PostgresNIO
import Synchronization

/// Listens on a PostgreSQL notification channel (`LISTEN`) on a connection of its own, and
/// reconnects after a failure (every `retry` seconds while the server cannot be reached).
///
/// `onEvent` is called with `.connected` each time the listen is in place (after a reconnect,
/// notifications sent meanwhile are lost: the handler should catch up from the tables) and
/// with `.notification(payload)` for each notification. It runs on a Swift concurrency task:
/// keep it short (hand work to a thread of your own).
public final class NotificationListener: Sendable {
    public enum Event: Sendable, Equatable {
        case connected
        case notification(String)
    }

    let task: Mutex<Task<Void, Never>?>

    /// Starts listening.
    ///
    /// - Parameters:
    ///   - url: the database.
    ///   - channel: the channel name (an SQL identifier).
    ///   - retry: seconds between reconnection attempts.
    ///   - onEvent: see above.
    public init(url: PostgresURL, channel: String, retry: Double = 0.5, logger: Logger,
                onEvent: @escaping @Sendable (Event) -> Void) {
        task = Mutex(nil)
        let t = Task.detached {
            var configuration = PostgresConnection.Configuration(
                host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
                tls: .disable)
            configuration.options.connectTimeout = .seconds(10)
            var quiet = Logger(label: "mosaic.store.postgres.listen")
            quiet.logLevel = .error
            // Logged once per outage: when the connection is lost (or the first attempt fails),
            // and when it listens again; not at every failed attempt in between.
            var downSince: ContinuousClock.Instant?
            while !Task.isCancelled {
                do {
                    let connection = try await PostgresConnection.connect(configuration: configuration, id: 2, logger: quiet)
                    do {
                        try await connection.listen(on: channel) { notifications in
                            if let since = downSince {
                                logger.notice("notification listener listens again", metadata: [
                                    "channel": "\(channel)", "down": "\(ContinuousClock.now - since)",
                                ])
                                downSince = nil
                            }
                            onEvent(.connected)
                            for try await n in notifications { onEvent(.notification(n.payload)) }
                        }
                    } catch {
                        if !Task.isCancelled {
                            logger.warning("notification listener lost its connection; connecting again",
                                           metadata: ["error": "\(PostgresSession.message(of: error))"])
                            downSince = ContinuousClock.now
                        }
                    }
                    try? await connection.close()
                } catch {
                    if !Task.isCancelled && downSince == nil {
                        logger.warning("notification listener cannot connect; trying again until it can",
                                       metadata: ["error": "\(PostgresSession.message(of: error))"])
                        downSince = ContinuousClock.now
                    }
                }
                try? await Task.sleep(nanoseconds: UInt64(retry * 1e9))
            }
        }
        task.withLock { $0 = t }
    }

    /// Stops listening (idempotent).
    public func stop() {
        task.withLock { $0?.cancel() }
    }

    deinit { stop() }
}
