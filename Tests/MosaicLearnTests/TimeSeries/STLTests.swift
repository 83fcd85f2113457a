import Foundation
import MosaicLearn
import MosaicTestSupport
import Testing

extension TimeSeriesTests {
    /// STL and MSTL against statsmodels' `STL` and statsforecast's `mstl` on a fixed series
    /// (Tests/Fixtures/forecast/stl_reference.json, made by make_stl_reference.py next to it).
    @Suite struct STLTests {
        struct Reference: Decodable {
            struct Config: Decodable {
                var period: Int
                var seasonal: Int
                var robust: Bool
                var seasonal_deg: Int?
                var trend_jump: Int?
                var low_pass_jump: Int?
                var seasonal_jump: Int?
            }
            struct STLCase: Decodable {
                var config: Config
                var seasonal: [Double]
                var trend: [Double]
                var weights: [Double]
            }
            struct MSTLCase: Decodable {
                var periods: [Int]
                var seasonal24: [Double]
                var seasonal168: [Double]
                var trend: [Double]
                var remainder: [Double]
            }
            var y: [Double]
            var stl: [STLCase]
            var mstl: MSTLCase
            var mstl_short: MSTLCase
        }

        static let reference: Reference = {
            let path = SharedData.packageRoot + "/Tests/Fixtures/forecast/stl_reference.json"
            guard let data = FileManager.default.contents(atPath: path) else { fatalError("\(path) is missing") }
            do { return try JSONDecoder().decode(Reference.self, from: data) } catch { fatalError("\(path): \(error)") }
        }()

        /// |a − b| ≤ 1e-6 · max(1, |b|) everywhere (the last digits depend on summation order).
        static func expectClose(_ a: [Double], _ b: [Double], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(a.count == b.count, "\(what): \(a.count) values against \(b.count)", sourceLocation: sourceLocation)
            let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            #expect(worst <= 1e-6, "\(what): largest relative difference \(worst)", sourceLocation: sourceLocation)
        }

        @Test func stlMatchesStatsmodels() throws {
            let r = Self.reference
            for c in r.stl {
                var stl = STL(period: c.config.period, seasonal: c.config.seasonal, seasonalDegree: c.config.seasonal_deg ?? 1,
                              robust: c.config.robust)
                stl.trendJump = c.config.trend_jump ?? 1
                stl.lowPassJump = c.config.low_pass_jump ?? 1
                stl.seasonalJump = c.config.seasonal_jump ?? 1
                let d = try stl.decompose(r.y)
                let label = "STL \(c.config)"
                Self.expectClose(d.seasonal, c.seasonal, label + " seasonal")
                Self.expectClose(d.trend, c.trend, label + " trend")
                Self.expectClose(d.weights, c.weights, label + " weights")
                for t in r.y.indices { #expect(abs(d.seasonal[t] + d.trend[t] + d.remainder[t] - r.y[t]) < 1e-9) }
            }
        }

        @Test func mstlMatchesStatsforecast() throws {
            let r = Self.reference
            let d = try MSTL(periods: [168, 24]).decompose(r.y)
            #expect(d.periods == [24, 168])
            Self.expectClose(d.seasonals[0], r.mstl.seasonal24, "MSTL seasonal 24")
            Self.expectClose(d.seasonals[1], r.mstl.seasonal168, "MSTL seasonal 168")
            Self.expectClose(d.trend, r.mstl.trend, "MSTL trend")
            Self.expectClose(d.remainder, r.mstl.remainder, "MSTL remainder")
        }

        /// statsforecast decomposes a period with fewer than two cycles too (R's `forecast::mstl`
        /// leaves it out): 10 days keep the week, which a 2–3-week series' forecasts need.
        @Test func mstlMatchesStatsforecastOnUnderTwoCycles() throws {
            let r = Self.reference
            let y = Array(r.y.prefix(r.mstl_short.trend.count))
            let d = try MSTL(periods: [24, 168]).decompose(y)
            #expect(y.count == 240 && d.periods == [24, 168])
            Self.expectClose(d.seasonals[0], r.mstl_short.seasonal24, "MSTL (10 days) seasonal 24")
            Self.expectClose(d.seasonals[1], r.mstl_short.seasonal168, "MSTL (10 days) seasonal 168")
            Self.expectClose(d.trend, r.mstl_short.trend, "MSTL (10 days) trend")
            Self.expectClose(d.remainder, r.mstl_short.remainder, "MSTL (10 days) remainder")
        }

        @Test func mstlLeavesOutPeriodsWithoutACycleToRepeat() throws {
            let y = Array(Self.reference.y.prefix(168))  // one weekly cycle and no more
            let d = try MSTL(periods: [24, 168]).decompose(y)
            #expect(d.periods == [24])
            let f = try MSTL(periods: [24, 168]).fit(y).forecast(horizon: 48, levels: [80])
            #expect(f.mean.count == 48 && f.mean.allSatisfy { $0.isFinite })
            #expect(try MSTL(periods: [24, 168]).decompose(Array(Self.reference.y.prefix(169))).periods == [24, 168])
        }

        @Test func mstlForecastRepeatsTheLastCycles() throws {
            let y = Self.reference.y
            let fit = try MSTL(periods: [24, 168]).fit(y)
            let trendOnly = fit.trendModel.forecast(horizon: 200, levels: []).mean
            let f = fit.forecast(horizon: 200, levels: [95])
            for k in [0, 23, 24, 167, 168, 199] {
                let seasonal = fit.lastCycles[0][k % 24] + fit.lastCycles[1][k % 168]
                #expect(abs(f.mean[k] - trendOnly[k] - seasonal) < 1e-9)
                #expect(f.intervals[0].lower[k] < f.mean[k] && f.mean[k] < f.intervals[0].upper[k])
            }
        }

        @Test func badWidthsAreErrors() {
            #expect(throws: LearnError.self) { try STL(period: 24, seasonal: 8).decompose(Self.reference.y) }
            #expect(throws: LearnError.self) { try STL(period: 24, seasonal: 7, trend: 21).decompose(Self.reference.y) }
            // No value past one cycle.
            #expect(throws: LearnError.self) { try STL(period: 24).decompose(Array(Self.reference.y.prefix(24))) }
        }
    }
}
