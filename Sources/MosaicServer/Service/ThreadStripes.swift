#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// State split into stripes chosen by the calling thread, so that threads running at once (the
/// two event loops) mostly work on stripes of their own.
///
/// When two cores write the same lock or counter, its cache line moves between them on every
/// request; with a stripe each, a thread's lock stays in its own core's cache and is taken
/// uncontended. Every stripe still has its lock, so two threads that happen to pick the same
/// stripe stay correct; they only share it. Readers that need the whole (a `/metrics` scrape)
/// visit every stripe.
final class ThreadStripes<Value: Sendable>: Sendable {
    /// One stripe: its lock and value, with padding so that two stripes' locks never share a
    /// 64-byte cache line (heap objects are only 16-byte aligned).
    final class Stripe: Sendable {
        let state: Mutex<Value>
        private let padding: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)

        init(_ value: Value) { state = Mutex(value) }
    }

    let stripes: [Stripe]
    private let shift: Int

    /// `count` stripes (rounded up to a power of two, at least 2), each starting as `initial()`.
    init(count: Int = 16, _ initial: () -> Value) {
        var n = 2
        while n < count { n <<= 1 }
        stripes = (0..<n).map { _ in Stripe(initial()) }
        shift = 64 - n.trailingZeroBitCount
    }

    /// The calling thread's stripe: a multiplicative hash of its `pthread_self()` (an address
    /// whose low bits are the same for every thread), so distinct threads spread over the stripes.
    @inline(__always)
    var mine: Stripe { stripes[myIndex] }

    @inline(__always)
    private var myIndex: Int {
        #if os(Linux)
        let id = UInt64(pthread_self())
        #else
        let id = UInt64(UInt(bitPattern: pthread_self()))
        #endif
        return Int(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) >> UInt64(shift))
    }

    /// Runs `body` on the calling thread's stripe, under its lock.
    @inline(__always)
    func withMine<R: Sendable>(_ body: (inout sending Value) -> sending R) -> R {
        // Unretained: `stripes` keeps every stripe alive as long as `self`.
        unowned(unsafe) let stripe = stripes[myIndex]
        return stripe.state.withLock(body)
    }

    /// Every stripe's value (each read under its own lock).
    var all: [Value] { stripes.map { $0.state.withLock { $0 } } }
}
