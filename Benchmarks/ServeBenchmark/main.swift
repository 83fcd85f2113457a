// ServeBenchmark: `mosaic serve` under load on loopback, beside the HTTP floor of this machine.
//
//   swift build -c release --product ServeBenchmark
//   .build/release/ServeBenchmark [--model models/router-demo.json] [--seconds 20] [--rounds 3] [--connections 64] [--soak 600]
//       [--rates 1000,5000,10000,20000] [--open-seconds 10] [--open-connections 256] [--no-open-loop] [--no-wrk]
//       [--executor event-loops|pool]   (where the server runs its handlers, as `mosaic serve --executor`)
//       [--no-direct-routes]   (route and echo through the Hummingbird router, as `mosaic serve --no-direct-routes`)
//       [--threads N] [--server-cpus LIST] [--generator-cpus LIST]   (Placement.swift)
//       [--open-only] [--open-paths /v1/route,/bench/echo]   (OpenLoop.swift)
//   .build/release/ServeBenchmark --outcomes [--clients 16] [--seconds 20]   (the cost of durable outcomes)
//   .build/release/ServeBenchmark --gateway-cache | --gateway-vs-litellm      (GatewayBenchmark.swift)
//   .build/release/ServeBenchmark --fleet postgres://… [--instances 1,2,3] [--clients 16] [--seconds 10]   (Fleet.swift)
//
// The server runs in a child process (this binary with --serve), the load generator here: one
// thread, epoll, N keep-alive HTTP/1.1 connections each sending its next request as soon as the
// previous answer is in (closed loop, as wrk does). Same run, same server, two endpoints:
// POST /bench/echo (answers the body: the floor) and POST /v1/route (a routing decision with the
// trained model), in `--rounds` rounds whose order alternates. Then model load time (in this
// process), and with --soak a paced run at 80% of the measured routing maximum, reporting the
// server's RSS at start and end.

import BenchmarkSupport
import Foundation
import Logging
import MosaicCore
import MosaicRouting
import MosaicServer
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

// MARK: - Options

let options = BenchmarkOptions("ServeBenchmark")
let args = options.arguments
/// Unbuffered output (progress lines show up at once even when piped).
func say(_ s: String) {
    let line = s + "\n"
    _ = line.withCString { write(1, $0, strlen($0)) }
}
let modelPath = options.value("--model") ?? "models/router-demo.json"
let seconds = options.double("--seconds", 20)
let connections = options.int("--connections", 64, minimum: 1)
/// Closed-loop rounds of echo and route, the order alternating each round.
let rounds = options.int("--rounds", 3, minimum: 1)
let soakSeconds = options.double("--soak", 0)
let warmup = 2.0
/// Where the server children run their request handlers (`mosaic serve --executor`).
let executorChoice = options.value("--executor") ?? TaskExecutorChoice.eventLoops.rawValue
/// `--no-direct-routes`: the route and echo requests go through the Hummingbird router, as
/// `mosaic serve --no-direct-routes` (the comparison with the direct channel handler).
let directRoutes = !options.flag("--no-direct-routes")
/// Event-loop threads and CPU pinning of the children and the generator (Placement.swift).
let placement = Placement(options)

/// The example policy with quotas and rate limits raised out of the way: the benchmark measures
/// decisions, not a tenant's hourly quota running out after a few seconds at 10k requests/s.
func benchPolicyYAML() -> String {
    var y = RoutingPolicy.exampleYAML
    y = y.replacingOccurrences(of: "quota: {requests: 100000, per: hour}", with: "quota: {requests: 1000000000000, per: hour}")
    y = y.replacingOccurrences(of: "quota: {requests: 50000, per: hour}", with: "quota: {requests: 1000000000000, per: hour}")
    y = y.replacingOccurrences(of: "# rate_limits:", with: """
        rate_limits:
          openai: [{requests: 1000000000000, per: minute}]
          anthropic: [{requests: 1000000000000, per: minute}]
          cohere: [{requests: 1000000000000, per: minute}]
        #
        """)
    return y
}

// MARK: - Server mode (the child process)

if args.first == "--mock-upstream" {   // the gateway benchmarks' upstream (GatewayBenchmark.swift)
    if let t = placement.threads { EventLoopThreads.use(t) }
    runMockUpstream(delayMs: options.double("--delay-ms", 20))
}

