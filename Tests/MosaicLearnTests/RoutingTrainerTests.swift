import Foundation
import MosaicCore
import MosaicLearn
import MosaicRouting
import Synchronization
import Testing

@Suite("RoutingTrainer")
struct RoutingTrainerTests {
    static let start = Timestamp.parse("2026-10-05T00:00:00Z")!

    /// Rows whose true log latency is 6 + 0.7·[model = big] + 0.3·log1p(output) + N(0, 0.2²),
    /// and whose failure probability is 20% for tenant "flaky" and 1% otherwise.
    static func rows(_ n: Int, seed: UInt64 = 1) -> [RoutingTrainer.Row] {
        var random = SeededRandom(seed: seed)
        return (0..<n).map { i in
            let big = random.bernoulli(0.5)
            let flaky = random.bernoulli(0.3)
            let output = Int(random.lognormal(mu: 4, sigma: 0.8))
            let f = RequestFeatures(tenant: flaky ? "flaky" : "steady", model: big ? "big" : "small",
                                    inputTokens: Int(random.lognormal(mu: 6, sigma: 1)), outputTokens: output,
                                    timestamp: start + Int64(i) * 60_000_000)
            let ok = !random.bernoulli(flaky ? 0.2 : 0.01)
            let latency = exp(6 + (big ? 0.7 : 0) + 0.3 * log1p(Double(output)) + 0.2 * random.normal())
            return RoutingTrainer.Row(features: f, latencyMs: ok ? latency : 30_000, ok: ok)
        }
    }

    @Test func recoversLatencyTailAndFailureStructure() throws {
        let out = try RoutingTrainer().train(byProvider: ["p": Self.rows(6000)], window: (Self.start, Self.start + 1),
                                             version: 1, createdAt: "t")
        let p = try #require(out.model.provider("p"))
        // Holdout: the noise is 0.2 on the log scale, so the RMSE is close to it.
        #expect(abs(p.metrics.latencyRMSE - 0.2) < 0.02, "\(p.metrics.latencyRMSE)")
        #expect(p.metrics.latencyR2 > 0.8)
        #expect(abs(p.metrics.tailCoverage - 0.95) < 0.02, "\(p.metrics.tailCoverage)")
        #expect((p.metrics.failureAUC ?? 0) > 0.7)
        // The big model is about e^0.7 ≈ 2× slower; the tail sits about 1.645σ above the mean.
        var scratch: [Double] = []
        let t = Self.start + 3600 * 1_000_000
        let small = p.predict(RequestFeatures(tenant: "steady", model: "small", inputTokens: 400, outputTokens: 50, timestamp: t), scratch: &scratch)
        let big = p.predict(RequestFeatures(tenant: "steady", model: "big", inputTokens: 400, outputTokens: 50, timestamp: t), scratch: &scratch)
        #expect(abs(big.expectedLatencyMs / small.expectedLatencyMs - exp(0.7)) < 0.15)
        #expect(abs(log(small.tailLatencyMs / small.expectedLatencyMs) - (1.645 * 0.2 - 0.02)) < 0.08)
        let flaky = p.predict(RequestFeatures(tenant: "flaky", model: "small", inputTokens: 400, outputTokens: 50, timestamp: t), scratch: &scratch)
        #expect(flaky.failureProbability > 0.12 && small.failureProbability < 0.04)
        try out.model.validate()
    }

    @Test func theFailureHeadNeverSeesOutputTokens() throws {
        // Failed rows have no output: a head that saw output tokens would predict failure from them.
        var rows = Self.rows(3000)
        for i in rows.indices where !rows[i].ok { rows[i].features.outputTokens = 0 }
        let p = try #require(try RoutingTrainer().train(byProvider: ["p": rows], window: (0, 1), version: 1, createdAt: "t").model.provider("p"))
        var scratch: [Double] = []
        let a = p.predict(RequestFeatures(tenant: "steady", model: "small", outputTokens: 0, timestamp: Self.start), scratch: &scratch)
        let b = p.predict(RequestFeatures(tenant: "steady", model: "small", outputTokens: 500, timestamp: Self.start), scratch: &scratch)
        #expect(abs(a.failureProbability - b.failureProbability) < 1e-12)
    }

