import MosaicCore
import Testing
@testable import MosaicSim

/// Records every event it is handed, and optionally reschedules.
struct Recorder: SimulationModel {
    var seen: [Event] = []
    var stopAtKind: UInt32? = nil
    mutating func handle(_ event: Event, _ kernel: inout Kernel) {
        seen.append(event)
        if event.kind == stopAtKind { kernel.stop() }
    }
}

/// Arrivals 0, 0.25 or 0.5 apart, each event scheduling follow-ups at random times and
/// priorities (many ties). The arrivals go through the queue (`streaming` false, driven by
/// ``Kernel/run(_:until:)``) or stay outside it as the stream's head
/// (``Kernel/runMerging(_:until:)``); the random draws follow the order of handling.
struct ArrivalsAndWork: StreamingSimulationModel {
    let streaming: Bool
    var rng = SeededRandom(seed: 31)
    var head = Event(time: .infinity, kind: 1)
    var arrivals = 0
    var seen: [Event] = []

    var streamHead: Event { head }

    mutating func scheduleArrival(at t: Double, _ k: inout Kernel) {
        if streaming {
            head = Event(time: t, kind: 1, seq: k.reserveSequence(), payload: Int64(arrivals))
        } else {
            k.schedule(at: t, kind: 1, payload: Int64(arrivals))
        }
    }

    mutating func handleStreamHead(_ k: inout Kernel) {
        let e = head
        head.time = .infinity
        handle(e, &k)
    }

    mutating func handle(_ e: Event, _ k: inout Kernel) {
        seen.append(e)
        if e.kind == 1 {
            arrivals += 1
            if arrivals < 500 { scheduleArrival(at: k.now + Double(rng.next() % 3) * 0.25, &k) }
        }
        // Arrivals start up to two pieces of work, work up to one more (so it dies out).
        for _ in 0..<Int(rng.next() % (e.kind == 1 ? 3 : 2)) {
            k.schedule(at: k.now + Double(rng.next() % 4) * 0.25, priority: Int32(rng.next() % 3) - 1, kind: 0,
                       payload: Int64(rng.next() % 1_000))
        }
    }
}

/// The reference order: (time, priority, seq), by a plain sort.
func referenceOrder(_ events: [Event]) -> [Event] {
    events.sorted { ($0.time, $0.priority, $0.seq) < ($1.time, $1.priority, $1.seq) }
}

@Suite("Kernel: event queue and clock")
struct KernelTests {
    @Test("ties at the same time go by priority (lower first), then by scheduling order")
    func tieBreaking() {
        var kernel = Kernel()
        // Scheduled in a scrambled order; payload is the scheduling order.
        let plan: [(Double, Int32)] = [(1, 1), (1, 0), (0.5, 5), (1, 1), (1, -1), (1, 0), (2, -9), (1, 1)]
        for (i, (t, p)) in plan.enumerated() {
            kernel.schedule(at: t, priority: p, kind: 7, target: Int32(i), payload: Int64(i))
        }
        var model = Recorder()
        kernel.run(&model)
        let order = model.seen.map(\.payload)
        // 0.5 first; at t = 1: priority -1 (4), 0 (1, 5), 1 (0, 3, 7); then t = 2.
        #expect(order == [2, 4, 1, 5, 0, 3, 7, 6])
        #expect(model.seen.map(\.seq) == order.map { UInt64($0) })
        #expect(model.seen.allSatisfy { $0.kind == 7 && Int64($0.target) == $0.payload })
        #expect(kernel.now == 2)
        #expect(kernel.processed == 8)
        #expect(kernel.pendingCount == 0)
    }