if args.first == "--serve" {
    guard let executor = TaskExecutorChoice(rawValue: executorChoice) else {
        options.fail("--executor must be event-loops or pool")
    }
    if let t = placement.threads { EventLoopThreads.use(t) }   // as `mosaic serve --threads`
    executor.adopt()   // as `mosaic serve --executor` does, before the first task
    let policyPath = options.value("--policy")!
    var o = ServeOptions(modelPath: modelPath, policyPath: policyPath, catalog: .default)
    o.port = 0
    o.echoEndpoint = true
    o.directRoutes = directRoutes
    o.watchIntervalSeconds = nil
    o.gatewayPath = options.value("--gateway")
    if let store = options.value("--store") {   // the outcome benchmark (OutcomeDurability.swift)
        o.storePath = store
        o.outcomeAcknowledgement = OutcomeAcknowledgement(rawValue: options.value("--ack") ?? "") ?? .committed
    }
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let service = try RoutingService(options: o, logger: logger)
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        try await ServeApplication.run(service: service, logger: logger) { port in
            let line = "PORT \(port)\n"
            _ = line.withCString { write(1, $0, strlen($0)) }
        }
        done.signal()
    }
    done.wait()
    exit(0)
}

guard FileManager.default.fileExists(atPath: modelPath) else {
    say("ServeBenchmark: no model at \(modelPath); run `mosaic demo` (it trains models/router-demo.json) or pass --model")
    exit(1)
}

// MARK: - Helpers

func rssKiB(_ pid: Int32) -> Int {
    guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return -1 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
    }
    return -1
}

func nowNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

struct RunResult: MeasuredRun {
    var completed: Int
    var errors: Int
    var seconds: Double
    var latenciesMicros: [UInt32]
}

/// The load generator: one poll(2) thread, `connections` keep-alive connections, closed loop or
/// paced to `targetRate` requests/s overall.
func load(port: Int, path: String, bodies: [String], seconds: Double, warmup: Double,
          targetRate: Double? = nil, sample: ((Double) -> Void)? = nil) -> RunResult {
    let requests = postRequests(path: path, bodies: bodies)
    var fds: [Int32] = []
    var buffers: [[UInt8]] = []
    var sentAt: [UInt64] = []
    var nextDue: [UInt64] = []
    var inflight: [Bool] = []
    var rr = 0
    for _ in 0..<connections {
        fds.append(loopbackConnection(port: port))
        buffers.append([])
        sentAt.append(0)
        nextDue.append(0)
        inflight.append(false)
    }
    let start = nowNanos()
    let measureFrom = start + UInt64(warmup * 1e9)
    let end = measureFrom + UInt64(seconds * 1e9)
    let interval: UInt64? = targetRate.map { UInt64(Double(connections) / $0 * 1e9) }
    var latencies: [UInt32] = []
    latencies.reserveCapacity(Int(seconds * 20_000))
    var count = 0, errors = 0
    var nextSample = measureFrom
    func send(_ k: Int, at t: UInt64) {
        let req = requests[rr % requests.count]
        rr += 1
        let n = req.withUnsafeBytes { write(fds[k], $0.baseAddress, $0.count) }
        if n != req.count { errors += 1 }
        sentAt[k] = t
        inflight[k] = true
        if let interval { nextDue[k] = max(nextDue[k] + interval, t) }
    }
    // Stagger paced connections over one interval.
    for k in 0..<connections {
        if let interval { nextDue[k] = start + interval * UInt64(k) / UInt64(connections) } else { send(k, at: nowNanos()) }
    }
    var pfds = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        var t = nowNanos()
        if t >= end { break }
        if let sample, t >= nextSample { sample(Double(t - start) / 1e9); nextSample = t + 10_000_000_000 }
        if interval != nil {
            for k in 0..<connections where !inflight[k] && nextDue[k] <= t { send(k, at: t) }
        }
        var timeout: Int32 = 10
        if interval != nil {
            var soonest = UInt64.max
            for k in 0..<connections where !inflight[k] { soonest = min(soonest, nextDue[k]) }
            timeout = soonest == .max ? 10 : Int32(min(10, max(0, (Int64(soonest) - Int64(t)) / 1_000_000)))
        }
        let n = poll(&pfds, nfds_t(pfds.count), timeout)
        if n <= 0 { continue }
        t = nowNanos()
        for k in 0..<pfds.count where pfds[k].revents != 0 {
            pfds[k].revents = 0
            let got = chunk.withUnsafeMutableBytes { read(fds[k], $0.baseAddress, 65536) }
            if got <= 0 { errors += 1; continue }
            buffers[k].append(contentsOf: chunk[0..<got])
            // Complete responses in the buffer.
            while let ok = takeResponse(from: &buffers[k]) {
                if sentAt[k] >= measureFrom {
                    if ok {
                        count += 1
                        latencies.append(UInt32(min(UInt64(UInt32.max), (t - sentAt[k]) / 1000)))
                    } else {
                        errors += 1
                    }
                }
                inflight[k] = false
                if interval == nil { send(k, at: t) }
            }
        }
    }
    for s in fds { close(s) }
    return RunResult(completed: count, errors: errors, seconds: seconds, latenciesMicros: latencies)
}

