import NIOCore
import Synchronization

/// How many event-loop threads the server gets (`mosaic serve --threads`).
///
/// Hummingbird and the gateway's HTTP client run on NIO's singleton event-loop group, which has
/// one thread per core unless told otherwise. With ``TaskExecutorChoice/eventLoops`` the request
/// handlers run on those threads too. On a small machine that also runs a load generator, an
/// upstream or other services, fewer server threads than cores leaves a core to the rest instead
/// of letting the scheduler time-slice more runnable threads than there are cores.
public enum EventLoopThreads {
    private static let chosen = Atomic<Int>(0)

    /// Gives NIO's singleton event-loop group `count` threads (1 or more). Call it once, from the
    /// main thread, before ``TaskExecutorChoice/adopt()`` and before anything starts a server or a
    /// client: NIO reads the count when it first creates the group. A second call with the same
    /// count does nothing; a different count is a programming error (NIO cannot change it).
    public static func use(_ count: Int) {
        precondition(count >= 1, "event-loop threads must be at least 1, got \(count)")
        let (exchanged, previous) = chosen.compareExchange(expected: 0, desired: count, ordering: .relaxed)
        guard exchanged else {
            precondition(previous == count, "event-loop threads already set to \(previous), cannot change to \(count)")
            return
        }
        NIOSingletons.groupLoopCountSuggestion = count
    }

    /// The count NIO's singleton group has or will have (``use(_:)``'s, else
    /// `NIO_SINGLETON_GROUP_LOOP_COUNT`, else the number of cores).
    public static var count: Int { NIOSingletons.groupLoopCountSuggestion }
}
