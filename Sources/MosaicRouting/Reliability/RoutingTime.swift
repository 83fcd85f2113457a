/// Time in the reliability state machines: `Int64` microseconds, passed explicitly.
///
/// Every call that depends on time takes `now: Int64` (microseconds since an origin the caller
/// chooses, typically the Unix epoch for the server and zero for a simulation). Nothing here reads
/// a global clock, so the simulator (simulated time) and the server (wall time) drive the same
/// code and a run is reproducible. Callers must pass non-decreasing times to one state machine;
/// a time earlier than one already seen is treated as no time having passed.
public enum RoutingTime {
    /// One millisecond: 1,000 µs.
    public static let millisecond: Int64 = 1_000
    /// One second: 1,000,000 µs.
    public static let second: Int64 = 1_000_000
    /// One minute: 60,000,000 µs.
    public static let minute: Int64 = 60 * second
}
