import Foundation
import MosaicTestSupport
import Testing

/// The walkthroughs in `notebooks-md/` stay true: every ```sh block's `$ ` commands are run
/// (with /bin/sh, `mosaic` being the freshly built binary) in a fresh folder per notebook, and
/// what they print must equal the ```text block that follows, byte for byte. A notebook whose
/// output has drifted fails with the first differing line.
///
/// After a deliberate change, rewrite the outputs with
/// `MOSAIC_UPDATE_NOTEBOOKS=1 swift test --skip-build --filter NotebookTests` and review the diff.
///
/// **Tolerances.** Text, money and counts must match exactly. Numbers that come out of a fitted
/// model (the columns in ``modelOutputs``) may move by 1e-6 relative plus one unit in their last
/// printed digit: the solvers reach their optimum to about 1e-12 (quantile regression is
/// certified optimal, ridge is a direct solve, logistic regression stops at a scaled gradient
/// of 1e-8), so on another CPU, whose BLAS kernel rounds differently, a printed value can only
/// land on the other side of a rounding boundary. See `GoldenComparison`.
@Suite struct NotebookTests {
    /// The columns whose numbers a fitted model produces.
    static let modelOutputs: Set<String> = [
        // mosaic train routing / eval routing: holdout metrics of the fitted heads
        "log_latency_rmse", "log_latency_r2", "p95_coverage", "failure_auc", "failure_logloss", "failure_brier",
        // mosaic eval latency: the heads and the baselines on the test period
        "mae_log", "rmse_log", "bias_log", "pinball_p95", "logloss", "brier", "auc",
        "apgr", "cpt50", "cpt80", "APGR", "CPT50", "CPT80", "cpt50_pct_strong", "cpt80_pct_strong",
        // mosaic route: the model's predictions and the utility built on them
        "score", "expected_ms", "tail_ms", "p_fail",
        // mosaic forecast: forecasts, their intervals and scores
        "forecast", "mean", "lo80", "hi80", "lo95", "hi95", "lower_80", "upper_80", "lower_95", "upper_95",
        "mase", "smape", "MASE", "sMAPE", "coverage_80", "coverage_95", "coverage80", "coverage95",
        // mosaic train load: cross-validated scores and the stored forecast's totals and peak
        "cv_mase", "snaive_cv_mase", "forecast_total", "peak", "peak_hi95",
        // mosaic anomalies: the one-step forecast, its interval and the score
        "expected", "lower", "upper",
    ]
    static let comparison = GoldenComparison.modelOutputs(modelOutputs, relative: 1e-6)

    static let folder = SharedData.packageRoot + "/notebooks-md"
    static let update = ProcessInfo.processInfo.environment["MOSAIC_UPDATE_NOTEBOOKS"] == "1"

    struct Block {
        var commands: [String]
        /// Line range of the ```text block's body in the notebook (empty when missing).
        var outputLines: Range<Int>
        var expected: String
    }

    /// The sh blocks of a notebook, each with the text block after it.
    static func blocks(_ lines: [String]) throws -> [Block] {
        var out: [Block] = []
        var i = 0
        while i < lines.count {
            guard lines[i] == "```sh" else { i += 1; continue }
            var commands: [String] = []
            i += 1
            while i < lines.count && lines[i] != "```" {
                if lines[i].hasPrefix("$ ") { commands.append(String(lines[i].dropFirst(2))) }
                i += 1
            }
            i += 1
            while i < lines.count && lines[i].isEmpty { i += 1 }
            guard i < lines.count, lines[i] == "```text" else {
                throw NotebookError("a ```sh block with \(commands.first ?? "no command") has no ```text block after it (line \(i + 1))")
            }
            let start = i + 1
            var end = start
            while end < lines.count && lines[end] != "```" { end += 1 }
            out.append(Block(commands: commands, outputLines: start..<end, expected: lines[start..<end].map { $0 + "\n" }.joined()))
            i = end + 1
        }
        return out
    }

    struct NotebookError: Error, CustomStringConvertible { var description: String; init(_ d: String) { description = d } }

    static func run(_ command: String, in dir: String) throws -> ChildProcess.Output {
        let bin = URL(fileURLWithPath: MosaicBinary.path).deletingLastPathComponent().path
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "MOSAIC_DB")
        env["PATH"] = bin + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["OPENBLAS_NUM_THREADS"] = "1"
        env["MOSAIC_LOG_LEVEL"] = "error"
        env["COLUMNS"] = "200"
        env["MOSAIC_REPO"] = SharedData.packageRoot   // where a notebook finds the repository's data
        return try ChildProcess.run("/bin/sh", ["-c", command], in: dir, environment: env)
    }

    @Test(arguments: ["finance-cost-and-roi.md", "engineer-routing-model.md", "planner-outage-simulation.md",
                      "planner-load-forecast.md"])
    func notebookOutputIsCurrent(_ name: String) throws {
        let path = Self.folder + "/" + name
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.components(separatedBy: "\n")
        let blocks = try Self.blocks(lines)
        #expect(!blocks.isEmpty, "\(name) has no commands")
        let dir = TemporaryDirectory("notebook")
        var replacements: [(Range<Int>, [String])] = []
        for block in blocks {
            var output = ""
            for command in block.commands {
                let r = try Self.run(command, in: dir.path)
                #expect(r.status == 0, "\(name): `\(command)` exited \(r.status): \(r.stderr)")
                output += r.stdout
            }
            if Self.update {
                var body = output.components(separatedBy: "\n")
                if body.last == "" { body.removeLast() }
                replacements.append((block.outputLines, body))
            } else {
                let problems = Self.comparison.differences(actual: output, expected: block.expected, label: name,
                                                           firstLine: block.outputLines.lowerBound + 1)
                for problem in problems.prefix(5) {
                    Issue.record("""
                        \(name) is out of date: the output of `\(block.commands.joined(separator: "; "))`:
                        \(problem)
                        Rewrite with MOSAIC_UPDATE_NOTEBOOKS=1 swift test --skip-build --filter NotebookTests
                        """)
                }
            }
        }
        if Self.update {
            for (range, body) in replacements.reversed() { lines.replaceSubrange(range, with: body) }
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}
