import Foundation

/// Compares printed output with its golden copy number by number, so that a check says which
/// number moved and by how much, and so that model outputs may move within a stated tolerance
/// while money, counts and text stay exact.
///
/// Each line is cut into fields: by commas in a CSV table (a header line of names followed by
/// rows with as many fields), by `|` in a Markdown table, and by white space elsewhere, so the
/// padding of aligned columns may change with a number's width. Fields must have the same text
/// once their numbers are taken out; the numbers are then compared under the tolerance of their
/// column: the CSV or Markdown header, the header above a `───` underline for the CLI's aligned
/// tables (the column whose underline the field overlaps), or the last `"key":` on a JSON line.
///
/// **The rule for a tolerant number.** If the true values `v` and `w` behind two printed
/// numbers are within `tolerance · |w|`, their printed roundings differ by at most that plus one
/// unit in the last printed digit (a value can sit on either side of a rounding boundary). So
/// `a` (now) and `e` (golden) pass when `|a − e| ≤ tolerance · max(|a|, |e|) + unit`, where
/// `unit` is one in the last digit `e` prints. Exact numbers pass only when their text is equal.
public struct GoldenComparison: Sendable {
    public enum Tolerance: Sendable, Equatable {
        /// Equal text (money, counts, anything computed without a fit).
        case exact
        /// Relative tolerance plus one unit in the last printed digit (model outputs).
        case relative(Double)
    }

    /// The tolerance of a number in the named column (nil: outside any table).
    public var tolerance: @Sendable (String?) -> Tolerance

    public init(tolerance: @escaping @Sendable (String?) -> Tolerance) {
        self.tolerance = tolerance
    }

    /// Every number exact.
    public static let exact = GoldenComparison { _ in .exact }

    /// Numbers in the named columns (model outputs) within `relative`, every other one exact.
    public static func modelOutputs(_ columns: Set<String>, relative: Double) -> GoldenComparison {
        GoldenComparison { column in column.map(columns.contains) == true ? .relative(relative) : .exact }
    }

    /// The differences between `actual` and `expected`, each naming the line (numbered from
    /// `firstLine`), the column and how far the number moved; empty when they agree.
    public func differences(actual: String, expected: String, label: String, firstLine: Int = 1) -> [String] {
        let got = actual.components(separatedBy: "\n"), want = expected.components(separatedBy: "\n")
        var out: [String] = []
        var context = TableContext()
        for k in 0..<max(got.count, want.count) {
            let where_ = "\(label) line \(firstLine + k)"
            guard k < got.count, k < want.count else {
                out.append("\(where_): \(k < got.count ? "an extra line: \(got[k])" : "a missing line: \(want[k])")")
                break
            }
            context.read(want, at: k)
            if got[k] == want[k] { continue }
            out += compare(got[k], want[k], context: context, at: where_)
        }
        return out
    }

    func compare(_ got: String, _ want: String, context: TableContext, at where_: String) -> [String] {
        let a = context.fields(got), e = context.fields(want)
        let whole = "\(where_) differs:\n  now:    \(got)\n  golden: \(want)"
        guard a.count == e.count else { return [whole] }
        var out: [String] = []
        for (fa, fe) in zip(a, e) where fa.text != fe.text {
            let na = PrintedNumber.scan(fa.text), ne = PrintedNumber.scan(fe.text)
            guard na.skeleton == ne.skeleton, na.numbers.count == ne.numbers.count else { return [whole] }
            let column = context.column(of: fe, in: want)
            for (x, y) in zip(na.numbers, ne.numbers) where x.text != y.text {
                let name = column.map { "column \($0)" } ?? "outside a table"
                switch tolerance(column) {
                case .exact:
                    out.append("\(where_), \(name): \(y.text) became \(x.text) (exact: money, counts and text must not move)\n  golden: \(want)")
                case .relative(let tol):
                    let delta = abs(x.value - y.value)
                    let allowed = tol * max(abs(x.value), abs(y.value)) + y.unit * (1 + 1e-9)
                    if !(delta <= allowed) {
                        let rel = delta / max(abs(y.value), .leastNormalMagnitude)
                        out.append("\(where_), \(name): \(y.text) became \(x.text), moved by \(delta) (relative \(rel)); allowed \(tol) relative plus one unit in the last printed digit (\(y.unit))\n  golden: \(want)")
                    }
                }
            }
        }
        return out
    }
}

/// A printed number: its text, value and one unit in its last digit.
struct PrintedNumber {
    var text: String
    var value: Double
    var unit: Double

