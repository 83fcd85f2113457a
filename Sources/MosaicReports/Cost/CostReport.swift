import Foundation
import MosaicCore

/// The cost report: the request log's cost by provider, model, tenant and period with
/// period-over-period change and unit economics; daily anomalies; a forecast from a load
/// model; and the billing table's cost by provider, service and team, showback and
/// chargeback, reconciled to the billed totals of every billing period to the last digit.
public struct CostReport: Sendable {
    public enum Period: String, Sendable, CaseIterable { case day, week, month }

    public var data: CostData
    public var period: Period
    public var forecast: CostForecast?

    public init(data: CostData, period: Period = .month, forecast: CostForecast? = nil) {
        self.data = data
        self.period = period
        self.forecast = forecast
    }

    static let hourMicros: Int64 = 3_600_000_000
    static let dayHours: Int64 = 24

    struct Totals {
        var requests = 0, failures = 0, input = 0, output = 0, unpriced = 0
        var cost = Money.zero
        mutating func add(_ c: CostData.RequestCell) {
            requests += c.requests; failures += c.failures; input += c.inputTokens; output += c.outputTokens
            unpriced += c.unpriced; cost += c.cost
        }
        var perThousand: Double? { requests > 0 ? cost.doubleValue * 1_000 / Double(requests) : nil }
        var perMillionTokens: Double? { input + output > 0 ? cost.doubleValue * 1_000_000 / Double(input + output) : nil }
    }

