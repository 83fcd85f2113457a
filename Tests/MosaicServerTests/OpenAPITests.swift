import Foundation
import Hummingbird
import HummingbirdTesting
@testable import MosaicServer
import MosaicTestSupport
import Testing
import Yams

/// `docs/openapi.yaml` stays true: every documented operation is served, every served
/// operation is documented, and documented response objects have exactly the server's keys.
@Suite("serve: OpenAPI document")
struct OpenAPITests {
    static let path = SharedData.packageRoot + "/docs/openapi.yaml"

    func document() throws -> [String: Any] {
        let text = try String(contentsOfFile: Self.path, encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    func schema(_ doc: [String: Any], _ name: String) throws -> [String: Any] {
        let components = try #require(doc["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        return try #require(schemas[name] as? [String: Any], "no schema \(name)")
    }

    func keys(_ schema: [String: Any]) -> Set<String> { Set((schema["properties"] as? [String: Any])?.keys.map { $0 } ?? []) }

    @Test func documentedOperationsAreServedAndResponsesMatch() async throws {
        let doc = try document()
        #expect((doc["openapi"] as? String)?.hasPrefix("3.") == true)
        let paths = try #require(doc["paths"] as? [String: Any])
        var documented: Set<String> = []
        var gateway: Set<String> = []
        for (path, item) in paths {
            let operations = (item as? [String: Any]) ?? [:]
            let onlyWithGateway = operations["x-mosaic-gateway"] as? Bool == true
            for method in operations.keys where !method.hasPrefix("x-") {
                if onlyWithGateway { gateway.insert("\(method.uppercased()) \(path)") } else { documented.insert("\(method.uppercased()) \(path)") }
            }
        }
        let served: Set<String> = ["POST /v1/route", "POST /v1/outcome", "GET /v1/model", "GET /healthz", "GET /readyz",
                                   "GET /metrics", "POST /admin/reload"]
        #expect(documented == served)
        #expect(gateway == ["POST /v1/chat/completions", "POST /v1/embeddings", "GET /v1/models"])

        let f = try Fixture()
        let service = try f.service()
        defer { service.close() }
        let decisionSchema = try schema(doc, "Decision")
        let decision = keys(decisionSchema)
        let decisionRequired = Set(decisionSchema["required"] as? [String] ?? [])
        let candidate = keys(try schema(doc, "Candidate"))
        let ack = keys(try schema(doc, "OutcomeAck"))
        let model = keys(try schema(doc, "Model"))
        let ready = keys(try schema(doc, "Ready"))
        let reload = keys(try schema(doc, "ReloadAck"))
        let error = keys(try schema(doc, "Error"))
        try await ServeApplication.make(service: service, logger: Fixture.logger).test(.router) { client in
            // Nothing documented is missing (no 404 or 405).
            for op in served {
                let parts = op.split(separator: " ")
                let status = try await client.execute(uri: String(parts[1]), method: parts[0] == "GET" ? .get : .post) { $0.status }
                #expect(status != .notFound && status != .methodNotAllowed, "\(op)")
            }
            let o = try await client.execute(uri: "/v1/route", method: .post,
                                             body: ByteBuffer(string: #"{"tenant":"acme","tags":["strict-privacy"]}"#)) { try object($0.body) }
            #expect(Set(o.keys) == decision)
            #expect(decisionRequired == Set(o.keys))
            for c in o["candidates"] as? [[String: Any]] ?? [] { #expect(Set(c.keys) == candidate) }
            let id = o["decision_id"] as! String
            let a = try await client.execute(uri: "/v1/outcome", method: .post,
                                             body: ByteBuffer(string: #"{"decision_id":"\#(id)","provider":"ollama","status":"ok","latency_ms":9}"#)) { try object($0.body) }
            #expect(Set(a.keys) == ack)
            let m = try await client.execute(uri: "/v1/model", method: .get) { try object($0.body) }
            #expect(Set(m.keys) == model)
            let r = try await client.execute(uri: "/readyz", method: .get) { try object($0.body) }
            #expect(Set(r.keys) == ready)
            let l = try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer t0ken"]) { try object($0.body) }
            #expect(Set(l.keys) == reload)
            let e = try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: "{")) { try object($0.body) }
            #expect(Set(e.keys).isSubset(of: error))
        }
        // Every request field the server reads is documented.
        let routeFields = keys(try schema(doc, "RouteRequest"))
        #expect(routeFields == ["tenant", "operation", "model_family", "resource", "region", "residency", "prompt_tokens",
                                "expected_output_tokens", "compliance", "capabilities", "slo_ms", "budget", "tags", "at", "text"])
        let outcomeFields = keys(try schema(doc, "Outcome"))
        #expect(outcomeFields == ["decision_id", "provider", "status", "latency_ms", "input_tokens", "output_tokens",
                                  "cached_tokens", "model", "at"])
    }

    /// With `--gateway`, the OpenAI-shaped operations answer with the documented keys: the model
    /// list and the error object exactly, a forwarded completion at least its required ones.
    @Test func gatewayOperationsAnswerInTheirDocumentedShapes() async throws {
        let doc = try document()
        let h = try await GatewayHarness.start()
        let chat = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(chat.status == 200)
        let completion = try schema(doc, "ChatCompletion")
        let chatKeys = Set(try chat.json().keys)
        #expect(Set(completion["required"] as? [String] ?? []).isSubset(of: chatKeys))
        #expect(chatKeys.isSubset(of: keys(completion)))
        let embeddings = try await h.post("/v1/embeddings", #"{"model":"text-embedding-3-small","input":"mosaic"}"#)
        let list = try schema(doc, "EmbeddingList")
        #expect(Set(list["required"] as? [String] ?? []).isSubset(of: Set(try embeddings.json().keys)))
        let models = try await h.get("/v1/models")
        let m = try models.json()
        #expect(Set(m.keys) == keys(try schema(doc, "ModelList")))
        for entry in m["data"] as? [[String: Any]] ?? [] { #expect(Set(entry.keys) == keys(try schema(doc, "GatewayModel"))) }
        let missing = try await h.post("/v1/chat/completions", #"{"model":"gpt-9","messages":[{"role":"user","content":"x"}]}"#)
        #expect(missing.status == 404)
        let e = try missing.json()
        #expect(Set(e.keys) == keys(try schema(doc, "OpenAIError")))
        #expect(Set((e["error"] as? [String: Any] ?? [:]).keys) == keys(try schema(doc, "OpenAIErrorDetail")))
        _ = try await h.stopAndReadRows()
    }
}
