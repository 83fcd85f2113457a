// Forecast benchmark: Mosaic's AutoForecaster on the M4 Hourly set against the published M4
// results and against statsforecast run in the same process tree, plus anomaly flags on NAB's
// nyc_taxi series against its labelled windows.
//
//   swift build -c release --product ForecastBenchmark && OPENBLAS_NUM_THREADS=1 .build/release/ForecastBenchmark
//       [--shared ../shared] [--no-python] [--statsforecast-json FILE] [--candidates] [--m4-validation]
//       [--dev-only] [--statsforecast-folds-json FILE] [--dev-folds-csv FILE] [--stress [--stress-folds-csv FILE] [--stress-statsforecast-json FILES]]
//
// In one run:
//   1. M4 Hourly (414 series, h = 48, m = 24; ../shared/datasets/m4-hourly): seasonal naive alone,
//      then AutoForecaster(period: 24, horizon: 48) fitted across series with
//      `fit(_:concurrently: true)` (both cores). Scores as M4 defines them: sMAPE and MASE per
//      series, averaged over the series; OWA against Naive2 computed by the same scorer
//      (ForecastMetrics.Summary); 80 % / 95 % interval coverage; wall time of all 414 fits and
//      forecasts. The seasonal naive row must reproduce the published 13.912 / 1.193 (proof of
//      the scorer). Printed next to the published rows of m4_hourly_published_accuracy.csv.
//      --candidates adds each default candidate on its own. --m4-validation scores the last 48
//      hours of each training series instead of the test set: for development, so that no
//      choice is tuned on M4's public test set. --m4-per-series FILE writes each series' MASE,
//      choice and outages (a CSV) for diagnosis. --m4-history N keeps only each training series'
//      last N hours (short histories; the held-out series has about four weeks).
//   2. statsforecast (AutoETS, MSTL [24, 168], SeasonalNaive) on the same 414 series through
//      statsforecast_m4.py (next to this file) in a child process with 2 jobs, when
//      `python3 -c "import statsforecast"` works; accuracy and time ratios. Also the synthetic
//      series of ../shared/reference/ref_forecast.py against its stored results/forecast.json
//      (not rerun).
//   4. Development series (DevelopmentSeries.swift): the Twitter stream's hourly counts (with
//      its logged gaps left missing) and NAB nyc_taxi summed to hours (whole, and its last
//      5 weeks 4 days), each on 4 rolling origins with h = 48 exactly as the held-out series is
//      scored; Mosaic's AutoForecaster (and MSTL alone, and without hygiene) against
//      statsforecast MSTL([24, 168]), AutoETS, AutoARIMA and SeasonalNaive on the same folds
//      through statsforecast_folds.py: MASE per fold and its mean, 80 % / 95 % coverage.
//      --dev-only runs only this section; --statsforecast-folds-json FILE reads a stored
//      statsforecast_folds.py output instead of running it; --dev-folds-csv FILE writes the
//      folds for statsforecast_folds.py and stops (to run it with fewer models).
//   5. Stress series (StressSeries.swift, only with --stress): the development series with a
//      multi-day shutdown (zeros, near-zeros, a recovery ramp, a level shift) or a 3-day gap
//      written in at the start, mid-training or just before the first origin; the same folds
//      and scores as section 4. --stress-folds-csv FILE writes their folds for
//      statsforecast_folds.py and stops; --stress-statsforecast-json A.json[,B.json] reads its
//      outputs (merged model by model) instead of running it (without AutoARIMA).
//   3. NAB nyc_taxi (30-minute steps, daily 48 and weekly 336 seasonality): one-step fitted
//      values and residual scale of AutoForecaster(period: 48, horizon: 48, secondaryPeriod: 336)
//      and of a harmonic regression with both periods, anomalies flagged at levels 99 and 99.9
//      by AnomalyDetector.detect and scored against labels/combined_windows.json.
// Everything is printed as Markdown tables. Not part of `swift test`.
import BenchmarkSupport
import Foundation
import MosaicCore
import MosaicLearn

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Helpers

let options = BenchmarkOptions("ForecastBenchmark")
func seconds(since start: DispatchTime) -> Double { Bench.seconds(since: start) }
func say(_ message: String) { options.say(message) }
func f2(_ v: Double?) -> String { Bench.fixed(v, 2) }
func f3(_ v: Double?) -> String { Bench.fixed(v, 3) }
func f4(_ v: Double?) -> String { Bench.fixed(v, 4) }
func pct(_ v: Double?) -> String { v.map { String(format: "%.1f %%", 100 * $0) } ?? "" }
func secs(_ v: Double?) -> String {
    guard let v else { return "" }
    return v < 0.01 ? String(format: "%.4f", v) : (v < 100 ? String(format: "%.2f", v) : String(format: "%.0f", v))
}

