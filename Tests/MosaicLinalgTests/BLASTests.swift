import MosaicLinalg
import Testing

@Suite struct BLASTests {
    let a = Matrix(rows: 2, columns: 3, rowMajor: [1, 2, 3,
                                                   4, 5, 6])
    let b = Matrix(rows: 3, columns: 2, rowMajor: [7, 8,
                                                   9, 10,
                                                   11, 12])

    @Test func gemmByHand() throws {
        // [1 2 3; 4 5 6] · [7 8; 9 10; 11 12] = [58 64; 139 154]
        #expect(try BLAS.gemm(a, b) == Matrix(rows: 2, columns: 2, rowMajor: [58, 64, 139, 154]))
        #expect(try BLAS.gemm(a, b, alpha: 2) == Matrix(rows: 2, columns: 2, rowMajor: [116, 128, 278, 308]))
        // Aᵀ·Bᵀ = (B·A)ᵀ: B·A = [39 54 69; 49 68 87; 59 82 105]
        let btat = try BLAS.gemm(a, b, transposeA: true, transposeB: true)
        #expect(btat == Matrix(rows: 3, columns: 3, rowMajor: [39, 49, 59, 54, 68, 82, 69, 87, 105]))
        // Aᵀ·A
        #expect(try BLAS.gemm(a, a, transposeA: true) == Matrix(rows: 3, columns: 3, rowMajor: [17, 22, 27, 22, 29, 36, 27, 36, 45]))
    }

    @Test func gemmRejectsMismatchedShapes() {
        #expect(throws: LinalgError.dimensionMismatch("gemm: op(A) is 2 × 3 but op(B) is 2 × 3")) {
            try BLAS.gemm(a, a)
        }
    }

    @Test func gramIsFullSymmetric() {
        let g = BLAS.gram(a)
        #expect(g == Matrix(rows: 3, columns: 3, rowMajor: [17, 22, 27, 22, 29, 36, 27, 36, 45]))
    }

    @Test func weightedShiftedGramWithExtraColumn() throws {
        // Z = [X | e] with X = a (2 × 3), e = [1, 2]; centre c; weights w.
        let e: [Double] = [1, 2], c: [Double] = [1, 1, 1, 0.5], w: [Double] = [2, 0.5]
        let g = BLAS.gram(a, appending: e, subtracting: c, rowWeights: w)
        // Rows of Z − c: [0 1 2 0.5], [3 4 5 1.5]; Σ wᵢ zᵢzᵢᵀ by hand.
        let z0: [Double] = [0, 1, 2, 0.5], z1: [Double] = [3, 4, 5, 1.5]
        for i in 0..<4 {
            for j in 0..<4 {
                #expect(abs(g[i, j] - (2 * z0[i] * z0[j] + 0.5 * z1[i] * z1[j])) < 1e-12)
            }
        }
    }

    @Test func blockedGramMatchesPlainGramOnManyRows() throws {
        // More rows than one scratch block (2^17 / 4 = 32768 rows per block).
        let n = 70_001
        let x = Matrix(rows: n, columns: 3, columnMajor: (0..<(3 * n)).map { Double(($0 * 7919) % 101) / 101 - 0.5 })
        let ones = [Double](repeating: 1, count: n)
        let g = BLAS.gram(x, appending: ones, subtracting: [0.1, 0.2, 0.3, 0], rowWeights: ones)
        var shifted = x
        for j in 0..<3 { for i in 0..<n { shifted[i, j] -= [0.1, 0.2, 0.3][j] } }
        let plain = BLAS.gram(shifted)
        for i in 0..<3 { for j in 0..<3 { #expect(abs(g[i, j] - plain[i, j]) < 1e-8 * Double(n)) } }
        #expect(g[3, 3] == Double(n))
    }

    @Test func gramOverRowRangesSumsOnlyThoseRows() {
        let x = Matrix(rows: 5, columns: 2, rowMajor: [1, 0, 2, 1, 3, 0, 4, 1, 5, 2])
        let g = BLAS.gram(x, appending: nil, rowRanges: [0..<1, 3..<5])
        // Rows (1, 0), (4, 1), (5, 2).
        #expect(g == Matrix(rows: 2, columns: 2, rowMajor: [42, 14, 14, 5]))
    }

    @Test func linearPassEqualsTwoGemvs() throws {
        // Two features → 65,536-row blocks, so 70,000 rows take two blocks.
        let n = 70_000
        let x = Matrix(rows: n, columns: 2, columnMajor: (0..<(2 * n)).map { Double(($0 * 31) % 17) - 8 })
        let w: [Double] = [0.5, -0.25]
        var gradient: [Double] = [1, 1]
        var seen = 0
        BLAS.linearPass(x, coefficients: w, intercept: 2, accumulating: &gradient) { rows, eta in
            #expect(rows.lowerBound == seen)
            seen = rows.upperBound
            for k in 0..<rows.count { eta[k] = eta[k] * eta[k] }  // r = η²
        }
        #expect(seen == n)
        let eta = try BLAS.gemv(x, w).map { $0 + 2 }
        let expected = try BLAS.gemv(x, eta.map { $0 * $0 }, transpose: true)
        #expect(abs(gradient[0] - 1 - expected[0]) < 1e-9 * abs(expected[0]))
        #expect(abs(gradient[1] - 1 - expected[1]) < 1e-9 * abs(expected[1]))
    }

    @Test func gemvByHand() throws {
        #expect(try BLAS.gemv(a, [1, 0, -1]) == [-2, -2])
        #expect(try BLAS.gemv(a, [1, 1], transpose: true) == [5, 7, 9])
        #expect(throws: LinalgError.self) { try BLAS.gemv(a, [1, 2]) }
        var y: [Double] = [1, 1]
        BLAS.gemv(a, [1, 1, 1], into: &y, alpha: 2, beta: -1)
        #expect(y == [11, 29])
    }

    @Test func dotAndAxpy() {
        #expect(BLAS.dot([1, 2, 3], [4, 5, 6]) == 32)
        #expect(BLAS.dot([], []) == 0)
        var y: [Double] = [1, 1, 1]
        BLAS.axpy(2, [1, 2, 3], &y)
        #expect(y == [3, 5, 7])
    }

    @Test func threadCountIsReported() {
        #expect(BLAS.threadCount >= 1)
        #expect(!BLAS.coreName.isEmpty)
    }
}
