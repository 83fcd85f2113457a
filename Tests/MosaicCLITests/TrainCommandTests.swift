import Foundation
import MosaicCore
import MosaicRouting
import MosaicStore
import MosaicTestSupport
import Testing

/// `mosaic train routing`, `mosaic eval routing` and `mosaic models` through the binary.
@Suite struct TrainCommandTests {
    @Test func trainEvaluateListAndShow() throws {
        let tmp = TemporaryDirectory("train")
        let db = tmp.file("m.sqlite")
        // Train on two days, evaluate on two other days of the same mix (another seed).
        for (dir, seed) in [("a", "5"), ("b", "6")] {
            let g = try MosaicBinary.run(["generate", "--days", "2", "--seed", seed, "--out", tmp.file(dir)])
            #expect(g.status == 0, "stderr: \(g.stderr)")
        }
        _ = try MosaicBinary.run(["prices", "import", tmp.file("a/prices.json"), "--db", db])
        let ingest = try MosaicBinary.run(["ingest", "requests", tmp.file("a/requests.csv"), "--db", db])
        #expect(ingest.status == 0, "stderr: \(ingest.stderr)")

        let train = try MosaicBinary.run(["train", "routing", "--db", db, "--out", tmp.file("models/r.json"), "--format", "json"],
                                         in: tmp.path)
        #expect(train.status == 0, "stderr: \(train.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(train.stdout.utf8)) as? [[String: Any]])
        #expect(Set(rows.compactMap { $0["provider"] as? String }) == ["anthropic", "github", "github-actions", "ollama", "openai"])
        for r in rows {
            let coverage = try #require(r["p95_coverage"] as? Double)
            #expect(coverage > 0.85 && coverage < 1, "\(r)")
        }
        let model = try RoutingModel.decode(try Data(contentsOf: URL(fileURLWithPath: tmp.file("models/r.json"))))
        #expect(model.version == 1)
        #expect(model.providers.count == 5)

        let eval = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("models/r.json"), "--data", tmp.file("b/requests.csv"),
                                         "--format", "csv"])
        #expect(eval.status == 0, "stderr: \(eval.stderr)")
        #expect(eval.stdout.hasPrefix("provider,train,test,log_latency_rmse"))
        #expect(eval.stdout.split(separator: "\n").count == 6)
        // A log without latencies (a trace's timing lost): the latency metrics are not defined,
        // so null, not 0; the failure metrics stand.
        let lines = try String(contentsOfFile: tmp.file("b/requests.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
        let latencyColumn = try #require(lines[0].split(separator: ",").firstIndex(of: "latency_ms"))
        let noLatency = lines.map { line in
            var fields = line.split(separator: ",", omittingEmptySubsequences: false)
            fields.remove(at: latencyColumn)
            return fields.joined(separator: ",")
        }.joined(separator: "\n") + "\n"
        let blind = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("models/r.json"), "--data",
                                          tmp.write("nolatency.csv", noLatency), "--format", "json"])
        #expect(blind.status == 0, "stderr: \(blind.stderr)")
        let blindRows = try #require(try JSONSerialization.jsonObject(with: Data(blind.stdout.utf8)) as? [[String: Any]], "\(blind.stdout)")
        #expect(!blindRows.isEmpty && blindRows.allSatisfy { $0["log_latency_rmse"] is NSNull && $0["p95_coverage"] is NSNull
            && $0["failure_rate"] is Double }, "\(blind.stdout)")
        // A trace that names no provider or model (Mooncake) is evaluated with --data-provider and
        // --data-model (the messages named --provider and --model, which eval routing does not have).
        let trace = tmp.write("mc.jsonl", (0..<3).map { #"{"timestamp": \#($0 * 1000), "input_length": 700, "output_length": 50, "hash_ids": [\#($0)]}"# }
            .joined(separator: "\n") + "\n")
        let traceArgs = ["eval", "routing", "--model", tmp.file("models/r.json"), "--data", trace, "--data-format", "mooncake",
                         "--start", "2026-10-06T00:00:00Z", "--format", "csv"]
        let unnamed = try MosaicBinary.run(traceArgs)
        #expect(unnamed.status != 0 && unnamed.stderr.contains("pass --data-provider and --data-model"), "stderr: \(unnamed.stderr)")
        let named = try MosaicBinary.run(traceArgs + ["--data-provider", "openai", "--data-model", "gpt-4o"])
        #expect(named.status == 0 && named.stdout.contains("\nopenai,"), "stderr: \(named.stderr) stdout: \(named.stdout)")

        let second = try MosaicBinary.run(["train", "routing", "--db", db], in: tmp.path)
        #expect(second.status == 0, "stderr: \(second.stderr)")
        #expect(FileManager.default.fileExists(atPath: tmp.file("models/router-v2.json")))
        let list = try MosaicBinary.run(["models", "list", "--db", db, "--format", "json"])
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(listed.compactMap { $0["version"] as? Int } == [2, 1])
        let show = try MosaicBinary.run(["models", "show", tmp.file("models/r.json")])
        #expect(show.status == 0)
        #expect(show.stdout.contains("routing model v1, schema 1"))
        #expect(show.stdout.contains("loaded and checked in"))
    }

    /// Columns named on the command line make any CSV a correctness file (not only one with a
    /// `prompt` and `*_correct` columns), for training and for evaluation.
    @Test func namedCorrectnessColumnsMakeAnyCSVACorrectnessFile() throws {
        let tmp = TemporaryDirectory("train-quality")
        func file(_ name: String, seed: UInt64, prompt: String = "prompt", group: String = "topic") -> String {
            var random = SeededRandom(seed: seed)
            var csv = "\(group),\(prompt),big,small\n"
            let topics = ["algebra", "history", "law", "music"]
            for i in 0..<400 {
                let hard = random.bernoulli(0.4)
                let t = topics[i % 4]
                csv += "\(t),\"\(hard ? "prove that the" : "name the") \(t) fact \(i % 17)\",\(random.bernoulli(0.9) ? "True" : "False"),\(hard ? (random.bernoulli(0.1) ? 1 : 0) : 1)\n"
            }
            return tmp.write(name, csv)
        }
        let train = file("train.csv", seed: 1), test = file("test.csv", seed: 2, prompt: "question")
        let t = try MosaicBinary.run(["train", "routing", "--db", tmp.file("q.sqlite"), "--out", tmp.file("q.json"), "--quality-data", train,
                                      "--strong-column", "big", "--weak-column", "small", "--group-column", "topic"])
        #expect(t.status == 0, "stderr: \(t.stderr)")
        // An empty store: a quality head alone, said as such, with no empty provider table.
        #expect(t.stdout.contains("(routing model v1, no request rows: a quality head only, no latency or failure heads)"), "stdout: \(t.stdout)")
        #expect(!t.stdout.contains("log_latency_rmse") && t.stdout.contains("apgr"), "stdout: \(t.stdout)")
        // The model beside the baselines on the held-out fifth; with --cross-validate, after the
        // cross-validated tables too (from the same fit, not a second one).
        let heldOutRows = t.stdout.split(separator: "\n").filter { $0.contains("held-out fifth ") }.map { String($0.split(separator: " ")[0]) }
        #expect(heldOutRows == ["model", "model", "group", "prompt", "random", "oracle"], "stdout: \(t.stdout)")
        #expect(t.stdout.contains("model − group prior on this one split of"), "stdout: \(t.stdout)")
        let cv = try MosaicBinary.run(["train", "routing", "--db", tmp.file("cv.sqlite"), "--out", tmp.file("cv.json"), "--quality-data", train,
                                       "--strong-column", "big", "--weak-column", "small", "--group-column", "topic", "--cross-validate", "--folds", "2",
                                       "--format", "csv"])
        #expect(cv.status == 0, "stderr: \(cv.stderr)")
        // One CSV document: its first column names the table each row is from.
        let cvRows = cv.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(cvRows.first?.prefix(3) == ["table", "router", "split"], "stdout: \(cv.stdout)")
        let splits = cvRows.filter { $0[1] == "model" }.map { "\($0[0]): \($0[2])" }
        #expect(splits == ["leave_groups_out: leave-topics-out 2-fold", "random_prompts: random-prompt 2-fold",
                           "held_out: held-out fifth (prompt-id hash)"], "stdout: \(cv.stdout)")
        #expect(Set(cvRows.map(\.count)).count == 1, "every row has every column: \(cv.stdout)")
        // As JSON, one document whose keys are the tables (it was three arrays one after another).
        let cvJSON = try MosaicBinary.run(["train", "routing", "--db", tmp.file("cv.sqlite"), "--out", tmp.file("cv.json"), "--quality-data", train,
                                           "--strong-column", "big", "--weak-column", "small", "--group-column", "topic",
                                           "--cross-validate", "--folds", "2", "--format", "json"])
        let cvDocument = try #require(try JSONSerialization.jsonObject(with: Data(cvJSON.stdout.utf8)) as? [String: Any], "stdout: \(cvJSON.stdout)")
        #expect(Set(cvDocument.keys) == ["providers", "leave_groups_out", "random_prompts", "held_out"])
        let shownJSON = try MosaicBinary.run(["models", "show", tmp.file("q.json"), "--format", "json"])
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(shownJSON.stdout.utf8)) as? [String: Any], "stdout: \(shownJSON.stdout)")
        #expect(Set(shown.keys) == ["providers", "quality"] && (shown["quality"] as? [[String: Any]])?.isEmpty == false)
        let show = try MosaicBinary.run(["models", "show", tmp.file("q.json")])
        #expect(show.stdout.contains("trained on no request rows") && !show.stdout.contains("1970-01-01"), "stdout: \(show.stdout)")
        #expect(!show.stdout.contains("log_latency_rmse") && show.stdout.contains("\nquality: big vs small"), "stdout: \(show.stdout)")
        let model = try RoutingModel.decode(try Data(contentsOf: URL(fileURLWithPath: tmp.file("q.json"))))
        #expect(model.schemaVersion == RoutingModel.currentSchemaVersion)
        let scorer = try #require(model.quality?.scorer)
        #expect(scorer.groups.map(\.field) == ["topic"])
        // What the scorer holds and which inputs each head chose, as the file records them.
        let selection = try #require(scorer.selection)
        #expect(show.stdout.contains("\n  scorer: \(scorer.dimensions) LSA dimensions over "), "stdout: \(show.stdout)")
        #expect(show.stdout.contains("topic priors (4 groups), text ridge, group text ridges (4), difficulty; known-group head \(selection.knownGroup) (cross-validated APGR "),
                "stdout: \(show.stdout)")
        #expect(show.stdout.contains(" of \(selection.knownGroupCandidates.count) candidates), unknown-group head \(selection.unknownGroup) ("), "stdout: \(show.stdout)")
        #expect(Set(scorer.groups[0].advantage.keys) == ["algebra", "history", "law", "music"])
        // `mosaic route --text` asks the quality head: a hard prompt of the topic is less often
        // one the weak model can take than an easy one.
        func weakGoodEnough(_ prompt: String) throws -> Double {
            let r = try MosaicBinary.run(["route", "--model", tmp.file("q.json"), "--text", prompt, "--tag", "topic:law", "--format", "json"])
            #expect(r.status == 0, "stderr: \(r.stderr)")
            let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            let quality = try #require(doc?["quality"] as? [String: Any])
            #expect(quality["weak"] as? String == "ollama/llama3.1" && quality["strong"] as? String == "openai/gpt-4o")
            return try #require(quality["weak_good_enough"] as? Double)
        }
        #expect(try weakGoodEnough("prove that the law fact 3") < weakGoodEnough("name the law fact 3"))
        // --text-file reads the prompt from a file: the same reading as --text.
        let promptFile = tmp.write("prompt.txt", "prove that the law fact 3")
        let fromFile = try MosaicBinary.run(["route", "--model", tmp.file("q.json"), "--text-file", promptFile, "--tag", "topic:law"])
        let fromText = try MosaicBinary.run(["route", "--model", tmp.file("q.json"), "--text", "prove that the law fact 3", "--tag", "topic:law"])
        #expect(fromFile.status == 0 && fromFile.stdout == fromText.stdout, "stderr: \(fromFile.stderr)")
        let both = try MosaicBinary.run(["route", "--text", "a", "--text-file", promptFile])
        #expect(both.status != 0 && both.stderr.contains("give the prompt with --text or --text-file, not both"), "stderr: \(both.stderr)")
        let absent = try MosaicBinary.run(["route", "--model", tmp.file("q.json"), "--text-file", tmp.file("nope.txt")])
        #expect(absent.status != 0 && absent.stderr.contains("nope.txt: cannot read the prompt: no such readable file"), "stderr: \(absent.stderr)")
        let routed = try MosaicBinary.run(["route", "--model", tmp.file("q.json"), "--text", "name the law fact 3"])
        #expect(routed.stdout.contains("; quality head: P(weak ollama/llama3.1 good enough) = "), "stdout: \(routed.stdout)")
        #expect(routed.stderr.contains("note: no --tag names a group the quality head knows (topic:NAME), so it scores the prompt as one of an unseen group"),
                "stderr: \(routed.stderr)")
        let noText = try MosaicBinary.run(["route", "--model", tmp.file("q.json")])
        #expect(noText.status == 0 && noText.stderr.contains("the model's quality head needs the prompt: give --text or --text-file"), "stderr: \(noText.stderr)")

        let e = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("q.json"), "--data", test, "--prompt-column", "question",
                                      "--strong-column", "big", "--weak-column", "small", "--format", "csv"])
        #expect(e.status == 0, "stderr: \(e.stderr)")
        let lines = e.stdout.split(separator: "\n")
        #expect(lines.first == "router,split,prompts,apgr,cpt50_pct_strong,cpt80_pct_strong")
        let routers = lines.dropFirst().map { String($0.split(separator: ",")[0]) }
        #expect(routers == ["model", "model kNN only", "group prior", "prompt length", "random (expected)", "oracle"])
        // The file has the column the model's groups came from (topic), so it is read without
        // being named: the same table as with --group-column topic, and no note.
        #expect(!e.stderr.contains("note:"), "stderr: \(e.stderr)")
        let grouped = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("q.json"), "--data", test, "--prompt-column", "question",
                                            "--strong-column", "big", "--weak-column", "small", "--group-column", "topic", "--format", "csv"])
        #expect(grouped.status == 0 && !grouped.stderr.contains("note:") && grouped.stdout == e.stdout, "stderr: \(grouped.stderr)")
        // A group column of another name is not guessed: no prompt has a group the head knows, said.
        let otherGroup = file("area.csv", seed: 2, group: "area")
        let ungrouped = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("q.json"), "--data", otherGroup,
                                              "--strong-column", "big", "--weak-column", "small", "--format", "csv"])
        #expect(ungrouped.status == 0 && ungrouped.stdout != e.stdout, "stderr: \(ungrouped.stderr)")
        #expect(ungrouped.stderr.contains("note: none of the 400 prompts of area.csv has a group the quality head knows (topic; --group-column names the file's): all are ranked as prompts of an unseen group would be"),
                "stderr: \(ungrouped.stderr)")
        // Correctness as a float column or a database export writes it reads the same.
        let floats = tmp.write("floats.csv", try String(contentsOfFile: test, encoding: .utf8)
            .replacingOccurrences(of: ",True,", with: ",1.0,").replacingOccurrences(of: ",False,", with: ",0.0,")
            .replacingOccurrences(of: ",1\n", with: ",t\n").replacingOccurrences(of: ",0\n", with: ",f\n"))
        let asFloats = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("q.json"), "--data", floats, "--prompt-column", "question",
                                             "--strong-column", "big", "--weak-column", "small", "--format", "csv"])
        #expect(asFloats.status == 0 && asFloats.stdout == e.stdout.replacingOccurrences(of: ",test.csv,", with: ",floats.csv,"),
                "stdout: \(asFloats.stdout) stderr: \(asFloats.stderr)")
        // No gap to recover: said, and the metrics shown as not defined rather than as 0.
        let same = tmp.write("same.csv", "question,big,small\n\"a\",1,1\n\"bb\",0,0\n\"ccc\",0,1\n\"dddd\",1,0\n")
        let noGap = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("q.json"), "--data", same, "--prompt-column", "question",
                                          "--strong-column", "big", "--weak-column", "small", "--format", "csv"])
        #expect(noGap.status == 0 && noGap.stderr.contains("note: on same.csv the strong model is right on 50.0% of the prompts and the weak one on 50.0%: there is no gap to recover, so APGR and CPT are not defined (shown as –)"),
                "stderr: \(noGap.stderr)")
        #expect(noGap.stdout.contains("\nmodel,same.csv,4,,,\n"), "stdout: \(noGap.stdout)")
        let half = tmp.write("half.csv", "question,big,small\n\"a\",0.5,1\n")
        let notAFlag = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("q.json"), "--data", half, "--prompt-column", "question",
                                             "--strong-column", "big", "--weak-column", "small"])
        #expect(notAFlag.status != 0 && notAFlag.stderr.contains("half.csv:2: column big: '0.5' is not True or False (nor 1 or 0)"),
                "stderr: \(notAFlag.stderr)")

        let missing = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("q.json"), "--data", test, "--prompt-column", "question",
                                            "--strong-column", "huge"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("test.csv:1: no column 'huge' (the columns here: topic, question, big, small)"),
                "stderr: \(missing.stderr)")
        let noPrompt = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("q.json"), "--data", test, "--strong-column", "big",
                                             "--weak-column", "small"])
        #expect(noPrompt.status != 0)
        #expect(noPrompt.stderr.contains("no column 'prompt' (the columns here: topic, question, big, small)"), "stderr: \(noPrompt.stderr)")
        // The same file as JSON Lines (correctness as JSON booleans, numbers or texts) reads the same.
        let csvRows = try String(contentsOfFile: test, encoding: .utf8).split(separator: "\n").dropFirst()
        let jsonl = csvRows.enumerated().map { i, line -> String in
            let topic = line.prefix { $0 != "," }, rest = line.dropFirst(topic.count + 2)
            let question = rest.prefix { $0 != "\"" }, flags = rest.dropFirst(question.count + 2).split(separator: ",")
            let big = i % 3 == 0 ? (flags[0] == "True" ? "true" : "false") : "\"\(flags[0])\"", small = i % 2 == 0 ? String(flags[1]) : "\"\(flags[1])\""
            return "{\"topic\": \"\(topic)\", \"question\": \"\(question)\", \"big\": \(big), \"small\": \(small)}"
        }.joined(separator: "\n") + "\n"
        let asJSONLines = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("q.json"), "--data", tmp.write("test.jsonl", jsonl),
                                                "--prompt-column", "question", "--strong-column", "big", "--weak-column", "small", "--format", "csv"])
        #expect(asJSONLines.status == 0 && asJSONLines.stdout == e.stdout.replacingOccurrences(of: ",test.csv,", with: ",test.jsonl,"),
                "stdout: \(asJSONLines.stdout) stderr: \(asJSONLines.stderr)")
        for (text, message) in [
            ("{\"question\": \"a\", \"big\": true}\n", "bad.jsonl:1: no key 'small' (the keys here: question, big)"),
            ("{\"question\": \"a\", \"big\": true, \"small\": [1]}\n", "bad.jsonl:1: column small: is an array, not a single value"),
            ("{\"question\": \"a\", \"big\": true, \"small\": 0.5}\n", "bad.jsonl:1: column small: '0.5' is not True or False (nor 1 or 0)"),
            ("{\"question\": \"a\", \"big\": true, \"small\": 0}\n\n{\"question\": \"b\",\n", "bad.jsonl:3: is not valid JSON: column 18: unexpected end of input inside an object"),
        ] {
            let bad = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("q.json"), "--data", tmp.write("bad.jsonl", text),
                                            "--prompt-column", "question", "--strong-column", "big", "--weak-column", "small"])
            #expect(bad.status != 0 && bad.stderr.contains(message), "stderr: \(bad.stderr)")
        }
        // Unnamed columns and no <model>_correct ones: said as such, not read as a request log.
        let unnamed = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("q.json"), "--data", train])
        #expect(unnamed.status != 0)
        #expect(unnamed.stderr.contains("train.csv:1: a prompt column but no <model>_correct columns (found: topic, prompt, big, small); name the strong and weak models' correctness columns with --strong-column and --weak-column"),
                "stderr: \(unnamed.stderr)")
        // <model>_correct columns and no prompt column: said as such too.
        let noPromptColumn = try MosaicBinary.run(["eval", "routing", "--model", tmp.file("q.json"), "--data",
                                             tmp.write("np.csv", "subject,question,big_correct,small_correct\nx,a,True,False\n")])
        #expect(noPromptColumn.status != 0)
        #expect(noPromptColumn.stderr.contains("np.csv:1: <model>_correct columns but no prompt column (found: subject, question, big_correct, small_correct); name it with --prompt-column"),
                "stderr: \(noPromptColumn.stderr)")
    }

    @Test func badModelFilesAndEmptyStoresGiveClearErrors() throws {
        let tmp = TemporaryDirectory("train-bad")
        let corrupt = tmp.write("bad.json", #"{"schemaVersion": 1, "kind": "routing", "version": 1}"#)
        let r = try MosaicBinary.run(["models", "show", corrupt])
        #expect(r.status != 0)
        #expect(r.stderr.contains("bad.json: invalid model file"), "stderr: \(r.stderr)")
        let newer = tmp.write("new.json", #"{"schemaVersion": 9, "kind": "routing"}"#)
        let n = try MosaicBinary.run(["models", "show", newer])
        #expect(n.stderr.contains("schema version 9 is not supported"), "stderr: \(n.stderr)")
        #expect(try MosaicBinary.run(["db", "info", "--db", tmp.file("empty.sqlite")]).status == 0)
        let empty = try MosaicBinary.run(["train", "routing", "--db", tmp.file("empty.sqlite"), "--out", tmp.file("x.json")])
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("no requests at any time in \(tmp.file("empty.sqlite"))"), "stderr: \(empty.stderr)")
    }
}
