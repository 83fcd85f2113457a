import MosaicCore
import Testing

@Suite("YAMLReader")
struct YAMLReaderTests {
    /// The top-level mapping of `yaml` with any of `keys`.
    static func top(_ yaml: String, keys: [String]) throws(YAMLError) -> YAMLReader.Mapping {
        try YAMLReader(yaml: yaml, source: "t.yaml").document(ifEmpty: "empty").mapping(allowed: keys, expected: "a mapping")
    }

    /// The value of `key` in the one-key document `key: text`.
    static func value(_ text: String, key: String = "x") throws(YAMLError) -> YAMLReader.Value {
        try top("\(key): \(text)\n", keys: [key]).required(key)
    }

    /// The message `read` throws for the value `text`, or nil when it reads.
    static func failure<T>(_ text: String, _ read: (YAMLReader.Value) throws -> T) -> String? {
        do {
            _ = try read(value(text))
            return nil
        } catch {
            return (error as? YAMLError)?.description
        }
    }

    // MARK: - Field types

    @Test func text() throws {
        #expect(try Self.value("hello world").text() == "hello world")
        #expect(try Self.value("no").text() == "no")
        #expect(try Self.value("007").text() == "007")
        #expect(Self.failure("\" \"") { try $0.text() } == "t.yaml:1: x: must not be empty")
        #expect(Self.failure("[a]") { try $0.text() } == "t.yaml:1: x: expected text, found a list")
    }

    @Test func boolIsStrict() throws {
        #expect(try Self.value("true").bool())
        #expect(try Self.value("FALSE").bool() == false)
        for text in ["yes", "on", "1", "\"true\""] {
            #expect(Self.failure(text) { try $0.bool() }?.hasPrefix("t.yaml:1: x: expected true or false, found ") == true)
        }
        #expect(Self.failure("'true'") { try $0.bool() } == "t.yaml:1: x: expected true or false, found the quoted text 'true'")
    }

    @Test func integerIsStrict() throws {
        #expect(try Self.value("42").integer() == 42)
        #expect(try Self.value("-3").integer() == -3)
        #expect(Self.failure("1.5") { try $0.integer() } == "t.yaml:1: x: expected a whole number, found '1.5'")
        #expect(Self.failure("\"3\"") { try $0.integer() } == "t.yaml:1: x: expected a whole number, found the quoted text '3'")
        #expect(Self.failure("~") { try $0.integer() } == "t.yaml:1: x: expected a whole number, found nothing (null)")
        #expect(try Self.value("18446744073709551615").unsignedInteger() == UInt64.max)
        #expect(Self.failure("-1") { try $0.unsignedInteger() } == "t.yaml:1: x: must be in 0...18446744073709551615, found -1")
    }

    @Test func numberIsFinite() throws {
        #expect(try Self.value("2").number() == 2)
        #expect(try Self.value("0.25").number() == 0.25)
        #expect(Self.failure(".inf") { try $0.number() } == "t.yaml:1: x: must be a finite number, found .inf")
        #expect(Self.failure("high") { try $0.number() } == "t.yaml:1: x: expected a number, found 'high'")
        #expect(try Self.value("[1, 2.5]").numbers() == [1, 2.5])
    }

