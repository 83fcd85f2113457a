import ArgumentParser
import Foundation
import MosaicCore

/// `mosaic catalog …`
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "catalog", abstract: "Show or check a provider catalog.",
                                                    subcommands: [CatalogShowCommand.self, CatalogValidateCommand.self])
}

/// `mosaic catalog show`
struct CatalogShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "List the providers of a catalog (the built-in one unless --catalog is given).",
        discussion: "With --yaml, print the catalog as YAML: a starting point for your own."
    )

    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: FormatOptions
    @Flag(name: .long, help: "Print the catalog as YAML instead of a table.") var yaml = false

    func run() throws {
        let catalog = try catalogOptions.load()
        if yaml { print(catalog.yaml(), terminator: ""); return }
        var t = OutputTable(columns: [
            "id", "kind", "self_hosted", "regions", "compliance", "rate_limits", .right("context_window"),
        ])
        for p in catalog.providers {
            let limits = p.rateLimits.isEmpty ? "none" : p.rateLimits.map { l in
                "\(l.requests.formatted())/\(l.period.rawValue)" + (l.scope == "default" ? "" : " (\(l.scope))")
            }.joined(separator: "; ")
            t.rows.append([.text(p.id), .text(p.kind.rawValue), .text(p.selfHosted ? "yes" : "no"),
                           .text(p.regions.joined(separator: " ")),
                           .text(p.compliance.map { $0.rawValue.uppercased() }.joined(separator: " ")),
                           .text(limits), p.contextWindow.map { .int($0) } ?? .text("–")])
        }
        output.show(t)
    }
}

/// `mosaic catalog validate FILE`
struct CatalogValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "validate", abstract: "Check a catalog file; errors name the file, line and field.")

    @Argument(help: ArgumentHelp("The catalog YAML file.", valueName: "file")) var file: String

    func run() throws {
        do {
            let c = try Catalog.load(path: file)
            print("\(file): ok, \(c.providers.count) providers")
        } catch {
            throw CLIError(error.description)
        }
    }
}
