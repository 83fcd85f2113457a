// Routing-decision benchmark: how long one routing decision takes and whether it allocates.
//
//   swift build -c release --product RoutingBenchmark && OPENBLAS_NUM_THREADS=1 .build/release/RoutingBenchmark
//
// Builds a 16-provider catalog, trains a 16-provider routing model on synthetic requests, and
// compiles a policy with every filter on, 20 rules (most never match, so every decision
// evaluates them all) and `model_utility(λ 10, μ 0.1)`. 1,024 varied requests are built before
// anything is timed. After 20,000 warm-up decisions it times 1,000,000 decisions one by one
// (`clock_gettime(CLOCK_MONOTONIC)` around each `Router.decide`) for p50/p99/p99.9/max, runs the
// same number again without per-call timers for decisions/s, and does the same for
// `route` + `complete` pairs (admission, breaker, EWMA, budgets, outlier sweeps).
//
// Heap allocations per decision are counted with ordo-one/malloc-interposer: on Linux the
// interposer only counts when `libMallocInterposerSwift.so` is preloaded, so the benchmark
// re-executes itself with `LD_PRELOAD` set to the copy beside the executable. Goals: p99 under
// 10 µs in-process (the design documents allow 10 ms) and zero allocations after warm-up.
//
// Options: `--decisions N` (timed decisions, default 1,000,000), `--no-alloc` (skip counting),
// `--trace-allocations` (print the call stacks of allocations left after warm-up; resolve the
// `(+0x…)` offsets with `addr2line -f -i -C -e .build/release/RoutingBenchmark`).
import BenchmarkSupport
import Foundation
import MallocInterposerSwift
import MosaicCore
import MosaicLearn
import MosaicRouting

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Options and re-executing with the interposer preloaded

let options = BenchmarkOptions("RoutingBenchmark", values: ["--decisions"], flags: ["--no-alloc", "--trace-allocations"],
                               usage: "[--decisions N] [--no-alloc] [--trace-allocations]")
let decisions = options.int("--decisions", 1_000_000, minimum: 1)
let countAllocations = !options.flag("--no-alloc")
let traceAllocations = options.flag("--trace-allocations")
let warmUp = 20_000
let allocationDecisions = 100_000

/// The interposer library beside the executable, if it was built.
let interposerPath: String? = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    let path = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("libMallocInterposerSwift.so").path
    return FileManager.default.fileExists(atPath: path) ? path : nil
}()

/// Re-executes this program with the interposer preloaded, unless it already is (or cannot be).
@MainActor func reexecWithInterposer() {
    let env = ProcessInfo.processInfo.environment
    guard countAllocations, let lib = interposerPath, env["MOSAIC_ROUTING_BENCH_PRELOADED"] == nil else { return }
    if (env["LD_PRELOAD"] ?? "").contains("libMallocInterposerSwift") { return }
    var newEnv = env
    newEnv["LD_PRELOAD"] = (env["LD_PRELOAD"].map { $0.isEmpty ? "" : $0 + ":" } ?? "") + lib
    newEnv["MOSAIC_ROUTING_BENCH_PRELOADED"] = "1"
    var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) } + [nil]
    var envp: [UnsafeMutablePointer<CChar>?] = newEnv.map { strdup("\($0.key)=\($0.value)") } + [nil]
    fflush(nil)
    execve("/proc/self/exe", &argv, &envp)
    // Only reached when execve failed; carry on without counting.
    print("note: could not re-execute with LD_PRELOAD (errno \(errno)); allocations will not be counted")
}
reexecWithInterposer()

/// Whether the interposer sees this process's allocations (it only does when preloaded).
var sink = 0
@MainActor func interposerCounts() -> Bool {
    MallocInterposerSwift.initialize()
    MallocInterposerSwift.hook()
    let probe = [Int](repeating: 1, count: 64 + CommandLine.arguments.count)
    sink &+= probe.count
    MallocInterposerSwift.unhook()
    return MallocInterposerSwift.getStatistics().mallocCount > 0
}

@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

