import ArgumentParser
import Foundation
import MosaicCore
import MosaicStore

/// `--db`: where the store lives.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The store: an SQLite file or postgres://user@host:port/db (default: $MOSAIC_DB, or ./mosaic.sqlite).",
        valueName: "path|url"))
    var db: String?

    var path: String { db ?? Store.defaultPath(environment: ProcessInfo.processInfo.environment) }

    /// ``path`` for messages: a postgres:// URL without its password.
    var displayPath: String {
        guard PostgresURL.isPostgres(path) else { return path }
        return (try? PostgresURL(parsing: path))?.redacted ?? "the PostgreSQL store"
    }

    func validate() throws { try Self.requireLocation(db, option: "--db") }

    /// An empty store location would open SQLite's private temporary database: everything
    /// written to it vanishes at exit, so it is refused. So is a URL of another scheme
    /// (`mysql://…` was opened as an SQLite file of that name: "SQLite error 14").
    static func requireLocation(_ location: String?, option: String) throws {
        guard let location else { return }
        if location.allSatisfy(\.isWhitespace) {
            throw ValidationError("\(option) is empty; give an SQLite file or a postgres:// URL")
        }
        if let scheme = location.range(of: "://").map({ location[..<$0.lowerBound] }),
           !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }), !PostgresURL.isPostgres(location) {
            throw ValidationError("\(option) '\(scheme)://…' is not a store Mosaic opens; give an SQLite file or a postgres:// URL")
        }
    }

    func open() throws -> Store { try Self.open(path: path) }

    /// Whether the store is an SQLite file that is not there yet (opening it would make it).
    var isMissingFile: Bool { !PostgresURL.isPostgres(path) && !FileManager.default.fileExists(atPath: path) }

    /// Opens a store that must already exist, for commands that only read: a mistyped `--db`
    /// is an error naming the file rather than a new empty store reporting no rows.
    func openExisting() throws -> Store {
        if isMissingFile {
            throw CLIError("\(path): no such store (`mosaic ingest` or `mosaic demo` makes one; --db or $MOSAIC_DB names another)")
        }
        return try open()
    }

    /// Opens the store, making it when it is an SQLite file not there yet, and then says so on
    /// standard error (for commands that write what needs no rows before it: `db info`, a
    /// quality-only `train routing`).
    func openSayingIfNew() throws -> Store {
        let isNew = isMissingFile
        let store = try open()
        if isNew { printError("\(path) did not exist: created an empty store") }
        return store
    }

    /// Opens a store at an explicit path.
    static func open(path: String) throws -> Store { try cli { try Store(path: path) } }
}

/// `--catalog`: the provider catalog.
struct CatalogOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A provider catalog YAML file (default: the built-in catalog; see `mosaic catalog show`).",
        valueName: "file"))
    var catalog: String?

    func load() throws -> Catalog {
        guard let catalog else { return Catalog.default }
        return try cli { try Catalog.load(path: catalog) }
    }
}

/// How results are printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

extension OutputFormat {
    /// Prints the table in this format.
    func show(_ table: OutputTable) { print(table.render(self), terminator: "") }
}

/// `--format`: how results are printed.
struct FormatOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: table, json or csv.") var format: OutputFormat = .table

    /// Whether results print as a table (and so may have a heading in prose).
    var isTable: Bool { format == .table }

    /// Prints the table in the chosen format.
    func show(_ table: OutputTable) { format.show(table) }
}

/// An error whose message is the whole story; the CLI prints it and exits with status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Refuses an output path that is a folder. Long jobs (training, simulation) call it before
/// they start, so that the answer does not wait for the write at their end.
func refuseFolder(_ path: String, what: String) throws {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
        throw CLIError("\(path): is a folder; give the \(what)'s file name (for example \((path as NSString).appendingPathComponent("name.json")))")
    }
}

