import MosaicCore

extension ETS {
    /// Smoothing parameters in natural units: β = 0 without a trend, γ = 0 without a season,
    /// φ = 1 without damping.
    public struct Parameters: Codable, Equatable, Sendable {
        public var alpha: Double
        public var beta: Double
        public var gamma: Double
        public var phi: Double
    }

    /// A state of the recursion: level, trend (0 without one) and one seasonal state per
    /// position of the cycle (`seasonal[j]` serves the times `t ≡ j (mod m)`, counted from the
    /// first training value; `[0]` without a season).
    public struct State: Codable, Equatable, Sendable {
        public var level: Double
        public var trend: Double
        public var seasonal: [Double]
    }

    /// A fitted ETS model: its specification, parameters, initial and final states.
    public struct Fitted: FittedForecaster, Equatable {
        /// The AICc of one candidate specification (nil when it is undefined).
        public struct CandidateScore: Codable, Equatable, Sendable {
            public var specification: Specification
            public var aicc: Double?
        }

        public let specification: Specification
        /// The period the seasonal states cycle over (1 for a non-seasonal model).
        public let period: Int
        public let parameters: Parameters
        /// The state before the first training value.
        public let initialState: State
        /// The state after the last training value, from which forecasts start.
        public let finalState: State
        /// The number of training values.
        public let count: Int
        /// `√(SSE / (n − k))` with k the smoothing parameters and initial states.
        public let residualScale: Double
        /// The sum of squared one-step errors.
        public let sse: Double
        /// The AICc (nil for a constant series, whose SSE is 0).
        public let aicc: Double?
        /// Every specification tried, with its AICc, when there were several.
        public internal(set) var candidates: [CandidateScore]
        @NaNAsNull public private(set) var fittedValues: [Double]

        /// The seed of the simulation behind multiplicative-season intervals.
        static let simulationSeed: UInt64 = 0x4554_535F_5349_4D31
        /// The number of simulated paths behind multiplicative-season intervals.
        static let simulatedPaths = 5_000

        /// Point forecasts from the final state, and intervals.
        ///
        /// - Point forecast at step h: `T_h + s` or `T_h · s`, with `T_h = ℓ + (φ + … + φʰ) b`
        ///   and `s` the seasonal state of the step's position.
        /// - Linear models (no or additive season): normal intervals with the exact variance of
        ///   Hyndman et al. (2008, table 6.1, class 1): `σ²(1 + Σ_{j<h} c_j²)`,
        ///   `c_j = α + β(φ + … + φʲ) + γ·[j ≡ 0 mod m]`.
        /// - Multiplicative season: no simple closed form, so the fitted model is simulated
        ///   (5,000 paths, Gaussian errors with σ = ``residualScale``, ``MosaicCore/SeededRandom``
        ///   with a fixed seed, so the intervals are deterministic) and the bounds are the
        ///   empirical quantiles at each step.
        ///
        /// - Complexity: O(h) for points and linear intervals; O(5,000·h) for simulated ones.
        public func forecast(horizon h: Int, levels: [Double]) -> Forecast {
            precondition(h >= 0, "horizon must be ≥ 0, got \(h)")
            let p = parameters, m = period
            let multiplicative = specification.seasonality == .multiplicative
            var mean = [Double](repeating: 0, count: h)
            var phiPower = 1.0, phiSum = 0.0
            for k in 0..<h {
                phiPower *= p.phi
                phiSum += phiPower
                let tp = finalState.level + phiSum * finalState.trend
                let s = finalState.seasonal[(count + k) % m]
                mean[k] = multiplicative ? tp * s : tp + s
            }
            if levels.isEmpty || h == 0 {
                return Forecast(mean: mean, intervals: levels.map { .init(level: $0, lower: [], upper: []) })
            }
            if multiplicative { return simulatedIntervals(mean: mean, levels: levels) }
            var sd = [Double](repeating: 0, count: h)
            var sumSquares = 0.0
            phiPower = 1
            phiSum = 0
            for k in 0..<h {
                sd[k] = residualScale * (1 + sumSquares).squareRoot()
                let j = k + 1
                phiPower *= p.phi
                phiSum += phiPower
                let c = p.alpha + p.beta * phiSum + (m > 1 && j % m == 0 ? p.gamma : 0)
                sumSquares += c * c
            }
            return .normal(mean: mean, standardDeviations: sd, levels: levels)
        }

