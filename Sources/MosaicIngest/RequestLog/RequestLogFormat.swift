/// The request-log formats `mosaic ingest requests` reads.
public enum RequestLogFormat: String, Sendable, CaseIterable, Codable {
    /// Mosaic's native CSV (see the README for columns).
    case csv
    /// Mosaic's native JSON Lines: one object per line with the CSV's column names as keys.
    case jsonl
    /// Azure LLM inference trace 2023: `TIMESTAMP,ContextTokens,GeneratedTokens`.
    case azureTrace = "azure-trace"
    /// BurstGPT: `Timestamp,[Session ID,Elapsed time,]Model,Request tokens,Response tokens,...`;
    /// timestamps are seconds from the start of the trace.
    case burstgpt
    /// Mooncake (FAST '25) JSON Lines: `timestamp` (ms from start), `input_length`, `output_length`.
    case mooncake

    /// Whether timestamps in this format are relative and need `--start`.
    public var hasRelativeTime: Bool { self == .burstgpt || self == .mooncake }

    /// Guesses the format from the first line of a file (header or first JSON object).
    public static func detect(firstLine: String, path: String) -> RequestLogFormat? {
        let line = firstLine.trimmingPrefix("\u{FEFF}")
        if line.hasPrefix("{") {
            if line.contains("\"input_length\"") && line.contains("\"output_length\"") { return .mooncake }
            return .jsonl
        }
        // Comma-separated, or tab- or semicolon-separated as the CSV reader takes them.
        var copy = String(line)
        let delimiter = copy.withUTF8 { CSVReader.delimiter(ofHeader: UnsafeRawBufferPointer($0)) }
        let header = line.split(separator: Character(Unicode.Scalar(delimiter))).map { $0.trimmingCharacters(in: " \"\r") }
        if header.starts(with: ["TIMESTAMP", "ContextTokens", "GeneratedTokens"]) { return .azureTrace }
        if header.first == "Timestamp" && header.contains("Request tokens") && header.contains("Model") { return .burstgpt }
        if header.contains("timestamp") && header.contains("provider") { return .csv }
        let name = path.hasSuffix(".gz") ? String(path.dropLast(3)) : path
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return .jsonl }
        if name.hasSuffix(".csv") || name.hasSuffix(".tsv") { return .csv }
        return nil
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
