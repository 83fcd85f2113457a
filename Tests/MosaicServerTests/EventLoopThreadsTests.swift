import Foundation
import MosaicServer
import MosaicTestSupport
import Testing

/// `mosaic serve --threads N`: the server runs exactly N event-loop threads, and still serves.
@Suite("serve: event-loop threads")
struct EventLoopThreadsTests {
    @Test(arguments: [1, 3])
    func serveRunsTheEventLoopThreadsItIsGiven(threads: Int) async throws {
        let f = try Fixture()
        try await blocking { try Self.serve(f, threads: threads) }
    }

    static func serve(_ f: Fixture, threads: Int) throws {
        let process = try MosaicBinary.start(
            ["serve", "--model", f.modelPath, "--policy", f.policyPath, "--port", "0", "--watch-interval", "0",
             "--threads", String(threads)],
            environment: ["MOSAIC_LOG_LEVEL": "warning"])
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            let result = ChildProcess.wait(process)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let port = try MosaicBinary.servePort(of: process, until: Date().addingTimeInterval(20))
        let c = LoopbackHTTPClient(port: port)
        defer { c.close() }
        // Several keep-alive connections, so that every loop has had work.
        for _ in 0..<4 {
            let other = LoopbackHTTPClient(port: port)
            defer { other.close() }
            #expect(try other.post("/v1/route", json: #"{"tenant":"acme","prompt_tokens":900}"#).status == 200)
        }
        #expect(try c.get("/healthz").status == 200)
        // A thread another starts bears its creator's name until it names itself (libdispatch's
        // workers, started from an event loop, did so on a loaded machine): the count is read
        // until it settles, for at most 20 s.
        var seen = eventLoopThreads(of: process.processIdentifier)
        let settle = Date().addingTimeInterval(20)
        while seen.count != threads && Date() < settle {
            Thread.sleep(forTimeInterval: 0.1)
            seen = eventLoopThreads(of: process.processIdentifier)
        }
        #expect(seen.count == threads, "\(seen)")
    }

    /// The names of `pid`'s threads that belong to NIO's singleton event-loop group.
    static func eventLoopThreads(of pid: Int32) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { tid -> String? in
            guard let name = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8) else { return nil }
            return name.hasPrefix("NIO-SGLTN-") ? name.trimmingCharacters(in: .whitespacesAndNewlines) : nil
        }
    }

    @Test func threadsOutsideItsRangeAreRefused() throws {
        let f = try Fixture()
        for bad in ["0", "257"] {
            let r = try MosaicBinary.run(["serve", "--model", f.modelPath, "--policy", f.policyPath, "--port", "0", "--threads", bad])
            #expect(r.status != 0)
            #expect(r.stderr.contains("--threads must be between 1 and 256"), "\(r.stderr)")
        }
    }
}
