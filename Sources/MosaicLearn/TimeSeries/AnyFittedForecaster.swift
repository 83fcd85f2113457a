/// Any fitted forecaster, as one `Codable` value (what ``AutoForecaster`` keeps).
public enum AnyFittedForecaster: FittedForecaster, Equatable {
    case naive(Naive.Fitted)
    case seasonalNaive(SeasonalNaive.Fitted)
    case ets(ETS.Fitted)
    case harmonicRegression(HarmonicRegression.Fitted)
    case mstl(MSTL.Fitted)

    /// The wrapped model.
    var base: any FittedForecaster {
        switch self {
        case .naive(let f): return f
        case .seasonalNaive(let f): return f
        case .ets(let f): return f
        case .harmonicRegression(let f): return f
        case .mstl(let f): return f
        }
    }

    public func forecast(horizon: Int, levels: [Double]) -> Forecast { base.forecast(horizon: horizon, levels: levels) }
    public var fittedValues: [Double] { base.fittedValues }
    public var residualScale: Double { base.residualScale }

    /// The fitted model's name; for ETS the specification chosen (`ETS(A,N,A)`).
    public var name: String {
        switch self {
        case .naive: return "Naive"
        case .seasonalNaive(let f): return "SeasonalNaive(\(f.period))"
        case .ets(let f): return f.specification.description
        case .harmonicRegression(let f):
            let terms = f.seasonalities.map(\.label).joined(separator: "+")
            return "HarmonicRegression(\(terms.isEmpty ? "no Fourier terms" : terms), AR lags \(f.arLags.map(String.init).joined(separator: ","))\(f.logTransform ? ", log" : ""))"
        case .mstl(let f):
            return "MSTL(\(f.periods.map(String.init).joined(separator: ",")); \(f.trendModel.specification))"
        }
    }
}
