#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Progress lines on standard error, shown only when it is a terminal; at most five updates a
/// second (a stage is written at once), from any thread. Each update clears the line it overwrites.
final class ProgressLine: Sendable {
    let label: String
    let enabled: Bool
    private let started = DispatchTime.now().uptimeNanoseconds
    /// When the line was last written (ns), and whether it has been.
    private let state = Mutex<(last: UInt64, shown: Bool)>((DispatchTime.now().uptimeNanoseconds, false))

    init(label: String) {
        self.label = label
        enabled = isatty(2) == 1 && ProcessInfo.processInfo.environment["CI"] == nil
    }

    /// `label: 40%  12,000 rows  30,000 rows/s`.
    func update(done: Int64, total: Int64, rows: Int) {
        show { seconds in
            let percent = total > 0 ? Int(100 * Double(done) / Double(total)) : 0
            let rate = seconds > 0 ? Int(Double(rows) / seconds) : 0
            return "\(percent)%  \(rows.formatted()) rows  \(rate.formatted()) rows/s"
        }
    }

    /// `label: 3 of 10 steps, 12 s`.
    func steps(done: Int, total: Int, of unit: String) {
        show { seconds in "\(done) of \(total) \(unit), \(Int(seconds)) s" }
    }

    /// `label: what it is doing, 12 s`: written at once, for stages that each take a while.
    func stage(_ text: String) {
        show(throttled: false) { seconds in "\(text), \(Int(seconds)) s" }
    }

    /// Writes the line over the last one; throttled, at most five times a second.
    private func show(throttled: Bool = true, _ text: (_ seconds: Double) -> String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        state.withLock { s in
            guard !throttled || now > s.last + 200_000_000 else { return }   // (another thread may have written after `now`)
            s.last = now
            s.shown = true
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(label): \(text(Double(now - started) / 1e9))".utf8))
        }
    }

    func finish() {
        guard enabled else { return }
        state.withLock { s in if s.shown { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) } }
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
