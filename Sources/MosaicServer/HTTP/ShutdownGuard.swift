import Dispatch
import Foundation
import Logging
import Synchronization

/// What `mosaic serve` does on SIGTERM and SIGINT, and the promise that it then stops.
///
/// The first signal starts graceful shutdown (stop accepting, drain, flush the outcome writer)
/// and arms a deadline of `--shutdown-timeout` plus ``margin``. The service group normally
/// returns well before it. When it does not (swift-async-algorithms' `merge`, under
/// Hummingbird's date cache, can deadlock while the group cancels its last tasks:
/// apple/swift-async-algorithms#430), the deadline ends the process: with status 0 when the
/// outcome writer had flushed, so nothing acknowledged or queued was lost, else with 1. A second
/// signal ends it at once, with 1.
///
/// The handling of signals and the ending of the process are given to it, so that tests can
/// drive it without either.
public final class ShutdownGuard: Sendable {
    /// How long past `--shutdown-timeout` the group may take to return.
    public static let margin: Duration = .seconds(10)

    private enum State { case serving, stopping, finished }
    private let state = Mutex(State.serving)
    private let deadline: Duration
    private let logger: Logger
    private let shutDown: @Sendable () -> Void
    private let flushed: @Sendable () -> Bool
    private let end: @Sendable (Int32) -> Void
    private let queue = DispatchQueue(label: "mosaic.shutdown-guard")

    /// - Parameters:
    ///   - shutdownTimeout: the service group's own limit for graceful shutdown.
    ///   - shutDown: starts graceful shutdown.
    ///   - flushed: whether the outcome writer has written every queued row.
    ///   - exit: ends the process with the status.
    ///   - margin: how long past `shutdownTimeout` the deadline is (``margin`` unless a test
    ///     wants it shorter).
    public init(shutdownTimeout: Duration, margin: Duration = ShutdownGuard.margin, logger: Logger,
                shutDown: @escaping @Sendable () -> Void,
                flushed: @escaping @Sendable () -> Bool,
                exit: @escaping @Sendable (Int32) -> Void) {
        deadline = shutdownTimeout + margin
        self.logger = logger
        self.shutDown = shutDown
        self.flushed = flushed
        self.end = exit
    }

    /// A signal arrived.
    public func signalled(_ name: String) {
        let before = state.withLock { s -> State in
            let was = s
            if s == .serving { s = .stopping }
            return was
        }
        switch before {
        case .serving:
            logger.notice("shutting down", metadata: ["signal": "\(name)"])
            shutDown()
            let (seconds, attoseconds) = deadline.components
            let nanos = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            queue.asyncAfter(deadline: .now() + .nanoseconds(nanos)) { [self] in overdue() }
        case .stopping:
            logger.error("second signal: stopping at once, without waiting for graceful shutdown",
                         metadata: ["signal": "\(name)"])
            end(1)
        case .finished:
            break
        }
    }

    /// The service group returned: the deadline has nothing left to do.
    public func finished() {
        state.withLock { $0 = .finished }
    }

    /// The deadline passed.
    func overdue() {
        guard state.withLock({ $0 }) == .stopping else { return }
        let (seconds, _) = deadline.components
        if flushed() {
            logger.warning("graceful shutdown did its work but did not return within \(seconds) s; stopping (no outcome lost)")
            end(0)
        } else {
            logger.error("graceful shutdown did not finish within \(seconds) s; stopping (outcomes still queued are lost)")
            end(1)
        }
    }

    /// Hands SIGTERM and SIGINT to `guard` for as long as the process runs.
    public static func install(_ guard: ShutdownGuard) {
        for (signo, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(signo, SIG_IGN)   // the dispatch source sees it; the default action must not end the process
            let source = DispatchSource.makeSignalSource(signal: signo, queue: `guard`.queue)
            source.setEventHandler { `guard`.signalled(name) }
            source.resume()
            sources.withLock { $0.append(SignalSource(source: source)) }
        }
    }

    /// The sources live as long as the process.
    private static let sources = Mutex<[SignalSource]>([])

    /// A resumed source, kept and never touched again.
    private struct SignalSource: @unchecked Sendable { let source: any DispatchSourceSignal }

    /// Ends the process now, with `_exit`: `exit` runs handlers that may wait on the deadlocked
    /// threads.
    public static func terminate(_ status: Int32) {
        fflush(nil)   // every stream: what was printed is out
        _exit(status)
    }
}