    /// The field's numbers and its text with each number replaced by `#`.
    static func scan(_ field: String) -> (skeleton: String, numbers: [PrintedNumber]) {
        let chars = Array(field.unicodeScalars)
        var skeleton = "", numbers: [PrintedNumber] = []
        var i = 0
        func isDigit(_ k: Int) -> Bool { k < chars.count && chars[k].properties.numericType == .decimal && chars[k].isASCII }
        while i < chars.count {
            let signed = (chars[i] == "-" || chars[i] == "−") && isDigit(i + 1) && (i == 0 || !isDigit(i - 1))
            guard isDigit(i) || signed else { skeleton.unicodeScalars.append(chars[i]); i += 1; continue }
            var j = i + (signed ? 1 : 0)
            var digits = ""
            // An integer part with optional thousands separators in groups of three.
            let groupStart = j
            while isDigit(j) { digits.unicodeScalars.append(chars[j]); j += 1 }
            if j - groupStart <= 3 {
                while j + 3 < chars.count, chars[j] == ",", isDigit(j + 1), isDigit(j + 2), isDigit(j + 3), !isDigit(j + 4) {
                    for t in 1...3 { digits.unicodeScalars.append(chars[j + t]) }
                    j += 4
                }
            }
            var decimals = 0
            if j < chars.count, chars[j] == ".", isDigit(j + 1) {
                digits += "."
                j += 1
                while isDigit(j) { digits.unicodeScalars.append(chars[j]); j += 1; decimals += 1 }
            }
            var exponent = 0
            if j < chars.count, chars[j] == "e" || chars[j] == "E" {
                var t = j + 1
                var sign = 1
                if t < chars.count, chars[t] == "-" || chars[t] == "+" { sign = chars[t] == "-" ? -1 : 1; t += 1 }
                if isDigit(t) {
                    var e = 0
                    while isDigit(t) { e = e * 10 + Int(chars[t].value - 48); t += 1 }
                    exponent = sign * e
                    j = t
                }
            }
            let text = String(String.UnicodeScalarView(chars[i..<j]))
            let magnitude = (Double(digits) ?? .nan) * pow(10, Double(exponent))
            numbers.append(PrintedNumber(text: text, value: signed ? -magnitude : magnitude,
                                         unit: pow(10, Double(exponent - decimals))))
            skeleton += "#"
            i = j
        }
        return (skeleton, numbers)
    }
}

/// Where a line sits: in a CSV, Markdown or aligned table (with its column names) or not.
struct TableContext {
    enum Kind { case text, csv([String]), markdown([String]), aligned([(name: String, span: Range<Int>)]) }
    var kind: Kind = .text

    struct Field { var text: String; var span: Range<Int>; var index: Int }

    /// Updates the context for line `k` of the golden text.
    mutating func read(_ lines: [String], at k: Int) {
        let line = lines[k]
        if line.trimmingCharacters(in: .whitespaces).isEmpty { kind = .text; return }
        // An aligned table's underline: its header is the line above.
        if k + 1 < lines.count, Self.isUnderline(lines[k + 1]) {
            let underline = Array(lines[k + 1])
            var spans: [Range<Int>] = []
            var start: Int? = nil
            for i in 0...underline.count {
                if i < underline.count, underline[i] == "─" {
                    if start == nil { start = i }
                } else if let s = start {
                    spans.append(s..<i)
                    start = nil
                }
            }
            let header = Array(line)
            kind = .aligned(spans.map { span in
                let lo = min(span.lowerBound, header.count), hi = min(span.upperBound, header.count)
                return (String(header[lo..<hi]).trimmingCharacters(in: .whitespaces), span)
            })
            return
        }
        if line.hasPrefix("|"), k + 1 < lines.count, lines[k + 1].hasPrefix("|:") || lines[k + 1].hasPrefix("|-") {
            kind = .markdown(Self.split(line, by: "|").map { $0.text.trimmingCharacters(in: .whitespaces) })
            return
        }
        if case .markdown = kind, line.hasPrefix("|") { return }
        if case .aligned = kind { return }
        let commas = line.split(separator: ",", omittingEmptySubsequences: false)
        if commas.count >= 2 {
            if case .csv(let header) = kind, header.count == commas.count { return }
            if commas.allSatisfy({ $0.allSatisfy { $0.isLetter || $0 == "_" || $0.isNumber } && $0.first?.isLetter == true }),
               k + 1 < lines.count, lines[k + 1].split(separator: ",", omittingEmptySubsequences: false).count == commas.count {
                kind = .csv(commas.map(String.init))
                return
            }
        }
        kind = .text
    }

    static func isUnderline(_ line: String) -> Bool {
        line.contains("─") && line.allSatisfy { $0 == "─" || $0 == " " }
    }

    static func split(_ line: String, by separator: Character) -> [Field] {
        var out: [Field] = []
        var start = 0, text = ""
        for (i, c) in line.enumerated() {
            if c == separator { out.append(Field(text: text, span: start..<i, index: out.count)); text = ""; start = i + 1 } else { text.append(c) }
        }
        out.append(Field(text: text, span: start..<line.count, index: out.count))
        return out
    }

    /// The line's fields: CSV cells, Markdown cells, or words.
    func fields(_ line: String) -> [Field] {
        switch kind {
        case .csv(let header) where line.split(separator: ",", omittingEmptySubsequences: false).count == header.count:
            return Self.split(line, by: ",")
        case .markdown where line.hasPrefix("|"):
            return Self.split(line, by: "|")
        default:
            var out: [Field] = []
            var start: Int? = nil, text = ""
            for (i, c) in (Array(line) + [" "]).enumerated() {
                if c == " " || c == "\t" {
                    if let s = start { out.append(Field(text: text, span: s..<i, index: out.count)); text = ""; start = nil }
                } else {
                    if start == nil { start = i }
                    text.append(c)
                }
            }
            return out
        }
    }

    /// The column a golden field belongs to, or the JSON key on its line.
    func column(of field: Field, in line: String) -> String? {
        switch kind {
        case .csv(let header): return field.index < header.count ? header[field.index] : nil
        case .markdown(let header): return field.index < header.count ? header[field.index] : nil
        case .aligned(let columns):
            return columns.first { $0.span.overlaps(field.span) }?.name
        case .text:
            guard let colon = line.range(of: "\":") else { return nil }
            let before = line[..<colon.lowerBound]
            guard let open = before.lastIndex(of: "\"") else { return nil }
            return String(before[before.index(after: open)...])
        }
    }
}
