import MosaicLinalg

/// Linear quantile regression: minimise `F(b, β) = (1/n)·Σ ρ_τ(yᵢ − b − xᵢᵀβ) + (α/2)·‖β‖²`,
/// where `ρ_τ(r) = τ·r` for `r ≥ 0` and `(τ − 1)·r` otherwise (the pinball loss) and the
/// intercept is unpenalised. The fitted `b + xᵀβ` estimates the conditional `τ`-quantile of `y`.
///
/// **Method: a unique optimum, reached to machine precision.** The pinball loss has a kink, so
/// its minimisers can form a flat set, and an iteration that stops at a loose tolerance stops
/// wherever rounding led it: on another CPU, somewhere else. This solver instead minimises the
/// smoothed loss `h_ε(r) = τ·r + ε·ln(1 + e^{−r/ε})`, which is within `ε·ln 2` of `ρ_τ` everywhere
/// and strictly convex, so the minimiser is unique and a smooth function of the data; and it
/// reaches it by Newton's method, whose quadratic convergence takes the gradient to rounding
/// level. Any machine, row order or BLAS thread count then lands on the same point to about
/// 1e-12 (`FitReproducibilityTests`).
/// 1. *Approach*: the MM algorithm of Hunter & Lange (2000) from the ridge fit (its intercept
///    moved to the `τ`-quantile of the residuals), an iteratively reweighted least squares with
///    weights `1/(ε₀ + |r|)`, until a step lowers the objective by less than ``tolerance``.
/// 2. *Finish*: damped Newton on the smoothed objective, with `ε` lowered from 10% to
///    ``smoothing`` of the mean absolute deviation of `y` by factors of ten, each stage solved
///    until a step moves no coefficient by more than 1e-12 (relative). Each step is one weighted
///    `dsyrk` pass over the centred columns and a Cholesky solve.
///
/// **How optimal.** At the smoothed optimum the derivatives `gᵢ = h′_ε(rᵢ) ∈ (τ − 1, τ)` satisfy
/// `Σ gᵢ = 0` and `Σ gᵢxᵢ = nαβ`, so they are a feasible point of the dual of the exact problem,
/// `max (1/n)·gᵀy − ‖Xᵀg‖²/(2αn²)`. The duality gap `F − D(g)`, relative to `F`, bounds how far
/// `F` is above its exact minimum; it is reported in ``Fit/optimalityGap`` and stored in the
/// routing model file. It is at most `ε·ln 2 / F` and in practice far smaller.
///
/// **Bad input.** With `alpha = 0` a constant column is an error
/// (``LearnError/constantColumn(index:)``) and more parameters than rows is an error; with
/// `alpha > 0` both are allowed. NaN or infinity, empty input and mismatched lengths are errors.
public struct QuantileRegression: Sendable {
    /// The quantile `τ` in (0, 1), e.g. 0.95 for the 95th percentile.
    public var quantile: Double = 0.95
    /// A small L2 penalty on the coefficients (mean-loss scale), for stability with collinear columns.
    public var alpha: Double = 1e-4
    /// The most MM steps of the approach phase; Newton takes over after them in any case.
    public var maxIterations = 100
    /// The relative objective decrease below which the approach phase hands over to Newton.
    public var tolerance = 1e-6
    /// The final smoothing `ε`, as a fraction of the mean absolute deviation of `y`.
    public var smoothing = 1e-4

    public init(quantile: Double = 0.95, alpha: Double = 1e-4) {
        self.quantile = quantile
        self.alpha = alpha
    }

    /// A fitted quantile regression and how optimal it is.
    public struct Fit: Sendable, Equatable {
        public var model: LinearModel
        /// MM steps plus Newton steps.
        public var iterations: Int
        /// `(F(b, β) − D(g)) / F`, the relative duality gap of the returned solution against the
        /// exact (unsmoothed) problem: an upper bound on how far its objective is from the minimum.
        public var optimalityGap: Double
    }

    /// Fits the conditional quantile line (see ``solve(_:_:)`` for how optimal it is).
    ///
    /// - Complexity: O(n·p²) per MM or Newton step.
    /// - Throws: ``LearnError`` for bad input (see the type's discussion) and
    ///   ``LearnError/didNotConverge(iterations:)`` when Newton did not settle.
    public func fit(_ x: Matrix, _ y: [Double]) throws(LearnError) -> LinearModel {
        try solve(x, y).model
    }

