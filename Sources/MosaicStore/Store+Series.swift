import Foundation
import MosaicCore

/// A regular time series of request volume and cost for one group.
public struct RequestSeries: Sendable, Equatable, Codable {
    /// The group's value (provider, tenant or operation), or "all".
    public var group: String
    /// The first interval's start, µs; interval k starts at `start + k·interval`.
    public var start: Int64
    public var interval: Int64
    public var requests: [Int]
    public var inputTokens: [Int]
    public var outputTokens: [Int]
    public var cost: [Money]
    /// Whether interval k is only partly inside the observed window (the first and last can be).
    public var partial: [Bool]

    public var count: Int { requests.count }
}

/// What to split a series by.
public enum SeriesGrouping: String, Sendable, CaseIterable, Codable {
    case all, provider, tenant, operation, model
}

extension Store {
    /// The most intervals a series may have per group: a million (about 40 MB per group; two
    /// years of minutes, a century of hours).
    public static let maximumSeriesIntervals = 1_000_000

    /// Aggregates the requests table into regular intervals per group, empty intervals as zeros.
    ///
    /// The window is `[from, to)`, or from the first request to just after the last; intervals
    /// are aligned to multiples of `interval` since the epoch (UTC), and an interval that the
    /// window cuts is marked partial. Every group spans the same intervals. Names that are
    /// canonically equivalent Unicode (é as one code point, or as e and a combining accent) are
    /// one group, as Swift's `String` equality has them, named by their NFC form on both engines
    /// (the store keeps each row's bytes).
    ///
    /// - Parameter interval: µs, from one minute to one day.
    /// - Throws: ``StoreError/seriesTooLong(intervals:maximum:)`` when the window holds more than
    ///   ``maximumSeriesIntervals`` intervals (a minute grid from year 1, say), before allocating.
    public func requestSeries(interval: Int64, by grouping: SeriesGrouping, from: Int64? = nil,
                              to: Int64? = nil) throws(StoreError) -> [RequestSeries] {
        precondition(interval > 0)
        let lo = from ?? Int64.min, hi = to ?? Int64.max
        let d = database.dialect
        let groupSQL = d.bytewise(grouping == .all ? "'all'" : grouping.rawValue)
        struct Cell {
            var requests = 0, input = 0, output = 0, cost = Money.zero

            /// One request more, in place (one hash lookup per row).
            mutating func add(input: Int64, output: Int64, cost: Money?, path: String) throws(StoreError) {
                requests += 1
                self.input = try Store.integerSum(self.input, input, path: path)
                self.output = try Store.integerSum(self.output, output, path: path)
                if let cost { self.cost = try Store.exactSum(self.cost, cost, path: path) }
            }

            /// Another cell of the same group and interval (a name spelled another way), in place.
            mutating func add(_ other: Cell, path: String) throws(StoreError) {
                requests += other.requests
                input = try Store.integerSum(input, Int64(other.input), path: path)
                output = try Store.integerSum(output, Int64(other.output), path: path)
                cost = try Store.exactSum(cost, other.cost, path: path)
            }
        }
        var cells: [String: [Int64: Cell]] = [:]
        var first = Int64.max, last = Int64.min
        if d == .postgres {
            // The server aggregates (a hash aggregate) and sends one row per group and interval.
            let stmt = try database.prepare("""
                SELECT \(groupSQL) AS g, ts / ?3 AS k, count(*), sum(input_tokens), sum(output_tokens), \(d.moneySum("cost")),
                       min(ts), max(ts)
                FROM requests WHERE ts >= ?1 AND ts < ?2 GROUP BY g, k ORDER BY g, k
                """)
            try stmt.bind([.int(lo), .int(hi), .int(interval)])
            while try stmt.step() {
                // Added, not assigned: the server groups bytes, so two spellings of one name
                // come as two rows (assigning kept the second's numbers and lost the first's).
                let cell = Cell(requests: Int(stmt.int64(2)), input: Int(stmt.int64(3)), output: Int(stmt.int64(4)),
                                cost: try stmt.money(5, table: "requests", column: "cost"))
                try cells[Self.seriesGroup(stmt.text(0)), default: [:]][stmt.int64(1), default: Cell()].add(cell, path: path)
                first = min(first, stmt.int64(6))
                last = max(last, stmt.int64(7))
            }
        } else {
            // SQLite has no hash aggregate: `GROUP BY g, k` sorted every row through a temporary
            // B-tree. One pass in primary-key order, summed here (exactly: Money is exact), is
            // the same answer.
            let stmt = try database.prepare("""
                SELECT \(groupSQL), ts, input_tokens, output_tokens, cost FROM requests WHERE ts >= ?1 AND ts < ?2
                """)
            try stmt.bind([.int(lo), .int(hi)])
            var group = "", groupCells: [Int64: Cell] = [:], started = false
            while try stmt.step() {
                let g = stmt.text(0)
                if !started || g != group {
                    if started { cells[group] = groupCells }
                    group = Self.seriesGroup(g)
                    groupCells = cells.removeValue(forKey: g) ?? [:]
                    started = true
                }
                let ts = stmt.int64(1)
                let cost = stmt.isNull(4) ? nil : try stmt.money(4, table: "requests", column: "cost")
                try groupCells[ts / interval, default: Cell()].add(input: stmt.int64(2), output: stmt.int64(3), cost: cost, path: path)
                first = min(first, ts)
                last = max(last, ts)
            }
            if started { cells[group] = groupCells }
        }
        guard first <= last else { return [] }
        let windowStart = from ?? first
        let windowEnd = to ?? (last + 1)
        func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
        let k0 = floorDiv(windowStart, interval)
        let k1 = floorDiv(windowEnd - 1, interval)
        guard k1 - k0 + 1 <= Int64(Store.maximumSeriesIntervals) else {
            throw .seriesTooLong(intervals: k1 - k0 + 1, maximum: Store.maximumSeriesIntervals)
        }
        let n = Int(k1 - k0 + 1)
        var out: [RequestSeries] = []
        for group in cells.keys.sorted() {
            var s = RequestSeries(group: group, start: k0 * interval, interval: interval,
                                  requests: Array(repeating: 0, count: n), inputTokens: Array(repeating: 0, count: n),
                                  outputTokens: Array(repeating: 0, count: n), cost: Array(repeating: .zero, count: n),
                                  partial: Array(repeating: false, count: n))
            for (k, c) in cells[group]! {
                let i = Int(k - k0)
                guard i >= 0 && i < n else { continue }
                s.requests[i] = c.requests
                s.inputTokens[i] = c.input
                s.outputTokens[i] = c.output
                s.cost[i] = c.cost
            }
            s.partial[0] = k0 * interval < windowStart || (n == 1 && (k0 + 1) * interval > windowEnd)
            s.partial[n - 1] = s.partial[n - 1] || (k1 + 1) * interval > windowEnd
            out.append(s)
        }
        return out
    }

    /// The group a stored name falls in: its NFC form (an ASCII name as it is).
    static func seriesGroup(_ name: String) -> String {
        name.utf8.allSatisfy { $0 < 0x80 } ? name : name.precomposedStringWithCanonicalMapping
    }
}
