import Foundation
import MosaicCore
@testable import MosaicSim
import MosaicTestSupport
import Testing

@Suite("ScenarioFile")
struct ScenarioFileTests {
    /// Six lines: a minimal valid scenario; tests append from line 7.
    static let head = """
        version: 1
        duration: 1h
        traffic: {kind: poisson, rate: 5}
        providers:
          - {id: openai, concurrency: 4, service: {kind: exponential, mean: 1s}}
          - {id: anthropic, concurrency: 4, service: {kind: exponential, mean: 1s}}

        """

    /// A scenario with `traffic` replaced (lines 1-2, then the traffic from line 3, then providers).
    static func with(traffic: String) -> String {
        "version: 1\nduration: 1h\n" + traffic + "providers:\n  - {id: openai, concurrency: 4, service: {kind: model, fallback: 1s}}\n"
    }

    /// The description of the error `yaml` throws (nil when it parses).
    static func message(_ yaml: String) -> String? {
        do {
            _ = try Scenario(yaml: yaml, source: "s.yaml", catalog: .default)
            return nil
        } catch {
            return error.description
        }
    }

    static func parse(_ yaml: String) throws -> Scenario {
        try Scenario(yaml: yaml, source: "s.yaml", catalog: .default)
    }

    static let hour = 3600.0

    /// ``head`` with the second provider's service replaced.
    static func anthropicService(_ service: String) -> String {
        head.replacingOccurrences(of: "id: anthropic, concurrency: 4, service: {kind: exponential, mean: 1s}",
                                  with: "id: anthropic, concurrency: 4, service: \(service)")
    }

    // MARK: - Example and defaults

