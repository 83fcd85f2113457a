import Foundation
import MosaicCore

/// Deterministic, realistic sample request traffic across LLM, git and CI providers, for demos,
/// tests and benchmarks when no real request log is at hand.
///
/// ``generate(_:)`` streams ``RequestRecord``s in non-decreasing timestamp order; nothing holds
/// all rows. ``write(toDirectory:)`` writes them as `requests.csv` (``RequestLogCSVWriter``)
/// beside the matching `prices.json` (``SamplePrices``).
///
/// ## Providers and models
/// - `openai`: `gpt-4o`, `gpt-4o-mini`; `anthropic`: `claude-sonnet-4-5`, `claude-haiku-4-5`;
///   `ollama`: `llama3.1`, self-hosted, region `onprem`, no rate limit (so never
///   `rate_limited`), an 8,192-token context and at most 1,024 output tokens.
/// - `github` (git host), model `api`: REST operations `repos.get`, `pulls.list`, `pulls.get`,
///   `issues.list`, `repos.getContent`, `repos.listCommits`, `search.code`; no tokens, no
///   TTFT, region `us`, a 10 s client timeout. `search.code` is slower and is rate limited
///   more often (GitHub allows 30 searches a minute).
/// - `github-actions` (CI), model `build`, operation `build`: `latency_ms` is the build
///   duration (lognormal, median 5.5 minutes, with a Pareto tail of long integration suites),
///   cut off at GitHub's 6-hour job limit with status `timeout`. A few scheduled builds start
///   at 02:00 UTC every day.
///
/// ## Tenants, operations, regions
/// Five tenants with different weights and habits: `internal-platform` (30% of LLM traffic),
/// `internal-data` (25%, embedding-heavy, prefers the self-hosted `llama3.1`), `oss-website`
/// (10%, small models, most of the git and CI traffic), `client-acme` (20%) and
/// `client-globex` (15%, mostly region `eu`); the client tenants never use the self-hosted
/// model. LLM operations are `chat`, `completion` and `embedding`; embeddings have
/// `output_tokens` 0 and no TTFT and go to `gpt-4o-mini` or `llama3.1` only (Anthropic has no
/// embedding API). Cloud LLM regions are `us` or `eu` by tenant.
///
/// ## Arrivals
/// A non-homogeneous Poisson process evaluated per minute: rate = base × daily profile ×
/// weekly profile × trend × burst. The daily profile (UTC) is quiet at night (about a fifth of
/// the mean around 02:00–04:00) and peaks in business hours (1.8–1.9× the mean,
/// 10:00–16:00); weekends run at 40% of weekdays for LLM traffic and 25% for git and CI; the
/// trend grows linearly by 3% a week; both profiles are normalised so that
/// ``Configuration/baseRatePerMinute`` is the mean LLM rate over a week. A few bursts
/// (about one every three days, 5–60 minutes at 3–6× the rate) are caused by one tenant's
/// batch job. Within a minute, arrival times are uniform with microsecond resolution, then
/// sorted (ties broken by arrival order).
///
/// ## Tokens
/// Input tokens are a lognormal body (median 900 for chat, 450 for completion, 300 for
/// embedding) mixed with a Pareto tail (shape 1.15–1.5), capped by the model's context window:
/// the 99th percentile is about twenty times the median. Output tokens depend on the
/// operation (median 260 for chat, 110 for completion, 0 for embedding). Prompt caching
/// (`cached_tokens` ≤ `input_tokens`) appears on successful OpenAI and Anthropic requests
/// only: OpenAI for prompts of at least 1,024 tokens in 128-token steps, Anthropic for chat
/// prompts above a minimum cacheable length.
///
/// ## Latency
/// Per model a lognormal TTFT (median 220 ms for `llama3.1` up to 750 ms for
/// `claude-sonnet-4-5`) plus prefill time per uncached input token, then a decode time per
/// output token (6.5–24 ms per token), so latency grows with output length; with probability
/// 1.5% both are multiplied by a Pareto factor (the tail). Bursts slow everything by 25%.
/// `ttft_ms` < `latency_ms` on every successful chat or completion; nil for embeddings,
/// failures, git and CI. LLM requests that would exceed the 30 s client timeout end as
/// `timeout` with `latency_ms` 30000. Latencies are rounded to 0.001 ms, as the CSV holds them.
///
/// ## Errors and the outage
/// Per-provider base failure rates (ollama 0.5%, github 0.6%, gpt-4o-mini 0.8%, gpt-4o 1%,
/// claude-haiku-4-5 1.2%, claude-sonnet-4-5 1.5%, github-actions 1.5%) mix `error`,
/// `timeout` and `rate_limited`; during a burst LLM failure rates triple and most failures
/// are rate limits. Failed LLM requests keep their input tokens (what was sent) but have no
/// output or cached tokens. One full outage of `anthropic` lasts 2 hours, starting between
/// 13:00 and 16:00 UTC on a weekday of the first week (``Summary/outage``): every Anthropic
/// request in it fails with `error` (70%) or `timeout` (30%) after the 30 s client timeout.
///
/// ## Determinism
/// Every draw comes from a named ``SeededRandom`` stream of ``Configuration/seed``
/// (`arrivals`, `bursts`, `outage`, `mix`, `tokens`, `latency`, `errors`, `ids`), and no
/// dictionary is iterated, so the same configuration gives identical records and identical
/// file bytes on every run. `request_id` is `req-` and 16 hex digits from the `ids` stream;
/// `cost_usd` is left empty (ingest computes cost from the price table).
///
/// The default configuration (14 days from Monday 2026-10-05) gives about 285,000 rows, of
/// which about 250,000 are LLM requests.
public struct SampleTrafficGenerator: Sendable {
    /// What to generate.
    public struct Configuration: Sendable, Hashable {
        /// Monday 2026-10-05T00:00:00Z, in microseconds since the epoch.
        public static let defaultStart: Int64 = Timestamp.parse("2026-10-05T00:00:00Z")!

