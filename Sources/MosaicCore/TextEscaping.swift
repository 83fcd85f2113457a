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
