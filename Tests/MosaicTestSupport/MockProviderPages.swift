import Foundation
import MosaicCore

/// The synthetic usage and cost data a ``MockProviderServer`` serves, and the pages it answers
/// un-faulted requests with.
///
/// The dataset is a pure function of its parameters: every row is generated on demand from
/// (seed, source, bucket index, result index), so a value describing a million rows is a few
/// hundred bytes and a page costs only the rows on it. Tests compute what a client should have
/// received with the expectation methods (``openAIUsage(from:to:bucketWidth:groupBy:)`` and its
/// siblings), which are the same functions the server renders, without any HTTP.
///
/// ## The data
/// - Usage (OpenAI completions, Anthropic messages) has `days × bucketsPerDay` native buckets
///   starting at ``start``; each holds ``resultsPerBucket`` rows with every dimension set, and
///   no two rows of a bucket share a dimension combination.
/// - Costs (OpenAI, Anthropic) are daily only: one bucket per day with
///   `min(resultsPerBucket, 144)` (OpenAI) or `min(resultsPerBucket, 600)` (Anthropic) rows.
/// - GitHub usage items: `min(resultsPerBucket, 81)` items per day.
///
/// ## Grouping and bucket widths, as the real APIs do it
/// A request's rows are the native rows aggregated by the requested `group_by` dimensions
/// (token counts and amounts summed exactly); a dimension not grouped by is `null`. With no
/// `group_by` a bucket has one row of totals. A bucket width coarser than the native one sums
/// whole native buckets (`1d` over an hourly dataset); a finer one is answered with 400.
/// Buckets are only served inside the dataset: a window reaching outside it returns fewer
/// buckets, never empty ones.
///
/// ## Query parameters
/// - OpenAI usage: `start_time` (required) and `end_time`, Unix seconds; `bucket_width` `1d`
///   (default), `1h`, `1m`; `limit` buckets per page (default 7/24/60, max 31/168/1440);
///   `group_by` repeated (`group_by[]` also accepted); `page`.
/// - OpenAI costs: as above with `bucket_width` `1d` only and `limit` 1…180 (default 7);
///   `group_by` `project_id`, `line_item` (and `api_key_id`, which stays null).
/// - Anthropic: `starting_at` (required) and `ending_at`, RFC 3339; `bucket_width`, `limit` as
///   OpenAI usage (the cost report: `1d` only, `limit` 1…31); `group_by[]` repeated; `page`.
/// - GitHub: `year` (default: this year), `month`, `day`; no pagination.
///
/// A window is `[start, end)` on bucket starts; `next_page` is `page_` plus base64 of the next
/// bucket's Unix seconds, null on the last page, and `has_more` agrees with it. A bad value
/// (missing start, unknown `group_by`, `limit` out of range, foreign `page` token) gets 400
/// with the provider's error JSON; parameters the mock does not know are ignored.
///
/// ## Units
/// Every instant in the Swift API is integer microseconds since 1970 (MosaicCore's `Timestamp`);
/// the wire format converts (Unix seconds for OpenAI, RFC 3339 for Anthropic, dates for GitHub).
/// Money is an exact integer count of a fixed sub-unit, rendered as a literal with trailing
/// zeros removed: OpenAI costs in 1e-10 USD, Anthropic costs in 1e-5 cents, GitHub amounts in
/// 1e-8 USD.
public struct MockProviderPages: Sendable {
    /// Seed of every random draw (MosaicCore's `SeededRandom`, one named stream per source).
    public let seed: UInt64
    /// The first bucket's start, microseconds since 1970, aligned to a UTC day.
    public let start: Int64
    /// How many UTC days of data there are.
    public let days: Int
    /// Native usage buckets per day: 1 (`1d`), 24 (`1h`) or 1440 (`1m`).
    public let bucketsPerDay: Int
    /// Rows per native usage bucket (1…720); costs and GitHub items cap it per source.
    public let resultsPerBucket: Int
    /// The GitHub organization the billing route answers for; other organizations get 404.
    public let organization: String

    /// Revision of each day index, folded into that day's numbers (see ``revise(dayContaining:)``).
    private var revisions: [Int: UInt64] = [:]
    private let streams: Streams

    /// The largest ``resultsPerBucket``: the number of distinct Anthropic usage combinations.
    public static let maxResultsPerBucket = 720

    /// Describes a dataset; nothing is generated until a row is asked for.
    ///
    /// - Parameters:
    ///   - seed: seed of every draw; the same parameters give the same bytes on every machine.
    ///   - start: first instant, microseconds since 1970; must be a multiple of a day.
    ///   - days: number of UTC days, at least 1.
    ///   - bucketsPerDay: 1 for daily usage buckets, 24 for hourly, 1440 for per-minute.
    ///   - resultsPerBucket: rows per native usage bucket, 1…``maxResultsPerBucket``.
    ///   - organization: the GitHub organization name served by the billing route.
    public init(seed: UInt64 = 1, start: Int64, days: Int, bucketsPerDay: Int = 1,
                resultsPerBucket: Int = 3, organization: String = "mosaic-org") {
        precondition(start % Timestamp.microsPerDay == 0, "start \(start) µs is not aligned to a UTC day")
        precondition(days >= 1, "days must be at least 1, got \(days)")
        precondition([1, 24, 1440].contains(bucketsPerDay), "bucketsPerDay must be 1, 24 or 1440, got \(bucketsPerDay)")
        precondition((1...Self.maxResultsPerBucket).contains(resultsPerBucket),
                     "resultsPerBucket must be 1...\(Self.maxResultsPerBucket), got \(resultsPerBucket)")
        self.seed = seed
        self.start = start
        self.days = days
        self.bucketsPerDay = bucketsPerDay
        self.resultsPerBucket = resultsPerBucket
        self.organization = organization
        self.streams = Streams(seed: seed)
    }

    // MARK: - Shape

    /// A bucket width of the usage APIs, spelled as in their `bucket_width` parameter.
    public enum BucketWidth: String, Sendable, CaseIterable {
        case minute = "1m", hour = "1h", day = "1d"

        /// The width in microseconds.
        public var micros: Int64 {
            switch self {
            case .minute: return 60_000_000
            case .hour: return 3_600_000_000
            case .day: return Timestamp.microsPerDay
            }
        }

        /// The documented default `limit` (buckets per page): 60, 24 or 7.
        public var defaultLimit: Int {
            switch self { case .minute: return 60; case .hour: return 24; case .day: return 7 }
        }

        /// The documented largest `limit`: 1440, 168 or 31.
        public var maxLimit: Int {
            switch self { case .minute: return 1440; case .hour: return 168; case .day: return 31 }
        }
    }

    /// One time bucket of a response: `[start, end)` in microseconds and its rows.
    public struct Bucket<Row: Sendable & Equatable>: Sendable, Equatable {
        /// Inclusive start, microseconds since 1970.
        public var start: Int64
        /// Exclusive end, microseconds since 1970.
        public var end: Int64
        /// The rows, in the order the server writes them.
        public var results: [Row]
    }

    /// The instant after the last day, microseconds since 1970 (exclusive).
    public var end: Int64 { start + Int64(days) * Timestamp.microsPerDay }

    /// The width of the native usage buckets.
    public var nativeBucketWidth: BucketWidth {
        switch bucketsPerDay { case 24: return .hour; case 1440: return .minute; default: return .day }
    }

    /// The number of native usage buckets, `days × bucketsPerDay`.
    public var bucketCount: Int { days * bucketsPerDay }

    /// The number of usage rows per source over the whole dataset (each of OpenAI and
    /// Anthropic): `bucketCount × resultsPerBucket`.
    public var usageRowCount: Int { bucketCount * resultsPerBucket }

    /// The start of native bucket `index`, microseconds since 1970.
    public func bucketStart(_ index: Int) -> Int64 { start + Int64(index) * nativeBucketWidth.micros }

    /// The start of day `index`, microseconds since 1970.
    public func dayStart(_ index: Int) -> Int64 { start + Int64(index) * Timestamp.microsPerDay }

    // MARK: - Revisions (data that changes between retries)

