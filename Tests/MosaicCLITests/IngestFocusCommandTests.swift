import Foundation
import MosaicStore
import MosaicTestSupport
import Testing

/// `mosaic ingest focus` end to end, through the built binary.
@Suite struct IngestFocusCommandTests {
    static let header = """
        BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,\
        ChargeCategory,ChargeClass,ChargeDescription,ChargePeriodEnd,ChargePeriodStart,ContractedCost,EffectiveCost,\
        InvoiceIssuerName,ListCost,PricingQuantity,PricingUnit,ProviderName,PublisherName,ServiceCategory,ServiceName,\
        Tags,x_invoice_section
        """

    /// A row with the given BilledCost and Tags.
    static func row(billed: String, tags: String = "NULL", start: String = "2024-09-18 22:00:00",
                    end: String = "2024-09-18 23:00:00") -> String {
        "\(billed),acct-1,Main,USD,2024-10-01 00:00:00,2024-09-01 00:00:00,Usage,NULL,VM hours,\(end),\(start),"
            + "\(billed),\(billed),Acme Cloud,\(billed),1,Hours,Acme,Acme,Compute,Virtual Machines,\(tags),S1"
    }

    @Test func badRowExitsNonZeroNamingFileLineAndColumnAndCommitsNothing() throws {
        let tmp = TemporaryDirectory("focus-bad")
        let csv = tmp.write("bill.csv", [
            Self.header, Self.row(billed: "1.5"),
            Self.row(billed: "2", start: "2024-09-18 23:00:00", end: "2024-09-18 22:00:00"), "",
        ].joined(separator: "\n"))
        let db = tmp.file("m.sqlite")
        let r = try MosaicBinary.run(["ingest", "focus", csv, "--db", db])
        #expect(r.status != 0)
        #expect(r.stderr.contains("bill.csv:3: column ChargePeriodEnd: 2024-09-18T22:00:00Z is before ChargePeriodStart"),
                "stderr: \(r.stderr)")
        #expect(r.stdout.isEmpty)
        let store = try Store(path: db)
        #expect(try store.database.scalarInt("SELECT count(*) FROM billing_lines") == 0)
        let run = try #require(try store.runs().first)
        #expect(run.source == "billing:focus")
        #expect(run.status == "failed")
        #expect(run.error?.contains("bill.csv:3: column ChargePeriodEnd:") == true)

