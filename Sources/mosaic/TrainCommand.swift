import ArgumentParser
import Crypto
import Foundation
import MosaicCore
import MosaicIngest
import MosaicLearn
import MosaicRouting
import MosaicStore

/// `mosaic train …`
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train models from the store and export them as versioned model files.",
        subcommands: [TrainRoutingCommand.self, TrainLoadCommand.self])
}

/// A `provider/model` pair on the command line.
struct ModelTarget: ExpressibleByArgument, Sendable {
    var provider: String
    var model: String

    init?(argument: String) {
        let parts = argument.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        provider = parts[0]
        model = parts[1]
    }

    var target: QualityModel.Target { .init(provider: provider, model: model) }

    /// As written on the command line (`--help` shows the default so).
    var defaultValueDescription: String { provider + "/" + model }
}

/// `mosaic train routing`
struct TrainRoutingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Fit per-provider latency, tail-latency and failure models (and optionally a quality model).",
        discussion: "Reads the requests table, splits each provider's rows in time (the newest --test-fraction is held out), fits ridge regression of log latency, quantile regression of its tail and logistic regression of failure, reports the holdout metrics, refits on all rows and writes the model file (JSON). Cost is never learned: the router prices requests exactly. With --quality-data (per-prompt correctness of a strong and a weak model, RouteLLM's format) it also fits 'the weak model is good enough' and reports APGR and CPT on prompts it never saw. Every export is recorded in the store's model registry (`mosaic models list`)."
    )

    @OptionGroup var window: TimeWindowOptions

    @Option(name: .long, help: ArgumentHelp("The model file to write (default: models/router-vN.json, N the next version).", valueName: "file"))
    var out: String?

    @Option(name: .long, help: "The latency quantile of the tail model.") var tailQuantile: Double = 0.95
    @Flag(name: .long, help: "Give each model its own latency level in each region (a model×region one-hot; see `mosaic eval latency`).")
    var modelByRegion = false
    @Option(name: .long, help: "Share of each provider's newest rows held out for metrics.") var testFraction: Double = 0.2

    @Option(name: .long, help: ArgumentHelp("Per-prompt correctness file for the quality model (RouteLLM layout; CSV or JSON Lines).", valueName: "file"))
    var qualityData: String?

    @OptionGroup var columns: CorrectnessColumnOptions

    @Flag(name: .long, help: "Also report leave-groups-out and random-prompt cross-validation of the quality model beside the baselines (slow: refits per fold).")
    var crossValidate = false

    @Option(name: .long, help: "Folds for --cross-validate.") var folds = 5
    @Option(name: .long, help: "Seed of the quality model's random choices (SVD start, kNN reference sample, folds).") var seed: UInt64 = 14
    @Option(name: .long, help: "Fold assignments the quality model's known-group head is chosen and fitted on (repeated cross-fitting): more make the head steadier against the fold draw, and so against the rows' order, at about 20% more time each.")
    var crossFitRepeats = 1

    @Option(name: .long, help: ArgumentHelp("Where strong requests go.", valueName: "provider/model"))
    var strong = ModelTarget(argument: "openai/gpt-4o")!

    @Option(name: .long, help: ArgumentHelp("Where weak requests go.", valueName: "provider/model"))
    var weak = ModelTarget(argument: "ollama/llama3.1")!

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if !(tailQuantile > 0.5 && tailQuantile < 1) { throw ValidationError("--tail-quantile must be between 0.5 and 1 (exclusive)") }
        if !(testFraction > 0 && testFraction < 0.9) { throw ValidationError("--test-fraction must be between 0 and 0.9 (exclusive)") }
        if crossValidate && qualityData == nil { throw ValidationError("--cross-validate needs --quality-data") }
        if !(1...10).contains(crossFitRepeats) { throw ValidationError("--cross-fit-repeats must be between 1 and 10") }
        if !(2...20).contains(folds) { throw ValidationError("--folds must be between 2 and 20 (each fold fits the whole quality model again)") }
    }

    func run() throws {
        if let out { try refuseFolder(out, what: "model") }
        let from = try window.from
        let to = try window.to
        let quality = try qualityExamples()
        // Only a quality head needs no request rows (the store then only registers the model).
        let store = quality == nil ? try self.store.openExisting() : try self.store.openSayingIfNew()
        var qualityConfig = QualityTrainer.Configuration()
        qualityConfig.seed = seed
        qualityConfig.crossFitRepeats = crossFitRepeats
        if let q = quality { qualityConfig.groupField = q.groupField }
        let result = try trainRouting(store: store, from: from, to: to, out: out, tailQuantile: tailQuantile,
                                      testFraction: testFraction, quality: quality.map { ($0.rows, $0.dataset, $0.strong, $0.weak, $0.targets) },
                                      qualityConfiguration: qualityConfig, modelByRegion: modelByRegion)
        if output.isTable {
            print("wrote \(result.path) (routing model v\(result.model.version), \(trainedOn(result.model)))")
            for s in result.skipped { print("  left out \(s.provider): \(s.reason)") }
            for note in outageNotes(result.model) { print("  " + note) }
            print("")
        }
        let headsOnly = output.isTable && isQualityHeadOnly(result.model)
        try OutputDocument.print(output.format) { document in
            if !headsOnly { document.add("providers", routingMetricsTable(result.model)) }
            guard let q = result.model.quality, let heldOut = result.qualityHeldOut, let examples = quality else { return }
            if output.isTable {
                if !headsOnly { print("") }
                print("quality: \(q.labelStrong) vs \(q.labelWeak), strong right on \(percent(q.metrics.strongAccuracy)) and weak on "
                      + "\(percent(q.metrics.weakAccuracy)) of the held-out fifth; the model beside the baselines"
                      + (crossValidate ? ", cross-validated and on that fifth:" : " there:"))
            }
            guard crossValidate else {
                document.add("held_out", qualityComparisonTable(heldOut, split: "held-out fifth"))
                if output.isTable, let line = modelVersusPrior(heldOut) { print("    " + line) }
                return
            }
            // Each table as soon as its folds are done (a cross-validation on MMLU takes minutes).
            var trainer = QualityTrainer(configuration: qualityConfig)
            let line = ProgressLine(label: "cross-validate the quality head")
            trainer.progress = { line.stage($0) }
            do {
                let groups = try trainer.crossValidate(examples.rows, folds: folds, split: .groups)
                line.finish()
                document.add("leave_groups_out", qualityComparisonTable(groups, split: "leave-\(examples.groupField)s-out \(folds)-fold"))
                if output.isTable { print("") }
                let prompts = try trainer.crossValidate(examples.rows, folds: folds, split: .prompts)
                line.finish()
                document.add("random_prompts", qualityComparisonTable(prompts, split: "random-prompt \(folds)-fold"))
            } catch { line.finish(); throw CLIError("cross-validation: \(error)") }
            if output.isTable { print("") }
            document.add("held_out", qualityComparisonTable(heldOut, split: "held-out fifth (prompt-id hash)"))
        }
    }

    func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }

    func qualityExamples() throws -> (rows: [QualityExample], dataset: String, strong: String, weak: String,
                                      targets: (QualityModel.Target, QualityModel.Target), groupField: String)? {
        guard let qualityData else { return nil }
        let (rows, field) = try columns.read(qualityData)
        return (rows, (qualityData as NSString).lastPathComponent, RouteLLMData.modelName(column: columns.strong),
                RouteLLMData.modelName(column: columns.weak), (strong.target, weak.target), field)
    }
}

