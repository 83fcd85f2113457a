import Hummingbird

/// Writes compact JSON straight into a `ByteBuffer` (no intermediate tree, no reflection).
///
/// Doubles are written with Swift's shortest round-trip spelling, so a client reading them gets
/// back exactly the values the router computed (the server/simulator equality test relies on it).
struct JSONWriter {
    /// The bytes so far (an array: appending to it is much cheaper per byte than to a ByteBuffer).
    var bytes: [UInt8]
    /// Whether the next value in the current container needs a comma first.
    private var needsComma = false

    init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The document as a ByteBuffer (one copy).
    var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    mutating func newline() { bytes.append(UInt8(ascii: "\n")) }

    @inline(__always)
    private mutating func separator() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    mutating func beginObject() { open(UInt8(ascii: "{")) }
    mutating func endObject() { close(UInt8(ascii: "}")) }
    mutating func beginArray() { open(UInt8(ascii: "[")) }
    mutating func endArray() { close(UInt8(ascii: "]")) }

    @inline(__always)
    private mutating func open(_ bracket: UInt8) {
        separator()
        bytes.append(bracket)
        needsComma = false
    }

    @inline(__always)
    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        needsComma = true
    }

    /// Writes `"name":` (a key known to need no escaping).
    @inline(__always)
    mutating func key(_ name: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        appendStatic(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A key from a runtime string (escaped).
    mutating func key(_ name: String) {
        separator()
        writeEscaped(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func string(_ s: String) {
        separator()
        writeEscaped(s)
    }

    /// A string value made of a fixed prefix (needing no escaping) and `s`, written without
    /// building the joined String.
    mutating func string(_ prefix: StaticString, then s: String) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        appendStatic(prefix)
        writeEscapedContent(s)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func string(_ name: StaticString, _ s: String) { key(name); string(s) }
    mutating func number(_ name: StaticString, _ v: Double) { key(name); number(v) }
    mutating func int(_ name: StaticString, _ v: Int) { key(name); int(v) }
    mutating func bool(_ name: StaticString, _ v: Bool) { key(name); bool(v) }
    mutating func null(_ name: StaticString) { key(name); null() }

    mutating func optionalString(_ name: StaticString, _ s: String?) {
        key(name)
        if let s { string(s) } else { null() }
    }

    mutating func number(_ v: Double) {
        separator()
        if v.isFinite {
            if v == v.rounded(), abs(v) < 1e15 {
                // Integral values: "12.0" would be correct too, but this is shorter and allocation-free.
                writeInt(Int(v))
                if v == 0 && v.sign == .minus { /* -0 prints as 0 */ }
            } else {
                // The same spelling as `v.description`, without building a String: the
                // standard library hands its stack buffer to `_writeASCII` (below).
                var sink = ASCIISink(bytes: bytes)
                bytes = []
                v.write(to: &sink)
                bytes = sink.bytes
            }
        } else {
            appendStatic("null")
        }
    }

    mutating func int(_ v: Int) {
        separator()
        writeInt(v)
    }

    mutating func bool(_ v: Bool) {
        separator()
        appendStatic(v ? "true" : "false")
    }

    mutating func null() {
        separator()
        appendStatic("null")
    }

    /// Raw JSON text (already valid).
    mutating func raw(_ json: String) {
        separator()
        bytes.append(contentsOf: json.utf8)
    }

    private mutating func writeInt(_ v: Int) {
        if v == 0 { bytes.append(UInt8(ascii: "0")); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = v.magnitude
        var count = 0
        withUnsafeMutableBytes(of: &digits) { p in
            while n > 0 {
                p[19 - count] = UInt8(n % 10) + 0x30
                n /= 10
                count += 1
            }
        }
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        withUnsafeBytes(of: &digits) { p in
            let all = p.bindMemory(to: UInt8.self)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: all[(20 - count)...]))
        }
    }

    /// Appends static text. A typed buffer, not a raw one: `append(contentsOf:)` copies a typed
    /// buffer in one move but a raw buffer byte by byte.
    @inline(__always)
    private mutating func appendStatic(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    private mutating func writeEscaped(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        writeEscapedContent(s)
        bytes.append(UInt8(ascii: "\""))
    }

    /// `s` escaped, without the quotes.
    private mutating func writeEscapedContent(_ s: String) {
        // Fast path: contiguous UTF-8 with nothing to escape is appended in one copy.
        let clean: Bool = s.utf8.withContiguousStorageIfAvailable { p -> Bool in
            for b in p where b < 0x20 || b == 0x22 || b == 0x5C { return false }
            bytes.append(contentsOf: p)
            return true
        } ?? false
        if !clean {
            for b in s.utf8 {
                switch b {
                case 0x22: appendStatic("\\\"")
                case 0x5C: appendStatic("\\\\")
                case 0x0A: appendStatic("\\n")
                case 0x0D: appendStatic("\\r")
                case 0x09: appendStatic("\\t")
                case 0..<0x20:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    appendStatic("\\u00")
                    bytes.append(hex[Int(b >> 4)])
                    bytes.append(hex[Int(b & 0xF)])
                default: bytes.append(b)
                }
            }
        }
    }
}

/// Receives a number's ASCII spelling from `Double.write(to:)` straight into the bytes. The
/// standard library calls `_writeASCII` with its stack buffer; `write(_:)` is the fallback
/// for any other text.
private struct ASCIISink: TextOutputStream {
    var bytes: [UInt8]

    mutating func write(_ string: String) { bytes.append(contentsOf: string.utf8) }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: buffer) }
}
