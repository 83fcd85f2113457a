import Foundation
@testable import MosaicServer
import MosaicCore
import Testing

@Suite("serve: JSON writer")
struct JSONWriterTests {
    /// Non-integral doubles are spelled exactly as `Double.description` (the shortest text that
    /// reads back to the same double), integral ones below 10^15 without ".0", non-finite as null.
    @Test func numbersAreSpelledAsSwiftDoes() throws {
        var g = SeededRandom(seed: 5)
        var values: [Double] = [0.1 + 0.2, -0.5, 1e-300, Double.leastNonzeroMagnitude, 1.7976931348623157e308, 1e15, 123456789012345.6,
                                -2.5e-7, 0.9188998511913178, 47.23145700837562, 1e22, -1e16]
        for _ in 0..<2000 {
            values.append(Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &g)))
            values.append(Double.random(in: -1e6...1e6, using: &g))
        }
        for v in values {
            var w = JSONWriter(capacity: 8)
            w.number(v)
            let text = String(decoding: w.bytes, as: UTF8.self)
            if !v.isFinite {
                #expect(text == "null")
            } else if v == v.rounded(), abs(v) < 1e15 {
                #expect(text == String(Int(v)))
            } else {
                #expect(text == v.description, "\(v)")
                #expect(Double(text) == v)
            }
        }
        var w = JSONWriter()
        w.beginArray(); w.number(0.25); w.number(3); w.number(-1e-9); w.endArray()
        #expect(String(decoding: w.bytes, as: UTF8.self) == "[0.25,3,-1e-09]")
    }
}
