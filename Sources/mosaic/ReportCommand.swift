import ArgumentParser
import Foundation
import MosaicCore
import MosaicLearn
import MosaicReports
import MosaicSim
import MosaicStore

extension ROIInputs.Period: ExpressibleByArgument {}
extension ROIInputs.RateConvention: ExpressibleByArgument {}
extension CostReport.Period: ExpressibleByArgument {}

/// `mosaic report …`: ROI, cost, latency and failover reports.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write ROI, cost, latency and failover reports: Markdown, self-contained HTML with charts, CSV and JSON.",
        discussion: """
            Each report goes to --out (default reports/) as NAME.md (with one NAME-CHART.svg per chart), \
            NAME.html (one self-contained file: inline CSS and SVG, no external assets), NAME.json \
            (every table) and one NAME-TABLE.csv per table. The same inputs give byte-identical files.

              mosaic report roi --upfront 150000 --savings-per-year 415000 --years 5 --rate 8
              mosaic report cost --period week --load-model models/load-demo.json
              mosaic report latency --before 2026-10-05..2026-10-12 --after 2026-10-12..2026-10-19
              mosaic report failover --simulation outage.json --sweep sweep.json
            """,
        subcommands: [ROIReportCommand.self, CostReportCommand.self, LatencyReportCommand.self, FailoverReportCommand.self]
    )
}

/// `--out` and `--formats`, shared by every report.
struct ReportOutputOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Folder the report files go to.", valueName: "dir"))
    var out = "reports"

    @Option(name: .long, help: ArgumentHelp("File formats, comma-separated: md, html, csv, json.", valueName: "list"))
    var formats = "md,html,csv,json"

    @Option(name: .long, help: ArgumentHelp("File name stem (default: the report's kind).", valueName: "name"))
    var name: String?

    func parsedFormats() throws -> Set<ReportFormat> {
        var set = Set<ReportFormat>()
        for part in formats.split(separator: ",") {
            let p = part.trimmingCharacters(in: .whitespaces)
            guard let f = ReportFormat(rawValue: p) else { throw ValidationError("--formats: '\(p)' is not one of md, html, csv, json") }
            set.insert(f)
        }
        if set.isEmpty { throw ValidationError("--formats needs at least one format") }
        return set
    }

    func validateName() throws {
        if let name, name.isEmpty || name.contains("/") { throw ValidationError("--name must be a plain file name stem") }
    }

    /// Writes the report and prints its headline figures and the files.
    func write(_ report: Report, quiet: Bool = false) throws -> [String] {
        var r = report
        if let name { r.name = name }
        let written: ReportWriter.Written
        let formats = try parsedFormats()
        do { written = try ReportWriter.write(r, to: out, formats: formats) } catch { throw CLIError(error.description) }
        if !quiet { printSummary(r, written) }
        return written.paths
    }
}

func printSummary(_ r: Report, _ written: ReportWriter.Written) {
    print("\(r.title)")
    for s in r.sections.prefix(2) {
        for b in s.blocks {
            if case .figures(let f) = b {
                for x in f { print("  \(x.label): \(x.value)\(x.note.map { " (\($0))" } ?? "")") }
            } else if case .text(let t) = b, s.blocks.contains(where: { if case .figures = $0 { return true } else { return false } }) {
                print("  " + t.replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "`", with: ""))
            }
        }
    }
    func names(_ paths: [String]) -> String { paths.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ") }
    print("  wrote \(written.paths.count) files: \(names(written.paths))")
    if !written.removed.isEmpty {
        print("  removed \(written.removed.count) \(written.removed.count == 1 ? "file" : "files") of the previous run that this one does not have: \(names(written.removed))")
    }
}

// MARK: - ROI

