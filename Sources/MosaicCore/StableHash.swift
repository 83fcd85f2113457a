/// A 64-bit hash that is the same in every process and on every machine (unlike `Hasher`,
/// which is seeded per process). Used for content-derived keys that make ingest idempotent.
///
/// Each 8-byte word is folded in with a splitmix64-style finaliser; the result is well mixed
/// but not cryptographic.
public struct StableHash: Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64 = 0x6D6F_7361_6963_2121) { state = seed }

    @inline(__always)
    static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    public mutating func combine(_ word: UInt64) {
        state = StableHash.mix(state &+ 0x9E37_79B9_7F4A_7C15 ^ word) &* 0xFF51_AFD7_ED55_8CCD
    }

    @inline(__always)
    public mutating func combine(_ value: Int64) { combine(UInt64(bitPattern: value)) }

    /// Folds in bytes, then their length, so `("ab","c")` and `("a","bc")` differ.
    @inline(__always)
    public mutating func combine(_ bytes: UnsafeRawBufferPointer) {
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            combine(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n { tail |= UInt64(bytes[i]) << shift; shift += 8; i += 1 }
            combine(tail)
        }
        combine(UInt64(n) | 0xA5A5_0000_0000_0000)
    }

    public mutating func combine(_ text: String) {
        var copy = text
        copy.withUTF8 { combine(UnsafeRawBufferPointer($0)) }
    }

    /// The final value, as a signed integer so that SQLite stores it in an INTEGER column.
    public var value: Int64 { Int64(bitPattern: StableHash.mix(state)) }
}
