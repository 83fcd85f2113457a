// swift-tools-version:6.0
//
// Mosaic: what a mix of service providers costs, how fast and reliable it is,
// and how traffic should be routed among them.
//
// The targets below follow the data path: ingest -> store -> train -> simulate -> report -> serve.
// Dependencies point one way: the CLI sits on top, the store and ingest below it, and the
// vocabulary (MosaicCore) at the bottom.
import Foundation
import PackageDescription

/// `MOSAIC_FUZZ=1` (set by `scripts/fuzz`) adds the libFuzzer driver and builds the modules it
/// reaches with `-sanitize=fuzzer,address`; without it nothing here changes.
let fuzzing = ProcessInfo.processInfo.environment["MOSAIC_FUZZ"] == "1"
let fuzzFlags: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address", "-O"])] : []
/// The decision path crosses modules (the simulator and the server call the router, the router
/// calls the vocabulary): in release builds these modules expose their bodies for inlining
/// across the boundary (cross-module optimisation), which the replay measures.
let hotPathFlags: [SwiftSetting] = fuzzFlags + [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "Mosaic",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mosaic", targets: ["mosaic"]),
        .library(name: "MosaicCore", targets: ["MosaicCore"]),
        .library(name: "MosaicStore", targets: ["MosaicStore"]),
        .library(name: "MosaicIngest", targets: ["MosaicIngest"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // MARK: - System libraries (C shims, no Swift API of their own)

        /// OpenBLAS `cblas.h` and LAPACKE `lapacke.h`; links `openblas` and `lapacke`.
        .systemLibrary(
            name: "CLapack",
            path: "Sources/CLapack",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        /// SQLite 3 (`sqlite3.h`), linked as `libsqlite3`.
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        /// zlib (`zlib.h`), linked as `libz`: gzip-compressed input files.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // MARK: - Pipeline stages

        /// Vocabulary: providers and the catalog, money, time, request records.
        .target(
            name: "MosaicCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: hotPathFlags
        ),
        /// The store: SQLite (embedded, the default) or PostgreSQL (shared, through PostgresNIO);
        /// schema, migrations, bulk writers and queries.
        .target(
            name: "MosaicStore",
            dependencies: ["MosaicCore", "CSQLite", .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: fuzzFlags
        ),
        /// The routing model file format and the routing decision code the simulator and the
        /// server share. No I/O, no store, no trainers.
        .target(
            name: "MosaicRouting",
            dependencies: ["MosaicCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: hotPathFlags
        ),
        /// Dense matrices over OpenBLAS and LAPACKE.
        .target(
            name: "MosaicLinalg",
            dependencies: ["CLapack"]
        ),
        /// Trainers: regression, classification, quantiles, features, validation, metrics, and
        /// the routing-model trainer that writes MosaicRouting's model files.
        .target(
            name: "MosaicLearn",
            dependencies: ["MosaicCore", "MosaicLinalg", "MosaicRouting"]
        ),
        /// The discrete-event simulator: `Kernel/` (event queue, clock, random streams, queueing
        /// stations) and `Scenario/` (traffic, providers, outages, clients routing with
        /// MosaicRouting, statistics, replications). No store, no trainers.
        .target(
            name: "MosaicSim",
            dependencies: ["MosaicCore", "MosaicRouting", .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: hotPathFlags
        ),
        /// Sources of data: request logs and public traces, price tables, sample traffic.
        .target(
            name: "MosaicIngest",
            dependencies: [
                "MosaicCore", "MosaicStore", "CZlib",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: fuzzFlags
        ),
        /// The online routing service (`mosaic serve`): HTTP API over MosaicRouting's Router with hot
        /// reload, outcome feedback into the store, health and Prometheus metrics. No trainers.
        .target(
            name: "MosaicServer",
            dependencies: [
                "MosaicCore", "MosaicRouting", "MosaicStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: fuzzFlags
        ),

        /// Reports: ROI, cost, latency and failover in Markdown, self-contained HTML with SVG
        /// charts, CSV and JSON, from the store and simulation results. MosaicLinalg finds the
        /// ROI report's IRRs (polynomial roots from a companion matrix's eigenvalues).
        .target(
            name: "MosaicReports",
            dependencies: ["MosaicCore", "MosaicStore", "MosaicSim", "MosaicLinalg"]
        ),

        // MARK: - The command-line tool

        .executableTarget(
            name: "mosaic",
            dependencies: [
                "MosaicCore", "MosaicStore", "MosaicIngest", "MosaicRouting", "MosaicLearn", "MosaicSim",
                "MosaicReports",
                "MosaicServer",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: - Benchmarks (release builds, never part of `swift test`)

        /// What every benchmark shares: options, clocks, peak RSS, child processes, ratios and tables.
        .target(
            name: "BenchmarkSupport",
            path: "Benchmarks/BenchmarkSupport"
        ),

        .executableTarget(
            name: "IngestBenchmark",
            dependencies: ["BenchmarkSupport", "MosaicCore", "MosaicStore", "MosaicIngest"],
            path: "Benchmarks/IngestBenchmark"
        ),

        .executableTarget(
            name: "PullBenchmark",
            dependencies: ["BenchmarkSupport", "MosaicCore", "MosaicStore", "MosaicIngest", "MosaicTestSupport"],
            path: "Benchmarks/PullBenchmark"
        ),

        .executableTarget(
            name: "RegressionBenchmark",
            dependencies: ["BenchmarkSupport", "MosaicLearn", "MosaicLinalg"],
            path: "Benchmarks/RegressionBenchmark"
        ),

        .executableTarget(
            name: "ModelLoadBenchmark",
            dependencies: ["BenchmarkSupport", "MosaicCore", "MosaicLearn", "MosaicRouting"],
            path: "Benchmarks/ModelLoadBenchmark"
        ),

        .executableTarget(
            name: "ForecastBenchmark",
            dependencies: ["BenchmarkSupport", "MosaicLearn", "MosaicCore"],
            path: "Benchmarks/ForecastBenchmark",
            exclude: ["statsforecast_m4.py", "statsforecast_folds.py", "unseen_series.py", "bike_sharing_windows.py", "filled_gaps.py", "level_steps.py"]
        ),

        .executableTarget(
            name: "RoutingBenchmark",
            dependencies: [
                "BenchmarkSupport",
                "MosaicCore", "MosaicLearn", "MosaicRouting",
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            path: "Benchmarks/RoutingBenchmark"
        ),

        .executableTarget(
            name: "SimBenchmark",
            dependencies: ["BenchmarkSupport", "MosaicSim", "MosaicCore"],
            path: "Benchmarks/SimBenchmark"
        ),

        .executableTarget(
            name: "ReplayBenchmark",
            dependencies: ["BenchmarkSupport", "MosaicSim", "MosaicRouting", "MosaicCore"],
            path: "Benchmarks/ReplayBenchmark"
        ),

        .executableTarget(
            name: "ServeBenchmark",
            dependencies: [
                "BenchmarkSupport", "MosaicServer", "MosaicCore", "MosaicRouting", "MosaicStore",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/ServeBenchmark"
        ),

        .executableTarget(
            name: "PostgresBenchmark",
            dependencies: ["BenchmarkSupport", "MosaicCore", "MosaicStore", "MosaicIngest"],
            path: "Benchmarks/PostgresBenchmark"
        ),

        // MARK: - Tests

        /// Shared helpers for every test bundle: temporary folders, the `../shared` locator,
        /// running the built `mosaic` binary.
        .target(
            name: "MosaicTestSupport",
            dependencies: ["MosaicCore", "MosaicStore"],
            path: "Tests/MosaicTestSupport"
        ),
        /// Every untrusted input's reader behind one call, for the fuzzer in `Fuzz/Driver` and the
        /// corpus replay in `MosaicFuzzTests`.
        .target(
            name: "MosaicFuzzTargets",
            dependencies: [
                "MosaicCore", "MosaicStore", "MosaicIngest", "MosaicRouting", "MosaicSim", "MosaicServer",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/MosaicFuzzTargets",
            swiftSettings: fuzzFlags
        ),
        .testTarget(name: "MosaicFuzzTests", dependencies: ["MosaicFuzzTargets"]),
        .testTarget(name: "CLapackTests", dependencies: ["CLapack"]),
        .testTarget(
            name: "MosaicRoutingTests",
            dependencies: ["MosaicRouting", "MosaicTestSupport", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "MosaicSimTests", dependencies: ["MosaicSim", "MosaicRouting", "MosaicCore", "MosaicTestSupport"]),
        .testTarget(name: "MosaicLinalgTests", dependencies: ["MosaicLinalg", "MosaicTestSupport"]),
        .testTarget(name: "MosaicLearnTests", dependencies: ["MosaicLearn", "MosaicLinalg", "MosaicRouting", "MosaicTestSupport"]),
        .testTarget(name: "MosaicCoreTests", dependencies: ["MosaicCore", "MosaicTestSupport"]),
        .testTarget(name: "MosaicStoreTests", dependencies: ["MosaicStore", "MosaicTestSupport"]),
        .testTarget(
            name: "MosaicIngestTests",
            dependencies: ["MosaicIngest", "MosaicStore", "MosaicTestSupport"]
        ),
        .testTarget(
            name: "MosaicReportsTests",
            dependencies: ["MosaicReports", "MosaicCore", "MosaicStore", "MosaicSim", "MosaicTestSupport"],
            exclude: ["Fixtures", "Golden"]
        ),
        .testTarget(
            name: "MosaicCLITests",
            dependencies: ["mosaic", "MosaicStore", "MosaicTestSupport"]
        ),
        .testTarget(
            name: "MosaicServerTests",
            dependencies: [
                "MosaicServer", "MosaicRouting", "MosaicCore", "MosaicStore", "MosaicSim", "MosaicTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ]
)

if fuzzing {
    package.targets.append(.executableTarget(
        name: "mosaic-fuzz",
        dependencies: ["MosaicFuzzTargets"],
        path: "Fuzz/Driver",
        swiftSettings: fuzzFlags,
        linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]
    ))
    package.products.append(.executable(name: "mosaic-fuzz", targets: ["mosaic-fuzz"]))
}

/// `MOSAIC_TSAN=1` (set by `scripts/tsan`) defines `MOSAIC_TSAN` in Mosaic's own Swift targets
/// (never in the dependencies): they then lock with `TSanMutex`, which ThreadSanitizer can see,
/// instead of Synchronization's `Mutex`, which it cannot on Linux (see Sources/MosaicCore/TSanMutex.swift).
if ProcessInfo.processInfo.environment["MOSAIC_TSAN"] == "1" {
    for target in package.targets where !["CLapack", "CSQLite", "CZlib"].contains(target.name) {
        target.swiftSettings = (target.swiftSettings ?? []) + [.define("MOSAIC_TSAN")]
    }
}
