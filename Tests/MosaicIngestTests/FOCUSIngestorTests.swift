import Foundation
import MosaicCore
import MosaicStore
import MosaicTestSupport
import Testing

@testable import MosaicIngest

// MARK: - Helpers

/// The 21 mandatory FOCUS columns plus Tags, in the order of the inline test files.
private let baseColumns = [
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity",
    "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName", "Tags",
]

/// A valid row's fields (column → raw text before CSV quoting).
private let baseValues: [String: String] = [
    "BilledCost": "1.25", "BillingAccountId": "acct-1", "BillingAccountName": "Main", "BillingCurrency": "USD",
    "BillingPeriodEnd": "2024-10-01T00:00:00Z", "BillingPeriodStart": "2024-09-01T00:00:00Z",
    "ChargeCategory": "Usage", "ChargeClass": "NULL", "ChargeDescription": "Compute, per hour",
    "ChargePeriodEnd": "2024-09-18 23:00:00", "ChargePeriodStart": "2024-09-18 22:00:00", "ContractedCost": "1.25",
    "EffectiveCost": "1.0", "InvoiceIssuerName": "Acme Cloud", "ListCost": "1.50", "PricingQuantity": "2",
    "PricingUnit": "Hours", "ProviderName": "Acme", "PublisherName": "Acme", "ServiceCategory": "Compute",
    "ServiceName": "Virtual Machines", "Tags": "NULL",
]

