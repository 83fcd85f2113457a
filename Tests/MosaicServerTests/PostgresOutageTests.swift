import Foundation
import MosaicCore
@testable import MosaicServer
import MosaicStore
import MosaicTestSupport
import Testing

/// `mosaic serve --store postgres://…` survives PostgreSQL going away: while the database
/// refuses connections an outcome is answered 503 and stays open, the same report is stored once
/// it is back (no 409, no loss), a publication made meanwhile is applied, and SIGTERM stops the
/// server within `--shutdown-timeout` even when the server hangs without closing anything.
@Suite("serve: PostgreSQL outage", .serialized, .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.skipReason)))
struct PostgresOutageTests {
    static func start(_ f: Fixture, db: String, _ extra: [String] = []) throws -> FleetTests.Instance {
        let process = try MosaicBinary.start(
            ["serve", "--model", f.modelPath, "--policy", f.policyPath, "--port", "0", "--store", db,
             "--watch-interval", "0"] + extra,
            environment: ["MOSAIC_LOG_LEVEL": "info"])
        do {
            return FleetTests.Instance(process: process, port: try MosaicBinary.servePort(of: process, until: .distantFuture))
        } catch {
            process.terminate()
            let rest = ChildProcess.wait(process)
            throw LoopbackHTTPClient.Failure(description: "mosaic serve printed \(error) \(rest.stderr)")
        }
    }

