import Foundation
import MosaicCore
import MosaicLinalg
import MosaicTestSupport

/// Small seeded datasets and a bridge to scikit-learn for the trainer tests.
enum TestData {
    /// `n × p` uniform features in [−1, 1) from a seeded stream.
    static func features(rows n: Int, columns p: Int, seed: UInt64) -> Matrix {
        var random = SeededRandom(seed: seed)
        return Matrix(rows: n, columns: p, columnMajor: (0..<(n * p)).map { _ in 2 * random.uniform() - 1 })
    }

    /// `y = intercept + X·beta + noise · N(0, 1)`.
    static func linearTarget(_ x: Matrix, intercept: Double, beta: [Double], noise: Double, seed: UInt64) -> [Double] {
        var random = SeededRandom(seed: seed)
        return (0..<x.rows).map { i in
            intercept + (0..<x.columns).reduce(0) { $0 + x[i, $1] * beta[$1] } + noise * random.normal()
        }
    }

    /// Bernoulli labels with log-odds `intercept + X·w`.
    static func logisticLabels(_ x: Matrix, intercept: Double, w: [Double], seed: UInt64) -> [Bool] {
        var random = SeededRandom(seed: seed)
        return (0..<x.rows).map { i in
            let eta = intercept + (0..<x.columns).reduce(0) { $0 + x[i, $1] * w[$1] }
            return random.uniform() < 1 / (1 + exp(-eta))
        }
    }

    /// The rows of `x` as nested arrays, for JSON.
    static func rowsOf(_ x: Matrix) -> [[Double]] { (0..<x.rows).map { x.row($0) } }

    /// Runs a Python script with one JSON argument and returns the numbers it prints
    /// (whitespace-separated), or records why it could not.
    static func python(_ script: String, _ payload: [String: Any]) throws -> [Double] {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: payload), as: UTF8.self)
        guard let out = Python.run(script, arguments: [json]) else { throw PythonFailure(message: "python3 did not start") }
        guard out.status == 0 else { throw PythonFailure(message: out.stderr) }
        return out.stdout.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
    }

    struct PythonFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { "python3 failed: \(message)" }
    }

    static let hasSklearn = Python.has("sklearn")
}
