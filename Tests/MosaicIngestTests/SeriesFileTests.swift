import MosaicCore
@testable import MosaicIngest
import MosaicTestSupport
import Testing

@Suite("SeriesFile")
struct SeriesFileTests {
    @Test func readsARegularSeries() throws {
        let tmp = TemporaryDirectory()
        let p = tmp.write("s.csv", "timestamp,value\n2014-07-01 00:00:00,10\n2014-07-01 00:30:00,12.5\n2014-07-01 01:00:00,-1\n")
        let s = try SeriesFile.read(path: p)
        #expect(s.start == Timestamp.parse("2014-07-01T00:00:00Z"))
        #expect(s.interval == 1_800_000_000)
        #expect(s.values == [10, 12.5, -1])
        #expect(s.filled == 0)
    }

    @Test func gapsAreAnErrorUnlessFilled() throws {
        let tmp = TemporaryDirectory()
        let p = tmp.write("g.csv", "value,timestamp\n1,2024-01-01T00:00:00Z\n2,2024-01-01T01:00:00Z\n5,2024-01-01T04:00:00Z\n")
        let e = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: p) }
        #expect(e?.description == "\(p):4: column timestamp: 2 points missing before 2024-01-01T04:00:00Z (spacing 3600 s); fill them or pass --fill-gaps missing|zero|linear")
        #expect(try SeriesFile.read(path: p, gaps: .zero).values == [1, 2, 0, 0, 5])
        #expect(try SeriesFile.read(path: p, gaps: .linear).values == [1, 2, 3, 4, 5])
    }

    @Test func missingKeepsGapsAndEmptyValuesAsNaN() throws {
        let tmp = TemporaryDirectory()
        let p = tmp.write("m.csv", "timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,\n2024-01-01T03:00:00Z,4\n")
        let s = try SeriesFile.read(path: p, gaps: .missing)
        #expect(s.values.count == 4 && s.values[0] == 1 && s.values[1].isNaN && s.values[2].isNaN && s.values[3] == 4)
        #expect(s.filled == 2)
        #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: p, gaps: .linear) }  // an empty value stays an error
    }

    @Test func readsStatsforecastsLongFormat() throws {
        let tmp = TemporaryDirectory()
        let p = tmp.write("long.csv", """
            unique_id,ds,y
            H1,2024-01-01 00:00:00,1
            H2,2024-01-01 00:00:00,10
            H1,2024-01-01 01:00:00,2
            H2,2024-01-01 01:00:00,
            H1,2024-01-01 03:00:00,4

            """)
        let h1 = try SeriesFile.read(path: p, gaps: .zero, id: "H1")
        #expect(h1.start == Timestamp.parse("2024-01-01T00:00:00Z") && h1.interval == 3_600_000_000)
        #expect(h1.values == [1, 2, 0, 4])
        let h2 = try SeriesFile.read(path: p, gaps: .missing, id: "H2")
        #expect(h2.values.count == 2 && h2.values[0] == 10 && h2.values[1].isNaN)
        // Errors name the file's own column names.
        let empty = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: p, id: "H2") }
        #expect(empty?.description == "\(p):5: column y: is empty")
        let two = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: p) }
        #expect(two?.description == "\(p):3: column unique_id: 'H2' is a second series after 'H1'; choose one with --id")
        let none = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: p, id: "H3") }
        #expect(none?.description == "\(p): no rows of the series 'H3' (unique_id here: H1, H2)")
        let single = tmp.write("one.csv", "unique_id,ds,y\nH1,2024-01-01,1\nH1,2024-01-02,2\n")
        #expect(try SeriesFile.read(path: single).values == [1, 2])
        let plain = tmp.write("plain.csv", "ds,y\n2024-01-01,1\n2024-01-02,2\n")
        #expect(try SeriesFile.read(path: plain).interval == 86_400_000_000)
        let noID = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: plain, id: "H1") }
        #expect(noID?.description == "\(plain): line 1: no unique_id column to choose the series 'H1' by")
    }

    @Test(arguments: [
        ("timestamp,value\n2024-01-01,1\n2024-01-01,2\n", ":3: column timestamp: 2024-01-01T00:00:00Z does not come after"),
        ("timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,nan\n", ":3: column value: 'nan' is not a finite number"),
        ("timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,\n", ":3: column value: is empty"),
        ("time,v\n2024-01-01,1\n", ": line 1: the header must name a timestamp and a value column"),
        ("timestamp,value\n2024-01-01T00:00:00Z,1\n", ": a series needs at least two points"),
        ("timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T00:30:00Z,2\n2024-01-01T01:15:00Z,4\n", ":4: column timestamp: 2024-01-01T01:15:00Z is off the series' grid of 1800 s"),
    ])
    func badSeriesFiles(_ text: String, _ message: String) throws {
        let tmp = TemporaryDirectory()
        let p = tmp.write("b.csv", text)
        let e = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: p) }
        #expect(e?.description.hasPrefix(p + message) == true, "\(e?.description ?? "")")
    }
}