/// A TCP connection (no Nagle delay) to 127.0.0.1:`port`; stops the benchmark if it fails.
func loopbackConnection(port: Int) -> Int32 {
    let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var one: Int32 = 1
    setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(4))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(16)) } }
    precondition(rc == 0, "connect to 127.0.0.1:\(port) failed: errno \(errno)")
    return s
}

/// One keep-alive `POST path` request per body, as bytes.
func postRequests(path: String, bodies: [String]) -> [[UInt8]] {
    bodies.map { body in
        Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
    }
}

/// Removes the first complete HTTP response from `buffer`: nil while none is complete, else
/// whether its status is 2xx.
func takeResponse(from buffer: inout [UInt8]) -> Bool? {
    guard let headEnd = findHeaderEnd(buffer) else { return nil }
    let size = headEnd + 4 + contentLength(buffer, headEnd)
    guard buffer.count >= size else { return nil }
    let ok = buffer.count > 12 && buffer[9] == UInt8(ascii: "2")
    buffer.removeFirst(size)
    return ok
}

/// Where the response head in `b` ends (the index of its blank line's CR LF CR LF), or nil.
func findHeaderEnd(_ b: [UInt8]) -> Int? {
    if b.count < 4 { return nil }
    var i = 0
    while i + 3 < b.count {
        if b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        i += 1
    }
    return nil
}

/// The head's Content-Length (0 without one).
func contentLength(_ b: [UInt8], _ headEnd: Int) -> Int {
    let head = String(decoding: b[0..<headEnd], as: UTF8.self).lowercased()
    guard let r = head.range(of: "content-length:") else { return 0 }
    // ("\r\n" is one Character in Swift, so take the digits.)
    return Int(head[r.upperBound...].drop { $0 == " " }.prefix { $0.isNumber }) ?? 0
}

// MARK: - Run

let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serve-bench-\(getpid())")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
let policyPath = dir.appendingPathComponent("policy.yaml").path
try benchPolicyYAML().write(toFile: policyPath, atomically: true, encoding: .utf8)

if let url = options.value("--fleet") {
    let sizes = (options.value("--instances") ?? "1,2,3").split(separator: ",").compactMap { Int($0) }
    try fleetBenchmark(adminURL: url, sizes: sizes, executable: CommandLine.arguments[0], modelPath: modelPath, policyPath: policyPath,
                       clients: options.int("--clients", 16, minimum: 1), seconds: options.double("--seconds", 10), warmup: warmup, say: say)
    exit(0)
}

if options.flag("--outcomes") {
    try outcomeDurabilityBenchmark(executable: CommandLine.arguments[0], modelPath: modelPath, policyPath: policyPath, dir: dir,
                                   clients: options.int("--clients", 16, minimum: 1), seconds: seconds, warmup: warmup, say: say)
    exit(0)
}
if options.flag("--gateway-cache") {
    try gatewayCacheBenchmark(executable: CommandLine.arguments[0], modelPath: modelPath, dir: dir, options: options, say: say)
    exit(0)
}
if options.flag("--gateway-vs-litellm") {
    try gatewayVersusLiteLLM(executable: CommandLine.arguments[0], modelPath: modelPath, dir: dir, options: options, say: say)
    exit(0)
}

