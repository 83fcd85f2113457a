import Dispatch
import Foundation
import PostgresNIO

/// One PostgreSQL connection, used synchronously: the store's API is synchronous, so every
/// call here blocks its caller until the server answers, or until ``answerTimeout`` passes.
///
/// Queries go through PostgresNIO's future interface. `COPY FROM` and connecting exist only as
/// `async` functions; they run on a private serial executor (``PostgresBridge``), never on the
/// cooperative pool, so a caller that blocks a pool thread cannot starve them.
///
/// A session outlives its connection. A query written to a closed connection may never be
/// answered (PostgresNIO writes it without a promise for the write, so the write's failure goes
/// nowhere; `wait()` on its future held a router for good after a PostgreSQL restart), so every
/// statement first checks that the connection is open, and connects again when it is not,
/// unless a transaction was open on it: that
/// transaction is gone with the connection, so its statements fail until its `ROLLBACK`, and the
/// next statement after that connects again. While the server cannot be reached, attempts are
/// spaced out (``retryDelays``) and statements in between fail at once with
/// ``StoreError/unavailable(location:reason:)``. ``connectionLogger`` hears once when the
/// connection is lost and once when it is back, not once per statement.
final class PostgresSession {
    /// The URL without its password, for messages.
    let location: String
    /// Where it connects (streamed reads open a connection of their own there).
    let url: PostgresURL
    /// PostgresNIO's own logger (errors only).
    let logger: Logger
    /// The longest one statement, one `COPY` or one connection attempt waits for the server,
    /// seconds; nil: no bound (the command-line tools, whose reports may run for minutes). When
    /// it passes, the connection is closed, so a hung server cannot hold a thread.
    var answerTimeout: Double?
    /// Where the loss of the connection and its recovery are logged; nil: nowhere.
    var connectionLogger: Logger?

    /// The open connection; nil after a failed attempt to connect again.
    private var connection: PostgresConnection?
    /// A `BEGIN` was sent on `connection` and no `COMMIT` or `ROLLBACK` yet.
    private var inTransaction = false
    /// Since when the server cannot be reached, and when to try again.
    private var outage: Outage?

    struct Outage {
        var since: UInt64
        var failures: Int
        var nextAttempt: UInt64
        var reason: String
    }

    /// Seconds between attempts to connect again after the first failed one: doubling, so a
    /// long outage costs a connection attempt every few seconds, not one per statement.
    static let retryDelays: [Double] = [0.1, 0.2, 0.5, 1, 2]

    init(url: PostgresURL, answerTimeout: Double? = nil) throws(StoreError) {
        self.url = url
        self.answerTimeout = answerTimeout
        location = url.redacted
        var logger = Logger(label: "mosaic.store.postgres")
        logger.logLevel = .error
        self.logger = logger
        do {
            connection = try connect()
        } catch {
            throw .postgres(location: url.redacted, state: nil, message: "cannot connect: \(error.reason)", sql: nil)
        }
    }

    deinit { connection.map(PostgresSession.discard) }