        /// First instant (microseconds since the epoch, UTC); rows fall in
        /// `start ..< start + days × 86,400 s`.
        public var start: Int64
        /// Number of days generated, at least 1.
        public var days: Int
        /// Seed of every random stream.
        public var seed: UInt64
        /// Mean LLM requests per minute over a week at the start of the trend (≥ 0).
        public var baseRatePerMinute: Double
        /// Mean GitHub API requests per minute over a week (≥ 0).
        public var gitRatePerMinute: Double
        /// Mean GitHub Actions builds started per minute over a week, besides the nightly
        /// scheduled builds (≥ 0).
        public var ciRatePerMinute: Double

        /// - Parameters:
        ///   - start: first instant, µs since the epoch (default Monday 2026-10-05T00:00:00Z).
        ///   - days: days to generate (default 14); must be at least 1.
        ///   - seed: seed of all random streams (default 42).
        ///   - baseRatePerMinute: mean LLM requests per minute (default 12, ≈ 250k in 14 days).
        ///   - gitRatePerMinute: mean GitHub API requests per minute (default 1.5).
        ///   - ciRatePerMinute: mean GitHub Actions builds per minute (default 0.12).
        public init(
            start: Int64 = Configuration.defaultStart, days: Int = 14, seed: UInt64 = 42,
            baseRatePerMinute: Double = 12, gitRatePerMinute: Double = 1.5,
            ciRatePerMinute: Double = 0.12
        ) {
            self.start = start
            self.days = days
            self.seed = seed
            self.baseRatePerMinute = baseRatePerMinute
            self.gitRatePerMinute = gitRatePerMinute
            self.ciRatePerMinute = ciRatePerMinute
        }

        /// The end of the generated range (exclusive), µs since the epoch.
        public var end: Int64 { start + Int64(days) * Timestamp.microsPerDay }
    }

    /// A time window in which one provider fails every request.
    public struct OutageWindow: Sendable, Hashable {
        /// The provider id (`anthropic`).
        public var provider: String
        /// First instant of the outage, µs since the epoch.
        public var start: Int64
        /// End of the outage (exclusive), µs since the epoch.
        public var end: Int64

        /// Whether `timestamp` (µs) falls in `start ..< end`.
        public func contains(_ timestamp: Int64) -> Bool { timestamp >= start && timestamp < end }
    }

    /// A stretch of minutes in which one tenant's batch job multiplies the LLM request rate.
    public struct Burst: Sendable, Hashable {
        /// First instant (a minute boundary of the generated range), µs since the epoch.
        public var start: Int64
        /// End (exclusive), µs since the epoch.
        public var end: Int64
        /// Factor applied to the LLM rate, in 3...6.
        public var multiplier: Double
        /// The tenant sending the extra requests.
        public var tenant: String
    }

    /// Rows generated for one provider.
    public struct ProviderCount: Sendable, Hashable {
        public var provider: String
        public var rows: Int
    }

    /// What a run generated.
    public struct Summary: Sendable, Hashable {
        /// First instant of the range, µs since the epoch.
        public var start: Int64
        /// End of the range (exclusive), µs since the epoch.
        public var end: Int64
        /// Number of rows generated.
        public var rows: Int
        /// Rows per provider, sorted by provider id; providers with no rows are listed with 0.
        public var providerCounts: [ProviderCount]
        /// The `anthropic` outage.
        public var outage: OutageWindow
        /// The bursts, sorted by start.
        public var bursts: [Burst]

        /// Rows generated for `provider` (0 for an unknown id).
        public func rows(for provider: String) -> Int {
            providerCounts.first { $0.provider == provider }?.rows ?? 0
        }
    }

    /// The provider ids the generator writes, sorted.
    public static let providers = ["anthropic", "github", "github-actions", "ollama", "openai"]

