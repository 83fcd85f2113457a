import Foundation
import MosaicTestSupport
@testable import MosaicServer
import Testing

/// The gateway driven by the official `openai` Python package (scripts/gateway-openai-client.py).
/// Skipped, saying why, when python3 or the package is missing (`pip install openai`).
@Suite("gateway: openai client", .serialized, .enabled(if: OpenAIPython.available, OpenAIPython.skipReason))
struct GatewayOpenAIClientTests {
    @Test func theOfficialClientChatsStreamsEmbedsAndFailsOver() async throws {
        let h = try await GatewayHarness.start(extraYAML: """
            keys:
              - {sha256: f3d2b9a536f0cbedd51f3b95f6ac447f85efdbaf79862cf12793fd604613379c, tenant: acme}

            """)
        let url = "http://127.0.0.1:\(h.handle.port)/v1"
        let basic = try await OpenAIPython.run(url, "basic", key: "vk-acme")
        #expect(basic["chat"] as? String == "Hello from gpt-4o-test")
        #expect(basic["chat_usage"] as? [Int] == [1000, 200])
        #expect(basic["stream"] as? String == "Hello")
        #expect(basic["stream_usage"] as? [Int] == [1000, 200])
        #expect(basic["embedding"] as? [Double] == [0.25, -0.5])
        #expect(basic["models"] as? [String] == ["gpt-4o", "text-embedding-3-small"])
        #expect(basic["not_found"] as? Int == 404)

        let unauthorized = try await OpenAIPython.run(url, "unauthorized", key: "vk-wrong")
        #expect(unauthorized["error"] as? Int == 401)
        #expect(unauthorized["code"] as? String == "invalid_api_key")

        h.openai.set(.status(429))
        let failover = try await OpenAIPython.run(url, "chat", key: "vk-acme")
        #expect(failover["provider"] as? String == "anthropic")
        #expect(failover["attempts"] as? String == "2")
        #expect(failover["chat"] as? String == "Let me check")

        h.openai.set(.dropAfterFirstEvent)
        let anthropicBefore = h.anthropic.requests.count
        let broken = try await OpenAIPython.run(url, "broken-stream", key: "vk-acme")
        #expect(broken["stream"] as? String == "Hel")
        #expect(broken["error"] as? String == "APIError")
        #expect(h.anthropic.requests.count == anthropicBefore, "no failover after the first byte")

        let rows = try await h.stopAndReadRows()
        // basic: chat, stream, embedding; failover: 429 + anthropic; broken stream: 1.
        #expect(rows.count == 6)
        #expect(rows.allSatisfy { $0.tenant == "acme" && $0.cost != nil })
    }
}

enum OpenAIPython {
    static let script: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("scripts/gateway-openai-client.py").path
    }()

    static let available: Bool = {
        guard let r = try? execute(["python3", "-c", "import openai"]) else { return false }
        return r.status == 0
    }()

    static let skipReason: Comment = "python3 with the openai package is not installed (pip install openai): the official-client gateway test is skipped"

    static func execute(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let r = try ChildProcess.run("/usr/bin/env", arguments)
        return (r.status, r.stdout, r.stderr)
    }

    /// Runs one phase of the script (on its own thread: it blocks) and returns what it printed.
    static func run(_ url: String, _ phase: String, key: String) async throws -> [String: Any] {
        let r = try await blocking { try execute(["python3", script, url, phase, key]) }
        #expect(r.status == 0, "\(phase): \(r.err)")
        let line = r.out.split(separator: "\n").last.map(String.init) ?? ""
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(phase): \(r.out) \(r.err)")
    }
}
