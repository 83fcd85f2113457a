import ArgumentParser
import Foundation
import MosaicCore
import MosaicIngest
import MosaicLearn
import MosaicStore

extension SeriesFile.GapPolicy: ExpressibleByArgument {}
extension SeriesFile.Resampling.Aggregate: ExpressibleByArgument {}

/// Where a series comes from: the store's requests, or a `timestamp,value` file.
struct SeriesSourceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A timestamp,value CSV file to use instead of the store (or statsforecast's unique_id,ds,y; or JSON: records, pairs, a pandas Series or a Prometheus range query's answer; gzip-compressed or not; - reads standard input).", valueName: "file")) var series: String?

    @Option(name: .long, help: ArgumentHelp("With --series: the series to read from a file of several (its unique_id column).", valueName: "id"))
    var id: String?

    @Option(name: .long, help: ArgumentHelp("With --series: gather the points into intervals of this length (10m, 1h, 1d), for irregular or repeated timestamps; needs --aggregate.", valueName: "interval"))
    var resample: String?

    @Option(name: .long, help: "With --resample: each interval's mean (levels: latency, CPU) or sum (counts: requests; a first or last interval the points do not cover whole is left out).")
    var aggregate: SeriesFile.Resampling.Aggregate?

    @Option(name: .long, help: ArgumentHelp("With --series: the column of the timestamps (any form a series file takes), when it is not named timestamp or ds.", valueName: "name"))
    var timeColumn: String?

    @Option(name: .long, help: ArgumentHelp("With --series: the column of the values, when it is not named value or y.", valueName: "name"))
    var valueColumn: String?

    @Option(name: .long, help: "With --series: how to treat missing points (rows left out) and empty values (empty or NA, nan…): missing: keep them missing for the forecasters' hygiene to replace; zero; linear (between the numbers around them; the series ends at its last number); error: refuse them.")
    var fillGaps: SeriesFile.GapPolicy = .missing

    /// The store's series, when no file is given.
    @OptionGroup var window: StoreSeriesOptions

    func validate() throws {
        if id != nil && series == nil { throw ValidationError("--id chooses a series of a --series file; pass the file") }
        if resample != nil && series == nil { throw ValidationError("--resample gathers the points of a --series file; pass the file") }
        if (timeColumn != nil || valueColumn != nil) && series == nil {
            throw ValidationError("--time-column and --value-column name the columns of a --series file; pass the file")
        }
        if let resample, aggregate == nil {
            throw ValidationError("--resample \(resample) needs --aggregate: mean for levels (latency, CPU), sum for counts (requests)")
        }
        if aggregate != nil && resample == nil { throw ValidationError("--aggregate goes with --resample INTERVAL") }
        if let resample {
            let step = try parseDuration(resample, option: "--resample")
            if step < 60_000_000 || step % 60_000_000 != 0 { throw ValidationError("--resample \(resample) must be a whole number of minutes, at least one (1m, 15m, 1h, 1d)") }
        }
    }

    struct Loaded {
        var series: [(group: String, start: Int64, values: [Double])]
        var interval: Int64
        var intervalText: String
        var metric: String
        var grouping: String
    }

    /// The series to fit: a file's, or the store's request counts with partial ends dropped
    /// (a cut interval would look like a dip).
    func load() throws -> Loaded {
        if let path = series {
            let resampling = try resample.map { SeriesFile.Resampling(interval: try parseDuration($0, option: "--resample"), aggregate: aggregate ?? .mean) }
            let s: LoadedSeries = try cli { try SeriesFile.read(path: path, gaps: fillGaps, id: id, resample: resampling,
                                                                       timeColumn: timeColumn, valueColumn: valueColumn) }
            if s.filled > 0 {
                let how = fillGaps == .missing ? "kept missing for the hygiene to replace"
                    : fillGaps == .zero ? "filled with zeros" : "interpolated linearly"
                printError("\(path == SeriesFile.standardInput ? SeriesFile.standardInputName : path): \(s.filled) of \(s.values.count) points missing or empty, \(how) (--fill-gaps error refuses them)")
            }
            let text = s.interval % 3_600_000_000 == 0 ? "\(s.interval / 3_600_000_000)h"
                : s.interval % 60_000_000 == 0 ? "\(s.interval / 60_000_000)m" : "\(Double(s.interval) / 1e6)s"
            let name = path == SeriesFile.standardInput ? "stdin" : (path as NSString).lastPathComponent
            return Loaded(series: [(id ?? name, s.start, s.values)], interval: s.interval,
                          intervalText: text, metric: "value", grouping: "file")
        }
        let all = try window.fetch()
        guard !all.isEmpty else {
            throw CLIError("no requests \(window.time.describe()) in \(window.store.displayPath); ingest some first, widen --since/--until or pass --series FILE")
        }
        let series = all.map { s -> (String, Int64, [Double]) in
            var lo = 0, hi = s.count
            if s.partial.first == true && hi - lo > 1 { lo += 1 }
            if s.partial.last == true && hi - lo > 1 { hi -= 1 }
            return (s.group, s.start + Int64(lo) * s.interval, s.requests[lo..<hi].map(Double.init))
        }
        return Loaded(series: series, interval: window.interval.micros, intervalText: window.interval.description,
                      metric: "requests", grouping: window.by.rawValue)
    }
}

