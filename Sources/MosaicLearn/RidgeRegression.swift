import MosaicLinalg

/// Ridge regression: minimise `Σ wᵢ (yᵢ − b − xᵢᵀβ)² + α‖β‖²`, the intercept `b` unpenalised
/// (scikit-learn's `Ridge`). With `alpha = 0` it is ordinary least squares (see ``LeastSquares``).
///
/// **Method.** `X` and `y` are centred on their (weighted) means, which removes the intercept
/// from the problem. One blocked pass builds the centred Gram matrix `[Xc yc]ᵀW[Xc yc]` with
/// `dsyrk` (no copy of `X`); the normal equations `(XcᵀWXc + αI) β = XcᵀWyc` are solved by
/// Cholesky (`dpotrf`/`dpotrs`) with LAPACK's condition estimate (`dpocon`). When the
/// reciprocal condition number is below ``fallbackReciprocalCondition`` (normal equations
/// square the condition number, so they would lose too many digits) the fit falls back to an
/// orthogonal method on the centred data itself:
/// - `alpha > 0`: Householder QR (`dgels`) of the augmented system `[√W·Xc; √α·I] β ≈ [√W·yc; 0]`,
///   which is always full rank;
/// - `alpha = 0`: the SVD (`dgelsd`), which returns the minimum-norm solution when `X` is
///   rank-deficient, with singular values below `eps · max(n, p) · s₁` treated as zero
///   (numpy's `lstsq` default).
/// ``Fit/solver`` says which ran. The intercept is `ȳ − x̄ᵀβ`.
///
/// **Bad input.** Constant columns are allowed: with `alpha > 0` their centred column is zero
/// and their coefficient is exactly 0; with `alpha = 0` the Gram matrix is singular and the SVD
/// fallback gives them coefficient 0 (minimum norm). More features than rows is allowed with
/// `alpha > 0` and an error (``LearnError/moreFeaturesThanRows(rows:features:)``) with
/// `alpha = 0`. NaN or infinity anywhere, an empty `X`, or a `y` of another length are errors.
public struct RidgeRegression: Sendable {
    /// The L2 penalty `α ≥ 0` on the coefficients (not on the intercept), in units of squared
    /// residuals (the loss is a sum, not a mean, as in scikit-learn).
    public var alpha: Double = 1
    /// Whether to fit an intercept (by centring). When false the line goes through the origin.
    public var fitIntercept = true
    /// The normal equations are trusted when LAPACK's reciprocal condition estimate of
    /// `XcᵀWXc + αI` is at least this; below it the fit falls back to QR or SVD.
    public var fallbackReciprocalCondition = 1e-10

    public init(alpha: Double = 1, fitIntercept: Bool = true) {
        self.alpha = alpha
        self.fitIntercept = fitIntercept
    }

    /// The linear solver that produced a fit.
    public enum Solver: String, Codable, Sendable {
        /// Normal equations by Cholesky (the fast path).
        case cholesky
        /// Householder QR of the augmented centred system (ill-conditioned, `alpha > 0`).
        case qr
        /// SVD of the centred system (ill-conditioned or rank-deficient, `alpha = 0`).
        case svd
    }

    /// A fitted ridge (or least squares) model and how it was solved.
    public struct Fit: Codable, Sendable, Equatable {
        /// The fitted intercept and coefficients.
        public var model: LinearModel
        /// Which solver ran.
        public var solver: Solver
        /// The condition number of the normal-equations matrix `XcᵀWXc + αI`: LAPACK's 1-norm
        /// estimate when Cholesky ran, `(s_max / s_min)²` from the singular values when the SVD
        /// ran, and `Double.greatestFiniteMagnitude` when the matrix is exactly singular.
        public var conditionNumber: Double
    }

