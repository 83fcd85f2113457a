import MosaicLinalg

/// Why a trainer refused its input or could not finish. Messages name the numbers and the place.
public enum LearnError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The training set has no rows.
    case emptyTrainingSet
    /// Unpenalised least squares with more parameters than rows: the fit is not determined.
    case moreFeaturesThanRows(rows: Int, features: Int)
    /// A NaN or infinity in the input; the message names the row and column.
    case nonFinite(String)
    /// Shapes or counts that do not fit (X rows against y values, model width against X columns).
    case dimensionMismatch(String)
    /// A series shorter than the model needs: `model` names it ("the seasonal naive forecast
    /// with period 24"), `minimum` is what it needs, `count` what it got.
    case seriesTooShort(model: String, minimum: Int, count: Int)
    /// A fit of one named series failed (a load model fits one per group).
    indirect case series(name: String, points: Int, LearnError)
    /// A constant column where the method cannot cope with one (quantile regression without an
    /// L2 penalty). Ridge with `alpha > 0`, least squares and logistic regression accept them.
    case constantColumn(index: Int)
    /// The iteration stopped at its limit before meeting its tolerance.
    case didNotConverge(iterations: Int)
    /// A label vector with a single class, which logistic regression cannot fit.
    case singleClass(label: Bool)
    /// Per-prompt correctness where every prompt needs the strong model, or none does: a
    /// quality head has nothing to learn.
    case nothingToRoute(rows: Int, strongAccuracy: Double, weakAccuracy: Double)
    /// A hyperparameter or weight outside its range (negative alpha, C ≤ 0, negative weights).
    case invalidConfiguration(String)
    /// The held-out split by prompt-id hash left no prompt on one side: `heldOut` of `total`.
    case heldOutSplit(heldOut: Int, total: Int)
    /// Fewer prompts to fit a quality scorer on than its internal cross-validation needs.
    case tooFewPrompts(count: Int, minimum: Int)
    /// A failure in the linear algebra underneath.
    case linalg(LinalgError)

    public var description: String {
        switch self {
        case .emptyTrainingSet: return "the training set is empty"
        case .moreFeaturesThanRows(let rows, let features):
            return "\(features) parameters but only \(rows) rows: least squares without a penalty is underdetermined (use ridge with alpha > 0)"
        case .nonFinite(let m): return "non-finite input: \(m)"
        case .dimensionMismatch(let m): return "dimension mismatch: \(m)"
        case let .seriesTooShort(model, minimum, count):
            return "the series is too short: \(model) needs at least \(minimum) values; it has \(count)"
        case let .series(name, points, error): return "series '\(name)' (\(points) points): \(error)"
        case .constantColumn(let j): return "column \(j) is constant; this method needs alpha > 0 to fit it"
        case .didNotConverge(let n): return "did not converge within \(n) iterations"
        case .singleClass(let label): return "every label is \(label): logistic regression needs both classes"
        case let .nothingToRoute(rows, strongAccuracy, weakAccuracy):
            func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
            let accuracies = "strong \(percent(strongAccuracy)), weak \(percent(weakAccuracy)) correct"
            return strongAccuracy > weakAccuracy
                ? "every one of the \(rows) prompts needs the strong model (it is right and the weak one wrong on each; \(accuracies)): there is nothing to route; check --strong-column and --weak-column"
                : "no prompt of the \(rows) needs the strong model (it is never right where the weak one is wrong; \(accuracies)): there is nothing to route; check --strong-column and --weak-column"
        case .invalidConfiguration(let m): return "invalid configuration: \(m)"
        case let .heldOutSplit(heldOut, total):
            return "\(heldOut) of the \(total) prompts fall in the held-out fifth (prompt ids whose hash is 0 mod 5): a model measured there needs prompts on both sides of the split"
        case let .tooFewPrompts(count, minimum):
            return "\(count) prompts to fit on; the quality head needs at least \(minimum) (two for each fold of its cross-validation)"
        case .linalg(let e): return e.description
        }
    }
}
