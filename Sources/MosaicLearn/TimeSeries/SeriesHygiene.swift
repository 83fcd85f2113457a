import Foundation

/// Training-data hygiene for load series: finds missing points (NaN) and outages (runs of
/// zeros or near-zeros where the series normally has load), replaces them from the seasonal
/// profile so that they are neither learned as load nor bend the profile, and recognises a
/// level shift across a long outage, or as a step without one.
///
/// **Outages.** The profile is the median of the values at each position of the
/// `secondaryPeriod` (hour of week) when every such position has at least 3 known values; before
/// that, the median at each position of the period (hour of day), lowered to its hour of the
/// week's where that has 2 (the smaller of the two: a median of two is their mean, which one
/// burst lifts). Judged against the daily profile alone, a quiet weekend looked like an outage:
/// on M4 Hourly's training data weekend mornings of office-hours series were replaced, and under
/// 3 weeks every weekend of an office-hours series was, by weekday traffic, and one at the end
/// was taken for a new level that the history was rescaled to. Of two values, one a shutdown,
/// the median is half the usual level, and a shutdown is still under a fifth of it. A point
/// is *low* when it is below ``lowFraction`` × its position's median (which must be positive).
/// A maximal run of low and missing points is an outage when it holds at least ``minimumRun``
/// low points at busy positions (whose median is at least a quarter of the profile's median:
/// quiet hours are too noisy to judge), or any missing point; is followed by at least one full
/// period of values (a run that reaches the end, or recovered less than a period ago, is the
/// present state — a new regime cannot be told from an outage yet — and is kept); and the
/// median level of the `period` values just before it and just after it (each relative to the
/// profile) are both more than 1 / ``lowFraction`` times the run's own level. A run at the
/// very start of the series (it begins with a shutdown) has nothing before it and is judged by
/// the level after it alone. A 0 at an hour of the day that never has load (an hour the logging
/// always misses, whose only values are a shutdown's zeros) is neither low nor normal: it joins
/// the run around it instead of cutting it.
///
/// **Filled gaps.** A run of a period or more of values on one straight line (one value repeated,
/// or a line between two values), not all 0 (zeros are the outage rules'), is not traffic: it
/// is a gap filled forward (pandas' `ffill()`, a spreadsheet's fill-down, an exporter repeating
/// its last reading) or interpolated (pandas' `interpolate()`). Its values between the real ones
/// (the first, and the last of a sloping line) are set missing before anything else, and
/// replaced as missing values are. Filled forward over 3 days that end 2 days before the first
/// origin, nyc_taxi's November window scored MASE 1.284 over its 4 folds, and 1.117
/// interpolated, against 0.292 with the days missing. A series in which a tenth or more of its
/// other points lie on a line with their neighbours (a gauge that rests, a count of a few) is
/// left alone. A filler that rounds (an interpolation written as whole numbers) is not seen.
///
/// **Counts.** In a series of whole numbers, a quiet hour of a small tenant is often 0: at 2
/// requests an hour, three zeros in a row come once in about 400 runs of three hours, and such
/// runs were replaced as outages (and named as such). A low run there is an outage only when
/// the medians of its low hours add up to ``minimumMissedCount`` (10) or more: three zeros where
/// 4 are usual (e⁻¹² by chance), not where 2 are. A series of thousands an hour always passes.
///
/// **Partial outages** (``dipFraction``, half). A site that is half down, or serves a maintenance
/// page to bots and health checks, keeps more than a fifth of its traffic. A maximal run of points
/// under `dipFraction` × their position's median (and missing points) that lasts at least one
/// period is an outage when its level is under `dipFraction` × the levels in the period before
/// and after it. Those levels are measured against a shape that does not depend on the level
/// (see `localLevels(_:period:)`): against the plain positional median, a lasting drop made the
/// positions whose median still held the old level look like dips. A partial run at the very
/// start is judged by its last period's level against the level after it: it must end in a step
/// up, which a launch ramping up does not. With a `secondaryPeriod`, partial outages are judged
/// against the weekly profile, from two values at each weekly position (two weeks; a position
/// the series never has, an hour the logging always misses, is left out), and not at all before:
/// against the daily profile a quiet weekend is a day or more under half. Kept as load, such a
/// run came back a week later through the seasonal AR terms' weekly lag.
///
/// **Recovery.** An outage of low values extends over the recovery after it: up to the first
/// value that is back to ``recoveryFraction`` (half) of the level the series recovers to (see
/// `recoveries(of:y:low:ratio:)`), so that a slow ramp back is not learned as load either.
///
/// **Replacement.** Each replaced value is its position's profile (the weekly profile when
/// `secondaryPeriod` is given and every weekly position has two clean values, else the daily
/// one) times the local level: the median of value ÷ profile over the clean values within one
/// `secondaryPeriod` (or 3 periods) of the run, preferring those after the run. A position
/// with no clean value at all (an hour the logging always misses) has no profile: its values
/// are interpolated linearly from their neighbours.
///
/// **Level shift.** When the outage lasts at least one period and the level after it (median
/// ratio over up to `secondaryPeriod` clean values) differs from the level before it by more
/// than ``levelShiftThreshold`` (relative), everything before the outage is rescaled to the new
/// level (multiplicatively; the series must then be never negative there: a 0 stays 0), so the
/// models learn the current level with the whole history's shape. The levels are measured
/// against the profile of the values that are left once the outages are found, so that a
/// shutdown written as zeros is judged as the same shutdown left out of the file.
///
/// **Steps** (``levelSteps``). A level can also change without an outage: a new tenant, a client
/// moved elsewhere. Once every hour of the week has 3 values, the log ratios of the clean values
/// at busy positions to the weekly profile are searched for the last step in the last four
/// weeks (see `recentStep(logRatios:period:week:threshold:)`): a part at the end of 2 days to 3
/// weeks whose level, and each of whose days' levels, differs from the week before it by more
/// than ``levelShiftThreshold``. The history before it is rescaled to the new level, as across a
/// long outage. One day is not enough (a busy day, a holiday); a drop to under ``dipFraction`` is
/// the outage rules' (a partial outage still under way looks the same, and they keep it as load
/// until it is over); and a step with an outage in the week before it is left to the outage
/// rules. Without it, a harmonic regression, whose level is fixed, forecast nyc_taxi stepped to
/// 1.5 times its level 2 days before the origin at the old level (fold MASE 2.71; 0.32 with it).
///
/// **The present state.** A run of low (and missing) values that reaches the end and has lasted
/// a period, with at least ``minimumRun`` low points at busy positions, is kept as load: it may
/// be a new regime or an outage still under way, and nothing yet tells which. When its level is
/// under ``lowFraction`` times the level before it, everything before it is rescaled to its
/// level, as across a long outage, so that the models forecast from that state: a harmonic
/// regression, whose level is fixed, would otherwise climb back to the level the series left
/// (on NAB's `grok_asg_anomaly`, a CPU that fell from 34 to under 1 a day before the origin
/// was forecast back at 43).
///
/// **Bursts.** A value more than ``burstFactor`` (10) times both its hour's median and the daily
/// profile's median is *high*. A run of high values shorter than a period that the series has come
/// down from (a known value that is not high follows it), each more than that factor times the
/// median of the period before the run (the level it broke from), is a burst: a one-off spike, such
/// as NAB's `ec2_network_in_257a54` at 19 and 35 times its level for two hours, which seasonal
/// naive copied into the next day whole and a least-squares fit leans towards. Bursts are looked
/// for in the series with its outages replaced, then set missing and everything above done again,
/// so a burst is replaced as missing values are, from the profile at the local level. A run of a
/// period or more is a regime, and one still under way at the end is the present state: both are
/// kept. A peak at the same hour every day is its hour's median and is never high. Spikes that come
/// back every week or more often (more bursts than whole weeks, and more than one) are the series'
/// behaviour, and none is replaced: on NAB's spiky CPU and network series (11 and more in two
/// weeks), replacing them took them out of the cross-validation errors as well, and the intervals,
/// narrowed, covered 67% at 80%. At 5 times (the reciprocal of ``lowFraction``) the rule took the
/// busy hours of a busy day for bursts and changed 9 forecasts of M4 Hourly's validation split, 6
/// for the worse.
public struct SeriesHygiene: Codable, Hashable, Sendable {
    /// The period of the profile (24 for hourly data).
    public var period: Int
    /// A longer period for the replacement profile (168), if any.
    public var secondaryPeriod: Int?
    /// A value below this fraction of its position's median is low.
    public var lowFraction: Double = 0.2
    /// A run of at least a period below this fraction of the profile, between levels more than
    /// 1 / `dipFraction` times its own, is a partial outage (a site half down for days); nil
    /// turns the rule off.
    public var dipFraction: Double? = 0.5
    /// The fewest consecutive low points that make an outage.
    public var minimumRun: Int
    /// The relative change of level across a long outage that counts as a level shift.
    public var levelShiftThreshold: Double = 0.25
    /// After an outage, values below this fraction of the level the series recovers to are
    /// part of the outage (a recovery ramp): half way back.
    public static let recoveryFraction = 0.5
    /// A run of values above this multiple of their hours' medians (and of the profile's median),
    /// shorter than a period and over by the end, is a burst (see the type's discussion); nil
    /// turns the rule off.
    public var burstFactor: Double? = 10
    /// In a series of counts (every known value a whole number ≥ 0), a low run is an outage only
    /// when its hours' medians add up to at least this many (see *Counts*); nil turns the rule off.
    public var minimumMissedCount: Double? = 10
    /// Whether a run of a period or more of values on one straight line is taken for a filled gap
    /// (see *Filled gaps*); nil or false turns the rule off.
    public var filledGaps: Bool? = true
    /// Whether a recent step in the level without an outage is taken for a level shift (see
    /// *Steps*); nil or false turns the rule off.
    public var levelSteps: Bool? = true

