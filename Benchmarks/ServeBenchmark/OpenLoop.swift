// The open-loop load generator: requests at a fixed rate, latency from the intended send time.
//
// Request k is due at start + k / rate whatever happened before it (wrk2's model). A request
// goes out on the first idle keep-alive connection; when every connection is busy it waits for
// one, and the wait counts in its latency, because latency is measured from the time it was
// due, not from the time it was written. A closed-loop generator measures from the write and so
// hides the queueing a stall causes (coordinated omission); here a 10 ms server stall at 10,000
// requests/s shows up in about 100 latencies, not in one.
//
// One thread, poll(2) (and sleeps of at most 50 µs when the next send is due sooner than 1 ms),
// HTTP/1.1 keep-alive on loopback.

import BenchmarkSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What one open-loop run measured.
struct OpenLoopResult {
    var targetRate: Double
    /// Answers (2xx) to requests due in the measured window, per second of that window.
    var achievedRate: Double
    var errors: Int
    /// Requests due in the window that were still unsent or unanswered when it closed.
    var unfinished: Int
    /// Latency from the intended send time to the end of the answer, µs, sorted.
    var latenciesMicros: [UInt32]
    /// The largest wait between a request's intended and actual send time, µs.
    var maxSendLagMicros: UInt64

    func percentileMs(_ p: Double) -> Double {
        guard !latenciesMicros.isEmpty else { return .nan }
        let k = min(latenciesMicros.count - 1, max(0, Int((p * Double(latenciesMicros.count)).rounded(.up)) - 1))
        return Double(latenciesMicros[k]) / 1000
    }
}

/// Sends `rate` requests/s to `path` on 127.0.0.1:`port` for `warmup` + `seconds`, cycling
/// through `bodies`, over up to `connections` keep-alive connections; measures the requests due
/// after the warm-up and waits up to 2 s after the window for their answers.
func openLoop(port: Int, path: String, bodies: [String], rate: Double, seconds: Double, warmup: Double,
              connections: Int) -> OpenLoopResult {
    let requests = postRequests(path: path, bodies: bodies)
    let fds = (0..<connections).map { _ in loopbackConnection(port: port) }
    defer { for s in fds { close(s) } }

    let clock = { () -> UInt64 in
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    let period = 1e9 / rate
    let start = clock() + 1_000_000
    let measuredFirst = Int((warmup * rate).rounded(.up))        // first measured request
    let total = measuredFirst + Int((seconds * rate).rounded())  // requests sent in all
    let drainUntil = start + UInt64((warmup + seconds + 2) * 1e9)
    @inline(__always) func due(_ k: Int) -> UInt64 { start + UInt64((Double(k) * period).rounded()) }

    var idle = Array((0..<connections).reversed())   // a stack of idle connections
    var dueOf = [UInt64](repeating: 0, count: connections)
    var indexOf = [Int](repeating: -1, count: connections)
    var buffers = [[UInt8]](repeating: [], count: connections)
    var next = 0          // the next request to send
    var answered = 0      // measured requests answered or failed
    var errors = 0
    var maxLag: UInt64 = 0
    var latencies: [UInt32] = []
    latencies.reserveCapacity(total - measuredFirst)
    var pfds = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    var chunk = [UInt8](repeating: 0, count: 65536)

    while answered < total - measuredFirst {
        var t = clock()
        if t >= drainUntil { break }
        // Send every request that is due, while a connection is idle.
        while next < total, due(next) <= t, let c = idle.popLast() {
            let req = requests[next % requests.count]
            let n = req.withUnsafeBytes { write(fds[c], $0.baseAddress, $0.count) }
            if n != req.count {
                if next >= measuredFirst { errors += 1; answered += 1 }
                idle.append(c)
                next += 1
                continue
            }
            dueOf[c] = due(next)
            indexOf[c] = next
            if next >= measuredFirst { maxLag = max(maxLag, t - due(next)) }
            next += 1
        }
        // Wait for answers or until the next request is due.
        var waitNanos: UInt64 = 1_000_000
        if next < total, !idle.isEmpty {
            let d = due(next)
            waitNanos = d > t ? min(waitNanos, d - t) : 0
        }
        // poll(2) waits in whole milliseconds: a shorter wait is a sleep of at most 50 µs
        // between non-blocking polls, so an answer is timestamped at most about 50 µs late.
        var ready = poll(&pfds, nfds_t(pfds.count), 0)
        if ready == 0 && waitNanos >= 1_000_000 {
            ready = poll(&pfds, nfds_t(pfds.count), Int32(waitNanos / 1_000_000))
        } else if ready == 0 && waitNanos > 0 {
            var pause = timespec(tv_sec: 0, tv_nsec: Int(min(waitNanos, 50_000)))
            nanosleep(&pause, nil)
            continue
        }
        if ready <= 0 { continue }
        t = clock()
        for c in 0..<pfds.count where pfds[c].revents != 0 {
            pfds[c].revents = 0
            let got = chunk.withUnsafeMutableBytes { read(fds[c], $0.baseAddress, 65536) }
            if got <= 0 {
                // The server closed the connection: count what was on it and stop using it.
                if indexOf[c] >= measuredFirst { errors += 1; answered += 1 }
                indexOf[c] = -1
                pfds[c].fd = -1
                continue
            }
            buffers[c].append(contentsOf: chunk[0..<got])
            while let ok = takeResponse(from: &buffers[c]) {
                if indexOf[c] >= measuredFirst {
                    answered += 1
                    if ok {
                        latencies.append(UInt32(min(UInt64(UInt32.max), (t - dueOf[c]) / 1000)))
                    } else {
                        errors += 1
                    }
                }
                indexOf[c] = -1
                idle.append(c)
            }
        }
    }
    latencies.sort()
    let measured = total - measuredFirst
    return OpenLoopResult(targetRate: rate, achievedRate: Double(latencies.count) / seconds, errors: errors,
                          unfinished: measured - answered, latenciesMicros: latencies, maxSendLagMicros: maxLag / 1000)
}

/// Runs `wrk` (closed loop, one thread, `connections` connections) against `path` for
/// `seconds`; returns its requests/s and p50/p99 line, or why it did not run.
func wrkFigures(port: Int, path: String, body: String?, seconds: Int, connections: Int) -> String {
    guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        return "wrk not installed (apt-get install -y wrk); skipped"
    }
    var arguments = ["-t1", "-c\(connections)", "-d\(seconds)s", "--latency"]
    var script: String? = nil
    if let body {
        let lua = FileManager.default.temporaryDirectory.appendingPathComponent("serve-bench-wrk-\(getpid()).lua").path
        let escaped = body.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        try? """
            wrk.method = "POST"
            wrk.body = "\(escaped)"
            wrk.headers["Content-Type"] = "application/json"
            """.write(toFile: lua, atomically: true, encoding: .utf8)
        arguments += ["-s", lua]
        script = lua
    }
    defer { if let script { try? FileManager.default.removeItem(atPath: script) } }
    arguments.append("http://127.0.0.1:\(port)\(path)")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: wrk)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    do { try p.run() } catch { return "wrk did not start: \(error)" }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    func field(_ prefix: String) -> String {
        for line in text.split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix(prefix) { return t.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces) }
        }
        return "?"
    }
    let non2xx = field("Non-2xx or 3xx responses:")
    return "\(field("Requests/sec:")) req/s   p50 \(field("50%"))   p99 \(field("99%"))" + (non2xx == "?" ? "" : "   non-2xx \(non2xx)")
}