// Allocation stacks, recorded by the interposer's hook without allocating.
// glibc's backtrace(3), looked up at run time (the Glibc module does not export execinfo.h).
typealias BacktraceFn = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, Int32) -> Int32
typealias BacktraceSymbolsFn = @convention(c) (UnsafePointer<UnsafeMutableRawPointer?>?, Int32, Int32) -> Void
nonisolated(unsafe) let backtrace = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "backtrace")!, to: BacktraceFn.self)
let backtraceSymbolsFD = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "backtrace_symbols_fd")!, to: BacktraceSymbolsFn.self)
let traceCapacity = 4_096, traceDepth = 40
nonisolated(unsafe) let traceFrames = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: traceCapacity * traceDepth)
nonisolated(unsafe) let traceDepths = UnsafeMutablePointer<Int32>.allocate(capacity: traceCapacity)
nonisolated(unsafe) var traceCount = 0
nonisolated(unsafe) var traceBusy = false
let traceHook: MallocInterposerSwift.AllocationHook = { _ in
    if traceBusy || traceCount >= traceCapacity { return }
    traceBusy = true
    traceDepths[traceCount] = backtrace(traceFrames + traceCount * traceDepth, Int32(traceDepth))
    traceCount += 1
    traceBusy = false
}

/// Prints each distinct recorded stack once, with how often it was seen.
func printTraces(_ label: String) {
    var seen: [[UInt]: Int] = [:]
    var order: [[UInt]] = []
    for t in 0..<traceCount {
        let frames = (0..<Int(traceDepths[t])).map { UInt(bitPattern: traceFrames[t * traceDepth + $0]) }
        if seen[frames] == nil { order.append(frames) }
        seen[frames, default: 0] += 1
    }
    print("\n\(label): \(traceCount) allocations recorded, \(order.count) distinct stacks")
    for frames in order {
        print("-- seen \(seen[frames]!)×:")
        fflush(nil)
        var pointers = frames.map { UnsafeMutableRawPointer(bitPattern: $0) }
        backtraceSymbolsFD(&pointers, Int32(pointers.count), 1)
    }
}

func fmtInt(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (k, c) in s.enumerated() {
        if k > 0 && (s.count - k) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return out
}

// MARK: - Catalog: 16 AI providers

let ids = (0..<16).map { "provider-\($0)" }
let regionSets: [[String]] = [["us"], ["eu"], ["us", "eu"], ["ap"], ["us", "ap"], ["eu", "ap"], ["us", "eu", "ap"]]
let complianceSets: [[String]] = [["gdpr", "soc2"], ["soc2"], ["gdpr", "hipaa", "soc2"], [], ["soc2", "fedramp"], ["gdpr"]]
let contextWindows = [32_000, 128_000, 200_000, 1_000_000]
var catalogYAML = "version: 1\nproviders:\n"
for (p, id) in ids.enumerated() {
    var capabilities = ["function_calling"]
    if p % 2 == 0 { capabilities.append("vision") }
    if p % 3 == 0 { capabilities.append("json_mode") }
    catalogYAML += """
      - id: \(id)
        name: Provider \(p)
        kind: ai
        regions: [\(regionSets[p % regionSets.count].joined(separator: ", "))]
        self_hosted: false
        compliance: [\(complianceSets[p % complianceSets.count].joined(separator: ", "))]
        rate_limits:
          - {requests: 10000000, per: minute, scope: default}
        capabilities: [\(capabilities.joined(separator: ", "))]
        context_window: \(contextWindows[p % contextWindows.count])

    """
}
let catalog = try Catalog(yaml: catalogYAML, source: "routing-benchmark-catalog.yaml")
func providers(where keep: (Provider) -> Bool) -> [String] { catalog.providers.filter(keep).map(\.id) }

// MARK: - Routing model: 16 providers trained on synthetic requests

let tenantNames = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "health-co"]
let operations = ["chat", "completion", "embedding"]
let families = ["gpt-4o", "claude", "llama", "mistral"]
let regions = ["us", "eu", "ap"]
let start = Timestamp.parse("2026-10-05T00:00:00Z")!