/// `mosaic train load`
struct TrainLoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Fit load-prediction models (request volume per interval) and export them with their forecasts.",
        discussion: "Each series (a provider's hourly requests, say, or a --series file) gets the forecaster that rolling-origin cross-validation scores best (MASE) among seasonal naive, exponential smoothing (chosen by AICc), dynamic harmonic regressions with AR errors and MSTL (daily and weekly components), or an equal-weight combination of the best when that scores better. The model file holds each fitted model, its scores, and the forecast for --horizon steps with 80% and 95% intervals."
    )

    @Option(name: .long, help: "Steps to forecast.") var horizon = 48
    @Option(name: .long, help: ArgumentHelp("The model file (default: models/load-vN.json).", valueName: "file")) var out: String?
    @OptionGroup var source: SeriesSourceOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if horizon < 1 || horizon > 10_000 { throw ValidationError("--horizon must be between 1 and 10000") }
    }

    func run() throws {
        let (model, path) = try trainLoad(source: source, horizon: horizon, out: out)
        if output.isTable {
            print("wrote \(path) (load model v\(model.version): \(model.series.count) series, \(model.intervalText) steps, horizon \(model.horizon))")
        }
        output.show(loadSummaryTable(model))
    }
}

/// Trains, writes and (for store series) registers a load model.
func trainLoad(source: SeriesSourceOptions, horizon: Int, out: String?) throws -> (LoadModel, String) {
    if let out { try refuseFolder(out, what: "model") }
    let loaded = try source.load()
    let store = source.series == nil ? try source.window.store.openExisting() : nil
    let version: Int = try cli { try store?.nextModelVersion(kind: "load") ?? 1 }
    let model: LoadModel
    let one = loaded.series.count == 1
    let progress = ProgressLine(label: one ? "fit \(loaded.series[0].group)" : "fit \(loaded.series.count) series")
    do {
        defer { progress.finish() }
        model = try LoadTrainer(horizon: horizon).train(
            series: loaded.series, interval: loaded.interval, intervalText: loaded.intervalText, metric: loaded.metric,
            grouping: loaded.grouping, version: version, createdAt: Timestamp.format(Timestamp.now() / 1_000_000 * 1_000_000),
            progress: { progress.steps(done: $0, total: $1, of: one ? "steps" : "series") })
    } catch { throw CLIError("training failed: \(error)") }
    let values = Dictionary(loaded.series.map { ($0.group, $0.values) }) { first, _ in first }
    for s in model.series {
        if let note = hygieneNote(s.fitted, values: values[s.group] ?? [], group: s.group, start: s.start, interval: model.interval) {
            printError(note)
        }
    }
    let path = out ?? "models/load-v\(version).json"
    let data: Data
    do { data = try model.encoded() } catch { throw CLIError("\(path): cannot encode the model: \(error)") }
    let chosen = model.series.map { "\"\($0.group)\":\"\($0.fitted.chosen.joined(separator: "+"))\"" }.joined(separator: ",")
    try exportModel(data, to: path, kind: "load", version: version, store: store,
                    trainFrom: Timestamp.parse(model.trainingWindow.from), trainTo: Timestamp.parse(model.trainingWindow.to),
                    rows: model.series.reduce(0) { $0 + $1.points }, metrics: "{\(chosen)}")
    return (model, path)
}

