import Foundation
import MosaicCore
import MosaicIngest
import MosaicServer
import MosaicStore
import Synchronization

extension ServeCommand {
    /// The demo's gateway step: two stand-in providers on loopback (OpenAI-style `openai`, which
    /// answers every third request 429, and Anthropic-style `anthropic`), the gateway in front
    /// of them, a burst of chat requests through it, then a routing model retrained on the
    /// outcome rows the gateway recorded. Everything lives in a scratch folder.
    ///
    /// The requests, the 429s and so the rows are the same on every run; only latencies vary.
    static func gatewayDemo(modelPath: String, pricesPath: String, requests: Int = 150, chatty: Bool) throws {
        func say(_ s: String) { if chatty { print(s) } }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mosaic-demo-gateway-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let storePath = scratch + "/gateway.sqlite"
        do {
            let store = try Store(path: storePath)
            try store.syncProviders(.default)
            _ = try LiteLLMPrices.importFile(path: pricesPath, into: store, validFrom: 0)
        } catch {
            throw CLIError("gateway: \(error)")
        }

        // Latency grows with the prompt: OpenAI-style 2 ms + 1 ms per 400 tokens, Anthropic-style
        // 4 ms + 1 ms per 800 tokens.
        let (openai, anthropic) = try blocking {
            (try await DemoUpstream.start(style: .openAI, latencyMs: { 2 + Double($0) / 400 }, rateLimitEvery: 3),
             try await DemoUpstream.start(style: .anthropic, latencyMs: { 4 + Double($0) / 800 }))
        }
        defer {
            waitFor {
                await openai.stop()
                await anthropic.stop()
            }
        }
        let policyPath = scratch + "/policy.yaml"
        let gatewayPath = scratch + "/gateway.yaml"
        try """
            version: 1
            name: gateway-demo
            providers: [openai, anthropic]
            filters: {health: false}
            strategy: {kind: cost_first}
            outliers: {enabled: false}
            retry: {on: [timeout, error, rate_limited], max_attempts: 2, budget: {ratio: 1, minimum: 1000}}
            costs:
              openai: {input_per_mtok: "2.50", output_per_mtok: "10.00"}
              anthropic: {input_per_mtok: "3.00", output_per_mtok: "15.00"}

            """.write(toFile: policyPath, atomically: true, encoding: .utf8)
        try """
            version: 1
            timeout: 10s
            upstreams:
              - provider: openai
                api: openai
                base_url: http://127.0.0.1:\(openai.port)/v1
                models: {gpt-4o: gpt-4o}
              - provider: anthropic
                api: anthropic
                base_url: http://127.0.0.1:\(anthropic.port)/v1
                models: {gpt-4o: claude-sonnet-4-5}

            """.write(toFile: gatewayPath, atomically: true, encoding: .utf8)

        let logger = JSONLogHandler.logger(label: "mosaic.serve", level: .error)
        var options = ServeOptions(modelPath: modelPath, policyPath: policyPath, catalog: .default, storePath: storePath)
        options.port = 0
        options.watchIntervalSeconds = nil
        options.gatewayPath = gatewayPath
        let service: RoutingService
        do { service = try RoutingService(options: options, logger: logger) } catch { throw CLIError("gateway: \(error)") }
        let handle = try blocking { try await ServeApplication.start(service: service, logger: logger) }
        say("    gateway on http://127.0.0.1:\(handle.port)/v1 in front of openai (127.0.0.1:\(openai.port), every 3rd answer a 429) "
            + "and anthropic (127.0.0.1:\(anthropic.port), Anthropic's messages API)")

        // The burst: prompts of 30 to 2,400 bytes, one after another on one keep-alive connection.
        let client = LoopbackHTTPClient(port: handle.port)
        var answered: [String: Int] = [:]
        var failedOver = 0
        for k in 0..<requests {
            let prompt = "Summarise ticket \(k): " + String(repeating: "lorem ", count: (k * 37) % 400)
            let body = #"{"model":"gpt-4o","temperature":0.7,"messages":[{"role":"user","content":"\#(prompt)"}]}"#
            let r = try client.post("/v1/chat/completions", json: body, headers: [("X-Mosaic-Tenant", "acme")])
            guard r.status == 200 else { throw CLIError("gateway: POST /v1/chat/completions answered \(r.status): \(r.text)") }
            answered[r.header("x-mosaic-provider") ?? "?", default: 0] += 1
            if r.header("x-mosaic-attempts") != "1" { failedOver += 1 }
        }
        client.close()
        try blocking { try await handle.stop() }
        say("    \(requests) chat requests answered: "
            + answered.sorted { $0.key < $1.key }.map { "\($0.value) by \($0.key)" }.joined(separator: ", ")
            + "; \(failedOver) after a 429 failed over before the first byte")

        // The rows it recorded, then a model trained on them.
        let store: Store
        do { store = try Store(path: storePath) } catch { throw CLIError("gateway: \(error)") }
        var table = OutputTable(columns: ["provider", "status", .right("rows"), .right("input_tokens"), .right("cost_usd")])
        let d = store.database.dialect
        let rows = try cli {
            try store.database.rows("""
                SELECT provider, status, count(*), sum(input_tokens), \(d.moneySum("cost")) FROM requests
                GROUP BY provider, status ORDER BY provider, status
                """)
        }
        for r in rows {
            func text(_ v: SQLValue) -> String {
                switch v {
                case .text(let t): return t
                case .int(let i): return String(i)
                default: return "\(v)"
                }
            }
            table.rows.append([.text(text(r[0])), .text(text(r[1])), .text(text(r[2])), .text(text(r[3])),
                               .text((try? Money(parsing: text(r[4])))?.description ?? text(r[4]))])
        }
        if chatty { print(table.render(.table), terminator: "") }
        let trained = try trainRouting(store: store, from: nil, to: nil, out: scratch + "/router-gateway.json")
        say("    retrained on those rows (`mosaic train routing --db` on the gateway's store): v\(trained.model.version), holdout metrics:")
        if chatty { print(routingMetricsTable(trained.model).render(.table), terminator: "") }
        for s in trained.skipped { say("    \(s.provider): no head (\(s.reason))") }
    }
}

/// Runs async work from synchronous code and waits for it.
private func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        do {
            let v = try await body()
            result.withLock { $0 = .success(v) }
        } catch {
            result.withLock { $0 = .failure(error) }
        }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}

/// Runs async work that cannot fail from synchronous code and waits for it.
private func waitFor(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}
