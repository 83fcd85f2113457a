import Foundation
import MosaicTestSupport
import Testing

/// The commands that read the store for models and what-ifs give the same answers on SQLite and
/// on PostgreSQL from the same generated log: the trained routing and load models, `forecast`
/// and `anomalies`, `simulate` with `from_store` providers and replayed traffic, `report roi`
/// from the request log, the billing table and a simulation, and `models list`.
///
/// The stores give the trainers the same rows in the same order (`ORDER BY ts, key`), so the
/// model files agree in every field but their creation time; their numbers are still compared
/// within 1e-9 (relative), not by their last bits.
@Suite("PostgreSQL parity: training, forecasts, simulation, ROI",
       .enabled(if: PostgresServer.isAvailable, Comment(rawValue: PostgresServer.skipReason)))
struct PostgresCommandParityTests {
    func mosaic(_ arguments: [String], in directory: String? = nil) throws -> String {
        let r = try MosaicBinary.run(arguments, in: directory)
        #expect(r.status == 0, "mosaic \(arguments.joined(separator: " ")): \(r.stderr)")
        return r.stdout
    }

    /// Both stores, loaded with the same prices, log and FOCUS sample.
    struct Stores {
        let tmp: TemporaryDirectory
        let lite: String
        let pg: TestDatabase
        var both: [(name: String, location: String)] { [("lite", lite), ("pg", pg.location)] }
    }

    func stores(_ label: String, days: Int) throws -> Stores {
        let tmp = TemporaryDirectory("pg-" + label)
        _ = try mosaic(["generate", "--days", "\(days)", "--seed", "9", "--out", tmp.file("sample")])
        let s = Stores(tmp: tmp, lite: tmp.file("m.sqlite"), pg: try PostgresServer.database(label))
        let focus = PostgresParityTests.focusSample
        for (_, store) in s.both {
            _ = try mosaic(["prices", "import", tmp.file("sample/prices.json"), "--db", store])
            _ = try mosaic(["ingest", "requests", tmp.file("sample/requests.csv"), "--db", store])
            if let focus { _ = try mosaic(["ingest", "focus", focus, "--db", store]) }
        }
        return s
    }

    @Test func trainedModelsAndTheRegistryMatch() throws {
        let s = try stores("train", days: 3)
        for (name, store) in s.both {
            _ = try mosaic(["train", "routing", "--db", store, "--out", s.tmp.file("\(name)/router.json")])
            _ = try mosaic(["train", "load", "--db", store, "--horizon", "12", "--out", s.tmp.file("\(name)/load.json")])
        }
        for file in ["router.json", "load.json"] {
            let a = try JSONValue(file: s.tmp.file("lite/" + file)), b = try JSONValue(file: s.tmp.file("pg/" + file))
            let differences = a.differences(from: b, ignoring: ["createdAt"], relative: 1e-9)
            #expect(differences.isEmpty, "\(file): \(differences.prefix(5))")
            #expect(a.count > 50, "\(file) holds a model")
            // Not required, but worth knowing: identical bytes apart from the creation time.
            print("\(file): \(a.removing("createdAt") == b.removing("createdAt") ? "identical" : "equal within 1e-9") on SQLite and PostgreSQL")
        }

        // The registry: the same rows but for the creation time, the file's path and digest.
        let lists = try s.both.map { (_, store) in
            try JSONSerialization.jsonObject(with: Data(mosaic(["models", "list", "--db", store, "--format", "json"]).utf8)) as? [[String: Any]]
        }
        let lite = try #require(lists[0]), pg = try #require(lists[1])
        #expect(lite.count == 2 && pg.count == 2)
        for (a, b) in zip(lite, pg) {
            for key in ["kind", "version", "rows", "trained_from", "trained_to"] {
                #expect("\(a[key] ?? "nil")" == "\(b[key] ?? "nil")", "models list \(key)")
            }
            #expect((a["path"] as? String)?.contains("/lite/") == true && (b["path"] as? String)?.contains("/pg/") == true)
        }
    }

