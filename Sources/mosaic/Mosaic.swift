import ArgumentParser
import Foundation
import MosaicCore

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
        do { command = try parseAsRoot(joiningNegativeValues(Array(CommandLine.arguments.dropFirst()))) } catch {
            exitShowing(error)
        }
        do {
            try command.run()
        } catch let error as ValidationError {
            let type = Swift.type(of: command)
            let path = (commandPath(to: type, from: Mosaic.self) ?? [Mosaic._commandName]).joined(separator: " ")
            let text = "Error: \(error.message.controlCharactersEscaped)\nUsage: \(usageString(for: type))\n  See '\(path) --help' for more information.\n"
            FileHandle.standardError.write(Data(text.utf8))
            exit(withError: ExitCode.validationFailure)
        } catch {
            exitShowing(error)
        }
    }

    /// Exits as `exit(withError:)` does, with the control characters of the message written as
    /// `\u{…}`: a message quotes what the user's files and options hold, where a NUL would
    /// vanish and an escape sequence would drive the terminal. Help and bare exit codes go as
    /// they are.
    static func exitShowing(_ error: any Error) -> Never {
        let message = fullMessage(for: error), code = exitCode(for: error)
        guard code != .success, !message.isEmpty else { exit(withError: error) }
        FileHandle.standardError.write(Data((message.controlCharactersEscaped + "\n").utf8))
        Foundation.exit(code.rawValue)
    }

    /// The arguments with a negative number given to a long option as a word of its own joined
    /// to it: `--holdout -1` becomes `--holdout=-1`, as if written so.
    ///
    /// argument-parser reads every word that starts with `-` as an option, so `--holdout -1`
    /// said "Missing value for '--holdout <holdout>'" and `--resample -1h` printed the help (the
    /// `h` of `-1h` read as `-h`); joined, the value reaches the option and its range check
    /// names it ("--holdout must be between 1 and 10000"), for every option at once, present
    /// and future. A word that is not a negative number (`--holdout --format json`) is left
    /// alone, so a value left out is still "Missing value"; so is everything after `--`.
    static func joiningNegativeValues(_ arguments: [String]) -> [String] {
        var out: [String] = []
        out.reserveCapacity(arguments.count)
        var i = 0
        while i < arguments.count {
            let word = arguments[i]
            if word == "--" {
                out += arguments[i...]
                break
            }
            if word.hasPrefix("--"), word.count > 2, !word.contains("="), i + 1 < arguments.count,
               isNegativeNumber(arguments[i + 1]) {
                out.append(word + "=" + arguments[i + 1])
                i += 2
            } else {
                out.append(word)
                i += 1
            }
        }
        return out
    }

    /// Whether `word` is a negative number as options take them: `-5`, `-0.5`, `-.5`, `-1e3`, a
    /// duration (`-2h`), a list (`-100,60,60`), `-inf` or `-nan`.
    static func isNegativeNumber(_ word: String) -> Bool {
        guard word.hasPrefix("-") else { return false }
        let rest = word.utf8.dropFirst()
        func digit(_ c: UInt8?) -> Bool { c.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }
        if digit(rest.first) { return true }
        if rest.first == UInt8(ascii: "."), digit(rest.dropFirst().first) { return true }
        return ["inf", "infinity", "nan"].contains(String(word.dropFirst()).lowercased())
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
