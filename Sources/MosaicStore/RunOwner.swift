import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process that began an ingest run (`ingest_runs.pid`, `host`, `process_start`): enough
/// for a later process on the same machine to tell whether it is still running.
///
/// A pid alone is not: after the process ends the system gives its number to another, after a
/// restart numbering begins again, and each container counts its own. On Linux the run
/// therefore also records the machine's boot id, its pid namespace and the process's start time
/// (clock ticks after boot, `/proc/PID/stat`): a pid whose process now started at another time,
/// or under another boot, is not the run's; a run of another pid namespace (another container
/// with the same host name) cannot be judged from here. Where the system offers none of these
/// (macOS), whether the pid exists is all that is known.
public struct RunOwner: Sendable, Equatable, Codable {
    public var pid: Int64
    /// The machine's name (`gethostname`).
    public var host: String
    /// `BOOT_ID/PID_NAMESPACE/START_TICKS` on Linux; empty elsewhere.
    public var processStart: String

    public init(pid: Int64, host: String, processStart: String) {
        self.pid = pid
        self.host = host
        self.processStart = processStart
    }

    /// This process.
    public static let current = RunOwner(pid: Int64(getpid()), host: hostName(), processStart: processStart(of: Int64(getpid())) ?? "")

    /// Whether this run's process has ended: nil when that cannot be told from here (it ran on
    /// another machine, or in another pid namespace of this one), else true when no process has
    /// its pid, or the one that has it started at another time or under another boot.
    public var isGone: Bool? {
        let here = RunOwner.current
        guard host == here.host else { return nil }
        if self == here { return false }
        guard !processStart.isEmpty, !here.processStart.isEmpty else { return !RunOwner.exists(pid) }
        let mine = here.processStart.split(separator: "/", omittingEmptySubsequences: false)
        let theirs = processStart.split(separator: "/", omittingEmptySubsequences: false)
        guard theirs.count == 3 else { return nil }
        if theirs[0] != mine[0] { return true }    // the machine restarted since
        if theirs[1] != mine[1] { return nil }     // another container's pids
        return RunOwner.processStart(of: pid) != processStart
    }

    /// The machine's host name; "" when the system gives none.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `BOOT_ID/PID_NAMESPACE/START_TICKS` of the process `pid` as this process sees it (Linux);
    /// nil where there is no such process or no `/proc`.
    static func processStart(of pid: Int64) -> String? {
        guard let boot = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8),
              let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid"),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command's closing parenthesis start at field 3 (state); the start
        // time is field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 19 else { return nil }
        let ns = namespace.filter(\.isNumber)   // "pid:[4026531836]"
        return boot.trimmingCharacters(in: .whitespacesAndNewlines) + "/" + ns + "/" + fields[19]
    }

    /// Whether a process with this pid exists (one of another user's counts).
    static func exists(_ pid: Int64) -> Bool {
        guard pid > 0, pid <= Int64(Int32.max) else { return false }
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
    }
}
