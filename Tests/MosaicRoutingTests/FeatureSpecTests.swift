import Foundation
import MosaicCore
import MosaicRouting
import Testing

@Suite("FeatureSpec")
struct FeatureSpecTests {
    static let monday9am = Timestamp.parse("2026-10-05T09:00:00Z")!

    static func spec() throws -> FeatureSpec {
        try FeatureSpec(features: [
            .oneHot(.model, vocabulary: ["gpt-4o", "gpt-4o-mini"]),
            .numeric(.inputTokens, transform: .log1p, mean: 2, scale: 0.5),
            .numeric(.outputTokens, transform: .identity, mean: 10, scale: 5),
            .interaction(1, 2),
            .cyclic(.hourOfDay, period: 24, harmonics: 1),
            .oneHot(.dayOfWeek, vocabulary: (0..<7).map(String.init)),
        ])
    }

    @Test func encodesEachKindOfFeature() throws {
        let s = try Self.spec()
        #expect(s.width == 2 + 1 + 1 + 1 + 2 + 7)
        let r = RequestFeatures(model: "gpt-4o-mini", inputTokens: 100, outputTokens: 20, timestamp: Self.monday9am)
        let x = s.encode(r)
        #expect(x[0] == 0 && x[1] == 1)
        let input = (log1p(100.0) - 2) / 0.5, output = (20.0 - 10) / 5
        #expect(abs(x[2] - input) < 1e-15)
        #expect(x[3] == output)
        #expect(abs(x[4] - input * output) < 1e-15)
        #expect(abs(x[5] - sin(2 * Double.pi * 9 / 24)) < 1e-15)
        #expect(abs(x[6] - cos(2 * Double.pi * 9 / 24)) < 1e-15)
        #expect(Array(x[7...]) == [1, 0, 0, 0, 0, 0, 0])  // Monday
    }

    @Test func unseenCategoriesEncodeAsZeros() throws {
        let x = try Self.spec().encode(RequestFeatures(model: "claude-sonnet-4-5", timestamp: Self.monday9am))
        #expect(x[0] == 0 && x[1] == 0)
    }

    @Test func encodingIntoTheSameArrayReusesIt() throws {
        let s = try Self.spec()
        var out: [Double] = []
        s.encode(RequestFeatures(model: "gpt-4o", timestamp: Self.monday9am), into: &out)
        let first = out
        s.encode(RequestFeatures(model: "gpt-4o-mini", timestamp: Self.monday9am + 3_600_000_000), into: &out)
        #expect(out.count == first.count)
        #expect(out != first)
        s.encode(RequestFeatures(model: "gpt-4o", timestamp: Self.monday9am), into: &out)
        #expect(out == first)
    }

    @Test func hashedTextIsUnitLengthAndStable() throws {
        let s = try FeatureSpec(features: [.hashedText(buckets: 64)])
        let a = s.encode(RequestFeatures(text: "What is the capital of France? Paris."))
        let norm = a.reduce(0) { $0 + $1 * $1 }
        #expect(abs(norm - 1) < 1e-12)
        #expect(a == s.encode(RequestFeatures(text: "what IS the capital of france paris")))  // case and punctuation fold
        #expect(s.encode(RequestFeatures(text: "")).allSatisfy { $0 == 0 })
        var buckets: [Int] = []
        TextHashing.accumulate("alpha beta", buckets: 1 << 20) { buckets.append($0) }
        #expect(buckets.count == 3)  // two words and one pair
    }

    @Test func invalidSpecificationsAreRefused() {
        #expect(throws: FeatureSpecError.self) { try FeatureSpec(features: [.numeric(.inputTokens, transform: .log1p, mean: 0, scale: 0)]) }
        #expect(throws: FeatureSpecError.self) { try FeatureSpec(features: [.oneHot(.model, vocabulary: ["a", "a"])]) }
        #expect(throws: FeatureSpecError.self) { try FeatureSpec(features: [.interaction(0, 1)]) }
        #expect(throws: FeatureSpecError.self) { try FeatureSpec(features: [.cyclic(.hourOfDay, period: 24, harmonics: 0)]) }
        #expect(throws: FeatureSpecError.self) { try FeatureSpec(features: [.hashedText(buckets: 0)]) }
    }

    @Test func roundTripsThroughJSON() throws {
        let s = try Self.spec()
        let data = try JSONEncoder().encode(s)
        #expect(try JSONDecoder().decode(FeatureSpec.self, from: data) == s)
    }
}