    @Test func forecastsSimulationAndROIMatch() throws {
        let s = try stores("whatif", days: 3)
        var outputs: [String: [String]] = [:]
        for (name, store) in s.both {
            var out: [String] = []
            out.append(try mosaic(["forecast", "--db", store, "--horizon", "12", "--format", "csv"]))
            out.append(try mosaic(["forecast", "--db", store, "--holdout", "6", "--by", "tenant", "--format", "csv"]))
            out.append(try mosaic(["anomalies", "--db", store, "--format", "csv"]))
            // Replayed traffic and service times measured in the store.
            let scenario = s.tmp.write("\(name).yaml", """
                version: 1
                name: parity
                start: 2026-10-06T08:00:00Z
                duration: 2h
                replications: 2
                seed: 3
                traffic: {kind: replay}
                providers:
                  - {id: openai, concurrency: 16, service: from_store}
                  - {id: anthropic, concurrency: 16, service: from_store}
                  - {id: cohere, concurrency: 16, service: {kind: lognormal, median: 2s}}
                  - {id: ollama, concurrency: 4, service: from_store}
                """)
            let sim = s.tmp.file("\(name)-sim.json")
            out.append(try mosaic(["simulate", scenario, "--db", store, "--parallel", "1", "--out", sim, "--format", "json"]))
            _ = try mosaic(["report", "roi", "--db", store, "--baseline", "requests", "--scenario", "sim:" + sim,
                            "--upfront", "5000", "--out", s.tmp.file(name), "--formats", "md,csv,json"])
            if PostgresParityTests.focusSample != nil {
                _ = try mosaic(["report", "roi", "--db", store, "--baseline", "billing", "--scenario", "requests",
                                "--name", "roi-billing", "--out", s.tmp.file(name), "--formats", "md,json"])
            }
            outputs[name] = out
        }
        let lite = try #require(outputs["lite"]), pg = try #require(outputs["pg"])
        for (k, (a, b)) in zip(lite, pg).enumerated() {
            #expect(a == b, "output \(k) differs:\n\(a.prefix(400))\n---\n\(b.prefix(400))")
            #expect(a.count > 100, "output \(k): \(a)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: s.tmp.file("lite")).sorted()
        #expect(files.count >= 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.tmp.file("pg")).sorted() == files)
        for f in files {
            let a = FileManager.default.contents(atPath: s.tmp.file("lite/" + f))
            let b = FileManager.default.contents(atPath: s.tmp.file("pg/" + f))
            #expect(a != nil && a == b, "report file \(f) differs between SQLite and PostgreSQL")
        }
    }
}

/// A parsed JSON document, compared field by field: text, booleans and integers exactly,
/// other numbers within a relative tolerance.
enum JSONValue: Equatable {
    case null, bool(Bool), number(Double, text: String), string(String), array([JSONValue]), object([String: JSONValue])

    init(file: String) throws {
        self.init(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file)), options: [.fragmentsAllowed]))
    }

    init(_ any: Any) {
        switch any {
        case let d as [String: Any]: self = .object(d.mapValues(JSONValue.init))
        case let a as [Any]: self = .array(a.map(JSONValue.init))
        case let s as String: self = .string(s)
        case let b as Bool where !(any is NSNumber): self = .bool(b)
        case let n as NSNumber: self = .number(n.doubleValue, text: n.stringValue)  // booleans too: exact, by text
        default: self = .null
        }
    }

    /// How many values the document holds.
    var count: Int {
        switch self {
        case .array(let a): return 1 + a.reduce(0) { $0 + $1.count }
        case .object(let o): return 1 + o.values.reduce(0) { $0 + $1.count }
        default: return 1
        }
    }

    /// The document without the named keys, at any depth.
    func removing(_ key: String) -> JSONValue {
        switch self {
        case .array(let a): return .array(a.map { $0.removing(key) })
        case .object(let o): return .object(o.filter { $0.key != key }.mapValues { $0.removing(key) })
        default: return self
        }
    }

    /// Where this document and `other` differ (paths and values); empty when they agree.
    func differences(from other: JSONValue, ignoring: Set<String>, relative: Double, path: String = "$") -> [String] {
        switch (self, other) {
        case (.object(let a), .object(let b)):
            let keys = Set(a.keys).union(b.keys).subtracting(ignoring).sorted()
            return keys.flatMap { k -> [String] in
                guard let x = a[k], let y = b[k] else { return ["\(path).\(k): present on one side only"] }
                return x.differences(from: y, ignoring: ignoring, relative: relative, path: path + "." + k)
            }
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return ["\(path): \(a.count) against \(b.count) elements"] }
            return zip(a, b).enumerated().flatMap { i, p in p.0.differences(from: p.1, ignoring: ignoring, relative: relative, path: "\(path)[\(i)]") }
        case (.number(let x, let s), .number(let y, let t)):
            if s == t || (x.isNaN && y.isNaN) { return [] }
            let integral = !s.contains(where: { ".eE".contains($0) }) && !t.contains(where: { ".eE".contains($0) })
            if !integral && abs(x - y) <= relative * max(abs(x), abs(y)) { return [] }
            return ["\(path): \(s) against \(t)"]
        default:
            return self == other ? [] : ["\(path): \(self) against \(other)"]
        }
    }
}