    public init(period: Int, secondaryPeriod: Int? = nil) {
        self.period = max(1, period)
        self.secondaryPeriod = secondaryPeriod
        self.minimumRun = max(2, period / 8)
    }

    /// What ``clean(_:)`` found and did.
    public struct Report: Codable, Equatable, Sendable {
        /// The series with missing and outage values replaced (and the level shift applied).
        public var values: [Double]
        /// Whether each value was replaced (missing or in an outage).
        public var replaced: [Bool]
        /// The outages, as half-open index ranges `[start, end)`.
        public var outages: [[Int]]
        /// The index after which the level shifted (the end of the outage, the start of the low
        /// run at the end, or the start of a step), if any.
        public var levelShiftAt: Int?
        /// The factor applied to the values before the shift.
        public var levelShiftFactor: Double?
        /// True when the shift is a step found without an outage (see *Steps*); nil otherwise.
        public var levelStep: Bool?
        /// The bursts set missing and replaced, as half-open index ranges `[start, end)` (also
        /// within ``outages``); nil when there was none.
        public var bursts: [[Int]]?
        /// The filled values set missing and replaced (see *Filled gaps*), as half-open index
        /// ranges `[start, end)` (also within ``outages``); nil when there was none.
        public var filled: [[Int]]?

        /// Whether anything was changed.
        public var isClean: Bool { outages.isEmpty && levelShiftAt == nil }
    }

