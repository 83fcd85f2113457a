import MosaicCore
import Testing
@testable import MosaicSim

@Suite("Kernel: multi-server FIFO station")
struct MultiServerStationTests {
    @Test("a hand-worked M/M/2/3 trace: admission, blocking, FIFO start, waits and time averages")
    func handWorkedTrace() {
        var s = MultiServerStation(servers: 2, capacity: 3)
        let r1 = s.arrive(0, at: 0)
        #expect(r1 == .started)
        let r2 = s.arrive(1, at: 0)
        #expect(r2 == .started)
        let r3 = s.arrive(2, at: 1)
        #expect(r3 == .queued)
        #expect(s.inSystem == 3 && s.queueLength == 1 && s.busy == 2 && s.idleServers == 0)
        #expect(s.nextWaiting == .init(id: 2, arrival: 1))
        let r4 = s.arrive(3, at: 2)
        #expect(r4 == .blocked)
        let r5 = s.depart(at: 3)   // waited 2
        #expect(r5 == .init(id: 2, arrival: 1))
        let r6 = s.depart(at: 4)
        #expect(r6 == nil)
        let r7 = s.depart(at: 6)
        #expect(r7 == nil)
        #expect(s.inSystem == 0)
        // Number in system: 2 on [0,1), 3 on [1,3), 2 on [3,4), 1 on [4,6), 0 on [6,8).
        #expect(s.meanInSystem(at: 8) == 12.0 / 8)
        #expect(s.meanQueueLength(at: 8) == 2.0 / 8)
        #expect(s.meanBusy(at: 8) == 10.0 / 8)
        #expect(s.utilisation(at: 8) == 10.0 / 16)
        #expect(s.arrivals == 4 && s.blocked == 1 && s.started == 3 && s.delayed == 1 && s.completed == 3)
        #expect(s.totalWait == 2 && s.meanWait == 2.0 / 3 && s.delayedFraction == 1.0 / 3)
        #expect(s.blockingFraction == 0.25)
        #expect(s.throughput(at: 8) == 3.0 / 8)

        s.resetStatistics(at: 8)
        #expect(s.arrivals == 0 && s.statisticsStart == 8)
        let r8 = s.arrive(4, at: 9)
        #expect(r8 == .started)
        #expect(s.meanInSystem(at: 10) == 0.5)
    }

    @Test("the ring buffer keeps FIFO order through growth and wrap-around (random arrivals and departures)")
    func ringBufferFIFO() {
        var rng = SeededRandom(seed: 99)
        var s = MultiServerStation(servers: 3)
        var line: [Int64] = []          // reference FIFO of waiting ids
        var inService = 0
        var now = 0.0
        var nextId: Int64 = 0
        for _ in 0..<20_000 {
            now += rng.uniform()
            // Bursts of arrivals grow the line past 16, 32, … then it drains and wraps.
            if rng.uniform() < (line.count > 200 ? 0.3 : 0.55) || inService == 0 {
                switch s.arrive(nextId, at: now) {
                case .started: inService += 1
                case .queued: line.append(nextId)
                case .blocked: Issue.record("no capacity, nothing may be blocked")
                }
                nextId += 1
            } else {
                let started = s.depart(at: now)
                if line.isEmpty {
                    #expect(started == nil)
                    inService -= 1
                } else {
                    #expect(started?.id == line.removeFirst())
                }
            }
            #expect(s.queueLength == line.count && s.busy == inService)
        }
        #expect(s.blocked == 0)
    }

    @Test("queue capacity 0 is a loss system; K = c + queueCapacity")
    func capacities() {
        var loss = MultiServerStation(servers: 2, queueCapacity: 0)
        #expect(loss.capacity == 2)
        let r9 = loss.arrive(0, at: 0)
        #expect(r9 == .started)
        let r10 = loss.arrive(1, at: 0)
        #expect(r10 == .started)
        let r11 = loss.arrive(2, at: 0)
        #expect(r11 == .blocked)
        var small = MultiServerStation(servers: 1, queueCapacity: 40)
        #expect(small.capacity == 41)
        for i in 0..<41 {
            let admission = small.arrive(Int64(i), at: 0)
            #expect(admission == (i == 0 ? .started : .queued))
        }
        let r12 = small.arrive(41, at: 0)
        #expect(r12 == .blocked)
    }

    @Test("changing the number of servers: raising starts waiting customers on request, lowering lets service finish")
    func changingServers() {
        var s = MultiServerStation(servers: 1)
        for i in 0..<4 { _ = s.arrive(Int64(i), at: 0) }
        #expect(s.busy == 1 && s.queueLength == 3)
        s.setServers(3, at: 1)
        let r13 = s.startNext(at: 1)
        #expect(r13?.id == 1)
        let r14 = s.startNext(at: 1)
        #expect(r14?.id == 2)
        let r15 = s.startNext(at: 1)
        #expect(r15 == nil)
        s.setServers(0, at: 2)
        let r16 = s.depart(at: 3)
        #expect(r16 == nil)
        #expect(s.busy == 2 && s.queueLength == 1)
        s.release(at: 4)
        s.release(at: 4)
        let last = s.startNext(at: 4)
        #expect(s.busy == 0 && last == nil)
        // Server-time: 1 on [0,1), 3 on [1,2), 0 after; busy: 1, 3, 3 on [2,3), 2 on [3,4).
        #expect(s.areas(at: 4).servers == 4)
        #expect(s.areas(at: 4).busy == 1 + 3 + 3 + 2)
    }
}
