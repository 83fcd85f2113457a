import Foundation
import MosaicFuzzTargets
import Testing

/// Replays the committed fuzz corpus (`Fuzz/Corpus/<target>/`) through the same entry points the
/// fuzzer drives. Every file must be read without a crash (a refusal is fine); the `valid-*`
/// seeds, taken from the repository's own files, must be accepted, which shows that each target
/// reaches its parser's whole path rather than failing in the harness. Inputs that once crashed
/// are kept as `crash-*` files and replayed here for good.
@Suite struct CorpusReplayTests {
    @Test(arguments: FuzzTarget.allCases)
    func corpusReplaysWithoutCrash(_ target: FuzzTarget) throws {
        let harness = try FuzzHarness()
        let results = try harness.replayCorpus(target)
        #expect(!results.isEmpty, "\(FuzzHarness.corpusDirectory(target)) holds no input")
        for (file, outcome) in results where file.hasPrefix("valid-") {
            #expect(outcome == .accepted, "\(target.rawValue)/\(file): \(outcome)")
        }
    }

    @Test func outcomeTargetReachesALiveDecision() throws {
        // `$ID` stands for a decision the harness has just made: with it the outcome is
        // accepted, with a made-up id it is refused as unknown.
        let harness = try FuzzHarness()
        let body = #"{"decision_id":"$ID","provider":"perplexity","status":"ok","latency_ms":812}"#
        let live = Array(body.utf8).withUnsafeBytes { harness.run(.serveOutcome, $0) }
        #expect(live == .accepted)
        let unknown = Array(body.replacingOccurrences(of: "$ID", with: "nope-1").utf8).withUnsafeBytes {
            harness.run(.serveOutcome, $0)
        }
        guard case .rejected(let message) = unknown else {
            Issue.record("an unknown decision id was accepted")
            return
        }
        #expect(message.contains("unknown decision id"))
    }
}
