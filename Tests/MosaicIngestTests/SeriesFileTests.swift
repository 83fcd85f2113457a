import MosaicCore
@testable import MosaicIngest
import MosaicTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

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

    @Test func aColumnOrKeyTwiceIsAnErrorNamingIt() throws {
        let tmp = TemporaryDirectory()
        let csv = tmp.write("two.csv", "timestamp,value,Value\n2024-01-01T00:00:00Z,1,2\n2024-01-01T01:00:00Z,3,4\n")
        let e = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: csv) }
        #expect(e?.description == "\(csv):1: column 'Value' appears twice (fields 2 and 3)")
        let json = tmp.write("two.json", "[{\"timestamp\": \"2024-01-01T00:00:00Z\", \"value\": 1},\n {\"timestamp\": \"2024-01-01T01:00:00Z\", \"value\": 2, \"value\": 3}]")
        let e2 = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: json) }
        #expect(e2?.description == "\(json):2: key 'value' appears twice in one object (column 52); a key may appear once")
        let lines = tmp.write("two.jsonl", "{\"timestamp\": \"2024-01-01T00:00:00Z\", \"value\": 1}\n{\"timestamp\": \"2024-01-01T01:00:00Z\", \"value\": 2, \"value\": 3}\n")
        let e3 = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: lines) }
        #expect(e3?.description == "\(lines):2: column value: appears twice in the object; a key may appear once")
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
        // zero and linear fill an empty value as they fill a row left out (the audit of
        // 2026-12-07: `--fill-gaps linear` refused the Twitter stream's empty values).
        let linear = try SeriesFile.read(path: p, gaps: .linear)
        #expect(linear.values == [1, 2, 3, 4] && linear.filled == 2)
        let zero = try SeriesFile.read(path: p, gaps: .zero)
        #expect(zero.values == [1, 0, 0, 4] && zero.filled == 2)
        #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: p, gaps: .error) }
        // After the last number there is nothing to interpolate towards: linear ends the series
        // there; zero takes the empty values as zeros.
        let tail = tmp.write("tail.csv", "timestamp,value\n2024-01-01T00:00:00Z,2\n2024-01-01T01:00:00Z,NA\n2024-01-01T02:00:00Z,8\n2024-01-01T03:00:00Z,\n")
        let t = try SeriesFile.read(path: tail, gaps: .linear)
        #expect(t.values == [2, 5, 8] && t.filled == 1)
        #expect(try SeriesFile.read(path: tail, gaps: .zero).values == [2, 0, 8, 0])
        // Empty values before the first number are not missing points: the series starts at it.
        let late = tmp.write("late.csv", "timestamp,value\n2024-01-01T00:00:00Z,\n2024-01-01T01:00:00Z,\n2024-01-01T02:00:00Z,5\n2024-01-01T03:00:00Z,\n2024-01-01T04:00:00Z,7\n")
        let l = try SeriesFile.read(path: late, gaps: .missing)
        #expect(l.start == Timestamp.parse("2024-01-01T02:00:00Z") && l.values.count == 3 && l.values[1].isNaN && l.values[2] == 7 && l.filled == 1)
        // Values written as missing, as R, numpy, spreadsheets and JSON-minded exporters write them.
        let words = ["NA", "nan", "NaN", "#N/A", "null", "None", "N/A", "<NA>"]
        let marked = tmp.write("marked.csv", "timestamp,value\n2024-01-01T00:00:00Z,1\n"
            + words.enumerated().map { "2024-01-01T\(String(format: "%02d", $0.offset + 1)):00:00Z,\($0.element)\n" }.joined()
            + "2024-01-01T09:00:00Z,9\n")
        let w = try SeriesFile.read(path: marked, gaps: .missing)
        #expect(w.values.count == 10 && w.values[0] == 1 && w.values[1...8].allSatisfy(\.isNaN) && w.values[9] == 9 && w.filled == 8)
        let empty = tmp.write("empty.csv", "timestamp,value\n2024-01-01T00:00:00Z,\n2024-01-01T01:00:00Z,\n")
        let e = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: empty, gaps: .missing) }
        #expect(e?.description == "\(empty): the column value has no values, only empty ones")
    }

    /// InfluxDB 2's CSV of a Flux query: `_time` and `_value`, with or without the annotation
    /// rows above the header; an answer of several tables is refused where the second starts.
    @Test func fluxAnswersReadAsInfluxDBWritesThem() throws {
        let header = ",result,table,_start,_stop,_time,_value,_field,_measurement\r\n"
        let annotations = "#group,false,false,true,true,false,false,true,true\r\n"
            + "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string\r\n"
            + "#default,_result,,,,,,,\r\n"
        func table(_ n: Int, hours: [Int]) -> String {
            hours.map { ",,\(n),2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,2024-01-01T0\($0):00:00Z,\($0 + 1).5,count,requests\r\n" }.joined()
        }
        let tmp = TemporaryDirectory()
        for text in [annotations + header + table(0, hours: [0, 1, 3]) + "\r\n", header + table(0, hours: [0, 1, 3])] {
            let s = try SeriesFile.read(path: tmp.write("flux.csv", text), gaps: .missing)
            #expect(s.start == Timestamp.parse("2024-01-01T00:00:00Z") && s.values.count == 4)
            #expect(s.values[0] == 1.5 && s.values[1] == 2.5 && s.values[2].isNaN && s.values[3] == 4.5)
        }
        let several = ": a second table starts here: the Flux answer holds several; query one, for example with |> group()"
        expectReadError("flux.csv", annotations + header + table(0, hours: [0, 1]) + "\r\n" + annotations + header + table(1, hours: [0, 1]),
                        ":8: " + several.dropFirst(2))
        expectReadError("flux.csv", header + table(0, hours: [0, 1]) + "\r\n" + header + table(1, hours: [0, 1]), ":5: " + several.dropFirst(2))
        expectReadError("flux.csv", header + table(0, hours: [0, 1]) + table(1, hours: [2]), ":4: " + several.dropFirst(2))
        expectReadError("flux.csv", annotations, ": the file holds Flux annotation rows but no header")
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
        #expect(noID?.description == "\(plain):1: no unique_id column to choose the series 'H1' by")
    }

    /// Irregular points with a repeated timestamp and an empty value (the first rows of NAB's
    /// realTraffic/TravelTime_387.csv, with a repeat, an empty value and a gap added). The
    /// expected values are pandas 2.3.3's:
    /// `df.resample('1h').mean()`, `df.resample('30min').mean()` and
    /// `df.resample('1h').sum(min_count=1)`, whose first and last hours the points do not cover
    /// whole (the median spacing is 16 minutes), so `sum` leaves them out.
    @Test func resamplingGathersIrregularPointsAsPandasDoes() throws {
        let tmp = TemporaryDirectory()
        let p = tmp.write("irregular.csv", """
            timestamp,value
            2015-07-10 14:24:00,564
            2015-07-10 14:38:00,730
            2015-07-10 14:48:00,770
            2015-07-10 15:03:00,910
            2015-07-10 15:22:00,1035
            2015-07-10 15:22:00,1001
            2015-07-10 15:42:00,953
            2015-07-10 17:05:00,620
            2015-07-10 17:15:00,
            2015-07-10 17:31:00,588
            2015-07-10 17:52:00,575
            2015-07-10 18:02:00,560

            """)
        func read(_ minutes: Int64, _ aggregate: SeriesFile.Resampling.Aggregate) throws -> LoadedSeries {
            try SeriesFile.read(path: p, gaps: .missing, resample: .init(interval: minutes * 60_000_000, aggregate: aggregate))
        }
        func same(_ a: [Double], _ b: [Double]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { $0.isNaN ? $1.isNaN : abs($0 - $1) <= 1e-12 * abs($1) }
        }
        let hourly = try read(60, .mean)
        #expect(hourly.start == Timestamp.parse("2015-07-10T14:00:00Z") && hourly.interval == 3_600_000_000)
        #expect(same(hourly.values, [688.0, 974.75, .nan, 594.3333333333334, 560.0]), "\(hourly.values)")
        #expect(hourly.filled == 1)
        let halfHourly = try read(30, .mean)
        #expect(same(halfHourly.values, [564.0, 750.0, 982.0, 953.0, .nan, .nan, 620.0, 581.5, 560.0]), "\(halfHourly.values)")
        let sums = try read(60, .sum)
        #expect(sums.start == Timestamp.parse("2015-07-10T15:00:00Z"))
        #expect(same(sums.values, [3899.0, .nan, 1783.0]), "\(sums.values)")

        // Without resampling the repeat is refused, with the way out named.
        let e = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: p, gaps: .missing) }
        #expect(e?.description == "\(p):7: column timestamp: 2015-07-10T15:22:00Z does not come after 2015-07-10T15:22:00Z; the series must be in time order without repeats (--resample gathers repeated or irregular timestamps into intervals)")
        // Going back in time stays an error when resampling.
        let back = tmp.write("back.csv", "timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T02:00:00Z,2\n2024-01-01T01:00:00Z,3\n")
        #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: back, resample: .init(interval: 3_600_000_000, aggregate: .mean)) }
        // Values past ±1e150 are refused at their line, resampled or not: forecasts square and
        // sum them (values near 1e307 printed empty interval bounds and a MASE of 0, exit 0).
        let huge = tmp.write("huge.csv", "timestamp,value\n2024-01-01T00:00:00Z,1e150\n2024-01-01T00:10:00Z,-1.5e151\n"
                             + "2024-01-01T01:00:00Z,1\n2024-01-01T02:00:00Z,2\n")
        for resample in [nil, SeriesFile.Resampling(interval: 3_600_000_000, aggregate: .sum)] {
            let e3 = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: huge, resample: resample) }
            #expect(e3?.description == "\(huge):3: column value: -1.5e+151 is beyond ±1e150, the largest a series value may be (forecasts square and sum them, and past it they overflow)")
        }
        let largest = tmp.write("largest.csv", "timestamp,value\n2024-01-01T00:00:00Z,1e150\n2024-01-01T00:10:00Z,-1e150\n")
        #expect(try SeriesFile.read(path: largest).values == [1e150, -1e150])
    }

    /// Points minutes apart at uneven spacing would make a grid of mostly holes on the
    /// smallest spacing: refused, with the most common spacing named.
    @Test func irregularTimestampsAreRefusedWithoutResampling() throws {
        let tmp = TemporaryDirectory()
        var lines = ["timestamp,value"]
        var t = Timestamp.parse("2024-01-01T00:00:00Z")!
        for i in 0..<40 {
            lines.append("\(Timestamp.format(t)),\(i)")
            t += Int64(i % 7 == 3 ? 1 : 10) * 60_000_000
        }
        let p = tmp.write("uneven.csv", lines.joined(separator: "\n") + "\n")
        let e = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: p, gaps: .missing) }
        #expect(e?.description == "\(p): the timestamps are irregular: on the smallest spacing (60 s) 297 of 337 points would be missing; gather them into intervals with --resample (the most common spacing here is 600 s) and --aggregate mean|sum")
        #expect(try SeriesFile.read(path: p, resample: .init(interval: 3_600_000_000, aggregate: .sum)).values.count == 5)
        // Chosen intervals may be mostly empty, but not more than a million of them (two
        // points a century apart would ask for 52.6 million minutes).
        #expect(try SeriesFile.read(path: p, gaps: .missing, resample: .init(interval: 60_000_000, aggregate: .mean)).values.count == 337)
        let century = tmp.write("century.csv", "timestamp,value\n1924-01-01T00:00:00Z,1\n2024-01-01T00:00:00Z,2\n")
        let e2 = #expect(throws: IngestError.self) {
            _ = try SeriesFile.read(path: century, gaps: .missing, resample: .init(interval: 60_000_000, aggregate: .mean))
        }
        #expect(e2?.description == "\(century): the points span 52596001 intervals of 60 s, more than 1000000; choose a longer --resample")
        #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: p, resample: .init(interval: 0, aggregate: .mean)) }  // 00:00–05:00; the hour from 05:00 ends at 05:36
    }

    /// Without --resample a series file is held to the bound of a resampled one and of `mosaic
    /// series`: a million intervals. Ten million minutes were read and fitted with 11 GB and
    /// had not finished after 15 minutes; the reading now stops at the point past the bound.
    @Test func aSeriesOfMoreThanAMillionPointsIsRefused() throws {
        let tmp = TemporaryDirectory()
        func file(_ name: String, _ offsets: some Sequence<Int>) -> String {
            var text = Array("timestamp,value\n".utf8)
            for (k, offset) in offsets.enumerated() { text += Array("\(1_600_000_000 + 60 * offset),\(k % 1_440)\n".utf8) }
            return tmp.write(name, bytes: text)
        }
        let bound = Int(SeriesFile.maximumIntervals)
        #expect(try SeriesFile.read(path: file("bound.csv", 0..<bound)).values.count == bound)
        let over = file("over.csv", 0...bound)
        let e = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: over) }
        #expect(e?.description == "\(over): holds more than 1000000 points, more than a series may span (as `mosaic series` grants a window); "
                + "gather them into longer intervals with --resample and --aggregate mean|sum")
        // Fewer points, every third one missing: their grid passes the bound.
        let holes = file("holes.csv", (0..<(bound * 3 / 4)).map { $0 / 2 * 3 + $0 % 2 })
        let e2 = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: holes, gaps: .missing) }
        #expect(e2?.description == "\(holes): the points span 1124999 intervals of 60 s, more than 1000000; "
                + "gather them into longer intervals with --resample and --aggregate mean|sum")
    }

    /// Unix seconds and milliseconds by their number of whole digits; anything else is refused.
    @Test func unixTimesReadAsMonitoringToolsWriteThem() {
        func parse(_ s: String) -> Int64? { Array(s.utf8).withUnsafeBytes { SeriesFile.unixTime($0) } }
        let t = Timestamp.parse("2021-08-01T07:00:00Z")!
        #expect(parse("1627801200") == t)
        #expect(parse("1627801200.25") == t + 250_000)
        #expect(parse("1627801200.1234567") == t + 123_456)
        #expect(parse("1627801200000") == t)
        #expect(parse("1627801200000.5") == t + 500)
        #expect(parse("999999999") == 999_999_999_000_000)   // 2001-09-09: nine digits are seconds
        for bad in ["", "12345678", "16278012000", "16278012000000", "1627801200.", "-1627801200", "1627801200 ", "1e9"] {
            #expect(parse(bad) == nil, "\(bad)")
        }
    }

    /// A file of two columns reads whatever they are called, and without a header: the one the
    /// header does not name is the other, two it names neither are the time and the value.
    /// Tab-separated files read alike (`\t` in the header).
    @Test(arguments: ["time,value\n", "timestamp,requests\n", "Requests,Timestamp\n", "hour,requests\n", ",requests\n", "",
                      "timestamp\tvalue\n", "hour\trequests\n"])
    func twoColumnsNeedNoNames(_ header: String) throws {
        let tmp = TemporaryDirectory()
        let tab = header.contains("\t")
        let points = "2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,2\n2024-01-01T02:00:00Z,4\n".replacingOccurrences(of: ",", with: tab ? "\t" : ",")
        let flipped = header.hasPrefix("Requests") ? points.split(separator: "\n").map { $0.split(separator: ",").reversed().joined(separator: ",") + "\n" }.joined() : points
        let s = try SeriesFile.read(path: tmp.write("two.csv", header + flipped))
        #expect(s.values == [1, 2, 4] && s.start == Timestamp.parse("2024-01-01T00:00:00Z") && s.interval == 3_600_000_000)
    }

    /// pandas' `to_csv()` without `index=False` writes its index first, under no name: that
    /// column is left out and the other two read as two (named or not); a wrong guess says so.
    @Test(arguments: [",datetime,requests\n", ",timestamp,requests\n", ",requests,Timestamp\n", ",time,value\n"])
    func aPandasIndexColumnIsLeftOut(_ header: String) throws {
        let tmp = TemporaryDirectory()
        let points = ["2024-01-01 00:00:00,1", "2024-01-01 01:00:00,2", "2024-01-01 02:00:00,4"]
        let rows = points.enumerated().map { i, p in
            "\(i)," + (header.hasPrefix(",requests") ? p.split(separator: ",").reversed().joined(separator: ",") : p)
        }
        let s = try SeriesFile.read(path: tmp.write("indexed.csv", header + rows.joined(separator: "\n") + "\n"))
        #expect(s.values == [1, 2, 4] && s.start == Timestamp.parse("2024-01-01T00:00:00Z") && s.interval == 3_600_000_000)
    }

    @Test func aPandasIndexGuessThatFailsSaysWhatWasGuessed() {
        expectReadError("indexed.csv", ",count,datetime\n0,5,2024-01-01 00:00:00\n",
                        ":2: column count: '5' is not a timestamp (ISO 8601, a date such as 08/01/2021 07:00, 01.08.2021 07:00 or 2021080107, or unix seconds or milliseconds) (its first column, unnamed, is taken for pandas' index and left out; the header names neither a timestamp nor a value column, so its second column is read as the time and the third as the value; name yours with --time-column and --value-column)")
        // Three named columns are not guessed, and the message lists them as the file spells them.
        expectReadError("three.csv", "N,DateTime,Requests\n0,2024-01-01 00:00:00,5\n",
                        ":1: the header must name a timestamp and a value column (timestamp or ds, value or y; found: N, DateTime, Requests); name yours with --time-column and --value-column")
    }

    /// A newest-first export (a dashboard's, or `ORDER BY ts DESC`) reads as the same series
    /// oldest first, with its gaps, empty values and intervals, at its own lines in messages.
    @Test func newestFirstReadsReversed() throws {
        let tmp = TemporaryDirectory()
        let rows = ["2024-01-01T00:00:00Z,", "2024-01-01T01:00:00Z,1", "2024-01-01T02:00:00Z,2", "2024-01-01T04:00:00Z,4", "2024-01-01T05:00:00Z,5"]
        let oldest = tmp.write("oldest.csv", "timestamp,value\n" + rows.joined(separator: "\n") + "\n")
        let newest = tmp.write("newest.csv", "timestamp,value\n" + rows.reversed().joined(separator: "\n") + "\n")
        let a = try SeriesFile.read(path: oldest, gaps: .missing), b = try SeriesFile.read(path: newest, gaps: .missing)
        #expect(a.start == b.start && a.interval == b.interval && a.filled == 1 && b.filled == 1 && a.values.count == 5)
        #expect(zip(a.values, b.values).allSatisfy { $0.isNaN ? $1.isNaN : $0 == $1 }, "\(b.values)")
        let hours = SeriesFile.Resampling(interval: 7_200_000_000, aggregate: .mean)
        #expect(try SeriesFile.read(path: newest, gaps: .missing, resample: hours).values == (try SeriesFile.read(path: oldest, gaps: .missing, resample: hours)).values)
        // The gap is named at the newer point's line of this file (line 3, 04:00).
        let full = tmp.write("full.csv", "timestamp,value\n" + rows.dropFirst().reversed().joined(separator: "\n") + "\n")
        let e = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: full, gaps: .error) }
        #expect(e?.description.hasPrefix("\(full):3: column timestamp: 1 point missing before 2024-01-01T04:00:00Z") == true, "\(e?.description ?? "")")
    }

    /// Dates as spreadsheets and locales write them read as the same series as ISO 8601's.
    @Test(arguments: [
        "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%-m/%-d/%y %-H:%M", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d-%m-%Y %H:%M", "%Y/%m/%d %H:%M",
    ])
    func writtenDatesReadAsISOs(_ format: String) throws {
        let tmp = TemporaryDirectory()
        // Two-hourly points from 2024-01-10 10:00 to 2024-01-14 12:00: days over 12 say the order.
        let hours = stride(from: 0, through: 98, by: 2)
        let iso = hours.map { h in Timestamp.format(Timestamp.parse("2024-01-10T10:00:00Z")! + Int64(h) * 3_600_000_000) }
        let written = iso.map { strftime(format, Timestamp.parse($0)!) }
        let expected = try SeriesFile.read(path: tmp.write("iso.csv", "timestamp,value\n" + iso.enumerated().map { "\($1),\($0)" }.joined(separator: "\n")))
        let s = try SeriesFile.read(path: tmp.write("w.csv", "Date,Requests\n" + written.enumerated().map { "\($1),\($0)" }.joined(separator: "\n")))
        #expect(s == expected, "\(written.prefix(2))")
    }

    /// A column whose days are all 12 or under takes the order under which it runs one way over
    /// the least time; one that says both orders, or has a date impossible in its order, is an error.
    @Test func writtenDateOrderIsTheColumns() throws {
        let tmp = TemporaryDirectory()
        let dayFirst = try SeriesFile.read(path: tmp.write("d.csv", "date,value\n01/02/2024 23:00,1\n02/02/2024 00:00,2\n02/02/2024 01:00,3\n"))
        #expect(dayFirst.start == Timestamp.parse("2024-02-01T23:00:00Z") && dayFirst.interval == 3_600_000_000)
        let monthFirst = try SeriesFile.read(path: tmp.write("m.csv", "date,value\n01/02/2024 23:00,1\n01/03/2024 00:00,2\n01/03/2024 01:00,3\n"))
        #expect(monthFirst.start == Timestamp.parse("2024-01-02T23:00:00Z") && monthFirst.interval == 3_600_000_000)
        for (text, message) in [
            ("date,value\n13/01/2024,1\n01/14/2024,2\n", ":2: column date: puts the day first (its first number is over 12), but line 3 puts the month first (its second is); a column's dates must be written one way"),
            ("date,value\n01/28/2024,1\n02/30/2024,2\n", ":3: column date: is not a date written month first, as the column's other dates are"),
            ("date,value\n2024-01-01,1\n1/2/3,2\n", ":3: column date: '1/2/3' is not a timestamp"),
            ("date,value\n01/02/2024 13:00 PM,1\n", ":2: column date: '01/02/2024 13:00 PM' is not a timestamp"),
        ] {
            expectReadError("bad.csv", text, message)
        }
    }

    /// `SeriesFile.time` of a text.
    static func time(_ text: String) -> Int64? {
        var t = text
        return t.withUTF8 { SeriesFile.time(UnsafeRawBufferPointer($0)) }
    }

    /// Dates without separators: Google Analytics' "date + hour", ISO 8601's basic format.
    @Test func compactDates() throws {
        let time = Self.time
        let tmp = TemporaryDirectory()
        let s = try SeriesFile.read(path: tmp.write("ga.csv", "Date + hour (YYYYMMDDHH),Sessions\n2021080122,5\n2021080123,6\n2021080200,7\n"))
        #expect(s.start == Timestamp.parse("2021-08-01T22:00:00Z") && s.interval == 3_600_000_000 && s.values == [5, 6, 7])
        #expect(time("20210801") == Timestamp.parse("2021-08-01T00:00:00Z"))
        #expect(time("202108010730") == Timestamp.parse("2021-08-01T07:30:00Z"))
        #expect(time("20210801073015") == Timestamp.parse("2021-08-01T07:30:15Z"))
        #expect(time("20210801T0730") == Timestamp.parse("2021-08-01T07:30:00Z"))
        #expect(time("20210801T073015Z") == Timestamp.parse("2021-08-01T07:30:15Z"))
        // Unix seconds and milliseconds keep their meaning; impossible dates are not dates.
        #expect(time("1627801200") == Timestamp.parse("2021-08-01T07:00:00Z"))
        #expect(time("1627801200000") == Timestamp.parse("2021-08-01T07:00:00Z"))
        #expect(time("2021083207") == Timestamp.parse("2034-01-17T04:00:07Z"))  // no 32 August: unix seconds
        #expect(time("20211301") == nil && time("20210801Z") == nil && time("20210801T") == nil)
    }

    /// A web server's access-log times, whole or cut to the hour as counts per hour are made from a log.
    @Test func accessLogTimes() throws {
        let tmp = TemporaryDirectory()
        let s = try SeriesFile.read(path: tmp.write("hits.csv", "hour,hits\n01/Aug/1995:14,5\n01/Aug/1995:15,6\n01/Aug/1995:17,7\n"), gaps: .missing)
        #expect(s.start == Timestamp.parse("1995-08-01T14:00:00Z") && s.interval == 3_600_000_000)
        #expect(s.values.count == 4 && s.values[0] == 5 && s.values[2].isNaN && s.values[3] == 7)
        let time = Self.time
        #expect(time("01/Aug/1995:14:00:00 -0400") == Timestamp.parse("1995-08-01T18:00:00Z"))
        #expect(time("[01/aug/1995:14:05:09 +0130]") == Timestamp.parse("1995-08-01T12:35:09Z"))
        #expect(time("29/Feb/2024:23:59") == Timestamp.parse("2024-02-29T23:59:00Z"))
        for bad in ["31/Jun/1995:14", "01/Aug/1995:24", "01/Agu/1995:14", "01/Aug/1995:14:00:00 0400", "[01/Aug/1995:14", "01/Aug/1995"] {
            #expect(time(bad) == nil, "\(bad)")
        }
    }

    /// Rows of empty fields, as spreadsheets leave below their data, are blank lines, and
    /// spaces around a field are not part of it.
    @Test func emptyRowsAndSpaces() throws {
        let tmp = TemporaryDirectory()
        let s = try SeriesFile.read(path: tmp.write("x.csv", "timestamp,value,\n2024-01-01 00:00,1,\n,,\n2024-01-01 01:00,2,\n,,\n,,\n"))
        #expect(s.values == [1, 2])
        // Spaces around a field are not part of it.
        let spaced = try SeriesFile.read(path: tmp.write("sp.csv", "timestamp, value\n 2024-01-01 00:00 , 1 \n2024-01-01 01:00,\t2\n"))
        #expect(spaced.values == [1, 2] && spaced.start == Timestamp.parse("2024-01-01T00:00:00Z"))
        expectReadError("half.csv", "timestamp,value\n2024-01-01 00:00,1\n,5\n", ":3: column timestamp: '' is not a timestamp")
    }

    /// A date and an hour in two columns, as analytics tools export them.
    @Test func dateAndHourColumns() throws {
        let tmp = TemporaryDirectory()
        let s = try SeriesFile.read(path: tmp.write("dh.csv", "Date,Hour,Sessions\n20210801,22,5\n20210801,23,6\n20210802,0,7\n"))
        #expect(s.start == Timestamp.parse("2021-08-01T22:00:00Z") && s.interval == 3_600_000_000 && s.values == [5, 6, 7])
        let us = try SeriesFile.read(path: tmp.write("us.csv", "day,hour,value,host\n08/01/2021,22,5,a\n08/01/2021,23,6,a\n08/02/2021,00,7,a\n"))
        #expect(us == s)
        let p = tmp.write("bad.csv", "date,hour,n\n2021-08-01,23,1\n2021-08-02,24,2\n")
        let e = #expect(throws: IngestError.self) { _ = try SeriesFile.read(path: p) }
        #expect(e?.description == "\(p):3: column hour: '24' is not an hour (0 to 23)")
    }

    /// Twelve o'clock on the 12-hour clock: 12 AM is midnight and 12 PM noon.
    @Test func twelveHourClock() {
        func hour(_ text: String) -> Int64? {
            var t = text
            return t.withUTF8 { WrittenDate.parse(UnsafeRawBufferPointer($0)) }.map { $0.timeOfDay / 3_600_000_000 }
        }
        #expect(hour("1/2/2024 12:00 AM") == 0 && hour("1/2/2024 12:30 pm") == 12 && hour("1/2/2024 1:00 PM") == 13)
        #expect(hour("1/2/2024 0:00 AM") == nil && hour("1/2/2024 24:00") == nil && hour("1/2/2024 7:5") == nil)
    }

    /// Numbers with thousands separators, and decimal commas in a semicolon file, where one of
    /// the column's numbers is written so; a semicolon file of plain numbers reads them plainly.
    @Test(arguments: [
        ("timestamp,value\n2024-01-01 00:00,\"1,234.5\"\n2024-01-01 01:00,\"12,345,678\"\n2024-01-01 02:00,7\n", [1234.5, 12_345_678, 7]),
        ("timestamp\tvalue\n2024-01-01 00:00\t1,234\n2024-01-01 01:00\t5.5\n", [1234, 5.5]),
        ("Zeit;Wert\n01.01.2024 00:00;1.234,5\n01.01.2024 01:00;5,25\n01.01.2024 02:00;1.234\n01.01.2024 03:00;-7\n", [1234.5, 5.25, 1234, -7]),
        ("Zeit;Wert\n01.01.2024 00:00;1.5\n01.01.2024 01:00;2\n", [1.5, 2]),
    ])
    func writtenNumbers(_ text: String, _ values: [Double]) throws {
        let tmp = TemporaryDirectory()
        #expect(try SeriesFile.read(path: tmp.write("n.csv", text)).values == values)
    }

    @Test(arguments: [
        ("timestamp,value\n2024-01-01 00:00,\"1,5\"\n", ":2: column value: '1,5' is not a number written with a decimal point and commas between thousands (1,234.5), as a file separated by commas or tabs writes them"),
        ("timestamp,value\n2024-01-01 00:00,\"1,2345\"\n", ":2: column value: '1,2345' is not a number written with a decimal point"),
        ("timestamp,value\n2024-01-01 00:00,\"1,234,5\"\n", ":2: column value: '1,234,5' is not a number"),
        ("Zeit;Wert\n01.01.2024 00:00;5,5\n01.01.2024 01:00;1.5\n", ":3: column wert: '1.5' is not a number written with a decimal comma and dots between thousands (1.234,5), as a file separated by semicolons writes them"),
    ])
    func badWrittenNumbers(_ text: String, _ message: String) {
        expectReadError("b.csv", text, message)
    }

    /// Every JSON shape reads as the same series as the CSV file (missing values as null), and
    /// JSON Lines too, also gzip-compressed.
    @Test(arguments: [
        // pandas' to_json(orient="records"): milliseconds since the epoch.
        "[{\"timestamp\":1704067200000,\"value\":1.5},{\"timestamp\":1704070800000,\"value\":null},{\"timestamp\":1704078000000,\"value\":4},{\"timestamp\":1704081600000,\"value\":5}]",
        "  [\n  {\"ds\": \"2024-01-01T00:00:00Z\", \"host\": \"a\", \"y\": \"1.5\"},\n  {\"ds\": \"2024-01-01T01:00:00Z\", \"host\": \"a\", \"y\": null},\n  {\"ds\": \"2024-01-01T03:00:00Z\", \"host\": \"a\", \"y\": 4},\n  {\"ds\": \"2024-01-01T04:00:00Z\", \"host\": \"a\", \"y\": 5}\n]\n",
        "{\"time\": \"2024-01-01 00:00\", \"requests\": 1.5}\n{\"time\": \"2024-01-01 01:00\", \"requests\": null}\n\n{\"time\": \"2024-01-01 03:00\", \"requests\": 4}\n{\"time\": \"2024-01-01 04:00\", \"requests\": 5}",
        "[[1704067200, 1.5], [1704070800, null], [1704078000, 4], [1704081600, 5]]",
        // A pandas Series' and DataFrame's to_json().
        "{\"1704067200000\":1.5,\"1704070800000\":null,\"1704078000000\":4.0,\"1704081600000\":5.0}",
        "{\"value\":{\"1704067200000\":1.5,\"1704070800000\":null,\"1704078000000\":4.0,\"1704081600000\":5.0},\"other\":{\"1704067200000\":7}}",
        // Prometheus's answer to /api/v1/query_range (a missing point is absent).
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"job\":\"web\"},\"values\":[[1704067200,\"1.5\"],[1704078000,\"4\"],[1704081600,\"5\"]]}]}}",
        // Datadog's answer to /api/v1/query: milliseconds, a missing point as null.
        "{\"status\":\"ok\",\"query\":\"sum:web.requests{*}\",\"series\":[{\"scope\":\"*\",\"pointlist\":[[1704067200000.0,1.5],[1704070800000.0,null],[1704078000000.0,4.0],[1704081600000.0,5.0]]}]}",
        // Graphite's render API: [value, time] datapoints.
        "[{\"target\":\"sumSeries(web.requests)\",\"tags\":{\"name\":\"sumSeries(web.requests)\"},\"datapoints\":[[1.5,1704067200],[null,1704070800],[null,1704074400],[4,1704078000],[5,1704081600]]}]",
        // InfluxDB 1.x's /query answer.
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"requests\",\"columns\":[\"time\",\"sum\"],\"values\":[[\"2024-01-01T00:00:00Z\",1.5],[\"2024-01-01T01:00:00Z\",null],[\"2024-01-01T03:00:00Z\",4],[\"2024-01-01T04:00:00Z\",5]]}]}]}",
        // CloudWatch: get-metric-data (newest first, a missing hour absent) and get-metric-statistics (in no order).
        "{\"MetricDataResults\":[{\"Id\":\"m1\",\"Label\":\"RequestCount\",\"Timestamps\":[\"2024-01-01T04:00:00+00:00\",\"2024-01-01T03:00:00+00:00\",\"2024-01-01T00:00:00+00:00\"],\"Values\":[5.0,4.0,1.5],\"StatusCode\":\"Complete\"}],\"Messages\":[]}",
        "{\"Label\":\"RequestCount\",\"Datapoints\":[{\"Timestamp\":\"2024-01-01T03:00:00Z\",\"Sum\":4.0,\"Unit\":\"Count\"},{\"Timestamp\":\"2024-01-01T00:00:00Z\",\"Sum\":1.5,\"Unit\":\"Count\"},{\"Timestamp\":\"2024-01-01T04:00:00Z\",\"Sum\":5.0,\"Unit\":\"Count\"}]}",
    ])
    func jsonSeriesReadAsTheCSV(_ text: String) throws {
        let tmp = TemporaryDirectory()
        let csv = try SeriesFile.read(path: tmp.write("s.csv", "timestamp,value\n2024-01-01T00:00:00Z,1.5\n2024-01-01T01:00:00Z,\n2024-01-01T03:00:00Z,4\n2024-01-01T04:00:00Z,5\n"), gaps: .missing)
        let path = tmp.write("s.json", text)
        let json = try SeriesFile.read(path: path, gaps: .missing)
        #expect(json.start == csv.start && json.interval == csv.interval && json.filled == csv.filled)
        #expect(zip(json.values, csv.values).allSatisfy { $0.isNaN ? $1.isNaN : $0 == $1 } && json.values.count == 5, "\(json.values)")
        let gz = try InputFileTests.gzip([path], to: "s.json.gz", in: tmp)
        #expect(try SeriesFile.read(path: gz, gaps: .missing).values.count == 5)
    }

    @Test(arguments: [
        ("[{\"timestamp\": 1704067200, \"value\": 1}, {\"timestamp\": \"x\", \"value\": 2}]", ": record 2, key 'timestamp': 'x' is not a timestamp"),
        ("[{\"timestamp\": 1704067200, \"value\": 1}, {\"timestamp\": 1704070800, \"value\": [2]}]", ": record 2, key 'value': an array is not a time or a value"),
        ("[{\"a\": 1, \"b\": 2, \"c\": 3}]", ": the keys must name a timestamp and a value key (timestamp or ds, value or y; found: a, b, c); name yours with --time-column and --value-column"),
        ("{\"t\": 1, \"v\": 2}\n{\"t\": 2, \"v\": }\n", ":2: is not valid JSON: column 15: unexpected character '}'"),
        ("{\"t\": 1, \"v\": 2}\n[1, 2]\n", ":2: is not a JSON object (found an array)"),
        ("[1, 2", ":1:6: "),
        ("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error at char 4\",\"data\":null}", ": the file holds an error answer, not a series: parse error at char 4"),
        ("{\"status\":\"error\",\"errors\":[\"Rate limit of 300 requests in 3600 seconds reached\"]}", ": the file holds an error answer, not a series: Rate limit of 300 requests"),
        ("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", ": a Prometheus vector result is not a series; save the answer of a range query (/api/v1/query_range)"),
        ("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"pod\":\"a\"},\"values\":[]},{\"metric\":{\"pod\":\"b\"},\"values\":[]}]}}",
         ": the Prometheus result holds 2 series ({pod=\"a\"}, {pod=\"b\"}); query one, for example with sum(…)"),
        ("{\"query\":\"q\",\"series\":[{\"scope\":\"host:a\",\"pointlist\":[]},{\"scope\":\"host:b\",\"pointlist\":[]}]}",
         ": the Datadog answer holds 2 series (host:a, host:b); query one, for example with sum:…{*}"),
        ("[[1704067200, 1], [1704070800, 2, 3]]", ": record 2 of the array is an array; a series is an array of [time, value] pairs or of objects"),
        ("[{\"target\":\"a.requests\",\"datapoints\":[]},{\"target\":\"b.requests\",\"datapoints\":[]},{\"target\":\"c\",\"datapoints\":[]}]",
         ": the Graphite answer holds 3 series (a.requests, b.requests, …); render one target, for example with sumSeries(…)"),
        ("[{\"target\":\"a\",\"datapoints\":[[1, 1704067200, 3]]}]", ": record 1 of the Graphite datapoints is an array; a series is an array of [time, value] pairs"),
        ("{\"results\":[{\"statement_id\":0,\"error\":\"database not found: web\"}]}", ": the file holds an error answer, not a series: database not found: web"),
        ("{\"results\":[{\"statement_id\":0}]}", ": the InfluxDB answer holds no series; query one, for example without GROUP BY"),
        ("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"requests\",\"tags\":{\"host\":\"a\"},\"columns\":[\"time\",\"sum\"],\"values\":[]},{\"name\":\"requests\",\"tags\":{\"host\":\"b\"},\"columns\":[\"time\",\"sum\"],\"values\":[]}]}]}",
         ": the InfluxDB answer holds 2 series (requests{host=a}, requests{host=b}); query one, for example without GROUP BY"),
        ("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"r\",\"columns\":[\"time\",\"sum\"],\"values\":[[1704067200]]}]}]}",
         ": record 1 of the InfluxDB values is not a row of 2 values, one a column"),
        ("{\"MetricDataResults\":[{\"Id\":\"m1\",\"Label\":\"RequestCount\",\"Timestamps\":[],\"Values\":[]},{\"Id\":\"m2\",\"Timestamps\":[],\"Values\":[]}]}",
         ": the CloudWatch answer holds 2 series (RequestCount, m2); ask for one metric or expression, for example with SUM(…)"),
        ("{\"MetricDataResults\":[{\"Id\":\"m1\",\"Timestamps\":[\"2024-01-01T00:00:00Z\"],\"Values\":[]}]}", ": the CloudWatch answer has 1 Timestamps but 0 Values"),
        ("[{\"target\":\"a\",\"datapoints\":5}]", ": the Graphite target's datapoints are a number, not an array"),
        ("{\"results\":[{\"series\":[{\"columns\":[\"time\",\"v\"]}]}]}", ": the InfluxDB series has no values"),
        ("{\"results\":[{\"series\":[{\"columns\":[1,2],\"values\":[]}]}]}", ": the InfluxDB series' columns hold a number, not a column name"),
        ("{\"MetricDataResults\":[{\"Timestamps\":\"x\",\"Values\":[]}]}", ": the CloudWatch result's Timestamps are a string, not an array"),
        ("{\"Datapoints\":[]}", ": the CloudWatch answer holds no datapoints"),
        ("{\"Datapoints\":[5]}", ": datapoint 1 of the CloudWatch answer is a number, not an object"),
        ("{\"error\":\"authorization failed\"}", ": the file holds an error answer, not a series: authorization failed"),
        ("{\"Datapoints\":[{\"Timestamp\":\"2024-01-01T01:00:00Z\",\"Sum\":2},{\"Timestamp\":\"yesterday\",\"Sum\":1}]}", ": record 2, key 'timestamp': 'yesterday' is not a timestamp"),
        ("{\"Datapoints\":[{\"Timestamp\":\"2024-01-01T00:00:00Z\",\"Sum\":4.0,\"Average\":2.0,\"Unit\":\"Count\"}]}",
         ": the keys must name a timestamp and a value key (timestamp or ds, value or y; found: Timestamp, Sum, Average); name yours with --time-column and --value-column"),
        ("[true]", ": record 1 of the array is a boolean; a series is an array of [time, value] pairs or of objects"),
    ])
    func badJSONSeries(_ text: String, _ message: String) {
        expectReadError("b.json", text, message)
    }

    @Test(arguments: [
        ("timestamp,value\n2024-01-01,1\n2024-01-01,2\n", ":3: column timestamp: 2024-01-01T00:00:00Z does not come after"),
        ("timestamp,value\n2024-01-03,1\n2024-01-04,2\n2024-01-01,3\n",
         ":3: column timestamp: 2024-01-04T00:00:00Z does not come before 2024-01-03T00:00:00Z; the series must be in time order (newest first, as its last line is older than its first) without repeats"),
        ("timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,nan\n", ":3: column value: 'nan' marks a missing value"),
        ("timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,inf\n", ":3: column value: 'inf' is not a finite number"),
        ("timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,Na\n", ":3: column value: 'Na' is not a finite number"),
        ("timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,\n", ":3: column value: is empty"),
        ("time,host,v\n2024-01-01,a,1\n", ":1: the header must name a timestamp and a value column"),
        ("id,count\n1,5\n2,6\n", ":2: column id: '1' is not a timestamp (ISO 8601, a date such as 08/01/2021 07:00, 01.08.2021 07:00 or 2021080107, or unix seconds or milliseconds) (the header names neither a timestamp nor a value column, so its first column is read as the time and the second as the value; name yours with --time-column and --value-column)"),
        // statsforecast's long format of M4: `ds` numbers the steps; the message says so and what to write instead.
        ("unique_id,ds,y\nH1,1,605\nH1,2,586\n",
         ":2: column ds: '1' is a step number, not a timestamp (as statsforecast's long format numbers M4's points 1, 2, 3 …); Mosaic reads the interval and the daily and weekly seasons from each point's time, so write the times (for example 2021-08-01T07:00:00Z, 2021-08-01 07:00 or unix seconds such as 1627801200)"),
        ("timestamp,value\n2024-01-01T00:00:00Z,1\n17,2\n", ":3: column timestamp: '17' is a step number, not a timestamp"),
        ("time,value\n2024-01-01,1\nx,2\n", ":3: column time: 'x' is not a timestamp (ISO 8601, a date such as 08/01/2021 07:00, 01.08.2021 07:00 or 2021080107, or unix seconds or milliseconds) (the header names no timestamp column, so its other column is read as the time; name yours with --time-column)"),
        ("2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,one\n", ":2: column 2: 'one' is not a finite number (the file has no header: its first column is read as the time and the second as the value)"),
        // A wide file (one series per row, as M4's): the message names the first columns and the count.
        ((1...30).map { "V\($0)" }.joined(separator: ",") + "\nH1,1\n",
         ":1: the header must name a timestamp and a value column (timestamp or ds, value or y; found: V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, … (30 columns))"),
        ("timestamp,value\n2024-01-01T00:00:00Z,1\n", ": a series needs at least two points"),
        ("timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T00:30:00Z,2\n2024-01-01T01:15:00Z,4\n", ":4: column timestamp: 2024-01-01T01:15:00Z is off the series' grid of 1800 s"),
    ])
    func badSeriesFiles(_ text: String, _ message: String) {
        expectReadError("b.csv", text, message)
    }
}