    /// Changes every number (token counts, amounts, quantities) of one UTC day in every source,
    /// as a provider does when late usage arrives; dimensions and row order stay the same.
    ///
    /// A server serves a revised value after `server.pages = revised`, so a test can make a
    /// page differ between a failed attempt and its retry. Calling it again revises again.
    ///
    /// - Parameter day: any instant of the day, microseconds since 1970, inside the dataset.
    public mutating func revise(dayContaining day: Int64) {
        precondition(day >= start && day < end, "day \(day) µs is outside the dataset")
        let index = Int((day - start) / Timestamp.microsPerDay)
        revisions[index, default: 0] += 1
    }

    /// How many times the day containing `day` was revised (0 when never).
    public func revision(ofDayContaining day: Int64) -> UInt64 {
        revisions[Int((day - start) / Timestamp.microsPerDay)] ?? 0
    }

    // MARK: - OpenAI usage (completions)

    /// A row of `GET /v1/organization/usage/completions`. `user_id` is always null (the
    /// dataset has no users); other dimensions are nil when not grouped by.
    public struct OpenAIUsageRow: Sendable, Equatable {
        /// A `group_by` value of the completions usage API.
        public enum Dimension: String, Sendable, CaseIterable {
            case projectID = "project_id", userID = "user_id", apiKeyID = "api_key_id"
            case model, batch, serviceTier = "service_tier"
        }

        /// Bucket start and end, microseconds since 1970.
        public var start: Int64
        public var end: Int64
        public var projectID: String?
        public var apiKeyID: String?
        public var model: String?
        public var batch: Bool?
        public var serviceTier: String?
        /// `input_tokens`, which includes the cached ones.
        public var inputTokens: Int64
        /// `input_cached_tokens`.
        public var cachedInputTokens: Int64
        public var outputTokens: Int64
        public var audioInputTokens: Int64
        public var audioOutputTokens: Int64
        public var imageInputTokens: Int64
        public var imageOutputTokens: Int64
        /// `num_model_requests`.
        public var requests: Int64

        mutating func add(_ o: OpenAIUsageRow) {
            inputTokens += o.inputTokens; cachedInputTokens += o.cachedInputTokens
            outputTokens += o.outputTokens; audioInputTokens += o.audioInputTokens
            audioOutputTokens += o.audioOutputTokens; imageInputTokens += o.imageInputTokens
            imageOutputTokens += o.imageOutputTokens; requests += o.requests
        }
    }

    /// The rows of native bucket `index` (every dimension set), in result order.
    /// Complexity: O(``resultsPerBucket``).
    public func openAIUsageRows(inBucket index: Int) -> [OpenAIUsageRow] {
        precondition(index >= 0 && index < bucketCount, "bucket \(index) is outside 0..<\(bucketCount)")
        let offset = bucketOffset(streams.openAIUsage, index, MockCatalog.openAIUsageCombinations)
        let rev = revision(ofBucket: index)
        return (0..<resultsPerBucket).map { openAIUsageRaw(bucket: index, result: $0, offset: offset, revision: rev).row }
    }

    /// What `GET /v1/organization/usage/completions` returns over `[from, to)` (bucket starts),
    /// all pages joined.
    ///
    /// - Parameters:
    ///   - from: first instant, µs; nil means the dataset start.
    ///   - to: end instant (exclusive), µs; nil means the dataset end.
    ///   - bucketWidth: the requested width; not finer than ``nativeBucketWidth``.
    ///   - groupBy: the requested `group_by` values.
    /// - Complexity: O(rows in the window).
    public func openAIUsage(from: Int64? = nil, to: Int64? = nil, bucketWidth: BucketWidth = .day,
                            groupBy: Set<OpenAIUsageRow.Dimension> = []) -> [Bucket<OpenAIUsageRow>] {
        precondition(bucketWidth.micros >= nativeBucketWidth.micros, "bucket width \(bucketWidth.rawValue) is finer than the dataset's")
        return usageWindow(from: from, to: to, width: bucketWidth).map { openAIUsageBucket($0, width: bucketWidth, groupBy: groupBy) }
    }

    func openAIUsageRaw(bucket b: Int, result r: Int, offset: Int, revision: UInt64) -> (combo: Int, row: OpenAIUsageRow) {
        let c = MockCatalog.combination(offset: offset, result: r, count: MockCatalog.openAIUsageCombinations,
                                        step: MockCatalog.openAIUsageStep)
        // c = ((((project·3 + key)·8 + model)·2 + batch)·3 + tier)
        let tier = c % 3, batch = (c / 3) % 2, model = (c / 6) % 8, key = (c / 48) % 3, project = c / 144
        var g = MockCatalog.rowRandom(streams.openAIUsage, b, r, revision)
        let requests = 1 + g.below(400)
        let input = requests * (50 + g.below(4000))
        let cached = input * g.below(80) / 100
        let output = requests * (10 + g.below(1200))
        let audioIn = g.below(8) == 0 ? requests * g.below(2000) : 0
        let audioOut = audioIn > 0 ? requests * g.below(1000) : 0
        let imageIn = g.below(6) == 0 ? requests * g.below(1500) : 0
        let imageOut = g.below(20) == 0 ? requests * g.below(4000) : 0
        let s = bucketStart(b)
        return (c, OpenAIUsageRow(
            start: s, end: s + nativeBucketWidth.micros,
            projectID: MockCatalog.openAIProjects[project], apiKeyID: MockCatalog.openAIKeys[project][key],
            model: MockCatalog.openAIModels[model], batch: batch == 1, serviceTier: MockCatalog.openAITiers[tier],
            inputTokens: input, cachedInputTokens: cached, outputTokens: output,
            audioInputTokens: audioIn, audioOutputTokens: audioOut,
            imageInputTokens: imageIn, imageOutputTokens: imageOut, requests: requests))
    }

    func openAIUsageBucket(_ j: Int, width: BucketWidth, groupBy: Set<OpenAIUsageRow.Dimension>) -> Bucket<OpenAIUsageRow> {
        let per = Int(width.micros / nativeBucketWidth.micros)
        let bStart = start + Int64(j) * width.micros
        let all: Set<OpenAIUsageRow.Dimension> = [.projectID, .apiKeyID, .model, .batch, .serviceTier]
        let fast = per == 1 && all.isSubset(of: groupBy)
        var rows: [OpenAIUsageRow] = []
        rows.reserveCapacity(fast ? resultsPerBucket : 8)
        var slot: [Int: Int] = [:]
        let gP = groupBy.contains(.projectID), gK = groupBy.contains(.apiKeyID), gM = groupBy.contains(.model)
        let gB = groupBy.contains(.batch), gT = groupBy.contains(.serviceTier)
        for b in (j * per)..<((j + 1) * per) {
            let offset = bucketOffset(streams.openAIUsage, b, MockCatalog.openAIUsageCombinations)
            let rev = revision(ofBucket: b)
            for r in 0..<resultsPerBucket {
                let (c, row0) = openAIUsageRaw(bucket: b, result: r, offset: offset, revision: rev)
                if fast { rows.append(row0); continue }
                var row = row0
                // Rare path: aggregate by the grouped dimensions (an API key implies its project).
                let tier = c % 3, batch = (c / 3) % 2, model = (c / 6) % 8, key = (c / 48) % 3, project = c / 144
                let keyIndex = ((((gP || gK ? project : 0) * 3 + (gK ? key : 0)) * 8 + (gM ? model : 0)) * 2
                                + (gB ? batch : 0)) * 3 + (gT ? tier : 0)
                if let i = slot[keyIndex] { rows[i].add(row); continue }
                row.start = bStart; row.end = bStart + width.micros
                if !gP { row.projectID = nil }
                if !gK { row.apiKeyID = nil }
                if !gM { row.model = nil }
                if !gB { row.batch = nil }
                if !gT { row.serviceTier = nil }
                slot[keyIndex] = rows.count
                rows.append(row)
            }
        }
        return Bucket(start: bStart, end: bStart + width.micros, results: rows)
    }

    // MARK: - OpenAI costs

    /// A row of `GET /v1/organization/costs`. `api_key_id`, `quantity` and `quantity_unit` are
    /// always null; `projectID` and `lineItem` are nil when not grouped by.
    public struct OpenAICostRow: Sendable, Equatable {
        /// A `group_by` value of the costs API (`api_key_id` is accepted and stays null).
        public enum Dimension: String, Sendable, CaseIterable {
            case projectID = "project_id", lineItem = "line_item", apiKeyID = "api_key_id"
        }

