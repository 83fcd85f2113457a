import ArgumentParser
import Foundation
import MosaicCore
import MosaicStore

/// `mosaic db …`
struct DBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Inspect the store.",
        subcommands: [DBInfoCommand.self, DBRunsCommand.self]
    )
}

/// `mosaic db info`
struct DBInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the store's schema version, tables and row counts."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        let store = try self.store.open()
        let counts: [TableCount]
        let version: Int
        let span: (first: Int64, last: Int64)?
        do {
            counts = try store.tableCounts()
            version = try store.schemaVersion
            span = try store.requestSpan()
        } catch { throw CLIError(error.description) }
        if output.format == .table {
            let size = (try? FileManager.default.attributesOfItem(atPath: store.path)[.size] as? NSNumber)?.int64Value ?? 0
            print("store:          \(store.path)")
            print("schema version: \(version) (this mosaic supports \(Schema.latestVersion))")
            print("SQLite:         \(Database.sqliteVersion), file \(ByteCountFormatter.string(fromByteCount: size, countStyle: .file))")
            if let span { print("requests span:  \(Timestamp.format(span.first)) … \(Timestamp.format(span.last))") }
            print("")
        }
        var t = OutputTable(columns: [.init(name: "table"), .init(name: "rows", alignment: .right)])
        for c in counts { t.rows.append([.text(c.table), .int(c.rows)]) }
        print(t.render(output.format), terminator: "")
    }
}

/// `mosaic db runs`
struct DBRunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List recent ingest runs, newest first, with their counts and errors."
    )

    @Option(name: .long, help: "How many runs to show.")
    var limit = 20

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        let store = try self.store.open()
        let runs: [IngestRun]
        do { runs = try store.runs(limit: limit) } catch { throw CLIError(error.description) }
        var t = OutputTable(columns: [
            .init(name: "id", alignment: .right), .init(name: "source"), .init(name: "status"),
            .init(name: "started"), .init(name: "rows", alignment: .right), .init(name: "new", alignment: .right),
            .init(name: "already_stored", alignment: .right), .init(name: "quarantined", alignment: .right),
            .init(name: "location"), .init(name: "error"),
        ])
        for r in runs {
            t.rows.append([.int(Int(r.id)), .text(r.source), .text(r.status), .text(Timestamp.format(r.startedAt / 1_000_000 * 1_000_000)),
                           .int(r.counts.read), .int(r.counts.inserted), .int(r.counts.duplicate),
                           .int(r.counts.quarantined), .text(r.location), .text(r.error ?? "")])
        }
        print(t.render(output.format), terminator: "")
    }
}
