#if MOSAIC_TSAN
import Foundation

/// A lock ThreadSanitizer can see, for `scripts/tsan` builds only (`MOSAIC_TSAN=1`).
///
/// On Linux, Synchronization's `Mutex` locks with a futex that ThreadSanitizer does not
/// intercept, so every access made under it is reported as a race (a ten-line program with
/// two threads incrementing under `Mutex.withLock` shows it on Swift 6.3.1). Under
/// `MOSAIC_TSAN` each module that locks with `Mutex` declares `typealias Mutex = TSanMutex`,
/// which shadows Synchronization's: the same one-holder-at-a-time semantics over an `NSLock`
/// (a pthread mutex, which ThreadSanitizer intercepts), so the races it still reports are real.
public final class TSanMutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    public init(_ initialValue: sending Value) { value = initialValue }

    public func withLock<Result, E: Error>(_ body: (inout sending Value) throws(E) -> sending Result) throws(E) -> sending Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    public func withLockIfAvailable<Result, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result? {
        guard lock.try() else { return nil }
        defer { lock.unlock() }
        return try body(&value)
    }
}
#endif
