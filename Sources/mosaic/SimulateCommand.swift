import ArgumentParser
import Foundation
import MosaicCore
import MosaicIngest
import MosaicLearn
import MosaicReports
import MosaicRouting
import MosaicSim
import MosaicStore

/// `mosaic simulate`: replay traffic across a provider mix with outages and failover.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate traffic across a provider mix: outages, failover, latency, cost, with confidence intervals.",
        discussion: """
            A scenario file (see `mosaic simulate --example`) names the traffic, the providers and \
            how they behave, the events (outages, degradations, regional outages, price changes) \
            and the clients' routing policy, the same policy file `mosaic route` and the server use. \
            Replications run in parallel; every figure comes with a 95% confidence interval.

              mosaic simulate scenario.yaml --replications 20 --out results.json
              mosaic simulate --compare a.yaml b.yaml        # B − A on common random numbers
              mosaic simulate scenario.yaml --sweep          # each provider down at the busiest hour, ranked
              mosaic simulate scenario.yaml --strategies model_utility,p2c,latency_ewma,cost_first
            """
    )

    @Argument(help: ArgumentHelp("The scenario file (two with --compare).", valueName: "scenario"))
    var files: [String] = []

    @Option(name: .long, help: "Replications (default: the scenario's).")
    var replications: Int?

    @Option(name: .long, help: ArgumentHelp("Write the full results as JSON here.", valueName: "file"))
    var out: String?

    @Option(name: .long, help: "Override the scenario's seed.")
    var seed: UInt64?

    @Option(name: .long, help: "Replications run at once (default: the number of cores).")
    var parallel: Int?

    @Flag(name: .long, help: "Compare two scenarios (B − A) on common random numbers.")
    var compare = false

    @Flag(name: .long, help: "N−1 sweep: each provider down for --sweep-duration at the busiest hour.")
    var sweep = false

    @Option(name: .long, help: "How long each sweep outage lasts (30m, 2h…).")
    var sweepDuration = "2h"

    @Option(name: .long, help: ArgumentHelp(
        "Run the scenario once per routing strategy (comma-separated: model_utility (the policy's, not adapting), model_utility_adapt (adapting: the policy's adapt, or 0.1), p2c, latency_ewma, cost_first, least_connections, round_robin) on common random numbers; differences are against the first.",
        valueName: "list"))
    var strategies: String?

    @Flag(name: .long, help: "Print a complete example scenario and exit.")
    var example = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if example { return }
        if compare && files.count != 2 { throw ValidationError("--compare needs two scenario files") }
        if !compare && files.count != 1 { throw ValidationError("give one scenario file (or two with --compare)") }
        if let r = replications, !(1...1000).contains(r) { throw ValidationError("--replications must be between 1 and 1000") }
        if let p = parallel, p < 1 { throw ValidationError("--parallel must be at least 1") }
        if sweep && compare { throw ValidationError("--sweep and --compare do not go together") }
        if let list = strategies {
            if sweep || compare { throw ValidationError("--strategies goes with neither --sweep nor --compare") }
            let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if names.count < 2 { throw ValidationError("--strategies needs at least two strategies, comma-separated") }
            for n in names where !Self.strategyNames.contains(n) {
                throw ValidationError("--strategies: '\(n)' is not a strategy (expected one of \(Self.strategyNames.joined(separator: ", ")))")
            }
            if Set(names).count != names.count { throw ValidationError("--strategies: a strategy is listed twice") }
        }
    }

    static let strategyNames = ["model_utility", "model_utility_adapt", "p2c", "latency_ewma", "cost_first", "least_connections",
                                "round_robin"]

    func run() throws {
        if example { print(Scenario.exampleYAML, terminator: ""); return }
        if let out { try refuseFolder(out, what: "summary") }
        let catalog = try catalogOptions.load()
        let workers = parallel ?? ProcessInfo.processInfo.activeProcessorCount
        if compare {
            let a = try prepareSimulator(files[0], catalog: catalog, seed: seed, store: store)
            // Common random numbers: B runs on A's seed.
            let b = try prepareSimulator(files[1], catalog: catalog, seed: seed ?? a.scenario.seed, store: store)
            let n = replications ?? a.scenario.replications
            let progress = SimulationProgress(total: 2 * n)
            let ra = a.runReplications(n, parallelism: workers) { _ in progress.step() }
            let rb = b.runReplications(n, parallelism: workers) { _ in progress.step() }
            progress.finish()
            try checkCosts(a, ra, files[0])
            try checkCosts(b, rb, files[1])
            let cmp = Comparison(a: (a.scenario.name, ra), b: (b.scenario.name, rb))
            if let out { try write(cmp.json(), to: out) }
            if output.format == .json {
                print(String(decoding: try cmp.json(), as: UTF8.self))
            } else {
                output.show(comparisonTable(cmp))
            }
            return
        }
        if let list = strategies {
            try runStrategies(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, catalog: catalog, workers: workers)
            return
        }
        let sim = try prepareSimulator(files[0], catalog: catalog, seed: seed, store: store)
        let n = replications ?? sim.scenario.replications
        if sweep {
            let duration = Double(try parseDuration(sweepDuration, option: "--sweep-duration")) / 1_000_000
            guard duration > 0, duration < sim.scenario.duration else {
                throw ValidationError("--sweep-duration '\(sweepDuration)' must be a duration with a unit, shorter than the scenario")
            }
            let progress = SimulationProgress(total: 0)
            let result: OutageSweep
            do {
                result = try sim.sweep(duration: duration, replications: n, parallelism: workers) { label in progress.note(label) }
            } catch { throw CLIError(error.description) }
            progress.finish()
            if let out { try write(result.json(), to: out) }
            if output.isTable {
                print("N−1 sweep: each provider down for \(sweepDuration) from \(formatSimTime(result.start)) (the busiest hour), \(n) replications each; baseline failed requests \(formatEstimate(result.baselineFailed, 1))")
            }
            if output.format == .json {
                print(String(decoding: try result.json(), as: UTF8.self))
            } else {
                output.show(sweepTable(result))
            }
            return
        }
        let progress = SimulationProgress(total: n)
        let results = sim.runReplications(n, parallelism: workers) { _ in progress.step() }
        progress.finish()
        try checkCosts(sim, results, files[0])
        let summary = SimulationSummary(scenario: sim.scenario, policy: sim.policy, results: results)
        if let out { try write(summary.json(), to: out) }
        printSummary(summary)
    }

    /// The scenario once per strategy, every run on the scenario's seed (common random numbers).
    func runStrategies(_ names: [String], catalog: Catalog, workers: Int) throws {
        var runs: [(name: String, results: [ReplicationResult])] = []
        var header = ""
        for name in names {
            let sim = try prepareSimulator(files[0], catalog: catalog, seed: seed, store: store, strategy: name)
            let n = replications ?? sim.scenario.replications
            if header.isEmpty {
                header = "scenario \(sim.scenario.name): \(formatSimTime(sim.scenario.duration)) simulated, \(n) replications, seed \(sim.scenario.seed), common random numbers; mean ± 95% interval, differences paired by replication against \(names[0])"
            }
            let progress = SimulationProgress(total: n)
            runs.append((name, sim.runReplications(n, parallelism: workers) { _ in progress.step() }))
            progress.finish()
            try checkCosts(sim, runs[runs.count - 1].results, files[0])
        }
        let table = strategyTable(runs, format: output.format)
        if let out {
            try write(try SimulationJSON.encoder().encode(runs.dropFirst().map { Comparison(a: runs[0], b: $0) }), to: out)
        }
        if output.format == .table { print(header) }
        print(table.render(output.format), terminator: "")
    }

    /// Refuses a run whose exact costs overflowed, before anything is written.
    func checkCosts(_ sim: Simulator, _ results: [ReplicationResult], _ path: String) throws {
        do { try sim.checkCosts(results) } catch { throw CLIError("\(path): \(error.description)") }
    }

    func write(_ data: Data, to path: String) throws { try writeAtomically(data, to: path, what: "summary") }

    func printSummary(_ s: SimulationSummary) {
        switch output.format {
        case .json:
            print(String(decoding: (try? s.json()) ?? Data(), as: UTF8.self))
        case .csv:
            print(overallTable(s).render(.csv), terminator: "")
        case .table:
            print("scenario \(s.scenario): \(formatSimTime(s.durationSeconds)) simulated, \(s.replications) replications, seed \(s.seed); policy \(s.policy) (\(s.strategy)); 95% confidence intervals")
            print(overallTable(s).render(.table))
            print(providerTable(s).render(.table), terminator: "")
            if !s.outages.isEmpty {
                print("")
                print(outageTable(s).render(.table), terminator: "")
            }
            if !s.tenants.isEmpty {
                print("")
                var t = OutputTable(columns: ["tenant", .right("cost_usd")])
                for c in s.tenants { t.rows.append([.text(c.tenant), .text(formatEstimate(c.costUSD, 2))]) }
                print(t.render(.table), terminator: "")
            }
        }
    }
}

