import Synchronization

/// The pool's live state (``ProviderRuntime`` per provider), read and changed only inside
/// ``withLock(_:)``: behind one `Mutex`, or behind none when the router is confined to one
/// thread.
///
/// A simulation makes one router per replication and calls it from that replication's thread
/// only, so it asks for a confined router (``Router/init(policy:catalog:model:now:sharedLimits:confined:)``)
/// and saves a lock and an unlock per decision, admission and outcome (about 9% of a replay's
/// time). A server's router is never confined.
final class LiveState: @unchecked Sendable {
    private let mutex: Mutex<[ProviderRuntime]>
    /// The state of a confined router (the mutex then holds an empty array).
    private let confinedState: UnsafeMutablePointer<[ProviderRuntime]>?

    init(_ state: [ProviderRuntime], confined: Bool) {
        if confined {
            let p = UnsafeMutablePointer<[ProviderRuntime]>.allocate(capacity: 1)
            p.initialize(to: state)
            confinedState = p
            mutex = Mutex([])
        } else {
            confinedState = nil
            mutex = Mutex(state)
        }
    }

    deinit {
        if let p = confinedState {
            p.deinitialize(count: 1)
            p.deallocate()
        }
    }

    /// Runs `body` with exclusive access to the state: under the lock, or directly when confined.
    @inline(__always)
    func withLock<R: Sendable>(_ body: (inout [ProviderRuntime]) -> R) -> R {
        if let p = confinedState { return body(&p.pointee) }
        return mutex.withLock { body(&$0) }
    }
}