    func grouped<K: Hashable & Comparable>(_ key: (CostData.RequestCell) -> K) -> [(K, Totals)] {
        var m: [K: Totals] = [:]
        for c in data.requests { m[key(c), default: Totals()].add(c) }
        return m.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The period a day (days since the epoch) belongs to: its label and [first, last] day.
    func periodOf(day: Int64) -> (label: String, first: Int64, last: Int64) {
        switch period {
        case .day: return (dayText(day), day, day)
        case .week:
            let start = day - ((day + 3) % 7)  // Monday
            return ("week of \(dayText(start))", start, start + 6)
        case .month:
            let c = Timestamp.civilFromDays(Int(day))
            let first = Int64(Timestamp.daysFromCivil(year: c.year, month: c.month, day: 1))
            let next = c.month == 12 ? Timestamp.daysFromCivil(year: c.year + 1, month: 1, day: 1)
                : Timestamp.daysFromCivil(year: c.year, month: c.month + 1, day: 1)
            return (String(dayText(day).prefix(7)), first, Int64(next) - 1)
        }
    }

    func dayText(_ day: Int64) -> String { NumberFormat.date(day * 86_400_000_000) }

    public func report(name: String = "cost") -> Report {
        var r = Report(name: name, title: "Cost report", subtitle: subtitle())
        r.inputs = [("Request log window", windowText()), ("Billing lines", "\(data.billingTotals.map(\.lines).reduce(0, +)) in \(data.billingTotals.count) billing period(s)"),
                    ("Periods", period.rawValue), ("Forecast", forecast.map { "load model \($0.source)" } ?? "none (no load model given)")]
        r.sections.append(summary())
        if data.requests.isEmpty {
            r.sections.append(ReportSection("Request log", [.text("The request log has no requests in the window; ingest some with `mosaic ingest requests`.")]))
        } else {
            r.sections += [byProvider(), byModel(), byTenant(), byPeriod(), anomalies(), forecastSection()]
        }
        if !data.cacheHits.isEmpty { r.sections.append(cacheSection()) }
        r.sections += billingSections()
        return r
    }

    func subtitle() -> String {
        "Exact costs from the request log and the billing table; totals reconciled to the billed amount of every billing period."
    }

    func windowText() -> String {
        guard let a = data.from, let b = data.to else { return "empty" }
        return "\(Timestamp.format(a)) … \(Timestamp.format(b)) (\(NumberFormat.fixed(Double(b - a) / 86_400_000_000, places: 2)) days)"
    }

    func summary() -> ReportSection {
        var t = Totals()
        for c in data.requests { t.add(c) }
        var figures: [KeyFigure] = []
        if !data.requests.isEmpty {
            figures += [
                KeyFigure("Request-log cost", NumberFormat.money(t.cost), note: "exact: \(t.cost)"),
                KeyFigure("Requests", NumberFormat.grouped(t.requests), note: t.unpriced > 0 ? "\(NumberFormat.grouped(t.unpriced)) without a price" : nil),
                KeyFigure("Cost per 1,000 requests", t.perThousand.map { NumberFormat.money($0, places: 4) } ?? "–"),
                KeyFigure("Cost per million tokens", t.perMillionTokens.map { NumberFormat.money($0, places: 4) } ?? "–", note: "input + output tokens"),
            ]
        }
        if !data.cacheHits.isEmpty {
            let saved = data.cacheHits.reduce(Money.zero) { $0 + $1.saved }
            let hits = data.cacheHits.reduce(0) { $0 + $1.hits }
            figures.append(KeyFigure("Saved by the gateway cache", NumberFormat.money(saved),
                                     note: "exact: \(saved); \(NumberFormat.grouped(hits)) cached answers"))
        }
        var byCurrency: [String: Money] = [:]
        for p in data.billingTotals { byCurrency[p.currency, default: .zero] += p.billed }
        for (ccy, m) in byCurrency.sorted(by: { $0.key < $1.key }) {
            figures.append(KeyFigure("Billed (\(ccy))", NumberFormat.money(m, currency: ccy), note: "exact: \(m)"))
        }
        if !data.billingTotals.isEmpty {
            let ok = reconciliation().allSatisfy(\.matches)
            figures.append(KeyFigure("Reconciliation", ok ? "matches to the last digit" : "MISMATCH", note: "\(data.billingTotals.count) billing period(s)"))
        }
        return ReportSection("Summary", figures.isEmpty ? [.text("The store holds no requests and no billing lines in the window.")] : [.figures(figures)])
    }

    func byProvider() -> ReportSection {
        let groups = grouped { $0.provider }
        var total = Totals()
        for c in data.requests { total.add(c) }
        var t = ReportTable(id: "by-provider", title: "Cost by provider (request log)", columns: [
            .init("provider", "Provider"), .init("requests", "Requests", numeric: true),
            .init("error_rate_pct", "Errors (%)", numeric: true), .init("cost_usd", "Cost (USD)", numeric: true),
            .init("share_pct", "Share (%)", numeric: true), .init("usd_per_1k_requests", "USD per 1k requests", numeric: true),
            .init("usd_per_million_tokens", "USD per M tokens", numeric: true),
        ])
        for (p, g) in groups {
            t.append([.text(p), .int(g.requests), .percent(g.requests > 0 ? Double(g.failures) / Double(g.requests) : nil, places: 2),
                      .money(g.cost), .percent(total.cost > .zero ? g.cost.doubleValue / total.cost.doubleValue : nil, places: 1),
                      .number(g.perThousand, places: 4), .number(g.perMillionTokens, places: 4)])
        }
        t.append([.text("total"), .int(total.requests), .percent(total.requests > 0 ? Double(total.failures) / Double(total.requests) : nil, places: 2),
                  .money(total.cost), .percent(total.cost > .zero ? 1 : nil, places: 1), .number(total.perThousand, places: 4),
                  .number(total.perMillionTokens, places: 4)])
        t.note = "Cost is exact (CSV and JSON carry every digit); the total row is the exact sum of the rows above."
        // Daily stacked bars.
        let days = Array(Set(data.requests.map { $0.hour / Self.dayHours })).sorted()
        let providers = groups.map(\.0)
        var values: [String: [Double]] = [:]
        let index = Dictionary(uniqueKeysWithValues: days.enumerated().map { ($1, $0) })
        var exact: [String: [Money]] = [:]
        for p in providers { exact[p] = Array(repeating: .zero, count: days.count) }
        for c in data.requests { exact[c.provider]![index[c.hour / Self.dayHours]!] += c.cost }
        for p in providers { values[p] = exact[p]!.map(\.doubleValue) }
        let chart = Chart(id: "daily-cost", title: "Cost per day by provider",
                          kind: .stackedBars(categories: days.map { String(dayText($0).dropFirst(5)) },
                                             x: Axis("Day (UTC)", unit: "MM-DD"), y: Axis("Cost", unit: "USD"),
                                             series: providers.map { Series($0, values: values[$0]!) }),
                          caption: "Exact daily totals per provider, stacked; days are UTC.")
        return ReportSection("Cost by provider", [.chart(chart), .table(t)])
    }

    func byModel() -> ReportSection {
        let groups = grouped { $0.provider + "\u{1F}" + $0.model }.map { ($0.0.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init), $0.1) }
        var t = ReportTable(id: "unit-economics", title: "Unit economics by provider and model", columns: [
            .init("provider", "Provider"), .init("model", "Model"), .init("requests", "Requests", numeric: true),
            .init("input_tokens", "Input tokens", numeric: true), .init("output_tokens", "Output tokens", numeric: true),
            .init("cost_usd", "Cost (USD)", numeric: true), .init("usd_per_1k_requests", "USD per 1k requests", numeric: true),
            .init("usd_per_million_tokens", "USD per M tokens", numeric: true),
        ], note: "Per million tokens counts input and output tokens together; providers billed per request or minute show no token price.")
        for (k, g) in groups {
            t.append([.text(k[0]), .text(k[1]), .int(g.requests), .int(g.input), .int(g.output), .money(g.cost),
                      .number(g.perThousand, places: 4), .number(g.perMillionTokens, places: 4)])
        }
        return ReportSection("Cost by model and unit economics", [.table(t)])
    }

