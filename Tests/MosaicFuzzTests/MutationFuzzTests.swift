import Foundation
import MosaicCore
import MosaicFuzzTargets
import Testing

/// A seeded mutation pass over the user-facing file readers, in `swift test`: each committed
/// `valid-*` seed of a target gets a fixed number of mutations (bytes, lines, numbers, nesting,
/// truncation, unicode, repeated keys), each fed through ``FuzzHarness`` as the product reads
/// that file. A reader must accept the input or refuse it with its own message: a crash fails
/// the run, and a refusal that is Foundation's debug text (`Error Domain=…`, a `DecodingError`
/// dump) fails the test. The seed is fixed, so a failure replays exactly; the libFuzzer driver
/// (`scripts/fuzz`) is the open-ended search.
@Suite struct MutationFuzzTests {
    /// The readers of files users hand to commands.
    static let targets: [FuzzTarget] = [
        .policy, .scenario, .gateway, .catalog, .focus, .series, .requestsCSV, .requestsJSONL, .traceAzure, .traceBurstGPT,
        .traceMooncake, .litellmPrices, .model,
    ]

    /// Mutations per target, spread over its seeds (`MOSAIC_FUZZ_MUTATIONS` raises it for a
    /// longer search; `MOSAIC_FUZZ_SEED` picks other mutations).
    static let mutationsPerTarget = ProcessInfo.processInfo.environment["MOSAIC_FUZZ_MUTATIONS"].flatMap { Int($0) } ?? 300
    static let seed = ProcessInfo.processInfo.environment["MOSAIC_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x6d6f_7361_6963

    @Test(arguments: targets)
    func mutatedInputsAreAcceptedOrRefusedInWords(_ target: FuzzTarget) throws {
        let harness = try FuzzHarness()
        let seeds = try Self.seeds(target)
        #expect(!seeds.isEmpty, "\(FuzzHarness.corpusDirectory(target)) holds no valid-* seed")
        var random = SeededRandom(seed: Self.seed).stream(target.rawValue)
        var refused = 0
        for i in 0..<Self.mutationsPerTarget {
            let seed = seeds[i % seeds.count]
            let input = FuzzMutator.mutate(seed.bytes, &random)
            let outcome = input.withUnsafeBytes { harness.run(target, $0) }
            guard case .rejected(let message) = outcome else { continue }
            refused += 1
            #expect(!message.isEmpty, "\(target.rawValue) mutation \(i) of \(seed.name): an empty message")
            if let leak = FuzzMutator.debugText(in: message) {
                Issue.record("\(target.rawValue) mutation \(i) of \(seed.name): Foundation's debug text '\(leak)' in: \(message)")
            }
        }
        // The mutations reach the checks: most of them break something.
        #expect(refused > Self.mutationsPerTarget / 4, "\(target.rawValue): only \(refused) of \(Self.mutationsPerTarget) refused")
    }

    @Test func mutationsAreDeterministic() {
        let bytes = Array("version: 1\nrate: 20\nname: x\n".utf8)
        var a = SeededRandom(seed: 7), b = SeededRandom(seed: 7)
        for _ in 0..<50 { #expect(FuzzMutator.mutate(bytes, &a) == FuzzMutator.mutate(bytes, &b)) }
    }

    @Test func debugTextIsRecognised() {
        #expect(FuzzMutator.debugText(in: "x.json: Error Domain=NSCocoaErrorDomain Code=3840 \"…\"") != nil)
        #expect(FuzzMutator.debugText(in: "keyNotFound(CodingKeys(stringValue: \"version\", intValue: nil), …)") != nil)
        #expect(FuzzMutator.debugText(in: "policy.yaml:3: breaker.window: must be in 1...64, found 65") == nil)
    }

    static func seeds(_ target: FuzzTarget) throws -> [(name: String, bytes: [UInt8])] {
        let dir = FuzzHarness.corpusDirectory(target)
        return try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("valid-") }.sorted().map { name in
            (name, Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))))
        }
    }
}

/// Structure-aware mutations of text inputs (YAML, CSV, JSON Lines, JSON).
enum FuzzMutator {
    /// Values that have broken readers: out of range, signs, special floats, precision.
    static let numbers = [
        "1e300", "-1e300", "-1", "-0", "0", "NaN", "nan", ".nan", "inf", "-inf", ".inf", "1e-300", "4.9e-324",
        "99999999999999999999999999999", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "2147483648", "4294967296", "1e10", "10000000000", "0.0000000000000000000000001", "1.5", "0x10", "1_000",
        "170141183460469231731687303715884105728",
    ]
    /// Text that has broken readers: byte-order marks, invalid UTF-8, NUL, controls, quotes.
    static let fragments: [[UInt8]] = [
        Array("\u{FEFF}".utf8), [0xFF], [0xC3], [0xED, 0xA0, 0x80], [0x00], Array("\u{202E}".utf8), Array("é".utf8),
        Array("😀".utf8), Array("\"".utf8), Array("'".utf8), Array(",".utf8), Array(":".utf8), Array("\t".utf8),
        Array("\r".utf8), Array("\n".utf8), Array("{".utf8), Array("[".utf8), Array("- ".utf8), Array("&a".utf8),
        Array("*a".utf8), Array("!!binary ".utf8), Array("~".utf8), Array("null".utf8), Array("\\u0000".utf8),
    ]

