// Section 4 of ForecastBenchmark: real hourly development series (Twitter stream, NAB nyc_taxi
// aggregated to hours), each scored on 4 rolling origins with a 48-hour horizon (the last
// 4 × 48 hours: fold o trains on everything before n − 48·(4 − o) and forecasts the next 48),
// exactly as the held-out series is scored, for Mosaic and for statsforecast on the same folds.
import BenchmarkSupport
import Foundation
import MosaicCore
import MosaicLearn

#if canImport(Glibc)
import Glibc
#endif

/// One development series: hourly values, NaN where missing.
struct DevelopmentSeries {
    var name: String
    var values: [Double]
    var note: String
}

/// A fold: the training part and the 48 actual values after it.
struct Fold {
    var series: String
    var index: Int
    var train: [Double]
    var test: [Double]
    var id: String { "\(series)#\(index)" }
}

let developmentHorizon = 48
let developmentOrigins = 4

/// Reads a `timestamp,value` file on a regular grid; empty values are NaN. Nil with a message
/// when the file is missing or malformed.
func readTimestampValue(_ path: String) -> (times: [Int64], values: [Double])? {
    guard let lines = readLines(path) else { say("\(path): not found"); return nil }
    var times: [Int64] = [], values: [Double] = []
    for (i, line) in lines.dropFirst().enumerated() {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        guard f.count == 2, let t = Timestamp.parse(String(f[0])) else { say("\(path):\(i + 2): cannot read '\(line)'"); return nil }
        let v: Double
        if f[1].isEmpty { v = .nan } else if let d = Double(f[1]) { v = d } else {
            say("\(path):\(i + 2): column value: '\(f[1])' is not a number"); return nil
        }
        times.append(t)
        values.append(v)
    }
    return (times, values)
}

/// NAB nyc_taxi summed to hours: the sum of the two half-hours starting at each whole hour
/// (2014-07-01 00:00 onwards). Nil with a message when the file is missing or malformed.
func loadTaxiHourly(shared: String) -> [Double]? {
    let taxi = shared + "/datasets/nab-traffic/data/realKnownCause/nyc_taxi.csv"
    guard let (times, values) = readTimestampValue(taxi) else { return nil }
    let halfHour: Int64 = 1800 * Timestamp.microsPerSecond
    var hourly: [Double] = []
    var i = 0
    while i + 1 < times.count {
        if times[i] % (2 * halfHour) == 0 && times[i + 1] - times[i] == halfHour {
            hourly.append(values[i] + values[i + 1])
            i += 2
        } else {
            i += 1
        }
    }
    return hourly
}

/// The first hour of February 2015 and of 2014-11-23 in ``loadTaxiHourly(shared:)``'s hours.
let taxiJanuaryEnd = 215 * 24  // hours from 2014-07-01 to 2015-02-01
let taxiNovemberEnd = 145 * 24  // hours from 2014-07-01 to 2014-11-23

func loadDevelopmentSeries(shared: String) -> [DevelopmentSeries] {
    var out: [DevelopmentSeries] = []
    let twitter = shared + "/datasets/twitter-stream-2021-08/twitter_stream_hourly.csv"
    if let (times, values) = readTimestampValue(twitter) {
        let step: Int64 = 3600 * Timestamp.microsPerSecond
        if zip(times, times.dropFirst()).allSatisfy({ $1 - $0 == step }) {
            out.append(DevelopmentSeries(name: "twitter-stream-2021-08 (hourly)", values: values,
                                         note: "\(values.count) h, \(values.filter(\.isNaN).count) missing (left empty in the file)"))
        } else {
            say("\(twitter): not on an hourly grid; skipped")
        }
    }
    if let hourly = loadTaxiHourly(shared: shared) {
        // Two windows of 4 weeks' training at the first origin plus the 4 × 48 scored hours, like
        // the held-out series (the whole 5,160 hours would take statsforecast's AutoARIMA far too
        // long): the last one (its folds hold the 2015-01-26/27 blizzard, when demand collapsed)
        // and the one ending 2014-11-23 00:00 (the NYC marathon and the end of summer time on
        // 2014-11-02 in its training part).
        let length = 4 * 168 + developmentOrigins * developmentHorizon
        let novemberEnd = taxiNovemberEnd
        if hourly.count >= novemberEnd {
            out.append(DevelopmentSeries(name: "NAB nyc_taxi hourly, to 2015-02-01", values: Array(hourly.suffix(length)),
                                         note: "\(length) h, 2014-12-27 → 2015-01-31 (summed half-hours)"))
            out.append(DevelopmentSeries(name: "NAB nyc_taxi hourly, to 2014-11-23", values: Array(hourly[(novemberEnd - length)..<novemberEnd]),
                                         note: "\(length) h, 2014-10-18 → 2014-11-22 (summed half-hours)"))
        }
    }
    return out
}

