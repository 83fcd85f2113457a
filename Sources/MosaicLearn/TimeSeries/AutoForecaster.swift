import Dispatch
import MosaicLinalg
import Synchronization

/// Automatic forecasting: fits a set of candidate methods, scores each by rolling-origin
/// cross-validation, and keeps the best one, or the mean of the best 2–3 when that scores
/// better.
///
/// **Cross-validation.** The last `origins · horizon` values are cut into `origins` blocks of
/// `horizon` values (``Validation/rollingOrigin(count:folds:minimumTrain:)``); at each origin
/// every candidate is fitted on the values before the block and forecasts the block. The
/// score is the mean over origins of the MASE, scaled by the in-sample seasonal-naive MAE of
/// that origin's training part (``ForecastMetrics/maseScale(_:period:)``); actual values that
/// are missing or in an outage are not scored. By default the origins cover the secondary
/// period (4 origins of 48 hours span more than a week), so every day of the week is scored.
/// On a series of under about two weeks, an origin with fewer values before it than
/// ``minimumTrain`` (a week and an hour, for hourly data) is left out when a later one has that
/// many: its candidates could not see the week that the fit on the whole series sees, and chose
/// as if there were none (17 days of hourly New York taxi counts, 4 folds of 48 hours in six
/// windows: mean MASE 0.91 with those origins, 0.51 without; statsforecast's MSTL 0.34).
/// Shortcut, for speed: an ``ETS`` candidate with several specifications picks its
/// specification by AICc once, on the first origin's training part, and only that
/// specification is refitted at each origin and on the whole series. A candidate that cannot be fitted at some origin
/// is not scored and cannot be chosen. No forecast at an origin sees a value after it.
///
/// **Hygiene.** With ``hygiene`` (the default) missing values (NaN) and outages are replaced
/// and a level shift across a long outage is taken out (``SeriesHygiene``) before any fit; in
/// cross-validation each origin's training part is cleaned on its own. An origin that lies
/// inside an outage of low values, or less than a period after its end, is not scored and
/// gives no interval calibration errors: its own cleaning must keep the outage as the present
/// state (it cannot see the recovery), so its forecasts start from zeros, a situation the fit
/// on the whole series, whose hygiene saw the recovery, is not in. (On real traffic with a
/// shutdown ending 2 days before the origin, such origins chose seasonal naive and widened the
/// intervals until they covered every hour.) Likewise, after a level shift that the hygiene
/// found without an outage (a step, or a fall to the present state), the hours after it are not
/// scored from origins before it or less than 2 periods after it (too young for their own
/// cleaning to take it for one): they forecast the old level, which the fit on the whole series
/// does not. After a step, the interval calibration errors of the origins before it, made at
/// the old level, are scaled by the step's factor to the new one.
///
/// **Intervals.** With ``conformalIntervals`` (the default) rolling-origin errors calibrate
/// split-conformal intervals with a smooth growth over the horizon (``ConformalIntervals``).
/// Each origin's errors are those of the choice made on the *other* origins, so the
/// calibration sees the optimism of picking the best of several candidates on the same folds
/// (the winner's own errors hid it: on M4 Hourly's training data, holding out each series'
/// last 48 hours, 80 % / 95 % intervals covered 74.6 % / 90.1 % that way and 78.6 % / 92.6 %
/// this way). The models' own intervals are kept when there are fewer than 20 scored errors.
/// For a series that is never negative, the widths may follow the forecast's level (narrow at
/// night, wide at the peak) when leaving each origin out shows that scores better
/// (``levelScaledIntervals``).
/// Where origins too short to see the week were left out, the one to three left calibrate the
/// intervals with errors that are correlated within each origin, too few to trust: the intervals
/// are then at least as wide as the models' own (``Fitted/widenedToModels``). On 12 taxi windows
/// of 17 and 21 days the 80 % / 95 % intervals covered 73.8 % / 90.9 % without that and 80.0 % /
/// 94.0 % with it; on M4 Hourly's last 16 days, 75.4 % / 90.2 % and 82.5 % / 93.9 %.
///
/// **Combination.** With ``combination`` on, the candidates are ranked by score, and the
/// equal-weight mean of the best k (k = 2 … ``maxCombined``) is scored on the same origins
/// from the members' forecasts. The lowest score wins, single or combined. A combination's
/// point forecast is the members' mean; its interval bounds are the members' bounds averaged
/// level by level (a pragmatic choice, not a quantile of the mixture), and its fitted values
/// are the mean of the members' fitted values.
///
/// **Input.** At least `period + 1` values (what seasonal naive needs). When the series is too
/// short for any candidate to be scored, the first candidate that fits the whole series is
/// kept, with no scores. A constant series keeps seasonal naive (constant forecasts,
/// zero-width intervals) without cross-validation.
public struct AutoForecaster: Forecaster, Codable, Hashable {
    /// The seasonal period m, for the MASE scale and the default candidates.
    public var period: Int
    /// The forecast horizon h scored by cross-validation.
    public var horizon: Int
    /// The number of rolling origins.
    public var origins: Int
    /// The methods to choose among.
    public var candidates: [AnyForecaster]
    /// Whether to try equal-weight combinations of the best candidates.
    public var combination: Bool
    /// The most candidates in a combination (2 or more).
    public var maxCombined: Int
    /// Training-data hygiene applied before fitting (and, in cross-validation, to each
    /// origin's training part on its own); nil to fit the series as given.
    public var hygiene: SeriesHygiene?
    /// Whether the intervals are conformal, from the cross-validation errors (see
    /// ``ConformalIntervals``), rather than the models' own.
    public var conformalIntervals: Bool = true
    /// Whether the conformal intervals of a series that is never negative may widen with the
    /// forecast's level and narrow at its troughs (``ConformalIntervals/init(errors:forecasts:)``)
    /// rather than keep one width at every level.
    public var levelScaledIntervals: Bool = true
    /// The fewest values an origin trains on: an origin with fewer is left out of the
    /// cross-validation when another has enough (by default the secondary period plus one, what
    /// MSTL needs to see the week; the period plus one without one). See the type's discussion.
    public var minimumTrain: Int

