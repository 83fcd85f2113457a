/// Input checks shared by the forecasters, so that each reports bad series the same way.
///
/// The series is taken to be regular (equally spaced, no gaps): nothing here can tell.
enum SeriesInput {
    /// Rejects an empty series, NaN or infinity (naming the first index), and a series shorter
    /// than `minimum` (naming the model and the minimum). O(n).
    static func check(_ y: [Double], minimum: Int, model: @autoclosure () -> String) throws(LearnError) {
        guard !y.isEmpty else { throw .emptyTrainingSet }
        if let i = firstNonFinite(y) {
            throw .nonFinite("series value at index \(i) is \(y[i]); forecasters need a regular series of finite values")
        }
        guard y.count >= minimum else {
            throw .seriesTooShort(model: model(), minimum: minimum, count: y.count)
        }
    }

    /// Rejects a value ≤ 0, naming the first one and why positive values are needed. O(n).
    static func checkPositive(_ y: [Double], for reason: @autoclosure () -> String) throws(LearnError) {
        if let i = y.firstIndex(where: { !($0 > 0) }) {
            throw .invalidConfiguration("\(reason()) needs a strictly positive series; the value at index \(i) is \(y[i])")
        }
    }

    /// Rejects a seasonal period below 1.
    static func checkPeriod(_ m: Int) throws(LearnError) {
        guard m >= 1 else { throw .invalidConfiguration("the seasonal period must be at least 1, got \(m)") }
    }

    /// Whether every value is positive.
    static func isPositive(_ y: [Double]) -> Bool { y.allSatisfy { $0 > 0 } }

    /// Whether every value equals the first (an all-zero series, say). Such a series is not an
    /// error: every forecaster forecasts the constant with zero-width intervals.
    static func isConstant(_ y: [Double]) -> Bool {
        guard let first = y.first else { return false }
        return y.allSatisfy { $0 == first }
    }

    /// Whether no value is negative (request counts, tokens, cost): such a series gets a floor of 0
    /// on its forecasts and may get interval widths that follow the level. O(n).
    static func isNeverNegative(_ y: [Double]) -> Bool { !y.contains { $0 < 0 } }

    /// The index of the first NaN or infinity, or nil.
    static func firstNonFinite(_ y: [Double]) -> Int? {
        var probe = 0.0
        for v in y { probe += v - v }  // 0 for finite values, NaN otherwise
        return probe == 0 ? nil : y.firstIndex { !$0.isFinite }
    }
}
