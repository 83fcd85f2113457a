import Foundation

extension SeriesHygiene {
    /// The profile that judges the values of a series, from its `usable` values: weekly when
    /// every position of the week has 3 of them (a quiet weekend is then not low), else daily,
    /// lowered to the weekly median where a position of the week has 2 (a median of two is their
    /// mean, which one busy hour lifts).
    struct Judgement {
        /// The series judged (NaN where missing).
        let y: [Double]
        /// The median of each position of ``period``.
        let profile: [Double]
        /// The profile's period: the series' period, or its `secondaryPeriod`.
        let period: Int
        /// How many usable values each position of the `secondaryPeriod` has; nil without one.
        let weeklyCounts: [Int]?
        /// Whether every position of the `secondaryPeriod` has 3 usable values (the profile is
        /// then their median itself).
        let weeklyIsWhole: Bool
        /// The positions of ``period`` that normally carry load (see ``busyPositions(_:)``).
        let busy: [Bool]

        init(_ y: [Double], usable: [Bool], period m: Int, secondaryPeriod: Int?) {
            self.y = y
            let daily = SeriesHygiene.positionalMedian(y, period: m, usable: usable)
            var (profile, period, counts, whole): ([Double], Int, [Int]?, Bool) = (daily, m, nil, false)
            if let w = secondaryPeriod, w > m {
                let c = SeriesHygiene.positionCounts(usable, period: w)
                counts = c
                if c.allSatisfy({ $0 >= 3 }) || (w % m == 0 && c.contains { $0 >= 2 }) {
                    whole = c.allSatisfy { $0 >= 3 }
                    let weekly = SeriesHygiene.positionalMedian(y, period: w, usable: usable)
                    profile = whole ? weekly : (0..<w).map { c[$0] >= 2 ? min(weekly[$0], daily[$0 % m]) : daily[$0 % m] }
                    period = w
                }
            }
            (self.profile, self.period, weeklyCounts, weeklyIsWhole) = (profile, period, counts, whole)
            busy = SeriesHygiene.busyPositions(profile)
        }

        /// `y[i]` as a ratio to its position's median; nil when it is missing or the median is
        /// not positive.
        func ratio(_ i: Int) -> Double? {
            guard y[i].isFinite, profile[i % period] > 0 else { return nil }
            return y[i] / profile[i % period]
        }

        /// Whether position `t` of the series normally carries load.
        func isBusy(_ t: Int) -> Bool { busy[t % period] }

        /// Whether each value is under `fraction` of its position's (positive) median.
        func below(_ fraction: Double) -> [Bool] {
            SeriesHygiene.below(y, fraction: fraction, profile: profile, period: period)
        }
    }

    /// How many `usable` values each position `t mod period` has.
    static func positionCounts(_ usable: [Bool], period w: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: w)
        for t in usable.indices where usable[t] { counts[t % w] += 1 }
        return counts
    }

    /// Whether each known value of `y` is under `fraction` of its position's median in
    /// `profile`, where that median is positive.
    static func below(_ y: [Double], fraction: Double, profile: [Double], period p: Int) -> [Bool] {
        y.indices.map { t in y[t].isFinite && profile[t % p] > 0 && y[t] < fraction * profile[t % p] }
    }

    /// The positions of `profile` that normally carry load: a median of at least a quarter of
    /// the profile's median (not the quiet hours, whose relative noise is large).
    static func busyPositions(_ profile: [Double]) -> [Bool] {
        let typical = median(profile) ?? 0
        return profile.map { $0 > 0 && $0 >= 0.25 * typical }
    }

    /// The points of a series that tell nothing of its load, around which outages are found.
    struct Gaps {
        /// The missing values (NaN), and the known ones.
        let missing: [Bool], known: [Bool]
        /// The zeros at an hour of the day that never has load: an hour whose only values are a
        /// shutdown's zeros, as the Twitter stream's 06:00, which its logging always misses. Such
        /// a 0 is not low, and it does not cut a run of low values in two (the 72 zeros of a
        /// shutdown were found as 24, the other 48 learned as load).
        let silent: [Bool]
        /// The series' period.
        let period: Int

        init(_ y: [Double], period m: Int) {
            missing = y.map { !$0.isFinite }
            known = missing.map { !$0 }
            var hasLoad = [Bool](repeating: false, count: m)
            for t in y.indices where y[t] > 0 { hasLoad[t % m] = true }
            silent = y.indices.map { t in y[t] <= 0 && !hasLoad[t % m] }
            period = m
        }

        /// The maximal runs of `mask`, missing and silent points that are outages: a run that is
        /// long enough (`isLongEnough` of the run and its number of busy masked points) whose
        /// `level` is under `fraction` of the levels in the period just before and just after
        /// it, with a whole period after it. A run at the very start (the series begins in a
        /// shutdown, or before the service carried load) is judged by the level after it alone;
        /// with `startByItsEnd`, against the level of its own last period (so that it must end
        /// in a step up, which a launch ramping up does not). A run that is no outage still
        /// gives its parts that hold a missing point (``partsWithMissing(_:)``).
        func outageRuns(_ mask: [Bool], isBusy: (Int) -> Bool, fraction: Double, level: (Int) -> Double?,
                        startByItsEnd: Bool, isLongEnough: (Range<Int>, Int) -> Bool) -> [Range<Int>] {
            let n = mask.count, m = period
            var found: [Range<Int>] = []
            for run in SeriesHygiene.runs(of: (0..<n).map { mask[$0] || missing[$0] || silent[$0] }) {
                guard run.contains(where: { mask[$0] }), isLongEnough(run, run.filter { mask[$0] && isBusy($0) }.count),
                      run.upperBound + m <= n else {
                    found += partsWithMissing(run)
                    continue
                }
                let atStart = run.lowerBound == 0
                let judged = atStart && startByItsEnd ? max(0, run.upperBound - m)..<run.upperBound : run
                let inside = SeriesHygiene.median(judged.compactMap(level)) ?? 0
                let before = atStart
                    ? .infinity
                    : SeriesHygiene.median((max(0, run.lowerBound - m)..<run.lowerBound).filter { !mask[$0] }.compactMap(level))
                let after = SeriesHygiene.median((run.upperBound..<min(n, run.upperBound + m)).filter { !mask[$0] }.compactMap(level))
                if let before, let after, min(before, after) * fraction > inside {
                    found.append(run)
                } else {
                    found += partsWithMissing(run)
                }
            }
            return found
        }

        /// The parts of `run` between its silent points that hold a missing point: what of a run
        /// that is no outage is still replaced, whole.
        func partsWithMissing(_ run: Range<Int>) -> [Range<Int>] {
            SeriesHygiene.runs(of: run.map { !silent[$0] })
                .map { run.lowerBound + $0.lowerBound..<run.lowerBound + $0.upperBound }
                .filter { $0.contains { missing[$0] } }
        }
    }
}
