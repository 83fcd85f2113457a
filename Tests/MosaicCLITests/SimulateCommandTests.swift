import Foundation
import MosaicTestSupport
import Testing

/// `mosaic simulate` through the built binary: scenarios, results files, comparisons, sweeps, errors.
@Suite struct SimulateCommandTests {
    /// A short scenario over the built-in example policy's providers.
    static func scenario(name: String = "short", rate: Double = 4, concurrency: Int = 8, extra: String = "") -> String {
        """
        version: 1
        name: \(name)
        seed: 7
        start: 2026-10-12T13:00:00Z
        duration: 20m
        replications: 2
        traffic: {kind: poisson, rate: \(rate)}
        mix: {tenants: {acme: 1, globex: 1}, slo: 20s}
        providers:
          - {id: openai, concurrency: \(concurrency), service: {kind: lognormal, median: 900ms, sigma: 0.5}, error_rate: 0.01}
          - {id: anthropic, concurrency: \(concurrency), service: {kind: lognormal, median: 1200ms, sigma: 0.5}, error_rate: 0.01}
          - {id: cohere, concurrency: \(concurrency), service: {kind: exponential, mean: 1s}, error_rate: 0.02}
          - {id: ollama, concurrency: \(concurrency), queue_limit: 50, service: {kind: lognormal, median: 2s, sigma: 0.6}}
        events:
          - {kind: outage, provider: anthropic, start: 5m, duration: 5m}
        client: {timeout: 30s, failover: true}
        \(extra)
        """
    }

    @Test func runsAScenarioWritesDeterministicResultsAndPrintsTables() throws {
        let tmp = TemporaryDirectory("simulate")
        let file = tmp.write("s.yaml", Self.scenario())
        let first = try MosaicBinary.run(["simulate", file, "--out", tmp.file("r1.json")])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(first.stdout.contains("scenario short: 20m simulated, 2 replications, seed 7"))
        #expect(first.stdout.contains("anthropic down"))
        #expect(first.stdout.contains("success rate %"))
        let second = try MosaicBinary.run(["simulate", file, "--out", tmp.file("r2.json"), "--parallel", "1"])
        #expect(second.status == 0)
        let a = try Data(contentsOf: URL(fileURLWithPath: tmp.file("r1.json")))
        let b = try Data(contentsOf: URL(fileURLWithPath: tmp.file("r2.json")))
        #expect(a == b, "same scenario and seed give the same bytes, whatever the threads")
        let doc = try #require(try JSONSerialization.jsonObject(with: a) as? [String: Any])
        #expect(doc["replications"] as? Int == 2)
        let outages = try #require(doc["outages"] as? [[String: Any]])
        #expect(outages.count == 1)
        // Another seed gives other numbers.
        let other = try MosaicBinary.run(["simulate", file, "--seed", "8", "--out", tmp.file("r3.json")])
        #expect(other.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: tmp.file("r3.json"))) != a)
    }

    @Test func exampleScenarioValidates() throws {
        let tmp = TemporaryDirectory("simulate-example")
        let example = try MosaicBinary.run(["simulate", "--example"])
        #expect(example.status == 0)
        #expect(example.stdout.contains("kind: outage"))
        // Shortened to keep the test quick: same file, an hour instead of a day.
        let text = example.stdout.replacingOccurrences(of: "duration: 24h", with: "duration: 30m")
            .replacingOccurrences(of: "start: 14h, duration: 2h", with: "start: 10m, duration: 10m")
        let file = tmp.write("example.yaml", text)
        let r = try MosaicBinary.run(["simulate", file, "--replications", "1", "--format", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) is [String: Any])
    }

