import MosaicLinalg

/// Autoregressions on a subset of lags, `rₜ = Σᵢ φᵢ rₜ₋ₗᵢ + εₜ`, fitted by least squares
/// (``LeastSquares`` without an intercept, i.e. LAPACK), as pure functions.
enum Autoregression {
    /// A chosen lag set, its coefficients and its innovations.
    struct Fit {
        var lags: [Int]
        var coefficients: [Double]
        /// Sum of squared innovations over the common sample.
        var sse: Double
        /// The number of innovations in the common sample.
        var count: Int
        var aicc: Double?
    }

    /// Fits `lags` to `r` over the sample `t ∈ [start, n)` (`start` at least the largest lag,
    /// so that every candidate is scored on the same values). An empty lag set is white noise.
    static func fit(_ r: [Double], lags: [Int], start: Int) -> Fit? {
        let n = r.count
        let rows = n - start
        guard rows > lags.count + 1, start >= (lags.max() ?? 0) else { return nil }
        let target = Array(r[start..<n])
        if lags.isEmpty {
            let sse = target.reduce(0) { $0 + $1 * $1 }
            return Fit(lags: [], coefficients: [], sse: sse, count: rows,
                       aicc: ForecastMath.aicc(sse: sse, count: rows, parameters: 1))
        }
        var design = [Double](repeating: 0, count: rows * lags.count)
        for (j, lag) in lags.enumerated() {
            for i in 0..<rows { design[j * rows + i] = r[start + i - lag] }
        }
        guard let solved = try? LeastSquares(fitIntercept: false).fit(Matrix(rows: rows, columns: lags.count, columnMajor: design), target)
        else { return nil }
        let phi = solved.model.coefficients
        var sse = 0.0
        for i in 0..<rows {
            var e = target[i]
            for (j, lag) in lags.enumerated() { e -= phi[j] * r[start + i - lag] }
            sse += e * e
        }
        return Fit(lags: lags, coefficients: phi, sse: sse, count: rows,
                   aicc: ForecastMath.aicc(sse: sse, count: rows, parameters: lags.count + 1))
    }

    /// The lag set `{1 … p} ∪ seasonalLags` with `p ∈ 0 … maxOrder` of lowest AICc, all scored
    /// on the common sample after the largest candidate lag. Falls back to white noise when no
    /// candidate can be fitted or the residuals are exactly 0.
    static func select(_ r: [Double], maxOrder: Int, seasonalLags: [Int]) -> Fit {
        let start = max(maxOrder, seasonalLags.max() ?? 0)
        let whiteNoise = Fit(lags: [], coefficients: [], sse: r.reduce(0) { $0 + $1 * $1 }, count: r.count, aicc: nil)
        guard r.contains(where: { $0 != 0 }) else { return whiteNoise }
        var best: Fit? = nil
        for p in 0...max(0, maxOrder) {
            let lags = Array(Set(Array(stride(from: 1, through: p, by: 1)) + seasonalLags)).sorted()
            guard let candidate = fit(r, lags: lags, start: start) else { continue }
            if best == nil || (candidate.aicc ?? .infinity) < (best!.aicc ?? .infinity) { best = candidate }
        }
        return best ?? whiteNoise
    }

    /// The MA(∞) weights `ψ₀ = 1, ψⱼ = Σᵢ φᵢ ψⱼ₋ₗᵢ` of the autoregression, for `count` steps:
    /// the h-step forecast error variance is `σ² Σ_{j<h} ψⱼ²`.
    static func psiWeights(lags: [Int], coefficients phi: [Double], count: Int) -> [Double] {
        guard count > 0 else { return [] }
        var psi = [Double](repeating: 0, count: count)
        psi[0] = 1
        if count > 1 {
            for j in 1..<count {
                var v = 0.0
                for (i, lag) in lags.enumerated() where lag <= j { v += phi[i] * psi[j - lag] }
                psi[j] = v
            }
        }
        return psi
    }

    /// One-step predictions `Σᵢ φᵢ rₜ₋ₗᵢ` for every t, with values before the start taken as
    /// 0 (their expectation).
    static func oneStepPredictions(_ r: [Double], lags: [Int], coefficients phi: [Double]) -> [Double] {
        (0..<r.count).map { t in
            var v = 0.0
            for (i, lag) in lags.enumerated() where t - lag >= 0 { v += phi[i] * r[t - lag] }
            return v
        }
    }

    /// Continues `history` (most recent last) `count` steps with zero innovations.
    static func extend(_ history: [Double], lags: [Int], coefficients phi: [Double], count: Int) -> [Double] {
        var values = history
        values.reserveCapacity(history.count + count)
        for _ in 0..<count {
            let t = values.count
            var v = 0.0
            for (i, lag) in lags.enumerated() where t - lag >= 0 { v += phi[i] * values[t - lag] }
            values.append(v)
        }
        return Array(values.suffix(count))
    }
}
