import Foundation
import MosaicCore
import MosaicStore

/// Reads request logs and public traces (every format of ``RequestLogFormat``) row by row, with
/// the same checks and messages as ``RequestLogIngestor`` but no store: a trace replay reads its
/// file straight into simulated requests this way.
public struct RequestLogReader {
    public let catalog: Catalog

    public init(catalog: Catalog) {
        self.catalog = catalog
    }

    /// Reads the file and calls `body` with each row in file order, and with the content key the
    /// store files it under: `(timestamp, key)` orders rows as the store does, and a repeat of both
    /// is a row the ingest counts as already stored. Bad rows stop the read (`skipBad` needs a
    /// store to set them aside in); a row naming a provider outside the catalog is a bad row, as
    /// in the ingest.
    ///
    /// - Returns: the format read (detected when `options.format` is nil).
    @discardableResult
    public func read(path: String, options: RequestIngestOptions, _ body: @escaping (_ key: Int64, _ row: RequestRecord) -> Void) throws(IngestError) -> RequestLogFormat {
        let (format, size) = try preflight(path: path, options: options)
        let location = URL(fileURLWithPath: path).standardizedFileURL.path
        let sink = RowCollector(knownProviders: Set(catalog.providers.map(\.id)), body)
        var plain = options
        plain.skipBad = false
        let job = Job(path: path, location: location, options: plain, store: nil, runID: 0, sink: sink, totalBytes: size)
        try job.read(format: format)
        return format
    }

    /// Every row of the file in the order the store keeps them (time, then content key), less
    /// the repeats the ingest counts as already stored: what reading the file back from a store
    /// it was ingested into gives, without the store.
    public func rowsInStoreOrder(path: String, options: RequestIngestOptions) throws(IngestError) -> [RequestRecord] {
        var rows: [(key: Int64, request: RequestRecord)] = []
        try read(path: path, options: options) { rows.append(($0, $1)) }
        rows.sort { ($0.request.timestamp, $0.key) < ($1.request.timestamp, $1.key) }
        var out: [RequestRecord] = []
        out.reserveCapacity(rows.count)
        var previous: (Int64, Int64)?
        for (key, r) in rows where previous.map({ $0 != (r.timestamp, key) }) ?? true {
            previous = (r.timestamp, key)
            out.append(r)
        }
        return out
    }

    /// The checks before any row is read: the file exists and is not empty, its format is
    /// known, and the options fit the format.
    func preflight(path: String, options: RequestIngestOptions) throws(IngestError) -> (RequestLogFormat, Int64) {
        let size = try InputFile.nonEmptySize(path, expected: "a header line and rows")
        let format: RequestLogFormat
        if let f = options.format { format = f } else { format = try detectFormat(path: path) }
        try check(options, for: format)
        return (format, size)
    }

    /// The format of the file's first line; a pipe's first bytes are kept for the read that
    /// follows (``InputFile/sniffing(_:_:)``).
    func detectFormat(path: String) throws(IngestError) -> RequestLogFormat {
        let first = try InputFile.sniffing(path) { () throws(IngestError) -> String in
            let reader = try LineReader(path: path, maxLineBytes: 1 << 16)
            do throws(IngestError) {
                guard try reader.next() else { throw IngestError.file(path: path, reason: "the file is empty") }
                return String(decoding: reader.line, as: UTF8.self)
            } catch {
                // A first line over 64 KiB is not a header of any known format; anything else
                // (a damaged gzip stream, a read error) is said as it is.
                guard case .row = error else { throw error }
                throw .file(path: path, reason: "cannot tell the format from the first line; pass --format")
            }
        }
        guard let f = RequestLogFormat.detect(firstLine: first, path: path) else {
            throw .file(path: path, reason: "cannot tell the format from the first line '\(first.prefix(80))'; pass --format (one of \(RequestLogFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return f
    }

    func check(_ o: RequestIngestOptions, for format: RequestLogFormat) throws(IngestError) {
        if format.hasRelativeTime && o.start == nil {
            throw .option("\(format.rawValue) timestamps count from the start of the trace; pass --start with the instant they count from (for example --start 2024-01-01T00:00:00Z)")
        }
        if format == .azureTrace || format == .mooncake {
            if o.provider == nil || o.model == nil {
                let (p, m) = o.optionNames
                throw .option("\(format.rawValue) traces name no provider or model; pass \(p) and \(m) (for example \(p) openai \(m) gpt-4o)")
            }
        }
        if let p = o.provider, catalog.provider(id: p) == nil {
            throw .option("\(o.optionNames.provider) \(p): not in the provider catalog (known: \(catalog.providers.map(\.id).joined(separator: ", ")))")
        }
    }
}

/// Where a ``Job`` hands its parsed rows.
protocol RowSink: AnyObject {
    func accept(_ row: BorrowedRow) throws(RowFailure)
    /// Waits until every accepted row is stored, so the caller may use the store itself.
    func drain() throws(StoreError)
}

extension RowSink {
    func drain() throws(StoreError) {}
}

/// Copies rows out of the reader's buffer for ``RequestLogReader``.
final class RowCollector: RowSink {
    let knownProviders: Set<String>
    let body: (Int64, RequestRecord) -> Void
    private var keys = ContentKeys()

    init(knownProviders: Set<String>, _ body: @escaping (Int64, RequestRecord) -> Void) {
        self.knownProviders = knownProviders
        self.body = body
    }

    func accept(_ row: BorrowedRow) throws(RowFailure) {
        let provider = ByteParsing.text(row.provider)
        guard knownProviders.contains(provider) else {
            throw .problem(.unknownProvider(provider, known: knownProviders))
        }
        body(keys.key(row), RequestRecord(
            timestamp: row.ts, tenant: ByteParsing.text(row.tenant), provider: provider, model: ByteParsing.text(row.model),
            operation: ByteParsing.text(row.operation), region: ByteParsing.text(row.region), inputTokens: Int(row.inputTokens),
            outputTokens: Int(row.outputTokens), cachedTokens: Int(row.cachedTokens), latencyMs: row.latencyMs, ttftMs: row.ttftMs,
            status: row.status, cost: row.cost, requestID: row.requestID.map(ByteParsing.text)))
    }
}
