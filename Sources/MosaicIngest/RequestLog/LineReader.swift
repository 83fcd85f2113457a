#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming reader of newline-separated records (JSON Lines), with flat memory.
final class LineReader {
    let path: String
    let maxLineBytes: Int
    private let file: InputFile
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0, end = 0
    private var eof = false
    private(set) var bytesBefore: Int64 = 0
    /// 1-based number of the last returned line.
    private(set) var lineNumber = 0
    private(set) var line = UnsafeRawBufferPointer(start: nil, count: 0)

    init(path: String, maxLineBytes: Int = 1 << 20) throws(IngestError) {
        self.path = path
        self.maxLineBytes = maxLineBytes
        file = try InputFile(path: path)
        buffer = .allocate(byteCount: maxLineBytes * 2, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    /// Bytes of the file consumed so far (of a gzip file, its compressed bytes), for progress
    /// against its size.
    var position: Int64 { file.progress(decompressed: bytesBefore + Int64(start)) }

    private func fill() throws(IngestError) {
        try refill(buffer, from: file, readSize: buffer.count, enough: maxLineBytes,
                   start: &start, end: &end, eof: &eof, bytesBefore: &bytesBefore)
    }

    /// Advances to the next line (without its line end); false at the end of the file.
    /// Lines that are blank are returned too (with a count of 0), so numbering stays right.
    func next() throws(IngestError) -> Bool {
        while true {
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var i = start
            while i < end && base[i] != 10 { i += 1 }
            if i < end || (eof && start < end) {
                var stop = i
                if stop > start && base[stop - 1] == 13 { stop -= 1 }
                line = UnsafeRawBufferPointer(start: base + start, count: stop - start)
                lineNumber += 1
                start = min(i + 1, end)
                if lineNumber == 1, line.count >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF {
                    line = UnsafeRawBufferPointer(rebasing: line[3...])
                }
                return true
            }
            if eof { return false }
            if end - start >= maxLineBytes {
                throw .row(file: path, line: lineNumber + 1, column: nil, reason: "line is longer than \(maxLineBytes) bytes")
            }
            try fill()
        }
    }
}
