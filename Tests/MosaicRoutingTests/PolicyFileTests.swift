import Foundation
import MosaicCore
@testable import MosaicRouting
import Testing

@Suite("PolicyFile")
struct PolicyFileTests {
    static let s = RoutingTime.second
    static let pool = "version: 1\nproviders: [openai, anthropic, cohere, ollama]\n"

    /// The description of the error `yaml` throws (nil when it parses).
    static func failure(_ yaml: String) -> YAMLError? {
        do {
            _ = try RoutingPolicy(yaml: yaml, source: "p.yaml", catalog: .default)
            return nil
        } catch {
            return error
        }
    }

    static func message(_ yaml: String) -> String? { failure(yaml)?.description }

    static func parse(_ yaml: String) throws -> RoutingPolicy {
        try RoutingPolicy(yaml: yaml, source: "p.yaml", catalog: .default)
    }

    static func money(_ text: String) -> Money { try! Money(parsing: text) }

    // MARK: - Examples

    @Test func exampleParsesWithTheDefaultCatalog() throws {
        let p = try RoutingPolicy(yaml: RoutingPolicy.exampleYAML, source: "example.yaml", catalog: .default)
        #expect(p.name == "llm-default")
        #expect(p.providers == ["openai", "anthropic", "cohere", "ollama"])
        #expect(p.defaultLatencyMs == 1000)
        #expect(p.filters == RoutingPolicy.Filters())
        #expect(p.strategy == .modelUtility(lambda: 20, mu: 0.5))

        #expect(p.rules.count == 3)
        #expect(p.rules.map(\.name) == ["strict-privacy", "long-context", "follow-the-sun"])
        #expect(p.rules[0].match == RuleMatch(tag: GlobPattern("strict-privacy")))
        #expect(p.rules[0].action == RuleAction(route: ["ollama"], mode: .only))
        #expect(p.rules[1].match.promptTokensOver == 100_000)
        #expect(p.rules[1].action == RuleAction(route: ["anthropic"], mode: .prefer))
        #expect(p.rules[2].match.hours == MinuteRange(start: 1320, end: 360))
        #expect(p.rules[2].match.hours?.contains(minuteOfDay: 23 * 60) == true)
        #expect(p.rules[2].match.hours?.contains(minuteOfDay: 12 * 60) == false)
        #expect(p.rules[2].action.mode == .prefer)

        #expect(p.breaker == CircuitBreaker.Configuration())
        #expect(p.breaker.baseOpenDuration == 5_000_000)
        #expect(p.breaker.maxOpenDuration == 300_000_000)
        #expect(p.breaker.slowStartDuration == 30_000_000)
        #expect(p.outliers == OutlierEjection())
        #expect(p.retry == RoutingRetryPolicy())
        #expect(p.retry.baseBackoff == 100_000)
        #expect(p.retryBudget == RoutingPolicy.RetryBudgetSettings(ratio: 0.2, minimum: 3))
        #expect(p.rateLimits.isEmpty)

        #expect(p.tenants["acme"] == TenantPolicy(deny: ["cohere"], quota: RateLimit(requests: 100_000, period: .hour)))
        #expect(p.tenants["*"]?.quota == RateLimit(requests: 50_000, period: .hour))
        #expect(p.budgets == ["research": BudgetPolicy(limit: Self.money("50.00"), period: .day)])
        #expect(p.fallbacks["openai"] == ["anthropic", "ollama"])
        #expect(p.fallbacks["ollama"] == nil)

        #expect(p.costs["openai"] == ProviderCost(inputPerMillion: Self.money("2.50"), outputPerMillion: Money(whole: 10)))
        #expect(p.costs["anthropic"] == ProviderCost(inputPerMillion: Money(whole: 3), outputPerMillion: Money(whole: 15)))
        #expect(p.costs["cohere"] == ProviderCost(inputPerMillion: Self.money("2.5"), outputPerMillion: Money(whole: 10)))
        #expect(p.costs["ollama"] == nil)
        // 1,000 input + 500 output tokens on gpt-4o: 0.0025 + 0.005, exactly.
        #expect(p.costs["openai"]!.cost(inputTokens: 1000, outputTokens: 500) == Self.money("0.0075"))
        #expect(p.quality == ["openai": 0.95, "anthropic": 0.95, "cohere": 0.85, "ollama": 0.7])

        try p.validate(catalog: .default)
    }

