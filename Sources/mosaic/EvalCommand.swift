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
                                                    subcommands: [EvalRoutingCommand.self, EvalLatencyCommand.self])
}

/// `mosaic eval routing --model FILE --data FILE`
struct EvalRoutingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Evaluate a routing model file on a request log or a per-prompt correctness file.",
        discussion: "A request log (any format `mosaic ingest requests` reads) gives the latency, tail and failure metrics per provider; a correctness file (RouteLLM's layout: prompt plus <model>_correct columns; or any CSV or JSON Lines file whose columns --prompt-column, --strong-column and --weak-column name) gives the quality model's APGR and CPT next to the random router. The data is only read, never stored."
    )

    @Option(name: .long, help: ArgumentHelp("The routing model file.", valueName: "file")) var model: String
    @Option(name: .long, help: ArgumentHelp("The evaluation data.", valueName: "file")) var data: String
    @Option(name: .long, help: "Request-log format of --data (default: detect).") var dataFormat: RequestLogFormat?

    /// Naming any of these columns reads --data as a correctness file.
    @OptionGroup var columns: CorrectnessColumnOptions
    @Option(name: .long, help: "The instant relative trace timestamps count from (burstgpt, mooncake).") var start: String?
    @Option(name: .long, help: "Provider for rows of --data that name none (required for azure-trace and mooncake).") var dataProvider: String?
    @Option(name: .long, help: "Model for rows of --data that name none (required for azure-trace and mooncake).") var dataModel: String?
    @OptionGroup var catalogOptions: CatalogOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        let m = try loadRoutingModel(model)
        // A correctness file: named columns, or a header with a prompt and *_correct columns.
        let header = (try? RouteLLMData.header(path: data)) ?? []
        if columns.named || (header.contains(RouteLLMData.defaultPromptColumn) && header.contains { $0.hasSuffix("_correct") }) {
            guard let q = m.quality else { throw CLIError("\(model): the model has no quality head to evaluate on \(data)") }
            let (examples, _) = try columns.read(data, modelFields: q.scorer?.groups.map(\.field) ?? [])
            let name = (data as NSString).lastPathComponent
            if let scorer = q.scorer {
                if let note = Self.unknownGroupNote(scorer, examples, name: name) { FileHandle.standardError.write(Data((note + "\n").utf8)) }
                let comparison = QualityComparison(scorer: scorer, examples: examples)
                if comparison.gap <= 0 { Self.noGapNote(name, strong: comparison.strongAccuracy, weak: comparison.weakAccuracy) }
                output.show(qualityComparisonTable(comparison, split: name))
            } else {
                let metrics = QualityTrainer.evaluate(q, on: examples, split: "all \(examples.count) rows of \(name)")
                if metrics.apgr == nil { Self.noGapNote(name, strong: metrics.strongAccuracy, weak: metrics.weakAccuracy) }
                output.show(qualityMetricsTable(metrics, label: "\(q.labelStrong) vs \(q.labelWeak)"))
            }
            return
        }
        // No request-log format has a prompt column: a correctness file whose columns are not named.
        if header.contains(RouteLLMData.defaultPromptColumn) {
            throw CLIError("\(data):1: a prompt column but no <model>_correct columns (found: \(header.joined(separator: ", "))); name the strong and weak models' correctness columns with --strong-column and --weak-column")
        }
        // Nor has any a <model>_correct column: a correctness file whose prompt column has another name.
        if header.contains(where: { $0.hasSuffix("_correct") }) {
            throw CLIError("\(data):1: <model>_correct columns but no prompt column (found: \(header.joined(separator: ", "))); name it with --prompt-column")
        }
        // A request log: read through the ingest's readers (all its checks), in the store's order.
        var options = RequestIngestOptions()
        options.format = dataFormat
        options.start = try start.map { try parseInstant($0, option: "--start") }
        options.provider = dataProvider
        options.model = dataModel
        options.optionNames = ("--data-provider", "--data-model")
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