    /// Finds and replaces missing values, bursts and outages (see the type's discussion).
    ///
    /// - Parameter y: The series; NaN marks a missing value.
    /// - Complexity: O(n log n).
    public func clean(_ y: [Double]) -> Report {
        let filled = filledRuns(in: y)
        var input = y
        for r in filled { for i in r { input[i] = .nan } }
        var report = cleanRuns(input)
        let bursts = self.bursts(in: report.values, replaced: report.replaced)
        if !bursts.isEmpty {
            for r in bursts { for i in r { input[i] = .nan } }
            report = cleanRuns(input)
            report.bursts = bursts.map { [$0.lowerBound, $0.upperBound] }
        }
        if !filled.isEmpty { report.filled = filled.map { [$0.lowerBound, $0.upperBound] } }
        return report
    }

    /// The filled values of `y` (see the type's discussion): the values between the real ones of
    /// each run of at least a period of values on one straight line, not all 0; none in a series
    /// in which a tenth or more of its other points lie on a line with their neighbours.
    ///
    /// - Complexity: O(n).
    func filledRuns(in y: [Double]) -> [Range<Int>] {
        let n = y.count, m = period
        guard filledGaps == true, m >= 2, n >= 2 * m else { return [] }
        // Whether y[t − 1], y[t] and y[t + 1] lie on a line, to rounding.
        let straight = (0..<n).map { t -> Bool in
            guard t > 0, t + 1 < n, y[t - 1].isFinite, y[t].isFinite, y[t + 1].isFinite else { return false }
            let scale = max(abs(y[t - 1]), abs(y[t]), abs(y[t + 1]))
            return abs((y[t + 1] - y[t]) - (y[t] - y[t - 1])) <= 1e-9 * scale
        }
        var found: [Range<Int>] = []
        var inRun = [Bool](repeating: false, count: n)
        for run in SeriesHygiene.runs(of: straight) {
            // Points run.lowerBound − 1 ... run.upperBound lie on one line.
            let first = run.lowerBound - 1, last = run.upperBound
            if last - first + 1 >= m, (first...last).contains(where: { y[$0] != 0 }) {
                let flat = y[last] == y[first]
                found.append(first + 1..<(flat ? last + 1 : last))
                for i in first...last { inRun[i] = true }
            }
        }
        guard !found.isEmpty else { return [] }
        let others = (1..<n - 1).filter { !inRun[$0] && y[$0 - 1].isFinite && y[$0].isFinite && y[$0 + 1].isFinite }
        return 10 * others.filter({ straight[$0] }).count < others.count ? found : []
    }

