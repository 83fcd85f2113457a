import MosaicLinalg
import Testing

@Suite struct MatrixTests {
    @Test func rowMajorAndColumnMajorAgree() {
        let a = Matrix(rows: 2, columns: 3, rowMajor: [1, 2, 3,
                                                       4, 5, 6])
        #expect(a.storage == [1, 4, 2, 5, 3, 6])
        #expect(a == Matrix(rows: 2, columns: 3, columnMajor: [1, 4, 2, 5, 3, 6]))
        #expect(a[0, 2] == 3)
        #expect(a[1, 0] == 4)
        #expect(a.row(1) == [4, 5, 6])
        #expect(a.column(2) == [3, 6])
    }

    @Test func subscriptWrites() {
        var a = Matrix(rows: 2, columns: 2, repeating: 7)
        a[1, 0] = -1
        #expect(a.storage == [7, -1, 7, 7])
    }

    @Test func identityAndTranspose() {
        #expect(Matrix.identity(3).storage == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        let a = Matrix(rows: 2, columns: 3, rowMajor: [1, 2, 3, 4, 5, 6])
        let t = a.transposed()
        #expect(t.rows == 3 && t.columns == 2)
        #expect(t == Matrix(rows: 3, columns: 2, rowMajor: [1, 4, 2, 5, 3, 6]))
        #expect(t.transposed() == a)
    }

    @Test func transposeOfLargerThanOneTile() {
        let a = Matrix(rows: 70, columns: 45, columnMajor: (0..<(70 * 45)).map(Double.init))
        let t = a.transposed()
        #expect(t[44, 69] == a[69, 44])
        #expect(t[3, 40] == a[40, 3])
    }

    @Test func finiteness() {
        var a = Matrix(rows: 3, columns: 2, repeating: 1)
        #expect(a.isFinite)
        #expect(a.firstNonFiniteElement == nil)
        a[2, 1] = .infinity
        #expect(!a.isFinite)
        #expect(a.firstNonFiniteElement! == (2, 1))
        a[0, 1] = .nan
        #expect(a.firstNonFiniteElement! == (0, 1))
        #expect(Matrix(rows: 0, columns: 4).isFinite)
    }

    @Test func rowGatherAndRange() {
        let a = Matrix(rows: 4, columns: 2, rowMajor: [0, 10, 1, 11, 2, 12, 3, 13])
        #expect(a.rows([3, 0, 3]) == Matrix(rows: 3, columns: 2, rowMajor: [3, 13, 0, 10, 3, 13]))
        #expect(a.rows(1..<3) == Matrix(rows: 2, columns: 2, rowMajor: [1, 11, 2, 12]))
        #expect(a.rows([Int]()).rows == 0)
    }
}
