import Foundation
import Hummingbird
import HummingbirdTesting
import MosaicCore
import MosaicRouting
@testable import MosaicServer
import MosaicTestSupport
import Testing

/// The server decides exactly as `MosaicRouting.Router` does when the simulator drives it:
/// same policy, model, clock, seed and outcome history give the same rankings, scores,
/// predictions, drops and admissions.
@Suite("serve: decisions equal the router's")
struct EqualityTests {
    struct Cand: Decodable {
        var provider: String
        var placement: String
        var score: Double
        var expected_latency_ms: Double
        var tail_latency_ms: Double
        var failure_probability: Double
        var cost_usd: Double
        var misses_slo: Bool
    }

    struct Doc: Decodable { var candidates: [Cand] }

    @Test func sameInputsStateAndSeedGiveTheSameDecisions() async throws {
        let f = try Fixture(policy: RoutingPolicy.exampleYAML)
        let service = try f.service()
        defer { service.close() }
        let policy = try RoutingPolicy(yaml: RoutingPolicy.exampleYAML, source: "example", catalog: .default)
        let reference = try Router(policy: policy, catalog: .default, model: try Fixture.model(), now: f.clock.now)
        let seed = service.options.seed
        let tenants = ["acme", "globex", "initech"]
        let tagSets: [[String]] = [[], ["strict-privacy"], []]
        try await ServeApplication.make(service: service, logger: Fixture.logger).test(.router) { client in
            var decision = Decision(seed: seed)   // the simulator's per-client buffer
            var random = SeededRandom(seed: 99)
            for step in 0..<300 {
                f.clock.advance(Int64(200_000 + Int(random.next() % 800_000)))
                let now = f.clock.now
                let tenant = tenants[Int(random.next() % 3)]
                let tags = tagSets[Int(random.next() % 3)]
                let prompt = Int(random.next() % 150_000)
                let output = Int(random.next() % 2_000)
                let hipaa = random.next() % 10 == 0
                let family = random.next() % 2 == 0 ? "gpt-4o" : "claude"
                let request = RouteRequest(tenant: tenant, modelFamily: family, promptTokens: prompt, expectedOutputTokens: output,
                                           compliance: hipaa ? ComplianceSet(.hipaa) : [], latencySLOMs: 30_000,
                                           tags: tags, timestamp: now)
                let ticket = reference.route(request, now: now, into: &decision)
                let tagsJSON = tags.map { "\"\($0)\"" }.joined(separator: ",")
                let body = #"{"tenant":"\#(tenant)","model_family":"\#(family)","prompt_tokens":\#(prompt),"expected_output_tokens":\#(output),"slo_ms":30000,"tags":[\#(tagsJSON)]\#(hipaa ? #","compliance":["hipaa"]"# : "")}"#
                let raw = try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: body)) { $0.body }
                let o = try object(raw)
                // Numbers through JSONDecoder (correctly rounded; JSONSerialization on Linux is not).
                let candidates = try JSONDecoder().decode(Doc.self, from: Data(raw.readableBytesView)).candidates
                #expect(candidates.count == decision.candidates.count, "step \(step)")
                for (c, r) in zip(candidates, decision.candidates) {
                    #expect(c.provider == r.provider, "step \(step)")
                    #expect(c.placement == r.placement.description)
                    #expect(c.score == r.score, "step \(step) score")
                    #expect(c.expected_latency_ms == r.prediction.expectedLatencyMs)
                    #expect(c.tail_latency_ms == r.prediction.tailLatencyMs)
                    #expect(c.failure_probability == r.prediction.failureProbability)
                    #expect(c.cost_usd == r.costUSD.rounded(significantDigits: 12), "the answer's cost has 12 significant digits")
                    #expect(c.misses_slo == r.missesSLO)
                }
                let dropped = try #require(o["dropped"] as? [[String: Any]])
                #expect(dropped.map { $0["provider"] as? String } == decision.dropped.map(\.provider), "step \(step)")
                #expect(dropped.map { $0["reason"] as? String } == decision.dropped.map(\.reason.description))
                #expect((o["rule"] as? [String: Any])?["name"] as? String == decision.rule?.name)
                #expect(o["panic"] as? Bool == decision.panic)
                let selected = (o["selected"] as? [String: Any])?["provider"] as? String
                #expect(selected == ticket?.provider, "step \(step)")
                // The same outcome to both: OpenAI fails often, so its breaker trips in both.
                guard let ticket, let id = o["decision_id"] as? String else { continue }
                let failed = ticket.provider == "openai" ? random.next() % 3 != 0 : random.next() % 20 == 0
                let latency = Double(300 + random.next() % 5_000)
                f.clock.advance(Int64(latency * 1000))
                let end = f.clock.now
                reference.complete(ticket, status: failed ? .error : .ok, latencyMs: latency, inputTokens: prompt,
                                   outputTokens: output, budgetTag: nil, now: end)
                let report = #"{"decision_id":"\#(id)","provider":"\#(ticket.provider)","status":"\#(failed ? "error" : "ok")","latency_ms":\#(latency),"input_tokens":\#(prompt),"output_tokens":\#(output)}"#
                let ack = try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: report)) { $0.status }
                #expect(ack == .ok)
            }
        }
        // The state converged too: breakers, EWMAs, trips.
        let now = f.clock.now
        #expect(service.bundle.router.health(now: now) == reference.health(now: now))
        #expect(reference.health(now: now).contains { $0.trips > 0 }, "the sequence exercised a breaker")
    }
}