extension EvalRoutingCommand {
    /// How many prompts have no group the scorer knows (they are ranked by its unknown-group
    /// head, as prompts of an unseen group), or nil when all have one or the scorer has no groups.
    /// Says on standard error that `name` has no gap to recover (the strong model is right no more
    /// often than the weak one), so that APGR and CPT are shown as not defined.
    static func noGapNote(_ name: String, strong: Double, weak: Double) {
        let percent = { (x: Double) in String(format: "%.1f%%", x * 100) }
        let note = "note: on \(name) the strong model is right on \(percent(strong)) of the prompts and the weak "
            + "one on \(percent(weak)): there is no gap to recover, so APGR and CPT are not defined (shown as –)"
        FileHandle.standardError.write(Data((note + "\n").utf8))
    }

    static func unknownGroupNote(_ scorer: QualityScorer, _ examples: [QualityExample], name: String) -> String? {
        guard !scorer.groups.isEmpty else { return nil }
        let unknown = examples.filter { !scorer.knowsGroup(of: $0.features) }.count
        guard unknown > 0 else { return nil }
        let fields = scorer.groups.map(\.field).joined(separator: ", ")
        let which = unknown == examples.count
            ? "none of the \(examples.count) prompts of \(name) has a group"
            : "\(unknown) of the \(examples.count) prompts of \(name) have no group"
        return "note: \(which) the quality head knows (\(fields); --group-column names the file's): "
            + "\(unknown == examples.count ? "all are" : "they are") ranked as prompts of an unseen group would be"
    }
}

