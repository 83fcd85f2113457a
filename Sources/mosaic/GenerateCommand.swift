import ArgumentParser
import Foundation
import MosaicCore
import MosaicIngest

/// `mosaic generate`
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a realistic sample request log and its price table.",
        discussion: """
            Writes OUT/requests.csv (Mosaic's native CSV) and OUT/prices.json (LiteLLM format) \
            for a provider mix of OpenAI, Anthropic, self-hosted Ollama, GitHub and GitHub \
            Actions: daily and weekly seasonality, bursts, heavy-tailed token counts, lognormal \
            latencies with a heavier tail, errors, and one two-hour Anthropic outage. \
            The same seed gives the same bytes.
            """
    )

    @Option(name: .long, help: "Days of traffic.") var days = 14
    @Option(name: .long, help: "Seed of every random stream.") var seed: UInt64 = 42
    @Option(name: .long, help: ArgumentHelp("First instant (default 2026-10-05T00:00:00Z, a Monday).", valueName: "date-time")) var start: String?
    @Option(name: .long, help: ArgumentHelp("Output folder.", valueName: "dir")) var out = "datasets/sample"
    @Option(name: .long, help: "Mean LLM requests per minute.") var rate: Double = 12

    func validate() throws {
        if days < 1 || days > 3660 { throw ValidationError("--days must be between 1 and 3660") }
        if !(rate > 0 && rate <= 100_000) { throw ValidationError("--rate must be greater than 0 and at most 100000") }
        // A sample from before 2000 is one that `mosaic ingest requests` refuses row by row as
        // misread dates: `--start 0000-01-01` wrote 9,383 rows of year 0 and exited 0.
        if let start, try parseInstant(start, option: "--start") < Timestamp.earliestPlausible {
            throw ValidationError("--start '\(start)' is before \(Timestamp.format(Timestamp.earliestPlausible)); "
                                  + "`mosaic ingest requests` refuses requests that early as misread dates")
        }
    }

    func run() throws {
        let summary = try generateSample(days: days, seed: seed, start: start.map { try parseInstant($0, option: "--start") },
                                         rate: rate, out: out)
        print(describe(summary, out: out))
    }
}

func generateSample(days: Int, seed: UInt64, start: Int64?, rate: Double, out: String) throws -> SampleTrafficGenerator.Summary {
    let config = SampleTrafficGenerator.Configuration(
        start: start ?? SampleTrafficGenerator.Configuration.defaultStart, days: days, seed: seed,
        baseRatePerMinute: rate)
    let line = ProgressLine(label: "generate")
    defer { line.finish() }
    do {
        return try SampleTrafficGenerator(configuration: config).write(toDirectory: out) { at, rows in
            line.update(done: at - config.start, total: config.end - config.start, rows: rows)
        }
    } catch {
        throw CLIError("\(out): cannot write the sample: \(error)")
    }
}

func describe(_ s: SampleTrafficGenerator.Summary, out: String) -> String {
    var lines = ["wrote \(s.rows.formatted()) requests, \(Timestamp.format(s.start)) … \(Timestamp.format(s.end))",
                 "  \(joinPath(out, "requests.csv"))",
                 "  \(joinPath(out, "prices.json"))"]
    lines.append("  per provider: " + s.providerCounts.map { "\($0.provider) \($0.rows.formatted())" }.joined(separator: ", "))
    lines.append("  outage: \(s.outage.provider) down \(Timestamp.format(s.outage.start)) … \(Timestamp.format(s.outage.end))")
    return lines.joined(separator: "\n")
}

/// `directory/name`, without doubling a slash the directory already ends with (`--out datasets/sample/`).
func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