    /// - Parameters:
    ///   - period: The seasonal period m (24 for hourly data).
    ///   - horizon: The horizon to score (48 for M4 hourly).
    ///   - secondaryPeriod: A longer cycle (168, the week, for hourly data): the default
    ///     harmonic regressions' seasonal AR lags, the second MSTL period, the hygiene's
    ///     replacement profile and the span the origins cover; by default 168 when
    ///     `period == 24`, else none.
    ///   - candidates: The methods; nil for ``defaultCandidates(period:secondaryPeriod:)``.
    ///   - origins: The rolling origins; nil for enough blocks of `horizon` to cover the
    ///     secondary period (the week), at least 3.
    ///   - hygiene: Whether to clean the training data with ``SeriesHygiene``.
    public init(period: Int, horizon: Int, secondaryPeriod: Int? = nil, candidates: [AnyForecaster]? = nil,
                origins: Int? = nil, combination: Bool = true, maxCombined: Int = 3, hygiene: Bool = true) {
        self.period = period
        self.horizon = horizon
        self.combination = combination
        self.maxCombined = maxCombined
        let secondary = secondaryPeriod ?? (period == 24 ? 168 : nil)
        let cover = secondary ?? period
        self.origins = origins ?? max(3, horizon > 0 ? (cover + horizon - 1) / horizon : 3)
        self.candidates = candidates ?? AutoForecaster.defaultCandidates(period: period, secondaryPeriod: secondary)
        self.hygiene = hygiene ? SeriesHygiene(period: period, secondaryPeriod: secondary) : nil
        self.minimumTrain = (secondary ?? period) + 1
    }

