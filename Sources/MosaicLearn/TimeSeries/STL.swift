/// Seasonal-trend decomposition by LOESS (Cleveland, Cleveland, McRae & Terpenning 1990),
/// computed as the NETLIB `stl` Fortran does (and statsmodels' `STL`, which ports it).
///
/// **Inner loop** (`innerIterations` times): detrend; smooth each cycle-subseries (all values
/// at one position of the cycle) by LOESS of width ``seasonal``, extended one cycle at both
/// ends; low-pass filter that (moving averages of length m, m and 3, then LOESS of width
/// ``lowPass``) and subtract it, giving the seasonal component; deseasonalise and smooth by
/// LOESS of width ``trend``, giving the trend.
///
/// **Outer loop** (`outerIterations` times, when ``robust``): bisquare robustness weights from
/// the remainder, `(1 − (r / 6·median|r|)²)²`, multiply the LOESS weights of the next inner
/// loops, so outliers (a shutdown, a burst) neither bend the seasonal profile nor the trend.
///
/// Defaults are statsmodels': trend width the smallest odd integer ≥ `1.5m / (1 − 1.5/ns)`,
/// low-pass width the smallest odd integer > m, local linear fits, 5 inner and no outer
/// iterations (2 and 15 when robust). A `jump` above 1 evaluates the LOESS every `jump` points
/// and interpolates linearly in between (faster, as the Fortran allows).
public struct STL: Codable, Hashable, Sendable {
    /// The period m of the seasonal component, at least 2.
    public var period: Int
    /// The seasonal smoother's width (odd, ≥ 3).
    public var seasonal: Int
    /// The trend smoother's width (odd, > m); nil for the default.
    public var trend: Int?
    /// The low-pass filter's width (odd, > m); nil for the default.
    public var lowPass: Int?
    /// The degree of the seasonal LOESS: 1 (local linear, statsmodels' default) or 0 (local
    /// constant, what statsforecast's `mstl` asks for).
    public var seasonalDegree: Int = 1
    /// Whether to run the outer robustness loop.
    public var robust: Bool
    /// Inner iterations; nil for 5 (2 when robust).
    public var innerIterations: Int?
    /// Outer iterations; nil for 0 (15 when robust).
    public var outerIterations: Int?
    /// LOESS evaluation steps for the seasonal, trend and low-pass smoothers (1: every point).
    public var seasonalJump: Int = 1
    public var trendJump: Int = 1
    public var lowPassJump: Int = 1

    public init(period: Int, seasonal: Int = 7, seasonalDegree: Int = 1, trend: Int? = nil, lowPass: Int? = nil,
                robust: Bool = false, innerIterations: Int? = nil, outerIterations: Int? = nil) {
        self.period = period
        self.seasonalDegree = seasonalDegree
        self.seasonal = seasonal
        self.trend = trend
        self.lowPass = lowPass
        self.robust = robust
        self.innerIterations = innerIterations
        self.outerIterations = outerIterations
    }

    /// The same configuration with LOESS jumps of about 10–15 % of each width (Cleveland et al.'s
    /// advice for speed); the decomposition then differs slightly from the jump-1 one.
    public func withFastJumps() -> STL {
        var s = self
        s.seasonalJump = max(1, Int((Double(seasonal) / 10).rounded(.up)))
        s.trendJump = max(1, Int((Double(trendWidth) / 10).rounded(.up)))
        s.lowPassJump = max(1, Int((Double(lowPassWidth) / 10).rounded(.up)))
        return s
    }

    /// The trend width used.
    public var trendWidth: Int {
        if let trend { return trend }
        var t = Int((1.5 * Double(period) / (1 - 1.5 / Double(seasonal))).rounded(.up))
        if t % 2 == 0 { t += 1 }
        return t
    }

    /// The low-pass width used.
    public var lowPassWidth: Int {
        if let lowPass { return lowPass }
        let l = period + 1
        return l % 2 == 0 ? l + 1 : l
    }

