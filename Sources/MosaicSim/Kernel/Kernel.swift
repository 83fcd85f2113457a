/// A model driven by the ``Kernel``: a state machine on simulated time.
///
/// The kernel pops the next ``Event``, advances its clock to the event's time and calls
/// ``handle(_:_:)``, which updates the model's state and schedules follow-up events on the
/// kernel it is given. Processes are written as explicit states plus event kinds (no Swift
/// tasks, no closures), so the hot loop is a direct, specialized call.
///
/// ```swift
/// struct Ticker: SimulationModel {
///     var ticks = 0
///     mutating func handle(_ event: Event, _ kernel: inout Kernel) {
///         ticks += 1
///         kernel.schedule(after: 1, kind: 0)
///     }
/// }
/// var kernel = Kernel()
/// var model = Ticker()
/// kernel.schedule(at: 0, kind: 0)
/// kernel.run(&model, until: 10)   // ticks at 0, 1, …, 9; kernel.now == 10
/// ```
public protocol SimulationModel {
    /// Reacts to `event`; `kernel.now` is already `event.time`.
    mutating func handle(_ event: Event, _ kernel: inout Kernel)
}

/// A model with a stream of events kept outside the kernel's queue, in time order (a
/// simulation's arrivals): ``Kernel/runMerging(_:until:)`` merges the stream's head with the
/// queue's minimum instead of pushing and popping every element.
///
/// The head is an ``Event`` whose ``Event/seq`` the model takes from
/// ``Kernel/reserveSequence()`` at the moment it would have scheduled it, so the merge processes
/// events in exactly the order ``Kernel/run(_:until:)`` would if the stream went through the
/// queue, ties included.
public protocol StreamingSimulationModel: SimulationModel {
    /// The stream's next event, with `time` = +infinity when the stream is over.
    var streamHead: Event { get }
    /// Reacts to ``streamHead`` (`kernel.now` is already its time) and advances the stream.
    mutating func handleStreamHead(_ kernel: inout Kernel)
}

/// The simulation kernel: a clock and a pending-event queue.
///
/// The clock (``now``) is a `Double` in whatever unit the model uses (the scenario layer uses
/// seconds). Events are processed in (time, priority, sequence number) order, so runs are
/// deterministic, ties included: at equal times lower ``Event/priority`` goes first, and at equal
/// priorities the event scheduled first goes first. The kernel holds no references to the model;
/// drive it with ``step(_:)`` / ``run(_:until:)`` (generic, so the model's `handle` is
/// specialized and inlined into the loop), with ``Simulation`` (which owns both), or by hand with
/// ``nextEvent()``.
public struct Kernel: Sendable {
    /// The current simulated time: the time of the event being (or last) processed, or the
    /// `until` of the last ``run(_:until:)`` that drained everything before it.
    @inlinable public var now: Double { _now }
    @usableFromInline var _now: Double
    @usableFromInline var queue: EventQueue
    @usableFromInline var nextSeq: UInt64 = 0
    /// How many events have been processed since the kernel was made.
    @inlinable public var processed: UInt64 { _processed }
    @usableFromInline var _processed: UInt64 = 0
    @usableFromInline var stopRequested = false
    /// During ``run(_:until:)``, the queue's root is the event being handled: it is removed
    /// lazily, so that the handler's first ``schedule(at:priority:kind:target:payload:)``
    /// replaces it with one sift instead of a pop and a push.
    @usableFromInline var rootConsumed = false

    /// A kernel at time `startTime` with room for `capacity` pending events before the queue
    /// first grows (it grows by doubling; no allocation per event afterwards).
    public init(startTime: Double = 0, capacity: Int = 64) {
        precondition(startTime.isFinite, "startTime must be finite, got \(startTime)")
        _now = startTime
        queue = EventQueue(capacity: capacity)
    }

    /// The number of pending events.
    @inlinable public var pendingCount: Int { queue.count - (rootConsumed ? 1 : 0) }

    /// The time of the next pending event, or nil when none is pending.
    @inlinable public var nextTime: Double? { peek?.time }

    /// The next pending event (the one ``nextEvent()`` would return), without removing it.
    @inlinable public var peek: Event? { rootConsumed ? queue.firstAfterRoot : queue.first }

    /// Schedules an event at absolute time `time` (not before ``now``) and returns its
    /// sequence number.
    ///
    /// - Parameters:
    ///   - time: when it happens; must be ≥ ``now`` and not NaN (`+infinity` is allowed and
    ///     means "never, unless run without a limit").
    ///   - priority: tie-break at equal times, lower first (default 0).
    ///   - kind: the model's event kind.
    ///   - target: the component it is addressed to (default 0).
    ///   - payload: one integer of model data (default 0).
    @inlinable @inline(__always) @discardableResult
    public mutating func schedule(at time: Double, priority: Int32 = 0, kind: UInt32, target: Int32 = 0,
                                  payload: Int64 = 0) -> UInt64 {
        precondition(time >= now, "cannot schedule an event at \(time), before now (\(now))")
        let seq = nextSeq
        nextSeq &+= 1
        let e = Event(time: time, priority: priority, kind: kind, seq: seq, target: target, payload: payload)
        if rootConsumed {
            rootConsumed = false
            queue.replaceFirst(with: e)
        } else {
            queue.push(e)
        }
        return seq
    }

