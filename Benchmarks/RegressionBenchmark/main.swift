// Regression benchmark: Mosaic's least squares, ridge and logistic regression against numpy and
// scikit-learn on the same 1,000,000 × 32 dataset.
//
//   swift build -c release --product RegressionBenchmark && .build/release/RegressionBenchmark
//       [--rows 1000000] [--repeat 3] [--shared ../shared] [--no-python]
//
// In one run:
//   1. pins OpenBLAS to one thread and regenerates the dataset of
//      ../shared/reference/ref_regression.py bit for bit (portable splitmix64 generator);
//   2. times `python3 ref_regression.py --threads 1 --no-write --repeats 1` (numpy lstsq, sklearn
//      Ridge cholesky, sklearn LogisticRegression lbfgs at the default tol and at tol 1e-10) in a
//      child process with OPENBLAS_NUM_THREADS=1, and reads its JSON;
//   3. times Mosaic's fits of the same models (median of --repeat runs): least squares and
//      ridge (alpha 1) on all rows; logistic regression (C = 1) on the first 80 % of rows at the
//      tolerance equivalent to sklearn's default (1e-4 on the scaled gradient) and at 1e-10,
//      scored on the last 20 %;
//   4. prints the times side by side with their ratios, the peak RSS against the design matrix
//      size, and the OpenBLAS thread count and kernel of both sides. Not part of `swift test`.
//
// The kernels may differ: Debian's OpenBLAS 0.3.21 does not know recent Intel models and falls
// back to its generic "Prescott" kernels there, while numpy's bundled 0.3.31 picks SkylakeX.
// OPENBLAS_CORETYPE is deliberately left alone (see ../shared/reference/README.md).
import BenchmarkSupport
import Foundation
import MosaicLearn
import MosaicLinalg

#if canImport(Glibc)
import Glibc
#endif

let options = BenchmarkOptions("RegressionBenchmark")
func fail(_ message: String) -> Never { options.fail(message) }

let rows = options.int("--rows", 1_000_000, minimum: 1)
let repeats = options.int("--repeat", 3, minimum: 1)
let shared = options.value("--shared") ?? ProcessInfo.processInfo.environment["MOSAIC_SHARED"] ?? "../shared"
let script = shared + "/reference/ref_regression.py"
let runPython = !options.flag("--no-python") && FileManager.default.fileExists(atPath: script)
let features = 32

// MARK: - The portable generator (same as Tests/MosaicLearnTests/ReferenceData.swift)

