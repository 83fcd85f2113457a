import Foundation
import Hummingbird
import HummingbirdTesting
import MosaicCore
@testable import MosaicServer
import MosaicStore
import MosaicTestSupport
import Synchronization
import Testing

/// A 200 from `POST /v1/outcome` means the row is committed: kill -9 under load loses no
/// acknowledged outcome and duplicates none; a store failure answers 503 and the report can
/// be sent again.
@Suite("serve: durable outcomes")
struct DurableOutcomeTests {
    /// Runs of the kill -9 test: `MOSAIC_KILL9_RUNS` (scripts/kill9-outcomes sets 100), else 10.
    static let killRuns = ProcessInfo.processInfo.environment["MOSAIC_KILL9_RUNS"].flatMap(Int.init) ?? 10

    @Test func killNineUnderLoadLosesNoAcknowledgedOutcome() async throws {
        let f = try Fixture()
        try await blocking {
            for run in 0..<Self.killRuns {
                // Kill at a different point each run: after 40, 77, 114, … acknowledged outcomes.
                try Self.killNine(f, run: run, killAfter: 40 + 37 * (run % 10))
            }
        }
    }

    /// One run: `mosaic serve` with a store, 4 clients reporting outcomes, SIGKILL mid-load, then
    /// the store is opened again and every acknowledged decision id must be in it exactly once.
    static func killNine(_ f: Fixture, run: Int, killAfter: Int) throws {
        let store = f.dir.file("kill9-\(run).sqlite")
        let process = try MosaicBinary.start(
            ["serve", "--model", f.modelPath, "--policy", f.policyPath, "--port", "0", "--store", store, "--watch-interval", "0"],
            environment: ["MOSAIC_LOG_LEVEL": "warning"])
        let deadline = Date().addingTimeInterval(30)
        let port: Int
        do { port = try MosaicBinary.servePort(of: process, until: deadline) } catch {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("run \(run): \(error)")
            return
        }
        let acknowledged = Mutex<[String]>([])
        let group = DispatchGroup()
        for _ in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let c = LoopbackHTTPClient(port: port)
                while Date() < deadline {
                    guard let r = try? c.post("/v1/route", json: #"{"tenant":"acme","prompt_tokens":900}"#), r.status == 200,
                          let o = try? object(r.body), let id = o["decision_id"] as? String,
                          let p = (o["selected"] as? [String: Any])?["provider"] as? String else { return }
                    guard let ack = try? c.post("/v1/outcome", json: #"{"decision_id":"\#(id)","provider":"\#(p)","status":"ok","latency_ms":640,"input_tokens":900,"output_tokens":80}"#)
                    else { return }
                    if ack.status == 200, (try? object(ack.body))?["stored"] as? Bool == true {
                        acknowledged.withLock { $0.append(id) }
                    }
                }
            }
        }
        while acknowledged.withLock({ $0.count }) < killAfter && Date() < deadline { usleep(1000) }
        kill(process.processIdentifier, SIGKILL)   // while the clients are still sending
        group.wait()
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL, "run \(run)")

