import Foundation
import MosaicTestSupport
import Testing

/// Query commands over a window with no rows say so on standard error and keep standard output
/// well-formed; numeric options take negative values where they mean something, and refuse
/// them in words (naming the option) where they do not.
@Suite struct EmptyWindowAndOptionTests {
    /// A store with one day of sample requests (2026-10-05) and no billing lines.
    static func store(_ tmp: TemporaryDirectory) throws -> String {
        let gen = try MosaicBinary.run(["generate", "--days", "1", "--rate", "2", "--out", tmp.file("gen")])
        #expect(gen.status == 0, "stderr: \(gen.stderr)")
        let db = tmp.file("m.sqlite")
        let ingest = try MosaicBinary.run(["ingest", "requests", tmp.file("gen/requests.csv"), "--db", db])
        #expect(ingest.status == 0, "stderr: \(ingest.stderr)")
        return db
    }

    /// A command that only reads the store refuses a path with no file, naming it, and leaves
    /// no empty store behind; a quality-only `train routing` makes the store it registers the
    /// model in, and says so.
    @Test func readingCommandsRefuseAMissingStoreAndMakeNone() throws {
        let tmp = TemporaryDirectory("missing-store")
        let db = tmp.file("nofile.sqlite")
        let commands: [[String]] = [
            ["costs"], ["series"], ["forecast"], ["anomalies"], ["prices", "list"], ["models", "list"], ["db", "runs"],
            ["ingest", "status"], ["train", "routing", "--out", tmp.file("m.json")], ["report", "cost", "--out", tmp.file("r")],
        ]
        for c in commands {
            let r = try MosaicBinary.run(c + ["--db", db])
            #expect(r.status != 0 && r.stderr.contains("\(db): no such store"), "\(c): \(r.status) \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: db), "\(c) made \(db)")
        }
        let quality = tmp.write("q.csv", "prompt,strong_correct,weak_correct\n"
            + (0..<40).map { "question \($0) about \($0 % 2 == 0 ? "law" : "math"),\($0 % 3 != 0),\($0 % 4 == 0)" }.joined(separator: "\n") + "\n")
        let trained = try MosaicBinary.run(["train", "routing", "--quality-data", quality, "--strong-column", "strong_correct", "--weak-column", "weak_correct", "--out", tmp.file("q.json"), "--db", db])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stderr.contains("\(db) did not exist: created an empty store"), "\(trained.stderr)")
    }

    @Test func emptyWindowsAreNamedAndOutputStaysWellFormed() throws {
        let tmp = TemporaryDirectory("empty-window")
        let db = try Self.store(tmp)
        let later = ["--since", "2030-01-01", "--until", "2030-02-01"]
        let note = "no requests between 2030-01-01T00:00:00Z and 2030-02-01T00:00:00Z in \(db)"

        let json = try MosaicBinary.run(["series", "--db", db, "--format", "json"] + later)
        #expect(json.status == 0)
        #expect(json.stderr.contains(note), "stderr: \(json.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [Any]
        #expect(parsed?.isEmpty == true, "stdout: \(json.stdout)")
        let csv = try MosaicBinary.run(["series", "--db", db, "--format", "csv", "--since", "2030-01-01"])
        #expect(csv.stdout == "timestamp,provider,requests,input_tokens,output_tokens,cost_usd,partial\n")
        #expect(csv.stderr.contains("no requests since 2030-01-01T00:00:00Z in \(db)"), "stderr: \(csv.stderr)")
        // A window with rows prints no note.
        let full = try MosaicBinary.run(["series", "--db", db, "--format", "csv", "--since", "2026-10-05"])
        #expect(full.stderr.isEmpty, "stderr: \(full.stderr)")
        #expect(full.stdout.split(separator: "\n").count > 1)

        let costs = try MosaicBinary.run(["costs", "--db", db, "--format", "json"] + later)
        #expect(costs.status == 0)
        #expect(costs.stderr.contains("no billing lines between 2030-01-01T00:00:00Z and 2030-02-01T00:00:00Z in \(db)"),
                "stderr: \(costs.stderr)")

        let cost = try MosaicBinary.run(["report", "cost", "--db", db, "--out", tmp.file("reports"), "--formats", "json"] + later)
        #expect(cost.status == 0, "stderr: \(cost.stderr)")
        #expect(cost.stderr.contains("no requests or billing lines between 2030-01-01T00:00:00Z and 2030-02-01T00:00:00Z in \(db)"),
                "stderr: \(cost.stderr)")
        let costJSON = try Data(contentsOf: URL(fileURLWithPath: tmp.file("reports/cost.json")))
        #expect((try? JSONSerialization.jsonObject(with: costJSON)) != nil)

        let latency = try MosaicBinary.run(["report", "latency", "--db", db, "--out", tmp.file("reports"), "--formats", "json"] + later)
        #expect(latency.status == 0, "stderr: \(latency.stderr)")
        #expect(latency.stderr.contains(note.replacingOccurrences(of: "no requests", with: "no successful requests with a latency")),
                "stderr: \(latency.stderr)")
        let sides = try MosaicBinary.run(["report", "latency", "--db", db, "--out", tmp.file("reports"), "--formats", "json",
                                          "--before", "2030-01-01..2030-01-02", "--after", "2026-10-05..2026-10-06"])
        #expect(sides.status == 0, "stderr: \(sides.stderr)")
        #expect(sides.stderr.contains("no successful requests with a latency between 2030-01-01T00:00:00Z and 2030-01-02T00:00:00Z in \(db)"),
                "stderr: \(sides.stderr)")
        #expect(!sides.stderr.contains("2026-10-05T00:00:00Z and"), "the side with rows is not named: \(sides.stderr)")

        // Forecasts need points: an empty window is an error that names the window and the store.
        for command in [["forecast"], ["anomalies"], ["train", "load"], ["train", "routing"]] {
            let r = try MosaicBinary.run(command + ["--db", db, "--until", "2020-01-01", "--out", tmp.file("model.json")]
                                         .dropLast(command == ["forecast"] || command == ["anomalies"] ? 2 : 0))
            #expect(r.status == 1)
            #expect(r.stderr.contains("no requests before 2020-01-01T00:00:00Z in \(db)"), "\(command): \(r.stderr)")
        }
    }

    @Test func negativeValuesWhereTheyMeanSomething() throws {
        let tmp = TemporaryDirectory("roi-negative")
        // argument-parser reads "-5" as an option; `mosaic` joins a negative number to the option before it.
        let cases: [[String]] = [
            ["--upfront", "150000", "--savings-per-year", "415000", "--years", "5", "--rate", "-5"],
            ["--cash-flows", "-100,60,60", "--period", "year"],
            ["--upfront", "100", "--savings-per-month", "-3", "--running", "1", "--years", "1"],
            ["--baseline", "10", "--scenario", "20", "--years", "1"],
        ]
        for args in cases {
            let r = try MosaicBinary.run(["report", "roi", "--out", tmp.file("r"), "--formats", "json"] + args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("Missing value"), "\(args): \(r.stderr)")
        }
        // The sensitivity table discounts 2 points lower: a rate at or below −98% once trapped there.
        let low = try MosaicBinary.run(["report", "roi", "--out", tmp.file("r"), "--upfront", "1", "--savings-per-year", "2",
                                        "--years", "1", "--rate", "-99"])
        #expect(low.status != 0)
        #expect(low.stderr.contains("--rate must be a finite percentage above -98"), "stderr: \(low.stderr)")
        let infinite = try MosaicBinary.run(["report", "roi", "--out", tmp.file("r"), "--upfront", "1", "--savings-per-year", "2",
                                             "--years", "1", "--rate=inf"])
        #expect(infinite.stderr.contains("--rate must be a finite percentage"), "stderr: \(infinite.stderr)")
    }

    /// Costs are zero or more: a negative --upfront made ROI % divide by less than was invested.
    @Test(arguments: [
        (["--upfront=-5", "--savings-per-year", "1"], "--upfront '-5' must be zero or more: it is a cost"),
        (["--upfront", "-5", "--savings-per-year", "1"], "--upfront '-5' must be zero or more: it is a cost"),
        (["--running", "-0.01", "--savings-per-year", "1"], "--running '-0.01' must be zero or more: it is a cost"),
        (["--baseline", "-10", "--scenario", "20"], "--baseline '-10' must be zero or more: it is a cost"),
        (["--baseline", "10", "--scenario=-20"], "--scenario '-20' must be zero or more: it is a cost"),
    ])
    func negativeCostsAreRefused(_ args: [String], _ expected: String) throws {
        let tmp = TemporaryDirectory("roi-negative-cost")
        let r = try MosaicBinary.run(["report", "roi", "--out", tmp.file("r"), "--years", "1"] + args)
        #expect(r.status == 64, "\(args): status \(r.status), stderr: \(r.stderr)")
        #expect(r.stderr.contains("Error: " + expected), "\(args): \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.file("r")), "nothing is written")
    }

    /// Every amount option says the same when its value does not read: `--upfront` beyond
    /// Money's range said only "is not an amount", `--savings-per-month` that it is out of range.
    @Test(arguments: [
        (["--upfront", "200000000000000", "--savings-per-year", "1"], "--upfront '200000000000000' is out of range: an amount must lie within about ±1.7 × 10¹⁴"),
        (["--running", "200000000000000", "--savings-per-year", "1"], "--running '200000000000000' is out of range: an amount must lie within about ±1.7 × 10¹⁴"),
        (["--savings-per-month", "200000000000000"], "--savings-per-month '200000000000000' is out of range: an amount must lie within about ±1.7 × 10¹⁴"),
        (["--upfront", "abc", "--savings-per-year", "1"], "--upfront 'abc' is not an amount (for example 150000 or 2500.50)"),
        (["--savings-per-year", "1x"], "--savings-per-year '1x' is not an amount (for example 150000 or 2500.50)"),
    ])
    func amountsThatDoNotReadSayWhy(_ args: [String], _ expected: String) throws {
        let tmp = TemporaryDirectory("roi-amount")
        let r = try MosaicBinary.run(["report", "roi", "--out", tmp.file("r"), "--years", "1"] + args)
        #expect(r.status == 64, "\(args): status \(r.status), stderr: \(r.stderr)")
        #expect(r.stderr.contains("Error: " + expected), "\(args): \(r.stderr)")
    }

    /// A negative number given to an option as a word of its own reaches the option (argument-parser
    /// read `-1` as an option: "Missing value"; `-1h` as `-h`: the help, exit 0).
    @Test(arguments: [
        (["forecast", "--holdout", "-1"], "--holdout must be between 1 and 10000"),
        (["forecast", "--holdout", "1000000"], "--holdout must be between 1 and 10000"),
        (["forecast", "--horizon", "-5"], "--horizon must be between 1 and 10000"),
        (["train", "load", "--horizon", "-5"], "--horizon must be between 1 and 10000"),
        (["forecast", "--series", "s.csv", "--resample", "-1h", "--aggregate", "mean"], "--resample -1h must be a whole number of minutes, at least one (1m, 15m, 1h, 1d)"),
        (["db", "runs", "--limit", "-5"], "--limit must be at least 1"),
        (["demo", "--days", "-5"], "--days must be between 1 and 366"),
        (["generate", "--rate", "-.5"], "--rate must be greater than 0"),
        (["ingest", "openai-usage", "--max-attempts", "-1"], "--max-attempts must be between 1 and 100"),
        (["ingest", "openai-usage", "--timeout", "-inf"], "--timeout must be greater than 0 and at most 3600"),
        (["route", "--prompt-tokens", "-5"], "--prompt-tokens must be between 0 and"),
        (["route", "--slo-ms", "-5"], "--slo-ms must be a finite number of milliseconds above 0"),
        (["route", "--slo-ms", "inf"], "--slo-ms must be a finite number of milliseconds above 0"),
        (["anomalies", "--level", "-5"], "--level must be between 50 and 100"),
        (["train", "routing", "--test-fraction", "-0.5"], "--test-fraction must be between 0 and 0.9"),
        (["simulate", "s.yaml", "--replications", "-5"], "--replications must be between 1 and 1000"),
        (["simulate", "s.yaml", "--seed", "-1"], "The value '-1' is invalid for '--seed <seed>'"),
        (["eval", "latency", "--data", "d.csv", "--cross-validate", "-2"], "--cross-validate must be between 1 and 20"),
        (["eval", "latency", "--data", "d.csv", "--adapt-half-life", "-1h"], "--adapt-half-life must be a duration above 0"),
        (["report", "roi", "--savings-per-year", "1", "--months", "-5"], "--months must be between 1 and 1200"),
        (["serve", "--model", "m.json", "--port", "-1"], "--port must be between 0 and 65535"),
        (["serve", "--model", "m.json", "--threads", "-2"], "--threads must be between 1 and 256"),
        (["serve", "--model", "m.json", "--watch-interval", "-5"], "--watch-interval must be between 0 and 86400"),
        (["series", "--since", "-1d"], "--since '-1d' is not a date or date-time"),
    ])
    func negativeValuesAsTheirOwnWordReachTheOption(_ args: [String], _ expected: String) throws {
        let r = try MosaicBinary.run(args)
        #expect(r.status == 64, "\(args): status \(r.status), stderr: \(r.stderr)")
        #expect(r.stderr.contains("Error: " + expected), "\(args): \(r.stderr)")
        #expect(!r.stderr.contains("Missing value"), "\(args): \(r.stderr)")
    }

    /// A value left out is still said to be missing (the next option is not taken for it), and
    /// words after `--` are not joined.
    @Test func aValueLeftOutIsStillMissing() throws {
        let r = try MosaicBinary.run(["forecast", "--holdout", "--format", "json"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("Error: Missing value for '--holdout <holdout>'"), "\(r.stderr)")
        // After `--` both words are scenario files (joined, they would have been one).
        let terminated = try MosaicBinary.run(["simulate", "--parallel", "1", "--", "--seed", "-1"])
        #expect(terminated.status != 0)
        #expect(terminated.stderr.contains("give one scenario file"), "\(terminated.stderr)")
    }

    @Test(arguments: [
        (["db", "runs", "--limit=-5"], "--limit must be at least 1"),
        (["demo", "--days=-5"], "--days must be between 1 and 366"),
        (["generate", "--rate=-5"], "--rate must be greater than 0"),
        (["ingest", "openai-usage", "--timeout=-5"], "--timeout must be greater than 0 and at most 3600"),
        (["ingest", "openai-usage", "--timeout=inf"], "--timeout must be greater than 0 and at most 3600"),
        (["route", "--capability", "visoin"], "--capability 'visoin' is not one the catalog's providers list (did you mean 'vision'?)"),
        (["db", "info", "--db", "mysql://x@127.0.0.1/db"], "--db 'mysql://…' is not a store Mosaic opens; give an SQLite file or a postgres:// URL"),
        (["serve", "--model", "m.json", "--store", "mysql://x@127.0.0.1/db"], "--store 'mysql://…' is not a store Mosaic opens"),
        (["ingest", "openai-usage", "--base-url", "ftp://127.0.0.1:1"], "--base-url 'ftp://127.0.0.1:1' is not an http:// or https:// URL with a host"),
        (["ingest", "openai-usage", "--base-url", "http://127.0.0.1:99999"], "--base-url 'http://127.0.0.1:99999' has port 99999; a port is a number from 1 to 65535"),
        (["ingest", "openai-costs", "--base-url", "http://127.0.0.1:1/v1"], "--base-url 'http://127.0.0.1:1/v1' ends in /v1: give the API's address without it"),
        (["ingest", "github-billing", "--org", "octo-org", "--account", "other"], "--account does not apply to github-billing: the organization (--org) is the account"),
        (["ingest", "openai-usage", "--since", "2026-11-10", "--until", "2026-11-01"],
         "--until '2026-11-01' must be after --since '2026-11-10': the window is empty"),
        (["route", "--prompt-tokens=-5"], "--prompt-tokens must be between 0 and"),
        (["forecast", "--horizon=-5"], "--horizon must be between 1 and 10000"),
        (["forecast", "--horizon", "1000000000"], "--horizon must be between 1 and 10000"),
        (["anomalies", "--level=-5"], "--level must be between 50 and 100"),
        (["train", "routing", "--folds=-5"], "--folds must be between 2 and 20"),
        (["train", "routing", "--folds", "400"], "--folds must be between 2 and 20"),
        (["simulate", "s.yaml", "--replications=-5"], "--replications must be between 1 and 1000"),
        (["eval", "latency", "--data", "d.csv", "--ewma-alpha=-5"], "--ewma-alpha must be in (0, 1]"),
        (["eval", "latency", "--data", "d.csv", "--adapt-half-life", "0s"], "--adapt-half-life must be a duration above 0"),
        (["eval", "latency", "--data", "d.csv", "--adapt-half-life", "5"], "--adapt-half-life '5' has no unit"),
        (["report", "roi", "--savings-per-year", "1", "--years=-5"], "--years must be between 1 and 100"),
        (["serve", "--model", "m.json", "--idle-timeout=-5"], "--idle-timeout must be between 1 and 86400"),
        (["serve", "--model", "m.json", "--shutdown-timeout=-5"], "--shutdown-timeout must be between 0 and 3600"),
        (["serve", "--model", "m.json", "--watch-interval=-5"], "--watch-interval must be between 0 and 86400"),
        (["serve", "--model", "m.json", "--request-timeout=inf"], "--request-timeout must be greater than 0 and at most 3600"),
        (["serve", "--model", "m.json", "--decision-ttl=1e300"], "--decision-ttl must be greater than 0 and at most 86400"),
        (["serve", "--model", "m.json", "--idle-timeout=9223372036854775807"], "--idle-timeout must be between 1 and 86400"),
        (["serve", "--model", "m.json", "--store-timeout=0"], "--store-timeout must be between 0.1 and 600 seconds"),
        (["serve", "--model", "m.json", "--store-timeout", "-1"], "--store-timeout must be between 0.1 and 600 seconds"),
        (["serve", "--model", "m.json", "--store-timeout=601"], "--store-timeout must be between 0.1 and 600 seconds"),
        (["serve", "--model", "m.json", "--store-timeout=nan"], "--store-timeout must be between 0.1 and 600 seconds"),
    ])
    func outOfRangeValuesNameTheOption(_ args: [String], _ expected: String) throws {
        let r = try MosaicBinary.run(args)
        #expect(r.status == 64, "\(args): status \(r.status), stderr: \(r.stderr)")
        #expect(r.stderr.contains("Error: " + expected), "\(args): \(r.stderr)")
    }

    /// An error quotes the user's values; their control characters are shown as \u{…}, both in
    /// a file's error (catalog validate) and in an option's (`validate()`), never sent raw.
    @Test func controlCharactersInMessagesAreShownNotSent() throws {
        let tmp = TemporaryDirectory("ctl")
        let catalog = tmp.write("ctl.yaml", "version: 1\nproviders:\n  - id: \"open\\e[31mai\\0\"\n    name: x\n    kind: ai\n")
        let r = try MosaicBinary.run(["catalog", "validate", catalog])
        #expect(r.status == 1)
        #expect(r.stderr.contains(#"providers[0].id: 'open\u{1B}[31mai\u{0}' is not a valid id"#), "\(r.stderr)")
        let g = try MosaicBinary.run(["generate", "--start", "2026-01-01\u{1B}[2J"])
        #expect(g.status == 64)
        #expect(g.stderr.contains(#"2026-01-01\u{1B}[2J"#), "\(g.stderr)")
        for text in [r.stderr, g.stderr] { #expect(!text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{0}" }) }
    }
}
