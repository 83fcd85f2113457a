#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The refill step of the streaming readers (``CSVReader``, ``LineReader``): moves the unread
/// bytes `start..<end` of `buffer` to its front (counting the consumed ones in `bytesBefore`),
/// then reads `file` after them, at most `readSize` bytes a call, until the buffer is full, the
/// file ends (`eof`) or at least `enough` bytes are unread.
func refill(_ buffer: UnsafeMutableRawBufferPointer, from file: InputFile, readSize: Int, enough: Int,
            start: inout Int, end: inout Int, eof: inout Bool, bytesBefore: inout Int64) throws(IngestError) {
    if start > 0 {
        let n = end - start
        if n > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: n) }
        bytesBefore += Int64(start)
        end = n
        start = 0
    }
    while end < buffer.count && !eof {
        let got = try file.read(into: buffer.baseAddress! + end, count: min(readSize, buffer.count - end))
        if got == 0 { eof = true; break }
        end += got
        if end - start >= enough { break }
    }
}
