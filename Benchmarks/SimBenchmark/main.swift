// Simulator-kernel benchmark: M/M/16 at ρ = 0.9 (λ = 14.4, μ = 1), the anchor scenario of
// ../shared/reference/ref_queueing.py, on MosaicSim's kernel vs SimPy.
//
//   swift build -c release --product SimBenchmark && .build/release/SimBenchmark
//
//   options: --customers N         customers for the kernel (default 10,000,000; events = 2 N)
//            --simpy-customers N   customers for SimPy (default 1,000,000)
//            --shared DIR          where ../shared is (default $MOSAIC_SHARED or ../shared)
//            --no-simpy            skip the SimPy run
//            --servers C --lambda L  another M/M/C (μ = 1) for exploration; SimPy always runs M/M/16
//
// 1. Runs `MMcModel` (Kernel + MultiServerStation, portable splitmix64 variates: streams 4 and
//    5, x = -log1p(-u)/rate) with N customers on one thread: events/s (2 per customer), wall and
//    CPU time, peak RSS, and the statistics: mean wait with a 30-batch-means t 95 % CI (first 1 %
//    discarded) vs Erlang C, P(wait) vs C, the Wq p95 vs the analytic one, and Little's law.
// 2. Runs the kernel again with SimPy's customer count: the same variates give the same waits,
//    so its mean wait must equal SimPy's (printed with the relative difference).
// 3. Runs `python3 ref_queueing.py --simpy-n M --ciw-n 0 --heap-n 0` (SimPy 4, Resource with one
//    process per customer, variates pre-generated outside its timer) and prints the events/s
//    ratio. Goals from the issue: ≥ 10,000,000 events/s on one core and ≥ 50× SimPy.
//    SimPy is not installed by `scripts/bootstrap --bench`: `python3 -m pip install simpy`.
import BenchmarkSupport
import Foundation
import MosaicCore
import MosaicSim

#if canImport(Glibc)
import Glibc
#endif

func monotonic() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func cpuTime() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

let options = BenchmarkOptions("SimBenchmark")
func fail(_ message: String) -> Never { options.fail(message) }
func count(_ name: String, _ fallback: Int, minimum: Int = 100) -> Int { options.int(name, fallback, minimum: minimum) }

let customers = count("--customers", 10_000_000)
let simpyCustomers = count("--simpy-customers", 1_000_000)
let shared = options.value("--shared") ?? ProcessInfo.processInfo.environment["MOSAIC_SHARED"] ?? "../shared"
let script = shared + "/reference/ref_queueing.py"

// Other M/M/c models for exploration (the SimPy comparison is only meaningful for the default).
let c = count("--servers", 16, minimum: 1)
let lambda = options.double("--lambda", 14.4)
let mu = 1.0
let analyticWq = QueueingFormulas.meanWait(servers: c, arrivalRate: lambda, serviceRate: mu)
let analyticC = QueueingFormulas.erlangC(servers: c, load: lambda / mu)
let analyticP95 = QueueingFormulas.waitQuantile(0.95, servers: c, arrivalRate: lambda, serviceRate: mu)
let analyticL = lambda * (analyticWq + 1 / mu)

func f(_ x: Double, _ digits: Int = 5) -> String { String(format: "%.\(digits)f", x) }
func grouped(_ x: Double) -> String {
    let n = NumberFormatter()
    n.numberStyle = .decimal
    n.maximumFractionDigits = 0
    return n.string(from: NSNumber(value: x.rounded())) ?? "\(x)"
}

// MARK: - 1. The kernel, N customers

print("M/M/\(c), λ = \(lambda), μ = \(mu), ρ = \(lambda / (Double(c) * mu)); analytic Wq = \(analyticWq), C = \(analyticC)")
print("kernel: \(grouped(Double(customers))) customers (\(grouped(2 * Double(customers))) events), one thread…")
let config = MMcConfiguration(servers: c, arrivalRate: lambda, serviceRate: mu, customers: customers,
                              waitThresholds: [analyticP95])
let w0 = monotonic(), c0 = cpuTime()
let result = MMcModel.run(config)
let wall = monotonic() - w0, cpu = cpuTime() - c0
let rate = Double(result.events) / wall
let rss = Bench.peakRSSBytes()
print("  events \(grouped(Double(result.events))), wall \(f(wall, 3)) s (CPU \(f(cpu, 3)) s)")
print("  \(grouped(rate)) events/s (\(grouped(Double(result.events) / cpu)) per CPU second), \(grouped(Double(customers) / wall)) customers/s")
print("  peak RSS \(f(Double(rss) / 1e6, 1)) MB")
let wq = result.meanWait
print("  mean Wq \(f(wq.mean)) [\(f(wq.low)), \(f(wq.high))] (30 batch means, t 95 %) vs Erlang C \(f(analyticWq)): "
      + "\(wq.contains(analyticWq) ? "inside" : "OUTSIDE") the CI, \(f(100 * (wq.mean - analyticWq) / analyticWq, 2)) %")