/// The columns of a correctness file (`train routing --quality-data`, `eval routing --data`):
/// RouteLLM's layout unless named, so that any CSV with a prompt and two correctness columns reads.
struct CorrectnessColumnOptions: ParsableArguments {
    @Option(help: "The correctness file's prompt column (default: \(RouteLLMData.defaultPromptColumn)).") var promptColumn: String?
    @Option(help: "The strong model's correctness column: True/False, 1/0 (1.0/0.0), yes/no or t/f (default: \(RouteLLMData.defaultStrongColumn)).") var strongColumn: String?
    @Option(help: "The weak model's correctness column (default: \(RouteLLMData.defaultWeakColumn)).") var weakColumn: String?
    @Option(help: "The correctness file's group column (default: in eval, the column the model's groups came from; else subject, else category, when present); groups get shrunk priors.")
    var groupColumn: String?

    var strong: String { strongColumn ?? RouteLLMData.defaultStrongColumn }
    var weak: String { weakColumn ?? RouteLLMData.defaultWeakColumn }
    /// Whether any column is named (then `eval routing` reads its data as a correctness file).
    var named: Bool { promptColumn != nil || strongColumn != nil || weakColumn != nil || groupColumn != nil }

    /// Reads a correctness file as quality examples; each row's group becomes the tag
    /// `<group column>:<value>`. Returns the examples and the group column's name. Unless
    /// `--group-column` names it, the group column is the first of `modelFields` (the group
    /// columns a model was trained on) that the file has, else `subject`, else `category`.
    func read(_ path: String, modelFields: [String] = []) throws -> ([QualityExample], String) {
        let rows: [QualityRow]
        let header: [String]
        let requested: String?
        do {
            header = try RouteLLMData.header(path: path)
            requested = groupColumn ?? modelFields.first(where: header.contains)
            rows = try RouteLLMData.read(path: path, promptColumn: promptColumn ?? RouteLLMData.defaultPromptColumn,
                                         strongColumn: strong, weakColumn: weak, groupColumn: requested)
        } catch { throw CLIError(error.description) }
        let field = RouteLLMData.groupColumn(header: header, requested: requested) ?? "group"
        return (rows.map { QualityExample(promptID: $0.promptID, prompt: $0.prompt, strongCorrect: $0.strongCorrect,
                                          weakCorrect: $0.weakCorrect, tags: $0.group.map { ["\(field):\($0)"] } ?? []) }, field)
    }
}

