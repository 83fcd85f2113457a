import MosaicCore
import MosaicRouting

/// A what-if, as data: the traffic, the providers and how they behave, the events (outages,
/// degradations, price changes), and the clients, which route with a ``RoutingPolicy`` — the
/// same code the online router runs.
///
/// Usually read from YAML with ``Scenario/init(yaml:source:catalog:)``, which validates every
/// field and names the file, line and field of any mistake before anything runs. Times inside a
/// scenario are seconds from its start; ``start`` anchors them to the calendar (time-of-day
/// rules, replay windows).
public struct Scenario: Sendable, Equatable {
    /// The most points the per-interval series may have (`duration / series_interval`): a day at
    /// one second is 86,400. Each replication keeps its series in memory.
    public static let maximumSeriesPoints = 100_000

    /// The most arrivals a replication may generate at its peak rate: Poisson traffic's
    /// `rate × the largest profile factor × the bursts' factor × duration` (a load model's
    /// largest forecast rate × scale × duration) must not exceed it. A day at 11,574 requests/s
    /// is 10⁹; beyond that a run would take hours per replication (or never end: at a rate of
    /// 10³⁰⁰/s the clock cannot advance).
    public static let maximumArrivals = 1_000_000_000.0

    /// The most concurrency slots and waiting places a provider may have (the waiting line is
    /// allocated whole: a million places are 16 MB a replication).
    public static let maximumConcurrency = 1_000_000
    public static let maximumQueueLimit = 1_000_000

    public var name: String
    /// The seed of every random stream; replication r uses streams derived from (seed, r).
    public var seed: UInt64
    /// When simulated time 0 is, µs since the Unix epoch (UTC).
    public var start: Int64
    /// How long to simulate, seconds.
    public var duration: Double
    /// Statistics ignore requests that arrive before this, seconds.
    public var warmup: Double
    /// Replications when the command line does not say.
    public var replications: Int
    public var traffic: TrafficSpec
    /// Attributes of synthetic requests (and defaults for replayed ones that lack them).
    public var mix: RequestMix
    public var providers: [ProviderSpec]
    public var events: [ScenarioEvent]
    public var client: ClientSpec
    public var cache: CacheSpec?
    /// The width of the per-interval time series, seconds.
    public var seriesInterval: Double
    /// The file the scenario came from, for resolving relative paths ("" when built in code).
    public var source: String

    public init(name: String = "scenario", seed: UInt64 = 1, start: Int64 = 0, duration: Double, warmup: Double = 0,
                replications: Int = 10, traffic: TrafficSpec, mix: RequestMix = RequestMix(), providers: [ProviderSpec],
                events: [ScenarioEvent] = [], client: ClientSpec = ClientSpec(), cache: CacheSpec? = nil,
                seriesInterval: Double = 60, source: String = "") {
        self.name = name
        self.seed = seed
        self.start = start
        self.duration = duration
        self.warmup = warmup
        self.replications = replications
        self.traffic = traffic
        self.mix = mix
        self.providers = providers
        self.events = events
        self.client = client
        self.cache = cache
        self.seriesInterval = seriesInterval
        self.source = source
    }
}

/// Where requests come from.
public enum TrafficSpec: Sendable, Equatable {
    /// Poisson arrivals at `rate` per second, times the optional hourly `profile` (24 factors,
    /// by UTC hour of simulated time), with optional bursts.
    case poisson(rate: Double, profile: [Double]?, bursts: Bursts?)
    /// The store's request log between two instants (µs); replayed from `start`.
    /// `timeScale` 2 replays twice as fast; `sample` keeps that share of requests.
    case replay(from: Int64?, to: Int64?, timeScale: Double, sample: Double)
    /// A request-log or public-trace file (formats of `mosaic ingest requests`).
    case trace(path: String, format: String?, timeScale: Double, sample: Double)
    /// Non-homogeneous Poisson arrivals at a load model's forecast rate (requests per interval
    /// of the model's series), summed over `series` (all when nil), times `scale`.
    case loadModel(path: String, series: [String]?, scale: Double)

    /// Bursts: on average every `every` seconds, for an exponential time of mean `meanDuration`
    /// seconds, the rate is multiplied by `factor` (a Markov-modulated Poisson process).
    public struct Bursts: Sendable, Equatable {
        public var factor: Double
        public var meanDuration: Double
        public var every: Double
    }
}

/// The attributes synthetic requests draw.
public struct RequestMix: Sendable, Equatable {
    /// Tenant → weight.
    public var tenants: [String: Double]
    /// Operation → weight.
    public var operations: [String: Double]
    public var modelFamily: String
    /// Lognormal prompt and expected output tokens: the median and σ of ln.
    public var promptTokens: LogNormal
    public var outputTokens: LogNormal
    /// Tag → probability a request carries it.
    public var tags: [String: Double]
    /// Compliance tag → probability a request requires it.
    public var compliance: [ComplianceTag: Double]
    /// The requests' latency SLO, ms (used by model-based routing and the SLO statistics).
    public var sloMs: Double?
    public var budgetTag: String?

