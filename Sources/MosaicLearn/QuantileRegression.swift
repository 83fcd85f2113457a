import MosaicLinalg

/// Linear quantile regression: minimise `(1/n)·Σ ρ_τ(yᵢ − b − xᵢᵀβ) + (α/2)·‖β‖²`, where
/// `ρ_τ(r) = τ·r` for `r ≥ 0` and `(τ − 1)·r` otherwise (the pinball loss) and the intercept is
/// unpenalised. The fitted `b + xᵀβ` estimates the conditional `τ`-quantile of `y`.
///
/// **Method.** The MM algorithm of Hunter & Lange (2000), an iteratively reweighted least
/// squares: at each step the pinball loss is majorised by a quadratic around the current
/// residuals `rᵢ`, with weights `wᵢ = 1/(ε + |rᵢ|)`, and the step solves the weighted normal
/// equations `([Xc 1]ᵀW[Xc 1] + 2nα·P) θ = [Xc 1]ᵀ(W·y + (2τ − 1))` (one blocked `dsyrk`
/// pass on the centred columns, then Cholesky). `ε = 1e-6 · mean|y − ȳ|` keeps the weights
/// finite; it perturbs the objective by at most that much per row. Every step decreases the
/// (perturbed) objective. Each step is extrapolated along its direction (steps of 2, 4, … times
/// the MM step while the true objective keeps falling), which cuts the number of steps several
/// times on real data. It starts from the ridge fit with its intercept moved to the
/// `τ`-quantile of the residuals, and stops when the objective's relative decrease in a step
/// falls below ``tolerance``.
///
/// **Bad input.** With `alpha = 0` a constant column is an error
/// (``LearnError/constantColumn(index:)``) and more parameters than rows is an error; with
/// `alpha > 0` both are allowed. NaN or infinity, empty input and mismatched lengths are errors.
public struct QuantileRegression: Sendable {
    /// The quantile `τ` in (0, 1), e.g. 0.95 for the 95th percentile.
    public var quantile: Double = 0.95
    /// A small L2 penalty on the coefficients (mean-loss scale), for stability with collinear columns.
    public var alpha: Double = 1e-4
    /// The most MM steps.
    public var maxIterations = 100
    /// The relative objective decrease below which the iteration stops.
    public var tolerance = 1e-6

    public init(quantile: Double = 0.95, alpha: Double = 1e-4) {
        self.quantile = quantile
        self.alpha = alpha
    }

    /// Fits the conditional quantile line.
    ///
    /// - Complexity: O(n·p²) per step.
    /// - Throws: ``LearnError`` for bad input (see the type's discussion) and
    ///   ``LearnError/didNotConverge(iterations:)`` when ``maxIterations`` steps were not enough.
    public func fit(_ x: Matrix, _ y: [Double]) throws(LearnError) -> LinearModel {
        try TrainingInput.check(x, y)
        guard quantile > 0 && quantile < 1 else { throw .invalidConfiguration("quantile must be in (0, 1), got \(quantile)") }
        guard alpha.isFinite && alpha >= 0 else { throw .invalidConfiguration("quantile alpha must be finite and ≥ 0, got \(alpha)") }
        guard maxIterations >= 1, tolerance >= 0 else { throw .invalidConfiguration("maxIterations must be ≥ 1 and tolerance ≥ 0") }
        let n = x.rows, p = x.columns
        if alpha == 0 {
            if p + 1 > n { throw .moreFeaturesThanRows(rows: n, features: p + 1) }
            if let j = QuantileMM.firstConstantColumn(x) { throw .constantColumn(index: j) }
        }
        let mm = QuantileMM(x: x, y: y, quantile: quantile, penalty: 2 * Double(n) * alpha)
        var model = try mm.start(ridge: 2 * Double(n) * alpha)
        var objective = mm.objective(model, alpha: alpha)
        for _ in 0..<maxIterations {
            let (next, value) = try mm.step(from: model, alpha: alpha)
            let decrease = objective - value
            model = next
            if decrease <= tolerance * max(abs(value), .leastNormalMagnitude) {
                return model
            }
            objective = value
        }
        throw .didNotConverge(iterations: maxIterations)
    }
}

