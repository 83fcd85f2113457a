import Foundation
import MosaicCore
@testable import MosaicReports
import MosaicStore
import MosaicTestSupport
import Testing

/// The cost report's billed totals per billing period against the FOCUS sample's BilledCost
/// summed independently with exact decimals (Swift `Money` straight from the CSV, and
/// Python's `decimal` where python3 exists).
@Suite struct CostReconciliationTests {
    static let file = "datasets/focus-billing-sample/focus_sample.csv"

    /// BilledCost per BillingPeriodStart read straight from the CSV (no store involved).
    static func csvTotals(_ path: String) throws -> [String: Money] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let header = splitCSV(lines.removeFirst())
        let billed = header.firstIndex(of: "BilledCost")!, period = header.firstIndex(of: "BillingPeriodStart")!
        var out: [String: Money] = [:]
        for line in lines {
            let f = splitCSV(line)
            out[String(f[period].prefix(10)), default: .zero] += try Money(parsing: f[billed])
        }
        return out
    }

    static func splitCSV(_ line: String) -> [String] {
        var out: [String] = [], cur = "", quoted = false
        var it = Array(line).makeIterator()
        while let c = it.next() {
            if quoted {
                if c == "\"" { quoted = false } else { cur.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { out.append(cur); cur = "" } else { cur.append(c) }
        }
        out.append(cur)
        return out
    }

    static let python = #"""
        import csv, sys
        from decimal import Decimal as D
        t = {}
        for r in csv.DictReader(open(sys.argv[1])):
            k = r['BillingPeriodStart'][:10]
            t[k] = t.get(k, D(0)) + D(r['BilledCost'])
        for k in sorted(t):
            v = t[k]
            print(k, format(v.normalize(), 'f') if v != 0 else '0')
        """#

    @Test(.enabled(if: SharedData.missing(file) == nil, "\(SharedData.missing(file) ?? "")"))
    func billedTotalsPerPeriodMatchToTheLastDigit() throws {
        let csv = try #require(SharedData.path(Self.file))
        let tmp = TemporaryDirectory("report-focus")
        let db = tmp.file("m.sqlite")
        let ingest = try MosaicBinary.run(["ingest", "focus", csv, "--db", db])
        #expect(ingest.status == 0, "stderr: \(ingest.stderr)")

        let store = try Store(path: db)
        let report = CostReport(data: try CostData.load(store: store)).report()
        let rec = try #require(report.table("reconciliation"))
        let expected = try Self.csvTotals(csv)
        #expect(rec.rows.count == expected.count)
        for row in rec.rows {
            guard case .text(let period) = row[0].value, case .decimal(let billed) = row[3].value,
                  case .decimal(let byService) = row[4].value, case .decimal(let chargeback) = row[5].value else {
                Issue.record("unexpected cells \(row)"); continue
            }
            let want = try #require(expected[String(period.prefix(10))], "period \(period)")
            #expect(billed == want.description, "\(period): billed \(billed) vs CSV \(want)")
            #expect(byService == want.description)
            #expect(chargeback == want.description)
            #expect(row[7].value == .bool(true))
        }
        // The chargeback column adds up to the bill exactly, untagged cost included.
        let cb = try #require(report.table("chargeback-teams"))
        var sum = Money.zero
        for row in cb.rows { if case .decimal(let d) = row[5].value { sum += try Money(parsing: d) } }
        #expect(sum == expected.values.sum())

        if Python.has("decimal"), let py = Python.run(Self.python, arguments: [csv]), py.status == 0 {
            for line in py.stdout.split(separator: "\n") {
                let parts = line.split(separator: " ")
                #expect(expected[String(parts[0])]?.description == String(parts[1]), "python decimal: \(line)")
            }
        }
    }

    @Test func chargebackSharesAddUpExactly() throws {
        let amount = try Money(parsing: "9.99999999999")
        let parts = Allocation.proportional(amount, weights: [try Money(parsing: "100.123456789012"), try Money(parsing: "50.000000000001"), .zero])
        #expect(parts.sum() == amount)
        #expect(parts[2] == .zero)
        #expect(parts[0] > parts[1])
    }

    /// Shares of untagged cost are exact: they were computed in doubles (5.6e-9 off at 1.2e8)
    /// and only then put on a 10⁻¹² grid. Now each is the exact share rounded down to 10⁻²⁴,
    /// with the units left over going to the largest remainders.
    @Test func chargebackSharesAreExact() throws {
        func m(_ s: String) -> Money { try! Money(parsing: s) }
        let amount = m("123456789.123456789123")
        #expect(Allocation.proportional(amount, weights: [m("1"), m("1"), m("2")])
                == [m("30864197.28086419728075"), m("30864197.28086419728075"), m("61728394.5617283945615")])
        // 10 units over three equal weights: 3 each, and the one left over to the first.
        let ten = Money(units: 10)
        #expect(Allocation.proportional(ten, weights: [m("5"), m("5"), m("5")]).map(\.units) == [4, 3, 3])
        #expect(Allocation.proportional(-ten, weights: [m("5"), m("5"), m("5")]).map(\.units) == [-4, -3, -3])
        // Largest remainder first: 10 × (1, 2, 4) / 7 = 1.43, 2.86, 5.71 → 1, 3, 6.
        #expect(Allocation.proportional(ten, weights: [m("1"), m("2"), m("4")]).map(\.units) == [1, 3, 6])
        // Every share within one unit of amount × weight ÷ total, and the sum exact.
        let weights = [m("100.123456789012"), m("50.000000000001"), m("0.000000000000000000000007"), m("77777777.7")]
        let parts = Allocation.proportional(amount, weights: weights)
        #expect(parts.sum() == amount)
        let total = weights.sum()
        for (p, w) in zip(parts, weights) {
            // |p × total − amount × w| < total, in units (products compared at full width).
            let lhs = p.units.magnitude.multipliedFullWidth(by: total.units.magnitude)
            let rhs = amount.units.magnitude.multipliedFullWidth(by: w.units.magnitude)
            let (hi, lo) = (lhs.high, lhs.low) > (rhs.high, rhs.low) ? (lhs, rhs) : (rhs, lhs)
            let (dlow, borrow) = hi.low.subtractingReportingOverflow(lo.low)
            let dhigh = hi.high - lo.high - (borrow ? 1 : 0)
            #expect(dhigh == 0 && dlow < total.units.magnitude, "share \(p) of weight \(w)")
        }
    }

    /// A team whose direct cost is a net credit gets no share of untagged cost. With A 100,
    /// B −99.99 (a credit) and 50 untagged, A was charged 500,099.99… and B −500,049.98… on a
    /// 50.01 bill (the shares were in proportion to weights summing to 0.01).
    @Test func aTeamWithANetCreditGetsNoShareOfUntaggedCost() throws {
        func m(_ s: String) -> Money { try! Money(parsing: s) }
        let period = "2026-04-01 … 2026-04-30"
        func data(_ lines: [(String?, String)]) -> CostData {
            let billing = lines.map { team, billed in
                CostData.BillingCell(period: period, currency: "USD", provider: "AWS", service: "Compute", team: team, tenant: nil,
                                     category: "Usage", billed: m(billed), effective: m(billed), list: nil, lines: 1)
            }
            return CostData(requests: [], billing: billing,
                            billingTotals: [.init(period: period, currency: "USD", billed: billing.map(\.billed).sum(), lines: billing.count)])
        }
        let rows = CostReport(data: data([("A", "100"), ("B", "-99.99"), (nil, "50")])).chargeback()
        #expect(rows.map(\.team) == ["A", "B", "(untagged, shared out)"])
        #expect(rows.map(\.shared) == [m("50"), .zero, .zero])
        #expect(rows.map { $0.billed + $0.shared }.sum() == m("50.01"))
        #expect(Allocation.proportional(m("50"), weights: [m("100"), m("-99.99"), .zero]) == [m("50"), .zero, .zero])

        // No team with a positive direct cost: nothing is shared out, untagged cost keeps its line.
        let credits = CostReport(data: data([("A", "-5"), ("B", "0"), (nil, "50")])).chargeback()
        #expect(credits.map(\.team) == ["A", "B", "(untagged)"])
        #expect(credits.allSatisfy { $0.shared == .zero })
        #expect(credits.map(\.billed).sum() == m("45"))
    }
}