    @Test func exampleParsesWithTheDefaultCatalog() throws {
        let s = try Scenario(yaml: Scenario.exampleYAML, source: "example.yaml", catalog: .default)
        #expect(s.name == "anthropic-outage-at-peak")
        #expect(s.seed == 42)
        #expect(s.start == Timestamp.parse("2026-10-12T00:00:00Z"))
        #expect(s.duration == 24 * Self.hour)
        #expect(s.warmup == 600)
        #expect(s.replications == 20)
        #expect(s.seriesInterval == 60)
        #expect(s.source == "example.yaml")
        guard case .poisson(let rate, let profile, let bursts) = s.traffic else {
            Issue.record("expected poisson traffic, got \(s.traffic)")
            return
        }
        #expect(rate == 20)
        let p = try #require(profile)
        #expect(p.count == 24)
        #expect(p.firstIndex(of: p.max()!) == 13)  // the peak is mid-day UTC
        #expect(p[2] < p[13] / 5)
        #expect(bursts == TrafficSpec.Bursts(factor: 3, meanDuration: 300, every: 7200))

        #expect(s.mix.tenants == ["acme": 0.6, "globex": 0.4])
        #expect(s.mix.operations == ["chat": 0.8, "embed": 0.2])
        #expect(s.mix.modelFamily == "gpt-4o")
        #expect(s.mix.promptTokens == LogNormal(median: 1500, sigma: 1))
        #expect(s.mix.outputTokens == LogNormal(median: 300, sigma: 0.8))
        #expect(s.mix.tags == ["strict-privacy": 0.05])
        #expect(s.mix.compliance == [.hipaa: 0.02])
        #expect(s.mix.sloMs == 20_000)
        #expect(s.mix.budgetTag == nil)

        #expect(s.providers == [
            ProviderSpec(id: "openai", concurrency: 64, service: .lognormal(medianMs: 2200, sigma: 0.6), errorRate: 0.01),
            ProviderSpec(id: "anthropic", concurrency: 48, service: .lognormal(medianMs: 3100, sigma: 0.5),
                         errorRate: 0.015),
            ProviderSpec(id: "cohere", concurrency: 16, service: .lognormal(medianMs: 2500, sigma: 0.5), errorRate: 0.02),
            ProviderSpec(id: "ollama", concurrency: 8, queueLimit: 200, service: .lognormal(medianMs: 3500, sigma: 0.7),
                         errorRate: 0.01),
        ])
        #expect(s.events == [ScenarioEvent(kind: .outage, provider: "anthropic", start: 14 * Self.hour, duration: 2 * Self.hour)])
        #expect(s.client == ClientSpec(policyPath: nil, modelPath: nil, timeout: 30, failover: true))
        #expect(s.cache == .hitRatio(ratio: 0.2, latencyMs: 5))
        try s.validate(catalog: .default)
    }

    @Test func minimalScenarioGetsTheDefaults() throws {
        let s = try Self.parse(Self.head)
        let expected = Scenario(
            start: Timestamp.parse("2026-01-05T00:00:00Z")!, duration: 3600,
            traffic: .poisson(rate: 5, profile: nil, bursts: nil),
            providers: [
                ProviderSpec(id: "openai", concurrency: 4, service: .exponential(meanMs: 1000)),
                ProviderSpec(id: "anthropic", concurrency: 4, service: .exponential(meanMs: 1000)),
            ],
            source: "s.yaml")
        #expect(s == expected)
        #expect(s.name == "scenario")
        #expect(s.seed == 1)
        #expect(s.replications == 10)
        #expect(s.seriesInterval == 60)
        #expect(s.warmup == 0)
        #expect(s.mix == RequestMix())
        #expect(s.client == ClientSpec())
        #expect(s.cache == nil)
    }

    @Test func eachTrafficKindParses() throws {
        #expect(try Self.parse(Self.with(traffic: "traffic: {kind: poisson, rate: 2.5}\n")).traffic
            == .poisson(rate: 2.5, profile: nil, bursts: nil))
        #expect(try Self.parse(Self.with(traffic: "traffic: replay\n")).traffic
            == .replay(from: nil, to: nil, timeScale: 1, sample: 1))
        let replay = "traffic:\n  kind: replay\n  from: 2026-03-01\n  to: 2026-03-02T12:00:00Z\n  time_scale: 2\n  sample: 0.5\n"
        #expect(try Self.parse(Self.with(traffic: replay)).traffic
            == .replay(from: Timestamp.parse("2026-03-01"), to: Timestamp.parse("2026-03-02T12:00:00Z"), timeScale: 2,
                       sample: 0.5))
        let trace = "traffic: {kind: trace, path: traces/azure.csv, format: azure-trace, sample: 0.1}\n"
        #expect(try Self.parse(Self.with(traffic: trace)).traffic
            == .trace(path: "traces/azure.csv", format: "azure-trace", timeScale: 1, sample: 0.1))
        #expect(try Self.parse(Self.with(traffic: "traffic: {kind: trace, path: /data/log.jsonl}\n")).traffic
            == .trace(path: "/data/log.jsonl", format: nil, timeScale: 1, sample: 1))
        let loadModel = "traffic: {kind: load_model, path: models/load.json, series: [openai, anthropic], scale: 1.5}\n"
        #expect(try Self.parse(Self.with(traffic: loadModel)).traffic
            == .loadModel(path: "models/load.json", series: ["openai", "anthropic"], scale: 1.5))
        #expect(try Self.parse(Self.with(traffic: "traffic: {kind: load_model, path: m.json}\n")).traffic
            == .loadModel(path: "m.json", series: nil, scale: 1))
    }

    @Test func otherSectionsParse() throws {
        let yaml = Self.head.replacingOccurrences(of: "duration: 1h", with: "duration: 1d") + """
            events:
              - {kind: degradation, provider: openai, start: 10h, duration: 1h, latency_factor: 3, error_rate: 0.2}
              - {kind: regional_outage, region: us, start: 3h, duration: 30m}
              - {kind: price_change, provider: openai, start: 12h, factor: 1.3}
              - {kind: outage, provider: openai, start: 20h}
            cache: {kind: lru, capacity: 1000, ttl: 10m, key_space: 50000}
            client: {policy: policy.yaml, model: models/router-demo.json, timeout: 1.5s, failover: false}

            """
        let s = try Self.parse(yaml)
        #expect(s.events == [
            ScenarioEvent(kind: .degradation(latencyFactor: 3, errorRate: 0.2), provider: "openai", start: 36_000,
                          duration: 3600),
            ScenarioEvent(kind: .regionalOutage(region: "us"), provider: nil, start: 10_800, duration: 1800),
            ScenarioEvent(kind: .priceChange(factor: 1.3), provider: "openai", start: 43_200, duration: nil),
            ScenarioEvent(kind: .outage, provider: "openai", start: 72_000, duration: nil),
        ])
        #expect(s.cache == .lru(capacity: 1000, ttl: 600, keySpace: 50_000, zipfS: 1, latencyMs: 5))
        #expect(s.client == ClientSpec(policyPath: "policy.yaml", modelPath: "models/router-demo.json", timeout: 1.5,
                                       failover: false))
        let services = """
            version: 1
            duration: 1h
            traffic: {kind: poisson, rate: 5}
            providers:
              - {id: openai, concurrency: 1, service: {kind: empirical, quantiles: [100, 250, 250, 4000]}, regions: [eu]}
              - {id: anthropic, concurrency: 1, queue_limit: 0, service: from_store}
              - {id: cohere, concurrency: 1, service: {kind: model, fallback: 2s}}
              - {id: ollama, concurrency: 1, service: {kind: lognormal, median: 800ms}}

            """
        let p = try Self.parse(services).providers
        #expect(p.map(\.service) == [
            .empirical(quantilesMs: [100, 250, 250, 4000]), .fromStore, .model(fallbackMs: 2000),
            .lognormal(medianMs: 800, sigma: 0.5),
        ])
        #expect(p[0].regions == ["eu"])
        #expect(p[1].queueLimit == 0)
    }

    @Test func durationsTakeUnitsExactly() throws {
        func duration(_ text: String) throws -> Double { try Self.parse(Self.head.replacingOccurrences(of: "1h", with: text)).duration }
        #expect(try duration("250ms") == 0.25)
        // series_interval defaults to 1m, or the duration when that is shorter.
        #expect(try Self.parse(Self.head.replacingOccurrences(of: "1h", with: "250ms")).seriesInterval == 0.25)
        #expect(try duration("1.5s") == 1.5)
        #expect(try duration("90m") == 5400)
        #expect(try duration("2d") == 172_800)
        #expect(try duration("0.5d") == 43_200)
        #expect(try duration("1500us") == 0.0015)
        #expect(try duration("1 h") == 3600)
        #expect(Self.message(Self.head.replacingOccurrences(of: "1h", with: "1.0000005s"))
            == "s.yaml:2: duration: '1.0000005s' is not a duration: not a whole number of microseconds")
        #expect(Self.message(Self.head.replacingOccurrences(of: "1h", with: "2 weeks"))
            == "s.yaml:2: duration: '2 weeks' is not a duration: unknown unit 'weeks' (use us, ms, s, m, h or d)")
        #expect(Self.message(Self.head.replacingOccurrences(of: "1h", with: "0s"))
            == "s.yaml:2: duration: must be greater than 0s, found 0s")
    }

    // MARK: - Errors

    @Test func unknownKeyWithSuggestion() {
        #expect(Self.message(Self.head + "replicatons: 5\n") == """
            s.yaml:7: unknown key 'replicatons' (did you mean 'replications'?); allowed keys: version, name, seed, \
            start, duration, warmup, replications, series_interval, traffic, mix, providers, events, client, cache
            """)
        #expect(Self.message(Self.head + "mix:\n  tenant: {acme: 1}\n") == """
            s.yaml:8: mix: unknown key 'tenant' (did you mean 'tenants'?); allowed keys: tenants, operations, \
            model_family, prompt_tokens, output_tokens, tags, compliance, slo, budget_tag
            """)
        let error = Self.failureOf(Self.head + "replicatons: 5\n")
        #expect(error?.suggestion == "replications")
        #expect(error?.line == 7)
        #expect(error?.path == "")
    }

    static func failureOf(_ yaml: String) -> YAMLError? {
        do {
            _ = try Scenario(yaml: yaml, source: "s.yaml", catalog: .default)
            return nil
        } catch {
            return error
        }
    }

    @Test func unknownProviderWithSuggestion() {
        #expect(Self.message(Self.head + "  - {id: antropic, concurrency: 1, service: from_store}\n")
            == "s.yaml:7: providers[2].id: 'antropic' is not a provider in the catalog (did you mean 'anthropic'?)")
        let known = Catalog.default.providers.map(\.id).joined(separator: ", ")
        #expect(Self.message(Self.head.replacingOccurrences(of: "id: anthropic", with: "id: mistral"))
            == "s.yaml:6: providers[1].id: 'mistral' is not a provider in the catalog (known providers: \(known))")
        #expect(Self.message(Self.head.replacingOccurrences(of: "id: anthropic", with: "id: openai"))
            == "s.yaml:6: providers[1].id: duplicate provider 'openai' (first at providers[0].id, line 5)")
    }

    @Test func durationWithoutUnit() {
        #expect(Self.message(Self.head.replacingOccurrences(of: "duration: 1h", with: "duration: 3600"))
            == "s.yaml:2: duration: the duration '3600' has no unit; add one of us, ms, s, m, h, d (for example '3600s')")
        #expect(Self.message(Self.head + "client: {timeout: 2.5}\n")
            == "s.yaml:7: client.timeout: the duration '2.5' has no unit; add one of us, ms, s, m, h, d (for example '2.5s')")
    }

    @Test func negativeRate() {
        #expect(Self.message(Self.head.replacingOccurrences(of: "rate: 5", with: "rate: -5"))
            == "s.yaml:3: traffic.rate: must be greater than 0 (requests per second), found -5")
    }

    @Test func arrivalsAtThePeakRateAreBounded() {
        // A burst factor of 1e300 once ran forever (the thinning step no longer advanced the clock).
        let bursts = "traffic:\n  kind: poisson\n  rate: 5\n  bursts: {factor: 1e300, mean_duration: 5m, every: 2h}\n"
        #expect(Self.message(Self.with(traffic: bursts))
            == "s.yaml:6: traffic.bursts.factor: must be at most 55555: at most 1000000000 arrivals at the peak rate over the duration (1h), found 1e+300")
        #expect(Self.message(Self.with(traffic: bursts.replacingOccurrences(of: "1e300", with: "55555"))) == nil)
        #expect(Self.message(Self.head.replacingOccurrences(of: "rate: 5", with: "rate: 1e300"))
            == "s.yaml:3: traffic.rate: must be at most 277777 requests/s: at most 1000000000 arrivals at the peak rate over the duration (1h), found 1e+300")
        let profile = "traffic:\n  kind: poisson\n  rate: 5\n  profile: [1e12" + String(repeating: ", 1", count: 23) + "]\n"
        #expect(Self.message(Self.with(traffic: profile))
            == "s.yaml:6: traffic.profile: must be rate × its largest factor at most 277777 requests/s: at most 1000000000 arrivals at the peak rate over the duration (1h), found 5000000000000 requests/s at the factor 1000000000000")
        // The bound is on the whole run: a day at 20/s with bursts ×3 is far inside it.
        #expect(Self.message(Scenario.exampleYAML) == nil)
    }

    @Test func priceChangeFactorIsBounded() {
        // Out of Money's decimal range the factor used to become 1 without a word.
        for factor in ["1e300", "1e-30", "0"] {
            #expect(Self.message(Self.head + "events:\n  - {kind: price_change, provider: openai, start: 10m, factor: \(factor)}\n")?
                .hasPrefix("s.yaml:8: events[0].factor: must be in 0.000001...1000, found ") == true, "\(factor)")
        }
        #expect(Self.message(Self.head + "events:\n  - {kind: price_change, provider: openai, start: 10m, factor: 0.123456789012345}\n") == nil)
    }

    @Test func profileOf23Values() {
        let values = Array(repeating: "1", count: 23).joined(separator: ", ")
        let traffic = "traffic:\n  kind: poisson\n  rate: 5\n  profile: [\(values)]\n"
        #expect(Self.message(Self.with(traffic: traffic))
            == "s.yaml:6: traffic.profile: must be a list of 24 factors (one per UTC hour), found 23 values")
        let zeros = Array(repeating: "0", count: 24).joined(separator: ", ")
        #expect(Self.message(Self.with(traffic: "traffic: {kind: poisson, rate: 5, profile: [\(zeros)]}\n"))
            == "s.yaml:3: traffic.profile: at least one hour needs a factor above 0")
    }

    @Test func concurrencyAndQueueLimitAreBounded() {
        // concurrency + queue_limit overflowed (a crash), and the waiting line is allocated whole.
        #expect(Self.message(Self.head.replacingOccurrences(of: "id: anthropic, concurrency: 4,",
                                                            with: "id: anthropic, concurrency: 4, queue_limit: 9223372036854775807,"))
            == "s.yaml:6: providers[1].queue_limit: must be in 0...1000000, found 9223372036854775807")
        #expect(Self.message(Self.head.replacingOccurrences(of: "id: anthropic, concurrency: 4,", with: "id: anthropic, concurrency: 1000001,"))
            == "s.yaml:6: providers[1].concurrency: must be in 1...1000000, found 1000001")
        #expect(Self.message(Self.head.replacingOccurrences(of: "id: anthropic, concurrency: 4,",
                                                            with: "id: anthropic, concurrency: 1000000, queue_limit: 1000000,")) == nil)
    }

    @Test func concurrencyZero() {
        #expect(Self.message(Self.head.replacingOccurrences(of: "id: anthropic, concurrency: 4", with: "id: anthropic, concurrency: 0"))
            == "s.yaml:6: providers[1].concurrency: must be in 1...1000000, found 0")
    }

    @Test func unknownServiceKind() {
        #expect(Self.message(Self.anthropicService("{kind: lognromal, median: 1s}"))
            == """
            s.yaml:6: providers[1].service.kind: 'lognromal' is not a service kind (did you mean 'lognormal'?); \
            expected one of exponential, lognormal, empirical, model, from_store
            """)
        #expect(Self.message(Self.anthropicService("{kind: exponential, median: 1s}"))
            == "s.yaml:6: providers[1].service.median: 'median' does not apply to service kind 'exponential' (exponential takes mean)")
    }

    @Test func overlappingOutages() {
        let yaml = Self.head.replacingOccurrences(of: "duration: 1h", with: "duration: 1d") + """
            events:
              - kind: outage
                provider: anthropic
                start: 14h
                duration: 2h
              - {kind: outage, provider: openai, start: 15h, duration: 2h}
              - {kind: outage, provider: anthropic, start: 15h, duration: 2h}

            """
        #expect(Self.message(yaml) == """
            s.yaml:13: events[2]: the outage of 'anthropic' from 15h to 17h overlaps the outage of 'anthropic' \
            from 14h to 16h (events[0], line 8); merge them into one outage
            """)
        // Back to back is fine.
        #expect(Self.message(yaml.replacingOccurrences(of: "provider: anthropic, start: 15h", with: "provider: anthropic, start: 16h"))
            == nil)
    }

    @Test func degradationOverlappingOutage() {
        let yaml = Self.head.replacingOccurrences(of: "duration: 1h", with: "duration: 1d") + """
            events:
              - {kind: degradation, provider: openai, start: 10h, duration: 1h, latency_factor: 3}
              - {kind: outage, provider: openai, start: 10h30m}

            """
        // `10h30m` is not a duration; use minutes.
        #expect(Self.message(yaml)
            == "s.yaml:9: events[1].start: '10h30m' is not a duration: unknown unit 'h30m' (use us, ms, s, m, h or d)")
        #expect(Self.message(yaml.replacingOccurrences(of: "10h30m", with: "630m")) == """
            s.yaml:9: events[1]: the outage of 'openai' from 630m to the end overlaps the degradation of 'openai' \
            from 10h to 11h (events[0], line 8); a provider that is down cannot also be degraded; end one before \
            the other starts
            """)
        let prices = Self.head.replacingOccurrences(of: "duration: 1h", with: "duration: 1d") + """
            events:
              - {kind: price_change, provider: openai, start: 1h, factor: 2}
              - {kind: price_change, provider: openai, start: 12h, factor: 0.5}

            """
        #expect(Self.message(prices) == """
            s.yaml:9: events[1]: the price change of 'openai' from 12h to the end overlaps the price change of \
            'openai' from 1h to the end (events[0], line 8); a provider's prices can change by one factor at a time; \
            end one before the next starts
            """)
    }

    @Test func eventForAProviderNotListed() {
        #expect(Self.message(Self.head + "events:\n  - {kind: outage, provider: cohere, start: 10m}\n") == """
            s.yaml:8: events[0].provider: 'cohere' is not one of the scenario's providers (openai, anthropic); \
            add it to providers to simulate it
            """)
        #expect(Self.message(Self.head + "events:\n  - {kind: outage, provider: opena, start: 10m}\n")
            == "s.yaml:8: events[0].provider: 'opena' is not one of the scenario's providers (did you mean 'openai'?)")
        #expect(Self.message(Self.head + "events:\n  - {kind: regional_outage, region: ca, start: 10m}\n")
            == "s.yaml:8: events[0].region: no listed provider serves region 'ca' (regions served: us, eu)")
        #expect(Self.message(Self.head + "events:\n  - {kind: regional_outage, provider: openai, region: us, start: 0s}\n")
            == "s.yaml:8: events[0].provider: 'provider' does not apply to event kind 'regional_outage' (regional_outage takes region, start, duration)")
        #expect(Self.message(Self.head + "events:\n  - {kind: outage, provider: openai, start: 2h}\n")
            == "s.yaml:8: events[0].start: must be less than the scenario's duration (1h), found 2h")
        #expect(Self.message(Self.head + "events:\n  - {kind: degradation, provider: openai, start: 0s}\n")
            == "s.yaml:8: events[0]: the degradation changes nothing; give a latency_factor above 1 or an error_rate")
    }

    @Test func missingTraceFileViaLoad() throws {
        let dir = TemporaryDirectory("scenario")
        let yaml = Self.with(traffic: "traffic: {kind: trace, path: traces/requests.csv, format: csv}\n")
        let file = dir.write("scenario.yaml", yaml)
        #expect(throws: YAMLError(source: file, line: 3, path: "traffic.path",
                                  .missingFile(dir.path + "/traces/requests.csv", reason: "no such file"))) {
            try Scenario.load(path: file, catalog: .default)
        }
        let error = try #require(Self.loadFailure(file))
        #expect(error.description == """
            \(file):3: traffic.path: cannot use '\(dir.path)/traces/requests.csv': no such file \
            (relative paths are relative to the scenario file)
            """)
        // Parsing the text alone checks nothing on disk and keeps the path as written.
        #expect(try Self.parse(yaml).traffic == .trace(path: "traces/requests.csv", format: "csv", timeScale: 1, sample: 1))

        try FileManager.default.createDirectory(atPath: dir.file("traces"), withIntermediateDirectories: true)
        dir.write("traces/requests.csv", "timestamp,provider\n")
        let s = try Scenario.load(path: file, catalog: .default)
        #expect(s.traffic == .trace(path: dir.path + "/traces/requests.csv", format: "csv", timeScale: 1, sample: 1))
        #expect(s.source == file)

        // Client files too; an absolute path stays as written.
        let withClient = dir.write("client.yaml", yaml + "client: {policy: policy.yaml, model: \(dir.path)/traces}\n")
        #expect(Self.loadFailure(withClient)?.description == """
            \(withClient):6: client.policy: cannot use '\(dir.path)/policy.yaml': no such file \
            (relative paths are relative to the scenario file)
            """)
        dir.write("policy.yaml", "version: 1\n")
        #expect(Self.loadFailure(withClient)?.description == """
            \(withClient):6: client.model: cannot use '\(dir.path)/traces': it is a directory, not a file \
            (relative paths are relative to the scenario file)
            """)
        let missing = dir.file("nope.yaml")
        #expect(throws: YAMLError.unreadableFile(path: missing, document: "scenario", reason: "no such file")) {
            try Scenario.load(path: missing, catalog: .default)
        }
        #expect(Self.loadFailure(missing)?.description == "\(missing): cannot read the scenario: no such file")
    }

    static func loadFailure(_ path: String) -> YAMLError? {
        do {
            _ = try Scenario.load(path: path, catalog: .default)
            return nil
        } catch {
            return error
        }
    }

    @Test func parameterOfAnotherTrafficKind() {
        #expect(Self.message(Self.with(traffic: "traffic:\n  kind: replay\n  rate: 5\n")) == """
            s.yaml:5: traffic.rate: 'rate' does not apply to traffic kind 'replay' (replay takes from, to, \
            time_scale, sample)
            """)
        #expect(Self.message(Self.with(traffic: "traffic: {kind: poisson, rate: 5, path: x.csv}\n"))
            == "s.yaml:3: traffic.path: 'path' does not apply to traffic kind 'poisson' (poisson takes rate, profile, bursts)")
        #expect(Self.message(Self.with(traffic: "traffic: {kind: posson, rate: 5}\n")) == """
            s.yaml:3: traffic.kind: 'posson' is not a traffic kind (did you mean 'poisson'?); expected one of \
            poisson, replay, trace, load_model
            """)
        #expect(Self.message(Self.with(traffic: "traffic: {kind: trace, path: a.csv, format: parquet}\n")) == """
            s.yaml:3: traffic.format: 'parquet' is not a trace format; expected one of csv, jsonl, azure-trace, \
            burstgpt, mooncake
            """)
        #expect(Self.message(Self.with(traffic: "traffic: poisson\n"))
            == "s.yaml:3: traffic: missing required field 'rate'")
    }

    @Test func warmupNotBelowDuration() {
        #expect(Self.message(Self.head + "warmup: 1h\n") == "s.yaml:7: warmup: must be less than duration (1h), found 1h")
        #expect(Self.message(Self.head + "warmup: 90m\n") == "s.yaml:7: warmup: must be less than duration (1h), found 90m")
        #expect(Self.message(Self.head + "warmup: -1m\n") == "s.yaml:7: warmup: must be at least 0s, found -1m")
        #expect(Self.message(Self.head + "series_interval: 2h\n")
            == "s.yaml:7: series_interval: must be at most duration (1h), found 2h")
        #expect(Self.message(Self.head + "replications: 0\n") == "s.yaml:7: replications: must be in 1...1000, found 0")
        // A series of 3.6 billion points asked for 29 GB and crashed; at most 100,000 (here 36 ms).
        #expect(Self.message(Self.head + "series_interval: 1us\n")
            == "s.yaml:7: series_interval: must be at least duration / 100000 (36ms), found 1us")
        #expect((try? Self.parse(Self.head + "series_interval: 36ms\n"))?.seriesInterval == 0.036)
    }

    @Test func badDate() throws {
        #expect(Self.message(Self.head + "start: 2026-13-01\n") == """
            s.yaml:7: start: '2026-13-01' is not a date or date-time (write RFC 3339, for example \
            2026-10-12T00:00:00Z or 2026-10-12)
            """)
        #expect(Self.message(Self.head + "start: next monday\n") == """
            s.yaml:7: start: 'next monday' is not a date or date-time (write RFC 3339, for example \
            2026-10-12T00:00:00Z or 2026-10-12)
            """)
        #expect(Self.message(Self.with(traffic: "traffic: {kind: replay, from: 2026-03-02, to: 2026-03-01}\n"))
            == "s.yaml:3: traffic.to: 2026-03-01T00:00:00Z is not after from (2026-03-02T00:00:00Z)")
        #expect(try Self.parse(Self.head + "start: \"2026-10-12T02:00:00+02:00\"\n").start
            == Timestamp.parse("2026-10-12T00:00:00Z"))
    }

    @Test func structureAndTypes() {
        #expect(Self.message("") == "s.yaml:1: the scenario is empty (it needs at least version, duration, traffic and providers)")
        #expect(Self.message("version: 2\n") == "s.yaml:1: version: expected scenario version 1, found '2'")
        #expect(Self.message("version: 1\ntraffic: replay\nproviders: []\n") == "s.yaml:1: missing required field 'duration'")
        #expect(Self.message("version: 1\nduration: 1h\ntraffic: replay\nproviders: []\n")
            == "s.yaml:4: providers: the scenario must list at least one provider")
        #expect(Self.message(Self.head + "seed: -1\n") == "s.yaml:7: seed: must be in 0...18446744073709551615, found -1")
        #expect(try! Self.parse(Self.head + "seed: 18446744073709551615\n").seed == UInt64.max)
        #expect(Self.message(Self.head + "client: {failover: yes}\n")
            == "s.yaml:7: client.failover: expected true or false, found 'yes'")
        #expect(Self.message(Self.head + "mix: {compliance: {hipa: 0.1}}\n") == """
            s.yaml:7: mix.compliance.hipa: 'hipa' is not a compliance tag (did you mean 'hipaa'?); expected one of \
            gdpr, hipaa, soc2, fedramp
            """)
        #expect(Self.message(Self.head + "mix: {tags: {vip: 1.5}}\n")
            == "s.yaml:7: mix.tags.vip: must be a probability in 0...1, found 1.5")
        #expect(Self.message(Self.head + "mix: {tenants: {acme: 0}}\n")
            == "s.yaml:7: mix.tenants: at least one tenant needs a weight above 0")
        #expect(Self.message(Self.head + "cache: {kind: hit_ratio, ratio: 0.3, capacity: 5}\n")
            == "s.yaml:7: cache.capacity: 'capacity' does not apply to cache kind 'hit_ratio' (hit_ratio takes ratio, latency)")
        #expect(Self.message("version: 1\nduration: 1h\ntraffic: [poisson\nproviders: []\n")?.hasPrefix("s.yaml:4: YAML syntax error:")
            == true)
    }

    // MARK: - validate

    @Test func validateChecksAScenarioBuiltInCode() throws {
        var s = Scenario(name: "code", duration: 3600, traffic: .poisson(rate: 5, profile: nil, bursts: nil),
                         providers: [ProviderSpec(id: "openai", concurrency: 4, service: .exponential(meanMs: 100))])
        try s.validate(catalog: .default)

        s.providers[0].errorRate = 1.5
        #expect(throws: YAMLError(source: "code", line: 0, path: "providers[0].error_rate",
                                  .outOfRange(expected: "a probability in 0...1", found: "1.5"))) {
            try s.validate(catalog: .default)
        }
        s.providers[0].errorRate = 0
        s.providers[0].service = .empirical(quantilesMs: [10, 5])
        #expect(throws: YAMLError.self) { try s.validate(catalog: .default) }
        do {
            try s.validate(catalog: .default)
        } catch {
            #expect(error.description == "code:0: providers[0].service.quantiles[1]: must be at least the quantile before it (10), found 5")
        }
        s.providers[0].service = .exponential(meanMs: 100)
        s.events = [
            ScenarioEvent(kind: .outage, provider: "openai", start: 0, duration: 600),
            ScenarioEvent(kind: .outage, provider: "openai", start: 300, duration: nil),
        ]
        s.source = "built.yaml"
        #expect(throws: YAMLError(
            source: "built.yaml", line: 0, path: "events[1]", .overlappingEvents(
                "outage of 'openai' from 5m to the end", firstPath: "events[0]", firstLine: 0,
                firstEvent: "outage of 'openai' from 0s to 10m", reason: "merge them into one outage"))) {
            try s.validate(catalog: .default)
        }
        s.events = [ScenarioEvent(kind: .outage, provider: nil, start: 0, duration: nil)]
        #expect(throws: YAMLError(source: "built.yaml", line: 0, path: "events[0]", .missingField("provider"))) {
            try s.validate(catalog: .default)
        }
    }
}
