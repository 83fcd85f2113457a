import Foundation
import MosaicLearn
import MosaicRouting
import MosaicTestSupport
import Testing

/// TF-IDF and truncated SVD against scikit-learn's values on a fixed corpus
/// (Tests/Fixtures/quality: the JSON, its generating script and PROVENANCE.md).
@Suite("QualityText")
struct QualityTextTests {
    struct Reference: Decodable {
        struct Block: Decodable {
            var terms: [String]
            var idf: [Double]
            var rows: [[Double]]
            var unseen: [Double]
            var analyzer: String
            var ngram_range: [Int]
            var sublinear_tf: Bool
            // rows and unseen are [[column, value]] pairs
            enum CodingKeys: String, CodingKey { case terms, idf, rows, unseen, analyzer, ngram_range, sublinear_tf }
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                let terms = try c.decode([String].self, forKey: .terms)
                self.terms = terms
                idf = try c.decode([Double].self, forKey: .idf)
                let pairs = try c.decode([[[Double]]].self, forKey: .rows)
                let unseenPairs = try c.decode([[Double]].self, forKey: .unseen)
                func dense(_ p: [[Double]]) -> [Double] {
                    var out = [Double](repeating: 0, count: terms.count)
                    for q in p { out[Int(q[0])] = q[1] }
                    return out
                }
                rows = pairs.map(dense)
                unseen = dense(unseenPairs)
                analyzer = try c.decode(String.self, forKey: .analyzer)
                ngram_range = try c.decode([Int].self, forKey: .ngram_range)
                sublinear_tf = try c.decode(Bool.self, forKey: .sublinear_tf)
            }
        }
        struct SVD: Decodable {
            var singular_values: [Double]
            var components: [[Double]]
        }
        var corpus: [String]
        var unseen: String
        var word: Block
        var char: Block
        var svd: SVD
    }

    static func reference() throws -> Reference {
        let path = SharedData.packageRoot + "/Tests/Fixtures/quality/tfidf_svd_reference.json"
        let data = try #require(FileManager.default.contents(atPath: path), "missing \(path)")
        return try JSONDecoder().decode(Reference.self, from: data)
    }

    static func fit(_ b: Reference.Block, _ corpus: [String]) -> TfidfVectorizer {
        TfidfVectorizer.fit(corpus, analyzer: b.analyzer == "word" ? .word : .char, ngramMin: b.ngram_range[0],
                            ngramMax: b.ngram_range[1], sublinearTF: b.sublinear_tf)
    }

    func dense(_ v: TfidfVectorizer, _ text: String) -> [Double] {
        var out = [Double](repeating: 0, count: v.width)
        for (c, x) in v.transform(text) { out[c] = x }
        return out
    }

    @Test(arguments: ["word", "char"])
    func tfidfEqualsScikitLearn(_ analyzer: String) throws {
        let ref = try Self.reference()
        let block = analyzer == "word" ? ref.word : ref.char
        let v = Self.fit(block, ref.corpus)
        #expect(v.terms == block.terms)
        try #require(v.idf.count == block.idf.count)
        for (a, b) in zip(v.idf, block.idf) { #expect(abs(a - b) < 1e-9) }
        for (i, text) in ref.corpus.enumerated() {
            for (a, b) in zip(dense(v, text), block.rows[i]) { #expect(abs(a - b) < 1e-9, "row \(i)") }
        }
        for (a, b) in zip(dense(v, ref.unseen), block.unseen) { #expect(abs(a - b) < 1e-9, "unseen prompt") }
    }

    /// A text is read up to its first `maxScalars` Unicode scalars, in fitting and in
    /// transforming alike: what follows (here a word seen nowhere else) adds no term.
    @Test func aHugeTextIsReadUpToItsFirstScalars() throws {
        let n = TfidfVectorizer.maxScalars
        let head = String(repeating: "route the prompt ", count: n / 17 + 1).unicodeScalars.prefix(n)
        let text = String(String.UnicodeScalarView(head)) + " zzunseen"
        for analyzer in [TfidfVectorizer.Analyzer.word, .char] {
            let v = TfidfVectorizer.fit([text, "route this zzunseen prompt"], analyzer: analyzer, ngramMin: 1, ngramMax: 2,
                                            sublinearTF: true, minDocumentFrequency: 1, maxFeatures: 1_000)
            #expect(dense(v, text) == dense(v, String(String.UnicodeScalarView(head))), "\(analyzer)")
            #expect(v.transform("zzunseen").isEmpty == false, "the short text's terms are kept")
        }
    }

    @Test func truncatedSVDEqualsScikitLearnUpToSign() throws {
        let ref = try Self.reference()
        let vectorizers = [Self.fit(ref.word, ref.corpus), Self.fit(ref.char, ref.corpus)]
        let x = vectorizers.transform(ref.corpus)
        let k = ref.svd.singular_values.count
        let fit = try TruncatedSVD(components: k).fit(x)
        for (a, b) in zip(fit.singularValues, ref.svd.singular_values) { #expect(abs(a - b) < 1e-6) }
        for c in 0..<k {
            let ours = Array(fit.components[(c * x.width)..<((c + 1) * x.width)])
            let theirs = ref.svd.components[c]
            // Same direction up to sign: compare after aligning the sign.
            let dot = zip(ours, theirs).reduce(0) { $0 + $1.0 * $1.1 }
            let sign: Double = dot < 0 ? -1 : 1
            let worst = zip(ours, theirs).map { abs($0 * sign - $1) }.max() ?? 0
            #expect(worst < 1e-6, "component \(c): max difference \(worst)")
        }
    }

    @Test func scorerEmbeddingMatchesTheTrainingEmbedding() throws {
        let ref = try Self.reference()
        let vectorizers = [Self.fit(ref.word, ref.corpus), Self.fit(ref.char, ref.corpus)]
        let x = vectorizers.transform(ref.corpus)
        var fit = try TruncatedSVD(components: 3).fit(x)
        // On the grid a model file stores exactly (as the trainer does).
        fit.components = PackedRows.quantized(fit.components, columns: x.width)
        let zero = LinearHead(intercept: 0, coefficients: [Double](repeating: 0, count: 1 + PromptStructure.names.count + 3))
        let scorer = QualityScorer(
            vectorizers: vectorizers, dimensions: 3, components: fit.components, references: [], referenceAdvantage: [],
            neighbors: 5, bandwidth: 0.1, priorStrength: 1, groups: [], globalAdvantage: 0,
            structureMean: [Double](repeating: 0, count: PromptStructure.names.count),
            structureScale: [Double](repeating: 1, count: PromptStructure.names.count), knownGroupHead: zero, unknownGroupHead: zero)
        #expect(scorer.problem == nil)
        var e: [Double] = []
        for (i, text) in ref.corpus.enumerated() {
            scorer.embed(text, into: &e)
            // X Cᵀ, normalised, from the sparse training rows.
            var expected = [Double](repeating: 0, count: 3)
            for p in x.offsets[i]..<x.offsets[i + 1] {
                for j in 0..<3 { expected[j] += x.values[p] * fit.components[j * x.width + Int(x.columns[p])] }
            }
            let norm = expected.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for j in 0..<3 { #expect(abs(e[j] - expected[j] / norm) < 1e-9) }
        }
        // A model file round trip keeps the scorer (the term index is rebuilt).
        let data = try JSONEncoder().encode(scorer)
        let back = try JSONDecoder().decode(QualityScorer.self, from: data)
        #expect(back == scorer)
        var e2: [Double] = []
        back.embed(ref.unseen, into: &e2)
        scorer.embed(ref.unseen, into: &e)
        #expect(e == e2)
    }
}
