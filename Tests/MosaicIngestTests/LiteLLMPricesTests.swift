import Foundation
import MosaicCore
import MosaicStore
import MosaicTestSupport
import Testing

@testable import MosaicIngest

private let t1 = Timestamp.parse("2024-01-01T00:00:00Z")!
private let t2 = Timestamp.parse("2024-07-01T00:00:00Z")!

/// A small document with one of everything the importer has to handle.
private let sampleDocument = """
    {
      "sample_spec": {
        "litellm_provider": "one of https://docs.litellm.ai/docs/providers",
        "input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "mode": "one of: chat, embedding"
      },
      "gpt-4o": {
        "litellm_provider": "openai", "mode": "chat", "max_input_tokens": 128000,
        "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
        "cache_read_input_token_cost": 1.25e-06, "input_cost_per_token_batches": 1.25e-06,
        "supports_vision": true
      },
      "openai/gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 9e-06},
      "ollama/llama3.1": {"litellm_provider": "ollama", "input_cost_per_token": 0.0, "output_cost_per_token": 0},
      "openrouter/openai/gpt-4": {"litellm_provider": "openrouter", "input_cost_per_token": 3E-5},
      "dall-e-3": {"litellm_provider": "openai", "mode": "image_generation", "output_cost_per_image": 0.04},
      "github-actions/build": {"litellm_provider": "github-actions", "cost_per_minute": 0.008},
      "claude-x": {
        "litellm_provider": "anthropic", "input_cost_per_request": "0.001",
        "cache_creation_input_token_cost": 3.75E-6, "output_cost_per_token": null
      },
      "exact": {"litellm_provider": "openai", "input_cost_per_token": 5.0000000000000004e-08}
    }
    """

private func parse(_ text: String, validFrom: Int64 = t1) throws -> LiteLLMPrices.Parsed {
    try LiteLLMPrices.parse(JSONValue.parse(text), file: "prices.json", validFrom: validFrom, source: "test")
}

/// The error text of parsing a document, or nil when it parses.
private func parseError(_ text: String) -> String? {
    do {
        _ = try parse(text)
        return nil
    } catch let e as IngestError {
        return e.description
    } catch {
        return "unexpected: \(error)"
    }
}

/// `provider model sku price` lines of the parsed entries, sorted.
private func lines(_ entries: [PriceEntry]) -> [String] {
    entries.map { "\($0.provider) \($0.model) \($0.sku.rawValue) \($0.price)" }.sorted()
}

/// Every stored price as `provider model sku price from to`.
private func storedPrices(_ store: Store) throws -> [String] {
    try store.database.rows("""
        SELECT provider, model, sku, price, valid_from, valid_to FROM prices ORDER BY provider, model, sku, valid_from
        """).map { row in row.map(\.description).joined(separator: " ") }
}

