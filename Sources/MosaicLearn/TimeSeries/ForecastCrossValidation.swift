/// Rolling-origin cross-validation of forecasters, as pure functions (see ``AutoForecaster``).
enum ForecastCrossValidation {
    /// The training lengths of the origins: the last `origins · horizon` values cut into
    /// blocks of `horizon`, via ``Validation/rollingOrigin(count:folds:minimumTrain:)``.
    struct Plan {
        var cuts: [Int]
    }

    /// The origins' training lengths: `k` blocks of `h` at the end of the series, the first
    /// trained on the `n − k·h` values before it. Origins with fewer than `m` values to train on
    /// are left out when at least one has `m` (see ``AutoForecaster/minimumTrain``). Nil when
    /// the series leaves no value to train on before the first block.
    static func plan(count n: Int, horizon h: Int, origins k: Int, minimumTrain m: Int = 1) -> Plan? {
        guard n - k * h >= 1 else { return nil }
        let cuts = Validation.rollingOrigin(count: n, folds: k, minimumTrain: n - k * h).map { $0.train.count }
        let long = cuts.filter { $0 >= m }
        return Plan(cuts: long.isEmpty ? cuts : long)
    }

    /// The forecasts of `forecaster` from each origin's training part, or nil when it fails at one.
    static func forecasts(_ forecaster: ([Double]) throws(LearnError) -> [Double], trains: [[Double]],
                          horizon: Int) -> [[Double]]? {
        var out: [[Double]] = []
        for train in trains {
            guard let f = try? forecaster(train), f.count == horizon, f.allSatisfy({ $0.isFinite }) else {
                return nil
            }
            out.append(f)
        }
        return out
    }

    /// The MASE scale of a training part: the seasonal-naive MAE, falling back to the naive
    /// MAE and then to 1 where those are 0 or undefined (a flat stretch), so that a score is
    /// always finite.
    static func scale(_ train: ArraySlice<Double>, period m: Int) -> Double {
        let seasonal = train.count > m ? ForecastMetrics.maseScale(Array(train), period: m) : .nan
        if seasonal > 0 { return seasonal }
        let naive = train.count > 1 ? ForecastMetrics.maseScale(Array(train), period: 1) : .nan
        return naive > 0 ? naive : 1
    }

    /// The mean MASE over the origins of one forecast path per origin; NaN actual values
    /// (missing, or in an outage) are not scored.
    static func score(_ paths: [[Double]], _ actual: [Double], plan: Plan, scales: [Double]) -> Double {
        var total = 0.0
        var counted = 0
        for (o, cut) in plan.cuts.enumerated() {
            let f = paths[o]
            var mae = 0.0
            var n = 0
            for k in 0..<f.count where actual[cut + k].isFinite {
                mae += abs(actual[cut + k] - f[k])
                n += 1
            }
            guard n > 0 else { continue }
            total += mae / Double(n) / scales[o]
            counted += 1
        }
        return counted > 0 ? total / Double(counted) : .infinity
    }

    /// The errors `actual − forecast` at each origin of the choice made *without* that origin:
    /// origin o's errors come from the candidate (or combination) that ``rank`` picks on the
    /// other origins. Calibrating intervals on these counts the optimism of choosing the best
    /// of several candidates on the same folds, which the winner's own errors hide. With one
    /// origin, or where the other origins score no candidate, `fallback` is used. `forecasts`
    /// are the forecasts behind the errors.
    static func selectionErrors(paths: [[[Double]]?], actual: [Double], plan: Plan, scales: [Double],
                                combination: Bool, maxCombined: Int, fallback: [Int],
                                horizon: Int) -> (errors: [[Double]], forecasts: [[Double]]) {
        let forecasts = plan.cuts.indices.map { o in
            var chosen = fallback
            if plan.cuts.count > 1 {
                let keep = plan.cuts.indices.filter { $0 != o }
                let sub = Plan(cuts: keep.map { plan.cuts[$0] })
                let subPaths = paths.map { p in p.map { p in keep.map { p[$0] } } }
                let names = paths.indices.map(String.init)
                if let best = rank(paths: subPaths, names: names, actual: actual, plan: sub, scales: keep.map { scales[$0] },
                                   combination: combination, maxCombined: maxCombined).best {
                    chosen = best
                }
            }
            return (0..<horizon).map { k in chosen.reduce(0.0) { $0 + paths[$1]![o][k] } / Double(chosen.count) }
        }
        let errors = plan.cuts.enumerated().map { o, cut in (0..<horizon).map { k in actual[cut + k] - forecasts[o][k] } }
        return (errors, forecasts)
    }

    /// Scores every candidate with paths and, when asked, the means of the best 2…`maxCombined`;
    /// `best` lists the winning candidates' indices (nil when none was scored).
    static func rank(paths: [[[Double]]?], names: [String], actual: [Double], plan: Plan?, scales: [Double],
                     combination: Bool, maxCombined: Int) -> (best: [Int]?, scores: [AutoForecaster.Score]) {
        guard let plan else { return (nil, names.map { .init(name: $0, members: [$0], mase: nil) }) }
        var scores = names.indices.map { i in
            AutoForecaster.Score(name: names[i], members: [names[i]], mase: paths[i].map { score($0, actual, plan: plan, scales: scales) })
        }
        let ranked = scores.indices.filter { scores[$0].mase != nil }.sorted { scores[$0].mase! < scores[$1].mase! }
        guard let first = ranked.first else { return (nil, scores) }
        var best = [first]
        var bestScore = scores[first].mase!
        if combination && ranked.count >= 2 {
            for k in 2...min(maxCombined, ranked.count) {
                let members = Array(ranked.prefix(k))
                let combined = plan.cuts.indices.map { o in
                    (0..<paths[members[0]]![o].count).map { step in
                        members.reduce(0.0) { $0 + paths[$1]![o][step] } / Double(k)
                    }
                }
                let s = score(combined, actual, plan: plan, scales: scales)
                let memberNames = members.map { names[$0] }
                scores.append(.init(name: "mean of " + memberNames.joined(separator: " + "), members: memberNames, mase: s))
                if s < bestScore { bestScore = s; best = members }
            }
        }
        return (best, scores)
    }
}
