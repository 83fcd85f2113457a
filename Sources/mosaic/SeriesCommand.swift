import ArgumentParser
import Foundation
import MosaicCore
import MosaicStore

/// An interval such as `1m`, `15m`, `1h`, `1d` (one minute to one day).
struct Interval: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var micros: Int64
    var description: String

    init?(argument: String) {
        guard let unit = argument.last, let n = Int64(argument.dropLast()), n > 0 else { return nil }
        let scale: Int64
        switch unit {
        case "m": scale = 60_000_000
        case "h": scale = 3_600_000_000
        case "d": scale = 86_400_000_000
        default: return nil
        }
        micros = n * scale
        guard micros >= 60_000_000 && micros <= 86_400_000_000 else { return nil }
        description = argument
    }
}

extension SeriesGrouping: ExpressibleByArgument {}

/// `mosaic series`
struct SeriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series",
        abstract: "Aggregate requests into regular intervals: counts, tokens and exact cost per group.",
        discussion: "Intervals are aligned to UTC multiples of --interval; empty intervals are zeros; the first and last interval are marked partial when the window cuts them (the window is --since/--until, or the first to the last request)."
    )

    @OptionGroup var window: StoreSeriesOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        let series = try window.fetch()
        let by = window.by
        var t = OutputTable(columns: [
            "timestamp", .init(name: by.rawValue), .right("requests"), .right("input_tokens"), .right("output_tokens"),
            .right("cost_usd"), "partial",
        ])
        for s in series {
            for i in 0..<s.count {
                t.rows.append([.text(Timestamp.format(s.start + Int64(i) * s.interval)), .text(s.group), .int(s.requests[i]),
                               .int(s.inputTokens[i]), .int(s.outputTokens[i]),
                               .decimal(s.cost[i].description, display: s.cost[i].formatted(places: 4)),
                               OutputTable.Cell(text: s.partial[i] ? "yes" : "", json: s.partial[i])])
            }
        }
        output.show(t)
    }
}

/// Which requests to aggregate, and how: the options `series`, `train load`, `forecast` and
/// `anomalies` share.
struct StoreSeriesOptions: ParsableArguments {
    @Option(name: .long, help: "Interval: 1m … 1d (e.g. 5m, 1h, 1d).") var interval = Interval(argument: "1h")!
    @Option(name: .long, help: "Split by: all, provider, tenant, operation, model.") var by: SeriesGrouping = .provider
    @Option(name: .long, help: ArgumentHelp("Window start.", valueName: "date-time")) var since: String?
    @Option(name: .long, help: ArgumentHelp("Window end (exclusive).", valueName: "date-time")) var until: String?
    @OptionGroup var store: StoreOptions

    func validate() throws {
        if let since { _ = try parseInstant(since, option: "--since") }
        if let until { _ = try parseInstant(until, option: "--until") }
    }

    /// The store's request series for these options.
    func fetch() throws -> [RequestSeries] {
        let store = try self.store.open()
        do {
            return try store.requestSeries(interval: interval.micros, by: by,
                                           from: try since.map { try parseInstant($0, option: "--since") },
                                           to: try until.map { try parseInstant($0, option: "--until") })
        } catch let e as StoreError { throw CLIError(e.description) }
    }
}
