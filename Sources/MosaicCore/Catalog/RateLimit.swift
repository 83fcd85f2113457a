/// A provider API's request limit: at most `requests` requests per `period`, within `scope`.
///
/// Limits apply per credential unless the scope says otherwise (GitHub's `unauthenticated`
/// limit applies per client IP address). A provider may list several limits with different
/// scopes (GitHub: `default`, `search`, `unauthenticated`) or periods.
public struct RateLimit: Sendable, Hashable, Codable {
    /// The length of the window a limit counts requests in.
    public enum Period: String, Sendable, Hashable, Codable, CaseIterable {
        /// One second (`per: second`).
        case second
        /// Sixty seconds (`per: minute`).
        case minute
        /// 3,600 seconds (`per: hour`).
        case hour
        /// 86,400 seconds (`per: day`); calendar days and time zones play no part.
        case day

        /// The period's length in seconds: 1, 60, 3,600 or 86,400.
        public var seconds: Int {
            switch self {
            case .second: return 1
            case .minute: return 60
            case .hour: return 3_600
            case .day: return 86_400
            }
        }
    }

    /// The number of requests allowed in one period; always greater than zero.
    public var requests: Int
    /// The window the requests are counted in.
    public var period: Period
    /// Which requests the limit applies to, for example `default`, `search` or
    /// `unauthenticated`; free text, `default` when the catalog names none.
    public var scope: String

    /// Creates a limit of `requests` per `period`.
    ///
    /// - Precondition: `requests > 0`; the catalog reader rejects other values as bad input
    ///   before they reach this initialiser.
    public init(requests: Int, period: Period, scope: String = "default") {
        precondition(requests > 0, "a rate limit allows at least one request")
        self.requests = requests
        self.period = period
        self.scope = scope
    }

    /// The limit as a sustained rate in requests per second (5,000/hour → 1.3889).
    public var perSecond: Double { Double(requests) / Double(period.seconds) }
}