struct ROIReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roi",
        abstract: "Payback, discounted payback, NPV, every IRR, net return and ROI %, with a sensitivity table.",
        discussion: """
            Savings come from one of: --savings-per-year or --savings-per-month; --baseline and \
            --scenario (each `requests` for the request log's cost scaled to a month, `billing` for \
            the billing table's average month, a `mosaic simulate --out` JSON file (sim:FILE when its \
            name does not end in .json), or an amount per month), savings = baseline − scenario; or --cash-flows with the whole series (t = 0 first).

            Conventions: period 0 is not discounted, later flows are at the end of their period \
            (numpy-financial); with monthly periods the annual --rate becomes (1+r)^(1/12)−1 \
            (--rate-convention effective) or r/12 (nominal).
            """
    )

    @Option(name: .long, help: ArgumentHelp("One-off implementation cost at the start.", valueName: "amount"))
    var upfront: String = "0"

    @Option(name: .long, help: ArgumentHelp("Running cost of the change per month.", valueName: "amount"))
    var running: String = "0"

    @Option(name: .customLong("savings-per-year"), help: ArgumentHelp("Savings per year.", valueName: "amount"))
    var savingsPerYear: String?

    @Option(name: .customLong("savings-per-month"), help: ArgumentHelp("Savings per month.", valueName: "amount"))
    var savingsPerMonth: String?

    @Option(name: .long, help: ArgumentHelp("Monthly cost today: requests, billing, FILE.json (sim:FILE for a name without .json) or an amount.", valueName: "source"))
    var baseline: String?

    @Option(name: .long, help: ArgumentHelp("Monthly cost after the change: requests, billing, FILE.json (sim:FILE for a name without .json) or an amount.", valueName: "source"))
    var scenario: String?

    @Option(name: .customLong("cash-flows"), help: ArgumentHelp("Explicit cash flows, comma-separated, t = 0 first (-100,60,60).", valueName: "list"))
    var cashFlows: String?

    @Option(name: .long, help: "Horizon in years.")
    var years: Int?

    @Option(name: .long, help: "Horizon in months (instead of --years).")
    var months: Int?

    @Option(name: .long, help: ArgumentHelp("Annual discount rate in percent.", valueName: "percent"))
    var rate: Double = 8

    @Option(name: .long, help: "Cash-flow periods: month or year.")
    var period: ROIInputs.Period = .month

    @Option(name: .customLong("rate-convention"), help: "Monthly rate from the annual one: effective or nominal.")
    var rateConvention: ROIInputs.RateConvention = .effective

    @Option(name: .long, help: "Currency of the amounts.")
    var currency = "USD"

    @OptionGroup var output: ReportOutputOptions
    @OptionGroup var store: StoreOptions

    func validate() throws {
        let sources = [savingsPerYear != nil, savingsPerMonth != nil, baseline != nil || scenario != nil, cashFlows != nil].filter { $0 }.count
        if sources != 1 { throw ValidationError("give exactly one of --savings-per-year, --savings-per-month, --baseline with --scenario, or --cash-flows") }
        if (baseline == nil) != (scenario == nil) { throw ValidationError("--baseline and --scenario go together") }
        if years != nil && months != nil { throw ValidationError("give --years or --months, not both") }
        if cashFlows != nil {
            let given = [("--upfront", (try? Money(parsing: upfront)) != .zero), ("--running", (try? Money(parsing: running)) != .zero),
                         ("--years", years != nil), ("--months", months != nil)].filter(\.1).map(\.0)
            if !given.isEmpty {
                throw ValidationError("--cash-flows is the whole series, t = 0 first: it does not take \(given.joined(separator: ", ")) (put an up-front cost in the first value, a running cost in every later one; the horizon is the series' length)")
            }
        }
        if let y = years, !(1...100).contains(y) { throw ValidationError("--years must be between 1 and 100") }
        if let m = months, !(1...1200).contains(m) { throw ValidationError("--months must be between 1 and 1200") }
        if !(rate > -98 && rate.isFinite) {
            throw ValidationError("--rate must be a finite percentage above -98 (the sensitivity table takes it 2 points lower)")
        }
        for (o, v) in [("--upfront", upfront), ("--running", running)] {
            if try amount(v, o) < .zero { throw Self.negativeCost(o, v) }
        }
        // A monthly cost given as an amount; `requests`, `billing` and files are measured.
        for (o, v) in [("--baseline", baseline), ("--scenario", scenario)] {
            if let v, let m = try? Money(parsing: v), m < .zero { throw Self.negativeCost(o, v) }
        }
        try output.validateName()
        _ = try output.parsedFormats()
    }

    /// Costs are zero or more: a negative one would be money coming in, and ROI % (net return ÷
    /// amount invested) divides by it. Savings and --cash-flows keep their sign.
    static func negativeCost(_ option: String, _ text: String) -> ValidationError {
        ValidationError("\(option) '\(text)' must be zero or more: it is a cost (money coming in belongs in --cash-flows, t = 0 first; savings may be negative)")
    }

    /// Reads an amount option; every one says the same when it does not read (out of range
    /// included: `--upfront 200000000000000` said only that it was not an amount).
    func amount(_ text: String, _ option: String) throws -> Money {
        do { return try Money(parsing: text) } catch {
            switch error {
            case .outOfRange: throw ValidationError("\(option) '\(text)' is out of range: an amount must lie within about ±1.7 × 10¹⁴")
            case .tooManyDecimals: throw ValidationError("\(option) '\(text)' has more than \(Money.scale) decimal places")
            case .empty, .invalidCharacter: throw ValidationError("\(option) '\(text)' is not an amount (for example 150000 or 2500.50)")
            }
        }
    }

    func inputs() throws -> ROIInputs {
        let savings: ROIInputs.Savings
        var horizon = months ?? (years ?? 5) * 12
        if let y = savingsPerYear { savings = .perYear(try amount(y, "--savings-per-year")) }
        else if let m = savingsPerMonth { savings = .perMonth(try amount(m, "--savings-per-month")) }
        else if let cf = cashFlows {
            let values = try cf.split(separator: ",").map { part -> Double in
                let t = part.trimmingCharacters(in: .whitespaces)
                guard let v = Double(t), v.isFinite else { throw ValidationError("--cash-flows: '\(t)' is not a number") }
                return v
            }
            guard values.count >= 2 else { throw ValidationError("--cash-flows needs at least two values (t = 0 and one period)") }
            // Decimals are also read exactly, for the payback and the net return.
            let exact = cf.split(separator: ",").map { try? Money(parsing: $0.trimmingCharacters(in: .whitespaces)) }
            savings = .cashFlows(values, exact: exact.contains(nil) ? nil : exact.compactMap { $0 })
            horizon = (values.count - 1) * (period == .month ? 1 : 12)
        } else {
            var opened: Store?
            let open: () throws -> Store = {
                if let s = opened { return s }
                let s = try store.openExisting()
                opened = s
                return s
            }
            do {
                savings = .difference(baseline: try MonthlyCost.resolve(baseline!, store: open),
                                      scenario: try MonthlyCost.resolve(scenario!, store: open))
            } catch let e as ReportError { throw CLIError(e.description) }
        }
        return ROIInputs(upfront: try amount(upfront, "--upfront"), runningPerMonth: try amount(running, "--running"), savings: savings,
                         months: horizon, annualRate: rate / 100, period: period, convention: rateConvention, currency: currency)
    }

    func run() throws {
        let report: Report
        do { report = try ROIReport(try inputs()).report() } catch let e as ReportError { throw CLIError(e.description) }
        _ = try output.write(report)
    }
}

