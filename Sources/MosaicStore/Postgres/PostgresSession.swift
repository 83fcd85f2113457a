import Dispatch
import Foundation
import PostgresNIO

/// One PostgreSQL connection, used synchronously: the store's API is synchronous, so every
/// call here blocks its caller until the server answers.
///
/// Queries go through PostgresNIO's future interface and wait on the event loop's answer.
/// `COPY FROM` and connecting exist only as `async` functions; they run on a private serial
/// executor (``PostgresBridge``), never on the cooperative pool, so a caller that blocks a pool
/// thread cannot starve them.
final class PostgresSession {
    let connection: PostgresConnection
    /// The URL without its password, for messages.
    let location: String
    /// Where it connected (streamed reads open a connection of their own there).
    let url: PostgresURL
    let logger: Logger

    init(url: PostgresURL) throws(StoreError) {
        self.url = url
        location = url.redacted
        var logger = Logger(label: "mosaic.store.postgres")
        logger.logLevel = .error
        self.logger = logger
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        let config = configuration, log = logger
        do {
            connection = try PostgresBridge.run {
                try await PostgresConnection.connect(configuration: config, id: 1, logger: log)
            }
        } catch {
            throw .postgres(location: url.redacted, state: nil,
                            message: "cannot connect: \(PostgresSession.message(of: error))", sql: nil)
        }
    }

    deinit { try? connection.close().wait() }

    /// Runs one statement with untyped text parameters (the server infers their types, as
    /// for literals); returns the rows and how many rows the command changed.
    func query(_ sql: String, _ binds: [SQLValue]) throws(StoreError) -> (rows: [PostgresRow], changed: Int) {
        var bindings = PostgresBindings(capacity: binds.count)
        for b in binds {
            switch b {
            case .null: bindings.appendNull()
            case .int(let v): bindings.append(UntypedText(String(v)))
            case .double(let v): bindings.append(UntypedText(PostgresSession.text(of: v)))
            case .text(let v): bindings.append(UntypedText(v))
            }
        }
        do {
            let result = try connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).wait()
            return (Array(result.rows), result.metadata.rows ?? 0)
        } catch {
            throw fail(error, sql: sql)
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
        let connection = self.connection, logger = self.logger
        let target: String, targetColumns: [String]
        switch format {
        case .text:
            (target, targetColumns) = (table, columns)
        case .binary:
            let list = columns.map { "\"\($0)\"" }.joined(separator: ",")
            (target, targetColumns) = ("\(table)\"(\(list)) FROM STDIN WITH (FORMAT binary) --", [])
        }
        do {
            try PostgresBridge.run {
                try await connection.copyFrom(table: target, columns: targetColumns, format: .text(.init()), logger: logger) { writer in
                    for c in chunks { try await writer.write(c) }
                }
            }
        } catch {
            throw fail(error, sql: "COPY \(table) FROM STDIN\(format == .binary ? " (FORMAT binary)" : "")")
        }
    }

    func fail(_ error: any Error, sql: String?) -> StoreError {
        if let e = error as? PSQLError, let info = e.serverInfo {
            var message = info[.message] ?? "\(e.code)"
            if let detail = info[.detail] { message += " (\(detail))" }
            return .postgres(location: location, state: info[.sqlState], message: message, sql: sql)
        }
        return .postgres(location: location, state: nil, message: PostgresSession.message(of: error), sql: sql)
    }

    static func message(of error: any Error) -> String {
        if let e = error as? PSQLError {
            if let m = e.serverInfo?[.message] { return m }
            if let underlying = e.underlying { return "\(e.code): \(underlying)" }
            return "\(e.code)"
        }
        return String(describing: error)
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
/// queue used as the task's executor.
enum PostgresBridge {
    final class Executor: TaskExecutor, @unchecked Sendable {
        let queue = DispatchQueue(label: "mosaic.store.postgres")
        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    final class Outcome<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }

    static let executor = Executor()

    static func run<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let outcome = Outcome<T>()
        let done = DispatchSemaphore(value: 0)
        Task(executorPreference: executor) {
            do { outcome.result = .success(try await body()) } catch { outcome.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try outcome.result!.get()
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
            .notAStore(path: PostgresURL.redact(text), reason: "\(why); expected postgres://user@host:port/database")
        }
        guard PostgresURL.isPostgres(text), let c = URLComponents(string: text) else { throw bad("not a postgres:// URL") }
        guard let host = c.host, !host.isEmpty else { throw bad("no host") }
        guard let user = c.user, !user.isEmpty else { throw bad("no user") }
        let db = String(c.path.drop(while: { $0 == "/" }))
        guard !db.isEmpty, !db.contains("/") else { throw bad("no database name after the host") }
        if let q = c.query, !q.isEmpty { throw bad("query options ('?\(q)') are not supported; TLS is not supported yet") }
        self.init(user: user.removingPercentEncoding ?? user, password: c.password?.removingPercentEncoding,
                  host: host, port: c.port ?? 5432, database: db)
    }

    /// The URL with the password replaced by `***`.
    public var redacted: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }

    static func redact(_ text: String) -> String {
        guard var c = URLComponents(string: text), c.password != nil else { return text }
        c.password = "***"
        return c.string ?? text
    }
}
