import Foundation
import Hummingbird
import HummingbirdTesting
import MosaicCore
@testable import MosaicServer
import MosaicTestSupport
import Testing

@Suite("serve: reloads")
struct ReloadTests {
    /// A bad policy's error already names the file and line; the load error must not name the
    /// file a second time (`mosaic serve` printed `p.yaml: p.yaml:2: …`).
    @Test func aBadPolicyIsNamedOnce() throws {
        let f = try Fixture(policy: "version: 1\nproviders: [nosuch]\n")
        do {
            _ = try LoadedBundle.load(modelPath: f.modelPath, policyPath: f.policyPath, catalog: .default, now: 0, generation: 1)
            Issue.record("a policy naming an unknown provider loaded")
        } catch {
            #expect(error.description.hasPrefix("\(f.policyPath):2: providers[0]: "), "\(error)")
            #expect(error.description.components(separatedBy: f.policyPath).count == 2, "\(error)")
        }
        let missing = LoadError(file: "gone.yaml", reason: "cannot read the policy")
        #expect(missing.description == "gone.yaml: cannot read the policy")
    }

    @Test func aCorruptModelKeepsTheOldOneServing() async throws {
        let f = try Fixture()
        let service = try f.service()
        defer { service.close() }
        let app = ServeApplication.make(service: service, logger: Fixture.logger)
        try await app.test(.router) { client in
            // Corrupt the model file: truncated JSON, then a model whose head is broken.
            try Data("{\"schemaVersion\": 1, \"kind\": \"routing\", \"provid".utf8).write(to: URL(fileURLWithPath: f.modelPath))
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer t0ken"]) { r in
                #expect(r.status == .unprocessableContent)
                let o = try object(r.body)
                #expect(o["field"] as? String == "model")
                #expect((o["error"] as? String)?.contains("previous model keeps serving") == true)
            }
            try await client.execute(uri: "/readyz", method: .get) { r in
                #expect(r.status == .ok)
                try #expect(object(r.body)["generation"] as? Int == 1)
            }
            try await client.execute(uri: "/v1/route", method: .post, body: ByteBuffer(string: #"{"tenant":"acme"}"#)) { r in
                #expect(r.status == .ok)
                try #expect(object(r.body)["model_version"] as? Int == 7)
            }
            // A policy that does not validate is refused the same way.
            try f.writeModel(version: 8)
            let goodPolicy = try String(contentsOfFile: f.policyPath, encoding: .utf8)
            try "version: 1\nname: broken\nproviders: [openai, nosuch]\n".write(toFile: f.policyPath, atomically: true, encoding: .utf8)
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer t0ken"]) { r in
                #expect(r.status == .unprocessableContent)
                try #expect(object(r.body)["field"] as? String == "policy")
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains(#"mosaic_reloads_total{source="admin",result="failure"} 2"#))
                #expect(text.contains("mosaic_model_version 7"))
            }
            try await client.execute(uri: "/v1/model", method: .get) { r in
                let reloads = try object(r.body)["reloads"] as? [String: Any]
                #expect(reloads?["failure"] as? Int == 2)
                #expect((reloads?["last_error"] as? String)?.contains("nosuch") == true)
            }
            // Fixed files load.
            try goodPolicy.write(toFile: f.policyPath, atomically: true, encoding: .utf8)
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer t0ken"]) { r in
                #expect(r.status == .ok)
                try #expect(object(r.body)["model_version"] as? Int == 8)
            }
        }
    }

    @Test func theFileWatchReloadsAndSurvivesABadFile() async throws {
        let f = try Fixture()
        let service = try f.service(watch: 0.05)
        defer { service.close() }
        let handle = try await ServeApplication.start(service: service, logger: Fixture.logger)
        let port = handle.port
        try await blocking {
            let client = LoopbackHTTPClient(port: port)
            func waitFor(_ what: String, _ condition: () throws -> Bool) throws {
                let deadline = Date().addingTimeInterval(5)
                while Date() < deadline {
                    if try condition() { return }
                    Thread.sleep(forTimeInterval: 0.05)
                }
                Issue.record("timed out waiting for \(what)")
            }
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: f.modelPath))
            try waitFor("a failed reload") { service.reloadCounts.failure == 1 }
            let r = try client.post("/v1/route", json: #"{"tenant":"acme"}"#)
            #expect(r.status == 200)
            try #expect(object(r.body)["model_version"] as? Int == 7)
            try #expect(client.get("/readyz").status == 200)
            try f.writeModel(version: 9)
            try waitFor("the new model") { service.bundle.model.version == 9 }
            try #expect(object(try client.post("/v1/route", json: #"{"tenant":"acme"}"#).body)["model_version"] as? Int == 9)
            #expect(service.reloadCounts.failure == 1)
            client.close()
        }
        try await handle.stop()
    }

    @Test func concurrentReloadsUnderLoad() async throws {
        let f = try Fixture()
        let service = try f.service()
        defer { service.close() }
        let handle = try await ServeApplication.start(service: service, logger: Fixture.logger)
        let port = handle.port
        // 8 clients route and report 25 times each; 3 reloaders swap models 8 times each (one in
        // four of them corrupt). Bounded by count, not by time, so a slow machine does the same work.
        let pairsPerClient = 25
        let results = try await withThrowingTaskGroup(of: (ok: Int, bad: Int).self) { group in
            for _ in 0..<8 {
                group.addTask { try await blocking {
                    let c = LoopbackHTTPClient(port: port)
                    var ok = 0, bad = 0
                    for _ in 0..<pairsPerClient {
                        let r = try c.post("/v1/route", json: #"{"tenant":"acme","prompt_tokens":1200}"#)
                        guard r.status == 200, let id = try object(r.body)["decision_id"] as? String,
                              let p = ((try object(r.body)["selected"]) as? [String: Any])?["provider"] as? String else {
                            bad += 1
                            continue
                        }
                        let o = try c.post("/v1/outcome", json: #"{"decision_id":"\#(id)","provider":"\#(p)","status":"ok","latency_ms":700}"#)
                        if o.status == 200 { ok += 1 } else { bad += 1 }
                    }
                    return (ok, bad)
                } }
            }
            for k in 0..<3 {
                group.addTask { try await blocking {
                    let c = LoopbackHTTPClient(port: port)
                    var bad = 0
                    for n in 1...8 {
                        let corrupt = (n + k) % 4 == 0
                        if corrupt { try f.writeCorruptModel(as: "tmp-\(k)") } else { try f.writeModel(version: 10 + n, as: "tmp-\(k)") }
                        let r = try c.post("/admin/reload", json: "", headers: [("Authorization", "Bearer t0ken")])
                        // Another reloader may have renamed its file in between: 200 or 422, nothing else.
                        if r.status != 200 && r.status != 422 { bad += 1 }
                    }
                    return (0, bad)
                } }
            }
            var total = (ok: 0, bad: 0)
            for try await r in group { total.ok += r.ok; total.bad += r.bad }
            return total
        }
        #expect(results.bad == 0, "every route, outcome and reload answered 200")
        #expect(results.ok == 8 * pairsPerClient)
        #expect(service.bundle.generation > 3)
        try await handle.stop()
    }
}
