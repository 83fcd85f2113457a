import MosaicCore
import PostgresNIO

/// Stages `requests` rows for PostgreSQL: `COPY` text into a temporary table, then one
/// `INSERT … SELECT … ON CONFLICT (ts, key) DO NOTHING` that reports what was new.
final class RequestCopy {
    static let stage = "mosaic_requests_stage"
    static let columns = [
        "ts", "key", "tenant", "provider", "model", "operation", "region", "input_tokens", "output_tokens",
        "cached_tokens", "latency_ms", "ttft_ms", "status", "cost", "request_id", "run_id",
    ]
    /// Bytes of COPY text sent (and merged) at a time.
    static let chunkBytes = 8 << 20

    let database: Database
    let session: PostgresSession
    let runText: [UInt8]
    private var buffer: ByteBuffer
    private var rows = 0

    init(database: Database, runID: Int64) throws(StoreError) {
        self.database = database
        session = database.postgres!
        runText = Array(String(runID).utf8)
        buffer = ByteBufferAllocator().buffer(capacity: RequestCopy.chunkBytes + (64 << 10))
        try database.execute("""
            CREATE TEMP TABLE IF NOT EXISTS \(RequestCopy.stage) (LIKE requests INCLUDING DEFAULTS);
            TRUNCATE \(RequestCopy.stage)
            """)
    }

    var isFull: Bool { buffer.readableBytes >= RequestCopy.chunkBytes }

    func append(ts: Int64, key: Int64, tenant: UnsafeRawBufferPointer, provider: UnsafeRawBufferPointer,
                model: UnsafeRawBufferPointer, operation: UnsafeRawBufferPointer, region: UnsafeRawBufferPointer,
                inputTokens: Int64, outputTokens: Int64, cachedTokens: Int64, latencyMs: Double?, ttftMs: Double?,
                status: UnsafeRawBufferPointer, cost: Money?, requestID: UnsafeRawBufferPointer?) {
        writeInt(ts); tab()
        writeInt(key); tab()
        writeText(tenant); tab()
        writeText(provider); tab()
        writeText(model); tab()
        writeText(operation); tab()
        writeText(region); tab()
        writeInt(inputTokens); tab()
        writeInt(outputTokens); tab()
        writeInt(cachedTokens); tab()
        if let latencyMs { buffer.writeString(PostgresSession.text(of: latencyMs)) } else { null() }
        tab()
        if let ttftMs { buffer.writeString(PostgresSession.text(of: ttftMs)) } else { null() }
        tab()
        writeText(status); tab()
        if let cost { buffer.writeString(cost.description) } else { null() }
        tab()
        if let requestID { writeText(requestID) } else { null() }
        tab()
        buffer.writeBytes(runText)
        buffer.writeInteger(UInt8(ascii: "\n"))
        rows += 1
    }

    /// Sends the buffer and merges the staged rows; returns (staged, inserted, inserted without cost).
    func flush() throws(StoreError) -> (Int, Int, Int) {
        guard rows > 0 else { return (0, 0, 0) }
        let staged = rows
        try session.copy(into: RequestCopy.stage, columns: RequestCopy.columns, chunks: [buffer])
        buffer.clear()
        rows = 0
        let stmt = try database.prepare("""
            WITH fresh AS (
                INSERT INTO requests SELECT * FROM \(RequestCopy.stage) ON CONFLICT (ts, key) DO NOTHING RETURNING cost)
            SELECT count(*), count(*) FILTER (WHERE cost IS NULL) FROM fresh
            """)
        guard try stmt.step() else { return (staged, 0, 0) }
        let result = (staged, Int(stmt.int64(0)), Int(stmt.int64(1)))
        try database.execute("TRUNCATE \(RequestCopy.stage)")
        return result
    }

    @inline(__always) private func tab() { buffer.writeInteger(UInt8(ascii: "\t")) }
    @inline(__always) private func null() { buffer.writeStaticString("\\N") }

    /// Decimal digits without a String.
    @inline(__always) private func writeInt(_ v: Int64) {
        if v == 0 { buffer.writeInteger(UInt8(ascii: "0")); return }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var n = 0
        var m = v.magnitude
        withUnsafeMutableBytes(of: &digits) { d in
            while m > 0 {
                d[23 - n] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
                n += 1
            }
            if v < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: d[(24 - n)...]))
        }
    }

    /// Text with COPY's escapes for backslash, tab, newline and carriage return.
    @inline(__always) private func writeText(_ bytes: UnsafeRawBufferPointer) {
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x5C || b == 0x09 || b == 0x0A || b == 0x0D {
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
            buffer.writeInteger(UInt8(0x5C))
            buffer.writeInteger(b == 0x5C ? UInt8(0x5C) : b == 0x09 ? UInt8(ascii: "t") : b == 0x0A ? UInt8(ascii: "n") : UInt8(ascii: "r"))
            start = i + 1
        }
        buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start...]))
    }
}
