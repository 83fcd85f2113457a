import Foundation
import MosaicCore
import MosaicTestSupport
import Testing
@testable import MosaicSim

/// `../shared/reference/results/queueing.json` (from `ref_queueing.py`).
enum QueueingReference {
    static let relative = "reference/results/queueing.json"
    static let script = "reference/ref_queueing.py"
    static var skipMessage: Comment { Comment(rawValue: SharedData.missing(relative) ?? "") }
    static var available: Bool { SharedData.path(relative) != nil }

    static func load() throws -> [String: Any] {
        let path = try #require(SharedData.path(relative))
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func mmc(servers c: Int, lambda: Double) throws -> [String: Any] {
        let all = try #require(try load()["mmc"] as? [[String: Any]])
        return try #require(all.first { $0["c"] as? Int == c && abs(($0["lambda"] as? Double ?? -1) - lambda) < 1e-12 },
                            "no M/M/\(c) with λ = \(lambda) in \(relative)")
    }

    static func mmck(servers c: Int, capacity k: Int) throws -> [String: Any] {
        let all = try #require(try load()["mmck"] as? [[String: Any]])
        return try #require(all.first { $0["c"] as? Int == c && $0["K"] as? Int == k },
                            "no M/M/\(c)/\(k) in \(relative)")
    }
}

func number(_ dict: [String: Any], _ path: String...) throws -> Double {
    var node: Any? = dict
    for key in path { node = (node as? [String: Any])?[key] }
    return try #require(node as? Double, "missing number at \(path.joined(separator: "."))")
}

func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), .leastNormalMagnitude) }