    static func mutate(_ input: [UInt8], _ random: inout SeededRandom) -> [UInt8] {
        var bytes = input
        let rounds = 1 + Int(random.next() % 3)
        for _ in 0..<rounds { bytes = once(bytes, &random) }
        return bytes
    }

    static func pick(_ n: Int, _ random: inout SeededRandom) -> Int { n <= 0 ? 0 : Int(random.next() % UInt64(n)) }

    static func once(_ bytes: [UInt8], _ random: inout SeededRandom) -> [UInt8] {
        var b = bytes
        switch random.next() % 10 {
        case 0:  // a number replaced
            let spans = numberSpans(b)
            let number = Array(numbers[pick(numbers.count, &random)].utf8)
            guard !spans.isEmpty else { b.insert(contentsOf: number, at: pick(b.count + 1, &random)); return b }
            b.replaceSubrange(spans[pick(spans.count, &random)], with: number)
        case 1:  // a line repeated (a repeated key, a repeated row)
            var lines = splitLines(b)
            guard !lines.isEmpty else { return b }
            let i = pick(lines.count, &random)
            lines.insert(lines[i], at: min(lines.count, i + 1 + pick(3, &random)))
            b = lines.joined(separator: [0x0A]).map { $0 }
        case 2:  // a line removed
            var lines = splitLines(b)
            guard !lines.isEmpty else { return b }
            lines.remove(at: pick(lines.count, &random))
            b = lines.joined(separator: [0x0A]).map { $0 }
        case 3:  // two lines swapped
            var lines = splitLines(b)
            guard lines.count > 1 else { return b }
            lines.swapAt(pick(lines.count, &random), pick(lines.count, &random))
            b = lines.joined(separator: [0x0A]).map { $0 }
        case 4:  // truncated
            b = Array(b.prefix(pick(b.count + 1, &random)))
        case 5:  // a fragment inserted
            b.insert(contentsOf: fragments[pick(fragments.count, &random)], at: pick(b.count + 1, &random))
        case 6:  // deep nesting where a value starts
            let depth = [64, 1_000, 20_000][pick(3, &random)]
            let nested = random.next() % 2 == 0
                ? String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
                : String(repeating: "{\"a\": ", count: depth) + "1" + String(repeating: "}", count: depth)
            let at = valueStarts(b)
            let i = at.isEmpty ? pick(b.count + 1, &random) : at[pick(at.count, &random)]
            b.insert(contentsOf: Array(nested.utf8), at: i)
        case 7:  // a byte flipped
            guard !b.isEmpty else { return b }
            b[pick(b.count, &random)] ^= UInt8(truncatingIfNeeded: 1 << pick(8, &random))
        case 8:  // a span deleted
            guard !b.isEmpty else { return b }
            let from = pick(b.count, &random)
            b.removeSubrange(from..<min(b.count, from + 1 + pick(16, &random)))
        default:  // a value's text made very long
            let spans = numberSpans(b)
            guard !spans.isEmpty else { return b + Array(repeating: UInt8(ascii: "9"), count: 5_000) }
            b.replaceSubrange(spans[pick(spans.count, &random)], with: Array(repeating: UInt8(ascii: "9"), count: 5_000))
        }
        return b
    }

    static func splitLines(_ b: [UInt8]) -> [ArraySlice<UInt8>] {
        b.split(separator: 0x0A, omittingEmptySubsequences: false)
    }

    /// Runs of digits (with a sign, point or exponent) in the text.
    static func numberSpans(_ b: [UInt8]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        var i = 0
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        while i < b.count {
            if isDigit(b[i]) {
                var j = i
                while j < b.count, isDigit(b[j]) || b[j] == UInt8(ascii: ".") || b[j] == UInt8(ascii: "e") { j += 1 }
                let start = i > 0 && b[i - 1] == UInt8(ascii: "-") ? i - 1 : i
                spans.append(start..<j)
                i = j
            } else {
                i += 1
            }
        }
        return spans
    }

    /// Positions just after `: ` or `,`: where a value starts.
    static func valueStarts(_ b: [UInt8]) -> [Int] {
        var at: [Int] = []
        for i in b.indices.dropLast() where (b[i] == UInt8(ascii: ":") && b[i + 1] == UInt8(ascii: " ")) {
            at.append(i + 2)
        }
        for i in b.indices where b[i] == UInt8(ascii: ",") { at.append(i + 1) }
        return at
    }

    /// Foundation's and the standard library's debug renderings, which are not for users.
    static let debugMarkers = [
        "Error Domain=", "NSCocoaErrorDomain", "NSPOSIXErrorDomain", "UserInfo=", "NSDebugDescription",
        "couldn’t be read", "could not be completed", "dataCorrupted(", "keyNotFound(", "typeMismatch(", "valueNotFound(",
        "DecodingError", "CodingKeys(", "codingPath:", "Swift.", "Foundation.",
    ]

    /// The first debug marker in `message`, or nil.
    static func debugText(in message: String) -> String? {
        debugMarkers.first { message.contains($0) }
    }
}
