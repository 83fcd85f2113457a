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
    /// Aggregates the requests table into regular intervals per group, empty intervals as zeros.
    ///
    /// The window is `[from, to)`, or from the first request to just after the last; intervals
    /// are aligned to multiples of `interval` since the epoch (UTC), and an interval that the
    /// window cuts is marked partial. Every group spans the same intervals.
    ///
    /// - Parameter interval: µs, from one minute to one day.
    public func requestSeries(interval: Int64, by grouping: SeriesGrouping, from: Int64? = nil,
                              to: Int64? = nil) throws(StoreError) -> [RequestSeries] {
        precondition(interval > 0)
        let lo = from ?? Int64.min, hi = to ?? Int64.max
        let d = database.dialect
        let groupSQL = d.bytewise(grouping == .all ? "'all'" : grouping.rawValue)
        let stmt = try database.prepare("""
            SELECT \(groupSQL) AS g, ts / ?3 AS k, count(*), sum(input_tokens), sum(output_tokens), \(d.moneySum("cost")),
                   min(ts), max(ts)
            FROM requests WHERE ts >= ?1 AND ts < ?2 GROUP BY g, k ORDER BY g, k
            """)
        try stmt.bind([.int(lo), .int(hi), .int(interval)])
        struct Cell { var requests: Int; var input: Int; var output: Int; var cost: Money }
        var cells: [String: [Int64: Cell]] = [:]
        var first = Int64.max, last = Int64.min
        while try stmt.step() {
            let costText = stmt.isNull(5) ? "0" : stmt.text(5)
            guard let cost = try? Money(parsing: costText) else {
                throw .corruptValue(table: "requests", column: "cost", value: costText)
            }
            cells[stmt.text(0), default: [:]][stmt.int64(1)] = Cell(
                requests: Int(stmt.int64(2)), input: Int(stmt.int64(3)), output: Int(stmt.int64(4)), cost: cost)
            first = min(first, stmt.int64(6))
            last = max(last, stmt.int64(7))
        }
        guard first <= last else { return [] }
        let windowStart = from ?? first
        let windowEnd = to ?? (last + 1)
        func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
        let k0 = floorDiv(windowStart, interval)
        let k1 = floorDiv(windowEnd - 1, interval)
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
}
