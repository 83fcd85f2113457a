import Foundation
import MosaicCore
import MosaicRouting
import Testing

@Suite("Compiled predictor")
struct CompiledPredictorTests {
    /// A head over every compilable feature kind, with random coefficients.
    static func model(_ id: String, seed: UInt64) throws -> ProviderModel {
        let spec = try FeatureSpec(features: [
            .oneHot(.tenant, vocabulary: ["acme", "globex", "initech"]),
            .oneHot(.model, vocabulary: ["gpt-4o", "claude", "llama"]),
            .oneHot(.operation, vocabulary: ["chat", "embedding"]),
            .oneHot(.region, vocabulary: ["us", "eu"]),
            .oneHot(.dayOfWeek, vocabulary: ["0", "1", "2", "3", "4", "5", "6"]),
            .oneHot(.hourOfDay, vocabulary: ["9", "10", "23"]),
            .numeric(.inputTokens, transform: .log1p, mean: 6, scale: 1.5),
            .numeric(.outputTokens, transform: .identity, mean: 200, scale: 100),
            .interaction(6, 7),
            .cyclic(.hourOfDay, period: 24, harmonics: 3),
            .cyclic(.dayOfWeek, period: 7, harmonics: 1),
            .oneHot(.modelRegion, vocabulary: ["gpt-4o@us", "claude@eu", "llama@us"]),
        ])
        var random = SeededRandom(seed: seed)
        func head() -> LinearHead {
            LinearHead(intercept: random.normal(), coefficients: (0..<spec.width).map { _ in 0.3 * random.normal() })
        }
        let metrics = ProviderMetrics(trainRows: 1, testRows: 1, latencyRMSE: 0, latencyMAE: 0, latencyR2: 0, tailCoverage: 0,
                                      tailPinballLoss: 0, failureLogLoss: 0, failureAUC: nil, failureBrier: 0, failureRate: 0,
                                      calibration: [])
        return ProviderModel(provider: id, models: [], rows: 1, featureSpec: spec, logLatency: head(),
                             logLatencyResidualVariance: 0.2, tailQuantile: 0.95, logLatencyTail: head(),
                             failure: head(), metrics: metrics)
    }

    @Test func equalsTheDensePredictionOnRandomRequests() throws {
        let models = [try Self.model("a", seed: 1), try Self.model("b", seed: 2)]
        var layout = CompiledPredictor.RequestValues.Layout()
        let compiled = models.compactMap { CompiledPredictor($0, layout: &layout) }
        #expect(compiled.count == 2)
        var values = CompiledPredictor.RequestValues(layout: layout)
        var random = SeededRandom(seed: 7)
        var scratch: [Double] = []
        let tenants = ["acme", "globex", "initech", "unknown"], families = ["gpt-4o", "claude", "llama", "mistral"]
        for _ in 0..<2_000 {
            let r = RouteRequest(tenant: tenants[Int(random.next() % 4)], operation: random.bernoulli(0.5) ? "chat" : "embedding",
                                 modelFamily: families[Int(random.next() % 4)], region: random.bernoulli(0.5) ? "us" : "eu",
                                 promptTokens: Int(random.lognormal(mu: 6, sigma: 1.5)),
                                 expectedOutputTokens: Int(random.next() % 2_000),
                                 timestamp: 1_780_000_000_000_000 + Int64(random.next() % 1_000_000_000_000))
            values.load(r)
            for (m, c) in zip(models, compiled) {
                let dense = m.predict(r.features, scratch: &scratch)
                let fast = c.predict(r, values)
                #expect(abs(fast.expectedLatencyMs - dense.expectedLatencyMs) <= 1e-12 * dense.expectedLatencyMs)
                #expect(abs(fast.tailLatencyMs - dense.tailLatencyMs) <= 1e-12 * dense.tailLatencyMs)
                #expect(abs(fast.failureProbability - dense.failureProbability) <= 1e-12)
            }
        }
    }

    @Test func hashedTextHeadsAreNotCompiled() throws {
        var m = try Self.model("a", seed: 1)
        m.featureSpec = try FeatureSpec(features: [.hashedText(buckets: 8)])
        var layout = CompiledPredictor.RequestValues.Layout()
        #expect(CompiledPredictor(m, layout: &layout) == nil)
        #expect(!CompiledPredictor.isCompilable(m))
    }
}