    /// The LLM client timeout: requests still unanswered after it end as `timeout`.
    public static let llmClientTimeoutMs: Double = 30_000
    /// The client timeout for GitHub API calls.
    public static let gitClientTimeoutMs: Double = 10_000
    /// GitHub Actions' job limit (6 hours); longer builds are cancelled as `timeout`.
    public static let ciJobLimitMs: Double = 21_600_000

    /// What this generator produces.
    public let configuration: Configuration

    /// - Precondition: `configuration.days >= 1` and the rates are finite and non-negative.
    public init(configuration: Configuration = Configuration()) {
        precondition(configuration.days >= 1, "days must be at least 1")
        precondition(
            [configuration.baseRatePerMinute, configuration.gitRatePerMinute, configuration.ciRatePerMinute]
                .allSatisfy { $0.isFinite && $0 >= 0 },
            "rates must be finite and non-negative")
        self.configuration = configuration
    }

    /// Generates every row in non-decreasing timestamp order and passes each to `body`.
    ///
    /// Memory stays constant: rows are built minute by minute and handed over one at a time.
    ///
    /// - Parameter body: called once per row; an error it throws stops generation and is
    ///   rethrown.
    /// - Returns: the row counts, the outage window and the bursts.
    /// - Complexity: O(rows + minutes).
    public func generate(_ body: (RequestRecord) throws -> Void) rethrows -> Summary {
        let c = configuration
        let root = SeededRandom(seed: c.seed)
        var outageRandom = root.stream("outage")
        var burstRandom = root.stream("bursts")
        let outage = Self.placeOutage(c, random: &outageRandom)
        let bursts = Self.placeBursts(c, random: &burstRandom)
        var rows = RowFactory(root: root, outage: outage)
        var arrivals = root.stream("arrivals")

        let microsPerMinute: Int64 = 60_000_000
        let minutes = c.days * 1440
        var keys: [UInt64] = []
        var kinds: [RowKind] = []
        keys.reserveCapacity(512)
        kinds.reserveCapacity(512)
        var counts = [Int](repeating: 0, count: Self.providers.count)
        var total = 0

        for m in 0..<minutes {
            let minuteStart = c.start + Int64(m) * microsPerMinute
            let weekday = Timestamp.hourAndWeekday(minuteStart).weekday
            var dayRest = minuteStart % Timestamp.microsPerDay
            if dayRest < 0 { dayRest += Timestamp.microsPerDay }
            let minuteOfDay = Double(dayRest) / Double(microsPerMinute)
            let daily = Seasonality.daily(minuteOfDay: minuteOfDay)
            let weekend = weekday >= 5
            let trend = 1 + Seasonality.growthPerWeek * Double(m) / (7 * 1440)

            var burstMultiplier = 1.0
            var burstTenant = -1
            for burst in bursts where burst.burst.start <= minuteStart && minuteStart < burst.burst.end {
                if burst.burst.multiplier > burstMultiplier {
                    burstMultiplier = burst.burst.multiplier
                    burstTenant = burst.tenantIndex
                }
            }

            let llmRate = c.baseRatePerMinute * daily
                * (weekend ? Seasonality.llmWeekend : 1) * Seasonality.llmWeekNorm * trend * burstMultiplier
            let devSeason = daily * (weekend ? Seasonality.devWeekend : 1) * Seasonality.devWeekNorm * trend
            let gitRate = c.gitRatePerMinute * devSeason
            var ciRate = c.ciRatePerMinute * devSeason
            if dayRest / microsPerMinute == 120 { ciRate += Seasonality.nightlyScheduledBuilds }

            let nLLM = arrivals.poisson(mean: llmRate)
            let nGit = arrivals.poisson(mean: gitRate)
            let nCI = arrivals.poisson(mean: ciRate)
            let n = nLLM + nGit + nCI
            if n == 0 { continue }
            keys.removeAll(keepingCapacity: true)
            kinds.removeAll(keepingCapacity: true)
            for i in 0..<n {
                kinds.append(i < nLLM ? .llm : (i < nLLM + nGit ? .git : .ci))
                let offset = arrivals.next() % UInt64(microsPerMinute)
                keys.append(offset << 32 | UInt64(i))
            }
            keys.sort()

            let inBurst = burstMultiplier > 1
            let burstShare = inBurst ? (burstMultiplier - 1) / burstMultiplier : 0
            for key in keys {
                let t = minuteStart + Int64(key >> 32)
                let record: RequestRecord
                switch kinds[Int(key & 0xFFFF_FFFF)] {
                case .llm: record = rows.llm(at: t, burstTenant: burstTenant, burstShare: burstShare)
                case .git: record = rows.git(at: t)
                case .ci: record = rows.ci(at: t)
                }
                counts[rows.lastProviderIndex] += 1
                total += 1
                try body(record)
            }
        }

        return Summary(
            start: c.start, end: c.end, rows: total,
            providerCounts: zip(Self.providers, counts).map { ProviderCount(provider: $0, rows: $1) },
            outage: outage, bursts: bursts.map(\.burst))
    }

