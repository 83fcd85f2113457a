// Section 5 of ForecastBenchmark (`--stress`): the development series with a multi-day shutdown
// or a run of missing values written into them, placed where the held-out series of issue #14
// has one ("about four weeks of production web traffic … after a real multi-day shutdown"), and
// scored on the same 4 rolling origins × 48 hours as section 4, for Mosaic and statsforecast.
//
// The construction is fixed (no random draw). Each base is cut to N hours ending where the
// development series ends: N = 4 weeks of traffic + 4 × 48 scored hours + the 72-hour shutdown
// (936 h) for the two nyc_taxi windows, the whole 527 h for the Twitter stream (it is shorter).
// With c = N − 192 the first origin, the variants overwrite:
//
//   start-zeros      y[0 ..< 72] = 0                       (the series begins with the shutdown)
//   start-ramp       as start-zeros, then y[72 + k] × (k + 1)/49 for k < 48 (a 2-day recovery)
//   mid-near-zeros   y[c/2 − 36 ..< c/2 + 36] = round(0.01 · y)  (a site down, health checks left)
//   pre-origin-zeros y[c − 120 ..< c − 48] = 0             (ends 2 days before the first origin)
//   pre-origin-shift y[c − 168 ..< c − 72] = 0 (4 days), then y[c − 72 ...] × 0.7 through the
//                    scored hours (ends 3 days before the first origin; a level shift after it)
//   pre-origin-gap   y[c − 96 ..< c − 24] = missing        (a 3-day logging gap ending 1 day
//                    before the first origin; statsforecast gets it interpolated linearly)
//   start-partial    y[0 ..< 72] = round(0.3 · y)            (the series begins half down)
//   mid-partial      as mid-near-zeros at 30 % (a site half down, or a maintenance page served
//                    to bots and health checks)
//   pre-origin-partial as pre-origin-zeros at 30 %
//   pre-origin-step-up   y[c − 48 ...] = round(1.5 · y) through the scored hours (a new tenant
//                        two days before the first origin; no outage)
//   pre-origin-step-down y[c − 48 ...] = round(0.65 · y) (a client moved elsewhere)
//
// Development discipline (docs/performance.md, "Stress series"): the first changes to MosaicLearn were
// diagnosed on the Twitter and nyc_taxi-January variants (and on M4 Hourly's training data with
// --m4-validation --m4-per-series); the nyc_taxi-November variants were held back to validate
// them. The partial-outage rule was read off nyc_taxi-November pre-origin-partial (and its
// judgement of a run at the start off start-partial); M4's
// training data and the development series checked that it leaves normal traffic alone. The
// step rule (a level shift without an outage) was developed on steps written into other windows
// (the Twitter stream, nyc_taxi to 2014-10-27 and UCI bike rentals); the two step variants here
// were scored once it was done.
import BenchmarkSupport
import Foundation
import MosaicLearn

/// One stress variant: how it changes a base series of length N with first origin c.
struct StressVariant: Sendable {
    var name: String
    var apply: @Sendable (_ y: inout [Double], _ c: Int) -> Void

    static let shutdown = 72

    static let all: [StressVariant] = [
        StressVariant(name: "start-zeros") { y, _ in
            for t in 0..<shutdown { y[t] = 0 }
        },
        StressVariant(name: "start-ramp") { y, _ in
            for t in 0..<shutdown { y[t] = 0 }
            for k in 0..<48 { y[shutdown + k] *= Double(k + 1) / 49 }
        },
        StressVariant(name: "mid-near-zeros") { y, c in
            for t in (c / 2 - 36)..<(c / 2 + 36) { y[t] = (0.01 * y[t]).rounded() }
        },
        StressVariant(name: "pre-origin-zeros") { y, c in
            for t in (c - 120)..<(c - 48) { y[t] = 0 }
        },
        StressVariant(name: "pre-origin-shift") { y, c in
            for t in (c - 168)..<(c - 72) { y[t] = 0 }
            for t in (c - 72)..<y.count { y[t] *= 0.7 }
        },
        StressVariant(name: "pre-origin-gap") { y, c in
            for t in (c - 96)..<(c - 24) { y[t] = .nan }
        },
        StressVariant(name: "mid-partial") { y, c in
            for t in (c / 2 - 36)..<(c / 2 + 36) { y[t] = (0.3 * y[t]).rounded() }
        },
        StressVariant(name: "start-partial") { y, _ in
            for t in 0..<shutdown { y[t] = (0.3 * y[t]).rounded() }
        },
        StressVariant(name: "pre-origin-partial") { y, c in
            for t in (c - 120)..<(c - 48) { y[t] = (0.3 * y[t]).rounded() }
        },
        StressVariant(name: "pre-origin-step-up") { y, c in
            for t in (c - 48)..<y.count { y[t] = (1.5 * y[t]).rounded() }
        },
        StressVariant(name: "pre-origin-step-down") { y, c in
            for t in (c - 48)..<y.count { y[t] = (0.65 * y[t]).rounded() }
        },
    ]
}