    /// The bursts of `y` (see the type's discussion), against the daily profile, none of them
    /// holding a `replaced` value. `clean(_:)` looks for them after the outages are replaced, so
    /// that a shutdown at the start (hours at 0 that would be most of each hour's median) does not
    /// make normal traffic look high. Spikes that come back every week or more often are the
    /// series' behaviour, which the forecast's intervals must cover: with more bursts than whole
    /// weeks (and more than one), none is one.
    ///
    /// - Complexity: O(n log n), and O(period log period) for each burst up to that limit.
    func bursts(in y: [Double], replaced: [Bool]) -> [Range<Int>] {
        let n = y.count, m = period
        guard let factor = burstFactor, m >= 2, n >= 2 * m else { return [] }
        let known = y.map(\.isFinite)
        let profile = SeriesHygiene.positionalMedian(y, period: m, usable: known)
        guard let typical = SeriesHygiene.median(profile), typical > 0 else { return [] }
        let high = (0..<n).map { t in known[t] && y[t] > factor * max(profile[t % m], typical) }
        // A run the series came down from ends before its last known value that is not high.
        guard let lastCalm = (0..<n).last(where: { known[$0] && !high[$0] }) else { return [] }
        let limit = max(1, n / (secondaryPeriod ?? 7 * m))
        var found: [Range<Int>] = []
        for run in SeriesHygiene.runs(of: high) {
            let t = run.lowerBound
            if run.count < m, t >= m, run.upperBound <= lastCalm, !run.contains(where: { replaced[$0] }),
               let before = SeriesHygiene.median((t - m..<t).filter { known[$0] }.map { y[$0] }),
               run.allSatisfy({ y[$0] > factor * before }) {
                found.append(run)
                if found.count > limit { return [] }
            }
        }
        return found
    }

    /// How far the levels around an outage or a shift are measured: the `secondaryPeriod` (a
    /// week), or 3 periods without one.
    var levelWindow: Int { secondaryPeriod ?? 3 * period }