        /// Bucket start and end (one UTC day), microseconds since 1970.
        public var start: Int64
        public var end: Int64
        public var projectID: String?
        /// e.g. `gpt-4o-2024-08-06, input`.
        public var lineItem: String?
        /// The amount in units of 1e-10 USD, exact.
        public var amountUnits: Int64
        /// `amount.value` exactly as written in the JSON, e.g. `0.0312345678`.
        public var amountLiteral: String { MockCatalog.decimalLiteral(amountUnits, scale: 10) }
    }

    /// The rows of day `index` (every dimension set). Complexity: O(rows per day).
    public func openAICostRows(onDay index: Int) -> [OpenAICostRow] {
        precondition(index >= 0 && index < days, "day \(index) is outside 0..<\(days)")
        let offset = bucketOffset(streams.openAICost, index, MockCatalog.openAICostCombinations)
        return (0..<openAICostRowsPerDay).map { openAICostRaw(day: index, result: $0, offset: offset).row }
    }

    /// Rows per day of the OpenAI costs source: `min(resultsPerBucket, 144)`.
    public var openAICostRowsPerDay: Int { min(resultsPerBucket, MockCatalog.openAICostCombinations) }

    /// What `GET /v1/organization/costs` returns over `[from, to)` (day starts, µs; nil means
    /// the dataset's bounds), all pages joined. Complexity: O(rows in the window).
    public func openAICosts(from: Int64? = nil, to: Int64? = nil,
                            groupBy: Set<OpenAICostRow.Dimension> = []) -> [Bucket<OpenAICostRow>] {
        dayWindow(from: from, to: to).map { openAICostBucket($0, groupBy: groupBy) }
    }

    func openAICostRaw(day d: Int, result r: Int, offset: Int) -> (combo: Int, row: OpenAICostRow) {
        let c = MockCatalog.combination(offset: offset, result: r, count: MockCatalog.openAICostCombinations,
                                        step: MockCatalog.openAICostStep)
        let item = c % MockCatalog.openAILineItems.count, project = c / MockCatalog.openAILineItems.count
        var g = MockCatalog.rowRandom(streams.openAICost, d, r, revisions[d] ?? 0)
        // Amounts from 1e-10 USD to about $100, with every decimal place in use.
        let digits = 8 + Int(g.below(5))
        let amount = g.below(MockCatalog.powersOfTen[digits]) + 1
        let s = dayStart(d)
        return (c, OpenAICostRow(start: s, end: s + Timestamp.microsPerDay, projectID: MockCatalog.openAIProjects[project],
                                 lineItem: MockCatalog.openAILineItems[item], amountUnits: amount))
    }

    func openAICostBucket(_ d: Int, groupBy: Set<OpenAICostRow.Dimension>) -> Bucket<OpenAICostRow> {
        let offset = bucketOffset(streams.openAICost, d, MockCatalog.openAICostCombinations)
        let gP = groupBy.contains(.projectID), gL = groupBy.contains(.lineItem)
        var rows: [OpenAICostRow] = []
        var slot: [Int: Int] = [:]
        for r in 0..<openAICostRowsPerDay {
            var (c, row) = openAICostRaw(day: d, result: r, offset: offset)
            if gP && gL { rows.append(row); continue }
            let items = MockCatalog.openAILineItems.count
            c = (gP ? c / items : 0) * items + (gL ? c % items : 0)
            if let i = slot[c] { rows[i].amountUnits += row.amountUnits; continue }
            if !gP { row.projectID = nil }
            if !gL { row.lineItem = nil }
            slot[c] = rows.count
            rows.append(row)
        }
        let s = dayStart(d)
        return Bucket(start: s, end: s + Timestamp.microsPerDay, results: rows)
    }

    // MARK: - Anthropic usage (messages)

    /// A row of `GET /v1/organizations/usage_report/messages`; dimensions are nil when not
    /// grouped by.
    public struct AnthropicUsageRow: Sendable, Equatable {
        /// A `group_by[]` value of the messages usage report.
        public enum Dimension: String, Sendable, CaseIterable {
            case apiKeyID = "api_key_id", workspaceID = "workspace_id", model
            case serviceTier = "service_tier", contextWindow = "context_window"
        }

        /// Bucket start and end, microseconds since 1970.
        public var start: Int64
        public var end: Int64
        public var uncachedInputTokens: Int64
        /// `cache_creation.ephemeral_1h_input_tokens`.
        public var cacheCreation1hInputTokens: Int64
        /// `cache_creation.ephemeral_5m_input_tokens`.
        public var cacheCreation5mInputTokens: Int64
        public var cacheReadInputTokens: Int64
        public var outputTokens: Int64
        /// `server_tool_use.web_search_requests`.
        public var webSearchRequests: Int64
        public var apiKeyID: String?
        public var workspaceID: String?
        public var model: String?
        public var serviceTier: String?
        /// `0-200k` or `200k-1M`.
        public var contextWindow: String?

        mutating func add(_ o: AnthropicUsageRow) {
            uncachedInputTokens += o.uncachedInputTokens
            cacheCreation1hInputTokens += o.cacheCreation1hInputTokens
            cacheCreation5mInputTokens += o.cacheCreation5mInputTokens
            cacheReadInputTokens += o.cacheReadInputTokens
            outputTokens += o.outputTokens; webSearchRequests += o.webSearchRequests
        }
    }

    /// The rows of native bucket `index` (every dimension set). Complexity: O(``resultsPerBucket``).
    public func anthropicUsageRows(inBucket index: Int) -> [AnthropicUsageRow] {
        precondition(index >= 0 && index < bucketCount, "bucket \(index) is outside 0..<\(bucketCount)")
        let offset = bucketOffset(streams.anthropicUsage, index, MockCatalog.anthropicUsageCombinations)
        let rev = revision(ofBucket: index)
        return (0..<resultsPerBucket).map { anthropicUsageRaw(bucket: index, result: $0, offset: offset, revision: rev).row }
    }

    /// What `GET /v1/organizations/usage_report/messages` returns over `[from, to)` (bucket
    /// starts, µs; nil means the dataset's bounds), all pages joined.
    /// Complexity: O(rows in the window).
    public func anthropicUsage(from: Int64? = nil, to: Int64? = nil, bucketWidth: BucketWidth = .day,
                               groupBy: Set<AnthropicUsageRow.Dimension> = []) -> [Bucket<AnthropicUsageRow>] {
        precondition(bucketWidth.micros >= nativeBucketWidth.micros, "bucket width \(bucketWidth.rawValue) is finer than the dataset's")
        return usageWindow(from: from, to: to, width: bucketWidth).map { anthropicUsageBucket($0, width: bucketWidth, groupBy: groupBy) }
    }

    func anthropicUsageRaw(bucket b: Int, result r: Int, offset: Int, revision: UInt64) -> (combo: Int, row: AnthropicUsageRow) {
        let c = MockCatalog.combination(offset: offset, result: r, count: MockCatalog.anthropicUsageCombinations,
                                        step: MockCatalog.anthropicUsageStep)
        // c = ((((workspace·4 + key)·6 + model)·3 + tier)·2 + context)
        let ctx = c % 2, tier = (c / 2) % 3, model = (c / 6) % 6, key = (c / 36) % 4, ws = c / 144
        var g = MockCatalog.rowRandom(streams.anthropicUsage, b, r, revision)
        let scale = 1 + g.below(300)
        let row = AnthropicUsageRow(
            start: bucketStart(b), end: bucketStart(b) + nativeBucketWidth.micros,
            uncachedInputTokens: scale * (20 + g.below(3000)),
            cacheCreation1hInputTokens: g.below(3) == 0 ? scale * g.below(2000) : 0,
            cacheCreation5mInputTokens: g.below(2) == 0 ? scale * g.below(2000) : 0,
            cacheReadInputTokens: scale * g.below(5000),
            outputTokens: scale * (5 + g.below(1500)),
            webSearchRequests: g.below(10) == 0 ? g.below(50) : 0,
            apiKeyID: MockCatalog.anthropicKeys[ws][key], workspaceID: MockCatalog.anthropicWorkspaces[ws],
            model: MockCatalog.anthropicModels[model].id, serviceTier: MockCatalog.anthropicUsageTiers[tier],
            contextWindow: MockCatalog.contextWindows[ctx])
        return (c, row)
    }

