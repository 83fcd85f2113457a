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
            (format, size) = try RequestLogReader(catalog: catalog).preflight(path: path, options: options)
        } catch {
            store.recordFailedRun(source: "requests:\(options.format?.rawValue ?? "auto")", location: location, error)
            throw error
        }

        let prices: PriceBook
        let runID: Int64
        do {
            try store.syncProviders(catalog)
            prices = try store.priceBook()
            runID = try store.beginRun(source: "requests:\(format.rawValue)", location: location)
        } catch {
            throw .store(error)
        }

        // On SQLite the rows' providers are checked here, against the providers read inside the
        // write transaction (no other writer can change them until it ends), instead of by
        // SQLite's foreign-key check (see `Database.withoutForeignKeyChecks`); PostgreSQL's
        // writer checks them again against the providers it locks. With a second core, the
        // inserts (on PostgreSQL, encoding the COPY text) run on a writer thread while this one
        // reads (``InsertPipeline``).
        let pipelined = options.writerThread && ProcessInfo.processInfo.activeProcessorCount > 1
        var unpriced = 0
        let counts = try store.recordRun(runID, path: path) {
            try store.database.withoutForeignKeyChecks {
                try store.database.transaction {
                    let known = try store.providerIDs()
                    let writer = try RequestWriter(store: store, runID: runID)
                    let sink = RequestRowSink(writer: writer, prices: prices, knownProviders: known, pipelined: pipelined)
                    defer { sink.cancel() }
                    let job = Job(path: path, location: location, options: options, store: store, runID: runID,
                                  sink: sink, totalBytes: size)
                    try job.read(format: format)
                    try sink.finish()
                    unpriced = sink.unpriced
                    return IngestCounts(read: job.rowsRead, inserted: sink.inserted, duplicate: sink.duplicates,
                                        quarantined: job.quarantined)
                }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return RequestIngestResult(path: path, format: format, runID: runID, rowsRead: counts.read,
                                   inserted: counts.inserted, duplicates: counts.duplicate,
                                   quarantined: counts.quarantined, unpriced: unpriced, seconds: seconds)
    }

}

/// The state of one file's ingest.
final class Job {
    let path: String
    let location: String
    let options: RequestIngestOptions
    /// Where bad rows go with `skipBad` (nil when reading without a store).
    let store: Store?
    let runID: Int64
    let sink: any RowSink
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

        /// A row with the default names filled in (provider and model when given): what a trace
        /// row, which names none, starts from.
        var row: BorrowedRow {
            var r = BorrowedRow()
            r.tenant = tenant
            r.operation = operation
            r.region = region
            if let provider { r.provider = provider }
            if let model { r.model = model }
            return r
        }
    }

    init(path: String, location: String, options: RequestIngestOptions, store: Store?, runID: Int64,
         sink: any RowSink, totalBytes: Int64) {
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
        guard options.skipBad, let store else { throw .row(file: path, line: line, column: problem.column, reason: problem.reason) }
        do {
            try sink.drain()
            try store.quarantine(runID: runID, location: location, line: line, field: problem.column,
                                 reason: problem.reason, raw: raw())
        } catch { throw .store(error) }
        quarantined += 1
    }

    /// Reads the whole file in its format.
    func read(format: RequestLogFormat) throws(IngestError) {
        switch format {
        case .csv, .azureTrace, .burstgpt: try readCSV(format: format)
        case .jsonl, .mooncake: try readJSONLines(format: format)
        }
    }

    func reportProgress(bytes: Int64) {
        options.progress?(IngestProgress(bytesRead: bytes, totalBytes: totalBytes, rows: rowsRead))
    }
}
