import MosaicCore
import Testing

@Suite("Money.writeCanonical")
struct MoneyCanonicalBytesTests {
    /// The bytes `writeCanonical` writes, as text.
    static func written(_ m: Money) -> String {
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: Money.maxCanonicalBytes)
        defer { out.deallocate() }
        let n = m.writeCanonical(to: out)
        return String(decoding: UnsafeBufferPointer(start: out, count: n), as: UTF8.self)
    }

    @Test("hand-picked amounts, the extremes included")
    func handPicked() throws {
        let cases: [(Money, String)] = [
            (.zero, "0"),
            (Money(whole: 7), "7"),
            (Money(whole: -150_000), "-150000"),
            (try Money(parsing: "0.0000625"), "0.0000625"),
            (try Money(parsing: "-12.5"), "-12.5"),
            (try Money(parsing: "5.0000000000000004e-08"), "0.000000050000000000000004"),
            (Money(units: 1), "0.000000000000000000000001"),
            (Money(units: -1), "-0.000000000000000000000001"),
            (Money(units: 1_000_000_000_000), "0.000000000001"),
            (Money(units: .max), Money(units: .max).description),
            (Money(units: .min), Money(units: .min).description),
        ]
        for (m, text) in cases {
            #expect(Self.written(m) == text)
            #expect(Self.written(m) == m.description)
        }
        #expect(Self.written(Money(units: .min)).utf8.count <= Money.maxCanonicalBytes)
    }

    @Test("equals description on 100,000 seeded random amounts of every magnitude")
    func random() {
        var rng = SeededRandom(seed: 18)
        for _ in 0..<100_000 {
            let digits = Int.random(in: 0...38, using: &rng)
            var limit: Int128 = 1
            for _ in 0..<digits { limit = limit.multipliedReportingOverflow(by: 10).overflow ? .max : limit * 10 }
            let m = Money(units: Int128.random(in: -limit...limit, using: &rng))
            let text = Self.written(m)
            #expect(text == m.description, "units \(m.units)")
            if text != m.description { return }
        }
    }
}
