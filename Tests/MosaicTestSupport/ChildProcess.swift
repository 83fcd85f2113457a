import Foundation
import Synchronization

/// Runs a program to completion and collects what it printed.
public enum ChildProcess {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Starts `executable arguments…` (standard input from /dev/null) without waiting.
    public static func start(_ executable: String, _ arguments: [String], in directory: String? = nil,
                             environment: [String: String]? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits for a process started by ``start(_:_:in:environment:)``, reading both pipes at
    /// once so a chatty child never blocks on a full pipe.
    ///
    /// A child still running after `deadline` seconds is killed (SIGKILL) and its standard error
    /// says so, so that a child that hangs fails its test instead of stopping the run.
    public static func wait(_ process: Process, deadline: Double = 1_800) -> Output {
        let out = process.standardOutput as! Pipe, err = process.standardError as! Pipe
        let pid = process.processIdentifier
        let killed = Mutex(false)
        let watchdog = DispatchWorkItem {
            killed.withLock { $0 = true }
            kill(pid, SIGKILL)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + deadline, execute: watchdog)
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = drain(err.fileHandleForReading)
            group.leave()
        }
        let outData = drain(out.fileHandleForReading)
        group.wait()
        process.waitUntilExit()
        watchdog.cancel()
        var stderr = String(decoding: errData, as: UTF8.self)
        if killed.withLock({ $0 }) { stderr += "\n[test support: killed after \(deadline) s: the process had not exited]\n" }
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: stderr)
    }

    /// Everything `handle` gives until end of file, retrying a read that a signal interrupted.
    /// (Foundation's `readDataToEndOfFile()` stops the process on EINTR: it did once, reading a
    /// child's output on a loaded machine.)
    static func drain(_ handle: FileHandle) -> Data {
        let fd = handle.fileDescriptor
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                data.append(buffer, count: n)
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return data
            }
        }
    }

    /// Runs and waits.
    public static func run(_ executable: String, _ arguments: [String], in directory: String? = nil,
                           environment: [String: String]? = nil) throws -> Output {
        wait(try start(executable, arguments, in: directory, environment: environment))
    }
}

/// `python3`, for independent reference values (numpy, Python's `decimal`); tests that need it
/// are disabled with a message when it is missing.
public enum Python {
    /// Runs `python3 -c script arguments…` and waits; nil when python3 cannot be started.
    public static func run(_ script: String, arguments: [String] = []) -> ChildProcess.Output? {
        try? ChildProcess.run("/usr/bin/env", ["python3", "-c", script] + arguments)
    }

    /// Whether `python3` runs and can import `module`.
    public static func has(_ module: String) -> Bool {
        run("import \(module)")?.status == 0
    }
}
