import Foundation
import MosaicCore
@testable import MosaicServer
import MosaicStore
import MosaicTestSupport
import Synchronization
import Testing

/// Real sockets on 127.0.0.1: the in-process server, and the `mosaic serve` binary under SIGTERM.
@Suite("serve: live")
struct LiveTests {
    @Test func routesAndOutcomesOverLoopbackReachTheStore() async throws {
        let f = try Fixture()
        let store = f.dir.file("live.sqlite")
        let service = try f.service(store: store)
        let handle = try await ServeApplication.start(service: service, logger: Fixture.logger)
        let port = handle.port
        try await blocking {
        let c = LoopbackHTTPClient(port: port)
        for k in 0..<20 {
            let r = try c.post("/v1/route", json: #"{"tenant":"acme","model_family":"gpt-4o","prompt_tokens":\#(100 * k)}"#)
            #expect(r.status == 200)
            let o = try object(r.body)
            let id = try #require(o["decision_id"] as? String)
            let p = try #require((o["selected"] as? [String: Any])?["provider"] as? String)
            let ack = try c.post("/v1/outcome", json: #"{"decision_id":"\#(id)","provider":"\#(p)","status":\#(k % 5 == 0 ? 503 : 200),"latency_ms":\#(500 + k),"input_tokens":\#(100 * k),"output_tokens":50}"#)
            #expect(ack.status == 200)
            try #expect(object(ack.body)["stored"] as? Bool == true)
        }
        try #expect(c.get("/healthz").status == 200)
        try #expect(c.get("/metrics").text.contains("mosaic_outcomes_total"))
        c.close()
        }
        try await handle.stop()
        let s = try Store(path: store, readOnly: true)
        try #expect(s.database.scalarInt("SELECT count(*) FROM requests") == 20)
        try #expect(s.database.scalarInt("SELECT count(*) FROM requests WHERE status = 'error'") == 4)
        try #expect(s.database.scalarInt("SELECT count(*) FROM requests WHERE tenant = 'acme' AND model = 'gpt-4o' AND request_id IS NOT NULL") == 20)
    }

    /// Under both executors (`--executor`): handlers on the event loops must drain as the pool does.
    @Test(arguments: TaskExecutorChoice.allCases)
    func sigtermDrainsAndLosesNoOutcome(executor: TaskExecutorChoice) async throws {
        let f = try Fixture()
        try await blocking { try Self.sigterm(f, executor: executor) }
    }

    static func sigterm(_ f: Fixture, executor: TaskExecutorChoice) throws {
        let store = f.dir.file("sigterm.sqlite")
        let process = try MosaicBinary.start(
            ["serve", "--model", f.modelPath, "--policy", f.policyPath, "--port", "0", "--store", store, "--watch-interval", "0",
             "--executor", executor.rawValue],
            environment: ["MOSAIC_LOG_LEVEL": "warning"])
        let deadline = Date().addingTimeInterval(20)
        let port: Int
        do { port = try MosaicBinary.servePort(of: process, until: deadline) } catch {
            process.terminate()
            Issue.record("\(error)")
            return
        }
        let acknowledged = Atomic<Int>(0)
        let sent = Atomic<Int>(0)
        let group = DispatchGroup()
        for _ in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let c = LoopbackHTTPClient(port: port)
                while true {
                    guard let r = try? c.post("/v1/route", json: #"{"tenant":"acme","prompt_tokens":900}"#), r.status == 200,
                          let o = try? object(r.body), let id = o["decision_id"] as? String,
                          let p = (o["selected"] as? [String: Any])?["provider"] as? String else { return }
                    sent.wrappingAdd(1, ordering: .relaxed)
                    guard let ack = try? c.post("/v1/outcome", json: #"{"decision_id":"\#(id)","provider":"\#(p)","status":"ok","latency_ms":640,"input_tokens":900,"output_tokens":80}"#)
                    else { return }
                    if ack.status == 200, (try? object(ack.body))?["stored"] as? Bool == true {
                        acknowledged.wrappingAdd(1, ordering: .relaxed)
                    }
                }
            }
        }
        while sent.load(ordering: .relaxed) < 400 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        kill(process.processIdentifier, SIGTERM)   // while the clients are still sending
        group.wait()
        let result = ChildProcess.wait(process)
        #expect(result.status == 0, "\(result.stderr)")
        let stored = try Store(path: store, readOnly: true).database.scalarInt("SELECT count(*) FROM requests") ?? -1
        #expect(acknowledged.load(ordering: .relaxed) >= 300)
        #expect(Int(stored) == acknowledged.load(ordering: .relaxed), "every acknowledged outcome is in the store")
    }
}
