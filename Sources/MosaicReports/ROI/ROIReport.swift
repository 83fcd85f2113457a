import Foundation
import MosaicCore

/// The ROI report: cash flows, payback, discounted payback, NPV, every IRR, the n-year net
/// return and ROI %, and a sensitivity table (savings ±20%, rate ±2 points) with a tornado.
public struct ROIReport: Sendable {
    public var inputs: ROIInputs
    public var analysis: CashFlowAnalysis

    public init(_ inputs: ROIInputs) throws(ReportError) {
        guard inputs.months >= 1 else { throw .invalidInput("the horizon must be at least one month") }
        if inputs.period == .year, inputs.months % 12 != 0, !isCashFlows(inputs) {
            throw .invalidInput("yearly periods need a horizon in whole years (got \(inputs.months) months)")
        }
        // The sensitivity table discounts at the rate 2 points lower too, which must stay above −100%.
        guard inputs.annualRate > -0.98 && inputs.annualRate.isFinite else {
            throw .invalidInput("the discount rate must be a finite rate above -98% (the sensitivity table takes it 2 points lower)")
        }
        self.inputs = inputs
        analysis = CashFlowAnalysis(cashFlows: inputs.cashFlows(), ratePerPeriod: inputs.ratePerPeriod(annual: inputs.annualRate),
                                    exact: inputs.exactCashFlows?.flows)
    }

    var monthsPerPeriod: Double { inputs.period == .month ? 1 : 12 }
    var periodWord: String { inputs.period.rawValue }
    var ccy: String { inputs.currency }
    var horizonMonths: Int { isCashFlows(inputs) ? (analysis.cashFlows.count - 1) * Int(monthsPerPeriod) : inputs.months }

    func money(_ v: Double) -> String { NumberFormat.money(v, currency: ccy) }
    /// An exact amount divided by `scale`, rounded to cents as `Money` rounds (half away from zero).
    func money(_ m: Money, over scale: Int) -> String { NumberFormat.money(m.divided(by: scale, roundedToPlaces: 2), currency: ccy) }
    /// A table cell for an amount: shown rounded from its exact value (`Money`'s rounding) when
    /// there is one, so that it reads as the inputs do; CSV and JSON keep the double.
    func amountCell(_ v: Double, exact: (Money, Int)?) -> Cell {
        guard let (m, scale) = exact else { return .number(v, places: 2) }
        return Cell(display: NumberFormat.grouped(m.divided(by: scale, roundedToPlaces: 2).formatted(places: 2)), value: .number(v))
    }
    func pct(_ v: Double?) -> String { v.map { NumberFormat.fixed($0 * 100, places: 2) + "%" } ?? "none" }
    func annualised(_ r: Double) -> Double { pow(1 + r, Double(inputs.periodsPerYear)) - 1 }
    func monthsText(_ periods: Double?) -> String {
        guard let p = periods else { return "never within the horizon" }
        return NumberFormat.fixed(p * monthsPerPeriod, places: 2) + " months"
    }

    /// The net return over the horizon (exact when the savings were given as amounts or the
    /// cash flows as decimals).
    public var netReturn: (value: Double, exact: Money?) {
        if let e = inputs.exactNet { return (e.doubleValue, e) }
        return (analysis.undiscountedNet, nil)
    }

    /// Net return ÷ invested (upfront plus running costs), nil when nothing is invested.
    public var roi: Double? {
        if isCashFlows(inputs) {
            let invested = -analysis.cashFlows.filter { $0 < 0 }.reduce(0, +)
            return invested > 0 ? analysis.undiscountedNet / invested : nil
        }
        let invested = inputs.invested?.doubleValue
            ?? inputs.upfront.doubleValue + inputs.runningPerMonth.doubleValue * Double(inputs.months)
        return invested > 0 ? netReturn.value / invested : nil
    }