    /// Writes `requests.csv` (all rows, via ``RequestLogCSVWriter``) and `prices.json`
    /// (``SamplePrices/liteLLMJSON()``) into `directory`, creating it when missing and
    /// replacing files of those names. Each file appears whole or not at all (see
    /// ``OutputFile``): a full disk or a kill leaves the files that were there. `prices.json`,
    /// the same every run, is in place before `requests.csv` is, so a request log is never
    /// without its prices.
    ///
    /// - Parameter progress: called every 65,536 rows with the last row's timestamp (rows come in
    ///   time order, so the share of ``Configuration/start``…``Configuration/end`` is the share
    ///   done) and the rows written so far.
    /// - Returns: the ``Summary`` of the generated rows.
    /// - Throws: ``IngestError/file(path:reason:)`` naming the path that could not be written,
    ///   or the first error of ``RequestLogCSVWriter``.
    public func write(toDirectory directory: String, progress: ((_ at: Int64, _ rows: Int) -> Void)? = nil) throws -> Summary {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw IngestError.file(path: directory, reason: "cannot create directory: \(error.localizedDescription)")
        }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        return try Self.writeLog(to: base + "requests.csv", createParentDirectories: false) { writer in
            var rows = 0
            let summary = try generate { record in
                try writer.write(record)
                rows += 1
                if rows & 0xFFFF == 0 { progress?(record.timestamp, rows) }
            }
            do throws(OutputFile.Failure) { try OutputFile.write(Array(SamplePrices.liteLLMJSON().utf8), to: base + "prices.json") } catch {
                throw IngestError.file(path: error.path, reason: "cannot write: \(error.reason)")
            }
            return summary
        }
    }

    /// Runs `body` with a ``RequestLogCSVWriter`` whose file becomes `path` once `body`
    /// returns and the writer closes: written beside it and renamed (``OutputFile``), so it
    /// appears whole or not at all. Errors name `path`, not the temporary file.
    static func writeLog(to path: String, createParentDirectories: Bool,
                         _ body: (RequestLogCSVWriter) throws -> Summary) throws -> Summary {
        let parent = (path as NSString).deletingLastPathComponent
        if createParentDirectories && !parent.isEmpty {
            do { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
                throw IngestError.file(path: parent, reason: "cannot create directory: \(error.localizedDescription)")
            }
        }
        var summary: Summary?
        var temporary = path
        do {
            try OutputFile.write(to: path) { target in
                temporary = target
                let writer = try RequestLogCSVWriter(path: target, createParentDirectories: false)
                do {
                    summary = try body(writer)
                    try writer.close()
                } catch {
                    try? writer.close()
                    throw error
                }
            }
        } catch let e as OutputFile.Failure {
            throw IngestError.file(path: e.path, reason: "cannot write: \(e.reason)")
        } catch IngestError.file(let at, let reason) where at == temporary {
            throw IngestError.file(path: path, reason: reason)
        }
        return summary!
    }
}

extension SampleTrafficGenerator {
    /// Writes a request log of about `rows` rows to `path` (the benchmarks' input): the default
    /// mix over 14 days, seed 7, every rate scaled to the size, so the same size gives the same
    /// bytes. The file appears whole or not at all (written beside it, then renamed).
    ///
    /// - Returns: the number of rows written.
    public static func writeRequestLog(aboutRows rows: Int, to path: String) throws -> Int {
        let perDay = 282_324.0 / 14  // the default mix's rows a day at 12 LLM requests a minute
        let scale = Double(rows) / (perDay * 14)
        let config = Configuration(days: 14, seed: 7, baseRatePerMinute: 12 * scale, gitRatePerMinute: 1.5 * scale,
                                   ciRatePerMinute: 0.12 * scale)
        return try writeLog(to: path, createParentDirectories: true) { writer in
            try SampleTrafficGenerator(configuration: config).generate { try writer.write($0) }
        }.rows
    }
}

// MARK: - Placement of the outage and the bursts

extension SampleTrafficGenerator {
    struct PlacedBurst {
        var burst: Burst
        var tenantIndex: Int
    }

    /// Two hours starting between 13:00 and 16:00 UTC on a weekday of the first week that fits
    /// in the range; any day of the first week when no weekday fits; the start of the range
    /// when nothing fits at all.
    static func placeOutage(_ c: Configuration, random: inout SeededRandom) -> OutageWindow {
        let hour: Int64 = 3_600_000_000
        let minute: Int64 = 60_000_000
        let duration = 2 * hour
        var firstMidnight = c.start / Timestamp.microsPerDay * Timestamp.microsPerDay
        if firstMidnight > c.start { firstMidnight -= Timestamp.microsPerDay }
        // Candidate intervals for the outage start: [lo, hi).
        var weekdays: [(Int64, Int64)] = []
        var anyDay: [(Int64, Int64)] = []
        for d in 0..<9 {
            let midnight = firstMidnight + Int64(d) * Timestamp.microsPerDay
            let lo = max(midnight + 13 * hour, c.start)
            let hi = min(midnight + 16 * hour, c.end - duration, c.start + 7 * Timestamp.microsPerDay)
            guard lo < hi else { continue }
            anyDay.append((lo, hi))
            if Timestamp.hourAndWeekday(midnight).weekday < 5 { weekdays.append((lo, hi)) }
        }
        let candidates = weekdays.isEmpty ? anyDay : weekdays
        guard !candidates.isEmpty else {
            return OutageWindow(provider: "anthropic", start: c.start, end: min(c.start + duration, c.end))
        }
        let (lo, hi) = candidates[Int(random.next() % UInt64(candidates.count))]
        let slots = max(1, (hi - lo) / minute)
        let start = lo + Int64(random.next() % UInt64(slots)) * minute
        return OutageWindow(provider: "anthropic", start: start, end: start + duration)
    }

