/// One service provider as the catalog describes it: what it is, where it runs, what it is
/// attested for, how hard its API may be driven and what it can do.
///
/// Values read from a catalog file are validated: ``id`` is a slug, ``regions`` is non-empty,
/// every rate limit allows at least one request and ``contextWindow`` is positive when present.
/// Values built in code are taken as given.
public struct Provider: Sendable, Hashable, Codable {
    /// The stable identifier request logs, price tables and models refer to: lowercase
    /// letters, digits and single hyphens (`openai`, `github-actions`). See ``isValidID(_:)``.
    public var id: String
    /// The display name for reports ("GitHub Actions").
    public var name: String
    /// What kind of service the provider offers.
    public var kind: ProviderKind
    /// Regions the provider serves from, as short lowercase names (`us`, `eu`); self-hosted
    /// providers list where the organisation runs them (`on-prem` until edited).
    public var regions: [String]
    /// True when the organisation runs the service itself (Ollama, Gitea, Jenkins).
    public var selfHosted: Bool
    /// Compliance regimes the organisation attests the provider meets, in catalog order.
    public var compliance: [ComplianceTag]
    /// The provider's API request limits. Empty means the catalog knows of no fixed request
    /// limit: either there is none (Ollama) or the provider publishes none as a request
    /// count, in which case ``notes`` says so.
    public var rateLimits: [RateLimit]
    /// Free capability words such as `vision`, `long_context`, `function_calling`,
    /// `strict_privacy` or `code`, matched exactly by capability-based routing.
    public var capabilities: [String]
    /// The largest context in tokens; nil when it depends on the model or does not apply.
    public var contextWindow: Int?
    /// How the provider charges, as free text ("usage-based", "free (self-hosted)").
    public var pricing: String?
    /// Anything else a reader of the catalog should know.
    public var notes: String?

    /// Creates a provider; the optional facts default to "none known".
    public init(
        id: String,
        name: String,
        kind: ProviderKind,
        regions: [String],
        selfHosted: Bool,
        compliance: [ComplianceTag] = [],
        rateLimits: [RateLimit] = [],
        capabilities: [String] = [],
        contextWindow: Int? = nil,
        pricing: String? = nil,
        notes: String? = nil
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.regions = regions
        self.selfHosted = selfHosted
        self.compliance = compliance
        self.rateLimits = rateLimits
        self.capabilities = capabilities
        self.contextWindow = contextWindow
        self.pricing = pricing
        self.notes = notes
    }

    /// Whether the provider lists `capability` among its ``capabilities`` (exact match).
    public func supports(_ capability: String) -> Bool {
        capabilities.contains(capability)
    }

    /// Whether the provider is attested for `tag`.
    public func complies(with tag: ComplianceTag) -> Bool {
        compliance.contains(tag)
    }

    /// The limit for `scope` (`default` unless given), if the provider lists one. When several
    /// limits share the scope, the first in catalog order is returned.
    public func rateLimit(scope: String = "default") -> RateLimit? {
        rateLimits.first { $0.scope == scope }
    }

    /// Whether `id` is a valid provider id: one or more groups of `a-z`/`0-9` joined by
    /// single hyphens, so no leading, trailing or doubled hyphen (`github-actions`, `n8n`).
    public static func isValidID(_ id: String) -> Bool {
        var previousWasHyphen = true  // forbids a leading hyphen
        var sawCharacter = false
        for byte in id.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                previousWasHyphen = false
            case UInt8(ascii: "-"):
                if previousWasHyphen { return false }
                previousWasHyphen = true
            default:
                return false
            }
            sawCharacter = true
        }
        return sawCharacter && !previousWasHyphen
    }
}
