import MosaicCore
@testable import MosaicRouting
import Testing

extension RouterSuite {
    /// The small-pool remainder that picks power-of-two-choices candidates equals `%`, so the
    /// seeded choices are the ones the plain division gave.
    @Suite("Router remainder")
    struct RemainderTests {
        @Test func equalsTheRemainderOperatorForEveryPoolSize() {
            var random = SeededRandom(seed: 31)
            let edges: [UInt64] = [0, 1, 2, 3, 7, 8, UInt64(Int.max), UInt64.max - 1, .max]
            for m in 1...20 {
                for x in edges {
                    #expect(Router.remainder(x, m) == Int(x % UInt64(m)), "x \(x), m \(m)")
                }
                for _ in 0..<2_000 {
                    let x = random.next()
                    #expect(Router.remainder(x, m) == Int(x % UInt64(m)), "x \(x), m \(m)")
                }
            }
        }
    }
}