    /// ``clean(_:)`` after the bursts are set missing: the outages found and replaced, and the
    /// history rescaled across a level shift.
    func cleanRuns(_ y: [Double]) -> Report {
        let n = y.count
        let m = period
        var report = Report(values: y, replaced: [Bool](repeating: false, count: n), outages: [])
        guard n > 0 else { return report }
        let gaps = Gaps(y, period: m)
        if m < 2 || n < 2 * m {
            // Too short for a profile: interpolate missing values linearly.
            guard gaps.missing.contains(true) else { return report }
            report.values = SeriesHygiene.interpolate(y)
            report.replaced = gaps.missing
            return report
        }
        let known = gaps.known
        let judged = Judgement(y, usable: known, period: m, secondaryPeriod: secondaryPeriod)
        let low = judged.below(lowFraction)
        var outages = lowOutages(low, judged: judged, gaps: gaps)
        if let dips = partialOutages(judged: judged, gaps: gaps) { outages = SeriesHygiene.merged(outages + dips) }
        let present = presentState(low: low, judged: judged, gaps: gaps)
        outages = recoveries(of: outages, y: y, low: low, ratio: judged.ratio)
        var replaced = [Bool](repeating: false, count: n)
        for r in outages { for i in r { replaced[i] = true } }
        // The levels are judged against the profile of the values that are left, as if the
        // outages had been missing: an outage's zeros among the 3 to 5 values of an hour of the
        // week lower its median, which a gap in the file does not.
        let rejudged = outages.isEmpty
            ? judged
            : Judgement(y, usable: (0..<n).map { known[$0] && !replaced[$0] }, period: m, secondaryPeriod: secondaryPeriod)
        var values = y
        shiftLevel(&values, report: &report, judged: rejudged, outages: outages, replaced: replaced, present: present)
        guard !outages.isEmpty || report.levelShiftAt != nil else { return report }
        report.values = replacing(outages, in: values, replaced: replaced)
        report.replaced = replaced
        report.outages = outages.map { [$0.lowerBound, $0.upperBound] }
        return report
    }

    /// The runs of values under ``lowFraction`` of their positions' medians that are outages
    /// (see *Outages*). In a series of counts, a run is one only when the traffic it lost is more
    /// than chance: the medians of its low hours add up to ``minimumMissedCount``.
    func lowOutages(_ low: [Bool], judged: Judgement, gaps: Gaps) -> [Range<Int>] {
        let isCount = minimumMissedCount != nil && judged.y.allSatisfy { !$0.isFinite || ($0 >= 0 && $0 == $0.rounded()) }
        return gaps.outageRuns(low, isBusy: judged.isBusy, fraction: lowFraction, level: judged.ratio, startByItsEnd: false) { run, busyLow in
            busyLow >= minimumRun
                && (!isCount || run.reduce(0) { low[$1] ? $0 + judged.profile[$1 % judged.period] : $0 } >= minimumMissedCount ?? 0)
        }
    }

    /// The partial outages: runs of a period or more under ``dipFraction`` of the profile whose
    /// level is under that fraction of the levels on both sides; nil when the rule is off, or
    /// the series has no cycle to judge them against yet.
    ///
    /// Levels here are measured against a shape that does not depend on the level, so that after
    /// a lasting drop the positions whose median still holds the old level do not look like
    /// dips; and a partial run at the start must end in a step up to the level after it (traffic
    /// ramping up at a launch is not an outage). Only against the longest cycle the series is
    /// said to have, from two values at each of its positions that the series ever has: against
    /// the daily profile a quiet weekend is a day or more under half.
    func partialOutages(judged: Judgement, gaps: Gaps) -> [Range<Int>]? {
        let y = judged.y, m = period
        var dipPeriod: Int? = secondaryPeriod == nil ? m : nil
        if let counts = judged.weeklyCounts, counts.allSatisfy({ $0 >= 2 || $0 == 0 }) { dipPeriod = counts.count }
        guard let dipFraction, let q = dipPeriod else { return nil }
        // (The judging profile is the weekly median itself only when every hour of the week has 3.)
        let dipProfile = q == judged.period && (q == m || judged.weeklyIsWhole)
            ? judged.profile
            : SeriesHygiene.positionalMedian(y, period: q, usable: gaps.known)
        let dipBusy = SeriesHygiene.busyPositions(dipProfile)
        let levels = SeriesHygiene.localLevels(y, period: q)
        return gaps.outageRuns(SeriesHygiene.below(y, fraction: dipFraction, profile: dipProfile, period: q),
                               isBusy: { dipBusy[$0 % q] }, fraction: dipFraction, level: { levels[$0] },
                               startByItsEnd: true) { run, busyLow in
            run.count >= m && busyLow >= minimumRun
        }
    }

    /// The present state: a run of `low` values that reaches the end and has lasted a period,
    /// with at least ``minimumRun`` of them at busy positions (a new regime cannot be told from an
    /// outage yet, so it is kept as load).
    func presentState(low: [Bool], judged: Judgement, gaps: Gaps) -> Range<Int>? {
        let n = low.count
        guard let last = (0..<n).last(where: { !low[$0] && !gaps.missing[$0] && !gaps.silent[$0] }), n - (last + 1) >= period,
              (last + 1..<n).filter({ low[$0] && judged.isBusy($0) }).count >= minimumRun else { return nil }
        return last + 1..<n
    }

