import Foundation
import MosaicTestSupport
import Testing

@testable import MosaicIngest

/// One record as the reader returned it: its starting line and its fields as text.
private struct Record: Equatable, CustomStringConvertible {
    var line: Int
    var fields: [String]
    var description: String { "\(line): \(fields)" }
}

/// Reads every record of a file.
private func readAll(_ path: String, maxFieldBytes: Int = 65_536, maxRecordBytes: Int = 1 << 20) throws -> [Record] {
    let reader = try CSVReader(path: path, maxFieldBytes: maxFieldBytes, maxRecordBytes: maxRecordBytes)
    var out: [Record] = []
    while try reader.next() {
        out.append(Record(line: reader.recordLine,
                          fields: (0..<reader.fields.count).map { String(decoding: reader.field($0), as: UTF8.self) }))
    }
    return out
}

/// The error a read throws, as text (nil when it succeeds).
private func readError(_ path: String, maxFieldBytes: Int = 65_536, maxRecordBytes: Int = 1 << 20) -> String? {
    do {
        _ = try readAll(path, maxFieldBytes: maxFieldBytes, maxRecordBytes: maxRecordBytes)
        return nil
    } catch let e as IngestError {
        return e.description
    } catch {
        return "unexpected error type: \(error)"
    }
}

@Suite("CSVReader")
struct CSVReaderTests {
    @Test("plain records, LF line ends, trailing newline")
    func plain() throws {
        let tmp = TemporaryDirectory()
        let p = tmp.write("a.csv", "a,b,c\n1,2,3\nx,,z\n")
        #expect(try readAll(p) == [
            Record(line: 1, fields: ["a", "b", "c"]),
            Record(line: 2, fields: ["1", "2", "3"]),
            Record(line: 3, fields: ["x", "", "z"]),
        ])
    }

    @Test("quoted fields keep commas; doubled quotes collapse")
    func quoting() throws {
        let tmp = TemporaryDirectory()
        let p = tmp.write("q.csv", "a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"\",\"\"\"\"\n\"\"\"a,b\"\"\",plain\n")
        #expect(try readAll(p) == [
            Record(line: 1, fields: ["a", "b"]),
            Record(line: 2, fields: ["x, y", "say \"hi\""]),
            Record(line: 3, fields: ["", "\""]),
            Record(line: 4, fields: ["\"a,b\"", "plain"]),
        ])
    }

    @Test("embedded newlines stay in the field and later records keep their physical line numbers")
    func embeddedNewlines() throws {
        let tmp = TemporaryDirectory()
        let text = "h1,h2\n"                        // line 1
            + "1,\"two\nlines\"\n"                  // lines 2-3
            + "2,\"three\n\nlines\"\n"              // lines 4-6
            + "3,\"crlf\r\ninside\"\n"              // lines 7-8
            + "4,last\n"                            // line 9
        let p = tmp.write("n.csv", text)
        #expect(try readAll(p) == [
            Record(line: 1, fields: ["h1", "h2"]),
            Record(line: 2, fields: ["1", "two\nlines"]),
            Record(line: 4, fields: ["2", "three\n\nlines"]),
            Record(line: 7, fields: ["3", "crlf\r\ninside"]),
            Record(line: 9, fields: ["4", "last"]),
        ])
    }

    @Test("CRLF line ends, also after a quoted field")
    func crlf() throws {
        let tmp = TemporaryDirectory()
        let p = tmp.write("c.csv", "a,b\r\n1,\"q\"\r\n\"x\",2\r\n")
        #expect(try readAll(p) == [
            Record(line: 1, fields: ["a", "b"]),
            Record(line: 2, fields: ["1", "q"]),
            Record(line: 3, fields: ["x", "2"]),
        ])
    }

    @Test("a last line without a newline is read, with or without quotes or an empty last field")
    func noTrailingNewline() throws {
        let tmp = TemporaryDirectory()
        #expect(try readAll(tmp.write("1.csv", "a,b\n1,2")) == [
            Record(line: 1, fields: ["a", "b"]), Record(line: 2, fields: ["1", "2"]),
        ])
        #expect(try readAll(tmp.write("2.csv", "a,b\n1,\"2\"")) == [
            Record(line: 1, fields: ["a", "b"]), Record(line: 2, fields: ["1", "2"]),
        ])
        #expect(try readAll(tmp.write("3.csv", "a,b\n1,")) == [
            Record(line: 1, fields: ["a", "b"]), Record(line: 2, fields: ["1", ""]),
        ])
        #expect(try readAll(tmp.write("4.csv", "a,b\r\n1,2\r")) == [
            Record(line: 1, fields: ["a", "b"]), Record(line: 2, fields: ["1", "2"]),
        ])
    }

    @Test("a UTF-8 byte-order mark is skipped")
    func utf8BOM() throws {
        let tmp = TemporaryDirectory()
        let p = tmp.write("bom.csv", bytes: [0xEF, 0xBB, 0xBF] + Array("timestamp,b\n1,2\n".utf8))
        #expect(try readAll(p) == [
            Record(line: 1, fields: ["timestamp", "b"]), Record(line: 2, fields: ["1", "2"]),
        ])
    }

    @Test("a header with tabs or semicolons and no comma sets the delimiter; a comma header keeps commas")
    func delimiterFromTheHeader() throws {
        let tmp = TemporaryDirectory()
        func read(_ text: [UInt8]) throws -> [[String]] {
            let reader = try CSVReader(path: tmp.write("d.csv", bytes: text))
            var out = [try reader.header(expected: "a,b")]
            while try reader.next() { out.append((0..<reader.fields.count).map { String(decoding: reader.field($0), as: UTF8.self) }) }
            return out
        }
        #expect(try read(Array("time\tvalue\n2024-01-01\t1,5\n\"a\tb\"\t\"c;d\"\n".utf8)) == [["time", "value"], ["2024-01-01", "1,5"], ["a\tb", "c;d"]])
        #expect(try read(Array("\"time\";\"value\"\r\n2024-01-01;1.5\r\n".utf8)) == [["time", "value"], ["2024-01-01", "1.5"]])
        #expect(try read([0xEF, 0xBB, 0xBF] + Array("time\tvalue\n1\t2\n".utf8)) == [["time", "value"], ["1", "2"]])
        // A comma outside quotes keeps the comma, whatever else the header holds; inside quotes it does not count.
        #expect(try read(Array("a;x,b\tc\n1;2,3\t4\n".utf8)) == [["a;x", "b\tc"], ["1;2", "3\t4"]])
        #expect(try read(Array("\"a,x\"\tb\n1\t2\n".utf8)) == [["a,x", "b"], ["1", "2"]])
        #expect(try read(Array("value\n1\n".utf8)) == [["value"], ["1"]])
    }

    @Test("a UTF-16 byte-order mark (either byte order) is an error that says how to convert")
    func utf16BOM() throws {
        let tmp = TemporaryDirectory()
        for (name, bom) in [("le.csv", [UInt8(0xFF), 0xFE]), ("be.csv", [0xFE, 0xFF])] {
            var bytes = bom
            for u in "a,b\n1,2\n".utf16 {
                bytes += name == "le.csv" ? [UInt8(u & 0xFF), UInt8(u >> 8)] : [UInt8(u >> 8), UInt8(u & 0xFF)]
            }
            let p = tmp.write(name, bytes: bytes)
            let message = try #require(readError(p))
            #expect(message.hasPrefix(p + ": "))
            #expect(message.contains("UTF-16"))
            #expect(message.contains("iconv"))
        }
    }

    @Test("blank lines are skipped and counted")
    func blankLines() throws {
        let tmp = TemporaryDirectory()
        let p = tmp.write("b.csv", "\na,b\n\n\r\n1,2\n\n3,4\n\n")
        #expect(try readAll(p) == [
            Record(line: 2, fields: ["a", "b"]),
            Record(line: 5, fields: ["1", "2"]),
            Record(line: 7, fields: ["3", "4"]),
        ])
        #expect(try readAll(tmp.write("empty.csv", "")) == [])
        #expect(try readAll(tmp.write("newlines.csv", "\n\n\n")) == [])
    }

    @Test("a file over 1 MiB: every record and line number is right across the block boundaries")
    func largeFile() throws {
        let tmp = TemporaryDirectory()
        var text = "id,quoted,tail\n"
        var expected = [Record(line: 1, fields: ["id", "quoted", "tail"])]
        var line = 2
        var i = 0
        while text.utf8.count < 2_600_000 {
            let quoted: String, raw: String, lines: Int
            switch i % 4 {
            case 0: (quoted, raw, lines) = ("plain \(i)", "plain \(i)", 1)
            case 1: (quoted, raw, lines) = ("with, comma \"\(i)\"", "\"with, comma \"\"\(i)\"\"\"", 1)
            case 2: (quoted, raw, lines) = ("two\nlines \(i)", "\"two\nlines \(i)\"", 2)
            default: (quoted, raw, lines) = ("crlf\r\n\(i)", "\"crlf\r\n\(i)\"", 2)
            }
            text += "\(i),\(raw),end\(i)\n"
            expected.append(Record(line: line, fields: [String(i), quoted, "end\(i)"]))
            line += lines
            i += 1
        }
        let p = tmp.write("big.csv", text)
        let got = try readAll(p)
        #expect(got.count == expected.count)
        #expect(got == expected)
    }

    /// Places one record so that byte `boundary` of the file (the end of the first 1 MiB block)
    /// falls `into` bytes after the record's start, and reads it back.
    private func straddle(_ record: String, into: Int, fields: [String]) throws {
        let tmp = TemporaryDirectory()
        let boundary = CSVReader.blockSize
        let header = "a,b,c\n"
        var text = header
        var expected = [Record(line: 1, fields: ["a", "b", "c"])]
        var line = 2
        // Filler records of 100 bytes, then one shorter record to land exactly.
        let target = boundary - into
        while text.utf8.count + 100 <= target - 10 {
            let id = String(line)
            let pad = String(repeating: "x", count: 100 - id.count - 4 - 1)  // "id,,pad,\n" shape
            text += "\(id),,\(pad)\n"
            expected.append(Record(line: line, fields: [id, "", pad]))
            line += 1
        }
        let rest = target - text.utf8.count
        let id = String(line)
        let pad = String(repeating: "y", count: rest - id.count - 3)
        text += "\(id),,\(pad)\n"
        expected.append(Record(line: line, fields: [id, "", pad]))
        line += 1
        #expect(text.utf8.count == target)
        text += record
        expected.append(Record(line: line, fields: fields))
        line += record.filter { $0 == "\n" || $0 == "\r\n" }.count
        text += "after,the,boundary\n"
        expected.append(Record(line: line, fields: ["after", "the", "boundary"]))
        let p = tmp.write("straddle.csv", text)
        let got = try readAll(p)
        #expect(got.count == expected.count)
        #expect(got.suffix(3) == expected.suffix(3))
        #expect(got == expected)
    }

    @Test("a record spanning the 1 MiB block boundary", arguments: [1, 3, 4, 6, 9, 11, 12, 15, 22, 23, 24])
    func recordAcrossBoundary(into: Int) throws {
        // The block ends `into` bytes into the record: 1 = inside the first field, 3 = before
        // the opening quote, 4 = after it, 6 = between the two quotes of an escaped pair,
        // 9 = between CR and LF inside the field, 11 = before the closing quote, 12 = after it,
        // 15 = inside the last field, 22 = before the final CR, 23 = between CR and LF,
        // 24 = right after the record.
        let record = "ab,\"x\"\"y\r\nz\",last12345\r\n"
        try straddle(record, into: into, fields: ["ab", "x\"y\r\nz", "last12345"])
    }

    /// The oversized fields of each record, in order (nil where none is).
    private func oversized(_ path: String, maxFieldBytes: Int = 65_536) throws -> [Int?] {
        let reader = try CSVReader(path: path, maxFieldBytes: maxFieldBytes)
        var out: [Int?] = []
        while try reader.next() { out.append(reader.oversizedField) }
        return out
    }

    @Test("a field over the limit is flagged on its record, and reading goes on")
    func fieldTooLong() throws {
        let tmp = TemporaryDirectory()
        let ok = tmp.write("ok.csv", "a,b\n1,0123456789\n")
        #expect(try oversized(ok, maxFieldBytes: 10) == [nil, nil])
        let unquoted = tmp.write("long.csv", "a,b\n1,2\n\n3,0123456789X\n4,5\n")
        #expect(try oversized(unquoted, maxFieldBytes: 10) == [nil, nil, 1, nil])
        let quoted = tmp.write("longq.csv", "a,b\n1,2\n\"0123456789X\",3\n")
        #expect(try oversized(quoted, maxFieldBytes: 10) == [nil, nil, 0])
    }

    @Test("the default field limit is 64 KiB")
    func defaultFieldLimit() throws {
        let tmp = TemporaryDirectory()
        let fits = tmp.write("fits.csv", "a,b\n1," + String(repeating: "z", count: 65_536) + "\n")
        #expect(try readAll(fits).last?.fields[1].count == 65_536)
        #expect(try oversized(fits) == [nil, nil])
        let over = tmp.write("over.csv", "a,b\n1," + String(repeating: "z", count: 65_537) + "\n")
        #expect(try oversized(over) == [nil, 1])
    }

    @Test("an unterminated quote is an error naming the line where the record starts")
    func unterminatedQuote() throws {
        let tmp = TemporaryDirectory()
        let p = tmp.write("u.csv", "a,b\n1,2\n3,\"open\nand never\nclosed\n")
        let message = try #require(readError(p))
        #expect(message == p + ":3: unterminated quoted field")
        // In a file larger than the record limit the reader stops at the limit instead of
        // buffering the rest of the file.
        let big = tmp.write("ubig.csv", "a,b\n1,\"" + String(repeating: "x,\n", count: 1_000_000) + "\n")
        let m2 = try #require(readError(big, maxFieldBytes: 1 << 22, maxRecordBytes: 1 << 20))
        #expect(m2.contains(":2: a record is longer than 1048576 bytes"), "\(m2)")
    }

    @Test("text after a closing quote is an error")
    func junkAfterQuote() throws {
        let tmp = TemporaryDirectory()
        let p = tmp.write("j.csv", "a,b\n\"x\"y,2\n")
        let message = try #require(readError(p))
        #expect(message.contains(":2: unexpected character after a closing quote"), "\(message)")
    }

    @Test("a missing file is an error naming it")
    func missingFile() {
        let tmp = TemporaryDirectory()
        let p = tmp.file("nope.csv")
        #expect(readError(p)?.hasPrefix(p + ": cannot open") == true)
    }
}