    /// Closes a connection without waiting, keeping it alive until it is closed (PostgresNIO
    /// asserts that a connection is closed before it goes).
    static func discard(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Connects, waiting at most ``answerTimeout`` (and 10 s for the TCP connection itself).
    /// A connection that arrives after the wait gave up is closed.
    private func connect() throws(Unanswered) -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: .disable)
        configuration.options.connectTimeout = .seconds(Int64(min(10, answerTimeout ?? 10).rounded(.up)))
        let config = configuration, log = logger
        do {
            return try PostgresBridge.run(timeout: answerTimeout, abandoned: PostgresSession.discard) {
                try await PostgresConnection.connect(configuration: config, id: 1, logger: log)
            }
        } catch {
            throw Unanswered(reason: PostgresSession.message(of: error))
        }
    }

    /// Why no connection was made: the server cannot be reached, refused, or took too long.
    struct Unanswered: Error {
        var reason: String
    }

    /// The connection to send a statement on: the open one, or a new one when it was lost
    /// outside a transaction; nil for a `ROLLBACK` when there is none (the server has rolled
    /// back what the lost connection held).
    private func usable(for sql: String) throws(StoreError) -> PostgresConnection? {
        if let c = connection, !c.isClosed { return c }
        if connection != nil {
            connection = nil
            lost("the server closed the connection")
        }
        if sql == "ROLLBACK" {
            inTransaction = false
            return nil
        }
        if inTransaction {
            throw .unavailable(location: location, reason: "the connection was lost inside a transaction, "
                               + "which the server rolled back (none of its changes were kept)")
        }
        let now = DispatchTime.now().uptimeNanoseconds
        if let o = outage, now < o.nextAttempt {
            throw .unavailable(location: location, reason: "cannot connect: \(o.reason) (next attempt in "
                               + "\(PostgresSession.seconds(o.nextAttempt - now)) s)")
        }
        do throws(Unanswered) {
            let c = try connect()
            if let o = outage {
                connectionLogger?.notice("PostgreSQL connection is back", metadata: [
                    "store": "\(location)", "down_seconds": "\(PostgresSession.seconds(now - o.since))",
                    "failed_attempts": "\(o.failures)",
                ])
            }
            outage = nil
            connection = c
            return c
        } catch {
            let failures = (outage?.failures ?? 0) + 1
            let delay = PostgresSession.retryDelays[min(failures, PostgresSession.retryDelays.count) - 1]
            let first = outage == nil
            outage = Outage(since: outage?.since ?? now, failures: failures,
                            nextAttempt: DispatchTime.now().uptimeNanoseconds + UInt64(delay * 1e9), reason: error.reason)
            if first {
                connectionLogger?.warning("PostgreSQL cannot be reached; statements fail until it answers again", metadata: [
                    "store": "\(location)", "error": "\(error.reason)",
                ])
            }
            throw .unavailable(location: location, reason: "cannot connect: \(error.reason)")
        }
    }

    /// Notes that the connection was lost (logged once: the outage starts here).
    private func lost(_ reason: String) {
        if outage == nil {
            connectionLogger?.warning("PostgreSQL connection lost; connecting again on the next statement", metadata: [
                "store": "\(location)", "error": "\(reason)",
            ])
            let now = DispatchTime.now().uptimeNanoseconds
            outage = Outage(since: now, failures: 0, nextAttempt: now, reason: reason)
        }
    }

    /// Whether `sql` ends the transaction (`COMMIT`, `ROLLBACK`, not `ROLLBACK TO SAVEPOINT`).
    static func endsTransaction(_ sql: String) -> Bool {
        sql == "COMMIT" || sql == "ROLLBACK" || sql == "END"
    }

    /// Seconds with one decimal ("2.5").
    static func seconds(_ nanoseconds: UInt64) -> String {
        String(format: "%.1f", Double(nanoseconds) / 1e9)
    }

    /// Runs one statement with untyped text parameters (the server infers their types, as
    /// for literals); returns the rows and how many rows the command changed.
    func query(_ sql: String, _ binds: [SQLValue]) throws(StoreError) -> (rows: [PostgresRow], changed: Int) {
        guard let sent = try send(sql, binds) else { return ([], 0) }   // the ROLLBACK of a lost transaction
        return try answer(sent)
    }

    /// A statement sent and not yet answered (``send(_:_:)``).
    struct Sent {
        let sql: String
        let connection: PostgresConnection
        let future: EventLoopFuture<PostgresQueryResult>
    }

    /// Sends one statement as ``query(_:_:)`` does and returns at once; ``answer(_:)`` waits for
    /// its answer, so the caller works while the server does (a streamed read asks for its next
    /// rows before it reads these). Nil for the `ROLLBACK` of a lost transaction (nothing to send).
    func send(_ sql: String, _ binds: [SQLValue]) throws(StoreError) -> Sent? {
        guard let connection = try usable(for: sql) else { return nil }
        var bindings = PostgresBindings(capacity: binds.count)
        for b in binds {
            switch b {
            case .null: bindings.appendNull()
            case .int(let v): bindings.append(UntypedText(String(v)))
            case .double(let v): bindings.append(UntypedText(PostgresSession.text(of: v)))
            case .text(let v): bindings.append(UntypedText(v))
            }
        }
        // A COMMIT or ROLLBACK ends the transaction whatever its answer; a BEGIN that failed began none.
        if PostgresSession.endsTransaction(sql) { inTransaction = false }
        return Sent(sql: sql, connection: connection,
                    future: connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger))
    }

    /// Waits for the answer to a statement ``send(_:_:)`` sent (at most ``answerTimeout`` from
    /// now): its rows and how many rows it changed.
    func answer(_ sent: Sent) throws(StoreError) -> (rows: [PostgresRow], changed: Int) {
        do {
            let result = try PostgresBridge.wait(for: sent.future, timeout: answerTimeout)
            if sent.sql.hasPrefix("BEGIN") { inTransaction = true }
            return (Array(result.rows), result.metadata.rows ?? 0)
        } catch {
            throw fail(error, sql: sent.sql, on: sent.connection)
        }
    }

    /// The two `COPY` formats Mosaic sends: tab-separated text (``TextCopyBuffer``) or binary
    /// (``BinaryCopyWriter``).
    enum CopyFormat {
        case text
        case binary
    }

    /// Streams `COPY` data into a table: `chunks` hold the whole data, for binary from its
    /// header to its trailer.
    ///
    /// PostgresNIO's `copyFrom` writes `COPY "<table>" FROM STDIN WITH (FORMAT text)`, and its
    /// only format is text. It inserts the table name as passed (so documented), so for binary
    /// the name given is `table"(columns) FROM STDIN WITH (FORMAT binary) --`, which ends the
    /// statement and turns the rest of the line into a comment. Names here are Mosaic's own,
    /// never input. `binaryCopyWorks` in the tests fails if a PostgresNIO update changes this.
    func copy(into table: String, columns: [String], format: CopyFormat = .text, chunks: [ByteBuffer]) throws(StoreError) {
        let connection = try usable(for: "COPY")!, logger = self.logger
        let target: String, targetColumns: [String]
        switch format {
        case .text:
            (target, targetColumns) = (table, columns)
        case .binary:
            let list = columns.map { "\"\($0)\"" }.joined(separator: ",")
            (target, targetColumns) = ("\(table)\"(\(list)) FROM STDIN WITH (FORMAT binary) --", [])
        }
        do {
            try PostgresBridge.run(timeout: answerTimeout) {
                try await connection.copyFrom(table: target, columns: targetColumns, format: .text(.init()), logger: logger) { writer in
                    for c in chunks { try await writer.write(c) }
                }
            }
        } catch {
            throw fail(error, sql: "COPY \(table) FROM STDIN\(format == .binary ? " (FORMAT binary)" : "")", on: connection)
        }
    }

    /// A failed statement as a store error. A statement that got no answer in time closes the
    /// connection (a late answer must not be read as the next statement's); one that failed
    /// because the connection broke, or because the server is shutting down (SQLSTATE classes
    /// 08 and 57P), is ``StoreError/unavailable(location:reason:)``, and the next statement
    /// connects again.
    func fail(_ error: any Error, sql: String?, on connection: PostgresConnection) -> StoreError {
        let what = sql.map { " (while running: \($0.prefix(120)))" } ?? ""
        if let t = error as? PostgresBridge.TimedOut {
            PostgresSession.discard(connection)
            let reason = "no answer within \(t.seconds) s, so the connection was closed"
            lost(reason)
            return .unavailable(location: location, reason: reason + what)
        }
        let e = error as? PSQLError
        if let e, let info = e.serverInfo {
            var message = info[.message] ?? "\(e.code)"
            if let detail = info[.detail] { message += " (\(detail))" }
            let state = info[.sqlState]
            if let state, state.hasPrefix("08") || state.hasPrefix("57P") {
                lost(message)
                return .unavailable(location: location, reason: "\(message) (SQLSTATE \(state))\(what)")
            }
            return .postgres(location: location, state: state, message: message, sql: sql)
        }
        let message = PostgresSession.message(of: error)
        let broken: Set<PSQLError.Code> = [.serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown]
        if connection.isClosed || e.map({ broken.contains($0.code) }) == true {
            lost(message)
            return .unavailable(location: location, reason: message + what)
        }
        return .postgres(location: location, state: nil, message: message, sql: sql)
    }

    static func message(of error: any Error) -> String {
        if let e = error as? PSQLError {
            if let m = e.serverInfo?[.message] { return m }
            if e.code == .authMechanismRequiresPassword {
                return "the server asks for a password and the URL gives none (postgres://user:password@host/database)"
            }
            let code = words(e.code)
            // PostgresNIO nests its own errors (a closed connection because the server closed
            // it), and a nested PSQLError describes itself only as "Generic description to
            // prevent accidental leakage of sensitive data".
            if let underlying = e.underlying { return NetworkErrorText.describe(underlying) ?? "\(code): \(message(of: underlying))" }
            return code
        }
        return NetworkErrorText.describe(error) ?? String(describing: error)
    }

    /// What a PostgresNIO error code means, in words where Mosaic meets it.
    static func words(_ code: PSQLError.Code) -> String {
        switch code {
        case .serverClosedConnection: return "the server closed the connection"
        case .clientClosedConnection: return "the connection was closed"
        case .uncleanShutdown: return "the connection ended without a clean shutdown"
        case .connectionError: return "the connection failed"
        default: return "\(code)"
        }
    }

    /// A double as text that reads back to the same bits (Swift prints the shortest such form).
    static func text(of v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "Infinity" : "-Infinity" }
        return "\(v)"
    }
}