// MARK: - Preparing a scenario

/// Reads a scenario and everything it refers to, and resolves its traffic into arrivals.
///
/// `strategy` (a strategy name) replaces the policy's strategy; the policy's own parameters are
/// kept when it already has that kind, else the policy-file defaults apply.
func prepareSimulator(_ path: String, catalog: Catalog, seed: UInt64?, store: StoreOptions, strategy: String? = nil) throws -> Simulator {
    var scenario: Scenario
    do { scenario = try Scenario.load(path: path, catalog: catalog) } catch { throw CLIError(error.description) }
    if let seed { scenario.seed = seed }
    var policy: RoutingPolicy
    if let p = scenario.client.policyPath {
        policy = try loadPolicy(p, catalog: catalog)
    } else {
        do { policy = try RoutingPolicy(yaml: RoutingPolicy.exampleYAML, source: "example-policy.yaml", catalog: catalog) } catch {
            throw CLIError("the built-in example policy: \(error)")
        }
    }
    // `model_utility` and `model_utility_adapt` keep the policy's own λ, μ and half-life when it
    // routes by model_utility; the first never adapts and the second always does (the policy's
    // `adapt`, or 0.1), so each row's label says what it ran.
    var own = (lambda: 10.0, mu: 0.1, adapt: 0.1, halfLife: LatencyCorrection.defaultHalfLife)
    if case .modelUtility(let lambda, let mu, let adapt, let halfLife) = policy.strategy {
        own = (lambda, mu, adapt > 0 ? adapt : 0.1, halfLife)
    }
    if let strategy, strategy == "model_utility" || strategy != policy.strategy.name {
        switch strategy {
        case "model_utility": policy.strategy = .modelUtility(lambda: own.lambda, mu: own.mu, adapt: 0, adaptHalfLife: own.halfLife)
        case "model_utility_adapt":
            policy.strategy = .modelUtility(lambda: own.lambda, mu: own.mu, adapt: own.adapt, adaptHalfLife: own.halfLife)
        case "p2c": policy.strategy = .powerOfTwoChoices
        case "latency_ewma": policy.strategy = .latencyEWMA(alpha: 0.3, buffer: 0.5)
        case "cost_first": policy.strategy = .costFirst
        case "least_connections": policy.strategy = .leastConnections
        case "round_robin": policy.strategy = .roundRobin
        default: throw CLIError("unknown strategy '\(strategy)'")
        }
    }
    let model = try scenario.client.modelPath.map(loadRoutingModel)
    let needsStore: Bool = {
        if case .replay = scenario.traffic { return true }
        return scenario.providers.contains { if case .fromStore = $0.service { return true } else { return false } }
    }()
    let opened = needsStore ? try store.openExisting() : nil
    // Service times measured in the store: one read for every from_store provider.
    let measured = scenario.providers.filter { if case .fromStore = $0.service { return true } else { return false } }.map(\.id)
    if let st = opened, !measured.isEmpty {
        let latencies = try storeLatencies(st, providers: Set(measured))
        for i in scenario.providers.indices where measured.contains(scenario.providers[i].id) {
            let id = scenario.providers[i].id
            guard let q = latencyQuantiles(latencies[id] ?? []) else {
                throw CLIError("\(path): providers[\(i)].service: from_store needs at least 20 successful requests of '\(id)' in \(store.path), found \(latencies[id]?.count ?? 0)")
            }
            scenario.providers[i].service = .empirical(quantilesMs: q)
        }
    }
    let arrivals = try resolveArrivals(scenario, path: path, catalog: catalog, store: opened, storePath: store.path)
    do {
        return try Simulator(scenario: scenario, catalog: catalog, policy: policy, model: model, arrivals: arrivals)
    } catch { throw CLIError("\(path): \(error.description)") }
}

