import Foundation
import MosaicTestSupport
import Testing

/// `mosaic policy` and `mosaic route` through the built binary.
@Suite struct RouteCommandTests {
    /// Weights so large that every score overflows are refused with the field named: a score
    /// of 1e308 × cost made the ranking meaningless (before the bound, such scores printed as
    /// null in a whole JSON document; Foundation had refused to write infinity at all).
    @Test func weightsThatOverflowEveryScoreAreRefused() throws {
        let tmp = TemporaryDirectory("route-inf")
        let example = try MosaicBinary.run(["policy", "example"])
        var policy = example.stdout
        for weight in ["lambda", "mu"] {
            policy = policy.replacingOccurrences(of: #"\#(weight): [0-9.]+"#, with: "\(weight): 1e308", options: .regularExpression)
        }
        #expect(policy.contains("lambda: 1e308") && policy.contains("mu: 1e308"))
        let r = try MosaicBinary.run(["route", "--policy", tmp.write("p.yaml", policy), "--prompt-tokens", "100000",
                                      "--expected-output-tokens", "100000", "--format", "json"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("strategy.lambda: must be from 0 to 1000000 (per dollar), found 1e+308"), "stderr: \(r.stderr)")
    }

    @Test func examplePoliciesValidateAndBadOnesNameTheLine() throws {
        let tmp = TemporaryDirectory("policy")
        for args in [["policy", "example"], ["policy", "example", "--git"]] {
            let example = try MosaicBinary.run(args)
            #expect(example.status == 0)
            let file = tmp.write("p.yaml", example.stdout)
            let ok = try MosaicBinary.run(["policy", "validate", file])
            #expect(ok.status == 0, "stderr: \(ok.stderr)")
            #expect(ok.stdout.contains(": ok, policy "))
        }
        let bad = tmp.write("bad.yaml", "version: 1\nproviders: [openai, anthropic]\nstrategy:\n  kind: round_robin\nrules:\n  - name: r\n    reason: why\n    route: [opanai]\n")
        let r = try MosaicBinary.run(["policy", "validate", bad])
        #expect(r.status != 0)
        #expect(r.stderr.contains("bad.yaml:8: rules[0].route[0]"), "stderr: \(r.stderr)")
        #expect(r.stderr.contains("openai"), "a suggestion: \(r.stderr)")
    }

    @Test func routeExplainsTheDecisionAsTableAndJSON() throws {
        let table = try MosaicBinary.run(["route", "--tenant", "acme", "--prompt-tokens", "150000",
                                          "--expected-output-tokens", "1000", "--at", "2026-11-26T12:00:00Z"])
        #expect(table.status == 0, "stderr: \(table.stderr)")
        #expect(table.stdout.contains("rule long-context"))
        #expect(table.stdout.contains("context window 128000 tokens too small"))

        let json = try MosaicBinary.run(["route", "--tag", "strict-privacy", "--format", "json", "--at", "2026-11-26T12:00:00Z"])
        #expect(json.status == 0, "stderr: \(json.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let candidates = try #require(doc["candidates"] as? [[String: Any]])
        #expect(candidates.map { $0["provider"] as? String } == ["ollama"])
        #expect((doc["rule"] as? [String: Any])?["name"] as? String == "strict-privacy")
        let dropped = try #require(doc["dropped"] as? [[String: Any]])
        #expect(dropped.count == 3)
    }

    @Test func routeRejectsBadInput() throws {
        let r = try MosaicBinary.run(["route", "--compliance", "hippa"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("'hippa' is not one of gdpr, hipaa, soc2, fedramp"), "stderr: \(r.stderr)")
        let missing = try MosaicBinary.run(["route", "--policy", "/nonexistent/p.yaml"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/p.yaml"), "stderr: \(missing.stderr)")
    }

    /// A tenant is refused as `POST /v1/route` refuses it: an empty name, or one a policy that
    /// lists tenants and no `*` does not name (the command routed it with no tenant rules).
    @Test func tenantsAreCheckedAsTheServerChecksThem() throws {
        let tmp = TemporaryDirectory("route-tenants")
        let policy = tmp.write("closed.yaml", """
            version: 1
            name: closed
            providers: [openai, anthropic]
            tenants:
              acme: {allow: [openai]}

            """)
        let unknown = try MosaicBinary.run(["route", "--policy", policy, "--tenant", "zed"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("--tenant: unknown tenant 'zed': the policy lists acme and no '*'"), "stderr: \(unknown.stderr)")
        let empty = try MosaicBinary.run(["route", "--policy", policy, "--tenant", ""])
        #expect(empty.status == 64)
        #expect(empty.stderr.contains("--tenant must not be empty"), "stderr: \(empty.stderr)")
        let known = try MosaicBinary.run(["route", "--policy", policy, "--tenant", "acme"])
        #expect(known.status == 0, "stderr: \(known.stderr)")
    }

    /// Token counts are bounded as the server's `POST /v1/route` bounds them; before, a count
    /// near `Int.max` overflowed the context-window sum and trapped.
    @Test func tokenCountsOutsideTheServersRangeAreUsageErrors() throws {
        for (option, value) in [("--prompt-tokens", "9223372036854775807"), ("--expected-output-tokens", "100000001")] {
            let r = try MosaicBinary.run(["route", option, value])
            #expect(r.status == 64, "\(option) \(value): \(r.stderr)")
            #expect(r.stderr.contains("\(option) must be between 0 and 100000000"), "\(option): \(r.stderr)")
        }
        let ok = try MosaicBinary.run(["route", "--prompt-tokens", "100000000", "--expected-output-tokens", "100000000", "--format", "csv"])
        #expect(ok.status == 0, "stderr: \(ok.stderr)")
        #expect(ok.stdout.contains("context window 200000 tokens too small"), "stdout: \(ok.stdout)")
    }

    /// `route` checks --slo-ms, --compliance and --at in `run()`; such a usage error must show
    /// `mosaic route`'s usage and exit 64, not the root's `mosaic <subcommand>`.
    @Test func aUsageErrorFoundWhileRunningShowsTheCommandsUsage() throws {
        for args in [["route", "--slo-ms", "0"], ["route", "--compliance", "hippa"], ["route", "--at", "yesterday"]] {
            let r = try MosaicBinary.run(args)
            #expect(r.status == 64, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("Usage: mosaic route "), "\(args): \(r.stderr)")
            #expect(r.stderr.contains("See 'mosaic route --help'"), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("mosaic <subcommand>"), "\(args): \(r.stderr)")
        }
    }
}