/// `mosaic eval latency --data FILE`
struct EvalLatencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Compare the latency and failure heads with EWMA and median baselines on measurements split by time.",
        discussion: """
            Fits the heads `mosaic train routing` fits on the rows before the split and scores them, \
            with an EWMA per provider and model (updated through the test period) and the \
            training-period median, on the rows after it: MAE and RMSE of ln(latency ms), the share \
            under the predicted p95, and the pinball loss. --data is a thefastest.ai CSV \
            (provider_model, run_time_utc, total_time_s, …) or a request-log CSV (timestamp, \
            provider, model, latency_ms, status, …).

              mosaic eval latency --data llm_api_latency_runs.csv --test-fraction 0.3
              mosaic eval latency --data llm_api_latency_runs.csv --split-at 2024-04-29 --cross-validate 4
            """
    )

    @Option(name: .long, help: ArgumentHelp("The measurements (CSV).", valueName: "file"))
    var data: String

    @Option(name: .long, help: ArgumentHelp("Rows from this instant on are the test period.", valueName: "date"))
    var splitAt: String?

    @Option(name: .long, help: "The newest share of rows (by time) held out when --split-at is not given.")
    var testFraction = 0.3

    @Option(name: .long, help: "The latency column (default: total_time_s, or latency_ms in a request log; *_s columns are seconds).")
    var latencyColumn: String?

    @Option(name: .long, help: "Weight of the newest observation in the EWMA baseline.")
    var ewmaAlpha = 0.3

    @Option(name: .long, help: "Weight of the newest residual in head_online and of the newest attempt in head_adapt (the router's model_utility adapt).")
    var residualAlpha = 0.1

    @Option(name: .long, help: ArgumentHelp("head_adapt's half-life without a measurement, as the router's adapt_half_life (a duration: 1m, 1d).", valueName: "duration"))
    var adaptHalfLife = "1m"

    @Flag(name: .long, help: "Key the baselines by provider, model and region (default: provider and model).")
    var byRegion = false

    @Option(name: .long, help: ArgumentHelp("Also run rolling-origin cross-validation with this many folds inside the training period.", valueName: "k"))
    var crossValidate: Int?

    @OptionGroup var output: FormatOptions

    func validate() throws {
        guard testFraction > 0 && testFraction < 1 else { throw ValidationError("--test-fraction must be between 0 and 1 (exclusive)") }
        guard ewmaAlpha > 0 && ewmaAlpha <= 1 else { throw ValidationError("--ewma-alpha must be in (0, 1]") }
        guard residualAlpha > 0 && residualAlpha <= 1 else { throw ValidationError("--residual-alpha must be in (0, 1]") }
        if let k = crossValidate, !(1...20).contains(k) { throw ValidationError("--cross-validate must be between 1 and 20") }
        guard try parseDuration(adaptHalfLife, option: "--adapt-half-life") > 0 else {
            throw ValidationError("--adapt-half-life must be a duration above 0")
        }
    }

    /// Why no test row was scored: the test part has no successful row with a latency, or no
    /// provider it holds has the rows a head needs before the split, or (otherwise) its keys
    /// were not seen in training.
    static func nothingScored(_ observations: [LatencyObservation], split: Int64, minimumRows: Int, splitGiven: Bool) -> String {
        let test = observations.filter { $0.timestamp >= split }
        let scorable = test.filter { $0.ok && ($0.latencyMs ?? 0) > 0 }
        if scorable.isEmpty {
            return "none of the \(test.count) test rows (from \(Timestamp.format(split))) is a successful request with a latency, so there is nothing to score"
        }
        var rows: [String: (all: Int, timed: Int)] = [:]
        for o in observations where o.timestamp < split {
            rows[o.provider, default: (0, 0)].all += 1
            if o.ok && (o.latencyMs ?? 0) > 0 { rows[o.provider, default: (0, 0)].timed += 1 }
        }
        let providers = Set(scorable.map(\.provider)).sorted()
        let short = providers.filter { p in rows[p].map { min($0.all, $0.timed) < minimumRows } ?? true }
        if short.count == providers.count {
            let counts = short.map { "\($0) \(rows[$0]?.timed ?? 0)" }.joined(separator: ", ")
            return "no provider in the test part has the \(minimumRows) successful training rows a head needs before the split (\(counts)); \(splitGiven ? "move --split-at later" : "lower --test-fraction") or bring more measurements"
        }
        return "no test row has a key seen in training; \(splitGiven ? "move --split-at later" : "lower --test-fraction")"
    }

    func run() throws {
        let observations: [LatencyObservation]
        do {
            let read = try LatencyMeasurements.readCounting(path: data, latencyColumn: latencyColumn)
            observations = read.rows
            if read.withoutLatency > 0, let latencyColumn {
                printError("\(data): left out \(read.withoutLatency) successful rows with no \(latencyColumn) (a request that has none, such as a git or CI operation's TTFT)")
            }
        } catch { throw CLIError(error.description) }
        guard let first = observations.map(\.timestamp).min(), let last = observations.map(\.timestamp).max(),
              let bySize = LatencyComparison.splitInstant(observations, testFraction: testFraction) else {
            throw CLIError("\(data): no measurements")
        }
        let split = try splitAt.map { try parseInstant($0, option: "--split-at") } ?? bySize
        if split <= first || split > last {
            let span = "\(Timestamp.format(first)) … \(Timestamp.format(last))"
            throw CLIError(splitAt == nil
                ? "\(data): all measurements are at one instant (\(span)); there is nothing to split into a training and a test part"
                : "--split-at \(Timestamp.format(split)) leaves \(split <= first ? "no training" : "no test") rows: the measurements span \(span); pick an instant after the first and at or before the last")
        }
        var config = LatencyComparison.Configuration()
        config.ewmaAlpha = ewmaAlpha
        config.residualAlpha = residualAlpha
        config.adaptHalfLife = try parseDuration(adaptHalfLife, option: "--adapt-half-life")   // checked in validate()
        config.baselinesByRegion = byRegion
        let comparison = LatencyComparison(configuration: config)
        let result: LatencyComparison.Result
        var folds: [LatencyComparison.Result] = []
        do {
            result = try comparison.run(observations, splitAt: split)
            if let k = crossValidate {
                folds = try comparison.crossValidate(observations, before: split, folds: k).filter { !$0.latency.isEmpty }
            }
        } catch { throw CLIError("\(data): \(error)") }
        if result.evaluatedRows == 0 {
            throw CLIError("\(data): \(Self.nothingScored(observations, split: split, minimumRows: config.trainer.minimumRows, splitGiven: splitAt != nil))")
        }
        if output.format == .json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            struct Out: Encodable { var test: LatencyComparison.Result; var crossValidation: [LatencyComparison.Result] }
            print(String(decoding: try encoder.encode(Out(test: result, crossValidation: folds)), as: UTF8.self))
            return
        }
        if output.format == .table { print(latencyComparisonHeader(result, data: data)) }
        print(latencyComparisonTable(result).render(output.format), terminator: "")
        if output.format == .table {
            print(result.failure.isEmpty
                  ? "failure heads: not scored, the test period has \(result.testFailures) failed requests (training period: \(result.trainFailures))"
                  : "")
            if !result.failure.isEmpty { print(failureComparisonTable(result).render(.table), terminator: "") }
        }
        if !folds.isEmpty && output.format == .table {
            print("")
            let asked = crossValidate ?? folds.count
            print("rolling-origin cross-validation inside the training period (\(folds.count) folds\(folds.count < asked ? " of \(asked): the others had no row every method scores" : ""), origins \(folds.map { String($0.splitAt.prefix(10)) }.joined(separator: ", "))), mean over folds:")
            print(latencyComparisonTable(meanOverFolds(folds)).render(.table), terminator: "")
        }
    }
}