/// Write-once slots filled from `concurrentPerform`, read after it returns.
final class Slots<Value>: @unchecked Sendable {
    private var storage: [Value?]
    init(count: Int) { storage = [Value?](repeating: nil, count: count) }
    func set(_ i: Int, _ v: Value) { storage.withUnsafeMutableBufferPointer { $0[i] = v } }
    var values: [Value] { storage.map { $0! } }
}

/// `body(i)` for every i on all cores, results in order.
func parallelMap<T>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let slots = Slots<T>(count: count)
    DispatchQueue.concurrentPerform(iterations: count) { i in slots.set(i, body(i)) }
    return slots.values
}

/// Splits one CSV line, honouring double quotes (no embedded newlines).
func csvFields(_ line: Substring) -> [String] {
    var fields: [String] = []
    var current = ""
    var quoted = false
    var iterator = line.makeIterator()
    while let c = iterator.next() {
        if quoted {
            if c == "\"" { quoted = false } else { current.append(c) }
        } else if c == "\"" {
            quoted = true
        } else if c == "," {
            fields.append(current)
            current = ""
        } else {
            current.append(c)
        }
    }
    fields.append(current)
    return fields
}

func readLines(_ path: String) -> [Substring]? {
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
        return nil
    }
    return text.split(whereSeparator: \.isNewline)
}

// MARK: - Options

let shared = options.value("--shared") ?? ProcessInfo.processInfo.environment["MOSAIC_SHARED"] ?? "../shared"
let runPython = !options.flag("--no-python")
let savedStatsforecast = options.value("--statsforecast-json")
/// Read before any fit, so that a missing file name stops the run at once.
let perSeriesPath = options.value("--m4-per-series")
let runCandidates = options.flag("--candidates")
let stressOnly = options.flag("--stress")
let developmentOnly = options.flag("--dev-only") || stressOnly
let m4Validation = options.flag("--m4-validation")
/// `--m4-history N` (with --m4-validation): only the last N hours of each training series, the
/// last 48 of them held out: short histories (the held-out series has about four weeks).
let m4History: Int? = options.value("--m4-history").map { text in
    guard let hours = Int(text) else { options.fail("--m4-history takes a number of hours, not \(text)") }
    return hours
}
if let h = m4History, !m4Validation || h < 48 + 25 { options.fail("--m4-history goes with --m4-validation and is at least 73 hours") }
let levels = [80.0, 95.0]
let scriptPath: String = {
    let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("statsforecast_m4.py").path
    return FileManager.default.fileExists(atPath: here) ? here : "Benchmarks/ForecastBenchmark/statsforecast_m4.py"
}()

print("# ForecastBenchmark")
print("")
print("shared data: \(shared); OPENBLAS_NUM_THREADS=\(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset"); \(ProcessInfo.processInfo.activeProcessorCount) cores; load average \(loadAverage())")
print("")

func loadAverage() -> String {
    var loads = [Double](repeating: 0, count: 3)
    guard getloadavg(&loads, 3) == 3 else { return "?" }
    return loads.map { String(format: "%.2f", $0) }.joined(separator: " ")
}

// MARK: - 1. M4 Hourly

struct M4Series: Sendable {
    var id: String
    var train: [Double]
    var test: [Double]
}

func readM4(folder: String) -> [M4Series]? {
    func read(_ name: String) -> [(String, [Double])]? {
        guard let lines = readLines(folder + "/" + name) else { return nil }
        return lines.dropFirst().map { line in
            let fields = csvFields(line)
            return (fields[0], fields.dropFirst().compactMap { $0.isEmpty ? nil : Double($0) })
        }
    }
    guard let train = read("Hourly-train.csv"), let test = read("Hourly-test.csv") else { return nil }
    precondition(train.count == test.count && zip(train, test).allSatisfy { $0.0 == $1.0 },
                 "Hourly-train.csv and Hourly-test.csv list different series")
    return zip(train, test).map { M4Series(id: $0.0, train: $0.1, test: $1.1) }
}

/// M4 scores of one method over all series, with interval coverage and wall time.
struct M4Score {
    var name: String
    var summary: ForecastMetrics.Summary
    var coverage: [Double: Double]
    /// The mean over series of M4's MSIS of the 95 % interval (lower is better).
    var msis95: Double
    /// The 80 % coverage over the hours whose forecast is below each series' median forecast,
    /// and over the others: calibrated intervals cover about 80 % in both.
    var coverage80Low: Double?, coverage80High: Double?
    var seconds: Double
    var failures: Int = 0
}

/// Counts of actual values inside an 80 % interval, over the hours of a forecast path whose
/// forecast lies below its median and over the rest.
struct LevelCoverage {
    var inside = [0, 0], count = [0, 0]

    mutating func add(actual: [Double], mean: [Double], interval: Forecast.Interval) {
        let median = mean.sorted()[mean.count / 2]
        for k in actual.indices where actual[k].isFinite {
            let half = mean[k] < median ? 0 : 1
            count[half] += 1
            if interval.lower[k] <= actual[k] && actual[k] <= interval.upper[k] { inside[half] += 1 }
        }
    }