/// The stress series: every variant of every base (Twitter, nyc_taxi to 2015-02-01, to 2014-11-23).
func loadStressSeries(shared: String) -> [DevelopmentSeries] {
    let scored = developmentOrigins * developmentHorizon
    var bases: [(name: String, values: [Double])] = []
    let twitter = shared + "/datasets/twitter-stream-2021-08/twitter_stream_hourly.csv"
    if let (_, values) = readTimestampValue(twitter) { bases.append(("twitter", values)) }
    if let hourly = loadTaxiHourly(shared: shared), hourly.count >= taxiJanuaryEnd {
        let length = 4 * 168 + scored + StressVariant.shutdown
        bases.append(("taxi-jan", Array(hourly[(taxiJanuaryEnd - length)..<taxiJanuaryEnd])))
        bases.append(("taxi-nov", Array(hourly[(taxiNovemberEnd - length)..<taxiNovemberEnd])))
    }
    var out: [DevelopmentSeries] = []
    for base in bases {
        let c = base.values.count - scored
        for v in StressVariant.all {
            var y = base.values
            v.apply(&y, c)
            out.append(DevelopmentSeries(name: "\(base.name) \(v.name)", values: y, note: "\(y.count) h, first origin \(c)"))
        }
    }
    return out
}

/// Folds as `fold,t,y` rows (statsforecast_folds.py's input); the fold id is quoted, since a
/// development series' name has a comma.
func foldsCSV(_ folds: [Fold]) -> String {
    var text = "fold,t,y\n"
    for fold in folds {
        let id = "\"" + fold.id.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        for (t, v) in fold.train.enumerated() { text += "\(id),\(t),\(v.isFinite ? String(v) : "")\n" }
    }
    return text
}

/// Reads one or several statsforecast_folds.py outputs (comma-separated paths) and merges them
/// model by model (a model's folds from every file that has it).
func readStatsforecastFolds(_ paths: String) -> [FoldForecasts] {
    var merged: [String: FoldForecasts] = [:]
    var order: [String] = []
    for path in paths.split(separator: ",").map(String.init) {
        guard let data = FileManager.default.contents(atPath: path), let (models, _) = parseStatsforecastFolds(data) else {
            say("cannot read \(path)"); continue
        }
        for m in models where m.note.isEmpty {
            if merged[m.model] == nil { merged[m.model] = FoldForecasts(model: m.model, forecasts: [:], seconds: 0); order.append(m.model) }
            merged[m.model]!.forecasts.merge(m.forecasts) { a, _ in a }
            merged[m.model]!.seconds += m.seconds
        }
    }
    return order.map { merged[$0]! }
}

