#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exponential smoothing in state-space form with additive errors (Hyndman's taxonomy):
/// trend none, additive or additive damped; seasonality none, additive or multiplicative.
///
/// **Estimation.** Maximum likelihood. For additive errors the likelihood, concentrated over
/// σ², is `−2 log L = n log(SSE/n) + const`, so the fit minimises `n log(SSE/n)`:
/// 1. initial states from the heuristic of Hyndman et al. (2008, §2.6.1), see
///    ``ETSRecursion/heuristicState(_:period:seasonal:hasTrend:)``;
/// 2. α, β, γ, φ by a bounded ``NelderMead`` with the usual region: α ∈ [1e-4, 0.9999],
///    β = α·β* and γ = (1 − α)·γ* with β*, γ* ∈ [1e-4, 0.9999] (so β < α and γ < 1 − α),
///    φ ∈ [0.8, 0.98]. For the linear models (no or additive seasonality) the errors are
///    affine in the initial state, so every evaluation profiles the initial level and trend
///    out exactly (``ETSRecursion/profiledSSE(_:_:hasTrend:level:trend:seasonal:scratch:)``):
///    the optimiser searches the concentrated likelihood;
/// 3. for additive seasonality, the m seasonal initial states are then concentrated out too,
///    by least squares through ``LeastSquares`` (LAPACK) given the smoothing parameters, and
///    steps 2 and 3 alternate (block-coordinate descent: each round lowers the SSE) until a
///    round lowers `n log(SSE/n)` by less than 0.1, at most 5 rounds; later rounds restart the
///    simplex small around the previous optimum with half the budget. With multiplicative
///    seasonality the initial states stay at the heuristic (the errors are not affine in them)
///    and the optimiser runs once.
///
/// **Selection.** With several candidate specifications (``auto(period:)``), each is fitted and
/// the one with the lowest AICc wins. AICc counts the smoothing parameters, the initial states
/// (level, trend, m − 1 seasonal) and σ, as R's `forecast::ets` does.
///
/// **Intervals** are documented on ``Fitted/forecast(horizon:levels:)``: closed forms for the
/// linear models, a seeded simulation for multiplicative seasonality.
///
/// **Input.** A seasonal specification needs at least `2m` values, every specification more
/// values than parameters + 1 (see ``minimumCount(for:)``). Multiplicative seasonality needs a
/// strictly positive series: asked for explicitly it is an error, and ``auto(period:)`` drops
/// it from the candidates. A constant series (all zeros, say) fits ETS(A,N,N) at that constant
/// with σ = 0, zero-width intervals and no AICc.
///
/// There is no log-transform option here: multiplicative seasonality covers seasonal swings
/// that scale with the level (``HarmonicRegression`` has ``HarmonicRegression/logTransform``).
public struct ETS: Forecaster, Codable, Hashable {
    /// The trend component.
    public enum Trend: String, Codable, Sendable, CaseIterable {
        case none = "N", additive = "A", additiveDamped = "Ad"
    }

    /// The seasonal component.
    public enum Seasonality: String, Codable, Sendable, CaseIterable {
        case none = "N", additive = "A", multiplicative = "M"
    }

    /// One model of the taxonomy; its description reads `ETS(A,Ad,M)` (error, trend, season).
    public struct Specification: Codable, Hashable, Sendable, CustomStringConvertible {
        public var trend: Trend
        public var seasonality: Seasonality

        public init(trend: Trend, seasonality: Seasonality) {
            self.trend = trend
            self.seasonality = seasonality
        }

        public var description: String { "ETS(A,\(trend.rawValue),\(seasonality.rawValue))" }

        var hasTrend: Bool { trend != .none }
        var isSeasonal: Bool { seasonality != .none }
        var isLinear: Bool { seasonality != .multiplicative }
        /// α plus β, γ and φ where present.
        var smoothingParameterCount: Int { 1 + (hasTrend ? 1 : 0) + (isSeasonal ? 1 : 0) + (trend == .additiveDamped ? 1 : 0) }
        /// Smoothing parameters, initial states and σ (R's `forecast::ets` count).
        func parameterCount(period m: Int) -> Int {
            smoothingParameterCount + 1 + (hasTrend ? 1 : 0) + (isSeasonal ? m - 1 : 0) + 1
        }
    }

    /// The seasonal period m (24 for hourly data with a daily cycle); ignored by the
    /// non-seasonal specifications.
    public var period: Int
    /// The specifications to fit; with more than one, the lowest AICc wins.
    public var candidates: [Specification]
    /// The Nelder–Mead budget for each optimisation round.
    public var maxEvaluations: Int = 300

    /// One fixed specification.
    public init(trend: Trend = .none, seasonality: Seasonality = .none, period: Int = 1) {
        self.period = period
        self.candidates = [Specification(trend: trend, seasonality: seasonality)]
    }

