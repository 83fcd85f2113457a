import ArgumentParser
import Foundation
import MosaicCore
import MosaicStore

/// `mosaic db …`
struct DBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "db", abstract: "Inspect the store.",
                                                    subcommands: [DBInfoCommand.self, DBRunsCommand.self])
}

/// `mosaic db info`
struct DBInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Show the store's schema version, tables and row counts.")

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
        if output.isTable {
            let size = (try? FileManager.default.attributesOfItem(atPath: store.path)[.size] as? NSNumber)?.int64Value ?? 0
            print("store:          \(store.path)")
            print("schema version: \(version) (this mosaic supports \(Schema.latestVersion))")
            print("SQLite:         \(Database.sqliteVersion), file \(ByteCountFormatter.string(fromByteCount: size, countStyle: .file))")
            if let span { print("requests span:  \(Timestamp.format(span.first)) … \(Timestamp.format(span.last))") }
            print("")
        }
        var t = OutputTable(columns: ["table", .right("rows")])
        for c in counts { t.rows.append([.text(c.table), .int(c.rows)]) }
        output.show(t)
    }
}

/// `mosaic db runs`
struct DBRunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List recent ingest runs, newest first, with their counts and errors."
    )

    @Option(name: .long, help: "How many runs to show.") var limit = 20
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        let store = try self.store.open()
        let runs: [IngestRun] = try cli { try store.runs(limit: limit) }
        var t = OutputTable(columns: [
            .right("id"), "source", "status", "started", .right("rows"), .right("new"), .right("already_stored"),
            .right("quarantined"), "location", "error",
        ])
        for r in runs {
            t.rows.append([.int(Int(r.id)), .text(r.source), .text(r.status), .text(Timestamp.format(r.startedAt / 1_000_000 * 1_000_000)),
                           .int(r.counts.read), .int(r.counts.inserted), .int(r.counts.duplicate),
                           .int(r.counts.quarantined), .text(r.location), .text(r.error ?? "")])
        }
        output.show(t)
    }
}
