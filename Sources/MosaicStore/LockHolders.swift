import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which processes hold a lock on a store, for the message of a busy store.
///
/// SQLite locks with POSIX advisory locks: in WAL mode a writer holds a write lock on a byte of
/// the `-shm` file, in rollback mode on bytes of the database file itself. Linux lists every
/// such lock in `/proc/locks` with its process and the locked file's device and inode, so this
/// names the process that actually holds the store (not merely one that has it open). Writers
/// are listed first; when none is found, the processes holding any lock (open connections).
/// Elsewhere, and when the lock was released meanwhile, the list is empty.
enum LockHolders {
    /// "pid 1234 (mosaic ingest requests big.csv)" for each process locking `path` or its
    /// `-shm` file, other than this one.
    static func describe(path: String) -> [String] {
        guard let table = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return [] }
        let files = [path, path + "-shm"].compactMap(identity(of:))
        guard !files.isEmpty else { return [] }
        var writers: [Int32] = [], others: [Int32] = []
        for line in table.split(separator: "\n") {
            // "1: POSIX  ADVISORY  WRITE 4567 fd:01:1234567 120 120"; waiters have "->" after the number.
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 6, f[1] != "->", let pid = Int32(f[4]), pid > 0, pid != getpid() else { continue }
            let id = f[5].split(separator: ":")
            guard id.count == 3, let major = UInt64(id[0], radix: 16), let minor = UInt64(id[1], radix: 16),
                  let inode = UInt64(id[2]) else { continue }
            guard files.contains(where: { $0 == (major, minor, inode) }) else { continue }
            if f[3] == "WRITE" {
                if !writers.contains(pid) { writers.append(pid) }
            } else if !others.contains(pid) {
                others.append(pid)
            }
        }
        let pids = writers.isEmpty ? others : writers
        return pids.map { pid in
            let command = commandLine(pid)
            return command.isEmpty ? "pid \(pid)" : "pid \(pid) (\(command))"
        }
    }

    /// The device (major, minor) and inode of a file, as `/proc/locks` spells them.
    static func identity(of path: String) -> (UInt64, UInt64, UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let dev = UInt64(st.st_dev)
        // glibc's gnu_dev_major/minor, written out (they are macros Swift cannot import).
        let major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~UInt64(0xFFF))
        let minor = (dev & 0xFF) | ((dev >> 12) & ~UInt64(0xFF))
        return (major, minor, UInt64(st.st_ino))
    }

    /// The process's command line, arguments joined by spaces, at most 120 characters.
    static func commandLine(_ pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        var text = words.joined(separator: " ").split(whereSeparator: \.isNewline).joined(separator: " ")
        if text.count > 120 { text = String(text.prefix(117)) + "..." }
        return text
    }
}
