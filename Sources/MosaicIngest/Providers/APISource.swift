import Foundation
import MosaicCore

/// The time range a pull covers, `[since, until)` in µs.
public struct PullWindow: Sendable, Equatable {
    public var since: Int64
    public var until: Int64
    public init(since: Int64, until: Int64) {
        self.since = since
        self.until = until
    }
}

/// What one page of a provider API holds, in store terms.
public struct ParsedPage: Sendable {
    public var buckets: [UsageBucket] = []
    public var lines: [BillingLine] = []
    /// The token of the next page; nil on the last.
    public var next: String?
    /// The start of the newest bucket (or period) on the page: the checkpoint once committed.
    public var newestStart: Int64?
}

/// A provider endpoint that `PullJob` can page through.
///
/// A source only builds URLs and reads pages; fetching, retrying, storing and checkpoints
/// are the job's. Implementations parse exactly the documented response shapes and name the
/// JSON path of anything that does not fit.
public protocol APISource: Sendable {
    /// `openai-usage`, `openai-costs`, `anthropic-usage`, `anthropic-costs`, `github-billing`.
    var name: String { get }
    /// The provider's default API address.
    var defaultBaseURL: URL { get }
    /// The environment variable holding the credential.
    var credentialVariable: String { get }
    /// What the credential is, for the message when it is not set ("an Admin API key (…)").
    var credentialKind: String { get }
    /// What to tell the user when the key is refused.
    var credentialHint: String { get }
    /// Headers carrying the credential and API version.
    func headers(credential: String) -> [String: String]
    /// The URL of a page: the first one when `token` is nil.
    func url(base: URL, window: PullWindow, token: String?) -> URL
    /// Reads one page.
    func parse(_ page: JSONValue, window: PullWindow, token: String?, account: String) throws(APIError) -> ParsedPage
}

/// A bucketed report of an admin API (OpenAI's and Anthropic's usage and cost endpoints):
/// `data[i].results[j]` buckets and `has_more` / `next_page` pagination. A source names its
/// path and reads one result; the page URL and the walk over the page are shared.
protocol BucketReportSource: APISource {
    static var path: String { get }
    /// How the provider writes a bucket's bounds.
    static var bucketTimes: PageReader.BucketTimes { get }
    /// `1d`, `1h` or `1m`; daily unless the source says otherwise.
    var bucketWidth: String { get }
    var groupBy: [String] { get }
    /// The window's query items, in the provider's names and time format.
    func windowQuery(_ window: PullWindow) -> [(String, String)]
    /// The name of the repeated group-by query item.
    static var groupByItem: String { get }
    /// Reads the result at JSON path `at` of a bucket `[start, end)` into `out`.
    func read(_ result: JSONValue, at: String, start: Int64, end: Int64, account: String, reader: PageReader,
              keys: inout OccurrenceKeys, into out: inout ParsedPage) throws(APIError)
}

extension BucketReportSource {
    var bucketWidth: String { "1d" }

    /// A page of `path` holding at most a month of days, a week of hours or a day of minutes.
    public func url(base: URL, window: PullWindow, token: String?) -> URL {
        let limit = bucketWidth == "1h" ? "168" : (bucketWidth == "1m" ? "1440" : "31")
        let q = windowQuery(window) + [("bucket_width", bucketWidth), ("limit", limit)]
            + groupBy.map { (Self.groupByItem, $0) } + (token.map { [("page", $0)] } ?? [])
        return base.appending(path: Self.path, query: q)
    }

    public func parse(_ page: JSONValue, window: PullWindow, token: String?, account: String) throws(APIError) -> ParsedPage {
        let reader = PageReader(source: name, path: Self.path)
        var out = ParsedPage()
        var keys = OccurrenceKeys()
        out.newestStart = try reader.forEachResult(in: page, times: Self.bucketTimes) { (start, end, result, at) throws(APIError) in
            try read(result, at: at, start: start, end: end, account: account, reader: reader, keys: &keys, into: &out)
        }
        out.next = try reader.next(page)
        return out
    }

    /// A usage bucket of `provider` with its model, project (from `projectField`) and API key read.
    func usageBucket(_ result: JSONValue, at: String, start: Int64, end: Int64, account: String, provider: String,
                     projectField: String, reader r: PageReader) throws(APIError) -> UsageBucket {
        var b = UsageBucket(source: name, account: account, bucketStart: start, bucketEnd: end, provider: provider)
        b.model = try r.optionalString(result["model"], "\(at).model") ?? ""
        b.project = try r.optionalString(result[projectField], "\(at).\(projectField)") ?? ""
        b.apiKey = try r.optionalString(result["api_key_id"], "\(at).api_key_id") ?? ""
        return b
    }
}

// MARK: - Helpers for reading documented shapes

/// Reads fields of a page, naming the JSON path of whatever does not fit.
struct PageReader {
    let source: String
    let path: String

    func fail(_ where_: String, _ reason: String) -> APIError {
        .shape(source: source, path: path, reason: "\(where_): \(reason)")
    }

