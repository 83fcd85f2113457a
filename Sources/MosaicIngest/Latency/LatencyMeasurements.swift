import Foundation
import MosaicCore

/// Reads latency measurements from a CSV file in one of two layouts, told apart by the header:
///
/// - **thefastest.ai** (`run_time_utc, region, provider_model, num_tokens, total_time_s`, …):
///   the provider is `provider_model` up to its first `/` (`groq.com`, `azure.eastus2`), the
///   model the rest; the region is the measuring client's; latency is `total_time_s` (or another
///   `*_s` column, such as `ttft_s`). A row with no tokens and a zero total time is a failed request.
/// - **request log** (`timestamp, provider, model`, optional `region`, `output_tokens`,
///   `latency_ms`, `status`): Mosaic's native request-log columns; other columns are ignored,
///   and a status other than `ok` or 2xx is a failure.
///
/// Any bad field stops the read with the file, line and column; a latency over 7 days
/// (``LatencyObservation/maximumMs``) is a bad field, as it is in an ingested request log. The
/// layout's own latency column (`total_time_s`, `latency_ms`) must have a value on every
/// successful row; another one chosen with `latencyColumn` (a request log's `ttft_ms`, which git
/// and CI rows never have) may be empty, and such rows are left out and counted.
public enum LatencyMeasurements {
    /// The observations read, and how many successful rows were left out for an empty
    /// `latencyColumn`.
    public struct Measurements: Sendable {
        public var rows: [LatencyObservation]
        public var withoutLatency: Int
    }

    public static func read(path: String, latencyColumn: String? = nil) throws(IngestError) -> [LatencyObservation] {
        try readCounting(path: path, latencyColumn: latencyColumn).rows
    }

