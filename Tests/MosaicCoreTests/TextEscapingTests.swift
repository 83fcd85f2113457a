import MosaicCore
import Testing

@Suite struct TextEscapingTests {
    @Test func eachNamedCharacterIsReplacedAndTheRestKept() {
        let xml: [Unicode.Scalar: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"]
        #expect("a<b & \"c\">".escaped(xml) == "a&lt;b &amp; &quot;c&quot;&gt;")
        #expect("".escaped(xml) == "")
        #expect("plain text".escaped(xml) == "plain text")
        // Replacements are not escaped again; a combining accent stays on its letter.
        #expect("&amp;".escaped(xml) == "&amp;amp;")
        #expect("cafe\u{301} €<".escaped(xml) == "cafe\u{301} €&lt;")
    }

    @Test func controlCharactersAreShownAndTheRestKept() {
        #expect("open\u{1B}[31mai\u{0}".controlCharactersEscaped == #"open\u{1B}[31mai\u{0}"#)
        #expect("a\rb\u{7F}c\u{85}d".controlCharactersEscaped == #"a\u{D}b\u{7F}c\u{85}d"#)
        // Line feeds and tabs stay (messages with usage span lines); other text is untouched.
        #expect("line\n\tnext é €".controlCharactersEscaped == "line\n\tnext é €")
    }

    @Test func prometheusLabelEscapes() {
        let label: [Unicode.Scalar: String] = ["\\": "\\\\", "\"": "\\\"", "\n": "\\n"]
        #expect("a\\b\"c\"\nd".escaped(label) == #"a\\b\"c\"\nd"#)
        // "\r\n" is one Character in Swift; its "\n" is escaped all the same, so a label
        // value cannot end the exposition line.
        #expect("x\r\ny".escaped(label) == "x\r\\ny")
    }
}