    /// A decision for the spending tenant: its id and the provider selected.
    static func route(_ port: Int) throws -> (id: String, provider: String) {
        let c = LoopbackHTTPClient(port: port)
        defer { c.close() }
        let r = try c.post("/v1/route", json: #"{"tenant":"spender","budget":"team","prompt_tokens":100,"expected_output_tokens":20}"#)
        let o = try object(r.body)
        guard r.status == 200, let id = o["decision_id"] as? String,
              let p = (o["selected"] as? [String: Any])?["provider"] as? String else {
            throw LoopbackHTTPClient.Failure(description: "route answered \(r.status): \(r.text)")
        }
        return (id, p)
    }

    /// Reports a decision's outcome; at most `seconds` for the answer (a hang fails the test).
    static func report(_ port: Int, _ d: (id: String, provider: String), seconds: Double = 20) throws -> LoopbackHTTPClient.Response {
        try bounded(seconds: seconds, "POST /v1/outcome") {
            let c = LoopbackHTTPClient(port: port)
            defer { c.close() }
            return try c.post("/v1/outcome", json: #"{"decision_id":"\#(d.id)","provider":"\#(d.provider)","status":"ok","latency_ms":250,"input_tokens":100,"output_tokens":20}"#)
        }
    }

    static func stored(_ r: LoopbackHTTPClient.Response) -> Bool {
        r.status == 200 && (try? object(r.body))?["stored"] as? Bool == true
    }

    /// Waits for the process to exit, at most `seconds`; kills it when it did not.
    static func exits(_ process: Process, within seconds: Double) -> (exited: Bool, waited: Double, output: ChildProcess.Output) {
        let start = Date()
        while process.isRunning && Date().timeIntervalSince(start) < seconds { usleep(20_000) }
        let waited = Date().timeIntervalSince(start)
        let exited = !process.isRunning
        if !exited { kill(process.processIdentifier, SIGKILL) }
        return (exited, waited, ChildProcess.wait(process))
    }

    /// Every connection to the database is ended (what a restart does) and new ones are refused
    /// for a while. Meanwhile an outcome is answered 503, twice (the decision stays open), and a
    /// model is published. Once connections are allowed again the same report is stored, the
    /// publication is applied, later outcomes are stored, and every acknowledged outcome is in
    /// the table once.
    @Test func outcomesAndPublicationsSurviveAnOutage() async throws {
        let db = try PostgresServer.database("outage")
        let f = try Fixture(policy: FleetTests.policy)
        try await blocking {
            let admin = try Store(path: db.location)
            let instance = try Self.start(f, db: db.location)
            // A failed expectation must not leave the server running (it may not stop on SIGTERM).
            defer { if instance.process.isRunning { kill(instance.process.processIdentifier, SIGKILL) } }
            defer { try? db.allowConnections(true) }
            let port = instance.port
            let first = try Self.route(port)
            let ok = try Self.report(port, first)
            #expect(Self.stored(ok), "\(ok.text)")

            try db.allowConnections(false)
            try db.terminateConnections(from: admin.database)
            let during = try Self.route(port)
            let started = Date()
            for attempt in 1...2 {
                let r = try Self.report(port, during)
                #expect(r.status == 503, "attempt \(attempt) during the outage: \(r.status) \(r.text)")
                #expect(r.text.contains("unavailable"), "\(r.text)")
            }
            #expect(Date().timeIntervalSince(started) < 12, "503s answered within the store timeout")
            try Fixture.model(version: 8).encoded().write(to: URL(fileURLWithPath: f.dir.file("v8.json")))
            let v8 = try String(contentsOfFile: f.dir.file("v8.json"), encoding: .utf8)
            _ = try FleetLeases(store: admin).publish(model: v8, policy: nil, note: "during the outage", now: Timestamp.now())
            usleep(300_000)
            #expect(FleetTests.modelVersion(port) == 7, "not applied before the store is back")

            try db.allowConnections(true)
            let back = Date()
            var answers: [Int] = []
            var last: LoopbackHTTPClient.Response?
            while Date().timeIntervalSince(back) < 20 {
                let r = try Self.report(port, during)
                answers.append(r.status)
                last = r
                if r.status != 503 { break }
                usleep(100_000)
            }
            #expect(last.map(Self.stored) == true, "the report sent again is stored: \(answers) \(last?.text ?? "")")
            #expect(!answers.contains(409), "\(answers)")
            var version = FleetTests.modelVersion(port)
            while version != 8 && Date().timeIntervalSince(back) < 20 {
                usleep(50_000)
                version = FleetTests.modelVersion(port)
            }
            #expect(version == 8, "the publication made during the outage is applied once the store is back")
            let after = try Self.route(port)
            #expect(Self.stored(try Self.report(port, after)))
            print("outage: report stored, publication served and a new outcome stored \(String(format: "%.2f", Date().timeIntervalSince(back))) s after connections were allowed; answers to the report sent again \(answers)")

            kill(instance.process.processIdentifier, SIGTERM)
            let end = Self.exits(instance.process, within: 20)
            #expect(end.exited && end.output.status == 0, "\(end.output.stderr.suffix(2000))")
            // Logged once per outage, not once per failed report.
            let lines = end.output.stderr.split(separator: "\n")
            #expect(lines.filter { $0.contains("the store is unavailable") && $0.contains("outcome") }.count == 1,
                    "\(end.output.stderr.suffix(3000))")
            let ids = try admin.database.rows("SELECT request_id FROM requests").map { $0[0].description }
            #expect(ids.sorted() == [first.id, during.id, after.id].sorted(), "\(ids)")
        }
    }

    /// Gateway cache hits and outcome rows queued without a waiter while PostgreSQL refuses
    /// connections wait for it, as acknowledged reports do, and are written once it is back:
    /// nothing is counted as failed.
    @Test func queuedRowsAndCacheHitsWaitForTheStore() async throws {
        let db = try PostgresServer.database("hits")
        try await blocking {
            let admin = try Store(path: db.location)
            let writer = try OutcomeWriter(storePath: db.location, catalog: .default, interval: 0.05, storeTimeout: 2,
                                           logger: Fixture.logger)
            defer { try? db.allowConnections(true) }
            try db.allowConnections(false)
            try db.terminateConnections(from: admin.database)
            let t: Int64 = 1_780_000_000_000_000
            for k in 0..<3 {
                #expect(writer.enqueue(CacheHitRecord(timestamp: t + Int64(k), tenant: "acme", provider: "openai", model: "gpt-4o",
                                                      saved: Money("0.0125"), requestID: "hit\(k)")))
            }
            #expect(writer.enqueue(RequestRecord(timestamp: t, tenant: "acme", provider: "openai", model: "gpt-4o",
                                                 inputTokens: 10, outputTokens: 5, status: .ok, requestID: "d0")))
            usleep(500_000)
            #expect(writer.snapshot.cacheHits == 0 && writer.snapshot.written == 0)
            try db.allowConnections(true)
            let back = Date()
            while (writer.snapshot.cacheHits < 3 || writer.snapshot.written < 1) && Date().timeIntervalSince(back) < 20 { usleep(50_000) }
            writer.close()
            #expect(writer.snapshot.cacheHits == 3 && writer.snapshot.written == 1 && writer.snapshot.failed == 0, "\(writer.snapshot)")
            let hits = try admin.database.rows("SELECT request_id, saved FROM cache_hits ORDER BY request_id").map { "\($0[0]) \($0[1])" }
            #expect(hits == ["hit0 0.0125", "hit1 0.0125", "hit2 0.0125"], "\(hits)")
        }
    }

    /// PostgreSQL stops answering without closing anything (a relay in front of it frozen):
    /// an outcome is answered 503 within the store timeout (`--store-timeout`), and SIGTERM stops the server within
    /// `--shutdown-timeout` although the store never answers again.
    @Test func sigtermStopsTheServerWhilePostgreSQLHangs() async throws {
        let db = try PostgresServer.database("hang")
        let f = try Fixture(policy: FleetTests.policy)
        let relay = try TCPRelay(to: db.url.port)
        defer { relay.stop() }
        let through = "postgres://\(db.url.user)\(db.url.password.map { ":\($0)" } ?? "")@127.0.0.1:\(relay.port)/\(db.url.database)"
        try await blocking {
            let instance = try Self.start(f, db: through, ["--shutdown-timeout", "3", "--store-timeout", "1.5"])
            defer { if instance.process.isRunning { kill(instance.process.processIdentifier, SIGKILL) } }
            let port = instance.port
            #expect(Self.stored(try Self.report(port, try Self.route(port))))
            relay.freeze()
            let d = try Self.route(port)
            let started = Date()
            let r = try Self.report(port, d)
            let waited = Date().timeIntervalSince(started)
            // --store-timeout is the wait (5 s without it).
            #expect(r.status == 503 && r.text.contains("no answer within 1.5 s"), "\(r.status) \(r.text)")
            #expect(waited < 12, "answered after \(waited) s")
            kill(instance.process.processIdentifier, SIGTERM)
            let end = Self.exits(instance.process, within: 15)
            #expect(end.exited, "still running \(end.waited) s after SIGTERM (--shutdown-timeout 3): \(end.output.stderr.suffix(2000))")
            #expect(end.waited < 3 + 6, "stopped \(end.waited) s after SIGTERM")
            print("hang: 503 after \(String(format: "%.2f", waited)) s; stopped \(String(format: "%.2f", end.waited)) s after SIGTERM")
        }
    }
}