    /// Seasonal naive, ``ETS/auto(period:)``, and (for `period ≥ 2`) three harmonic
    /// regressions with Fourier terms for `period` (K = 3 and K = 10, at most ⌊m/2⌋, no trend;
    /// K = 3 on the log scale, which cannot fit a series with values ≤ 0), each with AR(p ≤ 3)
    /// errors plus the seasonal AR lags of `period` and `secondaryPeriod`.
    ///
    /// On M4 hourly, Fourier terms for the weekly period (168) or a linear trend made the
    /// harmonic regression worse (K = 3: MASE 1.01 with two weekly harmonics, 0.82 with a
    /// trend, 0.75 with neither), and adding such candidates made the cross-validated choice
    /// worse too (0.748 against 0.742): the week enters through the AR lags 167–169 instead,
    /// which adapt to the recent weeks.
    public static func defaultCandidates(period m: Int, secondaryPeriod: Int?) -> [AnyForecaster] {
        var list: [AnyForecaster] = [.seasonalNaive(SeasonalNaive(period: m)), .ets(.auto(period: m))]
        guard m >= 2 else { return list }  // seasonal naive with period 1 is the naive forecast
        let arPeriods = [m] + (secondaryPeriod.map { [$0] } ?? [])
        let kSmall = min(3, m / 2), kLarge = min(10, m / 2)
        for (k, log) in [(kSmall, false), (kLarge, false), (kSmall, true)] {
            list.append(.harmonicRegression(HarmonicRegression(
                seasonalities: [.init(period: Double(m), harmonics: k)], trend: false, maxAROrder: 3,
                seasonalARPeriods: arPeriods, logTransform: log)))
        }
        if let w = secondaryPeriod, w > m {
            list.append(.mstl(MSTL.candidate(periods: [m, w])))
        }
        var seen = Set<AnyForecaster>()
        return list.filter { seen.insert($0).inserted }  // small periods make K = 3 and K = 10 equal
    }

    /// Fits, scores and chooses (see the type's discussion).
    ///
    /// - Complexity: Each candidate is fitted `origins + 1` times.
    /// - Throws: See ``Forecaster/fit(_:)``; ``LearnError/invalidConfiguration(_:)`` for no
    ///   candidates, `horizon < 1`, `origins < 1` or `maxCombined < 2`.
    public func fit(_ y: [Double]) throws(LearnError) -> Fitted { try fit(y, progress: nil) }

