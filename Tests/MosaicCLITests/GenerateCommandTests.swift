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

    @Test(arguments: [
        (["generate", "--days", "0"], "--days must be between 1 and 3660"),
        (["generate", "--rate=-1"], "--rate must be greater than 0"),
        (["generate", "--start", "yesterday"], "--start 'yesterday' is not a date"),
    ])
    func badOptionsExitNonZeroWithAClearMessage(arguments: [String], message: String) throws {
        let tmp = TemporaryDirectory("generate-bad")
        let r = try MosaicBinary.run(arguments + ["--out", tmp.file("x")])
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.file("x/requests.csv")))
    }
}
