// The gateway's benchmarks (`mosaic serve --gateway`), each with its own processes on loopback:
//
//   ServeBenchmark --gateway-cache [--requests 20000] [--prompts 5000] [--zipf-s 1.0] [--seed 1] [--cache-bytes N]
//       a seeded Zipf trace of repeated prompts replayed through the gateway's answer cache:
//       measured hit rate and the exact cost it saved, beside the trace's own figures.
//   ServeBenchmark --gateway-vs-litellm [--litellm PATH] [--open-seconds 5] [--rates 500,1000,2000]
//       the same open-loop load straight to a mock upstream that answers in 20 ms, through
//       Mosaic's gateway and through a LiteLLM proxy: the latency each adds, and each one's
//       highest sustained rate.
//
// The mock upstream is this binary in another process (`--mock-upstream --delay-ms D`,
// MockUpstream.swift), so the gateway, the proxy and the load generator never share its event
// loops.

import BenchmarkSupport
import Foundation
import Logging
import MosaicCore
import MosaicServer
import MosaicStore
#if canImport(Glibc)
import Glibc
#endif

/// The load average now (1, 5, 15 minutes), as `/proc/loadavg` gives it.
func loadAverage() -> String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}

/// The policy the gateway benchmarks route with: one provider, no health filter, no quotas, and
/// no rate-limit filter (the catalog's OpenAI limit, 10,000 requests a minute, would refuse
/// every request after its burst at the benchmark's rates: "no upstream can take model").
let gatewayPolicyYAML = """
    version: 1
    name: gateway-bench
    providers: [openai]
    filters: {health: false, rate_limit: false}
    strategy: {kind: cost_first}
    outliers: {enabled: false}
    retry: {on: [timeout, error, rate_limited], max_attempts: 2, budget: {ratio: 1, minimum: 100}}
    costs:
      openai: {input_per_mtok: "2.50", output_per_mtok: "10.00"}

    """

/// A gateway file with one OpenAI-style upstream (the mock) serving family `gpt-4o` as `bench-model`.
func gatewayFileYAML(upstreamPort: Int, cacheBytes: Int?) -> String {
    (cacheBytes.map { "cache: {max_bytes: \($0), ttl: 1h}\n" } ?? "") + """
        version: 1
        timeout: 10s
        upstreams:
          - provider: openai
            api: openai
            base_url: http://127.0.0.1:\(upstreamPort)/v1
            key_env: MOSAIC_BENCH_UPSTREAM_KEY
            models: {gpt-4o: bench-model}

        """
}

/// The prices the store costs `bench-model` with (USD per token).
let benchInputPrice = Decimal(string: "0.0000025")!
let benchOutputPrice = Decimal(string: "0.00001")!

/// Starts the gateway (this binary's `--serve` mode) on a free port.
func startGateway(executable: String, modelPath: String, dir: URL, upstreamPort: Int, cacheBytes: Int?,
                  store: String?) throws -> PortChild {
    let policy = dir.appendingPathComponent("gateway-policy.yaml").path
    try gatewayPolicyYAML.write(toFile: policy, atomically: true, encoding: .utf8)
    let file = dir.appendingPathComponent("gateway.yaml").path
    try gatewayFileYAML(upstreamPort: upstreamPort, cacheBytes: cacheBytes).write(toFile: file, atomically: true, encoding: .utf8)
    setenv("MOSAIC_BENCH_UPSTREAM_KEY", "sk-bench", 1)
    var arguments = ["--serve", "--model", modelPath, "--policy", policy, "--gateway", file]
    if let store { arguments += ["--store", store, "--ack", "committed"] }
    return try PortChild(executable, arguments)
}

// MARK: - Cache hit rate

/// A seeded Zipf(s) sampler over ranks 1…n (P(k) ∝ k^-s), by inverse CDF.
struct ZipfSampler {
    var cumulative: [Double]
    var random: SeededRandom

    init(n: Int, s: Double, seed: UInt64) {
        var acc = 0.0
        cumulative = (1...n).map { k in
            acc += 1 / pow(Double(k), s)
            return acc
        }
        let total = acc
        for i in cumulative.indices { cumulative[i] /= total }
        random = SeededRandom(seed: seed).stream("zipf")
    }

