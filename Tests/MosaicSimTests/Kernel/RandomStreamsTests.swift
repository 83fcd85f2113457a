import MosaicCore
import Testing
@testable import MosaicSim

#if canImport(Glibc)
import Glibc
#endif

/// The portable generator of shared/reference/README.md, written out independently.
enum Portable {
    static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// u(s, k) with seed 42.
    static func u(_ s: UInt64, _ k: UInt64, seed: UInt64 = 42) -> Double {
        Double(mix(seed &+ s &* (1 << 40) &+ (k &+ 1) &* 0x9E37_79B9_7F4A_7C15) >> 11) * 0x1p-53
    }
}

@Suite("Kernel: random streams")
struct RandomStreamsTests {
    @Test("numbered streams are the reference scripts' portable streams u(s, k)")
    func numberedStreamsArePortable() {
        let streams = RandomStreams(seed: 42)
        for s in 0..<6 {
            var r = streams.stream(s)
            for k in 0..<1000 { #expect(r.uniform() == Portable.u(UInt64(s), UInt64(k))) }
        }
        // README: the regression X is U[-1, 1) from stream 0 and X[0, 0] = 0.4831297575436466.
        var x = streams.stream(0)
        #expect(2 * x.uniform() - 1 == 0.4831297575436466)
        // portable_exponential: -log1p(-u)/rate.
        var arrivals = streams.stream(4)
        for k in 0..<100 {
            #expect(arrivals.portableExponential(rate: 14.4) == -log1p(-Portable.u(4, UInt64(k))) / 14.4)
        }
    }

    @Test("streams are deterministic and differ between numbers, names, families and replications")
    func independence() {
        let streams = RandomStreams(seed: 7)
        func firstDraws(_ r: SeededRandom) -> [UInt64] { var r = r; return (0..<8).map { _ in r.next() } }
        let all: [[UInt64]] = [
            firstDraws(streams.stream(0)), firstDraws(streams.stream(1)), firstDraws(streams.stream("arrivals")),
            firstDraws(streams.stream("service")), firstDraws(streams.stream("provider", 0)),
            firstDraws(streams.stream("provider", 1)), firstDraws(streams.replication(0).stream(0)),
            firstDraws(streams.replication(1).stream(0)), firstDraws(RandomStreams(seed: 8).stream(0)),
        ]
        #expect(Set(all.flatMap { $0 }).count == all.count * 8)
        #expect(firstDraws(streams.stream("arrivals")) == firstDraws(RandomStreams(seed: 7).stream("arrivals")))
        #expect(firstDraws(streams.replication(3).stream("x")) == firstDraws(RandomStreams(seed: 7).replication(3).stream("x")))
    }
}