/// A parameter sent as text with no type (OID 0): the server infers the type from the
/// context, exactly as for a literal, so one binding serves integer, numeric and text columns.
struct UntypedText: PostgresDynamicTypeEncodable {
    let text: String
    init(_ text: String) { self.text = text }
    var psqlType: PostgresDataType { PostgresDataType(0) }
    var psqlFormat: PostgresFormat { .text }
    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer,
                                                  context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeString(text)
    }
}

/// Runs `async` PostgresNIO calls to completion from synchronous code, on a private serial
/// queue used as the task's executor, and waits for futures; both for a bounded time if asked.
enum PostgresBridge {
    final class Executor: TaskExecutor, @unchecked Sendable {
        let queue = DispatchQueue(label: "mosaic.store.postgres")
        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    /// No answer within the time allowed.
    struct TimedOut: Error {
        /// The time allowed, as text ("5").
        var seconds: String
    }

    /// A result handed from the event loop (or a task) to the thread waiting for it. A waiter
    /// that gave up leaves the result to `abandoned`.
    final class Outcome<T>: @unchecked Sendable {
        private let lock = NSLock()
        private let done = DispatchSemaphore(value: 0)
        private var result: Result<T, any Error>?
        private var gaveUp = false

        /// Hands over the result; false when the waiter had given up.
        func settle(_ r: Result<T, any Error>) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            if gaveUp { return false }
            result = r
            done.signal()
            return true
        }