    /// What the IRR section says.
    public var irrStatement: String {
        let a = analysis
        if a.irrs.isEmpty {
            if a.signChanges == 0 {
                return "No IRR exists: the cash flows never change sign, so no discount rate makes the NPV zero."
            }
            return "No IRR exists: the cash flows change sign \(a.signChanges) time\(a.signChanges == 1 ? "" : "s"), but the NPV is not zero at any rate above −100%."
        }
        let list = a.irrs.map { irrText($0) }.joined(separator: "; ")
        if a.irrs.count > 1 {
            return "The cash flows change sign \(a.signChanges) times and have \(a.irrs.count) IRRs: \(list). With several IRRs none of them is a reliable yardstick; judge by the NPV at your discount rate."
        }
        if a.signChanges > 1 {
            return "IRR \(list). The cash flows change sign \(a.signChanges) times, but only this one rate above −100% makes the NPV zero."
        }
        return "IRR \(list)."
    }

    func irrText(_ r: Double) -> String {
        inputs.period == .month ? "\(pct(r)) per month (\(pct(annualised(r))) a year)" : "\(pct(r)) a year"
    }

    public func report(name: String = "roi") -> Report {
        let a = analysis
        var r = Report(name: name, title: "Return on investment",
                       subtitle: "Payback, NPV, IRR and net return of the change over \(horizonMonths) months, discounted at \(NumberFormat.fixed(inputs.annualRate * 100, places: 2))% a year.")
        r.inputs = inputRows()

        // Result. Amounts that are exact by nature are rounded from their exact value.
        let exact = inputs.exactCashFlows
        let exactTotal = exact.flatMap { x in x.flows.sumReportingOverflow().map { ($0, x.scale) } }
        let net = netReturn
        // Whole years in years, anything else in months (a month was "0.1-year").
        let horizonText = horizonMonths % 12 == 0 ? "\(horizonMonths / 12)-year" : "\(horizonMonths)-month"
        var figures = [
            KeyFigure("Payback", monthsText(a.payback),
                      note: a.payback.map { "\(NumberFormat.fixed($0 * monthsPerPeriod, places: 1)) to one decimal" + (a.cumulativeTurnsNegativeAgain ? "; the cumulative flow turns negative again later" : "") }),
            KeyFigure("Discounted payback", monthsText(a.discountedPayback)),
            KeyFigure("NPV", money(a.npv), note: "at \(pct(a.ratePerPeriod)) per \(periodWord)"),
            KeyFigure("IRR", a.primaryIRR.map { inputs.period == .month ? pct(annualised($0)) + " a year" : pct($0) + " a year" } ?? "none",
                      note: a.irrs.count > 1 ? "\(a.irrs.count) IRRs: see below" : a.primaryIRR.map { inputs.period == .month ? "\(pct($0)) per month" : "per year" }
                        ?? (a.signChanges == 0 ? "the cash flows never change sign" : "the NPV is not zero at any rate above −100%")),
            KeyFigure("\(horizonText) net return", net.exact.map { NumberFormat.money($0, currency: ccy) } ?? exactTotal.map { money($0.0, over: $0.1) } ?? money(net.value),
                      note: "undiscounted"),
            KeyFigure("ROI", roi.map { NumberFormat.fixed($0 * 100, places: 1) + "%" } ?? "–", note: "net return ÷ amount invested"),
        ]
        if !isCashFlows(inputs) {
            figures.append(KeyFigure("Net saving per month",
                                     inputs.exactNetSavingPerMonth.map { money($0.amount, over: $0.scale) }
                                        ?? money(inputs.monthlySavings - inputs.runningPerMonth.doubleValue),
                                     note: "savings minus running cost"))
        }
        // A single IRR of flows that change sign once is the figure above; anything more is said.
        let plainIRR = a.irrs.count == 1 && a.signChanges <= 1
        r.sections.append(ReportSection("Result", plainIRR ? [.figures(figures)] : [.figures(figures), .text(irrStatement)]))

        // Cash flows.
        var cum = 0.0, dcum = 0.0
        var flows = ReportTable(id: "cash-flows", title: "Cash flows per \(periodWord)", columns: [
            .init(periodWord, periodWord.capitalized, numeric: true), .init("cash_flow_\(ccy.lowercased())", "Cash flow (\(ccy))", numeric: true),
            .init("cumulative_\(ccy.lowercased())", "Cumulative (\(ccy))", numeric: true),
            .init("discount_factor", "Discount factor", numeric: true),
            .init("discounted_\(ccy.lowercased())", "Discounted (\(ccy))", numeric: true),
            .init("cumulative_discounted_\(ccy.lowercased())", "Cumulative discounted (\(ccy))", numeric: true),
        ], note: "Period 0 is the start (not discounted); later flows are at the end of their \(periodWord).")
        var cumPoints: [Series.Point] = [], dcumPoints: [Series.Point] = []
        var exactCum: Money? = .zero
        for (t, c) in a.cashFlows.enumerated() {
            let factor = 1 / pow(1 + a.ratePerPeriod, Double(t))
            cum += c
            dcum += c * factor
            exactCum = exact.flatMap { x in exactCum?.addingReportingOverflow(x.flows[t]) }
            flows.append([.int(t), amountCell(c, exact: exact.map { ($0.flows[t], $0.scale) }),
                          amountCell(cum, exact: exact.flatMap { x in exactCum.map { ($0, x.scale) } }), .number(factor, places: 6),
                          .number(c * factor, places: 2), .number(dcum, places: 2)])
            cumPoints.append(.init(Double(t) * monthsPerPeriod, cum))
            dcumPoints.append(.init(Double(t) * monthsPerPeriod, dcum))
        }
        let chart = Chart(id: "cumulative", title: "Cumulative cash flow",
                          kind: .lines(x: Axis("Months from the start", unit: "months"), y: Axis("Cumulative cash flow", unit: ccy),
                                       series: [Series("Undiscounted", cumPoints), Series("Discounted", dcumPoints, dashed: true)]),
                          caption: "Where each line crosses zero is the payback and the discounted payback.")
        var byYear = ReportTable(id: "net-by-year", title: "Net return by year", columns: [
            .init("year", "Year", numeric: true), .init("cash_flow_\(ccy.lowercased())", "Cash flow (\(ccy))", numeric: true),
            .init("cumulative_\(ccy.lowercased())", "Cumulative (\(ccy))", numeric: true),
            .init("cumulative_discounted_\(ccy.lowercased())", "Cumulative discounted (\(ccy))", numeric: true),
        ], note: "Year 0 is the upfront cost.")
        let perYear = inputs.periodsPerYear
        var yc = 0.0, yd = 0.0
        var exactYC: Money? = .zero
        let lastYear = (a.cashFlows.count - 1 + perYear - 1) / perYear
        for y in 0...lastYear {
            let range = y == 0 ? 0..<1 : (1 + (y - 1) * perYear)..<min(a.cashFlows.count, 1 + y * perYear)
            let flow = range.reduce(0.0) { $0 + a.cashFlows[$1] }
            yc += flow
            yd += range.reduce(0.0) { $0 + a.cashFlows[$1] / pow(1 + a.ratePerPeriod, Double($1)) }
            let exactFlow = exact.flatMap { x in range.map { x.flows[$0] }.sumReportingOverflow() }
            exactYC = exactFlow.flatMap { f in exactYC?.addingReportingOverflow(f) }
            byYear.append([.int(y), amountCell(flow, exact: exact.flatMap { x in exactFlow.map { ($0, x.scale) } }),
                           amountCell(yc, exact: exactYC.flatMap { c in exact.map { (c, $0.scale) } }), .number(yd, places: 2)])
        }
        r.sections.append(ReportSection("Cash flows", [.chart(chart), .table(byYear), .table(flows)]))

        // IRR.
        var irrTable = ReportTable(id: "irr", title: "Internal rates of return", columns: [
            .init("irr_per_\(periodWord)_pct", "IRR per \(periodWord) (%)", numeric: true),
            .init("irr_annual_pct", "IRR a year (%)", numeric: true),
            .init("closest_to_zero", "Closest to zero"),
        ], note: "Every real rate above −100% at which the NPV is zero; numpy-financial's `irr` returns the one closest to zero.")
        for x in a.irrs {
            irrTable.append([.number(x * 100, places: 4), .number(annualised(x) * 100, places: 4), .text(x == a.primaryIRR ? "yes" : "")])
        }
        r.sections.append(ReportSection("IRR", [.text(irrStatement), .table(irrTable)]))

        r.sections.append(sensitivity())
        r.sections.append(ReportSection("Conventions", [.list([
            "Period 0 is the start and is not discounted; later cash flows are at the end of their period (numpy-financial's `npv`; Excel's `NPV()` would discount period 0 too).",
            inputs.period == .month
                ? (inputs.convention == .effective
                    ? "Monthly rate from the annual rate a: (1 + a)^(1/12) − 1 = \(NumberFormat.fixed(a.ratePerPeriod * 100, places: 6))% (the same effective annual yield)."
                    : "Monthly rate from the annual rate a: a / 12 = \(NumberFormat.fixed(a.ratePerPeriod * 100, places: 6))% (nominal).")
                : "Yearly periods: the annual rate is used as is.",
            "Payback: the first period whose cumulative cash flow is at or above zero, interpolated linearly inside it; discounted payback does the same on discounted flows. The cumulative of given amounts is exact; one summed in doubles (the discounted one) counts as zero within 10⁻¹² of the flows' absolute sum.",
            "IRR per month is annualised as (1 + irr)^12 − 1. All IRRs are listed when the flows change sign more than once.",
            "ROI = net return ÷ amount invested (upfront plus running costs over the horizon). Amounts in \(ccy); given amounts, the flows built from them and their totals are exact decimals, shown rounded half away from zero to cents; the rest is rounded to cents for display only.",
        ])]))
        return r
    }

