import MosaicLinalg
import MosaicRouting

/// A fitted linear function `b + xᵀβ`: what every linear trainer returns, and what goes into
/// a model file.
///
/// It is the routing model's ``LinearHead`` (intercept and one coefficient per feature
/// column), so a fitted model is a head as it stands. For a regression it predicts the target;
/// for ``LogisticRegression`` it predicts the log-odds (pass them through
/// ``LogisticRegression/probability(_:)``); for ``QuantileRegression`` the conditional
/// quantile.
public typealias LinearModel = LinearHead

extension LinearHead {
    /// The prediction for every row of `x` (`dgemv`).
    ///
    /// Rows holding NaN give NaN; nothing else is checked per value.
    ///
    /// - Complexity: O(rows · columns), one pass over `x`.
    /// - Throws: ``LearnError/dimensionMismatch(_:)`` when `x` does not have one column per
    ///   coefficient.
    public func predict(_ x: Matrix) throws(LearnError) -> [Double] {
        guard x.columns == coefficients.count else {
            throw .dimensionMismatch("the model has \(coefficients.count) coefficients but X has \(x.columns) columns")
        }
        var out = [Double](repeating: intercept, count: x.rows)
        BLAS.gemv(x, coefficients, into: &out, beta: 1)
        return out
    }

    /// The prediction for one row.
    ///
    /// - Complexity: O(columns).
    /// - Precondition: `row.count == coefficients.count`.
    public func predict(row: [Double]) -> Double {
        precondition(row.count == coefficients.count,
                     "the model has \(coefficients.count) coefficients but the row has \(row.count) values")
        var sum = intercept
        for j in 0..<row.count { sum += coefficients[j] * row[j] }
        return sum
    }
}
