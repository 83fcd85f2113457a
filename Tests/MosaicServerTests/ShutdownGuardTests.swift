import Foundation
import Logging
import MosaicTestSupport
@testable import MosaicServer
import Synchronization
import Testing

/// The guard behind `mosaic serve`'s SIGTERM and SIGINT: the first signal starts graceful
/// shutdown, a second ends the process at once, and a shutdown that never returns (the service
/// group can deadlock in swift-async-algorithms' `merge`) is ended at its deadline, with status 0
/// only when the outcome writer had flushed. Signals are simulated and the exit is recorded.
@Suite struct ShutdownGuardTests {
    final class Record: Sendable {
        let shutDowns = Mutex(0)
        let exits = Mutex<[Int32]>([])
        let flushed = Mutex(false)
    }

    static func make(_ r: Record, margin: Duration = .seconds(3_600)) -> ShutdownGuard {
        ShutdownGuard(shutdownTimeout: .zero, margin: margin, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                      shutDown: { r.shutDowns.withLock { $0 += 1 } },
                      flushed: { r.flushed.withLock { $0 } },
                      exit: { status in r.exits.withLock { $0.append(status) } })
    }

    @Test func theFirstSignalStartsShutdownAndASecondEndsAtOnce() {
        let r = Record()
        let g = Self.make(r)
        g.signalled("SIGTERM")
        #expect(r.shutDowns.withLock { $0 } == 1)
        #expect(r.exits.withLock { $0 }.isEmpty)
        g.signalled("SIGINT")
        #expect(r.shutDowns.withLock { $0 } == 1)
        #expect(r.exits.withLock { $0 } == [1])
    }

    @Test func anOverdueShutdownEndsWithZeroOnlyWhenTheOutcomesWereFlushed() {
        let flushed = Record()
        flushed.flushed.withLock { $0 = true }
        let a = Self.make(flushed)
        a.signalled("SIGTERM")
        a.overdue()
        #expect(flushed.exits.withLock { $0 } == [0])

        let queued = Record()
        let b = Self.make(queued)
        b.signalled("SIGTERM")
        b.overdue()
        #expect(queued.exits.withLock { $0 } == [1])
    }

    @Test func aShutdownThatReturnedIsNotEndedNorIsOneNeverAskedFor() {
        let r = Record()
        let g = Self.make(r)
        g.overdue()   // no signal yet: nothing to end
        g.signalled("SIGTERM")
        g.finished()
        g.overdue()
        g.signalled("SIGTERM")   // after the group returned, a signal changes nothing
        #expect(r.exits.withLock { $0 }.isEmpty)
        #expect(r.shutDowns.withLock { $0 } == 1)
    }

    @Test func theDeadlineIsArmedByTheFirstSignal() throws {
        let r = Record()
        let g = Self.make(r, margin: .milliseconds(20))
        g.signalled("SIGTERM")
        // The deadline is 20 ms away; the guard below only keeps a broken build from hanging.
        try bounded(seconds: 600, "the deadline to pass") {
            while r.exits.withLock({ $0 }).isEmpty { usleep(5_000) }
        }
        #expect(r.exits.withLock { $0 } == [1])
    }
}