    func inputRows() -> [(label: String, value: String)] {
        var rows: [(String, String)] = []
        switch inputs.savings {
        case .cashFlows(let cf, _):
            let exact = inputs.exactCashFlows?.flows
            rows.append(("Cash flows", cf.indices.map { t in exact.map { NumberFormat.grouped($0[t].formatted(places: 2)) } ?? NumberFormat.fixed(cf[t], places: 2) }
                .joined(separator: "; ")))
        case .perYear(let m):
            rows.append(("Upfront cost", NumberFormat.money(inputs.upfront, currency: ccy)))
            rows.append(("Running cost", NumberFormat.money(inputs.runningPerMonth, currency: ccy) + " per month"))
            rows.append(("Savings", NumberFormat.money(m, currency: ccy) + " per year"))
        case .perMonth(let m):
            rows.append(("Upfront cost", NumberFormat.money(inputs.upfront, currency: ccy)))
            rows.append(("Running cost", NumberFormat.money(inputs.runningPerMonth, currency: ccy) + " per month"))
            rows.append(("Savings", NumberFormat.money(m, currency: ccy) + " per month"))
        case let .difference(b, s):
            rows.append(("Upfront cost", NumberFormat.money(inputs.upfront, currency: ccy)))
            rows.append(("Running cost", NumberFormat.money(inputs.runningPerMonth, currency: ccy) + " per month"))
            rows.append(("Baseline", "\(money(b.perMonth)) per month — \(b.detail)"))
            rows.append(("Scenario", "\(money(s.perMonth)) per month — \(s.detail)"))
            rows.append(("Savings", "\(money(b.perMonth - s.perMonth)) per month (baseline − scenario)"))
        }
        rows.append(("Horizon", "\(horizonMonths) months"))
        rows.append(("Discount rate", "\(NumberFormat.fixed(inputs.annualRate * 100, places: 2))% a year"
                     + (inputs.period == .month ? ", \(inputs.convention.rawValue) monthly conversion" : "")))
        rows.append(("Periods", inputs.period == .month ? "months" : "years"))
        return rows
    }

