import ArgumentParser
import Foundation
import MosaicCore
import MosaicIngest
import MosaicStore

/// Options every provider-API pull shares.
struct PullOptionGroup: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Start of the window: a date or RFC 3339 time (default: the checkpoint, else 30 days ago).", valueName: "date-time"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("End of the window, exclusive (default: now).", valueName: "date-time")) var until: String?
    @Option(name: .long, help: "A name for the organisation or account pulled (part of each row's identity; default: default; github-billing: the --org).") var account: String?

    @Option(name: .long, help: ArgumentHelp("The API address, for proxies and tests (default: the provider's).", valueName: "url"))
    var baseURL: String?

    @Option(name: .long, help: "Attempts per page before giving up (429, 5xx, timeouts, resets, truncated JSON).") var maxAttempts = 6
    @Option(name: .long, help: "Seconds allowed for one response.") var timeout: Double = 60
    @Option(name: .long, help: "How to print the result: table, json or csv.") var output: OutputFormat = .table
    @OptionGroup var store: StoreOptions

    func validate() throws {
        let from = try since.map { try parseInstant($0, option: "--since") }
        let to = try until.map { try parseInstant($0, option: "--until") }
        if let from, let to, to <= from {
            throw ValidationError("--until '\(until ?? "")' must be after --since '\(since ?? "")': the window is empty")
        }
        if let baseURL {
            do { _ = try HTTPBaseURL.parse(baseURL) } catch { throw ValidationError("--base-url \(error)") }
            // The sources add the API's whole path (/v1/organization/…): a base URL ending in
            // /v1, as the gateway file's base_url does, would ask for /v1/v1/….
            if let path = URL(string: baseURL)?.path, path.hasSuffix("/v1") || path.hasSuffix("/v1/") {
                throw ValidationError("--base-url '\(baseURL)' ends in /v1: give the API's address without it (the pull adds /v1/organization/… itself)")
            }
        }
        if maxAttempts < 1 || maxAttempts > 100 { throw ValidationError("--max-attempts must be between 1 and 100") }
        if !(timeout > 0 && timeout <= 3_600) { throw ValidationError("--timeout must be greater than 0 and at most 3600 (seconds)") }
    }

    func options(account: String? = nil) throws -> PullOptions {
        var o = PullOptions()
        o.account = account ?? self.account ?? "default"
        o.since = try since.map { try parseInstant($0, option: "--since") }
        o.until = try until.map { try parseInstant($0, option: "--until") }
        o.baseURL = baseURL.flatMap(URL.init(string:))
        o.retry.maxAttempts = maxAttempts
        o.retry.timeout = timeout
        return o
    }

    /// Runs a pull and prints its result.
    func pull(_ source: any APISource, account: String? = nil) throws {
        // Without the key nothing can be pulled: said before the store is opened (or made).
        do { _ = try source.credential(in: ProcessInfo.processInfo.environment) } catch { throw CLIError(error.description) }
        let store = try self.store.open()
        var o = try options(account: account)
        let progress = ProgressLine(label: "pull \(source.name)")
        o.progress = { p in progress.update(done: Int64(p.pages), total: 0, rows: p.rows) }
        let result: PullResult
        do {
            result = try PullJob(source: source, store: store).run(options: o, environment: ProcessInfo.processInfo.environment)
        } catch {
            progress.finish()
            throw CLIError(error.description)
        }
        progress.finish()
        var t = OutputTable(columns: [
            "source", "account", "since", "until", .right("pages"), .right("rows"), .right("new"), .right("updated"),
            .right("unchanged"), "checkpoint",
        ])
        t.rows.append([.text(result.source), .text(result.account), .text(Timestamp.format(result.since)),
                       .text(Timestamp.format(result.until)), .int(result.pages), .int(result.rows),
                       .int(result.inserted), .int(result.updated), .int(result.unchanged),
                       .text(result.checkpoint.map(Timestamp.format) ?? "")])
        output.show(t)
    }
}

enum BucketWidth: String, ExpressibleByArgument, CaseIterable {
    case day = "1d", hour = "1h", minute = "1m"
}

/// `mosaic ingest openai-usage`
struct IngestOpenAIUsageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openai-usage",
        abstract: "Pull OpenAI's organization usage (completions) into usage_buckets.",
        discussion: "Needs OPENAI_ADMIN_KEY (an organization admin key). Re-running over an overlapping window updates rows in place; the checkpoint lets the next run start where this one ended."
    )

    @Option(name: .long, help: "Bucket width: 1d, 1h or 1m.") var bucketWidth: BucketWidth = .day

    @Option(name: .long, parsing: .upToNextOption, help: "Group-by dimensions (project_id, user_id, api_key_id, model, batch, service_tier).")
    var groupBy: [String] = ["project_id", "model", "api_key_id", "batch", "service_tier"]

    @OptionGroup var pull: PullOptionGroup

    func validate() throws {
        let allowed: Set = ["project_id", "user_id", "api_key_id", "model", "batch", "service_tier"]
        for g in groupBy where !allowed.contains(g) {
            throw ValidationError("--group-by \(g): not one of \(allowed.sorted().joined(separator: ", "))")
        }
    }

    func run() throws { try pull.pull(OpenAIUsageSource(bucketWidth: bucketWidth.rawValue, groupBy: groupBy)) }
}

