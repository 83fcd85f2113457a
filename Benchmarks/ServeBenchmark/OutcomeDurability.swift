// The cost of durable outcomes: the same server with a store, answering `POST /v1/outcome` once
// the row is queued in memory (the old behaviour) and once it is committed (group commit, WAL
// synced). Run with `ServeBenchmark --outcomes`.

import Foundation
import MosaicServer
import MosaicStore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a run of route-then-outcome pairs gave (see ``routeOutcomePairs``).
struct PairsRun: MeasuredRun {
    /// Pairs acknowledged inside the measured window.
    var completed: Int
    var seconds: Double
    /// Every acknowledged outcome, warm-up included.
    var acknowledged: Int
    var latenciesMicros: [UInt32]
}

/// What one acknowledgement mode gave.
struct OutcomeRun {
    var mode: String
    var load: PairsRun
    var rowsStored: Int64
}

/// Starts the server child with a store and `--ack mode`, drives `clients` closed-loop clients
/// (each: route, then report its outcome) for `warmup + seconds`, stops the server with SIGTERM
/// and counts the stored rows.
func outcomeRun(mode: String, executable: String, modelPath: String, policyPath: String, dir: URL,
                clients: Int, seconds: Double, warmup: Double) throws -> OutcomeRun {
    let store = dir.appendingPathComponent("outcomes-\(mode).sqlite").path
    let server = try PortChild(executable, ["--serve", "--model", modelPath, "--policy", policyPath, "--store", store, "--ack", mode])
    let r = routeOutcomePairs(ports: [server.port], clients: clients, seconds: seconds, warmup: warmup, timing: .outcome)
    server.stop()   // SIGTERM: drains, then flushes what the queued mode still holds
    let rows = try Store(path: store, readOnly: true).database.scalarInt("SELECT count(*) FROM requests") ?? -1
    return OutcomeRun(mode: mode, load: r, rowsStored: rows)
}

/// Which call of a route-then-outcome pair is timed.
enum TimedCall { case route, outcome }

/// `clients` closed-loop clients (client k on `ports[k % ports.count]`), each routing a request
/// and then reporting its outcome, for `warmup + seconds`. Returns the pairs acknowledged (200)
/// inside the measured window, every acknowledgement, and the timed call's latencies in µs.
func routeOutcomePairs(ports: [Int], clients: Int, seconds: Double, warmup: Double,
                       timing: TimedCall) -> PairsRun {
    let start = DispatchTime.now().uptimeNanoseconds
    let measureFrom = start + UInt64(warmup * 1e9)
    let end = measureFrom + UInt64(seconds * 1e9)
    let results = Mutex<(pairs: Int, acked: Int, latencies: [UInt32])>((0, 0, []))
    let group = DispatchGroup()
    for k in 0..<clients {
        group.enter()
        Thread.detachNewThread {
            defer { group.leave() }
            let c = LoopbackHTTPClient(port: ports[k % ports.count])
            defer { c.close() }
            var latencies: [UInt32] = []
            var pairs = 0, acked = 0
            let tenants = ["acme", "globex", "initech"]
            while DispatchTime.now().uptimeNanoseconds < end {
                let t0 = DispatchTime.now().uptimeNanoseconds
                guard let r = try? c.post("/v1/route", json: #"{"tenant":"\#(tenants[k % 3])","prompt_tokens":900,"expected_output_tokens":200}"#),
                      r.status == 200, let id = field(r.body, "decision_id"), let provider = selectedProvider(r.body) else { continue }
                let t1 = DispatchTime.now().uptimeNanoseconds
                guard let ack = try? c.post("/v1/outcome", json: #"{"decision_id":"\#(id)","provider":"\#(provider)","status":"ok","latency_ms":640,"input_tokens":900,"output_tokens":200}"#)
                else { continue }
                let t2 = DispatchTime.now().uptimeNanoseconds
                if ack.status == 200 { acked += 1 }
                let (from, to) = timing == .route ? (t0, t1) : (t1, t2)
                if from >= measureFrom && t2 <= end && ack.status == 200 {
                    pairs += 1
                    latencies.append(UInt32(min(UInt64(UInt32.max), (to - from) / 1000)))
                }
            }
            results.withLock {
                $0.pairs += pairs
                $0.acked += acked
                $0.latencies += latencies
            }
        }
    }
    group.wait()
    let r = results.withLock { $0 }
    return PairsRun(completed: r.pairs, seconds: seconds, acknowledged: r.acked, latenciesMicros: r.latencies)
}

/// The value of a top-level string field in a JSON answer (enough for the decision id).
func field(_ body: [UInt8], _ name: String) -> String? {
    let text = String(decoding: body, as: UTF8.self)
    guard let r = text.range(of: "\"\(name)\":\"") else { return nil }
    return String(text[r.upperBound...].prefix { $0 != "\"" })
}

/// The selected provider of a route answer.
func selectedProvider(_ body: [UInt8]) -> String? {
    let text = String(decoding: body, as: UTF8.self)
    guard let s = text.range(of: "\"selected\":"), let r = text[s.upperBound...].range(of: "\"provider\":\"") else { return nil }
    return String(text[r.upperBound...].prefix { $0 != "\"" })
}

/// Both modes, one after the other, and the ratio: the throughput cost of durability.
func outcomeDurabilityBenchmark(executable: String, modelPath: String, policyPath: String, dir: URL,
                                clients: Int, seconds: Double, warmup: Double, say: (String) -> Void) throws {
    say("outcomes: \(clients) clients, each route then outcome in a closed loop, \(Int(warmup)) s warm-up + \(Int(seconds)) s per mode; store on \(dir.path)")
    var runs: [PairsRun] = []
    for mode in ["queued", "committed"] {
        let r = try outcomeRun(mode: mode, executable: executable, modelPath: modelPath, policyPath: policyPath, dir: dir,
                               clients: clients, seconds: seconds, warmup: warmup)
        say(String(format: "outcome ack=%-9@ %8.0f outcomes/s   p50 %6.2f ms   p99 %6.2f ms   p99.9 %6.2f ms   acknowledged %d, stored %lld",
                   r.mode as NSString, r.load.rate, r.load.percentile(0.5), r.load.percentile(0.99), r.load.percentile(0.999),
                   r.load.acknowledged, r.rowsStored))
        runs.append(r.load)
    }
    say(String(format: "durability cost: committed / queued throughput %.1f%%, p50 %.2f×, p99 %.2f×",
               runs[1].rate / runs[0].rate * 100, runs[1].percentile(0.5) / runs[0].percentile(0.5),
               runs[1].percentile(0.99) / runs[0].percentile(0.99)))
}
