// The open-loop load generator: requests at a fixed rate, latency from the intended send time.
//
// Request k is due at start + k / rate whatever happened before it (wrk2's model). A request
// goes out on the first idle keep-alive connection; when every connection is busy it waits for
// one, and the wait counts in its latency, because latency is measured from the time it was
// due, not from the time it was written. A closed-loop generator measures from the write and so
// hides the queueing a stall causes (coordinated omission); here a 10 ms server stall at 10,000
// requests/s shows up in about 100 latencies, not in one.
//
// One thread, poll(2) (select(2) for waits shorter than poll's 1 ms), HTTP/1.1 keep-alive on
// loopback. Only connections with a request in flight are polled (the others' entries are
// negative, which poll skips), the thread's timer slack is 1 ns so short waits end on time, and
// it sleeps until an answer arrives or a request is due: an earlier version polled all 256
// connections between sleeps of 50 µs and cost 58% of a core at 5,000 requests/s, taken from
// the server it measures.

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
    /// The 99th percentile of that wait, µs: the generator's own lateness (a request waits for
    /// a connection only when all of them are busy).
    var p99SendLagMicros: UInt32

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
    var lags: [UInt32] = []
    lags.reserveCapacity(total - measuredFirst)
    // Idle connections are not polled (a negative fd), in-flight ones are.
    var pfds = fds.map { _ in pollfd(fd: -1, events: Int16(POLLIN), revents: 0) }
    var chunk = [UInt8](repeating: 0, count: 65536)
    preciseSleeps()

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
            pfds[c].fd = fds[c]
            if next >= measuredFirst {
                let lag = t - due(next)
                maxLag = max(maxLag, lag)
                lags.append(UInt32(min(UInt64(UInt32.max), lag / 1000)))
            }
            next += 1
        }
        // Wait for answers or until the next request is due.
        var waitNanos: UInt64 = 1_000_000
        if next < total, !idle.isEmpty {
            let d = due(next)
            waitNanos = d > t ? min(waitNanos, d - t) : 0
        }
        // poll(2) waits in whole milliseconds: a shorter wait is a select(2) (microseconds) on
        // the in-flight connections, which returns when an answer arrives or the next request is
        // due, so answers are timestamped when they arrive and the thread wakes only for work.
        var ready = poll(&pfds, nfds_t(pfds.count), 0)
        if ready == 0 && waitNanos >= 1_000_000 {
            ready = poll(&pfds, nfds_t(pfds.count), Int32(waitNanos / 1_000_000))
        } else if ready == 0 && waitNanos > 0 {
            if waitForAnswers(pfds, micros: Int((waitNanos + 999) / 1000)) <= 0 { continue }
            ready = poll(&pfds, nfds_t(pfds.count), 0)
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
                pfds[c].fd = -1
            }
        }
    }
    latencies.sort()
    lags.sort()
    let measured = total - measuredFirst
    let lagP99 = lags.isEmpty ? 0 : lags[min(lags.count - 1, Int((0.99 * Double(lags.count)).rounded(.up)) - 1)]
    return OpenLoopResult(targetRate: rate, achievedRate: Double(latencies.count) / seconds, errors: errors,
                          unfinished: measured - answered, latenciesMicros: latencies, maxSendLagMicros: maxLag / 1000,
                          p99SendLagMicros: lagP99)
}

/// Waits up to `micros` µs for an answer on the in-flight connections of `pfds` (select(2));
/// returns how many are readable, 0 on time-out. With a descriptor beyond select's 1,024 it
/// sleeps the time instead (and returns 0).
func waitForAnswers(_ pfds: [pollfd], micros: Int) -> Int32 {
    var set = fd_set()
    var highest: Int32 = -1
    let limit = Int32(MemoryLayout<fd_set>.size * 8)
    for p in pfds where p.fd >= 0 {
        guard p.fd < limit else {
            var pause = timespec(tv_sec: micros / 1_000_000, tv_nsec: (micros % 1_000_000) * 1000)
            nanosleep(&pause, nil)
            return 0
        }
        // FD_SET: bit fd of the set, in little-endian words.
        withUnsafeMutableBytes(of: &set) { $0[Int(p.fd) / 8] |= UInt8(1) << UInt8(p.fd % 8) }
        highest = max(highest, p.fd)
    }
    var timeout = timeval(tv_sec: micros / 1_000_000, tv_usec: micros % 1_000_000)
    return select(highest + 1, &set, nil, nil, &timeout)
}

/// Sets the calling thread's timer slack to 1 ns (`/proc/self/timerslack_ns`: the main thread's,
/// where the generator runs), so a sleep of 50 µs lasts about 50 µs, not 100.
func preciseSleeps() {
    let fd = open("/proc/self/timerslack_ns", O_WRONLY)
    guard fd >= 0 else { return }
    _ = write(fd, "1", 1)
    close(fd)
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
func openLoopSection(port: Int, serverPID: Int32, bodies: [String], options: BenchmarkOptions, say: (String) -> Void) {
    if !options.flag("--no-open-loop") {
        let rates = (options.value("--rates") ?? "1000,5000,10000,20000").split(separator: ",").map { text -> Double in
            guard let r = Double(text.replacingOccurrences(of: "_", with: "")), r > 0 else {
                options.fail("--rates needs comma-separated positive numbers, got \(text)")
            }
            return r
        }
        let seconds = options.double("--open-seconds", 10)
        let connections = options.int("--open-connections", 256, minimum: 1)
        // `--open-paths /v1/route,/bench/echo` runs the echo floor at each rate right after the
        // route: if the floor's tail is as long, routing adds nothing to it.
        let paths = (options.value("--open-paths") ?? "/v1/route").split(separator: ",").map(String.init)
        for path in paths where path != "/v1/route" && path != "/bench/echo" {
            options.fail("--open-paths takes /v1/route and /bench/echo, got \(path)")
        }
        say("open loop on \(paths.joined(separator: " and ")): fixed arrival rate, latency from the intended send time (wrk2's coordinated-omission correction), \(connections) connections, 1 s warm-up + \(Int(seconds)) s per rate")
        say("path              rate    answered/s   p50 ms   p99 ms   p99.9 ms   max ms   send lag p99 / max ms   errors   unfinished   load")
        for rate in rates {
            for path in paths {
                let watched = [Watched(name: "server", pid: serverPID), generatorThread()]
                let (r, sched) = withSchedReport(watched) {
                    openLoop(port: port, path: path, bodies: bodies, rate: rate, seconds: seconds, warmup: 1, connections: connections)
                }
                say(String(format: "%-12@ %9.0f   %11.0f   %6.3f   %6.3f   %8.3f   %6.1f   %10.3f / %8.1f   %6d   %10d   %@", path as NSString, rate, r.achievedRate,
                           r.percentileMs(0.5), r.percentileMs(0.99), r.percentileMs(0.999),
                           Double(r.latenciesMicros.last ?? 0) / 1000, Double(r.p99SendLagMicros) / 1000,
                           Double(r.maxSendLagMicros) / 1000, r.errors, r.unfinished, loadAverage() as NSString))
                say("    " + sched)
            }
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
