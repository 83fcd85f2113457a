import MosaicCore

/// Settings for one request-log ingest.
public struct RequestIngestOptions: Sendable {
    /// The longest a name given for rows that name none may be: as long as a file's field.
    public static let longestName = CSVReader.fieldLimit

    /// The format; nil detects it from the file's first line.
    public var format: RequestLogFormat?
    /// Provider for rows that name none (traces never do).
    public var provider: String?
    /// Model for rows that name none.
    public var model: String?
    /// What the command calls ``provider`` and ``model`` in its messages (`mosaic eval routing`
    /// says `--data-provider` and `--data-model`: its `--model` is the model file).
    public var optionNames = (provider: "--provider", model: "--model")
    /// Tenant for rows that name none.
    public var tenant: String = "default"
    /// Operation for rows that name none.
    public var operation: String = "chat"
    /// Region for rows that name none.
    public var region: String = ""
    /// The instant that relative trace timestamps (BurstGPT, Mooncake) count from, µs.
    public var start: Int64?
    /// Store bad rows in the quarantine table instead of stopping the file.
    public var skipBad = false
    /// "Now" for the future-timestamp check, µs; rows more than ``futureTolerance`` after it are refused.
    public var now: Int64 = Timestamp.now()
    /// Allowed clock skew for the future check, µs (default 5 minutes).
    public var futureTolerance: Int64 = 300 * Timestamp.microsPerSecond
    /// With more than one core, insert (on PostgreSQL: encode the COPY text) on a second
    /// thread while this one reads (the stored rows are the same either way).
    public var writerThread = true
    /// Called now and then with progress (never from another thread).
    public var progress: (@Sendable (IngestProgress) -> Void)?

    public init() {}
}

/// How far an ingest has got.
public struct IngestProgress: Sendable {
    public var bytesRead: Int64
    public var totalBytes: Int64
    public var rows: Int
}

/// What one file's ingest did.
public struct RequestIngestResult: Sendable, Codable, Equatable {
    public var path: String
    public var format: RequestLogFormat
    public var runID: Int64
    public var rowsRead: Int
    public var inserted: Int
    public var duplicates: Int
    public var quarantined: Int
    /// Rows stored without a cost because no price applied.
    public var unpriced: Int
    public var seconds: Double
}