func runStress(shared: String, script: String, saved: String?, foldsOut: String?) {
    let series = loadStressSeries(shared: shared)
    guard !series.isEmpty else { print("**Stress series skipped**: none found under \(shared)/datasets."); return }
    var allFolds: [Fold] = []
    for s in series { allFolds += folds(of: s) }
    if let foldsOut {
        do { try foldsCSV(allFolds).write(toFile: foldsOut, atomically: true, encoding: .utf8) } catch { say("cannot write \(foldsOut): \(error)") }
        say("wrote \(allFolds.count) stress folds to \(foldsOut)")
        return
    }
    print("## 5. Stress series: shutdowns and gaps written into the development series, \(developmentOrigins) origins × h = \(developmentHorizon)")
    print("")
    print("Variants (StressSeries.swift; c = first origin): start-zeros (72 h of zeros first), start-ramp (the same, then a 48-hour linear recovery), mid-near-zeros (72 h at 1 % in the middle of the first training part), pre-origin-zeros (72 h of zeros ending 2 days before c), pre-origin-shift (96 h of zeros ending 3 days before c, then the level × 0.7 through the scored hours), pre-origin-gap (72 h missing ending 1 day before c), start-partial, mid-partial and pre-origin-partial (the first 72 h, and as mid-near-zeros and pre-origin-zeros, at 30 %), pre-origin-step-up and pre-origin-step-down (from 2 days before c through the scored hours × 1.5 and × 0.65, no outage). Scored as section 4 (the MASE scale includes the shutdown, as `mosaic forecast --holdout` does). statsforecast gets zeros as they are and missing values linearly interpolated.")
    print("")
    var sf: [FoldForecasts] = []
    if let saved {
        sf = readStatsforecastFolds(saved)
        print("statsforecast's fold forecasts read from \(saved) (statsforecast_folds.py on these folds, run separately).")
    } else if pythonHasStatsforecast() {
        say("running statsforecast on \(allFolds.count) stress folds (AutoARIMA left out: too slow here)…")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mosaic-stress-folds-\(getpid()).csv")
        if (try? foldsCSV(allFolds).write(to: file, atomically: true, encoding: .utf8)) != nil,
           let run = Bench.python3([script, "--folds", file.path, "--n-jobs", "2", "--h", "\(developmentHorizon)",
                                    "--models", "SeasonalNaive,AutoETS,MSTL"]), run.status == 0,
           let (r, _) = parseStatsforecastFolds(run.output) {
            sf = r
        } else {
            say("statsforecast_folds.py failed on the stress folds")
        }
        try? FileManager.default.removeItem(at: file)
    } else {
        print("statsforecast skipped (`import statsforecast` fails).")
    }
    print("")
    var chosen: [String: String] = [:]
    var ignored: [String: String] = [:]
    let mosaic = runMosaic("**Mosaic AutoForecaster**", AutoForecaster(period: 24, horizon: developmentHorizon), allFolds, chosen: &chosen)
    var sameWidth = AutoForecaster(period: 24, horizon: developmentHorizon)
    sameWidth.levelScaledIntervals = false
    let oneWidth = runMosaic("Mosaic, one interval width", sameWidth, allFolds, chosen: &ignored)
    let mstlAlone = runMosaic("Mosaic MSTL(24, 168) alone", AutoForecaster(
        period: 24, horizon: developmentHorizon, candidates: [.mstl(MSTL.candidate(periods: [24, 168]))]), allFolds, chosen: &ignored)
    let rows = [mosaic, oneWidth, mstlAlone] + sf
    print("| series | model | mean MASE | MASE per fold | 80 % cov. | 95 % cov. | worst fold 80 % cov. | MSIS (95 %) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    var summary: [String: (mase: [Double], cov80: [Double], worst80: [Double], msis: [Double])] = [:]
    var wins = 0, compared = 0
    for s in series {
        let fs = allFolds.filter { $0.series == s.name }
        var mstlMASE: Double?
        var mosaicMASE: Double?
        for r in rows {
            guard let sc = scoreFolds(fs, r) else { print("| \(s.name) | \(r.model) | (no forecast on some fold) | | | | | |"); continue }
            if r.model.hasPrefix("statsforecast MSTL") { mstlMASE = sc.meanMASE }
            if r.model == mosaic.model { mosaicMASE = sc.meanMASE }
            summary[r.model, default: ([], [], [], [])].mase.append(sc.meanMASE)
            if let m = sc.msis95 { summary[r.model]!.msis.append(m) }
            summary[r.model]!.cov80.append(sc.coverage80)
            summary[r.model]!.worst80.append(sc.worstCoverage80)
            print("| \(s.name) | \(r.model) | \(f3(sc.meanMASE)) | \(sc.foldMASE.map { String(format: "%.2f", $0) }.joined(separator: " ")) | \(pct(sc.coverage80)) | \(pct(sc.coverage95)) | \(pct(sc.worstCoverage80)) | \(f3(sc.msis95)) |")
        }
        if let a = mosaicMASE, let b = mstlMASE { compared += 1; if a <= b { wins += 1 } }
    }
    print("")
    print("Over the \(series.count) stress series (each series' mean MASE, then their mean; series-level 80 % coverage):")
    print("")
    print("| model | series scored | mean of mean MASE | worst series MASE | series with 80 % cov. in 70–90 % | lowest series 80 % cov. | lowest fold 80 % cov. | mean MSIS (95 %) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows {
        guard let s = summary[r.model], !s.mase.isEmpty else { continue }
        let inBand = s.cov80.filter { $0 >= 0.7 && $0 <= 0.9 }.count
        print("| \(r.model) | \(s.mase.count) | \(f3(s.mase.reduce(0, +) / Double(s.mase.count))) | \(f3(s.mase.max())) | \(inBand) / \(s.cov80.count) | \(pct(s.cov80.min())) | \(pct(s.worst80.min())) | \(f3(s.msis.isEmpty ? nil : s.msis.reduce(0, +) / Double(s.msis.count))) |")
    }
    print("")
    if compared > 0 { print("Mosaic's mean MASE ≤ statsforecast MSTL's on \(wins) of \(compared) stress series."); print("") }
    print("| series | Mosaic's choice per fold |")
    print("|---|---|")
    for s in series {
        let fs = allFolds.filter { $0.series == s.name }
        print("| \(s.name) | \(fs.map { "\($0.index): \(chosen[$0.id] ?? "failed")" }.joined(separator: "; ")) |")
    }
    print("")
}
