import ArgumentParser
import Foundation
import MosaicCore
import MosaicIngest
import MosaicLearn
import MosaicRouting
import MosaicStore

/// `mosaic eval …`
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Evaluate an exported model on data it never saw.",
                                                    subcommands: [EvalRoutingCommand.self])
}

/// `mosaic eval routing --model FILE --data FILE`
struct EvalRoutingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Evaluate a routing model file on a request log or a per-prompt correctness file.",
        discussion: "A request log (any format `mosaic ingest requests` reads) gives the latency, tail and failure metrics per provider; a correctness file in RouteLLM's layout (prompt plus <model>_correct columns) gives the quality model's APGR and CPT next to the random router. The data is only read, never stored."
    )

    @Option(name: .long, help: ArgumentHelp("The routing model file.", valueName: "file")) var model: String
    @Option(name: .long, help: ArgumentHelp("The evaluation data.", valueName: "file")) var data: String
    @Option(name: .long, help: "Request-log format of --data (default: detect).") var dataFormat: RequestLogFormat?

    @Option(name: .long, help: "The strong model's correctness column; given, --data is read as a correctness file (default: \(RouteLLMData.defaultStrongColumn)).")
    var strongColumn: String?

    @Option(name: .long, help: "The weak model's correctness column; given, --data is read as a correctness file (default: \(RouteLLMData.defaultWeakColumn)).")
    var weakColumn: String?

    @Option(name: .long, help: "The group column of a correctness file (default: subject, else category, when present).") var groupColumn: String?
    @Option(name: .long, help: "The instant relative trace timestamps count from (burstgpt, mooncake).") var start: String?
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        let m = try loadRoutingModel(model)
        // A correctness file: named correctness columns, or a header with a prompt and *_correct columns.
        let header = (try? RouteLLMData.header(path: data)) ?? []
        if strongColumn != nil || weakColumn != nil || groupColumn != nil
            || (header.contains("prompt") && header.contains { $0.hasSuffix("_correct") }) {
            guard let q = m.quality else { throw CLIError("\(model): the model has no quality head to evaluate on \(data)") }
            let (examples, _) = try readQualityExamples(data, strongColumn: strongColumn ?? RouteLLMData.defaultStrongColumn,
                                                        weakColumn: weakColumn ?? RouteLLMData.defaultWeakColumn,
                                                        groupColumn: groupColumn)
            let name = (data as NSString).lastPathComponent
            let metrics = QualityTrainer.evaluate(q, on: examples, split: "all \(examples.count) rows of \(name)")
            if let scorer = q.scorer {
                output.show(qualityComparisonTable(QualityComparison(scorer: scorer, examples: examples), split: name))
            } else {
                output.show(qualityMetricsTable(metrics, label: "\(q.labelStrong) vs \(q.labelWeak)"))
            }
            return
        }
        // A request log: read through the ingest's readers (all its checks), in the store's order.
        var options = RequestIngestOptions()
        options.format = dataFormat
        options.start = try start.map { try parseInstant($0, option: "--start") }
        let requests = try cli { try RequestLogReader(catalog: try catalogOptions.load()).rowsInStoreOrder(path: data, options: options) }
        var byProvider: [String: [RoutingTrainer.Row]] = [:]
        for r in requests {
            let f = RequestFeatures(tenant: r.tenant, operation: r.operation, region: r.region, model: r.model,
                                    inputTokens: r.inputTokens, outputTokens: r.outputTokens, timestamp: r.timestamp)
            byProvider[r.provider, default: []].append(.init(features: f, latencyMs: r.latencyMs, ok: r.status == .ok))
        }
        var evaluated = m
        evaluated.providers = m.providers.compactMap { p in
            guard let rows = byProvider[p.provider], !rows.isEmpty else { return nil }
            var copy = p
            copy.metrics = RoutingTrainer().evaluate(p, on: rows)
            return copy
        }
        if evaluated.providers.isEmpty {
            throw CLIError("\(data): no rows for any provider of the model (\(m.providers.map(\.provider).joined(separator: ", ")))")
        }
        output.show(routingMetricsTable(evaluated))
    }
}

/// Reads and checks a routing model file.
func loadRoutingModel(_ path: String) throws -> RoutingModel {
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot read the model file") }
    return try cli(path) { try RoutingModel.decode(data) }
}