    /// Fits the conditional quantile line and reports its duality gap.
    ///
    /// - Throws: As ``fit(_:_:)``.
    public func solve(_ x: Matrix, _ y: [Double]) throws(LearnError) -> Fit {
        try TrainingInput.check(x, y)
        guard quantile > 0 && quantile < 1 else { throw .invalidConfiguration("quantile must be in (0, 1), got \(quantile)") }
        guard alpha.isFinite && alpha >= 0 else { throw .invalidConfiguration("quantile alpha must be finite and ≥ 0, got \(alpha)") }
        guard maxIterations >= 1, tolerance >= 0 else { throw .invalidConfiguration("maxIterations must be ≥ 1 and tolerance ≥ 0") }
        guard smoothing > 0 && smoothing <= 0.1 else { throw .invalidConfiguration("smoothing must be in (0, 0.1], got \(smoothing)") }
        let n = x.rows, p = x.columns
        if alpha == 0 {
            if p + 1 > n { throw .moreFeaturesThanRows(rows: n, features: p + 1) }
            if let j = QuantileMM.firstConstantColumn(x) { throw .constantColumn(index: j) }
        }
        let mm = QuantileMM(x: x, y: y, quantile: quantile, penalty: 2 * Double(n) * alpha)
        var model = try mm.start(ridge: 2 * Double(n) * alpha)
        var objective = mm.objective(model, alpha: alpha)
        var steps = 0
        // The approach only has to bring Newton near the optimum: damped Newton on the strictly
        // convex smoothed loss converges from any start, so a slow MM phase (a small provider
        // with few distinct rows) hands over after `maxIterations` steps instead of failing.
        while steps < maxIterations {
            let (next, value) = try mm.step(from: model, alpha: alpha)
            let decrease = objective - value
            model = next
            objective = value
            steps += 1
            if decrease <= tolerance * max(abs(value), .leastNormalMagnitude) { break }
        }
        let newton = QuantileNewton(mm: mm, alpha: alpha)
        var epsilon = 0.1 * mm.spread
        while true {
            let (next, used) = try newton.minimise(from: model, epsilon: epsilon)
            model = next
            steps += used
            if epsilon <= smoothing * mm.spread * 1.000001 { break }
            epsilon = max(smoothing * mm.spread, epsilon / 10)
        }
        return Fit(model: model, iterations: steps, optimalityGap: try newton.dualityGap(model, epsilon: epsilon))
    }
}

/// Newton's method on the smoothed objective `G(c, β) = (1/n)·Σ h_ε(yᵢ − c − (xᵢ − x̄)ᵀβ) + (α/2)‖β‖²`
/// for ``QuantileRegression``, in centred coordinates (`b = c − x̄ᵀβ`).
struct QuantileNewton {
    let mm: QuantileMM
    let alpha: Double
    static let maxSteps = 100

    /// `h_ε(r) = τr + ε·ln(1 + e^{−r/ε})` and its first two derivatives, overflow-free.
    @inline(__always)
    static func smoothed(_ r: Double, _ tau: Double, _ eps: Double) -> (h: Double, d1: Double, d2: Double) {
        let z = r / eps
        let softplus = z >= 0 ? _log(1 + _exp(-z)) : -z + _log(1 + _exp(z))
        let s = LogisticRegression.probability(z)  // σ(r/ε)
        return (tau * r + eps * softplus, tau - 1 + s, s * (1 - s) / eps)
    }

    func residuals(_ model: LinearModel) throws(LearnError) -> [Double] {
        zip(mm.y, try model.predict(mm.x)).map { $0 - $1 }
    }

    func value(_ model: LinearModel, epsilon: Double) throws(LearnError) -> Double {
        let r = try residuals(model)
        var total = 0.0
        for v in r { total += Self.smoothed(v, mm.quantile, epsilon).h }
        return total / Double(r.count) + 0.5 * alpha * model.coefficients.reduce(0) { $0 + $1 * $1 }
    }