/// One majorise-minimise step at a time for ``QuantileRegression``.
struct QuantileMM {
    let x: Matrix
    let y: [Double]
    let quantile: Double
    /// `2nα`, the penalty in the weighted normal equations.
    let penalty: Double
    let means: [Double]
    let ones: [Double]
    let epsilon: Double

    init(x: Matrix, y: [Double], quantile: Double, penalty: Double) {
        self.x = x
        self.y = y
        self.quantile = quantile
        self.penalty = penalty
        self.means = TrainingInput.columnMeans(x, weights: nil, weightSum: Double(x.rows))
        self.ones = [Double](repeating: 1, count: x.rows)
        let yMean = y.reduce(0, +) / Double(y.count)
        let spread = y.reduce(0) { $0 + abs($1 - yMean) } / Double(y.count)
        self.epsilon = 1e-6 * (spread > 0 ? spread : 1)
    }

    /// The mean pinball loss plus the penalty.
    func objective(_ model: LinearModel, alpha: Double) -> Double {
        let fitted = (try? model.predict(x)) ?? []
        let loss = Metrics.pinballLoss(y, fitted, quantile: quantile)
        return loss + 0.5 * alpha * model.coefficients.reduce(0) { $0 + $1 * $1 }
    }

    /// The ridge fit with its intercept shifted to the `τ`-quantile of its residuals.
    func start(ridge alpha: Double) throws(LearnError) -> LinearModel {
        var model = try RidgeRegression(alpha: alpha).fit(x, y).model
        let fitted = (try? model.predict(x)) ?? []
        let residuals = zip(y, fitted).map { $0 - $1 }.sorted()
        let k = min(residuals.count - 1, max(0, Int((quantile * Double(residuals.count)).rounded(.down))))
        model.intercept += residuals[k]
        return model
    }

    /// One MM step from `model`, extrapolated while the true objective falls; returns the new
    /// model and its objective.
    func step(from model: LinearModel, alpha: Double) throws(LearnError) -> (LinearModel, Double) {
        let target = try majoriserMinimum(at: model)
        var best = target, bestValue = objective(target, alpha: alpha)
        var t = 2.0
        while t <= 64 {
            let trial = LinearModel(
                intercept: model.intercept + t * (target.intercept - model.intercept),
                coefficients: zip(model.coefficients, target.coefficients).map { $0 + t * ($1 - $0) })
            let value = objective(trial, alpha: alpha)
            if value >= bestValue { break }
            (best, bestValue) = (trial, value)
            t *= 2
        }
        return (best, bestValue)
    }

    /// Minimises the quadratic majoriser at `model`'s residuals.
    func majoriserMinimum(at model: LinearModel) throws(LearnError) -> LinearModel {
        let n = x.rows, p = x.columns
        let fitted = (try? model.predict(x)) ?? []
        var weights = [Double](repeating: 0, count: n)
        var v = [Double](repeating: 0, count: n)
        let shift = 2 * quantile - 1
        for i in 0..<n {
            let w = 1 / (epsilon + abs(y[i] - fitted[i]))
            weights[i] = w
            v[i] = w * y[i] + shift
        }
        var a = BLAS.gram(x, appending: ones, subtracting: means + [0], rowWeights: weights)
        for j in 0..<p { a[j, j] += penalty }
        // [Xc 1]ᵀv = (Xᵀv − x̄·Σv, Σv)
        let total = v.reduce(0, +)
        var rhs = [Double](repeating: 0, count: p)
        BLAS.gemv(x, v, into: &rhs, transpose: true)
        for j in 0..<p { rhs[j] -= means[j] * total }
        rhs.append(total)
        do {
            let theta = try LAPACK.choleskySolve(a, Matrix(rows: p + 1, columns: 1, columnMajor: rhs)).x.storage
            let beta = Array(theta.prefix(p))
            let intercept = theta[p] - zip(means, beta).reduce(0) { $0 + $1.0 * $1.1 }
            return LinearModel(intercept: intercept, coefficients: beta)
        } catch {
            throw .linalg(error)
        }
    }

    /// The first column whose values are all equal, or nil.
    static func firstConstantColumn(_ x: Matrix) -> Int? {
        let n = x.rows
        return x.storage.withUnsafeBufferPointer { s -> Int? in
            for j in 0..<x.columns {
                let first = s[j * n]
                var same = true
                for i in 1..<max(1, n) where s[j * n + i] != first { same = false; break }
                if same { return j }
            }
            return nil
        }
    }
}