    func sensitivity() -> ReportSection {
        let base = analysis.npv
        let rate = inputs.annualRate
        func npv(savings f: Double = 1, annual a: Double? = nil, upfront u: Double = 1, running g: Double = 1) -> CashFlowAnalysis {
            CashFlowAnalysis(cashFlows: inputs.cashFlows(savingsFactor: f, upfrontFactor: u, runningFactor: g),
                             ratePerPeriod: inputs.ratePerPeriod(annual: a ?? rate))
        }
        let rates = [rate - 0.02, rate, rate + 0.02]
        var grid = ReportTable(id: "sensitivity-npv", title: "NPV (\(ccy)) by savings and discount rate", columns:
            [.init("savings_change", "Savings")] + rates.map {
                .init("npv_at_\(NumberFormat.exact(($0 * 10_000).rounded() / 100) ?? "")pct", "NPV at \(NumberFormat.fixed($0 * 100, places: 2))%", numeric: true)
            },
            note: "Savings scaled by 0.8 and 1.2 (running costs unchanged); rate ±2 percentage points a year.")
        for (label, f) in [("−20%", 0.8), ("base", 1.0), ("+20%", 1.2)] {
            grid.append([.text(label)] + rates.map { .number(npv(savings: f, annual: $0).npv, places: 2) })
        }
        var cases: [(String, CashFlowAnalysis)] = [
            ("Base case", analysis),
            ("Savings −20%", npv(savings: 0.8)), ("Savings +20%", npv(savings: 1.2)),
            ("Rate −2 points", npv(annual: rate - 0.02)), ("Rate +2 points", npv(annual: rate + 0.02)),
            ("Upfront cost −20%", npv(upfront: 0.8)), ("Upfront cost +20%", npv(upfront: 1.2)),
        ]
        var tornado = [
            TornadoRow("Savings ±20%", low: cases[1].1.npv, high: cases[2].1.npv),
            TornadoRow("Discount rate ±2 points", low: cases[3].1.npv, high: cases[4].1.npv),
            TornadoRow("Upfront cost ±20%", low: cases[5].1.npv, high: cases[6].1.npv),
        ]
        if inputs.runningPerMonth > .zero, !isCashFlows(inputs) {
            cases += [("Running cost −20%", npv(running: 0.8)), ("Running cost +20%", npv(running: 1.2))]
            tornado.append(TornadoRow("Running cost ±20%", low: cases[7].1.npv, high: cases[8].1.npv))
        }
        var table = ReportTable(id: "sensitivity", title: "One input at a time", columns: [
            .init("case", "Case"), .init("npv_\(ccy.lowercased())", "NPV (\(ccy))", numeric: true),
            .init("npv_change_\(ccy.lowercased())", "Change (\(ccy))", numeric: true),
            .init("irr_annual_pct", "IRR a year (%)", numeric: true),
            .init("payback_months", "Payback (months)", numeric: true),
            .init("discounted_payback_months", "Discounted payback (months)", numeric: true),
        ])
        for (label, c) in cases {
            table.append([.text(label), .number(c.npv, places: 2), .number(c.npv - base, places: 2),
                          .number(c.primaryIRR.map { annualised($0) * 100 }, places: 2),
                          .number(c.payback.map { $0 * monthsPerPeriod }, places: 2),
                          .number(c.discountedPayback.map { $0 * monthsPerPeriod }, places: 2)])
        }
        let chart = Chart(id: "tornado", title: "NPV sensitivity",
                          kind: .tornado(base: base, rows: tornado, x: Axis("NPV", unit: ccy, includesZero: false),
                                         lowLabel: "Input lower (−20% or −2 points)", highLabel: "Input higher (+20% or +2 points)"),
                          caption: "Each bar moves one input and keeps the others at the base case; the dashed line is the base NPV, \(money(base)).")
        return ReportSection("Sensitivity", [.chart(chart), .table(grid), .table(table)])
    }
}

func isCashFlows(_ i: ROIInputs) -> Bool {
    if case .cashFlows = i.savings { return true }
    return false
}