    public init(tenants: [String: Double] = ["default": 1], operations: [String: Double] = ["chat": 1],
                modelFamily: String = "", promptTokens: LogNormal = LogNormal(median: 1_000, sigma: 1),
                outputTokens: LogNormal = LogNormal(median: 250, sigma: 0.8), tags: [String: Double] = [:],
                compliance: [ComplianceTag: Double] = [:], sloMs: Double? = nil, budgetTag: String? = nil) {
        self.tenants = tenants
        self.operations = operations
        self.modelFamily = modelFamily
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
        self.tags = tags
        self.compliance = compliance
        self.sloMs = sloMs
        self.budgetTag = budgetTag
    }
}

/// A lognormal distribution given by its median and the σ of its logarithm.
public struct LogNormal: Sendable, Equatable {
    public var median: Double
    public var sigma: Double
    public init(median: Double, sigma: Double) {
        self.median = median
        self.sigma = sigma
    }
}

/// How one provider behaves in the simulation.
public struct ProviderSpec: Sendable, Equatable {
    /// A catalog id; it must be in the client's policy pool to receive traffic.
    public var id: String
    /// Requests served at once.
    public var concurrency: Int
    /// Requests waiting beyond `concurrency`; an arrival finding the queue full is refused
    /// (like an HTTP 429/503). nil: unbounded.
    public var queueLimit: Int?
    public var service: ServiceTime
    /// Probability a served request fails (an error status).
    public var errorRate: Double
    /// The provider's regions (for regional outages); empty: the catalog's.
    public var regions: [String]

    public init(id: String, concurrency: Int, queueLimit: Int? = nil, service: ServiceTime, errorRate: Double = 0,
                regions: [String] = []) {
        self.id = id
        self.concurrency = concurrency
        self.queueLimit = queueLimit
        self.service = service
        self.errorRate = errorRate
        self.regions = regions
    }
}

/// How long a provider takes to serve one request.
public enum ServiceTime: Sendable, Equatable {
    /// Exponential with this mean, ms.
    case exponential(meanMs: Double)
    /// Lognormal with this median (ms) and σ of ln.
    case lognormal(medianMs: Double, sigma: Double)
    /// Drawn from measured latencies: ascending quantiles (ms) at evenly spaced probabilities
    /// 0…1, interpolated linearly (the command line fills it from the store's request log).
    case empirical(quantilesMs: [Double])
    /// The routing model's prediction for the request (lognormal around the predicted mean,
    /// with σ from the predicted tail), falling back to `fallbackMs` for a provider without a head.
    case model(fallbackMs: Double)
    /// `empirical` to be filled from the store before running (only in parsed files).
    case fromStore
}

/// Something that happens to providers during the simulation.
public struct ScenarioEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Every request to the provider fails at once (connection refused).
        case outage
        /// Service times × `latencyFactor`; each request fails with `errorRate` (replacing the provider's).
        case degradation(latencyFactor: Double, errorRate: Double?)
        /// Every provider serving only from `region` is down (one listing other regions too stays up).
        case regionalOutage(region: String)
        /// Prices × `factor` from `start` (for `duration`, or to the end when nil).
        case priceChange(factor: Double)
    }
    public var kind: Kind
    /// The provider (nil for regional outages).
    public var provider: String?
    /// Seconds from the scenario start.
    public var start: Double
    /// Seconds; nil: to the end.
    public var duration: Double?

    public init(kind: Kind, provider: String?, start: Double, duration: Double?) {
        self.kind = kind
        self.provider = provider
        self.start = start
        self.duration = duration
    }

    public var end: Double { duration.map { start + $0 } ?? .infinity }
}

/// The clients: how they route and how long they wait.
public struct ClientSpec: Sendable, Equatable {
    /// A routing policy file (relative to the scenario file); nil: the built-in example policy.
    public var policyPath: String?
    /// A routing model file for model-based routing and `service: model` (relative); optional.
    public var modelPath: String?
    /// A client gives up on an attempt after this many seconds (a timeout outcome).
    public var timeout: Double
    /// On a failed attempt, try the next candidate (failover) before retrying with backoff.
    public var failover: Bool

    public init(policyPath: String? = nil, modelPath: String? = nil, timeout: Double = 30, failover: Bool = true) {
        self.policyPath = policyPath
        self.modelPath = modelPath
        self.timeout = timeout
        self.failover = failover
    }
}

/// A response cache in front of the providers: hits cost nothing and return fast.
public enum CacheSpec: Sendable, Equatable {
    /// Each request hits with probability `ratio`.
    case hitRatio(ratio: Double, latencyMs: Double)
    /// A key-based LRU: requests draw a key from a Zipf(`zipfS`) distribution over `keySpace`
    /// keys; at most `capacity` entries, each valid for `ttl` seconds.
    case lru(capacity: Int, ttl: Double, keySpace: Int, zipfS: Double, latencyMs: Double)
}
