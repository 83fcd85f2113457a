import MosaicCore

/// The answers of monitoring systems' HTTP APIs and command-line tools, saved as they come, that
/// a series file may be: each one series, as rows for ``SeriesFile``'s column rules.
extension JSONSeriesRows {
    /// Rows under a header, each with its record number.
    typealias Table = (header: [String], rows: [(position: Int, fields: [[UInt8]])])

    /// The one series of a monitoring system's answer (Prometheus, Datadog, Graphite, InfluxDB,
    /// CloudWatch); nil when `document` is none of them. An answer of several series, or of
    /// none, is refused, naming some; so is an error answer saved instead of data.
    static func monitoringSeries(_ document: JSONValue, path: String) throws(IngestError) -> Table? {
        switch document {
        case .array(let items):
            // Graphite's render API (`format=json`): a target's datapoints are [value, time].
            guard let first = items.first, first["target"] != nil, first["datapoints"] != nil else { return nil }
            guard items.count == 1 else {
                throw severalSeries("the Graphite answer", items.map { $0["target"]?.stringValue ?? "?" },
                                    hint: "render one target, for example with sumSeries(…)", path: path)
            }
            let points = try array(first, "datapoints", of: "Graphite target", path: path)
            return numbered(try pairs(points, path: path, what: "the Graphite datapoints", valueFirst: true))
        case .object:
            // An error answer: Prometheus's and Datadog's (`"status": "error"`), InfluxDB's and
            // many another API's (an `error` text).
            if document["status"]?.stringValue == "error" || document["error"]?.stringValue != nil {
                throw errorAnswer(document["error"]?.stringValue ?? document["errors"]?.arrayValue?.compactMap(\.stringValue).joined(separator: "; "), path: path)
            }
            if let data = document["data"], document["status"] != nil {
                return numbered(try prometheus(data, path: path))
            }
            if let series = document["series"]?.arrayValue, document["query"] != nil || series.first?["pointlist"] != nil {
                // Datadog's answer to a metrics query: `[milliseconds, value]` pairs.
                guard series.count == 1 else {
                    throw severalSeries("the Datadog answer", series.map { $0["scope"]?.stringValue ?? "?" },
                                        hint: "query one, for example with sum:…{*}", path: path)
                }
                return numbered(try pairs(try array(series[0], "pointlist", of: "Datadog series", path: path), path: path, what: "the Datadog series"))
            }
            if let results = document["results"]?.arrayValue { return try influxDB(results, path: path) }
            if let results = document["MetricDataResults"]?.arrayValue {
                // CloudWatch's GetMetricData (`aws cloudwatch get-metric-data`): times and values
                // side by side, newest first unless asked otherwise.
                guard results.count == 1 else {
                    throw severalSeries("the CloudWatch answer", results.map { $0["Label"]?.stringValue ?? $0["Id"]?.stringValue ?? "?" },
                                        hint: "ask for one metric or expression, for example with SUM(…)", path: path)
                }
                let times = try array(results[0], "Timestamps", of: "CloudWatch result", path: path)
                let values = try array(results[0], "Values", of: "CloudWatch result", path: path)
                guard times.count == values.count else {
                    throw .file(path: path, reason: "the CloudWatch answer has \(times.count) Timestamps but \(values.count) Values")
                }
                return numbered(try pairs(zip(times, values).map { JSONValue.array([$0, $1]) }, path: path, what: "the CloudWatch series"))
            }
            if let points = document["Datapoints"]?.arrayValue { return try cloudWatchStatistics(points, path: path) }
            return nil
        default:
            return nil
        }
    }

    /// InfluxDB 1.x's `/query` answer: its one series' columns and rows of values, the `time`
    /// column as the timestamp.
    static func influxDB(_ results: [JSONValue], path: String) throws(IngestError) -> Table {
        if let message = results.lazy.compactMap({ $0["error"]?.stringValue }).first {
            throw errorAnswer(message, path: path)
        }
        let series = results.flatMap { $0["series"]?.arrayValue ?? [] }
        guard series.count == 1 else {
            let names = series.map { s in
                (s["name"]?.stringValue ?? "?") + ((s["tags"]?.objectValue).map { "{" + $0.map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(separator: ", ") + "}" } ?? "")
            }
            throw severalSeries("the InfluxDB answer", names, hint: "query one, for example without GROUP BY", path: path)
        }
        let columns = try array(series[0], "columns", of: "InfluxDB series", path: path)
        let values = try array(series[0], "values", of: "InfluxDB series", path: path)
        var header: [String] = []
        for column in columns {
            guard let name = column.stringValue else {
                throw .file(path: path, reason: "the InfluxDB series' columns hold \(column.kindName), not a column name")
            }
            header.append(name == "time" ? "timestamp" : name)
        }
        var rows: [(position: Int, fields: [[UInt8]])] = []
        for (k, value) in values.enumerated() {
            guard let row = value.arrayValue, row.count == header.count else {
                throw .file(path: path, reason: "record \(k + 1) of the InfluxDB values is not a row of \(header.count) values, one a column")
            }
            var fields: [[UInt8]] = []
            for (c, v) in row.enumerated() { fields.append(try scalar(v, path: path, at: "record \(k + 1), key '\(header[c])'")) }
            rows.append((k + 1, fields))
        }
        return (header, rows)
    }

