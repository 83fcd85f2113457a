import ArgumentParser
import Foundation
import MosaicCore
import MosaicStore

extension CostDimension: ExpressibleByArgument {}

/// `mosaic costs`: billed cost across every source, grouped.
struct CostsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "costs",
        abstract: "Billed and effective cost across all billing sources, grouped (exact).",
        discussion: "Sums billing_lines from every source (FOCUS files, OpenAI and Anthropic cost reports, GitHub billing) by the dimensions given, always per currency. Amounts are exact; the table rounds to cents, JSON and CSV carry every digit."
    )

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp(
        "Dimensions: provider, service, team, tenant, project, month, source, category.", valueName: "dimension"))
    var by: [CostDimension] = [.provider, .month]

    @OptionGroup var window: TimeWindowOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if by.isEmpty { throw ValidationError("--by needs at least one dimension") }
        if Set(by).count != by.count { throw ValidationError("--by names a dimension twice") }
    }

    func run() throws {
        let store = try self.store.openExisting()
        let totals: [CostTotal]
        do {
            totals = try store.costTotals(by: by, from: try window.from, to: try window.to)
        } catch let e as StoreError { throw CLIError(e.description) }
        var t = OutputTable(columns: by.map { .init(name: $0.rawValue) } + [
            "currency", .right("billed"), .right("effective"),
            .right("lines"),
        ])
        for c in totals {
            t.rows.append(c.group.map { .text($0) } + [
                .text(c.currency), .decimal(c.billedCost.description, display: c.billedCost.formatted(places: 2)),
                .decimal(c.effectiveCost.description, display: c.effectiveCost.formatted(places: 2)), .int(c.lines),
            ])
        }
        if totals.isEmpty { window.noteEmpty("billing lines", store: self.store.displayPath) }
        output.show(t)
    }
}