    @Test func smallProvidersAreLeftOutWithAReason() throws {
        let out = try RoutingTrainer().train(byProvider: ["big": Self.rows(500), "tiny": Self.rows(10)], window: (0, 1),
                                             version: 1, createdAt: "t")
        #expect(out.model.providers.map(\.provider) == ["big"])
        #expect(out.skipped.first?.provider == "tiny")
        #expect(throws: LearnError.self) {
            _ = try RoutingTrainer().train(byProvider: ["tiny": Self.rows(10)], window: (0, 1), version: 1, createdAt: "t")
        }
    }

    /// The trainer says which provider it is fitting, in the order it fits them; saying it
    /// changes nothing.
    @Test func progressNamesEachProvider() throws {
        let said = Mutex<[String]>([])
        var trainer = RoutingTrainer()
        trainer.progress = { text in said.withLock { $0.append(text) } }
        let data = ["big": Self.rows(500), "tiny": Self.rows(10), "also": Self.rows(400, seed: 2)]
        let out = try trainer.train(byProvider: data, window: (0, 1), version: 1, createdAt: "t")
        #expect(said.withLock { $0 } == ["also, 1 of 3", "big, 2 of 3", "tiny, 3 of 3"])
        #expect(out.model == (try RoutingTrainer().train(byProvider: data, window: (0, 1), version: 1, createdAt: "t").model))
    }

    @Test func theSameDataGivesTheSameFile() throws {
        let a = try RoutingTrainer().train(byProvider: ["p": Self.rows(800)], window: (0, 1), version: 1, createdAt: "t").model
        let b = try RoutingTrainer().train(byProvider: ["p": Self.rows(800)], window: (0, 1), version: 1, createdAt: "t").model
        #expect(try a.encoded() == b.encoded())
        let c = try RoutingTrainer().train(byProvider: ["p": Self.rows(800, seed: 2)], window: (0, 1), version: 1, createdAt: "t").model
        #expect(a.dataFingerprint != c.dataFingerprint)
    }

    @Test func aProviderWithoutFailuresGetsTheSmoothedConstantRate() throws {
        let rows = Self.rows(400).map { RoutingTrainer.Row(features: $0.features, latencyMs: $0.ok ? $0.latencyMs : 1000, ok: true) }
        let p = try #require(try RoutingTrainer().train(byProvider: ["p": rows], window: (0, 1), version: 1, createdAt: "t").model.provider("p"))
        #expect(p.failure.coefficients.allSatisfy { $0 == 0 })
        #expect(abs(1 / (1 + exp(-p.failure.intercept)) - 0.5 / 401) < 1e-12)
    }

    /// Three days of one request a minute failing 1% of the time, with a full outage from
    /// 15:03 to 17:03 on the first day.
    static func dayWithAnOutage(seed: UInt64 = 3) -> [RoutingTrainer.Row] {
        var random = SeededRandom(seed: seed)
        let from = start + (15 * 60 + 3) * 60_000_000, to = from + 120 * 60_000_000
        return (0..<(3 * 1440)).map { i in
            let t = start + Int64(i) * 60_000_000
            let f = RequestFeatures(tenant: "t", model: "m", inputTokens: 100 + i % 50, outputTokens: 50, timestamp: t)
            let ok = !(t >= from && t < to) && !random.bernoulli(0.01)
            return RoutingTrainer.Row(features: f, latencyMs: ok ? 800 + Double(i % 7) * 10 : 30_000, ok: ok)
        }
    }

    /// An outage is the failed requests themselves, even where it starts and ends inside a
    /// 10-minute window; ordinary failures, a tripled rate and a quiet provider's few failures
    /// are not one.
    @Test func anOutageIsItsFailedRequests() {
        let rows = Self.dayWithAnOutage()
        let outage = RoutingTrainer.outageRows(rows)
        // The outage's 120 minutes, and an ordinary failure that happened to touch either end.
        var a = 15 * 60 + 3, b = 17 * 60 + 2
        while !rows[a - 1].ok { a -= 1 }
        while !rows[b + 1].ok { b += 1 }
        #expect(outage.indices.filter { outage[$0] } == Array(a...b))

        var random = SeededRandom(seed: 5)
        let busy = (0..<2000).map { i in
            RoutingTrainer.Row(features: RequestFeatures(timestamp: Self.start + Int64(i) * 1_000_000), latencyMs: 100,
                               ok: !random.bernoulli(0.03))
        }
        #expect(!RoutingTrainer.outageRows(busy).contains(true))
        let quiet = (0..<4).map { i in
            RoutingTrainer.Row(features: RequestFeatures(timestamp: Self.start + Int64(i) * 1_000_000), latencyMs: nil, ok: false)
        }
        #expect(!RoutingTrainer.outageRows(quiet).contains(true))
    }

    /// A one-off outage is not learned as a time of day that fails: fitted on it, the head
    /// predicted most requests at that hour of every later day to fail.
    @Test func aOneOffOutageDoesNotBecomeAnHourThatFails() throws {
        let rows = Self.dayWithAnOutage()
        let p = try #require(try RoutingTrainer().train(byProvider: ["p": rows], window: (0, 1), version: 1, createdAt: "t").model.provider("p"))
        #expect(p.outageRows == RoutingTrainer.outageRows(rows).filter { $0 }.count)
        #expect((p.outageRows ?? 0) >= 120)
        var scratch: [Double] = []
        let day4 = Self.start + 3 * 86_400_000_000
        for hour in [3, 16, 21] {
            let t = day4 + Int64(hour) * 3_600_000_000
            let q = p.predict(RequestFeatures(tenant: "t", model: "m", inputTokens: 120, outputTokens: 50, timestamp: t), scratch: &scratch)
            #expect(q.failureProbability < 0.03, "hour \(hour): \(q.failureProbability)")
        }
    }
}