    /// About one burst every three days (at least one), each 5–60 minutes at 3–6× the rate,
    /// sent by one tenant; starts on minute boundaries.
    static func placeBursts(_ c: Configuration, random: inout SeededRandom) -> [PlacedBurst] {
        let count = max(1, random.poisson(mean: Double(c.days) / 3))
        let minutes = c.days * 1440
        var bursts: [PlacedBurst] = []
        for _ in 0..<count {
            let length = 5 + Int(random.next() % 56)
            let first = Int(random.next() % UInt64(max(1, minutes - length)))
            let multiplier = 3 + 3 * random.uniform()
            let tenantIndex = pick(Tables.burstTenantCumulative, random.uniform())
            let start = c.start + Int64(first) * 60_000_000
            bursts.append(PlacedBurst(
                burst: Burst(
                    start: start, end: start + Int64(length) * 60_000_000,
                    multiplier: multiplier, tenant: Tables.tenants[tenantIndex].name),
                tenantIndex: tenantIndex))
        }
        bursts.sort { ($0.burst.start, $0.burst.end) < ($1.burst.start, $1.burst.end) }
        return bursts
    }
}

// MARK: - Rows

private enum RowKind: UInt8 { case llm, git, ci }

/// Daily and weekly profiles and the trend.
private enum Seasonality {
    /// Relative LLM activity per UTC hour (value at the middle of the hour).
    static let hourly: [Double] = [
        0.30, 0.25, 0.22, 0.22, 0.25, 0.35, 0.55, 0.85, 1.25, 1.60, 1.75, 1.80,
        1.70, 1.80, 1.90, 1.85, 1.65, 1.35, 1.05, 0.85, 0.70, 0.55, 0.45, 0.38,
    ]
    static let hourlyMean: Double = hourly.reduce(0, +) / 24
    static let llmWeekend = 0.4
    static let llmWeekNorm = 7 / (5 + 2 * llmWeekend)
    static let devWeekend = 0.25
    static let devWeekNorm = 7 / (5 + 2 * devWeekend)
    static let growthPerWeek = 0.03
    /// Mean number of scheduled builds started at 02:00 UTC.
    static let nightlyScheduledBuilds = 4.0

    /// The daily factor (mean 1 over a day), linear between hour midpoints.
    static func daily(minuteOfDay: Double) -> Double {
        let position = minuteOfDay / 60 - 0.5
        let lower = position.rounded(.down)
        let fraction = position - lower
        let h0 = (Int(lower) + 24) % 24
        let h1 = (h0 + 1) % 24
        return (hourly[h0] * (1 - fraction) + hourly[h1] * fraction) / hourlyMean
    }
}

/// Index of the first cumulative weight above `u` (`u` in [0, 1)).
private func pick(_ cumulative: [Double], _ u: Double) -> Int {
    let target = u * cumulative[cumulative.count - 1]
    for (i, c) in cumulative.enumerated() where target < c { return i }
    return cumulative.count - 1
}

private func cumulativeSums(_ weights: [Double]) -> [Double] {
    var sum = 0.0
    return weights.map { sum += $0; return sum }
}

