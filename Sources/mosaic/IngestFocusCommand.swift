import ArgumentParser
import Foundation
import Logging
import MosaicCore
import MosaicIngest
import MosaicStore

extension FOCUSVersion: ExpressibleByArgument {}

/// `mosaic ingest focus FILE…`
struct IngestFocusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "focus",
        abstract: "Load FinOps FOCUS 1.0 or 1.2 billing exports (CSV) into the billing_lines table.",
        discussion: """
            Each file is one transaction: it lands whole or not at all. Ingesting the same file \
            again inserts and updates nothing. A bad row stops the file with FILE:LINE: column X: \
            reason and a non-zero exit, unless --skip-bad sets bad rows aside in the quarantine table.

            The version is detected from the header (a column introduced after FOCUS 1.0 means \
            1.2) unless --focus-version is given. Costs are read exactly. Tags fill each line's \
            team, tenant and project: the first tag present of team, Team, business_unit, \
            BusinessUnit, department, Department, cost_center, costcenter, CostCenter (team); \
            tenant, Tenant, customer, Customer, client, Client (tenant); project, Project, \
            application, Application, app (project). --team-tag, --tenant-tag and --project-tag \
            replace those lists (repeat them to give several keys, first match wins). Columns \
            without a place in billing_lines (x_ custom columns and provider-specific ones \
            included) are kept in its extra JSON column.
            """
    )

    @Argument(help: ArgumentHelp("FOCUS CSV files to ingest.", valueName: "file")) var files: [String]

    @Option(name: .customLong("focus-version"), help: ArgumentHelp(
        "The FOCUS release of the files: 1.0 or 1.2 (default: detect from the header).", valueName: "version"))
    var focusVersion: FOCUSVersion?

    @Option(name: .customLong("team-tag"), help: ArgumentHelp(
        "Tag key that gives a line's team (repeatable; replaces the default list).", valueName: "key"))
    var teamTags: [String] = []

    @Option(name: .customLong("tenant-tag"), help: ArgumentHelp(
        "Tag key that gives a line's tenant (repeatable; replaces the default list).", valueName: "key"))
    var tenantTags: [String] = []

    @Option(name: .customLong("project-tag"), help: ArgumentHelp(
        "Tag key that gives a line's project (repeatable; replaces the default list).", valueName: "key"))
    var projectTags: [String] = []

    @Flag(name: .long, help: "Store bad rows in the quarantine table with their reasons instead of stopping.") var skipBad = false
    @Option(name: .long, help: "How to print the results: table, json or csv.") var output: OutputFormat = .table
    @OptionGroup var store: StoreOptions

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one FOCUS CSV file to ingest") }
        for (option, keys) in [("--team-tag", teamTags), ("--tenant-tag", tenantTags), ("--project-tag", projectTags)]
        where keys.contains(where: \.isEmpty) {
            throw ValidationError("\(option) must not be empty; give the tag key, for example \(option) cost_center")
        }
    }

    func run() throws {
        let store = try self.store.open()
        var options = FOCUSIngestOptions()
        options.version = focusVersion
        options.skipBad = skipBad
        if !teamTags.isEmpty { options.tags.teamKeys = teamTags }
        if !tenantTags.isEmpty { options.tags.tenantKeys = tenantTags }
        if !projectTags.isEmpty { options.tags.projectKeys = projectTags }

        let ingestor = FOCUSIngestor(store: store)
        let log = Log.logger("ingest")
        let results = try forEachFile(files) { file, progress -> FOCUSIngestResult in
            var fileOptions = options
            fileOptions.progress = progress
            let r: FOCUSIngestResult
            do throws(IngestError) { r = try ingestor.ingest(path: file, options: fileOptions) } catch { throw CLIError(error.description) }
            log.info("ingested \(file)", metadata: [
                "run": "\(r.runID)", "version": "\(r.version.rawValue)", "rows": "\(r.rows)",
                "new": "\(r.inserted)", "updated": "\(r.updated)", "unchanged": "\(r.unchanged)",
            ])
            warnQuarantined(r.quarantined, of: file, run: r.runID, log: log)
            return r
        }
        output.show(Self.table(results))
    }

    /// One row per file; `billed` is the exact `BilledCost` total per currency (`USD 20.52022672899`).
    static func table(_ results: [FOCUSIngestResult]) -> OutputTable {
        var t = OutputTable(columns: [
            "file", "version", .right("rows"), .right("new"), .right("updated"), .right("unchanged"),
            .right("quarantined"), .right("billed"),
        ])
        for r in results {
            let billed = r.billedTotals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            t.rows.append([.text(r.file), .text(r.version.rawValue), .int(r.rows), .int(r.inserted), .int(r.updated),
                           .int(r.unchanged), .int(r.quarantined), .text(billed)])
        }
        return t
    }
}