@Suite("Kernel: M/M/c validation against ref_queueing.py")
struct MMcValidationTests {
    @Test("the Swift Erlang B/C, Wq, tail, quantile and M/M/c/K formulas equal the reference's exact values",
          .enabled(if: QueueingReference.available, QueueingReference.skipMessage))
    func formulas() throws {
        let ref = try QueueingReference.load()
        for s in try #require(ref["mmc"] as? [[String: Any]]) {
            let c = try #require(s["c"] as? Int)
            let lambda = try number(s, "lambda"), a = try number(s, "offered_load_a")
            #expect(relativeError(QueueingFormulas.erlangB(servers: c, load: a), try number(s, "erlang_b_same_c_a")) < 1e-12)
            #expect(relativeError(QueueingFormulas.erlangC(servers: c, load: a), try number(s, "erlang_c_prob_wait")) < 1e-12)
            #expect(relativeError(QueueingFormulas.meanWait(servers: c, arrivalRate: lambda, serviceRate: 1),
                                  try number(s, "Wq_mean_wait")) < 1e-12)
            #expect(relativeError(QueueingFormulas.waitTail(0.5, servers: c, arrivalRate: lambda, serviceRate: 1),
                                  try number(s, "P_Wq_gt_t", "0.5")) < 1e-12)
            let p95 = try number(s, "Wq_percentiles", "p95")
            #expect(abs(QueueingFormulas.waitQuantile(0.95, servers: c, arrivalRate: lambda, serviceRate: 1) - p95) <= 1e-12 * max(1, p95))
        }
        for s in try #require(ref["mmck"] as? [[String: Any]]) {
            let c = try #require(s["c"] as? Int), k = try #require(s["K"] as? Int)
            #expect(relativeError(QueueingFormulas.mmckBlocking(servers: c, capacity: k, load: try number(s, "offered_load_a")),
                                  try number(s, "blocking_prob_PK")) < 1e-12)
        }
        // Student t: the 97.5 % point with 29 degrees of freedom (30 batches).
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 29) - 2.045229642132703) < 1e-11)
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 1) - 12.706204736174698) < 1e-9)
    }

    /// M/M/c scenarios of the reference and how many customers each simulates (bounded so a debug
    /// build runs each in about a second). Every run uses the reference's seed 42 (streams 4 and
    /// 5); each 95 % interval check can miss with probability about 5 % for a given seed.
    static let mmcScenarios: [(servers: Int, lambda: Double, customers: Int)] = [
        (1, 0.5, 150_000), (4, 3.2, 150_000), (16, 14.4, 200_000), (64, 51.2, 200_000),
    ]

    @Test("M/M/c: P(wait), mean wait Wq and the Wq p95 match Erlang C within the 95 % CI; Little's law holds",
          .enabled(if: QueueingReference.available, QueueingReference.skipMessage),
          arguments: mmcScenarios.indices)
    func mmcMatchesErlangC(_ index: Int) throws {
        let (c, lambda, n) = Self.mmcScenarios[index]
        let ref = try QueueingReference.mmc(servers: c, lambda: lambda)
        let wq = try number(ref, "Wq_mean_wait"), pWait = try number(ref, "erlang_c_prob_wait")
        let p95 = try number(ref, "Wq_percentiles", "p95")
        let L = try number(ref, "L_mean_in_system"), Lq = try number(ref, "Lq_mean_queue_len")
        let r = MMcModel.run(MMcConfiguration(servers: c, arrivalRate: lambda, customers: n,
                                              waitThresholds: [p95], recordBatchHistograms: true))
        let label = "M/M/\(c) ρ = \(lambda / Double(c)), \(n) customers"
        #expect(r.events == UInt64(2 * n))
        #expect(r.meanWait.contains(wq), "\(label): Wq \(r.meanWait) vs \(wq)")
        #expect(r.probabilityOfWait.contains(pWait), "\(label): P(wait) \(r.probabilityOfWait) vs \(pWait)")
        // The Wq p95. The analytic p95 q lies inside the 95 % CI of the p95 exactly when 5 % lies
        // inside the CI of P(Wq > q) (inverting the test), which batch means give directly.
        #expect(r.waitTail[0].contains(0.05), "\(label): P(Wq > \(p95)) \(r.waitTail[0]) vs 0.05")
        // And the analytic p95 lies in the sectioning CI of the histogram's p95 (3 significant
        // digits, hence the 1e-3 relative slack).
        let q = try #require(r.waitQuantileInterval(0.95))
        #expect(q.low * (1 - 1e-3) - 1e-6 <= p95 && p95 <= q.high * (1 + 1e-3) + 1e-6, "\(label): p95 \(q) vs \(p95)")
        // Little's law (time-average L = λ_eff·W) and the analytic L, Lq.
        #expect(r.meanInSystem.contains(r.littleL), "\(label): L \(r.meanInSystem) vs λW \(r.littleL)")
        #expect(r.meanInSystem.contains(L), "\(label): L \(r.meanInSystem) vs \(L)")
        #expect(r.meanQueueLength.contains(r.throughput * r.meanWait.mean), "\(label): Lq \(r.meanQueueLength) vs λWq")
        #expect(r.meanQueueLength.contains(Lq), "\(label): Lq \(r.meanQueueLength) vs \(Lq)")
        #expect(relativeError(r.utilisation, lambda / Double(c)) < 0.02, "\(label): utilisation \(r.utilisation)")
        #expect(r.blocked == 0 && r.blocking.mean == 0)
    }

    static let mmckScenarios: [(servers: Int, capacity: Int, load: Double, customers: Int)] = [
        (4, 4, 3.0, 150_000), (16, 16, 14.4, 200_000), (4, 8, 3.0, 150_000), (16, 32, 14.4, 200_000),
    ]

    @Test("M/M/c/K: blocking matches the reference (Erlang B for K = c) within the 95 % CI; Little's law holds",
          .enabled(if: QueueingReference.available, QueueingReference.skipMessage),
          arguments: mmckScenarios.indices)
    func mmckBlocking(_ index: Int) throws {
        let (c, k, a, n) = Self.mmckScenarios[index]
        let ref = try QueueingReference.mmck(servers: c, capacity: k)
        let blocking = try number(ref, "blocking_prob_PK"), wq = try number(ref, "Wq_mean_wait_admitted")
        let L = try number(ref, "L_mean_in_system"), throughput = try number(ref, "throughput_lambda_eff")
        let r = MMcModel.run(MMcConfiguration(servers: c, arrivalRate: a, capacity: k, customers: n))
        let label = "M/M/\(c)/\(k) a = \(a), \(n) customers"
        if k == c {
            #expect(relativeError(blocking, QueueingFormulas.erlangB(servers: c, load: a)) < 1e-12)
            #expect(r.meanWait.mean == 0 && r.probabilityOfWait.mean == 0, "\(label): a loss system never queues")
        } else {
            #expect(r.meanWait.contains(wq), "\(label): Wq \(r.meanWait) vs \(wq)")
        }
        #expect(r.blocking.contains(blocking), "\(label): blocking \(r.blocking) vs \(blocking)")
        #expect(r.admitted + r.blocked == n)
        #expect(r.events == UInt64(n + r.admitted))
        #expect(r.meanInSystem.contains(r.littleL), "\(label): L \(r.meanInSystem) vs λ_eff·W \(r.littleL)")
        #expect(r.meanInSystem.contains(L), "\(label): L \(r.meanInSystem) vs \(L)")
        #expect(relativeError(r.throughput, throughput) < 0.02, "\(label): λ_eff \(r.throughput) vs \(throughput)")
    }

    // MARK: - Exact reproduction of the reference's portable-variate runs

    static let anchor = MMcConfiguration(servers: 16, arrivalRate: 14.4, customers: 1_000_000, recordWaitHistogram: false)

    @Test("M/M/16 ρ = 0.9 on the portable streams reproduces the stored 1,000,000-customer SimPy / heap run",
          .enabled(if: QueueingReference.available, QueueingReference.skipMessage))
    func exactReproductionStored() throws {
        let ref = try QueueingReference.load()
        let runs = try #require((ref["simulation_anchor"] as? [String: Any])?["runs"] as? [[String: Any]])
        let heap = try #require(runs.first { $0["tool"] as? String == "python_heapq_fcfs_recursion" })
        #expect(heap["customers"] as? Int == Self.anchor.customers)
        let r = MMcModel.run(Self.anchor)
        let all = try number(heap, "mean_wait_all_customers_no_warmup")
        #expect(relativeError(r.meanWaitAllCustomers, all) < 1e-9, "kernel \(r.meanWaitAllCustomers) vs reference \(all)")
        #expect(relativeError(r.meanWait.mean, try number(heap, "Wq_batch_means", "mean")) < 1e-9)
        #expect(relativeError(r.meanWait.low, try number(heap, "Wq_batch_means", "ci95_low")) < 1e-9)
        #expect(relativeError(r.meanWait.high, try number(heap, "Wq_batch_means", "ci95_high")) < 1e-9)
        #expect(r.lastArrivalTime == (try number(heap, "last_arrival_time")))
        if let simpy = runs.first(where: { $0["tool"] as? String == "simpy" }) {
            #expect(relativeError(r.endTime, try number(simpy, "sim_end_time")) < 1e-12)
        }
    }

    static var pythonMissing: String? {
        if let m = SharedData.missing(QueueingReference.script) { return m }
        if !Python.has("numpy") || !Python.has("scipy") { return "python3 with numpy and scipy is not available; ref_queueing.py cannot run" }
        return nil
    }

    @Test("M/M/16 ρ = 0.9 on the portable streams equals a fresh ref_queueing.py heap-recursion run (n = 40,000)",
          .enabled(if: MMcValidationTests.pythonMissing == nil, Comment(rawValue: MMcValidationTests.pythonMissing ?? "")))
    func exactReproductionPython() throws {
        let n = 40_000
        let path = try #require(SharedData.path(QueueingReference.script))
        let out = try ChildProcess.run("/usr/bin/env", ["python3", path, "--simpy-n", "0", "--ciw-n", "0", "--heap-n", String(n)])
        try #require(out.status == 0, "ref_queueing.py failed: \(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let runs = try #require((json["simulation_anchor"] as? [String: Any])?["runs"] as? [[String: Any]])
        let heap = try #require(runs.first)
        #expect(heap["customers"] as? Int == n)
        var config = Self.anchor
        config.customers = n
        let r = MMcModel.run(config)
        let all = try number(heap, "mean_wait_all_customers_no_warmup")
        #expect(relativeError(r.meanWaitAllCustomers, all) < 1e-9, "kernel \(r.meanWaitAllCustomers) vs reference \(all)")
        #expect(relativeError(r.meanWait.mean, try number(heap, "Wq_batch_means", "mean")) < 1e-9)
        #expect(relativeError(r.meanWait.halfWidth, try number(heap, "Wq_batch_means", "half_width")) < 1e-9)
        #expect(r.lastArrivalTime == (try number(heap, "last_arrival_time")))
    }
}
