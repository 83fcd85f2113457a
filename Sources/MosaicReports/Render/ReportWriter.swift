import Foundation
import MosaicCore

/// The file formats a report is written in.
public enum ReportFormat: String, Sendable, CaseIterable, Codable {
    case md, html, csv, json
}

/// Writes a report's files into a folder: `<name>.md` (+ one `<name>-<chart>.svg` per chart),
/// `<name>.html` (self-contained), `<name>.json` and one `<name>-<table>.csv` per table.
public enum ReportWriter {
    /// Every file of the report as (file name, contents), sorted by name.
    public static func files(_ report: Report, formats: Set<ReportFormat> = Set(ReportFormat.allCases)) -> [(name: String, contents: String)] {
        var out: [(String, String)] = []
        if formats.contains(.md) {
            out.append(("\(report.name).md", MarkdownRenderer.render(report)))
            for c in report.charts { out.append(("\(report.name)-\(c.id).svg", SVGRenderer.render(c) + "\n")) }
        }
        if formats.contains(.html) { out.append(("\(report.name).html", HTMLRenderer.render(report))) }
        if formats.contains(.json) { out.append(("\(report.name).json", DataRenderer.json(report))) }
        if formats.contains(.csv) { for t in report.tables { out.append(("\(report.name)-\(t.id).csv", DataRenderer.csv(t))) } }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Writes the files, all of them or none (through a symbolic link to its target; see
    /// ``OutputFile/write(_:)``), and returns their paths.
    @discardableResult
    public static func write(_ report: Report, to directory: String, formats: Set<ReportFormat> = Set(ReportFormat.allCases)) throws(ReportError) -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch { throw .cannotWrite(path: directory, reason: error.localizedDescription) }
        let set = files(report, formats: formats).map { ((directory as NSString).appendingPathComponent($0.name), Data($0.contents.utf8)) }
        do { try OutputFile.write(set) } catch { throw .cannotWrite(path: error.path, reason: error.reason) }
        return set.map(\.0)
    }
}
