import MosaicCore
@testable import MosaicRouting
import Testing

/// The compiled rule set (the hot path) must pick the same rule as `RouteRequest.matches`.
@Suite("Compiled rule set")
struct RuleSetTests {
    @Test func firstMatchEqualsTheReferenceMatcher() {
        var random = SeededRandom(seed: 99)
        let words = ["acme", "acme-eu", "internal-billing", "oss-lib", "client-x", "chat", "embedding", "gpt-4o", "llama", "us", "eu", ""]
        let patterns = ["acme*", "*-eu", "internal-*", "oss-*", "client-?", "c*t", "*", "gpt-*", "?s", "e?", "llama"]
        func pattern() -> GlobPattern? { random.bernoulli(0.25) ? GlobPattern(patterns[Int(random.next() % UInt64(patterns.count))]) : nil }
        func word() -> String { words[Int(random.next() % UInt64(words.count))] }
        for _ in 0..<200 {
            let rules = (0..<Int(random.next() % 8)).map { k in
                RoutingRule(name: "r\(k)", reason: "why", match: RuleMatch(
                    tenant: pattern(), operation: pattern(), modelFamily: pattern(), resource: pattern(), region: pattern(),
                    budgetTag: pattern(), tag: pattern(),
                    promptTokensOver: random.bernoulli(0.2) ? Int(random.next() % 200_000) : nil,
                    promptTokensAtMost: random.bernoulli(0.1) ? Int(random.next() % 200_000) : nil,
                    compliance: random.bernoulli(0.2) ? ComplianceSet(rawValue: UInt8(random.next() % 16)) : nil,
                    capability: random.bernoulli(0.2) ? "vision" : nil,
                    hours: random.bernoulli(0.2) ? MinuteRange(start: Int(random.next() % 1440), end: Int(random.next() % 1440)) : nil),
                    action: RuleAction(route: ["openai"]))
            }
            let set = RuleSet(rules)
            for _ in 0..<50 {
                let r = RouteRequest(tenant: word(), operation: word(), modelFamily: word(), resource: word(), region: word(),
                                     promptTokens: Int(random.next() % 200_000), compliance: ComplianceSet(rawValue: UInt8(random.next() % 16)),
                                     capabilities: random.bernoulli(0.5) ? ["vision"] : [],
                                     budgetTag: random.bernoulli(0.5) ? word() : nil,
                                     tags: random.bernoulli(0.5) ? [word(), word()] : [],
                                     timestamp: Int64(random.next() % 10_000_000_000_000))
                let reference = rules.firstIndex { r.matches($0.match) } ?? -1
                #expect(set.firstMatch(r) == reference)
            }
        }
    }
}