struct TrainedRouting {
    var model: RoutingModel
    var path: String
    var skipped: [(provider: String, reason: String)]
    /// The quality head measured on its held-out fifth beside the baselines, when one was trained.
    var qualityHeldOut: QualityComparison?
}

/// Trains, writes and registers a routing model.
func trainRouting(store: Store, from: Int64?, to: Int64?, out: String?, tailQuantile: Double = 0.95,
                  testFraction: Double = 0.2,
                  quality: (rows: [QualityExample], dataset: String, strong: String, weak: String,
                            targets: (QualityModel.Target, QualityModel.Target))? = nil,
                  qualityConfiguration: QualityTrainer.Configuration = .init(), modelByRegion: Bool = false) throws -> TrainedRouting {
    // Load the rows, grouped by provider; strings are interned so repeated values share storage.
    var byProvider: [String: [RoutingTrainer.Row]] = [:]
    var interned: [String: String] = [:]
    func intern(_ s: String) -> String {
        if let i = interned[s] { return i }
        interned[s] = s
        return s
    }
    var first = Int64.max, last = Int64.min
    let line = ProgressLine(label: "train routing")
    defer { line.finish() }
    line.stage("reading the requests")
    do {
        try store.forEachRequest(from: from, to: to) { r in
            first = min(first, r.timestamp)
            last = max(last, r.timestamp)
            let f = RequestFeatures(tenant: intern(r.tenant), operation: intern(r.operation), region: intern(r.region),
                                    model: intern(r.model), inputTokens: r.inputTokens, outputTokens: r.outputTokens,
                                    timestamp: r.timestamp)
            byProvider[intern(r.provider), default: []].append(RoutingTrainer.Row(features: f, latencyMs: r.latencyMs, ok: r.status == .ok))
        }
    } catch { throw CLIError("\(error)") }
    if byProvider.isEmpty && quality == nil {
        throw CLIError("no requests \(describeWindow(from: from, to: to)) in \(store.path); ingest some first (`mosaic ingest requests FILE` or `mosaic demo`) or widen --since/--until")
    }
    let version: Int = try cli { try store.nextModelVersion(kind: "routing") }
    var config = RoutingTrainer.Configuration()
    config.tailQuantile = tailQuantile
    config.testFraction = testFraction
    config.features.modelByRegion = modelByRegion
    var trainer = RoutingTrainer(configuration: config)
    trainer.progress = { line.stage("fitting \($0)") }
    var qualityModel: QualityModel?
    var qualityHeldOut: QualityComparison?
    if let q = quality {
        var qualityTrainer = QualityTrainer(configuration: qualityConfiguration)
        qualityTrainer.progress = { line.stage("quality head, \($0)") }
        do {
            (qualityModel, qualityHeldOut) = try qualityTrainer
                .trainBesideBaselines(q.rows, dataset: q.dataset, labelStrong: q.strong, labelWeak: q.weak, strong: q.targets.0, weak: q.targets.1)
        } catch { throw CLIError("quality model from \(q.dataset): \(error)") }
    }
    let output: RoutingTrainer.Output
    do {
        output = try trainer.train(byProvider: byProvider, window: (first == .max ? 0 : first, last == .min ? 0 : last + 1),
                                   version: version, createdAt: Timestamp.format(Timestamp.now() / 1_000_000 * 1_000_000),
                                   quality: qualityModel)
    } catch { throw CLIError("training failed: \(error)") }
    let path = out ?? "models/router-v\(version).json"
    let data: Data
    do { data = try output.model.encoded() } catch { throw CLIError("\(path): cannot encode the model: \(error)") }
    let summary = output.model.providers.map { "\"\($0.provider)\":{\"latencyRMSE\":\($0.metrics.latencyRMSE),\"tailCoverage\":\($0.metrics.tailCoverage)}" }
    try exportModel(data, to: path, kind: "routing", version: version, store: store, trainFrom: first == .max ? nil : first,
                    trainTo: last == .min ? nil : last + 1, rows: output.model.rows, metrics: "{" + summary.joined(separator: ",") + "}")
    return TrainedRouting(model: output.model, path: path, skipped: output.skipped, qualityHeldOut: qualityHeldOut)
}