var random = SeededRandom(seed: 16)
var byProvider: [String: [RoutingTrainer.Row]] = [:]
for (p, id) in ids.enumerated() {
    byProvider[id] = (0..<3000).map { i in
        let f = RequestFeatures(tenant: tenantNames[i % tenantNames.count], operation: operations[i % 3],
                                region: regions[i % 3 == 0 ? 0 : (i % 5 == 0 ? 1 : 2)], model: families[i % 4],
                                inputTokens: Int(random.lognormal(mu: 6, sigma: 1)), outputTokens: Int(random.lognormal(mu: 4, sigma: 1)),
                                timestamp: start + Int64(i) * 60_000_000)
        let ok = !random.bernoulli(0.01 + 0.004 * Double(p % 7) + 0.005 * Double(i % 4))
        let latency = exp(5.6 + 0.08 * Double(p % 9) + 0.2 * random.normal() + Double(i % 4) * 0.1)
        return RoutingTrainer.Row(features: f, latencyMs: latency, ok: ok)
    }
}
let trainStart = monotonicNanos()
let model = try RoutingTrainer().train(byProvider: byProvider, window: (start, start + 1), version: 1, createdAt: "bench").model
let trainSeconds = Double(monotonicNanos() - trainStart) / 1e9
precondition(model.providers.count == 16, "the routing model should have 16 provider heads")

// MARK: - Policy: every filter, 20 rules, model utility

func money(_ text: String) -> Money { try! Money(parsing: text) }
var costs: [String: ProviderCost] = [:]
var quality: [String: Double] = [:]
var fallbacks: [String: [String]] = [:]
for (p, id) in ids.enumerated() {
    let input = 0.15 + 0.35 * Double(p)
    costs[id] = ProviderCost(inputPerMillion: money(String(format: "%.2f", input)),
                             outputPerMillion: money(String(format: "%.2f", input * 4)),
                             perRequest: p % 5 == 0 ? money("0.0001") : .zero)
    quality[id] = 0.80 + 0.0125 * Double(p)
    fallbacks[id] = [ids[(p + 1) % 16], ids[(p + 5) % 16]]
}
let gdprEU = providers { $0.compliance.contains(.gdpr) && $0.regions.contains("eu") }
let hipaa = providers { $0.compliance.contains(.hipaa) }
let fedramp = providers { $0.compliance.contains(.fedramp) }
let longContext = providers { ($0.contextWindow ?? 0) >= 200_000 }
func cs(_ tags: ComplianceTag...) -> ComplianceSet { ComplianceSet(tags) }
func rule(_ name: String, _ match: RuleMatch, _ action: RuleAction) -> RoutingRule {
    RoutingRule(name: name, reason: "benchmark rule \(name)", match: match, action: action)
}
let rules: [RoutingRule] = [
    rule("legacy-tenants", RuleMatch(tenant: GlobPattern("legacy-*")), RuleAction(route: ["provider-0"])),
    rule("archive-resources", RuleMatch(resource: GlobPattern("*-archive")), RuleAction(route: ["provider-3"], mode: .prefer)),
    rule("night-batch", RuleMatch(tenant: GlobPattern("batch-*"), hours: MinuteRange(start: 0, end: 300)),
         RuleAction(route: ["provider-0", "provider-1"], mode: .prefer)),
    rule("fedramp-only", RuleMatch(compliance: cs(.fedramp)), RuleAction(route: fedramp)),
    rule("research-budget", RuleMatch(budgetTag: GlobPattern("research-*")), RuleAction(route: ["provider-7"], mode: .prefer)),
    rule("o1-family", RuleMatch(modelFamily: GlobPattern("o1*")), RuleAction(route: ["provider-2"])),
    rule("moderation", RuleMatch(operation: GlobPattern("moderation")), RuleAction(route: ["provider-6"])),
    rule("south-america", RuleMatch(region: GlobPattern("sa*")), RuleAction(route: ["provider-4"], mode: .prefer)),
    rule("audio", RuleMatch(capability: "audio"), RuleAction(route: ["provider-8"])),
    rule("experiments", RuleMatch(tag: GlobPattern("experiment?")), RuleAction(route: ["provider-9"], mode: .prefer)),
    rule("canary", RuleMatch(tag: GlobPattern("*canary*")), RuleAction(route: ["provider-15"], mode: .prefer)),
    rule("giant-prompts", RuleMatch(promptTokensOver: 500_000), RuleAction(route: ["provider-3"])),
    rule("tiny-embeddings", RuleMatch(operation: GlobPattern("embedding"), promptTokensAtMost: 16),
         RuleAction(route: ["provider-0", "provider-6"], mode: .prefer)),
    rule("billing-hipaa", RuleMatch(resource: GlobPattern("internal-billing*"), compliance: cs(.hipaa)), RuleAction(route: hipaa)),
    rule("ap-long-prompts", RuleMatch(region: GlobPattern("ap"), promptTokensOver: 20_000),
         RuleAction(route: ["provider-3", "provider-9"], mode: .prefer)),
    rule("privacy-eu", RuleMatch(region: GlobPattern("eu"), tag: GlobPattern("strict-privacy")), RuleAction(route: gdprEU)),
    rule("long-context", RuleMatch(promptTokensOver: 60_000), RuleAction(route: longContext)),
    rule("stark-night", RuleMatch(tenant: GlobPattern("stark"), hours: MinuteRange(start: 22 * 60, end: 6 * 60)),
         RuleAction(mode: .prefer, exclude: ["provider-9"])),
    rule("wayne-batch", RuleMatch(tenant: GlobPattern("wayne*"), tag: GlobPattern("batch")),
         RuleAction(mode: .prefer, exclude: ["provider-0", "provider-1"])),
    rule("support-claude", RuleMatch(modelFamily: GlobPattern("claude"), resource: GlobPattern("support-*")),
         RuleAction(route: ["provider-5", "provider-11"], mode: .prefer)),
]
precondition(rules.count == 20)
let bigQuota = RateLimit(requests: 100_000_000, period: .minute)
let policy = RoutingPolicy(
    name: "routing-benchmark",
    providers: ids,
    filters: RoutingPolicy.Filters(),
    rules: rules,
    strategy: .modelUtility(lambda: 10, mu: 0.1),
    tenants: [
        "acme": TenantPolicy(quota: bigQuota),
        "globex": TenantPolicy(deny: ["provider-15"], quota: bigQuota),
        "initech": TenantPolicy(allow: Array(ids.prefix(12)), quota: bigQuota),
        "health-co": TenantPolicy(allow: hipaa + ["provider-0", "provider-1"], quota: bigQuota),
        "*": TenantPolicy(deny: ["provider-14"], quota: bigQuota),
    ],
    budgets: [
        "team-a": BudgetPolicy(limit: money("1000000"), period: .day),
        "team-b": BudgetPolicy(limit: money("500000"), period: .day),
        "research": BudgetPolicy(limit: money("100000"), period: .day),
    ],
    fallbacks: fallbacks,
    costs: costs,
    quality: quality
)

