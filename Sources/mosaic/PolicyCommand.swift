import ArgumentParser
import Foundation
import MosaicCore
import MosaicRouting

/// `mosaic policy …`
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "policy", abstract: "Write, check and summarise routing policy files.",
                                                    subcommands: [PolicyExampleCommand.self, PolicyValidateCommand.self])
}

/// `mosaic policy example`
struct PolicyExampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example",
        abstract: "Print a complete, commented example policy: a starting point for your own.",
        discussion: "The LLM example routes among openai, anthropic, cohere and ollama with model-based utility; --git prints the git-host example (internal-* → gitea, oss-* → github, client-* → gitlab)."
    )

    @Flag(name: .long, help: "The git-host example instead of the LLM one.") var git = false

    func run() throws {
        print(git ? RoutingPolicy.gitExampleYAML : RoutingPolicy.exampleYAML, terminator: "")
    }
}

/// `mosaic policy validate FILE`
struct PolicyValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a policy file against the catalog; errors name the file, line and field."
    )

    @Argument(help: ArgumentHelp("The policy YAML file.", valueName: "file")) var file: String
    @OptionGroup var catalogOptions: CatalogOptions

    func run() throws {
        let catalog = try catalogOptions.load()
        let p = try loadPolicy(file, catalog: catalog)
        print("\(file): ok, policy \(p.name): \(p.providers.count) providers, \(p.rules.count) rules, strategy \(p.strategy.name)")
    }
}

/// Reads a policy file, turning its error into the CLI's one-line message.
func loadPolicy(_ path: String, catalog: Catalog) throws -> RoutingPolicy {
    return try cli { try RoutingPolicy.load(path: path, catalog: catalog) }
}
