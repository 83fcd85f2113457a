/// Any of the forecasters, as one `Codable` value: the candidates of ``AutoForecaster``.
public enum AnyForecaster: Forecaster, Codable, Hashable {
    case naive(Naive)
    case seasonalNaive(SeasonalNaive)
    case ets(ETS)
    case harmonicRegression(HarmonicRegression)
    case mstl(MSTL)

    /// A short readable name: `SeasonalNaive(24)`, `ETS.auto(24)`, `ETS(A,N,A)`,
    /// `HarmonicRegression(24×3, AR ≤3 + 24,168)`.
    public var name: String {
        switch self {
        case .naive: return "Naive"
        case .seasonalNaive(let s): return "SeasonalNaive(\(s.period))"
        case .ets(let e):
            return e.candidates.count == 1 ? e.candidates[0].description : "ETS.auto(\(e.period))"
        case .harmonicRegression(let h):
            let terms = h.seasonalities.map(\.label).joined(separator: "+")
            var parts = [terms.isEmpty ? "no Fourier terms" : terms]
            if h.trend { parts.append("trend") }
            if h.weekend != nil { parts.append("weekend") }
            parts.append("AR ≤\(h.maxAROrder)" + (h.seasonalARPeriods.isEmpty ? "" : " + " + h.seasonalARPeriods.map(String.init).joined(separator: ",")))
            if h.logTransform { parts.append("log") }
            return "HarmonicRegression(\(parts.joined(separator: ", ")))"
        case .mstl(let f):
            return "MSTL(\(f.periods.map(String.init).joined(separator: ",")))\(f.robust ? ", robust" : "")\(f.fastJumps ? ", fast" : "")"
        }
    }

    /// Fits the wrapped forecaster.
    public func fit(_ y: [Double]) throws(LearnError) -> AnyFittedForecaster {
        switch self {
        case .naive(let f): return .naive(try f.fit(y))
        case .seasonalNaive(let f): return .seasonalNaive(try f.fit(y))
        case .ets(let f): return .ets(try f.fit(y))
        case .harmonicRegression(let f): return .harmonicRegression(try f.fit(y))
        case .mstl(let f): return .mstl(try f.fit(y))
        }
    }
}
