import NIOCore
import NIOPosix
import Synchronization

/// Where the server's Swift concurrency tasks (the request handlers) run.
///
/// Hummingbird reads and writes on NIO's event loops and runs each connection's handler as a
/// task. On the default global executor that task runs on Swift's cooperative pool, so every
/// request crosses threads twice (event loop → pool → event loop), and on a machine with few cores
/// the event loops, the pool and any load generator compete for the same CPUs. With
/// ``eventLoops`` the tasks run on the event loop that read the request: no thread hop.
public enum TaskExecutorChoice: String, CaseIterable, Sendable {
    /// NIO's singleton event loops become Swift concurrency's global executor (the default of
    /// `mosaic serve`; `NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`).
    case eventLoops = "event-loops"
    /// Swift's own cooperative thread pool (what a process gets when nothing is installed).
    case pool

    private static let installed = Atomic<Bool>(false)

    /// Makes this choice the process's executor. Call it once, from the main thread, before any
    /// task has started; ``eventLoops`` cannot be undone. Returns false when the runtime does
    /// not offer the hook (the pool then stays in use).
    @discardableResult
    public func adopt() -> Bool {
        guard self == .eventLoops else { return true }
        guard !Self.installed.exchange(true, ordering: .relaxed) else { return true }
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
