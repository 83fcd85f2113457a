import MosaicLinalg

/// The additive-error ETS recursions as pure functions (Hyndman, Koehler, Ord & Snyder,
/// *Forecasting with Exponential Smoothing*, 2008, table 2.3, additive-error half).
///
/// One loop covers every trend: with no trend the trend state and β are 0; without damping
/// φ = 1. One loop covers no seasonality and additive seasonality: with none, the period is 1,
/// the single seasonal state is 0 and γ is 0. Multiplicative seasonality has its own loop.
/// With `T = ℓ + φb` and `s` the seasonal state of the current position,
/// - additive season: `ŷ = T + s`, `e = y − ŷ`, `ℓ ← T + αe`, `b ← φb + βe`, `s ← s + γe`;
/// - multiplicative season: `ŷ = T·s`, `ℓ ← T + αe/s`, `b ← φb + βe/s`, `s ← s + γe/T`.
enum ETSRecursion {
    /// Smoothing parameters in natural units, with the conventions above for absent components.
    struct Coefficients {
        var alpha: Double
        var beta: Double
        var gamma: Double
        var phi: Double
    }

    /// Runs the filter over `y` from `(level, trend, seasonal)`, which it leaves holding the
    /// final state, and returns the sum of squared one-step errors (+∞ when a multiplicative
    /// model leaves the positive region or anything overflows). Writes the one-step forecasts
    /// into `fitted` when given. The seasonal state of position `t mod m` serves time `t`.
    ///
    /// - Complexity: O(n), no allocation.
    @inline(__always)
    static func run(_ y: UnsafeBufferPointer<Double>, multiplicative: Bool, _ c: Coefficients,
                    level: inout Double, trend: inout Double, seasonal s: UnsafeMutableBufferPointer<Double>,
                    fitted: UnsafeMutableBufferPointer<Double>? = nil) -> Double {
        let m = s.count
        var l = level, b = trend, sse = 0.0, j = 0
        let (alpha, beta, gamma, phi) = (c.alpha, c.beta, c.gamma, c.phi)
        // Work that does not depend on the level (the seasonal state was written m steps ago)
        // is kept off the level's dependency chain: the loops run at the latency of a few
        // additions and multiplications per step.
        if multiplicative {
            for t in 0..<y.count {
                let season = s[j]
                let tp = l + phi * b
                if !(tp > 0 && season > 0) { return .infinity }
                let inverse = 1 / season
                let yhat = tp * season
                let e = y[t] - yhat
                fitted?[t] = yhat
                sse += e * e
                l = tp + (alpha * inverse) * e
                b = phi * b + (beta * inverse) * e
                s[j] = season + gamma * e / tp
                j += 1
                if j == m { j = 0 }
            }
        } else {
            for t in 0..<y.count {
                let season = s[j]
                let adjusted = y[t] - season
                let tp = l + phi * b
                let e = adjusted - tp
                fitted?[t] = tp + season
                sse += e * e
                l = tp + alpha * e
                b = phi * b + beta * e
                s[j] = season + gamma * e
                j += 1
                if j == m { j = 0 }
            }
        }
        level = l
        trend = b
        return sse.isFinite ? sse : .infinity
    }

    /// The sum of squared errors from an initial state, without touching it: copies the
    /// seasonal states into `scratch` (which must have the same count) first.
    static func sse(_ y: UnsafeBufferPointer<Double>, multiplicative: Bool, _ c: Coefficients,
                    level: Double, trend: Double, seasonal: UnsafeBufferPointer<Double>,
                    scratch: UnsafeMutableBufferPointer<Double>) -> Double {
        for i in 0..<seasonal.count { scratch[i] = seasonal[i] }
        var l = level, b = trend
        return run(y, multiplicative: multiplicative, c, level: &l, trend: &b, seasonal: scratch)
    }