/// That reading `text`, written to a file `name`, fails with a message that starts with the
/// file's path and then `message`.
private func expectReadError(_ name: String, _ text: String, _ message: String,
                             sourceLocation: SourceLocation = #_sourceLocation) {
    let tmp = TemporaryDirectory()
    let p = tmp.write(name, text)
    let e = #expect(throws: IngestError.self, sourceLocation: sourceLocation) { _ = try SeriesFile.read(path: p) }
    #expect(e?.description.hasPrefix(p + message) == true, "\(e?.description ?? "")", sourceLocation: sourceLocation)
}

/// `format` applied to `micros` (UTC) by C's strftime, as a spreadsheet would write the time.
private func strftime(_ format: String, _ micros: Int64) -> String {
    var t = time_t(micros / 1_000_000), tm = tm()
    gmtime_r(&t, &tm)
    var buffer = [CChar](repeating: 0, count: 64)
    let n = Glibc.strftime(&buffer, buffer.count, format, &tm)
    return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A series from a pipe or FIFO reads as its file (audit-cli finding 8: `forecast --series
/// <(…)` looked at the start to tell JSON from CSV, and the read that followed found nothing:
/// "the header must name a timestamp and a value column").
@Suite struct SeriesPipeTests {
    @Test func aFIFOReadsAsItsFile() throws {
        let tmp = TemporaryDirectory("series-fifo")
        let csv = "timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,2\n2024-01-01T02:00:00Z,4\n"
        let fifo = tmp.fifo("s.fifo", feeding: csv)
        let s = try bounded(seconds: 60, "reading a FIFO") { try SeriesFile.read(path: fifo) }
        #expect(s.values == [1, 2, 4])
        let json = tmp.fifo("j.fifo", feeding: #"[{"timestamp": "2024-01-01T00:00:00Z", "value": 3}, {"timestamp": "2024-01-01T01:00:00Z", "value": 5}]"#)
        let j = try bounded(seconds: 60, "reading a JSON FIFO") { try SeriesFile.read(path: json) }
        #expect(j.values == [3, 5])
    }
}