    /// Seasonal, trend and remainder (`y = seasonal + trend + remainder`) and the final
    /// robustness weights (all 1 without the outer loop).
    public struct Decomposition: Codable, Equatable, Sendable {
        public var seasonal: [Double]
        public var trend: [Double]
        public var remainder: [Double]
        public var weights: [Double]
    }

    /// Decomposes `y`.
    ///
    /// - Complexity: O(n · (ns + nt/jump + nl/jump)) per inner iteration.
    /// - Throws: ``LearnError/invalidConfiguration(_:)`` for widths that are not odd and ≥ 3 (trend
    ///   and low-pass > m) or a period below 2; ``LearnError/dimensionMismatch(_:)`` for no
    ///   value past one full cycle (statsmodels decomposes fewer than two cycles too);
    ///   ``LearnError/nonFinite(_:)`` for NaN or infinity.
    public func decompose(_ y: [Double]) throws(LearnError) -> Decomposition {
        let m = period, nt = trendWidth, nl = lowPassWidth
        guard m >= 2 else { throw .invalidConfiguration("STL needs a period of at least 2, got \(m)") }
        guard seasonal >= 3, seasonal % 2 == 1 else {
            throw .invalidConfiguration("STL's seasonal width must be odd and at least 3, got \(seasonal)")
        }
        guard nt >= 3, nt % 2 == 1, nt > m else {
            throw .invalidConfiguration("STL's trend width must be odd, at least 3 and above the period \(m), got \(nt)")
        }
        guard nl >= 3, nl % 2 == 1, nl > m else {
            throw .invalidConfiguration("STL's low-pass width must be odd, at least 3 and above the period \(m), got \(nl)")
        }
        guard seasonalDegree == 0 || seasonalDegree == 1 else {
            throw .invalidConfiguration("STL's seasonal degree must be 0 or 1, got \(seasonalDegree)")
        }
        guard seasonalJump >= 1, trendJump >= 1, lowPassJump >= 1 else {
            throw .invalidConfiguration("STL's jumps must be at least 1")
        }
        try SeriesInput.check(y, minimum: m + 1, model: "STL with period \(m)")
        let inner = innerIterations ?? (robust ? 2 : 5)
        let outer = outerIterations ?? (robust ? 15 : 0)
        var state = STLState(y: y, period: m, ns: seasonal, seasonalDegree: seasonalDegree, nt: nt, nl: nl,
                             jumps: (seasonalJump, trendJump, lowPassJump))
        var k = 0
        while true {
            state.step(iterations: inner)
            k += 1
            if k > outer { break }
            state.updateRobustnessWeights()
        }
        let remainder = y.indices.map { y[$0] - state.season[$0] - state.trend[$0] }
        return Decomposition(seasonal: state.season, trend: state.trend, remainder: remainder, weights: state.rw)
    }
}

/// The working arrays of one decomposition (the Fortran's `work` columns), 1-based logic on
/// 0-based arrays: a LOESS "position" `xs` counts from 1 as in the Fortran.
struct STLState {
    let y: [Double]
    let n: Int, np: Int, ns: Int, nt: Int, nl: Int, seasonalDegree: Int
    let jumps: (seasonal: Int, trend: Int, lowPass: Int)
    var season: [Double], trend: [Double], rw: [Double]
    var useWeights = false
    // Scratch.
    var w0: [Double], w1: [Double], w2: [Double], w3: [Double], w4: [Double]
    var sub: [Double], subWeights: [Double], subSmooth: [Double], subScratch: [Double]

    init(y: [Double], period: Int, ns: Int, seasonalDegree: Int, nt: Int, nl: Int, jumps: (Int, Int, Int)) {
        self.y = y
        self.seasonalDegree = seasonalDegree
        n = y.count
        np = period
        self.ns = ns
        self.nt = nt
        self.nl = nl
        self.jumps = jumps
        season = [Double](repeating: 0, count: n)
        trend = [Double](repeating: 0, count: n)
        rw = [Double](repeating: 1, count: n)
        let len = n + 2 * period
        w0 = [Double](repeating: 0, count: len)
        w1 = w0; w2 = w0; w3 = w0; w4 = w0
        let k = n / period + 3
        sub = [Double](repeating: 0, count: k)
        subWeights = sub; subSmooth = sub; subScratch = sub
    }