    /// Nil where no hour is below the median (a flat forecast).
    var low: Double? { count[0] > 0 ? Double(inside[0]) / Double(count[0]) : nil }
    var high: Double? { count[1] > 0 ? Double(inside[1]) / Double(count[1]) : nil }
}

func score(_ name: String, _ data: [M4Series], _ forecasts: [Forecast], seconds: Double, failures: Int = 0) -> M4Score {
    var summary = ForecastMetrics.Summary(period: 24)
    var inside = [Double: Double]()
    var msis = 0.0
    var byLevel = LevelCoverage()
    for (s, f) in zip(data, forecasts) {
        summary.add(training: s.train, actual: s.test, forecast: f.mean)
        for level in levels {
            if let interval = f.interval(level: level) {
                inside[level, default: 0] += ForecastMetrics.coverage(actual: s.test, interval: interval)
            }
        }
        if let i95 = f.interval(level: 95) { msis += ForecastMetrics.msis(actual: s.test, interval: i95, training: s.train, period: 24) }
        if let i80 = f.interval(level: 80) { byLevel.add(actual: s.test, mean: f.mean, interval: i80) }
    }
    return M4Score(name: name, summary: summary, coverage: inside.mapValues { $0 / Double(data.count) },
                   msis95: msis / Double(data.count), coverage80Low: byLevel.low, coverage80High: byLevel.high,
                   seconds: seconds, failures: failures)
}

/// Fits `forecaster` to every series on all cores and forecasts 48 steps with intervals;
/// a series it cannot fit gets the seasonal naive forecast (counted in `failures`).
func runEach<F: Forecaster>(_ name: String, _ forecaster: F, _ data: [M4Series]) -> M4Score {
    let start = DispatchTime.now()
    let results: [Forecast?] = parallelMap(data.count) { i in
        try? forecaster.fit(data[i].train).forecast(horizon: 48, levels: levels)
    }
    let elapsed = seconds(since: start)
    let failures = results.filter { $0 == nil }.count
    let forecasts = results.enumerated().map { i, f in
        f ?? (try! SeasonalNaive(period: 24).fit(data[i].train)).forecast(horizon: 48, levels: levels)
    }
    return score(name, data, forecasts, seconds: elapsed, failures: failures)
}

struct Published {
    var method: String
    var smape: Double?
    var mase: Double?
    var owa: Double?
    var notes: String
}

func readPublished(_ path: String) -> [Published] {
    guard let lines = readLines(path) else { return [] }
    return lines.dropFirst().map { line in
        let f = csvFields(line)
        return Published(method: f[1], smape: Double(f[3]), mase: Double(f[4]), owa: Double(f[5]), notes: f.count > 7 ? f[7] : "")
    }
}

