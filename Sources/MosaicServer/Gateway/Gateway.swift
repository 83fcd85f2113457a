import AsyncHTTPClient
import Foundation
import Logging
import MosaicCore
import MosaicStore
import NIOCore
import Synchronization

/// The gateway's state: the upstreams from the gateway file (hot-reloaded), the pooled HTTP
/// client that forwards to them, the price table outcomes are costed with, and counters.
///
/// The request handling lives in `RoutingService+Gateway.swift`: it routes with the service's
/// router, so that the gateway and `POST /v1/route` share breakers, rate limits and budgets.
public final class Gateway: Sendable {
    public let path: String
    let catalog: Catalog
    let storePath: String?
    let logger: Logger
    let environment: [String: String]
    let current: Mutex<Loaded>
    let client: HTTPClient
    /// The answer cache, sized by the file at startup; nil when the file has no `cache`.
    let cache: ResponseCache?
    let counters = Mutex(Counters())
    let nextID = Atomic<UInt64>(0)
    let running = Running()
    /// Prefix of the request ids this process gives (`gw-<instance>-<n>`).
    let instance: String

    /// One load of the gateway file, with the prices valid then.
    struct Loaded: Sendable {
        var file: GatewayFile
        var signature: FileSignature?
        var prices: PriceBook
        var generation: Int
        var lastError: String?
    }

    struct Counters: Sendable {
        /// (endpoint, HTTP status) → answers.
        var answers: [Metrics.Pair: Int] = [:]
        /// (provider, status) → upstream attempts.
        var attempts: [Metrics.Pair: Int] = [:]
        /// Attempts after the first of a request, by provider.
        var failovers: [String: Int] = [:]
        var reloads: [Metrics.Pair: Int] = [:]
        var ttft: [String: Histogram] = [:]
        /// Outcome rows by what the writer did with them.
        var rows: [RowResult: Int] = [:]
    }

