// Server children of the benchmark, and the percentiles of their measured latencies.
import Foundation
import MosaicServer

/// A child process that prints `PORT n` on its first line. Server children (`--serve`) get the
/// benchmark's `--executor` (event-loops by default, as `mosaic serve`), `--threads` and
/// `--server-cpus`; the mock upstream gets `--upstream-threads` and `--upstream-cpus`
/// (Placement.swift).
final class PortChild {
    let process = Process()
    let port: Int

    init(_ executable: String, _ arguments: [String]) throws {
        var arguments = arguments
        var cpus: String? = nil
        if arguments.first == "--serve" {
            arguments += ["--executor", executorChoice]
            if !directRoutes { arguments.append("--no-direct-routes") }
            if let t = placement.threads { arguments += ["--threads", String(t)] }
            cpus = placement.serverCPUs
        } else if arguments.first == "--mock-upstream" {
            if let t = placement.upstreamThreads { arguments += ["--threads", String(t)] }
            cpus = placement.upstreamCPUs
        }
        let (launcher, launchArguments) = pinned(executable, arguments, cpus: cpus)
        process.executableURL = URL(fileURLWithPath: launcher)
        process.arguments = launchArguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        var line = ""
        while !line.contains("\n") {
            let d = pipe.fileHandleForReading.availableData
            if d.isEmpty { break }
            line += String(decoding: d, as: UTF8.self)
        }
        guard let p = Int(line.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") else {
            throw LoopbackHTTPClient.Failure(description: "\(arguments.first ?? executable) did not start: \(line)")
        }
        port = p
    }

    /// SIGTERM, then waits (the server drains and flushes its outcome writer).
    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// The p-quantile (0…1, nearest rank) of latencies in microseconds, in milliseconds; NaN when
/// there are none.
func millisecondsPercentile(_ micros: [UInt32], _ p: Double) -> Double {
    guard !micros.isEmpty else { return .nan }
    let sorted = micros.sorted()
    return Double(sorted[max(0, min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1))]) / 1000
}

/// A load run: what completed in the measured window, the window's length, and the timed
/// calls' latencies.
protocol MeasuredRun {
    /// Requests (or route-then-outcome pairs) completed in the measured window.
    var completed: Int { get }
    var seconds: Double { get }
    /// µs.
    var latenciesMicros: [UInt32] { get }
}

extension MeasuredRun {
    /// Completed per second.
    var rate: Double { Double(completed) / seconds }
    func percentile(_ p: Double) -> Double { millisecondsPercentile(latenciesMicros, p) }
}