/// The published wall time in a statsforecast row's notes ("time 12.92 min").
func publishedMinutes(_ notes: String) -> String {
    guard let r = notes.range(of: #"time [0-9.]+ min"#, options: .regularExpression) else { return "" }
    return String(notes[r]).replacingOccurrences(of: "time ", with: "")
}

struct M4Results {
    var seasonalNaive: M4Score
    var auto: M4Score
    /// AutoForecaster's forecasts, by series id (for the Python scorer's cross-check).
    var autoForecasts: [(String, Forecast)]
    var chosen: [(String, Int)]
    var candidates: [M4Score]
    /// AutoForecaster with one interval width at every level (before level-scaled intervals).
    var oneWidth: M4Score
    /// CPU seconds (both cores together) of AutoForecaster's 414 fits and forecasts.
    var autoCPU: Double = 0
}

func runM4(folder: String) -> M4Results? {
    guard var data = readM4(folder: folder) else {
        print("**M4 Hourly skipped**: \(folder)/Hourly-train.csv or Hourly-test.csv not found (pass --shared DIR, the folder that holds datasets/).")
        print("")
        return nil
    }
    if m4Validation {
        // Development without the public test set: the last 48 training hours are the test.
        data = data.map { s in
            let kept = m4History.map { Array(s.train.suffix($0)) } ?? s.train
            return M4Series(id: s.id, train: Array(kept.dropLast(48)), test: Array(kept.suffix(48)))
        }
        print("**Validation run (--m4-validation):** each series' last 48 training hours are held out as its test\(m4History.map { ", of its last \($0) hours" } ?? ""); the M4 test set is not scored, so the published rows and the scorer check do not apply.")
        print("")
    }
    let values = data.reduce(0) { $0 + $1.train.count }
    print("## 1. M4 Hourly: \(data.count) series, \(values) training values, h = 48, m = 24")
    print("")

    // Seasonal naive alone (also proves the scorer against the published 13.912 / 1.193).
    let seasonalNaive = runEach("Mosaic SeasonalNaive(24)", SeasonalNaive(period: 24), data)

    // AutoForecaster: all fits concurrently across series, then all forecasts.
    let auto = AutoForecaster(period: 24, horizon: 48)
    say("fitting AutoForecaster on \(data.count) series (candidates: \(auto.candidates.map(\.name).joined(separator: "; ")))…")
    let start = DispatchTime.now()
    let cpuStart = Bench.cpuSeconds()
    let fits = auto.fit(data.map(\.train), concurrently: true)
    let forecasts: [Forecast?] = parallelMap(data.count) { i in
        (try? fits[i].get())?.forecast(horizon: 48, levels: levels)
    }
    let elapsed = seconds(since: start)
    let cpu = Bench.cpuSeconds() - cpuStart
    var failures = 0
    let filled = forecasts.enumerated().map { i, f -> Forecast in
        if let f { return f }
        failures += 1
        if case .failure(let e) = fits[i] { say("\(data[i].id): AutoForecaster failed: \(e)") }
        return (try! SeasonalNaive(period: 24).fit(data[i].train)).forecast(horizon: 48, levels: levels)
    }
    let autoScore = score("Mosaic AutoForecaster(24, h 48)", data, filled, seconds: elapsed, failures: failures)
    if let path = perSeriesPath {
        // One line per series: id, MASE, the choice and the hygiene's outages (for diagnosis).
        var text = "id,mase,chosen,outages\n"
        for (i, s) in data.enumerated() {
            let fit = try? fits[i].get()
            let mase = ForecastMetrics.mase(actual: s.test, forecast: filled[i].mean, training: s.train, period: 24)
            let outages = (fit?.outages ?? []).map { "\($0[0])-\($0[1])" }.joined(separator: " ")
            text += "\(s.id),\(mase),\(fit?.chosen.joined(separator: " + ") ?? "failed"),\(outages)\n"
        }
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch { say("cannot write \(path): \(error)") }
    }
    var tally: [String: Int] = [:]
    for case .success(let f) in fits { tally[f.chosen.joined(separator: " + "), default: 0] += 1 }
    let chosen = tally.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }

    var candidates: [M4Score] = []
    if runCandidates {
        for c in auto.candidates {
            say("candidate alone: \(c.name)…")
            candidates.append(runEach(c.name, c, data))
        }
    }
    var sameWidth = auto
    sameWidth.levelScaledIntervals = false
    say("AutoForecaster with one interval width at every level…")
    let oneWidth = runEach("Mosaic AutoForecaster, one interval width", sameWidth, data)
    return M4Results(seasonalNaive: seasonalNaive, auto: autoScore, autoForecasts: zip(data, filled).map { ($0.id, $1) },
                     chosen: chosen, candidates: candidates, oneWidth: oneWidth, autoCPU: cpu)
}

