/// A multi-server FIFO queueing station: `c` identical servers, a first-come-first-served
/// waiting line, and an optional capacity `K` on the number in the system (waiting + in
/// service), with the time-average statistics of a queueing station.
///
/// The station is passive bookkeeping: it decides who is served when, and the model schedules
/// the service completions on the ``Kernel``. A typical handler:
///
/// ```swift
/// case arrival:
///     switch station.arrive(id, at: kernel.now) {
///     case .started: kernel.schedule(after: serviceTime(), kind: departure)
///     case .queued:  break                        // started later by depart(at:)
///     case .blocked: lost += 1                    // system full (K reached)
///     }
/// case departure:
///     if let next = station.depart(at: kernel.now) {   // frees a server, starts the head
///         wait = kernel.now - next.arrival
///         kernel.schedule(after: serviceTime(), kind: departure)
///     }
/// ```
///
/// The waiting line is a ring buffer of ``Customer`` values that grows by doubling (never per
/// customer; preallocated when `K` is given). The station tracks, since the last
/// ``resetStatistics(at:)``: arrivals, blocked arrivals, starts (and how many had to wait, and
/// their total wait), completions, and the time integrals of the number in system, in queue, of
/// busy servers and of servers, from which ``meanInSystem(at:)``, ``meanQueueLength(at:)``,
/// ``meanBusy(at:)`` and ``utilisation(at:)`` are computed. Every mutating call takes the current
/// time so the integrals stay exact; times must not decrease.
public struct MultiServerStation: Sendable {
    /// A customer waiting in (or taken from) the line.
    @frozen
    public struct Customer: Sendable, Hashable {
        /// The model's identifier (a customer or request index).
        public var id: Int64
        /// When the customer arrived at the station.
        public var arrival: Double
    }

    /// What happened to an arriving customer.
    public enum Admission: Sendable, Hashable {
        /// A server was free: service starts now (the caller schedules its completion).
        case started
        /// All servers are busy: the customer waits in line until ``MultiServerStation/depart(at:)``
        /// or ``MultiServerStation/startNext(at:)`` returns it.
        case queued
        /// The system already held `capacity` customers: the customer is turned away.
        case blocked
    }

    /// The number of servers (c). Change it with ``setServers(_:at:)``.
    public private(set) var servers: Int
    /// The most customers in the system (waiting + in service), K; nil for no limit.
    public let capacity: Int?
    /// Servers currently serving a customer (may exceed ``servers`` briefly after the number of
    /// servers was lowered: those customers finish, no new ones start).
    public private(set) var busy: Int = 0

    // Ring buffer of waiting customers; capacity is a power of two.
    @usableFromInline var ring: ContiguousArray<Customer>
    @usableFromInline var head: Int = 0
    @usableFromInline var waiting: Int = 0
    @usableFromInline var mask: Int

    /// Arrivals offered to the station since the last reset (admitted + blocked).
    public private(set) var arrivals: Int = 0
    /// Arrivals turned away because the system was full, since the last reset.
    public private(set) var blocked: Int = 0
    /// Customers whose service started since the last reset.
    public private(set) var started: Int = 0
    /// Of ``started``, those that waited a positive time in line.
    public private(set) var delayed: Int = 0
    /// The sum of the waits in line of the ``started`` customers.
    public private(set) var totalWait: Double = 0
    /// Service completions since the last reset.
    public private(set) var completed: Int = 0

    /// When the statistics were last reset.
    public private(set) var statisticsStart: Double
    @usableFromInline var lastChange: Double
    @usableFromInline var areaInSystem: Double = 0
    @usableFromInline var areaQueue: Double = 0
    @usableFromInline var areaBusy: Double = 0
    @usableFromInline var areaServers: Double = 0

    /// A station with `servers` (c ≥ 0) servers and at most `capacity` (K ≥ c) customers in the
    /// system, nil for an unlimited line, starting at time `startTime`.
    public init(servers: Int, capacity: Int? = nil, startTime: Double = 0) {
        precondition(servers >= 0, "servers must be >= 0, got \(servers)")
        if let k = capacity { precondition(k >= servers, "capacity K (\(k)) must be >= servers (\(servers))") }
        self.servers = servers
        self.capacity = capacity
        var size = 16
        if let k = capacity { while size < k - servers { size <<= 1 } }
        ring = ContiguousArray(repeating: Customer(id: 0, arrival: 0), count: size)
        mask = size - 1
        statisticsStart = startTime
        lastChange = startTime
    }

    /// A station with `servers` servers and room for at most `queueCapacity` waiting customers
    /// (so K = servers + queueCapacity); `queueCapacity: 0` is a pure loss system (Erlang B).
    public init(servers: Int, queueCapacity: Int, startTime: Double = 0) {
        precondition(queueCapacity >= 0, "queueCapacity must be >= 0, got \(queueCapacity)")
        self.init(servers: servers, capacity: servers + queueCapacity, startTime: startTime)
    }

    /// Customers waiting in line (not in service).
    public var queueLength: Int { waiting }
    /// Customers in the system: waiting plus in service.
    public var inSystem: Int { waiting + busy }
    /// Servers free to start a customer now.
    public var idleServers: Int { Swift.max(0, servers - busy) }
    /// The customer at the head of the line, if any.
    public var nextWaiting: Customer? { waiting > 0 ? ring[head] : nil }