        func wait(timeout: Double?) throws -> T {
            if let timeout {
                if done.wait(timeout: .now() + timeout) == .timedOut {
                    lock.lock()
                    defer { lock.unlock() }
                    if let result { return try result.get() }
                    gaveUp = true
                    throw TimedOut(seconds: String(format: "%g", timeout))
                }
            } else {
                done.wait()
            }
            lock.lock()
            defer { lock.unlock() }
            return try result!.get()
        }
    }

    static let executor = Executor()

    /// Runs `body` and waits for its result, at most `timeout` seconds (nil: as long as it takes).
    ///
    /// - Parameter abandoned: called with a result that arrives after the wait gave up (to close
    ///   a connection nobody will use).
    /// - Throws: ``TimedOut`` when the time passed, else what `body` threw.
    static func run<T: Sendable>(timeout: Double? = nil, abandoned: (@Sendable (T) -> Void)? = nil,
                       _ body: @escaping @Sendable () async throws -> T) throws -> T {
        let outcome = Outcome<T>()
        Task(executorPreference: executor) {
            let r: Result<T, any Error>
            do { r = .success(try await body()) } catch { r = .failure(error) }
            if !outcome.settle(r), case .success(let value) = r { abandoned?(value) }
        }
        return try outcome.wait(timeout: timeout)
    }

    /// Waits for a future's result, at most `timeout` seconds (nil: as long as it takes).
    static func wait<T: Sendable>(for future: EventLoopFuture<T>, timeout: Double?) throws -> T {
        guard let timeout else { return try future.wait() }
        let outcome = Outcome<T>()
        future.whenComplete { _ = outcome.settle($0) }
        return try outcome.wait(timeout: timeout)
    }
}

/// `postgres://user[:password]@host[:port]/database` (also `postgresql://`).
public struct PostgresURL: Sendable, Equatable {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String

    /// Whether a store location names a PostgreSQL database rather than an SQLite file.
    public static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    public init(user: String, password: String? = nil, host: String, port: Int = 5432, database: String) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
    }

    /// Parses a URL; the error says which part is missing or wrong.
    public init(parsing text: String) throws(StoreError) {
        func bad(_ why: String) -> StoreError {
            .refused(path: PostgresURL.redact(text), reason: "not a usable PostgreSQL URL: \(why); expected postgres://user@host:port/database")
        }
        guard PostgresURL.isPostgres(text), let c = URLComponents(string: text) else { throw bad("not a postgres:// URL") }
        guard var host = c.host, !host.isEmpty else { throw bad("no host") }
        // An IPv6 address is written in brackets (postgres://u@[::1]:5432/db); the host is the address.
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let user = c.user, !user.isEmpty else { throw bad("no user") }
        let db = String(c.path.drop(while: { $0 == "/" }))
        guard !db.isEmpty, !db.contains("/") else { throw bad("no database name after the host") }
        if let q = c.query, !q.isEmpty { throw bad("query options ('?\(q)') are not supported; TLS is not supported yet") }
        // URLComponents takes any number: port 99999 was tried, and said "connection refused".
        if let port = c.port, !(1...65_535).contains(port) { throw bad("port \(port) is not in 1...65535") }
        self.init(user: user.removingPercentEncoding ?? user, password: c.password?.removingPercentEncoding,
                  host: host, port: c.port ?? 5432, database: db)
    }

    /// The URL with the password replaced by `***`.
    public var redacted: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
    }

    static func redact(_ text: String) -> String {
        guard var c = URLComponents(string: text), c.password != nil else { return text }
        c.password = "***"
        return c.string ?? text
    }
}
