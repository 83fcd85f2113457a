import MosaicCore

extension Job {
    /// Reads JSON Lines in the native layout or Mooncake's.
    func readJSONLines(format: RequestLogFormat) throws(IngestError) {
        let reader = try LineReader(path: path)
        var scratch = JSONRowScratch()
        var sawObject = false
        while try reader.next() {
            let line = reader.line
            if line.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
            sawObject = true
            let lineNumber = reader.lineNumber
            let members: [(key: String, value: JSONValue)]
            switch Result(catching: { () throws(JSONSyntaxError) -> JSONValue in try JSONValue.parse(line) }) {
            case .success(let value):
                guard let object = value.objectValue else {
                    try deliver(line: lineNumber, raw: { ByteParsing.text(line) }) { () throws(RowProblem) -> BorrowedRow in
                        throw RowProblem(column: nil, reason: "is not a JSON object (found \(value.kindName))")
                    }
                    continue
                }
                members = object
            case .failure(let e):
                try deliver(line: lineNumber, raw: { ByteParsing.text(line) }) { () throws(RowProblem) -> BorrowedRow in
                    throw RowProblem(column: nil, reason: "is not valid JSON: column \(e.column): \(e.reason)")
                }
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
        let d = defaults
        let columns = RequestLogColumn.allCases
        try deliver(line: line, raw: { ByteParsing.text(raw) }) { () throws(RowProblem) -> BorrowedRow in
            for key in object.keys where RequestLogColumn(rawValue: key) == nil && !key.hasPrefix("x_") {
                throw RowProblem(column: key, reason: "unknown key (known: \(columns.map(\.rawValue).joined(separator: ", ")); keys starting with x_ are ignored)")
            }
            try scratch.load(object, keys: columns.map(\.rawValue))
            return try scratch.withFields { (f) throws(RowProblem) -> BorrowedRow in
                func field(_ c: RequestLogColumn) -> UnsafeRawBufferPointer { f[columns.firstIndex(of: c)!] }
                for c in RequestLogColumn.required where object[c.rawValue] == nil {
                    throw RowProblem(column: c.rawValue, reason: "is missing")
                }
                var row = BorrowedRow()
                row.ts = try timestamp(field(.timestamp), "timestamp")
                row.provider = try text(field(.provider), "provider", required: true)
                row.model = try text(field(.model), "model", required: true)
                let tenant = field(.tenant), op = field(.operation), region = field(.region)
                row.tenant = tenant.count > 0 ? try text(tenant, "tenant") : UnsafeRawBufferPointer(d.tenant)
                row.operation = op.count > 0 ? try text(op, "operation") : UnsafeRawBufferPointer(d.operation)
                row.region = region.count > 0 ? try text(region, "region") : UnsafeRawBufferPointer(d.region)
                row.inputTokens = try tokens(field(.inputTokens), "input_tokens")
                row.outputTokens = try tokens(field(.outputTokens), "output_tokens")
                row.cachedTokens = try tokens(field(.cachedTokens), "cached_tokens")
                if row.cachedTokens > row.inputTokens {
                    throw RowProblem(column: "cached_tokens", reason: "\(row.cachedTokens) is more than input_tokens (\(row.inputTokens)); cached tokens are part of the input")
                }
                row.latencyMs = try milliseconds(field(.latencyMs), "latency_ms")
                row.ttftMs = try milliseconds(field(.ttftMs), "ttft_ms")
                row.status = try status(field(.status), "status")
                row.cost = try money(field(.cost), "cost_usd")
                let rid = field(.requestID)
                if rid.count > 0 { row.requestID = try text(rid, "request_id") }
                return row
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
                var row = BorrowedRow()
                guard let ms = ByteParsing.double(f[0]) else {
                    throw RowProblem(column: "timestamp", reason: "'\(ByteParsing.excerpt(f[0]))' is not a number of milliseconds")
                }
                row.ts = try relative(ms * 1000, "timestamp")
                row.inputTokens = try tokens(f[1], "input_length")
                row.outputTokens = try tokens(f[2], "output_length")
                row.provider = UnsafeRawBufferPointer(d.provider!)
                row.model = UnsafeRawBufferPointer(d.model!)
                row.tenant = UnsafeRawBufferPointer(d.tenant)
                row.operation = UnsafeRawBufferPointer(d.operation)
                row.region = UnsafeRawBufferPointer(d.region)
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
