import MosaicCore
import MosaicRouting

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Learns a ``FeatureSpec`` from training requests: category vocabularies (most frequent first,
/// capped), the mean and scale of transformed numeric fields, and the fixed time and text
/// features.
public struct FeatureSpecBuilder: Sendable {
    /// At most this many values per categorical field; rarer values encode as unseen (zeros).
    public var maxCategories = 64
    /// Values seen fewer times than this are left out of vocabularies.
    public var minCategoryCount = 1
    /// Hour of day as sin/cos with this many harmonics (0: none).
    public var hourHarmonics = 2
    public var includeWeekday = true
    public var includeTokenInteraction = true
    /// Hashed-text columns (0: no text feature).
    public var textBuckets = 0
    public var categorical: [RequestField] = [.model, .operation, .tenant, .region]
    /// Adds a one-hot of model and region together (``RequestField/modelRegion``), so each
    /// model has its own level in each region rather than the sum of a model and a region effect.
    public var modelByRegion = false

    public init() {}

    public func build(_ rows: [RequestFeatures]) throws(LearnError) -> FeatureSpec {
        guard !rows.isEmpty else { throw .emptyTrainingSet }
        var features: [Feature] = []
        for field in categorical + (modelByRegion && !categorical.contains(.modelRegion) ? [.modelRegion] : []) {
            var counts: [String: Int] = [:]
            for r in rows { counts[field.category(of: r), default: 0] += 1 }
            let vocab = counts.filter { $0.value >= minCategoryCount }
                .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .prefix(maxCategories).map(\.key)
            // A field with one value is a constant column: the intercept already covers it.
            if vocab.count > 1 { features.append(.oneHot(field, vocabulary: vocab.sorted())) }
        }
        var numericIndexes: [Int] = []
        for field in [RequestField.inputTokens, .outputTokens] {
            var sum = 0.0, sumSq = 0.0
            for r in rows {
                let t = log1p(max(0, field.number(of: r)))
                sum += t
                sumSq += t * t
            }
            let n = Double(rows.count)
            let mean = sum / n
            let variance = max(0, sumSq / n - mean * mean)
            let scale = variance > 1e-12 ? variance.squareRoot() : 1
            numericIndexes.append(features.count)
            features.append(.numeric(field, transform: .log1p, mean: mean, scale: scale))
        }
        if includeTokenInteraction { features.append(.interaction(numericIndexes[0], numericIndexes[1])) }
        if hourHarmonics > 0 { features.append(.cyclic(.hourOfDay, period: 24, harmonics: hourHarmonics)) }
        if includeWeekday { features.append(.oneHot(.dayOfWeek, vocabulary: (0..<7).map(String.init))) }
        if textBuckets > 0 { features.append(.hashedText(buckets: textBuckets)) }
        do { return try FeatureSpec(features: features) } catch {
            throw .dimensionMismatch("feature specification: \(error)")
        }
    }
}
