/// RouteLLM's router metrics for a strong/weak pair, from per-prompt correctness and a router
/// score (higher: the weak model is more likely good enough).
///
/// Sending the `k` prompts with the lowest scores to the strong model and the rest to the weak
/// one gives an accuracy; the performance gap recovered is
/// `PGR(k) = (acc(k) − acc(weak)) / (acc(strong) − acc(weak))`. APGR is the area under PGR
/// against the share of strong calls `k/n` (trapezoids over every k); a random router's
/// expected APGR is 0.5. CPT(x) is the smallest share of strong calls with PGR ≥ x.
///
/// Tied scores take their expected value under random tie-breaking: within a run of equal
/// scores the curve is linear between the run's ends (each prompt of the run is as likely as
/// any other to be sent first). So a router that cannot tell prompts apart (a group prior for
/// prompts of one group, or of none) scores APGR 0.5 exactly, not whatever the file's order
/// happens to give.
public struct RouterEvaluation: Sendable, Equatable, Codable {
    public var count: Int
    public var strongAccuracy: Double
    public var weakAccuracy: Double
    public var apgr: Double
    public var cpt50: Double
    public var cpt80: Double
    /// PGR at each share of strong calls 0, 1/n, …, 1.
    public var curve: [Double]

    /// Whether there is a gap to recover: the strong model is more accurate than the weak one.
    /// Without one, APGR and CPT mean nothing (a cross-validation mean leaves such a fold out).
    public var hasGap: Bool { strongAccuracy > weakAccuracy }

    public init(strongCorrect: [Bool], weakCorrect: [Bool], weakScore: [Double]) {
        precondition(strongCorrect.count == weakCorrect.count && weakCorrect.count == weakScore.count)
        let n = strongCorrect.count
        count = n
        let strongTotal = strongCorrect.filter { $0 }.count
        let weakTotal = weakCorrect.filter { $0 }.count
        strongAccuracy = n == 0 ? 0 : Double(strongTotal) / Double(n)
        weakAccuracy = n == 0 ? 0 : Double(weakTotal) / Double(n)
        // Strong first for the prompts the router trusts the weak model least with.
        let order = (0..<n).sorted { weakScore[$0] != weakScore[$1] ? weakScore[$0] < weakScore[$1] : $0 < $1 }
        let gap = Double(strongTotal - weakTotal)
        var correct = weakTotal
        var curve = [0.0]
        curve.reserveCapacity(n + 1)
        for i in order {
            correct += (strongCorrect[i] ? 1 : 0) - (weakCorrect[i] ? 1 : 0)
            curve.append(gap == 0 ? 0 : Double(correct - weakTotal) / gap)
        }
        if n > 0 { curve[0] = 0 }
        // Runs of equal scores: the expected curve is linear between the run's ends.
        var start = 0
        while start < n {
            var end = start + 1
            while end < n && weakScore[order[end]] == weakScore[order[start]] { end += 1 }
            if end - start > 1 {
                let a = curve[start], b = curve[end]
                for k in (start + 1)..<end { curve[k] = a + (b - a) * Double(k - start) / Double(end - start) }
            }
            start = end
        }
        self.curve = curve
        var area = 0.0
        if n > 0 {
            for k in 0..<n { area += (curve[k] + curve[k + 1]) / 2 }
            area /= Double(n)
        }
        apgr = area
        func cpt(_ target: Double) -> Double {
            guard let k = curve.firstIndex(where: { $0 >= target }) else { return 1 }
            return n == 0 ? 0 : Double(k) / Double(n)
        }
        cpt50 = cpt(0.5)
        cpt80 = cpt(0.8)
    }
}
