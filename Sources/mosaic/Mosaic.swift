import ArgumentParser
import Foundation

/// The `mosaic` command: it only lists subcommands; each lives in its own file.
@main
struct Mosaic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mosaic",
        abstract: "Cost, speed and reliability of your service providers, and how to route among them.",
        discussion: """
            Mosaic keeps one SQLite store (--db, default ./mosaic.sqlite or $MOSAIC_DB) that every \
            stage reads and writes: ingest request logs and price tables, then summarise them.

            New here? Run `mosaic demo`: it generates three weeks of sample traffic, ingests it and \
            prints what each provider cost and how fast it was.
            """,
        version: "0.1.0",
        subcommands: [
            DemoCommand.self,
            GenerateCommand.self,
            IngestCommand.self,
            CostsCommand.self,
            SeriesCommand.self,
            TrainCommand.self,
            ForecastCommand.self,
            AnomaliesCommand.self,
            EvalCommand.self,
            ModelsCommand.self,
            PolicyCommand.self,
            RouteCommand.self,
            ServeCommand.self,
            SimulateCommand.self,
            ReportCommand.self,
            PricesCommand.self,
            CatalogCommand.self,
            DBCommand.self,
        ]
    )
}

extension Mosaic {
    /// Parses the arguments and runs the chosen command, as `ParsableCommand.main()` does, with
    /// one difference: a `ValidationError` thrown by a command's `run()` (a check that needs work
    /// done first, such as `mosaic route --slo-ms 0` or `mosaic simulate --sweep-duration 3h` on a
    /// one-hour scenario) is reported with that command's usage, as one thrown by `validate()`
    /// is. The default would print the root's usage (`mosaic <subcommand>`) under the message.
    static func main() {
        var command: any ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            try command.run()
        } catch let error as ValidationError {
            let type = Swift.type(of: command)
            let path = (commandPath(to: type, from: Mosaic.self) ?? [Mosaic._commandName]).joined(separator: " ")
            let text = "Error: \(error.message)\nUsage: \(usageString(for: type))\n  See '\(path) --help' for more information.\n"
            FileHandle.standardError.write(Data(text.utf8))
            exit(withError: ExitCode.validationFailure)
        } catch {
            exit(withError: error)
        }
    }

    /// The command names from `root` down to `target` (`["mosaic", "report", "roi"]`), or nil
    /// when `target` is not in `root`'s tree.
    static func commandPath(to target: any ParsableCommand.Type, from root: any ParsableCommand.Type) -> [String]? {
        if ObjectIdentifier(root) == ObjectIdentifier(target) { return [root._commandName] }
        for sub in root.configuration.subcommands {
            if let rest = commandPath(to: target, from: sub) { return [root._commandName] + rest }
        }
        return nil
    }
}
