extension AutoForecaster {
    /// The cross-validation score of one candidate or combination.
    public struct Score: Codable, Equatable, Sendable {
        /// The candidate's name, or `mean of A + B` for a combination.
        public var name: String
        /// The candidates it averages (one for a single candidate).
        public var members: [String]
        /// The mean MASE over the origins; nil when it could not be scored.
        public var mase: Double?
    }

    /// The chosen model or combination, refitted on the whole series, and the scores behind
    /// the choice.
    public struct Fitted: FittedForecaster, Equatable {
        /// The names of the chosen candidates: one, or 2–3 for a combination.
        public let chosen: [String]
        /// The chosen candidates fitted on the whole series, in the order of `chosen`.
        public let members: [AnyFittedForecaster]
        /// Every candidate's and every tried combination's cross-validation score (empty for a
        /// constant series or when the series is too short to score).
        public let scores: [Score]
        /// The root mean square of the (combined) one-step residuals where defined.
        public let residualScale: Double
        /// The members' mean one-step predictions (NaN where any member has none).
        @NaNAsNull public private(set) var fittedValues: [Double]
        /// The outages and missing runs the hygiene replaced, as `[start, end)` index pairs
        /// (nil without hygiene or when the series was clean).
        public let outages: [[Int]]?
        /// The bursts among them (one-off spikes, set missing before the rest), if any.
        public let bursts: [[Int]]?
        /// The filled gaps among them (values on one straight line: filled forward or
        /// interpolated), if any.
        public let filled: [[Int]]?
        /// Where the level shifted (the end of the outage before it), if the hygiene found a shift.
        public let levelShiftAt: Int?
        /// The conformal intervals from the cross-validation errors (nil when there were too few
        /// or they are off): the forecast's intervals then come from them.
        public let conformal: ConformalIntervals?
        /// The lowest value a forecast or interval bound takes: 0 when no training value is
        /// negative (request counts, tokens, cost), so that a nightly trough is not forecast as
        /// negative load; nil when the series has negative values (and in model files written
        /// before it existed). Raising a bound to 0 keeps every value ≥ 0 it covered, and a
        /// point forecast raised to 0 is never further from a value ≥ 0.
        public let floor: Double?
        /// Whether the conformal intervals are widened to the models' own wherever those are
        /// wider: set when origins too short to see the week were left out, so that one to three
        /// origins' errors, correlated within each origin, calibrated them (nil otherwise, and in
        /// model files written before it).
        public let widenedToModels: Bool?

        /// Whether the choice is a combination of several candidates.
        public var isCombination: Bool { members.count > 1 }

        init(y: [Double], chosen: [String], members: [AnyFittedForecaster], scores: [Score],
             cleaning: SeriesHygiene.Report? = nil, conformal: ConformalIntervals? = nil, widenedToModels: Bool = false) {
            precondition(!members.isEmpty, "a fitted AutoForecaster needs a member")
            self.outages = cleaning.flatMap { $0.outages.isEmpty ? nil : $0.outages }
            self.levelShiftAt = cleaning?.levelShiftAt
            self.bursts = cleaning?.bursts
            self.filled = cleaning?.filled
            self.conformal = conformal
            self.widenedToModels = widenedToModels && conformal != nil ? true : nil
            self.floor = SeriesInput.isNeverNegative(y) ? 0 : nil
            self.chosen = chosen
            self.members = members
            self.scores = scores
            let memberFits = members.map(\.fittedValues)
            let fitted = y.indices.map { t in memberFits.reduce(0) { $0 + $1[t] } / Double(members.count) }
            self.fittedValues = fitted
            self.residualScale = members.count == 1
                ? members[0].residualScale
                : ForecastMath.residualScale(zip(y, fitted).map { $0 - $1 })
        }

        /// The single member's forecast, or for a combination the members' mean. The intervals
        /// are conformal (``ConformalIntervals``) when ``conformal`` is set, widened to the
        /// models' own with ``widenedToModels``; otherwise the
        /// member's own, or for a combination each bound averaged over the members level by level.
        /// Values and bounds below ``floor`` are raised to it.
        ///
        /// - Complexity: The members' forecasts plus O(members · h · levels).
        public func forecast(horizon: Int, levels: [Double]) -> Forecast {
            var f: Forecast
            if let conformal {
                let mean = modelForecast(horizon: horizon, levels: []).mean
                f = Forecast(mean: mean, intervals: conformal.intervals(mean: mean, levels: levels))
                if widenedToModels == true {
                    let own = modelForecast(horizon: horizon, levels: levels)
                    for i in f.intervals.indices {
                        f.intervals[i].lower = zip(f.intervals[i].lower, own.intervals[i].lower).map { Swift.min($0, $1) }
                        f.intervals[i].upper = zip(f.intervals[i].upper, own.intervals[i].upper).map { Swift.max($0, $1) }
                    }
                }
            } else {
                f = modelForecast(horizon: horizon, levels: levels)
            }
            if let floor {
                let raise = { (v: [Double]) in v.map { Swift.max($0, floor) } }
                f.mean = raise(f.mean)
                for i in f.intervals.indices {
                    f.intervals[i].lower = raise(f.intervals[i].lower)
                    f.intervals[i].upper = raise(f.intervals[i].upper)
                }
            }
            return f
        }

        /// The forecast with the models' own intervals (see ``forecast(horizon:levels:)``).
        public func modelForecast(horizon: Int, levels: [Double]) -> Forecast {
            if members.count == 1 { return members[0].forecast(horizon: horizon, levels: levels) }
            let parts = members.map { $0.forecast(horizon: horizon, levels: levels) }
            let weight = 1 / Double(parts.count)
            func average(_ pick: (Forecast) -> [Double]) -> [Double] {
                (0..<horizon).map { k in parts.reduce(0) { $0 + pick($1)[k] } * weight }
            }
            return Forecast(mean: average(\.mean), intervals: levels.indices.map { i in
                Forecast.Interval(level: levels[i], lower: average { $0.intervals[i].lower },
                                  upper: average { $0.intervals[i].upper })
            })
        }
    }
}
