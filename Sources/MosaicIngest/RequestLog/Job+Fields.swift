import MosaicCore

/// Field checks shared by every format: each names the column and says what is wrong.
extension Job {
    @inline(__always)
    func text(_ b: UnsafeRawBufferPointer, _ column: String, required: Bool = false) throws(RowProblem) -> UnsafeRawBufferPointer {
        if required && b.count == 0 { throw RowProblem(column: column, reason: "is empty") }
        if !ByteParsing.isCleanText(b) {
            throw RowProblem(column: column, reason: ByteParsing.uncleanTextReason(b))
        }
        return b
    }

    @inline(__always)
    func timestamp(_ b: UnsafeRawBufferPointer, _ column: String) throws(RowProblem) -> Int64 {
        if b.count == 0 { throw RowProblem(column: column, reason: "is empty") }
        guard let ts = Timestamp.parse(b) else {
            throw RowProblem(column: column, reason: "'\(ByteParsing.excerpt(b))' is not an ISO 8601 timestamp (for example 2024-05-01T12:00:00Z)")
        }
        return try plausible(ts, column)
    }

    /// A request's instant: not in the future (beyond the tolerance for clock skew), and not
    /// before ``Timestamp/earliestPlausible``.
    @inline(__always)
    func plausible(_ ts: Int64, _ column: String) throws(RowProblem) -> Int64 {
        if let early = Timestamp.tooEarly(ts, what: "a request") { throw RowProblem(column: column, reason: early) }
        if ts > options.now + options.futureTolerance {
            throw RowProblem(column: column, reason: "\(Timestamp.format(ts)) is in the future (now is \(Timestamp.format(options.now)))")
        }
        return ts
    }

    @inline(__always)
    func tokens(_ b: UnsafeRawBufferPointer, _ column: String) throws(RowProblem) -> Int64 {
        if b.count == 0 { return 0 }
        guard let v = ByteParsing.int(b) else {
            throw RowProblem(column: column, reason: "'\(ByteParsing.excerpt(b))' is not a whole number")
        }
        if let problem = Job.tokenProblem(v) { throw RowProblem(column: column, reason: problem) }
        return v
    }

    /// Why a token count is refused, or nil: negative, or over `maximum` (a request's
    /// ``maximumTokens``; a provider's bucket sums many requests). Provider API pages use it too.
    static func tokenProblem(_ v: Int64, maximum: Int64 = maximumTokens) -> String? {
        if v < 0 { return "\(v) is negative; token counts are ≥ 0" }
        if v > maximum { return "\(v) is over \(maximum), more tokens than a request holds" }
        return nil
    }

    /// The largest token count a row may have (10¹²): far above any request, and low enough
    /// that no price can make its exact cost overflow `Money`.
    static let maximumTokens: Int64 = 1_000_000_000_000

    @inline(__always)
    func milliseconds(_ b: UnsafeRawBufferPointer, _ column: String, scale: Double = 1) throws(RowProblem) -> Double? {
        if b.count == 0 { return nil }
        guard let v = ByteParsing.double(b) else {
            if ByteParsing.isMissingMarker(b) { return nil }
            throw RowProblem(column: column, reason: "'\(ByteParsing.excerpt(b))' is not a number")
        }
        if v < 0 { throw RowProblem(column: column, reason: "\(v) is negative; durations are ≥ 0") }
        // An absurd latency breaks every mean, fit and chart later, far from the row; refused
        // here, where the row is known. The check is on milliseconds, after any conversion
        // (BurstGPT's seconds), and `!(ms <= …)` also refuses a product that left the range.
        let ms = v * scale
        if !(ms <= LatencyObservation.maximumMs) {
            throw RowProblem(column: column, reason: LatencyObservation.overMaximum(ByteParsing.excerpt(b), inSeconds: scale == 1000))
        }
        return ms
    }

    @inline(__always)
    func status(_ b: UnsafeRawBufferPointer, _ column: String) throws(RowProblem) -> RequestStatus {
        if b.count == 0 { return .ok }
        if b.count == 2 && b[0] == 111 && b[1] == 107 { return .ok }  // "ok", the common case
        let t = ByteParsing.text(b)
        guard let s = RequestStatus(parsing: Substring(t)) else {
            throw RowProblem(column: column, reason: "'\(ByteParsing.excerpt(b))' is not a status (expected one of \(RequestStatus.allCases.map(\.rawValue).joined(separator: ", ")) or an HTTP status code)")
        }
        return s
    }

    @inline(__always)
    func money(_ b: UnsafeRawBufferPointer, _ column: String) throws(RowProblem) -> Money? {
        if b.count == 0 { return nil }
        switch Money.parse(b) {
        case .success(let m):
            if m < .zero { throw RowProblem(column: column, reason: "\(m) is negative; a request's cost is ≥ 0") }
            if !m.isWithinIngestLimit { throw RowProblem(column: column, reason: Money.overLimit(m)) }
            return m
        case .failure(let e):
            if ByteParsing.isMissingMarker(b) { return nil }
            throw RowProblem(column: column, reason: e.description)
        }
    }

    func relative(_ offsetMicros: Double, _ column: String) throws(RowProblem) -> Int64 {
        guard offsetMicros.isFinite, offsetMicros >= 0, offsetMicros < 1e17 else {
            throw RowProblem(column: column, reason: "\(offsetMicros / 1e6) s is not a valid offset from the start of the trace")
        }
        return try plausible(options.start! + Int64(offsetMicros.rounded()), column)
    }

    /// Builds a row of the native layout (CSV or JSON Lines) from its fields: `field(c)` is
    /// the column's bytes, empty when the column is absent.
    @inline(__always)
    func nativeRow(_ field: (RequestLogColumn) -> UnsafeRawBufferPointer) throws(RowProblem) -> BorrowedRow {
        let d = defaults
        var row = BorrowedRow()
        row.ts = try timestamp(field(.timestamp), "timestamp")
        row.provider = try text(field(.provider), "provider", required: true)
        row.model = try text(field(.model), "model", required: true)
        let tenant = field(.tenant), op = field(.operation), region = field(.region)
        row.tenant = tenant.count > 0 ? try text(tenant, "tenant") : d.tenant
        row.operation = op.count > 0 ? try text(op, "operation") : d.operation
        row.region = region.count > 0 ? try text(region, "region") : d.region
        row.inputTokens = try tokens(field(.inputTokens), "input_tokens")
        row.outputTokens = try tokens(field(.outputTokens), "output_tokens")
        row.cachedTokens = try tokens(field(.cachedTokens), "cached_tokens")
        if let problem = RequestRecord.cachedTokensProblem(row.cachedTokens, input: row.inputTokens) {
            throw RowProblem(column: "cached_tokens", reason: problem)
        }
        row.latencyMs = try milliseconds(field(.latencyMs), "latency_ms")
        row.ttftMs = try milliseconds(field(.ttftMs), "ttft_ms")
        row.status = try status(field(.status), "status")
        row.cost = try money(field(.cost), "cost_usd")
        let rid = field(.requestID)
        if rid.count > 0 { row.requestID = try text(rid, "request_id") }
        return row
    }
}