    @Test("the 4-ary heap pops in the same order as a sorted reference under random schedules")
    func heapMatchesSortedReference() {
        var rng = SeededRandom(seed: 2024)
        for trial in 0..<120 {
            var queue = EventQueue(capacity: 1)
            var pending: [Event] = []
            var popped: [Event] = [], expected: [Event] = []
            var seq: UInt64 = 0
            let operations = 1 + Int(rng.next() % 300)
            let coarse = trial % 2 == 0   // few distinct times: many ties
            for _ in 0..<operations {
                if rng.uniform() < 0.6 || pending.isEmpty {
                    let time = coarse ? Double(rng.next() % 5) : rng.uniform() * 100
                    let e = Event(time: time, priority: Int32(rng.next() % 3) - 1, kind: UInt32(rng.next() % 4),
                                  seq: seq, target: Int32(rng.next() % 8), payload: Int64(bitPattern: rng.next()))
                    seq += 1
                    queue.push(e)
                    pending.append(e)
                } else {
                    popped.append(queue.pop()!)
                    var best = 0
                    for j in pending.indices.dropFirst() where
                        (pending[j].time, pending[j].priority, pending[j].seq) < (pending[best].time, pending[best].priority, pending[best].seq) {
                        best = j
                    }
                    expected.append(pending.remove(at: best))
                }
                #expect(queue.count == pending.count)
            }
            while let e = queue.pop() { popped.append(e) }
            expected += referenceOrder(pending)
            #expect(popped == expected, "trial \(trial)")
            let extra = queue.pop()
            #expect(queue.isEmpty && extra == nil)
        }
    }

    @Test("pop and replaceFirst on heaps several levels deep (full sets of four children) match a sorted reference")
    func deepHeapWithReplaceFirstMatchesSortedReference() {
        var rng = SeededRandom(seed: 77)
        for trial in 0..<4 {
            var queue = EventQueue(capacity: 1)
            var pending: [Event] = []
            var popped: [Event] = [], expected: [Event] = []
            var seq: UInt64 = 0
            let coarse = trial % 2 == 0   // few distinct times and priorities: ties decided by seq
            func make() -> Event {
                let time = coarse ? Double(rng.next() % 7) : rng.uniform() * 1_000
                defer { seq += 1 }
                return Event(time: time, priority: Int32(rng.next() % 3) - 1, kind: 1, seq: seq,
                             payload: Int64(bitPattern: rng.next()))
            }
            func takeReferenceMinimum() -> Event {
                var best = 0
                for j in pending.indices.dropFirst() where
                    (pending[j].time, pending[j].priority, pending[j].seq) < (pending[best].time, pending[best].priority, pending[best].seq) {
                    best = j
                }
                return pending.remove(at: best)
            }
            // Grow to a few thousand events (six levels of a 4-ary heap), then churn.
            for _ in 0..<(1_500 + trial * 400) {
                let e = make()
                queue.push(e)
                pending.append(e)
            }
            for _ in 0..<2_000 {
                let u = rng.uniform()
                if u < 0.4 {
                    let e = make()
                    queue.push(e)
                    pending.append(e)
                } else if u < 0.7 {
                    popped.append(queue.pop()!)
                    expected.append(takeReferenceMinimum())
                } else {
                    // The replacement may belong anywhere, the root included.
                    var e = make()
                    if rng.uniform() < 0.2, let first = queue.first { e.time = first.time }
                    popped.append(queue.replaceFirst(with: e))
                    expected.append(takeReferenceMinimum())
                    pending.append(e)
                }
            }
            #expect(queue.count == pending.count)
            while let e = queue.pop() { popped.append(e) }
            expected += referenceOrder(pending)
            #expect(popped == expected, "trial \(trial)")
        }
    }

    @Test("the kernel processes randomly scheduled events in (time, priority, sequence) order")
    func kernelMatchesSortedReference() {
        var rng = SeededRandom(seed: 77)
        for _ in 0..<50 {
            var kernel = Kernel(capacity: 2)
            var scheduled: [Event] = []
            for i in 0..<Int(1 + rng.next() % 500) {
                let t = Double(rng.next() % 20) * 0.25
                let p = Int32(rng.next() % 4)
                let seq = kernel.schedule(at: t, priority: p, kind: 1, payload: Int64(i))
                scheduled.append(Event(time: t, priority: p, kind: 1, seq: seq, payload: Int64(i)))
            }
            var model = Recorder()
            let processed = kernel.run(&model)
            #expect(processed == UInt64(scheduled.count))
            #expect(model.seen == referenceOrder(scheduled))
        }
    }

