import Foundation
import MosaicTestSupport
import Testing

/// `mosaic eval latency` through the built binary on the committed thefastest.ai excerpt
/// (Tests/Fixtures/latency), against pandas/numpy reference values for the baselines.
@Suite struct EvalLatencyCommandTests {
    static let fixture = SharedData.packageRoot + "/Tests/Fixtures/latency/thefastest_excerpt.csv"

    static func reference() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: SharedData.packageRoot + "/Tests/Fixtures/latency/latency_reference.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func json(_ arguments: [String]) throws -> [String: Any] {
        let r = try MosaicBinary.run(["eval", "latency", "--data", fixture, "--format", "json"] + arguments)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    /// The EWMA and median baselines' scores equal the independent pandas computation (to 1e-9:
    /// both sum the same doubles in another order); the row counts exactly.
    @Test(arguments: [false, true])
    func baselinesAgreeWithTheReference(byRegion: Bool) throws {
        let ref = try Self.reference()
        let expected = try #require(ref[byRegion ? "by_model_region" : "by_model"] as? [String: Any])
        let out = try Self.json(byRegion ? ["--by-region"] : [])
        let test = try #require(out["test"] as? [String: Any])
        #expect(test["train_rows"] as? Int == expected["train_rows"] as? Int)
        #expect(test["test_rows"] as? Int == expected["test_rows"] as? Int)
        #expect(test["evaluated_rows"] as? Int == expected["evaluated_rows"] as? Int)
        #expect(test["unseen_rows"] as? Int == expected["unseen_rows"] as? Int)
        #expect(test["train_failures"] as? Int == ref["failures"] as? Int)
        let scores = try #require(test["latency"] as? [[String: Any]])
        #expect(scores.map { $0["method"] as? String } == ["head", "head_model_region", "head_online", "head_adapt", "ewma", "median"])
        for method in ["ewma", "median"] {
            let mine = try #require(scores.first { $0["method"] as? String == method })
            let theirs = try #require(expected[method] as? [String: Any])
            for (key, refKey) in [("mae_log", "mae_log"), ("rmse_log", "rmse_log"), ("bias_log", "bias_log"),
                                  ("tail_coverage", "tail_coverage"), ("tail_pinball_loss", "pinball")] {
                let a = try #require(mine[key] as? Double), b = try #require(theirs[refKey] as? Double)
                #expect(abs(a - b) <= 1e-9, "\(method) \(key): \(a) vs reference \(b)")
            }
        }
        // The heads are scored on the same rows, with finite scores.
        for s in scores {
            #expect(s["rows"] as? Int == expected["evaluated_rows"] as? Int)
            #expect((s["mae_log"] as? Double).map { $0.isFinite && $0 > 0 } == true)
        }
    }

