import ArgumentParser
import Foundation
import MosaicCore
import MosaicIngest
import MosaicStore

/// `mosaic prices …`
struct PricesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prices", abstract: "Import and list unit prices (per token, request or minute).",
        subcommands: [PricesImportCommand.self, PricesListCommand.self])
}

/// `mosaic prices import FILE`
struct PricesImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a LiteLLM model_prices_and_context_window.json price table.",
        discussion: """
            Prices are read exactly from the file's number literals. Re-importing the same file \
            changes nothing; importing a newer table with a later --valid-from ends the older \
            prices at that instant, so past requests keep the prices they were charged. \
            Costs are computed when requests are ingested, from the prices valid at each \
            request's timestamp.
            """
    )

    @Argument(help: ArgumentHelp("The price table (LiteLLM JSON format).", valueName: "file")) var file: String

    @Option(name: .long, help: ArgumentHelp(
        "The instant from which these prices apply (default: 1970-01-01, i.e. all history).", valueName: "date"))
    var validFrom: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if let validFrom { _ = try parseInstant(validFrom, option: "--valid-from") }
    }

    func run() throws {
        let from = try validFrom.map { try parseInstant($0, option: "--valid-from") } ?? 0
        // A file that cannot be read is said before the store is opened (or made).
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw CLIError("\(file): cannot read the price file: \(FileManager.default.fileExists(atPath: file) ? "permission denied" : "no such file")")
        }
        let store = try self.store.open()
        let result: (parsed: LiteLLMPrices.Parsed, changed: Int)
        do { result = try LiteLLMPrices.importFile(path: file, into: store, validFrom: from) } catch {
            throw CLIError(error.description)
        }
        var t = OutputTable(columns: [
            "file", .right("models"), .right("prices"), .right("new_or_changed"), .right("shadowed_keys"), "valid_from",
        ])
        t.rows.append([.text(file), .int(result.parsed.models), .int(result.parsed.entries.count), .int(result.changed),
                       .int(result.parsed.shadowed.count), .text(Timestamp.format(from))])
        output.show(t)
    }
}

/// `mosaic prices list`
struct PricesListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List stored prices, optionally for one provider or model.")

    @Option(name: .long, help: "Only this provider.") var provider: String?
    @Option(name: .long, help: "Only models whose name contains this text.") var model: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        let store = try self.store.openExisting()
        var sql = "SELECT provider, model, sku, unit, price, currency, valid_from, valid_to FROM prices WHERE 1 = 1"
        var args: [SQLValue] = []
        if let provider { sql += " AND provider = ?"; args.append(.text(provider)) }
        if let model { sql += " AND \(store.dialect == .sqlite ? "instr" : "strpos")(model, ?) > 0"; args.append(.text(model)) }
        sql += " ORDER BY provider, model, sku, valid_from"
        let rows: [[SQLValue]] = try cli { try store.database.rows(sql, args) }
        var t = OutputTable(columns: [
            "provider", "model", "sku", "unit", .right("price"), .right("per_million"), "currency", "valid_from",
            "valid_to",
        ])
        for r in rows {
            let price = (try? Money(parsing: r[4].description)) ?? .zero
            let perMillion = r[3].description == "token" ? (price * 1_000_000).formatted(places: 4) : "–"
            t.rows.append([.text(r[0].description), .text(r[1].description), .text(r[2].description),
                           .text(r[3].description), .text(r[4].description), .text(perMillion), .text(r[5].description),
                           .text(Timestamp.format(r[6].intValue ?? 0)),
                           .text(r[7].intValue.map(Timestamp.format) ?? "")])
        }
        output.show(t)
    }
}