/// What a routing model was trained on: its request rows and their window, or, for a model
/// trained on a correctness file alone, that it has no latency or failure heads.
/// One line for each provider whose outages the failure head was fitted without.
func outageNotes(_ m: RoutingModel) -> [String] {
    m.providers.compactMap { p in
        p.outageRows.map { "\(p.provider): \($0.formatted()) requests in outages are left out of its failure head (the breakers handle outages)" }
    }
}

func trainedOn(_ m: RoutingModel) -> String {
    if isQualityHeadOnly(m) {
        return "no request rows: a quality head only, no latency or failure heads"
    }
    return "\(m.rows.formatted()) rows, \(m.trainingWindow.from) … \(m.trainingWindow.to)"
}

/// What a quality scorer holds and which inputs each head chose, in one line for `models show`:
/// `scorer: 48 LSA dimensions over 20,000 terms, 4,000 kNN references, subject priors (57
/// groups), text ridge, group text ridges (57), difficulty; known-group head
/// prior+text+length+difficulty (cross-validated APGR 0.7009 of 9 candidates), unknown-group
/// head length (cross-validated APGR 0.5970 of 5 candidates)`.
func scorerSummary(_ s: QualityScorer) -> String {
    var parts = ["\(s.dimensions) LSA dimensions over \(s.vocabularyWidth.formatted()) terms",
                 "\(s.referenceAdvantage.count.formatted()) kNN references"]
    parts += s.groups.map { "\($0.field) priors (\($0.advantage.count) groups)" }
    if s.textWeights != nil { parts.append("text ridge") }
    if let g = s.groupText { parts.append("group text ridges (\(g.weights.count))") }
    if s.difficulty != nil { parts.append("difficulty") }
    var line = "scorer: " + parts.joined(separator: ", ")
    if let sel = s.selection {
        func head(_ name: String, _ candidates: [QualityScorer.Selection.Candidate]) -> String {
            guard let c = candidates.first(where: { $0.name == name }) else { return name }
            return name + String(format: " (cross-validated APGR %.4f of %d candidates)", c.apgr, candidates.count)
        }
        line += "; known-group head " + head(sel.knownGroup, sel.knownGroupCandidates)
            + ", unknown-group head " + head(sel.unknownGroup, sel.unknownGroupCandidates)
    }
    return line
}

/// A model trained on a correctness file alone: no provider heads, so its (empty) provider
/// table is not printed as a table.
func isQualityHeadOnly(_ m: RoutingModel) -> Bool { m.providers.isEmpty && m.quality != nil }

/// Holdout metrics per provider, as a table.
func routingMetricsTable(_ model: RoutingModel) -> OutputTable {
    let q = model.providers.first?.tailQuantile ?? 0.95
    var t = OutputTable(columns: [
        "provider", .right("train"), .right("test"),
        .right("log_latency_rmse"), .right("log_latency_r2"),
        .right("p\(Int(q * 100))_coverage"), .right("failure_rate"),
        .right("failure_auc"), .right("failure_logloss"),
        .right("failure_brier"),
    ])
    for p in model.providers {
        let m = p.metrics
        // Without a latency among the test rows the latency metrics are not defined (–), not 0.
        let latency = { (v: Double) in m.latencyRows == 0 ? nil : v }
        t.rows.append([.text(p.provider), .int(m.trainRows), .int(m.testRows), .number(latency(m.latencyRMSE), places: 3),
                       .number(latency(m.latencyR2), places: 3), .number(latency(m.tailCoverage), places: 3), .number(m.failureRate, places: 4),
                       .number(m.failureAUC, places: 3), .number(m.failureLogLoss, places: 4), .number(m.failureBrier, places: 4)])
    }
    return t
}

