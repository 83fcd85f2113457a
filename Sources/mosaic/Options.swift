import ArgumentParser
import Foundation
import MosaicCore
import MosaicStore

/// `--db`: where the store lives.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The SQLite store (default: $MOSAIC_DB, or ./mosaic.sqlite).", valueName: "path"))
    var db: String?

    var path: String { db ?? Store.defaultPath(environment: ProcessInfo.processInfo.environment) }

    func open() throws -> Store { try Self.open(path: path) }

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

/// Parses `--start`-style instants: a date or an RFC 3339 date-time.
func parseInstant(_ text: String, option: String) throws -> Int64 {
    guard let ts = Timestamp.parse(text) else {
        throw ValidationError("\(option) '\(text)' is not a date or date-time (for example 2024-05-01 or 2024-05-01T12:00:00Z)")
    }
    return ts
}
