import Foundation
import MosaicCore

extension Job {
    /// Reads a CSV file in the native, Azure-trace or BurstGPT layout.
    func readCSV(format: RequestLogFormat) throws(IngestError) {
        let reader = try CSVReader(path: path)
        let header = try reader.header(expected: "the request log's columns")
        switch format {
        case .csv: try readNative(reader, header: header)
        case .azureTrace: try readAzure(reader, header: header)
        case .burstgpt: try readBurstGPT(reader, header: header)
        case .jsonl, .mooncake: preconditionFailure("not a CSV format")
        }
        reportProgress(bytes: reader.position)
    }

    /// Column positions of a header, with checks: no duplicates, the required ones present.
    func columns(_ header: [String], known: [String], required: [String], allowExtra: (String) -> Bool) throws(IngestError) -> [String: Int] {
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            if let j = index[name] {
                throw .file(path: path, reason: "line 1: column '\(name)' appears twice (fields \(j + 1) and \(i + 1))")
            }
            if !known.contains(name) && !allowExtra(name) {
                var bytes = name
                let looksLikeData = bytes.withUTF8 { b in
                    Timestamp.parse(UnsafeRawBufferPointer(b)) != nil || ByteParsing.double(UnsafeRawBufferPointer(b)) != nil
                }
                if looksLikeData {
                    throw .file(path: path, reason: "line 1: '\(name)' looks like data, not a column name: the first line must be a header naming the columns (\(known.prefix(6).joined(separator: ","))…)")
                }
                throw .file(path: path, reason: "line 1: unknown column '\(name)'\(YAMLError.didYouMean(name, in: Array(known))) (known: \(known.joined(separator: ", ")); columns starting with x_ are ignored)")
            }
            index[name] = i
        }
        let missing = required.filter { index[$0] == nil }
        if !missing.isEmpty {
            let what = header.count <= 1 ? " — is this a CSV file with a header line?" : ""
            throw .file(path: path, reason: "line 1: missing required column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))\(what)")
        }
        return index
    }

    /// Checks a record's shape: as many fields as the header, none over the size limit.
    @inline(__always)
    private func checkShape(_ reader: CSVReader, _ header: [String]) throws(RowProblem) {
        if reader.fields.count != header.count {
            throw RowProblem(column: nil, reason: "has \(reader.fields.count) fields, the header has \(header.count)")
        }
        if let i = reader.oversizedField {
            throw RowProblem(column: header[i], reason: "is \(reader.fields[i].count) bytes, over the limit of \(reader.maxFieldBytes)")
        }
    }

    func readNative(_ reader: CSVReader, header: [String]) throws(IngestError) {
        let known = RequestLogColumn.allCases.map(\.rawValue)
        let index = try columns(header, known: known, required: RequestLogColumn.required.map(\.rawValue),
                                allowExtra: { $0.hasPrefix("x_") })
        // Header position of each native column (in `RequestLogColumn` order), -1 when absent.
        let positions = RequestLogColumn.allCases.map { index[$0.rawValue] ?? -1 }
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        while try reader.next() {
            try deliver(line: reader.recordLine, raw: { reader.rawRecord() }) { () throws(RowProblem) -> BorrowedRow in
                try checkShape(reader, header)
                return try nativeRow { c in
                    let i = positions[c.position]
                    return i < 0 ? empty : reader.field(i)
                }
            }
            if rowsRead & 0xFFFF == 0 { reportProgress(bytes: reader.position) }
        }
    }

    func readAzure(_ reader: CSVReader, header: [String]) throws(IngestError) {
        let index = try columns(header, known: ["TIMESTAMP", "ContextTokens", "GeneratedTokens"],
                                required: ["TIMESTAMP", "ContextTokens", "GeneratedTokens"], allowExtra: { _ in false })
        let cTs = index["TIMESTAMP"]!, cIn = index["ContextTokens"]!, cOut = index["GeneratedTokens"]!
        let d = defaults
        while try reader.next() {
            try deliver(line: reader.recordLine, raw: { reader.rawRecord() }) { () throws(RowProblem) -> BorrowedRow in
                try checkShape(reader, header)
                var row = d.row
                row.ts = try timestamp(reader.field(cTs), "TIMESTAMP")
                row.inputTokens = try tokens(reader.field(cIn), "ContextTokens")
                row.outputTokens = try tokens(reader.field(cOut), "GeneratedTokens")
                return row
            }
            if rowsRead & 0xFFFF == 0 { reportProgress(bytes: reader.position) }
        }
    }

    /// BurstGPT: `Model` is `ChatGPT` (GPT-3.5) or `GPT-4`, mapped to OpenAI's `gpt-3.5-turbo`
    /// and `gpt-4` unless `--model` is given; `Response tokens` of 0 marks a failed request;
    /// `Elapsed time` (BurstGPT_3) is the end-to-end latency in seconds.
    func readBurstGPT(_ reader: CSVReader, header: [String]) throws(IngestError) {
        let known = ["Timestamp", "Session ID", "Elapsed time", "Model", "Request tokens", "Response tokens",
                     "Total tokens", "Log Type"]
        let index = try columns(header, known: known, required: ["Timestamp", "Model", "Request tokens", "Response tokens"],
                                allowExtra: { _ in false })
        let cTs = index["Timestamp"]!, cModel = index["Model"]!, cIn = index["Request tokens"]!
        let cOut = index["Response tokens"]!, cElapsed = index["Elapsed time"] ?? -1
        let d = defaults
        let names = OwnedBytes(["openai", "gpt-3.5-turbo", "gpt-4"])
        let openaiB = names[0], gpt35B = names[1], gpt4B = names[2]
        while try reader.next() {
            try deliver(line: reader.recordLine, raw: { reader.rawRecord() }) { () throws(RowProblem) -> BorrowedRow in
                try checkShape(reader, header)
                var row = d.row
                let t = reader.field(cTs)
                guard let seconds = ByteParsing.double(t) else {
                    throw RowProblem(column: "Timestamp", reason: "'\(ByteParsing.excerpt(t))' is not a number of seconds")
                }
                row.ts = try relative(seconds * 1e6, "Timestamp")
                let m = try text(reader.field(cModel), "Model", required: true)
                if let model = d.model {
                    row.model = UnsafeRawBufferPointer(model)
                } else if m.elementsEqual("ChatGPT".utf8) {
                    row.model = gpt35B
                } else if m.elementsEqual("GPT-4".utf8) {
                    row.model = gpt4B
                } else {
                    row.model = m
                }
                row.provider = d.provider.map { UnsafeRawBufferPointer($0) } ?? openaiB
                row.inputTokens = try tokens(reader.field(cIn), "Request tokens")
                row.outputTokens = try tokens(reader.field(cOut), "Response tokens")
                if row.outputTokens == 0 { row.status = .error }
                if cElapsed >= 0 { row.latencyMs = try milliseconds(reader.field(cElapsed), "Elapsed time", scale: 1000) }
                return row
            }
        }
    }
}
