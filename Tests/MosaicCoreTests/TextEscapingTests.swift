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

    @Test func prometheusLabelEscapes() {
        let label: [Unicode.Scalar: String] = ["\\": "\\\\", "\"": "\\\"", "\n": "\\n"]
        #expect("a\\b\"c\"\nd".escaped(label) == #"a\\b\"c\"\nd"#)
        // "\r\n" is one Character in Swift; its "\n" is escaped all the same, so a label
        // value cannot end the exposition line.
        #expect("x\r\ny".escaped(label) == "x\r\\ny")
    }
}
