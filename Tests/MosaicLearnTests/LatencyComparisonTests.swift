import Foundation
import MosaicCore
import MosaicLearn
import Testing

/// ``LatencyComparison``: the baselines computed by hand, causality, no leakage past the split,
/// and the model×region head where the level is an interaction. (Agreement with an independent
/// pandas computation on real measurements is in `EvalLatencyCommandTests`.)
@Suite struct LatencyComparisonTests {
    static let hour: Int64 = 3_600_000_000

    /// 40 training rows of one key alternating e¹ and e² ms, then two test rows measured at the
    /// same instant (ln ms 3 and 0).
    static func smallSeries() -> [LatencyObservation] {
        var rows: [LatencyObservation] = []
        for i in 0..<40 {
            rows.append(LatencyObservation(timestamp: Int64(i) * hour, provider: "p", model: "a", outputTokens: 10,
                                           latencyMs: exp(i % 2 == 0 ? 1.0 : 2.0), ok: true))
        }
        for y in [3.0, 0.0] {
            rows.append(LatencyObservation(timestamp: 40 * hour, provider: "p", model: "a", outputTokens: 10, latencyMs: exp(y), ok: true))
        }
        return rows
    }

    @Test func baselinesMatchAHandComputationAndRowsOfOneInstantDoNotSeeEachOther() throws {
        let rows = Self.smallSeries()
        let result = try LatencyComparison().run(rows, splitAt: 40 * Self.hour)
        #expect(result.trainRows == 40 && result.testRows == 2 && result.evaluatedRows == 2 && result.unseenRows == 0)
        // EWMA (α = 0.3) through the 40 training values; both test rows see the same state.
        var m = 1.0, v = 0.0
        for i in 1..<40 {
            let y = i % 2 == 0 ? 1.0 : 2.0, d = y - m
            m += 0.3 * d
            v = 0.7 * (v + 0.3 * d * d)
        }
        let ewma = try #require(result.latency.first { $0.method == "ewma" })
        #expect(abs(ewma.maeLog - (abs(3 - m) + abs(0 - m)) / 2) < 1e-12)
        #expect(abs(ewma.biasLog - (m - 1.5)) < 1e-12)
        let tail = m + 1.6448536269514722 * v.squareRoot()
        #expect(ewma.tailCoverage == (tail >= 3 ? 1.0 : 0.5))
        // Median of twenty 1s and twenty 2s: 1.5; the 0.95 quantile (linear): 2.
        let median = try #require(result.latency.first { $0.method == "median" })
        #expect(abs(median.maeLog - 1.5) < 1e-12)
        #expect(median.tailCoverage == 0.5)
        #expect(abs(median.tailPinballLoss - (0.95 * 1 + 0.05 * 2) / 2) < 1e-12)
    }

    /// The failure baselines by hand: the training period's rate (smoothed: (failures + ½) ÷
    /// (rows + 1)) and the EWMA of failures (α = 0.3, from that rate), updated causally through the
    /// test period, each scored by log loss, Brier score and AUC.
    @Test func failureBaselinesMatchAHandComputation() throws {
        var rows: [LatencyObservation] = []
        for i in 0..<48 {   // every 4th fails: 36 timed rows (the heads need 30), 12 failures
            let ok = i % 4 != 3
            rows.append(LatencyObservation(timestamp: Int64(i) * Self.hour, provider: "p", model: "a", outputTokens: 10,
                                           latencyMs: ok ? exp(i % 2 == 0 ? 1.0 : 2.0) : nil, ok: ok))
        }
        let failed = [false, true, true, false]
        for (j, f) in failed.enumerated() {
            rows.append(LatencyObservation(timestamp: Int64(48 + j) * Self.hour, provider: "p", model: "a", outputTokens: 10,
                                           latencyMs: f ? nil : exp(1.5), ok: !f))
        }
        let result = try LatencyComparison().run(rows, splitAt: 48 * Self.hour)
        #expect(Set(result.failure.map(\.method)) == ["head", "head_model_region", "ewma", "train_rate"])
        let rate = 12.5 / 49
        var e = rate
        for i in 0..<48 { e += 0.3 * ((i % 4 == 3 ? 1 : 0) - e) }
        var ewma: [Double] = []
        for f in failed {
            ewma.append(e)
            e += 0.3 * ((f ? 1 : 0) - e)
        }
        func logLoss(_ p: [Double]) -> Double { zip(failed, p).map { f, q in -log(f ? q : 1 - q) }.reduce(0, +) / 4 }
        func brier(_ p: [Double]) -> Double { zip(failed, p).map { f, q in (q - (f ? 1 : 0)) * (q - (f ? 1 : 0)) }.reduce(0, +) / 4 }
        let trainRate = try #require(result.failure.first { $0.method == "train_rate" })
        #expect(trainRate.rows == 4 && trainRate.failures == 2)
        #expect(abs(trainRate.logLoss - logLoss([Double](repeating: rate, count: 4))) < 1e-12)
        #expect(abs(trainRate.brier - brier([Double](repeating: rate, count: 4))) < 1e-12)
        #expect(trainRate.auc == 0.5)   // one score for every row: all tied
        let moving = try #require(result.failure.first { $0.method == "ewma" })
        #expect(abs(moving.logLoss - logLoss(ewma)) < 1e-12)
        #expect(abs(moving.brier - brier(ewma)) < 1e-12)
        // The failures' scores against the successes', pair by pair (ties count ½).
        var wins = 0.0
        for i in failed.indices where failed[i] {
            for j in failed.indices where !failed[j] { wins += ewma[i] > ewma[j] ? 1 : ewma[i] == ewma[j] ? 0.5 : 0 }
        }
        #expect(abs((moving.auc ?? .nan) - wins / 4) < 1e-12)
        // Without a failure among the scored rows there is nothing to score.
        let calm = try LatencyComparison().run(rows.filter { $0.ok || $0.timestamp < 48 * Self.hour }, splitAt: 48 * Self.hour)
        #expect(calm.failure.isEmpty && calm.latency.count == LatencyComparison.methods.count)
    }