    /// Fits the model.
    ///
    /// - Parameters:
    ///   - x: `n × p` features, finite.
    ///   - y: `n` finite targets.
    ///   - sampleWeights: `n` finite, non-negative weights with a positive sum; nil means all 1.
    /// - Complexity: O(n·p²) for the Gram matrix plus O(p³); the fallbacks are O(n·p²) too but
    ///   copy `X` once.
    /// - Throws: ``LearnError`` for bad input (see the type's discussion), or
    ///   ``LearnError/linalg(_:)`` if LAPACK fails.
    public func fit(_ x: Matrix, _ y: [Double], sampleWeights: [Double]? = nil) throws(LearnError) -> Fit {
        try TrainingInput.checkShape(x, targets: y.count)
        try TrainingInput.checkFinite(y, "y")
        guard alpha.isFinite && alpha >= 0 else { throw .invalidConfiguration("ridge alpha must be finite and ≥ 0, got \(alpha)") }
        let n = x.rows, p = x.columns
        if alpha == 0 && p + (fitIntercept ? 1 : 0) > n {
            throw .moreFeaturesThanRows(rows: n, features: p + (fitIntercept ? 1 : 0))
        }
        let weightSum = try sampleWeights.map { w throws(LearnError) in try TrainingInput.checkWeights(w, rows: n) } ?? Double(n)
        // The means' pass doubles as the finiteness check of X (NaN and ±∞ always reach a sum).
        let means = TrainingInput.columnMeans(x, weights: sampleWeights, weightSum: weightSum)
        if !means.allSatisfy({ $0.isFinite }) { try TrainingInput.checkFinite(x) }
        let xMean = fitIntercept ? means : [Double](repeating: 0, count: p)
        let yMean = fitIntercept ? TrainingInput.mean(y, weights: sampleWeights, weightSum: weightSum) : 0
        let problem = CentredProblem(x: x, y: y, xMean: xMean, yMean: yMean, weights: sampleWeights)

        let (beta, solver, condition) = try solve(problem)
        let intercept = fitIntercept ? yMean - zip(xMean, beta).reduce(0) { $0 + $1.0 * $1.1 } : 0
        return Fit(model: LinearModel(intercept: intercept, coefficients: beta), solver: solver, conditionNumber: condition)
    }

    /// Cholesky on the normal equations, or the fallback when they are too ill-conditioned.
    func solve(_ problem: CentredProblem) throws(LearnError) -> ([Double], Solver, Double) {
        let (a, b) = problem.normalEquations(alpha: alpha)
        var rcond: Double? = nil
        do {
            let (solution, r) = try LAPACK.choleskySolve(a, Matrix(rows: b.count, columns: 1, columnMajor: b))
            if r >= fallbackReciprocalCondition { return (solution.storage, .cholesky, 1 / r) }
            rcond = r
        } catch {
            switch error {
            case .notPositiveDefinite, .singular: break  // fall back below
            default: throw .linalg(error)
            }
        }
        do {
            if alpha > 0 {
                let (design, target) = problem.design(alpha: alpha)
                let beta = try LAPACK.leastSquaresQR(design, target)
                return (beta, .qr, rcond.map { 1 / $0 } ?? .greatestFiniteMagnitude)
            }
            let (design, target) = problem.design(alpha: 0)
            let epsilon = Double.ulpOfOne * Double(max(design.rows, design.columns))
            let svd = try LAPACK.leastSquaresSVD(design, target, rcond: epsilon)
            return (svd.x, .svd, CentredProblem.conditionNumber(singularValues: svd.singularValues))
        } catch {
            throw .linalg(error)
        }
    }
}

/// Least squares `min Σ wᵢ (yᵢ − b − xᵢᵀβ)²`: ``RidgeRegression`` with `alpha = 0`.
///
/// Cholesky on the normal equations when they are well-conditioned, the SVD (minimum-norm
/// solution) otherwise, which makes constant and collinear columns safe. More parameters than
/// rows is an error.
public struct LeastSquares: Sendable {
    /// Whether to fit an intercept.
    public var fitIntercept = true

    public init(fitIntercept: Bool = true) { self.fitIntercept = fitIntercept }

    /// Fits the model; see ``RidgeRegression/fit(_:_:sampleWeights:)``.
    public func fit(_ x: Matrix, _ y: [Double], sampleWeights: [Double]? = nil) throws(LearnError) -> RidgeRegression.Fit {
        try RidgeRegression(alpha: 0, fitIntercept: fitIntercept).fit(x, y, sampleWeights: sampleWeights)
    }
}