        /// Quantiles of simulated sample paths (see ``forecast(horizon:levels:)``).
        func simulatedIntervals(mean: [Double], levels: [Double]) -> Forecast {
            let h = mean.count, m = period, paths = Fitted.simulatedPaths
            var draws = [[Double]](repeating: [Double](repeating: 0, count: paths), count: h)
            var random = SeededRandom(seed: Fitted.simulationSeed)
            var seasonal = finalState.seasonal
            let c = parameters
            for i in 0..<paths {
                var l = finalState.level, b = finalState.trend
                for j in 0..<m { seasonal[j] = finalState.seasonal[j] }
                for k in 0..<h {
                    let j = (count + k) % m
                    let tp = l + c.phi * b
                    let e = residualScale * random.normal()
                    let value = tp * seasonal[j] + e
                    draws[k][i] = value
                    let scaled = seasonal[j] != 0 ? e / seasonal[j] : 0
                    l = tp + c.alpha * scaled
                    b = c.phi * b + c.beta * scaled
                    if tp != 0 { seasonal[j] += c.gamma * e / tp }
                }
            }
            for k in 0..<h { draws[k].sort() }
            let intervals = levels.map { level -> Forecast.Interval in
                precondition(level > 0 && level < 100, "interval level is a percentage in (0, 100), got \(level)")
                let tail = (100 - level) / 200
                return Forecast.Interval(level: level,
                                         lower: draws.map { ForecastMath.quantile(sorted: $0, tail) },
                                         upper: draws.map { ForecastMath.quantile(sorted: $0, 1 - tail) })
            }
            return Forecast(mean: mean, intervals: intervals)
        }

        /// Runs the filter once more to record the fitted values, final state and scores.
        static func make(_ spec: Specification, period m: Int, y: [Double], coefficients c: ETSRecursion.Coefficients,
                         initialState: State) -> Fitted {
            let n = y.count
            var fitted = [Double](repeating: .nan, count: n)
            var seasonal = initialState.seasonal
            var level = initialState.level, trend = initialState.trend
            let sse = y.withUnsafeBufferPointer { py in
                fitted.withUnsafeMutableBufferPointer { pf in
                    seasonal.withUnsafeMutableBufferPointer { ps in
                        ETSRecursion.run(py, multiplicative: !spec.isLinear, c, level: &level, trend: &trend,
                                         seasonal: ps, fitted: pf)
                    }
                }
            }
            let k = spec.parameterCount(period: m)
            let dof = n - (k - 1) > 0 ? n - (k - 1) : n
            return Fitted(specification: spec, period: m,
                          parameters: Parameters(alpha: c.alpha, beta: c.beta, gamma: c.gamma, phi: c.phi),
                          initialState: initialState, finalState: State(level: level, trend: trend, seasonal: seasonal),
                          count: n, residualScale: sse.isFinite ? (sse / Double(dof)).squareRoot() : .nan, sse: sse,
                          aicc: ForecastMath.aicc(sse: sse, count: n, parameters: k), candidates: [],
                          fittedValues: fitted)
        }

        /// ETS(A,N,N) at the constant, σ = 0: what every specification reduces to.
        static func constant(_ y: [Double], period: Int) -> Fitted {
            let c = y[0]
            let state = State(level: c, trend: 0, seasonal: [0])
            return Fitted(specification: Specification(trend: .none, seasonality: .none), period: 1,
                          parameters: Parameters(alpha: 1e-4, beta: 0, gamma: 0, phi: 1), initialState: state,
                          finalState: state, count: y.count, residualScale: 0, sse: 0, aicc: nil, candidates: [],
                          fittedValues: [Double](repeating: c, count: y.count))
        }
    }
}