    /// Several specifications, chosen among by AICc.
    ///
    /// - Precondition: `candidates` is not empty.
    public init(candidates: [Specification], period: Int) {
        precondition(!candidates.isEmpty, "ETS needs at least one candidate specification")
        self.period = period
        self.candidates = candidates
    }

    /// Automatic ETS: every trend (none, additive, damped) with every seasonality (none,
    /// additive, multiplicative) when `period > 1`, only the three non-seasonal models
    /// otherwise. At fit time multiplicative seasonality is dropped for a series with a value
    /// ≤ 0, and the seasonal models for a series shorter than their minimum.
    public static func auto(period: Int) -> ETS {
        let seasons: [Seasonality] = period > 1 ? Seasonality.allCases : [.none]
        return ETS(candidates: Trend.allCases.flatMap { t in seasons.map { Specification(trend: t, seasonality: $0) } },
                   period: period)
    }

    /// The fewest values `spec` accepts: `2m` for a seasonal model, and more than its
    /// parameter count + 1 (so that AICc is defined), at least 4.
    public func minimumCount(for spec: Specification) -> Int {
        let m = spec.isSeasonal ? period : 1
        return max(spec.isSeasonal ? 2 * m : 4, spec.parameterCount(period: m) + 2)
    }

    /// Fits every candidate and keeps the lowest AICc.
    ///
    /// - Complexity: Per candidate, at most `maxEvaluations` O(n) filter passes (each running
    ///   two or three recursions side by side for the linear models), and for additive
    ///   seasonality up to 4 more rounds of `maxEvaluations / 2` passes, each followed by a
    ///   least-squares solve with `m + 1` unknowns (m + 2 passes and O(n·m²)).
    /// - Throws: See ``Forecaster/fit(_:)``. With one candidate its own requirements are
    ///   errors; with several, candidates the series cannot support are skipped and the error is
    ///   raised only when none is left.
    public func fit(_ y: [Double]) throws(LearnError) -> Fitted {
        try fit(y, warmStart: nil)
    }

    /// ``fit(_:)`` with the optimiser started from `warmStart`'s parameters and initial state
    /// when its specification is among the candidates (used when refitting on a prefix of the
    /// series, whose initial state is at the same time point).
    func fit(_ y: [Double], warmStart: Fitted?) throws(LearnError) -> Fitted {
        try SeriesInput.checkPeriod(period)
        let usable = try usableCandidates(for: y)
        if SeriesInput.isConstant(y) { return Fitted.constant(y, period: period) }
        var best: Fitted? = nil
        var scores: [Fitted.CandidateScore] = []
        for spec in usable {
            let fitted = estimate(spec, y, start: warmStart?.specification == spec ? warmStart : nil)
            scores.append(.init(specification: spec, aicc: fitted.aicc))
            if best == nil || (fitted.aicc ?? .infinity) < (best!.aicc ?? .infinity) { best = fitted }
        }
        var chosen = best!
        // Every candidate's likelihood was infinite: no start keeps a multiplicative recursion in
        // the positive range. That is no model, so say so rather than return one.
        guard chosen.sse.isFinite, chosen.residualScale.isFinite else {
            throw .invalidConfiguration("\(usable.map(\.description).joined(separator: ", ")) cannot be fitted to this series: the recursion leaves the positive range from every start")
        }
        if usable.count > 1 { chosen.candidates = scores }
        return chosen
    }

    /// The candidates `y` can support; throws the first candidate's error when none is left.
    func usableCandidates(for y: [Double]) throws(LearnError) -> [Specification] {
        let positive = SeriesInput.isPositive(y)
        var usable: [Specification] = []
        var firstError: LearnError? = nil
        for spec in candidates {
            do throws(LearnError) {
                try SeriesInput.check(y, minimum: minimumCount(for: spec),
                                      model: "\(spec) with period \(spec.isSeasonal ? period : 1)")
                if spec.isSeasonal && period < 2 {
                    throw LearnError.invalidConfiguration("\(spec) needs a seasonal period of at least 2, got \(period)")
                }
                if spec.seasonality == .multiplicative && !positive {
                    try SeriesInput.checkPositive(y, for: "\(spec) (multiplicative seasonality)")
                }
                usable.append(spec)
            } catch {
                if case .nonFinite = error { throw error }
                if case .emptyTrainingSet = error { throw error }
                firstError = firstError ?? error
            }
        }
        if usable.isEmpty { throw firstError ?? .emptyTrainingSet }
        return usable
    }