    func array(_ v: JSONValue?, _ at: String) throws(APIError) -> [JSONValue] {
        guard let v else { throw fail(at, "missing") }
        guard let a = v.arrayValue else { throw fail(at, "expected an array, found \(v.kindName)") }
        return a
    }

    func object(_ v: JSONValue, _ at: String) throws(APIError) -> JSONValue {
        guard v.objectValue != nil else { throw fail(at, "expected an object, found \(v.kindName)") }
        return v
    }

    /// A whole number; absent or null is `default` when one is given.
    /// Unix seconds as µs; a value whose µs do not fit an Int64 is refused, not trapped on.
    func unixSeconds(_ v: JSONValue?, _ at: String) throws(APIError) -> Int64 {
        let seconds = try int(v, at)
        guard abs(seconds) <= Int(Int64.max / 1_000_000) else { throw fail(at, "\(seconds) is out of range for Unix seconds") }
        return Int64(seconds) * 1_000_000
    }

    func int(_ v: JSONValue?, _ at: String, default d: Int? = nil) throws(APIError) -> Int {
        guard let v, !v.isNull else {
            if let d { return d }
            throw fail(at, "missing")
        }
        guard let i = v.intValue else { throw fail(at, "expected a whole number, found \(v.numberText ?? v.kindName)") }
        return i
    }

    /// A token count (absent or null: 0), held to the checks of a request log's token columns:
    /// not negative.
    func tokens(_ v: JSONValue?, _ at: String) throws(APIError) -> Int {
        let n = try int(v, at, default: 0)
        if let problem = Job.tokenProblem(Int64(n), maximum: .max) { throw fail(at, problem) }
        return n
    }

    /// The sum of a bucket's token counts, refused when it leaves the range of a count.
    func sum(_ counts: [Int], _ at: String) throws(APIError) -> Int {
        var total = 0
        for c in counts {
            let (s, overflow) = total.addingReportingOverflow(c)
            if overflow { throw fail(at, "the token counts add up to more than \(Int.max)") }
            total = s
        }
        return total
    }

    /// A currency code (absent or null: `default`), upper-cased as providers may write it in
    /// lower case (`usd`), and refused as a FOCUS file's `BillingCurrency` is when it is no
    /// ISO 4217 code (`XYZ`, empty).
    func currency(_ v: JSONValue?, _ at: String, default d: String) throws(APIError) -> String {
        let code = (try optionalString(v, at) ?? d).uppercased()
        guard CurrencyCode.isKnown(code) else { throw fail(at, CurrencyCode.unknownReason(String(code.prefix(60)))) }
        return code
    }

    /// A string, or nil when absent or null.
    func optionalString(_ v: JSONValue?, _ at: String) throws(APIError) -> String? {
        guard let v, !v.isNull else { return nil }
        guard let s = v.stringValue else { throw fail(at, "expected a string, found \(v.kindName)") }
        return s
    }

    func bool(_ v: JSONValue?, _ at: String) throws(APIError) -> Bool {
        guard let b = v?.boolValue else { throw fail(at, "expected true or false") }
        return b
    }

    /// An instant from RFC 3339 text.
    func instant(_ v: JSONValue?, _ at: String) throws(APIError) -> Int64 {
        guard let s = v?.stringValue else { throw fail(at, "expected an RFC 3339 time") }
        guard let ts = Timestamp.parse(s) else { throw fail(at, "'\(s)' is not an RFC 3339 time") }
        return ts
    }

    /// An exact amount from a JSON number literal or a decimal string, times 10^shift.
    func money(_ v: JSONValue?, _ at: String, shift: Int = 0) throws(APIError) -> Money {
        guard let v, let literal = v.numberText ?? v.stringValue else { throw fail(at, "expected an amount") }
        let m: Money
        do {
            m = try Money(parsing: shift == 0 ? literal : "\(literal)e\(shift)")
        } catch {
            throw fail(at, error.description)
        }
        if !m.isWithinIngestLimit { throw fail(at, Money.overLimit(m)) }
        return m
    }

    /// How a bucket's bounds are written.
    enum BucketTimes { case unixSeconds, rfc3339 }

