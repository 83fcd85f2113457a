import MosaicCore
import MosaicLinalg

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Truncated SVD of a sparse matrix (scikit-learn's `TruncatedSVD`: no centring), by the
/// randomized range finder of Halko, Martinsson and Tropp with power iterations.
///
/// `Y = XΩ` for a seeded Gaussian `Ω` with `k + oversampling` columns, refined by
/// `powerIterations` rounds of `Y ← X(XᵀY)`, each orthonormalised; then `Z = XᵀQ`, and the
/// eigendecomposition of the small `ZᵀZ = (QᵀX)(QᵀX)ᵀ` (LAPACK `dsyevd` through MosaicLinalg)
/// gives the singular values and right singular vectors. Orthonormalisation is Cholesky-QR done
/// twice through the same eigensolver (directions with a relative energy under 1e-12 are
/// dropped). When `k + oversampling` reaches the rank of `X` the range is exact, so the result
/// is the exact truncated SVD. Each component's sign makes its largest-magnitude entry positive.
public struct TruncatedSVD: Sendable {
    public var components: Int
    public var oversampling = 10
    public var powerIterations = 4
    public var seed: UInt64 = 0x5356_4400

    public init(components: Int) { self.components = components }

    public struct Fit: Sendable {
        /// `k × D` row-major right singular vectors.
        public var components: [Double]
        public var singularValues: [Double]
        public var width: Int
    }

    public func fit(_ x: SparseRows) throws(LearnError) -> Fit {
        let n = x.count, d = x.width
        let l = min(components + oversampling, n, d)
        guard components >= 1, l >= 1 else { throw .invalidConfiguration("truncated SVD of a \(n) × \(d) matrix with \(components) components") }
        var random = SeededRandom(seed: seed)
        var omega = Matrix(rows: d, columns: l)
        for j in 0..<l { for i in 0..<d { omega[i, j] = random.normal() } }
        var q = try Self.orthonormal(Self.times(x, omega))
        for _ in 0..<powerIterations {
            let z = try Self.orthonormal(Self.transposeTimes(x, q))
            q = try Self.orthonormal(Self.times(x, z))
        }
        let z = Self.transposeTimes(x, q)              // D × l = Xᵀ Q = Bᵀ
        let small: Matrix
        let eigen: (values: [Double], vectors: Matrix)
        do {
            small = try BLAS.gemm(z, z, transposeA: true)   // B Bᵀ
            eigen = try LAPACK.symmetricEigen(small)
        } catch { throw .linalg(error) }
        let r = small.rows
        let k = min(components, r)
        var out = [Double](repeating: 0, count: components * d)
        var sigma = [Double](repeating: 0, count: components)
        // v = Bᵀ u / σ = Z u / σ, for the k largest eigenvalues (they ascend).
        let zu: Matrix
        do { zu = try BLAS.gemm(z, eigen.vectors) } catch { throw .linalg(error) }
        for c in 0..<k {
            let e = r - 1 - c
            let s = max(0, eigen.values[e]).squareRoot()
            sigma[c] = s
            guard s > 0 else { continue }
            var best = 0.0
            zu.storage.withUnsafeBufferPointer { col in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<d {
                        let v = col[e * d + i] / s
                        o[c * d + i] = v
                        if abs(v) > abs(best) { best = v }
                    }
                    if best < 0 { for i in 0..<d { o[c * d + i] = -o[c * d + i] } }
                }
            }
        }
        return Fit(components: out, singularValues: sigma, width: d)
    }

    /// `X · M` for a dense `M` (D × l).
    ///
    /// - Complexity: O(nonzeros · l).
    public static func times(_ x: SparseRows, _ m: Matrix) -> Matrix {
        Matrix(rows: x.count, columns: m.columns, rowMajor: product(x, m, transposed: false))
    }

    /// `Xᵀ · M` for a dense `M` (n × l).
    ///
    /// - Complexity: O(nonzeros · l).
    public static func transposeTimes(_ x: SparseRows, _ m: Matrix) -> Matrix {
        Matrix(rows: x.width, columns: m.columns, rowMajor: product(x, m, transposed: true))
    }

    /// The row-major entries of `X·M` (n × l) or, `transposed`, of `Xᵀ·M` (D × l): one pass over
    /// the nonzeros, each adding its multiple of a row of `M` to a row of the result.
    static func product(_ x: SparseRows, _ m: Matrix, transposed: Bool) -> [Double] {
        let l = m.columns, n = x.count
        let mr = m.transposed().storage  // row-major M
        var out = [Double](repeating: 0, count: (transposed ? x.width : n) * l)
        x.withUnsafeParts { off, cols, vals in
            mr.withUnsafeBufferPointer { ms in
                out.withUnsafeMutableBufferPointer { os in
                    for i in 0..<n {
                        for p in off[i]..<off[i + 1] {
                            let c = Int(cols[p]) * l, v = vals[p]
                            let (into, from) = transposed ? (c, i * l) : (i * l, c)
                            for j in 0..<l { os[into + j] += v * ms[from + j] }
                        }
                    }
                }
            }
        }
        return out
    }

    /// An orthonormal basis of the columns of `y` (Cholesky-QR twice, by eigendecomposition
    /// of the Gram matrix; negligible directions dropped).
    static func orthonormal(_ y: Matrix) throws(LearnError) -> Matrix {
        var q = y
        for _ in 0..<2 {
            do {
                let g = try BLAS.gemm(q, q, transposeA: true)
                let (values, vectors) = try LAPACK.symmetricEigen(g)
                let top = values.last ?? 0
                let keep = (0..<values.count).filter { values[$0] > top * 1e-12 && values[$0] > 0 }
                guard !keep.isEmpty else { return Matrix(rows: y.rows, columns: 0) }
                var w = Matrix(rows: vectors.rows, columns: keep.count)
                for (c, e) in keep.enumerated() {
                    let s = 1 / values[e].squareRoot()
                    for i in 0..<vectors.rows { w[i, c] = vectors[i, e] * s }
                }
                q = try BLAS.gemm(q, w)
            } catch { throw .linalg(error) }
        }
        return q
    }
}
