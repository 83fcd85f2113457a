import MosaicCore
/// Where each column of one FOCUS file sits, read and checked from its header line.
struct FOCUSLayout {
    /// The header's column names, in file order.
    let header: [String]
    /// The release the file is read as.
    let version: FOCUSVersion
    /// Header position of each ``FOCUSColumn`` (indexed like `FOCUSColumn.allCases`), -1 when
    /// the file lacks it or it is not part of ``version``.
    let positions: [Int]
    /// Columns that go into a line's `extra` object, sorted by name (UTF-8 bytes): header
    /// position and the JSON text `"Name":` that starts the member.
    let extras: [(index: Int, memberPrefix: [UInt8])]
    /// FOCUS columns kept in `extra` whose values are still checked: decimals and key-value
    /// objects (`ContractedUnitPrice`, `SkuPriceDetails`, …).
    let checkedExtras: [(index: Int, column: FOCUSColumn)]

    static let columnIndex: [FOCUSColumn: Int] = Dictionary(
        uniqueKeysWithValues: FOCUSColumn.allCases.enumerated().map { ($1, $0) })

    /// Reads a header.
    ///
    /// - Parameters:
    ///   - header: the names of the first line, trimmed.
    ///   - version: the release to read the file as; nil detects it from the header.
    ///   - path: the file, for messages.
    /// - Throws: ``IngestError/file(path:reason:)`` for an unnamed or repeated column, or a
    ///   missing mandatory one (named, with a hint when only its case differs).
    init(header: [String], version: FOCUSVersion?, path: String) throws(IngestError) {
        var seen: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            if name.isEmpty {
                throw .file(path: path, reason: "line 1: column \(i + 1) of the header has no name")
            }
            if let j = seen[name] {
                throw .file(path: path, reason: "line 1: column '\(name)' appears twice (fields \(j + 1) and \(i + 1))")
            }
            seen[name] = i
        }
        let missing = FOCUSColumn.mandatory.filter { seen[$0.rawValue] == nil }
        if !missing.isEmpty {
            let names = missing.map { column -> String in
                let lower = column.rawValue.lowercased()
                if let near = header.first(where: { $0.lowercased() == lower }) {
                    return "\(column.rawValue) (found '\(near)'; FOCUS column names are case-sensitive)"
                }
                // A header column that is nearly this one (`BiledCost`) and is none of FOCUS's own.
                let others = header.filter { FOCUSColumn(rawValue: $0) == nil }
                if let near = YAMLError.closest(to: column.rawValue, in: others) {
                    return "\(column.rawValue) (found '\(near)': a typo?)"
                }
                return column.rawValue
            }
            let hint = header.count <= 1 ? " — is this a CSV file with a FOCUS header line?" : ""
            throw .file(path: path, reason: "line 1: missing mandatory FOCUS column\(missing.count > 1 ? "s" : "") \(names.joined(separator: ", "))\(hint)")
        }
        let version = version ?? FOCUSVersion.detect(header: header)
        var positions = [Int](repeating: -1, count: FOCUSColumn.allCases.count)
        var extras: [(index: Int, name: String)] = []
        var checked: [(index: Int, column: FOCUSColumn)] = []
        for (i, name) in header.enumerated() {
            if let column = FOCUSColumn(rawValue: name), column.isPart(of: version) {
                positions[FOCUSLayout.columnIndex[column]!] = i
                if column.isModelled { continue }
                if column.dataType == .decimal || column.dataType == .keyValue { checked.append((i, column)) }
            }
            extras.append((i, name))
        }
        extras.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        self.header = header
        self.version = version
        self.positions = positions
        self.extras = extras.map { e in
            var prefix: [UInt8] = []
            JSONText.appendString(e.name, to: &prefix)
            prefix.append(UInt8(ascii: ":"))
            return (e.index, prefix)
        }
        self.checkedExtras = checked
    }

    /// The header position of a column, or -1 when the file does not have it (resolve once
    /// per file, not per row: the lookup hashes the column's name).
    func position(_ column: FOCUSColumn) -> Int {
        positions[FOCUSLayout.columnIndex[column]!]
    }
}