/// One row per series: the chosen method, its cross-validated MASE beside seasonal naive's on the
/// same folds (the baseline it has to beat), and the forecast's total and peak.
func loadSummaryTable(_ model: LoadModel) -> OutputTable {
    var t = OutputTable(columns: [
        "series", .right("points"), "method", .right("cv_mase"), .right("snaive_cv_mase"), .right("forecast_total"), "peak_at",
        .right("peak"), .right("peak_hi95"),
    ])
    for s in model.series {
        let mean = s.forecast.mean
        let peak = mean.indices.max { mean[$0] < mean[$1] } ?? 0
        let hi95 = s.forecast.interval(level: 95)?.upper[peak]
        let cv = s.fitted.scores.first { $0.name == s.fitted.chosen.joined(separator: " + ") }?.mase
            ?? s.fitted.scores.compactMap(\.mase).min()
        let naive = s.fitted.scores.first { $0.members.count == 1 && $0.name.hasPrefix("SeasonalNaive(") }?.mase
        t.rows.append([.text(s.group), .int(s.points), .text(s.fitted.chosen.joined(separator: " + ")), .number(cv, places: 3),
                       .number(naive, places: 3),
                       .number(mean.reduce(0, +), places: 0),
                       .text(mean.isEmpty ? "" : Timestamp.format(s.forecastStart + Int64(peak) * model.interval)),
                       .number(mean.isEmpty ? nil : mean[peak], places: 1), .number(hi95, places: 1)])
    }
    return t
}

