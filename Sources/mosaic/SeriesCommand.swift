import ArgumentParser
import Foundation
import MosaicCore
import MosaicStore

/// An interval such as `1m`, `15m`, `1h`, `1d` (one minute to one day).
struct Interval: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var micros: Int64
    var description: String

    /// A whole number of minutes from one minute to one day, in the duration grammar (``DurationText``).
    init?(argument: String) {
        guard case .value(let micros) = DurationText.parse(argument), micros % 60_000_000 == 0,
            (60_000_000...86_400_000_000).contains(micros)
        else { return nil }
        self.micros = micros
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
        if series.isEmpty { window.time.noteEmpty("requests", store: window.store.displayPath) }
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
    @Option(name: .long, help: "Interval: whole minutes from 1m to 1d (e.g. 5m, 90m, 1h, 1d).") var interval = Interval(argument: "1h")!
    @Option(name: .long, help: "Split by: all, provider, tenant, operation, model.") var by: SeriesGrouping = .provider
    @OptionGroup var time: TimeWindowOptions
    @OptionGroup var store: StoreOptions

    /// The store's request series for these options.
    func fetch() throws -> [RequestSeries] {
        let store = try self.store.openExisting()
        do {
            return try store.requestSeries(interval: interval.micros, by: by, from: try time.from, to: try time.to)
        } catch let e as StoreError { throw CLIError(e.description) }
    }
}