    @Test func compareRunsBothOnCommonRandomNumbers() throws {
        let tmp = TemporaryDirectory("simulate-compare")
        let a = tmp.write("a.yaml", Self.scenario(name: "small", concurrency: 2))
        let b = tmp.write("b.yaml", Self.scenario(name: "large", concurrency: 16))
        let r = try MosaicBinary.run(["simulate", "--compare", a, b, "--format", "csv"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "metric,a:small,b:large,b_minus_a,ci95_half,significant")
        let requests = try #require(lines.first { $0.hasPrefix("requests,") })
        #expect(requests.split(separator: ",")[3] == "0.0", "the same arrivals: \(requests)")
        let p99 = try #require(lines.first { $0.hasPrefix("latency_p99_ms,") })
        #expect(Double(p99.split(separator: ",")[3])! < 0, "more slots, less queueing: \(p99)")
    }

    @Test func sweepRanksEveryProvider() throws {
        let tmp = TemporaryDirectory("simulate-sweep")
        let file = tmp.write("s.yaml", Self.scenario(rate: 3))
        let r = try MosaicBinary.run(["simulate", file, "--sweep", "--sweep-duration", "5m", "--replications", "2", "--format", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rows = try #require(doc["rows"] as? [[String: Any]])
        #expect(Set(rows.compactMap { $0["provider"] as? String }) == ["openai", "anthropic", "cohere", "ollama"])
    }

    @Test func badScenariosFailBeforeRunning() throws {
        let tmp = TemporaryDirectory("simulate-bad")
        let unknown = tmp.write("u.yaml", Self.scenario().replacingOccurrences(of: "id: cohere", with: "id: cohre"))
        let r = try MosaicBinary.run(["simulate", unknown])
        #expect(r.status != 0)
        #expect(r.stderr.contains("u.yaml:12: providers[2].id"), "stderr: \(r.stderr)")
        #expect(r.stderr.contains("cohere"))
        let missing = try MosaicBinary.run(["simulate", tmp.file("nope.yaml")])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nope.yaml"))
        // A provider the policy routes to but the scenario does not simulate.
        let partial = tmp.write("p.yaml", Self.scenario().replacingOccurrences(
            of: "  - {id: cohere, concurrency: 8, service: {kind: exponential, mean: 1s}, error_rate: 0.02}\n", with: ""))
        let p = try MosaicBinary.run(["simulate", partial])
        #expect(p.status != 0)
        #expect(p.stderr.contains("routes to 'cohere', which the scenario does not simulate"), "stderr: \(p.stderr)")
    }

    @Test func replaysAPublicTraceFile() throws {
        if let why = SharedData.missing("datasets/azure-llm-trace-2023-code/AzureLLMInferenceTrace_code.csv") {
            print("skipped: \(why)")
            return
        }
        let tmp = TemporaryDirectory("simulate-trace")
        let trace = SharedData.path("datasets/azure-llm-trace-2023-code/AzureLLMInferenceTrace_code.csv")!
        let text = Self.scenario().replacingOccurrences(of: "traffic: {kind: poisson, rate: 4.0}",
                                                       with: "traffic: {kind: trace, path: \(trace), format: azure-trace, time_scale: 1}")
            .replacingOccurrences(of: "duration: 20m", with: "duration: 1h")
        #expect(text.contains("kind: trace"))
        let file = tmp.write("t.yaml", text)
        let r = try MosaicBinary.run(["simulate", file, "--replications", "1", "--format", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let overall = try #require(doc["overall"] as? [String: Any])
        let requests = try #require((overall["requests"] as? [String: Any])?["mean"] as? Double)
        #expect(requests == 8_819, "every request of the trace's hour: \(requests)")
    }
}

/// `mosaic simulate --strategies` on the committed thefastest.ai scenario (examples/llama3-70b-hosts),
/// shortened: every strategy on common random numbers, the same bytes for the same seed.
@Suite struct SimulateStrategiesTests {
    static let example = SharedData.packageRoot + "/examples/llama3-70b-hosts"

    static func shortScenario(_ tmp: TemporaryDirectory) throws -> String {
        let text = try String(contentsOfFile: example + "/scenario.yaml", encoding: .utf8)
            .replacingOccurrences(of: "duration: 30m", with: "duration: 3m")
            .replacingOccurrences(of: "replications: 20", with: "replications: 3")
            .replacingOccurrences(of: "policy: policy.yaml", with: "policy: \(example)/policy.yaml")
            .replacingOccurrences(of: "model: router.json", with: "model: \(example)/router.json")
        return tmp.write("short.yaml", text)
    }

    @Test func everyStrategyOnCommonRandomNumbersIsDeterministic() throws {
        let tmp = TemporaryDirectory("simulate-strategies")
        let file = try Self.shortScenario(tmp)
        let args = ["simulate", file, "--catalog", Self.example + "/catalog.yaml", "--strategies", "model_utility,p2c,latency_ewma,cost_first"]
        let first = try MosaicBinary.run(args + ["--format", "csv", "--out", tmp.file("a.json")])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let second = try MosaicBinary.run(args + ["--format", "csv", "--parallel", "1", "--out", tmp.file("b.json")])
        #expect(second.stdout == first.stdout, "same seed, same table whatever the threads")
        #expect(try Data(contentsOf: URL(fileURLWithPath: tmp.file("a.json"))) == Data(contentsOf: URL(fileURLWithPath: tmp.file("b.json"))))
        let lines = first.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("strategy,cost_usd,cost_usd_ci95,latency_mean_ms,") == true, "\(first.stdout)")
        #expect(lines.dropFirst().map { String($0.split(separator: ",")[0]) } == ["model_utility", "p2c", "latency_ewma", "cost_first"])
        // cost_first sends everything to the cheapest host (together): lowest cost of all.
        let cost = Dictionary(uniqueKeysWithValues: lines.dropFirst().map { l -> (String, Double) in
            let f = l.split(separator: ",")
            return (String(f[0]), Double(f[1])!)
        })
        #expect(cost["cost_first"]! < cost["model_utility"]! && cost["cost_first"]! < cost["p2c"]!, "\(cost)")
        // Another seed, other numbers.
        let other = try MosaicBinary.run(args + ["--format", "csv", "--seed", "8"])
        #expect(other.status == 0 && other.stdout != first.stdout)
        let table = try MosaicBinary.run(args)
        #expect(table.stdout.contains("common random numbers; mean ± 95% interval, differences paired by replication against model_utility"))
    }

    /// Together, the host model_utility prefers, slows threefold for 10 of the 30 minutes
    /// (`degraded.yaml`, cut to 12 minutes with the slowdown from 4 to 8): the static head keeps
    /// sending to it, the adapting one moves away and back.
    @Test func anAdaptingHeadMovesAwayFromAHostThatSlowsDown() throws {
        let tmp = TemporaryDirectory("simulate-adapt")
        let text = try String(contentsOfFile: Self.example + "/degraded.yaml", encoding: .utf8)
            .replacingOccurrences(of: "duration: 30m", with: "duration: 12m")
            .replacingOccurrences(of: "replications: 20", with: "replications: 3")
            .replacingOccurrences(of: "start: 10m, duration: 10m", with: "start: 4m, duration: 4m")
            .replacingOccurrences(of: "policy: policy.yaml", with: "policy: \(Self.example)/policy.yaml")
            .replacingOccurrences(of: "model: router.json", with: "model: \(Self.example)/router.json")
        #expect(text.contains("start: 4m, duration: 4m"))
        let file = tmp.write("degraded.yaml", text)
        let r = try MosaicBinary.run(["simulate", file, "--catalog", Self.example + "/catalog.yaml", "--strategies",
                                      "model_utility,model_utility_adapt", "--format", "csv"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let rows = r.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try #require(rows.first)
        let mean = try #require(header.firstIndex(of: "latency_mean_ms")), p95 = try #require(header.firstIndex(of: "latency_p95_ms"))
        #expect(rows.dropFirst().map { $0[0] } == ["model_utility", "model_utility_adapt"])
        let (fixed, adapting) = (rows[1], rows[2])
        #expect(Double(adapting[mean])! < 0.95 * Double(fixed[mean])!, "mean \(adapting[mean]) against \(fixed[mean])")
        #expect(Double(adapting[p95])! < Double(fixed[p95])!, "p95 \(adapting[p95]) against \(fixed[p95])")

        // A policy that adapts already: the row `model_utility` still runs without adapting, so
        // both rows are what they were (before, both adapted and the labels misled).
        let policy = try String(contentsOfFile: Self.example + "/policy.yaml", encoding: .utf8)
            .replacingOccurrences(of: "  mu: 0.1\n", with: "  mu: 0.1\n  adapt: 0.1\n")
        #expect(policy.contains("adapt: 0.1"))
        let adaptingPolicy = tmp.write("adapting-policy.yaml", policy)
        let second = tmp.write("degraded-adapting.yaml", text.replacingOccurrences(
            of: "policy: \(Self.example)/policy.yaml", with: "policy: \(adaptingPolicy)"))
        let again = try MosaicBinary.run(["simulate", second, "--catalog", Self.example + "/catalog.yaml", "--strategies",
                                          "model_utility,model_utility_adapt", "--format", "csv"])
        #expect(again.status == 0, "stderr: \(again.stderr)")
        #expect(again.stdout == r.stdout)
    }

    @Test func badStrategyListsAreRefused() throws {
        for (list, message) in [("model_utility", "at least two strategies"), ("model_utility,fastest", "'fastest' is not a strategy"),
                                ("p2c,p2c", "listed twice")] {
            let r = try MosaicBinary.run(["simulate", Self.example + "/scenario.yaml", "--strategies", list])
            #expect(r.status != 0)
            #expect(r.stderr.contains(message), "\(r.stderr)")
        }
    }
}