let pw = result.probabilityOfWait
print("  P(wait) \(f(pw.mean)) [\(f(pw.low)), \(f(pw.high))] vs C(\(c), \(lambda)) \(f(analyticC)): \(pw.contains(analyticC) ? "inside" : "OUTSIDE")")
if let p95 = result.waitQuantile(0.95) {
    let tail = result.waitTail[0]
    print("  Wq p95 \(f(p95)) vs analytic \(f(analyticP95)); P(Wq > analytic p95) \(f(tail.mean)) [\(f(tail.low)), \(f(tail.high))] vs 0.05: "
          + "\(tail.contains(0.05) ? "inside" : "OUTSIDE")")
}
let L = result.meanInSystem
print("  L \(f(L.mean)) [\(f(L.low)), \(f(L.high))] vs analytic \(f(analyticL)); Little λ_eff·W = \(f(result.throughput, 4)) × "
      + "\(f(result.meanResponse.mean)) = \(f(result.littleL)) (\(L.contains(result.littleL) ? "inside" : "OUTSIDE") L's CI); utilisation \(f(result.utilisation, 4))")

// MARK: - 2 and 3. SimPy on the same model and variates

func simpyAvailable() -> Bool { Bench.python3(["-c", "import simpy, numpy, scipy"], quiet: true)?.status == 0 }

if options.flag("--no-simpy") || c != 16 || lambda != 14.4 {
    print("SimPy: skipped (--no-simpy)")
    exit(0)
}
guard FileManager.default.fileExists(atPath: script) else {
    print("SimPy: skipped, \(script) not found (pass --shared DIR or set MOSAIC_SHARED)")
    exit(0)
}
guard simpyAvailable() else {
    print("SimPy: skipped, python3 cannot import simpy, numpy and scipy "
          + "(scripts/bootstrap --bench does not install simpy: python3 -m pip install simpy numpy scipy)")
    exit(0)
}

let same = MMcModel.run(MMcConfiguration(servers: c, arrivalRate: lambda, serviceRate: mu, customers: simpyCustomers,
                                         recordWaitHistogram: false))

print("SimPy: python3 \(script) --simpy-n \(simpyCustomers) --ciw-n 0 --heap-n 0 …")
guard let simpy = Bench.python3([script, "--simpy-n", String(simpyCustomers), "--ciw-n", "0", "--heap-n", "0"]) else {
    fail("cannot start python3")
}
if simpy.status != 0 { fail("ref_queueing.py exited with \(simpy.status)") }
let data = simpy.output
guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
      let anchor = json["simulation_anchor"] as? [String: Any],
      let run = (anchor["runs"] as? [[String: Any]])?.first(where: { $0["tool"] as? String == "simpy" }),
      let simpyRate = run["events_per_s"] as? Double, let simpyWall = run["wall_s"] as? Double,
      let bm = run["Wq_batch_means"] as? [String: Any], let simpyMean = bm["mean"] as? Double,
      let simpyAll = run["mean_wait_all_customers_no_warmup"] as? Double
else { fail("unexpected output from ref_queueing.py") }
let lo = bm["ci95_low"] as? Double ?? .nan, hi = bm["ci95_high"] as? Double ?? .nan
print("  SimPy \(run["version"] as? String ?? "?"): \(grouped(Double(simpyCustomers))) customers, wall \(f(simpyWall, 2)) s, "
      + "\(grouped(simpyRate)) events/s, peak RSS \(f(Double(Bench.peakRSSBytes(children: true)) / 1e6, 1)) MB")
print("  SimPy mean Wq \(f(simpyMean)) [\(f(lo)), \(f(hi))]; kernel on the same \(grouped(Double(simpyCustomers))) customers: "
      + "\(f(same.meanWait.mean)) [\(f(same.meanWait.low)), \(f(same.meanWait.high))]")
let rel = abs(same.meanWaitAllCustomers - simpyAll) / simpyAll
print("  mean wait over all customers: kernel \(same.meanWaitAllCustomers), SimPy \(simpyAll), relative difference \(String(format: "%.2e", rel))"
      + (rel <= 1e-9 ? " (same waits)" : " (DIFFERENT)"))
let ratio = rate / simpyRate
let cpuRate = Double(result.events) / cpu
let simpyCPURate = run["events_per_cpu_s"] as? Double ?? simpyRate
let cpuRatio = cpuRate / simpyCPURate
print("kernel / SimPy events/s: \(f(ratio, 1))× by wall time, \(f(cpuRatio, 1))× by CPU time")
// On a shared machine the wall-clock rate also counts time the process was not running; the
// CPU-time rate is what one core does.
print("goals: ≥ 10,000,000 events/s on one core: \(cpuRate >= 1e7 ? "met" : "NOT met") (\(grouped(cpuRate)) per CPU second, "
      + "\(grouped(rate)) by wall time); ≥ 50× SimPy: \(min(ratio, cpuRatio) >= 50 ? "met" : "NOT met")")