    /// Folds the time since the last change into the time integrals.
    @inline(__always)
    mutating func advance(to now: Double) {
        let dt = now - lastChange
        if dt != 0 {
            areaInSystem += dt * Double(busy + waiting)
            areaQueue += dt * Double(waiting)
            areaBusy += dt * Double(busy)
            areaServers += dt * Double(servers)
            lastChange = now
        }
    }

    /// A customer `id` arrives at time `now`: starts service if a server is idle, otherwise
    /// joins the line unless the system is full.
    public mutating func arrive(_ id: Int64, at now: Double) -> Admission {
        advance(to: now)
        arrivals &+= 1
        if busy < servers {
            busy &+= 1
            started &+= 1
            return .started
        }
        if let k = capacity, busy + waiting >= k {
            blocked &+= 1
            return .blocked
        }
        if waiting == ring.count { grow() }
        ring[(head &+ waiting) & mask] = Customer(id: id, arrival: now)
        waiting &+= 1
        return .queued
    }

    /// A service completes at time `now`: frees its server and, if someone is waiting and a
    /// server is free, starts the head of the line and returns it (the caller schedules its
    /// completion; its wait is `now - arrival`).
    public mutating func depart(at now: Double) -> Customer? {
        release(at: now)
        return startNext(at: now)
    }

    /// A service completes at time `now` and frees its server, without starting anyone.
    public mutating func release(at now: Double) {
        precondition(busy > 0, "release with no busy server")
        advance(to: now)
        busy &-= 1
        completed &+= 1
    }

    /// Starts the head of the line at time `now` if a server is free and someone is waiting,
    /// and returns it; nil otherwise. Call it repeatedly after raising the number of servers.
    public mutating func startNext(at now: Double) -> Customer? {
        guard waiting > 0, busy < servers else { return nil }
        advance(to: now)
        let c = ring[head]
        head = (head &+ 1) & mask
        waiting &-= 1
        busy &+= 1
        started &+= 1
        let w = now - c.arrival
        if w > 0 { delayed &+= 1; totalWait += w }
        return c
    }

    /// Changes the number of servers at time `now` (for example a provider's concurrency limit
    /// during an outage). Lowering it lets customers in service finish; raising it starts no one
    /// by itself: call ``startNext(at:)`` until it returns nil.
    public mutating func setServers(_ count: Int, at now: Double) {
        precondition(count >= 0, "servers must be >= 0, got \(count)")
        if let k = capacity { precondition(k >= count, "capacity K (\(k)) must be >= servers (\(count))") }
        advance(to: now)
        servers = count
    }

    /// Zeroes the counters and time integrals at time `now` (the end of a warm-up); customers
    /// present stay.
    public mutating func resetStatistics(at now: Double) {
        advance(to: now)
        arrivals = 0; blocked = 0; started = 0; delayed = 0; totalWait = 0; completed = 0
        areaInSystem = 0; areaQueue = 0; areaBusy = 0; areaServers = 0
        statisticsStart = now
        lastChange = now
    }

    @usableFromInline
    mutating func grow() {
        let old = ring.count
        var bigger = ContiguousArray(repeating: Customer(id: 0, arrival: 0), count: old * 2)
        for i in 0..<waiting { bigger[i] = ring[(head + i) & mask] }
        ring = bigger
        head = 0
        mask = old * 2 - 1
    }

    // MARK: - Statistics since the last reset

    /// The time integrals up to `now`: (in system, in queue, busy servers, servers).
    public func areas(at now: Double) -> (inSystem: Double, queue: Double, busy: Double, servers: Double) {
        let dt = now - lastChange
        return (areaInSystem + dt * Double(busy + waiting), areaQueue + dt * Double(waiting),
                areaBusy + dt * Double(busy), areaServers + dt * Double(servers))
    }

    /// Time-average number in the system (L) from the last reset to `now`.
    public func meanInSystem(at now: Double) -> Double { areas(at: now).inSystem / (now - statisticsStart) }
    /// Time-average number waiting in line (Lq) from the last reset to `now`.
    public func meanQueueLength(at now: Double) -> Double { areas(at: now).queue / (now - statisticsStart) }
    /// Time-average number of busy servers (the carried load) from the last reset to `now`.
    public func meanBusy(at now: Double) -> Double { areas(at: now).busy / (now - statisticsStart) }
    /// Utilisation: busy server-time over available server-time from the last reset to `now`.
    public func utilisation(at now: Double) -> Double {
        let a = areas(at: now)
        return a.servers > 0 ? a.busy / a.servers : 0
    }
    /// Fraction of arrivals turned away since the last reset.
    public var blockingFraction: Double { arrivals > 0 ? Double(blocked) / Double(arrivals) : 0 }
    /// Mean wait in line of the customers started since the last reset.
    public var meanWait: Double { started > 0 ? totalWait / Double(started) : 0 }
    /// Fraction of started customers that had to wait.
    public var delayedFraction: Double { started > 0 ? Double(delayed) / Double(started) : 0 }
    /// Completions per unit time from the last reset to `now`.
    public func throughput(at now: Double) -> Double { Double(completed) / (now - statisticsStart) }
}