    /// Loads the file (startup fails when it is invalid) and starts the HTTP client.
    ///
    /// - Parameters:
    ///   - storePath: the store whose price table costs outcomes; nil: outcomes carry no cost.
    ///   - budgets: the routing policy's budgets, which the keys' `budget` must name; nil: not checked.
    public init(path: String, catalog: Catalog, storePath: String?, logger: Logger,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                budgets: GatewayFile.PolicyBudgets? = nil) throws {
        self.path = path
        self.catalog = catalog
        self.storePath = storePath
        self.logger = logger
        self.environment = environment
        let signature = FileSignature(path: path)
        let file = try GatewayFile.load(path: path, catalog: catalog, environment: environment)
        if let budgets { try file.checkBudgets(budgets) }
        let prices = try Self.prices(storePath)
        current = Mutex(Loaded(file: file, signature: signature, prices: prices, generation: 1))
        cache = file.cacheMaxBytes.map { ResponseCache(maxBytes: $0, ttlSeconds: file.cacheTTLSeconds) }
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .nanoseconds(Int64(file.connectTimeoutSeconds * 1e9)))
        // A refused connection is an answer: fail over at once rather than retrying the connect.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.idleTimeout = .seconds(60)
        // Every forwarded request holds a connection for the upstream's whole answer. With the
        // former fixed 64, 4,000 requests/s to an upstream answering in 20 ms (80 in flight)
        // queued without bound (ServeBenchmark --gateway-vs-litellm), and upstreams answering
        // in 5 s would have passed 13 requests/s each.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = file.maxConnections
        configuration.decompression = .disabled
        // No distributed tracing: with the default (NIO's global no-op tracer) every request still
        // opens a span and parses its URL again for the span's attributes, about 5% of the
        // gateway's CPU at 2,000 requests/s.
        configuration.tracing.tracer = nil
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        var g = SystemRandomNumberGenerator()
        instance = String(UInt32.random(in: 0x1000_0000...UInt32.max, using: &g), radix: 16)
        counters.withLock { $0.reloads[Metrics.Pair(a: "startup", b: "success"), default: 0] += 1 }
        logger.info("gateway loaded", metadata: [
            "file": "\(path)",
            "upstreams": "\(file.upstreams.map { "\($0.provider)(\($0.api.rawValue))" }.joined(separator: ","))",
        ])
        Self.warnUnpriced(file, prices, storePath: storePath, logger: logger)
    }

    /// Says which upstream models the store has no price for now: their rows are stored without
    /// a cost and their answers carry no `X-Mosaic-Cost-USD`, which nothing else would show.
    static func warnUnpriced(_ file: GatewayFile, _ prices: PriceBook, storePath: String?, logger: Logger) {
        guard storePath != nil else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let unpriced = file.upstreams.flatMap { u in
            Set(u.models.values).sorted().filter { prices.prices(provider: u.provider, model: $0, at: now) == nil }
                .map { "\(u.provider)/\($0)" }
        }
        guard !unpriced.isEmpty else { return }
        logger.warning("no price in the store for some upstream models: their requests are stored without a cost (mosaic prices import)",
                       metadata: ["models": "\(unpriced.joined(separator: ","))"])
    }

    static func prices(_ storePath: String?) throws -> PriceBook {
        guard let storePath else { return PriceBook() }
        return try Store(path: storePath, readOnly: true).priceBook()
    }

    /// The upstreams and prices in force now.
    var loaded: Loaded { current.withLock { $0 } }

    /// Reads the file and the prices again; a bad file keeps the running one and says why.
    ///
    /// - Parameter budgets: the routing policy's budgets, which the keys' `budget` must name;
    ///   nil: not checked.
    @discardableResult
    public func reload(source: String, budgets: GatewayFile.PolicyBudgets? = nil) -> Result<Int, YAMLError> {
        let signature = FileSignature(path: path)
        let result: Result<Int, YAMLError>
        do {
            let file = try GatewayFile.load(path: path, catalog: catalog, environment: environment)
            if let budgets { try file.checkBudgets(budgets) }
            let prices = (try? Self.prices(storePath)) ?? loaded.prices
            Self.warnUnpriced(file, prices, storePath: storePath, logger: logger)
            result = .success(current.withLock { l in
                l = Loaded(file: file, signature: signature, prices: prices, generation: l.generation + 1)
                return l.generation
            })
        } catch {
            current.withLock {
                $0.signature = signature
                $0.lastError = error.description
            }
            result = .failure(error)
        }
        switch result {
        case .success(let generation):
            counters.withLock { $0.reloads[Metrics.Pair(a: source, b: "success"), default: 0] += 1 }
            logger.notice("gateway reloaded", metadata: ["source": "\(source)", "generation": "\(generation)"])
        case .failure(let error):
            counters.withLock { $0.reloads[Metrics.Pair(a: source, b: "failure"), default: 0] += 1 }
            logger.error("gateway reload failed; the previous upstreams keep serving", metadata: ["reason": "\(error)"])
        }
        return result
    }

    /// Reloads when the file changed since the last load (the file watch).
    func reloadIfChanged(budgets: GatewayFile.PolicyBudgets? = nil) {
        if hasChanged { reload(source: "watch", budgets: budgets) }
    }

    /// Whether the file changed since it was last loaded (or refused).
    var hasChanged: Bool { FileSignature(path: path) != current.withLock({ $0.signature }) }

    /// The file as it is now, when it changed since the last load and reads; nil otherwise. A
    /// policy reload checks its budgets against the keys this file is about to bring in.
    func changedFile() -> GatewayFile? {
        guard hasChanged else { return nil }
        return try? GatewayFile.load(path: path, catalog: catalog, environment: environment)
    }

    public var generation: Int { loaded.generation }
    public var lastReloadError: String? { loaded.lastError }

    /// A new request id.
    func requestID() -> String {
        "gw-" + instance + "-" + String(nextID.wrappingAdd(1, ordering: .relaxed).newValue, radix: 16)
    }

    /// Waits for the requests the direct handler started (``running``), then closes pooled
    /// connections; the requests Hummingbird handled have drained by then.
    public func shutdown() {
        running.waitUntilNone()
        try? client.syncShutdown()
    }

    /// Requests the direct handler (`DirectRoutes.swift`) runs in tasks of their own. The
    /// server's drain waits for an answer only while its client is connected: a client that hung
    /// up leaves its request running unseen, and shutting the HTTP client or the outcome writer
    /// under it would cut its upstream call and lose its outcome rows. Every upstream call has a
    /// deadline, so the wait ends.
    final class Running: @unchecked Sendable {
        private let condition = NSCondition()
        private var count = 0

        func enter() {
            condition.lock()
            count += 1
            condition.unlock()
        }

        func leave() {
            condition.lock()
            count -= 1
            if count == 0 { condition.broadcast() }
            condition.unlock()
        }

        func waitUntilNone() {
            condition.lock()
            while count > 0 { condition.wait() }
            condition.unlock()
        }
    }

    // MARK: - Counters

    func answered(_ endpoint: String, status: Int) {
        counters.withLock { $0.answers[Metrics.Pair(a: endpoint, b: String(status)), default: 0] += 1 }
    }

    func attempted(provider: String, status: RequestStatus, failover: Bool, ttftMs: Double?) {
        counters.withLock { c in
            c.attempts[Metrics.Pair(a: provider, b: status.rawValue), default: 0] += 1
            if failover { c.failovers[provider, default: 0] += 1 }
            if let ttftMs { c.ttft[provider, default: Histogram(bounds: Histogram.provider)].observe(ttftMs / 1000) }
        }
    }

    /// What became of an outcome row handed to the store's writer.
    enum RowResult: String, Sendable, CaseIterable {
        /// In a committed transaction (the answer waited for it).
        case committed
        /// Queued (`outcomeAcknowledgement` `queued`: nobody waited).
        case queued
        /// A cache hit's row, queued for `cache_hits`.
        case cacheHit = "cache_hit"
        /// Refused or failed: queue full, store error, or the writer closing.
        case refused
    }

    func recorded(_ result: RowResult) {
        counters.withLock { $0.rows[result, default: 0] += 1 }
    }

    /// The gateway's Prometheus samples (appended to `/metrics`).
    func metricsText() -> String {
        let c = counters.withLock { $0 }
        var p = PrometheusText()
        p.counters("mosaic_gateway_answers_total", "Gateway answers by endpoint and HTTP status.", labels: ("endpoint", "status"), c.answers)
        p.counters("mosaic_gateway_attempts_total", "Upstream attempts by provider and outcome.", labels: ("provider", "status"), c.attempts)
        p.counters("mosaic_gateway_failovers_total", "Attempts after a request's first (failover before the first byte), by provider.", label: "provider", c.failovers)
        p.histograms("mosaic_gateway_ttft_seconds", "Time to the first streamed token, measured at the gateway.", label: "provider", c.ttft)
        p.header("mosaic_gateway_outcome_rows_total", "counter", "Attempt outcome rows handed to the store writer, by what became of them.")
        for r in RowResult.allCases {
            p.sample("mosaic_gateway_outcome_rows_total", [("result", r.rawValue)], Double(c.rows[r, default: 0]))
        }
        if let cache {
            let k = cache.counts
            p.counters("mosaic_gateway_cache_total", "Answer cache lookups and changes by result.", label: "result",
                       ["hit": k.hits, "miss": k.misses, "bypass": k.bypassed, "stored": k.stored, "evicted": k.evicted])
            p.metric("mosaic_gateway_cache_bytes", "gauge", "Bytes the answer cache holds (keys and answers).", Double(k.bytes))
            p.metric("mosaic_gateway_cache_entries", "gauge", "Answers the cache holds.", Double(k.entries))
        }
        p.counters("mosaic_gateway_reloads_total", "Gateway file loads by source and result.", labels: ("source", "result"), c.reloads)
        p.metric("mosaic_gateway_generation", "gauge", "Successful loads of the gateway file in this process.", Double(loaded.generation))
        return p.out
    }
}
