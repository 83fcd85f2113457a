// Where the benchmark's processes run: event-loop threads and CPU pinning.
//
//   --threads N            server children get N event-loop threads (`mosaic serve --threads N`)
//   --server-cpus LIST     server children (the routing service, the gateway) run on these CPUs
//   --upstream-cpus LIST   the gateway benchmark's mock upstream runs on these CPUs
//   --upstream-threads N   and has N event-loop threads
//   --generator-cpus LIST  the load generator (this process's main thread) runs on these CPUs
//
// LIST is taskset's (`0`, `0,1`, `0-1`). A real deployment runs its load generator and upstreams
// on other machines; on one 2-core machine, pinning is the nearest honest stand-in, and the
// README shows pinned and unpinned figures side by side. Children are started through
// `taskset -c LIST`, so every thread they ever create inherits the mask; the generator (the main
// thread) pins itself with `taskset -p`.

import BenchmarkSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The placement options of this run.
struct Placement {
    var threads: Int?
    var upstreamThreads: Int?
    var serverCPUs: String?
    var upstreamCPUs: String?
    var generatorCPUs: String?

    init(_ options: BenchmarkOptions) {
        func count(_ name: String) -> Int? {
            options.value(name).map { text in
                guard let n = Int(text), (1...256).contains(n) else { options.fail("\(name) needs a number from 1 to 256, got \(text)") }
                return n
            }
        }
        threads = count("--threads")
        upstreamThreads = count("--upstream-threads")
        func cpus(_ name: String) -> String? {
            guard let list = options.value(name) else { return nil }
            guard !list.isEmpty, list.allSatisfy({ $0.isNumber || $0 == "," || $0 == "-" }) else {
                options.fail("\(name) needs a CPU list such as 0, 0,1 or 0-1; got \(list)")
            }
            return list
        }
        serverCPUs = cpus("--server-cpus")
        upstreamCPUs = cpus("--upstream-cpus")
        generatorCPUs = cpus("--generator-cpus")
    }

    /// One line for the output: what ran where.
    var summary: String {
        "placement: server event-loop threads \(threads.map(String.init) ?? "one per core"), server CPUs \(serverCPUs ?? "any"), "
            + "upstream threads \(upstreamThreads.map(String.init) ?? "one per core"), upstream CPUs \(upstreamCPUs ?? "any"), "
            + "generator CPUs \(generatorCPUs ?? "any")"
    }
}

let taskset = "/usr/bin/taskset"

/// The executable and arguments that run `arguments` on `cpus` (through taskset), or as they are.
func pinned(_ executable: String, _ arguments: [String], cpus: String?) -> (String, [String]) {
    guard let cpus else { return (executable, arguments) }
    guard FileManager.default.isExecutableFile(atPath: taskset) else {
        options.fail("CPU pinning needs \(taskset) (Debian's util-linux)")
    }
    return (taskset, ["-c", cpus, executable] + arguments)
}

/// Pins the generator (the main thread, whose thread id is the process id) to `cpus`.
func pinGenerator(_ cpus: String?) {
    guard let cpus else { return }
    guard let r = Bench.run(taskset, ["-p", "-c", cpus, String(getpid())], quiet: true), r.status == 0 else {
        options.fail("taskset -p -c \(cpus) \(getpid()) failed: cannot pin the generator")
    }
}