    func anthropicUsageBucket(_ j: Int, width: BucketWidth, groupBy: Set<AnthropicUsageRow.Dimension>) -> Bucket<AnthropicUsageRow> {
        let per = Int(width.micros / nativeBucketWidth.micros)
        let bStart = start + Int64(j) * width.micros
        let fast = per == 1 && groupBy.count == AnthropicUsageRow.Dimension.allCases.count
        let gK = groupBy.contains(.apiKeyID), gW = groupBy.contains(.workspaceID), gM = groupBy.contains(.model)
        let gT = groupBy.contains(.serviceTier), gC = groupBy.contains(.contextWindow)
        var rows: [AnthropicUsageRow] = []
        rows.reserveCapacity(fast ? resultsPerBucket : 8)
        var slot: [Int: Int] = [:]
        for b in (j * per)..<((j + 1) * per) {
            let offset = bucketOffset(streams.anthropicUsage, b, MockCatalog.anthropicUsageCombinations)
            let rev = revision(ofBucket: b)
            for r in 0..<resultsPerBucket {
                var (c, row) = anthropicUsageRaw(bucket: b, result: r, offset: offset, revision: rev)
                if fast { rows.append(row); continue }
                let ctx = c % 2, tier = (c / 2) % 3, model = (c / 6) % 6, key = (c / 36) % 4, ws = c / 144
                c = ((((gW || gK ? ws : 0) * 4 + (gK ? key : 0)) * 6 + (gM ? model : 0)) * 3 + (gT ? tier : 0)) * 2 + (gC ? ctx : 0)
                if let i = slot[c] { rows[i].add(row); continue }
                row.start = bStart; row.end = bStart + width.micros
                if !gK { row.apiKeyID = nil }
                if !gW { row.workspaceID = nil }
                if !gM { row.model = nil }
                if !gT { row.serviceTier = nil }
                if !gC { row.contextWindow = nil }
                slot[c] = rows.count
                rows.append(row)
            }
        }
        return Bucket(start: bStart, end: bStart + width.micros, results: rows)
    }

    // MARK: - Anthropic costs

    /// A row of `GET /v1/organizations/cost_report`. Grouping by `description` sets
    /// `description`, `model`, `costType`, `contextWindow`, `serviceTier` and `tokenType`
    /// together (the description names all of them); without it they are all nil.
    public struct AnthropicCostRow: Sendable, Equatable {
        /// A `group_by[]` value of the cost report.
        public enum Dimension: String, Sendable, CaseIterable {
            case workspaceID = "workspace_id", description
        }

        /// Bucket start and end (one UTC day), microseconds since 1970.
        public var start: Int64
        public var end: Int64
        public var workspaceID: String?
        /// e.g. `Claude Sonnet 4 Usage - Input Tokens, Batch`.
        public var description: String?
        /// Always `tokens` when grouped by description.
        public var costType: String?
        public var contextWindow: String?
        public var model: String?
        public var serviceTier: String?
        /// e.g. `uncached_input_tokens`, `cache_creation.ephemeral_5m_input_tokens`.
        public var tokenType: String?
        /// The amount in units of 1e-5 cents, exact.
        public var amountUnits: Int64
        /// `amount` exactly as written in the JSON string: a decimal number of CENTS, e.g. `123.78912`.
        public var amountCentsLiteral: String { MockCatalog.decimalLiteral(amountUnits, scale: 5) }
    }

    /// Rows per day of the Anthropic costs source: `min(resultsPerBucket, 600)`.
    public var anthropicCostRowsPerDay: Int { min(resultsPerBucket, MockCatalog.anthropicCostCombinations) }

    /// The rows of day `index` (every dimension set). Complexity: O(rows per day).
    public func anthropicCostRows(onDay index: Int) -> [AnthropicCostRow] {
        precondition(index >= 0 && index < days, "day \(index) is outside 0..<\(days)")
        let offset = bucketOffset(streams.anthropicCost, index, MockCatalog.anthropicCostCombinations)
        return (0..<anthropicCostRowsPerDay).map { anthropicCostRaw(day: index, result: $0, offset: offset).row }
    }

    /// What `GET /v1/organizations/cost_report` returns over `[from, to)` (day starts, µs; nil
    /// means the dataset's bounds), all pages joined. Complexity: O(rows in the window).
    public func anthropicCosts(from: Int64? = nil, to: Int64? = nil,
                               groupBy: Set<AnthropicCostRow.Dimension> = []) -> [Bucket<AnthropicCostRow>] {
        dayWindow(from: from, to: to).map { anthropicCostBucket($0, groupBy: groupBy) }
    }

    func anthropicCostRaw(day d: Int, result r: Int, offset: Int) -> (combo: Int, row: AnthropicCostRow) {
        let c = MockCatalog.combination(offset: offset, result: r, count: MockCatalog.anthropicCostCombinations,
                                        step: MockCatalog.anthropicCostStep)
        // c = workspace·120 + line, line = ((model·5 + tokenType)·2 + tier)·2 + context
        let line = c % 120, ws = c / 120
        let ctx = line % 2, tier = (line / 2) % 2, token = (line / 4) % 5, model = line / 20
        var g = MockCatalog.rowRandom(streams.anthropicCost, d, r, revisions[d] ?? 0)
        // From 0.00001 cents to about $1,000 (100,000 cents).
        let digits = 5 + Int(g.below(6))
        let amount = g.below(MockCatalog.powersOfTen[digits]) + 1
        let s = dayStart(d)
        return (c, AnthropicCostRow(
            start: s, end: s + Timestamp.microsPerDay, workspaceID: MockCatalog.anthropicWorkspaces[ws],
            description: MockCatalog.anthropicCostDescriptions[line], costType: "tokens",
            contextWindow: MockCatalog.contextWindows[ctx], model: MockCatalog.anthropicModels[model].id,
            serviceTier: MockCatalog.anthropicCostTiers[tier], tokenType: MockCatalog.anthropicTokenTypes[token].type,
            amountUnits: amount))
    }

    func anthropicCostBucket(_ d: Int, groupBy: Set<AnthropicCostRow.Dimension>) -> Bucket<AnthropicCostRow> {
        let offset = bucketOffset(streams.anthropicCost, d, MockCatalog.anthropicCostCombinations)
        let gW = groupBy.contains(.workspaceID), gD = groupBy.contains(.description)
        var rows: [AnthropicCostRow] = []
        var slot: [Int: Int] = [:]
        for r in 0..<anthropicCostRowsPerDay {
            var (c, row) = anthropicCostRaw(day: d, result: r, offset: offset)
            if gW && gD { rows.append(row); continue }
            c = (gW ? c / 120 : 0) * 120 + (gD ? c % 120 : 0)
            if let i = slot[c] { rows[i].amountUnits += row.amountUnits; continue }
            if !gW { row.workspaceID = nil }
            if !gD {
                row.description = nil; row.costType = nil; row.contextWindow = nil
                row.model = nil; row.serviceTier = nil; row.tokenType = nil
            }
            slot[c] = rows.count
            rows.append(row)
        }
        let s = dayStart(d)
        return Bucket(start: s, end: s + Timestamp.microsPerDay, results: rows)
    }

    // MARK: - GitHub billing usage

    /// An item of `GET /organizations/{org}/settings/billing/usage`. Copilot items have no
    /// repository (the key is left out of the JSON).
    public struct GitHubUsageItem: Sendable, Equatable {
        /// The day, microseconds since 1970.
        public var day: Int64
        /// `2024-05-03`.
        public var date: String
        public var product: String
        public var sku: String
        public var quantity: Int64
        public var unitType: String
        /// Amounts in units of 1e-8 USD, exact; `netAmountUnits = grossAmountUnits − discountAmountUnits`.
        public var pricePerUnitUnits: Int64
        public var grossAmountUnits: Int64
        public var discountAmountUnits: Int64
        public var netAmountUnits: Int64
        public var organizationName: String
        /// `owner/name`, nil for Copilot seats.
        public var repositoryName: String?

        /// The JSON literals of the amounts, e.g. `0.008`, `0.8`, `0`.
        public var pricePerUnitLiteral: String { MockCatalog.decimalLiteral(pricePerUnitUnits, scale: 8) }
        public var grossAmountLiteral: String { MockCatalog.decimalLiteral(grossAmountUnits, scale: 8) }
        public var discountAmountLiteral: String { MockCatalog.decimalLiteral(discountAmountUnits, scale: 8) }
        public var netAmountLiteral: String { MockCatalog.decimalLiteral(netAmountUnits, scale: 8) }
    }