func folds(of s: DevelopmentSeries) -> [Fold] {
    let n = s.values.count, h = developmentHorizon
    return (0..<developmentOrigins).compactMap { o in
        let cut = n - h * (developmentOrigins - o)
        guard cut > 2 * 24 else { return nil }
        return Fold(series: s.name, index: o, train: Array(s.values[0..<cut]), test: Array(s.values[cut..<(cut + h)]))
    }
}

/// One method's forecasts on every fold, with intervals.
struct FoldForecasts {
    var model: String
    var forecasts: [String: Forecast]  // by fold id
    var seconds: Double
    var note: String = ""
}

/// MASE of one fold: mean |y − f| over the known actual values, over the in-sample
/// seasonal-naive (m = 24) mean absolute difference of the known training pairs.
func foldMASE(_ fold: Fold, _ f: [Double]) -> Double {
    var num = 0.0, count = 0
    for (y, p) in zip(fold.test, f) where y.isFinite { num += abs(y - p); count += 1 }
    return (num / Double(max(count, 1))) / foldScale(fold)
}

/// The in-sample seasonal-naive (m = 24) mean absolute difference of a fold's known training
/// pairs: `mosaic forecast --holdout`'s scale.
func foldScale(_ fold: Fold) -> Double { ForecastMetrics.maseScale(fold.train, period: 24) }

/// M4's MSIS of a fold's interval over its known actual values, on the scale of ``foldMASE``.
func foldMSIS(_ fold: Fold, _ interval: Forecast.Interval) -> Double {
    let known = fold.test.indices.filter { fold.test[$0].isFinite }
    guard !known.isEmpty else { return .nan }
    let subset = Forecast.Interval(level: interval.level, lower: known.map { interval.lower[$0] }, upper: known.map { interval.upper[$0] })
    return ForecastMetrics.msis(actual: known.map { fold.test[$0] }, interval: subset, scale: foldScale(fold))
}

struct FoldScore {
    var foldMASE: [Double]
    var meanMASE: Double
    var worstMASE: Double
    var coverage80: Double
    var coverage95: Double
    var worstCoverage80: Double
    /// The mean over folds of the 95 % interval's MSIS (nil when a fold has no 95 % interval).
    var msis95: Double?
    /// 80 % coverage over the hours below each fold's median forecast, and over the rest.
    var coverage80Low: Double?, coverage80High: Double?
}

func scoreFolds(_ folds: [Fold], _ r: FoldForecasts) -> FoldScore? {
    var mases: [Double] = [], inside: [Double: Int] = [:], total = 0
    var worst80 = 1.0
    var msis: [Double]? = []
    var byLevel = LevelCoverage()
    for fold in folds {
        guard let f = r.forecasts[fold.id] else { return nil }
        mases.append(foldMASE(fold, f.mean))
        if let i95 = f.interval(level: 95) { msis?.append(foldMSIS(fold, i95)) } else { msis = nil }
        if let i80 = f.interval(level: 80) { byLevel.add(actual: fold.test, mean: f.mean, interval: i80) }
        var known = 0, in80 = 0
        for k in 0..<fold.test.count where fold.test[k].isFinite {
            known += 1
            for level in [80.0, 95.0] {
                if let i = f.interval(level: level), i.lower[k] <= fold.test[k] && fold.test[k] <= i.upper[k] {
                    inside[level, default: 0] += 1
                    if level == 80 { in80 += 1 }
                }
            }
        }
        total += known
        if known > 0 { worst80 = min(worst80, Double(in80) / Double(known)) }
    }
    return FoldScore(foldMASE: mases, meanMASE: mases.reduce(0, +) / Double(mases.count), worstMASE: mases.max() ?? .nan,
                     coverage80: Double(inside[80] ?? 0) / Double(max(total, 1)),
                     coverage95: Double(inside[95] ?? 0) / Double(max(total, 1)), worstCoverage80: worst80,
                     msis95: msis.map { $0.reduce(0, +) / Double(max($0.count, 1)) },
                     coverage80Low: byLevel.low, coverage80High: byLevel.high)
}