/// `--open-only`: only the open-loop table (no model loads, no in-process handler run, no closed loop).
let openOnly = options.flag("--open-only")
if openOnly && soakSeconds > 0 { options.fail("--soak needs the closed loop's routing maximum; drop --open-only") }
if !openOnly {
    // Model load: read + parse + validate + compile, in this process (release build).
    var loads: [Double] = []
    for _ in 0..<50 {
        let b = try LoadedBundle.load(modelPath: modelPath, policyPath: policyPath, catalog: .default, now: Timestamp.now(), generation: 1)
        loads.append(b.loadSeconds * 1000)
    }
    loads.sort()
    let modelBytes = (try? FileManager.default.attributesOfItem(atPath: modelPath)[.size] as? Int) ?? 0
    say(String(format: "model load (%@, %d KiB): median %.2f ms, max %.2f ms over 50 loads (read, parse, validate, compile the router)",
                 modelPath, modelBytes / 1024, loads[25], loads[49]))

    // The route handler's own cost, in process (parse the body, decide, admit, remember, write JSON).
    do {
        var o = ServeOptions(modelPath: modelPath, policyPath: policyPath, catalog: .default)
        o.watchIntervalSeconds = nil
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let service = try RoutingService(options: o, logger: logger)
        let bodies = [
            #"{"tenant":"acme","model_family":"gpt-4o","region":"us","prompt_tokens":2000,"expected_output_tokens":400,"slo_ms":20000}"#,
            #"{"tenant":"acme","prompt_tokens":150000,"expected_output_tokens":1000}"#,
        ].map { Array($0.utf8) }
        let n = 200_000
        var bytes = 0
        let t0 = nowNanos()
        let c0 = Bench.threadCPUSeconds()
        for k in 0..<n {
            let out = try bodies[k & 1].withUnsafeBytes { try service.route(body: $0) }
            bytes += out.readableBytes
        }
        let perCall = Double(nowNanos() - t0) / Double(n) / 1000
        let cpuPerCall = (Bench.threadCPUSeconds() - c0) / Double(n) * 1e6
        say(String(format: "route handler in process: %.2f µs per decision (%.2f µs of CPU) (parse, decide, admit, remember, write %d-byte JSON), one thread",
                   perCall, cpuPerCall, bytes / n))
        // The same on two threads at once, as the two event loops call it: what the shared state
        // (locks, counters, reference counts, the pending table, metrics) adds to each decision
        // when two cores touch it. The CPU time per decision is the figure to compare: it does
        // not count the time a thread waited for a core on a busy machine.
        let perThread = n / 2
        let group = DispatchGroup()
        let cpu = Mutex<Double>(0)
        let t1 = nowNanos()
        for _ in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                let c = Bench.threadCPUSeconds()
                for k in 0..<perThread { _ = try? bodies[k & 1].withUnsafeBytes { try service.route(body: $0) } }
                let used = Bench.threadCPUSeconds() - c
                cpu.withLock { $0 += used }
                group.leave()
            }
        }
        group.wait()
        let wall = Double(nowNanos() - t1) / 1000
        let cpuPerDecision = cpu.withLock { $0 } / Double(2 * perThread) * 1e6
        say(String(format: "route handler in process, two threads at once: %.2f µs per decision per thread, %.2f µs of CPU per decision (%.2f× one thread's; %.0f decisions/s in all)",
                   wall / Double(perThread), cpuPerDecision, cpuPerDecision / cpuPerCall, Double(2 * perThread) / wall * 1e6))
        if options.flag("--micro-only") { exit(0) }
    }
}

let server: PortChild
do {
    server = try PortChild(CommandLine.arguments[0], ["--serve", "--model", modelPath, "--policy", policyPath])
} catch {
    say("\(error)")
    exit(1)
}
let child = server.process, port = server.port
defer { child.terminate() }
pinGenerator(placement.generatorCPUs)
say(placement.summary)

let bodies = [
    #"{"tenant":"acme","model_family":"gpt-4o","region":"us","prompt_tokens":2000,"expected_output_tokens":400,"slo_ms":20000}"#,
    #"{"tenant":"acme","prompt_tokens":150000,"expected_output_tokens":1000}"#,
    #"{"tenant":"globex","prompt_tokens":800,"expected_output_tokens":200,"tags":["strict-privacy"]}"#,
    #"{"tenant":"initech","model_family":"claude","prompt_tokens":500,"expected_output_tokens":100,"compliance":["hipaa"]}"#,
]
say("server pid \(child.processIdentifier) on 127.0.0.1:\(port); \(connections) connections, \(Int(warmup)) s warm-up + \(Int(seconds)) s per endpoint; RSS \(rssKiB(child.processIdentifier) / 1024) MiB")

