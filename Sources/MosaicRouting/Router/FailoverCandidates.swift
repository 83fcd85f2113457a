/// The candidates a decision has left after its admitted attempt, best first, packed into one
/// word so that a caller can keep them per request without holding on to the ``Decision``
/// buffer (the simulator keeps one per simulated request, the server one per pending decision).
///
/// It holds at most ``capacity`` pool indices below 256; a ranking longer than that keeps its
/// first eight fallbacks. Pass it to ``Router/failover(_:now:ignoreHealth:)`` after a failed
/// attempt to admit the next one.
public struct FailoverCandidates: Sendable, Equatable {
    /// How many candidates it can hold.
    public static let capacity = 8

    /// Pool indices, 8 bits each, the next one in the low byte.
    private var packed: UInt64 = 0
    private var stored: UInt8 = 0

    /// How many are left.
    public var count: Int { Int(stored) }

    public init() {}

    public var isEmpty: Bool { count == 0 }

    /// Adds a pool index after the others; false (and nothing added) when full or out of range.
    @discardableResult
    mutating func append(_ index: Int) -> Bool {
        guard count < Self.capacity, (0..<256).contains(index) else { return false }
        packed |= UInt64(index) << (8 * UInt64(count))
        stored += 1
        return true
    }

    /// Takes the next candidate's pool index.
    public mutating func popFirst() -> Int? {
        guard count > 0 else { return nil }
        let index = Int(packed & 0xFF)
        packed >>= 8
        stored -= 1
        return index
    }

    /// Whether the pool index is among the candidates left.
    public func contains(_ index: Int) -> Bool {
        var rest = packed
        for _ in 0..<count {
            if Int(rest & 0xFF) == index { return true }
            rest >>= 8
        }
        return false
    }
}

extension Decision {
    /// The candidates ranked after the selected one (all of them when none was admitted), for
    /// failover once this buffer has moved on to the next request.
    public var remaining: FailoverCandidates {
        // `order` is the ranking `candidates` were written from (the same indices, in order).
        var r = FailoverCandidates()
        var k = (selected ?? -1) + 1
        while k < order.count, r.append(order[k]) { k += 1 }
        return r
    }
}

extension Router {
    /// After a failed attempt, admits the next of the `remaining` candidates whose breaker and
    /// rate limit allow it, taking it and those refused before it off the list.
    ///
    /// - Returns: a ticket, or nil when none is left.
    public func failover(_ remaining: inout FailoverCandidates, now: Int64, ignoreHealth: Bool = false) -> Ticket? {
        while let index = remaining.popFirst() {
            if let ticket = admit(index, now: now, ignoreHealth: ignoreHealth) { return ticket }
        }
        return nil
    }
}
