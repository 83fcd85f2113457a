import MosaicIngest
import MosaicStore
import Testing

/// Checks the promises every failed ingest keeps: `failure` happened, its message starts with
/// `prefix` (and holds `reason` unless that is empty), `table` holds nothing of the file, and the
/// newest run failed carrying the message. Returns the error and that run for further checks.
func expectFailedIngest(_ failure: IngestError?, store: Store, table: String, prefix: String, contains reason: String,
                        sourceLocation: SourceLocation) throws -> (error: IngestError, run: IngestRun) {
    let error = try #require(failure, "the ingest succeeded", sourceLocation: sourceLocation)
    let message = error.description
    #expect(message.hasPrefix(prefix), "\(message)", sourceLocation: sourceLocation)
    if !reason.isEmpty { #expect(message.contains(reason), "\(message)", sourceLocation: sourceLocation) }
    #expect(try store.database.scalarInt("SELECT count(*) FROM \(table)") == 0, sourceLocation: sourceLocation)
    let run = try #require(try store.runs().first, "no ingest run recorded", sourceLocation: sourceLocation)
    #expect(run.status == "failed", sourceLocation: sourceLocation)
    #expect(run.error == message, sourceLocation: sourceLocation)
    return (error, run)
}
