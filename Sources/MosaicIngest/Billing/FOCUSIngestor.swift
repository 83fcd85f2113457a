import Foundation
import MosaicCore
import MosaicStore

/// Loads FinOps FOCUS 1.0 and 1.2 billing exports (CSV) into the `billing_lines` table.
///
/// One file is one transaction: it lands whole or not at all (with
/// ``FOCUSIngestOptions/skipBad`` its bad rows land in `quarantine` instead, with their
/// reasons). Each run is recorded in `ingest_runs` as source `billing:focus` (rows read,
/// inserted, updated, unchanged as `rows_duplicate`, quarantined; failed runs with their error
/// and zero counts, since nothing landed). Reading is streaming (1 MiB blocks); what grows
/// with the file is only the set of line identities that numbers equal lines, about 11 bytes per
/// distinct row (some 110 MB for ten million).
///
/// A line's natural key is `focus:` + 16 hex digits of its ``BillingLine/focusIdentity`` (a
/// hash of its parsed values in a canonical form, by column name) + `:` + how many lines of
/// that identity came before it in the file. Re-ingesting a file, or a re-export of it with
/// its columns in another order, its decimals or date/times spelled otherwise, or columns
/// added that ``BillingLine`` keeps in `extra` (`x_` columns, FOCUS 1.2's `InvoiceId`),
/// therefore inserts nothing: what differs only in `extra` updates the stored line. Lines of
/// one identity within a file are all kept, told apart by their order. A different tag
/// mapping updates the allocation keys of lines already stored.
///
/// Columns: see ``FOCUSRowParser`` for the checks and the mapping to ``BillingLine``. Columns
/// that ``BillingLine`` has no field for — FOCUS ones, `x_` custom columns, and any other
/// column, because providers add their own (the FOCUS sample's `Id`, for one) — are kept in the
/// line's `extra` JSON object as exact text.
public struct FOCUSIngestor {
    /// The `ingest_runs.source` of every FOCUS ingest.
    public static let runSource = "billing:focus"

    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// Ingests one FOCUS CSV file.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - options: version, tag mapping, `skipBad`, progress.
    /// - Returns: counts, the version read and the billed total per currency.
    /// - Throws: ``IngestError``: `.file` for an unreadable file or header (a missing mandatory
    ///   column is named), `.row` (`FILE:LINE: column X: reason`) for a bad row without
    ///   `skipBad`, `.store` when the store fails. On any error nothing of this file is
    ///   committed, and the run is recorded as failed with the message.
    public func ingest(path: String, options: FOCUSIngestOptions = FOCUSIngestOptions()) throws(IngestError) -> FOCUSIngestResult {
        let started = DispatchTime.now()
        let location = URL(fileURLWithPath: path).standardizedFileURL.path
        let size: Int64
        do {
            size = try preflight(path: path)
        } catch {
            store.recordFailedRun(source: FOCUSIngestor.runSource, location: location, error)
            throw error
        }
        let runID: Int64
        do { runID = try store.beginRun(source: FOCUSIngestor.runSource, location: location) } catch { throw .store(error) }

        let job = FOCUSFileJob(path: path, location: location, options: options, store: store, runID: runID,
                               totalBytes: size)
        try store.recordRun(runID, path: path) {
            try store.database.transaction {
                try job.run(writer: try BillingWriter(store: store, runID: runID))
            }
            return IngestCounts(read: job.rowsRead, inserted: job.inserted, duplicate: job.unchanged,
                                quarantined: job.quarantined, updated: job.updated)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return FOCUSIngestResult(
            file: path, version: job.version ?? .v1_0, runID: runID, rows: job.rowsRead, inserted: job.inserted,
            updated: job.updated, unchanged: job.unchanged, quarantined: job.quarantined,
            billedTotals: job.billedTotals.mapValues(\.description), seconds: seconds)
    }

    /// The checks before the file is opened for reading: it exists, is a file and is not empty.
    func preflight(path: String) throws(IngestError) -> Int64 {
        try InputFile.nonEmptySize(path, expected: "a FOCUS header line and rows")
    }
}

/// The state of one FOCUS file's ingest.
final class FOCUSFileJob {
    let path: String
    let location: String
    let options: FOCUSIngestOptions
    let store: Store
    let runID: Int64
    let totalBytes: Int64
    private(set) var version: FOCUSVersion?
    private(set) var rowsRead = 0
    private(set) var inserted = 0
    private(set) var updated = 0
    private(set) var unchanged = 0
    private(set) var quarantined = 0
    private(set) var billedTotals: [String: Money] = [:]
    /// Identities of the file's good rows so far, and for those seen more than once, how many
    /// times (repeats are rare, so the set stays the only large part).
    private var seen = Set<Int64>()
    private var repeats: [Int64: Int] = [:]

