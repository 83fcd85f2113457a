import MosaicStore

extension Store {
    /// Records a run that failed before it started reading rows, with the error's message and
    /// no counts (best effort: the store may be what failed).
    func recordFailedRun(source: String, location: String, _ error: IngestError) {
        guard let id = try? beginRun(source: source, location: location) else { return }
        try? finishRun(id, counts: IngestCounts(), error: error.description)
    }

    /// Runs `load`, which stores one file's rows in a transaction of its own, as run `runID`, and
    /// records how it ended: the counts it returns, or, when it throws, no counts (nothing
    /// landed) and the message of the error, which is then thrown as an ``IngestError`` about
    /// `path` (recording the failure is best effort).
    @discardableResult
    func recordRun(_ runID: Int64, path: String, _ load: () throws -> IngestCounts) throws(IngestError) -> IngestCounts {
        let counts: IngestCounts
        do {
            counts = try load()
        } catch {
            let ingestError = IngestError(error, path: path)
            try? finishRun(runID, counts: IngestCounts(), error: ingestError.description)
            throw ingestError
        }
        do { try finishRun(runID, counts: counts) } catch { throw .store(error) }
        return counts
    }
}
