import Foundation
import MosaicCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes ``RequestRecord``s as the native request-log CSV that `mosaic ingest` reads.
///
/// The first line is the header, the ``RequestLogColumn`` raw values in declaration order:
///
/// ```
/// timestamp,tenant,provider,model,operation,region,input_tokens,output_tokens,cached_tokens,latency_ms,ttft_ms,status,cost_usd,request_id
/// ```
///
/// Field formats:
/// - `timestamp`: ``Timestamp/format(_:)``, RFC 3339 in UTC with microseconds when not zero
///   (`2026-10-05T00:00:01.25Z`).
/// - `latency_ms`, `ttft_ms`: milliseconds rounded half away from zero to 0.001 and printed as
///   an integer part, then `.` and up to three digits with trailing zeros dropped (`412.5`,
///   `30000`); empty when nil or not finite. No locale is involved.
/// - `cost_usd`: ``Money/description`` (the exact shortest decimal), empty when nil.
/// - `request_id`: empty when nil.
/// - Text fields containing a comma, a double quote, CR or LF are quoted per RFC 4180
///   (quotes doubled). Lines end with LF.
///
/// Rows are encoded straight to bytes in a buffer of about 1 MiB that is flushed to the file
/// with POSIX `write` when full, so memory stays bounded whatever the number of rows.
/// ``close()`` flushes the rest and closes the file; a writer dropped without `close()` makes a
/// best-effort flush in `deinit`, but only `close()` reports errors.
///
/// Not thread-safe: use one writer from one task.
public final class RequestLogCSVWriter {
    /// The file being written.
    public let path: String
    /// Data rows written so far (the header is not counted).
    public private(set) var rowsWritten = 0

    /// Buffer size at which pending bytes are written to the file.
    static let flushThreshold = 1 << 20

    private var fd: Int32
    private var buffer: [UInt8] = []

