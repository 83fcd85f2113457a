/// Settings for one FOCUS ingest.
public struct FOCUSIngestOptions: Sendable {
    /// The FOCUS release; nil detects it from the header (see ``FOCUSVersion/detect(header:)``).
    public var version: FOCUSVersion?
    /// Which tag keys fill a line's team, tenant and project.
    public var tags = FOCUSTagMapping()
    /// Store bad rows in the quarantine table instead of stopping the file.
    public var skipBad = false
    /// Called now and then with progress (never from another thread).
    public var progress: (@Sendable (IngestProgress) -> Void)?

    public init() {}
}

/// What one FOCUS file's ingest did.
public struct FOCUSIngestResult: Sendable, Codable, Equatable {
    /// The file as given.
    public var file: String
    /// The FOCUS release the file was read as (given or detected).
    public var version: FOCUSVersion
    /// The `ingest_runs` row of this ingest.
    public var runID: Int64
    /// Data rows read (good and bad).
    public var rows: Int
    /// Lines new to the store.
    public var inserted: Int
    /// Lines already stored whose values changed (for example after a different tag mapping).
    public var updated: Int
    /// Lines already stored exactly as read.
    public var unchanged: Int
    /// Bad rows set aside in the quarantine table (only with ``FOCUSIngestOptions/skipBad``).
    public var quarantined: Int
    /// The sum of `BilledCost` over the file's good rows, per `BillingCurrency`, as exact
    /// canonical decimal text (`"20.52022672899"`).
    public var billedTotals: [String: String]
    /// Wall-clock time of the ingest.
    public var seconds: Double
}
