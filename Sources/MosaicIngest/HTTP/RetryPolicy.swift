import Foundation
import MosaicCore

/// How a pull retries: which failures, how often, how long it waits.
///
/// - 429 and 5xx answers, timeouts, resets and truncated or invalid JSON are retried with
///   exponential backoff and full jitter (delay uniform in [0, min(maxDelay, baseDelay·2ⁿ)]),
///   at most ``maxAttempts`` tries in all.
/// - A 429 (or GitHub's 403 with `x-ratelimit-remaining: 0`) waits what the provider asks
///   (`Retry-After`, `x-ratelimit-reset`, `anthropic-ratelimit-*-reset`,
///   `x-ratelimit-reset-requests`) instead, when it asks; a wait longer than
///   ``maxRateLimitWait`` fails at once with the time to retry.
/// - 401 and 403 fail at once with a hint about the key; other 4xx fail at once.
public struct RetryPolicy: Sendable {
    public var maxAttempts = 6
    public var baseDelay = 0.5
    public var maxDelay = 30.0
    public var maxRateLimitWait = 900.0
    /// Seconds allowed for one whole response.
    public var timeout = 60.0
    /// Seed of the jitter.
    public var seed: UInt64 = 0x6A69_7474_6572

    public init() {}

    /// The backoff before try `attempt + 1` (attempt counts from 1).
    func backoff(attempt: Int, random: inout SeededRandom) -> Double {
        let cap = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return random.uniform() * cap
    }
}

/// Reads the providers' rate-limit headers.
enum RateLimitHeaders {
    /// Seconds the provider asks to wait before the next request, if it says.
    static func wait(in headers: [String: String], now: Double) -> Double? {
        if let v = headers["retry-after"] {
            if let s = Double(v.trimmingCharacters(in: .whitespaces)) { return max(0, s) }
            if let date = httpDate(v) { return max(0, date - now) }
        }
        // GitHub: x-ratelimit-reset is the epoch second when the window resets.
        if headers["x-ratelimit-remaining"] == "0", let v = headers["x-ratelimit-reset"], let reset = Double(v) {
            return max(0, reset - now)
        }
        // Anthropic: anthropic-ratelimit-{requests,tokens,…}-reset are RFC 3339 instants.
        let anthropic = headers.filter { $0.key.hasPrefix("anthropic-ratelimit-") && $0.key.hasSuffix("-reset") }
            .compactMap { Timestamp.parse($0.value) }.map { Double($0) / 1e6 - now }
        if let longest = anthropic.max() { return max(0, longest) }
        // OpenAI: x-ratelimit-reset-requests / -tokens are durations such as "1s", "6m0s", "20ms".
        let openai = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"].compactMap { headers[$0] }
            .compactMap(duration)
        if let longest = openai.max() { return longest }
        return nil
    }

    /// True when the answer is GitHub's "rate limit exceeded" 403.
    static func isGitHubRateLimit(status: Int, headers: [String: String]) -> Bool {
        status == 403 && headers["x-ratelimit-remaining"] == "0"
    }

    /// Parses Go-style durations: "1h2m3.5s", "6m0s", "20ms".
    static func duration(_ text: String) -> Double? {
        var total = 0.0
        var number = ""
        var i = text.startIndex
        var sawUnit = false
        while i < text.endIndex {
            let c = text[i]
            if c.isNumber || c == "." {
                number.append(c)
                i = text.index(after: i)
                continue
            }
            guard let v = Double(number) else { return nil }
            let rest = text[i...]
            if rest.hasPrefix("ms") { total += v / 1000; i = text.index(i, offsetBy: 2) }
            else if c == "h" { total += v * 3600; i = text.index(after: i) }
            else if c == "m" { total += v * 60; i = text.index(after: i) }
            else if c == "s" { total += v; i = text.index(after: i) }
            else { return nil }
            number = ""
            sawUnit = true
        }
        return sawUnit && number.isEmpty ? total : nil
    }

    /// IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
    static func httpDate(_ text: String) -> Double? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: text)?.timeIntervalSince1970
    }
}
