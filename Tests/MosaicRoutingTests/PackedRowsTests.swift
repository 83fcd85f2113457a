import Foundation
import MosaicCore
import MosaicRouting
import Testing

@Suite("PackedRows")
struct PackedRowsTests {
    static func sample(rows: Int, columns: Int, seed: UInt64) -> [Double] {
        var random = SeededRandom(seed: seed)
        return (0..<(rows * columns)).map { i in
            // Rows of very different magnitudes, with exact zeros and negative values.
            let magnitude = pow(10, Double(i / columns % 7) - 4)
            return i % 11 == 0 ? 0 : (random.uniform() * 2 - 1) * magnitude
        }
    }

    @Test func quantisedValuesRoundTripExactly() throws {
        let values = Self.sample(rows: 9, columns: 37, seed: 3)
        let q = PackedRows.quantized(values, columns: 37)
        let packed = PackedRows(q, columns: 37)
        #expect(packed.rows == 9 && packed.columns == 37)
        #expect(packed.values() == q)
        // Through JSON too, and packing the decoded values again gives the same integers and exponents.
        let data = try JSONEncoder().encode(packed)
        let back = try JSONDecoder().decode(PackedRows.self, from: data)
        #expect(back.values() == q)
        #expect(PackedRows(try #require(back.values()), columns: 37) == packed)
    }

    @Test func precisionIsTwoToTheMinusFifteenOfEachRowsLargestValue() {
        let columns = 50
        let values = Self.sample(rows: 7, columns: columns, seed: 8)
        let q = PackedRows.quantized(values, columns: columns)
        for r in 0..<7 {
            let row = values[(r * columns)..<((r + 1) * columns)]
            let m = row.map(abs).max()!
            for c in 0..<columns {
                let i = r * columns + c
                // Half a step of at most 2·m/32767 (the scale is the power of two at or above m/32767).
                #expect(abs(q[i] - values[i]) <= m / 32767 + 1e-300, "row \(r) column \(c)")
                if values[i] == 0 { #expect(q[i] == 0) }
            }
        }
    }

    @Test func rejectsAPayloadOfTheWrongSize() {
        var packed = PackedRows([1, 2, 3, 4], columns: 2)
        packed.rows = 3
        packed.exponents.append(0)
        #expect(packed.values() == nil)
        #expect(PackedRows([], columns: 4).values() == [])
    }
}
