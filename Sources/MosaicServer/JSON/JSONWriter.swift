import Hummingbird

/// Writes compact JSON straight into memory it owns (no intermediate tree, no reflection), then
/// hands it over as a `ByteBuffer` in one copy.
///
/// The bytes live in a buffer the writer allocates and grows itself: an append is a bounds
/// check and a copy, without the uniqueness and capacity checks an array or a `ByteBuffer`
/// makes on every call. The writer cannot be copied (it owns the memory) and frees it when it
/// goes away.
///
/// Doubles are written with Swift's shortest round-trip spelling, so a client reading them gets
/// back exactly the values the router computed (the server/simulator equality test relies on it).
struct JSONWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    /// Whether the next value in the current container needs a comma first.
    private var needsComma = false

    init(capacity: Int = 1024) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The document as a ByteBuffer (one copy).
    var buffer: ByteBuffer { ByteBuffer(bytes: UnsafeRawBufferPointer(start: base, count: count)) }

    /// The document's bytes (a copy).
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Calls `body` with the document's bytes, valid only during the call.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Makes room for `n` more bytes.
    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    private mutating func append(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always)
    private mutating func append(_ p: UnsafeBufferPointer<UInt8>) {
        reserve(p.count)
        if let s = p.baseAddress { (base + count).update(from: s, count: p.count) }
        count += p.count
    }

    mutating func newline() { append(UInt8(ascii: "\n")) }

    @inline(__always)
    private mutating func separator() {
        if needsComma { append(UInt8(ascii: ",")) }
        needsComma = true
    }

    mutating func beginObject() { open(UInt8(ascii: "{")) }
    mutating func endObject() { close(UInt8(ascii: "}")) }
    mutating func beginArray() { open(UInt8(ascii: "[")) }
    mutating func endArray() { close(UInt8(ascii: "]")) }

    @inline(__always)
    private mutating func open(_ bracket: UInt8) {
        separator()
        append(bracket)
        needsComma = false
    }

    @inline(__always)
    private mutating func close(_ bracket: UInt8) {
        append(bracket)
        needsComma = true
    }

    /// Writes `"name":` (a key known to need no escaping).
    @inline(__always)
    mutating func key(_ name: StaticString) {
        separator()
        let n = name.utf8CodeUnitCount
        reserve(n + 3)
        base[count] = UInt8(ascii: "\"")
        (base + count + 1).update(from: name.utf8Start, count: n)
        base[count + n + 1] = UInt8(ascii: "\"")
        base[count + n + 2] = UInt8(ascii: ":")
        count += n + 3
        needsComma = false
    }

    /// A key from a runtime string (escaped).
    mutating func key(_ name: String) {
        separator()
        writeEscaped(name)
        append(UInt8(ascii: ":"))
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
        append(UInt8(ascii: "\""))
        appendStatic(prefix)
        writeEscapedContent(s)
        append(UInt8(ascii: "\""))
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
                // (-0 prints as 0.)
                writeInt(Int(v))
            } else {
                // The same spelling as `v.description`, without building a String: the
                // standard library hands its stack buffer to `_writeASCII` (below), at most
                // 24 bytes ("-2.2250738585072014e-308"); the sink keeps any longer text aside.
                reserve(ASCIISink.room)
                var sink = ASCIISink(destination: base + count)
                v.write(to: &sink)
                count += sink.written
                if !sink.overflow.isEmpty { sink.overflow.withUnsafeBufferPointer { append($0) } }
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
        var json = json
        json.withUTF8 { append($0) }
    }

    private mutating func writeInt(_ v: Int) {
        // At most 20 bytes: a sign and 19 digits.
        reserve(20)
        if v < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        var n = v.magnitude
        var digits = 1
        var rest = n / 10
        while rest > 0 { digits += 1; rest /= 10 }
        var k = count + digits - 1
        repeat {
            base[k] = UInt8(truncatingIfNeeded: n % 10) &+ 0x30
            n /= 10
            k -= 1
        } while n > 0
        count += digits
    }

    /// Appends static text.
    @inline(__always)
    private mutating func appendStatic(_ s: StaticString) {
        append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    private mutating func writeEscaped(_ s: String) {
        append(UInt8(ascii: "\""))
        writeEscapedContent(s)
        append(UInt8(ascii: "\""))
    }

    /// `s` escaped, without the quotes.
    private mutating func writeEscapedContent(_ s: String) {
        // Fast path: contiguous UTF-8 with nothing to escape is appended in one copy.
        let clean: Bool = s.utf8.withContiguousStorageIfAvailable { p -> Bool in
            for b in p where b < 0x20 || b == 0x22 || b == 0x5C { return false }
            append(p)
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
                    let hex: StaticString = "0123456789abcdef"
                    appendStatic("\\u00")
                    append(hex.utf8Start[Int(b >> 4)])
                    append(hex.utf8Start[Int(b & 0xF)])
                default: append(b)
                }
            }
        }
    }
}

/// Receives a number's ASCII spelling from `Double.write(to:)` straight into the writer's
/// memory, which has `room` bytes free. The standard library calls `_writeASCII` with its stack
/// buffer; `write(_:)` is the fallback for any other text. Text beyond `room` goes to `overflow`.
struct ASCIISink: TextOutputStream {
    static let room = 32
    let destination: UnsafeMutablePointer<UInt8>
    var written = 0
    var overflow: [UInt8] = []

    init(destination: UnsafeMutablePointer<UInt8>) { self.destination = destination }

    mutating func write(_ string: String) {
        var s = string
        s.withUTF8 { _writeASCII($0) }
    }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        let fits = overflow.isEmpty ? min(buffer.count, Self.room - written) : 0
        if fits > 0, let b = buffer.baseAddress {
            (destination + written).update(from: b, count: fits)
            written += fits
        }
        if fits < buffer.count { overflow.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[fits...])) }
    }
}
