extension String {
    /// This text with every Unicode scalar `table` names written as its replacement, in one
    /// pass: the markup escapes of the SVG and HTML reports and the label escapes of the metrics
    /// page. Scalars, not characters, so that the "\n" of "\r\n" (one Character) is found too.
    public func escaped(_ table: [Unicode.Scalar: String]) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for u in unicodeScalars {
            if let r = table[u] { out += r } else { out.unicodeScalars.append(u) }
        }
        return out
    }
}

extension String {
    /// This text with its control characters written as `\u{1B}`: every C0 control but the
    /// line feed and the tab, DEL and the C1 controls. For messages that quote what a user's
    /// file holds, where a NUL would vanish and an escape sequence would drive the terminal.
    public var controlCharactersEscaped: String { escaped(Self.controlEscapes) }

    private static let controlEscapes: [Unicode.Scalar: String] = Dictionary(uniqueKeysWithValues:
        (Array(0x00..<0x20) + Array(0x7F...0x9F)).filter { $0 != 0x0A && $0 != 0x09 }.map { (code: UInt8) in
            (Unicode.Scalar(code), "\\u{" + String(code, radix: 16, uppercase: true) + "}")
        })
}
