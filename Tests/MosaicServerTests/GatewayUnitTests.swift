import Foundation
import MosaicCore
import MosaicRouting
@testable import MosaicServer
import NIOCore
import Testing

@Suite("gateway: file")
struct GatewayFileTests {
    static let env = ["OPENAI_KEY": "sk-1"]

    static func parse(_ yaml: String) throws(YAMLError) -> GatewayFile {
        try GatewayFile(yaml: yaml, source: "gateway.yaml", catalog: .default, environment: env)
    }

    @Test func readsUpstreamsWithDefaults() throws {
        let file = try Self.parse("""
            version: 1
            timeout: 20s
            upstreams:
              - provider: openai
                api: openai
                base_url: https://api.openai.com/v1/
                key_env: OPENAI_KEY
                models: {gpt-4o: gpt-4o-2024-08-06}
              - provider: ollama
                api: ollama
                base_url: http://gpu-1:11434/v1
                timeout: 2m
                models: {llama: "llama3.1:8b"}
            """)
        #expect(file.upstreams.map(\.provider) == ["openai", "ollama"])
        #expect(file.upstreams[0].baseURL == "https://api.openai.com/v1")
        #expect(file.upstreams[0].key == "sk-1")
        #expect(file.upstreams[0].timeoutSeconds == 20)
        #expect(file.upstreams[1].timeoutSeconds == 120)
        #expect(file.upstreams[1].key == nil)
        #expect(file.families == ["gpt-4o", "llama"])
        #expect(file.streamTimeoutSeconds == 600)
        #expect(file.maxConnections == 1024)
    }

    @Test func maxConnectionsIsReadAndChecked() throws {
        let upstream = "upstreams:\n  - provider: openai\n    api: openai\n    base_url: http://x/v1\n    models: {a: b}\n"
        #expect(try Self.parse("version: 1\nmax_connections: 300\n" + upstream).maxConnections == 300)
        for bad in ["0", "65537"] {
            do {
                _ = try Self.parse("version: 1\nmax_connections: \(bad)\n" + upstream)
                Issue.record("max_connections: \(bad) was accepted")
            } catch {
                #expect(error.description.hasPrefix("gateway.yaml:2: max_connections:"), "\(error.description)")
                #expect(error.description.contains("1...65536"), "\(error.description)")
            }
        }
    }

    @Test(arguments: [
        ("version: 1\nupstreams:\n  - provider: openia\n    api: openai\n    base_url: http://x/v1\n    models: {a: b}\n",
         "gateway.yaml:3: upstreams[0].provider: 'openia' is not a provider in the catalog (did you mean 'openai'?)"),
        ("version: 1\nupstreams:\n  - provider: openai\n    api: gemini\n    base_url: http://x/v1\n    models: {a: b}\n",
         "gateway.yaml:4: upstreams[0].api: 'gemini' is not a gateway api; expected one of openai, anthropic, ollama"),
        ("version: 1\nupstreams:\n  - provider: openai\n    api: openai\n    base_url: ftp://x/v1\n    models: {a: b}\n",
         "gateway.yaml:5: upstreams[0].base_url: 'ftp://x/v1' is not an http:// or https:// URL with a host"),
        ("version: 1\nupstreams:\n  - provider: openai\n    api: openai\n    base_url: http://127.0.0.1:99999/v1\n    models: {a: b}\n",
         "gateway.yaml:5: upstreams[0].base_url: 'http://127.0.0.1:99999/v1' has port 99999; a port is a number from 1 to 65535"),
        ("version: 1\nupstreams:\n  - provider: openai\n    api: openai\n    base_url: http://x/v1\n    key_env: NOPE_KEY\n    models: {a: b}\n",
         "gateway.yaml:6: upstreams[0].key_env: the environment variable NOPE_KEY is not set (it should hold the openai key)"),
        ("version: 1\nupstreams:\n  - provider: openai\n    api: openai\n    base_url: http://x/v1\n    models: {}\n",
         "gateway.yaml:6: upstreams[0].models: must not be empty"),
        ("version: 1\nupstreams:\n  - provider: openai\n    api: openai\n    base_url: http://x/v1\n    modles: {a: b}\n",
         "gateway.yaml:6: upstreams[0]: unknown key 'modles' (did you mean 'models'?); allowed keys: provider, api, base_url, key_env, timeout, models"),
        ("version: 1\ntimeout: 30\nupstreams: []\n",
         "gateway.yaml:2: timeout: the duration '30' has no unit; add one of us, ms, s, m, h, d (for example '30s')"),
    ])
    func badFilesNameFileLineAndField(_ yaml: String, _ message: String) {
        #expect(throws: (any Error).self) { try Self.parse(yaml) }
        do {
            _ = try Self.parse(yaml)
        } catch {
            #expect(error.description == message)
        }
    }

