import NIOCore

/// One server-sent event: its `event:` name (nil when none) and its `data:` lines joined.
struct ServerSentEvent: Sendable, Equatable {
    var event: String?
    var data: String

    /// The event as bytes on the wire (`data:` lines, a blank line after).
    static func encode(data: String, event: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        if let event { out.append(contentsOf: "event: \(event)\n".utf8) }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            out.append(contentsOf: "data: ".utf8)
            out.append(contentsOf: line.utf8)
            out.append(UInt8(ascii: "\n"))
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }
}

/// Splits a byte stream into server-sent events as chunks arrive (chunks may cut anywhere).
///
/// Lines end in LF, CRLF or CR; an empty line ends an event; `:` lines are comments; events
/// without data are dropped, as the SSE specification says.
struct ServerSentEventParser {
    var pending: [UInt8] = []
    var data: [String] = []
    var event: String?
    /// Whether the last byte seen was a CR (a following LF belongs to it).
    var afterCR = false

    mutating func feed(_ buffer: ByteBuffer) -> [ServerSentEvent] {
        var out: [ServerSentEvent] = []
        for byte in buffer.readableBytesView {
            if afterCR {
                afterCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                afterCR = byte == UInt8(ascii: "\r")
                line(&out)
            } else {
                pending.append(byte)
            }
        }
        return out
    }

    private mutating func line(_ out: inout [ServerSentEvent]) {
        defer { pending.removeAll(keepingCapacity: true) }
        if pending.isEmpty {
            if !data.isEmpty { out.append(ServerSentEvent(event: event, data: data.joined(separator: "\n"))) }
            data.removeAll()
            event = nil
            return
        }
        if pending[0] == UInt8(ascii: ":") { return }
        let text = String(decoding: pending, as: UTF8.self)
        let name: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            name = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            name = Substring(text)
            value = ""
        }
        switch name {
        case "data": data.append(String(value))
        case "event": event = String(value)
        default: break  // id, retry: not needed to forward chat streams
        }
    }
}