    func byTenant() -> ReportSection {
        let groups = grouped { $0.tenant }
        let total = groups.map(\.1.cost).sum()
        var t = ReportTable(id: "showback-tenants", title: "Showback by tenant (request log)", columns: [
            .init("tenant", "Tenant"), .init("requests", "Requests", numeric: true), .init("cost_usd", "Cost (USD)", numeric: true),
            .init("share_pct", "Share (%)", numeric: true), .init("usd_per_1k_requests", "USD per 1k requests", numeric: true),
        ], note: "Each request's exact cost goes to its tenant; the shares add up to the request-log total, \(NumberFormat.money(total)).")
        for (k, g) in groups {
            t.append([.text(k), .int(g.requests), .money(g.cost), .percent(total > .zero ? g.cost.doubleValue / total.doubleValue : nil, places: 1),
                      .number(g.perThousand, places: 4)])
        }
        return ReportSection("Showback by tenant", [.table(t)])
    }

    /// What the gateway's answer cache saved: the `cache_hits` table by provider, model and tenant.
    func cacheSection() -> ReportSection {
        var t = ReportTable(id: "cache-savings", title: "Saved by the gateway cache", columns: [
            .init("provider", "Provider"), .init("model", "Model"), .init("tenant", "Tenant"),
            .init("hits", "Cached answers", numeric: true), .init("saved_usd", "Saved (USD)", numeric: true),
        ])
        var hits = 0, unpriced = 0
        var saved = Money.zero
        for c in data.cacheHits {
            t.append([.text(c.provider), .text(c.model), .text(c.tenant), .int(c.hits), .money(c.saved)])
            hits += c.hits
            unpriced += c.unpriced
            saved += c.saved
        }
        t.append([.text("total"), .text(""), .text(""), .int(hits), .money(saved)])
        t.note = "Each cached answer saves the exact cost it had upstream when the gateway first forwarded it; cached answers are "
            + "not in the request-log cost above." + (unpriced > 0 ? " \(unpriced) cached answer(s) had no price and count as 0." : "")
        return ReportSection("Gateway cache", [.table(t)])
    }

    var periodWord: (noun: String, title: String) {
        switch period {
        case .day: return ("day", "Day over day")
        case .week: return ("week", "Week over week")
        case .month: return ("month", "Month over month")
        }
    }

