// swift-tools-version:6.0
//
// The libFuzzer driver for Mosaic's fuzz targets (`Tests/MosaicFuzzTargets` in the main
// package). A package of its own so that the main build never needs the sanitizers:
// `scripts/fuzz` builds it with `-sanitize=fuzzer,address` and runs each target.
import Foundation
import PackageDescription

// A path dependency is known by its folder's name, which depends on where the clone lives.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let mosaic = root.lastPathComponent.lowercased()

let package = Package(
    name: "MosaicFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "mosaic-fuzz",
            dependencies: [.product(name: "MosaicFuzzTargets", package: mosaic)]
        ),
    ]
)