    /// A rank in 0..<n (0 is the most frequent).
    mutating func next() -> Int {
        let u = random.uniform()
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] < u { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// The prompt of rank `k`: its own text, 30 to 1,200 bytes long.
func tracePrompt(_ k: Int) -> String {
    "Prompt \(k): " + String(repeating: "lorem ipsum ", count: 2 + (k * 7919) % 100)
}

func gatewayCacheBenchmark(executable: String, modelPath: String, dir: URL, options: BenchmarkOptions, say: (String) -> Void) throws {
    let n = options.int("--requests", 20_000, minimum: 1)
    let prompts = options.int("--prompts", 5_000, minimum: 1)
    let s = options.double("--zipf-s", 1.0)
    let seed = UInt64(options.int("--seed", 1, minimum: 0))
    let cacheBytes = options.int("--cache-bytes", 256 << 20, minimum: 1)
    guard s > 0 else { options.fail("--zipf-s needs a number > 0") }

    // The trace and what it should give: every repeat of a prompt is a hit when the cache holds
    // everything, and saves exactly the cost its first answer had.
    var zipf = ZipfSampler(n: prompts, s: s, seed: seed)
    let trace = (0..<n).map { _ in zipf.next() }
    var seen = Set<Int>()
    var repeats = 0
    var expectedSaved = Decimal(0)
    var totalIfUncached = Decimal(0)
    for k in trace {
        let (input, output) = mockUsage(tracePrompt(k))
        let cost = Decimal(input) * benchInputPrice + Decimal(output) * benchOutputPrice
        totalIfUncached += cost
        if !seen.insert(k).inserted {
            repeats += 1
            expectedSaved += cost
        }
    }

    let store = dir.appendingPathComponent("gateway-cache.sqlite").path
    let s0 = try Store(path: store)
    try s0.syncProviders(.default)
    let from = Timestamp.parse("2020-01-01T00:00:00Z")!
    try s0.upsertPrices([
        PriceEntry(provider: "openai", model: "bench-model", sku: .inputToken, price: try Money(parsing: benchInputPrice.description),
                   validFrom: from, source: "bench"),
        PriceEntry(provider: "openai", model: "bench-model", sku: .outputToken, price: try Money(parsing: benchOutputPrice.description),
                   validFrom: from, source: "bench"),
    ])
    let mock = try PortChild(executable, ["--mock-upstream", "--delay-ms", "0"])
    defer { mock.stop() }
    let gateway = try startGateway(executable: executable, modelPath: modelPath, dir: dir, upstreamPort: mock.port,
                                   cacheBytes: cacheBytes, store: store)
    say("gateway cache: \(n) requests over \(prompts) prompts drawn from Zipf(s = \(s)) with seed \(seed), temperature 0, "
        + "replayed one at a time through the gateway (cache \(cacheBytes) bytes, TTL 1 h) to a mock upstream; load average \(loadAverage())")
    let client = LoopbackHTTPClient(port: gateway.port)
    var hitHeaders = 0, errors = 0
    let t0 = DispatchTime.now()
    for k in trace {
        let prompt = tracePrompt(k)
        let body = #"{"model":"gpt-4o","temperature":0,"messages":[{"role":"user","content":"\#(prompt)"}]}"#
        guard let r = try? client.post("/v1/chat/completions", json: body), r.status == 200 else {
            errors += 1
            continue
        }
        if r.header("x-mosaic-cache") == "hit" { hitHeaders += 1 }
    }
    let seconds = Bench.seconds(since: t0)
    client.close()
    gateway.stop()

    let db = try Store(path: store, readOnly: true).database
    let d = db.dialect
    let hitRow = try db.rows("SELECT count(*), \(d.moneySum("saved")) FROM cache_hits")[0]
    let spentRow = try db.rows("SELECT count(*), \(d.moneySum("cost")) FROM requests")[0]
    func int(_ v: SQLValue) -> Int { if case .int(let i) = v { return Int(i) }; return -1 }
    func money(_ v: SQLValue) -> Money? {
        if case .text(let t) = v { return try? Money(parsing: t) }
        if case .null = v { return .zero }
        return nil
    }
    let storedHits = int(hitRow[0]), forwarded = int(spentRow[0])
    let saved = money(hitRow[1]) ?? .zero, spent = money(spentRow[1]) ?? .zero
    let expected = try Money(parsing: expectedSaved.description), uncached = try Money(parsing: totalIfUncached.description)
    say(String(format: "  replayed in %.1f s (%.0f requests/s, one connection), errors %d", seconds, Double(n) / seconds, errors))
    say(String(format: "  hit rate: measured %.2f%% (%d hits answered, %d cache_hits rows, %d requests forwarded); the trace repeats %.2f%% of its requests (%d distinct prompts)",
               Double(hitHeaders) / Double(n) * 100, hitHeaders, storedHits, forwarded, Double(repeats) / Double(n) * 100, seen.count))
    say("  saved by the cache (cache_hits.saved, exact): \(saved) USD; expected from the trace and the price table (Foundation Decimal): "
        + "\(expected) USD" + (saved == expected ? " (equal)" : " (DIFFERENT)"))
    say("  spent upstream (requests.cost, exact): \(spent) USD; the whole trace uncached would cost \(uncached) USD "
        + String(format: "(saved + spent %@ it); the cache saved %.2f%% of it", saved + spent == uncached ? "equals" : "DIFFERS from",
                 saved.doubleValue / uncached.doubleValue * 100))
}

// MARK: - Side by side with LiteLLM

/// One proxy's runs over the rates.
struct ProxyRuns {
    var name: String
    var runs: [OpenLoopResult] = []
}

/// Whether an open-loop run kept up: every request answered, none failed, the achieved rate
/// within 1% of the target, and p99 under 200 ms (10× the upstream's 20 ms).
func sustained(_ r: OpenLoopResult) -> Bool {
    r.errors == 0 && r.unfinished == 0 && r.achievedRate >= r.targetRate * 0.99 && r.percentileMs(0.99) <= 200
}

func gatewayVersusLiteLLM(executable: String, modelPath: String, dir: URL, options: BenchmarkOptions, say: (String) -> Void) throws {
    let seconds = options.double("--open-seconds", 5)
    let connections = options.int("--open-connections", 256, minimum: 1)
    let delay = options.double("--delay-ms", 20)
    let rates = (options.value("--rates") ?? "500,1000,2000").split(separator: ",").compactMap { Double($0) }
    let ladder = (options.value("--ladder") ?? "4000,6000,8000,12000").split(separator: ",").compactMap { Double($0) }
    let liteLadder = (options.value("--litellm-ladder") ?? "50,100,200,300,400").split(separator: ",").compactMap { Double($0) }
    let mock = try PortChild(executable, ["--mock-upstream", "--delay-ms", String(delay)])
    defer { mock.stop() }
    let body = #"{"model":"gpt-4o","temperature":0.7,"messages":[{"role":"user","content":"Say hello"}]}"#
    say("side by side: a mock upstream answering in \(delay) ms; open loop (latency from the intended send time), \(connections) connections, 1 s warm-up + \(seconds) s per rate")
    say("the machine is shared and loaded: load average \(loadAverage()) at the start")
    pinGenerator(placement.generatorCPUs)
    say(placement.summary)

    var pendingSchedLine = ""
    let generator = generatorThread()
    let upstream = Watched(name: "upstream", pid: mock.process.processIdentifier)
    /// One open-loop run; the scheduler's line for `proxy` (nil: direct to the upstream) follows it.
    func run(_ port: Int, _ rate: Double, proxy: Watched? = nil) -> OpenLoopResult {
        let (r, sched) = withSchedReport((proxy.map { [$0] } ?? []) + [upstream, generator]) {
            openLoop(port: port, path: "/v1/chat/completions", bodies: [body], rate: rate, seconds: seconds, warmup: 1,
                     connections: connections)
        }
        pendingSchedLine = "    " + sched
        return r
    }
    func line(_ name: String, _ r: OpenLoopResult, _ direct: OpenLoopResult?) -> String {
        var s = String(format: "  %-8@ %6.0f req/s  answered %6.0f/s  p50 %7.2f ms  p99 %7.2f ms  errors %d  unfinished %d",
                       name as NSString, r.targetRate, r.achievedRate, r.percentileMs(0.5), r.percentileMs(0.99), r.errors, r.unfinished)
        if let direct {
            s += String(format: "  added p50 %+.2f ms  p99 %+.2f ms", r.percentileMs(0.5) - direct.percentileMs(0.5),
                        r.percentileMs(0.99) - direct.percentileMs(0.99))
        }
        return s + "  (load \(loadAverage()))\n" + pendingSchedLine
    }

    var direct: [Double: OpenLoopResult] = [:]
    for rate in rates {
        let r = run(mock.port, rate)
        direct[rate] = r
        say(line("direct", r, nil))
    }

    // Mosaic: no store, no cache (the proxy's own work: route, forward, answer).
    let gateway = try startGateway(executable: executable, modelPath: modelPath, dir: dir, upstreamPort: mock.port, cacheBytes: nil,
                                   store: nil)
    var mosaicBest = 0.0
    for rate in rates {
        let r = run(gateway.port, rate, proxy: Watched(name: "gateway", pid: gateway.process.processIdentifier))
        say(line("mosaic", r, direct[rate]))
        if sustained(r) { mosaicBest = max(mosaicBest, rate) }
    }
    for rate in ladder where rate > (rates.max() ?? 0) {
        let r = run(gateway.port, rate, proxy: Watched(name: "gateway", pid: gateway.process.processIdentifier))
        say(line("mosaic", r, nil))
        if sustained(r) { mosaicBest = max(mosaicBest, rate) } else { break }
    }
    gateway.stop()

    // LiteLLM, pinned, against the same mock.
    let litellm = options.value("--litellm") ?? "/tmp/gw2-litellm/venv/bin/litellm"
    guard FileManager.default.isExecutableFile(atPath: litellm) else {
        say("LiteLLM: no executable at \(litellm) (pip install 'litellm[proxy]==1.74.9' in a venv, then --litellm PATH); skipped")
        say(String(format: "mosaic highest sustained rate: %.0f req/s (of those tried)", mosaicBest))
        return
    }
    let config = dir.appendingPathComponent("litellm.yaml").path
    try """
        model_list:
          - model_name: gpt-4o
            litellm_params:
              model: openai/bench-model
              api_base: http://127.0.0.1:\(mock.port)/v1
              api_key: sk-bench
        litellm_settings:
          drop_params: true
          telemetry: false

        """.write(toFile: config, atomically: true, encoding: .utf8)
    let litePort = 40_000 + Int(getpid() % 20_000)
    let lite = Process()
    lite.executableURL = URL(fileURLWithPath: litellm)
    lite.arguments = ["--config", config, "--host", "127.0.0.1", "--port", String(litePort), "--num_workers", "1"]
    var env = ProcessInfo.processInfo.environment
    env["LITELLM_LOG"] = "ERROR"
    env["LITELLM_TELEMETRY"] = "False"
    lite.environment = env
    let liteLog = dir.appendingPathComponent("litellm.log").path
    _ = FileManager.default.createFile(atPath: liteLog, contents: nil)
    lite.standardOutput = FileHandle(forWritingAtPath: liteLog)
    lite.standardError = FileHandle(forWritingAtPath: liteLog)
    try lite.run()
    defer {
        lite.terminate()
        lite.waitUntilExit()
    }
    var ready = false
    let deadline = Date().addingTimeInterval(120)
    while Date() < deadline && !ready {
        Thread.sleep(forTimeInterval: 0.5)
        let c = LoopbackHTTPClient(port: litePort)
        if let r = try? c.post("/v1/chat/completions", json: body), r.status == 200 { ready = true }
        c.close()
    }
    guard ready else {
        say("LiteLLM did not answer within 120 s; its log: \(liteLog)")
        return
    }
    let python = URL(fileURLWithPath: litellm).deletingLastPathComponent().appendingPathComponent("python3").path
    let version = Bench.run(python, ["-c", "import importlib.metadata as m; print(m.version('litellm'))"])
        .map { String(decoding: $0.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "?"
    say("LiteLLM proxy \(version) (one worker) on 127.0.0.1:\(litePort)")
    var liteBest = 0.0
    for rate in rates {
        let r = run(litePort, rate, proxy: Watched(name: "litellm", pid: lite.processIdentifier))
        say(line("litellm", r, direct[rate]))
        if sustained(r) { liteBest = max(liteBest, rate) }
    }
    if liteBest < (rates.min() ?? 0) {
        for rate in liteLadder where rate < (rates.min() ?? 0) {
            let r = run(litePort, rate, proxy: Watched(name: "litellm", pid: lite.processIdentifier))
            say(line("litellm", r, nil))
            if sustained(r) { liteBest = max(liteBest, rate) } else { break }
        }
    }
    say(String(format: "highest sustained rate (every request answered, none failed, ≥ 99%% of the target rate, p99 ≤ 200 ms) of those tried: mosaic %.0f req/s, litellm %.0f req/s (%.1f×)",
               mosaicBest, liteBest, liteBest > 0 ? mosaicBest / liteBest : .infinity))
    say("load average at the end: \(loadAverage())")
}
