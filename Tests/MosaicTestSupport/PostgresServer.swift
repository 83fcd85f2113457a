import Foundation
import MosaicStore

/// A PostgreSQL server for the tests that need one, and a fresh database per test.
///
/// `$MOSAIC_TEST_POSTGRES` names a running server (a `postgres://` URL whose user may create
/// databases); `scripts/postgres-cluster start` starts a throwaway one and prints that URL,
/// and `.ci/run` does so in CI. Without it the tests skip with ``skipReason``, unless
/// `$MOSAIC_REQUIRE_POSTGRES` is set (as in CI): then they run and fail.
public enum PostgresServer {
    static let enableCommand = "scripts/bootstrap --postgres && export MOSAIC_TEST_POSTGRES=$(scripts/postgres-cluster start)"

    /// The admin URL, or why there is none.
    static let server: Result<String, Failure> = {
        if let url = ProcessInfo.processInfo.environment["MOSAIC_TEST_POSTGRES"], !url.isEmpty { return .success(url) }
        return .failure(Failure(description: "PostgreSQL tests skipped: MOSAIC_TEST_POSTGRES is not set; run \(enableCommand)"))
    }()

    public struct Failure: Error, CustomStringConvertible { public let description: String }

    /// Whether the PostgreSQL tests run: a server is named, or one is required.
    public static var isAvailable: Bool {
        (try? server.get()) != nil || ProcessInfo.processInfo.environment["MOSAIC_REQUIRE_POSTGRES"] == "1"
    }

    /// Why PostgreSQL tests skip, naming the command that enables them.
    public static var skipReason: String {
        switch server {
        case .success: return ""
        case .failure(let f): return f.description
        }
    }

    /// A new, empty database on the server; dropped when the returned value is released.
    public static func database(_ label: String) throws -> TestDatabase {
        let admin = try server.get()
        let name = "mosaic_\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        try Database(postgres: PostgresURL(parsing: admin)).execute("CREATE DATABASE \(name)")
        var url = try PostgresURL(parsing: admin)
        let adminDatabase = url.database
        url.database = name
        return TestDatabase(url: url, adminURL: admin, adminDatabase: adminDatabase)
    }
}

/// A database made for one test: `url` to open it, dropped on release.
public final class TestDatabase: @unchecked Sendable {
    public let url: PostgresURL
    let adminURL: String
    let adminDatabase: String

    init(url: PostgresURL, adminURL: String, adminDatabase: String) {
        self.url = url
        self.adminURL = adminURL
        self.adminDatabase = adminDatabase
    }

    /// The URL as `--db` takes it (with the password, if any).
    public var location: String {
        "postgres://\(url.user)\(url.password.map { ":\($0)" } ?? "")@\(url.host):\(url.port)/\(url.database)"
    }

    /// Ends every connection to this database but `admin`'s own, as a server restart ends
    /// them, and waits (up to 10 s) until the server has let them go.
    public func terminateConnections(from admin: Database) throws {
        let others = "FROM pg_stat_activity WHERE datname = '\(url.database)' AND pid <> pg_backend_pid()"
        _ = try admin.rows("SELECT pg_terminate_backend(pid) \(others)")
        let until = Date().addingTimeInterval(10)
        while try admin.scalarInt("SELECT count(*) \(others)") != 0, Date() < until { usleep(20_000) }
    }

    /// Refuses (`false`) or allows new connections to this database (from the server's admin
    /// database: a connection cannot refuse its own): an outage that
    /// ``terminateConnections(from:)`` starts lasts until they are allowed again.
    public func allowConnections(_ allow: Bool) throws {
        try Database(postgres: PostgresURL(parsing: adminURL)).execute("ALTER DATABASE \(url.database) ALLOW_CONNECTIONS \(allow)")
    }

    deinit {
        if let admin = try? Database(postgres: PostgresURL(parsing: adminURL)) {
            try? admin.execute("DROP DATABASE IF EXISTS \(url.database) WITH (FORCE)")
        }
    }
}
