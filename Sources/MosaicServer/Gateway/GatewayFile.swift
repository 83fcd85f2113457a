import Foundation
import MosaicCore
import MosaicRouting

/// The gateway file (`mosaic serve --gateway FILE`): the upstreams requests are forwarded to.
///
/// ```yaml
/// version: 1
/// connect_timeout: 2s        # optional; default 5s
/// timeout: 30s               # optional; a whole answer, or a stream's first event; default 60s
/// stream_timeout: 10m        # optional; a whole stream; default 10m
/// max_body_bytes: 4194304    # optional; largest request body; default 4 MiB
/// max_connections: 1024      # optional; open connections per upstream host (read at startup); default 1024
/// cache: {max_bytes: 67108864, ttl: 10m}   # optional; temperature-0 chat answers (read at startup)
/// keys:                      # optional; when present every request needs one of these keys
///   - {sha256: <64 hex digits>, tenant: acme, providers: [openai], budget: research}
/// upstreams:
///   - provider: openai                  # a catalog provider id the policy routes among
///     api: openai                       # openai, anthropic or ollama (OpenAI-compatible)
///     base_url: https://api.openai.com/v1
///     key_env: OPENAI_API_KEY           # optional: the environment variable holding the key
///     timeout: 20s                      # optional: this upstream's own timeout
///     models:                           # model family (what clients ask for) → upstream model
///       gpt-4o: gpt-4o-2024-08-06
///       text-embedding-3-small: text-embedding-3-small
/// ```
///
/// Every problem is a ``YAMLError`` naming the file, the line and the field. Keys are read from
/// the environment when the file is loaded (and reloaded); a variable that is unset or empty is
/// an error then, never at the first request.
public struct GatewayFile: Sendable {
    /// How an upstream is spoken to.
    public enum API: String, Sendable, CaseIterable {
        /// OpenAI chat completions and embeddings.
        case openai
        /// Anthropic messages (requests and answers are translated).
        case anthropic
        /// Ollama's OpenAI-compatible API (`/v1`).
        case ollama

        /// Whether requests and answers pass through in OpenAI's shape.
        var isOpenAIShaped: Bool { self != .anthropic }
    }

    public struct Upstream: Sendable {
        /// The catalog provider id (what the router ranks).
        public var provider: String
        public var api: API
        /// Without a trailing slash: `https://api.openai.com/v1`.
        public var baseURL: String
        /// The variable the key came from (for messages; the key itself is never logged).
        public var keyEnv: String?
        var key: String?
        /// Model family → the upstream's model name.
        public var models: [String: String]
        /// A whole answer, or a stream's first event, in seconds.
        public var timeoutSeconds: Double
    }

    /// A tenant's key to the gateway, stored as the SHA-256 of the key (hex).
    public struct VirtualKey: Sendable {
        public var sha256: String
        public var tenant: String
        /// The providers the key may use; nil: all.
        public var providers: Set<String>?
        /// The policy budget the key's requests are charged to.
        public var budget: String?
        /// The key's place in the file's `keys` (0-based), for messages.
        var index = 0
    }

    public var upstreams: [Upstream]
    /// Keys by their SHA-256 (lowercase hex); empty: no key is asked for.
    public var keys: [String: VirtualKey] = [:]
    /// The answer cache's size in bytes; nil: no cache.
    public var cacheMaxBytes: Int?
    public var cacheTTLSeconds: Double = 600
    public var connectTimeoutSeconds: Double = 5
    public var timeoutSeconds: Double = 60
    public var streamTimeoutSeconds: Double = 600
    public var maxBodyBytes = 4 << 20
    /// Keep-alive connections open to one upstream host at most: requests beyond them wait in
    /// the client's queue for one to free. Each request holds its connection for the upstream's
    /// whole answer (seconds for an LLM), so this bounds the requests in flight per host.
    public var maxConnections = 1024
    /// The file's name in messages, and the lines of its fields (for checks made after reading).
    let source: String
    let lines: [String: Int]

    /// The upstream for a provider id.
    public func upstream(_ provider: String) -> Upstream? { upstreams.first { $0.provider == provider } }

