import Foundation
import MosaicFuzzTargets

/// libFuzzer's entry point when `main` is the program's own (`-sanitize=fuzzer` links it).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The harness and target of this process (libFuzzer calls back on one thread).
nonisolated(unsafe) var harness: FuzzHarness!
nonisolated(unsafe) var target: FuzzTarget = .requestsCSV

/// `MOSAIC_FUZZ_TARGET=<target> mosaic-fuzz [libFuzzer flags] CORPUS...`
///
/// SwiftPM names an executable's entry point itself, so libFuzzer's own `main` cannot be used;
/// this one picks the target and hands over to libFuzzer's driver.
@main
struct Driver {
    static func main() throws {
        let name = ProcessInfo.processInfo.environment["MOSAIC_FUZZ_TARGET"] ?? ""
        guard let t = FuzzTarget(rawValue: name) else {
            let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("mosaic-fuzz: set MOSAIC_FUZZ_TARGET to one of: \(known)\n".utf8))
            exit(2)
        }
        target = t
        harness = try FuzzHarness()
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let rc = LLVMFuzzerRunDriver(&argc, &argv) { data, count in
            harness.run(target, UnsafeRawBufferPointer(start: data, count: count))
            return 0
        }
        exit(rc)
    }
}

/// libFuzzer's callback, for links where libFuzzer's own `main` is the program's (SwiftPM's
/// debug links leave the executable's renamed entry point unused): picks the target on first use.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    if harness == nil {
        let name = ProcessInfo.processInfo.environment["MOSAIC_FUZZ_TARGET"] ?? ""
        guard let t = FuzzTarget(rawValue: name) else {
            let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("mosaic-fuzz: set MOSAIC_FUZZ_TARGET to one of: \(known)\n".utf8))
            exit(2)
        }
        target = t
        harness = try! FuzzHarness()
    }
    harness.run(target, UnsafeRawBufferPointer(start: data, count: count))
    return 0
}