/// RFC 4180 quoting where needed.
private func quote(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

/// A FOCUS CSV: the header `columns` and one line per row of overrides on ``baseValues``.
private func focusCSV(_ rows: [[String: String]], columns: [String] = baseColumns) -> String {
    var lines = [columns.map(quote).joined(separator: ",")]
    for overrides in rows {
        lines.append(columns.map { quote(overrides[$0] ?? baseValues[$0] ?? "NULL") }.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
}

/// A fresh store and ingestor in a temporary folder.
private final class Fixture {
    let tmp = TemporaryDirectory("mosaic-focus")
    let store: Store
    let ingestor: FOCUSIngestor

    init() throws {
        store = try Store(path: tmp.file("m.sqlite"))
        ingestor = FOCUSIngestor(store: store)
    }

    func write(_ rows: [[String: String]], columns: [String] = baseColumns, name: String = "billing.csv") -> String {
        tmp.write(name, focusCSV(rows, columns: columns))
    }

    func ingest(_ path: String, _ configure: (inout FOCUSIngestOptions) -> Void = { _ in }) throws -> FOCUSIngestResult {
        var o = FOCUSIngestOptions()
        configure(&o)
        return try ingestor.ingest(path: path, options: o)
    }

    /// The error of an ingest that must fail (nil when it succeeds).
    func failure(_ path: String, _ configure: (inout FOCUSIngestOptions) -> Void = { _ in }) -> IngestError? {
        do {
            _ = try ingest(path, configure)
            return nil
        } catch {
            return error as? IngestError
        }
    }

    func count(_ table: String) throws -> Int {
        Int(try store.database.scalarInt("SELECT count(*) FROM \(table)") ?? -1)
    }

    /// Stored lines as text, ordered by natural key.
    func lines(_ columns: String) throws -> [[String]] {
        try store.database.rows("SELECT \(columns) FROM billing_lines ORDER BY natural_key").map { $0.map(\.description) }
    }

    func scalar(_ sql: String) throws -> String? { try store.database.scalarText(sql) }
}

/// Ingests a file that must fail and checks the promises of a failed ingest: the message,
/// nothing of the file in `billing_lines`, and a failed `billing:focus` run carrying the message.
@discardableResult
private func expectFailure(_ fx: Fixture, _ path: String, prefix: String, contains reason: String = "",
                           _ configure: (inout FOCUSIngestOptions) -> Void = { _ in },
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> IngestError {
    let (error, run) = try expectFailedIngest(fx.failure(path, configure), store: fx.store, table: "billing_lines",
                                              prefix: prefix, contains: reason, sourceLocation: sourceLocation)
    #expect(run.source == "billing:focus", sourceLocation: sourceLocation)
    return error
}

/// A file whose line 2 is good and line 3 has `overrides`: the ingest must fail at line 3
/// naming `column`.
private func expectBadRow(_ overrides: [String: String], column: String, reason: String,
                          columns: [String] = baseColumns,
                          _ configure: (inout FOCUSIngestOptions) -> Void = { _ in },
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
    let fx = try Fixture()
    let path = fx.write([[:], overrides], columns: columns)
    try expectFailure(fx, path, prefix: "\(path):3: column \(column): ", contains: reason, configure,
                      sourceLocation: sourceLocation)
}

// MARK: - The FOCUS project's sample file

@Suite struct FOCUSSampleTests {
    static let sample = "datasets/focus-billing-sample/focus_sample.csv"
    static var absent: String { SharedData.missing(sample) ?? "" }

    /// Exact per-provider and total sums of BilledCost and EffectiveCost from Python's `decimal`
    /// module: lines `provider<TAB>billed<TAB>effective`, then `*` for the total.
    static let script = #"""
        import csv, sys
        from decimal import Decimal as D, getcontext
        getcontext().prec = 200
        billed, effective = {}, {}
        with open(sys.argv[1], newline='', encoding='utf-8') as f:
            for r in csv.DictReader(f):
                p = r['ProviderName']
                billed[p] = billed.get(p, D(0)) + D(r['BilledCost'])
                effective[p] = effective.get(p, D(0)) + D(r['EffectiveCost'])
        def text(x):
            return '0' if x == 0 else format(x.normalize(), 'f')
        for p in sorted(billed):
            print(p, text(billed[p]), text(effective[p]), sep='\t')
        print('*', text(sum(billed.values(), D(0))), text(sum(effective.values(), D(0))), sep='\t')
        """#

    @Test(.enabled(if: SharedData.path(FOCUSSampleTests.sample) != nil, Comment(rawValue: FOCUSSampleTests.absent)))
    func sampleLandsWholeAndReIngestChangesNothing() throws {
        let path = try #require(SharedData.path(Self.sample))
        let fx = try Fixture()
        let first = try fx.ingest(path)
        #expect(first.version == .v1_0)
        #expect(first.rows == 1000)
        #expect(first.inserted == 1000)
        #expect(first.updated == 0 && first.unchanged == 0 && first.quarantined == 0)
        #expect(first.billedTotals == ["USD": "20.52022672899"])
        #expect(try fx.count("billing_lines") == 1000)

        let again = try fx.ingest(path)
        #expect(again.inserted == 0)
        #expect(again.updated == 0)
        #expect(again.unchanged == 1000)
        #expect(again.billedTotals == first.billedTotals)
        #expect(try fx.count("billing_lines") == 1000)

        let runs = try fx.store.runs()
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0.source == "billing:focus" && $0.status == "ok" })
        #expect(runs.first?.counts == IngestCounts(read: 1000, inserted: 0, duplicate: 1000, quarantined: 0))
        #expect(runs.last?.counts == IngestCounts(read: 1000, inserted: 1000, duplicate: 0, quarantined: 0))

        let providers = try fx.store.database.rows(
            "SELECT provider_name, count(*) FROM billing_lines GROUP BY 1 ORDER BY 1").map { $0.map(\.description) }
        #expect(providers == [["AWS", "942"], ["Microsoft", "51"], ["Oracle", "7"]])
        let categories = try fx.store.database.rows(
            "SELECT charge_category, count(*) FROM billing_lines GROUP BY 1 ORDER BY 1").map { $0.map(\.description) }
        #expect(categories == [["Adjustment", "2"], ["Credit", "1"], ["Usage", "997"]])
        #expect(try fx.count("quarantine") == 0)
    }

    @Test(.enabled(if: SharedData.path(FOCUSSampleTests.sample) != nil, Comment(rawValue: FOCUSSampleTests.absent)))
    func knownRowMapsTagsAndKeepsUnmodelledColumns() throws {
        let path = try #require(SharedData.path(Self.sample))
        let fx = try Fixture()
        _ = try fx.ingest(path)
        // Line 3 of the file: Id 19384, an Elastic Load Balancing charge.
        let row = try fx.store.database.rows("""
            SELECT tags, team, tenant, project, json_extract(extra, '$.Id'), json_extract(extra, '$.RegionName'),
                   billed_cost, list_unit_price, pricing_quantity, consumed_quantity, charge_period_start,
                   charge_period_end, service_name, sub_account_name
            FROM billing_lines WHERE json_extract(extra, '$.Id') = '19384'
            """).map { $0.map(\.description) }
        try #require(row.count == 1)
        #expect(row[0] == [
            #"{"application":"BrightLensMatrix","business_unit":"ViennaAI","environment":"dev"}"#,
            "ViennaAI", "NULL", "BrightLensMatrix", "19384", "US West (Oregon)", "0.0000160599", "0.008",
            "0.00200749000", "0.002007490000000", "\(Timestamp.parse("2024-09-30T22:00:00Z")!)",
            "\(Timestamp.parse("2024-09-30T23:00:00Z")!)", "Elastic Load Balancing", "Zenith Eclipse",
        ])
        // Every line keeps the sample's non-spec Id; Tags NULL becomes {}.
        #expect(try fx.scalar("SELECT count(DISTINCT json_extract(extra, '$.Id')) FROM billing_lines") == "1000")
        #expect(try fx.count("billing_lines WHERE tags = '{}'") == 289)
        // The Oracle rows leave ContractedCost null (against the spec): stored as null, not refused.
        #expect(try fx.count("billing_lines WHERE contracted_cost IS NULL") == 7)
        #expect(try fx.count("billing_lines WHERE contracted_cost IS NULL AND provider_name = 'Oracle'") == 7)
    }

    @Test(.enabled(if: SharedData.path(FOCUSSampleTests.sample) != nil && Python.has("decimal"),
                   Comment(rawValue: FOCUSSampleTests.absent.isEmpty ? "python3 is not installed; the independent reference needs it" : FOCUSSampleTests.absent)))
    func sumsEqualPythonDecimalToTheLastDigit() throws {
        let path = try #require(SharedData.path(Self.sample))
        let fx = try Fixture()
        _ = try fx.ingest(path)
        var mosaic = try fx.store.database.rows("""
            SELECT provider_name, money_sum(billed_cost), money_sum(effective_cost)
            FROM billing_lines GROUP BY provider_name ORDER BY provider_name
            """).map { $0.map(\.description) }
        mosaic += try fx.store.database.rows(
            "SELECT '*', money_sum(billed_cost), money_sum(effective_cost) FROM billing_lines").map { $0.map(\.description) }

        let python = try #require(Python.run(Self.script, arguments: [path]))
        #expect(python.status == 0, "python3 failed: \(python.stderr)")
        let reference = python.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(reference.count == 4)
        #expect(mosaic == reference)
        // The values, for the record (and in case Python and Mosaic ever agree on a wrong answer).
        #expect(mosaic.last == ["*", "20.52022672899", "14.97651418586"])
    }
}

// MARK: - Inline files

@Suite struct FOCUSIngestorTests {
    @Test func smallFileLandsWithEveryField() throws {
        let fx = try Fixture()
        let columns = baseColumns + ["ConsumedQuantity", "ConsumedUnit", "ListUnitPrice", "SkuId", "ResourceId",
                                     "RegionId", "SubAccountId", "SubAccountName"]
        let path = fx.write([[
            "BilledCost": "0.000000000000000000000001", "EffectiveCost": "1.5E-3", "ListCost": "-2.50",
            "ContractedCost": "+3", "ListUnitPrice": "0.0000004", "PricingQuantity": "2.50000",
            "ConsumedQuantity": "1e3", "ChargePeriodStart": "2024-09-18T23:00:00+01:00",
            "ChargePeriodEnd": "2024-09-18T23:00:00Z", "Tags": #"{"team": "core", "tenant": "acme", "app": "web"}"#,
            "ConsumedUnit": "Hours", "SkuId": "sku-1", "ResourceId": "vm-1", "RegionId": "eu-west-1",
            "SubAccountId": "sub-1", "SubAccountName": "Sub One",
        ]], columns: columns)
        let r = try fx.ingest(path)
        #expect(r.inserted == 1)
        #expect(r.billedTotals == ["USD": "0.000000000000000000000001"])
        let row = try fx.lines("""
            source, billing_account_id, billing_account_name, sub_account_id, sub_account_name, billing_period_start,
            billing_period_end, charge_period_start, charge_period_end, provider_name, publisher_name,
            invoice_issuer_name, service_name, service_category, charge_category, charge_class, charge_description,
            sku_id, resource_id, region_id, billed_cost, effective_cost, list_cost, contracted_cost, list_unit_price,
            billing_currency, consumed_quantity, consumed_unit, pricing_quantity, pricing_unit, tags, team, tenant,
            project, extra
            """)
        let hour = Timestamp.parse("2024-09-18T22:00:00Z")!
        #expect(row == [[
            "focus", "acct-1", "Main", "sub-1", "Sub One", "\(Timestamp.parse("2024-09-01T00:00:00Z")!)",
            "\(Timestamp.parse("2024-10-01T00:00:00Z")!)", "\(hour)", "\(hour + 3_600_000_000)", "Acme", "Acme",
            "Acme Cloud", "Virtual Machines", "Compute", "Usage", "NULL", "Compute, per hour", "sku-1", "vm-1",
            "eu-west-1", "0.000000000000000000000001", "0.0015", "-2.5", "3", "0.0000004", "USD", "1e3", "Hours",
            "2.50000", "Hours", #"{"app":"web","team":"core","tenant":"acme"}"#, "core", "acme", "web", "{}",
        ]])
        let key = try #require(try fx.scalar("SELECT natural_key FROM billing_lines"))
        #expect(key.wholeMatch(of: /focus:[0-9a-f]{16}:0/) != nil, "\(key)")
        let run = try #require(try fx.store.runs().first)
        #expect(run.source == "billing:focus" && run.status == "ok")
        #expect(run.counts == IngestCounts(read: 1, inserted: 1, duplicate: 0, quarantined: 0))
    }

    @Test func missingMandatoryColumnIsAFileErrorNamingIt() throws {
        let fx = try Fixture()
        let path = fx.write([[:]], columns: baseColumns.filter { $0 != "ServiceName" })
        try expectFailure(fx, path, prefix: "\(path):1: missing mandatory FOCUS column ServiceName")

        let fx2 = try Fixture()
        let columns = baseColumns.filter { $0 != "ListCost" && $0 != "BilledCost" } + ["billedcost"]
        let path2 = fx2.tmp.write("lower.csv", focusCSV([["billedcost": "1"]], columns: columns))
        try expectFailure(fx2, path2, prefix: "\(path2):1: missing mandatory FOCUS columns BilledCost (found 'billedcost'; FOCUS column names are case-sensitive), ListCost")

        // A misspelt one is named beside the column it stands for (it was filed under extra).
        let fx3 = try Fixture()
        let typo = baseColumns.map { $0 == "BilledCost" ? "BiledCost" : $0 }
        let path3 = fx3.tmp.write("typo.csv", focusCSV([["BiledCost": "1"]], columns: typo))
        try expectFailure(fx3, path3, prefix: "\(path3):1: missing mandatory FOCUS column BilledCost (found 'BiledCost': a typo?)")
    }

    @Test func repeatedOrUnnamedColumnsAndEmptyFilesAreFileErrors() throws {
        let fx = try Fixture()
        let path = fx.write([[:]], columns: baseColumns + ["Tags"])
        try expectFailure(fx, path, prefix: "\(path):1: column 'Tags' appears twice")
        let fx2 = try Fixture()
        let empty = fx2.tmp.write("empty.csv", "")
        try expectFailure(fx2, empty, prefix: "\(empty): the file is empty")
        let fx3 = try Fixture()
        let missing = fx3.tmp.file("nope.csv")
        try expectFailure(fx3, missing, prefix: "\(missing): no such file")
    }

    @Test(arguments: ["BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
                      "ChargeCategory", "ChargePeriodEnd", "ChargePeriodStart", "EffectiveCost", "InvoiceIssuerName",
                      "ListCost", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName"])
    func nullInANonNullableColumnIsABadRow(column: String) throws {
        try expectBadRow([column: "NULL"], column: column, reason: "is null (FOCUS requires a value)")
        try expectBadRow([column: ""], column: column, reason: "is null (FOCUS requires a value)")
    }

    @Test func nullBilledCostMessageIsExact() throws {
        let fx = try Fixture()
        let path = fx.write([[:], ["BilledCost": "NULL"]])
        let error = try expectFailure(fx, path, prefix: "\(path):3: column BilledCost: ")
        #expect(error.description == "\(path):3: column BilledCost: is null (FOCUS requires a value)")
    }

    @Test func nullableMandatoryColumnsMayBeNull() throws {
        let fx = try Fixture()
        let path = fx.write([["BillingAccountName": "NULL", "ChargeClass": "", "ChargeDescription": "NULL",
                              "PricingQuantity": "NULL", "PricingUnit": "", "ContractedCost": "NULL"]])
        #expect(try fx.ingest(path).inserted == 1)
        #expect(try fx.lines("billing_account_name, charge_class, charge_description, pricing_quantity, pricing_unit, contracted_cost")
                == [["NULL", "NULL", "NULL", "NULL", "NULL", "NULL"]])
    }

    @Test func badDecimalsAreBadRows() throws {
        try expectBadRow(["BilledCost": "1.2.3"], column: "BilledCost", reason: "'1.2.3' is not a decimal number")
        try expectBadRow(["EffectiveCost": "abc"], column: "EffectiveCost", reason: "'abc' is not a decimal number")
        try expectBadRow(["ListCost": " 1.5"], column: "ListCost", reason: "is not a decimal number")
        try expectBadRow(["ContractedCost": "1,5"], column: "ContractedCost", reason: "'1,5' is not a decimal number")
        try expectBadRow(["BilledCost": "0.0000000000000000000000001"], column: "BilledCost",
                         reason: "has more than 24 decimal places")
        try expectBadRow(["PricingQuantity": "1,5"], column: "PricingQuantity", reason: "'1,5' is not a decimal number")
        try expectBadRow(["PricingQuantity": "e5"], column: "PricingQuantity", reason: "'e5' is not a decimal number")
        try expectBadRow(["ListUnitPrice": "12$"], column: "ListUnitPrice", reason: "'12$' is not a decimal number",
                         columns: baseColumns + ["ListUnitPrice"])
        // Decimal FOCUS columns kept in extra are still checked.
        try expectBadRow(["ContractedUnitPrice": "n/a"], column: "ContractedUnitPrice",
                         reason: "'n/a' is not a decimal number", columns: baseColumns + ["ContractedUnitPrice"])
    }

    @Test func badDatesAreBadRows() throws {
        try expectBadRow(["ChargePeriodStart": "18/09/2024 22:00"], column: "ChargePeriodStart",
                         reason: "'18/09/2024 22:00' is not a FOCUS date/time")
        try expectBadRow(["BillingPeriodEnd": "2024-09-31T00:00:00Z"], column: "BillingPeriodEnd",
                         reason: "is not a FOCUS date/time")
        try expectBadRow(["ChargePeriodEnd": "2024-09-18T23:00:00+25:00"], column: "ChargePeriodEnd",
                         reason: "is not a FOCUS date/time")
    }

    @Test func periodsMayNotEndBeforeTheyStart() throws {
        try expectBadRow(["ChargePeriodStart": "2024-09-18T22:00:00Z", "ChargePeriodEnd": "2024-09-18T21:59:59Z"],
                         column: "ChargePeriodEnd",
                         reason: "2024-09-18T21:59:59Z is before ChargePeriodStart 2024-09-18T22:00:00Z")
        try expectBadRow(["BillingPeriodStart": "2024-10-01T00:00:00Z", "BillingPeriodEnd": "2024-09-01T00:00:00Z"],
                         column: "BillingPeriodEnd", reason: "is before BillingPeriodStart")
        // An empty period (end == start) is allowed.
        let fx = try Fixture()
        let path = fx.write([["ChargePeriodEnd": "2024-09-18 22:00:00"]])
        #expect(try fx.ingest(path).inserted == 1)
    }

    @Test func chargeCategoryMustBeAFOCUSValueInItsCase() throws {
        try expectBadRow(["ChargeCategory": "usage"], column: "ChargeCategory",
                         reason: "'usage' is not a FOCUS charge category (expected one of Usage, Purchase, Tax, Credit, Adjustment; case matters)")
        try expectBadRow(["ChargeCategory": "Refund"], column: "ChargeCategory", reason: "'Refund' is not a FOCUS charge category")
        let fx = try Fixture()
        let path = fx.write(["Usage", "Purchase", "Tax", "Credit", "Adjustment"].map { ["ChargeCategory": $0] })
        #expect(try fx.ingest(path).inserted == 5)
    }

    @Test func currencyMustBeAnISOCode() throws {
        try expectBadRow(["BillingCurrency": "usd"], column: "BillingCurrency", reason: "'usd' is not an ISO 4217 currency code")
        try expectBadRow(["BillingCurrency": "US$"], column: "BillingCurrency", reason: "is not an ISO 4217 currency code")
        // Three capital letters are not enough: the code must be one ISO 4217 lists.
        try expectBadRow(["BillingCurrency": "XYZ"], column: "BillingCurrency",
                         reason: "'XYZ' is not an ISO 4217 currency code (it has the form, three capital letters, but no currency has that code; for example USD, EUR, JPY)")
        try expectBadRow(["BillingCurrency": "ABC"], column: "BillingCurrency", reason: "'ABC' is not an ISO 4217 currency code")
        // Codes in use, funds, metals and withdrawn codes all read (a bill may be old).
        let codes = ["USD", "EUR", "JPY", "GBP", "CHF", "VED", "CHE", "XAU", "XXX", "DEM"]
        let fx = try Fixture()
        let path = fx.write(codes.map { ["BillingCurrency": $0] })
        #expect(try fx.ingest(path).inserted == codes.count)
    }

    @Test func badTagsAreBadRowsNamingTags() throws {
        try expectBadRow(["Tags": #"{"team": }"#], column: "Tags", reason: "is not valid JSON")
        try expectBadRow(["Tags": #"["team"]"#], column: "Tags", reason: "is an array, not a JSON object of key-value pairs")
        try expectBadRow(["Tags": #"{"team": {"name": "core"}}"#], column: "Tags",
                         reason: "key 'team' holds an object; FOCUS key-value pairs hold a string, number, boolean or null")
        try expectBadRow(["Tags": #"{"team": "a", "team": "b"}"#], column: "Tags", reason: "key 'team' appears twice")
    }

    @Test func tagsAreCanonicalAndFillAllocationKeysInListOrder() throws {
        let fx = try Fixture()
        let path = fx.write([
            ["Tags": #"{"z": true, "department": "ops", "Team": "Core", "customer": "c1", "a\"b": null, "n": 1.50}"#],
            ["Tags": #"{"team": "", "business_unit": "bu", "project": null, "application": "app1", "cost_center": "cc"}"#],
            ["Tags": #"{"CostCenter": "1234", "Project": "Foo", "client": 7}"#],
            ["Tags": "{}"],
        ])
        _ = try fx.ingest(path)
        let rows = try fx.store.database.rows("SELECT tags, team, tenant, project FROM billing_lines ORDER BY id")
            .map { $0.map(\.description) }
        #expect(rows == [
            [#"{"Team":"Core","a\"b":null,"customer":"c1","department":"ops","n":1.50,"z":true}"#, "Core", "c1", "NULL"],
            [#"{"application":"app1","business_unit":"bu","cost_center":"cc","project":null,"team":""}"#, "bu", "NULL", "app1"],
            // Capitalised keys (as Microsoft's exports write them) are in the default lists too.
            [#"{"CostCenter":"1234","Project":"Foo","client":7}"#, "1234", "7", "Foo"],
            ["{}", "NULL", "NULL", "NULL"],
        ])
    }

    @Test func tagOverridesReplaceTheSearchListsAndUpdateStoredLines() throws {
        let fx = try Fixture()
        let path = fx.write([
            ["Tags": #"{"CostCenter": "1234", "Project": "Foo", "team": "t", "org": "acme"}"#],
            ["Tags": #"{"team": "t2"}"#],
        ])
        _ = try fx.ingest(path)
        func allocation() throws -> [[String]] {
            try fx.store.database.rows("SELECT team, tenant, project FROM billing_lines ORDER BY id").map { $0.map(\.description) }
        }
        #expect(try allocation() == [["t", "NULL", "Foo"], ["t2", "NULL", "NULL"]])
        let again = try fx.ingest(path) { o in
            o.tags.teamKeys = ["CostCenter"]
            o.tags.tenantKeys = ["org"]
            o.tags.projectKeys = ["Project"]
        }
        #expect(again.inserted == 0)
        #expect(again.updated == 2)
        #expect(again.unchanged == 0)
        #expect(try fx.store.runs().first?.counts == IngestCounts(read: 2, inserted: 0, duplicate: 0, quarantined: 0, updated: 2))
        #expect(try allocation() == [["1234", "acme", "Foo"], ["NULL", "NULL", "NULL"]])
    }

    @Test func xColumnsAndUnknownColumnsLandInExtraSortedWithNulls() throws {
        let fx = try Fixture()
        let columns = ["x_Note", "Id"] + baseColumns + ["x_cost_center", "AvailabilityZone", "ChargeFrequency",
                                                       "ProviderSpecificThing", "SkuPriceId", "ResourceName"]
        let path = fx.write([[
            "x_Note": "say \"hi\"\nbye", "Id": "42", "x_cost_center": "NULL", "AvailabilityZone": "",
            "ChargeFrequency": "Usage-Based", "ProviderSpecificThing": "0.10", "SkuPriceId": "p-1", "ResourceName": "vm one",
        ]], columns: columns)
        _ = try fx.ingest(path)
        let extra = try #require(try fx.scalar("SELECT extra FROM billing_lines"))
        #expect(extra == #"{"AvailabilityZone":null,"ChargeFrequency":"Usage-Based","Id":"42","ProviderSpecificThing":"0.10","ResourceName":"vm one","SkuPriceId":"p-1","x_Note":"say \"hi\"\nbye","x_cost_center":null}"#)
        // It is valid JSON that SQLite reads back exactly.
        #expect(try fx.scalar("SELECT json_extract(extra, '$.x_Note') FROM billing_lines") == "say \"hi\"\nbye")
    }

    @Test func versionIsDetectedFromTheHeaderOrGiven() throws {
        let fx = try Fixture()
        let v10 = fx.write([[:]], name: "v10.csv")
        #expect(try fx.ingest(v10).version == .v1_0)

        let columns12 = baseColumns + ["InvoiceId", "PricingCurrencyEffectiveCost", "ServiceSubcategory"]
        let v12 = fx.write([["InvoiceId": "inv-7", "PricingCurrencyEffectiveCost": "0.9",
                             "ServiceSubcategory": "Virtual Machines"]], columns: columns12, name: "v12.csv")
        let r12 = try fx.ingest(v12)
        #expect(r12.version == .v1_2)
        // The same charge, re-exported as 1.2: its columns beyond 1.0 go to `extra`, which is
        // updated; it is not a line of its own.
        #expect(r12.inserted == 0 && r12.updated == 1)
        #expect(try fx.scalar("SELECT json_extract(extra, '$.InvoiceId') FROM billing_lines WHERE extra LIKE '%inv-7%'") == "inv-7")

        // 1.2 decimal columns are checked when the file is read as 1.2 …
        try expectBadRow(["PricingCurrencyEffectiveCost": "lots"], column: "PricingCurrencyEffectiveCost",
                         reason: "'lots' is not a decimal number", columns: columns12)
        // … and are just provider columns when it is read as 1.0.
        let fx2 = try Fixture()
        let forced = fx2.write([["PricingCurrencyEffectiveCost": "lots"]], columns: columns12)
        let r = try fx2.ingest(forced) { $0.version = .v1_0 }
        #expect(r.version == .v1_0)
        #expect(r.inserted == 1)
        // And a plain 1.0 header can be read as 1.2.
        #expect(try fx2.ingest(fx2.write([[:]], name: "plain.csv")) { $0.version = .v1_2 }.version == .v1_2)
        #expect(FOCUSVersion.detect(header: baseColumns) == .v1_0)
        #expect(FOCUSVersion.detect(header: baseColumns + ["SkuMeter"]) == .v1_2)
    }

    @Test func skipBadQuarantinesAndReRunAddsNothing() throws {
        let fx = try Fixture()
        let path = fx.write([
            [:],
            ["BilledCost": "NULL"],
            ["BilledCost": "2", "ChargeCategory": "usage"],
            ["BilledCost": "3.5"],
        ])
        let first = try fx.ingest(path) { $0.skipBad = true }
        #expect(first.rows == 4)
        #expect(first.inserted == 2)
        #expect(first.quarantined == 2)
        #expect(first.billedTotals == ["USD": "4.75"])
        let q = try fx.store.database.rows("SELECT line, field, reason FROM quarantine ORDER BY line").map { $0.map(\.description) }
        #expect(q == [["3", "BilledCost", "is null (FOCUS requires a value)"],
                      ["4", "ChargeCategory", "'usage' is not a FOCUS charge category (expected one of Usage, Purchase, Tax, Credit, Adjustment; case matters)"]])
        let run = try #require(try fx.store.runs().first)
        #expect(run.counts == IngestCounts(read: 4, inserted: 2, duplicate: 0, quarantined: 2))

        let again = try fx.ingest(path) { $0.skipBad = true }
        #expect(again.inserted == 0 && again.updated == 0 && again.unchanged == 2 && again.quarantined == 2)
        #expect(try fx.count("billing_lines") == 2)
        #expect(try fx.count("quarantine") == 2)
    }

    @Test func wrongFieldCountIsABadRowWithoutAColumn() throws {
        let fx = try Fixture()
        let path = fx.tmp.write("short.csv", focusCSV([[:]]) + "1,2,3\n")
        let error = try expectFailure(fx, path, prefix: "\(path):3: has 3 fields, the header has \(baseColumns.count)")
        guard case .row(_, 3, nil, _) = error else { Issue.record("\(error)"); return }
    }

    @Test func identicalLinesAreAllKeptAndReIngestAddsNothing() throws {
        let fx = try Fixture()
        let path = fx.write([[:], [:], ["BilledCost": "9"], [:]])
        let first = try fx.ingest(path)
        #expect(first.inserted == 4)
        #expect(first.billedTotals == ["USD": "12.75"])
        let keys = try fx.lines("natural_key").map { $0[0] }
        let occurrences = keys.map { $0.split(separator: ":").last.map(String.init) ?? "" }.sorted()
        #expect(occurrences == ["0", "0", "1", "2"])
        #expect(Set(keys.map { $0.split(separator: ":")[1] }).count == 2)
        let again = try fx.ingest(path)
        #expect(again.inserted == 0 && again.updated == 0 && again.unchanged == 4)
        #expect(try fx.count("billing_lines") == 4)
        // The same rows in another file are the same lines.
        let copy = fx.write([[:], ["BilledCost": "9"]], name: "copy.csv")
        let r = try fx.ingest(copy)
        #expect(r.inserted == 0 && r.unchanged == 2)
    }

    @Test func costTotalsGroupIngestedLines() throws {
        let fx = try Fixture()
        let path = fx.write([
            ["ProviderName": "AWS", "ServiceName": "EC2", "BilledCost": "1.10", "EffectiveCost": "1.00",
             "Tags": #"{"team": "core"}"#],
            ["ProviderName": "AWS", "ServiceName": "EC2", "BilledCost": "2.000000000001", "EffectiveCost": "2",
             "Tags": #"{"business_unit": "core"}"#],
            ["ProviderName": "AWS", "ServiceName": "EC2", "BilledCost": "5", "EffectiveCost": "4",
             "ChargePeriodStart": "2024-10-02T00:00:00Z", "ChargePeriodEnd": "2024-10-02T01:00:00Z",
             "Tags": #"{"team": "core"}"#],
            ["ProviderName": "Microsoft", "ServiceName": "Storage Accounts", "BilledCost": "0.25",
             "EffectiveCost": "0.20"],
            ["ProviderName": "Microsoft", "ServiceName": "Storage Accounts", "BilledCost": "-0.05",
             "EffectiveCost": "-0.05", "ChargeCategory": "Credit"],
        ])
        _ = try fx.ingest(path)
        let totals = try fx.store.costTotals(by: [.provider, .service, .team, .month])
        let text = totals.map { $0.group + [$0.currency, $0.billedCost.description, $0.effectiveCost.description, "\($0.lines)"] }
        #expect(text == [
            ["AWS", "EC2", "core", "2024-09", "USD", "3.100000000001", "3", "2"],
            ["AWS", "EC2", "core", "2024-10", "USD", "5", "4", "1"],
            ["Microsoft", "Storage Accounts", "", "2024-09", "USD", "0.2", "0.15", "2"],
        ])
    }

    @Test func progressIsReported() throws {
        let fx = try Fixture()
        let path = fx.write(Array(repeating: [:], count: 3))
        let log = ProgressRecorder()
        _ = try fx.ingest(path) { o in o.progress = { p in log.add(p) } }
        let last = try #require(log.all.last)
        #expect(last.rows == 3)
        #expect(last.bytesRead == last.totalBytes)
    }

    @Test func decimalSyntax() {
        func ok(_ s: String) -> Bool {
            var copy = s
            return copy.withUTF8 { FOCUSRowParser.isDecimal(UnsafeRawBufferPointer($0)) }
        }
        for s in ["0", "-1", "+2.5", ".25", "25.", "1e3", "1.5E-3", "0.000000000000000000000000000001"] { #expect(ok(s), "\(s)") }
        for s in ["", "-", ".", "e3", "1e", "1e+", "1,5", " 1", "1 ", "NaN", "inf", "0x10", "1.2.3"] { #expect(!ok(s), "\(s)") }
    }
}

/// Collects progress reports (they arrive on the ingesting thread).
private final class ProgressRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [IngestProgress] = []
    func add(_ p: IngestProgress) { lock.lock(); reports.append(p); lock.unlock() }
    var all: [IngestProgress] { lock.lock(); defer { lock.unlock() }; return reports }
}

// MARK: - Line keys (audit F1)

@Suite struct FOCUSLineKeyTests {
    static let rows: [[String: String]] = [
        [:], ["BilledCost": "0.00000080000", "PricingQuantity": "1.50"], ["ServiceName": "Storage"], [:],
    ]

    @Test func reExportsInAnotherSpellingAddNothing() throws {
        let fx = try Fixture()
        #expect(try fx.ingest(fx.write(Self.rows)).inserted == 4)
        let before = try fx.lines("natural_key, billed_cost")
        // The same lines: columns in another order; decimals and date/times spelled otherwise;
        // an x_ column added; FOCUS 1.2's InvoiceId added.
        let reordered = fx.write(Self.rows, columns: baseColumns.reversed(), name: "reordered.csv")
        let respelled = fx.write([
            ["BilledCost": "1.250", "ChargePeriodStart": "2024-09-18T22:00:00Z", "ChargePeriodEnd": "2024-09-18T23:00:00+00:00"],
            ["BilledCost": "8e-7", "PricingQuantity": "15E-1"], ["ServiceName": "Storage", "ListCost": "1.5"], ["EffectiveCost": "1"],
        ], name: "respelled.csv")
        let extra = fx.write(Self.rows.map { $0.merging(["x_Note": "re-export"]) { a, _ in a } },
                             columns: baseColumns + ["x_Note"], name: "x.csv")
        let invoiced = fx.write(Self.rows.map { $0.merging(["InvoiceId": "inv-9"]) { a, _ in a } },
                                columns: ["InvoiceId"] + baseColumns, name: "v12.csv")
        let r = try fx.ingest(reordered)
        #expect(r.inserted == 0 && r.updated == 0 && r.unchanged == 4, "\(r)")
        // Quantities are kept as written: the line whose quantity is spelled otherwise is
        // updated to the new spelling, not stored again.
        let r2 = try fx.ingest(respelled)
        #expect(r2.inserted == 0 && r2.updated == 1 && r2.unchanged == 3, "\(r2)")
        #expect(try fx.scalar("SELECT pricing_quantity FROM billing_lines WHERE billed_cost = '0.0000008'") == "15E-1")
        for path in [extra, invoiced] {
            // What `extra` holds changed: the lines are updated in place, none is added.
            let r = try fx.ingest(path)
            #expect(r.inserted == 0 && r.updated + r.unchanged == 4, "\(path): \(r)")
        }
        #expect(try fx.lines("natural_key, billed_cost") == before)
        #expect(try fx.scalar("SELECT extra FROM billing_lines WHERE service_name = 'Storage'") == #"{"InvoiceId":"inv-9"}"#)
        // A changed value is another line.
        let changed = fx.write([["BilledCost": "1.26"]], name: "changed.csv")
        #expect(try fx.ingest(changed).inserted == 1)
    }

    /// The key the ingest before schema 5 gave a row: a hash of its raw fields in header order.
    static func rawTextKey(_ fields: [String], occurrence: Int) -> String {
        var h = StableHash()
        for f in fields { h.combine(f) }
        return BillingLine.focusKey(identity: h.value, occurrence: occurrence)
    }

    @Test func aStoreKeyedByRawTextIsRekeyedSoReIngestsAddNothing() throws {
        let fx = try Fixture()
        let path = fx.write(Self.rows)
        #expect(try fx.ingest(path).inserted == 4)
        // Make it the store an older Mosaic left: raw-text keys, schema 4.
        var occurrences: [String: Int] = [:]
        let db = fx.store.database
        for (k, row) in Self.rows.enumerated() {
            let fields = baseColumns.map { row[$0] ?? baseValues[$0] ?? "NULL" }
            let base = Self.rawTextKey(fields, occurrence: 0)
            let n = occurrences[base, default: 0]
            occurrences[base] = n + 1
            try db.prepare("UPDATE billing_lines SET natural_key = ?1 WHERE id = ?2")
                .run([.text(Self.rawTextKey(fields, occurrence: n)), .int(Int64(k + 1))])
        }
        try db.execute("DELETE FROM schema_migrations WHERE version >= 5; PRAGMA user_version = 4")
        let oldKeys = try fx.lines("natural_key")
        #expect(Set(oldKeys.map { $0[0] }).count == 4)  // the two equal rows: occurrences 0 and 1

        let reopened = try Store(path: fx.tmp.file("m.sqlite"))
        #expect(try reopened.schemaVersion == Schema.latestVersion)
        let ingestor = FOCUSIngestor(store: reopened)
        for p in [path, fx.write(Self.rows, columns: baseColumns.reversed(), name: "reordered.csv")] {
            let r = try ingestor.ingest(path: p)
            #expect(r.inserted == 0 && r.unchanged == 4, "\(p): \(r)")
        }
        #expect(try reopened.database.scalarInt("SELECT count(*) FROM billing_lines") == 4)
        // Keys as a fresh ingest gives them.
        let fresh = try Fixture()
        _ = try fresh.ingest(fresh.write(Self.rows))
        let rekeyed = try reopened.database.rows("SELECT natural_key FROM billing_lines ORDER BY natural_key").map { $0.map(\.description) }
        #expect(rekeyed == (try fresh.lines("natural_key")))
    }
}

// MARK: - Bounds (audit F9, F10)

@Suite struct FOCUSBoundsTests {
    @Test func aDateBefore2000IsAMisreadDate() throws {
        try expectBadRow(["ChargePeriodStart": "0001-01-01T00:00:00Z"], column: "ChargePeriodStart",
                         reason: "0001-01-01T00:00:00Z is before 2000-01-01T00:00:00Z; a charge that early is a misread date")
        try expectBadRow(["BillingPeriodStart": "1999-09-01T00:00:00Z"], column: "BillingPeriodStart",
                         reason: "1999-09-01T00:00:00Z is before 2000-01-01T00:00:00Z")
    }

    @Test func anAmountBeyondTheLimitIsRefused() throws {
        try expectBadRow(["BilledCost": "1e14"], column: "BilledCost",
                         reason: "100000000000000 is beyond ±1000000000000, the largest amount one row may carry")
        try expectBadRow(["ListCost": "-1000000000000.5"], column: "ListCost", reason: "-1000000000000.5 is beyond ±1000000000000")
        let fx = try Fixture()
        #expect(try fx.ingest(fx.write([["BilledCost": "-1000000000000", "EffectiveCost": "1000000000000"]])).inserted == 1)
    }
}

/// A FIFO with a writer reads as its file (audit-cli finding 8: its size is 0, so the ingest said
/// "the file is empty").
@Suite struct FOCUSPipeTests {
    @Test func aFIFOIngestsAsItsFile() throws {
        let fx = try Fixture()
        let text = focusCSV([[:], ["BilledCost": "3.5"]])
        let fifo = fx.tmp.fifo("billing.fifo", feeding: text)
        let result = try fx.ingest(fifo)
        #expect(result.rows == 2 && result.inserted == 2)
    }
}
