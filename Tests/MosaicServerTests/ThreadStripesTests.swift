import Foundation
@testable import MosaicServer
import Testing

/// State striped by thread: nothing written on any thread is lost, and a scrape adds it up.
@Suite("serve: thread stripes")
struct ThreadStripesTests {
    /// Runs `body(thread)` on `threads` threads at once and waits for them.
    static func onThreads(_ threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for t in 0..<threads {
            group.enter()
            Thread.detachNewThread {
                body(t)
                group.leave()
            }
        }
        group.wait()
    }

    @Test func everyThreadsWritesAreKept() {
        let stripes = ThreadStripes<Int>(count: 5) { 0 }
        #expect(stripes.stripes.count == 8)
        Self.onThreads(6) { _ in
            let first = ObjectIdentifier(stripes.mine)
            for _ in 0..<10_000 {
                stripes.withMine { $0 += 1 }
                // A thread keeps its stripe.
                if ObjectIdentifier(stripes.mine) != first { Issue.record("a thread changed stripes") }
            }
        }
        #expect(stripes.all.reduce(0, +) == 60_000)
    }

    @Test func decisionsCountedOnManyThreadsAreAllInTheScrape() {
        let metrics = Metrics()
        let providers = ["openai", "anthropic", "ollama"]
        Self.onThreads(4) { t in
            for k in 0..<2_500 {
                metrics.decision(provider: providers[(t + k) % 3], reason: "strategy", seconds: k % 2 == 0 ? 3e-6 : 2e-3)
            }
        }
        let s = metrics.snapshot
        #expect(s.decisions.values.reduce(0, +) == 10_000)
        #expect(Set(s.decisions.keys.map(\.a)) == Set(providers))
        let route = s.handling["route"]
        #expect(route?.count == 10_000)
        // Half at 3 µs (the first bucket, ≤ 5 µs), half at 2 ms (≤ 2.5 ms).
        #expect(route?.counts.first == 5_000)
        #expect(route?.counts[Histogram.handling.firstIndex(of: 2.5e-3)!] == 5_000)
        #expect(abs((route?.sum ?? 0) - (5_000 * 3e-6 + 5_000 * 2e-3)) < 1e-9)
        // Nothing counted: no route histogram, as before the first decision.
        #expect(Metrics().snapshot.handling["route"] == nil)
    }
}