func resolveArrivals(_ s: Scenario, path: String, catalog: Catalog, store: Store?, storePath: String) throws -> ArrivalProcess {
    switch s.traffic {
    case let .poisson(rate, profile, bursts):
        return .poisson(rate: rate, profile: profile, bursts: bursts)
    case let .loadModel(modelPath, series, scale):
        guard let data = FileManager.default.contents(atPath: modelPath) else { throw CLIError("\(path): traffic.path: cannot read \(modelPath)") }
        let m: LoadModel = try cli(modelPath) { try LoadModel.decode(data) }
        let chosen = m.series.filter { series == nil || series!.contains($0.group) }
        if let want = series, let missing = want.first(where: { w in !m.series.contains { $0.group == w } }) {
            throw CLIError("\(path): traffic.series: '\(missing)' is not a series of \(modelPath) (it has \(m.series.map(\.group).joined(separator: ", ")))")
        }
        let steps = chosen.map(\.forecast.mean.count).max() ?? 0
        let seconds = Double(m.interval) / 1e6
        let rates = (0..<steps).map { k in chosen.reduce(0.0) { $0 + max(0, k < $1.forecast.mean.count ? $1.forecast.mean[k] : 0) } * scale / seconds }
        return .piecewise(interval: seconds, rates: rates)
    case let .replay(from, to, timeScale, sample):
        guard let store else { throw CLIError("replay needs the store") }
        // Only requests the simulated providers' kind served (an LLM mix does not replay git traffic).
        let kinds = Set(s.providers.compactMap { catalog.provider(id: $0.id)?.kind })
        let served = Set(catalog.providers.filter { kinds.contains($0.kind) }.map(\.id))
        return try recordedArrivals(store: store, from: from, to: to, timeScale: timeScale, sample: sample, seed: s.seed,
                                    duration: s.duration, providers: served)
    case let .trace(tracePath, format, timeScale, sample):
        // Read the trace through the request-log readers (every check of the ingest) straight
        // into simulated requests, in the order a store would give them back.
        var options = RequestIngestOptions()
        options.provider = s.providers.first?.id
        options.model = "trace"
        options.now = Int64.max / 2
        if let format {
            guard let f = RequestLogFormat(rawValue: format) else { throw CLIError("\(path): traffic.format: unknown format '\(format)'") }
            options.format = f
        }
        let rows = try cli { try RequestLogReader(catalog: catalog).rowsInStoreOrder(path: tracePath, options: options) }
        var arrivals = RecordedArrivals(timeScale: timeScale, sample: sample, seed: s.seed, duration: s.duration)
        for r in rows {
            arrivals.add(timestamp: r.timestamp, tenant: r.tenant, operation: r.operation, inputTokens: r.inputTokens,
                         outputTokens: r.outputTokens)
        }
        return try arrivals.process()
    }
}

