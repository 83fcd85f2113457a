import Foundation
import MosaicLinalg

/// Dynamic harmonic regression: Fourier terms for one or more seasonal periods, an optional
/// linear trend and weekend flag, and autoregressive errors.
///
/// `zₜ = b + c·t + Σ_P Σ_{k≤K_P} (a_{P,k} cos(2πkt/P) + b_{P,k} sin(2πkt/P)) + d·weekendₜ + uₜ`,
/// `uₜ = Σ_{l∈L} φ_l uₜ₋ₗ + εₜ`, with `zₜ = yₜ` or `log yₜ` (``logTransform``).
///
/// **Estimation** (two-step, all least squares through ``LeastSquares``, i.e. BLAS/LAPACK):
/// 1. the regression by ordinary least squares; where a seasonality's `harmonics` is nil, K is
///    chosen by AICc (coordinate search, two sweeps, K from 1 to `min(maxHarmonics, ⌊P/2⌋)`);
/// 2. an autoregression on the regression residuals with lags `L = {1…p} ∪ S`, where S holds
///    `P − 1, P, P + 1` for each period in ``seasonalARPeriods`` (the neighbourhood a
///    multiplicative seasonal AR would create) and `p ∈ 0…maxAROrder` is chosen by AICc on a
///    common sample. A seasonal AR period P is used only when the series has at least 3P values.
///
/// **Forecasts** continue the regressors and run the autoregression forward from the last
/// residuals. **Intervals** are normal with variance `σ² Σ_{j<h} ψⱼ²` (ψ the AR's MA(∞)
/// weights, σ the innovations' scale): the AR error propagation is included, the uncertainty
/// of the regression coefficients is not. With ``logTransform`` the mean and bounds are
/// exponentiated: the point forecast is then the median, and the bounds are exact quantiles.
///
/// **Input.** A regular series with more values than regression parameters + 2; with
/// ``logTransform``, strictly positive values. A constant series forecasts the constant with
/// zero-width intervals.
public struct HarmonicRegression: Forecaster, Codable, Hashable {
    /// Fourier terms for one seasonal period.
    public struct Seasonality: Codable, Hashable, Sendable {
        /// The period in steps (24 and 168 for the daily and weekly cycles of hourly data),
        /// at least 2; need not be an integer.
        public var period: Double
        /// K, the number of harmonics, in `0…⌊P/2⌋`; nil to choose it by AICc.
        public var harmonics: Int?

        public init(period: Double, harmonics: Int? = nil) {
            self.period = period
            self.harmonics = harmonics
        }

        /// `24×3` (period × harmonics; `auto` when chosen by AICc).
        var label: String {
            let p = period == period.rounded() && abs(period) < 1e15 ? String(Int(period)) : String(period)
            return "\(p)×\(harmonics.map(String.init) ?? "auto")"
        }
    }

    /// The calendar that places a weekend flag: which weekday the first value falls on.
    public struct Weekend: Codable, Hashable, Sendable {
        /// The weekday of the first value: 0 = Monday … 5 = Saturday, 6 = Sunday.
        public var firstWeekday: Int
        /// Steps per day (24 for hourly data).
        public var periodsPerDay: Int
        /// The step of the day the first value falls on (0 = the first hour).
        public var firstPeriodOfDay: Int

        public init(firstWeekday: Int, periodsPerDay: Int, firstPeriodOfDay: Int = 0) {
            self.firstWeekday = firstWeekday
            self.periodsPerDay = periodsPerDay
            self.firstPeriodOfDay = firstPeriodOfDay
        }

        /// Whether time index `t` falls on a Saturday or Sunday.
        public func isWeekend(_ t: Int) -> Bool {
            let day = (firstWeekday + (firstPeriodOfDay + t) / periodsPerDay) % 7
            return day >= 5
        }
    }

    public var seasonalities: [Seasonality]
    /// Whether to include the linear trend `c·t`.
    public var trend: Bool
    /// The weekend flag's calendar, or nil for none.
    public var weekend: Weekend?
    /// The largest ordinary AR order p tried for the errors (chosen by AICc from 0).
    public var maxAROrder: Int
    /// Periods whose neighbouring lags `P − 1, P, P + 1` join the error autoregression.
    public var seasonalARPeriods: [Int]
    /// Fit `log y` instead of `y` (Box–Cox with λ = 0); needs a strictly positive series.
    public var logTransform: Bool
    /// The largest K tried when a seasonality's harmonics are chosen by AICc.
    public var maxHarmonics: Int

    public init(seasonalities: [Seasonality], trend: Bool = true, weekend: Weekend? = nil, maxAROrder: Int = 3,
                seasonalARPeriods: [Int] = [], logTransform: Bool = false, maxHarmonics: Int = 12) {
        self.seasonalities = seasonalities
        self.trend = trend
        self.weekend = weekend
        self.maxAROrder = maxAROrder
        self.seasonalARPeriods = seasonalARPeriods
        self.logTransform = logTransform
        self.maxHarmonics = maxHarmonics
    }