func report(_ name: String, _ r: RunResult) {
    say(String(format: "%-10@ %9.0f req/s   p50 %6.2f ms   p99 %6.2f ms   p99.9 %6.2f ms   errors %d", name as NSString,
                 r.rate, r.percentile(0.5), r.percentile(0.99), r.percentile(0.999), r.errors))
}

var routeRate = 0.0   // the closed loop's routing maximum (the soak runs at 80% of it)
if !openOnly {
    // Rounds of echo and route, the order alternating (echo first, then route first, …), so that
    // neither endpoint always runs on the fresher server or the quieter minute: each round is one
    // run of the comparison, and the summary says in how many the goal held.
    var ratios: [(rate: Double, p99: Double)] = []
    for round in 1...rounds {
        var results: [String: RunResult] = [:]
        for path in round % 2 == 1 ? ["/bench/echo", "/v1/route"] : ["/v1/route", "/bench/echo"] {
            // The server's and the generator's CPU over the run (warm-up included): a generator
            // near one full core is the ceiling, and the ratio then says little about the server.
            let before = (SchedCounters.read(pid: child.processIdentifier), SchedCounters.read(pid: getpid(), tid: getpid()))
            let t0 = nowNanos()
            let r = load(port: port, path: path, bodies: bodies, seconds: seconds, warmup: warmup)
            let wall = Double(nowNanos() - t0)
            let serverCores = Double((SchedCounters.read(pid: child.processIdentifier) - before.0).cpuNanos) / wall
            let generatorCores = Double((SchedCounters.read(pid: getpid(), tid: getpid()) - before.1).cpuNanos) / wall
            report(path == "/v1/route" ? "route" : "echo", r)
            say(String(format: "           server %.2f cores (%.1f µs of CPU a request), generator %.2f cores",
                       serverCores, serverCores / r.rate * 1e6, generatorCores))
            results[path] = r
        }
        let echo = results["/bench/echo"]!, route = results["/v1/route"]!
        ratios.append((route.rate / echo.rate, route.percentile(0.99) / echo.percentile(0.99)))
        say(String(format: "round %d of %d, route / echo: throughput %.1f%% (goal ≥ 80%%), p99 %.2f× (goal ≤ 1.25×)",
                     round, rounds, ratios.last!.rate * 100, ratios.last!.p99))
        routeRate += route.rate / Double(rounds)
    }
    if rounds > 1 {
        let met = ratios.filter { $0.rate >= 0.8 && $0.p99 <= 1.25 }.count
        say(String(format: "route / echo over %d rounds: throughput %@ (mean %.1f%%), p99 %@ (mean %.2f×); both goals met in %d of %d",
                     rounds, ratios.map { String(format: "%.1f%%", $0.rate * 100) }.joined(separator: " · "),
                     ratios.map(\.rate).reduce(0, +) / Double(rounds) * 100,
                     ratios.map { String(format: "%.2f×", $0.p99) }.joined(separator: " · "),
                     ratios.map(\.p99).reduce(0, +) / Double(rounds), met, rounds))
    }
    say("RSS after the runs: \(rssKiB(child.processIdentifier) / 1024) MiB")
}
openLoopSection(port: port, serverPID: child.processIdentifier, bodies: bodies, options: options, say: say)   // OpenLoop.swift

if soakSeconds > 0 {
    let target = routeRate * 0.8
    let startRSS = rssKiB(child.processIdentifier)
    say(String(format: "soak: %.0f s at %.0f req/s (80%% of the routing maximum); RSS at start %d MiB", soakSeconds, target, startRSS / 1024))
    let soak = load(port: port, path: "/v1/route", bodies: bodies, seconds: soakSeconds, warmup: 0, targetRate: target) { t in
        say(String(format: "  t=%4.0f s  RSS %d MiB", t, rssKiB(child.processIdentifier) / 1024))
    }
    report("soak", soak)
    say("soak RSS: start \(startRSS / 1024) MiB, end \(rssKiB(child.processIdentifier) / 1024) MiB")
}
