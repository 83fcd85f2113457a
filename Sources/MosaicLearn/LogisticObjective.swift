import MosaicLinalg

/// The penalised logistic objective and its Newton minimiser, on parameters
/// `θ = (w₁ … w_p, b)` (intercept last).
///
/// Works in sum scale, `f(θ) = C·Σ sᵢ ℓᵢ + ½‖w‖²`, and reports the gradient in the scaled
/// form `∇f / (C·S)` that the tolerance refers to.
struct LogisticObjective {
    let x: Matrix
    let labels: [Double]
    let weights: [Double]?
    let c: Double
    /// Σ sᵢ, the scale of the tolerance.
    let weightSum: Double
    /// The constant column appended to `X` for the intercept in the Hessian.
    let ones: [Double]
    /// The rows the Hessian is summed over: all of them up to ``hessianRows``, beyond that 16
    /// evenly spaced contiguous chunks totalling about ``hessianRows`` (nil means all).
    let hessianRanges: [Range<Int>]?
    /// Rows beyond which the Hessian is subsampled. The gradient always uses every row, so the
    /// iteration still converges to the exact optimum; a Hessian from 10⁵ rows is accurate to a
    /// few per cent, which costs a step or two more than exact Newton but each step is far cheaper.
    static let hessianRows = 100_000
    /// `sᵢ·pᵢ(1 − pᵢ)` at the last evaluated point, the Hessian's row weights.
    var curvature: [Double]

    init(x: Matrix, labels: [Double], weights: [Double]?, c: Double) {
        self.x = x
        self.labels = labels
        self.weights = weights
        self.c = c
        self.weightSum = weights?.reduce(0, +) ?? Double(x.rows)
        self.ones = [Double](repeating: 1, count: x.rows)
        self.hessianRanges = LogisticObjective.chunks(rows: x.rows, sample: LogisticObjective.hessianRows, count: 16)
        self.curvature = [Double](repeating: 0, count: x.rows)
    }

    /// `sᵢ` = sample weight × class weight, or nil when all are 1.
    static func exampleWeights(labels: [Bool], sampleWeights: [Double]?,
                               classWeights: (negative: Double, positive: Double)?) -> [Double]? {
        guard let (neg, pos) = classWeights else { return sampleWeights }
        return labels.indices.map { i in (labels[i] ? pos : neg) * (sampleWeights?[i] ?? 1) }
    }

    /// `f(θ)` and `∇f(θ) = (C·Xᵀr + w, C·Σr)` with `r = s·(p − y)`, in one pass over `X`
    /// (``BLAS/linearPass(_:coefficients:intercept:accumulating:residual:)``); also stores
    /// `curvature` at `θ`. The loss is summed with Neumaier compensation, so its rounding stays
    /// far below what the line search compares.
    mutating func evaluate(_ theta: [Double]) -> (value: Double, gradient: [Double]) {
        let p = x.columns
        let w = Array(theta.prefix(p))
        var g = [Double](repeating: 0, count: p)
        var sum = 0.0, compensation = 0.0, residualSum = 0.0
        let none: [Double] = []
        labels.withUnsafeBufferPointer { y in
        (weights ?? none).withUnsafeBufferPointer { s in
        curvature.withUnsafeMutableBufferPointer { d in
            BLAS.linearPass(x, coefficients: w, intercept: theta[p], accumulating: &g) { rows, buffer in
                for k in 0..<rows.count {
                    let i = rows.lowerBound + k
                    let z = buffer[k]
                    let e = _exp(-abs(z))                    // in (0, 1]
                    let u = 1 + e
                    // log(1 + e) rather than log1p(e): twice as fast, and its absolute error
                    // (≤ 1 ulp of 1) is far below what the compensated sum needs.
                    let loss = _log(u) + max(z, 0) - y[i] * z
                    let prob = z >= 0 ? 1 / u : e / u
                    let si = s.isEmpty ? 1 : s[i]
                    let r = si * (prob - y[i])
                    buffer[k] = r
                    residualSum += r
                    d[i] = si * prob * (1 - prob)
                    let term = si * loss
                    let t = sum + term
                    compensation += abs(sum) >= abs(term) ? (sum - t) + term : (term - t) + sum
                    sum = t
                }
            }
        }}}
        var penalty = 0.0
        for j in 0..<p {
            penalty += w[j] * w[j]
            g[j] = c * g[j] + w[j]
        }
        g.append(c * residualSum)
        return (c * (sum + compensation) + 0.5 * penalty, g)
    }