// MARK: - Cost

struct CostReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost",
        abstract: "Cost by provider, model, tenant, team and period; showback, chargeback, reconciliation, unit economics, anomalies, forecast.",
        discussion: "Reads the request log and the billing table of the store (--db). Billing totals are reconciled per billing period to the last digit. With --load-model (a `mosaic train load --by provider` file) it adds a cost forecast."
    )

    @OptionGroup var window: TimeWindowOptions

    @Option(name: .long, help: "Period of the period-over-period table: day, week or month.")
    var period: CostReport.Period = .month

    @Option(name: .customLong("load-model"), help: ArgumentHelp("A load model grouped by provider, for the forecast.", valueName: "file"))
    var loadModel: String?

    @OptionGroup var output: ReportOutputOptions
    @OptionGroup var store: StoreOptions

    func validate() throws {
        try output.validateName()
        _ = try output.parsedFormats()
    }

    func run() throws {
        let store = try self.store.openExisting()
        let data: CostData = try cli { try CostData.load(store: store, from: try window.from, to: try window.to) }
        if data.requests.isEmpty && data.billing.isEmpty { window.noteEmpty("requests or billing lines", store: store.path) }
        _ = try output.write(try makeCostReport(data: data, period: period, loadModel: loadModel))
    }
}