    /// Rescales the history in `values` before a level shift, and says so in `report`: across the
    /// last long outage, to a `present` state at under ``lowFraction`` of the level before it, or
    /// at a recent step. Levels are `judged`'s ratios of the values not `replaced`; a history with
    /// a negative value is not rescaled (a 0 stays 0).
    func shiftLevel(_ values: inout [Double], report: inout Report, judged: Judgement, outages: [Range<Int>],
                    replaced: [Bool], present: Range<Int>?) {
        let n = values.count, m = period
        // The level before `start` is its clean values' median ratio over `window`.
        let window = levelWindow
        let clean = { (i: Int) -> Double? in replaced[i] ? nil : judged.ratio(i) }
        func level(before start: Int) -> Double? {
            SeriesHygiene.median((max(0, start - window)..<start).compactMap(clean))
        }
        func rescale(before start: Int, by factor: Double, shiftAt: Int) {
            guard (0..<start).allSatisfy({ replaced[$0] || values[$0] >= 0 }) else { return }
            for i in 0..<start where !replaced[i] { values[i] *= factor }
            report.levelShiftAt = shiftAt
            report.levelShiftFactor = factor
        }
        // Across the last long outage.
        if let last = outages.last(where: { $0.count >= m }), last.upperBound + m <= n,
           let before = level(before: last.lowerBound), before > 0,
           let after = SeriesHygiene.median((last.upperBound..<min(n, last.upperBound + window)).compactMap(clean)), after > 0,
           abs(after / before - 1) > levelShiftThreshold {
            rescale(before: last.lowerBound, by: after / before, shiftAt: last.upperBound)
        }
        // The present state: when its level is under `lowFraction` of the level before it,
        // everything before it is rescaled to its level as across a long outage, so that a model
        // with a fixed level (the harmonic regressions) forecasts from the state the series is in
        // rather than climb back to the level it left.
        if let present, let before = level(before: present.lowerBound),
           let inside = SeriesHygiene.median(present.compactMap(judged.ratio)), inside >= 0, before * lowFraction > inside {
            rescale(before: present.lowerBound, by: inside / before, shiftAt: present.lowerBound)
        }
        // A recent step (see *Steps*): judged on the log ratios to the weekly profile at busy
        // clean positions, where no other rule has rescaled the history.
        let p = judged.period
        if levelSteps ?? false, judged.weeklyIsWhole, p > m, present == nil, report.levelShiftAt == nil,
           let at = SeriesHygiene.recentStep(logRatios: (0..<n).map { i in
               guard judged.isBusy(i), let r = clean(i), r > 0 else { return nil }
               return log(r)
           }, period: m, week: p, threshold: levelShiftThreshold),
           at.factor > dipFraction ?? lowFraction, !replaced[(at.start - p)...].contains(true) {
            rescale(before: at.start, by: at.factor, shiftAt: at.start)
            if report.levelShiftAt != nil { report.levelStep = true }
        }
    }

    /// `values` with each of `outages` replaced by the seasonal shape at the level around it.
    /// The shape is weekly when every position of the week has two values not `replaced`. A
    /// position with none at all (an hour the logging always misses) has no shape: its values
    /// are interpolated from their neighbours, not set to 0.
    func replacing(_ outages: [Range<Int>], in values: [Double], replaced: [Bool]) -> [Double] {
        let n = values.count, m = period
        let window = levelWindow
        let usable = replaced.map { !$0 }
        var shape = SeriesHygiene.positionalMedian(values, period: m, usable: usable, empty: .nan)
        var shapePeriod = m
        if let w = secondaryPeriod, w > m {
            if SeriesHygiene.positionCounts(usable, period: w).allSatisfy({ $0 >= 2 }) {
                shape = SeriesHygiene.positionalMedian(values, period: w, usable: usable, empty: .nan)
                shapePeriod = w
            }
        }
        var out = values
        for r in outages {
            let near = { (range: Range<Int>) -> [Double] in
                range.compactMap { i -> Double? in
                    guard usable[i], shape[i % shapePeriod] > 0 else { return nil }
                    return values[i] / shape[i % shapePeriod]
                }
            }
            let after = near(r.upperBound..<min(n, r.upperBound + window))
            let before = near(max(0, r.lowerBound - window)..<r.lowerBound)
            let level = SeriesHygiene.median(after.count >= m / 2 ? after : after + before) ?? 1
            for i in r { out[i] = shape[i % shapePeriod] * level }
        }
        return out.contains(where: { !$0.isFinite }) ? SeriesHygiene.interpolate(out) : out
    }

