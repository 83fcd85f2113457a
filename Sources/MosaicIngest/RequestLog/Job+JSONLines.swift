import MosaicCore

extension Job {
    /// Reads JSON Lines in the native layout or Mooncake's.
    func readJSONLines(format: RequestLogFormat) throws(IngestError) {
        let reader = try LineReader(path: path)
        var scratch = JSONRowScratch()
        var sawObject = false
        while try reader.next() {
            let line = reader.line
            if JSONLine.isBlank(line) { continue }
            sawObject = true
            let lineNumber = reader.lineNumber
            let members: [JSONValue.Member]
            switch JSONLine.object(line) {
            case .success(let object): members = object
            case .failure(let problem):
                try deliver(line: lineNumber, raw: { ByteParsing.text(line) }) { () throws(RowProblem) -> BorrowedRow in throw problem }
                continue
            }
            var object: [String: JSONValue] = [:]
            for m in members { object[m.key] = m.value }
            switch format {
            case .mooncake: try deliverMooncake(object, line: lineNumber, raw: line, scratch: &scratch)
            default: try deliverNative(object, line: lineNumber, raw: line, scratch: &scratch)
            }
            if rowsRead & 0x3FFF == 0 { reportProgress(bytes: reader.position) }
        }
        if !sawObject { throw .file(path: path, reason: "the file has no JSON lines") }
        reportProgress(bytes: reader.position)
    }

    private func deliverNative(_ object: [String: JSONValue], line: Int, raw: UnsafeRawBufferPointer,
                                        scratch: inout JSONRowScratch) throws(IngestError) {
        let columns = RequestLogColumn.allCases
        try deliver(line: line, raw: { ByteParsing.text(raw) }) { () throws(RowProblem) -> BorrowedRow in
            for key in object.keys where RequestLogColumn(rawValue: key) == nil && !key.hasPrefix("x_") {
                throw RowProblem(column: key, reason: "unknown key\(YAMLError.didYouMean(key, in: columns.map(\.rawValue))) (known: \(columns.map(\.rawValue).joined(separator: ", ")); keys starting with x_ are ignored)")
            }
            // The CSV reader's limit on a field, for the same reasons (see CSVReader.fieldLimit).
            for (key, value) in object {
                if case .string(let s) = value, s.utf8.count > CSVReader.fieldLimit {
                    throw RowProblem(column: key, reason: "is \(s.utf8.count) bytes, over the limit of \(CSVReader.fieldLimit)")
                }
            }
            try scratch.load(object, keys: columns.map(\.rawValue))
            return try scratch.withFields { (f) throws(RowProblem) -> BorrowedRow in
                for c in RequestLogColumn.required where object[c.rawValue] == nil {
                    throw RowProblem(column: c.rawValue, reason: "is missing")
                }
                return try nativeRow { c in f[c.position] }
            }
        }
    }

    private func deliverMooncake(_ object: [String: JSONValue], line: Int, raw: UnsafeRawBufferPointer,
                                          scratch: inout JSONRowScratch) throws(IngestError) {
        let d = defaults
        try deliver(line: line, raw: { ByteParsing.text(raw) }) { () throws(RowProblem) -> BorrowedRow in
            let keys = ["timestamp", "input_length", "output_length"]
            for k in keys where object[k] == nil { throw RowProblem(column: k, reason: "is missing") }
            try scratch.load(object, keys: keys)
            return try scratch.withFields { (f) throws(RowProblem) -> BorrowedRow in
                var row = d.row
                guard let ms = ByteParsing.double(f[0]) else {
                    throw RowProblem(column: "timestamp", reason: "'\(ByteParsing.excerpt(f[0]))' is not a number of milliseconds")
                }
                row.ts = try relative(ms * 1000, "timestamp")
                row.inputTokens = try tokens(f[1], "input_length")
                row.outputTokens = try tokens(f[2], "output_length")
                return row
            }
        }
    }
}

/// JSON values of one row rendered as text into one reusable byte buffer, so the same field
/// checks (and the same exact number parsing) serve CSV and JSON.
struct JSONRowScratch {
    private var bytes: [UInt8] = []
    private var ranges: [Range<Int>] = []

    init() { bytes.reserveCapacity(1024) }

    /// Renders each key's value as text: strings as they are, numbers as their literal text
    /// (never through a `Double`), null or absent as empty.
    mutating func load(_ object: [String: JSONValue], keys: [String]) throws(RowProblem) {
        bytes.removeAll(keepingCapacity: true)
        ranges.removeAll(keepingCapacity: true)
        for k in keys {
            let start = bytes.count
            switch object[k] {
            case nil, .null?:
                break
            case .string(let s)?:
                bytes.append(contentsOf: s.utf8)
            case .number(let literal)?:
                bytes.append(contentsOf: literal.utf8)
            case let other?:
                throw RowProblem(column: k, reason: "is \(other.kindName), expected a string or number")
            }
            ranges.append(start..<bytes.count)
        }
    }

    func withFields<T>(_ body: ([UnsafeRawBufferPointer]) throws(RowProblem) -> T) throws(RowProblem) -> T {
        let result: Result<T, RowProblem> = bytes.withUnsafeBytes { all in
            let fields = ranges.map { UnsafeRawBufferPointer(rebasing: all[$0]) }
            do throws(RowProblem) { return .success(try body(fields)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
