import Foundation
import MosaicTestSupport
import Testing

/// The same inputs through `mosaic` on SQLite and on PostgreSQL: identical cost totals (exact)
/// and identical report bytes, on a generated demo log and on the FOCUS sample.
@Suite("PostgreSQL parity", .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.skipReason)))
struct PostgresParityTests {
    static let focusRelative = "datasets/focus-billing-sample/focus_sample.csv"

    /// The FOCUS sample: the repository's fixture copy when present, else `../shared`.
    static var focusSample: String? {
        let fixture = SharedData.packageRoot + "/Tests/Fixtures/shared/" + focusRelative
        return FileManager.default.fileExists(atPath: fixture) ? fixture : SharedData.path(focusRelative)
    }

    func mosaic(_ arguments: [String]) throws -> String {
        let r = try MosaicBinary.run(arguments)
        #expect(r.status == 0, "mosaic \(arguments.joined(separator: " ")): \(r.stderr)")
        return r.stdout
    }

    /// Loads the sample prices and log, and the FOCUS sample, into a store.
    func load(_ store: String, sample: String, focus: String) throws {
        _ = try mosaic(["prices", "import", sample + "/prices.json", "--db", store])
        _ = try mosaic(["ingest", "requests", sample + "/requests.csv", "--db", store])
        _ = try mosaic(["ingest", "focus", focus, "--db", store])
    }

    func tableRows(_ store: String) throws -> [String: Int] {
        let json = try mosaic(["db", "info", "--db", store, "--format", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["table"] as! String, $0["rows"] as! Int) })
    }

    @Test func demoLogAndFOCUSSampleGiveTheSameTotalsAndReportBytes() throws {
        let focus = try #require(Self.focusSample, Comment(rawValue: SharedData.missing(Self.focusRelative) ?? ""))
        let tmp = TemporaryDirectory("pg-parity")
        _ = try mosaic(["generate", "--days", "2", "--seed", "5", "--out", tmp.file("sample")])
        let db = try PostgresServer.database("parity")
        let lite = tmp.file("m.sqlite")
        for store in [lite, db.location] { try load(store, sample: tmp.file("sample"), focus: focus) }

        // Re-running every ingest on PostgreSQL adds nothing.
        let before = try tableRows(db.location)
        try load(db.location, sample: tmp.file("sample"), focus: focus)
        let after = try tableRows(db.location)
        for table in ["requests", "billing_lines", "prices", "providers"] {
            #expect(after[table] == before[table], "\(table)")
            #expect(after[table] == (try tableRows(lite))[table], "\(table)")
        }
        #expect((after["requests"] ?? 0) > 1000 && (after["billing_lines"] ?? 0) > 100)

        for by in [["provider", "month"], ["service", "team", "category"], ["source", "tenant", "project"]] {
            let args = ["costs", "--by"] + by + ["--format", "json"]
            let a = try mosaic(args + ["--db", lite]), b = try mosaic(args + ["--db", db.location])
            #expect(a == b, "costs --by \(by)")
            #expect(a.count > 10)
        }
        let csvArgs = ["costs", "--by", "provider", "--format", "csv"]
        #expect(try mosaic(csvArgs + ["--db", lite]) == mosaic(csvArgs + ["--db", db.location]))
        for args in [["series", "--by", "provider", "--format", "csv"], ["series", "--interval", "5m", "--by", "tenant", "--format", "json"],
                     ["prices", "list", "--format", "csv"]] {
            #expect(try mosaic(args + ["--db", lite]) == mosaic(args + ["--db", db.location]), "\(args)")
        }

        for (store, dir) in [(lite, "lite"), (db.location, "pg")] {
            _ = try mosaic(["report", "cost", "--db", store, "--out", tmp.file(dir), "--formats", "md,csv,json,html"])
            _ = try mosaic(["report", "latency", "--db", store, "--out", tmp.file(dir), "--formats", "md,csv,json"])
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: tmp.file("lite")).sorted()
        #expect(files.count >= 6)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.file("pg")).sorted() == files)
        for f in files {
            let a = FileManager.default.contents(atPath: tmp.file("lite/" + f))
            let b = FileManager.default.contents(atPath: tmp.file("pg/" + f))
            #expect(a != nil && a == b, "report file \(f) differs between SQLite and PostgreSQL")
        }
    }

    @Test func dbCopyMovesAStoreAndChecksCountsAndMoney() throws {
        let tmp = TemporaryDirectory("pg-copy")
        _ = try mosaic(["generate", "--days", "1", "--seed", "2", "--out", tmp.file("sample")])
        let lite = tmp.file("m.sqlite")
        _ = try mosaic(["prices", "import", tmp.file("sample/prices.json"), "--db", lite])
        _ = try mosaic(["ingest", "requests", tmp.file("sample/requests.csv"), "--db", lite])
        let db = try PostgresServer.database("dbcopy")
        let out = try mosaic(["db", "copy", "--from", lite, "--to", db.location, "--format", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]])
        #expect(rows.count >= 9)
        #expect(rows.allSatisfy { $0["match"] as? String == "yes" }, "\(out)")
        let requests = try #require(rows.first { $0["table"] as? String == "requests" })
        #expect((requests["rows_to"] as? Int ?? 0) > 1000)
        #expect(requests["total_from"] as? String == requests["total_to"] as? String)
        let args = ["costs", "--by", "provider", "--format", "json"]
        #expect(try mosaic(args + ["--db", lite]) == mosaic(args + ["--db", db.location]))

        // A second copy into the now full database is refused, and changes nothing.
        let again = try MosaicBinary.run(["db", "copy", "--from", lite, "--to", db.location])
        #expect(again.status != 0)
        #expect(again.stderr.contains("copy into an empty store"), "\(again.stderr)")
    }
}
