import MosaicRouting
/// Scores for fitted models, computed as scikit-learn computes them.
///
/// Contracts for every function: the two arrays have the same count (a precondition: a
/// mismatch is a programming error), and an empty input gives NaN. NaN in the input gives NaN.
public enum Metrics {
    /// Root mean squared error `√(mean (yᵢ − ŷᵢ)²)`. O(n).
    public static func rmse(_ y: [Double], _ prediction: [Double]) -> Double {
        meanSquaredError(y, prediction).squareRoot()
    }

    /// Mean squared error. O(n).
    public static func meanSquaredError(_ y: [Double], _ prediction: [Double]) -> Double {
        mean(y, prediction) { let d = $0 - $1; return d * d }
    }

    /// Mean absolute error. O(n).
    public static func mae(_ y: [Double], _ prediction: [Double]) -> Double {
        mean(y, prediction) { abs($0 - $1) }
    }

    /// The coefficient of determination `1 − SS_res / SS_tot`. When `y` is constant it is 1 for
    /// a perfect prediction and 0 otherwise (scikit-learn's `force_finite`). O(n).
    public static func r2(_ y: [Double], _ prediction: [Double]) -> Double {
        precondition(y.count == prediction.count, "r2: \(y.count) targets against \(prediction.count) predictions")
        if y.isEmpty { return .nan }
        let yMean = y.reduce(0, +) / Double(y.count)
        var residual = 0.0, total = 0.0
        for i in y.indices {
            residual += (y[i] - prediction[i]) * (y[i] - prediction[i])
            total += (y[i] - yMean) * (y[i] - yMean)
        }
        if total == 0 { return residual == 0 ? 1 : 0 }
        return 1 - residual / total
    }

    /// Mean pinball (quantile) loss `mean ρ_τ(yᵢ − ŷᵢ)`, `ρ_τ(r) = max(τr, (τ − 1)r)`. O(n).
    ///
    /// - Precondition: `0 < quantile < 1`.
    public static func pinballLoss(_ y: [Double], _ prediction: [Double], quantile: Double) -> Double {
        precondition(quantile > 0 && quantile < 1, "pinball loss quantile must be in (0, 1), got \(quantile)")
        return mean(y, prediction) { let r = $0 - $1; return r >= 0 ? quantile * r : (quantile - 1) * r }
    }

    /// Mean log-loss (cross-entropy) of probabilities `p` for labels `y`; `p` is clipped to
    /// `[ε, 1 − ε]` with ε the machine epsilon, as scikit-learn's `log_loss` does. O(n).
    public static func logLoss(y: [Bool], p: [Double]) -> Double {
        precondition(y.count == p.count, "logLoss: \(y.count) labels against \(p.count) probabilities")
        if y.isEmpty { return .nan }
        let eps = Double.ulpOfOne
        var sum = 0.0
        for i in y.indices {
            let q = min(max(p[i], eps), 1 - eps)
            sum -= y[i] ? _log(q) : _log(1 - q)
        }
        return sum / Double(y.count)
    }

    /// The Brier score `mean (pᵢ − yᵢ)²`. O(n).
    public static func brier(y: [Bool], p: [Double]) -> Double {
        precondition(y.count == p.count, "brier: \(y.count) labels against \(p.count) probabilities")
        if y.isEmpty { return .nan }
        var sum = 0.0
        for i in y.indices { let d = p[i] - (y[i] ? 1 : 0); sum += d * d }
        return sum / Double(y.count)
    }

    /// The area under the ROC curve: the probability that a random positive scores above a
    /// random negative, ties counting one half (the Mann–Whitney statistic with average ranks,
    /// which equals scikit-learn's `roc_auc_score`). NaN unless both classes are present.
    ///
    /// - Complexity: O(n log n).
    public static func auc(y: [Bool], score: [Double]) -> Double {
        precondition(y.count == score.count, "auc: \(y.count) labels against \(score.count) scores")
        let positives = y.reduce(0) { $0 + ($1 ? 1 : 0) }
        let negatives = y.count - positives
        if positives == 0 || negatives == 0 { return .nan }
        let order = score.indices.sorted { score[$0] < score[$1] }
        var positiveRankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && score[order[end]] == score[order[start]] { end += 1 }
            let averageRank = Double(start + 1 + end) / 2  // ranks start + 1 … end
            for k in start..<end where y[order[k]] { positiveRankSum += averageRank }
            start = end
        }
        let p = Double(positives), n = Double(negatives)
        return (positiveRankSum - p * (p + 1) / 2) / (p * n)
    }

    /// Reliability table: predictions grouped into `bins` equal-width bins over [0, 1], with the
    /// mean prediction and the observed positive rate in each. Bins are closed on the right
    /// (the first also holds 0), as in scikit-learn's `calibration_curve(strategy="uniform")`;
    /// empty bins are left out.
    ///
    /// - Complexity: O(n log bins).
    /// - Precondition: `bins >= 1`; probabilities in [0, 1].
    public static func calibration(y: [Bool], p: [Double], bins: Int = 10) -> [CalibrationBin] {
        precondition(y.count == p.count, "calibration: \(y.count) labels against \(p.count) probabilities")
        precondition(bins >= 1, "calibration needs at least one bin")
        let step = 1 / Double(bins)
        let edges = (0...bins).map { $0 == bins ? 1 : Double($0) * step }
        var count = [Int](repeating: 0, count: bins)
        var predicted = [Double](repeating: 0, count: bins)
        var observed = [Double](repeating: 0, count: bins)
        for i in p.indices {
            let b = binIndex(p[i], interiorEdges: edges[1..<bins])
            count[b] += 1
            predicted[b] += p[i]
            if y[i] { observed[b] += 1 }
        }
        return (0..<bins).compactMap { b in
            count[b] == 0 ? nil : CalibrationBin(lower: edges[b], upper: edges[b + 1], count: count[b],
                                                 meanPredicted: predicted[b] / Double(count[b]),
                                                 observedRate: observed[b] / Double(count[b]))
        }
    }

    // MARK: Helpers

    static func mean(_ y: [Double], _ prediction: [Double], _ term: (Double, Double) -> Double) -> Double {
        precondition(y.count == prediction.count, "\(y.count) targets against \(prediction.count) predictions")
        if y.isEmpty { return .nan }
        var sum = 0.0
        for i in y.indices { sum += term(y[i], prediction[i]) }
        return sum / Double(y.count)
    }

    /// numpy's `searchsorted(interiorEdges, v, side="left")`: the number of edges below `v`.
    static func binIndex(_ v: Double, interiorEdges: ArraySlice<Double>) -> Int {
        var lo = interiorEdges.startIndex, hi = interiorEdges.endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if interiorEdges[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        return lo - interiorEdges.startIndex
    }
}

/// One row of a reliability table (see ``Metrics/calibration(y:p:bins:)``): the routing model
/// file's calibration row, so trainers store what they compute.
public typealias CalibrationBin = CalibrationRow