/// Recorded requests as simulated arrivals: sampled with a seed, times from the first request
/// scaled by `timeScale`, cut at the scenario's duration.
struct RecordedArrivals {
    let timeScale: Double
    let sample: Double
    let seed: UInt64
    let duration: Double
    private var requests: [SimRequest] = []
    private var tenants: [String: UInt16] = [:], operations: [String: UInt16] = [:]
    private var first: Int64?
    private var k: UInt64 = 0

    init(timeScale: Double, sample: Double, seed: UInt64, duration: Double) {
        self.timeScale = timeScale
        self.sample = sample
        self.seed = seed
        self.duration = duration
    }

    /// Adds the next request in time order.
    mutating func add(timestamp: Int64, tenant: String, operation: String, inputTokens: Int, outputTokens: Int) {
        k += 1
        if sample < 1 {
            var h = StableHash(seed: seed)
            h.combine(Int64(bitPattern: k))
            if Double(UInt64(bitPattern: h.value) >> 11) * 0x1p-53 >= sample { return }
        }
        let t0 = first ?? timestamp
        first = t0
        let t = Double(timestamp - t0) / 1e6 / timeScale
        if t >= duration { return }
        let tenantIndex = tenants[tenant] ?? { let i = UInt16(min(tenants.count, Int(UInt16.max))); tenants[tenant] = i; return i }()
        let op = operations[operation] ?? { let i = UInt16(min(operations.count, Int(UInt16.max))); operations[operation] = i; return i }()
        requests.append(SimRequest(time: t, tenant: tenantIndex, operation: op, promptTokens: Int32(clamping: inputTokens),
                                   outputTokens: Int32(clamping: outputTokens)))
    }

