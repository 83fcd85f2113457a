// What every benchmark executable shares: its options, wall and CPU clocks, peak RSS, and the
// formatting of figures, ratios and Markdown tables. Benchmarks run in release builds and are
// never part of `swift test`.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A benchmark's command line: `--name value` options and bare `--flag`s.
public struct BenchmarkOptions: Sendable {
    /// The program name, prefixed to its error messages.
    public let program: String
    /// The arguments after the program path.
    public let arguments: [String]

    /// Reads the process's arguments. With `usage`, every argument must be one of `values`
    /// (each followed by its value) or `flags`; anything else prints the usage and exits 2.
    public init(_ program: String, values: [String] = [], flags: [String] = [], usage: String? = nil,
                arguments: [String] = Array(CommandLine.arguments.dropFirst())) {
        self.program = program
        self.arguments = arguments
        guard let usage else { return }
        var k = 0
        while k < arguments.count {
            if values.contains(arguments[k]) && k + 1 < arguments.count {
                k += 2
            } else if flags.contains(arguments[k]) {
                k += 1
            } else {
                print("usage: \(program) \(usage)")
                exit(2)
            }
        }
    }

    /// The value after `--name`, if given. An option in its place is an error: `--m4-per-series
    /// --no-python` once wrote the per-series file to `./--no-python` and ran the Python side.
    public func value(_ name: String) -> String? {
        guard let i = arguments.lastIndex(of: name) else { return nil }
        guard i + 1 < arguments.count, !arguments[i + 1].hasPrefix("--") else {
            fail("\(name) needs a value\(i + 1 < arguments.count ? ", not the option \(arguments[i + 1])" : "")")
        }
        return arguments[i + 1]
    }

    /// Whether the bare flag is given.
    public func flag(_ name: String) -> Bool { arguments.contains(name) }

    /// An integer option (`_` separators allowed), or `fallback`; below `minimum` is an error.
    public func int(_ name: String, _ fallback: Int, minimum: Int = .min) -> Int {
        guard let text = value(name) else { return fallback }
        guard let v = Int(text.replacingOccurrences(of: "_", with: "")), v >= minimum else {
            fail("\(name) needs an integer >= \(minimum), got \(text)")
        }
        return v
    }

    /// A number option, or `fallback`.
    public func double(_ name: String, _ fallback: Double) -> Double {
        guard let text = value(name) else { return fallback }
        guard let v = Double(text), v.isFinite else { fail("\(name) needs a number, got \(text)") }
        return v
    }

    /// Prints `program: message` to standard error and exits 1.
    public func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("\(program): \(message)\n".utf8))
        exit(1)
    }

    /// Prints `program: message` to standard error (progress that must not mix with results).
    public func say(_ message: String) {
        FileHandle.standardError.write(Data("\(program): \(message)\n".utf8))
    }
}

/// Clocks, memory and formatting.
public enum Bench {
    /// Wall-clock seconds since `start`.
    public static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// User plus system CPU seconds of this process so far, or (`children`) of the children
    /// waited for so far (on a shared machine wall time overstates the work).
    public static func cpuSeconds(children: Bool = false) -> Double {
        var usage = rusage()
        getrusage(children ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue, &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    /// CPU seconds the calling thread has used so far (for work split over threads: a thread's
    /// own time, without the time it waited for a core).
    public static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Peak resident set size in bytes of this process, or (`children`) of the largest child
    /// waited for so far.
    public static func peakRSSBytes(children: Bool = false) -> Int {
        // Linux keeps `ru_maxrss` across execve, so a child started from a large parent would
        // report the parent's peak; VmHWM belongs to this process's own memory.
        if !children, let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kib = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({ Int($0) }) {
            return kib * 1024
        }
        var usage = rusage()
        getrusage(children ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024  // Linux reports KiB
    }

    /// Bytes as whole megabytes (10⁶), `"123 MB"`.
    public static func megabytes(_ bytes: Int) -> String { String(format: "%.0f MB", Double(bytes) / 1e6) }

    /// `value` with `places` decimals; empty for nil, `nan`/`inf` spelled out.
    public static func fixed(_ value: Double?, _ places: Int) -> String {
        guard let value else { return "" }
        return value.isFinite ? String(format: "%.\(places)f", value) : "\(value)"
    }

    /// `mine / theirs` as `"0.42×"`, or `missing` when there is no reference figure.
    public static func ratio(_ mine: Double, _ theirs: Double?, places: Int = 2, missing: String = "n/a") -> String {
        guard let theirs else { return missing }
        return String(format: "%.\(places)f×", mine / theirs)
    }

    /// A CSV file's data rows (its lines less the header) and its size in bytes.
    public static func csvSize(_ path: String) -> (rows: Int, bytes: Int64) {
        var lines = 0
        if let fh = FileHandle(forReadingAtPath: path) {
            while let chunk = try? fh.read(upToCount: 1 << 22), !chunk.isEmpty { lines += chunk.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } }
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        return (max(0, lines - 1), bytes)
    }

    /// Prints a Markdown table: a header row, its rule (`right` columns right-aligned) and rows.
    public static func printTable(_ header: [String], right: Set<Int> = [], _ rows: [[String]]) {
        print("| " + header.joined(separator: " | ") + " |")
        print("|" + header.indices.map { right.contains($0) ? "---:" : "---" }.joined(separator: "|") + "|")
        for row in rows { print("| " + row.joined(separator: " | ") + " |") }
    }
}

extension Bench {
    /// Runs a program to its end, its output captured (or discarded with `quiet`).
    ///
    /// - Parameters:
    ///   - environment: variables set on top of this process's environment.
    ///   - stdin: text written to its standard input.
    /// - Returns: its exit status and standard output, or nil when it cannot start.
    public static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
                           quiet: Bool = false) -> (status: Int32, output: Data)? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        p.standardOutput = quiet ? FileHandle.nullDevice : out
        if quiet { p.standardError = FileHandle.nullDevice }
        let input = stdin.map { _ in Pipe() }
        if let input { p.standardInput = input }
        do { try p.run() } catch { return nil }
        if let input, let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try? input.fileHandleForWriting.close()
        }
        let data = quiet ? Data() : out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, data)
    }

    /// Runs `python3` from the PATH with one BLAS thread (`OPENBLAS_NUM_THREADS=1`).
    public static func python3(_ arguments: [String], quiet: Bool = false) -> (status: Int32, output: Data)? {
        run("/usr/bin/env", ["python3"] + arguments, environment: ["OPENBLAS_NUM_THREADS": "1"], quiet: quiet)
    }
}
