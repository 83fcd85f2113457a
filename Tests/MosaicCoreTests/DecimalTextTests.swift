import Testing

@testable import MosaicCore

@Suite("DecimalText")
struct DecimalTextTests {
    @Test(arguments: [
        ("1.50", "15e-1"), ("1.5", "15e-1"), ("15e-1", "15e-1"), ("+0.15E1", "15e-1"),
        ("0.00000080000", "8e-7"), ("0.0000008", "8e-7"), ("8E-7", "8e-7"),
        ("100", "1e2"), ("1e2", "1e2"), ("100.000", "1e2"), ("12", "12"), ("012", "12"), (".25", "25e-2"),
        ("-2.50", "-25e-1"), ("0", "0"), ("-0.000", "0"), ("0e9", "0"), ("1e400", "1e400"),
    ])
    func oneSpellingPerValue(text: String, canonical: String) {
        #expect(DecimalText.canonical(text) == canonical)
    }

    @Test(arguments: ["", "abc", "1.2.3", "1e", "e5", "-", ".", "1,5", " 1", "0x10", "inf", "NaN"])
    func notADecimal(text: String) {
        #expect(DecimalText.canonical(text) == nil)
    }
}
