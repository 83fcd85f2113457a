import Foundation
import MosaicCore
import MosaicLearn
import Testing

@Suite struct MetricsTests {
    @Test func regressionMetricsByHand() {
        let y: [Double] = [1, 2, 3], p: [Double] = [1, 2, 5]
        #expect(abs(Metrics.rmse(y, p) - (4.0 / 3).squareRoot()) < 1e-15)
        #expect(abs(Metrics.mae(y, p) - 2.0 / 3) < 1e-15)
        #expect(abs(Metrics.r2(y, p) - -1) < 1e-15)  // SS_res 4, SS_tot 2
        #expect(Metrics.r2([2, 2], [2, 2]) == 1)
        #expect(Metrics.r2([2, 2], [2, 3]) == 0)
        #expect(abs(Metrics.pinballLoss(y, [2, 2, 2], quantile: 0.9) - 1.0 / 3) < 1e-15)  // 0.1 + 0 + 0.9
        #expect(Metrics.rmse([], []).isNaN)
    }

    @Test func classificationMetricsByHand() {
        #expect(abs(Metrics.logLoss(y: [true, false], p: [0.8, 0.4]) - -(log(0.8) + log(0.6)) / 2) < 1e-15)
        #expect(Metrics.logLoss(y: [true], p: [0]).isFinite)  // clipped, not infinite
        #expect(abs(Metrics.brier(y: [true, false], p: [0.8, 0.4]) - 0.1) < 1e-15)
        #expect(Metrics.auc(y: [false, false, true, true], score: [0.1, 0.4, 0.35, 0.8]) == 0.75)
        // A tied positive/negative pair counts one half: (0.5 + 1 + 1 + 1) / 4.
        #expect(Metrics.auc(y: [false, true, false, true], score: [0.5, 0.5, 0.2, 0.9]) == 0.875)
        #expect(Metrics.auc(y: [true, true], score: [0.1, 0.2]).isNaN)
    }

    @Test func calibrationByHand() {
        let bins = Metrics.calibration(y: [false, true, false, true, true], p: [0.05, 0.1, 0.15, 0.95, 1.0], bins: 10)
        #expect(bins.count == 3)
        #expect(bins[0].lower == 0 && bins[0].upper == 0.1 && bins[0].count == 2)  // 0.1 belongs to the first bin
        #expect(abs(bins[0].meanPredicted - 0.075) < 1e-15 && bins[0].observedRate == 0.5)
        #expect(bins[1].count == 1 && bins[1].observedRate == 0)
        #expect(bins[2].upper == 1 && bins[2].count == 2 && bins[2].observedRate == 1 && bins[2].meanPredicted == 0.975)
    }

    static let sklearnMetrics = #"""
        import json, sys
        import numpy as np
        from sklearn.metrics import (roc_auc_score, log_loss, brier_score_loss, r2_score, mean_absolute_error,
                                     mean_squared_error, mean_pinball_loss)
        from sklearn.calibration import calibration_curve
        d = json.loads(sys.argv[1])
        yb, p, y, f = np.array(d["yb"]), np.array(d["p"]), np.array(d["y"]), np.array(d["f"])
        out = [roc_auc_score(yb, p), log_loss(yb, p), brier_score_loss(yb, p), r2_score(y, f),
               mean_absolute_error(y, f), np.sqrt(mean_squared_error(y, f)), mean_pinball_loss(y, f, alpha=0.8)]
        t, m = calibration_curve(yb, p, n_bins=10)
        print(*[repr(float(v)) for v in out + list(t) + list(m)])
        """#

    @Test(.enabled(if: TestData.hasSklearn, "python3 with scikit-learn is not installed"))
    func agreesWithSklearn() throws {
        var random = SeededRandom(seed: 50)
        let n = 500
        // Scores rounded to two decimals so that many tie, and some land exactly on bin edges.
        let p = (0..<n).map { _ in (random.uniform() * 100).rounded() / 100 }
        let yb = p.map { random.uniform() < $0 }
        let y = (0..<n).map { _ in random.normal() }
        let f = y.map { $0 + 0.5 * random.normal() }
        let ref = try TestData.python(Self.sklearnMetrics, ["yb": yb.map { $0 ? 1 : 0 }, "p": p, "y": y, "f": f])
        let bins = Metrics.calibration(y: yb, p: p, bins: 10)
        try #require(ref.count == 7 + 2 * bins.count)
        let mine = [Metrics.auc(y: yb, score: p), Metrics.logLoss(y: yb, p: p), Metrics.brier(y: yb, p: p),
                    Metrics.r2(y, f), Metrics.mae(y, f), Metrics.rmse(y, f), Metrics.pinballLoss(y, f, quantile: 0.8)]
            + bins.map(\.observedRate) + bins.map(\.meanPredicted)
        for k in mine.indices { #expect(abs(mine[k] - ref[k]) < 1e-12 * max(1, abs(ref[k])), "value \(k)") }
    }
}