/// Reads a load model file into the cost report's forecast input.
func costForecast(path: String) throws -> CostForecast {
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot read the load model") }
    let m: LoadModel = try cli(path) { try LoadModel.decode(data) }
    guard m.grouping == "provider" else { throw CLIError("\(path): the load model is grouped by \(m.grouping); the cost forecast needs one grouped by provider (`mosaic train load --by provider`)") }
    return CostForecast(source: path, series: m.series.map { s in
        let i95 = s.forecast.interval(level: 95)
        return CostForecast.Series(group: s.group, start: s.forecastStart, interval: m.interval, mean: s.forecast.mean,
                                   lower95: i95?.lower, upper95: i95?.upper)
    })
}

func makeCostReport(store: Store, from: Int64?, to: Int64?, period: CostReport.Period, loadModel: String?) throws -> Report {
    let data: CostData = try cli { try CostData.load(store: store, from: from, to: to) }
    return try makeCostReport(data: data, period: period, loadModel: loadModel)
}

func makeCostReport(data: CostData, period: CostReport.Period, loadModel: String?) throws -> Report {
    CostReport(data: data, period: period, forecast: try loadModel.map(costForecast)).report()
}

// MARK: - Latency

struct LatencyReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "p50/p90/p95/p99 by provider, model, region and hour of day; before/after comparisons with confidence intervals.",
        discussion: """
            Compare two periods of the request log with --before FROM..TO --after FROM..TO, two \
            simulation results with --before-sim A.json --after-sim B.json, or a paired comparison \
            written by `mosaic simulate --compare A B --out FILE` with --comparison FILE.
            """
    )

    @OptionGroup var window: TimeWindowOptions

    @Option(name: .long, help: ArgumentHelp("The 'before' window of the request log.", valueName: "from..to"))
    var before: String?

    @Option(name: .long, help: ArgumentHelp("The 'after' window of the request log.", valueName: "from..to"))
    var after: String?

    @Option(name: .customLong("before-sim"), help: ArgumentHelp("The 'before' simulation result.", valueName: "file"))
    var beforeSim: String?

    @Option(name: .customLong("after-sim"), help: ArgumentHelp("The 'after' simulation result.", valueName: "file"))
    var afterSim: String?

    @Option(name: .long, help: ArgumentHelp("A `mosaic simulate --compare --out` file.", valueName: "file"))
    var comparison: String?

    @Flag(name: .customLong("no-request-log"), help: "Leave the request-log sections out (simulation comparisons only).")
    var noRequestLog = false

    @OptionGroup var output: ReportOutputOptions
    @OptionGroup var store: StoreOptions

    func validate() throws {
        if (before == nil) != (after == nil) { throw ValidationError("--before and --after go together") }
        if (beforeSim == nil) != (afterSim == nil) { throw ValidationError("--before-sim and --after-sim go together") }
        if [before != nil, beforeSim != nil, comparison != nil].filter({ $0 }).count > 1 {
            throw ValidationError("give one comparison: --before/--after, --before-sim/--after-sim or --comparison")
        }
        if let before { _ = try parseWindow(before, option: "--before") }
        if let after { _ = try parseWindow(after, option: "--after") }
        try output.validateName()
        _ = try output.parsedFormats()
    }

    func run() throws {
        let needsStore = !noRequestLog || before != nil
        let store = needsStore ? try self.store.openExisting() : nil
        let report = try makeLatencyReport(
            store: store, from: try window.from, to: try window.to,
            before: try before.map { try parseWindow($0, option: "--before") }, after: try after.map { try parseWindow($0, option: "--after") },
            simulations: beforeSim.map { ($0, afterSim!) }, comparison: comparison,
            noteEmpty: { side in
                // The report reads successful requests with a latency: a window of failures only is empty too.
                printError("no successful requests with a latency \(side ?? window.describe()) in \(store?.path ?? self.store.displayPath)")
            })
        _ = try output.write(report)
    }
}

