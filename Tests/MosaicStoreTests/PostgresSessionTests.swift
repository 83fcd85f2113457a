import Foundation
import MosaicCore
@testable import MosaicStore
import MosaicTestSupport
import Testing

/// A store connection outlives a lost PostgreSQL connection: the next statement connects again,
/// a transaction that was open fails as a whole, and a server that stops answering fails a
/// statement within its answer timeout instead of holding the thread.
@Suite("PostgreSQL session", .serialized, .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.skipReason)))
struct PostgresSessionTests {
    /// Runs `statement` up to twice: the first statement after the connection was killed may be
    /// sent before the client saw it close, and then fails as unavailable.
    static func once(_ statement: () throws -> Int64?) throws -> Int64? {
        do { return try statement() } catch let e as StoreError where e.isUnavailable { return try statement() }
    }

    @Test func aLostConnectionIsMadeAgainOnTheNextStatement() throws {
        let db = try PostgresServer.database("reconnect")
        try bounded(seconds: 60, "statements after the connection was killed") {
            let admin = try Database(postgres: db.url)
            let store = try Store(path: db.location)
            let before = try store.database.scalarInt("SELECT pg_backend_pid()")
            try db.terminateConnections(from: admin)
            let after = try Self.once { try store.database.scalarInt("SELECT pg_backend_pid()") }
            #expect(after != nil && after != before, "a new connection (backend \(before ?? 0) -> \(after ?? 0))")
            #expect(try store.schemaVersion == Schema.latestVersion)
        }
    }

    @Test func aTransactionWhoseConnectionWasLostFailsAsAWhole() throws {
        let db = try PostgresServer.database("losttx")
        try bounded(seconds: 60, "a transaction across a killed connection") {
            let admin = try Database(postgres: db.url)
            let store = try Store(path: db.location)
            try store.database.execute("CREATE TABLE t (v INTEGER)")
            var thrown: (any Error)?
            do {
                try store.database.transaction {
                    try store.database.execute("INSERT INTO t VALUES (1)")
                    try db.terminateConnections(from: admin)
                    usleep(200_000)
                    // Must not run on a new connection, outside the transaction, and be kept.
                    try store.database.execute("INSERT INTO t VALUES (2)")
                }
            } catch {
                thrown = error
            }
            #expect((thrown as? StoreError)?.isUnavailable == true, "\(String(describing: thrown))")
            #expect("\(thrown.map { "\($0)" } ?? "")".contains("PostgreSQL is unavailable"))
            // The next statement connects again; nothing of the transaction was kept.
            #expect(try store.database.scalarInt("SELECT count(*) FROM t") == 0)
            try store.database.transaction { try store.database.execute("INSERT INTO t VALUES (3)") }
            #expect(try store.database.scalarInt("SELECT count(*) FROM t") == 1)
        }
    }

    /// A server that keeps the connection open but never answers (a relay in front of it
    /// frozen): the statement fails within the answer timeout, and once the server answers
    /// again the next statements work.
    @Test func aServerThatStopsAnsweringFailsAStatementWithinTheTimeout() throws {
        let db = try PostgresServer.database("hung")
        let relay = try TCPRelay(to: db.url.port)
        var through = db.url
        through.host = "127.0.0.1"
        through.port = relay.port
        let url = through
        try bounded(seconds: 60, "a statement on a frozen connection") {
            let database = try Database(postgres: url)
            database.answerTimeout = 1
            #expect(try database.scalarInt("SELECT 1") == 1)
            relay.freeze()
            let start = Date()
            #expect {
                try database.scalarInt("SELECT 2")
            } throws: { error in
                (error as? StoreError)?.isUnavailable == true && "\(error)".contains("no answer within 1 s")
            }
            let waited = Date().timeIntervalSince(start)
            #expect(waited >= 0.9 && waited < 5, "failed after \(waited) s")
            // While it still does not answer, connecting again is bounded by the same timeout.
            #expect(throws: StoreError.self) { try database.scalarInt("SELECT 3") }
            #expect(Date().timeIntervalSince(start) < 10)
            relay.thaw()
            var answer: Int64?
            let until = Date().addingTimeInterval(10)
            while answer == nil && Date() < until {
                answer = try? database.scalarInt("SELECT 4")
                if answer == nil { usleep(100_000) }
            }
            #expect(answer == 4, "statements work again once the server answers")
        }
        relay.stop()
    }
}