    /// One inner loop, `iterations` times.
    mutating func step(iterations: Int) {
        for _ in 0..<iterations {
            for i in 0..<n { w0[i] = y[i] - trend[i] }
            seasonalSmooth()  // → w1 (n + 2np values)
            lowPassFilter()   // w1 → w2 (n values: the three moving averages)
            STLState.loess(w2, n: n, width: nl, jump: jumps.lowPass, weights: nil, into: &w0, scratch: &w4)
            for i in 0..<n {
                season[i] = w1[np + i] - w0[i]
                w0[i] = y[i] - season[i]
            }
            STLState.loess(w0, n: n, width: nt, jump: jumps.trend, weights: useWeights ? rw : nil,
                           into: &trend, scratch: &w2)
        }
    }

    /// Smooths each cycle-subseries of `w0` by LOESS, extended by one value at each end, into `w1`.
    mutating func seasonalSmooth() {
        for j in 0..<np {
            let k = (n - (j + 1)) / np + 1
            for i in 0..<k { sub[i] = w0[i * np + j] }
            if useWeights { for i in 0..<k { subWeights[i] = rw[i * np + j] } }
            let weights: [Double]? = useWeights ? subWeights : nil
            STLState.loess(sub, n: k, width: ns, degree: seasonalDegree, jump: jumps.seasonal, weights: weights, into: &subSmooth, scratch: &subScratch,
                           offset: 1)
            let first = STLState.estimate(sub, n: k, width: ns, degree: seasonalDegree, xs: 0, left: 1, right: min(ns, k), weights: weights,
                                          scratch: &subScratch)
            subSmooth[0] = first ?? subSmooth[1]
            let last = STLState.estimate(sub, n: k, width: ns, degree: seasonalDegree, xs: k + 1, left: max(1, k - ns + 1), right: k,
                                         weights: weights, scratch: &subScratch)
            subSmooth[k + 1] = last ?? subSmooth[k]
            for m in 0..<(k + 2) { w1[m * np + j] = subSmooth[m] }
        }
    }

    /// Moving averages of lengths np, np and 3 of `w1` (n + 2np values) into `w2` (n values).
    mutating func lowPassFilter() {
        STLState.movingAverage(w1, count: n + 2 * np, length: np, into: &w2)
        STLState.movingAverage(w2, count: n + np + 1, length: np, into: &w0)
        STLState.movingAverage(w0, count: n + 2, length: 3, into: &w2)
    }

    /// Bisquare weights from |y − (trend + season)| and 6 × their median.
    mutating func updateRobustnessWeights() {
        var r = (0..<n).map { abs(y[$0] - trend[$0] - season[$0]) }
        let sorted = r.sorted()
        let mid0 = n / 2, mid1 = n - mid0 - 1
        let cmad = 3 * (sorted[mid0] + sorted[mid1])
        if cmad == 0 {
            for i in 0..<n { rw[i] = 1 }
        } else {
            let c9 = 0.999 * cmad, c1 = 0.001 * cmad
            for i in 0..<n {
                if r[i] <= c1 {
                    r[i] = 1
                } else if r[i] <= c9 {
                    let u = r[i] / cmad
                    r[i] = (1 - u * u) * (1 - u * u)
                } else {
                    r[i] = 0
                }
            }
            rw = r
        }
        useWeights = true
    }

    static func movingAverage(_ x: [Double], count n: Int, length len: Int, into ave: inout [Double]) {
        let newn = n - len + 1
        let flen = Double(len)
        var v = 0.0
        for i in 0..<len { v += x[i] }
        ave[0] = v / flen
        var k = len, m = 0
        for j in 1..<max(newn, 1) {
            v += x[k] - x[m]
            ave[j] = v / flen
            k += 1
            m += 1
        }
    }