/// Writes `data` to `path` whole or not at all, creating its folder: through a symbolic link to
/// its target, in place to a device or FIFO (`/dev/null`, `/dev/full` fails: no space left on
/// device), else a temporary file renamed over it (``OutputFile``). A path that is a folder,
/// and a write the system refuses, are errors that say so in words (Foundation's were
/// `Error Domain=NSCocoaErrorDomain Code=512 "(null)"…`).
func writeAtomically(_ data: Data, to path: String, what: String) throws {
    try refuseFolder(path, what: what)
    do {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try OutputFile.write(data, to: path)
    } catch let e as OutputFile.Failure {
        throw CLIError("\(path): cannot write the \(what): \(e.path == path ? "" : "\(e.path): ")\(e.reason)")
    } catch {
        let ns = error as NSError
        let posix = (ns.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { $0.domain == NSPOSIXErrorDomain ? $0.code : nil }
            ?? (ns.domain == NSPOSIXErrorDomain ? ns.code : nil)
        let reason = posix.map { String(cString: strerror(Int32($0))).lowercased() } ?? ns.localizedDescription
        throw CLIError("\(path): cannot write the \(what): \(reason)")
    }
}

/// Runs `body`; any error it throws becomes a ``CLIError`` with the error's description, after
/// `context: ` when given (a file name, say).
func cli<T>(_ context: String? = nil, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as CLIError {
        throw e
    } catch {
        throw CLIError(context.map { "\($0): \(error)" } ?? "\(error)")
    }
}

// MARK: - Dates and durations

/// `--since` and `--until`: a window of time, each end a date or an RFC 3339 date-time.
struct TimeWindowOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Only data at or after this date or date-time.", valueName: "date-time"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("Only data before this date or date-time.", valueName: "date-time"))
    var until: String?

    func validate() throws {
        if let from = try from, let to = try to, to <= from {
            throw ValidationError("--until '\(until ?? "")' must be after --since '\(since ?? "")': the window is empty")
        }
    }

    /// The start of the window in µs since the epoch; nil when open.
    var from: Int64? { get throws { try since.map { try parseInstant($0, option: "--since") } } }

    /// The end of the window (exclusive) in µs since the epoch; nil when open.
    var to: Int64? { get throws { try until.map { try parseInstant($0, option: "--until") } } }
}

extension TimeWindowOptions {
    /// Says on standard error that the window holds no `what` ("requests", "billing lines") in
    /// the store, so an empty table or report is not taken for a failure to read: "no requests
    /// between 2030-01-01T00:00:00Z and 2030-02-01T00:00:00Z in mosaic.sqlite". Standard output
    /// stays well-formed (an empty JSON array, a CSV header alone).
    func noteEmpty(_ what: String, store: String) {
        printError("no \(what) \(describe()) in \(store)")
    }

    /// The window in words: "between X and Y", "since X", "before Y", or "at any time".
    func describe() -> String { describeWindow(from: (try? from) ?? nil, to: (try? to) ?? nil) }
}

/// A window of µs in words: "between X and Y", "since X", "before Y", or "at any time".
func describeWindow(from: Int64?, to: Int64?) -> String {
    switch (from, to) {
    case let (from?, to?): return "between \(Timestamp.format(from)) and \(Timestamp.format(to))"
    case let (from?, nil): return "since \(Timestamp.format(from))"
    case let (nil, to?): return "before \(Timestamp.format(to))"
    case (nil, nil): return "at any time"
    }
}

/// Parses `--start`-style instants with the files' date grammar (``Timestamp/parse(_:)``): a date
/// or an RFC 3339 date-time, in µs since the epoch.
func parseInstant(_ text: String, option: String) throws -> Int64 {
    guard let ts = Timestamp.parse(text) else {
        throw ValidationError("\(option) '\(text)' is not a date or date-time (for example 2024-05-01 or 2024-05-01T12:00:00Z)")
    }
    return ts
}

/// Parses `FROM..TO` (dates or date-times); TO must be after FROM.
func parseWindow(_ text: String, option: String) throws -> (Int64, Int64) {
    let parts = text.components(separatedBy: "..")
    guard parts.count == 2 else { throw ValidationError("\(option) '\(text)' must be FROM..TO, for example 2026-10-05..2026-10-12") }
    let a = try parseInstant(parts[0], option: option), b = try parseInstant(parts[1], option: option)
    guard b > a else { throw ValidationError("\(option) '\(text)': TO must be after FROM") }
    return (a, b)
}

/// Parses a duration option with the files' duration grammar (``DurationText``): `30m`, `2h`,
/// `1.5d`; in µs.
func parseDuration(_ text: String, option: String) throws -> Int64 {
    switch DurationText.parse(text) {
    case .value(let micros): return micros
    case .noUnit: throw ValidationError("\(option) '\(text)' has no unit; add one of \(DurationText.unitList)")
    case .invalid(let reason): throw ValidationError("\(option) '\(text)' is not a duration: \(reason)")
    }
}

/// The bytes of a model file, or an error naming it and saying why: missing, a folder, or
/// unreadable.
func modelFileData(_ path: String) throws -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw CLIError("\(path): no such model file")
    }
    if isDirectory.boolValue { throw CLIError("\(path): is a folder, not a model file") }
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot read the model file") }
    return data
}
