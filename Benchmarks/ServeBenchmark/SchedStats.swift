// Who had the CPUs during a run: each process's CPU time, its time runnable but waiting for a
// CPU (the run queue), and how often it was preempted, from Linux's per-thread counters
// (/proc/PID/task/TID/schedstat and .../status). A latency tail that comes with run-queue wait
// on the server or the generator is the scheduler sharing too few cores among too many runnable
// threads; a tail without it is the server's own work.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Scheduler counters of one process (all its threads) or one thread, summed.
struct SchedCounters {
    /// On a CPU, ns.
    var cpuNanos: UInt64 = 0
    /// Runnable but waiting for a CPU, ns.
    var waitNanos: UInt64 = 0
    /// Times a thread was switched out while it still wanted to run.
    var preemptions: Int = 0

    /// The counters of `pid`'s threads (or only of thread `tid`) now; zero when /proc cannot say.
    static func read(pid: Int32, tid: Int32? = nil) -> SchedCounters {
        var c = SchedCounters()
        let tasks: [String]
        if let tid {
            tasks = [String(tid)]
        } else {
            tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        }
        for t in tasks {
            let base = "/proc/\(pid)/task/\(t)/"
            if let s = try? String(contentsOfFile: base + "schedstat", encoding: .utf8) {
                let f = s.split(separator: " ")
                if f.count >= 2 {
                    c.cpuNanos += UInt64(f[0]) ?? 0
                    c.waitNanos += UInt64(f[1].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
                }
            }
            if let s = try? String(contentsOfFile: base + "status", encoding: .utf8) {
                for line in s.split(separator: "\n") where line.hasPrefix("nonvoluntary_ctxt_switches:") {
                    c.preemptions += Int(line.split(separator: "\t").last ?? "") ?? 0
                }
            }
        }
        return c
    }

    static func - (a: SchedCounters, b: SchedCounters) -> SchedCounters {
        SchedCounters(cpuNanos: a.cpuNanos &- b.cpuNanos, waitNanos: a.waitNanos &- b.waitNanos,
                      preemptions: a.preemptions - b.preemptions)
    }
}

/// A process (or thread) whose scheduling a run reports.
struct Watched {
    var name: String
    var pid: Int32
    var tid: Int32? = nil
}

/// Runs `body` and describes what the scheduler gave each of `watched` meanwhile: CPU in cores,
/// run-queue wait in cores (the average number of its threads waiting for a CPU), preemptions a
/// second.
func withSchedReport<T>(_ watched: [Watched], _ body: () -> T) -> (T, String) {
    let before = watched.map { SchedCounters.read(pid: $0.pid, tid: $0.tid) }
    let t0 = DispatchTime.now().uptimeNanoseconds
    let result = body()
    let wall = Double(DispatchTime.now().uptimeNanoseconds - t0)
    let parts = zip(watched, before).map { w, b -> String in
        let d = SchedCounters.read(pid: w.pid, tid: w.tid) - b
        return String(format: "%@ CPU %.2f, waiting %.3f, preempted %.0f/s", w.name as NSString, Double(d.cpuNanos) / wall,
                      Double(d.waitNanos) / wall, Double(d.preemptions) / (wall / 1e9))
    }
    return (result, "scheduler (cores): " + parts.joined(separator: "; "))
}

/// The generator's thread: the main thread, whose id is the process id.
func generatorThread() -> Watched { Watched(name: "generator", pid: getpid(), tid: getpid()) }