    init(path: String, location: String, options: FOCUSIngestOptions, store: Store, runID: Int64, totalBytes: Int64) {
        self.path = path
        self.location = location
        self.options = options
        self.store = store
        self.runID = runID
        self.totalBytes = totalBytes
    }

    /// Reads the file and upserts its lines; the caller owns the transaction.
    func run(writer: BillingWriter) throws(IngestError) {
        let reader = try CSVReader(path: path)
        let header = try reader.header(expected: "FOCUS columns")
        let layout = try FOCUSLayout(header: header, version: options.version, path: path)
        version = layout.version
        let parser = FOCUSRowParser(layout: layout, tags: options.tags)
        while try reader.next() {
            rowsRead += 1
            let parsed: Result<BillingLine, RowProblem>
            do { parsed = .success(try parser.line(reader)) } catch { parsed = .failure(error) }
            switch parsed {
            case .success(var line):
                let total = billedTotals[line.billingCurrency, default: .zero]
                guard let sum = total.addingReportingOverflow(line.billedCost) else {
                    try setAside(RowProblem(column: FOCUSColumn.billedCost.rawValue, reason: "takes the file's \(line.billingCurrency) total beyond what Mosaic can hold exactly"), reader)
                    continue
                }
                line.naturalKey = naturalKey(line)
                billedTotals[line.billingCurrency] = sum
                do {
                    switch try writer.upsert(line) {
                    case .inserted: inserted += 1
                    case .updated: updated += 1
                    case .unchanged: unchanged += 1
                    }
                } catch {
                    throw .store(error)
                }
            case .failure(let problem):
                try setAside(problem, reader)
            }
            if rowsRead & 0xFFF == 0 { reportProgress(reader) }
        }
        reportProgress(reader)
    }

    /// `focus:<16 hex digits of the line's identity>:<occurrence>` (see
    /// ``BillingLine/focusIdentity``).
    private func naturalKey(_ line: BillingLine) -> String {
        let hash = line.focusIdentity
        var occurrence = 0
        if !seen.insert(hash).inserted {
            occurrence = repeats[hash, default: 1]
            repeats[hash] = occurrence + 1
        }
        return BillingLine.focusKey(identity: hash, occurrence: occurrence)
    }

    /// A bad row: quarantined with `skipBad`, otherwise the end of the file.
    private func setAside(_ problem: RowProblem, _ reader: CSVReader) throws(IngestError) {
        if !options.skipBad {
            throw .row(file: path, line: reader.recordLine, column: problem.column, reason: problem.reason)
        }
        do {
            try store.quarantine(runID: runID, location: location, line: reader.recordLine, field: problem.column,
                                 reason: problem.reason, raw: reader.rawRecord())
        } catch {
            throw .store(error)
        }
        quarantined += 1
    }

    private func reportProgress(_ reader: CSVReader) {
        options.progress?(IngestProgress(bytesRead: reader.position, totalBytes: totalBytes, rows: rowsRead))
    }
}
