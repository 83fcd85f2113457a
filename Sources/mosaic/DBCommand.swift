import ArgumentParser
import Foundation
import MosaicCore
import MosaicStore

/// `mosaic db …`
struct DBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Inspect the store, or copy it to another engine.",
        subcommands: [DBInfoCommand.self, DBRunsCommand.self, DBCopyCommand.self]
    )
}

/// `mosaic db info`
struct DBInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Show the store's schema version, tables and row counts.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        // `db info` is also how a store is made before anything is in it; a new file is said.
        let store = try self.store.openSayingIfNew()
        let counts: [TableCount]
        let version: Int
        let span: (first: Int64, last: Int64)?
        do {
            counts = try store.tableCounts()
            version = try store.schemaVersion
            span = try store.requestSpan()
        } catch { throw CLIError(error.description) }
        if output.isTable {
            print("store:          \(store.path)")
            print("schema version: \(version) (this mosaic supports \(Schema.latestVersion))")
            if store.dialect == .postgres {
                let server = (try? store.database.scalarText("SHOW server_version")) ?? nil
                print("PostgreSQL:     \(server ?? "unknown version")")
            } else {
                let size = (try? FileManager.default.attributesOfItem(atPath: store.path)[.size] as? NSNumber)?.int64Value ?? 0
                print("SQLite:         \(Database.sqliteVersion), file \(ByteCountFormatter.string(fromByteCount: size, countStyle: .file))")
            }
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
        abstract: "List recent ingest runs, newest first, with their counts and errors (a run whose process on this machine ended without finishing it is marked interrupted)."
    )

    @Option(name: .long, help: "How many runs to show.") var limit = 20
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let store = try self.store.openExisting()
        // Runs this machine's killed processes left `running` are `interrupted` (a read-only
        // store is listed as it is).
        _ = try? store.markInterruptedRuns()
        let runs: [IngestRun] = try cli { try store.runs(limit: limit) }
        var t = OutputTable(columns: [
            .right("id"), "source", "status", "started", .right("rows"), .right("new"), .right("updated"), .right("already_stored"),
            .right("quarantined"), "location", "error",
        ])
        for r in runs {
            t.rows.append([.int(Int(r.id)), .text(r.source), .text(r.status), .text(Timestamp.format(r.startedAt / 1_000_000 * 1_000_000)),
                           .int(r.counts.read), .int(r.counts.inserted), .int(r.counts.updated), .int(r.counts.duplicate),
                           .int(r.counts.quarantined), .text(r.location), .text(r.error ?? "")])
        }
        output.show(t)
    }
}

/// `mosaic db copy`
struct DBCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a whole store into an empty one: SQLite to PostgreSQL or back.",
        discussion: "Writes every table in one transaction on the target, then compares row counts and exact money totals table by table; the target commits only when every check matches. The target must hold no rows yet."
    )

    @Option(name: .long, help: ArgumentHelp("The store to copy: an SQLite file or a postgres:// URL.", valueName: "store"))
    var from: String

    @Option(name: .long, help: ArgumentHelp("The empty store to fill: an SQLite file or a postgres:// URL.", valueName: "store"))
    var to: String

    @OptionGroup var output: FormatOptions

    func validate() throws {
        try StoreOptions.requireLocation(from, option: "--from")
        try StoreOptions.requireLocation(to, option: "--to")
        if from == to { throw ValidationError("--from and --to name the same store") }
        if !PostgresURL.isPostgres(from) && !FileManager.default.fileExists(atPath: from) {
            throw ValidationError("--from \(from): no such file")
        }
    }

    func run() throws {
        let checks: [StoreCopyCheck]
        do {
            let source = try Store(path: from, readOnly: !PostgresURL.isPostgres(from))
            let target = try Store(path: to)
            checks = try source.copy(to: target)
        } catch { throw CLIError("\(error)") }
        var t = OutputTable(columns: [
            .init(name: "table"), .init(name: "rows_from", alignment: .right), .init(name: "rows_to", alignment: .right),
            .init(name: "money_column"), .init(name: "total_from", alignment: .right), .init(name: "total_to", alignment: .right),
            .init(name: "match"),
        ])
        for c in checks {
            if c.money.isEmpty {
                t.rows.append([.text(c.table), .int(c.sourceRows), .int(c.targetRows), .text(""), .text(""), .text(""),
                               .text(c.matches ? "yes" : "NO")])
            }
            for m in c.money {
                t.rows.append([.text(c.table), .int(c.sourceRows), .int(c.targetRows), .text(m.column),
                               .decimal(m.source.description, display: m.source.description),
                               .decimal(m.target.description, display: m.target.description),
                               .text(c.sourceRows == c.targetRows && m.source == m.target ? "yes" : "NO")])
            }
        }
        output.show(t)
    }
}