func printM4(_ r: M4Results, published: [Published]) {
    func find(_ needle: String) -> Published? { published.first { $0.method.contains(needle) } }
    let naive2 = r.auto.summary
    print("| method | source | sMAPE | MASE | OWA | 80 % coverage | 95 % coverage | MSIS (95 %) | 80 % cov., hours below / above the median forecast | wall s, 414 fits + forecasts |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    let rows: [(String, String, String)] = [
        ("ID 238:", "Doornik, Hendry & Castle (best hourly OWA)", "M4 published"),
        ("ID 118:", "Smyl ES-RNN (M4 overall winner)", "M4 published"),
        ("statsforecast AutoARIMA (auto_arima_nixtla)", "statsforecast AutoARIMA", "statsforecast repo"),
        ("statsforecast ETS (ets_statsforecast)", "statsforecast AutoETS", "statsforecast repo"),
        ("sNaive (M4 benchmark)", "sNaive (M4 benchmark)", "M4 published"),
        ("Naive2 (M4 benchmark)", "Naive2 (M4 benchmark)", "M4 published"),
    ]
    for (needle, label, source) in rows {
        guard let p = find(needle) else { print("| \(label) | not in m4_hourly_published_accuracy.csv | | | | | | | | |"); continue }
        let minutes = publishedMinutes(p.notes)
        print("| \(label) | \(source) | \(f3(p.smape)) | \(f3(p.mase)) | \(f3(p.owa)) | | | | | \(minutes.isEmpty ? "" : "(\(minutes), their machine)") |")
    }
    print("| Naive2 (this scorer) | measured | \(f3(naive2.naive2Smape)) | \(f3(naive2.naive2Mase)) | 1.000 | | | | | |")
    for s in [r.seasonalNaive] + r.candidates + [r.oneWidth, r.auto] {
        let name = s.name.hasPrefix("Mosaic") ? "**\(s.name)**" : "Mosaic candidate alone: \(s.name)"
        let fail = s.failures > 0 ? " (\(s.failures) fits failed → seasonal naive)" : ""
        print("| \(name)\(fail) | measured | \(f3(s.summary.smape)) | \(f3(s.summary.mase)) | \(f3(s.summary.owa)) | \(pct(s.coverage[80])) | \(pct(s.coverage[95])) | \(f3(s.msis95)) | \(pct(s.coverage80Low)) / \(pct(s.coverage80High)) | \(secs(s.seconds)) |")
    }
    print("")
    let sn = r.seasonalNaive.summary
    let snOK = String(format: "%.3f", sn.smape) == "13.912" && String(format: "%.3f", sn.mase) == "1.193"
    let n2OK = String(format: "%.3f", naive2.naive2Smape) == "18.383" && String(format: "%.3f", naive2.naive2Mase) == "2.395"
    print("Scorer check: SeasonalNaive sMAPE \(f3(sn.smape)), MASE \(f3(sn.mase)) vs published 13.912 / 1.193: \(snOK ? "match" : "MISMATCH"); Naive2 \(f3(naive2.naive2Smape)) / \(f3(naive2.naive2Mase)) vs published 18.383 / 2.395: \(n2OK ? "match" : "MISMATCH").")
    print("")
    let a = r.auto
    print("| goal | target | Mosaic AutoForecaster | met? |")
    print("|---|---|---:|---|")
    print("| MASE | ≤ 0.92 (statsforecast AutoARIMA) | \(f3(a.summary.mase)) | \(a.summary.mase <= 0.92 ? "yes" : "no") |")
    print("| MASE, stretch | ≤ 0.80 | \(f3(a.summary.mase)) | \(a.summary.mase <= 0.80 ? "yes" : "no") |")
    print("| wall time, 414 fits + forecasts | < 10 s | \(secs(a.seconds)) s (CPU \(secs(r.autoCPU)) s on 2 cores; load average \(loadAverage())) | \(a.seconds < 10 ? "yes" : "no") |")
    print("")
    print("Chosen by AutoForecaster (series count):")
    print("")
    print("| chosen | series |")
    print("|---|---:|")
    for (name, count) in r.chosen.prefix(12) { print("| \(name) | \(count) |") }
    if r.chosen.count > 12 { print("| (\(r.chosen.count - 12) other choices) | \(r.chosen.dropFirst(12).reduce(0) { $0 + $1.1 }) |") }
    print("")
}

let m4Folder = shared + "/datasets/m4-hourly"
let m4 = developmentOnly ? nil : runM4(folder: m4Folder)
if let m4 { printM4(m4, published: readPublished(m4Folder + "/m4_hourly_published_accuracy.csv")) }

// MARK: - 2. statsforecast side by side

func pythonHasStatsforecast() -> Bool { Bench.python3(["-c", "import statsforecast"], quiet: true)?.status == 0 }

func runStatsforecast(_ r: M4Results) -> [String: Any]? {
    if let savedStatsforecast {
        guard let data = FileManager.default.contents(atPath: savedStatsforecast),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            say("cannot read \(savedStatsforecast)"); return nil
        }
        print("statsforecast results read from \(savedStatsforecast) (not rerun in this process).")
        print("")
        return json
    }
    guard runPython else { print("statsforecast comparison skipped (--no-python)."); print(""); return nil }
    guard pythonHasStatsforecast() else {
        print("statsforecast comparison skipped: `python3 -c \"import statsforecast\"` fails. Install it with `pip install statsforecast`.")
        print("")
        return nil
    }
    say("running python3 \(scriptPath) --shared \(shared) --n-jobs 2 (OPENBLAS_NUM_THREADS=1; several minutes)…")
    // Mosaic's forecasts, for the script to score with its own M4 code (a cross-check).
    let forecastFile = FileManager.default.temporaryDirectory.appendingPathComponent("mosaic-m4-hourly-forecasts-\(getpid()).csv")
    let boundsFile = FileManager.default.temporaryDirectory.appendingPathComponent("mosaic-m4-hourly-bounds95-\(getpid()).csv")
    let rows = r.autoForecasts.map { id, f in ([id] + f.mean.map { String($0) }).joined(separator: ",") }
    let bounds = r.autoForecasts.compactMap { id, f in
        f.interval(level: 95).map { i in ([id] + (i.lower + i.upper).map { String($0) }).joined(separator: ",") }
    }
    try? (rows.joined(separator: "\n") + "\n").write(to: forecastFile, atomically: true, encoding: .utf8)
    try? (bounds.joined(separator: "\n") + "\n").write(to: boundsFile, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: forecastFile); try? FileManager.default.removeItem(at: boundsFile) }
    let start = DispatchTime.now()
    guard let run = Bench.python3([scriptPath, "--shared", shared, "--n-jobs", "2", "--score-forecasts", forecastFile.path,
                                   "--score-intervals", boundsFile.path]) else {
        say("cannot start python3"); return nil
    }
    guard run.status == 0, let json = try? JSONSerialization.jsonObject(with: run.output) as? [String: Any] else {
        print("statsforecast_m4.py failed (exit \(run.status)); comparison skipped.")
        print("")
        return nil
    }
    print("statsforecast_m4.py ran in \(secs(seconds(since: start))) s (statsforecast \(((json["versions"] as? [String: Any])?["statsforecast"] as? String) ?? "?"), n_jobs 2).")
    print("")
    return json
}