    /// The fewest values `fit` accepts: the regression's parameters (intercept, trend, 2 per
    /// harmonic, weekend) + 3, counting `maxHarmonics` for a seasonality whose K is chosen.
    public var minimumCount: Int {
        let ks = seasonalities.map { $0.harmonics ?? min(maxHarmonics, Int($0.period / 2)) }
        return HarmonicDesign.columnCount(seasonalities, harmonics: ks, trend: trend, weekend: weekend != nil) + 4
    }

    /// Fits the regression, then the error autoregression.
    ///
    /// - Complexity: O(n·c²) for c regressors per least-squares fit (one, or about
    ///   2 · Σ K_max with chosen harmonics), plus O(n·|L|²) per AR candidate.
    /// - Throws: See ``Forecaster/fit(_:)``; ``LearnError/invalidConfiguration(_:)`` for a
    ///   period below 2, harmonics outside `0…⌊P/2⌋`, a negative AR order or a bad calendar.
    public func fit(_ y: [Double]) throws(LearnError) -> Fitted {
        try validate()
        try SeriesInput.check(y, minimum: minimumCount, model: "harmonic regression with these terms")
        if logTransform { try SeriesInput.checkPositive(y, for: "the log transform") }
        let n = y.count
        if SeriesInput.isConstant(y) {
            return Fitted.constant(y, configuration: self, harmonics: seasonalities.map { $0.harmonics ?? 0 })
        }
        let z = logTransform ? y.map { log($0) } : y
        let harmonics = try chooseHarmonics(z)
        let x = HarmonicDesign.matrix(start: 0, count: n, seasonalities: seasonalities, harmonics: harmonics,
                                      trend: trend, weekend: weekend)
        let regression = try LeastSquares().fit(x, z).model
        let mean = try regression.predict(x)
        let residuals = zip(z, mean).map { $0 - $1 }
        let seasonalLags = seasonalARPeriods.filter { $0 >= 2 && n >= 3 * $0 }.flatMap { [$0 - 1, $0, $0 + 1] }
        let ar = Autoregression.select(residuals, maxOrder: maxAROrder, seasonalLags: Array(Set(seasonalLags)).sorted())
        return Fitted.make(configuration: self, harmonics: harmonics, y: y, z: z, regression: regression,
                           regressionMean: mean, residuals: residuals, ar: ar)
    }

    func validate() throws(LearnError) {
        for s in seasonalities {
            guard s.period >= 2, s.period.isFinite else {
                throw .invalidConfiguration("a Fourier period must be finite and at least 2, got \(s.period)")
            }
            if let k = s.harmonics, k < 0 || 2 * Double(k) > s.period {
                throw .invalidConfiguration("period \(s.period) allows 0…\(Int(s.period / 2)) harmonics, got \(k)")
            }
        }
        guard maxAROrder >= 0, maxHarmonics >= 1 else {
            throw .invalidConfiguration("maxAROrder must be ≥ 0 and maxHarmonics ≥ 1, got \(maxAROrder) and \(maxHarmonics)")
        }
        if let w = weekend, !(0...6).contains(w.firstWeekday) || w.periodsPerDay < 1 || w.firstPeriodOfDay < 0 {
            throw .invalidConfiguration("weekend calendar needs firstWeekday in 0…6, periodsPerDay ≥ 1 and firstPeriodOfDay ≥ 0")
        }
    }

    /// Fixed harmonics as given; the others by AICc of the regression alone (coordinate search).
    func chooseHarmonics(_ z: [Double]) throws(LearnError) -> [Int] {
        var ks = seasonalities.map { $0.harmonics ?? 1 }
        let free = seasonalities.indices.filter { seasonalities[$0].harmonics == nil }
        if free.isEmpty { return ks }
        var cache: [[Int]: Double] = [:]
        func score(_ candidate: [Int]) throws(LearnError) -> Double {
            if let s = cache[candidate] { return s }
            let x = HarmonicDesign.matrix(start: 0, count: z.count, seasonalities: seasonalities, harmonics: candidate,
                                          trend: trend, weekend: weekend)
            var s = Double.infinity
            if x.columns + 2 < z.count {
                let fit = try LeastSquares().fit(x, z)
                let predicted = try fit.model.predict(x)
                let sse = zip(z, predicted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                s = ForecastMath.aicc(sse: sse, count: z.count, parameters: x.columns + 2) ?? -.infinity
            }
            cache[candidate] = s
            return s
        }
        for _ in 0..<2 {
            for i in free {
                let limit = min(maxHarmonics, Int(seasonalities[i].period / 2))
                var bestK = ks[i], bestScore = try score(ks)
                for k in 1...max(1, limit) {
                    var trial = ks
                    trial[i] = k
                    let s = try score(trial)
                    if s < bestScore { bestScore = s; bestK = k }
                }
                ks[i] = bestK
            }
        }
        return ks
    }
}
