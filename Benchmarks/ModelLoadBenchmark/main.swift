// Model-file load benchmark: how long reading and checking a routing model takes.
//
//   swift build -c release --product ModelLoadBenchmark && .build/release/ModelLoadBenchmark
//
// Trains a routing model for 16 providers on synthetic requests (each with 4 models, 6
// tenants, 3 operations, 3 regions), writes it, then decodes and validates the file 200 times
// and prints the median and p99 load time and the file size. Goal: well under 10 ms.
import BenchmarkSupport
import Foundation
import MosaicCore
import MosaicLearn
import MosaicRouting

#if canImport(Glibc)
import Glibc
#endif

var random = SeededRandom(seed: 16)
let start = Timestamp.parse("2026-10-05T00:00:00Z")!
var byProvider: [String: [RoutingTrainer.Row]] = [:]
for p in 0..<16 {
    byProvider["provider-\(p)"] = (0..<3000).map { i in
        let f = RequestFeatures(tenant: "tenant-\(i % 6)", operation: ["chat", "completion", "embedding"][i % 3],
                                region: ["us", "eu", "ap"][i % 3 == 0 ? 0 : (i % 5 == 0 ? 1 : 2)], model: "model-\(i % 4)",
                                inputTokens: Int(random.lognormal(mu: 6, sigma: 1)), outputTokens: Int(random.lognormal(mu: 4, sigma: 1)),
                                timestamp: start + Int64(i) * 60_000_000)
        let ok = !random.bernoulli(0.02 + 0.01 * Double(i % 6))
        return RoutingTrainer.Row(features: f, latencyMs: exp(6 + 0.2 * random.normal() + Double(i % 4) * 0.1), ok: ok)
    }
}
let model = try RoutingTrainer().train(byProvider: byProvider, window: (start, start + 1), version: 1, createdAt: "bench").model
let data = try model.encoded()
let path = FileManager.default.temporaryDirectory.appendingPathComponent("mosaic-load-bench.json").path
try data.write(to: URL(fileURLWithPath: path))

var times: [Double] = []
for _ in 0..<200 {
    let t = DispatchTime.now()
    guard let bytes = FileManager.default.contents(atPath: path) else { fatalError("cannot read \(path)") }
    let loaded = try RoutingModel.decode(bytes)
    times.append(Bench.seconds(since: t) * 1e3)
    precondition(loaded.providers.count == 16)
}
times.sort()
let features = model.providers.map(\.featureSpec.width).max() ?? 0
print("routing model: 16 providers × 3 heads, up to \(features) features each; file \(data.count / 1024) KiB")
print(String(format: "load + validate (read file, decode JSON, check heads): median %.2f ms, p99 %.2f ms, max %.2f ms",
             times[times.count / 2], times[Int(Double(times.count) * 0.99)], times.last!))
try? FileManager.default.removeItem(atPath: path)