    /// Schedules an event `delay` (≥ 0) after ``now`` and returns its sequence number.
    @inlinable @inline(__always) @discardableResult
    public mutating func schedule(after delay: Double, priority: Int32 = 0, kind: UInt32, target: Int32 = 0,
                                  payload: Int64 = 0) -> UInt64 {
        schedule(at: now + delay, priority: priority, kind: kind, target: target, payload: payload)
    }

    /// Removes the next pending event, advances the clock to its time and returns it; nil
    /// when none is pending. For hand-written loops; ``run(_:until:)`` does this for a model.
    @inlinable @inline(__always)
    public mutating func nextEvent() -> Event? {
        settle()
        guard let e = queue.pop() else { return nil }
        _now = e.time
        _processed &+= 1
        return e
    }

    /// Processes the next event with `model`; returns false (and does nothing) when no event
    /// is pending.
    @inlinable @discardableResult
    public mutating func step<Model: SimulationModel>(_ model: inout Model) -> Bool {
        guard let e = nextEvent() else { return false }
        model.handle(e, &self)
        return true
    }

    /// Processes events with `model` in order while their time is before `until`, or until
    /// ``stop()`` is called from a handler. Returns the number of events processed by this call.
    ///
    /// As in SimPy, events at exactly `until` or later stay pending and, when the run was not
    /// stopped, the clock ends at `until` (if finite); with the default `until = +infinity` the
    /// run goes on until no event is pending and the clock stays at the last event's time.
    @inlinable @discardableResult
    public mutating func run<Model: SimulationModel>(_ model: inout Model, until: Double = .infinity) -> UInt64 {
        precondition(until >= now, "run(until: \(until)) is before now (\(now))")
        stopRequested = false
        let start = processed
        settle()
        while let e = queue.first, e.time < until {
            rootConsumed = true
            _now = e.time
            _processed &+= 1
            model.handle(e, &self)
            settle()
            if stopRequested { stopRequested = false; return processed &- start }
        }
        if until.isFinite { _now = until }
        return processed &- start
    }

    /// Takes the next sequence number, as ``schedule(at:priority:kind:target:payload:)`` would,
    /// for an event a ``StreamingSimulationModel`` keeps outside the queue.
    @inlinable @inline(__always)
    public mutating func reserveSequence() -> UInt64 {
        let seq = nextSeq
        nextSeq &+= 1
        return seq
    }

    /// ``run(_:until:)`` for a model with a stream of events outside the queue: each step
    /// processes whichever comes first (by ``Event/precedes(_:)``) of the queue's minimum and
    /// the model's ``StreamingSimulationModel/streamHead``. The same order, clock and count of
    /// processed events as if every stream event had been scheduled on the queue, with one heap
    /// operation fewer per stream event.
    @inlinable @discardableResult
    public mutating func runMerging<Model: StreamingSimulationModel>(_ model: inout Model,
                                                                    until: Double = .infinity) -> UInt64 {
        precondition(until >= now, "runMerging(until: \(until)) is before now (\(now))")
        stopRequested = false
        let start = processed
        settle()
        while true {
            let head = model.streamHead
            if let e = queue.first, !head.precedes(e) {
                guard e.time < until else { break }
                rootConsumed = true
                _now = e.time
                _processed &+= 1
                model.handle(e, &self)
                settle()
            } else {
                guard head.time < until else { break }
                _now = head.time
                _processed &+= 1
                model.handleStreamHead(&self)
            }
            if stopRequested { stopRequested = false; return processed &- start }
        }
        if until.isFinite { _now = until }
        return processed &- start
    }

    /// Removes the consumed root, if any.
    @inlinable @inline(__always)
    mutating func settle() {
        if rootConsumed {
            rootConsumed = false
            _ = queue.pop()
        }
    }

    /// Asks the running ``run(_:until:)`` to return after the current event's handler.
    @inlinable
    public mutating func stop() { stopRequested = true }

    /// Removes every pending event for which `shouldRemove` is true (O(pending)); returns how
    /// many were removed. See ``EventQueue/removeAll(where:)`` for the cheaper lazy pattern.
    @inlinable @discardableResult
    public mutating func cancelEvents(where shouldRemove: (Event) throws -> Bool) rethrows -> Int {
        settle()
        return try queue.removeAll(where: shouldRemove)
    }
}

/// A ``Kernel`` and the ``SimulationModel`` it drives, together: `step()` and `run(until:)`
/// without passing the model around.
public struct Simulation<Model: SimulationModel> {
    /// The clock and pending events.
    public var kernel: Kernel
    /// The model's state.
    public var model: Model

    /// Pairs a model with a kernel (a fresh one at time 0 by default).
    public init(model: Model, kernel: Kernel = Kernel()) {
        self.model = model
        self.kernel = kernel
    }

    /// The current simulated time.
    @inlinable public var now: Double { kernel.now }

    /// Processes the next event; false when none is pending.
    @inlinable @discardableResult
    public mutating func step() -> Bool { kernel.step(&model) }

    /// Processes events before `until` (see ``Kernel/run(_:until:)``); returns how many.
    @inlinable @discardableResult
    public mutating func run(until: Double = .infinity) -> UInt64 { kernel.run(&model, until: until) }
}
