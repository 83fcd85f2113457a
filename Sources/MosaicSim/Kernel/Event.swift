/// One scheduled occurrence in simulated time: a plain value with no references.
///
/// Events are ordered by ``time``, then ``priority`` (lower first), then ``seq`` (the order in
/// which they were scheduled), so two runs that schedule the same events in the same order
/// process them in the same order, ties included. What an event *means* is up to the model:
/// ``kind`` says what happened (arrival, departure, timeout, …), ``target`` which component it
/// is addressed to (a station, a client, a provider index) and ``payload`` carries one integer
/// of data (a customer or request index, a generation counter for lazy cancellation, …).
@frozen
public struct Event: Sendable, Hashable {
    /// When the event happens, in the model's time unit (the scenario layer uses seconds).
    public var time: Double
    /// Tie-break among events at the same ``time``: lower values are processed first.
    public var priority: Int32
    /// What happened; the model's own enumeration of event kinds.
    public var kind: UInt32
    /// The kernel's scheduling sequence number: unique, increasing in scheduling order; the
    /// last tie-break, which makes equal (time, priority) events first-scheduled-first-served.
    public var seq: UInt64
    /// Which component the event is addressed to (model-defined; 0 when unused).
    public var target: Int32
    /// One integer of model data (model-defined; 0 when unused).
    public var payload: Int64

    /// Makes an event; ``Kernel/schedule(at:priority:kind:target:payload:)`` fills in ``seq``.
    @inlinable
    public init(time: Double, priority: Int32 = 0, kind: UInt32, seq: UInt64 = 0, target: Int32 = 0, payload: Int64 = 0) {
        self.time = time
        self.priority = priority
        self.kind = kind
        self.seq = seq
        self.target = target
        self.payload = payload
    }

    /// Whether `self` is processed before `other`: by time, then priority, then sequence.
    @inlinable @inline(__always)
    public func precedes(_ other: Event) -> Bool {
        if time != other.time { return time < other.time }
        if priority != other.priority { return priority < other.priority }
        return seq < other.seq
    }
}

/// A priority queue of ``Event``s: a 4-ary min-heap in one contiguous array, ordered by
/// ``Event/precedes(_:)``.
///
/// Push and pop are O(log₄ n) with no allocation once the array has grown to the largest
/// number of pending events (it never shrinks). A 4-ary heap halves the depth of a binary heap and
/// keeps the four children of a node in one or two cache lines.
public struct EventQueue: Sendable {
    @usableFromInline var heap: ContiguousArray<Event>

    /// An empty queue with room for `capacity` events before it first grows.
    @inlinable
    public init(capacity: Int = 64) {
        heap = []
        heap.reserveCapacity(Swift.max(capacity, 1))
    }

    /// The number of pending events.
    @inlinable public var count: Int { heap.count }

    /// Whether no event is pending.
    @inlinable public var isEmpty: Bool { heap.isEmpty }

    /// The event that ``pop()`` would return, without removing it.
    @inlinable public var first: Event? { heap.first }

    /// Adds an event.
    @inlinable
    public mutating func push(_ event: Event) {
        heap.append(event)
        let n = heap.count
        heap.withUnsafeMutableBufferPointer { h in Self.siftUp(h, from: n - 1, event) }
    }

    /// Removes and returns the first event (earliest time, then lowest priority, then lowest
    /// sequence number), or nil when the queue is empty.
    @inlinable
    public mutating func pop() -> Event? {
        guard let last = heap.popLast() else { return nil }
        let n = heap.count
        if n == 0 { return last }
        return heap.withUnsafeMutableBufferPointer { h in
            let top = h[0]
            Self.siftUpFromLeaf(h, n, last)
            return top
        }
    }

    /// Replaces the first event with `event` and returns the old first one: the same as
    /// ``pop()`` then ``push(_:)`` with one sift instead of two. The queue must not be empty.
    @inlinable @discardableResult
    public mutating func replaceFirst(with event: Event) -> Event {
        precondition(!heap.isEmpty, "replaceFirst on an empty EventQueue")
        let n = heap.count
        return heap.withUnsafeMutableBufferPointer { h in
            let top = h[0]
            Self.siftDown(h, n, event)
            return top
        }
    }

    /// The first event once the root is removed: the best of the root's children (nil when
    /// the root is the only event). Lets the kernel answer `peek` while the root is consumed.
    @inlinable
    var firstAfterRoot: Event? {
        let n = heap.count
        if n < 2 { return nil }
        var best = heap[1]
        var c = 2
        while c < Swift.min(5, n) {
            if heap[c].precedes(best) { best = heap[c] }
            c += 1
        }
        return best
    }