/// `mosaic forecast`
struct ForecastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Print a load model's forecasts, or fit and forecast a series (with --holdout: score it).",
        discussion: "With --model, prints the forecast stored in the model file, step by step with 80% and 95% intervals. Without it, fits the series (the store's, or --series FILE) and forecasts --horizon steps. With --holdout N it fits on all but the last N points and prints sMAPE, MASE (seasonal period: a day of steps), the intervals' coverage on them and M4's MSIS of the 95% interval (width plus 40 times any miss, on the MASE scale: lower is better)."
    )

    @Option(name: .long, help: ArgumentHelp("A load model file.", valueName: "file")) var model: String?
    @Option(name: .long, help: "Steps to forecast (when fitting).") var horizon = 48
    @Option(name: .long, help: "Hold out the last N points and score the forecast of them.") var holdout: Int?
    @OptionGroup var source: SeriesSourceOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        // As `train load`: every step is five numbers per series (a billion took all memory).
        if horizon < 1 || horizon > 10_000 { throw ValidationError("--horizon must be between 1 and 10000") }
        if let holdout, !(1...10_000).contains(holdout) { throw ValidationError("--holdout must be between 1 and 10000") }
    }

    func run() throws {
        if let model {
            let data = try modelFileData(model)
            let m: LoadModel = try cli(model) { try LoadModel.decode(data) }
            output.show(forecastTable(m.series.map { ($0.group, $0.forecastStart, $0.forecast) }, interval: m.interval))
            return
        }
        let loaded = try source.load()
        let h = holdout ?? horizon
        let auto = LoadTrainer.forecaster(interval: loaded.interval, horizon: h)
        let m = auto.period
        var paths: [(String, Int64, Forecast)] = []
        var scores = OutputTable(columns: [
            "series", "method", .right("holdout"), .right("smape"), .right("mase"), .right("coverage80"),
            .right("coverage95"), .right("msis95"),
        ])
        for s in loaded.series {
            // Scoring needs a season of training points beyond the held-out ones (MASE's scale).
            if let holdout, s.values.count <= holdout + m {
                throw CLIError("\(s.group): \(s.values.count) points are too few to hold out \(holdout) (it needs at least \(holdout + m + 1): the \(holdout) held out and \(m + 1) to fit on)")
            }
            let train = holdout.map { Array(s.values.dropLast($0)) } ?? s.values
            let fitted: AutoForecaster.Fitted = try fitWithProgress(auto, train, series: s.group, start: s.start,
                                                                         interval: loaded.interval)
            let f = fitted.forecast(horizon: h, levels: [80, 95])
            paths.append((s.group, s.start + Int64(train.count) * loaded.interval, f))
            if let holdout {
                // Missing actual values (--fill-gaps missing) are not scored.
                let base = s.values.count - holdout
                let known = (0..<holdout).filter { s.values[base + $0].isFinite }
                guard !known.isEmpty else {
                    throw CLIError("\(s.group): the last \(holdout) points are all missing, so there is nothing to score")
                }
                let actual = known.map { s.values[base + $0] }
                let mean = known.map { f.mean[$0] }
                func interval(_ level: Double) -> Forecast.Interval? {
                    f.interval(level: level).map { i in .init(level: level, lower: known.map { i.lower[$0] }, upper: known.map { i.upper[$0] }) }
                }
                func coverage(_ level: Double) -> Double? { interval(level).map { ForecastMetrics.coverage(actual: actual, interval: $0) } }
                scores.rows.append([
                    .text(s.group), .text(fitted.chosen.joined(separator: " + ")), .int(holdout),
                    .number(ForecastMetrics.smape(actual: actual, forecast: mean), places: 3),
                    .number(ForecastMetrics.mase(actual: actual, forecast: mean, training: train, period: m), places: 3),
                    .number(coverage(80), places: 3),
                    .number(coverage(95), places: 3),
                    .number(interval(95).map { ForecastMetrics.msis(actual: actual, interval: $0, training: train, period: m) },
                            places: 3),
                ])
            }
        }
        if holdout != nil {
            output.show(scores)
        } else {
            output.show(forecastTable(paths, interval: loaded.interval))
        }
    }
}

func forecastTable(_ paths: [(String, Int64, Forecast)], interval: Int64) -> OutputTable {
    var t = OutputTable(columns: [
        "timestamp", "series", .right("mean"), .right("lo80"), .right("hi80"), .right("lo95"), .right("hi95"),
    ])
    for (group, start, f) in paths {
        let i80 = f.interval(level: 80), i95 = f.interval(level: 95)
        for k in 0..<f.horizon {
            t.rows.append([.text(Timestamp.format(start + Int64(k) * interval)), .text(group), .number(f.mean[k], places: 2),
                           .number(i80?.lower[k], places: 2), .number(i80?.upper[k], places: 2),
                           .number(i95?.lower[k], places: 2), .number(i95?.upper[k], places: 2)])
        }
    }
    return t
}

