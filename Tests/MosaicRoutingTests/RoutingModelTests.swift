import Foundation
import MosaicCore
import MosaicRouting
import Testing

@Suite("RoutingModel file")
struct RoutingModelTests {
    static func provider(_ id: String, width: Int = 2) throws -> ProviderModel {
        let spec = try FeatureSpec(features: [
            .oneHot(.model, vocabulary: ["a", "b"]),
        ])
        let metrics = ProviderMetrics(trainRows: 80, testRows: 20, latencyRMSE: 0.3, latencyMAE: 0.2, latencyR2: 0.5,
                                      tailCoverage: 0.95, tailPinballLoss: 0.05, failureLogLoss: 0.1, failureAUC: 0.7,
                                      failureBrier: 0.02, failureRate: 0.02, calibration: [])
        return ProviderModel(provider: id, models: ["a", "b"], rows: 100, featureSpec: spec,
                             logLatency: LinearHead(intercept: log(1000), coefficients: [0, log(2)]),
                             logLatencyResidualVariance: 0.04, tailQuantile: 0.95,
                             logLatencyTail: LinearHead(intercept: log(3000), coefficients: [0, log(2)]),
                             failure: LinearHead(intercept: 0, coefficients: Array(repeating: 0, count: width)),
                             metrics: metrics)
    }

    static func model(_ providers: [ProviderModel]) -> RoutingModel {
        RoutingModel(version: 3, createdAt: "2026-11-26T00:00:00Z", trainingWindow: .init(from: "a", to: "b"), rows: 100,
                     dataFingerprint: "abc", validation: "time-ordered", providers: providers, quality: nil)
    }

    @Test func predictsFromTheHeads() throws {
        let p = try Self.provider("openai")
        var scratch: [Double] = []
        let a = p.predict(RequestFeatures(model: "a"), scratch: &scratch)
        #expect(abs(a.expectedLatencyMs - 1000 * exp(0.02)) < 1e-9)   // lognormal mean
        #expect(abs(a.tailLatencyMs - 3000) < 1e-9)
        #expect(abs(a.failureProbability - 0.5) < 1e-15)
        let b = p.predict(RequestFeatures(model: "b"), scratch: &scratch)
        #expect(abs(b.tailLatencyMs - 6000) < 1e-9)
    }

    @Test func fileRoundTripsAndIsSelfDescribing() throws {
        let m = Self.model([try Self.provider("openai"), try Self.provider("anthropic")])
        let data = try m.encoded()
        let text = String(decoding: data, as: UTF8.self)
        for key in ["\"schemaVersion\" : 1", "\"kind\" : \"routing\"", "\"trainingWindow\"", "\"dataFingerprint\"",
                    "\"featureSpec\"", "\"vocabulary\"", "\"coefficients\"", "\"metrics\"", "\"createdAt\""] {
            #expect(text.contains(key), "missing \(key)")
        }
        #expect(try RoutingModel.decode(data) == m)
    }

    @Test func refusesNewerSchemasOtherKindsAndBrokenHeads() throws {
        var m = Self.model([try Self.provider("openai")])
        m.schemaVersion = RoutingModel.currentSchemaVersion + 1
        #expect(throws: ModelFileError.self) { _ = try RoutingModel.decode(try m.encoded()) }
        m.schemaVersion = 1
        m.kind = "load"
        #expect(throws: ModelFileError.self) { _ = try RoutingModel.decode(try m.encoded()) }
        let broken = Self.model([try Self.provider("openai", width: 3)])   // 3 coefficients for 2 features
        let error = #expect(throws: ModelFileError.self) { _ = try RoutingModel.decode(try broken.encoded()) }
        #expect(error?.description == "invalid model file: openai.failure: 3 coefficients for 2 features")
        #expect(throws: ModelFileError.self) { _ = try RoutingModel.decode(Data("not json".utf8)) }
        #expect(throws: ModelFileError.self) { _ = try RoutingModel.decode(Data("{}".utf8)) }
    }
}