    /// A key's `budget` must be one the policy defines: the line of the first that is not, with
    /// the nearest budget or else the policy's budgets.
    @Test func aKeysBudgetMustBeThePolicys() throws {
        func file(_ budgets: [String?]) throws -> GatewayFile {
            let keys = budgets.enumerated().map { i, b in
                "  - {sha256: \(String(repeating: String(i), count: 64)), tenant: t\(i)\(b.map { ", budget: \($0)" } ?? "")}\n"
            }.joined()
            return try Self.parse("version: 1\nkeys:\n" + keys
                + "upstreams:\n  - {provider: openai, api: openai, base_url: \"http://x/v1\", models: {a: b}}\n")
        }
        let research = GatewayFile.PolicyBudgets(names: ["research", "support"], policy: "the policy policy.yaml")
        try file([nil, "research", "support"]).checkBudgets(research)
        try file([nil]).checkBudgets(GatewayFile.PolicyBudgets(names: [], policy: "the policy policy.yaml"))
        let cases: [([String?], GatewayFile.PolicyBudgets, String)] = [
            ([nil, "research", "reserch"], research,
             "gateway.yaml:5: keys[2].budget: 'reserch' is not a budget of the policy policy.yaml (did you mean 'research'?)"),
            (["marketing", "reserch"], research,
             "gateway.yaml:3: keys[0].budget: 'marketing' is not a budget of the policy policy.yaml (its budgets: research, support)"),
            (["research"], GatewayFile.PolicyBudgets(names: [], policy: "the policy policy.yaml"),
             "gateway.yaml:3: keys[0].budget: 'research' is not a budget of the policy policy.yaml (it has no budgets)"),
        ]
        for (budgets, policy, message) in cases {
            let f = try file(budgets)
            #expect(throws: YAMLError.self) { try f.checkBudgets(policy) }
            do { try f.checkBudgets(policy) } catch { #expect(error.description == message) }
        }
        // The built-in policy is named as such.
        let builtIn = GatewayFile.PolicyBudgets(try RoutingPolicy(yaml: RoutingPolicy.exampleYAML, source: "example", catalog: .default), path: nil)
        #expect(builtIn.names == ["research"] && builtIn.policy == "the built-in policy (`mosaic policy example`)")
    }

    @Test func aProviderTwiceIsAnError() {
        let yaml = """
            version: 1
            upstreams:
              - {provider: openai, api: openai, base_url: "http://a/v1", models: {a: b}}
              - {provider: openai, api: openai, base_url: "http://b/v1", models: {a: b}}
            """
        do {
            _ = try Self.parse(yaml)
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("gateway.yaml:4: upstreams[1].provider: duplicate upstream provider 'openai'"))
        }
    }

