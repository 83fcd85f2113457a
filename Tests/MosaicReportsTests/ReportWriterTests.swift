import Foundation
import MosaicCore
@testable import MosaicReports
import MosaicTestSupport
import Testing

/// Writing a report into a folder that holds an earlier run of it.
@Suite struct ReportWriterTests {
    /// A report named `cost` with one table per id.
    static func report(tables ids: [String]) -> Report {
        var r = Report(name: "cost", title: "Cost", subtitle: "")
        r.sections = [ReportSection("Tables", ids.map { .table(ReportTable(id: $0, title: $0, columns: [.init("n", "N", numeric: true)], rows: [[.int(1)]])) })]
        return r
    }

    static func names(_ tmp: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted()
    }

    @Test func aTableThatIsGoneTakesItsFileWithItAndTheUsersFilesStay() throws {
        let tmp = TemporaryDirectory("report-rerun")
        try ReportWriter.write(Self.report(tables: ["daily", "forecast"]), to: tmp.path, formats: [.csv, .json])
        tmp.write("cost-mine.csv", "the user's own\n")
        tmp.write("costs-daily.csv", "another report's\n")
        #expect(try Self.names(tmp) == [".cost.files", "cost-daily.csv", "cost-forecast.csv", "cost-mine.csv", "cost.json", "costs-daily.csv"])

        let written = try ReportWriter.write(Self.report(tables: ["daily"]), to: tmp.path, formats: [.csv, .json])
        #expect(written.paths == [tmp.file("cost-daily.csv"), tmp.file("cost.json")])
        #expect(written.removed == [tmp.file("cost-forecast.csv")])
        #expect(try Self.names(tmp) == [".cost.files", "cost-daily.csv", "cost-mine.csv", "cost.json", "costs-daily.csv"])
        #expect(try String(contentsOfFile: tmp.file(".cost.files"), encoding: .utf8) == "cost-daily.csv\ncost.json\n")
    }

    @Test func filesOfFormatsNotWrittenNowStayUntilTheirFormatIsWrittenAgain() throws {
        let tmp = TemporaryDirectory("report-formats")
        try ReportWriter.write(Self.report(tables: ["daily", "forecast"]), to: tmp.path, formats: [.csv, .html])
        let htmlOnly = try ReportWriter.write(Self.report(tables: ["daily"]), to: tmp.path, formats: [.html])
        #expect(htmlOnly.removed.isEmpty)
        #expect(try Self.names(tmp) == [".cost.files", "cost-daily.csv", "cost-forecast.csv", "cost.html"])
        let csv = try ReportWriter.write(Self.report(tables: ["daily"]), to: tmp.path, formats: [.csv])
        #expect(csv.removed == [tmp.file("cost-forecast.csv")])
        #expect(try Self.names(tmp) == [".cost.files", "cost-daily.csv", "cost.html"])
    }

    @Test func theListNeverLeadsOutsideTheReportsOwnFiles() throws {
        let tmp = TemporaryDirectory("report-list")
        try FileManager.default.createDirectory(atPath: tmp.file("sub"), withIntermediateDirectories: true)
        tmp.write("sub/cost-x.csv", "x\n")
        tmp.write("notes.csv", "n\n")
        tmp.write("cost-notes.txt", "t\n")
        tmp.write(".cost.files", "sub/cost-x.csv\n../cost-y.csv\nnotes.csv\ncost-notes.txt\n.cost.files\n")
        try FileManager.default.createSymbolicLink(atPath: tmp.file("cost-link.csv"), withDestinationPath: tmp.file("notes.csv"))
        tmp.write(".cost.files", "sub/cost-x.csv\n../cost-y.csv\nnotes.csv\ncost-notes.txt\n.cost.files\ncost-link.csv\n")
        let written = try ReportWriter.write(Self.report(tables: ["daily"]), to: tmp.path, formats: [.csv])
        #expect(written.removed.isEmpty)
        #expect(try Self.names(tmp) == [".cost.files", "cost-daily.csv", "cost-link.csv", "cost-notes.txt", "notes.csv", "sub"])
        #expect(FileManager.default.fileExists(atPath: tmp.file("sub/cost-x.csv")))
    }

    @Test func aFailedWriteRemovesNothing() throws {
        let tmp = TemporaryDirectory("report-failed")
        try ReportWriter.write(Self.report(tables: ["daily", "forecast"]), to: tmp.path, formats: [.csv])
        // A folder where the new report's JSON would go: the set cannot be written.
        try FileManager.default.createDirectory(atPath: tmp.file("cost.json"), withIntermediateDirectories: true)
        #expect(throws: ReportError.self) { try ReportWriter.write(Self.report(tables: ["daily"]), to: tmp.path, formats: [.csv, .json]) }
        #expect(try Self.names(tmp) == [".cost.files", "cost-daily.csv", "cost-forecast.csv", "cost.json"])
    }
}
