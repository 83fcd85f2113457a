#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Features of a prompt's form that mean the same thing in any domain: its length, how much of
/// it is digits, symbols or capitals, whether it looks like code and whether it asks a question.
public enum PromptStructure {
    /// The features' names, in the order of ``values(_:)``.
    public static let names = [
        "log1p_characters", "log1p_words", "log1p_lines", "digit_share", "symbol_share", "uppercase_share",
        "looks_like_code", "asks_question",
    ]

    /// The structural features of `text` (see ``names``).
    ///
    /// - Complexity: O(text length); allocation-free.
    public static func values(_ text: String, into out: inout [Double]) {
        if out.count != names.count { out = [Double](repeating: 0, count: names.count) }
        var characters = 0, words = 0, lines = 1, digits = 0, symbols = 0, upper = 0
        var inWord = false, question = false, braces = 0, semicolonLines = 0, fences = 0, backticks = 0
        var previous: Unicode.Scalar = " "
        for s in text.unicodeScalars {
            characters += 1
            let v = s.value
            let isSpace = v == 32 || v == 9 || v == 10 || v == 13
            let isAlnum = (v >= 48 && v <= 57) || (v >= 65 && v <= 90) || (v >= 97 && v <= 122) || v >= 128
            if v == 10 { lines += 1 }
            if v >= 48 && v <= 57 { digits += 1 }
            if v >= 65 && v <= 90 { upper += 1 }
            if !isSpace && !isAlnum { symbols += 1 }
            if v == 63 { question = true }
            if v == 123 || v == 125 { braces += 1 }
            if v == 10 && previous == ";" { semicolonLines += 1 }
            if v == 96 { backticks += 1; if backticks >= 3 { fences += 1; backticks = 0 } } else { backticks = 0 }
            if isAlnum && !inWord { words += 1 }
            inWord = isAlnum
            previous = s
        }
        let n = Double(max(1, characters))
        out[0] = log1p(Double(characters))
        out[1] = log1p(Double(words))
        out[2] = log1p(Double(lines))
        out[3] = Double(digits) / n
        out[4] = Double(symbols) / n
        out[5] = Double(upper) / n
        out[6] = fences > 0 || braces >= 2 || semicolonLines >= 2 ? 1 : 0
        out[7] = question ? 1 : 0
    }
}
