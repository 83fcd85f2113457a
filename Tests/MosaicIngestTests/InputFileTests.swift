import Foundation
import MosaicCore
@testable import MosaicIngest
import MosaicTestSupport
import Testing

/// Gzip-compressed input: a file whose first bytes are gzip's magic reads as its text through
/// both streaming readers, whatever its name; a damaged or cut-off one is an error, never a
/// shorter file. GNU gzip, run as a separate program, is the compressor.
@Suite("InputFile")
struct InputFileTests {
    /// `gzip -c` of the files `sources` (one gzip member each, concatenated) into `name`.
    static func gzip(_ sources: [String], to name: String, in tmp: TemporaryDirectory) throws -> String {
        let out = tmp.file(name)
        let command = sources.map { "gzip -c '\($0)'" }.joined(separator: "; ")
        let r = try ChildProcess.run("/bin/sh", ["-c", "(\(command)) > '\(out)'"])
        #expect(r.status == 0, "\(r.stderr)")
        return out
    }

    /// Every line a ``LineReader`` gives, and every record a ``CSVReader`` gives (its line and
    /// fields), of `path`.
    static func contents(_ path: String) throws -> (lines: [String], records: [String]) {
        let lines = try LineReader(path: path)
        var l: [String] = []
        while try lines.next() { l.append(String(decoding: lines.line, as: UTF8.self)) }
        let csv = try CSVReader(path: path)
        var r: [String] = []
        while try csv.next() {
            r.append("\(csv.recordLine): " + (0..<csv.fields.count).map { String(decoding: csv.field($0), as: UTF8.self) }.joined(separator: "|"))
        }
        return (l, r)
    }

    @Test func compressedFilesReadAsTheirText() throws {
        let tmp = TemporaryDirectory()
        // Larger than the readers' buffers and zlib's, with a quoted field across a line end.
        var text = "timestamp,provider,note\r\n"
        for i in 0..<60_000 { text += "2024-01-01T00:00:\(String(format: "%02d", i % 60))Z,p\(i % 7),\"a \(i)\nb\"\r\n" }
        let plain = tmp.write("log.csv", text)
        let half = text.utf8.count / 2
        let first = tmp.write("a.part", String(decoding: Array(text.utf8)[..<half], as: UTF8.self))
        let second = tmp.write("b.part", String(decoding: Array(text.utf8)[half...], as: UTF8.self))
        let expected = try Self.contents(plain)
        #expect(expected.records.count == 60_001 && expected.lines.count == 120_001)
        for gz in [try Self.gzip([plain], to: "log.csv.gz", in: tmp),
                   try Self.gzip([plain], to: "named-plainly.csv", in: tmp),
                   try Self.gzip([first, second], to: "two-members.csv.gz", in: tmp)] {
            let got = try Self.contents(gz)
            #expect(got.lines == expected.lines, "\(gz)")
            #expect(got.records == expected.records, "\(gz)")
        }
    }

    @Test func seriesAndFormatDetectionReadThroughGzip() throws {
        let tmp = TemporaryDirectory()
        let plain = tmp.write("s.csv", "\u{FEFF}Date,Requests\n" + (0..<48).map { "01/0\(1 + $0 / 24)/2024 \($0 % 24):00,\($0 * 3)" }.joined(separator: "\n"))
        let gz = try Self.gzip([plain], to: "s.csv.gz", in: tmp)
        #expect(try SeriesFile.read(path: gz) == (try SeriesFile.read(path: plain)))
        #expect(RequestLogFormat.detect(firstLine: "{\"a\": 1}", path: "x.jsonl.gz") == .jsonl)
        #expect(RequestLogFormat.detect(firstLine: "a,b", path: "x.csv.gz") == .csv)
        #expect(RequestLogFormat.detect(firstLine: "a,b", path: "x.gz") == nil)
    }

    /// A pipe cannot be opened again to be decompressed, so one that starts with gzip's magic
    /// is an error saying so. It was read as text: the request-log reader said "cannot tell the
    /// format from the first line" and printed the compressed bytes as that line.
    @Test func aCompressedPipeIsAnErrorSayingSo() throws {
        let tmp = TemporaryDirectory()
        let plain = tmp.write("log.csv", "timestamp,provider,model\n2024-05-01T12:00:00Z,openai,gpt-4o\n")
        let gz = try Data(contentsOf: URL(fileURLWithPath: try Self.gzip([plain], to: "log.csv.gz", in: tmp)))
        func message(_ path: String) -> String {
            "\(path): is gzip-compressed, and a pipe is read as plain text; decompress it before the pipe (zcat FILE | mosaic …) or give the file itself"
        }
        let lines = tmp.fifo("lines.fifo", feeding: gz)
        let error = #expect(throws: IngestError.self) {
            let reader = try LineReader(path: lines)
            while try reader.next() {}
        }
        #expect(error?.description == message(lines))
        // The format is told from the first line, before the read: the sniff says it.
        let log = tmp.fifo("log.fifo", feeding: gz)
        let sniffed = #expect(throws: IngestError.self) {
            _ = try RequestLogReader(catalog: .default).rowsInStoreOrder(path: log, options: RequestIngestOptions())
        }
        #expect(sniffed?.description == message(log))
    }

    /// Progress counts the file's own (compressed) bytes, so it ends at the file's size.
    @Test func progressCountsCompressedBytes() throws {
        let tmp = TemporaryDirectory()
        let plain = tmp.write("l.txt", String(repeating: "the same line again\n", count: 50_000))
        let gz = try Self.gzip([plain], to: "l.txt.gz", in: tmp)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: gz)[.size] as? NSNumber).int64Value
        let reader = try LineReader(path: gz)
        while try reader.next() {}
        #expect(reader.position == size && size < 50_000)
    }

    @Test func damagedStreamsAreErrors() throws {
        let tmp = TemporaryDirectory()
        let plain = tmp.write("l.txt", (0..<20_000).map { "line \($0)" }.joined(separator: "\n"))
        let gz = try Self.gzip([plain], to: "l.txt.gz", in: tmp)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: gz)))
        let cut = tmp.write("cut.gz", bytes: Array(bytes[..<(bytes.count / 2)]))
        bytes[bytes.count - 6] ^= 0xFF  // the stored CRC-32
        let crc = tmp.write("crc.gz", bytes: bytes)
        for (path, reason) in [(cut, "unexpected end of file"), (crc, "incorrect data check")] {
            let e = #expect(throws: IngestError.self) { _ = try Self.contents(path) }
            #expect(e?.description == "\(path): the gzip stream is damaged: \(reason)")
        }
    }
}
