#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Progress lines on standard error, shown only when it is a terminal.
final class ProgressLine: @unchecked Sendable {
    let label: String
    let enabled: Bool
    private var last = DispatchTime.now()
    private let started = DispatchTime.now()
    private var shown = false

    init(label: String) {
        self.label = label
        enabled = isatty(2) == 1 && ProcessInfo.processInfo.environment["CI"] == nil
    }

    func update(done: Int64, total: Int64, rows: Int) {
        guard enabled else { return }
        let now = DispatchTime.now()
        guard now.uptimeNanoseconds - last.uptimeNanoseconds > 200_000_000 else { return }
        last = now
        let seconds = Double(now.uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        let percent = total > 0 ? Int(100 * Double(done) / Double(total)) : 0
        let rate = seconds > 0 ? Int(Double(rows) / seconds) : 0
        let text = "\r\(label): \(percent)%  \(rows.formatted()) rows  \(rate.formatted()) rows/s"
        FileHandle.standardError.write(Data(text.utf8))
        shown = true
    }

    func finish() {
        guard enabled, shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