    func byPeriod() -> ReportSection {
        var order: [String] = []
        var info: [String: (first: Int64, last: Int64)] = [:]
        var totals: [String: Totals] = [:]
        var byProvider: [String: [String: Money]] = [:]
        for c in data.requests {
            let p = periodOf(day: c.hour / Self.dayHours)
            if info[p.label] == nil { order.append(p.label); info[p.label] = (p.first, p.last) }
            totals[p.label, default: Totals()].add(c)
            byProvider[p.label, default: [:]][c.provider, default: .zero] += c.cost
        }
        order.sort { info[$0]!.first < info[$1]!.first }
        let windowFirstDay = (data.from ?? 0) / 86_400_000_000
        let windowEndDay = ((data.to ?? 0) + 86_400_000_000 - 1) / 86_400_000_000  // exclusive
        let windowStartHour = (data.from ?? 0) / Self.hourMicros
        let windowEndHour = (data.to ?? 0) / Self.hourMicros
        var t = ReportTable(id: "by-period", title: "\(periodWord.title): request-log cost per \(periodWord.noun)", columns: [
            .init(period.rawValue, period.rawValue.capitalized), .init("requests", "Requests", numeric: true),
            .init("cost_usd", "Cost (USD)", numeric: true), .init("change_usd", "Change (USD)", numeric: true),
            .init("change_pct", "Change (%)", numeric: true), .init("complete", "Complete"),
        ])
        var previous: Money?
        for label in order {
            let g = totals[label]!
            let (first, last) = info[label]!
            let complete = first * 24 >= windowStartHour && (last + 1) * 24 <= windowEndHour && first >= windowFirstDay && last < windowEndDay
            let change = previous.map { g.cost - $0 }
            t.append([.text(label), .int(g.requests), .money(g.cost), change.map { .money($0) } ?? .empty,
                      .percent(previous.flatMap { $0 > .zero ? (g.cost - $0).doubleValue / $0.doubleValue : nil }, places: 1),
                      .text(complete ? "yes" : "partial")])
            previous = g.cost
        }
        t.note = "A partial \(periodWord.noun) is only partly inside the window, so its change is not like for like."
        var blocks: [ReportBlock] = [.table(t)]
        let providers = Array(Set(data.requests.map(\.provider))).sorted()
        if order.count >= 2 {
            var mix = ReportTable(id: "by-period-provider", title: "Cost per \(periodWord.noun) by provider (USD)", columns:
                [.init(period.rawValue, period.rawValue.capitalized)] + providers.map { .init($0 + "_usd", $0, numeric: true) })
            for label in order { mix.append([.text(label)] + providers.map { .money(byProvider[label]?[$0] ?? .zero) }) }
            blocks.append(.table(mix))
        } else {
            blocks.insert(.text("The window holds one \(periodWord.noun), so there is no earlier \(periodWord.noun) to compare with; use `--period week` or `--period day` for a shorter window."), at: 0)
        }
        return ReportSection(periodWord.title, blocks)
    }