    /// The gateway counts a call's prompt as `mosaic route --text` and `POST /v1/route` count a
    /// text, a token per four bytes rounded down, but over every message of the call.
    @Test func aCallsPromptTokensAreItsMessagesBytesOverFour() throws {
        let file = try Self.parse("version: 1\nupstreams:\n  - provider: openai\n    api: openai\n    base_url: http://x/v1\n    models: {a: b}\n")
        func tokens(_ body: String, _ endpoint: GatewayCall.Endpoint = .chat) throws -> Int {
            try RoutingService.makeCall(ByteBuffer(string: body), endpoint: endpoint, tenant: "t", id: "1", arrived: 0, file: file).promptTokens
        }
        // 7 + 8 bytes of content: 15 / 4 = 3, as RouteRequest.estimatedTokens(of:) counts 15 bytes.
        #expect(try tokens(#"{"model":"a","messages":[{"role":"system","content":"be kind"},{"role":"user","content":"hi there"}]}"#) == 3)
        #expect(RouteRequest.estimatedTokens(of: "be kindhi there") == 3)
        #expect(try tokens(#"{"model":"a","messages":[{"role":"user","content":"abc"}]}"#) == 0)
        #expect(try tokens(#"{"model":"a","input":"twelve bytes"}"#, .embeddings) == 3)
        #expect(try tokens(#"{"model":"a","input":[[1,2,3],[4]]}"#, .embeddings) == 4)
    }
}