    /// `∇²f = C·[X 1]ᵀD[X 1] + diag(1 … 1, 0)` from the current `curvature`, summed over
    /// ``hessianRanges`` and scaled up by (total curvature) / (curvature of the rows summed).
    func hessian() -> Matrix {
        let q = x.columns + 1
        var h = BLAS.gram(x, appending: ones, rowWeights: curvature, rowRanges: hessianRanges)
        var scale = c
        if let ranges = hessianRanges {
            let sampled = ranges.reduce(0.0) { sum, r in curvature[r].reduce(sum, +) }
            if sampled > 0 { scale *= curvature.reduce(0, +) / sampled }
        }
        h.storage.withUnsafeMutableBufferPointer { s in
            for k in 0..<(q * q) { s[k] *= scale }
            for j in 0..<(q - 1) { s[j * q + j] += 1 }
        }
        return h
    }

    /// `count` evenly spaced contiguous row ranges of about `sample / count` rows each, or nil
    /// when `rows <= sample` (use every row).
    static func chunks(rows n: Int, sample: Int, count k: Int) -> [Range<Int>]? {
        guard n > sample else { return nil }
        let size = sample / k
        return (0..<k).map { i in
            let start = i * n / k
            return start..<min(n, start + size)
        }
    }

    /// The largest component of the scaled gradient `∇f / (C·S)`.
    func scaledGradientNorm(_ g: [Double]) -> Double {
        g.reduce(0) { max($0, abs($1)) } / (c * weightSum)
    }

    /// Newton's method with backtracking from `w = 0`, `b = logit(weighted positive rate)`.
    ///
    /// `checkInput` runs only when the first gradient is not finite (NaN or ±∞ in `X` always
    /// reach it); it should throw the error that names the bad cell.
    mutating func minimise(tolerance: Double, maxIterations: Int,
                           checkInput: () throws(LearnError) -> Void) throws(LearnError) -> (theta: [Double], iterations: Int, converged: Bool) {
        let p = x.columns
        var theta = [Double](repeating: 0, count: p + 1)
        let positive = (weights.map { BLAS.dot($0, labels) } ?? labels.reduce(0, +)) / weightSum
        theta[p] = _log(positive / (1 - positive))
        var (f, g) = evaluate(theta)
        if !(f.isFinite && g.allSatisfy({ $0.isFinite })) {
            try checkInput()
            throw .nonFinite("the logistic loss overflows at the starting point; rescale the features")
        }
        var gNorm = scaledGradientNorm(g)
        var iterations = 0
        while gNorm > tolerance {
            if iterations == maxIterations { return (theta, iterations, false) }
            iterations += 1
            let rhs = Matrix(rows: p + 1, columns: 1, columnMajor: g.map { -$0 })
            let step: [Double]
            do { step = try LAPACK.choleskySolve(hessian(), rhs).x.storage } catch { throw .linalg(error) }
            let slope = BLAS.dot(g, step)  // < 0: a descent direction
            var t = 1.0
            var accepted = false
            while t >= 1e-10 {
                var trial = theta
                BLAS.axpy(t, step, &trial)
                let (trialF, trialG) = evaluate(trial)
                let trialNorm = scaledGradientNorm(trialG)
                // Armijo, or (near the optimum, where f is flat to rounding) no real increase and a smaller gradient.
                let flat = trialF - f <= 1e-13 * abs(f) && trialNorm < gNorm
                if trialF <= f + 1e-4 * t * slope || flat {
                    (theta, f, g, gNorm) = (trial, trialF, trialG, trialNorm)
                    accepted = true
                    break
                }
                t *= 0.5
            }
            if !accepted { return (theta, iterations, gNorm <= tolerance) }  // no progress possible at this precision
        }
        return (theta, iterations, true)
    }
}