    /// The sum of squared errors of a linear model (no or additive season) minimised exactly
    /// over the initial level and trend, from the given seasonal states: the concentrated
    /// (profile) likelihood over those two states.
    ///
    /// The one-step forecasts are affine in the initial state, so with corrections `δ` to the
    /// base `(level, trend)` the errors are `e⁰ − δ_ℓ·ŷᴸ − δ_b·ŷᴮ`, where `e⁰` are the errors
    /// from the base state and `ŷᴸ`, `ŷᴮ` the forecast paths from a unit level or trend with
    /// `y = 0`. The three recursions run side by side in one pass (they are independent, so
    /// the pass costs about as long as one), accumulating the 2×2 normal equations, which are
    /// solved in closed form.
    ///
    /// - Parameter scratch: `3m` values of workspace.
    /// - Returns: The minimised SSE and the level and trend that attain it.
    /// - Complexity: O(n), no allocation.
    static func profiledSSE(_ y: UnsafeBufferPointer<Double>, _ c: Coefficients, hasTrend: Bool, level: Double,
                            trend: Double, seasonal: UnsafeBufferPointer<Double>,
                            scratch: UnsafeMutableBufferPointer<Double>) -> (sse: Double, level: Double, trend: Double) {
        let m = seasonal.count
        for i in 0..<m { scratch[i] = seasonal[i]; scratch[m + i] = 0; scratch[2 * m + i] = 0 }
        let (alpha, beta, gamma, phi) = (c.alpha, c.beta, c.gamma, c.phi)
        var l = level, b = trend
        var lL = 1.0, bL = 0.0, lB = 0.0, bB = 1.0
        var aLL = 0.0, aLB = 0.0, aBB = 0.0, rL = 0.0, rB = 0.0, sse0 = 0.0
        var j = 0
        for t in 0..<y.count {
            // From the base state, driven by y.
            let season = scratch[j]
            let tp = l + phi * b
            let e = (y[t] - season) - tp
            sse0 += e * e
            l = tp + alpha * e
            b = phi * b + beta * e
            scratch[j] = season + gamma * e
            // From a unit level, y = 0: forecast ŷᴸ, error −ŷᴸ.
            let sL = scratch[m + j]
            let yL = lL + phi * bL + sL
            lL = lL + phi * bL - alpha * yL
            bL = phi * bL - beta * yL
            scratch[m + j] = sL - gamma * yL
            aLL += yL * yL
            rL += e * yL
            if hasTrend {
                let sB = scratch[2 * m + j]
                let yB = lB + phi * bB + sB
                lB = lB + phi * bB - alpha * yB
                bB = phi * bB - beta * yB
                scratch[2 * m + j] = sB - gamma * yB
                aLB += yL * yB
                aBB += yB * yB
                rB += e * yB
            }
            j += 1
            if j == m { j = 0 }
        }
        var dL = aLL > 0 ? rL / aLL : 0, dB = 0.0
        if hasTrend {
            let det = aLL * aBB - aLB * aLB
            if det > 1e-12 * aLL * aBB {
                dL = (aBB * rL - aLB * rB) / det
                dB = (aLL * rB - aLB * rL) / det
            }
        }
        let sse = max(0, sse0 - dL * rL - dB * rB)
        return (sse.isFinite ? sse : .infinity, level + dL, trend + dB)
    }

    // MARK: - Initial states

    /// The heuristic initial state of Hyndman et al. (2008, §2.6.1): seasonal indices from a
    /// classical decomposition (centred moving average) of the first `min(n, 4m)` values,
    /// normalised to sum 0 (additive) or average 1 (multiplicative); then level and trend from
    /// a straight line through the first `min(n, max(10, 2m))` seasonally adjusted values (the
    /// line's value at time 0 and its slope), or their mean when there is no trend.
    ///
    /// - Precondition: `y.count >= 2m` when seasonal.
    static func heuristicState(_ y: [Double], period m: Int, seasonal: ETS.Seasonality, hasTrend: Bool)
        -> (level: Double, trend: Double, seasonal: [Double]) {
        var indices = [Double](repeating: seasonal == .multiplicative ? 1 : 0, count: m)
        if seasonal != .none {
            let k = min(y.count, 4 * m)
            indices = ClassicalDecomposition.seasonalIndices(Array(y[0..<k]), period: m,
                                                             multiplicative: seasonal == .multiplicative)
        }
        let count = min(y.count, max(10, 2 * m))
        let adjusted = (0..<count).map { t in
            seasonal == .multiplicative ? y[t] / indices[t % m] : y[t] - indices[t % m]
        }
        guard hasTrend, count >= 2 else {
            return (adjusted.reduce(0, +) / Double(count), 0, indices)
        }
        // Least-squares line through (t + 1, adjusted[t]): level at time 0 and slope.
        let ts = (1...count).map(Double.init)
        let tMean = ts.reduce(0, +) / Double(count), yMean = adjusted.reduce(0, +) / Double(count)
        var sxy = 0.0, sxx = 0.0
        for i in 0..<count { sxy += (ts[i] - tMean) * (adjusted[i] - yMean); sxx += (ts[i] - tMean) * (ts[i] - tMean) }
        let slope = sxy / sxx
        return (yMean - slope * tMean, slope, indices)
    }