    func process() throws -> ArrivalProcess {
        guard !requests.isEmpty else { throw CLIError("traffic: no stored requests in the replay window") }
        func names(_ d: [String: UInt16]) -> [String] { d.sorted { $0.value < $1.value }.map(\.key) }
        return .recorded(requests: requests, tenants: names(tenants), operations: names(operations))
    }
}

/// Stored requests as arrivals from time 0, scaled and sampled (by a seeded hash, so the same
/// seed keeps the same requests).
func recordedArrivals(store: Store, from: Int64?, to: Int64?, timeScale: Double, sample: Double, seed: UInt64,
                      duration: Double, providers: Set<String>? = nil) throws -> ArrivalProcess {
    var arrivals = RecordedArrivals(timeScale: timeScale, sample: sample, seed: seed, duration: duration)
    do {
        try store.forEachRequest(from: from, to: to) { r in
            if let providers, !providers.contains(r.provider) { return }
            arrivals.add(timestamp: r.timestamp, tenant: r.tenant, operation: r.operation, inputTokens: r.inputTokens,
                         outputTokens: r.outputTokens)
        }
    } catch { throw CLIError("\(error)") }
    return try arrivals.process()
}

/// The latencies (ms, sorted) of each provider's successful requests, in one read of the request log.
func storeLatencies(_ store: Store, providers: Set<String>, from: Int64? = nil, to: Int64? = nil) throws -> [String: [Double]] {
    var latencies: [String: [Double]] = [:]
    do {
        try store.forEachRequest(from: from, to: to) { r in
            if r.status == .ok, let l = r.latencyMs, providers.contains(r.provider) { latencies[r.provider, default: []].append(l) }
        }
    } catch let e as StoreError {
        throw CLIError(e.description)  // names the store already
    } catch { throw CLIError("\(store.path): \(error)") }
    return latencies.mapValues { $0.sorted() }
}

/// 101 evenly spaced quantiles of sorted latencies, the empirical service time of a simulated
/// provider; nil for fewer than 20.
func latencyQuantiles(_ sorted: [Double]) -> [Double]? {
    guard sorted.count >= 20 else { return nil }
    return (0...100).map { Quantiles.linear(sorted: sorted, Double($0) / 100) }
}

func formatSimTime(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s % 3_600 == 0 { return "\(s / 3_600)h" }
    if s % 60 == 0 { return "\(s / 60)m" }
    return String(format: "%.1fs", seconds)
}

func formatEstimate(_ e: Estimate, _ places: Int) -> String {
    guard e.mean.isFinite else { return "–" }
    let m = NumberFormat.plain(e.mean, places: places)
    guard e.halfWidth.isFinite, e.n > 1 else { return m }
    return m + " ± " + NumberFormat.plain(e.halfWidth, places: places)
}

// MARK: - Tables

