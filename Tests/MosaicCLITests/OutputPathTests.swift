import Foundation
import MosaicTestSupport
import Testing

/// The kind of file at `path`, without following a link: `S_IFREG`, `S_IFLNK`, `S_IFIFO`…
private func kind(_ path: String) -> mode_t? {
    var st = stat()
    return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : nil
}

/// `--out` paths that are not plain files (audit-cli finding 2): every output was written to a
/// temporary file renamed over the path, so a symbolic link, a FIFO or a device node (the real
/// /dev/full, as root) was replaced by a regular file, and `--out /dev/full` exited 0.
@Suite struct OutputPathTests {
    static let roi = ["report", "roi", "--upfront", "100", "--savings-per-year", "1000", "--years", "5", "--formats", "json"]

    @Test func aSymbolicLinkIsWrittenThrough() throws {
        let tmp = TemporaryDirectory("out-link")
        // A report file (ReportWriter).
        try FileManager.default.createDirectory(atPath: tmp.file("r"), withIntermediateDirectories: false)
        let target = tmp.write("roi-target.json", "{}")
        #expect(symlink("../roi-target.json", tmp.file("r/roi.json")) == 0)
        let r = try MosaicBinary.run(Self.roi + ["--out", tmp.file("r")])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(kind(tmp.file("r/roi.json")) == S_IFLNK)
        #expect(try String(contentsOfFile: target, encoding: .utf8).count > 100, "the link's target was not written")

        // A model file (`--out`, writeAtomically).
        let series = LoadCommandTests.seriesFile(tmp)
        let model = tmp.write("model-target.json", "{}")
        #expect(symlink(model, tmp.file("model.json")) == 0)
        let t = try MosaicBinary.run(["train", "load", "--series", series, "--horizon", "2", "--out", tmp.file("model.json")])
        #expect(t.status == 0, "stderr: \(t.stderr)")
        #expect(kind(tmp.file("model.json")) == S_IFLNK)
        #expect(try String(contentsOfFile: model, encoding: .utf8).contains("\"kind\""))
    }

    @Test func aFIFOIsWrittenInPlace() throws {
        let tmp = TemporaryDirectory("out-fifo")
        let fifo = tmp.file("model.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        final class Received: @unchecked Sendable { var text = "" }
        let received = Received(), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            received.text = FileHandle(forReadingAtPath: fifo).map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) } ?? ""
            done.signal()
        }
        let series = LoadCommandTests.seriesFile(tmp)
        let t = try MosaicBinary.run(["train", "load", "--series", series, "--horizon", "2", "--out", fifo])
        #expect(t.status == 0, "stderr: \(t.stderr)")
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(received.text.contains("\"kind\""))
        #expect(kind(fifo) == S_IFIFO)
    }

    /// Device nodes can only be made as root. The test makes its own copy of /dev/full (never the
    /// real one: the old code replaced it).
    @Test(.enabled(if: getuid() == 0, "needs root to make a device node"))
    func aFullDeviceIsAnError() throws {
        let tmp = TemporaryDirectory("out-dev")
        try FileManager.default.createDirectory(atPath: tmp.file("r"), withIntermediateDirectories: false)
        let full = tmp.file("r/roi.json")
        #expect(mknod(full, S_IFCHR | 0o666, dev_t(1 << 8 | 7)) == 0)  // Linux's /dev/full: major 1, minor 7
        let r = try MosaicBinary.run(Self.roi + ["--out", tmp.file("r")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(full): cannot write: no space left on device"), "stderr: \(r.stderr)")
        #expect(kind(full) == S_IFCHR)

        let model = tmp.file("model.json")
        #expect(mknod(model, S_IFCHR | 0o666, dev_t(1 << 8 | 7)) == 0)
        let t = try MosaicBinary.run(["train", "load", "--series", LoadCommandTests.seriesFile(tmp), "--horizon", "2", "--out", model])
        #expect(t.status == 1)
        #expect(t.stderr.contains("\(model): cannot write the model: no space left on device"), "stderr: \(t.stderr)")
        #expect(kind(model) == S_IFCHR)
    }

    /// A folder given as `--out` of a long job is refused before the job reads its input: the
    /// input named here does not exist, so the folder's message shows that nothing ran first
    /// (`simulate --out /tmp` ran the whole simulation and then refused the path).
    @Test func aFolderAsALongJobsOutputIsRefusedFirst() throws {
        let tmp = TemporaryDirectory("out-folder")
        let folder = tmp.file("results")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let missing = tmp.file("missing")
        for (arguments, what) in [(["simulate", missing + ".yaml", "--out", folder], "summary"),
                                  (["train", "load", "--series", missing + ".csv", "--out", folder], "model"),
                                  (["train", "routing", "--db", missing + ".sqlite", "--out", folder], "model")] {
            let r = try MosaicBinary.run(arguments)
            #expect(r.status == 1, "\(arguments)")
            #expect(StorageFaultTests.message(r) == "\(folder): is a folder; give the \(what)'s file name (for example \(folder)/name.json)",
                    "\(arguments): \(r.stderr)")
        }
    }
}