    @Test func tableHasEveryMethodAndSaysThatFailuresAreNotScored() throws {
        let r = try MosaicBinary.run(["eval", "latency", "--data", Self.fixture, "--split-at", "2024-04-29", "--cross-validate", "3"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        for word in ["head_model_region", "head_online", "ewma", "median", "p95_coverage",
                     "failure heads: not scored, the test period has 0 failed requests (training period: 1)",
                     "rolling-origin cross-validation inside the training period ("] {
            #expect(r.stdout.contains(word), "missing '\(word)' in:\n\(r.stdout)")
        }
        let csv = try MosaicBinary.run(["eval", "latency", "--data", Self.fixture, "--format", "csv"])
        #expect(csv.status == 0)
        #expect(csv.stdout.hasPrefix("method,rows,mae_log,rmse_log,bias_log,p95_coverage,pinball_p95\nhead,"))
    }

    /// Failures in a request-log file are scored against the training rate and an EWMA.
    @Test func requestLogWithFailuresScoresTheFailureHeads() throws {
        let tmp = TemporaryDirectory("eval-latency")
        var lines = ["timestamp,provider,model,region,output_tokens,latency_ms,status"]
        var state: UInt64 = 12345
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        for minute in 0..<600 {
            for (provider, base) in [("openai", 900.0), ("anthropic", 1400.0)] {
                let region = minute % 2 == 0 ? "us" : "eu"
                let tokens = 50 + Int(next() * 400)
                // Failures far more likely in eu, for both providers: the failure head can learn it,
                // a per-provider-and-model rate cannot.
                let fails = next() < (region == "eu" ? 0.3 : 0.03)
                let latency = base * (1 + Double(tokens) / 200) * exp(0.3 * (next() - 0.5))
                let ts = String(format: "2026-10-01T%02d:%02d:00Z", minute / 60, minute % 60)
                lines.append("\(ts),\(provider),m1,\(region),\(tokens),\(fails ? "" : String(format: "%.1f", latency)),\(fails ? "error" : "ok")")
            }
        }
        let file = tmp.write("log.csv", lines.joined(separator: "\n") + "\n")
        let r = try MosaicBinary.run(["eval", "latency", "--data", file])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("train_rate"))
        #expect(r.stdout.contains("failures"))
        let out = try MosaicBinary.run(["eval", "latency", "--data", file, "--format", "json"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let failure = try #require((doc["test"] as? [String: Any])?["failure"] as? [[String: Any]])
        let auc = Dictionary(uniqueKeysWithValues: failure.map { ($0["method"] as! String, $0["auc"] as? Double ?? 0) })
        // The learned head separates the risky region; the per-key training rate cannot.
        #expect(auc["head"]! > 0.7, "\(auc)")
        #expect(auc["head"]! > auc["train_rate"]! + 0.1, "\(auc)")
    }

    @Test func badInputNamesFileLineAndColumn() throws {
        let tmp = TemporaryDirectory("eval-latency-bad")
        let header = "run_time_utc,region,provider_model,ttr_s,ttft_s,tps,num_tokens,total_time_s"
        let cases: [(String, String)] = [
            ("\(header)\n2024-04-15T08:04:59,sea,groq.com/x,0.1,0.2,100,20,0.4\n2024-04-15T09:04:59,sea,groq.com/x,0.1,0.2,100,20,abc\n",
             "bad.csv:3: column total_time_s: 'abc' is not a number"),
            ("\(header)\nyesterday,sea,groq.com/x,0.1,0.2,100,20,0.4\n", "bad.csv:2: column run_time_utc: 'yesterday' is not a timestamp"),
            ("\(header)\n2024-04-15T08:04:59,sea,groq.com/x,0.1,0.2,100,2.5,0.4\n", "bad.csv:2: column num_tokens: 2.5 is not a whole number"),
            ("\(header)\n2024-04-15T08:04:59,sea,groq.com/x,0.1,0.2,100,20,-1\n", "bad.csv:2: column total_time_s: -1 is negative"),
            ("\(header)\n2024-04-15T08:04:59,sea,groq.com/x,0.1\n", "bad.csv:2: has 4 fields, the header has 8"),
            ("run_time_utc,region,provider_model\n2024-04-15T08:04:59,sea,groq.com/x\n", "bad.csv:1: no column 'total_time_s'"),
            ("timestamp,provider,model,latency_ms,status\n2024-04-15T08:04:59Z,openai,m,12,maybe\n",
             "bad.csv:2: column status: 'maybe' is not ok"),
            ("a,b\n1,2\n", "bad.csv:1: neither a thefastest.ai header"),
        ]
        for (text, message) in cases {
            let file = tmp.write("bad.csv", text)
            let r = try MosaicBinary.run(["eval", "latency", "--data", file])
            #expect(r.status != 0)
            #expect(r.stderr.contains(message), "expected '\(message)' in: \(r.stderr)")
        }
        let r = try MosaicBinary.run(["eval", "latency", "--data", Self.fixture, "--test-fraction", "1.5"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--test-fraction must be between 0 and 1"))
        // A split outside the measurements says which side is empty and where they are.
        for (at, side) in [("2001-01-01", "no training"), ("2030-01-01", "no test")] {
            let r = try MosaicBinary.run(["eval", "latency", "--data", Self.fixture, "--split-at", at])
            #expect(r.status == 1)
            #expect(r.stderr.contains("--split-at \(at)T00:00:00Z leaves \(side) rows: the measurements span 2024-04-"), "\(r.stderr)")
        }
    }

    /// When nothing is scored the message says why: a test part of failures only, or
    /// providers with fewer training rows than a head needs (it said "no test row has a key
    /// seen in training" for both, and moving the split cannot help the first).
    @Test func nothingScoredSaysWhy() throws {
        let tmp = TemporaryDirectory("eval-latency-nothing")
        func log(_ rows: [(day: Int, minute: Int, status: String, ms: String)]) -> String {
            "timestamp,provider,model,latency_ms,status\n" + rows.map { r in
                "2026-01-0\(r.day)T00:\(String(format: "%02d", r.minute)):00Z,openai,gpt-4o,\(r.ms),\(r.status)"
            }.joined(separator: "\n") + "\n"
        }
        let train = (0..<40).map { (day: 1, minute: $0, status: "ok", ms: "\(100 + $0)") }
        let failures = tmp.write("failures.csv", log(train + (0..<10).map { (day: 2, minute: $0, status: "error", ms: "") }))
        let r1 = try MosaicBinary.run(["eval", "latency", "--data", failures, "--split-at", "2026-01-02"])
        #expect(r1.status == 1)
        #expect(r1.stderr.contains("none of the 10 test rows (from 2026-01-02T00:00:00Z) is a successful request with a latency"), "\(r1.stderr)")
        let small = tmp.write("small.csv", log(Array(train.prefix(10)) + (0..<5).map { (day: 2, minute: $0, status: "ok", ms: "120") }))
        let r2 = try MosaicBinary.run(["eval", "latency", "--data", small, "--split-at", "2026-01-02"])
        #expect(r2.status == 1)
        #expect(r2.stderr.contains("no provider in the test part has the 30 successful training rows a head needs before the split (openai 10)"), "\(r2.stderr)")
    }
}