    @Test func gitExampleParsesWithTheCatalogsRateLimits() throws {
        let p = try RoutingPolicy(yaml: RoutingPolicy.gitExampleYAML, source: "git.yaml", catalog: .default)
        #expect(p.providers == ["github", "gitlab", "gitea", "bitbucket"])
        #expect(p.strategy == .leastConnections)
        #expect(p.rules.map(\.match.resource?.text) == ["internal-*", "oss-*", "client-*"])
        #expect(p.rules.map(\.action) == [
            RuleAction(route: ["gitea"], mode: .only), RuleAction(route: ["github"], mode: .only),
            RuleAction(route: ["gitlab"], mode: .only),
        ])
        #expect(p.rules[0].match.resource?.matches("internal-billing") == true)
        #expect(p.rules[0].match.resource?.matches("oss-billing") == false)
        for id in p.providers {
            #expect(p.rateLimits[id] == Catalog.default.provider(id: id)!.rateLimits, "\(id)")
        }
        #expect(p.retry.retryOn == [.timeout, .rateLimited])
        #expect(p.retry.maxBackoff == 60 * Self.s)
        try p.validate(catalog: .default)
    }

    @Test func minimalPolicyGetsTheDefaults() throws {
        let p = try Self.parse(Self.pool)
        #expect(p == RoutingPolicy(providers: ["openai", "anthropic", "cohere", "ollama"]))
    }

    @Test func loadReadsAFileAndReportsAMissingOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("policy.yaml").path
        try RoutingPolicy.gitExampleYAML.write(toFile: file, atomically: true, encoding: .utf8)
        let p = try RoutingPolicy.load(path: file, catalog: .default)
        #expect(p.name == "git-hosts")

        let missing = dir.appendingPathComponent("nope.yaml").path
        #expect(throws: YAMLError.unreadableFile(path: missing, document: "policy", reason: "no such file")) {
            try RoutingPolicy.load(path: missing, catalog: .default)
        }
        #expect(throws: YAMLError.unreadableFile(path: dir.path, document: "policy", reason: "it is a directory, not a file")) {
            try RoutingPolicy.load(path: dir.path, catalog: .default)
        }
    }

    // MARK: - Values

    @Test(arguments: [
        ("10us", Int64(10)), ("250ms", 250_000), ("1.5s", 1_500_000), ("5m", 300_000_000), ("2h", 7_200_000_000),
        ("0s", 0), ("0.25ms", 250), ("1.5m", 90_000_000),
    ])
    func durationsConvertToMicroseconds(text: String, micros: Int64) throws {
        let p = try Self.parse(Self.pool + "breaker:\n  open: \(text)\n  max_open: 10h\n")
        #expect(p.breaker.baseOpenDuration == micros)
        #expect(DurationText.parse(text) == .value(micros))
    }

    @Test func durationTextErrors() {
        #expect(DurationText.parse("5") == .noUnit)
        #expect(DurationText.parse("1.5us") == .invalid("not a whole number of microseconds"))
        #expect(DurationText.parse("s") == .invalid(
            "expected a number followed by a unit (us, ms, s, m, h or d), for example 250ms, 1.5s or 5m"))
        #expect(DurationText.parse("99999999999999h") == .invalid("too large"))
        #expect(DurationText.parse("1.000000000001h") == .invalid("not a whole number of microseconds"))
        #expect(DurationText.parse("1.0000001h") == .value(3_600_000_360))
        #expect(DurationText.format(1_500_000) == "1500ms")
        #expect(DurationText.format(300_000_000) == "5m")
    }

    @Test func amountsAreExactDecimals() throws {
        let p = try Self.parse(Self.pool + """
            costs:
              openai: {input_per_mtok: 0.1, output_per_mtok: 0.30000000000000004, per_request: "0.000001"}
              cohere: {input_per_mtok: 3, output_per_mtok: 1_000}
            """)
        let openai = try #require(p.costs["openai"])
        #expect(openai.inputPerMillion.units == Money.unitsPerWhole / 10)  // exactly 0.1, no binary drift
        #expect(openai.inputPerMillion.description == "0.1")
        #expect(openai.outputPerMillion.description == "0.30000000000000004")
        #expect(openai.perRequest == Self.money("0.000001"))
        #expect(p.costs["cohere"] == ProviderCost(inputPerMillion: Money(whole: 3), outputPerMillion: Money(whole: 1000)))
    }

    @Test func everySectionParses() throws {
        let p = try Self.parse(Self.pool + """
            name: full
            default_latency_ms: 250.5
            filters: {capability: false, rate_limit: false, health: FALSE}
            strategy: {kind: weighted, weights: {openai: 3, anthropic: 1}}
            rules:
              - name: all-conditions
                reason: every field
                match:
                  tenant: "acme-*"
                  operation: chat
                  model_family: gpt-4*
                  resource: repo-?
                  region: eu
                  budget_tag: research
                  tag: urgent
                  prompt_tokens_over: 10
                  prompt_tokens_at_most: 100
                  compliance: [HIPAA, gdpr]
                  capability: vision
                  hours: "9:30-24:00"
                route: [openai, anthropic]
                exclude: [cohere]
              - name: exclude-only
                reason: drop cohere
                exclude: [cohere]
            breaker:
              consecutive_failures: 0
              failure_rate: 2
              window: 64
              time_window: 10us
              minimum_requests: 1
              open: 0s
              max_open: 0s
              backoff_multiplier: 1
              half_open_probes: 1
              slow_start: 0s
              slow_start_initial_share: 1
            outliers: {enabled: false, interval: 1s, stdev_factor: 0, minimum_requests: 1, minimum_peers: 2,
                       max_ejected_share: 1, base_ejection: 1ms, max_ejection: 1ms, panic_threshold: 0}
            retry: {on: [], max_attempts: 1, base_backoff: 0s, max_backoff: 0s, multiplier: 1,
                    budget: {ratio: 10, minimum: 0}}
            rate_limits:
              openai: [{requests: 5, per: second, scope: batch}]
              ollama: []
            tenants:
              acme: {allow: [openai, anthropic], deny: [ollama]}
            budgets:
              research: {limit: 0.01, per: minute}
            fallbacks:
              openai: []
            quality: {openai: 0, anthropic: 1}
            """)
        #expect(p.name == "full")
        #expect(p.defaultLatencyMs == 250.5)
        #expect(p.filters == RoutingPolicy.Filters(capability: false, rateLimit: false, health: false))
        #expect(p.strategy == .weighted(["openai": 3, "anthropic": 1]))
        #expect(p.rules.count == 2)
        #expect(p.rules[0].match == RuleMatch(
            tenant: GlobPattern("acme-*"), operation: GlobPattern("chat"), modelFamily: GlobPattern("gpt-4*"),
            resource: GlobPattern("repo-?"), region: GlobPattern("eu"), budgetTag: GlobPattern("research"),
            tag: GlobPattern("urgent"), promptTokensOver: 10, promptTokensAtMost: 100,
            compliance: [ComplianceSet(.hipaa), ComplianceSet(.gdpr)], capability: "vision",
            hours: MinuteRange(start: 570, end: 1440)))
        #expect(p.rules[0].action == RuleAction(route: ["openai", "anthropic"], mode: .only, exclude: ["cohere"]))
        #expect(p.rules[1].match == RuleMatch())
        #expect(p.breaker == CircuitBreaker.Configuration(
            consecutiveFailures: 0, failureRateThreshold: 2, windowSize: 64, timeWindow: 10, minimumRequests: 1,
            baseOpenDuration: 0, maxOpenDuration: 0, openBackoffMultiplier: 1, halfOpenProbes: 1,
            slowStartDuration: 0, slowStartInitialShare: 1))
        #expect(p.outliers == OutlierEjection(
            enabled: false, interval: Self.s, stdevFactor: 0, minimumRequests: 1, minimumPeers: 2, maxEjectedShare: 1,
            baseEjection: 1000, maxEjection: 1000, panicThreshold: 0))
        #expect(p.retry == RoutingRetryPolicy(retryOn: [], maxAttempts: 1, baseBackoff: 0, maxBackoff: 0, multiplier: 1))
        #expect(p.retryBudget == RoutingPolicy.RetryBudgetSettings(ratio: 10, minimum: 0))
        #expect(p.rateLimits == ["openai": [RateLimit(requests: 5, period: .second, scope: "batch")], "ollama": []])
        #expect(p.tenants == ["acme": TenantPolicy(allow: ["openai", "anthropic"], deny: ["ollama"])])
        #expect(p.budgets == ["research": BudgetPolicy(limit: Self.money("0.01"), period: .minute)])
        #expect(p.fallbacks == ["openai": []])
        #expect(p.quality == ["openai": 0, "anthropic": 1])
        // The values the reliability types require hold, so building them cannot trap.
        _ = CircuitBreaker(configuration: p.breaker)
    }

    @Test func strategyKindsAndDefaults() throws {
        func strategy(_ text: String) throws -> Strategy { try Self.parse(Self.pool + "strategy: \(text)\n").strategy }
        #expect(try strategy("round_robin") == .roundRobin)
        #expect(try strategy("{kind: least_connections}") == .leastConnections)
        #expect(try strategy("{kind: p2c}") == .powerOfTwoChoices)
        #expect(try strategy("{kind: cost_first}") == .costFirst)
        #expect(try strategy("{kind: latency_ewma}") == .latencyEWMA(alpha: 0.3, buffer: 0.5))
        #expect(try strategy("{kind: latency_ewma, alpha: 1, buffer: 0}") == .latencyEWMA(alpha: 1, buffer: 0))
        #expect(try strategy("{kind: model_utility}") == .modelUtility(lambda: 10, mu: 0.1))
        #expect(try strategy("{kind: model_utility, mu: 0}") == .modelUtility(lambda: 10, mu: 0))
        #expect(try strategy("{kind: model_utility, adapt: 0.1}") == .modelUtility(lambda: 10, mu: 0.1, adapt: 0.1))
        #expect(try strategy("{kind: model_utility, adapt: 0.1, adapt_half_life: 5m}")
                == .modelUtility(lambda: 10, mu: 0.1, adapt: 0.1, adaptHalfLife: 300 * RoutingTime.second))
    }

    // MARK: - Errors: structure and types

    @Test func unknownKeyWithSuggestion() {
        #expect(Self.message(Self.pool + "stratgy: round_robin\n") == """
            p.yaml:3: unknown key 'stratgy' (did you mean 'strategy'?); allowed keys: version, name, providers, \
            default_latency_ms, filters, strategy, rules, breaker, outliers, retry, rate_limits, tenants, budgets, \
            fallbacks, costs, quality
            """)
        #expect(Self.message(Self.pool + "breaker:\n  window: 10\n  windw: 20\n") == """
            p.yaml:5: breaker: unknown key 'windw' (did you mean 'window'?); allowed keys: consecutive_failures, \
            failure_rate, window, time_window, minimum_requests, open, max_open, backoff_multiplier, \
            half_open_probes, slow_start, slow_start_initial_share
            """)
        #expect(Self.message(Self.pool + "rules:\n  - name: a\n    reason: b\n    match: {tennant: x}\n    route: [openai]\n")
            == """
            p.yaml:6: rules[0].match: unknown key 'tennant' (did you mean 'tenant'?); allowed keys: tenant, \
            operation, model_family, resource, region, budget_tag, tag, prompt_tokens_over, prompt_tokens_at_most, \
            compliance, capability, hours
            """)
    }

    @Test func syntaxErrorNamesTheLine() throws {
        let error = try #require(Self.failure("version: 1\nproviders: [openai\nname: x\n"))
        #expect(error.line == 3)
        #expect(error.description
            == "p.yaml:3: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 2)")
        let tab = try #require(Self.failure(Self.pool + "breaker:\n\twindow: 2\n"))
        #expect(tab.line == 4)
        #expect(tab.description == "p.yaml:4: YAML syntax error: a tab indents this line; YAML indents with spaces only")
        let repeated = try #require(Self.failure(Self.pool + "name: a\nname: b\n"))
        #expect(repeated.description
            == "p.yaml:3: YAML syntax error: key 'name' is repeated in the same mapping (first occurrence on this line)")
    }

    @Test func versionProvidersAndEmptyDocuments() {
        #expect(Self.message("") == "p.yaml:1: the policy is empty (it needs at least version and providers)")
        #expect(Self.message("# only a comment\n") == "p.yaml:1: the policy is empty (it needs at least version and providers)")
        #expect(Self.message("providers: [openai]\n") == "p.yaml:1: missing required field 'version'")
        #expect(Self.message("version: 2\nproviders: [openai]\n") == "p.yaml:1: version: expected policy version 1, found '2'")
        #expect(Self.message("version: 1\n") == "p.yaml:1: missing required field 'providers'")
        #expect(Self.message("version: 1\nproviders: []\n") == "p.yaml:2: providers: the policy must list at least one provider")
        #expect(Self.message("version: 1\nproviders: openai\n") == "p.yaml:2: providers: expected a list, found 'openai'")
        #expect(Self.message("- a\n") == "p.yaml:1: expected a policy (a mapping with keys version, providers, ...), found a list")
    }

    @Test func wrongTypeForBool() {
        #expect(Self.message(Self.pool + "filters: {health: yes}\n")
            == "p.yaml:3: filters.health: expected true or false, found 'yes'")
        #expect(Self.message(Self.pool + "outliers:\n  enabled: \"true\"\n")
            == "p.yaml:4: outliers.enabled: expected true or false, found the quoted text 'true'")
        #expect(Self.message(Self.pool + "filters:\n  quota: 1\n") == "p.yaml:4: filters.quota: expected true or false, found '1'")
    }

    @Test func wrongTypeForIntegerAndNumber() {
        #expect(Self.message(Self.pool + "breaker: {window: 1.5}\n") == "p.yaml:3: breaker.window: expected a whole number, found '1.5'")
        #expect(Self.message(Self.pool + "retry: {max_attempts: yes}\n")
            == "p.yaml:3: retry.max_attempts: expected a whole number, found 'yes'")
        #expect(Self.message(Self.pool + "retry: {max_attempts: \"3\"}\n")
            == "p.yaml:3: retry.max_attempts: expected a whole number, found the quoted text '3'")
        #expect(Self.message(Self.pool + "quality: {openai: high}\n") == "p.yaml:3: quality.openai: expected a number, found 'high'")
        #expect(Self.message(Self.pool + "quality: {openai: .inf}\n")
            == "p.yaml:3: quality.openai: must be a finite number, found .inf")
        #expect(Self.message(Self.pool + "default_latency_ms: .nan\n")
            == "p.yaml:3: default_latency_ms: must be a finite number, found .nan")
        #expect(Self.message(Self.pool + "rules: {name: x}\n") == "p.yaml:3: rules: expected a list, found a mapping")
    }

    // MARK: - Errors: durations, hours, amounts

    @Test func badDuration() {
        #expect(Self.message(Self.pool + "breaker:\n  open: 5 sec\n")
            == "p.yaml:4: breaker.open: '5 sec' is not a duration: unknown unit 'sec' (use us, ms, s, m, h or d)")
        #expect(Self.message(Self.pool + "retry:\n  base_backoff: 1.5us\n")
            == "p.yaml:4: retry.base_backoff: '1.5us' is not a duration: not a whole number of microseconds")
        #expect(Self.message(Self.pool + "outliers:\n  interval: soon\n") == """
            p.yaml:4: outliers.interval: 'soon' is not a duration: expected a number followed by a unit \
            (us, ms, s, m, h or d), for example 250ms, 1.5s or 5m
            """)
        #expect(Self.message(Self.pool + "outliers:\n  interval: true\n")
            == "p.yaml:4: outliers.interval: expected a duration such as 250ms, 1.5s or 5m, found 'true'")
    }

    @Test func durationMissingUnit() {
        #expect(Self.message(Self.pool + "breaker:\n  open: 5\n")
            == "p.yaml:4: breaker.open: the duration '5' has no unit; add one of us, ms, s, m, h, d (for example '5s')")
        #expect(Self.message(Self.pool + "breaker:\n  slow_start: 2.5\n")
            == "p.yaml:4: breaker.slow_start: the duration '2.5' has no unit; add one of us, ms, s, m, h, d (for example '2.5s')")
        #expect(Self.message(Self.pool + "breaker:\n  slow_start: \"30\"\n")
            == "p.yaml:4: breaker.slow_start: the duration '30' has no unit; add one of us, ms, s, m, h, d (for example '30s')")
    }

    @Test func hoursMalformed() {
        func hours(_ text: String) -> String? {
            Self.message(Self.pool + "rules:\n  - name: a\n    reason: b\n    match: {hours: \"\(text)\"}\n    route: [openai]\n")
        }
        let tail = " (write HH:MM-HH:MM, for example \"22:00-06:00\")"
        #expect(hours("25:00-06:00")
            == "p.yaml:6: rules[0].match.hours: '25:00-06:00' is not a UTC time range: '25:00' is past 23:59 (24:00 may only end a range)" + tail)
        #expect(hours("2200-0600")
            == "p.yaml:6: rules[0].match.hours: '2200-0600' is not a UTC time range: '2200' is not a time HH:MM" + tail)
        #expect(hours("22:00")
            == "p.yaml:6: rules[0].match.hours: '22:00' is not a UTC time range: expected a start and an end separated by '-'" + tail)
        #expect(hours("08:00-08:00") == """
            p.yaml:6: rules[0].match.hours: '08:00-08:00' is not a UTC time range: the start and end are the same time \
            (leave hours out to match all day)
            """ + tail)
        #expect(hours("08:60-09:00")
            == "p.yaml:6: rules[0].match.hours: '08:60-09:00' is not a UTC time range: '08:60' has more than 59 minutes" + tail)
        #expect(hours("24:00-06:00")
            == "p.yaml:6: rules[0].match.hours: '24:00-06:00' is not a UTC time range: '24:00' is past 23:59 (24:00 may only end a range)" + tail)
        #expect(hours("08:00 - 17:30") == nil)
    }

    @Test func moneyWithFloatDriftAndBadAmounts() {
        #expect(Self.message(Self.pool + "costs:\n  openai: {input_per_mtok: \"2,50\"}\n") == """
            p.yaml:4: costs.openai.input_per_mtok: '2,50' is not an exact decimal amount: write a decimal \
            number, such as "2.50", "0.000003" or "3e-6"
            """)
        #expect(Self.message(Self.pool + "costs:\n  openai: {per_request: 0.0000000000000000000000001}\n")
            == "p.yaml:4: costs.openai.per_request: '0.0000000000000000000000001' is not an exact decimal amount: more than 24 decimal places")
        #expect(Self.message(Self.pool + "budgets:\n  research: {limit: [1], per: day}\n")
            == "p.yaml:4: budgets.research.limit: expected an amount such as \"2.50\", found a list")
    }

    @Test func negativeCost() {
        #expect(Self.message(Self.pool + "costs:\n  openai: {input_per_mtok: 1}\n  cohere:\n    output_per_mtok: -0.5\n")
            == "p.yaml:6: costs.cohere.output_per_mtok: must be at least 0, found -0.5")
        // A price the simulator's exact sums cannot hold (it trapped them) is refused.
        #expect(Self.message(Self.pool + "costs:\n  openai: {input_per_mtok: \"170000000000000\"}\n")
            == "p.yaml:4: costs.openai.input_per_mtok: must be at most 10000 (USD), found 170000000000000")
        #expect(Self.failure(Self.pool + "costs:\n  openai: {input_per_mtok: 10000, per_request: \"10000\"}\n") == nil)
        #expect(Self.message(Self.pool + "budgets:\n  research: {limit: \"0\", per: day}\n")
            == "p.yaml:4: budgets.research.limit: must be greater than 0, found 0")
    }

    // MARK: - Errors: providers

    @Test func unknownProviderWithSuggestion() {
        #expect(Self.message("version: 1\nproviders: [openai, antropic]\n")
            == "p.yaml:2: providers[1]: 'antropic' is not a provider in the catalog (did you mean 'anthropic'?)")
        let known = Catalog.default.providers.map(\.id).joined(separator: ", ")
        #expect(Self.message("version: 1\nproviders:\n  - openai\n  - mistral\n")
            == "p.yaml:4: providers[1]: 'mistral' is not a provider in the catalog (known providers: \(known))")
        #expect(Self.message("version: 1\nproviders: [openai, cohere, openai]\n")
            == "p.yaml:2: providers[2]: duplicate provider 'openai' (first at providers[0], line 2)")
    }

    @Test func providerNotInPoolInARule() {
        let rule = "rules:\n  - name: a\n    reason: b\n    route: [openai, gitea]\n"
        #expect(Self.message(Self.pool + rule) == """
            p.yaml:6: rules[0].route[1]: 'gitea' is not one of the policy's providers (openai, anthropic, cohere, \
            ollama); add it to providers to route to it
            """)
        #expect(Self.message(Self.pool + "rules:\n  - name: a\n    reason: b\n    exclude:\n      - olama\n")
            == "p.yaml:7: rules[0].exclude[0]: 'olama' is not one of the policy's providers (did you mean 'ollama'?)")
        #expect(Self.message(Self.pool + "rules:\n  - name: a\n    reason: b\n    route: [openai, openai]\n")
            == "p.yaml:6: rules[0].route[1]: duplicate provider 'openai' (first at rules[0].route[0], line 6)")
    }

    @Test func providerNotInPoolElsewhere() {
        #expect(Self.message(Self.pool + "strategy: {kind: weighted, weights: {openai: 1, cohre: 2}}\n")
            == "p.yaml:3: strategy.weights.cohre: 'cohre' is not one of the policy's providers (did you mean 'cohere'?)")
        #expect(Self.message(Self.pool + "rate_limits:\n  github: []\n")
            == "p.yaml:4: rate_limits.github: 'github' is not one of the policy's providers (openai, anthropic, cohere, ollama); add it to providers to route to it")
        #expect(Self.message(Self.pool + "tenants:\n  acme: {allow: [openai, antropic]}\n")
            == "p.yaml:4: tenants.acme.allow[1]: 'antropic' is not one of the policy's providers (did you mean 'anthropic'?)")
        #expect(Self.message(Self.pool + "fallbacks:\n  openai: [cohere]\n  anthropic: [gemini]\n")
            == "p.yaml:5: fallbacks.anthropic[0]: 'gemini' is not one of the policy's providers (openai, anthropic, cohere, ollama); add it to providers to route to it")
        #expect(Self.message(Self.pool + "costs:\n  openia: {per_request: 1}\n")
            == "p.yaml:4: costs.openia: 'openia' is not one of the policy's providers (did you mean 'openai'?)")
        #expect(Self.message(Self.pool + "quality:\n  openai: 0.9\n  olama: 0.5\n")
            == "p.yaml:5: quality.olama: 'olama' is not one of the policy's providers (did you mean 'ollama'?)")
    }

    // MARK: - Errors: ranges and conflicts

    @Test func breakerWindowOutOfRange() {
        #expect(Self.message(Self.pool + "breaker:\n  window: 65\n") == "p.yaml:4: breaker.window: must be in 1...64, found 65")
        #expect(Self.message(Self.pool + "breaker:\n  window: 0\n") == "p.yaml:4: breaker.window: must be in 1...64, found 0")
        #expect(Self.message(Self.pool + "breaker: {time_window: 5us}\n")
            == "p.yaml:3: breaker.time_window: must be at least 10us, found 5us")
        #expect(Self.message(Self.pool + "breaker: {slow_start_initial_share: 1.5}\n")
            == "p.yaml:3: breaker.slow_start_initial_share: must be in 0...1, found 1.5")
        #expect(Self.message(Self.pool + "breaker: {half_open_probes: 0}\n")
            == "p.yaml:3: breaker.half_open_probes: must be at least 1, found 0")
    }

    @Test func maxOpenBelowOpen() {
        #expect(Self.message(Self.pool + "breaker:\n  open: 10s\n  max_open: 5s\n")
            == "p.yaml:5: breaker.max_open: must be at least open (10s), found 5s")
        #expect(Self.message(Self.pool + "breaker:\n  open: 10m\n")
            == "p.yaml:3: breaker.max_open: must be at least open (10m), found 5m")
        #expect(Self.message(Self.pool + "outliers:\n  base_ejection: 1m\n  max_ejection: 30s\n")
            == "p.yaml:5: outliers.max_ejection: must be at least base_ejection (1m), found 30s")
        #expect(Self.message(Self.pool + "retry:\n  base_backoff: 2s\n  max_backoff: 1500ms\n")
            == "p.yaml:5: retry.max_backoff: must be at least base_backoff (2s), found 1500ms")
    }

    /// A billion attempts was a request retried for as long as it kept failing; 10 is the bound.
    @Test func maxAttemptsHasAnUpperBound() throws {
        #expect(Self.message(Self.pool + "retry:\n  on: [error]\n  max_attempts: 1000000000\n")
            == "p.yaml:5: retry.max_attempts: must be at most 10 (it counts the first attempt), found 1000000000")
        #expect(Self.message(Self.pool + "retry: {max_attempts: 11}\n")
            == "p.yaml:3: retry.max_attempts: must be at most 10 (it counts the first attempt), found 11")
        #expect(try Self.parse(Self.pool + "retry: {max_attempts: 10}\n").retry.maxAttempts == 10)
        // A policy built in code is held to the same bound.
        var policy = try Self.parse(Self.pool)
        policy.retry.maxAttempts = 1_000_000_000
        #expect(throws: YAMLError.self) { try policy.validate(catalog: .default) }
    }

    @Test func otherRanges() {
        #expect(Self.message(Self.pool + "default_latency_ms: 0\n")
            == "p.yaml:3: default_latency_ms: must be greater than 0 and at most 86400000 (a day), found 0")
        // Past these every tail latency, or every model_utility score, was infinite or NaN.
        #expect(Self.message(Self.pool + "default_latency_ms: 1e308\n")
            == "p.yaml:3: default_latency_ms: must be greater than 0 and at most 86400000 (a day), found 1e+308")
        #expect(Self.message(Self.pool + "strategy: {kind: model_utility, mu: 1e308}\n")
            == "p.yaml:3: strategy.mu: must be from 0 to 1000000 (per second), found 1e+308")
        #expect(Self.message(Self.pool + "outliers: {minimum_peers: 1}\n") == "p.yaml:3: outliers.minimum_peers: must be at least 2, found 1")
        #expect(Self.message(Self.pool + "outliers: {interval: 0s}\n") == "p.yaml:3: outliers.interval: must be greater than 0s, found 0s")
        #expect(Self.message(Self.pool + "retry: {max_attempts: 0}\n")
            == "p.yaml:3: retry.max_attempts: must be at least 1 (it counts the first attempt), found 0")
        #expect(Self.message(Self.pool + "retry: {multiplier: 0.5}\n") == "p.yaml:3: retry.multiplier: must be a finite number at least 1, found 0.5")
        #expect(Self.message(Self.pool + "retry: {budget: {ratio: 11}}\n") == "p.yaml:3: retry.budget.ratio: must be in 0...10, found 11")
        #expect(Self.message(Self.pool + "quality: {openai: 1.2}\n") == "p.yaml:3: quality.openai: must be in 0...1, found 1.2")
        #expect(Self.message(Self.pool + "strategy: {kind: latency_ewma, alpha: 0}\n") == "p.yaml:3: strategy.alpha: must be in (0, 1], found 0")
        #expect(Self.message(Self.pool + "strategy: {kind: model_utility, adapt: 2}\n") == "p.yaml:3: strategy.adapt: must be in [0, 1] (0: off), found 2")
        #expect(Self.message(Self.pool + "strategy: {kind: model_utility, adapt_half_life: 0s}\n")
                == "p.yaml:3: strategy.adapt_half_life: must be a duration above 0, found 0 µs")
        #expect(Self.message(Self.pool + "strategy: {kind: model_utility, lambda: -1}\n")
            == "p.yaml:3: strategy.lambda: must be from 0 to 1000000 (per dollar), found -1")
        #expect(Self.message(Self.pool + "rate_limits:\n  openai: [{requests: 0, per: hour}]\n")
            == "p.yaml:4: rate_limits.openai[0].requests: must be greater than 0, found 0")
        #expect(Self.message(Self.pool + "tenants:\n  acme:\n    quota: {requests: -3, per: hour}\n")
            == "p.yaml:5: tenants.acme.quota.requests: must be greater than 0, found -3")
        #expect(Self.message(Self.pool + "strategy: {kind: weighted, weights: {openai: 0}}\n")
            == "p.yaml:3: strategy.weights: at least one provider needs a weight above 0")
    }

    @Test func parameterForTheWrongStrategy() {
        #expect(Self.message(Self.pool + "strategy:\n  kind: round_robin\n  weights: {openai: 1}\n")
            == "p.yaml:5: strategy.weights: 'weights' does not apply to strategy 'round_robin' (round_robin takes no parameters)")
        #expect(Self.message(Self.pool + "strategy:\n  lambda: 3\n  kind: latency_ewma\n")
            == "p.yaml:4: strategy.lambda: 'lambda' does not apply to strategy 'latency_ewma' (latency_ewma takes alpha, buffer)")
        #expect(Self.message(Self.pool + "strategy: {kind: round-robin}\n") == """
            p.yaml:3: strategy.kind: 'round-robin' is not a strategy kind (did you mean 'round_robin'?); expected one of \
            round_robin, weighted, least_connections, p2c, latency_ewma, cost_first, model_utility
            """)
        #expect(Self.message(Self.pool + "strategy: weighted\n") == "p.yaml:3: strategy: missing required field 'weights'")
        #expect(Self.message(Self.pool + "strategy: {kind: weighted}\n") == "p.yaml:3: strategy: missing required field 'weights'")
        #expect(Self.message(Self.pool + "strategy: {lambda: 1}\n") == "p.yaml:3: strategy: missing required field 'kind'")
    }

    @Test func duplicateRuleName() {
        let yaml = Self.pool + """
            rules:
              - name: pin
                reason: one
                route: [openai]
              - name: pin
                reason: two
                route: [ollama]
            """
        #expect(Self.message(yaml) == "p.yaml:7: rules[1].name: duplicate rule name 'pin' (first at rules[0].name, line 4)")
    }

    @Test func ruleShapeErrors() {
        #expect(Self.message(Self.pool + "rules:\n  - name: a\n    reason: b\n")
            == "p.yaml:4: rules[0]: rule 'a' needs a non-empty route or exclude")
        #expect(Self.message(Self.pool + "rules:\n  - name: a\n    route: [openai]\n")
            == "p.yaml:4: rules[0]: missing required field 'reason'")
        #expect(Self.message(Self.pool + "rules:\n  - name: a\n    reason: \"  \"\n    route: [openai]\n")
            == "p.yaml:5: rules[0].reason: must not be empty")
        #expect(Self.message(Self.pool + "rules:\n  - {name: a, reason: b, route: [openai], mode: first}\n")
            == "p.yaml:4: rules[0].mode: 'first' is not a rule mode; expected one of only, prefer")
        #expect(Self.message(Self.pool + "rules:\n  - {name: a, reason: b, route: [openai], exclude: [openai]}\n")
            == "p.yaml:4: rules[0].exclude[0]: 'openai' is both routed to and excluded by rule 'a'")
        #expect(Self.message(Self.pool + "rules:\n  - {name: a, reason: b, route: [openai], match: {compliance: [hipa]}}\n")
            == "p.yaml:4: rules[0].match.compliance[0]: 'hipa' is not a compliance tag (did you mean 'hipaa'?); expected one of gdpr, hipaa, soc2, fedramp")
        #expect(Self.message(Self.pool + "rules:\n  - {name: a, reason: b, route: [openai], match: {prompt_tokens_over: 1.5}}\n")
            == "p.yaml:4: rules[0].match.prompt_tokens_over: expected a whole number, found '1.5'")
        #expect(Self.message(Self.pool + "rules:\n  - {name: a, reason: b, route: [openai], match: {prompt_tokens_over: 10, prompt_tokens_at_most: 10}}\n")
            == "p.yaml:4: rules[0].match.prompt_tokens_at_most: 10 is not above prompt_tokens_over (10), so the rule never matches")
    }

    @Test func tenantAllowAndDenyOverlap() {
        #expect(Self.message(Self.pool + "tenants:\n  acme:\n    allow: [openai, cohere]\n    deny: [cohere]\n")
            == "p.yaml:6: tenants.acme.deny[0]: 'cohere' is both allowed and denied for tenant 'acme'")
        #expect(Self.message(Self.pool + "tenants:\n  acme: {quota: {requests: 5, per: hourly}}\n")
            == "p.yaml:4: tenants.acme.quota.per: 'hourly' is not a period (did you mean 'hour'?); expected one of second, minute, hour, day")
        #expect(Self.message(Self.pool + "tenants:\n  acme: {quota: {requests: 5, per: hour, scope: x}}\n")
            == "p.yaml:4: tenants.acme.quota: unknown key 'scope'; allowed keys: requests, per")
    }

    @Test func fallbackErrors() {
        #expect(Self.message(Self.pool + "fallbacks:\n  openai: [anthropic, openai]\n")
            == "p.yaml:4: fallbacks.openai[1]: 'openai' cannot fall back to itself")
        #expect(Self.message(Self.pool + "fallbacks:\n  openai: [anthropic, anthropic]\n")
            == "p.yaml:4: fallbacks.openai[1]: duplicate provider 'anthropic' (first at fallbacks.openai[0], line 4)")
        #expect(Self.message(Self.pool + "retry: {on: [timeout, 5xx]}\n")
            == "p.yaml:3: retry.on[1]: '5xx' is not a retry outcome; expected one of timeout, error, rate_limited")
    }

    @Test func errorAccessors() throws {
        let error = try #require(Self.failure(Self.pool + "breaker:\n  window: 65\n"))
        #expect(error == YAMLError(source: "p.yaml", line: 4, path: "breaker.window", .outOfRange(expected: "in 1...64", found: "65")))
        #expect(error.source == "p.yaml")
        #expect(error.line == 4)
        #expect(error.path == "breaker.window")
        #expect(YAMLError.unreadableFile(path: "x.yaml", document: "policy", reason: "no such file").line == nil)
        #expect(YAMLError.unreadableFile(path: "x.yaml", document: "policy", reason: "no such file").description
            == "x.yaml: cannot read the policy: no such file")
    }

    // MARK: - validate(catalog:) on policies built in code

    @Test func validateCodeBuiltPolicyWithABadID() {
        let rule = RoutingRule(name: "r", reason: "why", match: RuleMatch(), action: RuleAction(route: ["ollama"]))
        let policy = RoutingPolicy(name: "code", providers: ["openai", "anthropic"], rules: [rule])
        #expect(throws: YAMLError(
            source: "code", line: 0, path: "rules[0].route[0]", .providerNotInPool("ollama", pool: ["openai", "anthropic"]))) {
            try policy.validate(catalog: .default)
        }
        do {
            try policy.validate(catalog: .default)
        } catch {
            #expect(error.description
                == "code:0: rules[0].route[0]: 'ollama' is not one of the policy's providers (openai, anthropic); add it to providers to route to it")
        }

        let unknown = RoutingPolicy(name: "code", providers: ["openai", "opena1"])
        #expect(throws: YAMLError(
            source: "code", line: 0, path: "providers[1]", .unknownProvider("opena1", known: Catalog.default.providers.map(\.id)))) {
            try unknown.validate(catalog: .default)
        }

        var costs = RoutingPolicy(name: "code", providers: ["openai"], costs: ["cohere": ProviderCost()])
        #expect(throws: YAMLError.self) { try costs.validate(catalog: .default) }
        costs.costs = ["openai": ProviderCost(perRequest: Money(whole: -1))]
        #expect(throws: YAMLError(
            source: "code", line: 0, path: "costs.openai.per_request", .outOfRange(expected: "at least 0", found: "-1"))) {
            try costs.validate(catalog: .default)
        }
    }

    @Test func validateCatchesValuesThatWouldTrap() {
        var policy = RoutingPolicy(name: "code", providers: ["openai"])
        #expect(throws: Never.self) { try policy.validate(catalog: .default) }
        policy.breaker.windowSize = 65
        #expect(throws: YAMLError(
            source: "code", line: 0, path: "breaker.window", .outOfRange(expected: "in 1...64", found: "65"))) {
            try policy.validate(catalog: .default)
        }
        policy.breaker.windowSize = 20
        policy.retry.maxBackoff = 0
        #expect(throws: YAMLError(
            source: "code", line: 0, path: "retry.max_backoff", .outOfRange(expected: "at least base_backoff (100ms)", found: "0s"))) {
            try policy.validate(catalog: .default)
        }
        policy.retry.maxBackoff = 10 * Self.s
        policy.tenants = ["t": TenantPolicy(allow: ["openai"], deny: ["openai"])]
        #expect(throws: YAMLError(
            source: "code", line: 0, path: "tenants.t.deny[0]", .invalid("'openai' is both allowed and denied for tenant 't'"))) {
            try policy.validate(catalog: .default)
        }
        policy.tenants = [:]
        policy.rules = [RoutingRule(name: "h", reason: "x", match: RuleMatch(hours: MinuteRange(start: 1500, end: 10)),
                                    action: RuleAction(route: ["openai"]))]
        #expect(throws: YAMLError.self) { try policy.validate(catalog: .default) }
    }
}
