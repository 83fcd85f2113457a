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

    func open() throws -> Store {
        do { return try Store(path: path) } catch { throw CLIError(error.description) }
    }
}

/// `--catalog`: the provider catalog.
struct CatalogOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A provider catalog YAML file (default: the built-in catalog; see `mosaic catalog show`).",
        valueName: "file"))
    var catalog: String?

    func load() throws -> Catalog {
        guard let catalog else { return Catalog.default }
        do { return try Catalog.load(path: catalog) } catch { throw CLIError(error.description) }
    }
}

/// How results are printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

struct FormatOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: table, json or csv.")
    var format: OutputFormat = .table
}

/// An error whose message is the whole story; the CLI prints it and exits with status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Parses `--start`-style instants: a date or an RFC 3339 date-time.
func parseInstant(_ text: String, option: String) throws -> Int64 {
    guard let ts = Timestamp.parse(text) else {
        throw ValidationError("\(option) '\(text)' is not a date or date-time (for example 2024-05-01 or 2024-05-01T12:00:00Z)")
    }
    return ts
}