/// Cost, latency and success per strategy, each with its paired difference against the first
/// (replication r of every strategy ran on the same random streams). The text table shows
/// `mean ± half-width`; CSV and JSON have a `_ci95` column beside each mean.
func strategyTable(_ runs: [(name: String, results: [ReplicationResult])], format: OutputFormat) -> OutputTable {
    let metrics: [(column: String, places: Int, difference: Bool, value: (ReplicationResult) -> Double)] = [
        ("cost_usd", 4, false, { $0.cost.doubleValue }),
        ("latency_mean_ms", 1, false, { $0.latency.totalCount > 0 ? $0.latency.mean / 1_000 : .nan }),
        ("latency_p95_ms", 1, false, { $0.latency.milliseconds(atPercentile: 95) ?? .nan }),
        ("success_rate", 5, false, { $0.finished > 0 ? Double($0.successes) / Double($0.finished) : 0 }),
        ("d_cost_usd", 4, true, { $0.cost.doubleValue }),
        ("d_mean_ms", 1, true, { $0.latency.totalCount > 0 ? $0.latency.mean / 1_000 : .nan }),
        ("d_p95_ms", 1, true, { $0.latency.milliseconds(atPercentile: 95) ?? .nan }),
        ("d_success", 5, true, { $0.finished > 0 ? Double($0.successes) / Double($0.finished) : 0 }),
    ]
    var columns: [OutputTable.Column] = [.init(name: "strategy")]
    for m in metrics {
        columns.append(.init(name: m.column, alignment: .right))
        if format != .table { columns.append(.init(name: m.column + "_ci95", alignment: .right)) }
    }
    var t = OutputTable(columns: columns)
    let n = runs.map(\.results.count).min() ?? 0
    for (k, run) in runs.enumerated() {
        var row: [OutputTable.Cell] = [.text(run.name)]
        for m in metrics {
            let mine = run.results.prefix(n).map(m.value)
            let e = m.difference ? Estimate(zip(mine, runs[0].results.prefix(n).map(m.value)).map { $0 - $1 }) : Estimate(mine)
            if m.difference && k == 0 {
                row.append(.text("–"))
                if format != .table { row.append(.text("–")) }
            } else if format == .table {
                row.append(.text(formatEstimate(e, m.places)))
            } else {
                row.append(.number(e.mean, places: m.places))
                row.append(.number(e.halfWidth, places: m.places))
            }
        }
        t.rows.append(row)
    }
    return t
}

/// Mean, half-width, and the interval's ends clipped to what the metric can be (`within`): a
/// t interval of a few replications can reach past 0 or 100 %, which no run can.
func estimateCells(_ e: Estimate, _ places: Int, within range: ClosedRange<Double>) -> [OutputTable.Cell] {
    [.number(e.mean, places: places), .number(e.n > 1 ? e.halfWidth : nil, places: places),
     .number(e.n > 1 ? max(e.low, range.lowerBound) : nil, places: places),
     .number(e.n > 1 ? min(e.high, range.upperBound) : nil, places: places)]
}

func overallTable(_ s: SimulationSummary) -> OutputTable {
    var t = OutputTable(columns: ["metric", .right("mean"), .right("ci95_half"), .right("low"), .right("high")])
    let o = s.overall
    var rows: [(String, Estimate, Int)] = [
        ("requests", o.requests, 0), ("success rate %", scaled(o.successRate, 100), 3), ("error rate %", scaled(o.errorRate, 100), 3),
        ("timeout rate %", scaled(o.timeoutRate, 100), 3), ("unroutable %", scaled(o.unroutableRate, 100), 3),
        ("quota rejected %", scaled(o.quotaRejectedRate, 100), 3), ("cache hit rate %", scaled(o.cacheHitRate, 100), 2),
        ("throughput /s", o.throughputPerSecond, 2), ("latency mean ms", o.latencyMeanMs, 0), ("latency p50 ms", o.latencyP50Ms, 0),
        ("latency p95 ms", o.latencyP95Ms, 0), ("latency p99 ms", o.latencyP99Ms, 0), ("attempts per request", o.attemptsPerRequest, 4),
        ("retries", o.retries, 0), ("retries denied by budget", o.retriesDenied, 0), ("failovers", o.failovers, 0),
        ("cost usd", o.costUSD, 2), ("cost per 1k requests usd", o.costPerThousandRequestsUSD, 4),
    ]
    if let slo = o.sloAttainment { rows.insert(("within SLO %", scaled(slo, 100), 3), at: 7) }
    // Every metric here is a count, a rate, a time or a cost: none is negative, and no rate passes 100 %.
    for (name, e, places) in rows {
        t.rows.append([.text(name)] + estimateCells(e, places, within: 0 ... (name.hasSuffix("%") ? 100 : .infinity)))
    }
    return t
}

func scaled(_ e: Estimate, _ f: Double) -> Estimate {
    var x = e
    x.mean *= f
    x.halfWidth *= f
    return x
}