    /// Items per day of the GitHub source: `min(resultsPerBucket, 81)`.
    public var gitHubItemsPerDay: Int { min(resultsPerBucket, MockCatalog.gitHubCombinations) }

    /// The items of day `index`. Complexity: O(items per day).
    public func gitHubUsageItems(onDay index: Int) -> [GitHubUsageItem] {
        precondition(index >= 0 && index < days, "day \(index) is outside 0..<\(days)")
        let offset = bucketOffset(streams.gitHub, index, MockCatalog.gitHubCombinations)
        let date = Timestamp.formatDate(dayStart(index))
        return (0..<gitHubItemsPerDay).map { r in
            let c = MockCatalog.combination(offset: offset, result: r, count: MockCatalog.gitHubCombinations,
                                            step: MockCatalog.gitHubStep)
            var g = MockCatalog.rowRandom(streams.gitHub, index, r, revisions[index] ?? 0)
            let copilot = c == MockCatalog.gitHubCombinations - 1
            let sku = copilot ? MockCatalog.gitHubCopilot : MockCatalog.gitHubSKUs[c % MockCatalog.gitHubSKUs.count]
            let quantity = 1 + g.below(UInt64(sku.maxQuantity))
            let gross = quantity * sku.priceUnits
            let discount: Int64
            switch g.below(4) {
            case 1: discount = gross                 // inside the included allowance
            case 2: discount = gross / 2
            default: discount = 0
            }
            return GitHubUsageItem(
                day: dayStart(index), date: date, product: sku.product, sku: sku.sku, quantity: quantity,
                unitType: sku.unitType, pricePerUnitUnits: sku.priceUnits, grossAmountUnits: gross,
                discountAmountUnits: discount, netAmountUnits: gross - discount, organizationName: organization,
                repositoryName: copilot ? nil : organization + "/" + MockCatalog.gitHubRepos[c / MockCatalog.gitHubSKUs.count])
        }
    }

    /// What `GET /organizations/{org}/settings/billing/usage?year=&month=&day=` returns: the
    /// dataset's items in that year (and month, and day, when given), by date then item.
    public func gitHubUsageItems(year: Int, month: Int? = nil, day: Int? = nil) -> [GitHubUsageItem] {
        var items: [GitHubUsageItem] = []
        for d in 0..<days {
            let civil = Timestamp.civilFromDays(Int(dayStart(d) / Timestamp.microsPerDay))
            guard civil.year == year, month.map({ $0 == civil.month }) ?? true, day.map({ $0 == civil.day }) ?? true
            else { continue }
            items += gitHubUsageItems(onDay: d)
        }
        return items
    }

    // MARK: - Windows and random streams

    struct Streams: Sendable {
        let openAIUsage, openAICost, anthropicUsage, anthropicCost, gitHub: UInt64
        init(seed: UInt64) {
            let root = SeededRandom(seed: seed)
            openAIUsage = root.stream("openai.usage.completions").seed
            openAICost = root.stream("openai.costs").seed
            anthropicUsage = root.stream("anthropic.usage.messages").seed
            anthropicCost = root.stream("anthropic.cost_report").seed
            gitHub = root.stream("github.billing.usage").seed
        }
    }

    /// Where a bucket's walk over the dimension combinations starts (independent of revisions,
    /// so a revised day keeps its dimensions).
    func bucketOffset(_ stream: UInt64, _ bucket: Int, _ count: Int) -> Int {
        var g = MockCatalog.rowRandom(stream, bucket, -1, 0)
        return Int(g.below(UInt64(count)))
    }

    func revision(ofBucket b: Int) -> UInt64 {
        revisions.isEmpty ? 0 : revisions[b / bucketsPerDay] ?? 0
    }

    /// Indices of the request buckets of `width` whose start lies in `[from, to)`.
    func usageWindow(from: Int64?, to: Int64?, width: BucketWidth) -> Range<Int> {
        bucketIndices(from: from ?? start, to: to ?? end, width: width.micros, count: Int((end - start) / width.micros))
    }

    /// Indices of the days whose start lies in `[from, to)`.
    func dayWindow(from: Int64?, to: Int64?) -> Range<Int> {
        bucketIndices(from: from ?? start, to: to ?? end, width: Timestamp.microsPerDay, count: days)
    }

    func bucketIndices(from: Int64, to: Int64, width: Int64, count: Int) -> Range<Int> {
        func ceilIndex(_ t: Int64) -> Int {
            if t <= start { return 0 }
            let i = (t - start + width - 1) / width
            return Int(min(i, Int64(count)))
        }
        let lo = ceilIndex(from), hi = ceilIndex(to)
        return lo < hi ? lo..<hi : lo..<lo
    }
}

// MARK: - Names and formatting shared by the pages