        let null = tmp.write("null.csv", [Self.header, Self.row(billed: "NULL"), ""].joined(separator: "\n"))
        let n = try MosaicBinary.run(["ingest", "focus", null, "--db", db])
        #expect(n.status != 0)
        #expect(n.stderr.contains("null.csv:2: column BilledCost: is null (FOCUS requires a value)"), "stderr: \(n.stderr)")
    }

    @Test func printsTheTableAndReIngestChangesNothing() throws {
        let tmp = TemporaryDirectory("focus-ok")
        let csv = tmp.write("bill.csv", [
            Self.header,
            Self.row(billed: "1.50", tags: #""{""team"": ""core"", ""app"": ""web""}""#),
            Self.row(billed: "0.000000000001"),
            Self.row(billed: "0.000000000001"),
            "",
        ].joined(separator: "\n"))
        let db = tmp.file("m.sqlite")
        let r = try MosaicBinary.run(["ingest", "focus", csv, "--db", db])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(r.stdout)")
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true)
                == ["file", "version", "rows", "new", "updated", "unchanged", "quarantined", "billed"])
        #expect(lines.last?.split(separator: " ", omittingEmptySubsequences: true)
                == ["\(csv)", "1.0", "3", "3", "0", "0", "0", "USD", "1.500000000002"], "\(r.stdout)")

        let json = try MosaicBinary.run(["ingest", "focus", csv, "--db", db, "--output", "json", "--team-tag", "app"])
        #expect(json.status == 0, "stderr: \(json.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["new"] as? Int == 0)
        #expect(rows.first?["updated"] as? Int == 1)  // the tagged line's team follows --team-tag
        #expect(rows.first?["unchanged"] as? Int == 2)
        #expect(rows.first?["billed"] as? String == "USD 1.500000000002")
        // `db runs` accounts for every row of the re-ingest: new, updated, already stored.
        let runs = try MosaicBinary.run(["db", "runs", "--db", db, "--limit", "1", "--format", "json"])
        let run = try #require((try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]])?.first)
        #expect(run["rows"] as? Int == 3 && run["new"] as? Int == 0 && run["updated"] as? Int == 1
                && run["already_stored"] as? Int == 2, "\(run)")

        let store = try Store(path: db)
        #expect(try store.database.scalarInt("SELECT count(*) FROM billing_lines") == 3)
        #expect(try store.database.scalarText("SELECT team FROM billing_lines WHERE team IS NOT NULL") == "web")
        #expect(try store.database.scalarText("SELECT DISTINCT json_extract(extra, '$.x_invoice_section') FROM billing_lines") == "S1")
    }

    @Test func skipBadReportsQuarantinedRows() throws {
        let tmp = TemporaryDirectory("focus-skip")
        let csv = tmp.write("bill.csv", [
            Self.header, Self.row(billed: "1"), Self.row(billed: "one"), "",
        ].joined(separator: "\n"))
        let r = try MosaicBinary.run(["ingest", "focus", csv, "--skip-bad", "--output", "csv", "--db", tmp.file("m.sqlite")])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout == "file,version,rows,new,updated,unchanged,quarantined,billed\n\(csv),1.0,2,1,0,0,1,USD 1\n")
    }

    @Test func optionsAreChecked() throws {
        let tmp = TemporaryDirectory("focus-options")
        let csv = tmp.write("bill.csv", [Self.header, Self.row(billed: "1"), ""].joined(separator: "\n"))
        let version = try MosaicBinary.run(["ingest", "focus", csv, "--focus-version", "1.1", "--db", tmp.file("m.sqlite")])
        #expect(version.status != 0)
        #expect(version.stderr.contains("1.1"), "stderr: \(version.stderr)")
        let tag = try MosaicBinary.run(["ingest", "focus", csv, "--team-tag", "", "--db", tmp.file("m.sqlite")])
        #expect(tag.status != 0)
        #expect(tag.stderr.contains("--team-tag must not be empty"), "stderr: \(tag.stderr)")
        let forced = try MosaicBinary.run(["ingest", "focus", csv, "--focus-version", "1.2", "--output", "json",
                                           "--db", tmp.file("m.sqlite")])
        #expect(forced.status == 0, "stderr: \(forced.stderr)")
        #expect(forced.stdout.contains(#""version" : "1.2""#), "\(forced.stdout)")
    }
}

/// `mosaic costs` over ingested billing lines.
@Suite struct CostsCommandTests {
    @Test func costsGroupByProviderTeamAndMonthExactly() throws {
        let tmp = TemporaryDirectory("costs")
        let csv = tmp.write("bill.csv", [
            IngestFocusCommandTests.header,
            IngestFocusCommandTests.row(billed: "1.000000001", tags: #""{""team"": ""core""}""#),
            IngestFocusCommandTests.row(billed: "2.5", tags: #""{""team"": ""core""}""#, start: "2024-09-19 01:00:00",
                                        end: "2024-09-19 02:00:00"),
            IngestFocusCommandTests.row(billed: "0.25", tags: #""{""team"": ""data""}""#, start: "2024-10-01 01:00:00",
                                        end: "2024-10-01 02:00:00"),
            "",
        ].joined(separator: "\n"))
        let db = tmp.file("m.sqlite")
        let ingest = try MosaicBinary.run(["ingest", "focus", csv, "--db", db])
        #expect(ingest.status == 0, "stderr: \(ingest.stderr)")
        let r = try MosaicBinary.run(["costs", "--by", "provider", "team", "month", "--db", db, "--format", "csv"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout == """
            provider,team,month,currency,billed,effective,lines
            Acme,core,2024-09,USD,3.500000001,3.500000001,2
            Acme,data,2024-10,USD,0.25,0.25,1

            """)
        let bad = try MosaicBinary.run(["costs", "--by", "colour", "--db", db])
        #expect(bad.status != 0)
    }
}
