import PostgresNIO

/// Rows of store values as `COPY … FROM STDIN` text: tab-separated, `\N` for NULL, with
/// COPY's escapes for backslash, tab, newline and carriage return.
struct TextCopyBuffer {
    static let chunkBytes = 8 << 20
    private var buffer = ByteBufferAllocator().buffer(capacity: 1 << 16)

    var isFull: Bool { buffer.readableBytes >= TextCopyBuffer.chunkBytes }
    var isEmpty: Bool { buffer.readableBytes == 0 }

    mutating func append(_ row: [SQLValue]) {
        for (i, v) in row.enumerated() {
            if i > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
            switch v {
            case .null: buffer.writeStaticString("\\N")
            case .int(let n): buffer.writeString(String(n))
            case .double(let d): buffer.writeString(PostgresSession.text(of: d))
            case .text(let t):
                for b in t.utf8 {
                    switch b {
                    case 0x5C: buffer.writeStaticString("\\\\")
                    case 0x09: buffer.writeStaticString("\\t")
                    case 0x0A: buffer.writeStaticString("\\n")
                    case 0x0D: buffer.writeStaticString("\\r")
                    default: buffer.writeInteger(b)
                    }
                }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// The buffered text, leaving the buffer empty.
    mutating func take() -> ByteBuffer {
        let out = buffer
        buffer = ByteBufferAllocator().buffer(capacity: 1 << 16)
        return out
    }
}
