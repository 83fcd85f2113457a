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

    /// The writer grows its own memory: a document far beyond the first capacity, with every
    /// kind of value and escapes, reads back as what was written.
    @Test func aDocumentBeyondTheFirstCapacityReadsBack() throws {
        var w = JSONWriter(capacity: 1)
        var expected: [Any] = []
        w.beginArray()
        for k in 0..<2_000 {
            let text = "row \(k) \"quoted\" back\\slash\n\t\u{1}é"
            w.string(text)
            w.int(k % 2 == 0 ? Int.min + k : Int.max - k)
            w.number(Double(k) / 7)
            expected.append(text)
            expected.append(k % 2 == 0 ? Int.min + k : Int.max - k)
            expected.append(Double(k) / 7)
        }
        w.beginObject(); w.bool("b", true); w.null("n"); w.key("k \"x\""); w.int(0); w.endObject()
        w.endArray()
        let bytes = w.bytes
        #expect(bytes.count > 100_000)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [Any])
        #expect(parsed.count == expected.count + 1)
        for (i, e) in expected.enumerated() {
            switch e {
            case let s as String: #expect(parsed[i] as? String == s)
            case let n as Int: #expect((parsed[i] as? NSNumber)?.int64Value == Int64(n))
            // (Foundation's reader on Linux can miss the last bit; the exact spelling is the test above's.)
            case let d as Double: #expect(abs(((parsed[i] as? NSNumber)?.doubleValue ?? .nan) - d) <= 4 * d.ulp)
            default: Issue.record("unexpected \(e)")
            }
        }
        let last = try #require(parsed.last as? [String: Any])
        #expect(last["b"] as? Bool == true && last["n"] is NSNull && (last["k \"x\""] as? NSNumber)?.intValue == 0)
        #expect(w.withBytes { Array($0) } == bytes)
    }

    /// Text longer than the room a number gets is kept, in order, rather than written past it.
    @Test func theNumberSinkKeepsTextBeyondItsRoom() {
        var storage = [UInt8](repeating: 0, count: ASCIISink.room)
        let long = String(repeating: "1234567890", count: 5)
        let text = storage.withUnsafeMutableBufferPointer { p -> String in
            var sink = ASCIISink(destination: p.baseAddress!)
            sink.write("-")
            sink.write(long)
            return String(decoding: p.prefix(sink.written), as: UTF8.self) + String(decoding: sink.overflow, as: UTF8.self)
        }
        #expect(text == "-" + long)
    }
}