    /// Minimises `G` from `start`; returns the minimiser and the steps taken.
    func minimise(from start: LinearModel, epsilon: Double) throws(LearnError) -> (LinearModel, Int) {
        let x = mm.x, n = x.rows, p = x.columns
        let nd = Double(n)
        var model = start
        var current = try value(model, epsilon: epsilon)
        for step in 1...Self.maxSteps {
            let r = try residuals(model)
            var weights = [Double](repeating: 0, count: n), slope = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let d = Self.smoothed(r[i], mm.quantile, epsilon)
                weights[i] = d.d2
                slope[i] = d.d1
            }
            // Hessian (1/n)[Xc 1]ᵀW[Xc 1] + diag(α…α, 0); gradient (αβ, 0) − (1/n)[Xc 1]ᵀψ.
            var hessian = BLAS.gram(x, appending: mm.ones, subtracting: mm.means + [0], rowWeights: weights)
            var xs = [Double](repeating: 0, count: p)
            BLAS.gemv(x, slope, into: &xs, transpose: true)
            let total = slope.reduce(0, +)
            var gradient = [Double](repeating: 0, count: p + 1)
            for j in 0..<p { gradient[j] = alpha * model.coefficients[j] - (xs[j] - mm.means[j] * total) / nd }
            gradient[p] = -total / nd
            for i in 0..<(p + 1) { for j in 0..<(p + 1) { hessian[i, j] /= nd } }
            for j in 0..<p { hessian[j, j] += alpha }
            // A floor on the curvature keeps the solve defined when few rows are near the plane.
            let floor = 1e-12 * max(1, (0..<(p + 1)).reduce(0) { max($0, hessian[$1, $1]) })
            for j in 0..<(p + 1) { hessian[j, j] += floor }
            let direction: [Double]
            do {
                direction = try LAPACK.choleskySolve(hessian, Matrix(rows: p + 1, columns: 1, columnMajor: gradient.map { -$0 })).x.storage
            } catch {
                throw .linalg(error)
            }
            // In centred coordinates c = b + x̄ᵀβ; move (β, c) and map back.
            let centre = model.intercept + zip(mm.means, model.coefficients).reduce(0) { $0 + $1.0 * $1.1 }
            var t = 1.0
            var accepted = model, acceptedValue = current
            let slopeAlong = zip(gradient, direction).reduce(0) { $0 + $1.0 * $1.1 }
            while t >= 1e-10 {
                let beta = zip(model.coefficients, direction).map { $0 + t * $1 }
                let c = centre + t * direction[p]
                let trial = LinearModel(intercept: c - zip(mm.means, beta).reduce(0) { $0 + $1.0 * $1.1 }, coefficients: beta)
                let v = try value(trial, epsilon: epsilon)
                if v <= current + 1e-4 * t * slopeAlong { (accepted, acceptedValue) = (trial, v); break }
                t /= 2
            }
            let moved = zip(accepted.coefficients + [accepted.intercept], model.coefficients + [model.intercept])
                .reduce(0.0) { max($0, abs($1.0 - $1.1) / max(1, abs($1.1))) }
            let settled = moved <= 1e-12 || acceptedValue >= current
            model = accepted
            current = acceptedValue
            if settled { return (model, step) }
        }
        throw .didNotConverge(iterations: Self.maxSteps)
    }

    /// `(F − D(g)) / F` with `gᵢ = h′_ε(rᵢ)`, never below 0.
    func dualityGap(_ model: LinearModel, epsilon: Double) throws(LearnError) -> Double {
        let x = mm.x, nd = Double(x.rows)
        let r = try residuals(model)
        let g = r.map { Self.smoothed($0, mm.quantile, epsilon).d1 }
        let primal = Metrics.pinballLoss(mm.y, try model.predict(x), quantile: mm.quantile)
            + 0.5 * alpha * model.coefficients.reduce(0) { $0 + $1 * $1 }
        var xg = [Double](repeating: 0, count: x.columns)
        BLAS.gemv(x, g, into: &xg, transpose: true)
        let gy = zip(g, mm.y).reduce(0) { $0 + $1.0 * $1.1 } / nd
        let dual = alpha > 0 ? gy - xg.reduce(0) { $0 + $1 * $1 } / (2 * alpha * nd * nd) : gy
        return max(0, primal - dual) / max(abs(primal), .leastNormalMagnitude)
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
    /// The mean absolute deviation of `y` (1 when it is 0): the scale of the smoothing.
    let spread: Double

    init(x: Matrix, y: [Double], quantile: Double, penalty: Double) {
        self.x = x
        self.y = y
        self.quantile = quantile
        self.penalty = penalty
        self.means = TrainingInput.columnMeans(x, weights: nil, weightSum: Double(x.rows))
        self.ones = [Double](repeating: 1, count: x.rows)
        let yMean = y.reduce(0, +) / Double(y.count)
        let spread = y.reduce(0) { $0 + abs($1 - yMean) } / Double(y.count)
        self.spread = spread > 0 ? spread : 1
        self.epsilon = 1e-6 * self.spread
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
