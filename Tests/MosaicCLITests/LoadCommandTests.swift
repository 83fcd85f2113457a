import Foundation
import MosaicCore
import MosaicLearn
import MosaicTestSupport
import Testing

/// `mosaic series`, `train load`, `forecast` and `anomalies` through the binary.
@Suite struct LoadCommandTests {
    /// A week of hourly values with a daily cycle, and one spike.
    /// With `emptyHour`, that hour of every day has an empty value and the row after the first
    /// one is left out (the Twitter stream's file has both).
    static func seriesFile(_ tmp: TemporaryDirectory, spikeAt: Int = 150, emptyHour: Int? = nil) -> String {
        var lines = ["timestamp,value"]
        for i in 0..<(24 * 14) {
            let day = sin(2 * Double.pi * Double(i % 24) / 24)
            var v = 100 + 40 * day + Double((i * 7919) % 11) - 5
            if i == spikeAt { v += 400 }
            let ts = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(1_699_999_200 + i * 3600)))
            if let emptyHour, i % 24 == emptyHour {
                lines.append("\(ts),")
                continue
            }
            if let emptyHour, i == emptyHour + 1 { continue }
            lines.append("\(ts),\(v)")
        }
        return tmp.write("load.csv", lines.joined(separator: "\n") + "\n")
    }

    /// `--series -` reads standard input (plain or gzip-compressed) as it reads the file, and
    /// names it `<stdin>` in errors.
    @Test func seriesFromStandardInput() throws {
        let tmp = TemporaryDirectory("load-stdin")
        let file = Self.seriesFile(tmp)
        func mosaic(_ input: String) throws -> ChildProcess.Output {
            try ChildProcess.run("/bin/sh", ["-c", "\(input) | '\(MosaicBinary.path)' forecast --series - --holdout 48 --format csv"])
        }
        let direct = try MosaicBinary.run(["forecast", "--series", file, "--holdout", "48", "--format", "csv"])
        let name = (file as NSString).lastPathComponent
        #expect(direct.status == 0 && direct.stdout.contains(name), "\(direct.stderr)")
        for input in ["cat '\(file)'", "gzip -c '\(file)'"] {
            let piped = try mosaic(input)
            #expect(piped.status == 0, "\(piped.stderr)")
            #expect(piped.stdout == direct.stdout.replacingOccurrences(of: name, with: "stdin"), "\(input)")
        }
        let bad = try mosaic("printf 'timestamp,value\\n2024-01-01,1\\nx,2\\n'")
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("<stdin>:3: column timestamp: 'x' is not a timestamp"), "\(bad.stderr)")
    }

    @Test func forecastAndHoldoutOnASeriesFile() throws {
        let tmp = TemporaryDirectory("load")
        let file = Self.seriesFile(tmp)
        let f = try MosaicBinary.run(["forecast", "--series", file, "--horizon", "24", "--format", "csv"])
        #expect(f.status == 0, "stderr: \(f.stderr)")
        let output = f.stdout.split(separator: "\n")
        #expect(output.first == "timestamp,series,mean,lo80,hi80,lo95,hi95")
        #expect(output.count == 25)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        let (scores, forecast, train, actual) = try Self.holdoutAndItsForecast(tmp, lines)
        let mase = try #require(scores["mase"] as? Double)
        #expect(mase < 1, "a clean daily cycle should beat seasonal naive in-sample scale: \(mase)")
        // msis95 is M4's formula over the forecast that the file without its last 48 points gives.
        let scale = (24..<train.count).reduce(0.0) { $0 + abs(train[$1] - train[$1 - 24]) } / Double(train.count - 24)
        let expected = zip(actual, forecast).reduce(0.0) { total, p in
            let (y, row) = p
            let (lo, hi) = (row[3], row[4])
            return total + (hi - lo) + 40 * (max(lo - y, 0) + max(y - hi, 0))
        } / 48 / scale
        let msis = try #require(scores["msis95"] as? Double)
        #expect(forecast.count == 48 && abs(msis - expected) < 1e-6 * expected, "msis95 \(msis) against \(expected)")
    }

    /// `mosaic forecast --holdout 48` on the series file of `lines` (its header first), and what
    /// it is checked against: the forecast of the file without its last 48 rows (each step's
    /// mean, lo80, hi80, lo95 and hi95) and the file's values (NaN where empty) on either side
    /// of the cut.
    static func holdoutAndItsForecast(_ tmp: TemporaryDirectory, _ lines: [String]) throws
        -> (scores: [String: Any], forecast: [[Double]], train: [Double], actual: [Double]) {
        let file = tmp.write("holdout.csv", lines.joined(separator: "\n") + "\n")
        let h = try MosaicBinary.run(["forecast", "--series", file, "--holdout", "48", "--format", "json"])
        #expect(h.status == 0, "stderr: \(h.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(h.stdout.utf8)) as? [[String: Any]])
        let cut = tmp.write("cut.csv", (lines.dropLast(48) + [""]).joined(separator: "\n"))
        let g = try MosaicBinary.run(["forecast", "--series", cut, "--horizon", "48", "--format", "csv"])
        let forecast = g.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst(2).map { Double($0)! } }
        let values = lines.dropFirst().map { Double($0.split(separator: ",", omittingEmptySubsequences: false)[1]) ?? .nan }
        return (try #require(rows.first), forecast, Array(values.dropLast(48)), Array(values.suffix(48)))
    }

    /// The lines of a series file (header first) with the value of each row in `rows` (line
    /// indices) set to `value` of the old one, or left empty where it gives nil.
    static func rewritten(_ lines: [String], rows: ClosedRange<Int>, _ value: (Double) -> Double?) -> [String] {
        lines.enumerated().map { i, l in
            guard rows.contains(i) else { return l }
            let fields = l.split(separator: ",", omittingEmptySubsequences: false)
            return fields[0] + "," + (Double(fields[1]).flatMap(value).map { "\($0)" } ?? "")
        }
    }

    /// `--holdout`'s MASE is scaled by the seasonal-naive MAE over the training pairs whose two
    /// values are known: a two-day logging gap is left out of the scale, not filled in it.
    @Test func holdoutMASEScalesByTheKnownPairs() throws {
        let tmp = TemporaryDirectory("load-gap-scale")
        let lines = try String(contentsOfFile: Self.seriesFile(tmp), encoding: .utf8).split(separator: "\n").map(String.init)
        // Hours 100–147 (rows 101–148) are missing: empty values.
        let gapped = Self.rewritten(lines, rows: 101...148) { _ in nil }
        let (scores, forecast, train, actual) = try Self.holdoutAndItsForecast(tmp, gapped)
        let mase = try #require(scores["mase"] as? Double)
        let means = forecast.map { $0[0] }
        let pairs = (24..<train.count).map { abs(train[$0] - train[$0 - 24]) }.filter { !$0.isNaN }
        #expect(pairs.count == train.count - 24 - 72)  // the 48 missing values are in 72 pairs
        let expected = zip(actual, means).reduce(0.0) { $0 + abs($1.0 - $1.1) } / 48 / (pairs.reduce(0, +) / Double(pairs.count))
        #expect(means.count == 48 && abs(mase - expected) < 1e-9 * expected, "mase \(mase) against \(expected)")
    }

    @Test func theHygieneSaysWhatItReplaced() throws {
        let tmp = TemporaryDirectory("load-outage")
        let clean = Self.seriesFile(tmp)
        let lines = try String(contentsOfFile: clean, encoding: .utf8).split(separator: "\n").map(String.init)
        // Hours 100–171 (rows 101–172) are a 3-day shutdown.
        let down = Self.rewritten(lines, rows: 101...172) { _ in 0 }
        let file = tmp.write("down.csv", down.joined(separator: "\n") + "\n")
        let start = String(lines[101].split(separator: ",")[0])
        for args in [["forecast", "--series", file, "--horizon", "24"], ["train", "load", "--series", file, "--out", tmp.file("m.json")]] {
            let r = try MosaicBinary.run(args)
            #expect(r.status == 0, "stderr: \(r.stderr)")
            #expect(r.stderr.contains("down.csv: 1 outage replaced, not learned as load: \(Timestamp.format(Timestamp.parse(start)!)) for 72 steps"),
                    "\(args[0]): \(r.stderr)")
        }
        // A two-hour spike at 30 times the value, then the shutdown: both named.
        let spiked = Self.rewritten(down, rows: 60...61) { $0 * 30 }
        let both = try MosaicBinary.run(["forecast", "--series", tmp.write("spiked.csv", spiked.joined(separator: "\n") + "\n"), "--horizon", "24"])
        let spikeStart = Timestamp.format(Timestamp.parse(String(lines[60].split(separator: ",")[0]))!)
        #expect(both.status == 0 && both.stderr.contains("spiked.csv: 1 burst replaced, not learned as load: \(spikeStart) for 2 steps; 1 outage replaced"),
                "stderr: \(both.stderr)")
        // Two days filled forward from the hour before them (rows 201–248): named as such.
        let last = Double(lines[200].split(separator: ",")[1])!
        let filled = Self.rewritten(lines, rows: 201...248) { _ in last }
        let ffill = try MosaicBinary.run(["forecast", "--series", tmp.write("ffill.csv", filled.joined(separator: "\n") + "\n"), "--horizon", "24"])
        let fillStart = Timestamp.format(Timestamp.parse(String(lines[201].split(separator: ",")[0]))!)
        #expect(ffill.status == 0 && ffill.stderr.contains("ffill.csv: 1 filled gap replaced, not learned as load: \(fillStart) for 48 steps")
                && !ffill.stderr.contains("outage"), "stderr: \(ffill.stderr)")
        // A clean series gets no note.
        let c = try MosaicBinary.run(["forecast", "--series", clean, "--horizon", "24"])
        #expect(c.status == 0 && !c.stderr.contains("replaced") && !c.stderr.contains("imputed"), "stderr: \(c.stderr)")
    }

    @Test func aHoldoutOfOnlyMissingPointsIsRefused() throws {
        let tmp = TemporaryDirectory("load-missing-tail")
        let lines = try String(contentsOfFile: Self.seriesFile(tmp), encoding: .utf8).split(separator: "\n")
        let emptied = lines.enumerated().map { i, l in i >= lines.count - 10 ? l.split(separator: ",")[0] + "," : l }
        let file = tmp.write("tail.csv", emptied.joined(separator: "\n") + "\n")
        let r = try MosaicBinary.run(["forecast", "--series", file, "--holdout", "10"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("tail.csv: the last 10 points are all missing, so there is nothing to score"), "\(r.stderr)")
        #expect(try MosaicBinary.run(["forecast", "--series", file, "--holdout", "11"]).status == 0)
    }

    /// A holdout that leaves less than a season and a point to fit on is refused before any fit,
    /// saying how many points it needs.
    @Test func aHoldoutLongerThanTheSeriesAllowsIsRefused() throws {
        let tmp = TemporaryDirectory("load-short")
        let file = tmp.write("short.csv", "timestamp,value\n" + (0..<60).map { "\(1_700_006_400 + $0 * 3600),\($0 % 24)\n" }.joined())
        let r = try MosaicBinary.run(["forecast", "--series", file, "--holdout", "48"])
        #expect(r.status != 0 && r.stderr.contains("short.csv: 60 points are too few to hold out 48 (it needs at least 73: the 48 held out and 25 to fit on)"),
                "\(r.stderr)")
        #expect(try MosaicBinary.run(["forecast", "--series", file, "--holdout", "35"]).status == 0)
    }

    /// statsforecast's long format (`unique_id,ds,y`, several series in one file) gives the
    /// same holdout scores as the series on its own.
    @Test func forecastReadsOneSeriesOfALongFormatFile() throws {
        let tmp = TemporaryDirectory("load-long")
        let file = Self.seriesFile(tmp)
        let rows = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").dropFirst()
        let long = tmp.write("long.csv", (["unique_id,ds,y"] + rows.flatMap { ["a,\($0)", "b,\($0.prefix(while: { $0 != "," })),1"] })
            .joined(separator: "\n") + "\n")
        let plain = try MosaicBinary.run(["forecast", "--series", file, "--holdout", "48", "--format", "csv"])
        let chosen = try MosaicBinary.run(["forecast", "--series", long, "--id", "a", "--holdout", "48", "--format", "csv"])
        #expect(plain.status == 0 && chosen.status == 0, "stderr: \(plain.stderr) \(chosen.stderr)")
        #expect(chosen.stdout == plain.stdout.replacingOccurrences(of: "load.csv", with: "a"))
        let both = try MosaicBinary.run(["forecast", "--series", long, "--holdout", "48"])
        #expect(both.status != 0)
        #expect(both.stderr.contains("long.csv:3: column unique_id: 'b' is a second series after 'a'; choose one with --id"), "\(both.stderr)")
        let stray = try MosaicBinary.run(["forecast", "--id", "a", "--holdout", "48"])
        #expect(stray.status != 0)
        #expect(stray.stderr.contains("--id chooses a series of a --series file"), "\(stray.stderr)")
    }

    /// A monitoring tool's export (`Time,Requests`, unix milliseconds, an extra column), its
    /// columns named with --time-column and --value-column, gives the plain file's forecast; so
    /// do unix seconds with a fraction.
    @Test func forecastReadsNamedColumnsAndUnixTimes() throws {
        let tmp = TemporaryDirectory("load-columns")
        let file = Self.seriesFile(tmp)
        var millis = ["Time,Host,Requests"], seconds = ["t,v"]
        for row in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").dropFirst() {
            let parts = row.split(separator: ",")
            let t = try #require(Timestamp.parse(String(parts[0])))
            millis.append("\(t / 1000),web-1,\(parts[1])")
            seconds.append("\(t / 1_000_000).000000,\(parts[1])")
        }
        let export = tmp.write("export.csv", millis.joined(separator: "\n") + "\n")
        let secs = tmp.write("secs.csv", seconds.joined(separator: "\n") + "\n")
        let plain = try MosaicBinary.run(["forecast", "--series", file, "--holdout", "48", "--format", "csv"])
        let named = try MosaicBinary.run(["forecast", "--series", export, "--time-column", "Time", "--value-column", "Requests",
                                          "--holdout", "48", "--format", "csv"])
        let unix = try MosaicBinary.run(["forecast", "--series", secs, "--time-column", "t", "--value-column", "v",
                                         "--holdout", "48", "--format", "csv"])
        #expect(plain.status == 0 && named.status == 0 && unix.status == 0, "stderr: \(named.stderr) \(unix.stderr)")
        #expect(named.stdout == plain.stdout.replacingOccurrences(of: "load.csv", with: "export.csv"))
        #expect(unix.stdout == plain.stdout.replacingOccurrences(of: "load.csv", with: "secs.csv"))
        let unnamed = try MosaicBinary.run(["forecast", "--series", export, "--holdout", "48"])
        #expect(unnamed.status != 0)
        #expect(unnamed.stderr.contains("export.csv:1: the header must name a timestamp and a value column (timestamp or ds, value or y; found: Time, Host, Requests); name yours with --time-column and --value-column"), "\(unnamed.stderr)")
        let wrong = try MosaicBinary.run(["forecast", "--series", export, "--time-column", "when", "--value-column", "Requests"])
        #expect(wrong.stderr.contains("export.csv:1: no column 'when' (the columns here: Time, Host, Requests)"), "\(wrong.stderr)")
        let stray = try MosaicBinary.run(["forecast", "--time-column", "Time"])
        #expect(stray.status != 0 && stray.stderr.contains("--time-column and --value-column name the columns of a --series file"))
    }

    /// Half-hourly counts, each hour's value split in two, summed back to hours by `--resample
    /// 1h --aggregate sum` give the hourly series' forecast exactly (halving is exact).
    @Test func resamplingSumsFinerCountsIntoTheHourlySeries() throws {
        let tmp = TemporaryDirectory("load-resample")
        let file = Self.seriesFile(tmp)
        var halves = ["timestamp,value"]
        for row in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").dropFirst() {
            let parts = row.split(separator: ",")
            let t = try #require(Timestamp.parse(String(parts[0]))), v = try #require(Double(parts[1]))
            halves += ["\(Timestamp.format(t)),\(v / 2)", "\(Timestamp.format(t + 1_800_000_000)),\(v / 2)"]
        }
        let fine = tmp.write("fine.csv", halves.joined(separator: "\n") + "\n")
        let hourly = try MosaicBinary.run(["forecast", "--series", file, "--holdout", "48", "--format", "csv"])
        let summed = try MosaicBinary.run(["forecast", "--series", fine, "--resample", "1h", "--aggregate", "sum",
                                           "--holdout", "48", "--format", "csv"])
        #expect(hourly.status == 0 && summed.status == 0, "stderr: \(hourly.stderr) \(summed.stderr)")
        #expect(summed.stdout == hourly.stdout.replacingOccurrences(of: "load.csv", with: "fine.csv"))
        let bare = try MosaicBinary.run(["forecast", "--series", fine, "--resample", "1h"])
        #expect(bare.status != 0)
        #expect(bare.stderr.contains("--resample 1h needs --aggregate: mean for levels (latency, CPU), sum for counts (requests)"), "\(bare.stderr)")
    }

    @Test func missingPointsAreLeftToTheHygieneUnlessRefused() throws {
        let tmp = TemporaryDirectory("load-gaps")
        let file = Self.seriesFile(tmp, emptyHour: 6)
        let f = try MosaicBinary.run(["forecast", "--series", file, "--horizon", "24", "--format", "json"])
        #expect(f.status == 0, "stderr: \(f.stderr)")
        #expect(f.stderr.contains("load.csv: 15 of 336 points missing or empty, kept missing for the hygiene to replace"), "\(f.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(f.stdout.utf8)) as? [[String: Any]])
        let means = rows.compactMap { $0["mean"] as? Double }
        #expect(means.count == 24)
        // The hour that is never observed is forecast from its neighbours (about 140), not as 0.
        #expect(means.allSatisfy { $0 > 50 }, "\(means)")
        let h = try MosaicBinary.run(["forecast", "--series", file, "--holdout", "48", "--format", "json"])
        #expect(h.status == 0, "stderr: \(h.stderr)")
        let refused = try MosaicBinary.run(["forecast", "--series", file, "--fill-gaps", "error"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("load.csv:8: column value: is empty"), "\(refused.stderr)")
    }

    @Test func modelsShowReadsALoadModel() throws {
        let tmp = TemporaryDirectory("load-show")
        let file = Self.seriesFile(tmp)
        let out = tmp.file("load.json")
        let train = try MosaicBinary.run(["train", "load", "--series", file, "--horizon", "24", "--out", out])
        #expect(train.status == 0, "stderr: \(train.stderr)")
        let table = try MosaicBinary.run(["models", "show", out])
        #expect(table.status == 0, "stderr: \(table.stderr)")
        #expect(table.stdout.hasPrefix("\(out): load model v1, schema "), "\(table.stdout)")
        #expect(table.stdout.contains("value per 1h by file"), "\(table.stdout)")
        let json = try MosaicBinary.run(["models", "show", out, "--format", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["series"] as? String } == ["load.csv"])
        #expect(rows.first?["points"] as? Int == 24 * 14)
    }

    /// (Values near the largest a series may hold, 1e150.)
    @Test func hugeValuesPrintInScientificNotation() throws {
        let tmp = TemporaryDirectory("load-huge")
        let lines = (0..<(24 * 14)).map { i in
            let ts = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(1_699_999_200 + i * 3600)))
            return "\(ts),\((2 + sin(2 * Double.pi * Double(i % 24) / 24)) * 1e140)"
        }
        let file = tmp.write("huge.csv", (["timestamp,value"] + lines).joined(separator: "\n") + "\n")
        let r = try MosaicBinary.run(["forecast", "--series", file, "--horizon", "3"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let rows = r.stdout.split(separator: "\n").dropFirst(2)
        #expect(rows.count == 3)
        #expect(rows.allSatisfy { $0.count < 200 && $0.contains("e+140") }, "\(r.stdout)")
    }

    @Test func anomaliesFindTheSpike() throws {
        let tmp = TemporaryDirectory("anomalies")
        let file = Self.seriesFile(tmp, spikeAt: 200)
        let r = try MosaicBinary.run(["anomalies", "--series", file, "--format", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let values = rows.compactMap { $0["value"] as? Double }
        #expect(values.contains { $0 > 450 }, "\(rows)")
        #expect(rows.count <= 5)
    }

    @Test func trainLoadFromTheStoreAndPrintItsForecast() throws {
        let tmp = TemporaryDirectory("train-load")
        let db = tmp.file("m.sqlite")
        _ = try MosaicBinary.run(["generate", "--days", "10", "--out", tmp.file("s")])
        _ = try MosaicBinary.run(["ingest", "requests", tmp.file("s/requests.csv"), "--db", db])
        let series = try MosaicBinary.run(["series", "--interval", "1h", "--by", "provider", "--db", db, "--format", "csv"])
        #expect(series.status == 0)
        #expect(series.stdout.split(separator: "\n").count == 1 + 5 * 240)
        let train = try MosaicBinary.run(["train", "load", "--interval", "1h", "--horizon", "24", "--db", db, "--format", "json"],
                                         in: tmp.path)
        #expect(train.status == 0, "stderr: \(train.stderr)")
        let path = tmp.file("models/load-v1.json")
        let model = try LoadModel.decode(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(model.series.map(\.group) == ["anthropic", "github", "github-actions", "ollama", "openai"])
        // Each series' row puts seasonal naive's cross-validated MASE (the baseline) beside the chosen method's.
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == model.series.count)
        var compared = 0
        for (row, s) in zip(rows, model.series) {
            #expect(row["series"] as? String == s.group)
            // A series without cross-validation scores (constant, or too short) has no baseline figure.
            guard let naive = s.fitted.scores.first(where: { $0.name == "SeasonalNaive(24)" })?.mase else {
                #expect(row["snaive_cv_mase"] == nil || row["snaive_cv_mase"] is NSNull, "\(row)")
                continue
            }
            #expect(abs(try #require(row["snaive_cv_mase"] as? Double) - naive) < 5e-4, "\(row)")
            #expect(row["cv_mase"] is Double, "\(row)")
            compared += 1
        }
        #expect(compared >= 3)
        #expect(model.series.allSatisfy { $0.forecast.mean.count == 24 && $0.forecast.intervals.count == 2 })
        let shown = try MosaicBinary.run(["forecast", "--model", path, "--format", "csv"])
        #expect(shown.stdout.split(separator: "\n").count == 1 + 5 * 24)
        let bad = tmp.write("bad.json", #"{"schemaVersion": 1, "kind": "routing"}"#)
        let refused = try MosaicBinary.run(["forecast", "--model", bad])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("is not a load model"), "stderr: \(refused.stderr)")
    }
}