/// `mosaic anomalies`
struct AnomaliesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomalies",
        abstract: "Flag points outside the prediction interval of their one-step-ahead forecast.",
        discussion: "Fits each series (the store's, or --series FILE) as `mosaic forecast` does and flags every point whose value falls outside the --level interval of the one-step-ahead prediction, with a score: how many one-step standard deviations it is away."
    )

    @Option(name: .long, help: "Interval level in percent.") var level: Double = 99
    @OptionGroup var source: SeriesSourceOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if !(level > 50 && level < 100) { throw ValidationError("--level must be between 50 and 100 (exclusive)") }
    }

    func run() throws {
        let loaded = try source.load()
        let auto = LoadTrainer.forecaster(interval: loaded.interval, horizon: LoadTrainer.seasonalPeriod(interval: loaded.interval))
        var t = OutputTable(columns: [
            "timestamp", "series", .right("value"), .right("expected"), .right("lower"), .right("upper"),
            .right("score"),
        ])
        for s in loaded.series {
            let fitted: AutoForecaster.Fitted = try fitWithProgress(auto, s.values, series: s.group, start: s.start,
                                                                         interval: loaded.interval)
            for a in AnomalyDetector.detect(values: s.values, oneStepPredictions: fitted.fittedValues,
                                            residualScale: fitted.residualScale, level: level) {
                t.rows.append([.text(Timestamp.format(s.start + Int64(a.index) * loaded.interval)), .text(s.group),
                               .number(a.value, places: 2), .number(a.expected, places: 2), .number(a.lower, places: 2),
                               .number(a.upper, places: 2), .number(a.score, places: 2)])
            }
        }
        if t.rows.isEmpty {
            let percent = level == level.rounded() ? String(Int(level)) : String(level)
            printError("no anomalies: every point of the \(loaded.series.count) series is inside its \(percent)% interval")
        }
        output.show(t)
    }
}

/// Fits one series, with a progress line on a terminal (a month of minutes takes half a minute),
/// and says on standard error what the training-data hygiene replaced (``hygieneNote``).
func fitWithProgress(_ auto: AutoForecaster, _ values: [Double], series group: String, start: Int64,
                     interval: Int64) throws -> AutoForecaster.Fitted {
    let progress = ProgressLine(label: "fit \(group)")
    let fitted = try {
        defer { progress.finish() }
        return try cli(group) { try auto.fit(values) { progress.steps(done: $0, total: $1, of: "steps") } }
    }()
    if let note = hygieneNote(fitted, values: values, group: group, start: start, interval: interval) { printError(note) }
    return fitted
}

/// What the training-data hygiene did to a series, in a line for standard error, so that a user
/// sees which hours were not learned as load: the filled gaps, bursts and outages it
/// replaced (a start and a length each; the first five of each), the missing points it imputed
/// and a level shift. Nil for a series it left alone.
func hygieneNote(_ fitted: AutoForecaster.Fitted, values: [Double], group: String, start: Int64, interval: Int64) -> String? {
    let runs = fitted.outages ?? []
    let bursts = fitted.bursts ?? [], filled = fitted.filled ?? []
    let inRun = { (runs: [[Int]], i: Int) in runs.contains { $0[0] <= i && i < $0[1] } }
    let missing = { (i: Int) in i < values.count && !values[i].isFinite }
    let outages = runs.filter { r in (r[0]..<r[1]).contains { !missing($0) && !inRun(bursts, $0) && !inRun(filled, $0) } }
    let imputed = runs.reduce(0) { n, r in n + (r[0]..<r[1]).filter(missing).count }
    let at = { (i: Int) in Timestamp.format(start + Int64(i) * interval) }
    var parts: [String] = []
    for (runs, one, many) in [(filled, "filled gap", "filled gaps"),
                              (bursts, "burst", "bursts"), (outages, "outage", "outages")] where !runs.isEmpty {
        let listed = runs.prefix(5).map { "\(at($0[0])) for \($0[1] - $0[0]) step\($0[1] - $0[0] == 1 ? "" : "s")" }
        parts.append("\(runs.count) \(runs.count == 1 ? one : many) replaced, not learned as load: "
            + listed.joined(separator: ", ") + (runs.count > 5 ? ", …" : ""))
    }
    if imputed > 0 { parts.append("\(imputed) missing point\(imputed == 1 ? "" : "s") imputed") }
    if let shift = fitted.levelShiftAt { parts.append("the level shifted at \(at(shift)): the history before it was rescaled to it") }
    return parts.isEmpty ? nil : "\(group): " + parts.joined(separator: "; ")
}