// MARK: - Requests, built before anything is timed

let resources = ["internal-billing", "web-frontend", "data-pipeline", "support-bot", "search", "mobile-app"]
let tagSets: [[String]] = [[], [], [], [], ["strict-privacy"], ["beta"], ["batch", "low-priority"], ["batch"]]
let capabilitySets: [[String]] = [[], [], [], [], [], [], [], [], ["vision"], ["function_calling"]]
var requests: [RouteRequest] = []
for i in 0..<1024 {
    let u = random.uniform()
    let compliance = u < 0.70 ? cs() : u < 0.85 ? cs(.gdpr) : u < 0.93 ? cs(.soc2) : u < 0.98 ? cs(.hipaa) : cs(.gdpr, .soc2)
    let v = random.uniform()
    let residency: String? = v < 0.15 ? "eu" : v < 0.20 ? "us" : nil
    var prompt = Int(random.lognormal(mu: 6.5, sigma: 1.2).rounded())
    if i % 97 == 0 { prompt = 80_000 + i * 40 }   // a few long prompts for the context-window filter and rules
    let budgets: [String?] = [nil, nil, "team-a", "team-b", "research"]
    let slos: [Double?] = [nil, nil, 800, 1_500, 3_000]
    requests.append(RouteRequest(
        tenant: i % 13 == 0 ? "newco-\(i % 5)" : tenantNames[Int(random.next() % UInt64(tenantNames.count))],
        operation: operations[i % 3], modelFamily: families[Int(random.next() % 4)],
        resource: resources[Int(random.next() % UInt64(resources.count))],
        region: regions[Int(random.next() % 3)], residency: residency,
        promptTokens: max(1, min(prompt, 150_000)), expectedOutputTokens: max(1, Int(random.lognormal(mu: 5, sigma: 0.8))),
        compliance: compliance, capabilities: capabilitySets[Int(random.next() % UInt64(capabilitySets.count))],
        latencySLOMs: slos[Int(random.next() % UInt64(slos.count))],
        budgetTag: budgets[Int(random.next() % UInt64(budgets.count))],
        tags: tagSets[Int(random.next() % UInt64(tagSets.count))],
        timestamp: start + Int64(random.next() % UInt64(7 * Timestamp.microsPerDay))))
}
// Outcomes for route + complete: 2% failures, on a period prime to the requests'.
let outcomes: [(status: RequestStatus, latencyMs: Double)] = (0..<1021).map { _ in
    (random.bernoulli(0.02) ? .error : .ok, random.lognormal(mu: 6, sigma: 0.3))
}