func providerTable(_ s: SimulationSummary) -> OutputTable {
    var t = OutputTable(columns: [
        "provider", .right("share_pct"), .right("attempts"), .right("error_pct"), .right("p50_ms"), .right("p99_ms"),
        .right("util_pct"), .right("mean_queue"), .right("max_queue"), .right("trips"), .right("cost_usd"),
    ])
    for p in s.providers {
        t.rows.append([.text(p.provider), .text(formatEstimate(scaled(p.share, 100), 1)), .text(formatEstimate(p.attempts, 0)),
                       .text(formatEstimate(scaled(p.errorRate, 100), 2)), .text(formatEstimate(p.latencyP50Ms, 0)),
                       .text(formatEstimate(p.latencyP99Ms, 0)), .text(formatEstimate(scaled(p.utilisation, 100), 1)),
                       .text(formatEstimate(p.meanQueue, 2)), .int(p.maxQueue), .text(formatEstimate(p.breakerTrips, 1)),
                       .text(formatEstimate(p.costUSD, 2))])
    }
    return t
}

func outageTable(_ s: SimulationSummary) -> OutputTable {
    var t = OutputTable(columns: [
        "outage", "from", "to", .right("detect_s"), .right("failover_s"), .right("requests"), .right("failed"),
        .right("error_pct"), .right("saved_by_failover"), .right("error_budget_pct"),
    ])
    for o in s.outages {
        t.rows.append([.text(o.label), .text(formatSimTime(o.start)), .text(formatSimTime(o.end)),
                       .text(o.detectedIn == 0 ? "never" : formatEstimate(o.timeToDetectSeconds, 2)),
                       .text(formatEstimate(o.timeToFailoverSeconds, 2)), .text(formatEstimate(o.requests, 0)),
                       .text(formatEstimate(o.failed, 1)), .text(formatEstimate(scaled(o.errorRateDuring, 100), 3)),
                       .text(formatEstimate(o.recoveredByFailover, 0)), .text(formatEstimate(scaled(o.errorBudgetBurned, 100), 1))])
    }
    return t
}

func comparisonTable(_ c: Comparison) -> OutputTable {
    var t = OutputTable(columns: ["metric", .right("a:\(c.a)"),
                                  .right("b:\(c.b)"), .right("b_minus_a"),
                                  .right("ci95_half"), "significant"])
    for r in c.rows {
        let places = r.metric.contains("rate") ? 5 : (r.metric.contains("cost") ? 4 : 1)
        let d = r.difference
        let significant = d.n > 1 && d.halfWidth.isFinite && (d.low > 0 || d.high < 0)
        t.rows.append([.text(r.metric), .number(r.a.mean, places: places), .number(r.b.mean, places: places),
                       .number(d.mean, places: places), .number(d.n > 1 ? d.halfWidth : nil, places: places),
                       .text(significant ? "yes" : "no")])
    }
    return t
}

func sweepTable(_ s: OutageSweep) -> OutputTable {
    var t = OutputTable(columns: [
        .right("rank"), "provider_down", .right("extra_failed"), .right("error_pct"), .right("extra_p99_ms"),
        .right("extra_cost_usd"), .right("detect_s"), .right("error_budget_pct"),
    ])
    for (k, r) in s.rows.enumerated() {
        t.rows.append([.int(k + 1), .text(r.provider), .text(formatEstimate(r.extraFailed, 1)),
                       .text(formatEstimate(scaled(r.errorRate, 100), 3)), .text(formatEstimate(r.extraLatencyP99Ms, 0)),
                       .text(formatEstimate(r.extraCostUSD, 2)), .text(formatEstimate(r.timeToDetectSeconds, 2)),
                       .text(formatEstimate(scaled(r.errorBudgetBurned, 100), 1))])
    }
    return t
}

/// "replication k/N" on standard error when it is a terminal.
final class SimulationProgress: @unchecked Sendable {
    let total: Int
    let line = ProgressLine(label: "simulate")
    private let lock = NSLock()
    private var done = 0

    init(total: Int) { self.total = total }

    func step() {
        lock.lock(); done += 1; let d = done; lock.unlock()
        guard line.enabled else { return }
        FileHandle.standardError.write(Data("\rsimulate: \(d)/\(total) replications".utf8))
    }

    func note(_ text: String) {
        guard line.enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2Ksimulate: \(text)…".utf8))
    }

    func finish() {
        guard line.enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