    /// CloudWatch's GetMetricStatistics (`aws cloudwatch get-metric-statistics`): its datapoints,
    /// in no order AWS promises, in time order; a column a statistic (Sum, Average, …), its Unit
    /// left out. Each keeps its record number; a time that does not read sorts first, and the
    /// series reader then names its record (a field that is no value is named in file order).
    static func cloudWatchStatistics(_ points: [JSONValue], path: String) throws(IngestError) -> Table {
        guard let first = points.first else { throw .file(path: path, reason: "the CloudWatch answer holds no datapoints") }
        if let k = points.firstIndex(where: { $0.objectValue == nil }) {
            throw .file(path: path, reason: "datapoint \(k + 1) of the CloudWatch answer is \(points[k].kindName), not an object")
        }
        let header = ["Timestamp"] + (first.objectValue ?? []).map(\.key).filter { $0 != "Timestamp" && $0 != "Unit" }
        var rows: [(position: Int, fields: [[UInt8]])] = []
        for (k, point) in points.enumerated() {
            var fields: [[UInt8]] = []
            for key in header { fields.append(try scalar(point[key] ?? .null, path: path, at: "record \(k + 1), key '\(key)'")) }
            rows.append((k + 1, fields))
        }
        let times = rows.map { row in row.fields[0].withUnsafeBytes { SeriesFile.time($0) } ?? .min }
        return (header, times.indices.sorted { (times[$0], $0) < (times[$1], $1) }.map { rows[$0] })
    }

    /// A Prometheus answer's one range series, or why not.
    static func prometheus(_ data: JSONValue, path: String) throws(IngestError) -> [[[UInt8]]] {
        guard let result = data["result"]?.arrayValue else {
            throw .file(path: path, reason: "a Prometheus answer without data.result")
        }
        guard data["resultType"]?.stringValue == "matrix" else {
            throw .file(path: path, reason: "a Prometheus \(data["resultType"]?.stringValue ?? "untyped") result is not a series; save the answer of a range query (/api/v1/query_range)")
        }
        guard result.count == 1, let values = result[0]["values"]?.arrayValue else {
            let labels = result.map { r in
                "{" + (r["metric"]?.objectValue ?? []).map { "\($0.key)=\"\($0.value.stringValue ?? "")\"" }.joined(separator: ", ") + "}"
            }
            throw severalSeries("the Prometheus result", labels, hint: "query one, for example with sum(…)", path: path)
        }
        return try pairs(values, path: path, what: "the Prometheus series")
    }

    /// "`what` holds N series (the first two names, …); `hint`".
    static func severalSeries(_ what: String, _ names: [String], hint: String, path: String) -> IngestError {
        let shown = names.prefix(2).joined(separator: ", ") + (names.count > 2 ? ", …" : "")
        return .file(path: path, reason: "\(what) holds \(names.isEmpty ? "no series" : "\(names.count) series (" + shown + ")"); \(hint)")
    }

    /// `[time, value]` rows numbered from 1.
    static func numbered(_ rows: [[[UInt8]]]) -> Table {
        (["timestamp", "value"], rows.enumerated().map { ($0.offset + 1, $0.element) })
    }

    static func errorAnswer(_ message: String?, path: String) -> IngestError {
        .file(path: path, reason: "the file holds an error answer, not a series: \(message ?? "(no message)")")
    }

    /// The array of `owner`'s `field` (a plural), or an error saying what is there instead.
    static func array(_ owner: JSONValue, _ field: String, of name: String, path: String) throws(IngestError) -> [JSONValue] {
        guard let value = owner[field] else { throw .file(path: path, reason: "the \(name) has no \(field)") }
        guard let items = value.arrayValue else { throw .file(path: path, reason: "the \(name)'s \(field) are \(value.kindName), not an array") }
        return items
    }
}