/// RouteLLM's metrics next to the random router.
func qualityMetricsTable(_ m: QualityModel.Metrics, label: String) -> OutputTable {
    var t = OutputTable(columns: [
        "router", .right("test_prompts"), .right("apgr"), .right("cpt50_pct_strong"), .right("cpt80_pct_strong"),
        .right("strong_accuracy"), .right("weak_accuracy"), .right("auc"),
    ])
    let defined = m.apgr != nil
    t.rows.append([.text("quality (\(label))"), .int(m.testRows), .number(m.apgr, places: 4), .number(m.cpt50.map { $0 * 100 }, places: 1),
                   .number(m.cpt80.map { $0 * 100 }, places: 1), .number(m.strongAccuracy, places: 4), .number(m.weakAccuracy, places: 4),
                   .number(m.auc, places: 4)])
    t.rows.append([.text("random"), .int(m.testRows), .number(defined ? m.randomAPGR : nil, places: 4), .number(defined ? 50 : nil, places: 1),
                   .number(defined ? 80 : nil, places: 1), .number(m.strongAccuracy, places: 4), .number(m.weakAccuracy, places: 4),
                   .number(0.5, places: 4)])
    return t
}

/// The model's APGR and CPT50 less the group prior's on one split, or nil without both rows.
func modelVersusPrior(_ c: QualityComparison) -> String? {
    let row = { (name: String) in c.rows.first { $0.router == name } }
    guard let model = row("model"), let prior = row("group prior"), !model.apgr.isNaN else { return nil }
    return "model − group prior on this one split of \(c.prompts.formatted()) prompts: "
        + String(format: "APGR %+.4f, CPT50 %+.1f points (lower is better); ", model.apgr - prior.apgr, (model.cpt50 - prior.cpt50) * 100)
        + "one split is noisy: `mosaic train routing --quality-data FILE --cross-validate` gives cross-validated figures "
        + "(the README has them for all 11,166 MMLU prompts)"
}

/// A quality model beside the baselines (`mosaic eval routing`, `mosaic train routing --cross-validate`).
func qualityComparisonTable(_ c: QualityComparison, split: String) -> OutputTable {
    // Cross-validation means also show their spread over folds (the standard deviation).
    let spread = c.rows.contains { $0.apgrSD != nil }
    var columns: [OutputTable.Column] = [
        "router", "split", .right("prompts"), .right("apgr"), .right("cpt50_pct_strong"), .right("cpt80_pct_strong"),
    ]
    if spread { columns += [.right("apgr_sd_folds"), .right("cpt50_sd_folds")] }
    var t = OutputTable(columns: columns)
    for r in c.rows {
        var row: [OutputTable.Cell] = [.text(r.router), .text(split), .int(c.prompts), .number(r.apgr.isNaN ? nil : r.apgr, places: 4),
                                       .number(r.cpt50.isNaN ? nil : r.cpt50 * 100, places: 1), .number(r.cpt80.isNaN ? nil : r.cpt80 * 100, places: 1)]
        if spread { row += [.number(r.apgrSD.flatMap { $0.isNaN ? nil : $0 }, places: 4), .number(r.cpt50SD.flatMap { $0.isNaN ? nil : $0 * 100 }, places: 1)] }
        t.rows.append(row)
    }
    return t
}

/// Writes a model file whole (creating its folder) and records it in the registry with
/// its SHA-256.
func exportModel(_ data: Data, to path: String, kind: String, version: Int, store: Store?, trainFrom: Int64?,
                 trainTo: Int64?, rows: Int, metrics: String) throws {
    try writeAtomically(data, to: path, what: "model")
    guard let store else { return }
    let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    do {
        try store.registerModel(kind: kind, version: version, path: URL(fileURLWithPath: path).standardizedFileURL.path,
                                sha256: digest, trainFrom: trainFrom, trainTo: trainTo, rows: rows, metrics: metrics)
    } catch { throw CLIError(error.description) }
}
