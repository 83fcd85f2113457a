import MosaicTestSupport
import Testing

/// The golden-output comparator that the notebook and report checks use: model outputs may move
/// within their tolerance and across one rounding boundary, money, counts and text may not.
@Suite struct GoldenComparisonTests {
    static let table = """
        rank  provider   placement                 score  expected_ms  tail_ms  p_fail  cost_usd
        ────  ─────────  ──────────────────────  ───────  ───────────  ───────  ──────  ────────
           1  openai     strategy model_utility  -2.0664         5628     7786  0.0235  0.009000

        """
    static let comparison = GoldenComparison.modelOutputs(["score", "expected_ms", "tail_ms", "p_fail"], relative: 1e-6)

    func moved(_ from: String, _ to: String, in text: String = table) -> [String] {
        Self.comparison.differences(actual: text.replacingOccurrences(of: from, with: to), expected: text, label: "t")
    }

    @Test func identicalTextPasses() {
        #expect(Self.comparison.differences(actual: Self.table, expected: Self.table, label: "t").isEmpty)
    }

    @Test func aModelOutputMayCrossOneRoundingBoundary() {
        #expect(moved("  7786", "  7787").isEmpty)
        #expect(moved("0.0235", "0.0234").isEmpty)
        #expect(moved("-2.0664", "-2.0665").isEmpty)
    }

    /// The failure that started this: the tail latency printed 7780 on one CPU and 7786 on another.
    @Test func aModelOutputThatReallyMovedFailsNamingItsColumn() throws {
        let problems = moved("  7786", "  7780")
        let problem = try #require(problems.first)
        #expect(problems.count == 1)
        #expect(problem.contains("t line 3, column tail_ms: 7786 became 7780, moved by 6.0"), "\(problem)")
    }

    @Test func moneyAndCountsAreExact() {
        #expect(moved("0.009000", "0.009001").first?.contains("column cost_usd: 0.009000 became 0.009001 (exact") == true)
        #expect(moved("   1  openai", "   2  openai").first?.contains("column rank: 1 became 2") == true)
    }

    @Test func textIsExact() {
        #expect(!moved("openai", "OpenAI").isEmpty)
        #expect(!moved("strategy model_utility", "strategy model_utility x").isEmpty)
    }

    /// A wider number shifts the padding of an aligned column; that is not a difference.
    @Test func paddingMayChange() {
        #expect(moved("         5628     7786", "         5628    7786 ").isEmpty)
    }

    @Test func csvColumnsComeFromTheHeader() {
        let csv = "provider,requests,p95_ms,cost_usd\nopenai,21016,8952.0035,12.50\n"
        let c = GoldenComparison.modelOutputs(["p95_ms"], relative: 1e-6)
        #expect(c.differences(actual: csv.replacingOccurrences(of: "8952.0035", with: "8952.0036"), expected: csv, label: "f").isEmpty)
        let count = c.differences(actual: csv.replacingOccurrences(of: "21016", with: "21017"), expected: csv, label: "f")
        #expect(count.first?.contains("column requests: 21016 became 21017") == true, "\(count)")
        let money = c.differences(actual: csv.replacingOccurrences(of: "12.50", with: "12.51"), expected: csv, label: "f")
        #expect(money.first?.contains("column cost_usd") == true, "\(money)")
    }

    @Test func markdownAndJSONColumns() {
        let md = "| Group | p95 ms | Cost |\n|:--|--:|--:|\n| openai | 8,405 | $1,234.50 |\n"
        let c = GoldenComparison.modelOutputs(["p95 ms", "tail_latency_ms"], relative: 1e-6)
        #expect(c.differences(actual: md.replacingOccurrences(of: "8,405", with: "8,406"), expected: md, label: "m").isEmpty)
        #expect(c.differences(actual: md.replacingOccurrences(of: "$1,234.50", with: "$1,234.51"), expected: md, label: "m")
            .first?.contains("column Cost") == true)
        let json = "{\n  \"tail_latency_ms\": 7786.123456789,\n  \"cost_usd\": \"0.009\"\n}\n"
        #expect(c.differences(actual: json.replacingOccurrences(of: "7786.123456789", with: "7786.12345679"), expected: json, label: "j").isEmpty)
        #expect(!c.differences(actual: json.replacingOccurrences(of: "7786.123456789", with: "7786.2"), expected: json, label: "j").isEmpty)
    }

    @Test func missingAndExtraLinesAreReported() {
        let extra = Self.comparison.differences(actual: Self.table + "more\n", expected: Self.table, label: "t")
        #expect(extra.contains { $0.contains("more") }, "\(extra)")
        let missing = Self.comparison.differences(actual: "", expected: Self.table, label: "t")
        #expect(missing.contains { $0.contains("a missing line") }, "\(missing)")
    }

    @Test func exactComparesEveryNumberAsText() {
        #expect(!GoldenComparison.exact.differences(actual: Self.table.replacingOccurrences(of: "7786", with: "7787"),
                                                    expected: Self.table, label: "t").isEmpty)
    }
}
