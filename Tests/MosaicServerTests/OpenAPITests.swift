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
        for (path, item) in paths {
            for method in ((item as? [String: Any]) ?? [:]).keys { documented.insert("\(method.uppercased()) \(path)") }
        }
        let served: Set<String> = ["POST /v1/route", "POST /v1/outcome", "GET /v1/model", "GET /healthz", "GET /readyz",
                                   "GET /metrics", "POST /admin/reload"]
        #expect(documented == served)

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
}
