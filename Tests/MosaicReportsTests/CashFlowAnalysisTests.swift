import Foundation
import MosaicCore
@testable import MosaicReports
import MosaicTestSupport
import Testing

/// NPV, IRR and payback against numpy-financial and mpmath (`../shared/reference/ref_roi.py`,
/// `results/roi.json`): every case, to 1e-9 relative.
@Suite struct CashFlowAnalysisTests {
    static let file = "reference/results/roi.json"

    static func cases() throws -> [[String: Any]] {
        guard let path = SharedData.path(file) else { return [] }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(root["cases"] as? [[String: Any]])
    }

    static func close(_ a: Double?, _ b: Double?, _ tol: Double = 1e-9) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return abs(a - b) <= tol * max(1, abs(b))
    }

    static func relClose(_ a: Double, _ b: Double, _ tol: Double = 1e-9) -> Bool {
        abs(a - b) <= tol * max(abs(b), 1e-300) || a == b
    }

    static func number(_ v: Any?) -> Double? {
        if let d = v as? Double { return d }
        if let s = v as? String { return Double(s) }
        if let n = v as? NSNumber { return n.doubleValue }
        return nil
    }

    @Test(.enabled(if: SharedData.missing(file) == nil, "\(SharedData.missing(file) ?? "")"))
    func everyReferenceCaseAgrees() throws {
        let cases = try Self.cases()
        #expect(cases.count == 6)
        for c in cases {
            let name = c["name"] as! String
            let flows = (c["cash_flows"] as! [Any]).map { Self.number($0)! }
            let rate = Self.number(c["discount_rate_per_period_mp"])!
            let a = CashFlowAnalysis(cashFlows: flows, ratePerPeriod: rate)
            // NPV against numpy-financial and mpmath.
            #expect(Self.relClose(a.npv, Self.number(c["npv_npf"])!), "\(name): npv \(a.npv) vs npf \(c["npv_npf"]!)")
            #expect(Self.relClose(a.npv, Self.number(c["npv_mp"])!), "\(name): npv vs mp")
            // Every extra rate the script evaluated.
            for (key, value) in c where key.hasPrefix("npv_mp_at_") {
                let label = String(key.dropFirst("npv_mp_at_".count))
                let r: Double
                switch label {
                case "0pct": r = 0
                case "10pct": r = 0.10
                case "8pct": r = 0.08
                case "15pct": r = 0.15
                case "nominal_0.08_over_12": r = 0.08 / 12
                default: Issue.record("\(name): unknown extra rate \(label)"); continue
                }
                #expect(Self.relClose(CashFlowAnalysis.npv(flows, rate: r), Self.number(value)!), "\(name): npv at \(label)")
                #expect(Self.relClose(CashFlowAnalysis.npv(flows, rate: r), Self.number(c["npv_npf_at_" + label])!), "\(name): npf npv at \(label)")
            }
            // Every IRR (mpmath) and numpy-financial's choice.
            let mp = (c["irr_per_period_all_real_mp"] as! [String]).map { Double($0)! }
            #expect(a.irrs.count == mp.count, "\(name): irrs \(a.irrs) vs \(mp)")
            for (x, y) in zip(a.irrs, mp) { #expect(Self.relClose(x, y), "\(name): irr \(x) vs \(y)") }
            if let npf = Self.number(c["irr_per_period_npf"]), npf.isFinite {
                #expect(Self.relClose(try #require(a.primaryIRR), npf), "\(name): primary irr vs npf")
            }
            if let ann = c["irr_annualised_mp"] as? [String] {
                for (x, y) in zip(a.irrs, ann.map { Double($0)! }) { #expect(Self.relClose(pow(1 + x, 12) - 1, y), "\(name): annualised") }
            }
            // Payback.
            #expect(Self.close(a.payback, Self.number(c["payback_periods_mp"])), "\(name): payback \(String(describing: a.payback))")
            #expect(Self.close(a.payback, Self.number(c["payback_periods"])), "\(name): payback vs float")
            #expect(a.paybackWholePeriods == (c["payback_whole_periods"] as? Int), "\(name): whole payback")
            #expect(Self.close(a.discountedPayback, Self.number(c["discounted_payback_periods_mp"])), "\(name): discounted payback")
            #expect(a.discountedPaybackWholePeriods == (c["discounted_payback_whole_periods"] as? Int), "\(name): whole discounted payback")
            #expect(Self.relClose(a.undiscountedNet, Self.number(c["undiscounted_net_mp"])!, 1e-12), "\(name): net")
        }
    }

    @Test func designDocumentCase() throws {
        // 150,000 up front, 415,000 a year for five years: payback 4.34 months, net 1,925,000.
        let inputs = ROIInputs(upfront: Money(whole: 150_000), savings: .perYear(Money(whole: 415_000)), months: 60,
                               annualRate: 0.08, period: .month)
        let roi = try ROIReport(inputs)
        #expect(abs(try #require(roi.analysis.payback) - 4.337349397590361) < 1e-12)
        #expect(roi.netReturn.exact == Money(whole: 1_925_000))
        let report = roi.report()
        let figures = report.sections[0].blocks.compactMap { if case .figures(let f) = $0 { return f } else { return nil } }.first!
        #expect(figures.first { $0.label == "Payback" }?.value == "4.34 months")
        #expect(figures.first { $0.label == "Payback" }?.note == "4.3 to one decimal")
        #expect(figures.first { $0.label == "5-year net return" }?.value == "USD 1,925,000.00")

        let yearly = try ROIReport(ROIInputs(upfront: Money(whole: 150_000), savings: .perYear(Money(whole: 415_000)), months: 60,
                                             annualRate: 0.08, period: .year))
        #expect(abs(try #require(yearly.analysis.payback) * 12 - 4.337349397590361) < 1e-12)
        #expect(Self.relClose(yearly.analysis.npv, 1506974.66538740546579610558491))
        #expect(yearly.netReturn.exact == Money(whole: 1_925_000))
    }

    /// Savings of 170 trillion a year for a century total more than `Money` holds: the net return
    /// is then the rounded figure, not a trap (`mosaic report roi --savings-per-year
    /// 170000000000000 --years 100` crashed).
    @Test func amountsBeyondMoneysRangeFallBackToDoubles() throws {
        let huge = Money(whole: 170_000_000_000_000)
        for savings in [ROIInputs.Savings.perYear(huge), .perMonth(huge)] {
            let inputs = ROIInputs(upfront: Money(whole: 1), runningPerMonth: huge, savings: savings, months: 1200, annualRate: 0.08)
            #expect(inputs.exactNet == nil)
            #expect(inputs.invested == nil)
            let roi = try ROIReport(inputs)
            #expect(roi.netReturn.exact == nil)
            #expect(roi.netReturn.value.isFinite)
            #expect(roi.roi != nil)
            _ = roi.report()
        }
        // Within range the figures stay exact.
        let inputs = ROIInputs(upfront: Money(whole: 10), runningPerMonth: Money(whole: 1), savings: .perMonth(Money(whole: 5)),
                               months: 12, annualRate: 0.08)
        #expect(inputs.exactNet == Money(whole: 38))
        #expect(inputs.invested == Money(whole: 22))
    }

    /// IRRs beyond a fixed search range and two within 10⁻⁴ of each other were missed (the
    /// report then said "No IRR exists"); every one is found, to 1e-9 relative in 1 + r.
    @Test(arguments: [
        ([-1_000_000, 2_200_100, -1_210_110], [0.1, 0.1001]),  // two close IRRs
        ([-1_000_000, 0.5], [-0.9999995]),
        ([-1_000_000, 0.01], [-0.99999999]),  // 1,000,000 up front, 0.01 back a month later
        ([-1, 2_000_000], [1_999_999]),
        ([0, -1, 0, 2_000_000, 0], [sqrt(2_000_000) - 1]),  // zero flows at either end
        ([-100, 220, -121], [0.1]),  // −(10 − 11x)²: the NPV touches zero at 10%
        ([-1, 2, -1], [0]),
        ([100, -50, 100], []),  // two sign changes, no real root
    ] as [([Double], [Double])])
    func irrsOutsideTheOldRangeAndCloseTogether(_ flows: [Double], _ expected: [Double]) {
        let irrs = CashFlowAnalysis.allIRRs(flows)
        #expect(irrs.count == expected.count, "\(flows): \(irrs)")
        for (r, e) in zip(irrs, expected) { #expect(Self.relClose(1 + r, 1 + e), "\(flows): \(r) vs \(e)") }
    }

    /// Flows built from known IRRs, Π (1 − (1 + rᵢ) x) in x = 1/(1 + r): every IRR comes back
    /// (to 1e-6: rounding the coefficients alone moves three IRRs 10⁻⁴ apart by 4e-8).
    @Test func irrsOfFlowsWithKnownRoots() {
        for rates in [[-0.5, 0.05, 0.0502, 3, 10_000], [-0.999, -0.2, 0.1, 0.11, 0.12, 50], [0.01, 0.0101, 0.0102]] {
            var flows = [1.0]
            for r in rates {
                flows = (0...flows.count).map { t in (t < flows.count ? flows[t] : 0) - (t > 0 ? (1 + r) * flows[t - 1] : 0) }
            }
            let irrs = CashFlowAnalysis.allIRRs(flows)
            #expect(irrs.count == rates.count, "\(rates): \(irrs)")
            for (r, e) in zip(irrs, rates) { #expect(Self.relClose(1 + r, 1 + e, 1e-6), "\(rates): \(r) vs \(e)") }
        }
    }

    /// Break-even exactly at the last period read as "never": the cumulative was summed in
    /// doubles (−3000.03 + 3 × 1000.01 is −2.3e-13 there). It is exact for given amounts, and
    /// the discounted one (doubles) counts as zero within 1e-12 of the flows' absolute sum.
    @Test(arguments: [
        ("3000.03", "1000.01", false),
        ("0.3", "0.1", false),
        ("1000", "4000", true),  // 4,000 a year is 333.33… a month: exact only in twelfths
    ])
    func breakEvenAtTheLastPeriodIsPayback(_ upfront: String, _ savings: String, _ yearly: Bool) throws {
        let s = try Money(parsing: savings)
        let inputs = ROIInputs(upfront: try Money(parsing: upfront), savings: yearly ? .perYear(s) : .perMonth(s), months: 3, annualRate: 0)
        let roi = try ROIReport(inputs)
        #expect(roi.analysis.payback == 3 && roi.analysis.paybackWholePeriods == 3, "\(String(describing: roi.analysis.payback))")
        #expect(roi.analysis.discountedPayback == 3 && roi.analysis.discountedPaybackWholePeriods == 3)
        #expect(!roi.analysis.cumulativeTurnsNegativeAgain)
        let figures = roi.report().sections[0].blocks.compactMap { if case .figures(let f) = $0 { return f } else { return nil } }.first!
        #expect(figures.first { $0.label == "Payback" }?.value == "3.00 months")
        #expect(figures.first { $0.label == "Discounted payback" }?.value == "3.00 months")
    }

    /// Cash flows given as decimals keep their exact values for the payback.
    @Test func exactCashFlowsPayBackAtTheLastPeriod() throws {
        let text = ["-3000.03", "1000.01", "1000.01", "1000.01"]
        let inputs = ROIInputs(upfront: .zero, savings: .cashFlows(text.map { Double($0)! }, exact: try text.map { try Money(parsing: $0) }),
                               months: 36, annualRate: 0.08, period: .year)
        let a = try ROIReport(inputs).analysis
        #expect(a.payback == 3 && a.paybackWholePeriods == 3)
        #expect(a.discountedPayback == nil)
        #expect(CashFlowAnalysis(cashFlows: text.map { Double($0)! }, ratePerPeriod: 0).payback == 3)
    }

    /// One amount was rounded two ways in one report: exact inputs half away from zero, the
    /// doubles derived from them by `%.2f` (2.675 is 2.67499… as a double). Figures exact by
    /// nature (net saving per month, net return, the flows and their cumulative) now round
    /// from their exact value.
    @Test func exactAmountsRoundOneWayThroughoutTheReport() throws {
        func m(_ s: String) -> Money { try! Money(parsing: s) }
        func figures(_ r: Report) -> [KeyFigure] {
            r.sections[0].blocks.compactMap { if case .figures(let f) = $0 { return f } else { return nil } }.first!
        }
        let monthly = try ROIReport(ROIInputs(upfront: .zero, savings: .perMonth(m("2.675")), months: 12, annualRate: 0.08)).report()
        #expect(monthly.inputs.first { $0.label == "Savings" }?.value == "USD 2.68 per month")
        #expect(figures(monthly).first { $0.label == "Net saving per month" }?.value == "USD 2.68")
        let flows = try #require(monthly.table("cash-flows"))
        #expect(flows.rows[1][1].display == "2.68" && flows.rows[1][1].value == .number(2.675))
        #expect(flows.rows[1][2].display == "2.68")
        #expect(try #require(monthly.table("net-by-year")).rows[1][1].display == "32.10")

        // 32.1 a year is 2.675 a month.
        let yearly = try ROIReport(ROIInputs(upfront: .zero, savings: .perYear(m("32.1")), months: 12, annualRate: 0.08)).report()
        #expect(figures(yearly).first { $0.label == "Net saving per month" }?.value == "USD 2.68")

        // 0.5 − 0.375 = 0.125: 0.13 whether given as amounts or as cash flows.
        let amounts = try ROIReport(ROIInputs(upfront: m("0.375"), savings: .perMonth(m("0.5")), months: 1, annualRate: 0.08)).report()
        let given = try ROIReport(ROIInputs(upfront: .zero, savings: .cashFlows([-0.375, 0.5], exact: [m("-0.375"), m("0.5")]),
                                            months: 1, annualRate: 0.08)).report()
        for r in [amounts, given] {
            #expect(figures(r).first { $0.label.hasSuffix("net return") }?.value == "USD 0.13", "\(figures(r))")
            #expect(try #require(r.table("cash-flows")).rows[1][2].display == "0.13")
        }
        #expect(given.inputs.first { $0.label == "Cash flows" }?.value == "-0.38; 0.50")
        #expect(NumberFormat.fixed(2.675, places: 2) == "2.67" && NumberFormat.fixed(0.125, places: 2) == "0.12")
    }

    /// A horizon that is not whole years is labelled in months (one month read "0.1-year").
    @Test(arguments: [(1, "1-month"), (3, "3-month"), (18, "18-month"), (12, "1-year"), (60, "5-year")])
    func horizonLabel(_ months: Int, _ label: String) throws {
        let roi = try ROIReport(ROIInputs(upfront: Money(whole: 100), savings: .perMonth(Money(whole: 60)), months: months, annualRate: 0.08))
        let figures = roi.report().sections[0].blocks.compactMap { if case .figures(let f) = $0 { return f } else { return nil } }.first!
        #expect(figures.contains { $0.label == "\(label) net return" }, "\(figures.map(\.label))")
    }

    @Test func noIRRIsStatedPlainly() throws {
        let a = CashFlowAnalysis(cashFlows: [100, 50, 50], ratePerPeriod: 0.08)
        #expect(a.irrs.isEmpty)
        #expect(a.primaryIRR == nil)
        let roi = try ROIReport(ROIInputs(upfront: .zero, savings: .cashFlows([100, 50, 50]), months: 24, annualRate: 0.08, period: .year))
        #expect(roi.irrStatement.hasPrefix("No IRR exists: the cash flows never change sign"))
        // Flows that change sign with no real root: the note said they never change sign.
        let none = try ROIReport(ROIInputs(upfront: .zero, savings: .cashFlows([100, -50, 100]), months: 24, annualRate: 0.08, period: .year))
        #expect(none.analysis.irrs.isEmpty && none.analysis.signChanges == 2)
        #expect(none.irrStatement == "No IRR exists: the cash flows change sign 2 times, but the NPV is not zero at any rate above −100%.")
        let figures = none.report().sections[0].blocks.compactMap { if case .figures(let f) = $0 { return f } else { return nil } }.first!
        #expect(figures.first { $0.label == "IRR" }.map { [$0.value, $0.note] } == ["none", "the NPV is not zero at any rate above −100%"])
        let never = roi.report().sections[0].blocks.compactMap { if case .figures(let f) = $0 { return f } else { return nil } }.first!
        #expect(never.first { $0.label == "IRR" }?.note == "the cash flows never change sign")
        let two = try ROIReport(ROIInputs(upfront: .zero, savings: .cashFlows([-100_000, 230_000, -132_000]), months: 24,
                                          annualRate: 0.08, period: .year))
        #expect(two.irrStatement.contains("have 2 IRRs"))
        #expect(two.analysis.cumulativeTurnsNegativeAgain)
    }
}