    /// ``fit(_:)``, calling `progress(done, total)` after each of its `2 × candidates` steps
    /// (each candidate's fit to the whole series, then its fits at the origins), for a long
    /// series' progress line. It is called on the calling thread.
    public func fit(_ y: [Double], progress: ((_ done: Int, _ total: Int) -> Void)?) throws(LearnError) -> Fitted {
        guard !candidates.isEmpty, horizon >= 1, origins >= 1, maxCombined >= 2 else {
            throw .invalidConfiguration("AutoForecaster needs candidates, horizon ≥ 1, origins ≥ 1 and maxCombined ≥ 2")
        }
        try SeriesInput.checkPeriod(period)
        guard !y.isEmpty else { throw .emptyTrainingSet }
        if let i = y.firstIndex(where: { $0.isInfinite }) ?? (hygiene == nil ? SeriesInput.firstNonFinite(y) : nil) {
            throw .nonFinite("series value at index \(i) is \(y[i]); forecasters need a regular series of finite values")
        }
        if y.allSatisfy({ $0.isNaN }) { throw .nonFinite("every value of the series is missing (NaN)") }
        let report = hygiene.map { $0.clean(y) }
        let x = report?.values ?? y
        try SeriesInput.check(x, minimum: period + 1, model: "the automatic choice, with a season of \(period) steps,")
        if SeriesInput.isConstant(x) {
            let member = AnyFittedForecaster.seasonalNaive(try SeasonalNaive(period: period).fit(x))
            return Fitted(y: x, chosen: [member.name], members: [member], scores: [], cleaning: report)
        }
        // Whole-series fits.
        let plan = ForecastCrossValidation.plan(count: y.count, horizon: horizon, origins: origins, minimumTrain: minimumTrain)
        let trains = plan.map { originTrainingParts(y, plan: $0) } ?? []
        let starts = candidates.map { specificationChoice($0, trains: trains) }
        var full: [AnyFittedForecaster?] = []
        let steps = 2 * candidates.count
        for (i, c) in candidates.enumerated() {
            if let start = starts[i], case .ets(var ets) = c {
                ets.candidates = [start.specification]
                full.append((try? ets.fit(x, warmStart: start)).map { .ets($0) })
            } else {
                full.append(try? c.fit(x))
            }
            progress?(i + 1, steps)
        }
        var actual = y.indices.map { t in report?.replaced[t] == true ? Double.nan : y[t] }
        // A level shift without an outage before it: a step, or a fall to the present state.
        let shift = report.flatMap { r -> (at: Int, factor: Double)? in
            guard let at = r.levelShiftAt, let factor = r.levelShiftFactor, !r.outages.contains(where: { $0[1] == at }) else { return nil }
            return (at, factor)
        }
        if let report, let plan {
            for cut in plan.cuts where SeriesHygiene.isUnresolved(cut: cut, outages: report.outages, y: y, period: period) {
                for t in cut..<min(y.count, cut + horizon) { actual[t] = .nan }
            }
            // It is recognised once it is 2 periods old: an origin before that forecast the old
            // level past it.
            if let shift {
                for cut in plan.cuts where cut < shift.at + 2 * period {
                    let from = max(cut, shift.at), to = min(y.count, cut + horizon)
                    if from < to { for t in from..<to { actual[t] = .nan } }
                }
            }
        }
        var paths: [[[Double]]?] = []  // candidate → origin → forecast
        for (i, c) in candidates.enumerated() {
            defer { progress?(candidates.count + i + 1, steps) }
            guard full[i] != nil, plan != nil else { paths.append(nil); continue }
            paths.append(originForecasts(c, trains: trains, start: starts[i]))
        }
        let scales = trains.map { ForecastCrossValidation.scale($0[...], period: period) }
        let scored = ForecastCrossValidation.rank(paths: paths, names: candidates.map(\.name), actual: actual, plan: plan,
                                                  scales: scales, combination: combination, maxCombined: maxCombined)
        guard let best = scored.best, let plan else {
            guard let first = full.firstIndex(where: { $0 != nil }), let member = full[first] else {
                throw firstError(x)
            }
            return Fitted(y: x, chosen: [candidates[first].name], members: [member], scores: [], cleaning: report)
        }
        let members = best.map { full[$0]! }
        var conformal: ConformalIntervals? = nil
        if conformalIntervals {
            var selection = ForecastCrossValidation.selectionErrors(paths: paths, actual: actual, plan: plan, scales: scales,
                                                                    combination: combination, maxCombined: maxCombined,
                                                                    fallback: best, horizon: horizon)
            // The errors of origins before a step are at the old level: brought to the new one
            // (not after a fall to the present state, whose noise is not a fifth of the old).
            if let shift, report?.levelStep == true {
                for (o, cut) in plan.cuts.enumerated() where cut < shift.at {
                    selection.errors[o] = selection.errors[o].map { $0 * shift.factor }
                    selection.forecasts[o] = selection.forecasts[o].map { $0 * shift.factor }
                }
            }
            conformal = levelScaledIntervals && SeriesInput.isNeverNegative(x)
                ? ConformalIntervals(errors: selection.errors, forecasts: selection.forecasts)
                : ConformalIntervals(errors: selection.errors)
        }
        return Fitted(y: x, chosen: best.map { candidates[$0].name }, members: members, scores: scored.scores,
                      cleaning: report, conformal: conformal, widenedToModels: plan.cuts.count < origins)
    }

    /// Each origin's training part, cleaned on its own by the hygiene: no value after the
    /// origin is seen.
    func originTrainingParts(_ y: [Double], plan: ForecastCrossValidation.Plan) -> [[Double]] {
        plan.cuts.map { cut in
            let part = Array(y[0..<cut])
            return hygiene.map { $0.clean(part).values } ?? part
        }
    }

    /// For an ``ETS`` with several specifications, its fit (by AICc) to the first origin's
    /// training part: the specification then used at every origin and on the whole series
    /// (a shortcut for speed that sees no value after the first origin). Nil otherwise.
    func specificationChoice(_ candidate: AnyForecaster, trains: [[Double]]) -> ETS.Fitted? {
        guard case .ets(let ets) = candidate, ets.candidates.count > 1, let first = trains.first else { return nil }
        return try? ets.fit(first)
    }

