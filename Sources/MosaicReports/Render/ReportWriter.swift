import Foundation
import MosaicCore
#if canImport(Glibc)
import Glibc
#endif

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

    /// What ``write(_:to:formats:)`` did: the report's files it wrote, and the files of an
    /// earlier write of the same report that it removed.
    public struct Written: Sendable, Equatable {
        public var paths: [String]
        public var removed: [String]
    }

    /// Writes the files, all of them or none (through a symbolic link to its target; see
    /// ``OutputFile/write(_:)``), beside a hidden list of them, `.<name>.files`.
    ///
    /// That list is how a re-run stays one report: the files an earlier write listed, of the
    /// formats written now, that the report no longer has (a table or chart that is gone) are
    /// removed once the new files are in place. Files of formats not written now stay (and
    /// stay listed), and a file the list does not name (the user's own) is never touched.
    @discardableResult
    public static func write(_ report: Report, to directory: String, formats: Set<ReportFormat> = Set(ReportFormat.allCases)) throws(ReportError) -> Written {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch { throw .cannotWrite(path: directory, reason: error.localizedDescription) }
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let new = files(report, formats: formats)
        let names = Set(new.map(\.name))
        let listed = previousFiles(of: report.name, in: directory).filter { !names.contains($0) && isRegularFile(path($0)) }
        let stale = listed.filter { format(of: $0).map(formats.contains) ?? false }
        let list = (names.union(listed).subtracting(stale)).sorted().map { $0 + "\n" }.joined()
        let set = new.map { (path($0.name), Data($0.contents.utf8)) } + [(path(listName(report.name)), Data(list.utf8))]
        do { try OutputFile.write(set) } catch { throw .cannotWrite(path: error.path, reason: error.reason) }
        for name in stale where unlink(path(name)) != 0 && errno != ENOENT {
            throw .cannotWrite(path: path(name), reason: "the new report is written, but this file of the previous one could not be removed: \(OutputFile.errnoText())")
        }
        return Written(paths: new.map { path($0.name) }, removed: stale.map(path))
    }

    /// The hidden file that lists a report's files in its folder.
    static func listName(_ name: String) -> String { ".\(name).files" }

    /// The report's own files an earlier write listed: plain names that begin with the report's
    /// name and end in one of its formats (anything else in the list is ignored).
    static func previousFiles(of name: String, in directory: String) -> [String] {
        let listPath = (directory as NSString).appendingPathComponent(listName(name))
        guard let text = try? String(contentsOfFile: listPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init).filter {
            !$0.contains("/") && ($0.hasPrefix(name + ".") || $0.hasPrefix(name + "-")) && format(of: $0) != nil
        }
    }

    /// The format a report file belongs to, by its ending (a chart's SVG goes with the Markdown).
    static func format(of file: String) -> ReportFormat? {
        switch (file as NSString).pathExtension {
        case "md", "svg": return .md
        case "html": return .html
        case "csv": return .csv
        case "json": return .json
        default: return nil
        }
    }

    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG
    }
}
