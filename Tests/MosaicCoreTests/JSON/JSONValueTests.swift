import Foundation
import Testing

@testable import MosaicCore

/// The syntax error a parse throws, or nil when it succeeds.
private func syntaxError(_ text: String) -> JSONSyntaxError? {
    do {
        _ = try JSONValue.parse(text)
        return nil
    } catch {
        return error
    }
}

private func syntaxError(bytes: [UInt8]) -> JSONSyntaxError? {
    do {
        _ = try JSONValue.parse(bytes)
        return nil
    } catch {
        return error
    }
}

/// Runs `body` on a thread with a large stack: the parser is recursive, and the depth tests
/// go 513 levels deep, more than a test runner thread's stack may allow in a debug build.
private func onLargeStack<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
    nonisolated(unsafe) var result: T?
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        result = body()
        done.signal()
    }
    thread.stackSize = 64 << 20
    thread.start()
    done.wait()
    return result!
}

@Suite("JSONValue")
struct JSONValueTests {
    @Test("number literals are kept exactly as written")
    func numbersKept() throws {
        let literals = [
            "5.0000000000000004e-08", "1E+3", "-0.0", "0", "-0", "12.50", "1e-7", "2.5E-06", "100",
            "123456789012345678901234567890", "0.1000000000000000055511151231257827", "-1.5e+300",
        ]
        let v = try JSONValue.parse("[" + literals.joined(separator: ", ") + "]")
        #expect(v == .array(literals.map { .number($0) }))
        #expect(try JSONValue.parse(" 1E+3 ").numberText == "1E+3")
        #expect(try JSONValue.parse("{\"p\": 5.0000000000000004e-08}")["p"]?.numberText == "5.0000000000000004e-08")
    }

    @Test("malformed numbers are refused with their position", arguments: [
        ("01", 1, 2), ("-01", 1, 3), ("00", 1, 2), ("[01]", 1, 3), ("-", 1, 2), ("1.", 1, 3), ("1.e3", 1, 3),
        (".5", 1, 1), ("+1", 1, 1), ("1e", 1, 3), ("1e+", 1, 4), ("0x1", 1, 2), ("NaN", 1, 1), ("Infinity", 1, 1),
        ("-Infinity", 1, 2), ("[1,\n 2.]", 2, 4),
    ])
    func badNumbers(_ text: String, _ line: Int, _ column: Int) throws {
        let e = try #require(syntaxError(text), "\(text) parsed")
        #expect(e.line == line, "\(text): \(e)")
        #expect(e.column == column, "\(text): \(e)")
    }

    @Test("leading zeros: the error says what is wrong")
    func leadingZeroMessage() throws {
        let e = try #require(syntaxError("01"))
        #expect(e.description == "line 1, column 2: unexpected text after the end of the document")
        let inArray = try #require(syntaxError("[01]"))
        #expect(inArray.description == "line 1, column 3: expected ',' or ']' in an array")
    }

