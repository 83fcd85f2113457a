import Foundation
import MosaicCore
import MosaicLearn
import MosaicRouting
import MosaicTestSupport
import Testing

@Suite("QualityTrainer")
struct QualityTrainerTests {
    static let file = "datasets/routellm-eval/mmlu_routing_train.csv"

    @Test func theSplitIsAStableFifthByPromptID() {
        let ids = (0..<5000).map { "p\($0)" }
        let held = ids.filter { QualityExample(promptID: $0, prompt: "", strongCorrect: true, weakCorrect: true).isHeldOut }
        #expect(abs(Double(held.count) / 5000 - 0.2) < 0.02)
        #expect(QualityExample(promptID: "p1", prompt: "x", strongCorrect: true, weakCorrect: false).isHeldOut
                == QualityExample(promptID: "p1", prompt: "y", strongCorrect: false, weakCorrect: true).isHeldOut)
    }

    @Test func learnsWhichPromptsTheWeakModelHandles() throws {
        // Synthetic: prompts about "algebra" defeat the weak model; "history" ones do not.
        var random = SeededRandom(seed: 4)
        let examples = (0..<1500).map { i -> QualityExample in
            let hard = random.bernoulli(0.4)
            let prompt = (hard ? "solve this algebra equation for x " : "which history event happened first ") + "\(i % 37) words"
            return QualityExample(promptID: "q\(i)", prompt: prompt, strongCorrect: random.bernoulli(0.9),
                                  weakCorrect: hard ? random.bernoulli(0.2) : random.bernoulli(0.85))
        }
        let model = try QualityTrainer().train(examples, dataset: "synthetic", labelStrong: "s", labelWeak: "w",
                                               strong: .init(provider: "openai", model: "gpt-4o"),
                                               weak: .init(provider: "ollama", model: "llama3.1"))
        #expect(model.metrics.apgr > 0.7)
        #expect(model.metrics.testRows > 200)
        var scratch: [Double] = []
        let easy = model.weakGoodEnough(RequestFeatures(text: "which history event happened first"), scratch: &scratch)
        let hard = model.weakGoodEnough(RequestFeatures(text: "solve this algebra equation for x"), scratch: &scratch)
        #expect(easy > hard)
    }

    /// RouteLLM's MMLU data: the router must clearly beat the random router's APGR of 0.5 on the
    /// held-out prompts.
    @Test(.enabled(if: SharedData.path(file) != nil, "../shared/datasets/routellm-eval is absent"))
    func beatsTheRandomRouterOnMMLU() throws {
        let rows = try loadMMLU()
        let model = try QualityTrainer().train(rows, dataset: "mmlu", labelStrong: "gpt-4", labelWeak: "mixtral",
                                               strong: .init(provider: "openai", model: "gpt-4o"),
                                               weak: .init(provider: "ollama", model: "llama3.1"))
        #expect(model.metrics.testRows > 2000)
        #expect(model.metrics.apgr > 0.58, "APGR \(model.metrics.apgr)")
        #expect(model.metrics.cpt50 < 0.45)
        #expect(abs(model.metrics.strongAccuracy - 0.806) < 0.03)
    }

    func loadMMLU() throws -> [QualityExample] {
        let result = try #require(Python.run("""
            import csv, json, sys
            rows = []
            for r in csv.DictReader(open(sys.argv[1], newline='')):
                rows.append([r['prompt_id'], r['prompt'], r['gpt_4_1106_preview_correct'] == 'True', r['mixtral_8x7b_instruct_correct'] == 'True'])
            json.dump(rows, sys.stdout)
            """, arguments: [SharedData.path(Self.file)!]))
        try #require(result.status == 0, "python3: \(result.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[Any]])
        return array.map { QualityExample(promptID: $0[0] as! String, prompt: $0[1] as! String, strongCorrect: $0[2] as! Bool,
                                          weakCorrect: $0[3] as! Bool) }
    }
}
