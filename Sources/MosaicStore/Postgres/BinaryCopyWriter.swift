import MosaicCore

/// Writes fields in PostgreSQL's binary `COPY` format to memory the caller has reserved: every
/// number big-endian, each field a 32-bit length (−1 for NULL) and the type's binary form, as
/// the server's `*recv` functions read them. The server then parses no text: no digits, no
/// escapes, no decimal point.
///
/// A chunk of rows is ``header``, then per row ``fieldCount(_:)`` and its fields, then
/// ``trailer``. The types are those of the `requests` table: `bigint`, `double precision`,
/// `text` (the bytes as they are; the server checks they are UTF-8, as for text `COPY`) and
/// `numeric` (``numeric(_:)``).
struct BinaryCopyWriter {
    /// The signature `PGCOPY\n\377\r\n\0`, the flags (no OIDs) and an empty header extension.
    static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// The field count −1 that ends the data.
    static let trailer: UInt16 = 0xFFFF
    /// The most bytes a `numeric` field takes, its length word included: the 8-byte head and
    /// ten base-10000 digits (four for Money's whole part, six for its 24 decimals).
    static let maxNumericFieldBytes = 4 + 8 + 2 * 10
    /// The most bytes of a non-text field: its length word and 8 bytes.
    static let maxFixedFieldBytes = 12

    let base: UnsafeMutableRawPointer
    private(set) var count = 0

    init(_ base: UnsafeMutableRawPointer) { self.base = base }

    @inline(__always) mutating func fieldCount(_ n: Int16) { put(UInt16(bitPattern: n)) }

    @inline(__always) mutating func null() { put(UInt32.max) }

    @inline(__always) mutating func bigint(_ v: Int64) {
        put(UInt32(8))
        put(UInt64(bitPattern: v))
    }

    /// A `double precision` (its IEEE 754 bits, so it reads back identical), or NULL.
    @inline(__always) mutating func double(_ v: Double?) {
        guard let v else { return null() }
        put(UInt32(8))
        put(v.bitPattern)
    }

    /// A `text` value, or NULL.
    @inline(__always) mutating func text(_ bytes: UnsafeRawBufferPointer?) {
        guard let bytes else { return null() }
        put(UInt32(bytes.count))
        if bytes.count > 0 { (base + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        count += bytes.count
    }

    /// A `numeric` exactly equal to `money`, or NULL. Its display scale is the number of
    /// decimals in `money.description` (trailing zeros dropped), so the server stores the very
    /// value that the text `COPY` of that description stores, `::text` prints the same and
    /// `sum` keeps the same scale.
    ///
    /// The binary form (`numeric_recv`): the number of base-10000 digits, the weight of the
    /// first (the power of 10000 it stands for), the sign (0 or 0x4000), the display scale, then
    /// the digits, most significant first, with no leading or trailing zero digit. Money is an
    /// integer count of 10⁻²⁴, so its 24 decimals are exactly six base-10000 digits and its whole
    /// part (below 1.7 × 10¹⁴) at most four.
    @inline(__always) mutating func numeric(_ money: Money?) {
        guard let money else { return null() }
        let lengthAt = count
        count += 4
        let magnitude = money.units.magnitude
        if magnitude == 0 {
            put(UInt64(0))  // no digits, weight 0, positive, scale 0
            put(UInt32(8), at: lengthAt)
            return
        }
        let perWhole = UInt128(Money.unitsPerWhole)
        let whole = UInt64(magnitude / perWhole)
        let fraction = magnitude % perWhole
        // The 24 decimals as two halves of 12 (each below 10¹²), then ten base-10000 digits:
        // four of the whole part, three of each half. Digit i stands for 10000^(3 − i).
        let half: UInt128 = 1_000_000_000_000
        let high = UInt64(fraction / half), low = UInt64(fraction % half)
        let digits: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (
            UInt16(whole / 1_000_000_000_000), UInt16(whole / 100_000_000 % 10_000), UInt16(whole / 10_000 % 10_000),
            UInt16(whole % 10_000), UInt16(high / 100_000_000), UInt16(high / 10_000 % 10_000), UInt16(high % 10_000),
            UInt16(low / 100_000_000), UInt16(low / 10_000 % 10_000), UInt16(low % 10_000))
        var scale = 0
        if low != 0 {
            scale = 24 - trailingZeros(low)
        } else if high != 0 {
            scale = 12 - trailingZeros(high)
        }
        withUnsafeBytes(of: digits) { raw in
            let d = raw.bindMemory(to: UInt16.self)
            var first = 0, last = 9
            while d[first] == 0 { first += 1 }  // the magnitude is not 0, so a digit stays
            while d[last] == 0 { last -= 1 }
            put(UInt16(last - first + 1))
            put(UInt16(bitPattern: Int16(3 - first)))
            put(UInt16(money.units < 0 ? 0x4000 : 0))
            put(UInt16(scale))
            for i in first...last { put(d[i]) }
            put(UInt32(8 + 2 * (last - first + 1)), at: lengthAt)
        }
    }

    /// Decimal zeros at the end of a non-zero number.
    @inline(__always) private func trailingZeros(_ v: UInt64) -> Int {
        var v = v, n = 0
        while v % 10 == 0 {
            v /= 10
            n += 1
        }
        return n
    }

    @inline(__always) private mutating func put<T: FixedWidthInteger>(_ v: T) {
        base.storeBytes(of: v.bigEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    @inline(__always) private func put<T: FixedWidthInteger>(_ v: T, at offset: Int) {
        base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: T.self)
    }
}
