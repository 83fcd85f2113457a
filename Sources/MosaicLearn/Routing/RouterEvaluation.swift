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
        let gap = strongTotal - weakTotal
        // The gap recovered at each k, as the exact fraction recovered / runLength: whole
        // prompts outside runs of equal scores (denominator 1); inside a run, the expected
        // value, linear between the run's ends. CPT compares these exactly: in doubles the
        // middle of a run read 0.49999999999999994 for one half, and CPT50 one prompt late.
        var recovered = [0], per = [1]
        recovered.reserveCapacity(n + 1)
        per.reserveCapacity(n + 1)
        var correct = weakTotal
        for i in order {
            correct += (strongCorrect[i] ? 1 : 0) - (weakCorrect[i] ? 1 : 0)
            recovered.append(correct - weakTotal)
            per.append(1)
        }
        var start = 0
        while start < n {
            var end = start + 1
            while end < n && weakScore[order[end]] == weakScore[order[start]] { end += 1 }
            if end - start > 1 {
                let a = recovered[start], b = recovered[end], m = end - start
                for k in (start + 1)..<end {
                    recovered[k] = a * m + (b - a) * (k - start)
                    per[k] = m
                }
            }
            start = end
        }
        let curve = (0...n).map { k in gap == 0 ? 0 : Double(recovered[k]) / Double(per[k]) / Double(gap) }
        self.curve = curve
        var area = 0.0
        if n > 0 {
            for k in 0..<n { area += (curve[k] + curve[k + 1]) / 2 }
            area /= Double(n)
        }
        apgr = area
        /// The smallest share of strong calls whose PGR reaches `parts`/`whole`, compared exactly.
        func cpt(_ parts: Int, _ whole: Int) -> Double {
            let reached: (Int) -> Bool = gap > 0
                ? { recovered[$0] * whole >= parts * gap * per[$0] }
                : { curve[$0] >= Double(parts) / Double(whole) }
            guard let k = (0...n).first(where: reached) else { return 1 }
            return n == 0 ? 0 : Double(k) / Double(n)
        }
        cpt50 = cpt(1, 2)
        cpt80 = cpt(4, 5)
    }
}