    /// The model families served, sorted.
    public var families: [String] { Set(upstreams.flatMap(\.models.keys)).sorted() }

    /// The budgets a routing policy defines, which the keys' `budget` must name.
    public struct PolicyBudgets: Sendable, Equatable {
        public var names: Set<String>
        /// The policy in messages: "the policy policy.yaml".
        public var policy: String

        public init(names: Set<String>, policy: String) {
            self.names = names
            self.policy = policy
        }

        /// `policy`'s budgets; `path` is its file (nil: the built-in example).
        public init(_ policy: RoutingPolicy, path: String?) {
            names = Set(policy.budgets.keys)
            self.policy = path.map { "the policy \($0)" } ?? "the built-in policy (`mosaic policy example`)"
        }
    }

    /// Checks that every key's `budget` is one the policy defines: a key naming another would
    /// have its requests charged to no budget at all (a typo, or a budget renamed in the policy
    /// alone).
    ///
    /// - Throws: ``YAMLError`` at the first such key's `budget` line, with the nearest budget
    ///   ("did you mean") or else the policy's budgets.
    public func checkBudgets(_ budgets: PolicyBudgets) throws(YAMLError) {
        let known = budgets.names.sorted()
        for key in keys.values.sorted(by: { $0.index < $1.index }) {
            guard let budget = key.budget, !budgets.names.contains(budget) else { continue }
            let otherwise = known.isEmpty ? " (it has no budgets)" : " (its budgets: \(known.joined(separator: ", ")))"
            throw YAMLChecker(source: source, lines: lines).error(
                "keys[\(key.index)].budget",
                .unknownReference("'\(budget)' is not a budget of \(budgets.policy)", value: budget, candidates: known,
                                  otherwise: otherwise))
        }
    }

    static let topKeys = ["version", "connect_timeout", "timeout", "stream_timeout", "max_body_bytes", "max_connections", "cache", "keys",
                          "upstreams"]
    static let keyKeys = ["sha256", "tenant", "providers", "budget"]
    static let upstreamKeys = ["provider", "api", "base_url", "key_env", "timeout", "models"]