@Suite("LiteLLMPrices")
struct LiteLLMPricesTests {
    @Test("reads the six price fields exactly, strips the provider prefix, skips sample_spec")
    func sample() throws {
        let parsed = try parse(sampleDocument)
        #expect(lines(parsed.entries) == [
            "anthropic claude-x cache_write_token 0.00000375",
            "anthropic claude-x request 0.001",
            "github-actions build minute 0.008",
            "ollama llama3.1 input_token 0",
            "ollama llama3.1 output_token 0",
            "openai exact input_token 0.000000050000000000000004",
            "openai gpt-4o cache_read_token 0.00000125",
            "openai gpt-4o input_token 0.0000025",
            "openai gpt-4o output_token 0.00001",
            "openrouter openai/gpt-4 input_token 0.00003",
        ])
        #expect(parsed.models == 6)
        #expect(parsed.shadowed == ["openai/gpt-4o"])
        #expect(parsed.withoutTokenPrices == 1)
        #expect(parsed.entries.allSatisfy { $0.validFrom == t1 && $0.validTo == nil && $0.source == "test" && $0.currency == "USD" })
        #expect(!parsed.entries.contains { $0.provider.hasPrefix("one of") })
    }

    @Test("the first of two keys naming the same provider and model wins")
    func shadowing() throws {
        let parsed = try parse("""
            {"openai/gpt-4": {"litellm_provider": "openai", "input_cost_per_token": 1e-06},
             "gpt-4": {"litellm_provider": "openai", "input_cost_per_token": 2e-06, "output_cost_per_token": 3e-06},
             "azure/gpt-4": {"litellm_provider": "azure", "input_cost_per_token": 4e-06}}
            """)
        #expect(lines(parsed.entries) == ["azure gpt-4 input_token 0.000004", "openai gpt-4 input_token 0.000001"])
        #expect(parsed.shadowed == ["gpt-4"])
        #expect(parsed.models == 2)
    }

    @Test("a key twice in one object is an error naming its line (audit F12)")
    func repeatedKey() throws {
        let tmp = TemporaryDirectory()
        let store = try Store(path: tmp.file("p.sqlite"))
        let path = tmp.write("dup.json", """
            {
              "gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06},
              "gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 9e-06}
            }
            """)
        let e = #expect(throws: IngestError.self) { _ = try LiteLLMPrices.importFile(path: path, into: store, validFrom: t1) }
        #expect(e?.description == "\(path):3: key 'gpt-4o' appears twice in one object (column 3); a key may appear once")
        #expect(try store.database.scalarInt("SELECT count(*) FROM prices") == 0)
        let inner = tmp.write("inner.json", #"{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 1e-06, "input_cost_per_token": 2e-06}}"#)
        let e2 = #expect(throws: IngestError.self) { _ = try LiteLLMPrices.importFile(path: inner, into: store, validFrom: t1) }
        #expect(e2?.description.hasPrefix("\(inner):1: key 'input_cost_per_token' appears twice") == true)
    }

    @Test("a key whose prefix is another provider keeps its full name")
    func foreignPrefix() throws {
        let parsed = try parse(#"{"vertex_ai/claude-3": {"litellm_provider": "vertex_ai-anthropic_models", "input_cost_per_token": 1e-06}}"#)
        #expect(lines(parsed.entries) == ["vertex_ai-anthropic_models vertex_ai/claude-3 input_token 0.000001"])
    }

    @Test("bad prices are errors naming the key and the field", arguments: [
        (#"{"m": {"litellm_provider": "openai", "input_cost_per_token": true}}"#,
         "prices.json: 'm'.input_cost_per_token: expected a number, found a boolean"),
        (#"{"m": {"litellm_provider": "openai", "output_cost_per_token": [1]}}"#,
         "prices.json: 'm'.output_cost_per_token: expected a number, found an array"),
        (#"{"m": {"litellm_provider": "openai", "input_cost_per_token": "abc"}}"#,
         "prices.json: 'm'.input_cost_per_token: 'abc' is not a decimal number"),
        (#"{"m": {"litellm_provider": "openai", "output_cost_per_token": -1e-06}}"#,
         "prices.json: 'm'.output_cost_per_token: -1e-06 is negative"),
        (#"{"m": {"litellm_provider": "openai", "cost_per_minute": "-0.5"}}"#,
         "prices.json: 'm'.cost_per_minute: -0.5 is negative"),
        (#"{"m": {"litellm_provider": "openai", "input_cost_per_token": 1e-30}}"#,
         "prices.json: 'm'.input_cost_per_token: '1e-30' has more than 24 decimal places"),
        (#"{"m": {"input_cost_per_token": 1e-06}}"#, "prices.json: 'm'.litellm_provider: missing or not a string"),
        (#"{"m": {"litellm_provider": "", "input_cost_per_token": 1e-06}}"#, "prices.json: 'm'.litellm_provider: missing or not a string"),
        (#"{"m": 1}"#, "prices.json: 'm': expected an object, found a number"),
        (#"[1, 2]"#, "prices.json: expected a JSON object keyed by model name, found an array"),
    ])
    func badDocuments(_ text: String, _ message: String) {
        #expect(parseError(text) == message)
    }

    @Test("importing into a store: counts, the run, and a second import changes nothing")
    func importIdempotent() throws {
        let tmp = TemporaryDirectory()
        let store = try Store(path: tmp.file("m.sqlite"))
        let path = tmp.write("prices.json", sampleDocument)
        let first = try LiteLLMPrices.importFile(path: path, into: store, validFrom: t1)
        #expect(first.changed == 10)
        #expect(first.parsed.entries.count == 10)
        let before = try storedPrices(store)
        #expect(before.count == 10)
        #expect(before.contains("openai gpt-4o input_token 0.0000025 \(t1) NULL"))
        let second = try LiteLLMPrices.importFile(path: path, into: store, validFrom: t1)
        #expect(second.changed == 0)
        #expect(try storedPrices(store) == before)
        let runs = try store.runs()
        #expect(runs.count == 2)
        #expect(runs.allSatisfy { $0.source == "prices:litellm" && $0.status == "ok" && $0.error == nil })
        #expect(runs.first?.counts == IngestCounts(read: 10, inserted: 0, duplicate: 10))
        #expect(runs.last?.counts == IngestCounts(read: 10, inserted: 10, duplicate: 0))
        // The stored prices read back as a price book with exact costs.
        let book = try store.priceBook()
        #expect(book.cost(provider: "openai", model: "gpt-4o", at: t1, inputTokens: 1000, outputTokens: 100,
                          cachedTokens: 200) == Money("0.00325"))
        #expect(book.cost(provider: "openai", model: "gpt-4o", at: t1 - 1, inputTokens: 1, outputTokens: 1) == nil)
    }

    @Test("a later valid-from closes the open periods and starts new ones")
    func laterImportClosesPeriods() throws {
        let tmp = TemporaryDirectory()
        let store = try Store(path: tmp.file("m.sqlite"))
        let old = tmp.write("old.json", #"{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 5e-06, "output_cost_per_token": 1.5e-05}}"#)
        let new = tmp.write("new.json", #"{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05}}"#)
        #expect(try LiteLLMPrices.importFile(path: old, into: store, validFrom: t1).changed == 2)
        #expect(try LiteLLMPrices.importFile(path: new, into: store, validFrom: t2).changed == 2)
        #expect(try storedPrices(store) == [
            "openai gpt-4o input_token 0.000005 \(t1) \(t2)",
            "openai gpt-4o input_token 0.0000025 \(t2) NULL",
            "openai gpt-4o output_token 0.000015 \(t1) \(t2)",
            "openai gpt-4o output_token 0.00001 \(t2) NULL",
        ])
        let book = try store.priceBook()
        #expect(book.cost(provider: "openai", model: "gpt-4o", at: t2 - 1, inputTokens: 1000, outputTokens: 0) == Money("0.005"))
        #expect(book.cost(provider: "openai", model: "gpt-4o", at: t2, inputTokens: 1000, outputTokens: 0) == Money("0.0025"))
        // Importing the newer file again changes nothing.
        #expect(try LiteLLMPrices.importFile(path: new, into: store, validFrom: t2).changed == 0)
    }

    @Test("re-importing the older file after a newer one changes nothing")
    func olderReimport() throws {
        let tmp = TemporaryDirectory()
        let store = try Store(path: tmp.file("m.sqlite"))
        let old = tmp.write("old.json", #"{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 5e-06}}"#)
        let new = tmp.write("new.json", #"{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06}}"#)
        _ = try LiteLLMPrices.importFile(path: old, into: store, validFrom: t1)
        _ = try LiteLLMPrices.importFile(path: new, into: store, validFrom: t2)
        let before = try storedPrices(store)
        let again = try LiteLLMPrices.importFile(path: old, into: store, validFrom: t1)
        #expect(again.changed == 0)
        #expect(try storedPrices(store) == before)
        #expect(before == [
            "openai gpt-4o input_token 0.000005 \(t1) \(t2)",
            "openai gpt-4o input_token 0.0000025 \(t2) NULL",
        ])
        let book = try store.priceBook()
        #expect(book.cost(provider: "openai", model: "gpt-4o", at: t2, inputTokens: 1000, outputTokens: 0) == Money("0.0025"))
    }

    @Test("an older file imported after a newer one ends where the newer period starts")
    func olderAfterNewer() throws {
        let tmp = TemporaryDirectory()
        let store = try Store(path: tmp.file("m.sqlite"))
        let old = tmp.write("old.json", #"{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 5e-06}}"#)
        let new = tmp.write("new.json", #"{"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06}}"#)
        _ = try LiteLLMPrices.importFile(path: new, into: store, validFrom: t2)
        #expect(try LiteLLMPrices.importFile(path: old, into: store, validFrom: t1).changed == 1)
        #expect(try storedPrices(store) == [
            "openai gpt-4o input_token 0.000005 \(t1) \(t2)",
            "openai gpt-4o input_token 0.0000025 \(t2) NULL",
        ])
        #expect(try LiteLLMPrices.importFile(path: old, into: store, validFrom: t1).changed == 0)
        #expect(try LiteLLMPrices.importFile(path: new, into: store, validFrom: t2).changed == 0)
    }

    @Test("file errors: missing, empty, not JSON; nothing is stored")
    func fileErrors() throws {
        let tmp = TemporaryDirectory()
        let store = try Store(path: tmp.file("m.sqlite"))
        func importError(_ path: String) -> String? {
            do {
                _ = try LiteLLMPrices.importFile(path: path, into: store, validFrom: t1)
                return nil
            } catch {
                return error.description
            }
        }
        let missing = tmp.file("missing.json")
        #expect(importError(missing) == "\(missing): cannot open: No such file or directory")
        let empty = tmp.write("empty.json", "")
        #expect(importError(empty) == "\(empty): the file is empty")
        let truncated = tmp.write("bad.json", "{\n  \"gpt-4o\": {\"litellm_provider\": \"openai\",\n")
        #expect(importError(truncated) == "\(truncated): not valid JSON: line 3, column 1: unexpected end of input inside an object")
        let negative = tmp.write("neg.json", #"{"a": {"litellm_provider": "openai", "input_cost_per_token": 1e-06}, "b": {"litellm_provider": "openai", "input_cost_per_token": -1}}"#)
        #expect(importError(negative) == "\(negative): 'b'.input_cost_per_token: -1 is negative")
        #expect(try storedPrices(store).isEmpty)
    }

    /// A compressed price file reads as the plain one (it was "unexpected character" at its
    /// first, gzip's magic, byte).
    @Test func aGzipPriceFileReadsAsThePlainOne() throws {
        let tmp = TemporaryDirectory()
        let plain = tmp.write("p.json", #"{"gpt-x": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05}}"#)
        let gz = try ChildProcess.run("/usr/bin/env", ["gzip", "-k", plain])
        #expect(gz.status == 0, "\(gz.stderr)")
        let store = try Store(path: tmp.file("m.sqlite"))
        let imported = try LiteLLMPrices.importFile(path: plain + ".gz", into: store, validFrom: t1)
        #expect(imported.parsed.models == 1 && imported.changed == 2)
        #expect(try LiteLLMPrices.importFile(path: plain, into: store, validFrom: t1).changed == 0)
    }

    // MARK: - The real LiteLLM table

    static let realFilePath = "datasets/litellm-model-prices/model_prices_and_context_window.json"

    /// Python's reading of the same file: `provider\tmodel\tsku\tprice` with the price as
    /// `decimal.Decimal(literal)` normalised, under the importer's prefix and first-key rules.
    /// Entries without a `litellm_provider` (the file's `alias_of` and `rules` entries) are left
    /// out, as the Swift side of the comparison leaves them out.
    static let pythonScript = #"""
        import decimal, json, sys
        FIELDS = [("input_cost_per_token", "input_token"), ("output_cost_per_token", "output_token"),
                  ("cache_read_input_token_cost", "cache_read_token"),
                  ("cache_creation_input_token_cost", "cache_write_token"),
                  ("input_cost_per_request", "request"), ("cost_per_minute", "minute")]
        with open(sys.argv[1], encoding="utf-8") as f:
            top = json.load(f, parse_float=decimal.Decimal, parse_int=decimal.Decimal,
                            object_pairs_hook=lambda pairs: pairs)
        seen = set()
        for key, value in top:
            if key == "sample_spec":
                continue
            entry = dict(value)  # the last of a repeated inner key, like JSONValue's subscript
            provider = entry.get("litellm_provider")
            if not isinstance(provider, str) or not provider:
                continue
            model = key[len(provider) + 1:] if key.startswith(provider + "/") else key
            found = []
            for field, sku in FIELDS:
                v = entry.get(field)
                if v is None:
                    continue
                d = decimal.Decimal(v) if isinstance(v, str) else v
                n = d.normalize()
                found.append((sku, "0" if n == 0 else format(n, "f")))
            if not found or (provider, model) in seen:
                continue
            seen.add((provider, model))
            for sku, text in found:
                print(f"{provider}\t{model}\t{sku}\t{text}")
        """#

    /// Runs the Python reference on a file; nil (with the reason recorded) when python3 fails.
    static func pythonReading(_ path: String) throws -> [String] {
        let result = try #require(Python.run(pythonScript, arguments: [path]), "python3 cannot be started")
        try #require(result.status == 0, "python3 failed: \(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }

    @Test("the real LiteLLM file imports as shipped",
          .enabled(if: SharedData.path(LiteLLMPricesTests.realFilePath) != nil,
                   Comment(rawValue: SharedData.missing(LiteLLMPricesTests.realFilePath) ?? "")))
    func realFileImports() throws {
        let path = try #require(SharedData.path(Self.realFilePath))
        let tmp = TemporaryDirectory()
        let store = try Store(path: tmp.file("m.sqlite"))
        let (parsed, changed) = try LiteLLMPrices.importFile(path: path, into: store, validFrom: t1)
        #expect(changed == parsed.entries.count)
        #expect(try LiteLLMPrices.importFile(path: path, into: store, validFrom: t1).changed == 0)
    }

    @Test("the real LiteLLM file: every stored price equals Python's Decimal reading of its literal",
          .enabled(if: SharedData.path(LiteLLMPricesTests.realFilePath) != nil,
                   Comment(rawValue: SharedData.missing(LiteLLMPricesTests.realFilePath) ?? "")))
    func realFileExact() throws {
        let path = try #require(SharedData.path(Self.realFilePath))
        let data = try #require(FileManager.default.contents(atPath: path))
        let document = try JSONValue.parse(data)
        let members = try #require(document.objectValue)
        #expect(members.count == 4_878)
        // The entries without a provider (see realFileImports) are set aside; the rest is the
        // real table, number literals untouched.
        let priced = members.filter { $0.key == "sample_spec" || ($0.value["litellm_provider"]?.stringValue ?? "") != "" }
        #expect(members.count - priced.count == 99)
        let parsed = try LiteLLMPrices.parse(.object(priced), file: path, validFrom: t1, source: "litellm:test")
        #expect(parsed.models > 2_000)

        let tmp = TemporaryDirectory()
        let store = try Store(path: tmp.file("m.sqlite"))
        let changed = try store.database.transaction { try store.upsertPrices(parsed.entries) }
        #expect(changed == parsed.entries.count)
        let stored = try store.database.rows("SELECT provider, model, sku, price FROM prices")
            .map { $0.map(\.description).joined(separator: "\t") }
        #expect(stored.count == parsed.entries.count)

        let reference = try Self.pythonReading(path)
        #expect(reference.count == stored.count)
        let ours = Set(stored), theirs = Set(reference)
        #expect(ours.count == stored.count)
        let onlyOurs = ours.subtracting(theirs).sorted(), onlyTheirs = theirs.subtracting(ours).sorted()
        #expect(onlyOurs.isEmpty, "stored but not in Python's reading: \(onlyOurs.prefix(5))")
        #expect(onlyTheirs.isEmpty, "in Python's reading but not stored: \(onlyTheirs.prefix(5))")

        let gpt4o = try store.database.scalarText(
            "SELECT price FROM prices WHERE provider = 'openai' AND model = 'gpt-4o' AND sku = 'input_token'")
        #expect(gpt4o == "0.0000025")
        #expect(!stored.contains { $0.hasPrefix("one of") })
        // Upserting the same entries again changes nothing.
        #expect(try store.database.transaction { try store.upsertPrices(parsed.entries) } == 0)
    }
}
