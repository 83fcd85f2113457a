/// Time in the reliability state machines: `Int64` microseconds, passed explicitly.
///
/// Every call that depends on time takes `now: Int64` (microseconds since an origin the caller
/// chooses, typically the Unix epoch for the server and zero for a simulation). Nothing here reads
/// a global clock, so the simulator (simulated time) and the server (wall time) drive the same
/// code and a run is reproducible. Callers must pass non-decreasing times to one state machine;
/// a time earlier than one already seen is treated as no time having passed.
public protocol RoutingClock {
    /// The current time in microseconds.
    var now: Int64 { get }
}

/// Constants and conversions for microsecond timestamps.
public enum RoutingTime {
    /// One millisecond: 1,000 µs.
    public static let millisecond: Int64 = 1_000
    /// One second: 1,000,000 µs.
    public static let second: Int64 = 1_000_000
    /// One minute: 60,000,000 µs.
    public static let minute: Int64 = 60 * second

    /// Converts seconds to whole microseconds, rounding toward zero.
    ///
    /// - Parameter seconds: a finite duration in seconds.
    /// - Returns: the duration in µs.
    @inlinable
    public static func microseconds(seconds: Double) -> Int64 { Int64(seconds * 1_000_000) }
}

/// A clock that only moves when told to: for tests and simulations.
public struct ManualClock: RoutingClock, Sendable, Hashable {
    /// The current time in microseconds.
    public var now: Int64

    /// Creates a clock reading `now` µs.
    public init(now: Int64 = 0) { self.now = now }

    /// Moves the clock forward.
    ///
    /// - Parameter microseconds: how far to move, in µs; must not be negative.
    public mutating func advance(by microseconds: Int64) {
        precondition(microseconds >= 0, "a clock does not run backwards")
        now += microseconds
    }
}
