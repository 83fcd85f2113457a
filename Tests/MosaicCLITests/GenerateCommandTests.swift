import Foundation
import MosaicTestSupport
import Testing

@Suite struct GenerateCommandTests {
    @Test func sameSeedSameBytes() throws {
        let tmp = TemporaryDirectory("generate")
        for dir in ["a", "b"] {
            let r = try MosaicBinary.run(["generate", "--days", "1", "--seed", "7", "--out", tmp.file(dir)])
            #expect(r.status == 0, "stderr: \(r.stderr)")
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: tmp.file("a/requests.csv")))
        let b = try Data(contentsOf: URL(fileURLWithPath: tmp.file("b/requests.csv")))
        #expect(a == b)
        #expect(a.count > 100_000)
        let other = try MosaicBinary.run(["generate", "--days", "1", "--seed", "8", "--out", tmp.file("c")])
        #expect(other.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: tmp.file("c/requests.csv"))) != a)
    }

    /// The README writes `--out datasets/sample/`; the paths printed must not read `sample//requests.csv`.
    @Test func aTrailingSlashIsNotDoubledInThePathsPrinted() throws {
        let tmp = TemporaryDirectory("generate-slash")
        let r = try MosaicBinary.run(["generate", "--days", "1", "--rate", "0.01", "--out", tmp.file("s") + "/"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("  \(tmp.file("s"))/requests.csv\n"), "stdout: \(r.stdout)")
        #expect(r.stdout.contains("  \(tmp.file("s"))/prices.json\n"), "stdout: \(r.stdout)")
        #expect(!r.stdout.contains("//"), "stdout: \(r.stdout)")
    }

    /// A generate killed midway leaves the last sample whole (audit-cli finding 3: requests.csv
    /// was written in place, so a kill or a full disk left a truncated file under its name, and
    /// no prices.json). The new files are written beside their names and renamed into place.
    @Test func aKilledGenerateLeavesTheLastSampleWhole() throws {
        let tmp = TemporaryDirectory("generate-kill")
        let out = tmp.file("s")
        let first = try MosaicBinary.run(["generate", "--days", "1", "--seed", "7", "--out", out])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: out + "/requests.csv"))
        let prices = try Data(contentsOf: URL(fileURLWithPath: out + "/prices.json"))

        // 10 years at a high rate: gigabytes, so it is still writing when killed.
        let process = try MosaicBinary.start(["generate", "--days", "3660", "--rate", "1000", "--out", out])
        let deadline = Date().addingTimeInterval(60)
        func written() -> Int {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
            return names.map { ((try? FileManager.default.attributesOfItem(atPath: out + "/" + $0)[.size]) as? NSNumber)?.intValue ?? 0 }.max() ?? 0
        }
        while Date() < deadline, process.isRunning, written() < 4 * before.count { usleep(20_000) }
        let killedMidway = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(killedMidway, "the generate ended before it could be killed")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/requests.csv")) == before, "requests.csv is not the last whole sample")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/prices.json")) == prices)
    }

    @Test(arguments: [
        (["generate", "--days", "0"], "--days must be between 1 and 3660"),
        (["generate", "--rate=-1"], "--rate must be greater than 0"),
        (["generate", "--start", "yesterday"], "--start 'yesterday' is not a date"),
        (["generate", "--start", "0000-01-01"], "--start '0000-01-01' is before 2000-01-01T00:00:00Z; `mosaic ingest requests` refuses"),
    ])
    func badOptionsExitNonZeroWithAClearMessage(arguments: [String], message: String) throws {
        let tmp = TemporaryDirectory("generate-bad")
        let r = try MosaicBinary.run(arguments + ["--out", tmp.file("x")])
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.file("x/requests.csv")))
    }
}