func mix(_ z0: UInt64) -> UInt64 {
    var z = z0
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

@inline(__always) func uniform(_ s: UInt64, _ k: Int) -> Double {
    Double(mix(42 &+ s &* (1 << 40) &+ UInt64(k + 1) &* 0x9E37_79B9_7F4A_7C15) >> 11) * 0x1p-53
}

/// numpy's `X @ b` on OpenBLAS's Haswell dgemv_t: four FMA lanes, then (l0 + l2) + (l1 + l3).
@inline(__always) func dot(_ row: UnsafeMutableBufferPointer<Double>, _ b: [Double]) -> Double {
    var l0 = 0.0, l1 = 0.0, l2 = 0.0, l3 = 0.0
    for j in stride(from: 0, to: row.count, by: 4) {
        l0 = l0.addingProduct(row[j], b[j]); l1 = l1.addingProduct(row[j + 1], b[j + 1])
        l2 = l2.addingProduct(row[j + 2], b[j + 2]); l3 = l3.addingProduct(row[j + 3], b[j + 3])
    }
    return (l0 + l2) + (l1 + l3)
}

/// Rows `range` of the dataset: X column-major, y, and the logistic labels.
func generate(_ range: Range<Int>) -> (x: Matrix, y: [Double], ybin: [Bool]) {
    let n = range.count
    let beta = (0..<features).map { Double(($0 % 9) - 4) * 0.125 }
    let w = (0..<features).map { Double(($0 % 5) - 2) * 0.25 }
    var x = [Double](repeating: 0, count: n * features)
    var y = [Double](repeating: 0, count: n)
    var ybin = [Bool](repeating: false, count: n)
    var row = [Double](repeating: 0, count: features)
    let sqrt3 = 3.0.squareRoot()
    x.withUnsafeMutableBufferPointer { xs in
        row.withUnsafeMutableBufferPointer { r in
            for local in 0..<n {
                let i = range.lowerBound + local
                for j in 0..<features {
                    let v = 2 * uniform(0, i * features + j) - 1
                    r[j] = v
                    xs[j * n + local] = v
                }
                let noise = (((uniform(1, 4 * i) + uniform(1, 4 * i + 1)) + uniform(1, 4 * i + 2)) + uniform(1, 4 * i + 3) - 2) * sqrt3
                y[local] = 0.5 + dot(r, beta) + 0.5 * noise
                ybin[local] = uniform(2, i) < 1 / (1 + exp(-(-0.25 + dot(r, w))))
            }
        }
    }
    return (Matrix(rows: n, columns: features, columnMajor: x), y, ybin)
}

// MARK: - Timing helpers

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func timed<T>(_ label: String, _ body: () throws -> T) rethrows -> (T, Double) {
    var times: [Double] = []
    var result: T? = nil
    for _ in 0..<repeats {
        let start = DispatchTime.now()
        result = try body()
        times.append(Bench.seconds(since: start))
    }
    let m = median(times)
    print("  \(label): median \(String(format: "%.3f", m)) s of \(times.map { String(format: "%.3f", $0) }.joined(separator: ", "))")
    return (result!, m)
}

// MARK: - 1. Setup

let envThreads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset"
BLAS.setThreadCount(1)
print("OpenBLAS: \(BLAS.threadCount) thread (OPENBLAS_NUM_THREADS=\(envThreads), pinned with openblas_set_num_threads), core \(BLAS.coreName)")
print("          \(BLAS.configuration)")
let designBytes = rows * features * 8

// MARK: - 2. The reference, in a child process

var reference: [String: Any] = [:]
var pythonRSS = 0
if runPython {
    print("running python3 \(script) --threads 1 --no-write --repeats 1 (OPENBLAS_NUM_THREADS=1)…")
    guard let r = Bench.python3([script, "--threads", "1", "--no-write", "--repeats", "1", "--n", String(rows)]) else {
        fail("cannot start python3")
    }
    if r.status != 0 { fail("ref_regression.py exited with \(r.status)") }
    let data = r.output
    reference = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    pythonRSS = Bench.peakRSSBytes(children: true)
} else {
    print("no reference run (\(FileManager.default.fileExists(atPath: script) ? "--no-python" : "\(script) not found"))")
}

@MainActor func ref(_ path: String...) -> Any? {
    var node: Any? = reference
    for key in path { node = (node as? [String: Any])?[key] }
    return node
}
@MainActor func refTime(_ model: String) -> Double? { ref("fits", model, "time", "median_s") as? Double }

// MARK: - 3. Mosaic

print("generating \(rows) × \(features) (\(designBytes / 1_000_000) MB design matrix)…")
var start = DispatchTime.now()
var full: (x: Matrix, y: [Double], ybin: [Bool])? = generate(0..<rows)
print("  generated in \(String(format: "%.2f", Bench.seconds(since: start))) s")
let yMean = full!.y.reduce(0, +) / Double(rows)
if let pyMean = ref("dataset", "y_mean") as? Double {
    print("  y mean \(yMean) (python \(pyMean)); positive rate \(Double(full!.ybin.filter { $0 }.count) / Double(rows)) (python \(ref("dataset", "positive_rate") ?? "?"))")
}

print("fitting (OpenBLAS threads: \(BLAS.threadCount))…")
var lstsqSeconds = 0.0, ridgeSeconds = 0.0
do {
    let (ls, t1) = try timed("least squares") { try LeastSquares().fit(full!.x, full!.y) }
    lstsqSeconds = t1
    print("    solver \(ls.solver), condition \(ls.conditionNumber), intercept \(ls.model.intercept)")
    let (ridge, t2) = try timed("ridge alpha 1") { try RidgeRegression(alpha: 1).fit(full!.x, full!.y) }
    ridgeSeconds = t2
    print("    solver \(ridge.solver), intercept \(ridge.model.intercept)")
} catch { fail("\(error)") }
full = nil  // free the 1M-row matrix before building the train/test split

let trainRows = Int(0.8 * Double(rows))
let train = generate(0..<trainRows)
let test = generate(trainRows..<rows)
var logisticSeconds = 0.0, tightSeconds = 0.0
var scores: [(String, Double, Double, Int)] = []
do {
    var logistic = LogisticRegression(c: 1)
    logistic.tolerance = 1e-4
    let (fit, t1) = try timed("logistic C=1, tol 1e-4") { try logistic.fit(train.x, train.ybin) }
    logisticSeconds = t1
    logistic.tolerance = 1e-10
    let (tight, t2) = try timed("logistic C=1, tol 1e-10") { try logistic.fit(train.x, train.ybin) }
    tightSeconds = t2
    for (label, f) in [("tol 1e-4", fit), ("tol 1e-10", tight)] {
        let p = try f.probabilities(test.x)
        scores.append((label, Metrics.logLoss(y: test.ybin, p: p), Metrics.auc(y: test.ybin, score: p), f.iterations))
    }
} catch { fail("\(error)") }
let peak = Bench.peakRSSBytes()

// MARK: - 4. Report

func f3(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "n/a" }
func ratio(_ mine: Double, _ theirs: Double?) -> String { Bench.ratio(mine, theirs) }
let lstsqRef = refTime("lstsq"), ridgeRef = refTime("ridge"), logitRef = refTime("logistic"), tightRef = refTime("logistic_tight")

print("")
print("| model (\(rows) × \(features), 1 BLAS thread) | Mosaic s | reference | reference s | Mosaic / reference | goal |")
print("|---|---:|---|---:|---:|---|")
print("| least squares | \(f3(lstsqSeconds)) | numpy lstsq (gelsd) | \(f3(lstsqRef)) | \(ratio(lstsqSeconds, lstsqRef)) | |")
print("| ridge α=1 | \(f3(ridgeSeconds)) | numpy lstsq (gelsd) | \(f3(lstsqRef)) | \(ratio(ridgeSeconds, lstsqRef)) | ≤ 0.5× |")
print("| ridge α=1 | \(f3(ridgeSeconds)) | sklearn Ridge (cholesky) | \(f3(ridgeRef)) | \(ratio(ridgeSeconds, ridgeRef)) | ≤ 1× |")
print("| logistic C=1, tol 1e-4 (\(scores[0].3) Newton steps) | \(f3(logisticSeconds)) | sklearn lbfgs, default tol (\(ref("fits", "logistic", "n_iter") ?? "?") it.) | \(f3(logitRef)) | \(ratio(logisticSeconds, logitRef)) | ≤ 1× |")
print("| logistic C=1, tol 1e-10 (\(scores[1].3) Newton steps) | \(f3(tightSeconds)) | sklearn lbfgs, tol 1e-10 (\(ref("fits", "logistic_tight", "n_iter") ?? "?") it.) | \(f3(tightRef)) | \(ratio(tightSeconds, tightRef)) | |")
print("")
for (label, ll, auc, _) in scores {
    let key = label == "tol 1e-4" ? "logistic" : "logistic_tight"
    print("test log-loss / AUC, logistic \(label): Mosaic \(String(format: "%.10f", ll)) / \(String(format: "%.10f", auc)); sklearn \(ref("fits", key, "test_logloss") ?? "n/a") / \(ref("fits", key, "test_auc") ?? "n/a")")
}
print(String(format: "peak RSS: %.0f MB = %.2f × the %.0f MB design matrix (goal ≤ 2×)", Double(peak) / 1e6, Double(peak) / Double(designBytes), Double(designBytes) / 1e6))
if runPython { print(String(format: "python3 reference peak RSS: %.0f MB", Double(pythonRSS) / 1e6)) }
let pythonKernel = ((ref("blas", "threadpoolctl") as? [[String: Any]])?.first?["architecture"] as? String) ?? "?"
print("OpenBLAS threads used: \(BLAS.threadCount), kernel \(BLAS.coreName) (python: threadpoolctl limit \(ref("threads_limit") ?? "none"), kernel \(pythonKernel))")
