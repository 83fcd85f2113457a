import Foundation
import Hummingbird
import HummingbirdTesting
import MosaicCore
import MosaicRouting
@testable import MosaicServer
import MosaicTestSupport
import Testing

/// Every endpoint and every error, in process (Hummingbird's router test framework).
@Suite("serve: endpoints")
struct EndpointTests {
    func app(_ service: RoutingService) -> some ApplicationProtocol {
        ServeApplication.make(service: service, logger: Fixture.logger)
    }

    @Test func routeAnswersARankedDecision() async throws {
        let f = try Fixture()
        let service = try f.service()
        defer { service.close() }
        try await app(service).test(.router) { client in
            let body = #"{"tenant":"acme","model_family":"gpt-4o","prompt_tokens":2000,"expected_output_tokens":400,"slo_ms":20000}"#
            try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: body)) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "application/json")
                let o = try object(r.body)
                #expect((o["decision_id"] as? String)?.isEmpty == false)
                #expect(o["model_version"] as? Int == 7)
                #expect(o["policy"] as? String == "llm-default")
                let candidates = try #require(o["candidates"] as? [[String: Any]])
                #expect(candidates.count == 3)   // cohere is denied for acme
                for c in candidates {
                    for key in ["rank", "provider", "placement", "score", "expected_latency_ms", "tail_latency_ms",
                                "failure_probability", "cost_usd", "misses_slo"] {
                        #expect(c[key] != nil, "candidate lacks \(key)")
                    }
                }
                let dropped = try #require(o["dropped"] as? [[String: Any]])
                #expect(dropped.first?["provider"] as? String == "cohere")
                #expect(dropped.first?["reason"] as? String == "denied for the tenant")
                let selected = try #require(o["selected"] as? [String: Any])
                #expect(selected["provider"] as? String == candidates[0]["provider"] as? String)
            }
            // A rule: strict-privacy goes to Ollama.
            try await client.execute(uri: "/v1/route", method: .post,
                                     body: ByteBuffer(string: #"{"tenant":"acme","tags":["strict-privacy"]}"#)) { r in
                let o = try object(r.body)
                #expect((o["rule"] as? [String: Any])?["name"] as? String == "strict-privacy")
                #expect(((o["candidates"] as? [[String: Any]])?.first)?["provider"] as? String == "ollama")
            }
        }
    }

    /// With a quality head in the model and the prompt's text in the request, the answer says
    /// what the head made of it (`weak_good_enough`); without the text the key is absent.
    @Test func routeSaysWhatTheQualityHeadMadeOfThePrompt() async throws {
        let f = try Fixture(policy: RoutingPolicy.exampleYAML)
        var model = try Fixture.model()
        let z = 0.4
        model.quality = QualityModel(
            dataset: "test", labelStrong: "strong", labelWeak: "weak",
            strong: .init(provider: "openai", model: "gpt-4o"), weak: .init(provider: "ollama", model: "llama3.1"),
            featureSpec: try FeatureSpec(features: [.numeric(.inputTokens, transform: .log1p, mean: 5, scale: 1.5)]),
            head: LinearHead(intercept: z, coefficients: [0]),
            metrics: .init(testRows: 0, split: "none", strongAccuracy: 0, weakAccuracy: 0, apgr: 0, randomAPGR: 0,
                           cpt50: 0, cpt80: 0, logLoss: 0, auc: nil))
        try model.encoded().write(to: URL(fileURLWithPath: f.modelPath))
        let service = try f.service()
        defer { service.close() }
        try await app(service).test(.router) { client in
            let withText = #"{"tenant":"acme","text":"write a haiku about routers"}"#
            try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: withText)) { r in
                #expect(r.status == .ok)
                let p = try #require(try object(r.body)["weak_good_enough"] as? Double)
                #expect(abs(p - 1 / (1 + exp(-z))) <= 1e-12)
            }
            try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: #"{"tenant":"acme"}"#)) { r in
                #expect(r.status == .ok)
                let o = try object(r.body)
                #expect(o["weak_good_enough"] == nil && o["candidates"] != nil)
            }
        }
    }

    @Test func malformedJSONIs400WithTheField() async throws {
        let f = try Fixture()
        let service = try f.service()
        defer { service.close() }
        try await app(service).test(.router) { client in
            let cases: [(String, String?)] = [
                (#"{"tenant":"acme","prompt_tokens":"many"}"#, "prompt_tokens"),
                (#"{"tenant":"acme","prompt_tokens":-3}"#, "prompt_tokens"),
                (#"{"tenant":"acme","prompt_tokens":1.5}"#, "prompt_tokens"),
                (#"{"tenant":"acme","compliance":["pci"]}"#, "compliance"),
                (#"{"tenant":"acme","slo_ms":0}"#, "slo_ms"),
                (#"{"tenant":"acme","at":"yesterday"}"#, "at"),
                (#"{"tenant":"acme","tags":"x"}"#, "tags"),
                (#"{"tenant":"acme","region":"us""#, "region"),
                (#"{"tenant":12}"#, "tenant"),
                // PostgreSQL's text cannot hold U+0000: a name with one would never be stored.
                (#"{"tenant":"a\u0000b"}"#, "tenant"),
                (#"{"tenant":"acme","region":"eu\u0000west"}"#, "region"),
                (#"{"tenant":"acme","tags":["x\u0000"]}"#, "tags"),
                (#"{"tenant":"acme","budget":"\u0000"}"#, "budget"),
                (#"[1,2]"#, nil),
                (#"{"tenant":"acme"} trailing"#, nil),
                ("not json", nil),
            ]
            for (body, field) in cases {
                try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: body)) { r in
                    #expect(r.status == .badRequest, "\(body)")
                    let o = try object(r.body)
                    #expect((o["error"] as? String)?.isEmpty == false)
                    #expect(o["field"] as? String == field, "\(body): \(o)")
                }
            }
            // Empty body.
            try await client.execute(uri: "/v1/route", method: .post) { r in
                #expect(r.status == .badRequest)
            }
            // Outcome: missing and bad fields.
            let outcomeCases: [(String, String)] = [
                (#"{"provider":"openai","status":"ok","latency_ms":3}"#, "decision_id"),
                (#"{"decision_id":"x-1","status":"ok","latency_ms":3}"#, "provider"),
                (#"{"decision_id":"x-1","provider":"openai"}"#, "status"),
                (#"{"decision_id":"x-1","provider":"openai","status":"ok"}"#, "latency_ms"),
                (#"{"decision_id":"x-1","provider":"openai","status":"maybe","latency_ms":3}"#, "status"),
                (#"{"decision_id":"x-1","provider":"openai","status":"ok","latency_ms":-1}"#, "latency_ms"),
                (#"{"decision_id":"x-1","provider":"openai","status":"ok","latency_ms":3,"model":"gpt\u0000"}"#, "model"),
                (#"{"decision_id":"x-1","provider":"open\u0000ai","status":"ok","latency_ms":3}"#, "provider"),
                (#"{"decision_id":"x-1","provider":"openai","status":"ok","latency_ms":3,"at":"1970-01-01T00:00:00Z"}"#, "at"),
                // Stored, as a request log's row is refused: cached tokens are part of the input.
                (#"{"decision_id":"x-1","provider":"openai","status":"ok","latency_ms":3,"input_tokens":5,"cached_tokens":10}"#, "cached_tokens"),
            ]
            for (body, field) in outcomeCases {
                try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: body)) { r in
                    #expect(r.status == .badRequest, "\(body)")
                    try #expect(object(r.body)["field"] as? String == field, "\(body)")
                }
            }
            // A prompt's text is not stored: U+0000 in it is only text.
            try await client.execute(uri: "/v1/route", method: .post,
                                     body: ByteBuffer(string: #"{"tenant":"acme","text":"a\u0000b"}"#)) { r in
                #expect(r.status == .ok)
            }
            // An outcome dated more than a day after the server's clock is a client's mistake.
            let decision = try await client.execute(uri: "/v1/route", method: .post,
                                                    body: ByteBuffer(string: #"{"tenant":"acme"}"#)) { try object($0.body) }
            let id = try #require(decision["decision_id"] as? String)
            let future = #"{"decision_id":"\#(id)","provider":"openai","status":"ok","latency_ms":3,"at":"9999-01-01T00:00:00Z"}"#
            try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: future)) { r in
                #expect(r.status == .badRequest)
                let o = try object(r.body)
                #expect(o["field"] as? String == "at")
                #expect((o["error"] as? String)?.contains("more than a day after this server's clock") == true, "\(o)")
            }
        }
    }

    /// A request that shares its prompt's text but not its token count is priced at about a
    /// token per four bytes of it, as `mosaic eval routing` prices each prompt; at 0 tokens
    /// every provider cost nothing and the quality head could never choose the weak model.
    @Test func aPromptWithoutItsTokenCountIsPricedFromItsText() async throws {
        let f = try Fixture()
        let service = try f.service()
        defer { service.close() }
        let text = String(repeating: "How many moons has Mars? ", count: 16)   // 400 bytes: 100 tokens
        try await app(service).test(.router) { client in
            func costs(_ body: String) async throws -> [Double] {
                try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: body)) { r in
                    #expect(r.status == .ok)
                    let candidates = try object(r.body)["candidates"] as? [[String: Any]] ?? []
                    return candidates.compactMap { ($0["cost_usd"] as? NSNumber)?.doubleValue }
                }
            }
            let estimated = try await costs(#"{"tenant":"acme","text":"\#(text)","at":"2026-10-20T12:00:00Z"}"#)
            let stated = try await costs(#"{"tenant":"acme","text":"\#(text)","prompt_tokens":100,"at":"2026-10-20T12:00:00Z"}"#)
            #expect(!estimated.isEmpty && estimated == stated)
            #expect(estimated.contains { $0 > 0 })
        }
    }

    @Test func oversizeBodyIs413() async throws {
        let f = try Fixture()
        let service = try f.service()
        defer { service.close() }
        try await app(service).test(.router) { client in
            let big = #"{"tenant":"acme","text":""# + String(repeating: "x", count: 10_000) + #""}"#
            try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: big)) { r in
                #expect(r.status == .contentTooLarge)
                try #expect((object(r.body)["error"] as? String)?.contains("4096") == true)
            }
            try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: big)) { r in
                #expect(r.status == .contentTooLarge)
            }
        }
    }

    @Test func unknownTenantProviderAndDecisionAre4xx() async throws {
        let f = try Fixture()
        let service = try f.service()
        defer { service.close() }
        try await app(service).test(.router) { client in
            try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: #"{"tenant":"globex"}"#)) { r in
                #expect(r.status == .unprocessableContent)
                let o = try object(r.body)
                #expect(o["field"] as? String == "tenant")
                #expect((o["error"] as? String)?.contains("globex") == true)
            }
            // A capability no provider lists is refused, as `mosaic route` refuses it (it was
            // answered 200 with every provider dropped for lacking it).
            try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: #"{"tenant":"acme","capabilities":["telepathy"]}"#)) { r in
                #expect(r.status == .unprocessableContent)
                let o = try object(r.body)
                #expect(o["field"] as? String == "capabilities")
                #expect((o["error"] as? String)?.hasPrefix("'telepathy' is not one the catalog's providers list") == true, "\(o)")
            }
            let id = try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: #"{"tenant":"acme"}"#)) { r in
                try object(r.body)["decision_id"] as! String
            }
            let unknownProvider = #"{"decision_id":"\#(id)","provider":"watsonx","status":"ok","latency_ms":5}"#
            try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: unknownProvider)) { r in
                #expect(r.status == .unprocessableContent)
                let o = try object(r.body)
                #expect(o["field"] as? String == "provider")
                #expect((o["error"] as? String)?.contains("watsonx") == true)
            }
            for bad in ["nope", "\(service.instance)-ffffff", "0badc0de-1"] {
                let body = #"{"decision_id":"\#(bad)","provider":"openai","status":"ok","latency_ms":5}"#
                try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: body)) { r in
                    #expect(r.status == .notFound)
                    try #expect(object(r.body)["field"] as? String == "decision_id")
                }
            }
            // A good outcome, then the same again: 409.
            let good = #"{"decision_id":"\#(id)","provider":"openai","status":"ok","latency_ms":840,"input_tokens":10}"#
            try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: good)) { r in
                #expect(r.status == .ok)
                let o = try object(r.body)
                #expect(o["applied"] as? Bool == true)
                #expect(o["stored"] as? Bool == false)   // no store
            }
            try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: good)) { r in
                #expect(r.status == .conflict)
            }
            try await client.execute(uri: "/v1/nothing", method: .get) { r in
                #expect(r.status == .notFound)
                try #expect((object(r.body)["error"] as? String)?.contains("/v1/nothing") == true)
            }
        }
    }

    @Test func adminReloadNeedsTheToken() async throws {
        let f = try Fixture()
        let service = try f.service(token: "t0ken")
        defer { service.close() }
        try await app(service).test(.router) { client in
            try await client.execute(uri: "/admin/reload", method: .post) { r in
                #expect(r.status == .unauthorized)
                try #expect(object(r.body)["field"] as? String == "Authorization")
            }
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer wrong"]) { r in
                #expect(r.status == .unauthorized)
                try #expect(object(r.body)["error"] as? String == "wrong admin token")
            }
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Basic dDBrZW4="]) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer t0ken"]) { r in
                #expect(r.status == .ok)
                let o = try object(r.body)
                #expect(o["generation"] as? Int == 2)
                #expect(o["model_version"] as? Int == 7)
            }
        }
        // No token configured: always 401.
        let closed = try f.service(token: nil)
        defer { closed.close() }
        try await app(closed).test(.router) { client in
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer "]) { r in
                #expect(r.status == .unauthorized)
            }
        }
    }

    @Test func healthReadinessModelAndMetrics() async throws {
        let f = try Fixture()
        let service = try f.service()
        defer { service.close() }
        try await app(service).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .ok)
                try #expect(object(r.body)["status"] as? String == "alive")
            }
            try await client.execute(uri: "/readyz", method: .get) { r in
                #expect(r.status == .ok)
                try #expect(object(r.body)["ready"] as? Bool == true)
            }
            try await client.execute(uri: "/v1/model", method: .get) { r in
                let o = try object(r.body)
                #expect(o["version"] as? Int == 7)
                #expect((o["trained_window"] as? [String: Any])?["from"] as? String == "2026-10-05T00:00:00Z")
                let providers = try #require(o["providers"] as? [[String: Any]])
                #expect(providers.count == 4)
                #expect((providers[0]["metrics"] as? [String: Any])?["latency_rmse"] as? Double == 0.3)
            }
            _ = try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: #"{"tenant":"acme"}"#))
            _ = try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: #"{"tenant":"zzz"}"#))
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: r.body)
                #expect(text.contains(#"mosaic_decisions_total{provider="openai",reason="strategy:model_utility"} 1"#)
                        || text.contains(#"mosaic_decisions_total{provider="anthropic",reason="strategy:model_utility"} 1"#))
                #expect(text.contains(#"mosaic_http_errors_total{endpoint="route",status="422"} 1"#))
                #expect(text.contains(#"mosaic_breaker_state{provider="openai"} 0"#))
                #expect(text.contains(#"mosaic_reloads_total{source="startup",result="success"} 1"#))
                #expect(text.contains(#"mosaic_handling_seconds_bucket{endpoint="route",le="+Inf"}"#))
                #expect(text.contains("mosaic_model_version 7"))
                // Every sample line is `name{labels} value` or `name value`.
                for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                    let parts = line.split(separator: " ")
                    #expect(parts.count == 2 && Double(parts[1]) != nil || parts.last == "+Inf", "\(line)")
                }
            }
        }
    }

    @Test func anOutcomeFromALaterCandidateCountsAsTheCallersFailover() async throws {
        let f = try Fixture()
        let service = try f.service()
        defer { service.close() }
        try await app(service).test(.router) { client in
            var id = "", next = ""
            try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: #"{"tenant":"acme"}"#)) { r in
                let o = try object(r.body)
                id = try #require(o["decision_id"] as? String)
                let candidates = try #require(o["candidates"] as? [[String: Any]]).compactMap { $0["provider"] as? String }
                let rank = try #require((o["selected"] as? [String: Any])?["rank"] as? Int)
                try #require(rank < candidates.count)
                next = candidates[rank]  // the candidate after the admitted one
            }
            // The caller's attempt on the admitted provider failed and it went on to the next candidate.
            let report = #"{"decision_id":"\#(id)","provider":"\#(next)","status":"ok","latency_ms":900}"#
            try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: report)) { r in
                #expect(r.status == .ok)
            }
            // An outcome from the admitted provider is no failover.
            var second = ""
            try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: #"{"tenant":"acme"}"#)) { r in
                let o = try object(r.body)
                second = #"{"decision_id":"\#(try #require(o["decision_id"] as? String))","provider":"\#(try #require((o["selected"] as? [String: Any])?["provider"] as? String))","status":"ok","latency_ms":800}"#
            }
            _ = try await client.execute(uri: "/v1/outcome", method: .post, body: ByteBuffer(string: second))
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains(#"mosaic_failovers_total{provider="\#(next)"} 1"#), "\(text)")
                #expect(text.split(separator: "\n").filter { $0.hasPrefix("mosaic_failovers_total{") }.count == 1)
            }
        }
    }
}