    public static func readCounting(path: String, latencyColumn: String? = nil) throws(IngestError) -> Measurements {
        let reader = try CSVReader(path: path)
        let header = try reader.header(expected: "thefastest.ai's or a request log's columns")
        try CSVReader.checkUnique(header, path: path)
        let fastest = header.contains("provider_model")
        func column(_ name: String) throws(IngestError) -> Int {
            guard let i = header.firstIndex(of: name) else {
                let layout = fastest ? "thefastest.ai layout" : "request-log layout"
                throw .file(path: path, reason: "line 1: no column '\(name)' (\(layout); the header has \(CSVReader.listing(header)))")
            }
            return i
        }
        if !fastest && !header.contains("provider") {
            throw .file(path: path, reason: "line 1: neither a thefastest.ai header (provider_model, total_time_s, …) nor a request-log header (timestamp, provider, model, latency_ms, …)")
        }
        let layoutLatency = fastest ? "total_time_s" : "latency_ms"
        let latencyName = latencyColumn ?? layoutLatency
        var withoutLatency = 0
        let seconds = latencyName.hasSuffix("_s")
        let cTime = try column(fastest ? "run_time_utc" : "timestamp")
        let cLatency = try column(latencyName)
        let cRegion = fastest ? try column("region") : header.firstIndex(of: "region")
        let cTokens = fastest ? try column("num_tokens") : header.firstIndex(of: "output_tokens")
        let cProviderModel = fastest ? try column("provider_model") : -1
        let cProvider = fastest ? -1 : try column("provider")
        let cModel = fastest ? -1 : try column("model")
        let cStatus = fastest ? nil : header.firstIndex(of: "status")
        let cTotal = fastest ? header.firstIndex(of: "total_time_s") : nil

        var rows: [LatencyObservation] = []
        while try reader.next() {
            let line = reader.recordLine
            guard reader.fields.count == header.count else {
                throw .row(file: path, line: line, column: nil, reason: "has \(reader.fields.count) fields, the header has \(header.count)")
            }
            func text(_ i: Int, _ name: String) throws(IngestError) -> String {
                let b = reader.field(i)
                guard ByteParsing.isCleanText(b) || String(validating: b, as: UTF8.self) != nil else {
                    throw .row(file: path, line: line, column: name, reason: "is not valid UTF-8")
                }
                return ByteParsing.text(b).trimmingCharacters(in: .whitespaces)
            }
            func number(_ i: Int, _ name: String) throws(IngestError) -> Double? {
                let b = reader.field(i)
                if b.isEmpty { return nil }
                guard let v = ByteParsing.double(b), v.isFinite else {
                    if ByteParsing.isMissingMarker(b) { return nil }
                    throw .row(file: path, line: line, column: name, reason: "'\(ByteParsing.excerpt(b))' is not a number")
                }
                guard v >= 0 else { throw .row(file: path, line: line, column: name, reason: "\(ByteParsing.excerpt(b)) is negative") }
                return v
            }
            let timeName = fastest ? "run_time_utc" : "timestamp"
            let timeBytes = reader.field(cTime)
            guard let timestamp = Timestamp.parse(timeBytes) else {
                throw .row(file: path, line: line, column: timeName, reason: "'\(ByteParsing.excerpt(timeBytes))' is not a timestamp (ISO 8601)")
            }
            var tokens = 0
            if let c = cTokens {
                let name = header[c]
                if let v = try number(c, name) {
                    guard v == v.rounded(), v <= Double(Int32.max) else {
                        throw .row(file: path, line: line, column: name, reason: "\(v) is not a whole number of tokens")
                    }
                    tokens = Int(v)
                }
            }
            let region = try cRegion.map { i throws(IngestError) in try text(i, "region") } ?? ""
            var latency = try number(cLatency, latencyName).map { seconds ? $0 * 1000 : $0 }
            if let ms = latency, !(ms <= LatencyObservation.maximumMs) {
                throw .row(file: path, line: line, column: latencyName,
                           reason: LatencyObservation.overMaximum(ByteParsing.excerpt(reader.field(cLatency)), inSeconds: seconds))
            }
            var ok = true
            let provider: String, model: String
            if fastest {
                let pm = try text(cProviderModel, "provider_model")
                guard !pm.isEmpty else { throw .row(file: path, line: line, column: "provider_model", reason: "is empty") }
                if let slash = pm.firstIndex(of: "/") {
                    provider = String(pm[..<slash])
                    model = String(pm[pm.index(after: slash)...])
                } else {
                    provider = pm
                    model = pm
                }
                // thefastest.ai records a request that returned nothing as zero tokens in zero time.
                let total = try cTotal.flatMap { c throws(IngestError) in try number(c, "total_time_s") }
                if tokens == 0 && (total ?? 0) == 0 {
                    ok = false
                    latency = nil
                }
            } else {
                provider = try text(cProvider, "provider")
                model = try text(cModel, "model")
                guard !provider.isEmpty else { throw .row(file: path, line: line, column: "provider", reason: "is empty") }
                if let c = cStatus {
                    let s = try text(c, "status").lowercased()
                    switch s {
                    case "", "ok": ok = true
                    case "error", "timeout", "rate_limited", "cancelled": ok = false
                    default:
                        guard let code = Int(s), (100...599).contains(code) else {
                            throw .row(file: path, line: line, column: "status", reason: "'\(s)' is not ok, error, timeout, rate_limited, cancelled or an HTTP status code")
                        }
                        ok = (200...299).contains(code)
                    }
                }
                if !ok { latency = nil }
            }
            if ok && latency == nil {
                guard latencyName != layoutLatency else {
                    throw .row(file: path, line: line, column: latencyName, reason: "is missing for a successful request")
                }
                withoutLatency += 1
                continue
            }
            rows.append(LatencyObservation(timestamp: timestamp, provider: provider, model: model, region: region,
                                           outputTokens: tokens, latencyMs: latency, ok: ok))
        }
        if rows.isEmpty {
            throw .file(path: path, reason: withoutLatency > 0 ? "no successful row has a value in \(latencyName)" : "no rows after the header")
        }
        return Measurements(rows: rows, withoutLatency: withoutLatency)
    }
}
