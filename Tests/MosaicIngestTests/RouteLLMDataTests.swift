import MosaicTestSupport
import Testing

@testable import MosaicIngest

@Suite("RouteLLMData")
struct RouteLLMDataTests {
    @Test func aColumnOrKeyTwiceIsAnErrorNamingIt() throws {
        let tmp = TemporaryDirectory()
        let header = "prompt_id,prompt,mixtral_8x7b_instruct_correct,gpt_4_1106_preview_correct"
        let csv = tmp.write("two.csv", header + ",prompt\nq1,What is 2+2?,True,True,What is 3+3?\n")
        let e = #expect(throws: IngestError.self) { _ = try RouteLLMData.read(path: csv) }
        #expect(e?.description == "\(csv):1: column 'prompt' appears twice (fields 2 and 5)")
        let jsonl = tmp.write("two.jsonl", """
            {"prompt": "a", "mixtral_8x7b_instruct_correct": true, "gpt_4_1106_preview_correct": true}
            {"prompt": "b", "mixtral_8x7b_instruct_correct": true, "gpt_4_1106_preview_correct": false, "prompt": "c"}

            """)
        let e2 = #expect(throws: IngestError.self) { _ = try RouteLLMData.read(path: jsonl) }
        #expect(e2?.description == "\(jsonl):2: column prompt: appears twice in the object; a key may appear once")
        // One of each reads.
        let ok = tmp.write("ok.csv", header + "\nq1,What is 2+2?,True,False\n")
        #expect(try RouteLLMData.read(path: ok).map(\.weakCorrect) == [true])
    }
}
