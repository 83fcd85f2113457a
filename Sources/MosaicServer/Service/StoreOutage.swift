import Foundation

/// An outage of the store as its one reader sees it, so that it is logged once when it begins
/// and once when it ends, with its length (the outcome writer and a fleet member each keep one).
struct StoreOutage {
    private var since: Date?

    /// Whether the store is unavailable now.
    var isOngoing: Bool { since != nil }

    /// Notes that the store did not answer; true when this begins an outage (log it then).
    mutating func begin() -> Bool {
        guard since == nil else { return false }
        since = Date()
        return true
    }

    /// Notes that the store answered; the outage's length, "12.3" seconds, when one ends.
    mutating func end() -> String? {
        guard let since else { return nil }
        self.since = nil
        return String(format: "%.1f", Date().timeIntervalSince(since))
    }
}
