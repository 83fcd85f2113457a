import ArgumentParser
import Foundation
import MosaicCore
import MosaicRouting
import MosaicStore

/// `mosaic models publish`: hands a routing model and/or policy to every router of a fleet.
struct ModelsPublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a routing model and/or policy to every `mosaic serve` sharing a PostgreSQL store.",
        discussion: """
            The files are checked here first (the model decoded, the policy validated against the catalog, \
            the router compiled), then stored in the database and announced with NOTIFY; every router \
            listening validates them again and swaps them in, or keeps what it serves if they do not load. \
            A router that starts later serves the newest publication.

            Example: mosaic models publish --model models/router-v8.json --db postgres://mosaic@db.internal/mosaic
            """)

    @Option(name: .long, help: ArgumentHelp("The routing model file.", valueName: "file")) var model: String?
    @Option(name: .long, help: ArgumentHelp("The policy YAML.", valueName: "file")) var policy: String?
    @Option(name: .long, help: "A note stored with the publication.") var note = ""
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var store: StoreOptions

    func validate() throws {
        if model == nil && policy == nil { throw ValidationError("give --model, --policy or both") }
        if !PostgresURL.isPostgres(store.path) {
            throw ValidationError("publications reach a fleet through PostgreSQL: pass --db postgres://… (or set MOSAIC_DB)")
        }
    }

    func run() throws {
        let catalog = try catalogOptions.load()
        var modelText: String?, policyText: String?
        var routingModel: RoutingModel?
        if let model {
            let data = try modelFileData(model)
            routingModel = try cli(model) { try RoutingModel.decode(data) }
            modelText = String(decoding: data, as: UTF8.self)
        }
        var routingPolicy = try cli { try RoutingPolicy(yaml: RoutingPolicy.exampleYAML, source: "example-policy.yaml", catalog: catalog) }
        if let policy {
            guard let data = FileManager.default.contents(atPath: policy) else { throw CLIError("\(policy): cannot read the policy file") }
            policyText = String(decoding: data, as: UTF8.self)
            routingPolicy = try cli { try RoutingPolicy(yaml: policyText!, source: policy, catalog: catalog) }
        }
        if policy != nil || routingModel != nil {
            _ = try cli(policy ?? model ?? "") { try Router(policy: routingPolicy, catalog: catalog, model: routingModel) }
        }
        let s = try store.open()
        let id = try cli { try FleetLeases(store: s).publish(model: modelText, policy: policyText, note: note, now: Timestamp.now()) }
        var what: [String] = []
        if let routingModel { what.append("model v\(routingModel.version)") }
        if policy != nil { what.append("policy \(routingPolicy.name)") }
        print("published \(what.joined(separator: " and ")) as publication \(id) to \(s.path)")
    }
}