// MARK: - The router and the timed loops

/// The state the timed loops touch, kept in a local value so no global access is checked.
struct Harness {
    enum Call { case decide, routeAndComplete }

    let router: Router
    let requests: [RouteRequest]
    let outcomes: [(status: RequestStatus, latencyMs: Double)]
    var decision = Decision(seed: 42)
    var now: Int64
    /// Simulated time between calls, µs.
    let step: Int64 = 1_000

    @inline(__always)
    mutating func call(_ kind: Call, _ k: Int) {
        switch kind {
        case .decide:
            router.decide(requests[k & 1023], now: now, into: &decision)
        case .routeAndComplete:
            let r = requests[k & 1023]
            if let ticket = router.route(r, now: now, into: &decision) {
                let o = outcomes[k % outcomes.count]
                router.complete(ticket, status: o.status, latencyMs: o.latencyMs, inputTokens: r.promptTokens,
                                outputTokens: r.expectedOutputTokens, budgetTag: r.budgetTag, now: now + 400)
            }
        }
        now += step
    }

    /// Times `n` calls one by one, then `n` more in a plain loop; returns the latencies and calls/s.
    mutating func measure(_ kind: Call, _ n: Int) -> (Latencies, Double) {
        var samples = [UInt64](repeating: 0, count: n)
        samples.withUnsafeMutableBufferPointer { s in
            for k in 0..<n {
                let a = monotonicNanos()
                call(kind, k)
                s[k] = monotonicNanos() &- a
            }
        }
        let t = monotonicNanos()
        for k in 0..<n { call(kind, k) }
        let rate = Double(n) / (Double(monotonicNanos() - t) / 1e9)
        return (Latencies(&samples), rate)
    }

    /// Mallocs per call, bytes per call and mallocs in all over `n` calls.
    mutating func allocations(_ kind: Call, _ n: Int) -> (perCall: Double, bytesPerCall: Double, total: Int) {
        MallocInterposerSwift.initialize()
        MallocInterposerSwift.hook()
        for k in 0..<n { call(kind, k) }
        MallocInterposerSwift.unhook()
        let s = MallocInterposerSwift.getStatistics()
        return (Double(s.mallocCount) / Double(n), Double(s.mallocBytesCount) / Double(n), s.mallocCount)
    }
}

struct Latencies {
    var p50, p99, p999, max: Double
    init(_ samples: inout [UInt64]) {
        samples.sort()
        func at(_ q: Double) -> Double { Double(samples[min(samples.count - 1, Int(Double(samples.count) * q))]) / 1_000 }
        p50 = at(0.5); p99 = at(0.99); p999 = at(0.999); max = Double(samples.last!) / 1_000
    }
}

struct Results {
    var ruleMatches = 0, candidates = 0, empty = 0, rejected = 0
    var timerNs: UInt64 = 0
    var decide: (Latencies, Double)
    var cycle: (Latencies, Double)
    var decideAllocs: (perCall: Double, bytesPerCall: Double, total: Int)?
    var cycleAllocs: (perCall: Double, bytesPerCall: Double, total: Int)?
}

