import MosaicLearn
import MosaicLinalg
import Testing

@Suite struct ValidationTests {
    @Test func kFoldPartitionsTheRows() {
        let folds = Validation.kFold(count: 23, folds: 5, seed: 7)
        #expect(folds.count == 5)
        #expect(folds.map(\.test.count) == [5, 5, 5, 4, 4])
        #expect(folds.flatMap(\.test).sorted() == Array(0..<23))
        for fold in folds {
            #expect(Set(fold.train).isDisjoint(with: fold.test))
            #expect((fold.train + fold.test).sorted() == Array(0..<23))
            #expect(fold.test == fold.test.sorted())
        }
    }

    @Test func kFoldIsSeeded() {
        let a = Validation.kFold(count: 100, folds: 4, seed: 1).map(\.test)
        #expect(a == Validation.kFold(count: 100, folds: 4, seed: 1).map(\.test))
        #expect(a != Validation.kFold(count: 100, folds: 4, seed: 2).map(\.test))
        #expect(a[0] != Array(0..<25))  // shuffled, not consecutive
    }

    @Test func timeOrderedKeepsTheLatestRowsForTesting() {
        let split = Validation.timeOrdered(count: 1_000, testFraction: 0.2)
        #expect(split.train == Array(0..<800))
        #expect(split.test == Array(800..<1_000))
        #expect(Validation.timeOrdered(count: 3, testFraction: 0.01).test == [2])
        #expect(Validation.timeOrdered(count: 3, testFraction: 0.99).train == [0])
    }

    @Test func rollingOriginExpands() {
        let folds = Validation.rollingOrigin(count: 10, folds: 3, minimumTrain: 4)
        #expect(folds.map(\.train.count) == [4, 6, 8])
        #expect(folds.map(\.test) == [[4, 5], [6, 7], [8, 9]])
        let uneven = Validation.rollingOrigin(count: 11, folds: 3, minimumTrain: 4)
        #expect(uneven.last!.test == [8, 9, 10])
    }

    @Test func splitsCutTheDesignMatrix() throws {
        let x = Matrix(rows: 6, columns: 2, rowMajor: (0..<12).map(Double.init))
        for fold in Validation.kFold(count: 6, folds: 3, seed: 3) {
            let test = x.rows(fold.test)
            #expect(test.rows == 2)
            #expect(test.row(0) == x.row(fold.test[0]))
        }
    }
}