    /// The initial state that minimises the sum of squared errors for fixed smoothing
    /// parameters, for the linear models (no or additive seasonality): the one-step errors are
    /// affine in the initial state, `e = e⁰ − X x₀`, so `x₀` is a least-squares problem. Column
    /// `j` of `X` is the one-step forecast path from the unit state `eⱼ` with `y = 0`; the
    /// seasonal states are constrained to sum to 0 by writing the last as minus the others
    /// (which removes the exact collinearity with the level). Solved by ``LeastSquares``
    /// (Cholesky on the normal equations, SVD when ill-conditioned).
    ///
    /// - Returns: The state, or nil when the solve fails (the caller keeps its current state).
    /// - Complexity: O(n·d) filter passes for `d = 1 + trend + m − 1` unknowns, plus O(n·d²).
    static func leastSquaresState(_ y: [Double], period m: Int, hasTrend: Bool, seasonal: Bool,
                                  _ c: Coefficients) -> (level: Double, trend: Double, seasonal: [Double])? {
        let n = y.count
        let seasonalColumns = seasonal ? m - 1 : 0
        let d = 1 + (hasTrend ? 1 : 0) + seasonalColumns
        guard n > d + 1 else { return nil }
        var design = [Double](repeating: 0, count: n * (d + (seasonal ? 1 : 0)))
        var scratch = [Double](repeating: 0, count: m)
        let zeros = [Double](repeating: 0, count: n)
        // Path from a unit state `unit` (0 = level, 1 = trend, 2… = seasonal position k).
        func path(_ unit: Int, into column: Int) {
            for i in 0..<m { scratch[i] = 0 }
            var l = unit == 0 ? 1.0 : 0, b = unit == 1 ? 1.0 : 0
            if unit >= 2 { scratch[unit - 2] = 1 }
            design.withUnsafeMutableBufferPointer { p in
                let out = UnsafeMutableBufferPointer(rebasing: p[(column * n)..<((column + 1) * n)])
                zeros.withUnsafeBufferPointer { z in
                    scratch.withUnsafeMutableBufferPointer { s in
                        _ = run(z, multiplicative: false, c, level: &l, trend: &b, seasonal: s, fitted: out)
                    }
                }
            }
        }
        var column = 0
        path(0, into: column); column += 1
        if hasTrend { path(1, into: column); column += 1 }
        if seasonal {
            for k in 0..<m { path(2 + k, into: column + k) }
            // Column for s_k (k < m − 1) becomes X_k − X_{m−1}; the last column is dropped.
            let last = (column + m - 1) * n
            for k in 0..<(m - 1) {
                let base = (column + k) * n
                for t in 0..<n { design[base + t] -= design[last + t] }
            }
        }
        design.removeLast(design.count - n * d)
        // e⁰: the errors from the zero state.
        var residual = [Double](repeating: 0, count: n)
        for i in 0..<m { scratch[i] = 0 }
        var l0 = 0.0, b0 = 0.0
        y.withUnsafeBufferPointer { py in
            residual.withUnsafeMutableBufferPointer { out in
                scratch.withUnsafeMutableBufferPointer { s in
                    _ = run(py, multiplicative: false, c, level: &l0, trend: &b0, seasonal: s, fitted: out)
                }
            }
        }
        for t in 0..<n { residual[t] = y[t] - residual[t] }
        guard let fit = try? LeastSquares(fitIntercept: false).fit(Matrix(rows: n, columns: d, columnMajor: design), residual)
        else { return nil }
        let x = fit.model.coefficients
        guard x.allSatisfy({ $0.isFinite }) else { return nil }
        var states = [Double](repeating: 0, count: m)
        if seasonal {
            let offset = hasTrend ? 2 : 1
            var sum = 0.0
            for k in 0..<(m - 1) { states[k] = x[offset + k]; sum += x[offset + k] }
            states[m - 1] = -sum
        }
        return (x[0], hasTrend ? x[1] : 0, states)
    }
}