    @Test("runMerging processes a stream kept outside the queue in the order run gives it queued")
    func mergingMatchesQueued() {
        for until in [Double.infinity, 40] {
            var queuedKernel = Kernel(), streamedKernel = Kernel()
            var queued = ArrivalsAndWork(streaming: false), streamed = ArrivalsAndWork(streaming: true)
            // A tie at the start: the work event (priority -1) goes before the first arrival.
            queued.scheduleArrival(at: 0, &queuedKernel)
            queuedKernel.schedule(at: 0, priority: -1, kind: 0)
            streamed.scheduleArrival(at: 0, &streamedKernel)
            streamedKernel.schedule(at: 0, priority: -1, kind: 0)
            let queuedCount = queuedKernel.run(&queued, until: until)
            let streamedCount = streamedKernel.runMerging(&streamed, until: until)
            #expect(queued.seen.count > 300 && queued.seen.filter { $0.kind == 1 }.count > 100)
            #expect(streamed.seen == queued.seen)
            #expect(streamedCount == queuedCount && streamedKernel.processed == queuedKernel.processed)
            #expect(streamedKernel.now == queuedKernel.now)
            if until.isFinite {
                #expect(streamedKernel.now == until && streamed.head.time >= until)
            } else {
                #expect(streamed.head.time == .infinity && streamedKernel.pendingCount == 0)
            }
        }
    }

    @Test("removing events keeps heap order")
    func cancellation() {
        var rng = SeededRandom(seed: 5)
        var kernel = Kernel()
        var scheduled: [Event] = []
        for i in 0..<1000 {
            let t = rng.uniform() * 10
            let seq = kernel.schedule(at: t, kind: UInt32(i % 3), payload: Int64(i))
            scheduled.append(Event(time: t, kind: UInt32(i % 3), seq: seq, payload: Int64(i)))
        }
        let removed = kernel.cancelEvents { $0.kind == 1 }
        #expect(removed == scheduled.filter { $0.kind == 1 }.count)
        var model = Recorder()
        kernel.run(&model)
        #expect(model.seen == referenceOrder(scheduled.filter { $0.kind != 1 }))
    }

    @Test("run(until:) processes events before the limit, leaves the rest and sets the clock")
    func runUntil() {
        var kernel = Kernel(startTime: 1)
        for t in [1.0, 2, 3, 3, 4.5] { kernel.schedule(at: t, kind: 0) }
        kernel.schedule(after: 0.5, kind: 9)   // at 1.5
        var model = Recorder()
        let first = kernel.run(&model, until: 3)   // 1, 1.5, 2; events at 3 stay
        #expect(first == 3)
        #expect(kernel.now == 3)
        #expect(kernel.pendingCount == 3)
        #expect(kernel.nextTime == 3)
        let second = kernel.run(&model, until: 10)
        #expect(second == 3)
        #expect(kernel.now == 10)
        #expect(model.seen.map(\.time) == [1, 1.5, 2, 3, 3, 4.5])
        // An empty run without a limit leaves the clock alone.
        let third = kernel.run(&model)
        #expect(third == 0)
        #expect(kernel.now == 10)
    }

    @Test("stop() ends run after the current handler; step() processes one event")
    func stopAndStep() {
        var kernel = Kernel()
        for i in 0..<5 { kernel.schedule(at: Double(i), kind: i == 2 ? 1 : 0) }
        var model = Recorder(stopAtKind: 1)
        let ran = kernel.run(&model, until: 100)
        #expect(ran == 3)
        #expect(kernel.now == 2)
        let stepped = kernel.step(&model)
        #expect(stepped)
        #expect(kernel.now == 3)
        #expect(model.seen.count == 4)

        var sim = Simulation(model: Recorder(), kernel: kernel)
        let one = sim.step(), two = sim.step()
        #expect(one && !two)
        #expect(sim.now == 4)
        #expect(sim.model.seen.count == 1)
        let none = sim.kernel.nextEvent()
        #expect(none == nil)
    }

    @Test("a handler that reschedules drives a process through time")
    func selfScheduling() {
        struct Ticker: SimulationModel {
            var ticks: [Double] = []
            mutating func handle(_ event: Event, _ kernel: inout Kernel) {
                ticks.append(kernel.now)
                kernel.schedule(after: 1, kind: 0)
            }
        }
        var sim = Simulation(model: Ticker())
        sim.kernel.schedule(at: 0, kind: 0)
        sim.run(until: 10)
        #expect(sim.model.ticks == (0..<10).map(Double.init))
        #expect(sim.now == 10)
        #expect(sim.kernel.pendingCount == 1)
    }
}
