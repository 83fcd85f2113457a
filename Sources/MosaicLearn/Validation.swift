import MosaicCore

/// Train/test splits as row indices, for use with `Matrix.rows(_:)`.
///
/// Arguments are programmer-chosen sizes, so out-of-range values are preconditions.
public enum Validation {
    /// K-fold cross-validation over a seeded shuffle of `0..<count`.
    ///
    /// The rows are shuffled once (Fisher–Yates with ``MosaicCore/SeededRandom``), then cut into
    /// `folds` consecutive parts whose sizes differ by at most one (the first `count % folds`
    /// parts get the extra row, as in scikit-learn's `KFold`). Fold `k` tests on part `k` and
    /// trains on the rest. Both index lists are sorted ascending. The same seed gives the same
    /// folds on every platform.
    ///
    /// - Complexity: O(count · folds).
    /// - Precondition: `2 <= folds <= count`.
    public static func kFold(count n: Int, folds k: Int, seed: UInt64) -> [(train: [Int], test: [Int])] {
        precondition(k >= 2 && k <= n, "kFold needs 2 ≤ folds ≤ count, got folds \(k) for count \(n)")
        var order = Array(0..<n)
        var random = SeededRandom(seed: seed)
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(random.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        var splits: [(train: [Int], test: [Int])] = []
        splits.reserveCapacity(k)
        var start = 0
        for fold in 0..<k {
            let size = n / k + (fold < n % k ? 1 : 0)
            var inTest = [Bool](repeating: false, count: n)
            for i in order[start..<start + size] { inTest[i] = true }
            let test = (0..<n).filter { inTest[$0] }
            let train = (0..<n).filter { !inTest[$0] }
            splits.append((train, test))
            start += size
        }
        return splits
    }

    /// A single split that keeps time order: the earliest rows train, the latest test.
    ///
    /// The test part has `round(count · testFraction)` rows, at least 1 and at most
    /// `count − 1` (for 1,000,000 rows and 0.2: the last 200,000).
    ///
    /// - Complexity: O(count).
    /// - Precondition: `count >= 2` and `0 < testFraction < 1`.
    public static func timeOrdered(count n: Int, testFraction: Double) -> (train: [Int], test: [Int]) {
        precondition(n >= 2, "timeOrdered needs at least 2 rows, got \(n)")
        precondition(testFraction > 0 && testFraction < 1, "testFraction must be in (0, 1), got \(testFraction)")
        let testCount = min(n - 1, max(1, Int((Double(n) * testFraction).rounded())))
        return (Array(0..<(n - testCount)), Array((n - testCount)..<n))
    }

    /// Rolling-origin (expanding-window) evaluation for time-ordered rows.
    ///
    /// The rows after the first `minimumTrain` are cut into `folds` consecutive test blocks of
    /// equal size (the last block takes the remainder); fold `k` trains on every row before its
    /// block. Like scikit-learn's `TimeSeriesSplit` with a fixed first window.
    ///
    /// - Complexity: O(count · folds).
    /// - Precondition: `folds >= 1`, `minimumTrain >= 1` and `count − minimumTrain >= folds`.
    public static func rollingOrigin(count n: Int, folds k: Int, minimumTrain: Int) -> [(train: [Int], test: [Int])] {
        precondition(k >= 1 && minimumTrain >= 1 && n - minimumTrain >= k,
                     "rollingOrigin needs folds ≥ 1, minimumTrain ≥ 1 and count − minimumTrain ≥ folds; got count \(n), folds \(k), minimumTrain \(minimumTrain)")
        let block = (n - minimumTrain) / k
        return (0..<k).map { fold in
            let start = minimumTrain + fold * block
            let end = fold == k - 1 ? n : start + block
            return (Array(0..<start), Array(start..<end))
        }
    }
}