    /// The Fortran's `stlest`: the LOESS value at position `xs` (1-based) from the values
    /// `left…right` (1-based, inclusive); nil when every weight is 0.
    static func estimate(_ y: [Double], n: Int, width len: Int, degree: Int = 1, xs: Int, left: Int, right: Int, weights rw: [Double]?,
                         scratch w: inout [Double]) -> Double? {
        let range = Double(n) - 1
        var h = Double(max(xs - left, right - xs))
        if len > n { h += Double((len - n) / 2) }
        let h9 = 0.999 * h, h1 = 0.001 * h
        var a = 0.0
        for j in (left - 1)..<right {
            w[j] = 0
            let r = abs(Double(j + 1 - xs))
            if r <= h9 {
                if r <= h1 {
                    w[j] = 1
                } else {
                    let u = r / h
                    let c = 1 - u * u * u
                    w[j] = c * c * c
                }
                if let rw { w[j] *= rw[j] }
                a += w[j]
            }
        }
        guard a > 0 else { return nil }
        for j in (left - 1)..<right { w[j] /= a }
        if h > 0 && degree > 0 {
            a = 0
            for j in (left - 1)..<right { a += w[j] * Double(j + 1) }
            var b = Double(xs) - a
            var c = 0.0
            for j in (left - 1)..<right { let d = Double(j + 1) - a; c += w[j] * d * d }
            if c.squareRoot() > 0.001 * range {
                b /= c
                for j in (left - 1)..<right { w[j] *= b * (Double(j + 1) - a) + 1 }
            }
        }
        var ys = 0.0
        for j in (left - 1)..<right { ys += w[j] * y[j] }
        return ys
    }

    /// The Fortran's `stless`: LOESS of width `len` (local linear) at every `jump`-th point of
    /// `y[0..<n]`, interpolated linearly in between, written to `ys[offset...]`.
    static func loess(_ y: [Double], n: Int, width len: Int, degree: Int = 1, jump: Int, weights rw: [Double]?, into ys: inout [Double],
                      scratch res: inout [Double], offset: Int = 0) {
        if n < 2 { ys[offset] = y[0]; return }
        let newnj = min(jump, n - 1)
        var nleft = 0, nright = 0
        if len >= n {
            nleft = 1
            nright = n
            var i = 0
            while i < n {
                ys[offset + i] = estimate(y, n: n, width: len, degree: degree, xs: i + 1, left: nleft, right: nright, weights: rw, scratch: &res) ?? y[i]
                i += newnj
            }
        } else if newnj == 1 {
            let nsh = (len + 2) / 2
            nleft = 1
            nright = len
            for i in 0..<n {
                if i + 1 > nsh && nright != n { nleft += 1; nright += 1 }
                ys[offset + i] = estimate(y, n: n, width: len, degree: degree, xs: i + 1, left: nleft, right: nright, weights: rw, scratch: &res) ?? y[i]
            }
        } else {
            let nsh = (len + 1) / 2
            var i = 0
            while i < n {
                if i + 1 < nsh {
                    nleft = 1; nright = len
                } else if i + 1 >= n - nsh + 1 {
                    nleft = n - len + 1; nright = n
                } else {
                    nleft = i + 1 - nsh + 1; nright = len + i + 1 - nsh
                }
                ys[offset + i] = estimate(y, n: n, width: len, degree: degree, xs: i + 1, left: nleft, right: nright, weights: rw, scratch: &res) ?? y[i]
                i += newnj
            }
        }
        guard newnj > 1 else { return }
        var i = 0
        while i < n - newnj {
            let delta = (ys[offset + i + newnj] - ys[offset + i]) / Double(newnj)
            for j in i..<(i + newnj) { ys[offset + j] = ys[offset + i] + delta * Double(j - i) }
            i += newnj
        }
        let k = ((n - 1) / newnj) * newnj + 1
        if k != n {
            ys[offset + n - 1] = estimate(y, n: n, width: len, degree: degree, xs: n, left: nleft, right: nright, weights: rw, scratch: &res) ?? y[n - 1]
            if k != n - 1 {
                let delta = (ys[offset + n - 1] - ys[offset + k - 1]) / Double(n - k)
                for j in k..<n { ys[offset + j] = ys[offset + k - 1] + delta * Double(j + 1 - k) }
            }
        }
    }
}
