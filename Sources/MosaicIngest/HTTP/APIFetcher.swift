import Foundation
import MosaicCore

/// Fetches JSON pages from a provider API with the retry policy: one call returns one parsed
/// page, or throws once retries are exhausted. Nothing is stored here.
public final class APIFetcher {
    public let source: String
    let transport: any HTTPTransport
    let policy: RetryPolicy
    let headers: [String: String]
    let credentialHint: String
    let sleep: (Double) -> Void
    let now: () -> Double
    private var random: SeededRandom
    /// Total seconds slept waiting (backoff and rate limits), for reports and tests.
    public private(set) var waited = 0.0
    /// Requests sent, including retries.
    public private(set) var requestsSent = 0
    /// Earliest time the next request may go, when the provider said so (GitHub's remaining = 0).
    private var notBefore = 0.0

    public init(source: String, transport: any HTTPTransport, policy: RetryPolicy, headers: [String: String],
                credentialHint: String, sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) },
                now: @escaping () -> Double = { Date().timeIntervalSince1970 }) {
        self.source = source
        self.transport = transport
        self.policy = policy
        self.headers = headers
        self.credentialHint = credentialHint
        self.sleep = sleep
        self.now = now
        random = SeededRandom(seed: policy.seed)
    }

    private func pause(_ seconds: Double) {
        guard seconds > 0 else { return }
        waited += seconds
        sleep(seconds)
    }

    /// GETs `url` and parses the body as JSON, retrying what is worth retrying.
    public func fetch(_ url: URL) throws(APIError) -> (json: JSONValue, response: HTTPResponse) {
        let path = url.path
        var last = ""
        for attempt in 1...policy.maxAttempts {
            let early = notBefore - now()
            if early > 0 { pause(early) }
            requestsSent += 1
            let response: HTTPResponse
            do {
                response = try transport.get(url, headers: headers, timeout: policy.timeout)
            } catch {
                last = error.timedOut ? "timed out after \(Int(policy.timeout)) s" : error.description
                if attempt < policy.maxAttempts { pause(policy.backoff(attempt: attempt, random: &random)) }
                continue
            }
            // GitHub tells in every answer how many requests are left; wait out an empty window.
            if response.headers["x-ratelimit-remaining"] == "0", let reset = response.headers["x-ratelimit-reset"].flatMap(Double.init) {
                notBefore = reset
            }
            let status = response.status
            if status == 429 || RateLimitHeaders.isGitHubRateLimit(status: status, headers: response.headers) {
                last = "HTTP \(status) (rate limited)"
                let asked = RateLimitHeaders.wait(in: response.headers, now: now())
                if let asked, asked > policy.maxRateLimitWait {
                    throw .rateLimited(source: source, path: path, waitSeconds: asked)
                }
                if attempt < policy.maxAttempts {
                    pause(asked ?? policy.backoff(attempt: attempt, random: &random))
                }
                continue
            }
            if status == 401 || status == 403 {
                throw .unauthorized(source: source, path: path, status: status, hint: credentialHint,
                                    message: Self.errorMessage(response.body))
            }
            if status >= 500 {
                last = "HTTP \(status)"
                if attempt < policy.maxAttempts { pause(policy.backoff(attempt: attempt, random: &random)) }
                continue
            }
            if status < 200 || status >= 300 {
                throw .rejected(source: source, path: path, status: status, message: Self.errorMessage(response.body))
            }
            do {
                return (try JSONValue.parse(response.body), response)
            } catch {
                // A truncated or garbled body: the page is not used, and asked for again.
                last = "invalid JSON (\(error.description))"
                if attempt < policy.maxAttempts { pause(policy.backoff(attempt: attempt, random: &random)) }
            }
        }
        throw .gaveUp(source: source, path: path, attempts: policy.maxAttempts, last: last)
    }

    /// The provider's own error text (`{"error": {"message": …}}` or `{"message": …}`), short.
    static func errorMessage(_ body: Data) -> String? {
        guard let json = try? JSONValue.parse(body) else { return nil }
        let text = json["error"]?["message"]?.stringValue ?? json["message"]?.stringValue
        return text.map { String($0.prefix(300)) }
    }
}