/// `mosaic ingest openai-costs`
struct IngestOpenAICostsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openai-costs",
        abstract: "Pull OpenAI's organization costs into billing_lines (FOCUS-shaped).",
        discussion: "Needs OPENAI_ADMIN_KEY. Amounts are read exactly from the response's number literals."
    )

    @OptionGroup var pull: PullOptionGroup

    func run() throws { try pull.pull(OpenAICostsSource()) }
}

/// `mosaic ingest anthropic-usage`
struct IngestAnthropicUsageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anthropic-usage",
        abstract: "Pull Anthropic's Messages usage report into usage_buckets.",
        discussion: "Needs ANTHROPIC_ADMIN_KEY (an Admin API key, sk-ant-admin…)."
    )

    @Option(name: .long, help: "Bucket width: 1d, 1h or 1m.") var bucketWidth: BucketWidth = .day
    @OptionGroup var pull: PullOptionGroup

    func run() throws { try pull.pull(AnthropicUsageSource(bucketWidth: bucketWidth.rawValue)) }
}

/// `mosaic ingest anthropic-costs`
struct IngestAnthropicCostsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anthropic-costs",
        abstract: "Pull Anthropic's cost report into billing_lines (FOCUS-shaped).",
        discussion: "Needs ANTHROPIC_ADMIN_KEY. The report's amounts are decimal strings in cents; they are divided by 100 exactly."
    )

    @OptionGroup var pull: PullOptionGroup

    func run() throws { try pull.pull(AnthropicCostsSource()) }
}

/// `mosaic ingest github-billing`
struct IngestGitHubBillingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "github-billing",
        abstract: "Pull a GitHub organization's billing usage (Actions minutes, storage, Copilot…) into billing_lines.",
        discussion: "Needs GITHUB_TOKEN with the organization's Administration read permission (enhanced billing platform). One request per month of the window; the organization is the account."
    )

    @Option(name: .long, help: "The GitHub organization.") var org: String
    @OptionGroup var pull: PullOptionGroup

    func validate() throws {
        if org.isEmpty || org.contains("/") { throw ValidationError("--org must be an organization name, like 'octo-org'") }
        if pull.account != nil { throw ValidationError("--account does not apply to github-billing: the organization (--org) is the account") }
    }

    func run() throws { try pull.pull(GitHubBillingSource(organization: org), account: org) }
}

/// `mosaic ingest status`
struct IngestStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show each source's checkpoint and its last run (rows, errors).")

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        let store = try self.store.openExisting()
        let checkpoints: [Checkpoint]
        let runs: [IngestRun]
        do {
            _ = try? store.markInterruptedRuns()
            checkpoints = try store.checkpoints()
            runs = try store.runs(limit: 10_000)
        } catch { throw CLIError(error.description) }
        // The newest run of each source (runs come newest first).
        var latest: [String: IngestRun] = [:]
        var failures: [String: Int] = [:]
        for r in runs {
            if latest[r.source] == nil { latest[r.source] = r }
            if r.status == "failed" { failures[r.source, default: 0] += 1 }
        }
        var t = OutputTable(columns: [
            "source", "account", "checkpoint", "last_run", "status", .right("rows"), .right("new"), .right("updated"),
            .right("failed_runs"), "last_error",
        ])
        var covered = Set<String>()
        for c in checkpoints {
            let key = "api:\(c.source)"
            covered.insert(key)
            let r = latest[key]
            t.rows.append([.text(c.source), .text(c.account), .text(Int64(c.cursor).map(Timestamp.format) ?? c.cursor),
                           .text(r.map { Timestamp.format($0.startedAt / 1_000_000 * 1_000_000) } ?? ""),
                           .text(r?.status ?? ""), .int(r?.counts.read ?? 0), .int(r?.counts.inserted ?? 0),
                           .int(r?.counts.updated ?? 0), .int(failures[key] ?? 0), .text(r?.error ?? "")])
        }
        for (source, r) in latest.sorted(by: { $0.key < $1.key }) where !covered.contains(source) {
            t.rows.append([.text(source), .text(""), .text(""), .text(Timestamp.format(r.startedAt / 1_000_000 * 1_000_000)),
                           .text(r.status), .int(r.counts.read), .int(r.counts.inserted), .int(r.counts.updated),
                           .int(failures[source] ?? 0), .text(r.error ?? "")])
        }
        output.show(t)
    }
}
