import ArgumentParser
import Foundation
import MosaicCore
import MosaicIngest
import MosaicLearn
import MosaicRouting
import MosaicSim
import MosaicStore

/// `mosaic demo`: the whole pipeline on sample data, in one command.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the pipeline on generated sample data: generate → ingest → summary → train → quality → forecast → route → simulate → report → serve → gateway.",
        discussion: """
            Generates three weeks of sample traffic into --dir, imports its price table, ingests \
            the request log into the store and prints, per provider, the requests, error rate, \
            exact cost and p50/p95/p99 latency, then trains a routing model on it and prints its \
            holdout metrics, fits the quality model (which prompts the weak model can take) on \
            four fifths of a real MMLU sample and scores it beside its baselines on the fifth it \
            never saw, fits a load model that forecasts the next day of requests per \
            provider, routes four sample requests through the example policy with that routing \
            model, replays the last day on two provider mixes through an outage with the same \
            router, writes the ROI, cost, latency and failover reports, serves the model over \
            HTTP for a moment, and finally sends a burst of chat requests through the gateway to two stand-in \
            providers on loopback and retrains on the rows it recorded (in a scratch store). \
            Running it again adds nothing to the store.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Where the sample data goes.", valueName: "dir")) var dir = "datasets/sample"
    @Option(name: .long, help: "Days of sample traffic (three weeks: the load models need them to see the week).") var days = 21
    @Option(name: .long, help: "Seed of the sample traffic.") var seed: UInt64 = 42
    @Option(name: .long, help: ArgumentHelp("Where the trained routing model goes.", valueName: "file")) var modelPath = "models/router-demo.json"
    @Option(name: .long, help: ArgumentHelp("Where the load-prediction model goes.", valueName: "file")) var loadModelPath = "models/load-demo.json"
    @Option(name: .long, help: ArgumentHelp(
        "Correctness file for the quality step (RouteLLM layout; default: \(Self.qualitySample), looked for in the working folder and above the mosaic binary); 'none' skips the step.",
        valueName: "file")) var qualityData: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    /// The MMLU sample in the repository (see its PROVENANCE.md).
    static let qualitySample = "examples/routellm-mmlu-sample/mmlu_sample.csv"

    func validate() throws {
        if days < 1 || days > 366 { throw ValidationError("--days must be between 1 and 366") }
        if let qualityData, qualityData != "none", !FileManager.default.isReadableFile(atPath: qualityData) {
            throw ValidationError("--quality-data \(qualityData): no such readable file")
        }
    }

    func run() throws {
        let chatty = output.isTable
        func step(_ text: String) { if chatty { print(text) } }

        step("1/11 generate: \(days) days of sample traffic, seed \(seed)")
        let sample = try generateSample(days: days, seed: seed, start: nil, rate: 12, out: dir)
        step(describe(sample, out: dir).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))

        let store = try self.store.open()
        step("2/11 ingest: prices and requests into \(store.path)")
        let prices: (parsed: LiteLLMPrices.Parsed, changed: Int)
        do { prices = try LiteLLMPrices.importFile(path: dir + "/prices.json", into: store, validFrom: 0) } catch {
            throw CLIError(error.description)
        }
        step("    prices: \(prices.parsed.entries.count) for \(prices.parsed.models) models (\(prices.changed) new or changed)")
        let results = try ingestFiles([dir + "/requests.csv"], store: store, catalog: Catalog.default,
                                      options: RequestIngestOptions())
        for r in results {
            step("    requests: \(r.rowsRead.formatted()) read, \(r.inserted.formatted()) new, \(r.duplicates.formatted()) already stored, \(String(format: "%.2f", r.seconds)) s")
        }

        step("3/11 summary: per provider, \(Timestamp.formatDate(sample.start)) … \(Timestamp.formatDate(sample.end - 1))")
        let summary: [ProviderSummary]
        do { summary = try store.providerSummary(from: sample.start, to: sample.end) } catch {
            throw CLIError(error.description)
        }
        output.show(Self.summaryTable(summary))
        if chatty {
            let total = summary.map(\.cost).sum()
            print("\ntotal cost: $\(total.formatted(places: 2)) (exact: \(total))")
        }

        step("4/11 train: routing model (latency, p95 latency, failure per provider), newest 20% of each provider held out")
        let trained = try trainRouting(store: store, from: sample.start, to: sample.end, out: modelPath)
        for note in outageNotes(trained.model) { step("    " + note) }
        step("    wrote \(trained.path) (v\(trained.model.version)); holdout metrics:")
        if chatty { print(routingMetricsTable(trained.model).render(.table), terminator: "") }
        if chatty, days >= 2 {
            let cmp = try Self.compareLatencyHeads(store: store, end: sample.end, days: min(days, 4))
            step("    the heads beside their baselines (`mosaic eval latency`): fitted on \(min(days, 4) - 1) day(s), scored on the last day; ewma and median per provider and model")
            print(latencyComparisonTable(cmp).render(.table), terminator: "")
            if !cmp.failure.isEmpty { print(failureComparisonTable(cmp).render(.table), terminator: "") }
        }

        if chatty { try quality() }

        var loadPath: String?
        if days >= 2 {
            step("6/11 forecast: hourly requests per provider for the next day (model chosen per provider by cross-validation)")
            var source = try SeriesSourceOptions.parse(["--interval", "1h", "--by", "provider", "--since",
                                                        Timestamp.format(sample.start), "--until", Timestamp.format(sample.end)])
            source.window.store = self.store
            let (load, path) = try trainLoad(source: source, horizon: 24, out: loadModelPath)
            loadPath = path
            step("    wrote \(path) (v\(load.version)):")
            if chatty { print(loadSummaryTable(load).render(.table), terminator: "") }
        } else {
            step("6/11 forecast: skipped — a day-ahead forecast needs at least two days of history (--days 2 or more)")
        }
        step("7/11 route: sample requests through the example policy (`mosaic policy example`) with the routing model")
        // Routing at a fixed instant (14:00 UTC on the last day), not the clock: the example
        // policy's follow-the-sun rule sends overnight requests to Ollama first.
        let routeAt = sample.end - 10 * 3_600_000_000
        let routed = try Self.routeExamples(model: trained.model, at: routeAt)
        if chatty { print(routed.render(.table), terminator: "") }

        let simulated = try Self.simulateMixes(store: store, model: trained.model, end: sample.end, days: days)
        step("8/11 simulate: \(simulated.label)")
        if chatty { print(comparisonTable(simulated.comparison).render(.table), terminator: "") }

        step("9/11 report: ROI, cost, latency and failover reports (Markdown, HTML, CSV, JSON)")
        let reportFiles = try writeDemoReports(store: store, storeOptions: self.store, from: sample.start, to: sample.end,
                                               loadModel: loadPath, dir: dir, out: "reports")
        step("    wrote \(reportFiles.count) files to reports/: open reports/cost.html, reports/roi.html, reports/latency.html, reports/failover.html")

        step("10/11 serve: the routing service on a free port — routes and outcomes over HTTP, then a graceful stop")
        try ServeCommand.demo(modelPath: trained.path, at: routeAt, chatty: chatty)

        step("11/11 gateway: OpenAI-compatible gateway in front of two stand-in providers — a burst of chat requests, then a retrain on the rows it recorded")
        try ServeCommand.gatewayDemo(modelPath: trained.path, pricesPath: dir + "/prices.json", chatty: chatty)
        if chatty {
            print("\nstore: \(store.path) — try `mosaic serve --model \(trained.path)`, `mosaic db info`, `mosaic models show \(trained.path)`, \(loadPath.map { "`mosaic forecast --model \($0)`" } ?? "`mosaic forecast`") or `sqlite3 \(store.path) 'select * from requests limit 5'`")
        }
    }

    /// Step 5: the quality head fitted on four fifths of the correctness file (by a hash of the
    /// prompt id) and scored on the rest beside random, prompt length, the group prior and the
    /// oracle, as `mosaic train routing --cross-validate` does for its held-out fifth.
    func quality() throws {
        let path: String
        if let qualityData {
            if qualityData == "none" { return print("5/11 quality: skipped (--quality-data none)") }
            path = qualityData
        } else if let found = Self.findQualitySample() {
            path = found
        } else {
            return print("5/11 quality: skipped — \(Self.qualitySample) is not here (run from the repository, or pass --quality-data FILE)")
        }
        let (examples, field) = try CorrectnessColumnOptions.parse([]).read(path)
        print("5/11 quality: which prompts the weak model can take — \(examples.count.formatted()) prompts of \(path) "
              + "(\(RouteLLMData.modelName(column: RouteLLMData.defaultStrongColumn)) and \(RouteLLMData.modelName(column: RouteLLMData.defaultWeakColumn)) right or wrong), "
              + "fitted on four fifths, scored on the fifth it never saw beside the baselines")
        var config = QualityTrainer.Configuration()
        config.groupField = field
        let comparison: QualityComparison
        do { comparison = try QualityTrainer(configuration: config).holdout(examples) } catch {
            throw CLIError("quality model: \(error)")
        }
        print(qualityComparisonTable(comparison, split: "held-out fifth").render(.table), terminator: "")
        if let line = modelVersusPrior(comparison) { print("    " + line) }
    }

    /// ``qualitySample`` under the working folder, or under a folder above the running binary
    /// (`.build/…/mosaic` in a checkout).
    static func findQualitySample() -> String? {
        var folders = [""]  // the working folder: the path stays relative
        if var dir = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            for _ in 0..<5 {
                folders.append(dir.path)
                dir.deleteLastPathComponent()
            }
        }
        return folders.map { $0.isEmpty ? qualitySample : ($0 as NSString).appendingPathComponent(qualitySample) }
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The latency and failure heads against the EWMA and median baselines on the sample's
    /// last `days` days, the last one held out.
    static func compareLatencyHeads(store: Store, end: Int64, days: Int) throws -> LatencyComparison.Result {
        let day: Int64 = 86_400_000_000
        var rows: [LatencyObservation] = []
        do {
            try store.forEachRequest(from: end - Int64(days) * day, to: end) { r in
                rows.append(LatencyObservation(timestamp: r.timestamp, provider: r.provider, model: r.model, region: r.region,
                                               outputTokens: r.outputTokens, latencyMs: r.latencyMs, ok: r.status == .ok))
            }
        } catch { throw CLIError("\(error)") }
        do { return try LatencyComparison().run(rows, splitAt: end - day) } catch { throw CLIError("latency comparison: \(error)") }
    }

    /// Four requests that show the filters, rules and model-based utility of the example policy.
    static func routeExamples(model: RoutingModel, at now: Int64) throws -> OutputTable {
        let policy: RoutingPolicy
        let router: Router
        do {
            policy = try RoutingPolicy(yaml: RoutingPolicy.exampleYAML, source: "example-policy.yaml", catalog: .default)
            router = try Router(policy: policy, catalog: .default, model: model, now: now)
        } catch { throw CLIError("the example policy: \(error)") }
        let requests: [(String, RouteRequest)] = [
            ("chat, 2k tokens, tenant acme", RouteRequest(tenant: "acme", modelFamily: "gpt-4o", region: "us", promptTokens: 2_000,
                                                           expectedOutputTokens: 400, latencySLOMs: 20_000, timestamp: now)),
            ("chat, 150k tokens", RouteRequest(tenant: "acme", promptTokens: 150_000, expectedOutputTokens: 1_000, timestamp: now)),
            ("tag strict-privacy", RouteRequest(tenant: "acme", promptTokens: 800, expectedOutputTokens: 200,
                                                tags: ["strict-privacy"], timestamp: now)),
            ("requires HIPAA", RouteRequest(promptTokens: 500, expectedOutputTokens: 100, compliance: ComplianceSet(.hipaa),
                                            timestamp: now)),
        ]
        var t = OutputTable(columns: ["request", "rule", "ranking", .right("primary_ms"), .right("primary_usd"), "dropped"])
        var decision = Decision(seed: 1)
        for (label, request) in requests {
            router.decide(request, now: now, into: &decision)
            let primary = decision.primary
            t.rows.append([.text(label), .text(decision.rule?.name ?? "–"),
                           .text(decision.candidates.isEmpty ? "none" : decision.candidates.map(\.provider).joined(separator: " → ")),
                           .number(primary?.prediction.expectedLatencyMs, places: 0), .number(primary?.costUSD, places: 5),
                           .text(decision.dropped.map { "\($0.provider): \($0.reason)" }.joined(separator: "; "))])
        }
        return t
    }

    /// The last day of the sample replayed on two provider mixes, Anthropic down for two hours
    /// at 14:00 UTC, five replications on common random numbers.
    static func simulateMixes(store: Store, model: RoutingModel, end: Int64, days: Int) throws -> (label: String, comparison: Comparison) {
        let day: Int64 = 86_400_000_000
        let from = end - day
        var example: RoutingPolicy
        do { example = try RoutingPolicy(yaml: RoutingPolicy.exampleYAML, source: "example-policy.yaml", catalog: .default) } catch {
            throw CLIError("the example policy: \(error)")
        }
        // The sample has no Cohere traffic: route among the three providers it has.
        example.providers.removeAll { $0 == "cohere" }
        for (name, t) in example.tenants { example.tenants[name]?.deny = t.deny.filter { $0 != "cohere" } }
        example.fallbacks["cohere"] = nil
        example.costs["cohere"] = nil
        example.quality["cohere"] = nil
        var cloud = example
        cloud.name = "cloud-first"
        var selfHosted = example
        selfHosted.name = "self-hosted"
        selfHosted.strategy = .costFirst

        var specs: [ProviderSpec] = []
        let latencies = try storeLatencies(store, providers: ["openai", "anthropic", "ollama"], from: from, to: end)
        for (id, concurrency) in [("openai", 32), ("anthropic", 32), ("ollama", 6)] {
            guard let q = latencyQuantiles(latencies[id] ?? []) else { throw CLIError("the sample has too few \(id) requests to simulate") }
            specs.append(ProviderSpec(id: id, concurrency: concurrency, queueLimit: 200, service: .empirical(quantilesMs: q),
                                      errorRate: 0.01))
        }
        let arrivals = try recordedArrivals(store: store, from: from, to: end, timeScale: 1, sample: 1, seed: 42,
                                            duration: 86_400, providers: ["openai", "anthropic", "ollama"])
        func scenario(_ name: String, _ providers: [ProviderSpec]) -> Scenario {
            Scenario(name: name, seed: 42, start: from, duration: 86_400, replications: 5,
                     traffic: .replay(from: from, to: end, timeScale: 1, sample: 1),
                     mix: RequestMix(sloMs: 30_000), providers: providers,
                     events: [ScenarioEvent(kind: .outage, provider: "anthropic", start: 14 * 3_600, duration: 2 * 3_600)],
                     client: ClientSpec(timeout: 60, failover: true), seriesInterval: 300)
        }
        var bigOllama = specs
        bigOllama[2].concurrency = 24
        do {
            let a = try Simulator(scenario: scenario("cloud-first", specs), catalog: .default, policy: cloud, model: model,
                                  arrivals: arrivals)
            let b = try Simulator(scenario: scenario("self-hosted", bigOllama), catalog: .default, policy: selfHosted,
                                  model: model, arrivals: arrivals)
            let cmp = Comparison(a: ("cloud-first", a.runReplications(5)), b: ("self-hosted", b.runReplications(5)))
            let label = "the last sample day (\(Timestamp.formatDate(from))) replayed on two mixes, anthropic down 14:00–16:00 UTC, 5 replications, B − A with 95% intervals: A = cloud-first (model utility; ollama 6 slots), B = self-hosted (cost first; ollama 24 slots)"
            return (label, cmp)
        } catch { throw CLIError("\(error)") }
    }

    static func summaryTable(_ summary: [ProviderSummary]) -> OutputTable {
        var t = OutputTable(columns: [
            "provider", .right("requests"), .right("error_rate_pct"), .right("cost_usd"), .right("p50_ms"),
            .right("p95_ms"), .right("p99_ms"),
        ])
        for s in summary {
            t.rows.append([.text(s.provider), .int(s.requests), .number(s.errorRate * 100, places: 2),
                           .decimal(s.cost.description, display: s.cost.formatted(places: 2)),
                           .number(s.p50, places: 0), .number(s.p95, places: 0), .number(s.p99, places: 0)])
        }
        return t
    }
}