/// The open-loop table (`--rates`, default 1k, 5k, 10k, 20k requests/s on `/v1/route`, each for
/// `--open-seconds` after a 1 s warm-up) and `wrk`'s closed-loop figures beside the generator's
/// (`--no-open-loop` and `--no-wrk` skip them). Prints with `say`.
func openLoopSection(port: Int, bodies: [String], options: BenchmarkOptions, say: (String) -> Void) {
    if !options.flag("--no-open-loop") {
        let rates = (options.value("--rates") ?? "1000,5000,10000,20000").split(separator: ",").map { text -> Double in
            guard let r = Double(text.replacingOccurrences(of: "_", with: "")), r > 0 else {
                options.fail("--rates needs comma-separated positive numbers, got \(text)")
            }
            return r
        }
        let seconds = options.double("--open-seconds", 10)
        let connections = options.int("--open-connections", 256, minimum: 1)
        say("open loop on /v1/route: fixed arrival rate, latency from the intended send time (wrk2's coordinated-omission correction), \(connections) connections, 1 s warm-up + \(Int(seconds)) s per rate")
        say("     rate    answered/s   p50 ms   p99 ms   p99.9 ms   max ms   max send lag ms   errors   unfinished")
        for rate in rates {
            let r = openLoop(port: port, path: "/v1/route", bodies: bodies, rate: rate, seconds: seconds, warmup: 1,
                             connections: connections)
            say(String(format: "%9.0f   %11.0f   %6.3f   %6.3f   %8.3f   %6.1f   %15.1f   %6d   %10d", rate, r.achievedRate,
                       r.percentileMs(0.5), r.percentileMs(0.99), r.percentileMs(0.999),
                       Double(r.latenciesMicros.last ?? 0) / 1000, Double(r.maxSendLagMicros) / 1000, r.errors, r.unfinished))
        }
    }
    if !options.flag("--no-wrk") {
        let seconds = max(1, Int(options.double("--wrk-seconds", 10)))
        let connections = options.int("--connections", 64, minimum: 1)
        say("wrk -t1 -c\(connections) -d\(seconds)s (closed loop, Debian's wrk 4):")
        say("  GET /healthz      " + wrkFigures(port: port, path: "/healthz", body: nil, seconds: seconds, connections: connections))
        say("  POST /bench/echo  " + wrkFigures(port: port, path: "/bench/echo", body: bodies[0], seconds: seconds, connections: connections))
        say("  POST /v1/route    " + wrkFigures(port: port, path: "/v1/route", body: bodies[0], seconds: seconds, connections: connections))
    }
}
