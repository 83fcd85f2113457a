import Foundation
import MosaicStore
import MosaicTestSupport
import Testing

/// `mosaic demo` end to end, through the built binary, as a newcomer runs it.
@Suite struct DemoCommandTests {
    @Test func demoRunsThePipelineAndIsIdempotent() throws {
        let tmp = TemporaryDirectory("demo")
        let first = try MosaicBinary.run(["demo", "--days", "2"], in: tmp.path)
        #expect(first.status == 0, "stderr: \(first.stderr)")
        for provider in ["anthropic", "github", "github-actions", "ollama", "openai"] {
            #expect(first.stdout.contains("\n\(provider) "), "summary lacks \(provider):\n\(first.stdout)")
        }
        #expect(first.stdout.contains("total cost: $"))
        #expect(FileManager.default.fileExists(atPath: tmp.file("mosaic.sqlite")))
        #expect(FileManager.default.fileExists(atPath: tmp.file("datasets/sample/requests.csv")))

        let store = try Store(path: tmp.file("mosaic.sqlite"))
        let rows = try #require(try store.database.scalarInt("SELECT count(*) FROM requests"))
        #expect(rows > 10_000)

        // Running it again adds nothing and prints the same summary table.
        let second = try MosaicBinary.run(["demo", "--days", "2", "--quality-data", "none"], in: tmp.path)
        #expect(second.status == 0, "stderr: \(second.stderr)")
        #expect(second.stdout.contains(" 0 new, "))
        #expect(try store.database.scalarInt("SELECT count(*) FROM requests") == rows)
        let table = { (s: String) in s.components(separatedBy: " summary: per provider")[1].components(separatedBy: " train: routing model")[0] }
        #expect(table(first.stdout) == table(second.stdout))
        // A routing model was trained, written and registered each time.
        #expect(first.stdout.contains(" train: routing model"))
        #expect(first.stdout.contains("p95_coverage"))
        #expect(FileManager.default.fileExists(atPath: tmp.file("models/router-demo.json")))
        #expect(try store.database.scalarInt("SELECT count(*) FROM models WHERE kind = 'routing'") == 2)
        // The quality head on the repository's MMLU sample (found above the binary), on the fifth
        // it never saw, beside its baselines; the second run skipped it as asked.
        let quality = first.stdout.components(separatedBy: " quality: which prompts the weak model can take")[1]
            .components(separatedBy: " forecast: hourly requests")[0]
        #expect(quality.contains("2,283 prompts"), "quality step:\n\(quality)")
        for router in ["group prior", "prompt length", "random", "oracle"] {
            #expect(quality.contains("\n\(router) "), "quality step lacks \(router):\n\(quality)")
        }
        #expect(second.stdout.contains("5/11 quality: skipped (--quality-data none)"))
        // And a load model forecasting the next day per provider.
        #expect(first.stdout.contains(" forecast: hourly requests"))
        #expect(FileManager.default.fileExists(atPath: tmp.file("models/load-demo.json")))
        #expect(try store.database.scalarInt("SELECT count(*) FROM models WHERE kind = 'load'") == 2)
        // And routes sample requests through the example policy with that model.
        let route = first.stdout.components(separatedBy: " route: sample requests")[1]
        #expect(route.contains("strict-privacy  ollama"), "route table:\n\(route)")
        #expect(route.contains("openai: context window 128000 tokens too small"))
        #expect(route.contains("cohere: not attested for HIPAA"))
        // And simulates the last day on two mixes.
        let sim = first.stdout.components(separatedBy: " simulate: the last sample day")[1]
        #expect(sim.contains("b_minus_a"), "simulate step:\n\(sim)")
        #expect(sim.contains("cost_usd"))
        // And sends a burst through the gateway to two stand-in providers (OpenAI-style, every third
        // answer a 429; Anthropic-style), then retrains on the rows it recorded.
        let gateway = first.stdout.components(separatedBy: " gateway: OpenAI-compatible gateway")[1]
        #expect(gateway.contains("150 chat requests answered: 50 by anthropic, 100 by openai; 50 after a 429 failed over"),
                "gateway step:\n\(gateway)")
        #expect(gateway.contains("rate_limited"))
        #expect(gateway.contains("retrained on those rows"))
        #expect(gateway.components(separatedBy: "p95_coverage").count == 2, "one metrics table for the retrained model")

        // The demo's store and load model feed scenarios: replayed traffic and forecast traffic.
        let scenario = { (traffic: String) in
            """
            version: 1
            name: from-demo
            start: 2026-10-06T00:00:00Z
            duration: 2h
            replications: 1
            traffic: \(traffic)
            providers:
              - {id: openai, concurrency: 16, service: from_store}
              - {id: anthropic, concurrency: 16, service: from_store}
              - {id: cohere, concurrency: 16, service: {kind: lognormal, median: 2s}}
              - {id: ollama, concurrency: 4, service: from_store}
            """
        }
        let replay = tmp.write("replay.yaml", scenario("{kind: replay}"))
        let r1 = try MosaicBinary.run(["simulate", replay, "--format", "json"], in: tmp.path)
        #expect(r1.status == 0, "stderr: \(r1.stderr)")
        let forecast = tmp.write("forecast.yaml", scenario("{kind: load_model, path: models/load-demo.json, series: [openai, anthropic, ollama]}"))
        let r2 = try MosaicBinary.run(["simulate", forecast, "--format", "json"], in: tmp.path)
        #expect(r2.status == 0, "stderr: \(r2.stderr)")
        for r in [r1, r2] {
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let requests = ((doc["overall"] as? [String: Any])?["requests"] as? [String: Any])?["mean"] as? Double ?? 0
            #expect(requests > 100, "traffic from the demo: \(requests)")
        }
    }

    @Test func aMissingQualityFileIsRefusedBeforeAnythingIsWritten() throws {
        let tmp = TemporaryDirectory("demo-quality")
        let r = try MosaicBinary.run(["demo", "--quality-data", tmp.file("nope.csv")], in: tmp.path)
        #expect(r.status != 0)
        #expect(r.stderr.contains("--quality-data \(tmp.file("nope.csv")): no such readable file"), "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.file("mosaic.sqlite")))
        #expect(!FileManager.default.fileExists(atPath: tmp.file("datasets")))
    }

    @Test func demoJSONIsMachineReadableAndCostsAreExactText() throws {
        let tmp = TemporaryDirectory("demo-json")
        let r = try MosaicBinary.run(["demo", "--days", "1", "--format", "json", "--db", tmp.file("d.sqlite"),
                                      "--dir", tmp.file("sample")], in: tmp.path)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 5)
        for row in rows {
            let cost = try #require(row["cost_usd"] as? String, "cost must be exact decimal text")
            #expect(Decimal(string: cost) != nil)
        }
    }
}
