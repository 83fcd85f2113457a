import MosaicCore

/// One line of JSON Lines (jsonlines.org) as every JSON Lines reader here takes it (request logs,
/// correctness files, series): an object, or nothing but spaces, tabs and carriage returns, which is
/// skipped but counted, so that errors name the line a text editor shows.
enum JSONLine {
    static func isBlank(_ line: some Collection<UInt8>) -> Bool { line.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 } }

    /// The members of the object on `line`, in order, or what is wrong with the line, in the
    /// words all the readers use. A key that appears twice is an error naming it, as a column
    /// that appears twice in a CSV header is: neither copy is more right than the other.
    static func object(_ line: some Collection<UInt8>) -> Result<[JSONValue.Member], RowProblem> {
        let value: JSONValue
        do { value = try JSONValue.parse(line, uniqueKeys: true) } catch {
            if let key = error.duplicateKey {
                return .failure(RowProblem(column: key, reason: "appears twice in the object; a key may appear once"))
            }
            return .failure(RowProblem(column: nil, reason: "is not valid JSON: column \(error.column): \(error.reason)"))
        }
        guard let members = value.objectValue else {
            return .failure(RowProblem(column: nil, reason: "is not a JSON object (found \(value.kindName))"))
        }
        return .success(members)
    }

    /// The members of the object on line `line` of `path`, or an error naming the line.
    static func object(_ bytes: some Collection<UInt8>, path: String, line: Int) throws(IngestError) -> [JSONValue.Member] {
        try object(bytes).mapError { IngestError.row(file: path, line: line, column: $0.column, reason: $0.reason) }.get()
    }
}