func latencyComparisonHeader(_ r: LatencyComparison.Result, data: String) -> String {
    "\((data as NSString).lastPathComponent): train \(r.trainRows) rows before \(r.splitAt), test \(r.testRows) rows; scored \(r.evaluatedRows) successful test rows (\(r.unseenRows) left out: key or provider not in training, or its head not fitted)"
        + r.unfitted.keys.sorted().map { "\n  not fitted: \($0): \(r.unfitted[$0]!)" }.joined()
}

func latencyComparisonTable(_ r: LatencyComparison.Result) -> OutputTable {
    var t = OutputTable(columns: [
        .init(name: "method"), .init(name: "rows", alignment: .right), .init(name: "mae_log", alignment: .right),
        .init(name: "rmse_log", alignment: .right), .init(name: "bias_log", alignment: .right),
        .init(name: "p95_coverage", alignment: .right), .init(name: "pinball_p95", alignment: .right),
    ])
    for s in r.latency {
        t.rows.append([.text(s.method), .int(s.rows), .number(s.maeLog, places: 4), .number(s.rmseLog, places: 4),
                       .number(s.biasLog, places: 4), .number(s.tailCoverage, places: 4), .number(s.tailPinballLoss, places: 4)])
    }
    return t
}

func failureComparisonTable(_ r: LatencyComparison.Result) -> OutputTable {
    var t = OutputTable(columns: [
        .init(name: "method"), .init(name: "rows", alignment: .right), .init(name: "failures", alignment: .right),
        .init(name: "logloss", alignment: .right), .init(name: "brier", alignment: .right), .init(name: "auc", alignment: .right),
    ])
    for s in r.failure {
        t.rows.append([.text(s.method), .int(s.rows), .int(s.failures), .number(s.logLoss, places: 4),
                       .number(s.brier, places: 4), .number(s.auc, places: 3)])
    }
    return t
}

/// The unweighted mean of each method's scores over cross-validation folds.
func meanOverFolds(_ folds: [LatencyComparison.Result]) -> LatencyComparison.Result {
    var mean = folds[0]
    mean.latency = mean.latency.indices.map { m in
        var s = folds[0].latency[m]
        let n = Double(folds.count)
        s.rows = folds.reduce(0) { $0 + $1.latency[m].rows }
        s.maeLog = folds.reduce(0) { $0 + $1.latency[m].maeLog } / n
        s.rmseLog = folds.reduce(0) { $0 + $1.latency[m].rmseLog } / n
        s.biasLog = folds.reduce(0) { $0 + $1.latency[m].biasLog } / n
        s.tailCoverage = folds.reduce(0) { $0 + $1.latency[m].tailCoverage } / n
        s.tailPinballLoss = folds.reduce(0) { $0 + $1.latency[m].tailPinballLoss } / n
        return s
    }
    return mean
}

/// Reads and checks a routing model file.
func loadRoutingModel(_ path: String) throws -> RoutingModel {
    let data = try modelFileData(path)
    return try cli(path) { try RoutingModel.decode(data) }
}