    /// Visits every `data[i].results[j]` of a bucketed page (OpenAI and Anthropic reports) with
    /// its bucket's bounds (µs) and JSON path; returns the newest bucket start.
    func forEachResult(in page: JSONValue, times: BucketTimes,
                       _ body: (_ start: Int64, _ end: Int64, _ result: JSONValue, _ at: String) throws(APIError) -> Void)
        throws(APIError) -> Int64? {
        var newest: Int64?
        for (i, bucket) in try array(page["data"], "data").enumerated() {
            let at = "data[\(i)]"
            _ = try object(bucket, at)
            let start: Int64, end: Int64
            let (startField, endField) = times == .unixSeconds ? ("start_time", "end_time") : ("starting_at", "ending_at")
            switch times {
            case .unixSeconds:
                start = try unixSeconds(bucket[startField], "\(at).\(startField)")
                end = try unixSeconds(bucket[endField], "\(at).\(endField)")
            case .rfc3339:
                start = try instant(bucket[startField], "\(at).\(startField)")
                end = try instant(bucket[endField], "\(at).\(endField)")
            }
            // The checks of a file's rows: no bucket before 2000, none that ends before it starts
            // (the store's CHECK said that in SQL).
            if let early = Timestamp.tooEarly(start, what: "a bucket") { throw fail("\(at).\(startField)", early) }
            if end <= start {
                throw fail("\(at).\(endField)", "\(Timestamp.format(end)) is not after \(startField) \(Timestamp.format(start)); a bucket cannot end before it starts")
            }
            newest = max(newest ?? start, start)
            for (j, result) in try array(bucket["results"], "\(at).results").enumerated() {
                let rat = "\(at).results[\(j)]"
                _ = try object(result, rat)
                try body(start, end, result, rat)
            }
        }
        return newest
    }

    /// `has_more` / `next_page` pagination.
    func next(_ page: JSONValue) throws(APIError) -> String? {
        let more = try bool(page["has_more"], "has_more")
        guard more else { return nil }
        guard let token = page["next_page"]?.stringValue, !token.isEmpty else {
            throw fail("next_page", "has_more is true but next_page is missing")
        }
        return token
    }
}

/// Natural keys unique within a page: a row's identity, then `identity|1`, `identity|2`, … for
/// rows that repeat it (a provider may report two lines with the same dimensions).
struct OccurrenceKeys {
    private var seen: [String: Int] = [:]

    mutating func key(_ identity: String) -> String {
        let n = seen[identity, default: 0]
        seen[identity] = n + 1
        return n == 0 ? identity : identity + "|\(n)"
    }
}

extension BillingLine {
    /// A usage charge from an LLM provider's cost report: one amount that is the billed,
    /// effective and list cost, published and invoiced by the provider itself.
    static func providerUsage(source: String, naturalKey: String, account: String, start: Int64, end: Int64,
                              provider: String, amount: Money, currency: String, service: String,
                              description: String?) -> BillingLine {
        var l = BillingLine(source: source, naturalKey: naturalKey, chargePeriodStart: start, chargePeriodEnd: end,
                            providerName: provider, billedCost: amount, billingCurrency: currency)
        l.billingAccountID = account
        l.publisherName = provider
        l.invoiceIssuerName = provider
        l.serviceName = service
        l.serviceCategory = "AI and Machine Learning"
        l.chargeDescription = description
        l.effectiveCost = amount
        l.listCost = amount
        return l
    }
}

/// Canonical JSON object text with sorted keys, from string values (nils left out).
func canonicalJSON(_ fields: [String: String?]) -> String {
    let items = fields.compactMap { k, v in v.map { (k, $0) } }.sorted { $0.0 < $1.0 }
    return "{" + items.map { "\(JSONValue.quoted($0.0)):\(JSONValue.quoted($0.1))" }.joined(separator: ",") + "}"
}

/// A JSON object of a result's numeric fields exactly as sent (nested objects flattened with
/// dots), sorted by name, leaving out `excluding` (fields already stored in columns).
func metricsJSON(_ v: JSONValue, excluding: Set<String> = []) -> String {
    var fields: [(String, String)] = []
    func collect(_ v: JSONValue, _ prefix: String) {
        guard let members = v.objectValue else { return }
        for (k, value) in members {
            let name = prefix.isEmpty ? k : prefix + "." + k
            if let n = value.numberText {
                if !excluding.contains(name) { fields.append((name, n)) }
            } else if value.objectValue != nil {
                collect(value, name)
            }
        }
    }
    collect(v, "")
    if fields.isEmpty { return "{}" }
    fields.sort { $0.0 < $1.0 }
    var out = "{"
    out.reserveCapacity(fields.count * 32)
    for (i, (k, n)) in fields.enumerated() {
        if i > 0 { out += "," }
        out += JSONValue.quoted(k)
        out += ":"
        out += n
    }
    return out + "}"
}

extension URL {
    /// `self` with `path` appended and `query` set (items in order, repeated names allowed).
    func appending(path: String, query: [(String, String)]) -> URL {
        var c = URLComponents(url: self, resolvingAgainstBaseURL: false)!
        let basePath = c.path.hasSuffix("/") ? String(c.path.dropLast()) : c.path
        c.path = basePath + path
        c.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
        // '+' in values (RFC 3339 offsets) must not read as a space.
        c.percentEncodedQuery = c.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return c.url!
    }
}

extension APISource {
    /// The credential from `environment[credentialVariable]`.
    ///
    /// - Throws: ``APIError/missingCredential(source:variable:kind:)`` when it is unset or empty.
    public func credential(in environment: [String: String]) throws(APIError) -> String {
        guard let key = environment[credentialVariable], !key.isEmpty else {
            throw .missingCredential(source: name, variable: credentialVariable, kind: credentialKind)
        }
        return key
    }
}