    @Test func durationsAreExact() throws {
        #expect(try Self.value("250ms").duration() == 250_000)
        #expect(try Self.value("1.5s").seconds() == 1.5)
        #expect(try Self.value("2d").duration() == 172_800_000_000)
        #expect(try Self.value("0.25ms").milliseconds() == 0.25)
        #expect(Self.failure("30") { try $0.duration() }
            == "t.yaml:1: x: the duration '30' has no unit; add one of us, ms, s, m, h, d (for example '30s')")
        #expect(Self.failure("\"30\"") { try $0.duration() }
            == "t.yaml:1: x: the duration '30' has no unit; add one of us, ms, s, m, h, d (for example '30s')")
        #expect(Self.failure("5 sec") { try $0.duration() }
            == "t.yaml:1: x: '5 sec' is not a duration: unknown unit 'sec' (use us, ms, s, m, h or d)")
        #expect(Self.failure("true") { try $0.duration() }
            == "t.yaml:1: x: expected a duration such as 250ms, 1.5s or 5m, found 'true'")
    }

    @Test func dates() throws {
        #expect(try Self.value("2026-10-12").date() == Timestamp.parse("2026-10-12T00:00:00Z"))
        #expect(try Self.value("2026-10-12T01:02:03Z").date() == Timestamp.parse("2026-10-12T01:02:03Z"))
        #expect(Self.failure("2026-02-30") { try $0.date() } == """
            t.yaml:1: x: '2026-02-30' is not a date or date-time (write RFC 3339, for example 2026-10-12T00:00:00Z or 2026-10-12)
            """)
    }

    @Test func amountsAreExactDecimals() throws {
        // 0.1 + 0.2 through Double would not be 0.3; read from the source text it is.
        let a = try Self.value("0.1").amount(), b = try Self.value("\"0.2\"").amount()
        #expect(a + b == (try Money(parsing: "0.3")))
        #expect(try Self.value("1_000").amount() == Money(whole: 1000))
        #expect(try Self.value("\"0.000000000000000000000001\"").amount() == Money(units: 1))
        #expect(Self.failure("\"2,50\"") { try $0.amount() } == """
            t.yaml:1: x: '2,50' is not an exact decimal amount: write a decimal number, such as "2.50", "0.000003" or "3e-6"
            """)
        #expect(Self.failure("\"0.0000000000000000000000001\"") { try $0.amount() }
            == "t.yaml:1: x: '0.0000000000000000000000001' is not an exact decimal amount: more than 24 decimal places")
        #expect(Self.failure("{a: 1}") { try $0.amount() } == "t.yaml:1: x: expected an amount such as \"2.50\", found a mapping")
    }

    @Test func words() throws {
        #expect(try Self.value("prefer").word("rule mode", allowed: ["only", "prefer"]) == "prefer")
        #expect(Self.failure("prefr") { try $0.word("rule mode", allowed: ["only", "prefer"]) }
            == "t.yaml:1: x: 'prefr' is not a rule mode (did you mean 'prefer'?); expected one of only, prefer")
        #expect(Self.failure("zzzzzz") { try $0.word("rule mode", allowed: ["only", "prefer"]) }
            == "t.yaml:1: x: 'zzzzzz' is not a rule mode; expected one of only, prefer")
    }

    // MARK: - Structure

    @Test func requiredAndOptionalFields() throws {
        let m = try Self.top("a: 1\nb: ~\nc:\n", keys: ["a", "b", "c", "d"])
        #expect(m["a"] != nil)
        #expect(m["b"] == nil)  // null reads as absent
        #expect(m["c"] == nil)
        #expect(m["d"] == nil)
        #expect(try m.required("b").isNull)  // present, though null
        #expect(throws: YAMLError(source: "t.yaml", line: 1, path: "", .missingField("d"))) { try m.required("d") }
    }

    @Test func unknownKeysSuggestTheNearest() {
        #expect(throws: YAMLError(source: "t.yaml", line: 2, path: "", .unknownKey("nme", allowed: ["name", "kind"]))) {
            try Self.top("name: a\nnme: b\n", keys: ["name", "kind"])
        }
        let near = YAMLError(source: "t.yaml", line: 2, path: "", .unknownKey("nme", allowed: ["name", "kind"]))
        #expect(near.description == "t.yaml:2: unknown key 'nme' (did you mean 'name'?); allowed keys: name, kind")
        // Two candidates equally near: no guess.
        let tie = YAMLError(source: "t.yaml", line: 1, path: "", .unknownKey("ab", allowed: ["aa", "bb"]))
        #expect(tie.description == "t.yaml:1: unknown key 'ab'; allowed keys: aa, bb")
        // Nothing within two edits.
        let far = YAMLError(source: "t.yaml", line: 1, path: "", .unknownKey("colour", allowed: ["name"]))
        #expect(far.description == "t.yaml:1: unknown key 'colour'; allowed keys: name")
    }

    @Test func nestedPathsAndLines() throws {
        let yaml = """
            outer:
              list:
                - {name: a}
                - name: b
                  extra: 3
            """
        let reader = try YAMLReader(yaml: yaml, source: "n.yaml")
        let top = try reader.document(ifEmpty: "empty").mapping(allowed: ["outer"], expected: "a mapping")
        let outer = try top.required("outer").mapping(allowed: ["list"], expected: "a mapping")
        let items = try outer.required("list").list()
        #expect(items.map(\.path) == ["outer.list[0]", "outer.list[1]"])
        #expect(items.map(\.line) == [3, 4])
        let first = try items[0].mapping(allowed: ["name"], expected: "an item")
        #expect(try first.required("name").text() == "a")
        #expect(first.path(of: "name") == "outer.list[0].name")
        #expect(throws: YAMLError(source: "n.yaml", line: 5, path: "outer.list[1]",
                                  .unknownKey("extra", allowed: ["name"]))) {
            try items[1].mapping(allowed: ["name"], expected: "an item")
        }
        #expect(reader.lines["outer"] == 1)
        #expect(reader.lines["outer.list"] == 2)
        #expect(reader.lines["outer.list[1]"] == 4)
        #expect(reader.lines["outer.list[0].name"] == 3)

        // The checker names the nearest enclosing line for a path the file does not give.
        let at = YAMLChecker(source: "n.yaml", lines: reader.lines)
        #expect(at.line("outer.list[1].missing") == 4)
        #expect(at.line("elsewhere") == 0)
        #expect(throws: YAMLError(source: "n.yaml", line: 2, path: "outer.list", .outOfRange(expected: "at most 1", found: "2"))) {
            try at.require(items.count <= 1, "outer.list", "at most 1", "2")
        }
    }

    @Test func entriesKeepDocumentOrder() throws {
        let top = try Self.top("w:\n  zeta: 1\n  alpha: 2\n", keys: ["w"])
        let entries = try top.required("w").entries()
        #expect(entries.map(\.key) == ["zeta", "alpha"])
        #expect(entries.map(\.line) == [2, 3])
        #expect(entries.map(\.value.path) == ["w.zeta", "w.alpha"])
        #expect(try entries.map { (e) throws(YAMLError) in try e.value.number() } == [1, 2])
    }

    @Test func kindedValues() throws {
        let parameters = ["poisson": ["rate"], "replay": [String]()]
        func kinded(_ text: String) throws(YAMLError) -> (kind: String, fields: YAMLReader.Mapping) {
            try Self.value(text).kinded(allowed: ["kind", "rate"], parameters: parameters, kinds: ["poisson", "replay"],
                                        vocabulary: "traffic kind", expected: "traffic")
        }
        #expect(try kinded("replay").kind == "replay")
        #expect(try kinded("{kind: poisson, rate: 3}").fields.required("rate").number() == 3)
        #expect(Self.failure("{kind: replay, rate: 3}") { _ in try kinded("{kind: replay, rate: 3}") }
            == "t.yaml:1: x.rate: 'rate' does not apply to traffic kind 'replay' (replay takes no parameters)")
        #expect(Self.failure("poison") { _ in try kinded("poison") }
            == "t.yaml:1: x: 'poison' is not a traffic kind (did you mean 'poisson'?); expected one of poisson, replay")
    }

    @Test func settingsTables() throws {
        struct Settings {
            var on = true
            var count = 1
            var wait: Int64 = 0
            var limit: Int64?
        }
        var s = Settings()
        try Self.value("{count: 5, limit: 2s}").settings(&s, expected: "settings", [
            .bool("on", \.on), .integer("count", \.count), .duration("wait", \.wait), .duration("limit", \.limit),
        ])
        #expect(s.on && s.count == 5 && s.wait == 0 && s.limit == 2_000_000)
        #expect(Self.failure("{cuont: 5}") { v in
            try v.settings(&s, expected: "settings", [.bool("on", \.on), .integer("count", \.count)])
        } == "t.yaml:1: x: unknown key 'cuont' (did you mean 'count'?); allowed keys: on, count")
    }

    // MARK: - Documents

    @Test func syntaxAndEmptyDocuments() {
        // The line is the first occurrence's, as the message says.
        #expect(throws: YAMLError(source: "t.yaml", line: 1, path: "",
                                  .syntax("key 'a' is repeated in the same mapping (first occurrence on this line)"))) {
            try YAMLReader(yaml: "a: 1\na: 2\n", source: "t.yaml")
        }
        // libyaml's own words for these were "found character that cannot start any token" and
        // "Maximum nesting level reached, set with yaml_set_max_nest_level())".
        #expect(throws: YAMLError(source: "t.yaml", line: 2, path: "", .syntax("a tab indents this line; YAML indents with spaces only"))) {
            try YAMLReader(yaml: "a:\n\tb: 1\n", source: "t.yaml")
        }
        let deep = String(repeating: "[", count: 1_100) + String(repeating: "]", count: 1_100) + "\n"
        #expect(throws: YAMLError(source: "t.yaml", line: 1, path: "", .syntax("nested too deeply (more than 1000 levels)"))) {
            try YAMLReader(yaml: deep, source: "t.yaml")
        }
        #expect(throws: YAMLError(source: "t.yaml", line: 1, path: "", .invalid("nothing here"))) {
            try YAMLReader(yaml: "# only a comment\n", source: "t.yaml").document(ifEmpty: "nothing here")
        }
        #expect(throws: YAMLError(source: "t.yaml", line: 1, path: "version", .unsupportedVersion(document: "thing", found: "'2'"))) {
            try Self.top("version: 2\n", keys: ["version"]).requireVersion1(document: "thing")
        }
        #expect(throws: YAMLError.unreadableFile(path: "/nonexistent/x.yaml", document: "thing", reason: "no such file")) {
            try YAMLReader.text(path: "/nonexistent/x.yaml", document: "thing")
        }
        #expect(YAMLError.unreadableFile(path: "x.yaml", document: "thing", reason: "no such file").description
            == "x.yaml: cannot read the thing: no such file")
    }

    /// `levels` lines of a "billion laughs": a list of nine words, then lists of nine aliases of
    /// the line before, as values of `l0`, `l1`, … or (`asKeys`) as the keys of one mapping.
    static func laughs(levels: Int, asKeys: Bool) -> String {
        (0..<levels).map { level in
            let items = level == 0 ? Array(repeating: "ha", count: 9) : Array(repeating: "*l\(level - 1)", count: 9)
            let node = "&l\(level) [\(items.joined(separator: ", "))]"
            return asKeys ? "? \(node)\n: \(level)\n" : "l\(level): \(node)\n"
        }.joined()
    }

    @Test func aliasesThatRepeatTooManyValuesAreRefused() throws {
        // Six levels repeat 672,588 values through aliases; the seventh line's aliases pass
        // 1,000,000, and the message names that line.
        let laughs = try YAMLReader(yaml: Self.laughs(levels: 6, asKeys: false), source: "t.yaml")
        #expect(try laughs.document(ifEmpty: "empty").mapping(allowed: (0..<6).map { "l\($0)" }, expected: "a mapping")
            .required("l5").list().count == 9)
        let message = "the aliases up to this line repeat more than 1000000 values (aliases of lists of aliases multiply at each level); "
            + "write the values out instead"
        #expect(throws: YAMLError(source: "t.yaml", line: 7, path: "", .syntax(message))) {
            try YAMLReader(yaml: Self.laughs(levels: 7, asKeys: false), source: "t.yaml")
        }
        // As keys, Yams hashed each whole to look for repeated keys: 7 levels took 4 s in a debug
        // build, 10 levels hours. The check runs before Yams does.
        #expect(throws: YAMLError(source: "t.yaml", line: 13, path: "", .syntax(message))) {
            try YAMLReader(yaml: Self.laughs(levels: 7, asKeys: true), source: "t.yaml")
        }
        // Aliases that repeat a little, as a file sharing one mapping among many keys does, read.
        let shared = "base: &base {allow: [openai], quota: 100}\n" + (0..<1_000).map { "t\($0): *base\n" }.joined()
        let top = try YAMLReader(yaml: shared, source: "t.yaml").document(ifEmpty: "empty")
            .mapping(allowed: ["base"] + (0..<1_000).map { "t\($0)" }, expected: "a mapping")
        #expect(try top.required("t999").mapping(allowed: ["allow", "quota"], expected: "a tenant").required("quota").integer() == 100)
    }
}

@Suite("DurationText")
struct DurationTextTests {
    @Test(arguments: [
        ("10us", Int64(10)), ("10µs", 10), ("250ms", 250_000), ("1.5s", 1_500_000), ("5m", 300_000_000),
        ("2h", 7_200_000_000), ("1d", 86_400_000_000), ("0.5d", 43_200_000_000), ("-1s", -1_000_000), ("2 h", 7_200_000_000),
    ])
    func parses(text: String, micros: Int64) {
        #expect(DurationText.parse(text) == .value(micros))
    }

    @Test func rejects() {
        #expect(DurationText.parse("") == .invalid(
            "expected a number followed by a unit (us, ms, s, m, h or d), for example 250ms, 1.5s or 5m"))
        #expect(DurationText.parse("12") == .noUnit)
        #expect(DurationText.parse("1w") == .invalid("unknown unit 'w' (use us, ms, s, m, h or d)"))
        #expect(DurationText.parse("0.0000001s") == .invalid("not a whole number of microseconds"))
        #expect(DurationText.parse("0.1234567890123s") == .invalid("too many decimal places"))
        #expect(DurationText.parse("9999999999999d") == .invalid("too large"))
    }

    @Test func formats() {
        #expect(DurationText.format(0) == "0s")
        #expect(DurationText.format(86_400_000_000) == "24h")
        #expect(DurationText.format(5_400_000_000) == "90m")
        #expect(DurationText.format(1_500_000) == "1500ms")
        #expect(DurationText.format(7) == "7us")
        #expect(DurationText.format(seconds: 2.5) == "2500ms")
        #expect(DurationText.format(milliseconds: 100) == "100ms")
    }
}
