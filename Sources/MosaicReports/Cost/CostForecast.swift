/// Forecast request volume per provider (from a load model), which the cost report turns
/// into cost at each provider's recent cost per request. The CLI fills it from a
/// `mosaic train load` model file; this module does not link the trainers.
public struct CostForecast: Sendable, Equatable {
    public struct Series: Sendable, Equatable {
        /// The provider (the load model must be grouped by provider).
        public var group: String
        /// The first forecast step's start, µs.
        public var start: Int64
        /// Step length, µs.
        public var interval: Int64
        public var mean: [Double]
        public var lower95: [Double]?
        public var upper95: [Double]?

        public init(group: String, start: Int64, interval: Int64, mean: [Double], lower95: [Double]?, upper95: [Double]?) {
            self.group = group
            self.start = start
            self.interval = interval
            self.mean = mean
            self.lower95 = lower95
            self.upper95 = upper95
        }
    }

    /// Where it came from (a file path), for the report.
    public var source: String
    public var series: [Series]

    public init(source: String, series: [Series]) {
        self.source = source
        self.series = series
    }
}