    /// Maximum-likelihood fit of one specification (see the type's discussion).
    func estimate(_ spec: Specification, _ y: [Double], start: Fitted?) -> Fitted {
        typealias InitialState = (level: Double, trend: Double, seasonal: [Double])
        let m = spec.isSeasonal ? period : 1
        let n = Double(y.count)
        var state: InitialState = start.map { ($0.initialState.level, $0.initialState.trend, $0.initialState.seasonal) }
            ?? ETSRecursion.heuristicState(y, period: m, seasonal: spec.seasonality, hasTrend: spec.hasTrend)
        let (lower, upper, initial) = ETS.searchSpace(spec, start: start?.parameters)
        var scratch = [Double](repeating: 0, count: 3 * m)
        // n log(SSE/n) from `s`; for a linear model with the level and trend profiled out.
        func evaluate(_ v: [Double], from s: InitialState) -> (objective: Double, level: Double, trend: Double) {
            let c = ETS.coefficients(spec, v)
            let r = y.withUnsafeBufferPointer { py in
                s.seasonal.withUnsafeBufferPointer { ps in
                    scratch.withUnsafeMutableBufferPointer { pw -> (sse: Double, level: Double, trend: Double) in
                        if spec.isLinear {
                            return ETSRecursion.profiledSSE(py, c, hasTrend: spec.hasTrend, level: s.level, trend: s.trend,
                                                            seasonal: ps, scratch: pw)
                        }
                        let sse = ETSRecursion.sse(py, multiplicative: true, c, level: s.level, trend: s.trend, seasonal: ps,
                                                   scratch: UnsafeMutableBufferPointer(rebasing: pw[0..<m]))
                        return (sse, s.level, s.trend)
                    }
                }
            }
            return (n * log(max(r.sse, Double.leastNormalMagnitude) / n), r.level, r.trend)
        }
        var u = initial
        var budget = maxEvaluations
        var step = start == nil ? 0.1 : 0.03
        var previous = Double.infinity
        let alternates = spec.isSeasonal && spec.isLinear
        for _ in 0..<(alternates ? ETS.maxRounds : 1) {
            let s0 = state
            let optimiser = NelderMead(lowerBounds: lower, upperBounds: upper, maxEvaluations: budget,
                                       tolerance: ETS.valueTolerance, pointTolerance: ETS.pointTolerance, initialStep: step)
            u = optimiser.minimize(from: u) { evaluate($0, from: s0).objective }.x
            let profiled = evaluate(u, from: s0)
            state.level = profiled.level
            state.trend = profiled.trend
            guard alternates, let refined = ETSRecursion.leastSquaresState(
                y, period: m, hasTrend: spec.hasTrend, seasonal: true, ETS.coefficients(spec, u)) else { break }
            let current = evaluate(u, from: refined)
            state = (current.level, current.trend, refined.seasonal)
            if previous - current.objective < ETS.roundTolerance { break }
            previous = current.objective
            budget = max(60, maxEvaluations / 2)
            step = 0.03
        }
        return Fitted.make(spec, period: m, y: y, coefficients: ETS.coefficients(spec, u),
                           initialState: State(level: state.level, trend: state.trend, seasonal: state.seasonal))
    }

    /// The optimiser's simplex-size tolerance, as a fraction of each parameter's range.
    static let pointTolerance = 2e-3
    /// The optimiser's tolerance on the spread of `n log(SSE/n)`, relative.
    static let valueTolerance = 1e-6
    /// The most optimiser / least-squares rounds for a linear model.
    static let maxRounds = 5
    /// Rounds stop when one lowers `n log(SSE/n)` (that is, −2 log L) by less than this.
    static let roundTolerance = 0.1

    // MARK: Parameterisation

    /// Box, and start, for `[α, β*, γ*, φ]` (present components only).
    static func searchSpace(_ spec: Specification, start: Parameters?) -> ([Double], [Double], [Double]) {
        var lower = [1e-4], upper = [0.9999]
        var initial = [start?.alpha ?? (spec.isSeasonal ? 0.1 : 0.3)]
        if spec.hasTrend {
            lower.append(1e-4); upper.append(0.9999)
            initial.append(start.map { $0.beta / max($0.alpha, 1e-4) } ?? 0.1)
        }
        if spec.isSeasonal {
            lower.append(1e-4); upper.append(0.9999)
            initial.append(start.map { $0.gamma / max(1 - $0.alpha, 1e-4) } ?? 0.1)
        }
        if spec.trend == .additiveDamped {
            lower.append(0.8); upper.append(0.98)
            initial.append(start?.phi ?? 0.95)
        }
        return (lower, upper, initial)
    }

    /// Natural coefficients from the search vector (absent components: β = γ = 0, φ = 1).
    static func coefficients(_ spec: Specification, _ u: [Double]) -> ETSRecursion.Coefficients {
        let alpha = u[0]
        var k = 1
        var beta = 0.0, gamma = 0.0, phi = 1.0
        if spec.hasTrend { beta = u[k] * alpha; k += 1 }
        if spec.isSeasonal { gamma = u[k] * (1 - alpha); k += 1 }
        if spec.trend == .additiveDamped { phi = u[k] }
        return .init(alpha: alpha, beta: beta, gamma: gamma, phi: phi)
    }
}