    @Test func theSplitInstantKeepsRowsMeasuredTogetherTogether() {
        let rows = Self.smallSeries()
        // 42 rows, 30% test: index 29 → instant 29; with 10% test the cut lands inside the last instant's pair.
        #expect(LatencyComparison.splitInstant(rows, testFraction: 0.3) == 29 * Self.hour)
        #expect(LatencyComparison.splitInstant(rows, testFraction: 0.02) == 40 * Self.hour)
    }

    /// Rows at or after the split never change what cross-validation inside the training period scores.
    @Test func crossValidationNeverReadsPastTheSplit() throws {
        var rows = Self.interactionData(days: 6)
        let split = 4 * 24 * Self.hour
        let before = try LatencyComparison().crossValidate(rows, before: split, folds: 3)
        #expect(before.count == 3)
        for i in rows.indices where rows[i].timestamp >= split { rows[i].latencyMs = (rows[i].latencyMs ?? 1) * 50 }
        rows.append(LatencyObservation(timestamp: split + 5, provider: "new", model: "x", latencyMs: 10, ok: true))
        let after = try LatencyComparison().crossValidate(rows, before: split, folds: 3)
        #expect(before == after)
        // And the test scores do change, so the check above could fail.
        let original = try LatencyComparison().run(Self.interactionData(days: 6), splitAt: split)
        let changed = try LatencyComparison().run(rows, splitAt: split)
        #expect(original != changed)
    }

    /// Two models in two regions whose level is a pure interaction (a is slow in eu, b in us).
    static func interactionData(days: Int) -> [LatencyObservation] {
        var rows: [LatencyObservation] = []
        var state: UInt64 = 99
        func noise() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        for step in 0..<(days * 24) {
            for model in ["a", "b"] {
                for region in ["us", "eu"] {
                    let level = (model == "a") == (region == "eu") ? 1.0 : 0.0
                    rows.append(LatencyObservation(timestamp: Int64(step) * hour, provider: "p", model: model, region: region,
                                                   outputTokens: 20, latencyMs: exp(6 + level + 0.2 * noise()), ok: true))
                }
            }
        }
        return rows
    }

    @Test func theModelByRegionHeadLearnsAnInteractionTheAdditiveHeadCannot() throws {
        let rows = Self.interactionData(days: 6)
        let result = try LatencyComparison().run(rows, splitAt: 4 * 24 * Self.hour)
        let mae = Dictionary(uniqueKeysWithValues: result.latency.map { ($0.method, $0.maeLog) })
        #expect(mae["head"]! > 0.4, "\(mae)")               // additive: off by about half the interaction
        #expect(mae["head_model_region"]! < 0.1, "\(mae)")  // the noise is uniform on ±0.1
        #expect(mae["head_online"]! < 0.1, "\(mae)")
        // Keyed by provider/model only, the baselines mix the two regions too.
        #expect(mae["median"]! > 0.4, "\(mae)")
        var config = LatencyComparison.Configuration()
        config.baselinesByRegion = true
        let byRegion = try LatencyComparison(configuration: config).run(rows, splitAt: 4 * 24 * Self.hour)
        #expect(byRegion.latency.first { $0.method == "median" }!.maeLog < 0.1)
    }

    /// A host that becomes three times slower at the split: the static head stays off by ln 3,
    /// the router's correction (`head_adapt`) catches up within a few dozen measurements, and
    /// with a half-life far shorter than the gap between measurements it fades before each one.
    @Test func theRoutersCorrectionFollowsAHostThatSlowsDown() throws {
        let step: Int64 = 10_000_000  // a measurement every 10 s
        var rows: [LatencyObservation] = []
        var state: UInt64 = 7
        for i in 0..<600 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let noise = 0.2 * (Double(state >> 11) / Double(1 << 53) - 0.5)
            let slow = i >= 400 ? log(3.0) : 0
            rows.append(LatencyObservation(timestamp: Int64(i) * step, provider: "p", model: "a", outputTokens: 20,
                                           latencyMs: exp(6 + slow + noise), ok: true))
        }
        let result = try LatencyComparison().run(rows, splitAt: 400 * step)
        let mae = Dictionary(uniqueKeysWithValues: result.latency.map { ($0.method, $0.maeLog) })
        #expect(abs(mae["head"]! - log(3.0)) < 0.05, "\(mae)")
        #expect(mae["head_adapt"]! < 0.25, "\(mae)")
        var config = LatencyComparison.Configuration()
        config.adaptHalfLife = step / 100
        let faded = try LatencyComparison(configuration: config).run(rows, splitAt: 400 * step)
        #expect(abs(faded.latency.first { $0.method == "head_adapt" }!.maeLog - mae["head"]!) < 0.01)
    }

    @Test func badConfigurationAndEmptyPeriodsAreErrors() {
        let rows = Self.smallSeries()
        var config = LatencyComparison.Configuration()
        config.tailQuantile = 1.2
        #expect(throws: LearnError.self) { try LatencyComparison(configuration: config).run(rows, splitAt: 40 * Self.hour) }
        #expect(throws: LearnError.self) { try LatencyComparison().run(rows, splitAt: 0) }
        #expect(throws: LearnError.self) { try LatencyComparison().run(rows, splitAt: 41 * Self.hour) }
    }
}