    /// One candidate's forecasts from each origin's training part, or nil when it fails at one.
    /// An ETS with several specifications refits only the one of `start` (warm-started from it).
    func originForecasts(_ candidate: AnyForecaster, trains: [[Double]], start: ETS.Fitted?) -> [[Double]]? {
        let h = horizon
        if case .ets(let ets) = candidate, ets.candidates.count > 1 {
            guard let start else { return nil }
            var single = ets
            single.candidates = [start.specification]
            return ForecastCrossValidation.forecasts({ (train: [Double]) throws(LearnError) -> [Double] in
                try single.fit(train, warmStart: start).forecast(horizon: h, levels: []).mean
            }, trains: trains, horizon: h)
        }
        return ForecastCrossValidation.forecasts({ (train: [Double]) throws(LearnError) -> [Double] in
            try candidate.fit(train).forecast(horizon: h, levels: []).mean
        }, trains: trains, horizon: h)
    }

    /// The rolling-origin forecasts behind the scores: for each origin (its training length),
    /// each candidate's forecast of the next `horizon` values (nil when the candidate failed at
    /// some origin). Every forecast depends only on the values before its origin.
    ///
    /// - Returns: The origins' training lengths and, per candidate, one path per origin; no
    ///   origin when the series is too short.
    public func crossValidationForecasts(_ y: [Double]) -> (cuts: [Int], paths: [[[Double]]?]) {
        guard let plan = ForecastCrossValidation.plan(count: y.count, horizon: horizon, origins: origins, minimumTrain: minimumTrain) else {
            return ([], candidates.map { _ in nil })
        }
        let trains = originTrainingParts(y, plan: plan)
        return (plan.cuts, candidates.map { originForecasts($0, trains: trains, start: specificationChoice($0, trains: trains)) })
    }

    /// The error of the first candidate on the whole series (when none could be fitted).
    func firstError(_ y: [Double]) -> LearnError {
        do throws(LearnError) { _ = try candidates[0].fit(y) } catch { return error }
        return .invalidConfiguration("no candidate could be fitted")
    }

    /// Fits every series, optionally in parallel across series with
    /// `DispatchQueue.concurrentPerform` (each series' own work stays sequential).
    ///
    /// With `concurrently`, OpenBLAS is pinned to one thread for the duration of the call
    /// (``MosaicLinalg/BLAS/setThreadCount(_:)``, process-wide) and restored afterwards: its
    /// own threads would fight the series' threads over the cores for the small solves here
    /// (on 2 cores, 414 M4 series took about 10 s with 2 OpenBLAS threads against 3.5 s with 1).
    ///
    /// `progress(done, total)` counts the series fitted (called from the threads that fit
    /// them); for a single series, its fit's steps (``fit(_:progress:)``).
    ///
    /// - Returns: One result per series, in order; the same as fitting them one by one.
    public func fit(_ series: [[Double]], concurrently: Bool,
                    progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) -> [Result<Fitted, LearnError>] {
        if series.count == 1 {
            do throws(LearnError) { return [.success(try fit(series[0], progress: progress))] } catch { return [.failure(error)] }
        }
        let done = Atomic<Int>(0)
        let work = { @Sendable (i: Int) -> Result<Fitted, LearnError> in
            defer { progress?(done.add(1, ordering: .relaxed).newValue, series.count) }
            do throws(LearnError) { return .success(try self.fit(series[i])) } catch { return .failure(error) }
        }
        guard concurrently, series.count > 1 else { return series.indices.map(work) }
        let blasThreads = BLAS.threadCount
        if blasThreads != 1 { BLAS.setThreadCount(1) }
        defer { if blasThreads != 1 { BLAS.setThreadCount(blasThreads) } }
        let results = ResultSlots<Fitted>(count: series.count)
        DispatchQueue.concurrentPerform(iterations: series.count) { i in results.store(work(i), at: i) }
        return results.values
    }
}

/// Write-once slots filled from `concurrentPerform`: each index is written by exactly one
/// iteration, and read only after `concurrentPerform` returns.
private final class ResultSlots<Value: Sendable>: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Result<Value, LearnError>?>
    private let count: Int

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: count)
        base.initialize(repeating: nil, count: count)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    func store(_ value: Result<Value, LearnError>, at i: Int) { base[i] = value }

    var values: [Result<Value, LearnError>] { (0..<count).map { base[$0]! } }
}
