import Foundation
import MosaicCore
import MosaicStore

/// Settings of one pull.
public struct PullOptions: Sendable {
    /// The organisation or account the data belongs to (part of every row's identity).
    public var account = "default"
    /// Start of the window, µs; nil: the checkpoint, or ``defaultLookbackDays`` before `until`.
    public var since: Int64?
    /// End of the window (exclusive), µs; nil: now.
    public var until: Int64?
    /// The API address; nil: the provider's.
    public var baseURL: URL?
    public var retry = RetryPolicy()
    public var defaultLookbackDays = 30
    /// Safety stop for a server that never says `has_more: false`.
    public var maxPages = 100_000
    public var progress: (@Sendable (PullProgress) -> Void)?

    public init() {}
}

/// How far a pull has got.
public struct PullProgress: Sendable {
    public var pages: Int
    public var rows: Int
}

/// What one pull did.
public struct PullResult: Sendable, Codable, Equatable {
    public var source: String
    public var account: String
    public var since: Int64
    public var until: Int64
    public var pages: Int
    public var requests: Int
    public var rows: Int
    public var inserted: Int
    public var updated: Int
    public var unchanged: Int
    /// The checkpoint after the pull (µs), if any page was committed.
    public var checkpoint: Int64?
    public var secondsWaited: Double
    /// Wall time spent fetching (network and JSON parsing), reading pages into rows, and
    /// storing them (upserts, checkpoint, commit).
    public var secondsFetching: Double
    public var secondsReading: Double
    public var secondsStoring: Double
    public var runID: Int64
}

/// Pages through one API source into the store.
///
/// Each page is committed in its own transaction together with the checkpoint it reaches, so
/// the checkpoint never runs ahead of the rows and a pull killed between pages loses nothing:
/// the next run starts at the checkpoint (the newest committed bucket, fetched again because
/// it may have grown) and upserts, so no row is ever stored twice. A page that fails (after
/// retries) or does not parse commits nothing.
public struct PullJob {
    public let source: any APISource
    public let store: Store
    public let transport: any HTTPTransport
    let sleep: (Double) -> Void
    let now: () -> Double

    public init(source: any APISource, store: Store, transport: any HTTPTransport = NIOHTTPTransport(),
                sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) },
                now: @escaping () -> Double = { Date().timeIntervalSince1970 }) {
        self.source = source
        self.store = store
        self.transport = transport
        self.sleep = sleep
        self.now = now
    }

    /// Pulls with the credential from `environment[source.credentialVariable]`.
    public func run(options: PullOptions, environment: [String: String]) throws(APIError) -> PullResult {
        try run(options: options, credential: try source.credential(in: environment))
    }

    public func run(options: PullOptions, credential: String) throws(APIError) -> PullResult {
        let base = options.baseURL ?? source.defaultBaseURL
        let nowMicros = Int64(now() * 1e6)
        let until = options.until ?? nowMicros
        let previous: Checkpoint?
        do { previous = try store.checkpoint(source: source.name, account: options.account) } catch {
            throw .store(error.description)
        }
        let since = options.since ?? previous.flatMap { Int64($0.cursor) }
            ?? until - Int64(options.defaultLookbackDays) * Timestamp.microsPerDay
        guard since < until else {
            throw .emptyWindow(source: source.name, since: Timestamp.format(since), until: Timestamp.format(until))
        }
        let window = PullWindow(since: since, until: until)
        let fetcher = APIFetcher(source: source.name, transport: transport, policy: options.retry,
                                 headers: source.headers(credential: credential), credentialHint: source.credentialHint,
                                 sleep: sleep, now: now)
        let runID: Int64
        do {
            runID = try store.beginRun(source: "api:\(source.name)",
                                       location: "\(options.account) \(base.host ?? "")\(base.path)")
        } catch { throw .store(error.description) }

        var counts = IngestCounts()
        var pages = 0
        var checkpoint = previous.flatMap { Int64($0.cursor) }
        var token: String?
        var seenTokens = Set<String>()
        var fetching = 0.0, reading = 0.0, storing = 0.0
        func elapsed(since t: DispatchTime) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9 }
        do throws(APIError) {
            let writer: BillingWriter
            do { writer = try BillingWriter(store: store, runID: runID) } catch { throw .store(error.description) }
            repeat {
                if pages >= options.maxPages {
                    throw .shape(source: source.name, path: base.path, reason: "more than \(options.maxPages) pages")
                }
                let url = source.url(base: base, window: window, token: token)
                var t = DispatchTime.now()
                let (json, _) = try fetcher.fetch(url)
                fetching += elapsed(since: t)
                t = DispatchTime.now()
                let page = try source.parse(json, window: window, token: token, account: options.account)
                reading += elapsed(since: t)
                t = DispatchTime.now()
                try commit(page, writer: writer, account: options.account, checkpoint: &checkpoint, counts: &counts, runID: runID)
                storing += elapsed(since: t)
                pages += 1
                options.progress?(PullProgress(pages: pages, rows: counts.read))
                if let next = page.next, !seenTokens.insert(next).inserted {
                    throw .shape(source: source.name, path: url.path, reason: "next_page '\(next)' repeats an earlier page")
                }
                token = page.next
            } while token != nil
        } catch {
            try? store.finishRun(runID, counts: counts, error: error.description)
            throw error
        }
        do { try store.finishRun(runID, counts: counts) } catch { throw .store(error.description) }
        return PullResult(source: source.name, account: options.account, since: since, until: until, pages: pages,
                          requests: fetcher.requestsSent, rows: counts.read, inserted: counts.inserted,
                          updated: counts.updated, unchanged: counts.duplicate, checkpoint: checkpoint,
                          secondsWaited: fetcher.waited, secondsFetching: fetching, secondsReading: reading,
                          secondsStoring: storing, runID: runID)
    }

    /// Stores one page and moves the checkpoint, in one transaction.
    private func commit(_ page: ParsedPage, writer: BillingWriter, account: String, checkpoint: inout Int64?,
                        counts: inout IngestCounts, runID: Int64) throws(APIError) {
        var local = counts
        let newest = [checkpoint, page.newestStart].compactMap { $0 }.max()
        do {
            try store.database.transaction {
                func count(_ o: UpsertOutcome) {
                    local.read += 1
                    switch o {
                    case .inserted: local.inserted += 1
                    case .updated: local.updated += 1
                    case .unchanged: local.duplicate += 1
                    }
                }
                for b in page.buckets { count(try writer.upsert(b)) }
                for l in page.lines { count(try writer.upsert(l)) }
                if let newest {
                    try store.setCheckpoint(source: source.name, account: account, cursor: String(newest), runID: runID)
                }
            }
        } catch {
            throw .store("\(error)")
        }
        counts = local
        checkpoint = newest
    }
}
