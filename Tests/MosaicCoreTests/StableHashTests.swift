import MosaicCore
import Testing

/// The hash of `parts` (strings and integers, in order) from the default seed.
private func hash(_ parts: Any..., seed: UInt64? = nil) -> Int64 {
    var h = seed.map { StableHash(seed: $0) } ?? StableHash()
    for p in parts {
        switch p {
        case let s as String: h.combine(s)
        case let i as Int64: h.combine(i)
        case let w as UInt64: h.combine(w)
        default: preconditionFailure("unsupported part \(p)")
        }
    }
    return h.value
}

/// `StableHash` values are part of the store's format: the `requests.key` column holds them,
/// so a re-ingest only deduplicates when today's hash equals the one stored years ago.
///
/// The pinned values were computed by an independent Python implementation of the documented
/// algorithm (splitmix64 finaliser per little-endian 8-byte word, tail word, then the length
/// tagged with 0xA5A5…), not by this code. If one of these tests fails, the change breaks
/// every existing store: revert it, or add a new hash and a migration.
@Suite("StableHash")
struct StableHashTests {
    @Test(arguments: [
        ("", Int64(4_403_201_657_046_886_048)),
        ("hello", -8_465_629_370_905_835_321),
        ("abc", 8_180_694_832_942_768_958),
        ("openai/gpt-4o-mini", 7_181_432_014_668_009_517),   // two full words and a tail
        ("café ☕", 7_079_287_235_735_587_168),                // UTF-8 bytes
    ])
    func pinnedStringValues(_ text: String, _ expected: Int64) {
        #expect(hash(text) == expected)
    }

    @Test func pinnedValuesOfOtherInputs() {
        #expect(StableHash().value == -6_073_822_176_218_807_359)
        #expect(StableHash(seed: 0).value == 0)
        #expect(hash(Int64(42)) == 2_193_651_026_877_438_754)
        #expect(hash(Int64(-1)) == 3_938_036_981_965_074_965)
        #expect(hash(UInt64.max) == hash(Int64(-1)))
        // The shape of a request key: timestamp, provider, model, request id.
        #expect(hash(Int64(1_714_521_600_000_000), "openai", "gpt-4o", "req-0001") == 4_151_540_351_736_439_544)
    }

    @Test func lengthPrefixSeparatesConcatenations() {
        #expect(hash("ab", "c") == 7_708_163_103_661_766_438)
        #expect(hash("a", "bc") == 870_048_077_452_823_339)
        #expect(hash("ab", "c") != hash("a", "bc"))
        #expect(hash("ab", "c") != hash("abc"))
        #expect(hash("", "a") != hash("a", ""))
        #expect(hash("") != StableHash().value)
        #expect(hash("", "") != hash(""))
    }

    @Test func isDeterministicAndOrderSensitive() {
        #expect(hash("x", Int64(1)) == hash("x", Int64(1)))
        #expect(hash("x", Int64(1)) != hash(Int64(1), "x"))
        #expect(hash("x", seed: 1) != hash("x", seed: 2))
    }

    @Test func bytesAndStringsAgree() {
        let text = "openai/gpt-4o-mini"
        var a = StableHash(), b = StableHash()
        a.combine(text)
        Array(text.utf8).withUnsafeBytes { b.combine($0) }
        #expect(a.value == b.value)
        #expect(a.state == b.state)
    }

    /// No collisions among 100 000 short, similar keys, and the bits look balanced.
    @Test func spreadsSimilarKeys() {
        var seen = Set<Int64>()
        var ones = [Int](repeating: 0, count: 64)
        let n = 100_000
        for i in 0..<n {
            let v = hash("req-\(i)")
            seen.insert(v)
            let u = UInt64(bitPattern: v)
            for b in 0..<64 where u >> UInt64(b) & 1 == 1 { ones[b] += 1 }
        }
        #expect(seen.count == n)
        // Each bit is set in half the hashes ± 5 standard deviations (σ = √n / 2 ≈ 158).
        for (b, c) in ones.enumerated() {
            #expect(abs(c - n / 2) < 800, "bit \(b) set \(c) times")
        }
    }
}
