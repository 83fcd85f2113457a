import Foundation

/// Runs the built `mosaic` executable, as a user would.
public enum MosaicBinary {
    /// The `mosaic` binary beside the test bundle (SwiftPM builds it because the CLI tests
    /// depend on the executable target), or `MOSAIC_BINARY` when set (scripts/kill9-outcomes
    /// `--binary` runs its test against a release build this way).
    public static let path: String = {
        if let given = ProcessInfo.processInfo.environment["MOSAIC_BINARY"], !given.isEmpty { return given }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [bundle, bundle.deletingLastPathComponent(), URL(fileURLWithPath: SharedData.packageRoot + "/.build/debug")] {
            let candidate = dir.appendingPathComponent("mosaic").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return SharedData.packageRoot + "/.build/debug/mosaic"
    }()

    public typealias Result = ChildProcess.Output

    /// Runs `mosaic ARGS` in `directory` and waits for it.
    public static func run(_ arguments: [String], in directory: String? = nil,
                           environment: [String: String] = [:]) throws -> Result {
        ChildProcess.wait(try start(arguments, in: directory, environment: environment))
    }

    /// Starts `mosaic ARGS` without waiting (for crash tests); stdout and stderr are pipes.
    /// `MOSAIC_DB` is removed from the environment unless `environment` sets it.
    public static func start(_ arguments: [String], in directory: String? = nil,
                             environment: [String: String] = [:]) throws -> Process {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "MOSAIC_DB")
        for (k, v) in environment { env[k] = v }
        return try ChildProcess.start(path, arguments, in: directory, environment: env)
    }

    /// Why ``servePort(of:until:)`` found no port: what the child printed.
    public struct NoPort: Error, CustomStringConvertible {
        public var description: String
    }

    /// The port a started `mosaic serve --port 0` prints on the first line of its standard
    /// output (`… 127.0.0.1:PORT …`), read until `deadline`.
    public static func servePort(of process: Process, until deadline: Date) throws -> Int {
        let out = (process.standardOutput as! Pipe).fileHandleForReading
        var text = ""
        while !text.contains("\n") && Date() < deadline {
            let d = out.availableData
            if d.isEmpty { break }
            text += String(decoding: d, as: UTF8.self)
        }
        guard let range = text.range(of: "127.0.0.1:"), let port = Int(text[range.upperBound...].prefix { $0.isNumber }) else {
            throw NoPort(description: "no port in '\(text)'")
        }
        return port
    }
}
