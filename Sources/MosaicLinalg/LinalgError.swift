/// What can go wrong in ``BLAS`` and ``LAPACK``: shapes that do not fit, non-finite input,
/// and numerical failures reported by LAPACK.
public enum LinalgError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The operands' shapes do not fit; the message names both shapes.
    case dimensionMismatch(String)
    /// An input holds NaN or infinity; the message names the operand and the cell.
    case nonFinite(String)
    /// The matrix is singular (or rank-deficient where full rank is needed); the message says where.
    case singular(String)
    /// Cholesky factorisation failed: the leading minor of this order (1-based) is not positive
    /// definite, so the matrix is not symmetric positive definite.
    case notPositiveDefinite(order: Int)
    /// A LAPACK routine returned an error code it documents (`info < 0`: argument `-info` was
    /// illegal, `info > 0`: the algorithm failed, e.g. did not converge).
    case lapack(function: String, info: Int32)

    public var description: String {
        switch self {
        case .dimensionMismatch(let m): return "dimension mismatch: \(m)"
        case .nonFinite(let m): return "non-finite input: \(m)"
        case .singular(let m): return "singular matrix: \(m)"
        case .notPositiveDefinite(let order):
            return "matrix is not positive definite: the leading minor of order \(order) is not positive"
        case .lapack(let function, let info):
            return info < 0
                ? "LAPACK \(function): argument \(-info) had an illegal value"
                : "LAPACK \(function) failed with info = \(info)"
        }
    }
}

extension LinalgError {
    /// Throws ``nonFinite(_:)`` naming `operand` and the first offending cell.
    static func checkFinite(_ m: Matrix, _ operand: String) throws(LinalgError) {
        if let (i, j) = m.firstNonFiniteElement {
            throw .nonFinite("\(operand)[\(i), \(j)] is \(m[i, j])")
        }
    }

    /// Throws ``nonFinite(_:)`` naming `operand` and the first offending index.
    static func checkFinite(_ v: [Double], _ operand: String) throws(LinalgError) {
        if let k = Matrix.firstNonFinite(v) {
            throw .nonFinite("\(operand)[\(k)] is \(v[k])")
        }
    }
}