func runMosaic(_ label: String, _ auto: AutoForecaster, _ folds: [Fold], chosen: inout [String: String]) -> FoldForecasts {
    var out: [String: Forecast] = [:]
    let start = DispatchTime.now()
    for fold in folds {
        do {
            let fit = try auto.fit(fold.train)
            out[fold.id] = fit.forecast(horizon: developmentHorizon, levels: [80, 95])
            chosen[fold.id] = fit.chosen.joined(separator: " + ")
                + (fit.outages.map { " [\($0.count) runs replaced]" } ?? "")
                + (fit.levelShiftAt.map { " [level shift at \($0)]" } ?? "")
        } catch {
            say("\(label) on \(fold.id): \(error)")
        }
    }
    return FoldForecasts(model: label, forecasts: out, seconds: seconds(since: start))
}

func runStatsforecastFolds(_ folds: [Fold], script: String, saved: String?) -> ([FoldForecasts], String)? {
    if let saved {
        guard let data = FileManager.default.contents(atPath: saved) else { say("cannot read \(saved)"); return nil }
        print("statsforecast's fold forecasts read from \(saved) (statsforecast_folds.py output on these folds; not rerun in this process).")
        print("")
        return parseStatsforecastFolds(data)
    }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("mosaic-dev-folds-\(getpid()).csv")
    guard (try? foldsCSV(folds).write(to: file, atomically: true, encoding: .utf8)) != nil else { return nil }
    defer { try? FileManager.default.removeItem(at: file) }
    guard let run = Bench.python3([script, "--folds", file.path, "--n-jobs", "2", "--h", "\(developmentHorizon)"]) else {
        say("cannot start python3"); return nil
    }
    guard run.status == 0 else { say("statsforecast_folds.py failed (exit \(run.status))"); return nil }
    let data = run.output
    return parseStatsforecastFolds(data)
}

func parseStatsforecastFolds(_ data: Data) -> ([FoldForecasts], String)? {
    guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let models = json["models"] as? [String: [String: Any]] else {
        say("statsforecast_folds.py's output is not the expected JSON")
        return nil
    }
    let version = ((json["versions"] as? [String: Any])?["statsforecast"] as? String) ?? "?"
    var out: [FoldForecasts] = []
    for name in ["MSTL", "AutoETS", "AutoARIMA", "SeasonalNaive"] {
        guard let m = models[name] else { continue }
        if let error = m["error"] as? String { out.append(FoldForecasts(model: "statsforecast \(name)", forecasts: [:], seconds: 0, note: error)); continue }
        var forecasts: [String: Forecast] = [:]
        for (id, any) in (m["folds"] as? [String: [String: [Double]]]) ?? [:] {
            guard let mean = any["mean"], let lo80 = any["lo80"], let hi80 = any["hi80"], let lo95 = any["lo95"], let hi95 = any["hi95"] else { continue }
            forecasts[id] = Forecast(mean: mean, intervals: [.init(level: 80, lower: lo80, upper: hi80), .init(level: 95, lower: lo95, upper: hi95)])
        }
        let label = name == "MSTL" ? "statsforecast MSTL([24, 168])" : "statsforecast \(name)(24)"
        out.append(FoldForecasts(model: label, forecasts: forecasts, seconds: m["wall_s"] as? Double ?? 0))
    }
    return (out, version)
}

