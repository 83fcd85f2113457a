import CLapack
import Testing

/// The shim links both OpenBLAS (CBLAS) and LAPACKE, and they compute.
@Suite struct CLapackLinkTests {
    @Test func cblasDotProduct() {
        let x: [Double] = [1, 2, 3]
        let y: [Double] = [4, 5, 6]
        #expect(cblas_ddot(3, x, 1, y, 1) == 32)
    }

    @Test func lapackeSolvesSymmetricPositiveDefiniteSystem() {
        // [4 2; 2 3] x = [2; 1]  →  x = [0.5, 0]
        var a: [Double] = [4, 2, 2, 3]
        var b: [Double] = [2, 1]
        let info = LAPACKE_dposv(LAPACK_COL_MAJOR, Int8(UInt8(ascii: "L")), 2, 1, &a, 2, &b, 2)
        #expect(info == 0)
        #expect(abs(b[0] - 0.5) < 1e-15)
        #expect(abs(b[1]) < 1e-15)
    }
}
