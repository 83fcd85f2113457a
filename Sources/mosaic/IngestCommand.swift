import ArgumentParser
import Foundation
import Logging
import MosaicCore
import MosaicIngest
import MosaicStore

/// `mosaic ingest …`: bring data into the store.
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Load usage, latency and billing data into the store.",
        subcommands: [IngestRequestsCommand.self, IngestOpenAIUsageCommand.self, IngestOpenAICostsCommand.self,
                      IngestAnthropicUsageCommand.self, IngestAnthropicCostsCommand.self, IngestGitHubBillingCommand.self,
                      IngestStatusCommand.self, IngestFocusCommand.self]
    )
}

extension RequestLogFormat: ExpressibleByArgument {}

/// `mosaic ingest requests FILE…`
struct IngestRequestsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requests",
        abstract: "Load request logs or public traces into the requests table.",
        discussion: """
            Each file is one transaction: it lands whole or not at all. Ingesting the same file \
            again adds nothing. A bad row stops the file with FILE:LINE: column X: reason and a \
            non-zero exit, unless --skip-bad sets bad rows aside in the quarantine table.

            Formats: csv and jsonl (Mosaic's native columns, see the README), azure-trace \
            (Azure LLM inference trace 2023), burstgpt (BurstGPT, relative seconds: needs \
            --start) and mooncake (Mooncake JSONL, relative ms: needs --start). Without \
            --format the format is detected from the first line.
            """
    )

    @Argument(help: ArgumentHelp("Request-log files to ingest.", valueName: "file")) var files: [String]
    @Option(name: .long, help: "Input format: csv, jsonl, azure-trace, burstgpt or mooncake (default: detect).") var format: RequestLogFormat?
    @Option(name: .long, help: "Provider for rows that name none (required for azure-trace and mooncake).") var provider: String?
    @Option(name: .long, help: "Model for rows that name none (required for azure-trace and mooncake).") var model: String?
    @Option(name: .long, help: "Tenant for rows that name none.") var tenant: String = "default"
    @Option(name: .long, help: "Operation for rows that name none.") var operation: String = "chat"
    @Option(name: .long, help: "Region for rows that name none.") var region: String = ""

    @Option(name: .long, help: ArgumentHelp(
        "The instant relative trace timestamps count from (burstgpt, mooncake).", valueName: "date-time"))
    var start: String?

    @Flag(name: .long, help: "Store bad rows in the quarantine table with their reasons instead of stopping.") var skipBad = false
    @Option(name: .long, help: "How to print the results: table, json or csv.") var output: OutputFormat = .table
    @OptionGroup var store: StoreOptions
    @OptionGroup var catalogOptions: CatalogOptions

    func validate() throws {
        if let start { _ = try parseInstant(start, option: "--start") }
        // As a file's own column would be: a name is not empty, nor longer than a field may be.
        for (option, value) in [("--tenant", tenant), ("--operation", operation), ("--provider", provider), ("--model", model)] {
            guard let value else { continue }
            if value.isEmpty { throw ValidationError("\(option) must not be empty") }
            if value.utf8.count > RequestIngestOptions.longestName { throw ValidationError("\(option) is longer than \(RequestIngestOptions.longestName) bytes, the longest a field may be") }
        }
        if region.utf8.count > RequestIngestOptions.longestName { throw ValidationError("--region is longer than \(RequestIngestOptions.longestName) bytes, the longest a field may be") }
    }

    func run() throws {
        let catalog = try catalogOptions.load()
        let store = try self.store.open()
        var options = RequestIngestOptions()
        options.format = format
        options.provider = provider
        options.model = model
        options.tenant = tenant
        options.operation = operation
        options.region = region
        options.start = try start.map { try parseInstant($0, option: "--start") }
        options.skipBad = skipBad
        let results = try ingestFiles(files, store: store, catalog: catalog, options: options)
        output.show(Self.table(results))
    }

    static func table(_ results: [RequestIngestResult]) -> OutputTable {
        var t = OutputTable(columns: [
            "file", "format", .right("rows"), .right("new"), .right("already_stored"), .right("quarantined"),
            .right("unpriced"), .right("seconds"),
        ])
        for r in results {
            t.rows.append([.text(r.path), .text(r.format.rawValue), .int(r.rowsRead), .int(r.inserted),
                           .int(r.duplicates), .int(r.quarantined), .int(r.unpriced), .number(r.seconds, places: 2)])
        }
        return t
    }
}

/// Runs `body` on each file in turn with a progress line on a terminal (cleared when the file
/// is done, whether it succeeded or not), handing it the file and the ingest's progress handler
/// that updates the line. The first error stops the loop; with more than one file it then also
/// says which files were stored before it (each file is its own transaction) and which were
/// never read.
func forEachFile<R>(_ files: [String], _ body: (String, @escaping @Sendable (IngestProgress) -> Void) throws -> R) throws -> [R] {
    var results: [R] = []
    for (i, file) in files.enumerated() {
        let line = ProgressLine(label: "ingest \((file as NSString).lastPathComponent)")
        defer { line.finish() }
        do { results.append(try body(file) { p in line.update(done: p.bytesRead, total: p.totalBytes, rows: p.rows) }) } catch {
            guard files.count > 1 else { throw error }
            var said = ["\(error)"]
            if i > 0 { said.append("stored before it (each file is its own transaction): \(files[..<i].joined(separator: ", "))") }
            if i + 1 < files.count { said.append("not read: \(files[(i + 1)...].joined(separator: ", "))") }
            throw CLIError(said.joined(separator: "\n"))
        }
    }
    return results
}

/// Says on the log that an ingest set `count` bad rows of `file` aside (nothing when it set none).
func warnQuarantined(_ count: Int, of file: String, run: Int64, log: Logger) {
    if count > 0 {
        log.warning("\(file): \(count) bad \(count == 1 ? "row" : "rows") set aside in the quarantine table (run \(run))")
    }
}

/// Ingests request logs one by one (each its own transaction).
func ingestFiles(_ files: [String], store: Store, catalog: Catalog, options base: RequestIngestOptions) throws -> [RequestIngestResult] {
    let ingestor = RequestLogIngestor(store: store, catalog: catalog)
    let log = Log.logger("ingest")
    return try forEachFile(files) { file, progress in
        var options = base
        options.progress = progress
        let r: RequestIngestResult
        do throws(IngestError) { r = try ingestor.ingest(path: file, options: options) } catch {
            log.debug("ingest failed", metadata: ["file": "\(file)", "error": "\(error)"])
            throw CLIError(error.description)
        }
        log.info("ingested \(file)", metadata: [
            "run": "\(r.runID)", "format": "\(r.format.rawValue)", "rows": "\(r.rowsRead)",
            "new": "\(r.inserted)", "duplicates": "\(r.duplicates)", "seconds": "\(r.seconds)",
        ])
        warnQuarantined(r.quarantined, of: file, run: r.runID, log: log)
        if r.unpriced > 0 {
            log.notice("\(file): \(r.unpriced) rows have no price; import prices with `mosaic prices import`")
        }
        return r
    }
}