func runDevelopmentSeries(shared: String, runPython: Bool, script: String, saved: String?, foldsOut: String?) {
    let series = loadDevelopmentSeries(shared: shared)
    guard !series.isEmpty else { print("**Development series skipped**: none found under \(shared)/datasets."); return }
    if let foldsOut {
        let all = series.flatMap { folds(of: $0) }
        do { try foldsCSV(all).write(toFile: foldsOut, atomically: true, encoding: .utf8) } catch { say("cannot write \(foldsOut): \(error)") }
        say("wrote \(all.count) development folds to \(foldsOut)")
        return
    }
    print("## 4. Development series: \(developmentOrigins) rolling origins, h = \(developmentHorizon), MASE with m = 24")
    print("")
    print("Fold o (0–3) trains on every value before n − 48·(4 − o) and forecasts the next 48 hours. MASE per fold (missing actual values not scored; scale: in-sample seasonal-naive MAE over the known training pairs), averaged over the folds; coverage over all scored hours of the 4 folds; the worst fold's 80 % coverage. statsforecast gets missing training values linearly interpolated (it cannot take NaN); Mosaic gets them as missing.")
    print("")
    var allFolds: [Fold] = []
    for s in series { allFolds += folds(of: s) }
    var sf: [FoldForecasts] = []
    var sfVersion = ""
    if saved != nil || (runPython && pythonHasStatsforecast()) {
        say("running statsforecast on \(allFolds.count) development folds…")
        if let (r, v) = runStatsforecastFolds(allFolds, script: script, saved: saved) { sf = r; sfVersion = v }
    } else {
        print("statsforecast skipped on the development series (--no-python, or `import statsforecast` fails).")
        print("")
    }
    var chosen: [String: String] = [:]
    var ignored: [String: String] = [:]
    let mosaic = runMosaic("**Mosaic AutoForecaster(24, h 48)**", AutoForecaster(period: 24, horizon: developmentHorizon), allFolds, chosen: &chosen)
    var sameWidth = AutoForecaster(period: 24, horizon: developmentHorizon)
    sameWidth.levelScaledIntervals = false
    let oneWidth = runMosaic("Mosaic, one interval width", sameWidth, allFolds, chosen: &ignored)
    let mstlAlone = runMosaic("Mosaic MSTL(24, 168) alone (hygiene, conformal)", AutoForecaster(
        period: 24, horizon: developmentHorizon, candidates: [.mstl(MSTL.candidate(periods: [24, 168]))]), allFolds, chosen: &ignored)
    let noHygiene = runMosaic("Mosaic AutoForecaster without hygiene", AutoForecaster(period: 24, horizon: developmentHorizon, hygiene: false),
                              allFolds.map { f in var g = f; g.train = SeriesHygiene.interpolate(f.train); return g }, chosen: &ignored)
    if !sfVersion.isEmpty { print("statsforecast \(sfVersion), same folds\(saved == nil ? ", same run" : "").") ; print("") }
    print("| series | model | mean MASE | MASE per fold | 80 % cov. | 95 % cov. | worst fold 80 % cov. | MSIS (95 %) | 80 % cov., hours below / above the median forecast | wall s (all folds) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in series {
        let fs = allFolds.filter { $0.series == s.name }
        for r in [mosaic, oneWidth, mstlAlone, noHygiene] + sf {
            if !r.note.isEmpty { print("| \(s.name) | \(r.model) | failed: \(r.note) | | | | | | | |"); continue }
            guard let sc = scoreFolds(fs, r) else { print("| \(s.name) | \(r.model) | (no forecast on some fold) | | | | | | | |"); continue }
            print("| \(s.name) | \(r.model) | \(f3(sc.meanMASE)) | \(sc.foldMASE.map { String(format: "%.2f", $0) }.joined(separator: " ")) | \(pct(sc.coverage80)) | \(pct(sc.coverage95)) | \(pct(sc.worstCoverage80)) | \(f3(sc.msis95)) | \(pct(sc.coverage80Low)) / \(pct(sc.coverage80High)) | \(secs(r.seconds)) |")
        }
    }
    print("")
    print("| series | note | Mosaic's choice per fold |")
    print("|---|---|---|")
    for s in series {
        let fs = allFolds.filter { $0.series == s.name }
        print("| \(s.name) | \(s.note) | \(fs.map { "\($0.index): \(chosen[$0.id] ?? "failed")" }.joined(separator: "; ")) |")
    }
    print("")
}