@MainActor func run(_ router: Router) -> Results {
    var h = Harness(router: router, requests: requests, outcomes: outcomes, now: start)
    // Warm-up, and a look at what the decisions are.
    var ruleMatches = 0, candidates = 0, empty = 0, rejected = 0
    for k in 0..<warmUp {
        h.call(.decide, k)
        if h.decision.rule != nil { ruleMatches += 1 }
        if h.decision.rejection != nil { rejected += 1 }
        if h.decision.candidates.isEmpty { empty += 1 }
        candidates += h.decision.candidates.count
    }
    for k in 0..<warmUp { h.call(.routeAndComplete, k) }

    // Timer cost, for reading the latencies.
    var timer = [UInt64](repeating: 0, count: 100_000)
    for k in timer.indices { let a = monotonicNanos(); timer[k] = monotonicNanos() &- a }
    timer.sort()

    let decide = h.measure(.decide, decisions)
    let cycle = h.measure(.routeAndComplete, decisions)
    var results = Results(ruleMatches: ruleMatches, candidates: candidates, empty: empty, rejected: rejected,
                          timerNs: timer[timer.count / 2], decide: decide, cycle: cycle)
    if countAllocations && interposerCounts() {
        results.decideAllocs = h.allocations(.decide, allocationDecisions)
        results.cycleAllocs = h.allocations(.routeAndComplete, allocationDecisions)
        if traceAllocations {
            var warm = [UnsafeMutableRawPointer?](repeating: nil, count: 4)
            _ = backtrace(&warm, 4)   // loads the unwinder before anything is recorded
            for kind in [Harness.Call.decide, .routeAndComplete] {
                traceCount = 0
                MallocInterposerSwift.setAllocationHook(traceHook)
                _ = h.allocations(kind, 10_000)
                MallocInterposerSwift.setAllocationHook(nil)
                printTraces(kind == .decide ? "decide" : "route + complete")
            }
        }
    }
    return results
}

let router = try Router(policy: policy, catalog: catalog, model: model, now: start)
let results = run(router)

// MARK: - Report

print("routing decision: 16 providers, 20 rules, every filter, model_utility(λ 10, μ 0.1); model trained in \(String(format: "%.1f", trainSeconds)) s")
print(String(format: "requests: 1,024 built up front; in warm-up %.1f%% matched a rule, %.1f candidates on average, %.1f%% left none, %.1f%% rejected",
             100 * Double(results.ruleMatches) / Double(warmUp), Double(results.candidates) / Double(warmUp),
             100 * Double(results.empty) / Double(warmUp), 100 * Double(results.rejected) / Double(warmUp)))
print("timed: \(fmtInt(decisions)) calls each after \(fmtInt(warmUp)) warm-up; latencies include one clock read pair (median \(results.timerNs) ns)")
print("")
func pad(_ s: String, _ w: Int, left: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, w - s.count))
    return left ? s + fill : fill + s
}
func row(_ name: String, _ l: Latencies, _ rate: Double) {
    print(pad(name, 18, left: true) + [l.p50, l.p99, l.p999, l.max].map { pad(String(format: "%.2f", $0), 9) }.joined()
          + pad(fmtInt(Int(rate)), 12)
          + String(format: "   p99 = %.2f× the 10 µs goal, %.4f× the design documents' 10 ms", l.p99 / 10, l.p99 / 10_000))
}
print(pad("µs per call", 18, left: true) + ["p50", "p99", "p99.9", "max"].map { pad($0, 9) }.joined() + pad("calls/s", 12))
row("decide", results.decide.0, results.decide.1)
row("route + complete", results.cycle.0, results.cycle.1)
print("")
if let d = results.decideAllocs, let c = results.cycleAllocs {
    func verdict(_ x: Double) -> String { x == 0 ? "meets the goal of 0" : "goal 0: NOT met" }
    print(String(format: "heap allocations after warm-up (%@ calls each, malloc-interposer):", fmtInt(allocationDecisions) as NSString))
    print(String(format: "  decide            %.3f mallocs/call (%d in all, %.0f B/call)   %@", d.perCall, d.total, d.bytesPerCall, verdict(d.perCall) as NSString))
    print(String(format: "  route + complete  %.3f mallocs/call (%d in all, %.0f B/call)   %@", c.perCall, c.total, c.bytesPerCall, verdict(c.perCall) as NSString))
} else if !countAllocations {
    print("heap allocations: not counted (--no-alloc)")
} else if interposerPath == nil {
    print("heap allocations: not counted: libMallocInterposerSwift.so is not beside the executable "
          + "(build with `swift build -c release --product RoutingBenchmark`)")
} else {
    print("heap allocations: not counted: the interposer is not preloaded (run with LD_PRELOAD=\(interposerPath!))")
}
if sink == -1 { print(sink) }
