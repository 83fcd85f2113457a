import Foundation
import MosaicCore
import MosaicStore

/// Loads request logs and public traces into the `requests` table.
///
/// One file is one transaction: a file either lands whole or not at all (with `skipBad`, its
/// bad rows land in `quarantine` instead, with their reasons). Re-ingesting a file adds
/// nothing (see ``RequestRowSink`` for the content key). Reading is streaming: memory stays
/// flat whatever the file size.
public struct RequestLogIngestor {
    public let store: Store
    public let catalog: Catalog

    public init(store: Store, catalog: Catalog) {
        self.store = store
        self.catalog = catalog
    }

    /// Ingests one file.
    ///
    /// - Throws: ``IngestError``; on any error nothing of this file is committed, and the run
    ///   is recorded as failed with the message.
    public func ingest(path: String, options: RequestIngestOptions) throws(IngestError) -> RequestIngestResult {
        let started = DispatchTime.now()
        let location = URL(fileURLWithPath: path).standardizedFileURL.path
        let format: RequestLogFormat
        let size: Int64
        do {
            (format, size) = try preflight(path: path, options: options)
        } catch {
            recordFailure(source: "requests:\(options.format?.rawValue ?? "auto")", location: location, error)
            throw error
        }

        let known: Set<String>
        let prices: PriceBook
        let runID: Int64
        do {
            try store.syncProviders(catalog)
            known = try store.providerIDs()
            prices = try store.priceBook()
            runID = try store.beginRun(source: "requests:\(format.rawValue)", location: location)
        } catch {
            throw .store(error)
        }

        var counts = IngestCounts()
        var unpriced = 0
        do {
            try store.database.transaction {
                let writer = try RequestWriter(store: store, runID: runID)
                let sink = RequestRowSink(writer: writer, prices: prices, knownProviders: known)
                let job = Job(path: path, location: location, options: options, store: store, runID: runID,
                              sink: sink, totalBytes: size)
                switch format {
                case .csv, .azureTrace, .burstgpt: try job.readCSV(format: format)
                case .jsonl, .mooncake: try job.readJSONLines(format: format)
                }
                try writer.finish()
                counts = IngestCounts(read: job.rowsRead, inserted: sink.inserted, duplicate: sink.duplicates,
                                      quarantined: job.quarantined)
                unpriced = sink.unpriced
            }
        } catch {
            let ingestError: IngestError
            switch error {
            case let e as IngestError: ingestError = e
            case let e as StoreError: ingestError = .store(e)
            default: ingestError = .file(path: path, reason: "\(error)")
            }
            try? store.finishRun(runID, counts: IngestCounts(), error: ingestError.description)
            throw ingestError
        }
        do { try store.finishRun(runID, counts: counts) } catch { throw .store(error) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return RequestIngestResult(path: path, format: format, runID: runID, rowsRead: counts.read,
                                   inserted: counts.inserted, duplicates: counts.duplicate,
                                   quarantined: counts.quarantined, unpriced: unpriced, seconds: seconds)
    }

    /// The checks before any row is read: the file exists and is not empty, its format is
    /// known, and the options fit the format.
    func preflight(path: String, options: RequestIngestOptions) throws(IngestError) -> (RequestLogFormat, Int64) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .file(path: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw .file(path: path, reason: "is a directory, not a file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        if size == 0 { throw .file(path: path, reason: "the file is empty (expected a header line and rows)") }
        let format: RequestLogFormat
        if let f = options.format { format = f } else { format = try detectFormat(path: path) }
        try check(options, for: format)
        return (format, size)
    }

    /// Records a run that failed before it started reading rows (best effort: the store may be
    /// what failed).
    func recordFailure(source: String, location: String, _ error: IngestError) {
        guard let id = try? store.beginRun(source: source, location: location) else { return }
        try? store.finishRun(id, counts: IngestCounts(), error: error.description)
    }

    func detectFormat(path: String) throws(IngestError) -> RequestLogFormat {
        let reader = try LineReader(path: path, maxLineBytes: 1 << 16)
        let first: String
        do {
            guard try reader.next() else { throw IngestError.file(path: path, reason: "the file is empty") }
            first = String(decoding: reader.line, as: UTF8.self)
        } catch {
            // A first line over 64 KiB: not a header of any known format.
            throw .file(path: path, reason: "cannot tell the format from the first line; pass --format")
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
                throw .option("\(format.rawValue) traces name no provider or model; pass --provider and --model (for example --provider openai --model gpt-4o)")
            }
        }
        if let p = o.provider, catalog.provider(id: p) == nil {
            throw .option("--provider \(p): not in the provider catalog (known: \(catalog.providers.map(\.id).joined(separator: ", ")))")
        }
    }
}

/// The state of one file's ingest.
final class Job {
    let path: String
    let location: String
    let options: RequestIngestOptions
    let store: Store
    let runID: Int64
    let sink: RequestRowSink
    let totalBytes: Int64
    var rowsRead = 0
    var quarantined = 0
    let defaults: Defaults

    /// Default field values as stable byte buffers, borrowed by every row that lacks them.
    final class Defaults {
        private let owned: OwnedBytes
        let tenant: UnsafeRawBufferPointer
        let operation: UnsafeRawBufferPointer
        let region: UnsafeRawBufferPointer
        let provider: UnsafeRawBufferPointer?
        let model: UnsafeRawBufferPointer?

        init(_ o: RequestIngestOptions) {
            owned = OwnedBytes([o.tenant, o.operation, o.region, o.provider ?? "", o.model ?? ""])
            tenant = owned[0]
            operation = owned[1]
            region = owned[2]
            provider = o.provider == nil ? nil : owned[3]
            model = o.model == nil ? nil : owned[4]
        }
    }

    init(path: String, location: String, options: RequestIngestOptions, store: Store, runID: Int64,
         sink: RequestRowSink, totalBytes: Int64) {
        self.path = path
        self.location = location
        self.options = options
        self.store = store
        self.runID = runID
        self.sink = sink
        self.totalBytes = totalBytes
        defaults = Defaults(options)
    }

    /// Stores a row, or handles its problem: quarantine with `skipBad`, otherwise stop the file.
    func deliver(line: Int, raw: () -> String, _ make: () throws(RowProblem) -> BorrowedRow) throws(IngestError) {
        rowsRead += 1
        let problem: RowProblem
        do {
            let row = try make()
            do {
                try sink.accept(row)
                return
            } catch {
                switch error {
                case .store(let e): throw IngestError.store(e)
                case .problem(let p): problem = p
                }
            }
        } catch let p as RowProblem {
            problem = p
        } catch let e as IngestError {
            throw e
        } catch {
            throw .file(path: path, reason: "\(error)")
        }
        if !options.skipBad { throw .row(file: path, line: line, column: problem.column, reason: problem.reason) }
        do {
            try store.quarantine(runID: runID, location: location, line: line, field: problem.column,
                                 reason: problem.reason, raw: raw())
        } catch { throw .store(error) }
        quarantined += 1
    }

    func reportProgress(bytes: Int64) {
        options.progress?(IngestProgress(bytesRead: bytes, totalBytes: totalBytes, rows: rowsRead))
    }
}