    /// The most recent step in the level of the log ratios `r` (nil: not judged), if one stands
    /// out: the start `s` of the last part, two periods to three weeks long, whose median differs
    /// from the median of the week before `s` by more than `threshold` (relative), as does each
    /// period of the part, in the same direction (a period with under a quarter of its values
    /// known, a weekend of an office-hours series, is passed over; at least two are judged);
    /// `factor` is the ratio of the part's level to the week's. `s` minimises the squared
    /// deviations from the two means over the last four weeks (prefix sums: O(n)), and the
    /// medians then judge it. An `s` at the earliest candidate is refused: the step may be
    /// older, and the week before it mixed.
    ///
    /// - Complexity: O(n log n).
    static func recentStep(logRatios r: [Double?], period m: Int, week w: Int, threshold: Double) -> (start: Int, factor: Double)? {
        let n = r.count
        let first = max(0, n - 4 * w)
        guard n - 2 * m > first + w else { return nil }
        var sum = [Double](repeating: 0, count: n + 1), square = sum, count = [Int](repeating: 0, count: n + 1)
        for t in 0..<n {
            let v = t >= first ? r[t] : nil
            sum[t + 1] = sum[t] + (v ?? 0)
            square[t + 1] = square[t] + (v ?? 0) * (v ?? 0)
            count[t + 1] = count[t] + (v == nil ? 0 : 1)
        }
        func deviance(_ a: Int, _ b: Int) -> Double? {
            let k = count[b] - count[a]
            guard k >= m / 2 else { return nil }
            let s = sum[b] - sum[a]
            return square[b] - square[a] - s * s / Double(k)
        }
        var best: (deviance: Double, start: Int)?
        for s in (first + w)...(n - 2 * m) {
            guard let d0 = deviance(first, s), let d1 = deviance(s, n) else { continue }
            if d0 + d1 < best?.deviance ?? .infinity { best = (d0 + d1, s) }
        }
        guard let s = best?.start, s > first + w,
              let before = median((s - w..<s).compactMap { r[$0] }),
              let after = median((s..<n).compactMap { r[$0] }),
              abs(exp(after - before) - 1) > threshold else { return nil }
        let isStep = { (level: Double) in (level - before) * (after - before) > 0 && abs(exp(level - before) - 1) > threshold }
        var judged = 0
        for start in stride(from: s, to: n, by: m) {
            let part = (start..<min(n, start + m)).compactMap { r[$0] }
            guard part.count >= m / 4, let level = median(part) else { continue }
            guard isStep(level) else { return nil }
            judged += 1
        }
        return judged >= 2 ? (s, exp(after - before)) : nil
    }

    /// Each outage of low values extended over its recovery: the values after it, up to the
    /// first value that reaches ``recoveryFraction`` (half) of the level the
    /// series recovers to (the median ratio to the profile over the `secondaryPeriod`, or 3
    /// periods, after the outage). The extension stops at a missing-free full period before
    /// the end (a recovery still under way at the end is the present state) and merges with a
    /// following outage it reaches.
    func recoveries(of outages: [Range<Int>], y: [Double], low: [Bool], ratio: (Int) -> Double?) -> [Range<Int>] {
        let n = y.count, m = period
        let window = levelWindow
        var out: [Range<Int>] = []
        for r in outages {
            var end = r.upperBound
            if r.contains(where: { y[$0].isFinite }),
               let level = SeriesHygiene.median((r.upperBound..<min(n, r.upperBound + window)).filter { !low[$0] }.compactMap(ratio)) {
                var e = r.upperBound
                while e + m < n && e < r.upperBound + window {
                    if let q = ratio(e), q >= SeriesHygiene.recoveryFraction * level { break }
                    e += 1
                }
                if e + m < n && e < r.upperBound + window { end = e }
            }
            out.append(r.lowerBound..<end)
        }
        return SeriesHygiene.merged(out)
    }