    /// Reads and checks the file at `path`.
    public static func load(path: String, catalog: Catalog,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(YAMLError) -> GatewayFile {
        try GatewayFile(yaml: try YAMLReader.text(path: path, document: "gateway file"), source: path, catalog: catalog,
                        environment: environment)
    }

    /// Parses and checks a gateway document; `source` names it in errors.
    public init(yaml: String, source: String, catalog: Catalog,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws(YAMLError) {
        let reader = try YAMLReader(yaml: yaml, source: source)
        self.source = source
        let top = try reader.document(ifEmpty: "the gateway file is empty (it needs version and upstreams)")
            .mapping(allowed: Self.topKeys, expected: "a gateway file (a mapping with keys version, upstreams, ...)")
        try top.requireVersion1(document: "gateway file")
        func positive(_ key: String) throws(YAMLError) -> Double? {
            guard let v = top[key] else { return nil }
            let s = try v.seconds()
            guard s > 0 else { throw v.error(.outOfRange(expected: "a positive duration", found: "\(s)s")) }
            return s
        }
        upstreams = []
        if let s = try positive("connect_timeout") { connectTimeoutSeconds = s }
        if let s = try positive("timeout") { timeoutSeconds = s }
        if let s = try positive("stream_timeout") { streamTimeoutSeconds = s }
        if let v = top["max_body_bytes"] {
            let n = try v.integer()
            guard (1024...(256 << 20)).contains(n) else {
                throw v.error(.outOfRange(expected: "in 1024...\(256 << 20)", found: String(n)))
            }
            maxBodyBytes = n
        }
        if let v = top["max_connections"] {
            let n = try v.integer()
            guard (1...65536).contains(n) else { throw v.error(.outOfRange(expected: "in 1...65536", found: String(n))) }
            maxConnections = n
        }
        if let v = top["cache"] {
            let f = try v.mapping(allowed: ["max_bytes", "ttl"], expected: "a cache (a mapping such as {max_bytes: 67108864, ttl: 10m})")
            let sizeValue = try f.required("max_bytes")
            let size = try sizeValue.integer()
            guard size >= 1024 else { throw sizeValue.error(.outOfRange(expected: "at least 1024", found: String(size))) }
            cacheMaxBytes = size
            if let t = f["ttl"] {
                cacheTTLSeconds = try t.seconds()
                guard cacheTTLSeconds > 0 else { throw t.error(.outOfRange(expected: "a positive duration", found: "\(cacheTTLSeconds)s")) }
            }
        }
        var firstKeyPath: [String: String] = [:]
        for (index, item) in (try top["keys"]?.list() ?? []).enumerated() {
            let f = try item.mapping(allowed: Self.keyKeys, expected: "a key (a mapping with sha256 and tenant)")
            let hashValue = try f.required("sha256")
            let hash = try hashValue.text().lowercased()
            guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
                throw hashValue.error(.invalid("expected the key's SHA-256 as 64 hex digits (printf %s \"$KEY\" | sha256sum)"))
            }
            if let first = firstKeyPath[hash] {
                throw YAMLChecker(source: source, lines: reader.lines).duplicate(hashValue.path, what: "key", value: String(hash.prefix(12)) + "…",
                                                                                firstPath: first)
            }
            firstKeyPath[hash] = hashValue.path
            var key = VirtualKey(sha256: hash, tenant: try f.required("tenant").text())
            key.index = index
            if let p = f["providers"] {
                var ids = Set<String>()
                for item in try p.list() {
                    let id = try item.text()
                    guard catalog.provider(id: id) != nil else { throw item.error(.unknownProvider(id, known: catalog.providers.map(\.id))) }
                    ids.insert(id)
                }
                key.providers = ids
            }
            if let b = f["budget"] { key.budget = try b.text() }
            keys[hash] = key
        }
        let list = try top.required("upstreams").list()
        if list.isEmpty { throw try top.required("upstreams").error(.emptyValue) }
        var firstPath: [String: String] = [:]
        for item in list {
            let f = try item.mapping(allowed: Self.upstreamKeys, expected: "an upstream (a mapping with provider, api, base_url, models)")
            let providerValue = try f.required("provider")
            let provider = try providerValue.text()
            guard catalog.provider(id: provider) != nil else {
                throw providerValue.error(.unknownProvider(provider, known: catalog.providers.map(\.id)))
            }
            if let first = firstPath[provider] {
                throw YAMLChecker(source: source, lines: reader.lines)
                    .duplicate(providerValue.path, what: "upstream provider", value: provider, firstPath: first)
            }
            firstPath[provider] = providerValue.path
            let api = try f.required("api").word("gateway api", allowed: API.allCases.map(\.rawValue)) { API(rawValue: $0) }
            let urlValue = try f.required("base_url")
            var url = try urlValue.text()
            while url.hasSuffix("/") { url.removeLast() }
            do { _ = try HTTPBaseURL.parse(url) } catch { throw urlValue.error(.invalid(error.description)) }
            var keyEnv: String? = nil
            var key: String? = nil
            if let v = f["key_env"] {
                let name = try v.text()
                guard let value = environment[name], !value.isEmpty else {
                    throw v.error(.invalid("the environment variable \(name) is not set (it should hold the \(provider) key)"))
                }
                keyEnv = name
                key = value
            }
            let timeout: Double
            if let v = f["timeout"] {
                timeout = try v.seconds()
                guard timeout > 0 else { throw v.error(.outOfRange(expected: "a positive duration", found: "\(timeout)s")) }
            } else {
                timeout = timeoutSeconds
            }
            var models: [String: String] = [:]
            let modelsValue = try f.required("models")
            for (family, _, v) in try modelsValue.entries() {
                models[family] = try v.text()
            }
            if models.isEmpty { throw modelsValue.error(.emptyValue) }
            upstreams.append(Upstream(provider: provider, api: api, baseURL: url, keyEnv: keyEnv, key: key, models: models,
                                      timeoutSeconds: timeout))
        }
        lines = reader.lines   // every field read by now
    }
}