func makeLatencyReport(store: Store?, from: Int64?, to: Int64?, before: (Int64, Int64)?, after: (Int64, Int64)?,
                       simulations: (String, String)?, comparison: String?,
                       noteEmpty: ((_ side: String?) -> Void)? = nil) throws -> Report {
    do {
        var data: LatencyData?
        var cmp: LatencyReport.Comparison?
        func label(_ w: (Int64, Int64)) -> String { "\(Timestamp.format(w.0)) … \(Timestamp.format(w.1))" }
        if let before, let after, let store {
            // One read covers the report's window and both sides of the comparison.
            let lo = [from, before.0, after.0].compactMap { $0 }.min(), hi = [to, before.1, after.1].compactMap { $0 }.max()
            let all = try LatencyData.load(store: store, from: from == nil ? nil : lo, to: to == nil ? nil : hi)
            data = all.slice(from: from, to: to, label: "request log")
            let sides = [(before, all.slice(from: before.0, to: before.1, label: label(before))),
                         (after, all.slice(from: after.0, to: after.1, label: label(after)))]
            for (w, side) in sides where side.count == 0 {
                noteEmpty?(describeWindow(from: w.0, to: w.1))
            }
            cmp = .periods(before: sides[0].1, after: sides[1].1)
        } else {
            data = try store.map { try LatencyData.load(store: $0, from: from, to: to) }
        }
        if let data, data.count == 0 { noteEmpty?(nil) }
        if cmp == nil, let (a, b) = simulations {
            cmp = .simulations(before: try SimulationFiles.summary(a), after: try SimulationFiles.summary(b))
        } else if cmp == nil, let comparison {
            cmp = .paired(try SimulationFiles.comparison(comparison))
        }
        return LatencyReport(data: data, comparison: cmp).report()
    } catch let e as ReportError { throw CLIError(e.description) }
}

// MARK: - Failover

struct FailoverReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Error rate during a simulated outage, failover success, time to detect and recover, extra cost, error budget, N−1 ranking.",
        discussion: """
            --simulation is what `mosaic simulate SCENARIO --out FILE` wrote for a scenario with an \
            outage event; --baseline the same scenario without it (for the extra cost); --sweep what \
            `mosaic simulate SCENARIO --sweep --out FILE` wrote (the N−1 ranking).
            """
    )

    @Option(name: .long, help: ArgumentHelp("Simulation result of the outage scenario.", valueName: "file"))
    var simulation: String?

    @Option(name: .long, help: ArgumentHelp("Simulation result of the same scenario without the outage.", valueName: "file"))
    var baseline: String?

    @Option(name: .long, help: ArgumentHelp("N−1 sweep result.", valueName: "file"))
    var sweep: String?

    @OptionGroup var output: ReportOutputOptions

    func validate() throws {
        if simulation == nil && sweep == nil { throw ValidationError("give --simulation FILE, --sweep FILE or both") }
        if baseline != nil && simulation == nil { throw ValidationError("--baseline needs --simulation") }
        try output.validateName()
        _ = try output.parsedFormats()
    }

    func run() throws {
        _ = try output.write(try makeFailoverReport(simulation: simulation, baseline: baseline, sweep: sweep))
    }
}

func makeFailoverReport(simulation: String?, baseline: String?, sweep: String?) throws -> Report {
    try cli {
        FailoverReport(simulation: try simulation.map { try SimulationFiles.summary($0) },
                       baseline: try baseline.map { try SimulationFiles.summary($0) },
                       sweep: try sweep.map { try SimulationFiles.sweep($0) }).report()
    }
}

// MARK: - The demo's reports

/// The planner's outage scenario the demo simulates for its failover report: the example scenario
/// (``Scenario/exampleYAML``) cut to two afternoon hours of lighter traffic without bursts, with
/// half the concurrency and Anthropic down for 30 minutes, small enough to run in seconds.
let demoFailoverScenarioYAML: String = {
    var yaml = Scenario.exampleYAML
    let edits = [
        ("Mosaic scenario: what happens to a day of LLM traffic when Anthropic goes down at the peak.",
         "Mosaic demo: Anthropic down for 30 minutes in a two-hour afternoon window."),
        ("name: anthropic-outage-at-peak", "name: demo-anthropic-outage"),
        ("start: 2026-10-12T00:00:00Z # a Monday, midnight UTC: profile hour 0", "start: 2026-10-19T12:00:00Z # a Monday, noon UTC"),
        ("duration: 24h", "duration: 2h"), ("warmup: 10m", "warmup: 5m"), ("replications: 20", "replications: 4"),
        ("20 requests/second times the factor of the UTC hour, with bursts.", "3 requests/second times the factor of the UTC hour."),
        ("rate: 20", "rate: 3"), ("  # About every 2 hours the rate triples for 5 minutes on average.\n", ""),
        ("  bursts: {factor: 3, mean_duration: 5m, every: 2h}\n", ""),
        ("concurrency: 8\n", "concurrency: 4\n"), ("concurrency: 16", "concurrency: 8"), ("concurrency: 48", "concurrency: 24"),
        ("concurrency: 64", "concurrency: 32"), ("queue_limit: 200", "queue_limit: 100"),
        ("start: 14h, duration: 2h}   # 14:00-16:00 UTC", "start: 1h, duration: 30m}   # 13:00-13:30 UTC"),
    ]
    for (old, new) in edits {
        precondition(yaml.contains(old), "the example scenario no longer contains '\(old)'")
        yaml = yaml.replacingOccurrences(of: old, with: new)
    }
    return yaml
}()