/// Milliseconds rounded to 0.001, the CSV's resolution.
@inline(__always)
private func roundedMs(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

private enum PromptCaching { case none, openAI, anthropic(minimum: Int) }

private struct LLMModel {
    var provider: String
    var providerIndex: Int
    var model: String
    var ttftMedianMs: Double
    var msPerOutputToken: Double
    var prefillMsPerToken: Double
    var embeddingMedianMs: Double?
    var maxInputTokens: Int
    var maxOutputTokens: Int
    var caching: PromptCaching
    var errorRate: Double
    var rateLimited: Bool
    var onPremises: Bool
}

private struct TenantProfile {
    var name: String
    var weight: Double
    /// Weights over `Tables.models`.
    var modelWeights: [Double]
    var embeddingShare: Double
    var euShare: Double
    var gitWeight: Double
    var ciWeight: Double
    var burstWeight: Double
}

private struct GitOperation {
    var name: String
    var weight: Double
    var medianMs: Double
    var extraRateLimit: Double
}

private enum Tables {
    // Provider indices into `SampleTrafficGenerator.providers`.
    static let anthropic = 0, github = 1, githubActions = 2, ollama = 3, openai = 4

    static let models: [LLMModel] = [
        LLMModel(provider: "openai", providerIndex: openai, model: "gpt-4o",
                 ttftMedianMs: 450, msPerOutputToken: 11, prefillMsPerToken: 0.03, embeddingMedianMs: nil,
                 maxInputTokens: 128_000, maxOutputTokens: 16_384, caching: .openAI,
                 errorRate: 0.010, rateLimited: true, onPremises: false),
        LLMModel(provider: "openai", providerIndex: openai, model: "gpt-4o-mini",
                 ttftMedianMs: 320, msPerOutputToken: 7, prefillMsPerToken: 0.02, embeddingMedianMs: 90,
                 maxInputTokens: 128_000, maxOutputTokens: 16_384, caching: .openAI,
                 errorRate: 0.008, rateLimited: true, onPremises: false),
        LLMModel(provider: "anthropic", providerIndex: anthropic, model: "claude-sonnet-4-5",
                 ttftMedianMs: 750, msPerOutputToken: 14, prefillMsPerToken: 0.035, embeddingMedianMs: nil,
                 maxInputTokens: 200_000, maxOutputTokens: 16_384, caching: .anthropic(minimum: 1024),
                 errorRate: 0.015, rateLimited: true, onPremises: false),
        LLMModel(provider: "anthropic", providerIndex: anthropic, model: "claude-haiku-4-5",
                 ttftMedianMs: 420, msPerOutputToken: 6.5, prefillMsPerToken: 0.02, embeddingMedianMs: nil,
                 maxInputTokens: 200_000, maxOutputTokens: 16_384, caching: .anthropic(minimum: 2048),
                 errorRate: 0.012, rateLimited: true, onPremises: false),
        LLMModel(provider: "ollama", providerIndex: ollama, model: "llama3.1",
                 ttftMedianMs: 220, msPerOutputToken: 24, prefillMsPerToken: 0.08, embeddingMedianMs: 60,
                 maxInputTokens: 8192, maxOutputTokens: 1024, caching: .none,
                 errorRate: 0.005, rateLimited: false, onPremises: true),
    ]

    static let tenants: [TenantProfile] = [
        TenantProfile(name: "internal-platform", weight: 0.30, modelWeights: [0.22, 0.20, 0.30, 0.13, 0.15],
                      embeddingShare: 0.10, euShare: 0.20, gitWeight: 0.25, ciWeight: 0.35, burstWeight: 0.30),
        TenantProfile(name: "internal-data", weight: 0.25, modelWeights: [0.08, 0.30, 0.07, 0.10, 0.45],
                      embeddingShare: 0.45, euShare: 0.25, gitWeight: 0.05, ciWeight: 0.10, burstWeight: 0.40),
        TenantProfile(name: "oss-website", weight: 0.10, modelWeights: [0.05, 0.45, 0.05, 0.35, 0.10],
                      embeddingShare: 0.15, euShare: 0.30, gitWeight: 0.45, ciWeight: 0.30, burstWeight: 0.05),
        TenantProfile(name: "client-acme", weight: 0.20, modelWeights: [0.35, 0.15, 0.35, 0.15, 0.00],
                      embeddingShare: 0.10, euShare: 0.10, gitWeight: 0.15, ciWeight: 0.15, burstWeight: 0.15),
        TenantProfile(name: "client-globex", weight: 0.15, modelWeights: [0.20, 0.25, 0.25, 0.30, 0.00],
                      embeddingShare: 0.10, euShare: 0.85, gitWeight: 0.10, ciWeight: 0.10, burstWeight: 0.10),
    ]

    static let tenantCumulative = cumulativeSums(tenants.map(\.weight))
    static let modelCumulative = tenants.map { cumulativeSums($0.modelWeights) }
    static let gitTenantCumulative = cumulativeSums(tenants.map(\.gitWeight))
    static let ciTenantCumulative = cumulativeSums(tenants.map(\.ciWeight))
    static let burstTenantCumulative = cumulativeSums(tenants.map(\.burstWeight))

    static let gitOperations: [GitOperation] = [
        GitOperation(name: "repos.get", weight: 0.22, medianMs: 90, extraRateLimit: 0),
        GitOperation(name: "pulls.list", weight: 0.18, medianMs: 180, extraRateLimit: 0),
        GitOperation(name: "pulls.get", weight: 0.14, medianMs: 120, extraRateLimit: 0),
        GitOperation(name: "issues.list", weight: 0.12, medianMs: 160, extraRateLimit: 0),
        GitOperation(name: "repos.getContent", weight: 0.14, medianMs: 110, extraRateLimit: 0),
        GitOperation(name: "repos.listCommits", weight: 0.10, medianMs: 170, extraRateLimit: 0),
        GitOperation(name: "search.code", weight: 0.05, medianMs: 650, extraRateLimit: 0.02),
    ]
    static let gitOperationCumulative = cumulativeSums(gitOperations.map(\.weight))
    static let gitErrorRate = 0.006
    static let ciErrorRate = 0.015
}

private enum Operation {
    case chat, completion, embedding
    var name: String {
        switch self {
        case .chat: return "chat"
        case .completion: return "completion"
        case .embedding: return "embedding"
        }
    }
}

/// Draws the attributes of one row at a time from the named streams.
private struct RowFactory {
    var mix: SeededRandom
    var tokens: SeededRandom
    var latency: SeededRandom
    var errors: SeededRandom
    var ids: SeededRandom
    let outage: SampleTrafficGenerator.OutageWindow
    /// Provider index of the row made last, for the summary's counts.
    var lastProviderIndex = 0

    init(root: SeededRandom, outage: SampleTrafficGenerator.OutageWindow) {
        mix = root.stream("mix")
        tokens = root.stream("tokens")
        latency = root.stream("latency")
        errors = root.stream("errors")
        ids = root.stream("ids")
        self.outage = outage
    }

    /// `req-` and 16 lowercase hex digits of the next `ids` draw.
    mutating func requestID() -> String {
        let value = ids.next()
        return String(unsafeUninitializedCapacity: 20) { buffer in
            buffer[0] = UInt8(ascii: "r")
            buffer[1] = UInt8(ascii: "e")
            buffer[2] = UInt8(ascii: "q")
            buffer[3] = UInt8(ascii: "-")
            for i in 0..<16 {
                let nibble = UInt8((value >> UInt64(60 - 4 * i)) & 0xF)
                buffer[4 + i] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            }
            return 20
        }
    }

    mutating func llm(at t: Int64, burstTenant: Int, burstShare: Double) -> RequestRecord {
        let inBurst = burstShare > 0
        let tenantIndex = burstTenant >= 0 && mix.uniform() < burstShare
            ? burstTenant : pick(Tables.tenantCumulative, mix.uniform())
        let tenant = Tables.tenants[tenantIndex]
        let model = Tables.models[pick(Tables.modelCumulative[tenantIndex], mix.uniform())]
        let operation: Operation
        if model.embeddingMedianMs != nil && mix.uniform() < tenant.embeddingShare {
            operation = .embedding
        } else {
            operation = mix.uniform() < 0.14 ? .completion : .chat
        }
        let region = model.onPremises ? "onprem" : (mix.uniform() < tenant.euShare ? "eu" : "us")
        lastProviderIndex = model.providerIndex

        // Tokens: lognormal body, Pareto tail.
        let shape: (median: Double, sigma: Double, tailProbability: Double, tailScale: Double, tailShape: Double) =
            switch operation {
            case .chat: (900, 1.0, 0.04, 6000, 1.15)
            case .completion: (450, 0.9, 0.03, 3000, 1.3)
            case .embedding: (300, 0.8, 0.02, 1500, 1.5)
            }
        let rawInput = tokens.uniform() < shape.tailProbability
            ? tokens.pareto(scale: shape.tailScale, shape: shape.tailShape)
            : tokens.lognormal(mu: log(shape.median), sigma: shape.sigma)
        let inputLimit = operation == .embedding ? min(8191, model.maxInputTokens) : model.maxInputTokens - 512
        let input = max(1, min(inputLimit, Int(rawInput.rounded())))
        var output = 0
        switch operation {
        case .chat: output = Int(tokens.lognormal(mu: log(260), sigma: 0.75).rounded())
        case .completion: output = Int(tokens.lognormal(mu: log(110), sigma: 0.9).rounded())
        case .embedding: output = 0
        }
        if operation != .embedding { output = max(1, min(model.maxOutputTokens, output)) }
        var cached = 0
        switch model.caching {
        case .none: break
        case .openAI:
            if operation != .embedding && input >= 1024 && tokens.uniform() < 0.45 {
                let prefix = Int(Double(input) * (0.5 + 0.45 * tokens.uniform()))
                cached = max(1024, prefix / 128 * 128)
            }
        case .anthropic(let minimum):
            if operation == .chat && input >= minimum && tokens.uniform() < 0.35 {
                cached = max(minimum, Int(Double(input) * (0.4 + 0.55 * tokens.uniform())))
            }
        }

        // Latency of a successful answer.
        let slowdown = inBurst ? 1.25 : 1.0
        var ttft: Double?
        var total: Double
        if operation == .embedding {
            total = (model.embeddingMedianMs ?? 100) * latency.lognormal(mu: 0, sigma: 0.4) + 0.004 * Double(input)
        } else {
            let first = model.ttftMedianMs * latency.lognormal(mu: 0, sigma: 0.35)
                + model.prefillMsPerToken * Double(input - cached)
            let decode = Double(output) * model.msPerOutputToken * latency.lognormal(mu: 0, sigma: 0.2)
            ttft = first
            total = first + max(decode, 1)
        }
        if latency.uniform() < 0.015 {
            let factor = latency.pareto(scale: 1.5, shape: 1.8)
            total *= factor
            ttft = ttft.map { $0 * factor }
        }
        total *= slowdown
        ttft = ttft.map { $0 * slowdown }

        // Failures.
        var status = RequestStatus.ok
        let timeout = SampleTrafficGenerator.llmClientTimeoutMs
        if model.providerIndex == Tables.anthropic && outage.contains(t) {
            status = errors.uniform() < 0.7 ? .error : .timeout
            total = timeout
        } else if errors.uniform() < model.errorRate * (inBurst ? 3 : 1) {
            status = Self.failureKind(rateLimited: model.rateLimited, inBurst: inBurst, errors.uniform())
            total = failureLatency(status, timeout: timeout)
        } else if total >= timeout {
            status = .timeout
            total = timeout
        }
        if status != .ok {
            output = 0
            cached = 0
            ttft = nil
        }

        // The decode time keeps TTFT at least 1 ms below the total, so rounding cannot invert
        // them; the guard only documents the contract.
        var finalTotal = roundedMs(total)
        let finalTTFT = ttft.map(roundedMs)
        if let first = finalTTFT, first >= finalTotal { finalTotal = roundedMs(first + 0.001) }
        return RequestRecord(
            timestamp: t, tenant: tenant.name, provider: model.provider, model: model.model,
            operation: operation.name, region: region, inputTokens: input, outputTokens: output,
            cachedTokens: cached, latencyMs: finalTotal, ttftMs: finalTTFT, status: status,
            cost: nil, requestID: requestID())
    }

    mutating func git(at t: Int64) -> RequestRecord {
        let tenant = Tables.tenants[pick(Tables.gitTenantCumulative, mix.uniform())]
        let operation = Tables.gitOperations[pick(Tables.gitOperationCumulative, mix.uniform())]
        lastProviderIndex = Tables.github
        var total = operation.medianMs * latency.lognormal(mu: 0, sigma: 0.45)
        if latency.uniform() < 0.01 { total *= latency.pareto(scale: 1.5, shape: 1.8) }
        let timeout = SampleTrafficGenerator.gitClientTimeoutMs
        var status = RequestStatus.ok
        let u = errors.uniform()
        if u < operation.extraRateLimit {
            status = .rateLimited
            total = failureLatency(.rateLimited, timeout: timeout)
        } else if u < operation.extraRateLimit + Tables.gitErrorRate {
            status = Self.failureKind(rateLimited: true, inBurst: false, errors.uniform())
            total = failureLatency(status, timeout: timeout)
        } else if total >= timeout {
            status = .timeout
            total = timeout
        }
        return RequestRecord(
            timestamp: t, tenant: tenant.name, provider: "github", model: "api",
            operation: operation.name, region: "us", latencyMs: roundedMs(total), status: status,
            requestID: requestID())
    }

    mutating func ci(at t: Int64) -> RequestRecord {
        let tenant = Tables.tenants[pick(Tables.ciTenantCumulative, mix.uniform())]
        lastProviderIndex = Tables.githubActions
        let minutes = latency.uniform() < 0.04
            ? latency.pareto(scale: 15, shape: 1.4)
            : latency.lognormal(mu: log(5.5), sigma: 0.65)
        var total = max(20, (minutes * 60).rounded()) * 1000
        var status = RequestStatus.ok
        if total >= SampleTrafficGenerator.ciJobLimitMs {
            status = .timeout
            total = SampleTrafficGenerator.ciJobLimitMs
        } else if errors.uniform() < Tables.ciErrorRate {
            // Runner or infrastructure failure part-way through the build.
            status = .error
            total = max(5, (total / 1000 * (0.05 + 0.55 * errors.uniform())).rounded()) * 1000
        }
        return RequestRecord(
            timestamp: t, tenant: tenant.name, provider: "github-actions", model: "build",
            operation: "build", region: "us", latencyMs: total, status: status,
            requestID: requestID())
    }

    /// Which failure, given a uniform draw `u`: rate limits dominate under bursts; providers
    /// without a rate limit only fail with errors and timeouts.
    static func failureKind(rateLimited: Bool, inBurst: Bool, _ u: Double) -> RequestStatus {
        if !rateLimited { return u < 0.75 ? .error : .timeout }
        if inBurst { return u < 0.60 ? .rateLimited : (u < 0.85 ? .error : .timeout) }
        return u < 0.55 ? .error : (u < 0.80 ? .rateLimited : .timeout)
    }

    /// How long a failure takes: a fast 5xx, a faster 429, or the full client timeout.
    mutating func failureLatency(_ status: RequestStatus, timeout: Double) -> Double {
        switch status {
        case .rateLimited: return 45 * latency.lognormal(mu: 0, sigma: 0.4)
        case .timeout: return timeout
        default: return 250 * latency.lognormal(mu: 0, sigma: 0.7)
        }
    }
}