    /// Whether a forecast origin at `cut` (the training part is `y[0..<cut]`) lies inside one
    /// of `outages` that holds low (non-missing) values, or less than `period` values after its
    /// end: the training part's own cleaning then keeps the run as the present state.
    ///
    /// - Parameters:
    ///   - outages: ``Report/outages`` of the whole series, `[start, end)` pairs.
    ///   - y: The series as given (NaN where missing).
    static func isUnresolved(cut: Int, outages: [[Int]], y: [Double], period: Int) -> Bool {
        outages.contains { r in
            r[0] < cut && cut < r[1] + period && (r[0]..<r[1]).contains { y[$0].isFinite }
        }
    }

    /// The level of each value with the seasonal shape taken out: `y[t]` ÷ the shape at its
    /// position, where the shape is the positional median (over `period`) of `y` ÷ its centred
    /// moving average over one period. A moving average over a whole period has no shape of its
    /// own, so the shape does not mix the levels of the weeks it is the median of. Nil where the
    /// value is missing or the shape is not positive.
    static func localLevels(_ y: [Double], period m: Int) -> [Double?] {
        let n = y.count
        guard m >= 1, n >= m else { return [Double?](repeating: nil, count: n) }
        var sum = [Double](repeating: 0, count: n + 1), count = [Int](repeating: 0, count: n + 1)
        for t in 0..<n {
            sum[t + 1] = sum[t] + (y[t].isFinite ? y[t] : 0)
            count[t + 1] = count[t] + (y[t].isFinite ? 1 : 0)
        }
        let average = (0..<n).map { t -> Double? in
            let start = min(max(0, t - m / 2), n - m)
            let known = count[start + m] - count[start]
            return 2 * known >= m ? (sum[start + m] - sum[start]) / Double(known) : nil
        }
        let relative = (0..<n).map { t -> Double in
            guard let a = average[t], a > 0 else { return .nan }
            return y[t] / a
        }
        let shape = positionalMedian(relative, period: m, usable: relative.map(\.isFinite))
        return (0..<n).map { t in y[t].isFinite && shape[t % m] > 0 ? y[t] / shape[t % m] : nil }
    }

    /// The ranges sorted, overlapping or touching ones merged into one.
    static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, last.upperBound >= r.lowerBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    /// The median of the usable values at each position `t mod period` (`empty` where there is none).
    static func positionalMedian(_ y: [Double], period m: Int, usable: [Bool], empty: Double = 0) -> [Double] {
        var buckets = [[Double]](repeating: [], count: m)
        for t in y.indices where usable[t] && y[t].isFinite { buckets[t % m].append(y[t]) }
        return buckets.map { median($0) ?? empty }
    }

    /// The maximal runs of `true` in `mask`, in order.
    static func runs(of mask: [Bool]) -> [Range<Int>] {
        var found: [Range<Int>] = []
        var t = 0
        while t < mask.count {
            guard mask[t] else { t += 1; continue }
            var e = t
            while e < mask.count && mask[e] { e += 1 }
            found.append(t..<e)
            t = e
        }
        return found
    }

    static func median(_ v: [Double]) -> Double? {
        guard !v.isEmpty else { return nil }
        let s = v.sorted()
        let k = s.count / 2
        return s.count % 2 == 1 ? s[k] : (s[k - 1] + s[k]) / 2
    }

    /// Linear interpolation over non-finite values (flat beyond the ends; zeros if none is finite).
    public static func interpolate(_ y: [Double]) -> [Double] {
        let known = y.indices.filter { y[$0].isFinite }
        guard let first = known.first, let lastKnown = known.last else { return [Double](repeating: 0, count: y.count) }
        var out = y
        for i in 0..<first { out[i] = y[first] }
        for i in (lastKnown + 1)..<y.count { out[i] = y[lastKnown] }
        var prev = first
        for k in known.dropFirst() {
            if k > prev + 1 {
                for i in (prev + 1)..<k { out[i] = y[prev] + (y[k] - y[prev]) * Double(i - prev) / Double(k - prev) }
            }
            prev = k
        }
        return out
    }
}
