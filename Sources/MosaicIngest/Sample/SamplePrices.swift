/// The price table that goes with the sample traffic, in LiteLLM's
/// `model_prices_and_context_window.json` format.
///
/// The five LLM entries carry the real values of LiteLLM's table
/// (`../shared/datasets/litellm-model-prices`), per token in USD:
///
/// | key | provider | input | output | cache read | max input |
/// |---|---|---|---|---|---|
/// | `gpt-4o` | openai | 2.5e-06 | 1e-05 | 1.25e-06 | 128000 |
/// | `gpt-4o-mini` | openai | 1.5e-07 | 6e-07 | 7.5e-08 | 128000 |
/// | `claude-sonnet-4-5` | anthropic | 3e-06 | 1.5e-05 | 3e-07 | 200000 |
/// | `claude-haiku-4-5` | anthropic | 1e-06 | 5e-06 | 1e-07 | 200000 |
/// | `ollama/llama3.1` | ollama | 0 | 0 | — | 8192 |
///
/// Two Mosaic entries price the non-LLM providers:
/// - `github/api` (`litellm_provider` `github`): `input_cost_per_request` 0 — REST API calls
///   are free; only the rate limit matters.
/// - `github-actions/build` (`litellm_provider` `github-actions`): the Mosaic extension field
///   `cost_per_minute` 0.008 USD, billed per started minute of build duration
///   (`latency_ms`), so a 61-second build costs two minutes.
///
/// A key is either the model name the generator writes in the `model` column (`gpt-4o`) or
/// that name prefixed by the provider id and `/` (`ollama/llama3.1` ↔ provider `ollama`,
/// model `llama3.1`; `github/api` ↔ provider `github`, model `api`).
///
/// Numbers are written as literal decimal text, never through a `Double`, so a reader that
/// parses them into ``Money`` gets these exact values.
public enum SamplePrices {
    /// One entry's fields as (name, JSON literal) pairs, in key order.
    private static let entries: [(key: String, fields: [(String, String)])] = [
        ("claude-haiku-4-5", [
            ("cache_read_input_token_cost", "1e-07"),
            ("input_cost_per_token", "1e-06"),
            ("litellm_provider", "\"anthropic\""),
            ("max_input_tokens", "200000"),
            ("mode", "\"chat\""),
            ("output_cost_per_token", "5e-06"),
        ]),
        ("claude-sonnet-4-5", [
            ("cache_read_input_token_cost", "3e-07"),
            ("input_cost_per_token", "3e-06"),
            ("litellm_provider", "\"anthropic\""),
            ("max_input_tokens", "200000"),
            ("mode", "\"chat\""),
            ("output_cost_per_token", "1.5e-05"),
        ]),
        ("github-actions/build", [
            ("cost_per_minute", "0.008"),
            ("litellm_provider", "\"github-actions\""),
        ]),
        ("github/api", [
            ("input_cost_per_request", "0"),
            ("litellm_provider", "\"github\""),
        ]),
        ("gpt-4o", [
            ("cache_read_input_token_cost", "1.25e-06"),
            ("input_cost_per_token", "2.5e-06"),
            ("litellm_provider", "\"openai\""),
            ("max_input_tokens", "128000"),
            ("mode", "\"chat\""),
            ("output_cost_per_token", "1e-05"),
        ]),
        ("gpt-4o-mini", [
            ("cache_read_input_token_cost", "7.5e-08"),
            ("input_cost_per_token", "1.5e-07"),
            ("litellm_provider", "\"openai\""),
            ("max_input_tokens", "128000"),
            ("mode", "\"chat\""),
            ("output_cost_per_token", "6e-07"),
        ]),
        ("ollama/llama3.1", [
            ("input_cost_per_token", "0"),
            ("litellm_provider", "\"ollama\""),
            ("max_input_tokens", "8192"),
            ("mode", "\"chat\""),
            ("output_cost_per_token", "0"),
        ]),
    ]

    /// The keys of ``liteLLMJSON()``, sorted by their UTF-8 bytes.
    public static var keys: [String] { entries.map(\.key) }

    /// The price table as a JSON document: one top-level object with sorted keys, each entry
    /// with sorted fields, four-space indentation and a final newline. The text is the same on
    /// every call and every platform.
    public static func liteLLMJSON() -> String {
        var out = "{\n"
        for (i, entry) in entries.enumerated() {
            out += "    \"\(entry.key)\": {\n"
            for (j, field) in entry.fields.enumerated() {
                out += "        \"\(field.0)\": \(field.1)"
                out += j + 1 < entry.fields.count ? ",\n" : "\n"
            }
            out += i + 1 < entries.count ? "    },\n" : "    }\n"
        }
        out += "}\n"
        return out
    }
}