    func anomalies() -> ReportSection {
        // Whole days inside the window.
        let firstDay = ((data.from ?? 0) + 86_400_000_000 - 1) / 86_400_000_000
        let endDay = (data.to ?? 0) / 86_400_000_000
        var t = ReportTable(id: "anomalies", title: "Days whose cost stands out", columns: [
            .init("day", "Day"), .init("provider", "Provider"), .init("cost_usd", "Cost (USD)", numeric: true),
            .init("median_usd", "Median like day (USD)", numeric: true), .init("robust_z", "Robust z", numeric: true),
        ], note: "Robust z = 0.6745 × (cost − median) / MAD over the whole days of the window, per provider, weekdays and weekends apart (each needs 4 days or more); flagged when |z| ≥ 3.5 (Iglewicz and Hoaglin). Needs 7 days or more.")
        guard endDay - firstDay >= 7 else {
            return ReportSection("Anomalies", [.text("The window has \(max(0, endDay - firstDay)) whole days; daily anomaly flags need at least 7."), .table(t)])
        }
        var daily: [String: [Int64: Money]] = [:]
        for c in data.requests {
            let d = c.hour / Self.dayHours
            guard d >= firstDay && d < endDay else { continue }
            daily[c.provider, default: [:]][d, default: .zero] += c.cost
        }
        var flagged = 0
        var rows: [(Int64, String, Money, Double, Double)] = []
        for p in daily.keys.sorted() {
            // Weekdays and weekends have different levels: each day is judged against its kind.
            for weekend in [false, true] {
                let days = (firstDay..<endDay).filter { (($0 + 3) % 7 >= 5) == weekend }.map { ($0, daily[p]![$0] ?? Money.zero) }
                guard days.count >= 4 else { continue }
                let xs = days.map { $0.1.doubleValue }
                let median = Quantiles.linear(sorted: xs.sorted(), 0.5)
                let mad = Quantiles.linear(sorted: xs.map { abs($0 - median) }.sorted(), 0.5)
                guard mad > 0 else { continue }
                for (d, m) in days {
                    let z = 0.6745 * (m.doubleValue - median) / mad
                    if abs(z) >= 3.5 { rows.append((d, p, m, median, z)) }
                }
            }
        }
        for (d, p, m, median, z) in rows.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            t.append([.text(dayText(d)), .text(p), .money(m), .number(median, places: 2), .number(z, places: 2)])
            flagged += 1
        }
        return ReportSection("Anomalies", [.text(flagged == 0 ? "No provider had a day whose cost stands out (|robust z| ≥ 3.5) in the \(endDay - firstDay) whole days of the window."
                                                 : "\(flagged) provider-day(s) stand out:"), .table(t)])
    }

    func forecastSection() -> ReportSection {
        guard let forecast, !forecast.series.isEmpty else {
            return ReportSection("Forecast", [.text("No load model was given, so there is no forecast. Train one with `mosaic train load --by provider` and pass it with `--load-model FILE`.")])
        }
        // Cost per request per provider over the last 7 days of the window.
        let endHour = (data.to ?? 0) / Self.hourMicros
        var recent: [String: Totals] = [:]
        for c in data.requests where c.hour >= endHour - 7 * 24 { recent[c.provider, default: Totals()].add(c) }
        var t = ReportTable(id: "forecast", title: "Forecast cost per provider", columns: [
            .init("provider", "Provider"), .init("from", "From"), .init("hours", "Hours", numeric: true),
            .init("requests", "Requests (forecast)", numeric: true), .init("requests_hi95", "Requests (95% high)", numeric: true),
            .init("usd_per_request", "USD per request", numeric: true), .init("cost_usd", "Cost (USD)", numeric: true),
            .init("cost_hi95_usd", "Cost, 95% high (USD)", numeric: true), .init("next_month_usd", "Next month at this rate (USD)", numeric: true),
        ], note: "Forecast requests × each provider's cost per request over the last 7 days of the window. A month is 30.4375 days; the monthly figure extrapolates the forecast horizon's rate, so read it as a run rate.")
        var totalCost = 0.0, totalHi = 0.0, totalMonth = 0.0
        var obsPoints: [Series.Point] = []
        var meanByStep: [Int64: Double] = [:], hiByStep: [Int64: Double] = [:]
        for s in forecast.series.sorted(by: { $0.group < $1.group }) {
            guard let r = recent[s.group], r.requests > 0 else { continue }
            let cpr = r.cost.doubleValue / Double(r.requests)
            let n = s.mean.reduce(0) { $0 + max(0, $1) }
            let hi = s.upper95.map { $0.reduce(0) { $0 + max(0, $1) } }
            let hours = Double(s.mean.count) * Double(s.interval) / Double(Self.hourMicros)
            let cost = n * cpr
            let month = hours > 0 ? cost * MonthlyCost.daysPerMonth * 24 / hours : .nan
            totalCost += cost; totalHi += (hi ?? n) * cpr; totalMonth += month
            t.append([.text(s.group), .text(Timestamp.format(s.start)), .number(hours, places: 0), .number(n, places: 0), .number(hi, places: 0),
                      .number(cpr, places: 6), .number(cost, places: 2), .number(hi.map { $0 * cpr }, places: 2), .number(month, places: 2)])
            for (k, v) in s.mean.enumerated() {
                let at = s.start + Int64(k) * s.interval
                meanByStep[at, default: 0] += max(0, v) * cpr
                hiByStep[at, default: 0] += max(0, s.upper95?[k] ?? v) * cpr
            }
        }
        t.append([.text("total"), .empty, .empty, .empty, .empty, .empty, .number(totalCost, places: 2), .number(totalHi, places: 2), .number(totalMonth, places: 2)])
        var hourly: [Int64: Money] = [:]
        for c in data.requests where c.hour >= endHour - 72 { hourly[c.hour, default: .zero] += c.cost }
        for (h, m) in hourly.sorted(by: { $0.key < $1.key }) { obsPoints.append(.init(Double(h * 3600), m.doubleValue)) }
        let chart = Chart(id: "forecast", title: "Cost per hour: the last three days and the forecast",
                          kind: .lines(x: Axis("Time (UTC)", unit: "", labels: .epochSeconds), y: Axis("Cost", unit: "USD per hour"), series: [
                            Series("Observed", obsPoints),
                            Series("Forecast", meanByStep.sorted { $0.key < $1.key }.map { .init(Double($0.key) / 1e6, $0.value) }, dashed: true),
                            Series("Forecast, 95% high", hiByStep.sorted { $0.key < $1.key }.map { .init(Double($0.key) / 1e6, $0.value) }, dashed: true),
                          ]),
                          caption: "Forecast request volume from \(forecast.source) priced at each provider's recent cost per request.")
        return ReportSection("Forecast", [.chart(chart), .table(t)])
    }

    // MARK: - Billing

    struct Reconciled { var period: String; var currency: String; var lines: Int; var billed: Money; var byService: Money; var chargeback: Money
        var matches: Bool { billed == byService && billed == chargeback }
    }

    /// Per team and period: direct billed and effective cost, and the share of untagged cost
    /// (in proportion to the teams' positive direct costs; see ``Allocation/proportional(_:weights:)``).
    func chargeback() -> [(period: String, currency: String, team: String, billed: Money, effective: Money, shared: Money, lines: Int)] {
        var out: [(String, String, String, Money, Money, Money, Int)] = []
        let keys = Array(Set(data.billing.map { [$0.period, $0.currency] })).sorted { $0.lexicographicallyPrecedes($1) }
        for k in keys {
            let cells = data.billing.filter { $0.period == k[0] && $0.currency == k[1] }
            var direct: [String: (Money, Money, Int)] = [:]
            var untagged = Money.zero, untaggedEffective = Money.zero, untaggedLines = 0
            for c in cells {
                if let team = c.team, !team.isEmpty {
                    let v = direct[team] ?? (.zero, .zero, 0)
                    direct[team] = (v.0 + c.billed, v.1 + c.effective, v.2 + c.lines)
                } else {
                    untagged += c.billed; untaggedEffective += c.effective; untaggedLines += c.lines
                }
            }
            let teams = direct.keys.sorted()
            let shares = Allocation.proportional(untagged, weights: teams.map { direct[$0]!.0 })
            for (i, team) in teams.enumerated() {
                out.append((k[0], k[1], team, direct[team]!.0, direct[team]!.1, shares[i], direct[team]!.2))
            }
            if teams.isEmpty || (untagged != .zero && shares.allSatisfy { $0 == .zero }) {
                out.append((k[0], k[1], "(untagged)", untagged, untaggedEffective, .zero, untaggedLines))
            } else if untaggedLines > 0 {
                out.append((k[0], k[1], "(untagged, shared out)", .zero, untaggedEffective, .zero, untaggedLines))
            }
        }
        return out.map { (period: $0.0, currency: $0.1, team: $0.2, billed: $0.3, effective: $0.4, shared: $0.5, lines: $0.6) }
    }

    func reconciliation() -> [Reconciled] {
        let cb = chargeback()
        return data.billingTotals.map { p in
            let cells = data.billing.filter { $0.period == p.period && $0.currency == p.currency }
            let rows = cb.filter { $0.period == p.period && $0.currency == p.currency }
            return Reconciled(period: p.period, currency: p.currency, lines: p.lines, billed: p.billed,
                              byService: cells.map(\.billed).sum(), chargeback: rows.map { $0.billed + $0.shared }.sum())
        }
    }

    func billingSections() -> [ReportSection] {
        guard !data.billing.isEmpty else {
            return [ReportSection("Billing", [.text("The billing table has no lines in the window. Load FOCUS exports with `mosaic ingest focus FILE.csv`, or pull provider cost reports (`mosaic ingest openai-costs …`).")])]
        }
        var svc: [String: (Money, Money, Money?, Int)] = [:]
        for c in data.billing {
            let k = [c.period, c.currency, c.provider, c.service].joined(separator: "\u{1F}")
            let v = svc[k] ?? (.zero, .zero, nil, 0)
            let list: Money? = c.list.map { ($0 + (v.2 ?? .zero)) } ?? v.2
            svc[k] = (v.0 + c.billed, v.1 + c.effective, list, v.3 + c.lines)
        }
        var t = ReportTable(id: "billing-by-service", title: "Billed cost by billing period, provider and service", columns: [
            .init("billing_period", "Billing period"), .init("currency", "Currency"), .init("provider", "Provider"), .init("service", "Service"),
            .init("billed_cost", "BilledCost", numeric: true), .init("effective_cost", "EffectiveCost", numeric: true),
            .init("list_cost", "ListCost", numeric: true), .init("lines", "Lines", numeric: true),
        ], note: "FOCUS columns summed exactly; the table rounds to cents, CSV and JSON carry every digit.")
        for (k, v) in svc.sorted(by: { $0.key < $1.key }) {
            let p = k.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
            t.append([.text(p[0]), .text(p[1]), .text(p[2]), .text(p[3].isEmpty ? "–" : p[3]), .money(v.0), .money(v.1),
                      v.2.map { .money($0) } ?? .empty, .int(v.3)])
        }
        let cb = chargeback()
        var show = ReportTable(id: "showback-teams", title: "Showback by team", columns: [
            .init("billing_period", "Billing period"), .init("currency", "Currency"), .init("team", "Team"),
            .init("billed_cost", "BilledCost", numeric: true), .init("effective_cost", "EffectiveCost", numeric: true),
            .init("share_pct", "Share of billed (%)", numeric: true), .init("lines", "Lines", numeric: true),
        ], note: "What each team's tagged resources cost (team from the tags at ingest: team, business_unit, cost_center …). Untagged cost is shown on its own line.")
        var charge = ReportTable(id: "chargeback-teams", title: "Chargeback by team", columns: [
            .init("billing_period", "Billing period"), .init("currency", "Currency"), .init("team", "Team"),
            .init("direct_billed", "Direct (BilledCost)", numeric: true), .init("shared_untagged", "Share of untagged", numeric: true),
            .init("chargeback", "Charged back", numeric: true),
        ], note: "Untagged cost is shared out in proportion to each team's direct cost where that is positive (a team whose direct cost is zero or a net credit gets no share; when no team's is positive, the untagged cost stays on its own line), exactly to the last digit (10⁻²⁴): each share is rounded down and the units left over go one each to the largest remainders, so the column adds up to the bill exactly.")
        let totals = Dictionary(data.billingTotals.map { ($0.period + "\u{1F}" + $0.currency, $0.billed) }, uniquingKeysWith: +)
        for row in cb {
            let untaggedRow = row.team.hasPrefix("(untagged")
            let billedShown = untaggedRow && row.team != "(untagged)" ? data.billing.filter { $0.period == row.period && $0.currency == row.currency && ($0.team ?? "").isEmpty }.map(\.billed).sum() : row.billed
            let total = totals[row.period + "\u{1F}" + row.currency] ?? .zero
            show.append([.text(row.period), .text(row.currency), .text(untaggedRow ? "(untagged)" : row.team), .money(billedShown), .money(row.effective),
                         .percent(total != .zero ? billedShown.doubleValue / total.doubleValue : nil, places: 1), .int(row.lines)])
            if row.team != "(untagged, shared out)" {
                charge.append([.text(row.period), .text(row.currency), .text(row.team), .money(row.billed), .money(row.shared), .money(row.billed + row.shared)])
            }
        }
        var rec = ReportTable(id: "reconciliation", title: "Reconciliation with the billed totals", columns: [
            .init("billing_period", "Billing period"), .init("currency", "Currency"), .init("lines", "Lines", numeric: true),
            .init("billed_total", "BilledCost of the lines", numeric: true), .init("sum_by_service", "Σ by service", numeric: true),
            .init("sum_chargeback", "Σ chargeback", numeric: true), .init("difference", "Difference", numeric: true), .init("matches", "Matches"),
        ], note: "BilledCost of the lines is `money_sum` over every line of the period; the other two are the report's own tables added up. Amounts are shown with every digit.")
        for x in reconciliation() {
            let diff = (x.byService - x.billed) + (x.chargeback - x.billed)
            rec.append([.text(x.period), .text(x.currency), .int(x.lines), exactCell(x.billed), exactCell(x.byService),
                        exactCell(x.chargeback), exactCell(diff), Cell(display: x.matches ? "yes" : "NO", value: .bool(x.matches))])
        }
        return [ReportSection("Billing by provider and service", [.table(t)]),
                ReportSection("Showback and chargeback by team", [.table(show), .table(charge)]),
                ReportSection("Reconciliation", [.table(rec)])]
    }

    func exactCell(_ m: Money) -> Cell { Cell(display: NumberFormat.grouped(m.description), value: .decimal(m.description)) }
}
