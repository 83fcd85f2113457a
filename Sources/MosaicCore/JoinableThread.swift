import Foundation

/// A thread that can be joined: ``join()`` returns once the body has returned *and* released
/// everything it captured.
///
/// Foundation's `Thread` cannot be joined. A body that captures an object (a pipeline that owns
/// a store connection, say) keeps it alive until the thread winds down, which may be after the
/// owner has signalled "done" and the process has exited. Then the object's `deinit` (an
/// SQLite `close`, which checkpoints and removes the WAL file) never runs. Joining removes that
/// race.
public final class JoinableThread: @unchecked Sendable {
    #if canImport(Darwin)
    private var thread: pthread_t?
    #else
    private var thread = pthread_t()
    #endif
    private var joined = false

    /// Starts `body` on a new thread named `name` (Linux keeps its first 15 bytes).
    public init(name: String, _ body: @escaping @Sendable () -> Void) {
        final class Start {
            let name: String
            let body: @Sendable () -> Void
            init(name: String, body: @escaping @Sendable () -> Void) { self.name = name; self.body = body }
        }
        let context = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            // Take the start context back: it and the body's captures are released when this
            // scope ends, before the thread terminates.
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            Thread.current.name = start.name
            start.body()
            return nil
        }, context)
        precondition(rc == 0, "pthread_create failed (\(rc))")
    }

    /// Waits for the body to return and its captures to be released. Call it once, from another
    /// thread; later calls return at once.
    public func join() {
        if joined { return }
        joined = true
        #if canImport(Darwin)
        if let thread { pthread_join(thread, nil) }
        #else
        pthread_join(thread, nil)
        #endif
    }
}
