import Foundation

/// Runs the built `mosaic` executable, as a user would.
public enum MosaicBinary {
    /// The `mosaic` binary beside the test bundle (SwiftPM builds it because the CLI tests
    /// depend on the executable target).
    public static let path: String = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [bundle, bundle.deletingLastPathComponent(), URL(fileURLWithPath: SharedData.packageRoot + "/.build/debug")] {
            let candidate = dir.appendingPathComponent("mosaic").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return SharedData.packageRoot + "/.build/debug/mosaic"
    }()

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `mosaic ARGS` in `directory` and waits for it.
    public static func run(_ arguments: [String], in directory: String? = nil,
                           environment: [String: String] = [:]) throws -> Result {
        let process = try start(arguments, in: directory, environment: environment)
        let out = process.standardOutput as! Pipe, err = process.standardError as! Pipe
        // Read both pipes concurrently so a chatty child never blocks on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Starts `mosaic ARGS` without waiting (for crash tests); stdout and stderr are pipes.
    public static func start(_ arguments: [String], in directory: String? = nil,
                             environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "MOSAIC_DB")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }
}
