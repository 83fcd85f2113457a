import Foundation
import MosaicCore
import Testing

/// `DecodingError.message`: where in the document and why, without Foundation's debug wording.
@Suite struct DecodingErrorMessageTests {
    struct Head: Decodable { var intercept: Double }
    struct Provider: Decodable { var id: String; var rows: Int; var head: Head }
    struct File: Decodable { var version: Int; var providers: [Provider] }

    static func message(_ json: String) -> String {
        do {
            _ = try JSONDecoder().decode(File.self, from: Data(json.utf8))
            return "decoded"
        } catch {
            return DecodingError.message(for: error)
        }
    }

    @Test func namesTheKeyPathAndTheProblem() {
        #expect(Self.message(#"{"providers": []}"#) == "missing key 'version'")
        #expect(Self.message(#"{"version": 1, "providers": [{"id": "a", "rows": 1, "head": {"intercept": 0}}, {"id": "b", "rows": 2}]}"#)
            == "missing key 'head' in providers[1]")
        let mismatch = Self.message(#"{"version": 1, "providers": [{"id": "a", "rows": "many", "head": {"intercept": 0}}]}"#)
        #expect(mismatch.hasPrefix("providers[0].rows: expected a number, found "), "\(mismatch)")
        // Foundation's "Expected to decode Dictionary<String, Any> but found an array instead."
        #expect(Self.message("[]") == "the document: expected an object, found an array")
        struct Kinds: Decodable { enum Kind: String, Decodable { case numeric, text }; var kind: Kind }
        do { _ = try JSONDecoder().decode(Kinds.self, from: Data(#"{"kind": "numerc"}"#.utf8)) } catch {
            #expect(DecodingError.message(for: error) == "kind: 'numerc' is not a value this field takes")
        }
        #expect(Self.message(#"{"version": 1, "providers": [{"id": "a", "rows": 1, "head": {"intercept": null}}]}"#)
            == "providers[0].head.intercept: is null, expected a number")
    }

    @Test func aDocumentThatIsNotJSONSaysSo() {
        let cut = Self.message(#"{"version": 1, "provid"#)
        #expect(cut.hasPrefix("not valid JSON"), "\(cut)")
        for m in [cut, Self.message(#"{"providers": []}"#)] {
            #expect(!m.contains("DecodingError") && !m.contains("Debug description"), "\(m)")
        }
    }

    static func message(inDocument json: String) -> String {
        do {
            _ = try JSONDecoder().decode(File.self, from: Data(json.utf8))
            return "decoded"
        } catch {
            return DecodingError.message(for: error, in: Array(json.utf8))
        }
    }

    /// Foundation on Linux says only "not valid JSON", with no path, line or reason, for all
    /// three of these; the document says which it is.
    @Test func whatFoundationLeavesOutTheDocumentSays() {
        #expect(Self.message(inDocument: "{\"version\": 1,\n \"providers\": [\n") == "not valid JSON: line 3, column 1: unexpected end of input (truncated document?)")
        #expect(Self.message(inDocument: #"{"version": 1, "providers": [{"id": "a", "rows": 1, "head": {"intercept": 1e400}}]}"#)
            == "providers[0].head.intercept: 1e400 is beyond the range of a number (about ±1.8e308)")
        let fraction = Self.message(inDocument: #"{"version": 1, "providers": [{"id": "a", "rows": 1.5, "head": {"intercept": 0}}]}"#)
        #expect(fraction.hasPrefix("a number does not fit its field: a fraction"), "\(fraction)")
        #expect(Self.message(inDocument: #"{"version": 1e30, "providers": []}"#) == fraction)
        // A negative number in an unsigned field (a simulation summary's seed: -5) is one of them
        // too; the message said only fractions and numbers past ±2⁶³.
        struct Seeded: Decodable { var seed: UInt64 }
        let json = #"{"seed": -5}"#
        let error = #expect(throws: (any Error).self) { try JSONDecoder().decode(Seeded.self, from: Data(json.utf8)) }
        #expect(error.map { DecodingError.message(for: $0, in: Array(json.utf8)) } == "a number does not fit its field: a fraction or a value beyond "
                + "±9,223,372,036,854,775,807 where a whole number goes, or a negative one where a count goes (the decoder does not say which field)")
        // Errors that already say where are kept as they are.
        #expect(Self.message(inDocument: #"{"providers": []}"#) == "missing key 'version'")
    }

    @Test func otherErrorsKeepTheirDescription() {
        struct Other: Error, CustomStringConvertible { var description: String { "other" } }
        #expect(DecodingError.message(for: Other()) == "other")
    }
}