    @Test("strings: escapes, \\u escapes and surrogate pairs decode")
    func strings() throws {
        let v = try JSONValue.parse(#""a\"b\\c\/d\b\f\n\r\t|\u00e9\u00E9|\ud83d\ude00|\u0000|東京""#)
        #expect(v.stringValue == "a\"b\\c/d\u{8}\u{C}\n\r\t|éé|😀|\u{0}|東京")
        #expect(try JSONValue.parse(#""""#) == .string(""))
        #expect(try JSONValue.parse(#""\uD834\uDD1E""#).stringValue == "𝄞")
    }

    @Test("bad strings and escapes are refused with their position", arguments: [
        (#""ab\q""#, 1, 6, "invalid escape '\\q'"),
        (#""\u12""#, 1, 4, "truncated \\u escape"),
        (#""\u12G4""#, 1, 6, "invalid hex digit"),
        (#""\ud83d""#, 1, 8, "unpaired surrogate"),
        (#""\ud83dx""#, 1, 8, "unpaired surrogate"),
        (#""\ud83d\u0041""#, 1, 14, "invalid surrogate pair"),
        (#""\udc00""#, 1, 8, "invalid \\u escape"),
        ("\"a\nb\"", 1, 3, "control character in a string"),
        ("\"a\tb\"", 1, 3, "control character in a string"),
        ("\"abc", 1, 5, "unterminated string"),
        ("\"abc\\", 1, 6, "unterminated escape"),
        ("{\n  \"k\": \"ab\\q\"\n}", 2, 13, "invalid escape '\\q'"),
    ])
    func badStrings(_ text: String, _ line: Int, _ column: Int, _ reason: String) throws {
        let e = try #require(syntaxError(text), "\(text) parsed")
        #expect(e.line == line, "\(text): \(e)")
        #expect(e.column == column, "\(text): \(e)")
        #expect(e.reason.contains(reason), "\(text): \(e)")
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() throws {
        let e = try #require(syntaxError(bytes: Array("[\"caf".utf8) + [0xE9] + Array("\"]".utf8)))
        #expect(e.reason == "string is not valid UTF-8")
    }

    @Test("nested documents, key order and repeated keys")
    func nested() throws {
        let text = """
            {"b": {"x": [1, {"c": null}, true, false, "s", []]},
             "a": {},
             "b": -2.5e1}
            """
        let v = try JSONValue.parse(text)
        let expected = JSONValue.object([
            (key: "b", value: .object([(key: "x", value: .array([
                .number("1"), .object([(key: "c", value: .null)]), .bool(true), .bool(false), .string("s"), .array([]),
            ]))])),
            (key: "a", value: .object([])),
            (key: "b", value: .number("-2.5e1")),
        ])
        #expect(v == expected)
        #expect(v.objectValue?.map(\.key) == ["b", "a", "b"])
        #expect(v["b"] == .number("-2.5e1"))  // the last of a repeated key
        #expect(v["a"]?.objectValue?.isEmpty == true)
        #expect(v["missing"] == nil)
        #expect(v.arrayValue == nil)
        #expect(try JSONValue.parse("[null]").arrayValue?.first?.isNull == true)
        #expect(JSONValue.object([]) != JSONValue.array([]))
        #expect(JSONValue.object([(key: "a", value: .null)]) != JSONValue.object([(key: "b", value: .null)]))
    }

    @Test("whitespace and a UTF-8 byte-order mark around the document are fine")
    func whitespace() throws {
        #expect(try JSONValue.parse(" \t\r\n{ \"a\" : [ 1 , 2 ] }\r\n ") == .object([(key: "a", value: .array([.number("1"), .number("2")]))]))
        #expect(try JSONValue.parse([0xEF, 0xBB, 0xBF] + Array("true".utf8)) == .bool(true))
    }

    @Test("structural errors carry the line and column", arguments: [
        (#"{"a": [1, 2"#, 1, 12, "unexpected end of input inside an array"),
        ("{\n  \"a\": 1,\n", 3, 1, "unexpected end of input inside an object"),
        (#"{"a": "#, 1, 7, "unexpected end of input (truncated document?)"),
        (#"{"a":1} x"#, 1, 9, "unexpected text after the end of the document"),
        (#"{"a":1}{}"#, 1, 8, "unexpected text after the end of the document"),
        ("[1]\n\n  ]", 3, 3, "unexpected text after the end of the document"),
        (#"{"a" 1}"#, 1, 6, "expected ':' after a key"),
        (#"{a: 1}"#, 1, 2, "expected a string key"),
        (#"{"a": 1,}"#, 1, 9, "expected a string key"),
        (#"{"a": 1 "b": 2}"#, 1, 9, "expected ',' or '}' in an object"),
        (#"[1 2]"#, 1, 4, "expected ',' or ']' in an array"),
        (#"[1,]"#, 1, 4, "unexpected character ']'"),
        (#"[tru]"#, 1, 2, "invalid literal"),
        ("{\n  \"b\": tru\n}", 2, 8, "invalid literal"),
        (#"nul"#, 1, 1, "invalid literal"),
        ("", 1, 1, "the document is empty"),
        ("  \n ", 2, 2, "the document is empty"),
        (#"'a'"#, 1, 1, "unexpected character"),
    ])
    func structuralErrors(_ text: String, _ line: Int, _ column: Int, _ reason: String) throws {
        let e = try #require(syntaxError(text), "\(text) parsed")
        #expect(e.line == line, "\(text): \(e)")
        #expect(e.column == column, "\(text): \(e)")
        #expect(e.reason.contains(reason), "\(text): \(e)")
        #expect(e.description.hasPrefix("line \(line), column \(column): "))
    }

    @Test("nesting: 512 levels parse, 513 are refused")
    func depthLimit() {
        let outcomes = onLargeStack { () -> [String] in
            func describe(_ text: String) -> String {
                do {
                    _ = try JSONValue.parse(text)
                    return "ok"
                } catch {
                    return error.description
                }
            }
            return [
                describe(String(repeating: "[", count: 512) + String(repeating: "]", count: 512)),
                describe(String(repeating: "[", count: 513) + String(repeating: "]", count: 513)),
                describe(String(repeating: "{\"a\":", count: 512) + "1" + String(repeating: "}", count: 512)),
                describe(String(repeating: "{\"a\":", count: 513) + "1" + String(repeating: "}", count: 513)),
                describe(String(repeating: "[", count: 100_000)),
            ]
        }
        #expect(outcomes[0] == "ok")
        #expect(outcomes[1] == "line 1, column 513: nesting deeper than 512 levels")
        #expect(outcomes[2] == "ok")
        #expect(outcomes[3] == "line 1, column \(512 * 5 + 1): nesting deeper than 512 levels")
        #expect(outcomes[4] == "line 1, column 513: nesting deeper than 512 levels")
    }

    @Test("whole numbers read as Int; others do not")
    func intValue() throws {
        #expect(JSONValue.number("12").intValue == 12)
        #expect(JSONValue.number("-7").intValue == -7)
        #expect(JSONValue.number("12.0").intValue == 12)
        #expect(JSONValue.number("1e3").intValue == 1000)
        #expect(JSONValue.number("1.5").intValue == nil)
        #expect(JSONValue.number("1e20").intValue == nil)
        #expect(JSONValue.string("12").intValue == nil)
        #expect(try JSONValue.parse("8192").intValue == 8192)
    }

    @Test("kind names for error messages")
    func kindNames() {
        #expect(JSONValue.object([]).kindName == "an object")
        #expect(JSONValue.array([]).kindName == "an array")
        #expect(JSONValue.string("").kindName == "a string")
        #expect(JSONValue.number("1").kindName == "a number")
        #expect(JSONValue.bool(true).kindName == "a boolean")
        #expect(JSONValue.null.kindName == "null")
        #expect(JSONValue.bool(false).boolValue == false)
    }

    @Test("uniqueKeys refuses a key twice in one object, at any depth and size, and names it")
    func uniqueKeys() throws {
        let twice = #"{"timestamp":"2026-10-01T00:00:00Z","provider":"openai","model":"gpt-4o","provider":"anthropic"}"#
        // Without the option the last member wins for lookups, as before (the gateway's way).
        #expect(try JSONValue.parse(twice)["provider"] == .string("anthropic"))
        do {
            _ = try JSONValue.parse(twice, uniqueKeys: true)
            Issue.record("a repeated key was taken")
        } catch {
            #expect(error.duplicateKey == "provider")
            #expect(error.line == 1 && error.column == 74)
            #expect(error.reason == "key 'provider' appears twice in one object")
        }
        let nested = "{\"a\":1,\n\"b\":{\"x\":1,\"x\":2}}"
        do {
            _ = try JSONValue.parse(nested, uniqueKeys: true)
            Issue.record("a repeated nested key was taken")
        } catch {
            #expect(error.duplicateKey == "x" && error.line == 2)
        }
        // Past 16 members the check keeps a set: the repeat is still found, wherever it is.
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(try JSONValue.parse("{\(many)}", uniqueKeys: true).objectValue?.count == 40)
        for repeated in ["k3", "k20", "k39"] {
            do {
                _ = try JSONValue.parse("{\(many),\"\(repeated)\":0}", uniqueKeys: true)
                Issue.record("\(repeated) twice was taken")
            } catch {
                #expect(error.duplicateKey == repeated)
            }
        }
        // The same key in sibling objects is no repeat.
        #expect(try JSONValue.parse(#"[{"a":1},{"a":2}]"#, uniqueKeys: true).arrayValue?.count == 2)
    }
}