        let acked = acknowledged.withLock { $0 }
        #expect(acked.count >= killAfter, "run \(run): only \(acked.count) outcomes acknowledged before the deadline")
        let s = try Store(path: store)
        #expect(try s.database.scalarText("PRAGMA integrity_check") == "ok", "run \(run)")
        let rows = try s.database.rows("SELECT request_id, count(*) FROM requests GROUP BY request_id")
        var stored: [String: Int64] = [:]
        for r in rows { stored[r[0].description] = r[1].intValue ?? 0 }
        let lost = acked.filter { stored[$0] == nil }
        let duplicated = stored.filter { $0.value != 1 }
        #expect(lost.isEmpty, "run \(run): \(lost.count) of \(acked.count) acknowledged outcomes lost, e.g. \(lost.prefix(3))")
        #expect(duplicated.isEmpty, "run \(run): stored more than once: \(duplicated.prefix(3))")
        // Rows committed but not yet answered when the kill came are allowed; no others.
        #expect(stored.count >= acked.count && stored.count <= acked.count + 4, "run \(run): \(stored.count) rows, \(acked.count) acknowledged")
    }

    /// A store that refuses the batch: 503 naming the store's error, nothing stored; the same
    /// report once the store accepts again: 200, stored once, counted once.
    @Test func storeFailureAnswers503AndTheReportCanBeRetried() async throws {
        let f = try Fixture()
        let path = f.dir.file("refusing.sqlite")
        do {
            // A switch the test flips to make every insert into requests fail.
            let s = try Store(path: path)
            try s.database.execute("""
                CREATE TABLE test_switch(fail INTEGER NOT NULL);
                INSERT INTO test_switch VALUES (0);
                CREATE TRIGGER test_refuse BEFORE INSERT ON requests WHEN (SELECT fail FROM test_switch) = 1
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END;
                """)
        }
        let service = try f.service(store: path)
        defer { service.close() }
        let control = try SharedDatabase(path: path)
        try await ServeApplication.make(service: service, logger: Fixture.logger).test(.router) { client in
            let (id, _, report) = try await Self.routeOne(client)

            try control.db.execute("UPDATE test_switch SET fail = 1")
            try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: report)) { r in
                #expect(r.status == .serviceUnavailable)
                let message = try object(r.body)["error"] as? String ?? ""
                #expect(message.hasPrefix("the store did not confirm the outcome (the store refused the batch: "), "\(message)")
                #expect(message.contains("injected failure"), "\(message)")
            }
            #expect(try control.db.scalarInt("SELECT count(*) FROM requests") == 0)

            try control.db.execute("UPDATE test_switch SET fail = 0")
            try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: report)) { r in
                #expect(r.status == .ok)
                let o = try object(r.body)
                #expect(o["stored"] as? Bool == true)
            }
            // Committed before the answer: visible to another connection at once.
            #expect(try control.db.scalarInt("SELECT count(*) FROM requests WHERE request_id = ?", [.text(id)]) == 1)
            try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: report)) { r in
                #expect(r.status == .conflict)
            }
        }
        let text = service.metricsText()
        #expect(text.contains("mosaic_outcomes_total{provider=\"\(provider(text))\",status=\"ok\"} 1"), "\(text)")
        #expect(service.writer?.snapshot.failed == 1)
        #expect(service.writer?.snapshot.written == 1)
    }

    /// A commit whose answer never came (an audit swallowed PostgreSQL's reply to COMMIT) is
    /// answered 503, yet the row is stored; the report sent again must not store a second row.
    /// The row is at the decision's instant, not the report's, so the second is the same row.
    @Test func aReportSentAgainAfterAnUnconfirmedCommitIsOneRow() async throws {
        let f = try Fixture()
        let path = f.dir.file("unconfirmed.sqlite")
        let service = try f.service(store: path)
        defer { service.close() }
        let routedAt = f.clock.now
        try await ServeApplication.make(service: service, logger: Fixture.logger).test(.router) { client in
            let (id, provider, report) = try await Self.routeOne(client)
            f.clock.advance(5_000_000)
            try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: report)) { r in
                #expect(r.status == .ok)
            }
            // What the service does when the store does not confirm a commit that landed.
            let number = try #require(service.parseDecisionID(id))
            service.reopen(.init(record: RequestRecord(timestamp: 0, provider: provider, model: ""), outcome: .init(),
                                 applied: true, generation: 0, id: number))
            f.clock.advance(5_000_000)
            try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: report)) { r in
                #expect(r.status == .ok)
            }
            let control = try SharedDatabase(path: path)
            let rows = try control.db.rows("SELECT ts FROM requests WHERE request_id = ?", [.text(id)])
            #expect(rows.count == 1, "\(rows)")
            #expect(rows.first?[0].intValue == routedAt)
        }
    }

    /// Prices imported into the store while the router runs (one `mosaic prices import` for a
    /// whole fleet) price the rows after the next reload; before, the router kept the price
    /// table it read at startup and stored every row unpriced until it restarted.
    @Test func pricesImportedWhileServingPriceTheRowsAfterAReload() async throws {
        let f = try Fixture()
        let path = f.dir.file("prices.sqlite")
        let service = try f.service(store: path)
        defer { service.close() }
        try await ServeApplication.make(service: service, logger: Fixture.logger).test(.router) { client in
            func routeAndReport() async throws -> String {
                let decision = try await client.execute(uri: "/v1/route", method: .post,
                                                        body: ByteBuffer(string: #"{"tenant":"acme","prompt_tokens":500}"#)) { try object($0.body) }
                let id = try #require(decision["decision_id"] as? String)
                let report = #"{"decision_id":"\#(id)","provider":"openai","status":"ok","latency_ms":700,"model":"gpt-4o","input_tokens":1000,"output_tokens":100}"#
                try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: report)) { r in
                    #expect(r.status == .ok)
                }
                return id
            }
            let before = try await routeAndReport()
            let store = try Store(path: path)
            let from = Timestamp.parse("2026-01-01T00:00:00Z")!
            try store.upsertPrices([
                PriceEntry(provider: "openai", model: "gpt-4o", sku: .inputToken, price: try Money(parsing: "0.0000025"), validFrom: from, source: "test"),
                PriceEntry(provider: "openai", model: "gpt-4o", sku: .outputToken, price: try Money(parsing: "0.00001"), validFrom: from, source: "test"),
            ])
            if case .failed(let why) = service.reload(source: "test") { Issue.record("the reload failed: \(why)") }
            let after = try await routeAndReport()
            let control = try SharedDatabase(path: path)
            func cost(_ id: String) throws -> String? {
                try control.db.rows("SELECT cost FROM requests WHERE request_id = ?", [.text(id)]).first?[0].textValue
            }
            #expect(try cost(before) == nil)
            #expect(try cost(after) == "0.0035")
        }
    }

    /// Routes one request for tenant acme: its decision id, the admitted provider, and the
    /// report of an ok outcome there.
    static func routeOne(_ client: some TestClientProtocol) async throws -> (id: String, provider: String, report: String) {
        let decision = try await client.execute(uri: "/v1/route", method: .post,
                                                body: ByteBuffer(string: #"{"tenant":"acme","prompt_tokens":500}"#)) { try object($0.body) }
        let id = try #require(decision["decision_id"] as? String)
        let provider = try #require((decision["selected"] as? [String: Any])?["provider"] as? String)
        return (id, provider, #"{"decision_id":"\#(id)","provider":"\#(provider)","status":"ok","latency_ms":700}"#)
    }

    /// The provider named in the metrics' outcome line (the test does not fix which one is chosen).
    func provider(_ metrics: String) -> String {
        guard let line = metrics.split(separator: "\n").first(where: { $0.hasPrefix("mosaic_outcomes_total{") }),
              let a = line.range(of: "provider=\""), let b = line[a.upperBound...].firstIndex(of: "\"") else { return "?" }
        return String(line[a.upperBound..<b])
    }

    /// `commit` returns only after the row is readable from another connection, and commits
    /// that arrive while a transaction is being written share the next one.
    @Test func concurrentCommitsShareTransactions() async throws {
        let dir = TemporaryDirectory("mosaic-group-commit")
        let path = dir.file("group.sqlite")
        // The writer's connection waits for the lock as long as the test may take to queue every
        // commit: on a loaded machine the 200 tasks can wait minutes for the cooperative pool, and
        // a first transaction that gave up (SQLITE_BUSY after the default 10 s) would fail its rows.
        setenv("MOSAIC_BUSY_TIMEOUT_MS", "900000", 1)
        let opened = Result { try OutcomeWriter(storePath: path, catalog: .default, interval: 5, logger: Fixture.logger) }
        unsetenv("MOSAIC_BUSY_TIMEOUT_MS")
        let writer = try opened.get()
        let reader = try SharedDatabase(path: path)
        // Hold the write lock so the writer's first transaction waits while the rest queue up.
        try reader.db.execute("BEGIN IMMEDIATE")
        let n = 200
        try await withThrowingTaskGroup(of: Void.self) { group in
            for k in 0..<n {
                group.addTask {
                    let record = RequestRecord(timestamp: 1_780_000_000_000_000 + Int64(k), tenant: "acme", provider: "openai",
                                               model: "gpt-4o", inputTokens: 10, outputTokens: 5, status: .ok, requestID: "d\(k)")
                    try await writer.commit(record)
                }
            }
            try await blocking {
                // Release the lock only once every commit is queued, however long scheduling takes
                // (bounded at 600 s, which fails the test below).
                let deadline = Date().addingTimeInterval(600)
                while writer.snapshot.queued < n && Date() < deadline { usleep(1000) }
                try reader.db.execute("COMMIT")
            }
            try await group.waitForAll()
        }
        // The interval is 5 s: the answers came from commits, not from the timer.
        #expect(try reader.db.scalarInt("SELECT count(*) FROM requests") == Int64(n))
        let c = writer.snapshot
        #expect(c.written == n)
        #expect(c.batches <= 2, "\(c.batches) transactions for \(n) rows")
        writer.close()
        await #expect(throws: OutcomeWriter.CommitError.closed) {
            try await writer.commit(RequestRecord(timestamp: 1, provider: "openai", model: "gpt-4o", requestID: "late"))
        }
    }

    /// Memory stays bounded when the store stalls: past `queueLimit` waiting rows, `enqueue`
    /// refuses and `commit` throws `queueFull` (the endpoint's 503) instead of queueing; the rows
    /// accepted before are all written once the store is free again.
    @Test func aStalledStoreFillsTheQueueToItsLimitAndNoFurther() async throws {
        let dir = TemporaryDirectory("mosaic-queue-limit")
        let path = dir.file("limit.sqlite")
        setenv("MOSAIC_BUSY_TIMEOUT_MS", "900000", 1)   // the writer waits for the test's lock, however slow the machine
        let opened = Result { try OutcomeWriter(storePath: path, catalog: .default, interval: 0.01, queueLimit: 3, logger: Fixture.logger) }
        unsetenv("MOSAIC_BUSY_TIMEOUT_MS")
        let writer = try opened.get()
        let reader = try SharedDatabase(path: path)
        try reader.db.execute("BEGIN IMMEDIATE")   // the store stalls
        func record(_ id: String) -> RequestRecord {
            RequestRecord(timestamp: 1_780_000_000_000_000, provider: "openai", model: "gpt-4o", requestID: id)
        }
        #expect(writer.enqueue(record("first")))
        // The writer takes "first" and waits for the lock; the queue is empty again.
        try await blocking {
            let deadline = Date().addingTimeInterval(600)
            while writer.depth > 0 && Date() < deadline { usleep(1000) }
        }
        #expect(writer.depth == 0)
        for id in ["a", "b", "c"] { #expect(writer.enqueue(record(id)), "\(id)") }
        #expect(writer.depth == 3)
        #expect(!writer.hasRoom)
        #expect(!writer.enqueue(record("d")))
        let late = record("e")
        await #expect(throws: OutcomeWriter.CommitError.queueFull(limit: 3)) { try await writer.commit(late) }
        #expect(writer.depth == 3)
        #expect(writer.snapshot.refused == 2)
        try reader.db.execute("COMMIT")
        writer.close()
        #expect(try reader.db.scalarInt("SELECT count(*) FROM requests") == 4)
        #expect(try reader.db.scalarInt("SELECT count(*) FROM requests WHERE request_id IN ('d', 'e')") == 0)
        #expect(writer.snapshot.written == 4)
    }

    /// A row the store refuses fails only its own caller, not the others of its transaction.
    @Test func aRefusedRowDoesNotFailItsNeighbours() async throws {
        let dir = TemporaryDirectory("mosaic-poison-row")
        let path = dir.file("poison.sqlite")
        do {
            let s = try Store(path: path)
            try s.database.execute("""
                CREATE TRIGGER test_refuse BEFORE INSERT ON requests WHEN NEW.request_id = 'bad'
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END;
                """)
        }
        let writer = try OutcomeWriter(storePath: path, catalog: .default, interval: 5, logger: Fixture.logger)
        let reader = try SharedDatabase(path: path)
        try reader.db.execute("BEGIN IMMEDIATE")   // so that all five share the writer's first transaction
        let ids = ["a", "b", "bad", "c", "d"]
        let results = try await withThrowingTaskGroup(of: (String, OutcomeWriter.CommitError?).self) { group in
            for (k, id) in ids.enumerated() {
                group.addTask {
                    let record = RequestRecord(timestamp: 1_780_000_000_000_000 + Int64(k), provider: "openai", model: "gpt-4o",
                                               requestID: id)
                    do throws(OutcomeWriter.CommitError) { try await writer.commit(record) } catch { return (id, error) }
                    return (id, nil)
                }
            }
            try await blocking {
                let deadline = Date().addingTimeInterval(60)
                while writer.snapshot.queued < ids.count && Date() < deadline { usleep(1000) }
                try reader.db.execute("COMMIT")
            }
            var out: [String: OutcomeWriter.CommitError?] = [:]
            for try await (id, error) in group { out[id] = error }
            return out
        }
        for id in ids where id != "bad" { #expect(results[id]! == nil, "\(id): \(String(describing: results[id]!))") }
        guard let refused = results["bad"] ?? nil else {
            Issue.record("the refused row was reported stored")
            return
        }
        #expect(refused.description.contains("injected failure"), "\(refused)")
        #expect(try reader.db.scalarInt("SELECT count(*) FROM requests") == 4)
        #expect(writer.snapshot.failed == 1)
        writer.close()
    }
}

/// A connection the test hands to a helper thread; one thread uses it at a time.
final class SharedDatabase: @unchecked Sendable {
    let db: Database
    init(path: String) throws { db = try Database(path: path) }
}