func printStatsforecast(_ json: [String: Any], _ r: M4Results) {
    let models = json["models"] as? [String: [String: Any]] ?? [:]
    let naive2 = json["naive2"] as? [String: Any] ?? [:]
    print("## 2. statsforecast on the same 414 series, same run")
    print("")
    print("Python's own M4 scorer (in statsforecast_m4.py): Naive2 sMAPE \(f3(naive2["smape"] as? Double)), MASE \(f3(naive2["mase"] as? Double)) (Swift scorer: \(f3(r.auto.summary.naive2Smape)), \(f3(r.auto.summary.naive2Mase))).")
    print("")
    let mine = r.auto
    if let external = json["external"] as? [String: Any] {
        if let error = external["error"] as? String {
            print("Python's scorer on Mosaic AutoForecaster's forecasts: \(error).")
        } else {
            print("Python's scorer on Mosaic AutoForecaster's own forecasts: sMAPE \(f3(external["smape"] as? Double)), MASE \(f3(external["mase"] as? Double)), OWA \(f3(external["owa"] as? Double)), 95 % coverage \(pct(external["coverage_95"] as? Double)), MSIS \(f3(external["msis_95"] as? Double)) (Swift scorer: \(f3(mine.summary.smape)), \(f3(mine.summary.mase)), \(f3(mine.summary.owa)), \(pct(mine.coverage[95])), \(f3(mine.msis95))).")
        }
        print("")
    }
    print("| model | sMAPE | MASE | OWA | 80 % cov. | 95 % cov. | MSIS (95 %) | wall s (414, 2 jobs) | Mosaic MASE ÷ theirs | Mosaic sMAPE ÷ theirs | their time ÷ Mosaic's |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in ["SeasonalNaive", "AutoETS", "MSTL"] {
        guard let m = models[name] else { continue }
        if let error = m["error"] as? String { print("| statsforecast \(name) | failed: \(error) | | | | | | | | | |"); continue }
        let smape = m["smape"] as? Double, mase = m["mase"] as? Double, wall = m["wall_s"] as? Double
        let label = name == "MSTL" ? "statsforecast MSTL([24, 168])" : "statsforecast \(name)(24)"
        let ours = name == "SeasonalNaive" ? r.seasonalNaive : mine
        let versus = name == "SeasonalNaive" ? " (vs Mosaic SeasonalNaive)" : ""
        print("| \(label)\(versus) | \(f3(smape)) | \(f3(mase)) | \(f3(m["owa"] as? Double)) | \(pct(m["coverage_80"] as? Double)) | \(pct(m["coverage_95"] as? Double)) | \(f3(m["msis_95"] as? Double)) | \(secs(wall)) | \(f2(mase.map { ours.summary.mase / $0 })) | \(f2(smape.map { ours.summary.smape / $0 })) | \(wall.map { String(format: "%.0f×", $0 / ours.seconds) } ?? "") |")
    }
    print("| **Mosaic AutoForecaster** | \(f3(mine.summary.smape)) | \(f3(mine.summary.mase)) | \(f3(mine.summary.owa)) | \(pct(mine.coverage[80])) | \(pct(mine.coverage[95])) | \(f3(mine.msis95)) | \(secs(mine.seconds)) | 1.00 | 1.00 | 1.0× |")
    print("| Mosaic SeasonalNaive(24) | \(f3(r.seasonalNaive.summary.smape)) | \(f3(r.seasonalNaive.summary.mase)) | \(f3(r.seasonalNaive.summary.owa)) | \(pct(r.seasonalNaive.coverage[80])) | \(pct(r.seasonalNaive.coverage[95])) | \(f3(r.seasonalNaive.msis95)) | \(secs(r.seasonalNaive.seconds)) | | | |")
    print("")
    let rivals = ["AutoETS", "MSTL"].compactMap { models[$0] }.filter { $0["error"] == nil }
    if !rivals.isEmpty {
        let moreAccurate = rivals.allSatisfy { (($0["mase"] as? Double) ?? 0) >= mine.summary.mase && (($0["smape"] as? Double) ?? 0) >= mine.summary.smape }
        let fastest = rivals.compactMap { $0["wall_s"] as? Double }.min() ?? 0
        print("Goals: Mosaic at least as accurate as AutoETS and MSTL (MASE and sMAPE): \(moreAccurate ? "yes" : "no"); ≥ 10× faster than the faster of them: \(fastest / mine.seconds >= 10 ? "yes" : "no") (\(String(format: "%.1f×", fastest / mine.seconds))).")
        print("")
    }
}

