import Foundation
import MosaicCore
import MosaicTestSupport
import Testing

/// The kind of file at `path`, without following a link: `S_IFREG`, `S_IFLNK`, `S_IFIFO`…
private func kind(_ path: String) -> mode_t? {
    var st = stat()
    return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : nil
}

private func text(_ path: String) -> String? { FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } }

/// `OutputFile` writes a regular file whole (a temporary renamed over it), follows symbolic
/// links, and writes devices and FIFOs in place. Before (audit-cli finding 2) every output was
/// `Data.write(options: .atomic)`, which renamed a regular file over a link, a FIFO or a device
/// node, so `--out /dev/full` "succeeded" by replacing the machine's /dev/full.
@Suite struct OutputFileTests {
    @Test func aRegularFileIsReplacedWholeKeepingItsMode() throws {
        let tmp = TemporaryDirectory("output-file")
        let path = tmp.write("out.json", "old")
        #expect(chmod(path, 0o640) == 0)
        try OutputFile.write(Data("new".utf8), to: path)
        #expect(text(path) == "new" && kind(path) == S_IFREG)
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o640)
        try OutputFile.write(Data("fresh".utf8), to: tmp.file("new.json"))
        #expect(text(tmp.file("new.json")) == "fresh")
        // A body that fails leaves the old file and no temporary beside it.
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try OutputFile.write(to: path) { target in
                try Data("half".utf8).write(to: URL(fileURLWithPath: target))
                throw Stop()
            }
        }
        #expect(text(path) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted() == ["new.json", "out.json"])
        #expect(throws: OutputFile.Failure.self) { try OutputFile.write(Data(), to: tmp.path) }
    }

    /// A set of files is written all or none: one that cannot be written (here a folder stands
    /// at its path) leaves every file of the set as it was and no temporary file. Before, a
    /// report's files were written one by one, and a full disk left 4 of 10 new beside 6 old.
    @Test func aSetOfFilesIsWrittenAllOrNone() throws {
        let tmp = TemporaryDirectory("output-file-set")
        let a = tmp.write("a.csv", "old a")
        try FileManager.default.createDirectory(atPath: tmp.file("b.json"), withIntermediateDirectories: false)
        let c = tmp.file("c.md")
        #expect(throws: OutputFile.Failure.self) {
            try OutputFile.write([(a, Data("new a".utf8)), (tmp.file("b.json"), Data("b".utf8)), (c, Data("c".utf8))])
        }
        #expect(text(a) == "old a" && text(c) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted() == ["a.csv", "b.json"])
        try FileManager.default.removeItem(atPath: tmp.file("b.json"))
        try OutputFile.write([(a, Data("new a".utf8)), (tmp.file("b.json"), Data("b".utf8)), (c, Data("c".utf8))])
        #expect(text(a) == "new a" && text(tmp.file("b.json")) == "b" && text(c) == "c")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted() == ["a.csv", "b.json", "c.md"])
    }

    @Test func aSymbolicLinkIsWrittenThrough() throws {
        let tmp = TemporaryDirectory("output-file-link")
        let target = tmp.write("target.json", "{}")
        #expect(symlink("target.json", tmp.file("link")) == 0)          // relative
        #expect(symlink(tmp.file("link"), tmp.file("chain")) == 0)      // a link to a link
        #expect(symlink("sub/missing.json", tmp.file("dangling")) == 0) // to a file not there yet
        try FileManager.default.createDirectory(atPath: tmp.file("sub"), withIntermediateDirectories: false)
        try OutputFile.write(Data("one".utf8), to: tmp.file("link"))
        #expect(text(target) == "one" && kind(tmp.file("link")) == S_IFLNK)
        try OutputFile.write(Data("two".utf8), to: tmp.file("chain"))
        #expect(text(target) == "two" && kind(tmp.file("chain")) == S_IFLNK && kind(tmp.file("link")) == S_IFLNK)
        try OutputFile.write(Data("three".utf8), to: tmp.file("dangling"))
        #expect(text(tmp.file("sub/missing.json")) == "three" && kind(tmp.file("dangling")) == S_IFLNK)
        #expect(symlink("loop", tmp.file("loop")) == 0)
        #expect(throws: OutputFile.Failure.self) { try OutputFile.write(Data(), to: tmp.file("loop")) }
    }

    @Test func aFIFOIsWrittenInPlace() throws {
        let tmp = TemporaryDirectory("output-file-fifo")
        let fifo = tmp.file("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        final class Received: @unchecked Sendable { var data: Data? }
        let received = Received(), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            received.data = FileHandle(forReadingAtPath: fifo)?.readDataToEndOfFile()
            done.signal()
        }
        try bounded(seconds: 30, "writing to a FIFO with a reader") { try OutputFile.write(Data("through the pipe".utf8), to: fifo) }
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(received.data.map { String(decoding: $0, as: UTF8.self) } == "through the pipe")
        #expect(kind(fifo) == S_IFIFO)
    }

    /// Device nodes can only be made as root; the test makes its own copies of /dev/full and
    /// /dev/null (never the real ones: the old code replaced them).
    @Test(.enabled(if: getuid() == 0, "needs root to make device nodes"))
    func aDeviceIsWrittenInPlaceAndItsErrorsAreErrors() throws {
        let tmp = TemporaryDirectory("output-file-dev")
        let full = tmp.file("full"), null = tmp.file("null")
        // Linux's device numbers of major 1 (memory devices): minor 7 is full, 3 is null.
        #expect(mknod(full, S_IFCHR | 0o666, dev_t(1 << 8 | 7)) == 0)
        #expect(mknod(null, S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0)
        do {
            try OutputFile.write(Data(repeating: 65, count: 10_000), to: full)
            Issue.record("a write to a copy of /dev/full succeeded")
        } catch {
            #expect(error.description == "\(full): no space left on device")
        }
        try OutputFile.write(Data("gone".utf8), to: null)
        #expect(kind(full) == S_IFCHR && kind(null) == S_IFCHR)
    }
}
