import MosaicCore

/// One request entering the simulation: when, and what it is (indexes into the run's tables).
public struct SimRequest: Sendable, Equatable {
    /// Seconds from the scenario start.
    public var time: Double
    public var tenant: UInt16
    public var operation: UInt16
    public var promptTokens: Int32
    public var outputTokens: Int32

    public init(time: Double, tenant: UInt16, operation: UInt16, promptTokens: Int32, outputTokens: Int32) {
        self.time = time
        self.tenant = tenant
        self.operation = operation
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
    }
}

/// Where a run's arrivals come from, resolved from the scenario's ``TrafficSpec`` (the command
/// line reads replay files and load models into this form).
public enum ArrivalProcess: Sendable, Equatable {
    /// Poisson at `rate`/s, times the hourly profile (by UTC hour of the scenario clock), with
    /// optional Markov-modulated bursts.
    case poisson(rate: Double, profile: [Double]?, bursts: TrafficSpec.Bursts?)
    /// A non-homogeneous Poisson process with piecewise-constant rates (requests per second)
    /// over consecutive intervals of `interval` seconds from the scenario start; the last rate
    /// holds after the end.
    case piecewise(interval: Double, rates: [Double])
    /// Recorded requests, ascending by time (replays); tenants and operations index the names
    /// given with them.
    case recorded(requests: [SimRequest], tenants: [String], operations: [String])

    /// The largest rate the process ever has (for thinning).
    var maxRate: Double {
        switch self {
        case let .poisson(rate, profile, bursts):
            return rate * (profile?.max() ?? 1) * (bursts?.factor ?? 1)
        case let .piecewise(_, rates):
            return rates.max() ?? 0
        case .recorded:
            return 0
        }
    }

    /// The rate at time `t` without bursts, per second.
    func baseRate(at t: Double, start: Int64) -> Double {
        switch self {
        case let .poisson(rate, profile, _):
            guard let profile, profile.count == 24 else { return rate }
            let micros = (start + Int64(t * 1e6)) % Timestamp.microsPerDay
            let hour = Int((micros < 0 ? micros + Timestamp.microsPerDay : micros) / 3_600_000_000)
            return rate * profile[hour]
        case let .piecewise(interval, rates):
            guard !rates.isEmpty else { return 0 }
            let i = min(rates.count - 1, max(0, Int(t / interval)))
            return rates[i]
        case .recorded:
            return 0
        }
    }
}