// The synthetic series of ref_forecast.py, against its stored results (not rerun).

func mix(_ z0: UInt64) -> UInt64 {
    var z = z0
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

func uniform(_ s: UInt64, _ k: Int) -> Double {
    Double(mix(42 &+ s &* (1 << 40) &+ UInt64(k + 1) &* 0x9E37_79B9_7F4A_7C15) >> 11) * 0x1p-53
}

/// ref_forecast.py's hourly series: 8 weeks, daily + weekly pattern, trend, noise from stream 3.
func syntheticSeries(weeks: Int = 8) -> [Double] {
    let n = 24 * 7 * weeks
    return (0..<n).map { t in
        let weekend = [5, 6].contains((t / 24) % 7)
        let mean = 1000.0 * (1 + 0.02 * Double(t) / 168) * (1 + 0.45 * sin(2 * Double.pi * Double(t - 8) / 24)) * (weekend ? 0.65 : 1)
        let z = (((uniform(3, 4 * t) + uniform(3, 4 * t + 1)) + uniform(3, 4 * t + 2)) + uniform(3, 4 * t + 3) - 2) * 3.0.squareRoot()
        return max(0, (mean + 1.5 * mean.squareRoot() * z + 0.5).rounded(.down))
    }
}

func runReferenceSynthetic(_ path: String) {
    guard let data = FileManager.default.contents(atPath: path),
          let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let syn = json["synthetic"] as? [String: Any], let models = syn["models"] as? [String: [String: Any]] else {
        print("ref_forecast.py comparison skipped: \(path) not found or unreadable.")
        print("")
        return
    }
    let y = syntheticSeries()
    let sum = Int(y.reduce(0, +))
    let trainCount = syn["n_train"] as? Int ?? 1075
    let h = y.count - trainCount
    let train = Array(y[0..<trainCount]), test = Array(y[trainCount...])
    print("### ref_forecast.py synthetic series (stored \(path), statsforecast \(((json["versions"] as? [String: Any])?["statsforecast"] as? String) ?? "?"), not rerun)")
    print("")
    print("Regenerated: n \(y.count), first \(y.prefix(5).map { String(Int($0)) }.joined(separator: ", ")), sum \(sum) (reference: first \((syn["first_values"] as? [Int])?.map(String.init).joined(separator: ", ") ?? "?"), sum \(syn["sum"] ?? "?")); train \(trainCount), h \(h), MASE with m = 24.")
    print("")
    func rmse(_ f: [Double]) -> Double { (zip(test, f).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(h)).squareRoot() }
    print("| model | MASE | sMAPE % | RMSE | fit + forecast s |")
    print("|---|---:|---:|---:|---:|")
    for key in ["SeasonalNaive_168", "SeasonalNaive_24", "AutoETS_24", "AutoETS_24_ZZA", "MSTL_24_168_trend_AutoETS", "AutoARIMA_nonseasonal"] {
        guard let m = models[key] else { continue }
        let sel = (m["selected_model"] as? String).map { " → \($0)" } ?? ""
        print("| statsforecast \(key)\(sel) | \(f4(m["MASE"] as? Double)) | \(f2(m["sMAPE"] as? Double)) | \(f2(m["RMSE"] as? Double)) | \(secs(m["fit_predict_s"] as? Double)) |")
    }
    for (label, forecaster) in [("AutoForecaster(24, h \(h))", AutoForecaster(period: 24, horizon: h)),
                                ("AutoForecaster(24, h 48)", AutoForecaster(period: 24, horizon: 48))] {
        let start = DispatchTime.now()
        do {
            let fitted = try forecaster.fit(train)
            let f = fitted.forecast(horizon: h, levels: []).mean
            let t = seconds(since: start)
            print("| **Mosaic \(label)** → \(fitted.chosen.joined(separator: " + ")) | \(f4(ForecastMetrics.mase(actual: test, forecast: f, training: train, period: 24))) | \(f2(ForecastMetrics.smape(actual: test, forecast: f))) | \(f2(rmse(f))) | \(secs(t)) |")
        } catch {
            print("| Mosaic \(label) | failed: \(error) | | | |")
        }
    }
    print("")
}

if let m4 {
    if let json = runStatsforecast(m4) { printStatsforecast(json, m4) }
}
if !developmentOnly { runReferenceSynthetic(shared + "/reference/results/forecast.json") }

// MARK: - 3. NAB nyc_taxi anomalies

func runNAB(folder: String) {
    let csvPath = folder + "/data/realKnownCause/nyc_taxi.csv"
    let labelsPath = folder + "/labels/combined_windows.json"
    guard let lines = readLines(csvPath), let labelData = FileManager.default.contents(atPath: labelsPath),
          let labels = try? JSONSerialization.jsonObject(with: labelData) as? [String: [[String]]],
          let rawWindows = labels["realKnownCause/nyc_taxi.csv"] else {
        print("**NAB skipped**: \(csvPath) or \(labelsPath) not found.")
        return
    }
    var times: [Int64] = [], values: [Double] = []
    for (i, line) in lines.dropFirst().enumerated() {
        let f = line.split(separator: ",")
        guard f.count == 2, let t = Timestamp.parse(String(f[0])), let v = Double(f[1]) else {
            print("**NAB skipped**: nyc_taxi.csv:\(i + 2): cannot read '\(line)'"); return
        }
        times.append(t); values.append(v)
    }
    let step: Int64 = 30 * 60 * Timestamp.microsPerSecond
    let offGrid = zip(times, times.dropFirst()).filter { $1 - $0 != step }.count
    let windows = rawWindows.compactMap { w -> (start: Int64, end: Int64)? in
        guard w.count == 2, let a = Timestamp.parse(w[0]), let b = Timestamp.parse(w[1]) else { return nil }
        return (a, b)
    }
    print("## 3. NAB nyc_taxi: \(values.count) half-hour values, \(Timestamp.format(times.first!)) → \(Timestamp.format(times.last!)), \(offGrid) off-grid steps; \(windows.count) labelled windows")
    print("")
    print("Fitted on the whole series (in-sample one-step-ahead predictions ŷₜ and the model's residual scale σ); a point is flagged when it is outside ŷₜ ± z·σ. Precision = flags inside a window / all flags; recall = windows with at least one flag / \(windows.count).")
    print("")
    /// One-step fitted values, residual scale and the chosen model's name.
    typealias Fit = (fittedValues: [Double], scale: Double, chosen: String)
    var autoScores: [AutoForecaster.Score] = []
    let models: [(String, () throws -> Fit)] = [
        ("AutoForecaster(period: 48, horizon: 48, secondaryPeriod: 336)", {
            let f = try AutoForecaster(period: 48, horizon: 48, secondaryPeriod: 336).fit(values)
            autoScores = f.scores
            return (f.fittedValues, f.residualScale, f.chosen.joined(separator: " + "))
        }),
        ("HarmonicRegression(48×auto + 336×auto, trend, AR ≤ 3 + 48,336)", {
            let f = try HarmonicRegression(seasonalities: [.init(period: 48), .init(period: 336)], trend: true,
                                           maxAROrder: 3, seasonalARPeriods: [48, 336]).fit(values)
            return (f.fittedValues, f.residualScale, AnyFittedForecaster.harmonicRegression(f).name)
        }),
    ]
    print("| model | chosen | fit s | σ | level | flags | in windows | outside | of which in week 1 | precision | recall | windows found |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (label, fit) in models {
        let start = DispatchTime.now()
        let fitted: Fit
        do { fitted = try fit() } catch {
            print("| \(label) | failed: \(error) | | | | | | | | | |")
            continue
        }
        let (fittedValues, scale, chosen) = fitted
        let fitSeconds = seconds(since: start)
        for level in [99.0, 99.9] {
            let anomalies = AnomalyDetector.detect(values: values, oneStepPredictions: fittedValues, residualScale: scale, level: level)
            let s = AnomalyDetector.score(flags: anomalies.map { times[$0.index] }, windows: windows)
            let firstWeek = anomalies.filter { $0.index < 336 }.count
            print("| \(label) | \(chosen) | \(secs(fitSeconds)) | \(String(format: "%.0f", scale)) | \(level) | \(anomalies.count) | \(s.truePositives) | \(s.falsePositives) | \(firstWeek) | \(f3(s.precision)) | \(f3(s.recall)) | \(s.windowsFound) / \(windows.count) |")
        }
    }
    print("")
    if !autoScores.isEmpty {
        print("AutoForecaster's cross-validation on nyc_taxi (mean MASE over 3 origins of 48 steps; blank = not scored):")
        print("")
        print("| candidate or combination | CV MASE |")
        print("|---|---:|")
        for s in autoScores { print("| \(s.name) | \(f4(s.mase)) |") }
        print("")
    }
}

if !developmentOnly { runNAB(folder: shared + "/datasets/nab-traffic") }

let foldScriptPath: String = {
    let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("statsforecast_folds.py").path
    return FileManager.default.fileExists(atPath: here) ? here : "Benchmarks/ForecastBenchmark/statsforecast_folds.py"
}()
if stressOnly {
    runStress(shared: shared, script: foldScriptPath, saved: options.value("--stress-statsforecast-json"),
              foldsOut: options.value("--stress-folds-csv"))
} else {
    runDevelopmentSeries(shared: shared, runPython: runPython, script: foldScriptPath, saved: options.value("--statsforecast-folds-json"),
                         foldsOut: options.value("--dev-folds-csv"))
}
