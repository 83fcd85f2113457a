import Foundation
import MosaicCore
@testable import MosaicLearn
import MosaicLinalg
import MosaicRouting
import MosaicTestSupport
import Synchronization
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
        #expect((model.metrics.apgr ?? 0) > 0.7)
        #expect(model.metrics.testRows > 200)
        var scratch: [Double] = []
        // Prompts of the training form (the heads' structure inputs are fitted on that form).
        let easy = model.weakGoodEnough(RequestFeatures(text: "which history event happened first 5 words"), scratch: &scratch)
        let hard = model.weakGoodEnough(RequestFeatures(text: "solve this algebra equation for x 5 words"), scratch: &scratch)
        #expect(easy > hard)
        // Where the strong model is no more accurate than the weak one there is no gap: the
        // model's own metrics leave APGR and CPT undefined (nil, absent from the file), not 0.
        let tied = [(true, true), (false, false), (true, false), (false, true)].enumerated().map { i, c in
            QualityExample(promptID: "t\(i)", prompt: "solve this algebra equation for x \(i) words", strongCorrect: c.0, weakCorrect: c.1)
        }
        let none = QualityTrainer.evaluate(model, on: tied, split: "tied")
        #expect(none.apgr == nil && none.cpt50 == nil && none.cpt80 == nil && none.strongAccuracy == 0.5 && none.testRows == 4)
        #expect(!String(decoding: try JSONEncoder().encode(none), as: UTF8.self).contains("\"apgr\""))
    }

    /// Correctness where no prompt needs the strong model (both wrong everywhere, say), or every
    /// one does, says so in the data's terms; it said "every label is true: logistic regression
    /// needs both classes" for both models wrong on every prompt.
    @Test func correctnessWithNothingToRouteSaysSo() {
        func message(strong: Bool, weak: Bool) -> String {
            let rows = (0..<40).map { QualityExample(promptID: "n\($0)", prompt: "name the capital \($0)", strongCorrect: strong, weakCorrect: weak) }
            do {
                _ = try QualityTrainer().fitScorer(rows)
                return "fitted"
            } catch {
                return error.description
            }
        }
        #expect(message(strong: false, weak: false).hasPrefix("no prompt of the 40 needs the strong model (it is never right where the weak one is wrong; strong 0.0%, weak 0.0% correct): there is nothing to route"))
        #expect(message(strong: true, weak: false).hasPrefix("every one of the 40 prompts needs the strong model"))
    }

    /// Too few prompts for the scorer's cross-validation is said in those terms (it was "the
    /// training set is empty" with three prompts in it).
    @Test func tooFewPromptsSaySoWithTheCount() {
        let rows = (0..<3).map { QualityExample(promptID: "n\($0)", prompt: "name the capital \($0)", strongCorrect: $0 == 0, weakCorrect: $0 != 0) }
        #expect(throws: LearnError.tooFewPrompts(count: 3, minimum: 2 * QualityTrainer.Configuration().folds)) {
            _ = try QualityTrainer().fitScorer(rows)
        }
        #expect(LearnError.tooFewPrompts(count: 3, minimum: 10).description
                == "3 prompts to fit on; the quality head needs at least 10 (two for each fold of its cross-validation)")
    }

    /// Synthetic groups: the group sets the weak model's odds, and a word ("prove") that occurs
    /// in every group makes any prompt hard, so something transfers to unseen groups.
    static func grouped(_ count: Int, seed: UInt64 = 7) -> [QualityExample] {
        var random = SeededRandom(seed: seed)
        let topics = ["algebra", "history", "biology", "law", "poetry", "chemistry", "music", "geography", "physics", "economics"]
        return (0..<count).map { i in
            let g = i % topics.count
            let hard = random.bernoulli(0.35)
            let groupEase = 0.35 + 0.06 * Double(g)
            let verb = hard ? "prove rigorously that" : "name"
            let prompt = "\(verb) the \(topics[g]) fact number \(i % 13) about item \(random.next() % 50)"
            let weak = hard ? random.bernoulli(0.1) : random.bernoulli(groupEase + 0.3)
            return QualityExample(promptID: "g\(i)", prompt: prompt, strongCorrect: random.bernoulli(0.92), weakCorrect: weak,
                                  tags: ["subject:\(topics[g])"])
        }
    }

    static func small() -> QualityTrainer {
        var c = QualityTrainer.Configuration()
        c.dimensions = 16
        c.maxTerms = 500
        c.maxReferences = 400
        return QualityTrainer(configuration: c)
    }

    @Test func shrinkageMatchesAHandCalculation() {
        // A: 1,1,1,0 (mean 0.75); B: 0,0,0,1 (mean 0.25). Within variance σ² = (0.75 + 0.75) / (8 − 2) = 0.25;
        // the means' sample variance is 0.125, noise σ²/n = 0.0625, so τ² = 0.0625 and each
        // mean moves halfway to the global 0.5: A 0.625, B 0.375.
        let s = GroupShrinkage(groups: ["A", "A", "A", "A", "B", "B", "B", "B"], values: [1, 1, 1, 0, 0, 0, 0, 1])
        #expect(abs(s.withinVariance - 0.25) < 1e-12)
        #expect(abs(s.betweenVariance - 0.0625) < 1e-12)
        #expect(abs(s.mean("A") - 0.625) < 1e-12)
        #expect(abs(s.mean("B") - 0.375) < 1e-12)
        #expect(s.mean("unseen") == 0.5)
        #expect(s.mean(nil) == 0.5)
        // Groups that differ no more than noise would make them: everything pools to the global mean.
        let noise = GroupShrinkage(groups: ["A", "A", "B", "B"], values: [1, 0, 0, 1])
        #expect(noise.betweenVariance == 0)
        #expect(noise.mean("A") == 0.5 && noise.mean("B") == 0.5)
        // A one-row group moves less toward its own mean than a large one with the same mean.
        var groups = [String](repeating: "big", count: 40) + ["tiny"]
        var values = (0..<40).map { $0 < 30 ? 1.0 : 0.0 } + [1.0]
        groups += [String](repeating: "other", count: 40)
        values += (0..<40).map { $0 < 10 ? 1.0 : 0.0 }
        let sizes = GroupShrinkage(groups: groups, values: values)
        #expect(abs(sizes.mean("tiny") - sizes.global) < abs(sizes.mean("big") - sizes.global) + 0.25)
        #expect(abs(sizes.mean("tiny") - 1) > abs(sizes.mean("big") - 0.75))
    }

    @Test func nothingOfTheHeldOutRowsReachesTheModel() throws {
        let rows = Self.grouped(600)
        let trainer = Self.small()
        let scorer = try trainer.heldOutScorer(rows)
        // Scramble every held-out row (prompt, labels, group): the fitted scorer is identical.
        var changed = rows
        for i in changed.indices where changed[i].isHeldOut {
            changed[i].prompt = "zzleak qqleak " + String(changed[i].prompt.reversed())
            changed[i].weakCorrect.toggle()
            changed[i].tags = ["subject:leaked"]
        }
        let same = try trainer.heldOutScorer(changed) == scorer
        #expect(same)
        // That covers the text ridge too: one weight per term of the training vocabulary.
        #expect(scorer.textWeights?.count == scorer.vocabularyWidth)
        let train = rows.filter { !$0.isHeldOut }
        #expect(scorer.referenceAdvantage.count <= train.count)
        #expect(scorer.groups[0].rows.values.reduce(0, +) == train.count)
        let leaked = try trainer.heldOutScorer(changed)
        #expect(!leaked.vectorizers[0].terms.contains("zzleak"))
        #expect(leaked.groups[0].advantage["leaked"] == nil)
    }

    /// `mosaic train routing` prints the model beside the baselines on the held-out fifth from
    /// the fit it measured there: the same comparison as ``QualityTrainer/holdout(_:)`` makes, whose
    /// model row is the exported file's holdout metrics.
    @Test func trainingComparesTheHeldOutModelWithTheBaselines() throws {
        let rows = Self.grouped(600)
        let target = QualityModel.Target(provider: "p", model: "m")
        let (model, heldOut) = try Self.small().trainBesideBaselines(rows, dataset: "d", labelStrong: "s", labelWeak: "w",
                                                                      strong: target, weak: target)
        #expect(heldOut == (try Self.small().holdout(rows)))
        #expect(heldOut.prompts == rows.filter(\.isHeldOut).count && heldOut.prompts == model.metrics.testRows)
        let row = try #require(heldOut.rows.first { $0.router == "model" })
        #expect(row.apgr == model.metrics.apgr && row.cpt50 == model.metrics.cpt50 && row.cpt80 == model.metrics.cpt80)
        #expect(heldOut.rows.map(\.router) == QualityComparison.routers)
        // A file none of whose prompts falls in the held-out fifth is refused as such, not as empty.
        let inTraining = rows.filter { !$0.isHeldOut }
        #expect(throws: LearnError.heldOutSplit(heldOut: 0, total: inTraining.count)) {
            _ = try Self.small().trainBesideBaselines(inTraining, dataset: "d", labelStrong: "s", labelWeak: "w", strong: target, weak: target)
        }
    }

    /// The trainer says what it is doing, fit by fit and stage by stage, and saying it changes
    /// nothing it fits.
    @Test func progressNamesEachFitAndStage() throws {
        let rows = Self.grouped(600)
        let target = QualityModel.Target(provider: "p", model: "m")
        let said = Mutex<[String]>([])
        var trainer = Self.small()
        trainer.progress = { text in said.withLock { $0.append(text) } }
        let (model, _) = try trainer.trainBesideBaselines(rows, dataset: "d", labelStrong: "s", labelWeak: "w", strong: target, weak: target)
        let stages = ["TF-IDF vocabularies", "truncated SVD", "out-of-fold inputs (5 folds)", "inputs for unseen groups (5 folds)",
                      "choosing the heads", "text ridges"]
        #expect(said.withLock { $0 } == stages.map { "fit 1 of 2 (four fifths): " + $0 } + stages.map { "fit 2 of 2 (all rows): " + $0 })
        let silent = try Self.small().trainBesideBaselines(rows, dataset: "d", labelStrong: "s", labelWeak: "w", strong: target, weak: target).model
        #expect(model == silent)
        said.withLock { $0.removeAll() }
        _ = try trainer.crossValidate(rows, folds: 2, split: .groups)
        #expect(said.withLock { $0.filter { $0.hasSuffix(": truncated SVD") } }
                == ["leave-groups-out fold 1 of 2: truncated SVD", "leave-groups-out fold 2 of 2: truncated SVD"])
    }

    @Test func theSameSeedGivesTheSameScorer() throws {
        let rows = Self.grouped(300)
        let a = try Self.small().fitScorer(rows), b = try Self.small().fitScorer(rows)
        let same = a == b
        #expect(same)
        #expect(a.problem == nil)
    }

    @Test func theSameSeedGivesTheSameModelFileBytes() throws {
        let rows = Self.grouped(300)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let a = try encoder.encode(try Self.small().fitScorer(rows)), b = try encoder.encode(try Self.small().fitScorer(rows))
        #expect(a == b)
    }

    @Test func eachHeadKeepsTheCandidateWithTheBestCrossValidatedAPGR() throws {
        let scorer = try Self.small().fitScorer(Self.grouped(800))
        let selection = try #require(scorer.selection)
        #expect(selection.unknownGroupCandidates.map(\.name) == ["length", "length+digits", "structure", "kNN+structure", "all"])
        #expect(selection.knownGroupCandidates.map(\.name) == [
            "prior", "prior+kNN", "prior+kNN+length+digits", "prior+kNN+structure", "prior+text", "prior+text+length",
            "prior+kNN+text+length+digits", "prior+text+length+difficulty", "all",
        ])
        // The known-group head: the first candidate (simplest) reaching the best score.
        let best = selection.knownGroupCandidates.map(\.apgr).max()!
        #expect(selection.knownGroupCandidates.first { $0.apgr == best }?.name == selection.knownGroup, "\(selection)")
        // The unknown-group head: prompt length unless asked to choose.
        #expect(selection.unknownGroup == "length")
        var c = Self.small().configuration
        c.selectUnknownGroupHead = true
        let chosen = try #require(try QualityTrainer(configuration: c).fitScorer(Self.grouped(800)).selection)
        let bestUnknown = chosen.unknownGroupCandidates.map(\.apgr).max()!
        #expect(chosen.unknownGroupCandidates.first { $0.apgr == bestUnknown }?.name == chosen.unknownGroup)
        #expect(chosen.unknownGroupCandidates == selection.unknownGroupCandidates)
        // A head uses only its candidate's inputs: every other coefficient is exactly zero.
        let s = PromptStructure.names.count, g = scorer.groups.count
        let columns: [String: Set<Int>] = [
            "length": [g + 1], "length+digits": [g + 1, g + 4], "structure": Set((g + 1)..<(g + 1 + s)),
            "kNN+structure": Set(g..<(g + 1 + s)),
        ]
        let allowed = try #require(columns[selection.unknownGroup])
        for (j, w) in scorer.unknownGroupHead.coefficients.enumerated() where !allowed.contains(j) { #expect(w == 0, "input \(j)") }
        // Longer prompts (here the hard ones) go to the strong model: a negative length weight.
        #expect(scorer.unknownGroupHead.coefficients[g + 1] < 0)
    }

    @Test func theTextRidgeFollowsTheEmbedding() throws {
        let scorer = try Self.small().fitScorer(Self.grouped(600))
        let w = try #require(scorer.textWeights)
        #expect(scorer.problem == nil)
        #expect(scorer.textColumn == scorer.groups.count + 1 + PromptStructure.names.count + scorer.dimensions)
        #expect(scorer.inputWidth == scorer.textColumn + 3)
        // "prove rigorously" marks the hard prompts (the weak model fails them): the ridge
        // scores them below the easy ones of the same subject.
        let hard = scorer.textAdvantage("prove rigorously that the law fact number 3 about item 7")
        let easy = scorer.textAdvantage("name the law fact number 3 about item 7")
        #expect(hard < easy)
        var x: [Double] = [], e: [Double] = [], s: [Double] = []
        let r = RequestFeatures(inputTokens: 10, text: "name the law fact number 3 about item 7", tags: ["subject:law"])
        _ = scorer.input(r, into: &x, embedding: &e, structure: &s)
        #expect(abs(x[scorer.textColumn] - scorer.textAdvantage("name the law fact number 3 about item 7", group: "law")) < 1e-12)
        #expect(w.contains { $0 != 0 })
        // Without it (textAlpha nil) the scorer has the schema-3 shape: no weights, no text input,
        // and no difficulty inputs (they need the text ridge).
        var c = Self.small().configuration
        c.textAlpha = nil
        let plain = try QualityTrainer(configuration: c).fitScorer(Self.grouped(600))
        #expect(plain.textWeights == nil && plain.difficulty == nil && plain.problem == nil)
        #expect(plain.inputWidth == scorer.inputWidth - 3)
        let data = try JSONEncoder().encode(plain)
        #expect(!String(decoding: data, as: UTF8.self).contains("textWeights"))
        #expect(try JSONDecoder().decode(QualityScorer.self, from: data) == plain)
        #expect(try JSONDecoder().decode(QualityScorer.self, from: try JSONEncoder().encode(scorer)) == scorer)
    }

    @Test func theDifficultyInputsAreTheMeanCorrectnessAndItsSquare() throws {
        let rows = Self.grouped(600)
        let scorer = try Self.small().fitScorer(rows)
        let f = try #require(scorer.difficulty)
        #expect(scorer.problem == nil)
        // The priors are the shrunk mean correctness (strong + weak) / 2 of each subject.
        let shrink = GroupShrinkage(groups: rows.map { $0.group("subject")! },
                                    values: rows.map { (($0.strongCorrect ? 1 : 0) + ($0.weakCorrect ? 1 : 0)) / 2.0 })
        #expect(f.field == "subject" && f.correctness == shrink.means && f.global == shrink.global)
        // "prove rigorously" marks the prompts the weak model fails: harder, less often right.
        func request(_ text: String) -> RequestFeatures { RequestFeatures(inputTokens: 10, text: text, tags: ["subject:law"]) }
        let hard = try #require(scorer.difficultyEstimate(request("prove rigorously that the law fact number 3 about item 7")))
        let easy = try #require(scorer.difficultyEstimate(request("name the law fact number 3 about item 7")))
        #expect(hard < easy, "\(hard) \(easy)")
        // At route time the two inputs after the text are d − centre and its square.
        var x: [Double] = [], e: [Double] = [], s: [Double] = []
        _ = scorer.input(request("name the law fact number 3 about item 7"), into: &x, embedding: &e, structure: &s)
        let d = x[scorer.textColumn + 1]
        #expect(abs(d - (easy - f.global - f.centre)) < 1e-12)
        #expect(x[scorer.textColumn + 2] == d * d)
        #expect(try JSONDecoder().decode(QualityScorer.self, from: try JSONEncoder().encode(scorer)) == scorer)
        // The centre is the mean of the out-of-fold estimates the heads were fitted on.
        var m = Matrix(rows: 2, columns: 2)
        m[0, 0] = 1
        m[1, 0] = 3
        #expect(QualityTrainer.centreDifficulty(&m, column: 0) == 2)
        #expect([m[0, 0], m[1, 0], m[0, 1], m[1, 1]] == [-1, 1, 1, 1])
        // Without them (difficultyAlpha nil): two inputs fewer, and no candidate uses them.
        var c = Self.small().configuration
        c.difficultyAlpha = nil
        let plain = try QualityTrainer(configuration: c).fitScorer(rows)
        #expect(plain.difficulty == nil && plain.problem == nil && plain.inputWidth == scorer.inputWidth - 2)
        #expect(plain.difficultyEstimate(request("name the law fact")) == nil)
        #expect(!(plain.selection?.knownGroupCandidates.contains { $0.name.contains("difficulty") } ?? true))
        // Without groups there is no prior to estimate it from, and none is fitted.
        let ungrouped = rows.map { r in QualityExample(promptID: r.promptID, prompt: r.prompt, strongCorrect: r.strongCorrect, weakCorrect: r.weakCorrect) }
        #expect(try Self.small().fitScorer(ungrouped).difficulty == nil)
    }

    /// Two subjects in which the same word means opposite things: "recite" prompts defeat the
    /// weak model in law and are its easiest in poetry.
    static func opposed(_ count: Int) -> [QualityExample] {
        var random = SeededRandom(seed: 11)
        return (0..<count).map { i in
            let law = i % 2 == 0, recite = random.bernoulli(0.5)
            let prompt = "\(recite ? "recite" : "explain") the \(law ? "statute" : "sonnet") number \(random.next() % 40) of part \(i % 9)"
            let weak = random.bernoulli(law ? (recite ? 0.1 : 0.8) : (recite ? 0.95 : 0.4))
            return QualityExample(promptID: "o\(i)", prompt: prompt, strongCorrect: random.bernoulli(0.9), weakCorrect: weak,
                                  tags: ["subject:\(law ? "law" : "poetry")"])
        }
    }

    @Test func groupTextRidgesLearnWhatIsHardWithinEachGroup() throws {
        let rows = Self.opposed(800)
        let scorer = try Self.small().fitScorer(rows)
        let groupText = try #require(scorer.groupText)
        #expect(scorer.problem == nil)
        #expect(groupText.field == "subject" && Set(groupText.weights.keys) == ["law", "poetry"])
        let text = "recite the statute number 3 of part 4"
        // Across both subjects "recite" says little; within each it says opposite things.
        let law = scorer.textAdvantage(text, group: "law"), poetry = scorer.textAdvantage(text, group: "poetry")
        #expect(law < scorer.textAdvantage(text) && scorer.textAdvantage(text) < poetry, "\(law) \(poetry)")
        #expect(scorer.textAdvantage(text, group: "unseen") == scorer.textAdvantage(text))
        // At route time the subject tag selects the group's weights.
        var x: [Double] = [], e: [Double] = [], s: [Double] = []
        _ = scorer.input(RequestFeatures(inputTokens: 9, text: text, tags: ["subject:poetry"]), into: &x, embedding: &e, structure: &s)
        #expect(abs(x[scorer.textColumn] - poetry) < 1e-12)
        // A fifth of each group's nonzero weights is kept: the largest in magnitude.
        var c = Self.small().configuration
        c.groupTextKeep = 1
        let full = try #require(try QualityTrainer(configuration: c).fitScorer(rows).groupText)
        for (name, kept) in groupText.weights {
            let all = try #require(full.weights[name])
            #expect(kept.indices.count == Int((0.2 * Double(all.indices.count)).rounded(.up)))
            #expect(Set(kept.indices).isSubset(of: Set(all.indices)))
            let smallestKept = kept.indices.map { abs(all.weight($0)) }.min()!
            let largestDropped = all.indices.filter { kept.weight($0) == 0 }.map { abs(all.weight($0)) }.max() ?? 0
            #expect(smallestKept >= largestDropped)
        }
        // Without groups, or with the option off, there are none.
        #expect(try Self.small().fitScorer(rows.map { var r = $0; r.tags = []; return r }).groupText == nil)
        c.groupTextAlpha = nil
        #expect(try QualityTrainer(configuration: c).fitScorer(rows).groupText == nil)
    }

    @Test func sparseWeightsLookUpAndCheckTheirColumns() throws {
        let w = SparseWeights(indices: [2, 5, 9], values: [0.5, -1, 0.25])
        #expect(w.weight(5) == -1 && w.weight(9) == 0.25 && w.weight(2) == 0.5)
        #expect(w.weight(0) == 0 && w.weight(6) == 0 && w.weight(10) == 0)
        #expect(w.problem(width: 10) == nil)
        #expect(w.problem(width: 9) == "indices must ascend within 0..<9, found 9 after 5")
        #expect(SparseWeights(indices: [3, 3], values: [1, 1]).problem(width: 10) == "indices must ascend within 0..<10, found 3 after 3")
        #expect(SparseWeights(indices: [1], values: [.nan]).problem(width: 10) == "non-finite weight")
        let data = try JSONEncoder().encode(w)
        #expect(try JSONDecoder().decode(SparseWeights.self, from: data) == w)
        // A scorer whose group weights point past its vocabulary is refused, naming the group.
        var scorer = try Self.small().fitScorer(Self.grouped(300))
        let width = scorer.vocabularyWidth
        scorer.groupText?.weights["law"] = SparseWeights(indices: [width], values: [1])
        #expect(scorer.problem?.hasPrefix("group text subject:law: indices must ascend") == true, "\(scorer.problem ?? "nil")")
    }

    /// The soft clip keeps order past the clip, so a head of prompt length still ranks prompts
    /// longer than any it was fitted on; the hard clip of older files ties them, as it did.
    @Test func theSoftClipKeepsTheOrderOfPromptsPastIt() throws {
        for z in stride(from: -8.0, through: 8.0, by: 0.25) {
            let soft = QualityScorer.clipped(z, to: 4, soft: true), hard = QualityScorer.clipped(z, to: 4, soft: false)
            #expect(abs(z) <= 4 ? soft == z && hard == z : abs(hard) == 4 && abs(soft) > 4 && abs(soft) < 5 && (soft > 0) == (z > 0))
            #expect(QualityScorer.clipped(z + 0.25, to: 4, soft: true) > soft)
        }
        #expect(abs(QualityScorer.clipped(4 + 1e-9, to: 4, soft: true) - (4 + 1e-9)) < 1e-15)   // slope 1 at the clip
        let scorer = try Self.small().fitScorer(Self.grouped(600))
        #expect(scorer.structureSoftClip == true && scorer.structureClip == 4)
        // The unknown-group head's estimate (prompt length past the clip) for each prompt.
        func estimate(_ s: QualityScorer, _ r: RequestFeatures) -> (length: Double, head: Double) {
            var x: [Double] = [], e: [Double] = [], st: [Double] = []
            _ = s.input(r, into: &x, embedding: &e, structure: &st)
            return (x[s.groups.count + 1 + column], s.unknownGroupHead.evaluate(x))
        }
        let column = try #require(PromptStructure.names.firstIndex(of: "log1p_characters"))
        // Prompts whose standardised length is 4.5 and 5.5: both past the clip of 4.
        func prompt(z: Double) -> RequestFeatures {
            let characters = Int(expm1(scorer.structureMean[column] + z * scorer.structureScale[column]).rounded())
            return RequestFeatures(text: String(String(repeating: "what is the law of this case? ", count: characters / 30 + 1).prefix(characters)))
        }
        let long = prompt(z: 4.5), longer = prompt(z: 5.5)
        #expect(scorer.unknownGroupHead.coefficients[scorer.groups.count + 1 + column] != 0)
        let (a, b) = (estimate(scorer, long), estimate(scorer, longer))
        #expect(a.length > 4 && b.length > a.length && b.length < 5 && a.head != b.head, "\(a) \(b)")
        var hard = scorer
        hard.structureSoftClip = nil
        #expect(estimate(hard, long) == estimate(hard, longer) && estimate(hard, long).length == 4)
    }

    @Test func theModelFileIsPackedAndOlderPlainFilesStillLoad() throws {
        let scorer = try Self.small().fitScorer(Self.grouped(600))
        let packed = try JSONEncoder().encode(scorer)
        #expect(try JSONDecoder().decode(QualityScorer.self, from: packed) == scorer)
        // The same scorer written as a schema-2 file did: plain arrays, no clip, no selection.
        var object = try #require(try JSONSerialization.jsonObject(with: packed) as? [String: Any])
        object["components"] = scorer.components
        object["references"] = scorer.references
        object["structureClip"] = nil
        object["structureSoftClip"] = nil
        object["selection"] = nil
        object["textWeights"] = nil
        object["groupText"] = nil
        let plain = try JSONSerialization.data(withJSONObject: object)
        var old = scorer
        old.structureClip = nil
        old.structureSoftClip = nil
        old.selection = nil
        old.textWeights = nil
        old.groupText = nil
        #expect(try JSONDecoder().decode(QualityScorer.self, from: plain) == old)
        #expect(packed.count * 2 < plain.count, "packed \(packed.count) bytes, plain \(plain.count)")
        // A payload that does not match its shape is refused with the field named.
        object["references"] = ["rows": 2, "columns": scorer.dimensions, "exponents": [0, 0], "int16": "AAAA"]
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(QualityScorer.self, from: try JSONSerialization.data(withJSONObject: object)) }
    }

    @Test func leaveSubjectsOutHoldsOutWholeSubjects() throws {
        let rows = Self.grouped(1000)
        let trainer = Self.small()
        let bySubject = try trainer.crossValidate(rows, folds: 5, split: .groups)
        let byPrompt = try trainer.crossValidate(rows, folds: 5, split: .prompts)
        func apgr(_ c: QualityComparison, _ router: String) -> Double { c.rows.first { $0.router == router }!.apgr }
        // Held-out subjects are unknown, so the group prior cannot rank: its ties count at their
        // expected value, a random router's 0.5 …
        #expect(abs(apgr(bySubject, "group prior") - 0.5) < 1e-12, "\(bySubject.rows)")
        // … while with random prompts held out it knows every subject.
        #expect(apgr(byPrompt, "group prior") > apgr(bySubject, "group prior"))
        // The word that transfers still lets the model rank prompts of unseen subjects.
        #expect(apgr(bySubject, "model") > 0.65, "\(bySubject.rows)")
        #expect(apgr(bySubject, "oracle") >= apgr(bySubject, "model"))
        #expect(bySubject.prompts == rows.count)
    }

    @Test func knownGroupsUseTheirPriorAndUnknownOnesFallBack() throws {
        let scorer = try Self.small().fitScorer(Self.grouped(600))
        let known = RequestFeatures(text: "name the law fact number 3 about item 4", tags: ["subject:law"])
        let unknown = RequestFeatures(text: "name the law fact number 3 about item 4", tags: ["subject:astronomy"])
        #expect(scorer.priors(known).values == [scorer.groups[0].advantage["law"]])
        #expect(scorer.priors(unknown).values == [nil])
        #expect(scorer.priors(unknown).fallback == scorer.globalAdvantage)
        let p = scorer.weakGoodEnough(unknown)
        #expect(p > 0 && p < 1)
        // A prompt sharing nothing with training falls back to the prior in the kNN part.
        var x: [Double] = [], e: [Double] = [], s: [Double] = []
        _ = scorer.input(RequestFeatures(text: "ÿÿÿÿ", tags: ["subject:law"]), into: &x, embedding: &e, structure: &s)
        #expect(abs(x[1] - (scorer.groups[0].advantage["law"]! - scorer.globalAdvantage)) < 1e-12)
    }

    /// RouteLLM's MMLU data: fitted on the training part only (subjects known), the model must
    /// clearly beat the random router's APGR of 0.5 and prompt length on the held-out prompts.
    @Test(.enabled(if: SharedData.path(file) != nil, "../shared/datasets/routellm-eval is absent"))
    func beatsTheRandomRouterOnMMLU() throws {
        let rows = try loadMMLU()
        let comparison = try Self.lightHoldout(rows)
        func row(_ name: String) -> QualityComparison.Row { comparison.rows.first { $0.router == name }! }
        #expect(comparison.prompts > 2000)
        #expect(row("model").apgr > 0.62, "\(comparison.rows)")
        #expect(row("model").apgr > row("prompt length").apgr)
        #expect(row("model").cpt50 < 0.40)
        #expect(row("oracle").apgr > row("model").apgr)
    }

    /// The MMLU sample that ships with the repository (`examples/routellm-mmlu-sample`, the demo's
    /// quality step), so that a clone without `../shared` checks the model on real prompts too:
    /// on the fifth it never saw it must beat random and prompt length, and stay below the oracle.
    @Test func beatsRandomAndPromptLengthOnTheRepositorysMMLUSample() throws {
        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/routellm-mmlu-sample/mmlu_sample.csv").path
        let rows = try loadMMLU(sample)
        #expect(rows.count == 2283)
        let comparison = try Self.lightHoldout(rows)
        func row(_ name: String) -> QualityComparison.Row { comparison.rows.first { $0.router == name }! }
        #expect(comparison.prompts > 400)
        #expect(row("model").apgr > 0.58, "\(comparison.rows)")
        #expect(row("model").apgr > row("prompt length").apgr + 0.03, "\(comparison.rows)")
        #expect(row("oracle").apgr > row("model").apgr)
    }

    /// Without a gap to recover (the strong model no more accurate than the weak one) APGR and
    /// CPT mean nothing: every row is NaN, and a cross-validation mean leaves such a fold out.
    @Test func noGapToRecoverLeavesTheMetricsUndefined() {
        func example(_ i: Int, _ strong: Bool, _ weak: Bool) -> QualityExample {
            QualityExample(promptID: "p\(i)", prompt: String(repeating: "x", count: i + 1), strongCorrect: strong, weakCorrect: weak)
        }
        let tie = QualityComparison(scorer: nil, examples: [example(0, true, true), example(1, false, false), example(2, true, false), example(3, false, true)])
        #expect(tie.gap == 0 && tie.rows.map(\.router) == QualityComparison.routers && tie.rows.allSatisfy { $0.apgr.isNaN && $0.cpt50.isNaN && $0.cpt80.isNaN })
        let weakBetter = QualityComparison(scorer: nil, examples: [example(0, false, true), example(1, true, true)])
        #expect(weakBetter.gap == -0.5 && weakBetter.rows.allSatisfy { $0.apgr.isNaN })
        // Longer prompts are the ones only the strong model gets right: prompt length is the oracle here.
        let gap = QualityComparison(scorer: nil, examples: [example(0, true, true), example(1, false, false), example(2, true, false), example(3, true, false)])
        #expect(gap.gap == 0.5)
        let mean = QualityComparison.mean([gap, tie])
        func row(_ c: QualityComparison, _ name: String) -> QualityComparison.Row { c.rows.first { $0.router == name }! }
        #expect(row(mean, "prompt length").apgr == row(gap, "prompt length").apgr && row(mean, "random (expected)").apgr == 0.5)
        #expect(row(mean, "prompt length").apgrSD == nil && mean.prompts == 8)
    }

    /// The held-out-fifth comparison with a lighter configuration than the CLI's default, to
    /// keep the debug-build tests short.
    static func lightHoldout(_ rows: [QualityExample]) throws -> QualityComparison {
        var c = QualityTrainer.Configuration()
        c.charNgrams = 3...4
        c.maxTerms = 2000
        c.dimensions = 32
        c.maxReferences = 2000
        return try QualityTrainer(configuration: c).holdout(rows)
    }

    func loadMMLU(_ path: String? = nil) throws -> [QualityExample] {
        let result = try #require(Python.run("""
            import csv, json, sys
            rows = []
            for r in csv.DictReader(open(sys.argv[1], newline='')):
                rows.append([r['prompt_id'], r['prompt'], r['gpt_4_1106_preview_correct'] == 'True', r['mixtral_8x7b_instruct_correct'] == 'True', r['subject']])
            json.dump(rows, sys.stdout)
            """, arguments: [path ?? SharedData.path(Self.file)!]))
        try #require(result.status == 0, "python3: \(result.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[Any]])
        return array.map { QualityExample(promptID: $0[0] as! String, prompt: $0[1] as! String, strongCorrect: $0[2] as! Bool,
                                          weakCorrect: $0[3] as! Bool, tags: ["subject:" + ($0[4] as! String)]) }
    }
}
