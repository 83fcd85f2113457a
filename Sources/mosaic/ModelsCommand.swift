import ArgumentParser
import Foundation
import MosaicCore
import MosaicLearn
import MosaicRouting
import MosaicStore

/// `mosaic models …`
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "List exported models, show what a model file holds, publish one to a router fleet.",
        subcommands: [ModelsListCommand.self, ModelsShowCommand.self, ModelsPublishCommand.self])
}

/// `mosaic models list`
struct ModelsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The model registry, newest first.")

    @Option(name: .long, help: "Only this kind (routing, load).") var kind: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        let store = try self.store.openExisting()
        let models: [Store.RegisteredModel] = try cli { try store.registeredModels(kind: kind) }
        var t = OutputTable(columns: [
            "kind", .right("version"), "created", .right("rows"), "trained_from", "trained_to", "path", "sha256",
        ])
        for m in models {
            t.rows.append([.text(m.kind), .int(m.version), .text(Timestamp.format(m.createdAt / 1_000_000 * 1_000_000)),
                           .int(m.rows), .text(m.trainFrom.map(Timestamp.format) ?? ""), .text(m.trainTo.map(Timestamp.format) ?? ""),
                           .text(m.path), .text(String(m.sha256.prefix(16)))])
        }
        output.show(t)
    }
}

/// `mosaic models show FILE`
struct ModelsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a model file: version, training window, features and holdout metrics (routing models), or each series' method and scores (load models)."
    )

    @Argument(help: ArgumentHelp("The model file.", valueName: "file")) var file: String
    @OptionGroup var output: FormatOptions

    func run() throws {
        let data = try modelFileData(file)
        struct Kind: Decodable { var kind: String? }
        if (try? JSONDecoder().decode(Kind.self, from: data))?.kind == "load" {
            let m: LoadModel = try cli(file) { try LoadModel.decode(data) }
            if output.isTable {
                print("\(file): load model v\(m.version), schema \(m.schemaVersion), created \(m.createdAt)")
                print("  \(m.metric) per \(m.intervalText) by \(m.grouping), \(m.trainingWindow.from) … \(m.trainingWindow.to), "
                    + "horizon \(m.horizon), fingerprint \(m.dataFingerprint)")
                print("")
            }
            output.show(loadSummaryTable(m))
            return
        }
        let started = DispatchTime.now()
        let m = try loadRoutingModel(file)
        let loadMs = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        if output.isTable {
            print("\(file): routing model v\(m.version), schema \(m.schemaVersion), created \(m.createdAt)")
            print("  trained on \(trainedOn(m)), fingerprint \(m.dataFingerprint)")
            if !m.providers.isEmpty { print("  validation: \(m.validation)") }
            print(String(format: "  loaded and checked in %.2f ms", loadMs))
            for p in m.providers {
                print("  \(p.provider): \(p.featureSpec.width) features (\(p.featureSpec.features.map { "\($0.kind.rawValue)(\($0.field.rawValue))" }.joined(separator: ", "))); models \(p.models.joined(separator: ", "))"
                      + (p.outageRows.map { "; failure head fitted without \($0.formatted()) requests in outages" } ?? ""))
            }
            print("")
        }
        let headsOnly = output.isTable && isQualityHeadOnly(m)
        OutputDocument.print(output.format) { document in
            if !headsOnly { document.add("providers", routingMetricsTable(m)) }
            if let q = m.quality {
                if output.isTable {
                    print((headsOnly ? "" : "\n") + "quality: \(q.labelStrong) vs \(q.labelWeak) → strong \(q.strong.provider)/\(q.strong.model), weak \(q.weak.provider)/\(q.weak.model); \(q.metrics.split)")
                    if let s = q.scorer { print("  " + scorerSummary(s)) }
                }
                document.add("quality", qualityMetricsTable(q.metrics, label: "\(q.labelStrong) vs \(q.labelWeak)"))
            }
        }
    }
}