@Suite("gateway: translation")
struct GatewayTranslationTests {
    static func json(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test func jsonRoundTripsNumbersAndKeyOrderAsWritten() throws {
        let text = #"{"b":0.1,"a":[1e-7,-0,12345678901234567890],"s":"é\n\"x\"","n":null,"t":true}"#
        #expect(try Self.json(text).text == text)
        var v = try Self.json(text)
        v.set("b", .string("new"))
        v.set("z", .int(1))
        #expect(v.text == #"{"b":"new","a":[1e-7,-0,12345678901234567890],"s":"é\n\"x\"","n":null,"t":true,"z":1}"#)
    }

    @Test func openAIRequestBecomesAnthropicMessages() throws {
        let body = try Self.json("""
            {"model":"gpt-4o","max_tokens":300,"temperature":0,"stop":"END","user":"u1",
             "messages":[
               {"role":"system","content":"Be brief."},
               {"role":"user","content":[{"type":"text","text":"Weather?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},
               {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]},
               {"role":"tool","tool_call_id":"call_1","content":"18C"},
               {"role":"user","content":"Thanks"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object"}}}],
             "tool_choice":"required"}
            """)
        let out = try AnthropicTranslation.request(body, model: "claude-x", stream: true)
        let expected = """
            {"model":"claude-x","max_tokens":300,"system":"Be brief.","messages":[\
            {"role":"user","content":[{"type":"text","text":"Weather?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]},\
            {"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}}]},\
            {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"18C"},{"type":"text","text":"Thanks"}]}],\
            "temperature":0,"stop_sequences":["END"],\
            "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object"}}],\
            "tool_choice":{"type":"any"},"metadata":{"user_id":"u1"},"stream":true}
            """
        #expect(out.text == expected)
    }

    /// A multi-turn chat as clients send it: earlier replies as assistant strings or text parts,
    /// developer instructions, max_completion_tokens, top_p, a list of stops, a tool without a
    /// description or schema, arguments that are not JSON. An assistant message with nothing in it
    /// adds no turn (Anthropic refuses an empty message), so the user turns around it merge.
    @Test func aMultiTurnChatBecomesAnthropicMessages() throws {
        let body = try Self.json("""
            {"model":"gpt-4o","max_completion_tokens":50,"max_tokens":9,"top_p":0.9,"temperature":null,"stop":["A","B"],
             "messages":[
               {"role":"developer","content":"Rule 1."},
               {"role":"system","content":[{"type":"text","text":"Rule 2."}]},
               {"role":"user","content":"Hi"},
               {"role":"assistant","content":"Hello!"},
               {"role":"assistant","content":[{"type":"text","text":"More."},{"type":"refusal","refusal":"no"}]},
               {"role":"user","content":"Go on"},
               {"role":"assistant","content":""},
               {"role":"user","content":"Well?"},
               {"role":"assistant","content":null,"tool_calls":[{"id":"c2","type":"function","function":{"name":"f","arguments":"not json"}}]}],
             "tools":[{"type":"function","function":{"name":"f"}}],
             "tool_choice":{"type":"function","function":{"name":"f"}}}
            """)
        let out = try AnthropicTranslation.request(body, model: "claude-x", stream: false)
        #expect(out.text == """
            {"model":"claude-x","max_tokens":50,"system":"Rule 1.\\n\\nRule 2.","messages":[\
            {"role":"user","content":[{"type":"text","text":"Hi"}]},\
            {"role":"assistant","content":[{"type":"text","text":"Hello!"},{"type":"text","text":"More."}]},\
            {"role":"user","content":[{"type":"text","text":"Go on"},{"type":"text","text":"Well?"}]},\
            {"role":"assistant","content":[{"type":"tool_use","id":"c2","name":"f","input":{}}]}],\
            "top_p":0.9,"stop_sequences":["A","B"],\
            "tools":[{"name":"f","input_schema":{"type":"object"}}],\
            "tool_choice":{"type":"tool","name":"f"}}
            """)
        // A role or a part Anthropic has no place for is refused, naming the message.
        for (message, reason) in [(#"{"role":"function","content":"x"}"#, "messages[0].role 'function' is not one of system, developer, user, assistant, tool"),
                                  (#"{"role":"user","content":[{"type":"input_audio"}]}"#, "messages[0].content: part type 'input_audio' cannot be sent to an Anthropic upstream"),
                                  (#"{"role":"user","content":7}"#, "messages[0].content must be a string or an array of parts")] {
            let bad = try Self.json(#"{"messages":[\#(message)]}"#)
            #expect(throws: OpenAIError.invalid(reason, param: "messages")) { try AnthropicTranslation.request(bad, model: "m", stream: false) }
        }
    }

    @Test func anthropicAnswerBecomesAChatCompletion() throws {
        let answer = try Self.json("""
            {"id":"msg_9","type":"message","role":"assistant","content":[{"type":"text","text":"Hi"}],\
            "stop_reason":"max_tokens","usage":{"input_tokens":10,"output_tokens":5,"cache_read_input_tokens":4}}
            """)
        let (out, usage) = AnthropicTranslation.response(answer, model: "claude-x", created: 7)
        #expect(usage == TokenUsage(input: 14, output: 5, cached: 4))
        #expect(out.text == """
            {"id":"chatcmpl-msg_9","object":"chat.completion","created":7,"model":"claude-x","choices":[\
            {"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"length"}],\
            "usage":{"prompt_tokens":14,"completion_tokens":5,"total_tokens":19,"prompt_tokens_details":{"cached_tokens":4}}}
            """)
    }

    /// The callers put "HTTP 429: " before the message; an answer without one must not repeat it
    /// ("HTTP 429: HTTP 429: {}").
    @Test func anErrorAnswerWithoutAMessageSaysSoOnce() {
        let openAI = RoutingService.upstreamError(Array("{}".utf8), code: 429, api: .openai)
        #expect(openAI.message == "no error message in the answer: {}")
        #expect(RoutingService.upstreamError([], code: 503, api: .openai).message == "no error message in the answer")
        #expect(RoutingService.upstreamError(Array("{}".utf8), code: 529, api: .anthropic).message == "no error message in the answer")
        let said = RoutingService.upstreamError(Array(#"{"error":{"message":"slow down","type":"rate_limit_error"}}"#.utf8), code: 429, api: .openai)
        #expect(said.message == "slow down" && said.type == "rate_limit_error")
    }

    @Test func stopReasonsMap() {
        #expect(AnthropicTranslation.finishReason("end_turn") == .string("stop"))
        #expect(AnthropicTranslation.finishReason("stop_sequence") == .string("stop"))
        #expect(AnthropicTranslation.finishReason("max_tokens") == .string("length"))
        #expect(AnthropicTranslation.finishReason("tool_use") == .string("tool_calls"))
        #expect(AnthropicTranslation.finishReason(nil) == .null)
    }

    @Test func serverSentEventsSurviveAnyChunking() {
        let stream = "event: a\ndata: {\"x\":1}\n\n: comment\r\ndata: line1\r\ndata: line2\r\n\r\ndata: [DONE]\n\n"
        let bytes = Array(stream.utf8)
        let expected = [ServerSentEvent(event: "a", data: #"{"x":1}"#), ServerSentEvent(event: nil, data: "line1\nline2"),
                        ServerSentEvent(event: nil, data: "[DONE]")]
        for size in 1...bytes.count {
            var parser = ServerSentEventParser()
            var events: [ServerSentEvent] = []
            var k = 0
            while k < bytes.count {
                events += parser.feed(ByteBuffer(bytes: bytes[k..<min(bytes.count, k + size)]))
                k += size
            }
            #expect(events == expected, "chunks of \(size) bytes")
        }
    }
}

@Suite("gateway: cache")
struct ResponseCacheTests {
    static func answer(_ n: Int) -> ResponseCache.Answer { ResponseCache.Answer(body: [UInt8](repeating: 7, count: n), provider: "p") }

    @Test func evictsTheLeastRecentlyUsedToStayWithinItsBytes() {
        // Each entry is a 1-byte key and 99 bytes of answer: 3 fit in 300 bytes.
        let cache = ResponseCache(maxBytes: 300, ttlSeconds: 60)
        for k in ["a", "b", "c"] { cache.store(k, Self.answer(99), now: 0) }
        #expect(cache.lookup("a", now: 1) != nil)   // a is now the most recently used
        cache.store("d", Self.answer(99), now: 2)   // evicts b
        #expect(cache.lookup("b", now: 3) == nil)
        #expect(cache.lookup("a", now: 3) != nil && cache.lookup("c", now: 3) != nil && cache.lookup("d", now: 3) != nil)
        let c = cache.counts
        #expect(c.entries == 3 && c.bytes == 300 && c.evicted == 1 && c.hits == 4 && c.misses == 1)
        cache.store("huge", Self.answer(400), now: 4)  // larger than the cache: not stored, nothing evicted
        #expect(cache.counts.entries == 3 && cache.counts.evicted == 1)
    }

    @Test func entriesExpireAfterTheirTTL() {
        let cache = ResponseCache(maxBytes: 1000, ttlSeconds: 2)
        cache.store("k", Self.answer(10), now: 0)
        #expect(cache.lookup("k", now: 2_000_000_000) != nil)
        #expect(cache.lookup("k", now: 2_000_000_001) == nil)
        #expect(cache.counts.entries == 0 && cache.counts.bytes == 0)
    }

    @Test func onlyTemperatureZeroRequestsHaveAKeyAndStreamSettingsDoNotChangeIt() throws {
        let plain = try JSONValue.parse(Array(#"{"model":"m","temperature":0,"messages":[]}"#.utf8))
        let streamed = try JSONValue.parse(Array(#"{"model":"m","temperature":0.0,"stream":true,"stream_options":{"include_usage":true},"messages":[]}"#.utf8))
        let warm = try JSONValue.parse(Array(#"{"model":"m","temperature":0.2,"messages":[]}"#.utf8))
        let unset = try JSONValue.parse(Array(#"{"model":"m","messages":[]}"#.utf8))
        #expect(ResponseCache.key(tenant: "t", body: plain) == "t\n" + #"{"model":"m","temperature":0,"messages":[]}"#)
        #expect(ResponseCache.key(tenant: "t", body: streamed) == "t\n" + #"{"model":"m","temperature":0.0,"messages":[]}"#)
        #expect(ResponseCache.key(tenant: "t", body: warm) == nil)
        #expect(ResponseCache.key(tenant: "t", body: unset) == nil)
    }
}
