/// A dense matrix of `Double` in column-major order, the layout BLAS and LAPACK use.
///
/// Element `(i, j)` lives at `storage[j * rows + i]`, so each column is a contiguous run of
/// `rows` values and the leading dimension passed to BLAS/LAPACK is always `rows`. `Matrix` is
/// a value type backed by an `Array`: copies are cheap until one side is written
/// (copy-on-write), and the wrappers in ``BLAS`` and ``LAPACK`` hand the buffer to the C
/// routines without copying it.
///
/// A matrix may have zero rows or zero columns. Non-finite values are stored as given;
/// ``isFinite`` tells whether there are any.
public struct Matrix: Sendable, Equatable {
    /// The number of rows, at least 0.
    public let rows: Int
    /// The number of columns, at least 0.
    public let columns: Int
    /// The elements, column by column. Its count is always `rows * columns`.
    ///
    /// Writing through `storage` must keep the count unchanged; this is checked in debug builds
    /// by the wrappers that read it.
    public var storage: [Double]

    /// A `rows × columns` matrix with every element equal to `repeating`.
    ///
    /// - Complexity: O(rows · columns).
    /// - Precondition: `rows >= 0`, `columns >= 0`, both at most `Int32.max` (the BLAS index type).
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        Matrix.checkShape(rows, columns)
        self.rows = rows
        self.columns = columns
        self.storage = Array(repeating: value, count: rows * columns)
    }

    /// A matrix that takes `columnMajor` as its storage, without copying.
    ///
    /// - Complexity: O(1).
    /// - Precondition: `columnMajor.count == rows * columns`.
    public init(rows: Int, columns: Int, columnMajor: [Double]) {
        Matrix.checkShape(rows, columns, count: columnMajor.count)
        self.rows = rows
        self.columns = columns
        self.storage = columnMajor
    }

    /// A matrix from values listed row by row (the way one writes a matrix down).
    ///
    /// - Complexity: O(rows · columns); the values are transposed into column-major storage.
    /// - Precondition: `rowMajor.count == rows * columns`.
    public init(rows: Int, columns: Int, rowMajor: [Double]) {
        Matrix.checkShape(rows, columns, count: rowMajor.count)
        self.init(rows: rows, columns: columns, columnMajor: Matrix.transpose(rowMajor, rows: columns, columns: rows))
    }

    /// The element in row `row` and column `column` (both zero-based).
    ///
    /// - Complexity: O(1).
    /// - Precondition: `0 <= row < rows` and `0 <= column < columns`.
    @inlinable
    public subscript(row: Int, column: Int) -> Double {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "Matrix index (\(row), \(column)) out of range")
            return storage[column &* rows &+ row]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "Matrix index (\(row), \(column)) out of range")
            storage[column &* rows &+ row] = newValue
        }
    }

    /// The `n × n` identity matrix.
    ///
    /// - Complexity: O(n²).
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        m.storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<n { p[i * n + i] = 1 }
        }
        return m
    }

    /// The transpose, as a new `columns × rows` matrix.
    ///
    /// - Complexity: O(rows · columns).
    public func transposed() -> Matrix {
        Matrix(rows: columns, columns: rows, columnMajor: Matrix.transpose(storage, rows: rows, columns: columns))
    }

    /// Whether every element is finite (no NaN and no infinity).
    ///
    /// - Complexity: O(rows · columns), one vectorisable pass.
    public var isFinite: Bool { Matrix.firstNonFinite(storage) == nil }

    /// The row and column of the first non-finite element in storage order, or nil when all
    /// are finite. Useful to name the offending cell in an error message.
    ///
    /// - Complexity: O(rows · columns).
    public var firstNonFiniteElement: (row: Int, column: Int)? {
        guard rows > 0, let k = Matrix.firstNonFinite(storage) else { return nil }
        return (k % rows, k / rows)
    }

    /// The values of column `j`, copied.
    ///
    /// - Complexity: O(rows).
    public func column(_ j: Int) -> [Double] {
        precondition(j >= 0 && j < columns, "column \(j) out of range 0..<\(columns)")
        return Array(storage[j * rows..<(j + 1) * rows])
    }

    /// The values of row `i`, copied.
    ///
    /// - Complexity: O(columns), strided reads.
    public func row(_ i: Int) -> [Double] {
        precondition(i >= 0 && i < rows, "row \(i) out of range 0..<\(rows)")
        return (0..<columns).map { storage[$0 * rows + i] }
    }
}

// MARK: - Helpers (out of line)

extension Matrix {
    static func checkShape(_ rows: Int, _ columns: Int) {
        precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative, got \(rows) × \(columns)")
        precondition(rows <= Int(Int32.max) && columns <= Int(Int32.max),
                     "Matrix dimensions must fit BLAS's 32-bit indices, got \(rows) × \(columns)")
    }

    /// ``checkShape(_:_:)``, and that `count` values fill the matrix.
    static func checkShape(_ rows: Int, _ columns: Int, count: Int) {
        checkShape(rows, columns)
        precondition(count == rows * columns,
                     "Matrix(rows: \(rows), columns: \(columns)) needs \(rows * columns) values, got \(count)")
    }

    /// Transposes a column-major `rows × columns` buffer into a column-major `columns × rows`
    /// one, in cache-sized tiles.
    static func transpose(_ source: [Double], rows: Int, columns: Int) -> [Double] {
        let count = rows * columns
        if count == 0 { return [] }
        return [Double](unsafeUninitializedCapacity: count) { out, initialized in
            source.withUnsafeBufferPointer { src in
                let tile = 32
                var j0 = 0
                while j0 < columns {
                    let j1 = min(j0 + tile, columns)
                    var i0 = 0
                    while i0 < rows {
                        let i1 = min(i0 + tile, rows)
                        for j in j0..<j1 {
                            for i in i0..<i1 { out[i * columns + j] = src[j * rows + i] }
                        }
                        i0 = i1
                    }
                    j0 = j1
                }
            }
            initialized = count
        }
    }

    /// Index of the first NaN or infinity, or nil. The fast path accumulates `x − x` (0 for a
    /// finite `x`, NaN otherwise) in eight independent lanes, which runs at memory speed; only
    /// when the sum is not 0 does the slow scan for the position run.
    static func firstNonFinite(_ values: [Double]) -> Int? {
        values.withUnsafeBufferPointer { p -> Int? in
            let count = p.count
            var lanes = SIMD8<Double>(repeating: 0)
            if let base = p.baseAddress {
                let raw = UnsafeRawPointer(base)
                var k = 0
                while k + 8 <= count {
                    let v = raw.loadUnaligned(fromByteOffset: k * 8, as: SIMD8<Double>.self)
                    lanes += v - v
                    k += 8
                }
                while k < count { lanes[0] += p[k] - p[k]; k += 1 }
            }
            if lanes.sum() == 0 { return nil }
            return p.firstIndex { !$0.isFinite }
        }
    }
}
