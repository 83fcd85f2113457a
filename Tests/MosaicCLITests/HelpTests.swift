import Foundation
import MosaicTestSupport
import Testing

@Suite struct HelpTests {
    @Test func rootHelpListsEveryStage() throws {
        let r = try MosaicBinary.run(["--help"])
        #expect(r.status == 0)
        for sub in ["demo", "generate", "ingest", "prices", "catalog", "db"] {
            #expect(r.stdout.contains("\n  \(sub) "), "help lacks \(sub):\n\(r.stdout)")
        }
    }

    @Test func catalogShowAndValidate() throws {
        let show = try MosaicBinary.run(["catalog", "show"])
        #expect(show.status == 0)
        #expect(show.stdout.contains("5,000/hour"))
        let tmp = TemporaryDirectory("catalog")
        let yaml = try MosaicBinary.run(["catalog", "show", "--yaml"])
        let file = tmp.write("c.yaml", yaml.stdout)
        let ok = try MosaicBinary.run(["catalog", "validate", file])
        #expect(ok.status == 0, "stderr: \(ok.stderr)")
        let bad = tmp.write("bad.yaml", "version: 1\nproviders:\n  - id: x\n    name: X\n    kind: aii\n    regions: [us]\n")
        let r = try MosaicBinary.run(["catalog", "validate", bad])
        #expect(r.status != 0)
        #expect(r.stderr.contains("bad.yaml:5: providers[0].kind: 'aii' is not a provider kind"), "stderr: \(r.stderr)")
    }

    @Test func pricesImportIsIdempotentAndListed() throws {
        let tmp = TemporaryDirectory("prices")
        let doc = tmp.write("p.json", #"{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05}}"#)
        let db = tmp.file("m.sqlite")
        let first = try MosaicBinary.run(["prices", "import", doc, "--db", db, "--format", "csv"])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(first.stdout.contains(",1,2,2,0,"))
        let second = try MosaicBinary.run(["prices", "import", doc, "--db", db, "--format", "csv"])
        #expect(second.stdout.contains(",1,2,0,0,"))
        let list = try MosaicBinary.run(["prices", "list", "--db", db, "--format", "csv"])
        #expect(list.stdout.contains("openai,gpt-4o,input_token,token,0.0000025,2.5000,USD"))
    }

    /// A model file that is not one says what is wrong in plain words, not Foundation's
    /// `DecodingError.dataCorrupted: … Debug description: …`.
    @Test func aBrokenModelFileIsExplainedPlainly() throws {
        let tmp = TemporaryDirectory("models-show")
        let cases = [
            ("cut.json", #"{"schemaVersion": 1, "kind": "routing", "provid"#,
             "cut.json: not a Mosaic model file: not valid JSON: line 1, column 48: unterminated string"),
            ("array.json", "[]", "array.json: not a Mosaic model file: the document: expected an object, found an array"),
            ("bare.json", #"{"schemaVersion": 1, "kind": "routing"}"#, "bare.json: invalid model file: missing key "),
        ]
        for (name, text, expected) in cases {
            let r = try MosaicBinary.run(["models", "show", tmp.write(name, text)])
            #expect(r.status == 1)
            #expect(r.stderr.contains(expected), "stderr: \(r.stderr)")
            #expect(!r.stderr.contains("DecodingError") && !r.stderr.contains("Debug description"), "stderr: \(r.stderr)")
        }
    }

    /// The README prints the complete example policy and scenario "as `mosaic policy example`
    /// and `mosaic simulate --example` print them"; they must not drift apart.
    @Test func readmeExamplesAreWhatTheCommandsPrint() throws {
        let readme = try String(contentsOfFile: SharedData.packageRoot + "/README.md", encoding: .utf8)
        let cases: [(arguments: [String], marker: String)] = [
            (["policy", "example"], "The complete example (`mosaic policy example`)"),
            (["simulate", "--example"], "The complete example (`mosaic simulate --example`)"),
        ]
        for c in cases {
            let printed = try MosaicBinary.run(c.arguments)
            #expect(printed.status == 0, "stderr: \(printed.stderr)")
            let block = try #require(Self.yamlBlock(after: c.marker, in: readme), "README lacks \(c.marker)")
            let shown = block.split(separator: "\n", omittingEmptySubsequences: false)
            let actual = printed.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let firstDifference = zip(shown, actual).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(block == printed.stdout,
                    "README and `mosaic \(c.arguments.joined(separator: " "))` differ at line \((firstDifference ?? min(shown.count, actual.count)) + 1)")
        }
    }

    /// The text of the first ```yaml fence after `marker`, with its final newline.
    static func yamlBlock(after marker: String, in text: String) -> String? {
        guard let m = text.range(of: marker), let open = text.range(of: "```yaml\n", range: m.upperBound..<text.endIndex),
              let close = text.range(of: "\n```", range: open.upperBound..<text.endIndex)
        else { return nil }
        return String(text[open.upperBound..<close.lowerBound]) + "\n"
    }
}
