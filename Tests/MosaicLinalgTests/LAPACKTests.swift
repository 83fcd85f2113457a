import MosaicLinalg
import Testing

@Suite struct LAPACKTests {
    // SPD: [4 2; 2 3], inverse [3 -2; -2 4]/8, 1-norm 6, ‖A⁻¹‖₁ = 6/8 → κ₁ = 4.5.
    let spd = Matrix(rows: 2, columns: 2, rowMajor: [4, 2, 2, 3])

    @Test func choleskySolveByHand() throws {
        let (x, rcond) = try LAPACK.choleskySolve(spd, Matrix(rows: 2, columns: 2, rowMajor: [2, 0, 1, 8]))
        // A⁻¹ [2 0; 1 8] = [3·2−2·1, −16; −2·2+4·1, 32]/8 = [0.5 −2; 0 4]
        #expect(abs(x[0, 0] - 0.5) < 1e-15 && abs(x[1, 0]) < 1e-15)
        #expect(abs(x[0, 1] + 2) < 1e-14 && abs(x[1, 1] - 4) < 1e-14)
        #expect(abs(rcond - 1 / 4.5) < 1e-12)
    }

    @Test func choleskyReadsOnlyTheLowerTriangle() throws {
        let lowerOnly = Matrix(rows: 2, columns: 2, rowMajor: [4, 999, 2, 3])
        let (x, _) = try LAPACK.choleskySolve(lowerOnly, Matrix(rows: 2, columns: 1, columnMajor: [2, 1]))
        #expect(abs(x[0, 0] - 0.5) < 1e-15 && abs(x[1, 0]) < 1e-15)
    }