    /// Creates (or truncates) the file at `path` and writes the header line.
    ///
    /// - Parameters:
    ///   - path: the file to write; an existing file is replaced.
    ///   - createParentDirectories: create missing parent directories first (default true).
    /// - Throws: ``IngestError/file(path:reason:)`` naming the directory or file when the
    ///   directory cannot be created or the file cannot be opened.
    public init(path: String, createParentDirectories: Bool = true) throws {
        self.path = path
        if createParentDirectories {
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty {
                do {
                    try FileManager.default.createDirectory(
                        atPath: parent, withIntermediateDirectories: true)
                } catch {
                    throw IngestError.file(
                        path: parent, reason: "cannot create directory: \(error.localizedDescription)")
                }
            }
        }
        fd = RequestLogCSVWriter.openForWriting(path)
        if fd < 0 {
            throw IngestError.file(path: path, reason: "cannot open for writing: \(RequestLogCSVWriter.errnoText())")
        }
        buffer.reserveCapacity(RequestLogCSVWriter.flushThreshold + 4096)
        var first = true
        for column in RequestLogColumn.allCases {
            if !first { buffer.append(UInt8(ascii: ",")) }
            first = false
            buffer.append(contentsOf: column.rawValue.utf8)
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    deinit {
        if fd >= 0 {
            _ = try? flush()
            _ = systemClose(fd)
        }
    }

    /// Appends one row. Writes to the file only when the buffer passes about 1 MiB.
    ///
    /// - Complexity: O(length of the row), no allocation.
    /// - Throws: ``IngestError/file(path:reason:)`` naming the path when a flush fails or the
    ///   writer is closed.
    public func write(_ record: RequestRecord) throws {
        guard fd >= 0 else { throw IngestError.file(path: path, reason: "writer already closed") }
        RequestLogCSVWriter.appendRow(record, to: &buffer)
        rowsWritten += 1
        if buffer.count >= RequestLogCSVWriter.flushThreshold { try flush() }
    }

    /// Writes pending bytes to the file (without closing it).
    ///
    /// - Throws: ``IngestError/file(path:reason:)`` naming the path.
    public func flush() throws {
        guard fd >= 0 else { throw IngestError.file(path: path, reason: "writer already closed") }
        defer { buffer.removeAll(keepingCapacity: true) }
        try RequestLogCSVWriter.writeAll(fd, buffer, path: path)
    }

    /// Flushes the remaining rows and closes the file. Calling it again does nothing.
    ///
    /// - Throws: ``IngestError/file(path:reason:)`` naming the path when the last bytes cannot
    ///   be written or the close reports an error.
    public func close() throws {
        guard fd >= 0 else { return }
        let handle = fd
        defer { fd = -1 }
        do { try flush() } catch {
            _ = systemClose(handle)
            throw error
        }
        if systemClose(handle) != 0 {
            throw IngestError.file(path: path, reason: "write failed: \(RequestLogCSVWriter.errnoText())")
        }
    }

    // MARK: - Field encoding

    /// Appends one CSV line (with its LF) for `record`.
    static func appendRow(_ record: RequestRecord, to out: inout [UInt8]) {
        let comma = UInt8(ascii: ",")
        // Each field, then its comma; an absent value leaves the field empty.
        func text(_ value: String?) {
            if let value { appendText(value, to: &out) }
            out.append(comma)
        }
        func count(_ value: Int) {
            appendDecimal(Int64(value), to: &out)
            out.append(comma)
        }
        func milliseconds(_ value: Double?) {
            if let value { appendMilliseconds(value, to: &out) }
            out.append(comma)
        }
        appendTimestamp(record.timestamp, to: &out)
        out.append(comma)
        text(record.tenant)
        text(record.provider)
        text(record.model)
        text(record.operation)
        text(record.region)
        count(record.inputTokens)
        count(record.outputTokens)
        count(record.cachedTokens)
        milliseconds(record.latencyMs)
        milliseconds(record.ttftMs)
        text(record.status.rawValue)
        text(record.cost?.description)
        if let id = record.requestID { appendText(id, to: &out) }
        out.append(UInt8(ascii: "\n"))
    }

    /// Appends text, quoted per RFC 4180 when it holds a comma, quote, CR or LF.
    @inline(__always)
    static func appendText(_ text: String, to out: inout [UInt8]) {
        var copy = text
        copy.withUTF8 { bytes in
            var needsQuotes = false
            for byte in bytes where byte == 0x2C || byte == 0x22 || byte == 0x0A || byte == 0x0D {
                needsQuotes = true
                break
            }
            if !needsQuotes {
                out.append(contentsOf: bytes)
                return
            }
            out.append(0x22)
            for byte in bytes {
                if byte == 0x22 { out.append(0x22) }
                out.append(byte)
            }
            out.append(0x22)
        }
    }

    /// Appends the decimal digits of `value`.
    static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes, enough for 20 digits
        withUnsafeMutableBytes(of: &scratch) { digits in
            var i = digits.count
            repeat {
                i -= 1
                digits[i] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: digits[i...])
        }
    }

    /// Appends the text of ``Timestamp/format(_:)`` for `micros` without building a `String`:
    /// `YYYY-MM-DDTHH:MM:SS`, then `.` and the microseconds without trailing zeros when they
    /// are not zero, then `Z`.
    static func appendTimestamp(_ micros: Int64, to out: inout [UInt8]) {
        var days = micros / Timestamp.microsPerDay
        var rest = micros % Timestamp.microsPerDay
        if rest < 0 { rest += Timestamp.microsPerDay; days -= 1 }
        let (year, month, day) = Timestamp.civilFromDays(Int(days))
        let seconds = Int(rest / Timestamp.microsPerSecond)
        let fraction = UInt64(rest % Timestamp.microsPerSecond)
        @inline(__always) func two(_ v: Int) {
            out.append(UInt8(ascii: "0") &+ UInt8(v / 10))
            out.append(UInt8(ascii: "0") &+ UInt8(v % 10))
        }
        if (0...9999).contains(year) {
            two(year / 100)
            two(year % 100)
        } else {
            appendDecimal(Int64(year), to: &out)
        }
        out.append(UInt8(ascii: "-"))
        two(month)
        out.append(UInt8(ascii: "-"))
        two(day)
        out.append(UInt8(ascii: "T"))
        two(seconds / 3600)
        out.append(UInt8(ascii: ":"))
        two(seconds / 60 % 60)
        out.append(UInt8(ascii: ":"))
        two(seconds % 60)
        if fraction != 0 { appendFraction(fraction, places: 6, to: &out) }
        out.append(UInt8(ascii: "Z"))
    }

    /// Appends `.` and `fraction` units of 10^−`places` (0 < `fraction` < 10^`places`) with
    /// their leading zeros and without trailing ones: 5 thousandths (places 3) give `.005`,
    /// 500 give `.5`.
    @inline(__always)
    static func appendFraction(_ fraction: UInt64, places: Int, to out: inout [UInt8]) {
        var fraction = fraction, digitCount = places
        while fraction % 10 == 0 { fraction /= 10; digitCount -= 1 }
        out.append(UInt8(ascii: "."))
        var divisor: UInt64 = 1
        for _ in 1..<digitCount { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") &+ UInt8(fraction / divisor % 10))
            divisor /= 10
        }
    }

    /// Appends milliseconds rounded to 0.001: integer part, then up to three fraction digits
    /// with trailing zeros dropped. Appends nothing for NaN or infinities.
    static func appendMilliseconds(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite else { return }
        let scaled = (value * 1000).rounded(.toNearestOrAwayFromZero)
        guard abs(scaled) < 9.0e18 else { return }
        let thousandths = Int64(scaled)
        if thousandths < 0 { out.append(UInt8(ascii: "-")) }
        let magnitude = thousandths.magnitude
        appendDecimal(Int64(magnitude / 1000), to: &out)
        let fraction = magnitude % 1000
        if fraction != 0 { appendFraction(fraction, places: 3, to: &out) }
    }

    /// The text `appendMilliseconds` produces, for callers outside the hot path and tests.
    static func formatMilliseconds(_ value: Double) -> String {
        var out: [UInt8] = []
        appendMilliseconds(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - POSIX

    static func openForWriting(_ path: String) -> Int32 {
        #if canImport(Glibc)
        return Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        #else
        return Darwin.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        #endif
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Writes every byte, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                #if canImport(Glibc)
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                #else
                let n = Darwin.write(fd, raw.baseAddress! + offset, raw.count - offset)
                #endif
                if n < 0 {
                    if errno == EINTR { continue }
                    throw IngestError.file(path: path, reason: "write failed: \(errnoText())")
                }
                offset += n
            }
        }
    }
}

@inline(__always)
private func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}
