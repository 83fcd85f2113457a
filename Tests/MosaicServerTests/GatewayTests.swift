import AsyncHTTPClient
import Foundation
import HTTPTypes
import MosaicCore
import MosaicRouting
@testable import MosaicServer
import MosaicStore
import NIOCore
import NIOHTTP1
import Testing

/// The gateway in front of mock upstreams on 127.0.0.1: routing, forwarding, failover before
/// the first byte and never after it, Anthropic translation, and the outcome rows it records.
@Suite("gateway: live", .serialized)
struct GatewayLiveTests {
    /// A gateway file refused at startup stops the outcome writer the service had already
    /// started. Before, the writer's thread outlived its object and, waking 0.2 s later, read it
    /// after it was freed: `mosaic serve --gateway` then died with "Attempted to read an unowned
    /// reference" instead of exiting with the file's error (4 in 30 starts on a busy machine).
    @Test func aRefusedGatewayFileStopsTheOutcomeWriterItStarted() async throws {
        let f = try Fixture(policy: GatewayHarness.policyYAML)
        let storePath = f.dir.file("refused.sqlite")
        var options = f.options(store: storePath)
        options.gatewayPath = f.dir.file("gateway.yaml")
        unsetenv("MOSAIC_TEST_UNSET_KEY")
        let yaml = "version: 1\nupstreams:\n  - provider: openai\n    api: openai\n    base_url: http://127.0.0.1:9/v1\n"
            + "    key_env: MOSAIC_TEST_UNSET_KEY\n    models: {a: b}\n"
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: options.gatewayPath!))
        do {
            _ = try RoutingService(options: options, logger: Fixture.logger)
            Issue.record("a gateway file naming an unset key was accepted")
        } catch {
            #expect("\(error)".contains("MOSAIC_TEST_UNSET_KEY is not set"), "\(error)")
        }
        try await Task.sleep(for: .milliseconds(600))  // past the writer's 0.2 s wake-ups
        let runs = try Store(path: storePath, readOnly: true).runs().filter { $0.source == "serve:outcomes" }
        #expect(runs.count == 1 && runs[0].finishedAt != nil, "the writer's run was not finished: \(runs)")
    }

    /// A key naming a budget the policy does not define stops `mosaic serve` at startup, is
    /// refused on a reload of the gateway file, and a policy reload that drops a budget a key
    /// names is refused; a budget renamed in both files at once reloads both.
    @Test func aKeysBudgetMustBeOneThePolicyDefines() throws {
        func policy(_ budget: String) -> String {
            GatewayHarness.policyYAML + "budgets:\n  \(budget): {limit: \"50.00\", per: day}\n"
        }
        func gateway(_ budget: String) -> String {
            "version: 1\nkeys:\n  - {sha256: \(String(repeating: "a", count: 64)), tenant: acme}\n"
                + "  - {sha256: \(String(repeating: "b", count: 64)), tenant: lab, budget: \(budget)}\n"
                + "upstreams:\n  - {provider: openai, api: openai, base_url: \"http://127.0.0.1:9/v1\", models: {gpt-4o: gpt-4o}}\n"
        }
        let f = try Fixture(policy: policy("research"))
        var options = f.options()
        let gatewayPath = f.dir.write("gateway.yaml", gateway("reserch"))
        options.gatewayPath = gatewayPath
        do {
            let service = try RoutingService(options: options, logger: Fixture.logger)
            service.close()
            Issue.record("a key naming a budget the policy lacks was accepted")
        } catch {
            #expect("\(error)" == "\(gatewayPath):4: keys[1].budget: 'reserch' is not a budget of the policy \(f.policyPath) (did you mean 'research'?)")
        }

        _ = f.dir.write("gateway.yaml", gateway("research"))
        let service = try RoutingService(options: options, logger: Fixture.logger)
        defer { service.close() }
        let gw = try #require(service.gateway)
        // The gateway file changed alone: checked against the policy in force, and kept out.
        _ = f.dir.write("gateway.yaml", gateway("marketing"))
        service.reloadIfChanged()
        #expect(gw.generation == 1)
        #expect(gw.lastReloadError == "\(gatewayPath):4: keys[1].budget: 'marketing' is not a budget of the policy \(f.policyPath) (its budgets: research)")
        _ = f.dir.write("gateway.yaml", gateway("research"))
        service.reloadIfChanged()
        #expect(gw.generation == 2 && gw.lastReloadError == nil)
        // The policy changed alone and dropped the key's budget: refused, the old one serves.
        _ = f.dir.write("policy.yaml", policy("labs"))
        guard case .failed(let reason) = service.reload(source: "test") else {
            Issue.record("a policy without the budget a key names was accepted")
            return
        }
        #expect(reason == "\(gatewayPath):4: keys[1].budget: 'research' is not a budget of the policy \(f.policyPath) (its budgets: labs)")
        #expect(service.bundle.generation == 1 && service.bundle.policy.budgets.keys.sorted() == ["research"])
        // Renamed in both files: each is checked against the other's new version, and both load.
        _ = f.dir.write("policy.yaml", policy("platform-team"))
        _ = f.dir.write("gateway.yaml", gateway("platform-team"))
        service.reloadIfChanged()
        #expect(service.bundle.generation == 2 && service.bundle.policy.budgets.keys.sorted() == ["platform-team"], "\(service.lastReloadError ?? "")")
        #expect(gw.generation == 3 && gw.loaded.file.keys.values.compactMap(\.budget) == ["platform-team"], "\(gw.lastReloadError ?? "")")
    }

    @Test func chatEmbeddingsAndModelsAreForwardedAndRecordedWithExactCost() async throws {
        let h = try await GatewayHarness.start()
        let chat = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"Say hello"}],"temperature":0.7}"#)
        #expect(chat.status == 200, "\(chat.body)")
        let doc = try chat.json()
        let message = ((doc["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
        #expect(message == "Hello from gpt-4o-test")
        #expect(chat.headers["x-mosaic-provider"].first == "openai")
        #expect(chat.headers["x-mosaic-attempts"].first == "1")
        // 600 uncached × 2.5e-6 + 400 cached × 1.25e-6 + 200 output × 1e-5 = 0.0015 + 0.0005 + 0.002
        #expect(chat.headers["x-mosaic-cost-usd"].first.flatMap { try? Money(parsing: $0) } == (try Money(parsing: "0.004")))
        // The upstream got the upstream model name, the key, and the client's parameters as written.
        let sent = try #require(h.openai.requests.last)
        #expect(sent.json["model"] as? String == "gpt-4o-test")
        #expect(sent.headers[.authorization] == "Bearer sk-test-openai")
        #expect(String(decoding: sent.body, as: UTF8.self).contains(#""temperature":0.7"#))

        let embedding = try await h.post("/v1/embeddings", #"{"model":"text-embedding-3-small","input":"mosaic"}"#)
        #expect(embedding.status == 200, "\(embedding.body)")
        #expect(((try embedding.json()["data"] as? [[String: Any]])?.first?["embedding"] as? [Double]) == [0.25, -0.5])

        let models = try await h.get("/v1/models")
        let ids = (try models.json()["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(ids == ["gpt-4o", "text-embedding-3-small"])

        let unknown = try await h.post("/v1/chat/completions", #"{"model":"gpt-9","messages":[{"role":"user","content":"x"}]}"#)
        #expect(unknown.status == 404)
        #expect(((try unknown.json()["error"] as? [String: Any])?["code"] as? String) == "model_not_found")

        let rows = try await h.stopAndReadRows()
        #expect(rows.count == 2)
        #expect(rows[0].provider == "openai" && rows[0].model == "gpt-4o-test" && rows[0].status == "ok")
        #expect(rows[0].tokens == [1000, 200, 400])
        #expect(rows[0].cost == "0.004")
        #expect(rows[1].model == "embed-test" && rows[1].operation == "embedding" && rows[1].tokens == [8, 0, 0])
        // 8 × 2e-8
        #expect(rows[1].cost == "0.00000016")
    }

    /// An upstream's usage is not checked like a file's rows, but a row must hold what the store
    /// takes: a negative count (the store refused the row, which was lost) or one past what a
    /// request holds counts as 0, and cached tokens are at most the input.
    @Test func upstreamTokenCountsOutsideTheirRangeAreStoredAsZero() async throws {
        let h = try await GatewayHarness.start()
        h.openai.set(.usage(#"{"prompt_tokens":-5,"completion_tokens":100000000000,"prompt_tokens_details":{"cached_tokens":7}}"#))
        let bad = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(bad.status == 200, "\(bad.body)")
        h.openai.set(.usage(#"{"prompt_tokens":10,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":12}}"#))
        let cached = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(cached.status == 200, "\(cached.body)")
        let rows = try await h.stopAndReadRows()
        #expect(rows.map(\.tokens) == [[0, 0, 0], [10, 3, 10]])
        #expect(rows.allSatisfy { $0.status == "ok" })
    }

    @Test(arguments: [MockUpstream.Mode.status(429), .status(500), .status(503), .hang])
    func failsOverBeforeTheFirstByte(_ fault: MockUpstream.Mode) async throws {
        let h = try await GatewayHarness.start(openaiTimeout: "1s")
        h.openai.set(fault)
        let chat = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather in Paris?"}]}"#)
        #expect(chat.status == 200, "\(chat.body)")
        #expect(chat.headers["x-mosaic-provider"].first == "anthropic")
        #expect(chat.headers["x-mosaic-attempts"].first == "2")
        // Translated back from Anthropic's message.
        let choice = try #require((try chat.json()["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "tool_calls")
        let calls = (choice["message"] as? [String: Any])?["tool_calls"] as? [[String: Any]]
        #expect((calls?.first?["function"] as? [String: Any])?["arguments"] as? String == #"{"city":"Paris"}"#)
        // The Anthropic upstream got a messages request: system apart, key in x-api-key.
        let sent = try #require(h.anthropic.requests.last)
        #expect(sent.path == "/v1/messages")
        #expect(sent.json["system"] as? String == "Be brief.")
        #expect(sent.json["max_tokens"] as? Int == 4096)
        #expect(sent.headers[HTTPField.Name("x-api-key")!] == "sk-test-anthropic")
        #expect(sent.headers[HTTPField.Name("anthropic-version")!] == "2023-06-01")

        let rows = try await h.stopAndReadRows()
        let expected: String
        switch fault {
        case .status(429): expected = "rate_limited"
        case .hang: expected = "timeout"
        default: expected = "error"
        }
        #expect(rows.map(\.provider) == ["openai", "anthropic"])
        #expect(rows.map(\.status) == [expected, "ok"])
        // Anthropic counts 600 + 300 cache reads + 100 cache writes = 1000 input, 300 of them cached:
        // 700 × 3e-6 + 300 × 3e-7 + 50 × 1.5e-5 = 0.0021 + 0.00009 + 0.00075
        #expect(rows[1].tokens == [1000, 50, 300])
        #expect(rows[1].cost == "0.00294")
        #expect(rows[0].cost == "0", "a failed attempt used no tokens")
    }

    /// A client that hangs up while its request waits on the upstream, and the server stopped
    /// right after: the request still finishes (failover) before the server has stopped, and its
    /// outcome rows are stored, through the direct handler and through the router.
    @Test(arguments: [true, false])
    func aClientThatHangsUpMidRequestStillHasItsRequestFinishedAndRecorded(direct: Bool) async throws {
        let h = try await GatewayHarness.start(openaiTimeout: "1s") { $0.directRoutes = direct }
        h.openai.set(.hang)
        let body = #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#
        let port = h.handle.port
        // The upstream holds it past the 1 s timeout; hang up before the failover answers (the
        // socket waits off Swift's cooperative pool, which the gateway's tasks need).
        let unanswered = try await blocking { () throws -> Bool in
            let gone = try RawConnection(port: port)
            defer { gone.close() }
            gone.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            return gone.read(within: 0.3).bytes.isEmpty
        }
        #expect(unanswered)
        #expect(try await h.get("/healthz").status == 200, "the server goes on serving")
        // Stopped while the abandoned request still waits on OpenAI.
        let rows = try await h.stopAndReadRows()
        #expect(rows.map(\.status) == ["timeout", "ok"], "the abandoned request failed over and was recorded")
        #expect(rows.map(\.provider) == ["openai", "anthropic"])
    }

    @Test func failsOverWhenTheConnectionIsRefused() async throws {
        let closed = try await MockUpstream.start()
        let closedPort = closed.port
        await closed.stop()
        let h = try await GatewayHarness.start(openaiPort: closedPort)
        let chat = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(chat.status == 200, "\(chat.body)")
        #expect(chat.headers["x-mosaic-provider"].first == "anthropic")
        let rows = try await h.stopAndReadRows()
        #expect(rows.map(\.status) == ["error", "ok"])
    }

    @Test func everyCandidateFailingAnswersInOpenAIsErrorShape() async throws {
        let h = try await GatewayHarness.start()
        h.openai.set(.status(500))
        h.anthropic.set(.status(529))
        let chat = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(chat.status == 502)
        let error = try #require(try chat.json()["error"] as? [String: Any])
        #expect(error["type"] as? String == "api_error")
        #expect((error["message"] as? String)?.contains("mock says 529") == true)
        // A request the upstream calls the client's fault is answered as is, never retried.
        h.openai.set(.status(400))
        let bad = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(bad.status == 400)
        // … with the upstream's param and code, which clients' SDKs read (param was null).
        let badError = try #require(try bad.json()["error"] as? [String: Any])
        #expect(badError["param"] as? String == "messages" && badError["code"] as? String == "invalid_value", "\(bad.body)")
        #expect(h.anthropic.requests.count == 1)
        _ = try await h.stopAndReadRows()
    }

    @Test func streamsPassThroughWithUsageAndTimeToFirstToken() async throws {
        let h = try await GatewayHarness.start()
        let plain = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(plain.status == 200)
        #expect(plain.headers["content-type"].first == "text/event-stream")
        let events = plain.events
        #expect(events.last == "[DONE]")
        #expect(Self.content(events) == "Hello")
        #expect(!events.contains { $0.contains(#""usage":{"#) }, "no usage chunk unless the client asks")
        // The gateway asked the upstream for the usage chunk anyway, to record tokens.
        #expect((h.openai.requests.last?.json["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)

        let withUsage = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(withUsage.events.contains { $0.contains(#""usage":{"prompt_tokens":1000"#) })

        let rows = try await h.stopAndReadRows()
        #expect(rows.count == 2)
        for r in rows {
            #expect(r.status == "ok")
            #expect(r.tokens == [1000, 200, 400])
            #expect(r.cost == "0.004")
            #expect(r.ttftMs != nil && r.ttftMs! <= r.latencyMs!)
        }
    }

    @Test func streamFailsOverBeforeItsFirstEventButNeverAfter() async throws {
        let h = try await GatewayHarness.start()
        // Before the first event: a 503 fails over to Anthropic, whose events come back as OpenAI chunks.
        h.openai.set(.status(503))
        let failover = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Weather in Paris?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}"#)
        #expect(failover.status == 200)
        #expect(failover.headers["x-mosaic-provider"].first == "anthropic")
        let events = failover.events
        #expect(events.last == "[DONE]")
        #expect(Self.content(events) == "Let me check")
        let chunks = events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let deltas = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any] }
        let arguments = deltas.compactMap { ($0["tool_calls"] as? [[String: Any]])?.first?["function"] as? [String: Any] }
            .compactMap { $0["arguments"] as? String }.joined()
        #expect(arguments == #"{"city": "Paris"}"#)
        #expect(chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String } == ["tool_calls"])
        let usage = chunks.last?["usage"] as? [String: Any]
        #expect(usage?["prompt_tokens"] as? Int == 1000 && usage?["completion_tokens"] as? Int == 50)
        #expect((h.anthropic.requests.last?.json["tools"] as? [[String: Any]])?.first?["name"] as? String == "get_weather")

        // After the first event: the upstream breaks the stream; the client gets what was sent and
        // an error event, and the next candidate is never asked.
        h.openai.set(.dropAfterFirstEvent)
        let before = h.anthropic.requests.count
        let broken = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(broken.status == 200)
        #expect(broken.headers["x-mosaic-provider"].first == "openai")
        #expect(Self.content(broken.events) == "Hel")
        let last = try #require(broken.events.last)
        #expect(last.contains(#""error":{"#))
        #expect(!broken.events.contains("[DONE]"))
        #expect(h.anthropic.requests.count == before)

        let rows = try await h.stopAndReadRows()
        #expect(rows.map(\.provider) == ["openai", "anthropic", "openai"])
        #expect(rows.map(\.status) == ["error", "ok", "error"])
        #expect(rows[1].tokens == [1000, 50, 300] && rows[1].cost == "0.00294")
    }

    @Test func theGatewayFileIsHotReloaded() async throws {
        let h = try await GatewayHarness.start()
        let gateway = try #require(h.service.gateway)
        // Point gpt-4o at Anthropic only: the router still ranks OpenAI first, the gateway skips it.
        let yaml = h.gatewayYAML(openaiPort: h.openai.port, openaiModels: "{text-embedding-3-small: embed-test}")
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: h.gatewayPath))
        guard case .success(2) = gateway.reload(source: "test") else { Issue.record("reload failed: \(gateway.lastReloadError ?? "")"); return }
        let chat = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(chat.headers["x-mosaic-provider"].first == "anthropic")
        #expect(chat.headers["x-mosaic-attempts"].first == "1")
        // A bad file keeps the running one.
        try Data("version: 1\nupstreams: []\n".utf8).write(to: URL(fileURLWithPath: h.gatewayPath))
        guard case .failure(let e) = gateway.reload(source: "test") else { Issue.record("an empty upstream list was accepted"); return }
        #expect(e.description.contains("upstreams"))
        #expect(gateway.generation == 2)
        // The file watch reads a file again only when it changed: the bad one is not retried at
        // every tick, and the good one written back is loaded once.
        gateway.reloadIfChanged()
        #expect(gateway.generation == 2 && gateway.lastReloadError != nil)
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: h.gatewayPath))
        gateway.reloadIfChanged()
        gateway.reloadIfChanged()
        #expect(gateway.generation == 3)
        _ = try await h.stopAndReadRows()
    }

    @Test func deterministicAnswersAreCachedAndNoStoreBypassesTheCache() async throws {
        let h = try await GatewayHarness.start(extraYAML: "cache: {max_bytes: 1048576, ttl: 10m}\n")
        let body = #"{"model":"gpt-4o","temperature":0,"messages":[{"role":"user","content":"hi"}]}"#
        let first = try await h.post("/v1/chat/completions", body)
        let second = try await h.post("/v1/chat/completions", body)
        #expect(first.headers["x-mosaic-cache"].isEmpty)
        #expect(second.headers["x-mosaic-cache"].first == "hit")
        #expect(second.body == first.body)
        #expect(h.openai.requests.count == 1)
        // The same request streamed is replayed from the cached answer.
        let streamed = try await h.post("/v1/chat/completions",
                                         #"{"model":"gpt-4o","temperature":0,"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(streamed.headers["x-mosaic-cache"].first == "hit")
        #expect(GatewayLiveTests.content(streamed.events) == "Hello from gpt-4o-test")
        #expect(streamed.events.last == "[DONE]")
        #expect(streamed.events.contains { $0.contains(#""usage":{"prompt_tokens":1000"#) })
        #expect(h.openai.requests.count == 1)
        // no-store goes upstream; a non-zero temperature is never cached; another tenant has its own entries.
        _ = try await h.post("/v1/chat/completions", body, headers: [("Cache-Control", "no-store")])
        _ = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","temperature":0.5,"messages":[{"role":"user","content":"hi"}]}"#)
        _ = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","temperature":0.5,"messages":[{"role":"user","content":"hi"}]}"#)
        _ = try await h.post("/v1/chat/completions", body, headers: [("X-Mosaic-Tenant", "other")])
        #expect(h.openai.requests.count == 5)
        let metrics = try await h.get("/metrics").body
        #expect(metrics.contains(#"mosaic_gateway_cache_total{result="hit"} 2"#))
        #expect(metrics.contains(#"mosaic_gateway_cache_total{result="miss"} 2"#))
        #expect(metrics.contains(#"mosaic_gateway_cache_total{result="bypass"} 1"#))
        let rows = try await h.stopAndReadRows()
        #expect(rows.count == 5, "a cache hit forwards nothing and records no attempt")
        // Each hit is a cache_hits row saving the exact cost of the answer it replayed.
        let hits = try Store(path: h.storePath, readOnly: true).database.rows(
            "SELECT provider, model, tenant, input_tokens, output_tokens, cached_tokens, saved, request_id FROM cache_hits ORDER BY request_id")
        #expect(hits.count == 2)
        for hit in hits {
            #expect(Array(hit.prefix(6)) == [.text("openai"), .text("gpt-4o-test"), .text("default"), .int(1000), .int(200), .int(400)])
            if case .text(let saved) = hit[6] { #expect(try Money(parsing: saved) == (try Money(parsing: "0.004"))) } else {
                Issue.record("saved is \(hit[6])")
            }
        }
        #expect(Set(hits.map { "\($0[7])" }).count == 2, "one row per hit, keyed by its request id")
    }

    /// A client's `max_tokens` near `Int.max` no longer traps the server (the context-window sum
    /// overflowed): the router plans with it bounded like `POST /v1/route`'s counts, no
    /// upstream's window holds that much, and the answer says so in OpenAI's error shape, as a
    /// 422 (asking again cannot help; a 503 was retried by clients), as for a region no provider
    /// serves; the next ordinary request is served.
    @Test func aHugeMaxTokensIsAnErrorAnswerNotACrash() async throws {
        let h = try await GatewayHarness.start()
        for field in ["max_tokens", "max_completion_tokens"] {
            let body = #"{"model":"gpt-4o","\#(field)":9223372036854775807,"messages":[{"role":"user","content":"hi"}]}"#
            let answer = try await h.post("/v1/chat/completions", body)
            #expect(answer.status == 422, "\(field): \(answer.body)")
            let error = try #require(try answer.json()["error"] as? [String: Any])
            #expect(error["code"] as? String == "no_eligible_provider", "\(answer.body)")
            #expect((error["message"] as? String).map { $0.contains("openai context window ") && $0.contains(" tokens too small") } == true, "\(answer.body)")
        }
        let nowhere = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#,
                                       headers: [("X-Mosaic-Residency", "mars")])
        #expect(nowhere.status == 422, "\(nowhere.body)")
        #expect(nowhere.body.contains("openai does not serve region mars"), "\(nowhere.body)")
        let ok = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(ok.status == 200, "\(ok.body)")
        _ = try await h.stopAndReadRows()
    }

    /// A request the gateway refuses itself is no attempt: a role Anthropic's API cannot carry
    /// (the key allows only Anthropic) and a `max_tokens` under 1 answer 400 naming the field,
    /// nothing reaches an upstream, and no row is stored (such rows fed the failure head errors
    /// that no provider made).
    @Test func aRequestTheGatewayRefusesItselfStoresNoAttempt() async throws {
        let h = try await GatewayHarness.start(extraYAML: """
            keys:
              - {sha256: f3d2b9a536f0cbedd51f3b95f6ac447f85efdbaf79862cf12793fd604613379c, tenant: acme, providers: [anthropic]}

            """)
        let key = [("Authorization", "Bearer vk-acme")]
        for (body, param) in [(#"{"model":"gpt-4o","messages":[{"role":"wizard","content":"x"}]}"#, "messages"),
                              (#"{"model":"gpt-4o","max_tokens":-3,"messages":[{"role":"user","content":"x"}]}"#, "max_tokens"),
                              (#"{"model":"gpt-4o","max_completion_tokens":0,"messages":[{"role":"user","content":"x"}]}"#, "max_completion_tokens")] {
            let refused = try await h.post("/v1/chat/completions", body, headers: key)
            #expect(refused.status == 400, "\(body): \(refused.body)")
            #expect(((try refused.json()["error"] as? [String: Any])?["param"] as? String) == param, "\(refused.body)")
        }
        #expect(h.anthropic.requests.isEmpty && h.openai.requests.isEmpty)
        let rows = try await h.stopAndReadRows()
        #expect(rows.isEmpty, "\(rows.map { "\($0.provider) \($0.status)" })")
    }

    /// A path or method the gateway does not serve answers in OpenAI's error shape too (it was
    /// the router's `{"error": "no such endpoint: …"}`, a string where clients expect an object).
    @Test func anUnservedOpenAIPathAnswersInOpenAIsErrorShape() async throws {
        let h = try await GatewayHarness.start()
        for path in ["/v1/chat/completions", "/v1/completions"] {
            let answer = try await h.get(path)
            #expect(answer.status == 404 || answer.status == 405, "\(path): \(answer.status)")
            let error = try #require(try answer.json()["error"] as? [String: Any], "\(path): \(answer.body)")
            #expect(error["type"] as? String == "invalid_request_error" && (error["message"] as? String)?.isEmpty == false)
        }
        _ = try await h.stopAndReadRows()
    }

    @Test func virtualKeysNameTheTenantAndItsProvidersAndRefuseOthersWith401() async throws {
        // SHA-256 of "vk-acme" (printf %s vk-acme | sha256sum).
        let h = try await GatewayHarness.start(extraYAML: """
            keys:
              - {sha256: f3d2b9a536f0cbedd51f3b95f6ac447f85efdbaf79862cf12793fd604613379c, tenant: acme, providers: [anthropic]}

            """)
        let body = #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#
        for headers in [[], [("Authorization", "Bearer vk-other")], [("Authorization", "vk-acme")]] {
            let refused = try await h.post("/v1/chat/completions", body, headers: headers)
            #expect(refused.status == 401)
            #expect(((try refused.json()["error"] as? [String: Any])?["code"] as? String) == "invalid_api_key")
        }
        #expect(try await h.get("/v1/models").status == 401)
        let ok = try await h.post("/v1/chat/completions", body, headers: [("Authorization", "Bearer vk-acme")])
        #expect(ok.status == 200, "\(ok.body)")
        #expect(ok.headers["x-mosaic-provider"].first == "anthropic", "the key allows only Anthropic")
        #expect(h.openai.requests.isEmpty)
        #expect(h.anthropic.requests.last?.headers[HTTPField.Name("x-api-key")!] == "sk-test-anthropic",
                "the upstream gets the gateway's key, never the client's")
        let rows = try await h.stopAndReadRows()
        #expect(rows.map(\.provider) == ["anthropic"])
        #expect(rows.map(\.tenant) == ["acme"])
    }

    /// `X-Mosaic-Tags` reaches the policy's rules: a tag rule sends the request to Anthropic,
    /// which the cost-first strategy would not choose; more than 64 tags is a 400.
    /// `X-Mosaic-Compliance` and `X-Mosaic-Residency` reach their filters; an unknown
    /// attestation or a bad SLO is a 400.
    @Test func tagsComplianceAndResidencyFromTheHeadersReachThePolicy() async throws {
        let policy = GatewayHarness.policyYAML + """
            rules:
              - {name: premium, reason: premium requests go to Anthropic, match: {tag: premium}, route: [anthropic], mode: only}

            """
        let h = try await GatewayHarness.start(policy: policy)
        let body = #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#
        let plain = try await h.post("/v1/chat/completions", body)
        #expect(plain.status == 200 && plain.headers["x-mosaic-provider"].first == "openai", "\(plain.body)")
        let tagged = try await h.post("/v1/chat/completions", body, headers: [("X-Mosaic-Tags", "subject:law, premium")])
        #expect(tagged.status == 200 && tagged.headers["x-mosaic-provider"].first == "anthropic", "\(tagged.body)")
        let many = (0...64).map { "t\($0)" }.joined(separator: ",")
        let refused = try await h.post("/v1/chat/completions", body, headers: [("X-Mosaic-Tags", many)])
        #expect(refused.status == 400)
        #expect(((try refused.json()["error"] as? [String: Any])?["message"] as? String) == "X-Mosaic-Tags: 65 items, at most 64", "\(refused.body)")
        // X-Mosaic-Compliance reaches the compliance filter: neither upstream here attests HIPAA.
        let hipaa = try await h.post("/v1/chat/completions", body, headers: [("X-Mosaic-Compliance", "hipaa")])
        #expect(hipaa.status == 422 && hipaa.body.contains("ollama has no upstream for model 'gpt-4o' here in the gateway file"), "\(hipaa.body)")
        let attested = try await h.post("/v1/chat/completions", body, headers: [("X-Mosaic-Compliance", "gdpr, soc2")])
        #expect(attested.status == 200 && attested.headers["x-mosaic-provider"].first == "openai", "\(attested.body)")
        // X-Mosaic-Residency reaches the residency filter: no upstream here serves Canada, and
        // the tag rule's Anthropic does not serve the EU; X-Mosaic-SLO-Ms must be a positive number.
        let eu = try await h.post("/v1/chat/completions", body, headers: [("X-Mosaic-Residency", "eu")])
        #expect(eu.status == 200 && eu.headers["x-mosaic-provider"].first == "openai", "\(eu.body)")
        let canada = try await h.post("/v1/chat/completions", body, headers: [("X-Mosaic-Residency", "ca")])
        #expect(canada.status == 422 && canada.body.contains("openai does not serve region ca"), "\(canada.body)")
        let premiumEU = try await h.post("/v1/chat/completions", body, headers: [("X-Mosaic-Tags", "premium"), ("X-Mosaic-Residency", "eu")])
        #expect(premiumEU.status == 422, "\(premiumEU.body)")
        let slo = try await h.post("/v1/chat/completions", body, headers: [("X-Mosaic-SLO-Ms", "-5")])
        #expect(slo.status == 400)
        #expect(((try slo.json()["error"] as? [String: Any])?["message"] as? String)
                == "X-Mosaic-SLO-Ms: '-5' is not a positive number of milliseconds", "\(slo.body)")
        let unknown = try await h.post("/v1/chat/completions", body, headers: [("X-Mosaic-Compliance", "hippa")])
        #expect(unknown.status == 400)
        #expect(((try unknown.json()["error"] as? [String: Any])?["message"] as? String)
                == "X-Mosaic-Compliance: 'hippa' is not one of gdpr, hipaa, soc2, fedramp", "\(unknown.body)")
        let rows = try await h.stopAndReadRows()
        #expect(rows.map(\.provider) == ["openai", "anthropic", "openai", "openai"])
    }

    /// The last user message reaches the routing model's quality head: a head that judges the
    /// weak provider (OpenAI here) never good enough sends the chat to the strong one, which
    /// `model_utility` would not choose on cost and failure alone. Embeddings carry no prompt
    /// for it, so they stay with the cheaper provider.
    @Test func theLastUserMessageReachesTheQualityHead() async throws {
        let policy = GatewayHarness.policyYAML.replacingOccurrences(of: "strategy: {kind: cost_first}",
                                                                   with: "strategy: {kind: model_utility, lambda: 0, mu: 0}")
        var model = try Fixture.model()
        model.quality = QualityModel(
            dataset: "test", labelStrong: "strong", labelWeak: "weak",
            strong: .init(provider: "anthropic", model: "claude-test"), weak: .init(provider: "openai", model: "gpt-4o-test"),
            featureSpec: try FeatureSpec(features: [.numeric(.inputTokens, transform: .log1p, mean: 5, scale: 1.5)]),
            head: LinearHead(intercept: -20, coefficients: [0]),
            metrics: .init(testRows: 0, split: "none", strongAccuracy: 0, weakAccuracy: 0, apgr: 0, randomAPGR: 0,
                           cpt50: 0, cpt80: 0, logLoss: 0, auc: nil))
        let h = try await GatewayHarness.start(policy: policy, model: model)
        let chat = try await h.post("/v1/chat/completions",
                                    #"{"model":"gpt-4o","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"prove it"}]}"#)
        #expect(chat.status == 200 && chat.headers["x-mosaic-provider"].first == "anthropic", "\(chat.body)")
        let withoutHead = try await GatewayHarness.start(policy: policy)
        let plain = try await withoutHead.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"prove it"}]}"#)
        #expect(plain.status == 200 && plain.headers["x-mosaic-provider"].first == "openai", "\(plain.body)")
        _ = try await withoutHead.stopAndReadRows()
        _ = try await h.stopAndReadRows()
    }

    /// The durable path: the answer (a plain one, or a stream's whole body) reaches the client
    /// only once its outcome rows are committed. The writer is told to wait a minute between
    /// batches, so a row that was only queued would not be in the store yet.
    @Test func outcomeRowsAreCommittedBeforeTheClientHasItsAnswer() async throws {
        let h = try await GatewayHarness.start { $0.writerIntervalSeconds = 60 }
        let plain = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(plain.status == 200)
        var rows = try h.readRows()
        #expect(rows.map(\.status) == ["ok"])
        #expect(rows.first?.cost == "0.004")
        // Failover: the failed attempt's row is committed with the answer's.
        h.openai.set(.status(503))
        let failover = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(failover.headers["x-mosaic-attempts"].first == "2")
        rows = try h.readRows()
        #expect(rows.count == 3)
        // A stream: its body ends after the commit.
        h.openai.set(.ok)
        let streamed = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(streamed.events.last == "[DONE]")
        rows = try h.readRows()
        #expect(rows.count == 4)
        #expect(rows.filter { $0.ttftMs != nil }.count == 1)
        // Every candidate failing: the rows are committed before the error answer.
        h.openai.set(.status(500))
        h.anthropic.set(.status(500))
        let failed = try await h.post("/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(failed.status == 502)
        rows = try h.readRows()
        #expect(rows.count == 6)
        let metrics = try await h.get("/metrics").body
        #expect(metrics.contains(#"mosaic_gateway_outcome_rows_total{result="committed"} 6"#))
        #expect(metrics.contains(#"mosaic_gateway_outcome_rows_total{result="refused"} 0"#))
        #expect(try await h.stopAndReadRows().count == 6)
    }

    static func content(_ events: [String]) -> String {
        events.compactMap { e -> String? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(e.utf8)) as? [String: Any] else { return nil }
            return ((o["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String
        }.joined()
    }
}

/// Two mock upstreams (OpenAI-style as `openai`, Anthropic as `anthropic`), a store with their
/// prices, and the service with the gateway on a free port.
final class GatewayHarness: Sendable {
    let fixture: Fixture
    let openai: MockUpstream
    let anthropic: MockUpstream
    let storePath: String
    let gatewayPath: String
    let service: RoutingService
    let handle: ServeHandle
    let client: HTTPClient
    let openaiTimeout: String

    static let policyYAML = """
        version: 1
        name: gateway-test
        providers: [openai, anthropic, ollama]
        filters: {health: false}
        strategy: {kind: cost_first}
        outliers: {enabled: false}
        retry: {on: [timeout, error, rate_limited], max_attempts: 3, budget: {ratio: 1, minimum: 100}}
        costs:
          openai: {input_per_mtok: "1.00", output_per_mtok: "1.00"}
          anthropic: {input_per_mtok: "2.00", output_per_mtok: "2.00"}
          ollama: {input_per_mtok: "3.00", output_per_mtok: "3.00"}

        """

    init(fixture: Fixture, openai: MockUpstream, anthropic: MockUpstream, storePath: String, gatewayPath: String,
         service: RoutingService, handle: ServeHandle, client: HTTPClient, openaiTimeout: String) {
        self.fixture = fixture
        self.openai = openai
        self.anthropic = anthropic
        self.storePath = storePath
        self.gatewayPath = gatewayPath
        self.service = service
        self.handle = handle
        self.client = client
        self.openaiTimeout = openaiTimeout
    }

    func gatewayYAML(openaiPort: Int, openaiModels: String = "{gpt-4o: gpt-4o-test, text-embedding-3-small: embed-test}") -> String {
        Self.gatewayYAML(openaiPort: openaiPort, anthropicPort: anthropic.port, openaiTimeout: openaiTimeout, openaiModels: openaiModels)
    }

    static func gatewayYAML(openaiPort: Int, anthropicPort: Int, openaiTimeout: String,
                            openaiModels: String = "{gpt-4o: gpt-4o-test, text-embedding-3-small: embed-test}") -> String {
        """
        version: 1
        upstreams:
          - provider: openai
            api: openai
            base_url: http://127.0.0.1:\(openaiPort)/v1/
            key_env: MOSAIC_TEST_OPENAI_KEY
            timeout: \(openaiTimeout)
            models: \(openaiModels)
          - provider: anthropic
            api: anthropic
            base_url: http://127.0.0.1:\(anthropicPort)/v1
            key_env: MOSAIC_TEST_ANTHROPIC_KEY
            models:
              gpt-4o: claude-test

        """
    }

    static func start(openaiTimeout: String = "30s", openaiPort: Int? = nil, extraYAML: String = "", policy: String = policyYAML,
                      model: RoutingModel? = nil, configure: (inout ServeOptions) -> Void = { _ in }) async throws -> GatewayHarness {
        setenv("MOSAIC_TEST_OPENAI_KEY", "sk-test-openai", 1)
        setenv("MOSAIC_TEST_ANTHROPIC_KEY", "sk-test-anthropic", 1)
        let f = try Fixture(policy: policy)
        if let model { try model.encoded().write(to: URL(fileURLWithPath: f.modelPath)) }
        let openai = try await MockUpstream.start()
        let anthropic = try await MockUpstream.start()
        let storePath = f.dir.file("gateway.sqlite")
        let store = try Store(path: storePath)
        try store.syncProviders(.default)
        let from = Timestamp.parse("2026-01-01T00:00:00Z")!
        func price(_ provider: String, _ model: String, _ sku: PriceSKU, _ text: String) throws -> PriceEntry {
            PriceEntry(provider: provider, model: model, sku: sku, price: try Money(parsing: text), validFrom: from, source: "test")
        }
        try store.upsertPrices([
            price("openai", "gpt-4o-test", .inputToken, "0.0000025"),
            price("openai", "gpt-4o-test", .outputToken, "0.00001"),
            price("openai", "gpt-4o-test", .cacheReadToken, "0.00000125"),
            price("openai", "embed-test", .inputToken, "0.00000002"),
            price("anthropic", "claude-test", .inputToken, "0.000003"),
            price("anthropic", "claude-test", .outputToken, "0.000015"),
            price("anthropic", "claude-test", .cacheReadToken, "0.0000003"),
        ])
        let gatewayPath = f.dir.file("gateway.yaml")
        var options = f.options(store: storePath)
        options.gatewayPath = gatewayPath
        configure(&options)
        let yaml = extraYAML + gatewayYAML(openaiPort: openaiPort ?? openai.port, anthropicPort: anthropic.port, openaiTimeout: openaiTimeout)
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: gatewayPath))
        let service = try RoutingService(options: options, logger: Fixture.logger)
        let handle = try await ServeApplication.start(service: service, logger: Fixture.logger)
        return GatewayHarness(fixture: f, openai: openai, anthropic: anthropic, storePath: storePath, gatewayPath: gatewayPath,
                              service: service, handle: handle, client: HTTPClient.shared, openaiTimeout: openaiTimeout)
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String

        func json() throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
        }

        /// The `data:` payloads of a server-sent event stream.
        var events: [String] {
            body.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        }
    }

    func post(_ path: String, _ json: String, headers: [(String, String)] = []) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(handle.port)\(path)")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: json))
        return try await send(request)
    }

    func get(_ path: String) async throws -> Answer {
        try await send(HTTPClientRequest(url: "http://127.0.0.1:\(handle.port)\(path)"))
    }

    func send(_ request: HTTPClientRequest) async throws -> Answer {
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 22)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }

    struct Row {
        var provider: String
        var model: String
        var operation: String
        var tenant: String
        var status: String
        var tokens: [Int64]
        var cost: String?
        var latencyMs: Double?
        var ttftMs: Double?
    }

    /// Stops the server (flushing the outcome writer) and the mocks; the rows, oldest request first.
    func stopAndReadRows() async throws -> [Row] {
        try await handle.stop()
        await openai.stop()
        await anthropic.stop()
        return try readRows()
    }

    /// The rows in the store now (the server may still run).
    func readRows() throws -> [Row] {
        let s = try Store(path: storePath, readOnly: true)
        let rows = try s.database.rows("""
            SELECT provider, model, operation, status, input_tokens, output_tokens, cached_tokens, cost, latency_ms, ttft_ms,
                   request_id, tenant FROM requests ORDER BY request_id
            """)
        return rows.map { r in
            func text(_ v: SQLValue) -> String? { if case .text(let t) = v { return t }; return nil }
            func int(_ v: SQLValue) -> Int64 { if case .int(let i) = v { return i }; return -1 }
            func double(_ v: SQLValue) -> Double? {
                if case .double(let d) = v { return d }
                if case .int(let i) = v { return Double(i) }
                return nil
            }
            return Row(provider: text(r[0]) ?? "", model: text(r[1]) ?? "", operation: text(r[2]) ?? "", tenant: text(r[11]) ?? "",
                       status: text(r[3]) ?? "",
                       tokens: [int(r[4]), int(r[5]), int(r[6])], cost: text(r[7]).map { (try? Money(parsing: $0))?.description ?? $0 },
                       latencyMs: double(r[8]), ttftMs: double(r[9]))
        }
    }
}
