import ArgumentParser
import Foundation
import Logging
import MosaicCore
import MosaicServer
import Synchronization

extension TaskExecutorChoice: ExpressibleByArgument {}

/// `mosaic serve`: the online routing service.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve routing decisions over HTTP with a routing model and a policy (hot reload, outcomes, metrics).",
        discussion: """
            Endpoints: POST /v1/route, POST /v1/outcome, GET /v1/model, GET /healthz, GET /readyz, \
            GET /metrics (Prometheus), POST /admin/reload (Authorization: Bearer $MOSAIC_ADMIN_TOKEN). \
            The API is described in docs/openapi.yaml.

            The model and policy files are watched: a changed file is parsed and validated completely \
            and swapped in atomically; a bad file keeps the previous model serving and counts a failed \
            reload. With --store, reported outcomes are appended to the requests table (an outcome is \
            answered once its row is committed; many share one transaction), so the next \
            `mosaic train routing` sees production traffic. SIGTERM or SIGINT stops accepting, \
            drains in-flight requests and flushes the outcome writer; a second signal stops at once. Logs are JSON lines on stderr \
            (level from MOSAIC_LOG_LEVEL, default info). With --store postgres://…, several routers form a \
            fleet: tenant quotas and budgets are shared through leases, and `mosaic models publish` reaches \
            every router (README: Running a router fleet).

            Example: mosaic serve --model models/router-demo.json --policy policy.yaml --port 8080 --store mosaic.sqlite
            """
    )

    @Option(name: .long, help: ArgumentHelp("The routing model file.", valueName: "file")) var model: String

    @Option(name: .long, help: ArgumentHelp("The policy YAML (default: the built-in example, `mosaic policy example`).", valueName: "file"))
    var policy: String?

    @OptionGroup var catalogOptions: CatalogOptions
    @Option(name: .long, help: "Address to listen on.") var host = "127.0.0.1"
    @Option(name: .long, help: "Port to listen on (0: a free port, printed at start).") var port = 8080
    @Option(name: .long, help: ArgumentHelp("A store to append reported outcomes to (requests table): an SQLite file, or postgres://… to join a router fleet.", valueName: "path|url")) var store: String?

    @Option(name: .long, help: ArgumentHelp("Environment variable holding the admin bearer token.", valueName: "name"))
    var adminTokenEnv = "MOSAIC_ADMIN_TOKEN"

    @Option(name: .long, help: "Largest request body in bytes (413 beyond).") var maxBodyBytes = 65_536
    @Option(name: .long, help: "Seconds before an idle keep-alive connection is closed.") var idleTimeout: Int64 = 60
    @Option(name: .long, help: "Seconds graceful shutdown waits for in-flight requests.") var shutdownTimeout: Int64 = 15
    @Option(name: .long, help: "Seconds between checks of the model and policy files (0: no file watch).") var watchInterval = 1.0
    @Option(name: .long, help: "Seconds an unreported decision holds its admission before it is released.") var decisionTtl = 300.0
    @Option(name: .long, help: "Seed of the decisions' random streams.") var seed: UInt64 = 1
    @Flag(name: .long, help: "Also serve POST /bench/echo (the HTTP floor, for load tests).") var echo = false
    @Option(name: .long, help: ArgumentHelp("A gateway file: also serve the OpenAI-compatible /v1/chat/completions, /v1/embeddings and /v1/models, forwarding to its upstreams (README: Gateway).", valueName: "file"))
    var gateway: String?
    @Option(name: .long, help: "With a postgres:// store (a fleet): seconds before an unrenewed lease of a shared quota or budget expires.")
    var leaseTtl = 5.0
    @Option(name: .long, help: ArgumentHelp("With a postgres:// store: seconds one statement of the outcome writer or the fleet waits for the server before it is given up (outcome reports then answer 503; 0.1 to 600).", valueName: "seconds"))
    var storeTimeout = 5.0
    @Option(name: .long, help: "Open connections at most (default 16384, lowered to fit the open-file limit).") var maxConnections: Int?
    @Option(name: .long, help: "Seconds a request may take to arrive whole, from its first byte (slower clients are cut off).")
    var requestTimeout = 10.0
    @Option(name: .long, help: "Largest request head (request line and headers) in bytes.") var maxHeaderBytes = 16_384
    @Flag(name: .long, help: "Let clients on other hosts use the admin endpoints (by default: loopback clients only).")
    var adminRemote = false
    @Option(name: .long, help: ArgumentHelp("Where request handlers run: on the event loop that read the request (no thread hop), or on Swift's cooperative thread pool.", valueName: "event-loops|pool"))
    var executor = TaskExecutorChoice.eventLoops
    @Option(name: .long, help: "Event-loop threads (default: one per core). Fewer leaves cores to a load generator or upstream on the same machine.")
    var threads: Int?
    @Flag(name: .customLong("direct-routes"), inversion: .prefixedNo,
          help: "Answer POST /v1/route (and /bench/echo; with --gateway, also POST /v1/chat/completions and /v1/embeddings) with a channel handler on the event loop that decoded the request; --no-direct-routes sends them through the Hummingbird router like every other endpoint (the same answers, more CPU per request).")
    var directRoutes = true

    func validate() throws {
        try StoreOptions.requireLocation(store, option: "--store")
        if host.isEmpty { throw ValidationError("--host must not be empty (127.0.0.1: this machine only; 0.0.0.0: every interface)") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if maxBodyBytes < 256 { throw ValidationError("--max-body-bytes must be at least 256") }
        // Seconds become NIO time amounts and µs counts: infinity or 10³⁰⁰ would trap there.
        if !(1...86_400).contains(idleTimeout) { throw ValidationError("--idle-timeout must be between 1 and 86400 (seconds)") }
        if !(0...3_600).contains(shutdownTimeout) { throw ValidationError("--shutdown-timeout must be between 0 and 3600 (seconds)") }
        if !(watchInterval >= 0 && watchInterval <= 86_400) {
            throw ValidationError("--watch-interval must be between 0 and 86400 (seconds; 0: no file watch)")
        }
        if !(decisionTtl > 0 && decisionTtl <= 86_400) { throw ValidationError("--decision-ttl must be greater than 0 and at most 86400 (seconds)") }
        if !(leaseTtl >= 0.5 && leaseTtl <= 3_600) { throw ValidationError("--lease-ttl must be between 0.5 and 3600 seconds") }
        // Too short and every statement fails on a healthy server; too long and an outage holds
        // outcome reports (and shutdown, which waits up to twice this) for as long.
        if !(storeTimeout >= 0.1 && storeTimeout <= 600) { throw ValidationError("--store-timeout must be between 0.1 and 600 seconds") }
        if let m = maxConnections, m < 1 { throw ValidationError("--max-connections must be at least 1") }
        if !(requestTimeout > 0 && requestTimeout <= 3_600) { throw ValidationError("--request-timeout must be greater than 0 and at most 3600 (seconds)") }
        if maxHeaderBytes < 1024 { throw ValidationError("--max-header-bytes must be at least 1024") }
        if let t = threads, !(1...256).contains(t) { throw ValidationError("--threads must be between 1 and 256") }
    }

    func run() throws {
        if let threads { EventLoopThreads.use(threads) }   // before NIO creates its event loops
        executor.adopt()   // before the first task starts
        let env = ProcessInfo.processInfo.environment
        let level = env["MOSAIC_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        let logger = JSONLogHandler.logger(label: "mosaic.serve", level: level)
        var options = ServeOptions(modelPath: model, policyPath: policy, catalog: try catalogOptions.load(),
                                   storePath: store, adminToken: env[adminTokenEnv].flatMap { $0.isEmpty ? nil : $0 })
        options.host = host
        options.port = port
        options.maxBodyBytes = maxBodyBytes
        options.idleTimeoutSeconds = idleTimeout
        options.shutdownTimeoutSeconds = shutdownTimeout
        options.watchIntervalSeconds = watchInterval > 0 ? watchInterval : nil
        options.decisionTTLSeconds = decisionTtl
        options.seed = seed
        options.echoEndpoint = echo
        options.directRoutes = directRoutes
        options.gatewayPath = gateway
        options.fleet.leaseTTLSeconds = leaseTtl
        options.storeTimeoutSeconds = storeTimeout
        options.maxConnections = maxConnections
        options.requestTimeoutSeconds = requestTimeout
        options.maxHeaderBytes = maxHeaderBytes
        options.adminAllowRemote = adminRemote
        if options.adminToken == nil {
            logger.warning("no admin token: POST /admin/reload answers 401 (set \(adminTokenEnv))")
        }
        let service: RoutingService
        do { service = try RoutingService(options: options, logger: logger) } catch {
            throw CLIError("cannot start: \(error)")
        }
        let host = options.host
        let failure = Mutex<(any Error)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await ServeApplication.run(service: service, logger: logger) { port in
                    let line = "mosaic serve: listening on http://\(ServeApplication.address(host: host, port: port))\n"
                    _ = line.withCString { write(1, $0, strlen($0)) }
                }
            } catch {
                failure.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        if let error = failure.withLock({ $0 }) { throw CLIError("serve: \(ServeApplication.describeStartFailure(error, host: host, port: options.port))") }
    }
}

// MARK: - The demo's last step

extension ServeCommand {
    /// `mosaic demo`'s last step: starts the service on a free port with the model the demo just
    /// trained, routes a few requests over HTTP, reports their outcomes, prints both, and stops it
    /// gracefully. Outcomes go to a throwaway store, so re-running the demo adds nothing to the
    /// demo's store. The requests carry `at` (step 7's instant): the answers do not depend on the
    /// clock.
    static func demo(modelPath: String, at instant: Int64, chatty: Bool) throws {
        let logger = JSONLogHandler.logger(label: "mosaic.serve", level: .error)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mosaic-demo-serve-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var options = ServeOptions(modelPath: modelPath, policyPath: nil, catalog: .default, storePath: scratch + "/outcomes.sqlite")
        options.port = 0
        options.watchIntervalSeconds = nil
        let service: RoutingService
        do { service = try RoutingService(options: options, logger: logger) } catch { throw CLIError("serve: \(error)") }

        let started = Mutex<Result<ServeHandle, any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        Task {
            do {
                let h = try await ServeApplication.start(service: service, logger: logger)
                started.withLock { $0 = .success(h) }
            } catch {
                started.withLock { $0 = .failure(error) }
            }
            ready.signal()
        }
        ready.wait()
        let handle: ServeHandle
        switch started.withLock({ $0 })! {
        case .success(let h): handle = h
        case .failure(let e): throw CLIError("serve: \(e)")
        }
        func say(_ s: String) { if chatty { print(s) } }
        say("    listening on http://127.0.0.1:\(handle.port) (model v\(service.bundle.model.version), policy \(service.bundle.policy.name))")

        let client = LoopbackHTTPClient(port: handle.port)
        let at = #""at":""# + Timestamp.format(instant) + #"","#
        let requests: [(String, String)] = [
            ("chat, 2k tokens, tenant acme", "{" + at + #""tenant":"acme","model_family":"gpt-4o","region":"us","prompt_tokens":2000,"expected_output_tokens":400,"slo_ms":20000}"#),
            ("chat, 150k tokens", "{" + at + #""tenant":"acme","prompt_tokens":150000,"expected_output_tokens":1000}"#),
            ("tag strict-privacy", "{" + at + #""tenant":"acme","prompt_tokens":800,"expected_output_tokens":200,"tags":["strict-privacy"]}"#),
            ("requires HIPAA", "{" + at + #""prompt_tokens":500,"expected_output_tokens":100,"compliance":["hipaa"]}"#),
        ]
        var table = OutputTable(columns: ["request", "decision_id", "selected", "ranking", .right("route_ms"), "outcome"])
        let outcomes = ["ok", "ok", "ok", "timeout"]
        for (k, (label, body)) in requests.enumerated() {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let r = try client.post("/v1/route", json: body)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            guard r.status == 200, let doc = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] else {
                throw CLIError("serve: POST /v1/route answered \(r.status): \(r.text)")
            }
            let id = doc["decision_id"] as? String ?? "?"
            let selected = (doc["selected"] as? [String: Any])?["provider"] as? String
            let ranking = (doc["candidates"] as? [[String: Any]] ?? []).compactMap { $0["provider"] as? String }.joined(separator: " → ")
            var outcome = "–"
            if let selected {
                let status = outcomes[k]
                let latency = status == "ok" ? 600 + 450 * k : 30_000
                let ack = try client.post("/v1/outcome", json: #"{"decision_id":"\#(id)","provider":"\#(selected)","status":"\#(status)","latency_ms":\#(latency),"input_tokens":500,"output_tokens":120}"#)
                outcome = ack.status == 200 ? "\(status) \(latency) ms → \(ack.status)" : "\(ack.status): \(ack.text)"
            }
            table.rows.append([.text(label), .text(id), .text(selected ?? "none"), .text(ranking.isEmpty ? "none" : ranking),
                               .number(ms, places: 2), .text(outcome)])
        }
        if chatty { print(table.render(.table), terminator: "") }
        let metrics = try client.get("/metrics").text
        let decisions = metrics.split(separator: "\n").filter { $0.hasPrefix("mosaic_decisions_total{") }
        say("    /metrics: " + decisions.map { String($0) }.joined(separator: "; "))
        client.close()

        let stopped = DispatchSemaphore(value: 0)
        let stopError = Mutex<(any Error)?>(nil)
        Task {
            do { try await handle.stop() } catch { stopError.withLock { $0 = error } }
            stopped.signal()
        }
        stopped.wait()
        if let e = stopError.withLock({ $0 }) { throw CLIError("serve: stopping: \(e)") }
        let written = service.writer?.snapshot.written ?? 0
        say("    stopped gracefully: \(written) outcomes flushed to the requests table of a scratch store")
    }
}
