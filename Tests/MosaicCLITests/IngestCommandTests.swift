import Foundation
import MosaicStore
import MosaicTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct IngestCommandTests {
    @Test func badRowExitsNonZeroNamingFileLineAndColumn() throws {
        let tmp = TemporaryDirectory("ingest-bad")
        let csv = tmp.write("log.csv", """
            timestamp,provider,model,input_tokens,latency_ms
            2024-01-01T00:00:00Z,openai,gpt-4o,12,100
            2024-01-01T00:00:01Z,openai,gpt-4o,13,abc

            """)
        let r = try MosaicBinary.run(["ingest", "requests", csv, "--db", tmp.file("m.sqlite")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("log.csv:3: column latency_ms: 'abc' is not a number"), "stderr: \(r.stderr)")
        let store = try Store(path: tmp.file("m.sqlite"))
        #expect(try store.database.scalarInt("SELECT count(*) FROM requests") == 0)
    }

    /// With several files, a bad one stops the command and the message says which files were
    /// stored before it and which were never read (before, only the error: nothing said that
    /// the first file had landed).
    @Test func aBadFileAmongSeveralSaysWhatWasStoredAndWhatWasNotRead() throws {
        let tmp = TemporaryDirectory("ingest-several")
        let header = "timestamp,provider,model,input_tokens,latency_ms\n"
        let good = tmp.write("good.csv", header + "2024-01-01T00:00:00Z,openai,gpt-4o,12,100\n")
        let bad = tmp.write("bad.csv", header + "2024-01-01T00:00:01Z,openai,gpt-4o,13,abc\n")
        let later = tmp.write("later.csv", header + "2024-01-01T00:00:02Z,openai,gpt-4o,14,100\n")
        let r = try MosaicBinary.run(["ingest", "requests", good, bad, later, "--db", tmp.file("m.sqlite")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("bad.csv:2: column latency_ms: 'abc' is not a number"), "stderr: \(r.stderr)")
        #expect(r.stderr.contains("stored before it (each file is its own transaction): \(good)"), "stderr: \(r.stderr)")
        #expect(r.stderr.contains("not read: \(later)"), "stderr: \(r.stderr)")
        let store = try Store(path: tmp.file("m.sqlite"))
        #expect(try store.database.scalarInt("SELECT count(*) FROM requests") == 1)
        // Alone, a bad file's message is the error only.
        let alone = try MosaicBinary.run(["ingest", "requests", bad, "--db", tmp.file("m.sqlite")])
        #expect(alone.status != 0 && !alone.stderr.contains("not read") && !alone.stderr.contains("stored before"), "stderr: \(alone.stderr)")
    }

    /// The names given for rows that name none are held to what a file's column is: not
    /// empty, not longer than a field (before, `--model ''` stored rows with an empty model
    /// and a 100 KB `--tenant` was taken, exit 0).
    @Test func namesGivenForRowsAreHeldToWhatAColumnIs() throws {
        let tmp = TemporaryDirectory("ingest-names")
        let csv = tmp.write("log.csv", "timestamp,input_tokens,latency_ms\n2024-01-01T00:00:00Z,12,100\n")
        let db = tmp.file("m.sqlite")
        for (option, value, said) in [("--model", "", "--model must not be empty"), ("--operation", "", "--operation must not be empty"),
                                      ("--provider", "", "--provider must not be empty"),
                                      ("--tenant", String(repeating: "t", count: 100_000), "--tenant is longer than 65536 bytes")] {
            let r = try MosaicBinary.run(["ingest", "requests", csv, "--provider", "openai", "--model", "gpt-4o", option, value, "--db", db])
            #expect(r.status != 0 && r.stderr.contains(said), "\(option): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: db))
    }

    /// Token counts over 10¹² and durations over 7 days are bad rows naming file, line and
    /// column; before, both trapped (an expensive model's cost overflowed `Money`, and 10³⁰⁰ ms
    /// overflowed the minute count), and later 10³⁰⁰ ms was stored unpriced.
    @Test func absurdTokenCountsAndDurationsAreNotCrashes() throws {
        let tmp = TemporaryDirectory("ingest-huge")
        let prices = tmp.write("p.json", #"{"o1-pro": {"litellm_provider": "openai", "input_cost_per_token": 0.00015, "output_cost_per_token": 0.0006}, "build": {"litellm_provider": "github-actions", "cost_per_minute": 0.008}}"#)
        let db = tmp.file("m.sqlite")
        #expect(try MosaicBinary.run(["prices", "import", prices, "--db", db]).status == 0)
        let tokens = tmp.write("tokens.csv", "timestamp,provider,model,input_tokens,output_tokens\n2024-01-01T00:00:00Z,openai,o1-pro,10,10\n2024-01-01T00:00:01Z,openai,o1-pro,9000000000000000000,9000000000000000000\n")
        let r = try MosaicBinary.run(["ingest", "requests", tokens, "--db", db])
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("tokens.csv:3: column input_tokens: 9000000000000000000 is over 1000000000000"), "stderr: \(r.stderr)")
        let store = try Store(path: db)
        #expect(try store.database.scalarInt("SELECT count(*) FROM requests") == 0)
        let skipped = try MosaicBinary.run(["ingest", "requests", tokens, "--skip-bad", "--db", db])
        #expect(skipped.status == 0, "stderr: \(skipped.stderr)")
        #expect(try store.database.scalarInt("SELECT count(*) FROM requests") == 1)
        #expect(try store.database.scalarInt("SELECT count(*) FROM quarantine") == 1)

        // 10³⁰⁰ ms is over the 7 days a latency may take, so a bad row; the longest one prices.
        let minutes = tmp.write("minutes.csv", "timestamp,provider,model,latency_ms\n2024-01-01T00:00:00Z,github-actions,build,1e300\n")
        let m = try MosaicBinary.run(["ingest", "requests", minutes, "--output", "json", "--db", db])
        #expect(m.status == 1 && m.stderr.contains("minutes.csv:2: column latency_ms: '1e300' is over 604800000 ms (7 days)"), "stderr: \(m.stderr)")
        let week = tmp.write("week.csv", "timestamp,provider,model,latency_ms\n2024-01-01T00:00:00Z,github-actions,build,604800000\n")
        let w = try MosaicBinary.run(["ingest", "requests", week, "--output", "json", "--db", db])
        #expect(w.status == 0, "stderr: \(w.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(w.stdout.utf8)) as? [[String: Any]])
        #expect(rows.first?["new"] as? Int == 1)
        #expect(rows.first?["unpriced"] as? Int == 0)
    }

    /// `mosaic db runs` lists the ingest runs newest first with their counts: a file ingested
    /// twice is new the first time and already stored the second; a refused file's run failed.
    @Test func dbRunsListsEachIngestWithItsCounts() throws {
        let tmp = TemporaryDirectory("db-runs")
        let db = tmp.file("m.sqlite")
        let csv = tmp.write("log.csv", """
            timestamp,provider,model,input_tokens
            2024-01-01T00:00:00Z,openai,gpt-4o,12
            2024-01-01T00:00:01Z,openai,gpt-4o,13
            2024-01-01T00:00:02Z,anthropic,claude-sonnet-4-5,14

            """)
        let bad = tmp.write("bad.csv", "timestamp,provider,model,input_tokens\n2024-01-01T00:00:03Z,openai,gpt-4o,x\n")
        for file in [csv, csv, bad] { _ = try MosaicBinary.run(["ingest", "requests", file, "--db", db]) }
        let r = try MosaicBinary.run(["db", "runs", "--db", db, "--format", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let runs = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(runs.map { $0["id"] as? Int } == [3, 2, 1])
        #expect(runs.map { $0["status"] as? String } == ["failed", "ok", "ok"], "\(runs)")
        #expect(runs[1]["rows"] as? Int == 3 && runs[1]["new"] as? Int == 0 && runs[1]["already_stored"] as? Int == 3)
        #expect(runs[2]["rows"] as? Int == 3 && runs[2]["new"] as? Int == 3 && runs[2]["already_stored"] as? Int == 0)
        #expect((runs[0]["error"] as? String)?.contains("bad.csv:2: column input_tokens") == true, "\(runs[0])")
        #expect((runs[2]["location"] as? String)?.hasSuffix("log.csv") == true)
        let newest = try MosaicBinary.run(["db", "runs", "--db", db, "--limit", "1", "--format", "csv"])
        #expect(newest.stdout.split(separator: "\n").count == 2, "\(newest.stdout)")
    }

    @Test func skipBadQuarantinesAndReports() throws {
        let tmp = TemporaryDirectory("ingest-skip")
        let csv = tmp.write("log.csv", """
            timestamp,provider,model,input_tokens
            2024-01-01T00:00:00Z,openai,gpt-4o,12
            2024-01-01T00:00:01Z,openai,gpt-4o,-1
            2024-01-01T00:00:02Z,nobody,gpt-4o,1

            """)
        let r = try MosaicBinary.run(["ingest", "requests", csv, "--skip-bad", "--output", "json", "--db", tmp.file("m.sqlite")])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(rows.first?["new"] as? Int == 1)
        #expect(rows.first?["quarantined"] as? Int == 2)
    }

    @Test func dbInfoListsTablesAndVersion() throws {
        let tmp = TemporaryDirectory("dbinfo")
        let r = try MosaicBinary.run(["db", "info", "--format", "json", "--db", tmp.file("m.sqlite")])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let tables = Set(rows.compactMap { $0["table"] as? String })
        #expect(tables.isSuperset(of: ["requests", "prices", "providers", "usage_buckets", "billing_lines",
                                       "ingest_runs", "checkpoints", "quarantine", "models", "schema_migrations"]))
        let text = try MosaicBinary.run(["db", "info", "--db", tmp.file("m.sqlite")])
        #expect(text.stdout.contains("schema version: \(Schema.latestVersion)"))
    }

    /// `--db ''` opened SQLite's temporary database: the ingest reported its rows as new and
    /// they vanished at exit. An empty store location is a usage error.
    @Test func anEmptyStoreLocationIsRefused() throws {
        let tmp = TemporaryDirectory("dbempty")
        let csv = tmp.write("log.csv", "timestamp,provider,model\n2024-01-01T00:00:00Z,openai,gpt-4o\n")
        for args in [["ingest", "requests", csv, "--db", ""], ["db", "info", "--db", " "],
                     ["db", "copy", "--from", csv, "--to", ""]] {
            let r = try MosaicBinary.run(args, in: tmp.path)
            #expect(r.status == 64, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("is empty; give an SQLite file or a postgres:// URL"), "\(args): \(r.stderr)")
        }
    }

    /// `--until` at or before `--since` was an empty window that printed an empty table with
    /// exit 0; it is a usage error now.
    @Test func aWindowEndingBeforeItStartsIsRefused() throws {
        let tmp = TemporaryDirectory("window")
        for command in [["series"], ["costs"], ["train", "routing"], ["report", "cost"]] {
            let r = try MosaicBinary.run(command + ["--since", "2026-10-07", "--until", "2026-10-05", "--db", tmp.file("m.sqlite")],
                                         in: tmp.path)
            #expect(r.status == 64, "\(command): \(r.stderr)")
            #expect(r.stderr.contains("--until '2026-10-05' must be after --since '2026-10-07': the window is empty"),
                    "\(command): \(r.stderr)")
        }
    }

    @Test func dbEnvironmentVariableChoosesTheStore() throws {
        let tmp = TemporaryDirectory("dbenv")
        let r = try MosaicBinary.run(["db", "info"], in: tmp.path, environment: ["MOSAIC_DB": tmp.file("env.sqlite")])
        #expect(r.status == 0)
        #expect(FileManager.default.fileExists(atPath: tmp.file("env.sqlite")))
        #expect(!FileManager.default.fileExists(atPath: tmp.file("mosaic.sqlite")))
    }

    /// Kills an ingest with SIGKILL midway: the store must open, pass `integrity_check`, and
    /// hold all of the file or none of it; a second ingest then completes it exactly once.
    @Test func killDuringIngestLeavesAllOrNothing() throws {
        let tmp = TemporaryDirectory("crash")
        let gen = try MosaicBinary.run(["generate", "--days", "7", "--rate", "30", "--out", tmp.file("big")])
        #expect(gen.status == 0, "stderr: \(gen.stderr)")
        let csv = tmp.file("big/requests.csv")
        let db = tmp.file("m.sqlite")
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").count - 1

        let process = try MosaicBinary.start(["ingest", "requests", csv, "--db", db])
        // Wait until the transaction is under way: the run row is committed and the WAL grows.
        let deadline = Date().addingTimeInterval(60)
        var walSize = 0
        while Date() < deadline, process.isRunning {
            walSize = ((try? FileManager.default.attributesOfItem(atPath: db + "-wal")[.size]) as? NSNumber)?.intValue ?? 0
            if walSize > 2_000_000 { break }
            usleep(20_000)
        }
        let killedMidway = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(killedMidway, "the ingest finished before it could be killed (wal \(walSize) bytes)")

        let store = try Store(path: db)
        #expect(try store.database.scalarText("PRAGMA integrity_check") == "ok")
        let count = try #require(try store.database.scalarInt("SELECT count(*) FROM requests"))
        #expect(count == 0 || count == Int64(lines), "partial file committed: \(count) of \(lines)")
        if killedMidway {
            #expect(count == 0)
            #expect(try store.database.scalarText("SELECT status FROM ingest_runs ORDER BY id DESC LIMIT 1") == "running")
            // The killed process is gone: `db runs` says the run was interrupted, naming the pid.
            let runs = try MosaicBinary.run(["db", "runs", "--db", db, "--format", "json"])
            #expect(runs.status == 0, "stderr: \(runs.stderr)")
            let listed = try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]]
            #expect(listed?.first?["status"] as? String == "interrupted", "\(runs.stdout)")
            #expect((listed?.first?["error"] as? String)?.contains("pid \(process.processIdentifier) on") == true, "\(runs.stdout)")
        }

        let again = try MosaicBinary.run(["ingest", "requests", csv, "--db", db])
        #expect(again.status == 0, "stderr: \(again.stderr)")
        #expect(try store.database.scalarInt("SELECT count(*) FROM requests") == Int64(lines))
        let statuses = try store.database.rows("SELECT status FROM ingest_runs ORDER BY id").map { $0[0].textValue ?? "" }
        #expect(statuses == (killedMidway ? ["interrupted", "ok"] : ["ok", "ok"]), "\(statuses)")
    }
}
