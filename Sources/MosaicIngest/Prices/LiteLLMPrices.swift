import Foundation
import MosaicCore
import MosaicStore

/// Reads LiteLLM's `model_prices_and_context_window.json` into unit prices.
///
/// Each top-level key is a model (`gpt-4o`, `ollama/llama3.1`); `litellm_provider` names its
/// provider, and a `provider/` prefix on the key is dropped from the model name. The standard
/// tier's prices are read exactly from the number literals:
///
/// | LiteLLM field | SKU |
/// |---|---|
/// | `input_cost_per_token` | `input_token` |
/// | `output_cost_per_token` | `output_token` |
/// | `cache_read_input_token_cost` | `cache_read_token` |
/// | `cache_creation_input_token_cost` | `cache_write_token` |
/// | `input_cost_per_request` | `request` |
/// | `cost_per_minute` (a Mosaic extension) | `minute` |
///
/// Batch, priority, flex and long-context variants are not imported. `sample_spec`, aliases
/// (`alias_of`) and other entries without a provider and without prices are skipped.
/// When two keys name the same provider and model, the first one in the file wins.
public enum LiteLLMPrices {
    public static let fieldSKUs: [(field: String, sku: PriceSKU)] = [
        ("input_cost_per_token", .inputToken),
        ("output_cost_per_token", .outputToken),
        ("cache_read_input_token_cost", .cacheReadToken),
        ("cache_creation_input_token_cost", .cacheWriteToken),
        ("input_cost_per_request", .request),
        ("cost_per_minute", .minute),
    ]

    /// What an import found.
    public struct Parsed: Sendable {
        public var entries: [PriceEntry]
        public var models: Int
        /// Keys left out because an earlier key already named the same provider and model.
        public var shadowed: [String]
        /// Keys with no price this importer reads (image, audio, search pricing only).
        public var withoutTokenPrices: Int
        /// Keys that are not models: aliases (`alias_of`) and rule entries without a provider.
        public var skipped: Int
    }

    /// Parses a document. `file` names it in errors.
    public static func parse(_ document: JSONValue, file: String, validFrom: Int64, source: String) throws(IngestError) -> Parsed {
        guard let members = document.objectValue else {
            throw .file(path: file, reason: "expected a JSON object keyed by model name, found \(document.kindName)")
        }
        var entries: [PriceEntry] = []
        var seen = Set<String>()
        var shadowed: [String] = []
        var models = 0, without = 0, skipped = 0
        for (key, value) in members where key != "sample_spec" {
            guard let fields = value.objectValue else {
                throw .file(path: file, reason: "'\(key)': expected an object, found \(value.kindName)")
            }
            let hasPrice = fieldSKUs.contains { f in fields.contains { $0.key == f.field } }
            guard let provider = value["litellm_provider"]?.stringValue, !provider.isEmpty else {
                // Aliases (`alias_of`) and rule entries name no provider and carry no price.
                if !hasPrice { skipped += 1; continue }
                throw .file(path: file, reason: "'\(key)'.litellm_provider: missing or not a string")
            }
            let model = key.hasPrefix(provider + "/") ? String(key.dropFirst(provider.count + 1)) : key
            let identity = provider + "\u{0}" + model
            var found: [PriceEntry] = []
            for (field, sku) in fieldSKUs {
                guard let v = value[field], !v.isNull else { continue }
                guard let literal = v.numberText ?? v.stringValue else {
                    throw .file(path: file, reason: "'\(key)'.\(field): expected a number, found \(v.kindName)")
                }
                let price: Money
                do { price = try Money(parsing: literal) } catch {
                    throw .file(path: file, reason: "'\(key)'.\(field): \(error.description)")
                }
                if price < .zero { throw .file(path: file, reason: "'\(key)'.\(field): \(literal) is negative") }
                found.append(PriceEntry(provider: provider, model: model, sku: sku, price: price,
                                        validFrom: validFrom, source: source))
            }
            if found.isEmpty { without += 1; continue }
            if !seen.insert(identity).inserted { shadowed.append(key); continue }
            models += 1
            entries += found
        }
        return Parsed(entries: entries, models: models, shadowed: shadowed, withoutTokenPrices: without, skipped: skipped)
    }

    /// Reads a file and stores its prices in one transaction (see `Store.upsertPrices`).
    public static func importFile(path: String, into store: Store, validFrom: Int64) throws(IngestError) -> (parsed: Parsed, changed: Int) {
        // Plain or gzip-compressed (`prices.json.gz` read as it is), as the request logs.
        let data = Data(try InputFile(path: path).readAll(most: 256 << 20))
        if data.isEmpty { throw .file(path: path, reason: "the file is empty") }
        let document: JSONValue
        do { document = try JSONValue.parse(data, uniqueKeys: true) } catch {
            throw .json(error, path: path)
        }
        let location = URL(fileURLWithPath: path).standardizedFileURL.path
        let parsed = try parse(document, file: path, validFrom: validFrom, source: "litellm:" + location)
        do {
            let run = try store.beginRun(source: "prices:litellm", location: location)
            do {
                let changed = try store.database.transaction { try store.upsertPrices(parsed.entries, asTable: true) }
                try store.finishRun(run, counts: IngestCounts(read: parsed.entries.count, inserted: changed,
                                                              duplicate: parsed.entries.count - changed))
                return (parsed, changed)
            } catch {
                try? store.finishRun(run, counts: IngestCounts(), error: "\(error)")
                throw error
            }
        } catch let e as StoreError {
            throw .store(e)
        } catch {
            throw .file(path: path, reason: "\(error)")
        }
    }
}