/// The fixed vocabularies the synthetic rows draw from, and exact decimal formatting.
enum MockCatalog {
    /// A deterministic identifier such as `proj_Xq3…`, the same in every process.
    static func identifier(_ prefix: String, _ kind: String, _ i: Int, length: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var out = Array(prefix.utf8)
        var round: Int64 = 0
        while out.count < prefix.utf8.count + length {
            var h = StableHash()
            h.combine(kind); h.combine(Int64(i)); h.combine(round)
            var x = UInt64(bitPattern: h.value)
            for _ in 0..<10 where out.count < prefix.utf8.count + length {
                out.append(alphabet[Int(x % 62)]); x /= 62
            }
            round += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let openAIProjects = (0..<6).map { identifier("proj_", "openai.project", $0, length: 24) }
    static let openAIKeys = (0..<6).map { p in (0..<3).map { identifier("key_", "openai.key", p * 3 + $0, length: 16) } }
    static let openAIModels = [
        "gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14",
        "o3-2025-04-16", "o4-mini-2025-04-16", "gpt-5-2025-08-07", "gpt-5-mini-2025-08-07",
    ]
    static let openAITiers = ["default", "flex", "priority"]
    static let openAIUsageCombinations = 6 * 3 * 8 * 2 * 3  // 864
    static let openAIUsageStep = 385                         // coprime with 864
    static let openAILineItems = openAIModels.flatMap { m in ["input", "output", "cached input"].map { "\(m), \($0)" } }
    static let openAICostCombinations = 6 * 24                // 144
    static let openAICostStep = 35                            // coprime with 144

    static let anthropicWorkspaces = (0..<5).map { identifier("wrkspc_01", "anthropic.workspace", $0, length: 22) }
    static let anthropicKeys = (0..<5).map { w in (0..<4).map { identifier("apikey_01", "anthropic.key", w * 4 + $0, length: 22) } }
    static let anthropicModels: [(id: String, name: String)] = [
        ("claude-sonnet-4-20250514", "Claude Sonnet 4"), ("claude-opus-4-1-20250805", "Claude Opus 4.1"),
        ("claude-3-5-haiku-20241022", "Claude Haiku 3.5"), ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5"),
        ("claude-haiku-4-5-20251001", "Claude Haiku 4.5"), ("claude-opus-4-5-20251101", "Claude Opus 4.5"),
    ]
    static let anthropicUsageTiers = ["standard", "batch", "priority"]
    static let anthropicCostTiers = ["standard", "batch"]
    static let contextWindows = ["0-200k", "200k-1M"]
    static let anthropicUsageCombinations = 5 * 4 * 6 * 3 * 2  // 720
    static let anthropicUsageStep = 77                          // coprime with 720
    static let anthropicTokenTypes: [(type: String, label: String)] = [
        ("uncached_input_tokens", "Input Tokens"), ("output_tokens", "Output Tokens"),
        ("cache_read_input_tokens", "Input Tokens, Cache Read"),
        ("cache_creation.ephemeral_1h_input_tokens", "Input Tokens, Cache Write (1h)"),
        ("cache_creation.ephemeral_5m_input_tokens", "Input Tokens, Cache Write (5m)"),
    ]
    /// Indexed by ((model·5 + tokenType)·2 + tier)·2 + context.
    static let anthropicCostDescriptions: [String] = anthropicModels.flatMap { m in
        anthropicTokenTypes.flatMap { t in
            anthropicCostTiers.flatMap { tier in
                contextWindows.map { ctx in
                    "\(m.name) Usage - \(t.label)" + (tier == "batch" ? ", Batch" : "") + (ctx == "200k-1M" ? ", Long Context" : "")
                }
            }
        }
    }
    static let anthropicCostCombinations = 5 * 120              // 600
    static let anthropicCostStep = 77                           // coprime with 600

    struct GitHubSKU: Sendable {
        let product: String, sku: String, unitType: String
        /// 1e-8 USD.
        let priceUnits: Int64
        let maxQuantity: Int
    }
    static let gitHubSKUs = [
        GitHubSKU(product: "Actions", sku: "Actions Linux", unitType: "minutes", priceUnits: 800_000, maxQuantity: 5000),
        GitHubSKU(product: "Actions", sku: "Actions Windows", unitType: "minutes", priceUnits: 1_600_000, maxQuantity: 2000),
        GitHubSKU(product: "Actions", sku: "Actions macOS 3-core", unitType: "minutes", priceUnits: 8_000_000, maxQuantity: 600),
        GitHubSKU(product: "Actions", sku: "Actions Storage", unitType: "GigabyteHours", priceUnits: 33_602, maxQuantity: 20000),
        GitHubSKU(product: "Packages", sku: "Packages data transfer", unitType: "GigaBytes", priceUnits: 50_000_000, maxQuantity: 100),
    ]
    static let gitHubCopilot = GitHubSKU(product: "Copilot", sku: "Copilot Business", unitType: "UserMonths",
                                         priceUnits: 1_900_000_000, maxQuantity: 40)
    static let gitHubRepos = [
        "api", "web", "ingest", "router", "billing", "docs", "infra", "mobile",
        "ml-pipeline", "sdk-swift", "sdk-python", "dashboard", "loadtest", "notebooks", "site", "ops",
    ]
    static let gitHubCombinations = 5 * 16 + 1                  // 81: SKU × repository, plus Copilot
    static let gitHubStep = 10                                  // coprime with 81

    static let powersOfTen: [UInt64] = (0...18).map { p in (0..<p).reduce(UInt64(1)) { acc, _ in acc * 10 } }

    /// Distinct combinations for results 0..<count: a bucket-specific start and a step coprime
    /// with `count`.
    @inline(__always)
    static func combination(offset: Int, result: Int, count: Int, step: Int) -> Int {
        (offset + result % count * step) % count
    }

    @inline(__always)
    static func rowRandom(_ stream: UInt64, _ a: Int, _ b: Int, _ revision: UInt64) -> SeededRandom {
        var h = StableHash(seed: stream)
        h.combine(Int64(a)); h.combine(Int64(b))
        if revision != 0 { h.combine(revision) }
        return SeededRandom(seed: UInt64(bitPattern: h.value))
    }

    /// `units / 10^scale` as a JSON number literal without trailing zeros: `0.0312345678`, `12`.
    static func decimalLiteral(_ units: Int64, scale: Int) -> String {
        var w = MockJSONWriter(capacity: 24)
        w.decimal(units, scale: scale)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

fileprivate extension SeededRandom {
    /// Uniform in 0..<n (modulo bias is far below anything a test could see), as Int64.
    @inline(__always)
    mutating func below(_ n: UInt64) -> Int64 { Int64(next() % n) }
}

// MARK: - Byte-level JSON writing

/// Appends JSON to a byte buffer; numbers are written from integers so every literal is exact.
struct MockJSONWriter {
    var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    @inline(__always)
    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) { bytes.append(b) }

    /// Text that needs no escaping (literals made by this file).
    mutating func verbatim(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func int(_ v: Int64) {
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        digits(v.magnitude, minimumWidth: 1)
    }

    /// Decimal digits of `u`, left-padded with zeros to `minimumWidth`.
    mutating func digits(_ u0: UInt64, minimumWidth: Int) {
        var n = 1
        var t = u0
        while t >= 10 { t /= 10; n += 1 }
        n = max(n, minimumWidth)
        let at = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: n))
        var u = u0
        var i = at + n - 1
        while u > 0 { bytes[i] = UInt8(ascii: "0") + UInt8(u % 10); u /= 10; i -= 1 }
    }

    /// `units / 10^scale` without trailing zeros.
    mutating func decimal(_ units: Int64, scale: Int) {
        if units < 0 { bytes.append(UInt8(ascii: "-")) }
        let m = units.magnitude, p = MockCatalog.powersOfTen[scale]
        digits(m / p, minimumWidth: 1)
        var frac = m % p
        guard frac != 0 else { return }
        var width = scale
        while frac % 10 == 0 { frac /= 10; width -= 1 }
        bytes.append(UInt8(ascii: "."))
        digits(frac, minimumWidth: width)
    }

    mutating func bool(_ b: Bool) { b ? raw("true") : raw("false") }

    /// A JSON string with `"`, `\` and control characters escaped.
    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0..<0x20:
                raw("\\u00")
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(hex[Int(c >> 4)]); bytes.append(hex[Int(c & 15)])
            default: bytes.append(c)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func string(_ s: String?) {
        if let s { string(s) } else { raw("null") }
    }

    /// `"2025-08-01T00:00:00Z"` (whole seconds, UTC).
    mutating func rfc3339(_ micros: Int64) {
        var days = micros / Timestamp.microsPerDay
        var rest = micros % Timestamp.microsPerDay
        if rest < 0 { rest += Timestamp.microsPerDay; days -= 1 }
        let (y, m, d) = Timestamp.civilFromDays(Int(days))
        let secs = UInt64(rest / Timestamp.microsPerSecond)
        bytes.append(UInt8(ascii: "\""))
        digits(UInt64(y), minimumWidth: 4); bytes.append(UInt8(ascii: "-"))
        digits(UInt64(m), minimumWidth: 2); bytes.append(UInt8(ascii: "-"))
        digits(UInt64(d), minimumWidth: 2); bytes.append(UInt8(ascii: "T"))
        digits(secs / 3600, minimumWidth: 2); bytes.append(UInt8(ascii: ":"))
        digits(secs / 60 % 60, minimumWidth: 2); bytes.append(UInt8(ascii: ":"))
        digits(secs % 60, minimumWidth: 2)
        raw("Z\"")
    }
}

// MARK: - Answering requests

/// The provider a path belongs to, which decides the shape of error bodies and whether
/// GitHub's rate-limit headers are sent.
enum MockProvider: Sendable {
    case openAI, anthropic, gitHub, other

    init(path: String) {
        if path.hasPrefix("/v1/organization/") { self = .openAI }
        else if path.hasPrefix("/v1/organizations/") { self = .anthropic }
        else if path.hasPrefix("/organizations/") { self = .gitHub }
        else { self = .other }
    }
}

/// A status and JSON body decided by the pages.
struct MockPageResponse {
    var status: Int
    var body: [UInt8]
}

/// A request the pages refuse, answered with `status` and the provider's error JSON.
struct MockPageError: Error {
    var status = 400
    var message: String
}

/// Query items in order, with the lookups the routes need.
struct MockQuery {
    let items: [(name: String, value: String)]

    func first(_ name: String) -> String? { items.first { $0.name == name }?.value }

    func integer(_ name: String, in range: ClosedRange<Int64>) throws(MockPageError) -> Int64? {
        guard let text = first(name) else { return nil }
        guard let v = Int64(text), range.contains(v) else {
            throw MockPageError(message: "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return v
    }

    /// Unix seconds (years 1970…9999) as microseconds.
    func unixSeconds(_ name: String) throws(MockPageError) -> Int64? {
        try integer(name, in: 0...253_402_300_799).map { $0 * Timestamp.microsPerSecond }
    }

    /// An RFC 3339 instant as microseconds.
    func rfc3339(_ name: String) throws(MockPageError) -> Int64? {
        guard let text = first(name) else { return nil }
        guard text.count > 10, let v = Timestamp.parse(text) else {
            throw MockPageError(message: "\(name) must be an RFC 3339 date-time such as 2025-08-01T00:00:00Z, got '\(text)'")
        }
        return v
    }

    func limit(default value: Int, max: Int, context: String) throws(MockPageError) -> Int {
        guard let text = first("limit") else { return value }
        guard let v = Int(text), (1...max).contains(v) else {
            throw MockPageError(message: "limit must be between 1 and \(max) for \(context), got '\(text)'")
        }
        return v
    }

    func dimensions<D: RawRepresentable & CaseIterable & Hashable>(_: D.Type, names: Set<String>) throws(MockPageError) -> Set<D>
    where D.RawValue == String {
        var out: Set<D> = []
        for item in items where names.contains(item.name) {
            guard let d = D(rawValue: item.value) else {
                let allowed = D.allCases.map(\.rawValue).joined(separator: ", ")
                throw MockPageError(message: "\(item.name) value '\(item.value)' is not one of \(allowed)")
            }
            out.insert(d)
        }
        return out
    }
}

extension MockProviderPages {
    /// The answer to an un-faulted request: a page, or a provider-shaped error (400 for bad
    /// parameters, 404 for unknown paths and organizations, 405 for methods other than GET).
    func respond(method: String, path: String, query: [(name: String, value: String)]) -> MockPageResponse {
        let q = MockQuery(items: query)
        do throws(MockPageError) {
            guard method == "GET" else { throw MockPageError(status: 405, message: "method \(method) is not allowed; use GET") }
            switch path {
            case "/v1/organization/usage/completions": return MockPageResponse(status: 200, body: try openAIUsagePage(q))
            case "/v1/organization/costs": return MockPageResponse(status: 200, body: try openAICostPage(q))
            case "/v1/organizations/usage_report/messages": return MockPageResponse(status: 200, body: try anthropicUsagePage(q))
            case "/v1/organizations/cost_report": return MockPageResponse(status: 200, body: try anthropicCostPage(q))
            default:
                let parts = path.split(separator: "/", omittingEmptySubsequences: false)
                if parts.count == 6, parts[1] == "organizations", parts[3] == "settings", parts[4] == "billing", parts[5] == "usage" {
                    return MockPageResponse(status: 200, body: try gitHubUsagePage(organization: String(parts[2]), q))
                }
                throw MockPageError(status: 404, message: "no route for \(path)")
            }
        } catch {
            return MockPageResponse(status: error.status,
                                body: Self.errorBody(for: MockProvider(path: path), status: error.status, message: error.message))
        }
    }

    /// The provider's error JSON: OpenAI `{"error":{…}}`, Anthropic `{"type":"error","error":{…}}`,
    /// GitHub `{"message":…,"documentation_url":…,"status":…}`.
    static func errorBody(for provider: MockProvider, status: Int, message: String) -> [UInt8] {
        var w = MockJSONWriter(capacity: 256)
        switch provider {
        case .openAI:
            let (type, code): (String, String?) = switch status {
            case 401: ("invalid_request_error", "invalid_api_key")
            case 429: ("requests", "rate_limit_exceeded")
            case 500...: ("server_error", nil)
            default: ("invalid_request_error", nil)
            }
            w.raw(#"{"error":{"message":"#); w.string(message)
            w.raw(#","type":"#); w.string(type)
            w.raw(#","param":null,"code":"#); w.string(code); w.raw("}}")
        case .anthropic:
            let type = switch status {
            case 401: "authentication_error"
            case 403: "permission_error"
            case 404: "not_found_error"
            case 413: "request_too_large"
            case 429: "rate_limit_error"
            case 529: "overloaded_error"
            case 500...: "api_error"
            default: "invalid_request_error"
            }
            w.raw(#"{"type":"error","error":{"type":"#); w.string(type)
            w.raw(#","message":"#); w.string(message); w.raw("}}")
        case .gitHub:
            w.raw(#"{"message":"#); w.string(message)
            w.raw(#","documentation_url":"https://docs.github.com/rest/billing/enhanced-billing#get-billing-usage-report-for-an-organization","status":""#)
            w.int(Int64(status)); w.raw(#""}"#)
        case .other:
            w.raw(#"{"error":"#); w.string(message); w.raw("}")
        }
        return w.bytes
    }

    // MARK: Paging

    /// The request buckets of one page and the index the next page starts at (nil on the last).
    func page(from: Int64, to: Int64, width: Int64, limit: Int, token: String?) throws(MockPageError) -> (range: Range<Int>, next: Int?) {
        let count = Int((end - start) / width)
        let all = bucketIndices(from: from, to: to, width: width, count: count)
        var lo = all.lowerBound
        if let token {
            guard token.hasPrefix("page_"), let data = Data(base64Encoded: String(token.dropFirst(5))),
                  let seconds = Int64(String(decoding: data, as: UTF8.self)),
                  (0...253_402_300_799).contains(seconds),
                  seconds * Timestamp.microsPerSecond >= start,
                  (seconds * Timestamp.microsPerSecond - start) % width == 0,
                  (seconds * Timestamp.microsPerSecond - start) / width <= Int64(count)
            else { throw MockPageError(message: "page '\(token)' is not a next_page token of this endpoint") }
            lo = max(lo, Int((seconds * Timestamp.microsPerSecond - start) / width))
        }
        lo = min(lo, all.upperBound)
        let hi = min(all.upperBound, lo + limit)
        return (lo..<hi, hi < all.upperBound ? hi : nil)
    }

    /// An opaque `next_page` value: `page_` and the base64 of the next bucket's Unix seconds.
    func pageToken(bucket index: Int, width: Int64) -> String {
        let seconds = (start + Int64(index) * width) / Timestamp.microsPerSecond
        return "page_" + Data(String(seconds).utf8).base64EncodedString()
    }

    func usageWidth(_ q: MockQuery) throws(MockPageError) -> BucketWidth {
        let text = q.first("bucket_width") ?? "1d"
        guard let width = BucketWidth(rawValue: text) else {
            throw MockPageError(message: "bucket_width must be 1m, 1h or 1d, got '\(text)'")
        }
        guard width.micros >= nativeBucketWidth.micros else {
            throw MockPageError(message: "bucket_width=\(text) is finer than this mock dataset's \(nativeBucketWidth.rawValue) buckets")
        }
        return width
    }

    func dailyOnly(_ q: MockQuery) throws(MockPageError) {
        if let text = q.first("bucket_width"), text != "1d" {
            throw MockPageError(message: "bucket_width must be 1d for costs, got '\(text)'")
        }
    }

    static func writeTail(_ w: inout MockJSONWriter, token: String?) {
        w.raw(#"],"has_more":"#); w.bool(token != nil)
        w.raw(#","next_page":"#); w.string(token); w.raw("}")
    }

    // MARK: OpenAI

    func openAIUsagePage(_ q: MockQuery) throws(MockPageError) -> [UInt8] {
        guard let from = try q.unixSeconds("start_time") else {
            throw MockPageError(message: "start_time is required (Unix seconds)")
        }
        let to = try q.unixSeconds("end_time") ?? end
        let width = try usageWidth(q)
        let limit = try q.limit(default: width.defaultLimit, max: width.maxLimit, context: "bucket_width=\(width.rawValue)")
        let groupBy = try q.dimensions(OpenAIUsageRow.Dimension.self, names: ["group_by", "group_by[]"])
        let (range, next) = try page(from: from, to: to, width: width.micros, limit: limit, token: q.first("page"))
        let rowsPerBucket = groupBy.isEmpty ? 1 : resultsPerBucket
        var w = MockJSONWriter(capacity: 96 + range.count * (80 + rowsPerBucket * 500))
        w.raw(#"{"object":"page","data":["#)
        for j in range {
            if j != range.lowerBound { w.byte(UInt8(ascii: ",")) }
            let bucket = openAIUsageBucket(j, width: width, groupBy: groupBy)
            w.raw(#"{"object":"bucket","start_time":"#); w.int(bucket.start / Timestamp.microsPerSecond)
            w.raw(#","end_time":"#); w.int(bucket.end / Timestamp.microsPerSecond)
            w.raw(#","results":["#)
            for (i, row) in bucket.results.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.raw(#"{"object":"organization.usage.completions.result","input_tokens":"#); w.int(row.inputTokens)
                w.raw(#","input_cached_tokens":"#); w.int(row.cachedInputTokens)
                w.raw(#","output_tokens":"#); w.int(row.outputTokens)
                w.raw(#","input_audio_tokens":"#); w.int(row.audioInputTokens)
                w.raw(#","output_audio_tokens":"#); w.int(row.audioOutputTokens)
                w.raw(#","input_image_tokens":"#); w.int(row.imageInputTokens)
                w.raw(#","output_image_tokens":"#); w.int(row.imageOutputTokens)
                w.raw(#","num_model_requests":"#); w.int(row.requests)
                w.raw(#","project_id":"#); w.string(row.projectID)
                w.raw(#","user_id":null,"api_key_id":"#); w.string(row.apiKeyID)
                w.raw(#","model":"#); w.string(row.model)
                w.raw(#","batch":"#); if let b = row.batch { w.bool(b) } else { w.raw("null") }
                w.raw(#","service_tier":"#); w.string(row.serviceTier)
                w.byte(UInt8(ascii: "}"))
            }
            w.raw("]}")
        }
        Self.writeTail(&w, token: next.map { pageToken(bucket: $0, width: width.micros) })
        return w.bytes
    }

    func openAICostPage(_ q: MockQuery) throws(MockPageError) -> [UInt8] {
        guard let from = try q.unixSeconds("start_time") else {
            throw MockPageError(message: "start_time is required (Unix seconds)")
        }
        let to = try q.unixSeconds("end_time") ?? end
        try dailyOnly(q)
        let limit = try q.limit(default: 7, max: 180, context: "costs")
        let groupBy = try q.dimensions(OpenAICostRow.Dimension.self, names: ["group_by", "group_by[]"])
        let (range, next) = try page(from: from, to: to, width: Timestamp.microsPerDay, limit: limit, token: q.first("page"))
        var w = MockJSONWriter(capacity: 96 + range.count * (80 + openAICostRowsPerDay * 260))
        w.raw(#"{"object":"page","data":["#)
        for d in range {
            if d != range.lowerBound { w.byte(UInt8(ascii: ",")) }
            let bucket = openAICostBucket(d, groupBy: groupBy)
            w.raw(#"{"object":"bucket","start_time":"#); w.int(bucket.start / Timestamp.microsPerSecond)
            w.raw(#","end_time":"#); w.int(bucket.end / Timestamp.microsPerSecond)
            w.raw(#","results":["#)
            for (i, row) in bucket.results.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.raw(#"{"object":"organization.costs.result","amount":{"value":"#); w.decimal(row.amountUnits, scale: 10)
                w.raw(#","currency":"usd"},"line_item":"#); w.string(row.lineItem)
                w.raw(#","project_id":"#); w.string(row.projectID)
                w.raw(#","api_key_id":null,"quantity":null,"quantity_unit":null}"#)
            }
            w.raw("]}")
        }
        Self.writeTail(&w, token: next.map { pageToken(bucket: $0, width: Timestamp.microsPerDay) })
        return w.bytes
    }

    // MARK: Anthropic

    func anthropicUsagePage(_ q: MockQuery) throws(MockPageError) -> [UInt8] {
        guard let from = try q.rfc3339("starting_at") else {
            throw MockPageError(message: "starting_at is required (RFC 3339)")
        }
        let to = try q.rfc3339("ending_at") ?? end
        let width = try usageWidth(q)
        let limit = try q.limit(default: width.defaultLimit, max: width.maxLimit, context: "bucket_width=\(width.rawValue)")
        let groupBy = try q.dimensions(AnthropicUsageRow.Dimension.self, names: ["group_by[]"])
        let (range, next) = try page(from: from, to: to, width: width.micros, limit: limit, token: q.first("page"))
        let rowsPerBucket = groupBy.isEmpty ? 1 : resultsPerBucket
        var w = MockJSONWriter(capacity: 64 + range.count * (80 + rowsPerBucket * 520))
        w.raw(#"{"data":["#)
        for j in range {
            if j != range.lowerBound { w.byte(UInt8(ascii: ",")) }
            let bucket = anthropicUsageBucket(j, width: width, groupBy: groupBy)
            w.raw(#"{"starting_at":"#); w.rfc3339(bucket.start)
            w.raw(#","ending_at":"#); w.rfc3339(bucket.end)
            w.raw(#","results":["#)
            for (i, row) in bucket.results.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.raw(#"{"uncached_input_tokens":"#); w.int(row.uncachedInputTokens)
                w.raw(#","cache_creation":{"ephemeral_1h_input_tokens":"#); w.int(row.cacheCreation1hInputTokens)
                w.raw(#","ephemeral_5m_input_tokens":"#); w.int(row.cacheCreation5mInputTokens)
                w.raw(#"},"cache_read_input_tokens":"#); w.int(row.cacheReadInputTokens)
                w.raw(#","output_tokens":"#); w.int(row.outputTokens)
                w.raw(#","server_tool_use":{"web_search_requests":"#); w.int(row.webSearchRequests)
                w.raw(#"},"api_key_id":"#); w.string(row.apiKeyID)
                w.raw(#","workspace_id":"#); w.string(row.workspaceID)
                w.raw(#","model":"#); w.string(row.model)
                w.raw(#","service_tier":"#); w.string(row.serviceTier)
                w.raw(#","context_window":"#); w.string(row.contextWindow)
                w.byte(UInt8(ascii: "}"))
            }
            w.raw("]}")
        }
        Self.writeTail(&w, token: next.map { pageToken(bucket: $0, width: width.micros) })
        return w.bytes
    }

    func anthropicCostPage(_ q: MockQuery) throws(MockPageError) -> [UInt8] {
        guard let from = try q.rfc3339("starting_at") else {
            throw MockPageError(message: "starting_at is required (RFC 3339)")
        }
        let to = try q.rfc3339("ending_at") ?? end
        try dailyOnly(q)
        let limit = try q.limit(default: 7, max: 31, context: "the cost report")
        let groupBy = try q.dimensions(AnthropicCostRow.Dimension.self, names: ["group_by[]"])
        let (range, next) = try page(from: from, to: to, width: Timestamp.microsPerDay, limit: limit, token: q.first("page"))
        var w = MockJSONWriter(capacity: 64 + range.count * (80 + anthropicCostRowsPerDay * 330))
        w.raw(#"{"data":["#)
        for d in range {
            if d != range.lowerBound { w.byte(UInt8(ascii: ",")) }
            let bucket = anthropicCostBucket(d, groupBy: groupBy)
            w.raw(#"{"starting_at":"#); w.rfc3339(bucket.start)
            w.raw(#","ending_at":"#); w.rfc3339(bucket.end)
            w.raw(#","results":["#)
            for (i, row) in bucket.results.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.raw(#"{"currency":"USD","amount":""#); w.decimal(row.amountUnits, scale: 5)
                w.raw(#"","workspace_id":"#); w.string(row.workspaceID)
                w.raw(#","description":"#); w.string(row.description)
                w.raw(#","cost_type":"#); w.string(row.costType)
                w.raw(#","context_window":"#); w.string(row.contextWindow)
                w.raw(#","model":"#); w.string(row.model)
                w.raw(#","service_tier":"#); w.string(row.serviceTier)
                w.raw(#","token_type":"#); w.string(row.tokenType)
                w.byte(UInt8(ascii: "}"))
            }
            w.raw("]}")
        }
        Self.writeTail(&w, token: next.map { pageToken(bucket: $0, width: Timestamp.microsPerDay) })
        return w.bytes
    }

    // MARK: GitHub

    func gitHubUsagePage(organization org: String, _ q: MockQuery) throws(MockPageError) -> [UInt8] {
        guard org.lowercased() == organization.lowercased() else {
            throw MockPageError(status: 404, message: "Not Found")
        }
        let year = try q.integer("year", in: 1970...9999)
            ?? Int64(Timestamp.civilFromDays(Int(Timestamp.now() / Timestamp.microsPerDay)).year)
        let month = try q.integer("month", in: 1...12)
        let day = try q.integer("day", in: 1...31)
        let items = gitHubUsageItems(year: Int(year), month: month.map { Int($0) }, day: day.map { Int($0) })
        var w = MockJSONWriter(capacity: 32 + items.count * 320)
        w.raw(#"{"usageItems":["#)
        for (i, item) in items.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.raw(#"{"date":"#); w.string(item.date)
            w.raw(#","product":"#); w.string(item.product)
            w.raw(#","sku":"#); w.string(item.sku)
            w.raw(#","quantity":"#); w.int(item.quantity)
            w.raw(#","unitType":"#); w.string(item.unitType)
            w.raw(#","pricePerUnit":"#); w.decimal(item.pricePerUnitUnits, scale: 8)
            w.raw(#","grossAmount":"#); w.decimal(item.grossAmountUnits, scale: 8)
            w.raw(#","discountAmount":"#); w.decimal(item.discountAmountUnits, scale: 8)
            w.raw(#","netAmount":"#); w.decimal(item.netAmountUnits, scale: 8)
            w.raw(#","organizationName":"#); w.string(item.organizationName)
            if let repo = item.repositoryName { w.raw(#","repositoryName":"#); w.string(repo) }
            w.byte(UInt8(ascii: "}"))
        }
        w.raw("]}")
        return w.bytes
    }
}