    @Test func choleskyErrors() {
        let indefinite = Matrix(rows: 2, columns: 2, rowMajor: [1, 2, 2, 1])
        #expect(throws: LinalgError.notPositiveDefinite(order: 2)) {
            try LAPACK.choleskySolve(indefinite, Matrix(rows: 2, columns: 1))
        }
        let nearlySingular = Matrix(rows: 2, columns: 2, rowMajor: [1, 1, 1, 1 + 1e-17 + 4e-16])
        #expect(throws: LinalgError.self) {
            try LAPACK.choleskySolve(nearlySingular, Matrix(rows: 2, columns: 1))
        }
        var nan = spd
        nan[1, 1] = .nan
        #expect(throws: LinalgError.nonFinite("A[1, 1] is nan")) {
            try LAPACK.choleskySolve(nan, Matrix(rows: 2, columns: 1))
        }
        #expect(throws: LinalgError.dimensionMismatch("choleskySolve: A is 2 × 2 but B is 3 × 1")) {
            try LAPACK.choleskySolve(spd, Matrix(rows: 3, columns: 1))
        }
    }

    // Fit y ≈ b + m·t on t = 0, 1, 2, 3 with y = [1, 3.5, 4.5, 7]: Σt = 6, Σt² = 14, Σy = 16,
    // Σty = 33.5, so m = (4·33.5 − 6·16)/(4·14 − 36) = 1.9 and b = (16 − 6m)/4 = 1.15.
    let design = Matrix(rows: 4, columns: 2, rowMajor: [1, 0, 1, 1, 1, 2, 1, 3])
    let target: [Double] = [1, 3.5, 4.5, 7]

    @Test func leastSquaresQRByHand() throws {
        let x = try LAPACK.leastSquaresQR(design, target)
        #expect(abs(x[0] - 1.15) < 1e-14 && abs(x[1] - 1.9) < 1e-14)
    }

    @Test func leastSquaresSVDByHandAndRank() throws {
        let r = try LAPACK.leastSquaresSVD(design, target)
        #expect(abs(r.x[0] - 1.15) < 1e-14 && abs(r.x[1] - 1.9) < 1e-14)
        #expect(r.rank == 2)
        #expect(r.singularValues.count == 2 && r.singularValues[0] >= r.singularValues[1])
    }

    @Test func rankDeficientLeastSquares() throws {
        // An exactly zero column: QR finds a zero on R's diagonal and refuses.
        let zeroColumn = Matrix(rows: 3, columns: 2, rowMajor: [1, 0, 2, 0, 3, 0])
        #expect(throws: LinalgError.self) { try LAPACK.leastSquaresQR(zeroColumn, [2, 4, 6]) }
        // Two identical columns: the SVD finds rank 1 and splits the weight evenly (minimum norm).
        let twins = Matrix(rows: 3, columns: 2, rowMajor: [1, 1, 2, 2, 3, 3])
        let r = try LAPACK.leastSquaresSVD(twins, [2, 4, 6], rcond: 1e-12)
        #expect(r.rank == 1)
        #expect(abs(r.x[0] - 1) < 1e-14 && abs(r.x[1] - 1) < 1e-14)
        #expect(r.singularValues[1] < 1e-14 * r.singularValues[0])
    }

    @Test func leastSquaresErrors() {
        #expect(throws: LinalgError.dimensionMismatch("leastSquaresQR: A is 4 × 2 but b has 3 values")) {
            try LAPACK.leastSquaresQR(design, [1, 2, 3])
        }
        #expect(throws: LinalgError.nonFinite("b[2] is inf")) {
            try LAPACK.leastSquaresSVD(design, [1, 2, .infinity, 4])
        }
    }

    @Test func symmetricEigenOfKnownMatrix() throws {
        // [2 1; 1 2] has eigenvalues 1 and 3 with eigenvectors (1, −1)/√2 and (1, 1)/√2.
        let (values, vectors) = try LAPACK.symmetricEigen(Matrix(rows: 2, columns: 2, rowMajor: [2, 1, 1, 2]))
        #expect(abs(values[0] - 1) < 1e-15 && abs(values[1] - 3) < 1e-15)
        let h = 0.5.squareRoot()
        #expect(abs(abs(vectors[0, 0]) - h) < 1e-15 && abs(vectors[0, 0] + vectors[1, 0]) < 1e-15)
        #expect(abs(vectors[0, 1] - vectors[1, 1]) < 1e-15)
        // A V = V Λ for a 3 × 3 case.
        let a = Matrix(rows: 3, columns: 3, rowMajor: [4, 1, 0, 1, 3, 1, 0, 1, 2])
        let e = try LAPACK.symmetricEigen(a)
        let av = try BLAS.gemm(a, e.vectors)
        for k in 0..<3 { for i in 0..<3 { #expect(abs(av[i, k] - e.values[k] * e.vectors[i, k]) < 1e-13) } }
        #expect(throws: LinalgError.self) { try LAPACK.symmetricEigen(Matrix(rows: 2, columns: 3)) }
    }

    @Test func eigenvaluesOfAGeneralMatrix() throws {
        // The companion matrix of x³ − 6x² + 11x − 6 = (x − 1)(x − 2)(x − 3).
        let c = try LAPACK.eigenvalues(Matrix(rows: 3, columns: 3, rowMajor: [6, -11, 6, 1, 0, 0, 0, 1, 0]))
        #expect(c.real.sorted().enumerated().allSatisfy { abs($1 - Double($0 + 1)) < 1e-12 }, "\(c.real)")
        #expect(c.imaginary.allSatisfy { $0 == 0 })
        // A rotation by 90° has eigenvalues ±i: a conjugate pair, the positive part first.
        let r = try LAPACK.eigenvalues(Matrix(rows: 2, columns: 2, rowMajor: [0, -1, 1, 0]))
        #expect(r.real.allSatisfy { abs($0) < 1e-15 } && r.imaginary == [1, -1])
        #expect(try LAPACK.eigenvalues(Matrix(rows: 0, columns: 0)).real.isEmpty)
        #expect(throws: LinalgError.self) { try LAPACK.eigenvalues(Matrix(rows: 2, columns: 3)) }
    }

    @Test func errorsDescribeThemselves() {
        #expect(LinalgError.notPositiveDefinite(order: 3).description.contains("order 3"))
        #expect(LinalgError.lapack(function: "dgelsd", info: -4).description.contains("argument 4"))
    }
}
