import ArgumentParser
import Foundation
import MosaicCore
import MosaicRouting

/// `mosaic route`: one routing decision, explained.
struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Route one request with a policy (and a routing model) and explain the decision.",
        discussion: """
            Prints the ranked candidates (primary first, then fallbacks) with their scores, predicted \
            latency, tail latency, failure probability and cost, and every provider that was dropped \
            with the reason. The router starts with fresh state (all breakers closed, buckets full).

            Example: mosaic route --policy policy.yaml --model models/router-demo.json \\
                       --tenant acme --prompt-tokens 120000 --expected-output-tokens 800 --slo-ms 4000
            """
    )

    @Option(name: .long, help: ArgumentHelp("The policy YAML file (default: the built-in example, `mosaic policy example`).", valueName: "file"))
    var policy: String?

    @Option(name: .long, help: ArgumentHelp("A routing model file for predicted latency and failure.", valueName: "file")) var model: String?
    @OptionGroup var catalogOptions: CatalogOptions
    @Option(name: .long, help: "Tenant.") var tenant = "default"
    @Option(name: .long, help: "Operation (chat, embedding, clone, build…).") var operation = "chat"
    @Option(name: .long, help: "Model family asked for (the routing model's model feature).") var modelFamily = ""
    @Option(name: .long, help: "The resource: repository, project or workflow name.") var resource = ""
    @Option(name: .long, help: "The caller's region.") var region = ""
    @Option(name: .long, help: "Region the data must stay in.") var residency: String?
    @Option(name: .long, help: "Prompt tokens (default: with --text, about a token per four bytes of it; else 0).") var promptTokens: Int?
    @Option(name: .long, help: "Expected output tokens.") var expectedOutputTokens = 0
    @Option(name: .long, parsing: .upToNextOption, help: "Required compliance tags (gdpr, hipaa, soc2, fedramp).") var compliance: [String] = []
    @Option(name: .long, parsing: .upToNextOption, help: "Required capabilities (vision, long_context…).") var capability: [String] = []
    @Option(name: .long, help: "Latency SLO on the predicted tail, ms.") var sloMs: Double?
    @Option(name: .long, help: "Budget tag.") var budget: String?
    @Option(name: .long, parsing: .upToNextOption, help: "Free-form tags (strict-privacy…).") var tag: [String] = []
    @Option(name: .long, help: ArgumentHelp(
        "The prompt, for the routing model's quality head (its group prior from a tag such as subject:law).", valueName: "prompt"))
    var text: String?
    @Option(name: .long, help: ArgumentHelp("Read the prompt from a file ('-': standard input) instead of --text.", valueName: "file"))
    var textFile: String?
    @Option(name: .long, help: "When the request is made (UTC date-time; default now).") var at: String?
    @OptionGroup var output: FormatOptions

    func validate() throws {
        for (option, n) in [("--prompt-tokens", promptTokens ?? 0), ("--expected-output-tokens", expectedOutputTokens)]
        where !(0...RouteRequest.maximumTokens).contains(n) {
            throw ValidationError("\(option) must be between 0 and \(RouteRequest.maximumTokens)")
        }
        if let s = sloMs, !(s > 0 && s.isFinite) { throw ValidationError("--slo-ms must be a finite number of milliseconds above 0") }
        if text != nil && textFile != nil { throw ValidationError("give the prompt with --text or --text-file, not both") }
    }

    /// The prompt: `--text`, or the contents of `--text-file`.
    func prompt() throws -> String? {
        guard let textFile else { return text }
        let data: Data?
        if textFile == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else { data = FileManager.default.contents(atPath: textFile) }
        guard let data else { throw CLIError("\(textFile): cannot read the prompt: no such readable file") }
        guard let s = String(data: data, encoding: .utf8) else { throw CLIError("\(textFile): the prompt is not UTF-8 text") }
        return s
    }

    func run() throws {
        let catalog = try catalogOptions.load()
        let policy: RoutingPolicy
        if let path = self.policy {
            policy = try loadPolicy(path, catalog: catalog)
        } else {
            do { policy = try RoutingPolicy(yaml: RoutingPolicy.exampleYAML, source: "example-policy.yaml", catalog: catalog) } catch {
                throw CLIError("the built-in example policy does not fit this catalog: \(error)")
            }
        }
        for c in capability {
            if let problem = catalog.unknownCapability(c) { throw ValidationError("--capability \(problem)") }
        }
        // As /v1/route answers: an empty tenant, or one a policy with a closed tenant list does not name.
        if tenant.isEmpty { throw ValidationError("--tenant must not be empty") }
        if let problem = policy.unknownTenant(tenant) { throw ValidationError("--tenant: \(problem)") }
        let routingModel = try model.map(loadRoutingModel)
        let tags: ComplianceSet
        do { tags = try ComplianceSet(parsing: compliance) } catch { throw ValidationError("--compliance \(error)") }
        let now = try at.map { try parseInstant($0, option: "--at") } ?? Timestamp.now()
        let text = try prompt()
        let tokens = promptTokens ?? text.map(RouteRequest.estimatedTokens(of:)) ?? 0
        let request = RouteRequest(tenant: tenant, operation: operation, modelFamily: modelFamily, resource: resource,
                                   region: region, residency: residency, promptTokens: tokens,
                                   expectedOutputTokens: expectedOutputTokens, compliance: tags, capabilities: capability,
                                   latencySLOMs: sloMs, budgetTag: budget, tags: tag, timestamp: now, text: text)
        let router: Router
        do { router = try Router(policy: policy, catalog: catalog, model: routingModel, now: now) } catch {
            throw CLIError("\(error)")
        }
        var decision = Decision(seed: 1)
        router.decide(request, now: now, into: &decision)
        if let note = qualityNote(routingModel?.quality, request, decision, policy: policy, text: text) {
            FileHandle.standardError.write(Data((note + "\n").utf8))
        }
        print(render(decision, policy: policy, quality: routingModel?.quality), terminator: "")
    }

    /// Why the quality head did not weigh in, or weighed in without a group, or nil: no `--text`,
    /// no model or no quality head, a strategy that does not use it, no tag naming a known group.
    func qualityNote(_ q: QualityModel?, _ request: RouteRequest, _ d: Decision, policy: RoutingPolicy, text: String?) -> String? {
        switch (q, text) {
        case (nil, nil): return nil
        case (nil, _?): return "note: --text is used by a routing model's quality head, and \(model == nil ? "no --model was given" : "this model has none")"
        case (_?, nil): return "note: the model's quality head needs the prompt: give --text or --text-file"
        case let (q?, _?):
            guard d.weakGoodEnough != nil else {
                return "note: the quality head did not weigh in: strategy \(policy.strategy.name) does not use it, or \(q.weak.provider) or \(q.strong.provider) is not in the pool"
            }
            // Without a known group the head scores the prompt as one of an unseen group would be.
            guard let scorer = q.scorer, !scorer.groups.isEmpty, !scorer.knowsGroup(of: request.features) else {
                return nil
            }
            let fields = scorer.groups.map { "\($0.field):NAME" }.joined(separator: " or ")
            return "note: no --tag names a group the quality head knows (\(fields)), so it scores the prompt as one of an unseen group"
        }
    }

    /// The quality head's reading of the prompt, as the decision weighed it.
    func qualityDescription(_ p: Double, _ q: QualityModel) -> String {
        String(format: "quality head: P(weak %@/%@ good enough) = %.3f against strong %@/%@", q.weak.provider, q.weak.model, p,
               q.strong.provider, q.strong.model)
    }

    func render(_ d: Decision, policy: RoutingPolicy, quality: QualityModel?) -> String {
        switch output.format {
        case .json: return jsonDocument(d, policy: policy, quality: quality)
        case .csv: return table(d).render(.csv)
        case .table:
            var head = "policy \(policy.name), strategy \(policy.strategy.name)"
            if let p = d.weakGoodEnough, let quality { head += "; " + qualityDescription(p, quality) }
            if let r = d.rule { head += "; rule \(r.name): \(r.reason)" }
            if d.panic { head += "; PANIC: too few healthy providers, health ignored" }
            if let rejection = d.rejection { head += "; refused: \(rejection)" }
            if d.candidates.isEmpty && d.rejection == nil { head += "; no provider can serve this request" }
            return head + "\n" + table(d).render(.table)
        }
    }

    func table(_ d: Decision) -> OutputTable {
        var t = OutputTable(columns: [
            .right("rank"), "provider", "placement", .right("score"), .right("expected_ms"), .right("tail_ms"),
            .right("p_fail"), .right("cost_usd"), "note",
        ])
        for (k, c) in d.candidates.enumerated() {
            t.rows.append([.int(k + 1), .text(c.provider), .text(c.placement.description), .number(c.score, places: 4),
                           .number(c.prediction.expectedLatencyMs, places: 0), .number(c.prediction.tailLatencyMs, places: 0),
                           .number(c.prediction.failureProbability, places: 4), .number(c.costUSD, places: 6),
                           .text(c.missesSLO ? "misses SLO" : "")])
        }
        for x in d.dropped {
            t.rows.append([.text("–"), .text(x.provider), .text("dropped"), .number(nil, places: 0), .number(nil, places: 0),
                           .number(nil, places: 0), .number(nil, places: 0), .number(nil, places: 0), .text(x.reason.description)])
        }
        return t
    }

    /// One JSON object: the decision's context, its candidates and its drops.
    func jsonDocument(_ d: Decision, policy: RoutingPolicy, quality: QualityModel?) -> String {
        let candidates: [[String: Any]] = d.candidates.enumerated().map { k, c in
            ["rank": k + 1, "provider": c.provider, "placement": c.placement.description, "score": c.score,
             "expected_latency_ms": c.prediction.expectedLatencyMs, "tail_latency_ms": c.prediction.tailLatencyMs,
             "failure_probability": c.prediction.failureProbability, "cost_usd": c.costUSD, "misses_slo": c.missesSLO]
        }
        let dropped: [[String: Any]] = d.dropped.map { ["provider": $0.provider, "reason": $0.reason.description] }
        var doc: [String: Any] = ["policy": policy.name, "strategy": policy.strategy.name, "panic": d.panic,
                                  "candidates": candidates, "dropped": dropped]
        if let r = d.rule { doc["rule"] = ["name": r.name, "reason": r.reason] }
        if let r = d.rejection { doc["rejection"] = r.description }
        if let p = d.weakGoodEnough, let q = quality {
            doc["quality"] = ["weak_good_enough": p, "weak": "\(q.weak.provider)/\(q.weak.model)", "strong": "\(q.strong.provider)/\(q.strong.model)"]
        }
        return jsonText(doc)
    }
}
