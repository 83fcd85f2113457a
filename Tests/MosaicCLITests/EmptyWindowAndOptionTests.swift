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
        #expect(latency.stderr.contains(note), "stderr: \(latency.stderr)")
        let sides = try MosaicBinary.run(["report", "latency", "--db", db, "--out", tmp.file("reports"), "--formats", "json",
                                          "--before", "2030-01-01..2030-01-02", "--after", "2026-10-05..2026-10-06"])
        #expect(sides.status == 0, "stderr: \(sides.stderr)")
        #expect(sides.stderr.contains("no requests between 2030-01-01T00:00:00Z and 2030-01-02T00:00:00Z in \(db)"),
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
        // argument-parser reads "-5" as an option unless the option takes its value unconditionally.
        let cases: [[String]] = [
            ["--upfront", "150000", "--savings-per-year", "415000", "--years", "5", "--rate", "-5"],
            ["--cash-flows", "-100,60,60", "--period", "year"],
            ["--upfront", "-100", "--savings-per-month", "-3", "--running", "-1", "--years", "1"],
            ["--baseline", "-10", "--scenario", "-20", "--years", "1"],
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

    @Test(arguments: [
        (["db", "runs", "--limit=-5"], "--limit must be at least 1"),
        (["demo", "--days=-5"], "--days must be between 1 and 366"),
        (["generate", "--rate=-5"], "--rate must be greater than 0"),
        (["ingest", "openai-usage", "--timeout=-5"], "--timeout must be greater than 0 and at most 3600"),
        (["ingest", "openai-usage", "--timeout=inf"], "--timeout must be greater than 0 and at most 3600"),
        (["route", "--capability", "visoin"], "--capability 'visoin' is not one the catalog's providers list (did you mean 'vision'?)"),
        (["db", "info", "--db", "mysql://x@127.0.0.1/db"], "--db 'mysql://…' is not a store Mosaic opens; give an SQLite file or a postgres:// URL"),
        (["serve", "--model", "m.json", "--store", "mysql://x@127.0.0.1/db"], "--store 'mysql://…' is not a store Mosaic opens"),
        (["ingest", "openai-usage", "--base-url", "ftp://127.0.0.1:1"], "--base-url 'ftp://127.0.0.1:1' is not an http:// or https:// address"),
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
}