    /// The index of the earliest of the children that start at `c0` in `h[0..<n]` (`c0 < n`).
    @inlinable @inline(__always)
    static func smallestChild(_ h: UnsafeMutableBufferPointer<Event>, _ c0: Int, _ n: Int) -> Int {
        var best = c0
        if c0 &+ 3 < n {
            // Full set of four children, the common case: a tournament of two independent pairs
            // and a final, written as selects so that the compiler can use conditional moves
            // (which child wins is a coin toss, so branches would mispredict half the time).
            // The order is total (sequence numbers are unique), so the minimum does not depend
            // on how it is found.
            let a = h[c0 &+ 1].precedes(h[c0]) ? c0 &+ 1 : c0
            let b = h[c0 &+ 3].precedes(h[c0 &+ 2]) ? c0 &+ 3 : c0 &+ 2
            best = h[b].precedes(h[a]) ? b : a
        } else {
            var c = c0 &+ 1
            while c < n {
                if h[c].precedes(h[best]) { best = c }
                c &+= 1
            }
        }
        return best
    }

    /// Moves the hole at the root of `h[0..<n]` down: while it has children and `descend` holds
    /// for the smallest of them, that child moves up into the hole. Returns where the hole stops.
    @inlinable @inline(__always)
    static func lowerHole(_ h: UnsafeMutableBufferPointer<Event>, _ n: Int, while descend: (Event) -> Bool) -> Int {
        var i = 0
        while true {
            let c0 = 4 &* i &+ 1
            if c0 >= n { break }
            let best = smallestChild(h, c0, n)
            guard descend(h[best]) else { break }
            h[i] = h[best]
            i = best
        }
        return i
    }

    /// Places `item`, taken from the end of the heap, in the hole at the root of `h[0..<n]`:
    /// Floyd's bottom-up variant. The hole goes down along the smallest children to a leaf
    /// (three comparisons per level instead of four), then `item` climbs from there; an item
    /// from the end belongs near the bottom, so it climbs little.
    @inlinable @inline(__always)
    static func siftUpFromLeaf(_ h: UnsafeMutableBufferPointer<Event>, _ n: Int, _ item: Event) {
        siftUp(h, from: lowerHole(h, n, while: { _ in true }), item)
    }

    /// Places `item` in the hole at `hole` and moves it up to its place: while it precedes the
    /// hole's parent, the parent comes down into the hole.
    @inlinable @inline(__always)
    static func siftUp(_ h: UnsafeMutableBufferPointer<Event>, from hole: Int, _ item: Event) {
        var i = hole
        while i > 0 {
            let parent = (i &- 1) >> 2
            if item.precedes(h[parent]) {
                h[i] = h[parent]
                i = parent
            } else {
                break
            }
        }
        h[i] = item
    }

    /// Places `item` in the hole at the root of `h[0..<n]` and moves it down to its place.
    @inlinable @inline(__always)
    static func siftDown(_ h: UnsafeMutableBufferPointer<Event>, _ n: Int, _ item: Event) {
        h[lowerHole(h, n, while: { $0.precedes(item) })] = item
    }

    /// Removes every pending event for which `shouldRemove` is true and restores heap order;
    /// O(n). Returns how many were removed. For frequent cancellations prefer lazy
    /// cancellation: keep a generation counter in the model, put it in ``Event/payload`` and
    /// ignore events whose generation is stale.
    @inlinable @discardableResult
    public mutating func removeAll(where shouldRemove: (Event) throws -> Bool) rethrows -> Int {
        let before = heap.count
        try heap.removeAll(where: shouldRemove)
        let removed = before - heap.count
        if removed > 0 { heapify() }
        return removed
    }

    @inlinable
    mutating func heapify() {
        let n = heap.count
        if n < 2 { return }
        heap.withUnsafeMutableBufferPointer { h in
            var start = (n - 2) >> 2
            while start >= 0 {
                // Sift h[start] down within the subtree rooted at start.
                let item = h[start]
                var i = start
                while true {
                    let c0 = 4 * i + 1
                    if c0 >= n { break }
                    var best = c0
                    var c = c0 + 1
                    while c < Swift.min(c0 + 4, n) {
                        if h[c].precedes(h[best]) { best = c }
                        c += 1
                    }
                    if h[best].precedes(item) { h[i] = h[best]; i = best } else { break }
                }
                h[i] = item
                start -= 1
            }
        }
    }
}
