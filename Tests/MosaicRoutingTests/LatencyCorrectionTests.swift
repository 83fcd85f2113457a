import Foundation
import MosaicRouting
import Testing

/// ``LatencyCorrection``: the EWMA of observed ÷ predicted and its fading, by hand.
@Suite struct LatencyCorrectionTests {
    @Test func theRatioIsAnEWMAThatFadesWithItsHalfLife() {
        var c = LatencyCorrection(halfLife: 60 * RoutingTime.second)
        #expect(c.factor(now: 0) == 1)
        c.note(observedMs: 300, predictedMs: 100, alpha: 0.5, now: 0)        // the first attempt sets it: 3
        #expect(c.factor(now: 0) == 3)
        c.note(observedMs: 100, predictedMs: 100, alpha: 0.5, now: 0)        // 0.5·1 + 0.5·3
        #expect(c.factor(now: 0) == 2)
        // It holds for a half-life; one more later, half the distance from 1 is left; two, a quarter.
        #expect(c.factor(now: 60 * RoutingTime.second) == 2)
        #expect(c.factor(now: 120 * RoutingTime.second) == 1.5)
        #expect(c.factor(now: 180 * RoutingTime.second) == 1.25)
        // A new attempt continues from the faded value: 0.5·4 + 0.5·1.5.
        c.note(observedMs: 400, predictedMs: 100, alpha: 0.5, now: 120 * RoutingTime.second)
        #expect(c.factor(now: 120 * RoutingTime.second) == 2.75)
    }

    @Test func valuesThatCannotBeARatioAreIgnored() {
        var c = LatencyCorrection()
        for (observed, predicted) in [(Double.nan, 100.0), (-1, 100), (.infinity, 100), (100, 0), (100, -5), (100, .nan)] {
            c.note(observedMs: observed, predictedMs: predicted, alpha: 0.1, now: 0)
        }
        #expect(!c.seen && c.factor(now: 0) == 1)
        #expect(c.halfLife == LatencyCorrection.defaultHalfLife)
    }
}