/// Writes the four reports of the demo into `out` and returns the files written.
///
/// - cost: the sample window, week over week, with the load model's forecast when there is one;
/// - latency: the sample's first half against its second half;
/// - roi: the design documents' case (150,000 up front, 415,000 a year, five years, 8%);
/// - failover: a small outage scenario simulated here (written to `dir`), against the same
///   scenario without the outage (extra cost) and that baseline's N−1 sweep.
func writeDemoReports(store: Store, storeOptions: StoreOptions, from: Int64, to: Int64, loadModel: String?, dir: String,
                      out: String) throws -> [String] {
    var output = try ReportOutputOptions.parse(["--out", out])
    output.name = nil
    var paths: [String] = []
    paths += try output.write(try makeCostReport(store: store, from: from, to: to, period: .week, loadModel: loadModel), quiet: true)
    let day: Int64 = 86_400_000_000
    let mid = from + max(1, (to - from) / day / 2) * day
    paths += try output.write(try makeLatencyReport(store: store, from: from, to: to, before: mid < to ? (from, mid) : nil,
                                                    after: mid < to ? (mid, to) : nil, simulations: nil, comparison: nil), quiet: true)
    let roi = try ROIReportCommand.parse(["--upfront", "150000", "--savings-per-year", "415000", "--years", "5", "--rate", "8"])
    let roiReport: Report
    do { roiReport = try ROIReport(try roi.inputs()).report() } catch let e as ReportError { throw CLIError(e.description) }
    paths += try output.write(roiReport, quiet: true)

    let scenarioPath = (dir as NSString).appendingPathComponent("failover-scenario.yaml")
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    do throws(OutputFile.Failure) { try OutputFile.write(Data(demoFailoverScenarioYAML.utf8), to: scenarioPath) } catch {
        throw CLIError("\(error.path): cannot write: \(error.reason)")
    }
    let baselinePath = (dir as NSString).appendingPathComponent("failover-baseline.yaml")
    let baselineYAML = demoFailoverScenarioYAML.split(separator: "\n", omittingEmptySubsequences: false)
        .filter { !$0.contains("kind: outage") }.joined(separator: "\n").replacingOccurrences(of: "events:\n", with: "events: []\n")
    do throws(OutputFile.Failure) { try OutputFile.write(Data(baselineYAML.utf8), to: baselinePath) } catch {
        throw CLIError("\(error.path): cannot write: \(error.reason)")
    }
    let sim = try prepareSimulator(scenarioPath, catalog: .default, seed: nil, store: storeOptions)
    let base = try prepareSimulator(baselinePath, catalog: .default, seed: nil, store: storeOptions)
    let summary = sim.run(replications: sim.scenario.replications)
    let baseSummary = base.run(replications: base.scenario.replications)
    let sweep: OutageSweep = try cli { try base.sweep(duration: 1_800, replications: 2) }
    let simPath = (dir as NSString).appendingPathComponent("failover-simulation.json")
    let basePath = (dir as NSString).appendingPathComponent("failover-baseline.json")
    let sweepPath = (dir as NSString).appendingPathComponent("failover-sweep.json")
    do {
        try OutputFile.write(try summary.json(), to: simPath)
        try OutputFile.write(try baseSummary.json(), to: basePath)
        try OutputFile.write(try sweep.json(), to: sweepPath)
    } catch let e as OutputFile.Failure {
        throw CLIError("\(e.path): cannot write the simulation results: \(e.reason)")
    } catch { throw CLIError("\(dir): cannot write the simulation results: \(error.localizedDescription)") }
    paths += try output.write(try makeFailoverReport(simulation: simPath, baseline: basePath, sweep: sweepPath), quiet: true)
    return paths
}
